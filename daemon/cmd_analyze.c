/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_analyze - eastwatch analyze: the tier below the sensors. A consumer in a group on
 * the flows topic runs the detectors that need a view across sensors (scan, new-edge;
 * analyze.h) and sends their alerts to the configuration's sinks. Offsets are committed
 * only once the sinks have delivered or spooled the alerts of what was read, and never
 * past a record a scan window still open may hold, so an analyzer killed at any moment
 * loses no alert: whoever takes its partitions reads on from the commit. */
#include "daemon/cmd.h"
#include "daemon/analyze.h"
#include "daemon/metrics.h"
#include "alerting/consume_kafka.h"
#include "alerting/flow_parse.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct analyzer {
	struct ew_ctx *c;
	struct ew_kafka_consumer *k;
	struct ew_analyze *an;
	struct ew_flow_parsed fp;
	uint64_t got, bad, uncommitted;
	int held[EW_ANALYZE_MAX_PARTS];   /* 1: the partition is ours */
};

/* Once the sinks have delivered or spooled every alert raised so far, commit for each of
 * parts (n of them) where to resume and up to where alerts are delivered. */
static void commit(struct analyzer *al, const int32_t *parts, int n)
{
	int32_t p[EW_ANALYZE_MAX_PARTS];
	int64_t at[EW_ANALYZE_MAX_PARTS], done;
	char metas[EW_ANALYZE_MAX_PARTS][32];
	const char *mp[EW_ANALYZE_MAX_PARTS];
	int m = 0;

	while (!ew_sinkset_settled(al->c->sinks))
		usleep(2000);
	for (int i = 0; i < n; i++) {
		if (ew_analyze_safe(al->an, parts[i], &at[m], &done) != 0)
			continue;
		p[m] = parts[i];
		snprintf(metas[m], sizeof(metas[m]), "done=%" PRId64, done);
		mp[m] = metas[m];
		m++;
	}
	if (ew_kafka_consumer_commit_at(al->k, p, at, mp, m) == EW_OK)
		al->uncommitted = 0;
}

static void commit_all(struct analyzer *al)
{
	int32_t parts[EW_ANALYZE_MAX_PARTS];
	int n = 0;

	for (int i = 0; i < EW_ANALYZE_MAX_PARTS; i++)
		if (al->held[i])
			parts[n++] = i;
	commit(al, parts, n);
}

static void on_assigned(void *arg, const int32_t *parts, int n)
{
	struct analyzer *al = arg;

	for (int i = 0; i < n; i++) {
		int64_t off, done = 0;
		char meta[64];

		if (parts[i] < 0 || parts[i] >= EW_ANALYZE_MAX_PARTS) {
			ew_warn("analyze: partition %d is past the %d this analyzer holds; not read",
				(int)parts[i], EW_ANALYZE_MAX_PARTS);
			continue;
		}
		if (ew_kafka_consumer_committed(al->k, parts[i], &off, meta, sizeof(meta)) == EW_OK &&
		    strncmp(meta, "done=", 5) == 0)
			done = strtoll(meta + 5, NULL, 10);
		if (ew_analyze_assign(al->an, parts[i], done) == EW_OK)
			al->held[parts[i]] = 1;
		ew_info("analyze: partition %d assigned (resuming at %" PRId64 ", alerts delivered "
			"below %" PRId64 ")", (int)parts[i], off, done);
	}
}

static void on_revoked(void *arg, const int32_t *parts, int n)
{
	struct analyzer *al = arg;

	commit(al, parts, n);
	for (int i = 0; i < n; i++) {
		if (parts[i] < 0 || parts[i] >= EW_ANALYZE_MAX_PARTS)
			continue;
		ew_analyze_revoke(al->an, parts[i]);
		al->held[parts[i]] = 0;
	}
	ew_info("analyze: %d partitions revoked", n);
}

