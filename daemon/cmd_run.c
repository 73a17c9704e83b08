/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_run - eastwatch run: the sensor daemon. Sources on the event loop feed the
 * pipeline until SIGTERM or SIGINT; SIGHUP and Redis notices (central policy, inventory)
 * swap in a new policy, or refuse it and keep the old one; /metrics when asked. */
#include "daemon/cmd.h"
#include "daemon/metrics.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <event2/event.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

struct runstate {
	struct ew_ctx *c;
	int ticks;
	struct ew_metrics_view view;
	struct ew_metrics *metrics;
	struct ew_central_watch *watch;   /* Redis notices (central policy, inventory) */
	struct ew_central_watch *watch_inv;   /* the inventory's, when in another Redis */
	struct event *inv_timer;          /* recompile once a burst of label changes settles */
	struct event *evs[6];             /* SIGTERM, SIGINT, SIGHUP, the tick, the workers'
					   * look again, their owner's wake */
	struct timeval again;             /* ew_workers_wait_ms */
	char refused_why[1024];           /* the last refused reload's reason (/readyz) */
};

/* A policy reload was refused: counted, and /readyz says why until one succeeds. */
static void note_refused(struct runstate *rs, const char *why)
{
	rs->view.policy_refused++;
	snprintf(rs->refused_why, sizeof(rs->refused_why), "%s", why);
	rs->view.policy_refused_why = rs->refused_why;
}

static void log_exporter(void *arg, const struct ew_exporter_health *h)
{
	char a[EW_ADDR_STRLEN], ts[32];

	ew_info("  exporter %s: %llu datagrams, %llu records, %llu templates, %llu sequence gaps "
		"(%llu lost), %llu undecodable, last seen %s", ew_addr_format(&h->addr, a),
		(unsigned long long)h->datagrams, (unsigned long long)h->records,
		(unsigned long long)h->templates, (unsigned long long)h->seq_gaps,
		(unsigned long long)h->lost, (unsigned long long)h->errors,
		ew_time_rfc3339(h->last_seen_us, ts));
}

/* Compile nb (the rules in force, or new ones) with the inventory in force and swap it
 * into the pipeline; a policy that does not compile is refused and the old one stays.
 * nb is taken over (freed when refused, unless it is the bundle in force). */
static int apply_policy(struct runstate *rs, struct ew_bundle *nb, const char *why)
{
	struct ew_ctx *c = rs->c;
	struct ew_err err;
	struct ew_policy *np = ew_ctx_compile(c, nb, &err);
	char change[2048], previous[80];

	snprintf(previous, sizeof(previous), "%s", c->policy_version);
	if (np == NULL) {
		ew_error("policy reload refused, the previous policy stays in force: %s (version %s, "
			 "%s)", err.msg, nb->version, why);
		note_refused(rs, err.msg);
		ew_ctx_audit(c, "policy-refused", nb->version, previous, "error", err.msg);
		if (nb != c->bundle)
			ew_bundle_free(nb);
		return -1;
	}
	ew_policy_change(c->bundle, c->pol, nb, np, change, sizeof(change));
	/* every worker judges with np before the old one goes */
	if (c->workers)
		ew_workers_set_policy(c->workers, np);
	ew_policy_free((struct ew_policy *)ew_pipeline_set_policy(c->p, np));
	c->pol = np;
	if (nb != c->bundle) {
		ew_bundle_free(c->bundle);
		c->bundle = nb;
	}
	snprintf(c->policy_version, sizeof(c->policy_version), "%s", nb->version);
	rs->view.policy_reloads++;
	rs->view.policy_refused_why = NULL;
	rs->view.policy_loaded_us = ew_time_now_us();
	ew_info("policy reloaded from %s (%s, %s)", c->policy_from, c->policy_version, why);
	if (nb->author[0])
		snprintf(change + strlen(change), sizeof(change) - strlen(change),
			 " (pushed by %s at %s)", nb->author, nb->time);
	ew_ctx_audit(c, strcmp(why, "inventory") == 0 ? "inventory-applied" : "policy-applied",
	      c->policy_version, previous, "changes", change);
	return 0;
}

