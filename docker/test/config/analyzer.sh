. /etc/eastwatch/test/wait.sh
exec eastwatch analyze --config /etc/eastwatch/test/analyze.yaml --rules /etc/eastwatch/test-rules \
	--kafka "$KAFKA" -o /run/shared/analyzer-alerts.json 2>/run/shared/analyzer.log