static void on_message(void *arg, const struct ew_kafka_msg *m)
{
	char wb[300];
	struct analyzer *al = arg;
	struct ew_err err;
	int warned = 0;

	al->got++;
	al->uncommitted++;
	if (ew_flow_parse(&al->fp, m->payload, m->len, &err) != EW_OK) {
		if (al->bad++ < 10)
			ew_warn("analyze: %s skipped: %s", ew_kafka_msg_where(m, wb), err.msg);
		return;
	}
	if (m->partition >= 0 && m->partition < EW_ANALYZE_MAX_PARTS)
		al->held[m->partition] = 1;
	/* the baseline's Redis is down: wait for it (nothing past this record is committed) */
	while (ew_analyze_flow(al->an, m->partition, m->offset, &al->fp) == EW_E_IO &&
	       !ew_cmd_stop) {
		if (!warned++)
			ew_warn("analyze: %s waits for the new-edge baseline's Redis",
				ew_kafka_msg_where(m, wb));
		sleep(1);
	}
}

/* The analyze: section and the flags: brokers, topic, group, Redis. 0 or the exit code. */
static int settings(struct ew_ctx *c, const char **brokers, const char **topic,
		    const char **group, const char **redis, const char **prefix,
		    struct ew_conf_node *options)
{
	struct ew_conf_node an = c->cfg.analyze, n;

	if (ew_conf_present(an)) {
		if (ew_conf_present(n = ew_conf_get(an, "brokers")))
			*brokers = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "topic")))
			*topic = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "group")))
			*group = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "redis")))
			*redis = ew_conf_str(n);
		if (ew_conf_present(n = ew_conf_get(an, "prefix")))
			*prefix = ew_conf_str(n);
		*options = ew_conf_get(an, "options");
	}
	if (c->o.kafka)
		*brokers = c->o.kafka;
	if (c->o.redis)
		*redis = c->o.redis;
	if (*brokers == NULL) {
		ew_fatal("eastwatch analyze: no brokers: give --kafka BROKERS or analyze.brokers "
			"in the configuration\n");
		return EW_EXIT_USAGE;
	}
	c->o.kafka = NULL;   /* the brokers to read from, not a sink */
	return 0;
}

/* /metrics: what was read, raised and held, the scan trackers' tables, the sinks. */
static void render(void *arg, struct evbuffer *o)
{
	struct analyzer *al = arg;
	struct ew_analyze_stats st;

	ew_analyze_stats(al->an, &st);
	ew_metrics_one(o, "eastwatch_analyze_records_total", "counter",
		       "Flow records read from the flows topic.", al->got);
	ew_metrics_one(o, "eastwatch_analyze_unparsed_total", "counter",
		       "Records on the flows topic that were not flow records (skipped).", al->bad);
	evbuffer_add_printf(o, "# HELP eastwatch_analyze_alerts_total Alerts raised, by action.\n"
			    "# TYPE eastwatch_analyze_alerts_total counter\n"
			    "eastwatch_analyze_alerts_total{action=\"scan\"} %" PRIu64 "\n"
			    "eastwatch_analyze_alerts_total{action=\"new-edge\"} %" PRIu64 "\n",
			    st.scans, st.new_edges);
	ew_metrics_one(o, "eastwatch_analyze_not_raised_again_total", "counter",
		       "Alerts of records read again below the delivered mark, not raised again.",
		       st.quiet);
	ew_metrics_one(o, "eastwatch_analyze_partitions", "gauge",
		       "Partitions of the flows topic this analyzer holds.", st.partitions);
	evbuffer_add_printf(o, "# HELP eastwatch_table_entries Entries in a bounded table.\n"
			    "# TYPE eastwatch_table_entries gauge\n"
			    "eastwatch_table_entries{table=\"scan_sources\"} %u\n"
			    "# HELP eastwatch_table_capacity Capacity of a bounded table.\n"
			    "# TYPE eastwatch_table_capacity gauge\n"
			    "eastwatch_table_capacity{table=\"scan_sources\"} %u\n"
			    "# HELP eastwatch_table_evictions_total Entries a full table evicted.\n"
			    "# TYPE eastwatch_table_evictions_total counter\n"
			    "eastwatch_table_evictions_total{table=\"scan_sources\"} %" PRIu64 "\n",
			    st.scan.sources, st.scan.capacity, st.scan.evicted);
	ew_metrics_render_sinks(al->c->sinks, o);
}

