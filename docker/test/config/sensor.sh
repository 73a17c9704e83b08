. /etc/eastwatch/test/wait.sh
until [ -f /run/shared/policy-pushed ]; do sleep 0.2; done
eastwatch replay --config /etc/eastwatch/test/sensor.yaml --kafka "$KAFKA" -o /run/shared/sensor-alerts.json \
	/usr/share/eastwatch/sample.pcap 2>/run/shared/sensor.log
echo "exit $?" > /run/shared/sensor-done
