/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_learn - eastwatch learn: traffic observed (files, or live sources for a while)
 * through a pipeline that permits everything, and the allowed-flow map that permits
 * exactly what was seen proposed in the rules.d format; --diff simulates a policy
 * change on the observed flows. */
#include "daemon/cmd.h"
#include "analyzer/learn.h"
#include "alerting/consume_kafka.h"
#include "alerting/flow_parse.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct learning {
	struct ew_learn *l;
	struct ew_policy_opts po;
	struct ew_policy *existing, *after;   /* --rules, --diff */
	struct ew_bundle *b_existing, *b_after;
	char from[512];                       /* what was observed, for the proposal */
};

static void learn_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopexit(arg, NULL);
}

/* A policy directory loaded (--rules, --diff). 0 or -1 (the message printed). */
static int load_dir(struct learning *lr, const char *dir, struct ew_bundle **b,
		    struct ew_policy **pol)
{
	struct ew_err err;

	if ((*b = ew_bundle_from_dir(dir, NULL, &err)) == NULL ||
	    (*pol = ew_bundle_load(*b, &lr->po, &err)) == NULL) {
		ew_fatal("%s\n", err.msg);
		return -1;
	}
	return 0;
}

/* The proposal compiled (for --diff without --rules): written to memory and loaded. */
static struct ew_policy *proposal_policy(struct learning *lr, struct ew_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct ew_policy *p;

	if (m == NULL) {
		ew_err_set(err, "learn: out of memory");
		return NULL;
	}
	ew_learn_write_policy(lr->l, m, "the observed traffic");
	fclose(m);
	p = ew_policy_load_mem("(proposal)", buf, len, &lr->po, err);
	free(buf);
	return p;
}

/* Live sources for for_us (SIGINT or SIGTERM ends it sooner). */
static int observe_live(struct ew_ctx *c, struct learning *lr, uint64_t for_us)
{
	struct event *stop = NULL, *sig[2] = { NULL, NULL };
	struct timeval tv = { (time_t)(for_us / 1000000), (suseconds_t)(for_us % 1000000) };
	int rc;

	if ((c->eb = event_base_new()) == NULL)
		return EW_EXIT_RUNTIME;
	rc = ew_ctx_sources(c, 1);   /* learn observes what its command line names */
	if (rc == 0) {
		stop = evtimer_new(c->eb, learn_stop, c->eb);
		evtimer_add(stop, &tv);
		sig[0] = evsignal_new(c->eb, SIGINT, learn_stop, c->eb);
		sig[1] = evsignal_new(c->eb, SIGTERM, learn_stop, c->eb);
		event_add(sig[0], NULL);
		event_add(sig[1], NULL);
		ew_info("learning from live sources for %s", c->o.learn_for);
		event_base_dispatch(c->eb);
		snprintf(lr->from, sizeof(lr->from), "live sources over %s", c->o.learn_for);
	}
	ew_sourceset_free(c->srcs);
	c->srcs = NULL;
	for (int i = 0; i < 2; i++)
		if (sig[i])
			event_free(sig[i]);
	if (stop)
		event_free(stop);
	return rc;
}

struct kafka_learning {
	struct ew_ctx *c;
	struct learning *lr;
	struct ew_flow_parsed fp;
	uint64_t read, bad;
};

static void on_flow_record(void *arg, const struct ew_kafka_msg *m)
{
	char wb[300];
	struct kafka_learning *kl = arg;
	struct ew_err err;

	kl->read++;
	if (ew_flow_parse(&kl->fp, m->payload, m->len, &err) != EW_OK) {
		if (kl->bad++ < 10)
			ew_warn("learn: %s skipped: %s", ew_kafka_msg_where(m, wb), err.msg);
		return;
	}
	ew_classify_set_name(kl->c->cls, &kl->fp.f, kl->fp.app);
	ew_learn_flow(kl->lr->l, &kl->fp.f, 1);
}

/* The flow records every sensor put on Kafka (--kafka: analyze.topic, default
 * eastwatch.flows), from the oldest the topic keeps, for for_us (SIGINT or SIGTERM ends
 * it sooner). A group of its own that commits nothing: other readers are not disturbed. */