static void on_inventory_timer(evutil_socket_t fd, short what, void *arg)
{
	struct runstate *rs = arg;

	(void)fd;
	(void)what;
	apply_policy(rs, rs->c->bundle, "inventory");
}

/* A label change announced on eastwatch:inventory: reload that host (or all), then
 * recompile 50 ms later (a burst of changes compiles once). */
static void on_inventory_notice(void *arg, const char *addr)
{
	struct runstate *rs = arg;
	struct ew_ctx *c = rs->c;
	struct ew_err err;
	struct timeval tv = { 0, 50000 };
	int rc;

	if (ew_ctx_redis(&c->rinv, c->cfg.inventory_redis) == NULL)
		return;
	if (strcmp(addr, "*") == 0 || addr[0] == '\0') {
		rc = ew_central_inventory(c->rinv, &c->inv, &err);
	} else {
		if (c->inv == NULL && (c->inv = ew_inventory_new()) == NULL)
			return;
		rc = ew_central_host(c->rinv, addr, c->inv, &err);
	}
	if (rc != EW_OK) {
		ew_warn("inventory: %s", err.msg);
		return;
	}
	evtimer_add(rs->inv_timer, &tv);
}

/* A policy version published on eastwatch:policy. */
static void on_policy_notice(void *arg, const char *version)
{
	struct runstate *rs = arg;
	struct ew_err err;
	struct ew_bundle *nb;

	if (strcmp(version, rs->c->policy_version) == 0)
		return;
	nb = ew_ctx_bundle(rs->c, version, &err);
	if (nb == NULL) {
		ew_error("policy %s refused, the previous policy stays in force: %s", version,
			 err.msg);
		note_refused(rs, err.msg);
		ew_ctx_audit(rs->c, "policy-refused", version, rs->c->policy_version, "error", err.msg);
		return;
	}
	apply_policy(rs, nb, "redis");
}

/* The subscription came back: what was announced meanwhile is lost, so reload. */
static void on_resync(void *arg)
{
	struct runstate *rs = arg;
	char cur[80];
	struct ew_err err;

	if (rs->c->cfg.inventory_redis)
		on_inventory_notice(rs, "*");
	if (rs->c->cfg.policy_redis && ew_ctx_redis(&rs->c->rpol, rs->c->cfg.policy_redis) &&
	    ew_central_current(rs->c->rpol, cur, &err) == EW_OK && cur[0])
		on_policy_notice(rs, cur);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct runstate *rs = arg;

	if (sig == SIGHUP) {
		struct ew_err err;
		struct ew_bundle *nb;

		ew_sinkset_reopen(rs->c->sinks);   /* logrotate */
		if (ew_ctx_inventory(rs->c, &err) != EW_OK ||
		    (nb = ew_ctx_bundle(rs->c, NULL, &err)) == NULL) {
			ew_error("policy reload refused, the previous policy stays in force: %s",
				 err.msg);
			note_refused(rs, err.msg);
			ew_ctx_audit(rs->c, "policy-refused", "-", rs->c->policy_version, "error", err.msg);
			return;
		}
		apply_policy(rs, nb, "SIGHUP");
		return;
	}
	ew_info("signal %d: ending flows, delivering alerts, exiting", (int)sig);
	event_base_loopexit(rs->c->eb, NULL);
}

/* The owner looks at its workers' rings: while they bring it work (or a message waits
 * for another worker's mark) it looks again every block timeout, as a busy sensor's
 * owner should; when a look finds nothing new it sleeps until a worker wakes it. */
