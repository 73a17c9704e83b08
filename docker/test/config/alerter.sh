. /etc/eastwatch/test/wait.sh
exec eastwatch alerter --config /etc/eastwatch/test/alerter.yaml --kafka "$KAFKA"