static int observe_kafka(struct ew_ctx *c, struct learning *lr, uint64_t for_us)
{
	struct ew_conf_node an = c->cfg.analyze, n, options = { 0 };
	const char *topic = "eastwatch.flows";
	struct kafka_learning *kl = calloc(1, sizeof(*kl));
	struct ew_kafka_consumer *k;
	struct ew_err err;
	char group[400];
	uint64_t until;
	int rc;

	if (kl == NULL)
		return EW_EXIT_RUNTIME;
	if (ew_conf_present(an)) {
		if (ew_conf_present(n = ew_conf_get(an, "topic")))
			topic = ew_conf_str(n);
		options = ew_conf_get(an, "options");
	}
	snprintf(group, sizeof(group), "eastwatch-learn-%s-%ld-%llu", c->hostname, (long)getpid(),
		 (unsigned long long)ew_time_now_us());
	if ((rc = ew_kafka_consumer_new(&k, c->o.kafka, topic, group, options, &err)) != EW_OK) {
		ew_fatal("eastwatch learn: %s\n", err.msg);
		free(kl);
		return rc == EW_E_INVAL ? EW_EXIT_INPUT : EW_EXIT_RUNTIME;
	}
	kl->c = c;
	kl->lr = lr;
	ew_info("learning from Kafka %s, topic %s, for %s", c->o.kafka, topic, c->o.learn_for);
	until = ew_time_mono_us() + for_us;
	while (!ew_cmd_stop && ew_time_mono_us() < until)
		ew_kafka_consumer_poll(k, 100, on_flow_record, kl);
	snprintf(lr->from, sizeof(lr->from), "%llu flow records from Kafka topic %s over %s",
		 (unsigned long long)(kl->read - kl->bad), topic, c->o.learn_for);
	if (kl->bad)
		ew_warn("learn: %llu records on %s were not flow records",
			(unsigned long long)kl->bad, topic);
	ew_kafka_consumer_free(k);
	free(kl);
	return 0;
}

/* The proposal (--output or stdout, unless only --diff is asked), the graph, the diff. */
static int write_results(struct ew_ctx *c, struct learning *lr)
{
	struct ew_err err;
	struct ew_policy *before;

	if (c->o.output || !c->o.diff) {
		FILE *out = c->o.output ? fopen(c->o.output, "w") : stdout;

		if (out == NULL || ew_learn_write_policy(lr->l, out, lr->from) != EW_OK) {
			ew_fatal("eastwatch learn: cannot write %s\n",
				c->o.output ? c->o.output : "the proposal");
			if (out && out != stdout)
				fclose(out);
			return EW_EXIT_RUNTIME;
		}
		if (out != stdout)
			fclose(out);
	}
	if (c->o.graph) {
		FILE *g = fopen(c->o.graph, "w");

		if (g == NULL || ew_learn_write_graph(lr->l, g) != EW_OK) {
			ew_fatal("eastwatch learn: cannot write %s\n", c->o.graph);
			if (g)
				fclose(g);
			return EW_EXIT_RUNTIME;
		}
		fclose(g);
	}
	if (c->o.diff) {
		before = lr->existing ? lr->existing : proposal_policy(lr, &err);
		if (before == NULL) {
			ew_fatal("eastwatch learn: the proposal does not compile: %s\n", err.msg);
			return EW_EXIT_RUNTIME;
		}
		ew_learn_diff(lr->l, before,
			      lr->existing ? c->o.rules : "the proposal (what was observed)",
			      lr->after, c->o.diff, stdout);
		if (before != lr->existing)
			ew_policy_free(before);
	}
	return 0;
}

static int learn_with(struct ew_ctx *c, struct learning *lr, int argc, char **argv,
		      uint64_t for_us)
{
	struct ew_learn_conf lc = { 0 };
	struct ew_pipeline_conf pc;
	struct ew_learn_stats ls;
	struct ew_err err;
	int rc;

	if (ew_ctx_inventory(c, &err) != EW_OK) {
		ew_fatal("%s\n", err.msg);
		return EW_EXIT_INPUT;
	}
	lr->po = ew_ctx_policy_opts(c);
	/* an existing policy names the hosts; --diff's is judged beside it */
	if ((c->o.rules && load_dir(lr, c->o.rules, &lr->b_existing, &lr->existing) != 0) ||
	    (c->o.diff && load_dir(lr, c->o.diff, &lr->b_after, &lr->after) != 0))
		return EW_EXIT_INPUT;
	c->pol = ew_policy_load_mem("(learn)", "default: { action: allow }\n", 27, &lr->po, &err);
	lc.groups_from = lr->existing;
	lc.inv = c->inv;
	lr->l = ew_learn_new(&lc, c->cls);
	c->sinks = ew_sinkset_new(c->cfg.pc.sensor, NULL);
	pc = c->cfg.pc;
	pc.scan_enabled = 0;
	pc.edges_path = NULL;
	memset(pc.risk_sev, EW_RISK_OFF, sizeof(pc.risk_sev));
	pc.flow_fn = ew_learn_flow;
	pc.flow_arg = lr->l;
	if (c->pol == NULL || lr->l == NULL || c->sinks == NULL || ew_ctx_pipeline(c, &pc) != 0) {
		ew_fatal("eastwatch learn: cannot start\n");
		return EW_EXIT_RUNTIME;
	}
	signal(SIGINT, ew_cmd_on_stop);
	signal(SIGTERM, ew_cmd_on_stop);
	rc = c->o.kafka ? observe_kafka(c, lr, for_us) : for_us ? observe_live(c, lr, for_us)
		    : ew_ctx_read_files(c, argv + optind, argc - optind, NULL, &ew_cmd_stop,
					lr->from, sizeof(lr->from));
	if (rc != 0)
		return rc == EW_EXIT_USAGE ? EW_EXIT_INPUT : rc;
	ew_pipeline_finish(c->p);
	if ((rc = write_results(c, lr)) != 0)
		return rc;
	ew_learn_stats(lr->l, &ls);
	if (!c->o.quiet)
		ew_say(EW_LOG_INFO, "eastwatch learn: %llu flows, %llu distinct flows between %llu hosts"
			"%s\n", (unsigned long long)ls.flows, (unsigned long long)ls.edges,
			(unsigned long long)ls.hosts, ls.dropped ? " (table full: some not recorded)" : "");
	return 0;
}

