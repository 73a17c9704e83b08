/* SPDX-License-Identifier: Apache-2.0 */
/* metrics - the daemon's Prometheus text endpoint (/metrics) and /healthz (SPEC §6), on
 * the daemon's own bounded HTTP server (httpd.h) in its loop.
 *
 * Everything is read when scraped from the parts that count it: the pipeline (packets,
 * records, samples, flows, verdicts, alerts by rule, throttled), every source (packets or
 * datagrams, kernel drops, errors) and, for telemetry listeners, every exporter
 * (datagrams, records, templates, sequence gaps, lost, errors, last seen), every sink
 * (alerts taken, filtered, delivered, spooled, dropped, queue depth, spool size, up), and
 * the policy in force (rules, groups, files, when loaded, reloads and refusals); with
 * workers, their sums and eastwatch_worker_* per worker (packets, kernel drops of its
 * capture lanes, flows, verdicts, findings lost to a full queue). Nothing
 * is copied on the packet path. /healthz answers 200 "ok" while the loop runs (liveness);
 * /readyz 200 "ready", or 503 with one line per reason the sensor cannot be trusted to
 * see and report everything (readiness): a sink whose last delivery failed, an
 * exporter silent past its limit, a policy reload refused (the previous policy stays). */
#ifndef EW_METRICS_H
#define EW_METRICS_H

#include <stdint.h>

#include "alerting/sink.h"
#include "analyzer/policy.h"
#include "collector/source.h"
#include "daemon/pipeline.h"
#include "daemon/workers.h"

struct event_base;
struct evbuffer;

/* What a scrape reads; the daemon keeps it current (policy pointer after a reload). */
struct ew_metrics_view {
	const char *sensor;
	const char *rules_dir;
	const char *policy_version;          /* "sha256:HEX", kept current by the daemon */
	struct ew_pipeline *p;
	const struct ew_workers *workers;    /* p's workers, or NULL: their counters are
					      * summed in, and given per worker */
	struct ew_sinkset *sinks;
	const struct ew_policy *const *pol;  /* the daemon's current-policy pointer */
	const struct ew_sourceset *srcs;     /* named "iface eth1", "ipfix 0.0.0.0:4739" */
	uint64_t start_us, policy_loaded_us, policy_reloads, policy_refused;
	const char *policy_refused_why;      /* the last reload was refused (the reason), or
					      * NULL: /readyz */
	/* A command that is no sensor (analyze) renders /metrics itself: render(arg, out)
	 * instead of ew_metrics_render; then only sinks (and srcs, when set) matter to
	 * /readyz. */
	void (*render)(void *arg, struct evbuffer *out);
	void *render_arg;
};

struct ew_metrics;

/* Listen on addr ("127.0.0.1:9464", "[::1]:9464"). NULL with err filled on failure. */
struct ew_metrics *ew_metrics_start(struct event_base *eb, const char *addr,
				    const struct ew_metrics_view *v, struct ew_err *err);
void ew_metrics_free(struct ew_metrics *m);

/* /readyz's text into out: 1 when ready, else 0 with one line per reason. */
int ew_metrics_ready(const struct ew_metrics_view *v, struct evbuffer *out);

/* Every sink's eastwatch_sink_* families into out. */
void ew_metrics_render_sinks(struct ew_sinkset *sinks, struct evbuffer *out);
/* "# HELP"/"# TYPE" and one unlabelled sample of name. */
void ew_metrics_one(struct evbuffer *out, const char *name, const char *type, const char *help,
		    uint64_t v);

/* The Prometheus text of v into out (exposed for tests). */
void ew_metrics_render(const struct ew_metrics_view *v, struct evbuffer *out);

#endif
