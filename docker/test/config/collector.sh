. /etc/eastwatch/test/wait.sh
until [ -f /run/shared/policy-pushed ]; do sleep 0.2; done
exec eastwatch run --config /etc/eastwatch/test/collector.yaml --kafka "$KAFKA"