static int learn(struct ew_ctx *c, int argc, char **argv)
{
	struct learning lr;
	uint64_t for_us = 0;
	int nop = argc - optind, rc;

	if (c->o.learn_for && (ew_duration_parse(c->o.learn_for, &for_us) != 0 || for_us == 0)) {
		ew_fatal("eastwatch learn: bad --for \"%s\" (e.g. 90s, 10m, 1h)\n",
			c->o.learn_for);
		return EW_EXIT_USAGE;
	}
	if ((nop == 0) == (for_us == 0) ||
	    (for_us && c->o.nifaces + c->o.nlisten == 0 && c->o.kafka == NULL) ||
	    (c->o.kafka && (nop || c->o.nifaces + c->o.nlisten))) {
		ew_fatal("eastwatch learn: give capture files, or --for DURATION with live "
			"sources (--iface, --ipfix, --netflow, --sflow) or with --kafka BROKERS\n");
		ew_cli_help(&ew_cmd_learn, stderr);
		return EW_EXIT_USAGE;
	}
	memset(&lr, 0, sizeof(lr));
	rc = learn_with(c, &lr, argc, argv, for_us);
	ew_sourceset_free(c->srcs);   /* the pipeline (and the learner it feeds) go first */
	c->srcs = NULL;
	ew_pipeline_free(c->p);
	c->p = NULL;
	ew_learn_free(lr.l);
	ew_policy_free(lr.existing);
	ew_policy_free(lr.after);
	ew_bundle_free(lr.b_existing);
	ew_bundle_free(lr.b_after);
	return rc;
}

static const struct ew_cli_opt opts[] = {
	{ 'c', "eastwatch.yaml (inventory, sources)" },
	{ 'r', "an existing policy: its groups name hosts, and the proposal\n"
	       "is written to join that directory (no groups, no default)" },
	{ 'o', "write the proposal to FILE (default: stdout)" },
	{ 'G', "also write the flow map as Graphviz (dot -Tsvg FILE)" },
	{ 'D', "policy simulation: judge the observed flows by the policy in\n"
	       "DIR and by --rules (or by the proposal) and print the flows\n"
	       "DIR would newly deny or newly allow" },
	{ 'T', "observe live sources for this long (SIGINT ends it sooner)" },
	{ 'i', "capture on IF" },
	{ 'I', "receive IPFIX, NetFlow v9 and v5" },
	{ 'N', "the same (a second port)" },
	{ 's', "receive sFlow v5" },
	{ 'K', "read the flow records sensors put on Kafka (analyze.topic,\n"
	       "default eastwatch.flows) from the oldest kept, for --for" },
	{ 'f', "libpcap filter" },
	{ 'q', "no summary on stderr" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_learn = {
	.name = "learn",
	.summary = "observe traffic and propose the allowed-flow map (rules.d YAML)",
	.synopsis = "[--config FILE] [--rules DIR] [--output FILE] [--graph FILE.dot]\n"
		    "                       [--diff DIR] FILE...\n"
		    "       eastwatch learn --for DURATION [--iface IF]... [--ipfix|--netflow|--sflow ADDR:PORT]\n"
		    "                       [--config FILE] [--rules DIR] [--output FILE] [--graph FILE.dot]\n"
		    "       eastwatch learn --kafka BROKERS --for DURATION [--config FILE] [--rules DIR]\n"
		    "                       [--output FILE] [--graph FILE.dot] [--diff DIR]",
	.about = "Observe traffic (capture files and flow logs, or live sources for DURATION such as\n"
		 "10m) and propose an allowed-flow map in the rules.d format that permits exactly\n"
		 "what was seen: hosts grouped by the groups of --rules, else the inventory's role\n"
		 "label, else their /24 or /64; services by responder port (client ports ignored),\n"
		 "with the applications DPI named; each rule commented with its evidence (flows,\n"
		 "bytes, first and last seen). With --kafka, what every sensor saw: the flow records\n"
		 "sensors put on the flows topic (sinks: kafka, flows_topic).\n",
	.opts = opts,
	.max_operands = 1 << 30,
	.startup = 1,
	.main = learn,
};
