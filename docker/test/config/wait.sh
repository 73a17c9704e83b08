# sourced: wait for the mock cluster's bootstrap address (KAFKA) and for Redis
i=0
until KAFKA=$(sed -n 's/^bootstrap //p' /run/shared/kafka-mock.out 2>/dev/null) && [ -n "$KAFKA" ]; do
	i=$((i + 1)); [ $i -gt 300 ] && { echo "no Kafka mock" >&2; exit 1; }; sleep 0.2
done
export KAFKA
