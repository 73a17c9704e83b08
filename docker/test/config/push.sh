. /etc/eastwatch/test/wait.sh
# the policy, validated and published to Redis (the sensor takes it from there)
i=0
until eastwatch policy push /etc/eastwatch/test-rules --redis 127.0.0.1:16379 --author compose-test; do
	i=$((i + 1)); [ $i -gt 60 ] && exit 1; sleep 0.5
done
echo pushed > /run/shared/policy-pushed