static void report(struct analyzer *al)
{
	struct ew_analyze_stats st;

	ew_analyze_stats(al->an, &st);
	ew_info("analyze: stopped: %" PRIu64 " records read, %" PRIu64 " not flow records, %"
		PRIu64 " scan alerts, %" PRIu64 " new-edge alerts, %" PRIu64 " not raised again "
		"(delivered before)", al->got, al->bad, st.scans, st.new_edges, st.quiet);
}

static int analyze(struct ew_ctx *c, int argc, char **argv)
{
	const char *brokers = NULL, *topic = "eastwatch.flows", *group = "eastwatch-analyze",
		   *redis = NULL, *prefix = "eastwatch";
	struct ew_conf_node options = { 0 };
	struct ew_analyze_conf ac = { 0 };
	const char *maddr = c->o.metrics ? c->o.metrics : c->cfg.metrics;
	struct ew_metrics_view view = { 0 };
	struct ew_metrics *metrics = NULL;
	struct analyzer *al;
	struct ew_err err;
	uint64_t last_commit, last_tick;
	int rc;

	(void)argc;
	(void)argv;
	if ((rc = settings(c, &brokers, &topic, &group, &redis, &prefix, &options)) != 0)
		return rc;
	if ((rc = ew_ctx_sinks(c, 1)) != 0)
		return rc;
	if ((al = calloc(1, sizeof(*al))) == NULL)
		return EW_EXIT_RUNTIME;
	al->c = c;
	ac.pc = &c->cfg.pc;
	ac.pol = c->pol;
	ac.sinks = c->sinks;
	if (redis && (ac.edges = ew_estate_edges_open(redis, prefix, c->cfg.pc.edges_learn_us,
						      c->cfg.pc.edges_max, &err)) == NULL) {
		ew_fatal("eastwatch analyze: the new-edge baseline: %s\n", err.msg);
		free(al);
		return EW_EXIT_RUNTIME;
	}
	al->an = ew_analyze_new(&ac);
	if (al->an == NULL ||
	    (rc = ew_kafka_consumer_new(&al->k, brokers, topic, group, options, &err)) != EW_OK) {
		int code = al->an && rc == EW_E_INVAL ? EW_EXIT_INPUT : EW_EXIT_RUNTIME;

		ew_fatal("eastwatch analyze: %s\n", al->an ? err.msg : "out of memory");
		ew_analyze_free(al->an);
		ew_estate_edges_free(ac.edges);
		free(al);
		return code;
	}
	ew_kafka_consumer_on_rebalance(al->k, on_assigned, on_revoked, al);
	if (maddr) {   /* /metrics, served between polls */
		view.sensor = c->cfg.pc.sensor;
		view.sinks = c->sinks;
		view.start_us = ew_time_now_us();
		view.render = render;
		view.render_arg = al;
		if ((c->eb = event_base_new()) == NULL ||
		    (metrics = ew_metrics_start(c->eb, maddr, &view, &err)) == NULL) {
			ew_fatal("eastwatch analyze: metrics: %s\n", c->eb ? err.msg : "no event base");
			ew_kafka_consumer_free(al->k);
			ew_analyze_free(al->an);
			ew_estate_edges_free(ac.edges);
			free(al);
			return EW_EXIT_RUNTIME;
		}
		ew_info("metrics on http://%s/metrics", maddr);
	}
	signal(SIGINT, ew_cmd_on_stop);
	signal(SIGTERM, ew_cmd_on_stop);
	signal(SIGPIPE, SIG_IGN);   /* a file sink's reader gone: a write error, not our end */
	ew_info("eastwatch %s analyze running: topic %s, group %s, scan %s, new-edge %s, %u sinks",
		EW_VERSION, topic, group, c->cfg.pc.scan_enabled ? "on" : "off",
		ac.edges ? redis : "off (no redis)", ew_sinkset_count(c->sinks));
	last_commit = last_tick = ew_time_mono_us();
	while (!ew_cmd_stop) {
		uint64_t now;

		ew_kafka_consumer_poll(al->k, c->eb ? 50 : 100, on_message, al);
		if (c->eb)
			event_base_loop(c->eb, EVLOOP_NONBLOCK);
		now = ew_time_mono_us();
		if (now - last_tick >= 100000) {   /* quiet partitions' clocks, 10 times a second */
			ew_analyze_tick(al->an, now);
			if (now / 1000000 != last_tick / 1000000)   /* the sinks' retries, each second */
				ew_sinkset_tick(c->sinks, ew_time_now_us());
			last_tick = now;
		}
		if (al->uncommitted >= 10000 || now - last_commit >= 500000) {
			commit_all(al);
			last_commit = now;
		}
	}
	ew_info("analyze: stopping: delivering what was raised");
	ew_sinkset_flush(c->sinks, 10000);
	commit_all(al);
	report(al);
	ew_metrics_free(metrics);
	ew_kafka_consumer_free(al->k);
	ew_analyze_free(al->an);
	ew_estate_edges_free(ac.edges);
	free(al);
	return 0;
}

