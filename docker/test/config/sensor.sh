. /etc/eastwatch/test/wait.sh
until [ -f /run/shared/policy-pushed ]; do sleep 0.2; done
# the test's sensor.yaml with a Kafka sink at the mock's address: alerts, and every flow
# record for the analyzer
{ cat /etc/eastwatch/test/sensor.yaml
  printf 'sinks:\n  - { type: kafka, brokers: "%s", topic: eastwatch.alerts, flows_topic: eastwatch.flows }\n' "$KAFKA"
} >/tmp/sensor.yaml
eastwatch replay --config /tmp/sensor.yaml -o /run/shared/sensor-alerts.json \
	/usr/share/eastwatch/sample.pcap 2>/run/shared/sensor.log
echo "exit $?" > /run/shared/sensor-done