static void owner_look(struct runstate *rs)
{
	struct ew_workers *w = rs->c->workers;
	uint64_t n, before = ew_workers_taken(w);

	/* a wake that comes after this is for a message this look may not see */
	if (read(ew_workers_owner_fd(w), &n, sizeof(n)) < 0) {
		/* none was owed */
	}
	ew_workers_take(w);
	if (ew_workers_owed(w) || ew_workers_taken(w) != before) {
		event_del(rs->evs[5]);
		evtimer_add(rs->evs[4], &rs->again);
	} else {
		event_add(rs->evs[5], NULL);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct runstate *rs = arg;
	struct ew_ctx *c = rs->c;

	(void)fd;
	(void)what;
	ew_sinkset_flush(c->sinks, 0);
	if (c->workers && !evtimer_pending(rs->evs[4], NULL))
		owner_look(rs);    /* the workers' marks, at least (they fill the rings) */
	/* packets move the deadlines on; with none coming, this does, every 200 ms (no
	 * deadline passes while a packet that would meet it waits in a block) */
	ew_pipeline_tick(c->p, ew_time_now_us() - ew_sourceset_lag_us(c->srcs));
	if (++rs->ticks % 5 == 0) {
		uint64_t now = ew_time_now_us();

		ew_sourceset_tick(c->srcs, now);
		ew_sinkset_tick(c->sinks, now);
	}
}

/* The owner takes the workers' findings when one of them sent something other than
 * marks (it writes the owner's eventfd), then every ew_workers_wait_ms (the capture's
 * block timeout, 5 ms at least) for as long as there is work, and at every tick: an
 * alert leaves within judge_within plus the block timeout (the daemon's clock lags by
 * it) plus an idle worker's wait plus this. At low rates the owner sleeps instead of
 * waking every block timeout to find marks only. */
static void on_take(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	owner_look(arg);
}

static int start_metrics(struct runstate *rs)
{
	struct ew_ctx *c = rs->c;
	const char *addr = c->o.metrics ? c->o.metrics : c->cfg.metrics;
	struct ew_err err;

	if (addr == NULL)
		return 0;
	rs->view.sensor = c->cfg.pc.sensor;
	rs->view.rules_dir = c->policy_from;
	rs->view.policy_version = c->policy_version;
	rs->view.p = c->p;
	rs->view.workers = c->workers;
	rs->view.sinks = c->sinks;
	rs->view.pol = (const struct ew_policy *const *)&c->pol;
	rs->view.srcs = c->srcs;
	rs->view.start_us = rs->view.policy_loaded_us = ew_time_now_us();
	rs->metrics = ew_metrics_start(c->eb, addr, &rs->view, &err);
	if (rs->metrics == NULL) {
		ew_fatal("eastwatch: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	ew_info("metrics on http://%s/metrics", addr);
	return 0;
}

/* Redis notices: one subscription per Redis server, policy notices from the policy's,
 * label notices from the inventory's. */
static int start_watch(struct runstate *rs)
{
	struct ew_ctx *c = rs->c;
	struct ew_central_cb cb = { on_inventory_notice, on_policy_notice, on_resync, rs };
	const char *addr = c->cfg.policy_redis ? c->cfg.policy_redis : c->cfg.inventory_redis;
	int two = c->cfg.policy_redis && c->cfg.inventory_redis &&
		  strcmp(c->cfg.policy_redis, c->cfg.inventory_redis) != 0;
	struct ew_err err;

	if (addr == NULL)
		return 0;
	rs->inv_timer = evtimer_new(c->eb, on_inventory_timer, rs);
	rs->watch = ew_central_watch_start(c->eb, addr, c->cfg.inventory_redis != NULL && !two,
					   c->cfg.policy_redis != NULL, &cb, &err);
	if (rs->watch && two &&
	    (rs->watch_inv = ew_central_watch_start(c->eb, c->cfg.inventory_redis, 1, 0, &cb,
						    &err)) == NULL) {
		ew_central_watch_free(rs->watch);
		rs->watch = NULL;
	}
	if (rs->watch == NULL || rs->inv_timer == NULL) {
		ew_fatal("eastwatch: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	return 0;
}

static void stopped(struct ew_ctx *c)
{
	struct ew_pipeline_stats st;

	ew_ctx_stats(c, &st);
	ew_info("stopped: %llu packets, %llu flow records, %llu sFlow samples, %llu flows, "
		"%llu alerts (%llu throttled)", (unsigned long long)st.packets,
		(unsigned long long)st.records, (unsigned long long)st.samples,
		(unsigned long long)st.flows, (unsigned long long)st.alerts,
		(unsigned long long)st.throttled);
	for (uint32_t i = 0; i < ew_sourceset_count(c->srcs); i++) {
		struct ew_source_stats ss;
		int listener = (ew_sourceset_caps(c->srcs, i) & EW_SOURCE_EXPORTERS) != 0;

		ew_sourceset_stats(c->srcs, i, &ss);
		ew_info("  %s: %llu %s, %llu dropped by the kernel, %llu errors",
			ew_sourceset_name(c->srcs, i), (unsigned long long)ss.packets,
			listener ? "datagrams" : "packets", (unsigned long long)ss.kernel_drops,
			(unsigned long long)ss.errors);
		ew_sourceset_exporters(c->srcs, i, log_exporter, NULL);
	}
	for (unsigned w = 0; c->workers && w < ew_workers_count(c->workers); w++) {
		struct ew_pipeline_stats ws;
		uint64_t drops = 0;

		ew_workers_stats(c->workers, w, &ws);
		for (uint32_t i = 0; i < ew_sourceset_count(c->srcs); i++) {
			struct ew_source_stats ls;

			if (ew_sourceset_lane_stats(c->srcs, i, w, &ls))
				drops += ls.kernel_drops;
		}
		ew_info("  worker %u: %llu packets, %llu dropped by the kernel, %llu flows, %llu "
			"judged, %llu findings lost to a full queue, %llu telemetry records judged "
			"unrouted, %.2f s of CPU", w, (unsigned long long)ws.packets,
			(unsigned long long)drops, (unsigned long long)ws.flows,
			(unsigned long long)ws.judged, (unsigned long long)ws.queue_full,
			(unsigned long long)ws.unrouted, ew_workers_cpu_us(c->workers, w) / 1e6);
	}
}

static int run(struct ew_ctx *c, int argc, char **argv)
{
	struct runstate rs = { .c = c };
	const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct timeval tick = { 0, 200000 };
	int rc;

	(void)argc;
	(void)argv;
	if (c->o.nifaces == 0 && c->o.nlisten == 0 && c->cfg.nsrc == 0) {
		ew_fatal("eastwatch run: no source: give --iface IF, --ipfix, --netflow or "
			"--sflow ADDR:PORT, or sources: in the configuration\n");
		return EW_EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);   /* a file sink's reader gone: a write error, not our end */
	if ((rc = ew_ctx_service_user(c)) != 0)
		return rc;
	if ((c->eb = event_base_new()) == NULL)
		return EW_EXIT_RUNTIME;
	if ((rc = ew_ctx_sinks(c, 1)) != 0 || (rc = ew_ctx_pipeline(c, &c->cfg.pc)) != 0 ||
	    (rc = ew_ctx_workers(c, 0)) != 0 || (rc = ew_ctx_sources(c, 0)) != 0 ||
	    (rc = start_metrics(&rs)) != 0)
		goto out;
	if (ew_ctx_drop_privileges(c) != 0) {
		rc = EW_EXIT_RUNTIME;
		goto out;
	}
	ew_sourceset_run(c->srcs);
	for (int i = 0; i < 3; i++) {
		rs.evs[i] = evsignal_new(c->eb, sigs[i], on_signal, &rs);
		event_add(rs.evs[i], NULL);
	}
	rs.evs[3] = event_new(c->eb, -1, EV_PERSIST, on_tick, &rs);
	event_add(rs.evs[3], &tick);
	if (c->workers) {
		struct ew_err err;

		if (ew_workers_start(c->workers, c->srcs, &err) != EW_OK) {
			ew_fatal("eastwatch: %s\n", err.msg);
			rc = EW_EXIT_RUNTIME;
			goto out;
		}
		rs.again.tv_sec = ew_workers_wait_ms(c->workers) / 1000;
		rs.again.tv_usec = ew_workers_wait_ms(c->workers) % 1000 * 1000;
		rs.evs[4] = evtimer_new(c->eb, on_take, &rs);
		rs.evs[5] = event_new(c->eb, ew_workers_owner_fd(c->workers), EV_READ | EV_PERSIST,
				      on_take, &rs);
		event_add(rs.evs[5], NULL);
	}
	if ((rc = start_watch(&rs)) != 0)
		goto out;
	ew_info("eastwatch %s running: sensor %s, policy %s (%s)", EW_VERSION, c->cfg.pc.sensor,
		c->policy_from, c->policy_version);
	if (ew_sourceset_can(c->srcs, EW_SOURCE_LIVE))
		event_base_dispatch(c->eb);
	if (c->workers)
		ew_workers_end(c->workers);   /* each ends its flows; their findings taken */
	ew_pipeline_finish(c->p);
	ew_sinkset_flush(c->sinks, 10000);
	stopped(c);
out:
	ew_central_watch_free(rs.watch);
	ew_central_watch_free(rs.watch_inv);
	if (rs.inv_timer)
		event_free(rs.inv_timer);
	ew_metrics_free(rs.metrics);
	for (int i = 0; i < 6; i++)
		if (rs.evs[i])
			event_free(rs.evs[i]);
	return rc;
}

static const struct ew_cli_opt opts[] = {
	{ 'c', "eastwatch.yaml" },
	{ 'r', "policy directory" },
	{ 'i', "capture on interface IF (repeatable)" },
	{ 'f', "libpcap filter for the --iface interfaces" },
	{ 'I', "receive IPFIX, NetFlow v9 and v5 (one port takes all three)" },
	{ 'N', "the same (a second port, for exporters set up that way)" },
	{ 's', "receive sFlow v5 ([::]:6343 takes IPv4 and IPv6)" },
	{ 'o', "write alerts as JSON lines to FILE" },
	{ 'K', "send alerts to Kafka (host:port,...; topic eastwatch.alerts)" },
	{ 'M', "serve Prometheus /metrics and /healthz there" },
	{ 'F', "write every flow record with its verdict as JSON lines" },
	{ 'S', "observer.name in alerts" },
	{ 'u', "drop root to USER after opening captures (default: nobody when\n"
	       "started as root; 'root' keeps root)" },
	{ 'L', "text (default) or json" },
	{ 'W', "judge with N worker threads: each --iface split by the kernel,\n"
	       "each listener a socket per worker (default: the CPUs this process\n"
	       "may use, at most 32, with an interface to capture; else 1)" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_run = {
	.name = "run",
	.summary = "the sensor daemon: live interfaces, until SIGTERM/SIGINT",
	.synopsis = "[--config FILE] [--rules DIR] [--iface IF]... [--filter BPF]\n"
		    "                     [--ipfix ADDR:PORT] [--netflow ADDR:PORT] [--sflow ADDR:PORT]\n"
		    "                     [--output FILE] [--kafka BROKERS] [--metrics ADDR:PORT]\n"
		    "                     [--flows FILE] [--sensor NAME] [--user USER] [--workers N]",
	.about = "The sensor daemon. Captures on every --iface, collects flow telemetry on every\n"
		 "listener (and the config's sources: interfaces, listeners, flow-log files and\n"
		 "directories), judges every flow and sends alerts to the sinks (stdout when none is\n"
		 "configured). Runs until SIGTERM or SIGINT, then ends open flows, delivers every\n"
		 "alert and exits 0. SIGHUP reloads the policy; a bad new policy is reported and the\n"
		 "old one stays in force.\n",
	.opts = opts,
	.startup = 2,
	.main = run,
};