static const struct ew_cli_opt opts[] = {
	{ 'c', "eastwatch.yaml (analyze:, detectors:, sinks:)" },
	{ 'r', "policy directory: names the groups of edges and alerts" },
	{ 'K', "the brokers (instead of analyze.brokers)" },
	{ 'R', "the Redis of the estate's new-edge baseline (instead of analyze.redis)" },
	{ 'o', "also write the alerts as JSON lines to FILE (\"-\": stdout)" },
	{ 'S', "observer.name in scan alerts (default: config, else host name)" },
	{ 'M', "serve Prometheus /metrics, /healthz and /readyz there" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_analyze = {
	.name = "analyze",
	.summary = "cross-sensor scan and new-edge detection on the flows sensors put on Kafka",
	.synopsis = "[--config FILE] [--rules DIR] [--kafka BROKERS] [--redis ADDR] [--output FILE]\n"
		    "                         [--metrics ADDR:PORT]",
	.about = "Consume the flow records sensors put on Kafka (sinks: kafka, flows_topic; keyed by\n"
		 "source address) in a consumer group, and run the detectors that need every\n"
		 "sensor's view: scan (over all the flows one source started, whichever sensor saw\n"
		 "them) and new-edge (against the whole estate's baseline, kept in Redis: --redis or\n"
		 "analyze.redis; without one the detector is off). Their alerts go to the\n"
		 "configuration's sinks. Run several analyzers in one group to share the topic's\n"
		 "partitions; one alone raises the same alerts. Offsets are committed once the\n"
		 "alerts are delivered or spooled, and never past a scan window still open, so an\n"
		 "analyzer that dies loses nothing. Configuration:\n"
		 "  analyze: { brokers: \"k1:9092\", topic: eastwatch.flows, group: eastwatch-analyze,\n"
		 "             redis: \"127.0.0.1:6379\", prefix: eastwatch, options: { ... } }\n"
		 "  detectors: { scan: { ... }, new_edge: { learn_for: 7d, severity: medium, ... } }\n"
		 "Runs until SIGTERM or SIGINT, then delivers (or spools) what it raised and exits 0.\n",
	.opts = opts,
	.startup = 2,
	.main = analyze,
};
