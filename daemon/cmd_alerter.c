/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_alerter - eastwatch alerter: the alerts sensors put on Kafka delivered to the
 * configuration's sinks (syslog, e-mail, webhook, file); offsets committed only once
 * every sink has delivered or spooled what was read, so an alerter that dies loses
 * nothing. */
#include "daemon/cmd.h"
#include "alerting/alert_parse.h"
#include "alerting/consume_kafka.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <signal.h>
#include <unistd.h>

struct alerter {
	struct ew_sinkset *sinks;
	uint64_t got, bad, uncommitted;
};

static void on_message(void *arg, const struct ew_kafka_msg *m)
{
	char wb[300];
	struct alerter *al = arg;
	struct ew_alert_parsed ap;
	struct ew_err err;

	al->got++;
	al->uncommitted++;
	if (ew_alert_parse(&ap, m->payload, m->len, &err) == EW_OK) {
		ew_sinkset_emit(al->sinks, &ap.a);
	} else {
		al->bad++;
		ew_warn("alerter: %s skipped: %s", ew_kafka_msg_where(m, wb), err.msg);
	}
	ew_alert_parsed_free(&ap);
}

/* Wait until every sink has delivered or spooled what it was given, then commit what
 * was read. */
static void commit(struct ew_kafka_consumer *k, struct alerter *al)
{
	if (al->uncommitted == 0)
		return;
	while (!ew_sinkset_settled(al->sinks))
		usleep(2000);
	if (ew_kafka_consumer_commit(k) == EW_OK)
		al->uncommitted = 0;
}

static int alerter(struct ew_ctx *c, int argc, char **argv)
{
	struct ew_conf_node an = c->cfg.alerter, n, options = { 0 };
	const char *brokers = NULL, *topic = "eastwatch.alerts", *group = "eastwatch-alerter";
	struct ew_kafka_consumer *k;
	struct alerter al = { 0 };
	struct ew_err err;
	uint64_t last_commit, last_tick;
	int rc;

	(void)argc;
	(void)argv;
	if (ew_conf_present(an)) {
		static const char *const keys[] = { "brokers", "topic", "group", "options", NULL };

		if (ew_conf_check_map(an, "alerter", keys, &err) != EW_OK) {
			ew_fatal("%s\n", err.msg);
			return EW_EXIT_INPUT;
		}
		if (ew_conf_present(n = ew_conf_get(an, "brokers")))
			brokers = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "topic")))
			topic = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "group")))
			group = ew_conf_str(n);
		options = ew_conf_get(an, "options");
	}
	if (c->o.kafka)
		brokers = c->o.kafka;
	if (brokers == NULL) {
		ew_fatal("eastwatch alerter: no brokers: give --kafka BROKERS or alerter.brokers "
			"in the configuration\n");
		return EW_EXIT_USAGE;
	}
	c->o.kafka = NULL;   /* the brokers to read from, not a sink */
	if ((rc = ew_ctx_sinks(c, 1)) != 0)
		return rc;
	al.sinks = c->sinks;
	if ((rc = ew_kafka_consumer_new(&k, brokers, topic, group, options, &err)) != EW_OK) {
		ew_fatal("eastwatch alerter: %s\n", err.msg);
		return rc == EW_E_INVAL ? EW_EXIT_INPUT : EW_EXIT_RUNTIME;
	}
	signal(SIGINT, ew_cmd_on_stop);
	signal(SIGTERM, ew_cmd_on_stop);
	signal(SIGPIPE, SIG_IGN);   /* a file sink's reader gone: a write error, not our end */
	ew_info("eastwatch %s alerter running: topic %s, group %s, %u sinks", EW_VERSION, topic,
		group, ew_sinkset_count(c->sinks));
	last_commit = last_tick = ew_time_mono_us();
	while (!ew_cmd_stop) {
		uint64_t now;

		ew_kafka_consumer_poll(k, 100, on_message, &al);
		now = ew_time_mono_us();
		if (al.uncommitted >= 10000 || (al.uncommitted && now - last_commit >= 500000)) {
			commit(k, &al);
			last_commit = now;
		}
		if (now / 1000000 != last_tick / 1000000) {   /* the sinks' retries, each second */
			ew_sinkset_tick(c->sinks, ew_time_now_us());
			last_tick = now;
		}
	}
	ew_info("alerter: stopping: delivering what was read");
	ew_sinkset_flush(c->sinks, 10000);
	commit(k, &al);
	ew_info("alerter: stopped: %llu alerts read, %llu not eastwatch alerts",
		(unsigned long long)al.got, (unsigned long long)al.bad);
	ew_kafka_consumer_free(k);
	return 0;
}

static const struct ew_cli_opt opts[] = {
	{ 'c', "eastwatch.yaml (alerter: and sinks:)" },
	{ 'K', "the brokers (instead of alerter.brokers)" },
	{ 'o', "also write the alerts as JSON lines to FILE (\"-\": stdout)" },
	{ 'L', "text (default) or json" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_alerter = {
	.name = "alerter",
	.summary = "deliver alerts from Kafka to syslog, e-mail and webhook sinks",
	.synopsis = "[--config FILE] [--kafka BROKERS] [--output FILE]",
	.about = "Consume the alerts sensors put on Kafka (a consumer group: run several alerters to\n"
		 "share the topic's partitions) and deliver them to the configuration's sinks (syslog,\n"
		 "e-mail, webhook, file). Offsets are committed only once every sink has delivered or\n"
		 "spooled the alerts read, so an alerter that dies loses nothing. Configuration:\n"
		 "  alerter: { brokers: \"k1:9092\", topic: eastwatch.alerts, group: eastwatch-alerter,\n"
		 "             options: { security.protocol: ... } }\n"
		 "Runs until SIGTERM or SIGINT, then delivers (or spools) what it has read and exits 0.\n",
	.opts = opts,
	.startup = 1,
	.main = alerter,
};
