/* SPDX-License-Identifier: Apache-2.0 */
/* metrics - see metrics.h. */
#include "daemon/metrics.h"
#include "daemon/httpd.h"
#include "alerting/throttle_redis.h"
#include "core/ew_time.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ew_metrics {
	struct ew_httpd *http;
	const struct ew_metrics_view *v;
};

/* A label value with \, " and line breaks escaped (Prometheus text format). */
static const char *esc(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; s && *s && n + 3 < cap; s++) {
		if (*s == '\\' || *s == '"') {
			out[n++] = '\\';
			out[n++] = *s;
		} else if (*s == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *s;
		}
	}
	out[n] = 0;
	return out;
}

static void head(struct evbuffer *o, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void ew_metrics_one(struct evbuffer *o, const char *name, const char *type, const char *help,
		    uint64_t v)
{
	head(o, name, type, help);
	evbuffer_add_printf(o, "%s %llu\n", name, (unsigned long long)v);
}

struct rule_ctx {
	struct evbuffer *o;
};

static void rule_line(void *arg, const char *rule, uint64_t n)
{
	struct rule_ctx *rc = arg;
	char e[256];

	evbuffer_add_printf(rc->o, "eastwatch_alerts_by_rule_total{rule=\"%s\"} %llu\n",
			    esc(rule, e, sizeof(e)), (unsigned long long)n);
}

/* Per-exporter series: name, help; in the order of exp_line's values. */
static const char *const exp_names[][2] = {
	{ "eastwatch_exporter_datagrams_total", "Datagrams from an exporter." },
	{ "eastwatch_exporter_records_total", "Flow records or samples from an exporter." },
	{ "eastwatch_exporter_templates_total", "Templates an exporter sent." },
	{ "eastwatch_exporter_sequence_gaps_total", "Sequence gaps in an exporter's stream." },
	{ "eastwatch_exporter_lost_total", "Records or datagrams lost, by the sequence numbers." },
	{ "eastwatch_exporter_errors_total", "Undecodable datagrams from an exporter." },
	{ "eastwatch_exporter_templates_refused_total",
	  "Templates of an exporter the full template table refused." },
	{ "eastwatch_exporter_templates_evicted_total",
	  "Templates of an exporter dropped to make room for another exporter's." },
	{ "eastwatch_exporter_last_seen_seconds", "When an exporter was last heard (Unix time)." },
	{ "eastwatch_exporter_silent", "1 while an exporter is silent past its limit." },
};

/* sFlow interface counter series, in the order of ifc_line's values: counters end in
 * _total, in base units (bytes; the speed in bytes per second, as node_exporter's
 * node_network_speed_bytes). */
static const char *const ifc_names[] = { "eastwatch_sflow_if_in_bytes_total",
	"eastwatch_sflow_if_out_bytes_total", "eastwatch_sflow_if_in_ucast_packets_total",
	"eastwatch_sflow_if_out_ucast_packets_total", "eastwatch_sflow_if_in_errors_total",
	"eastwatch_sflow_if_out_errors_total", "eastwatch_sflow_if_in_discards_total",
	"eastwatch_sflow_if_out_discards_total", "eastwatch_sflow_if_speed_bytes" };

struct exp_ctx {
	struct evbuffer *o;
	const char *src;
	int field;
};

static void exp_line(void *arg, const struct ew_exporter_health *h)
{
	struct exp_ctx *x = arg;
	char a[EW_ADDR_STRLEN], e[320];
	uint64_t v[] = { h->datagrams, h->records, h->templates, h->seq_gaps, h->lost, h->errors,
			 h->templates_refused, h->templates_evicted, h->last_seen_us / 1000000,
			 h->silent };

	evbuffer_add_printf(x->o, "%s{source=\"%s\",exporter=\"%s\"} %llu\n", exp_names[x->field][0],
			    esc(x->src, e, sizeof(e)), ew_addr_format(&h->addr, a),
			    (unsigned long long)v[x->field]);
}

struct ifc_ctx {
	struct evbuffer *o;
	int field;
};

static void ifc_line(void *arg, const struct ew_sflow_counters *c)
{
	struct ifc_ctx *x = arg;
	uint64_t val[] = { c->in_octets, c->out_octets, c->in_ucast, c->out_ucast, c->in_errors,
			   c->out_errors, c->in_discards, c->out_discards, c->if_speed_bps / 8 };
	char a[EW_ADDR_STRLEN];

	evbuffer_add_printf(x->o, "%s{agent=\"%s\",sub_agent=\"%u\",ifindex=\"%u\"} %llu\n",
			    ifc_names[x->field], ew_addr_format(&c->agent, a), c->sub_agent, c->if_index,
			    (unsigned long long)val[x->field]);
}

/* Per worker: its share of the packets (and of the kernel's drops), flows, verdicts. */
static void worker_lines(const struct ew_metrics_view *v, struct evbuffer *o)
{
	static const struct { const char *name, *help; } m[] = {
		{ "eastwatch_worker_packets_total", "Packets a worker took." },
		{ "eastwatch_worker_kernel_drops_total",
		  "Packets the kernel dropped in a worker's capture lanes." },
		{ "eastwatch_worker_flows_total", "Flows a worker saw." },
		{ "eastwatch_worker_flows_judged_total", "Flows a worker judged." },
		{ "eastwatch_worker_violations_total", "Flows a worker found the policy denies." },
		{ "eastwatch_worker_queue_lost_total",
		  "Findings a worker lost to a full queue to the owner (never waited for)." },
		{ "eastwatch_worker_telemetry_unrouted_total",
		  "Telemetry records a worker judged itself, the worker of their flow being too "
		  "busy to take them (their other direction may go unpaired)." },
	};
	unsigned n = ew_workers_count(v->workers);

	ew_metrics_one(o, "eastwatch_workers", "gauge", "Worker threads judging packets.", n);
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		head(o, m[k].name, "counter", m[k].help);
		for (unsigned i = 0; i < n; i++) {
			struct ew_pipeline_stats w;
			uint64_t x = 0;

			ew_workers_stats(v->workers, i, &w);
			if (k == 1) {
				for (uint32_t s = 0; s < ew_sourceset_count(v->srcs); s++) {
					struct ew_source_stats ls;

					if (ew_sourceset_lane_stats(v->srcs, s, i, &ls))
						x += ls.kernel_drops;
				}
			} else {
				x = k == 0 ? w.packets : k == 2 ? w.flows : k == 3 ? w.judged :
				    k == 4 ? w.violations : k == 5 ? w.queue_full : w.unrouted;
			}
			evbuffer_add_printf(o, "%s{worker=\"%u\"} %llu\n", m[k].name, i,
					    (unsigned long long)x);
		}
	}
}

/* How full each bounded table is, with its capacity and evictions, one family for all
 * (eastwatch_table_{entries,capacity,evictions_total}{table=...}): flows, scan sources,
 * throttle keys, flows waiting to be judged, export records waiting for their other
 * direction, each listener's exporters, each sink's spool (bytes). */
static void table_lines(const struct ew_metrics_view *v, struct evbuffer *o,
			const struct ew_pipeline_stats *ps, const struct ew_flowtab_stats *fs,
			uint32_t flows_max)
{
	static const char *const fam[3][3] = {
		{ "eastwatch_table_entries", "gauge", "Entries in a bounded table now." },
		{ "eastwatch_table_capacity", "gauge", "Entries a bounded table holds at most." },
		{ "eastwatch_table_evictions_total", "counter",
		  "Entries evicted from a full bounded table (spool: alerts dropped)." },
	};
	char e[512], e2[512];

	for (int f = 0; f < 3; f++) {
		const uint64_t fixed[5][3] = {
			{ fs->live, flows_max, fs->evicted },
			{ ps->scan_sources, ps->scan_capacity, ps->scan_evicted },
			{ ps->throttle_keys, ps->throttle_capacity, ps->throttle_evicted },
			{ ps->pending, ps->pending_capacity, ps->pending_early },
			{ ps->pairing, ps->pairing_capacity, ps->pairing_evicted },
		};
		static const char *const names[5] = { "flows", "scan_sources", "throttle_keys",
						      "judge_pending", "pairing" };

		head(o, fam[f][0], fam[f][1], fam[f][2]);
		for (int t = 0; t < 5; t++)
			if (fixed[t][1])
				evbuffer_add_printf(o, "%s{table=\"%s\"} %llu\n", fam[f][0], names[t],
						    (unsigned long long)fixed[t][f]);
		for (uint32_t i = 0; i < ew_sourceset_count(v->srcs); i++) {
			struct ew_source_stats ss;

			ew_sourceset_stats(v->srcs, i, &ss);
			const uint64_t x[2][3] = {
				{ ss.exporters, ss.exporters_capacity, ss.exporters_evicted },
				{ ss.templates, ss.templates_capacity, ss.templates_evicted },
			};

			for (int t = 0; t < 2; t++)
				if (x[t][1])
					evbuffer_add_printf(o, "%s{table=\"%s\",source=\"%s\"} %llu\n",
							    fam[f][0], t ? "templates" : "exporters",
							    esc(ew_sourceset_name(v->srcs, i), e,
								sizeof(e)),
							    (unsigned long long)x[t][f]);
		}
		for (uint32_t i = 0; i < ew_sinkset_count(v->sinks); i++) {
			struct ew_sink_stats st;
			uint64_t x[3];

			ew_sinkset_stats(v->sinks, i, &st);
			x[0] = st.spool_bytes;
			x[1] = st.spool_max_bytes;
			x[2] = st.dropped;
			if (st.spool_max_bytes)
				evbuffer_add_printf(o, "%s{table=\"spool_bytes\",sink=\"%s\"} %llu\n",
						    fam[f][0], esc(st.name, e2, sizeof(e2)),
						    (unsigned long long)x[f]);
		}
	}
}

/* Every sink's counters (eastwatch_sink_*), for the sensor and for analyze. */
void ew_metrics_render_sinks(struct ew_sinkset *sinks, struct evbuffer *o)
{
	static const char *const kn[] = { "eastwatch_sink_alerts_total",
		"eastwatch_sink_filtered_total", "eastwatch_sink_rejected_total",
		"eastwatch_sink_delivered_total", "eastwatch_sink_spooled_total",
		"eastwatch_sink_dropped_total", "eastwatch_sink_failed_attempts_total",
		"eastwatch_sink_queue_depth", "eastwatch_sink_spool_records",
		"eastwatch_sink_spool_bytes", "eastwatch_sink_up" };
	static const char *const kh[] = { "Alerts handed to a sink.",
		"Alerts a sink did not take (min_severity, notify_only).",
		"Alerts a sink refused at once (formatting, full).",
		"Alerts a receiver confirmed (file: written).",
		"Alerts written to a sink's spool.",
		"Alerts lost because a sink's spool was full.",
		"Delivery attempts that failed (retried with backoff).",
		"Alerts waiting in a sink's memory queue.",
		"Alerts waiting in a sink's spool.", "Size of a sink's spool file.",
		"1 if a sink's last delivery attempt succeeded." };
	uint32_t ns = ew_sinkset_count(sinks);
	char e[512];

	for (int f = 0; f < 11; f++) {
		head(o, kn[f], f < 7 ? "counter" : "gauge", kh[f]);
		for (uint32_t i = 0; i < ns; i++) {
			struct ew_sink_stats st;
			uint64_t x[11];

			ew_sinkset_stats(sinks, i, &st);
			x[0] = st.emitted + st.failed;
			x[1] = st.filtered;
			x[2] = st.failed;
			x[3] = st.has_queue ? st.sent : st.emitted;
			x[4] = st.spooled;
			x[5] = st.dropped;
			x[6] = st.failed_attempts;
			x[7] = st.queued;
			x[8] = st.spool_records;
			x[9] = st.spool_bytes;
			x[10] = st.has_queue ? (uint64_t)st.up : 1;
			evbuffer_add_printf(o, "%s{sink=\"%s\",type=\"%s\"} %llu\n", kn[f],
					    esc(st.name, e, sizeof(e)), st.type,
					    (unsigned long long)x[f]);
		}
	}
}

void ew_metrics_render(const struct ew_metrics_view *v, struct evbuffer *o)
{
	struct ew_pipeline_stats ps;
	struct ew_policy_info pi;
	struct rule_ctx rc = { o };
	char e[512], e2[512];

	ew_pipeline_stats(v->p, &ps);
	for (unsigned i = 0; v->workers && i < ew_workers_count(v->workers); i++) {
		struct ew_pipeline_stats w;

		ew_workers_stats(v->workers, i, &w);
		ew_pipeline_stats_add(&ps, &w);
	}
	head(o, "eastwatch_build_info", "gauge", "Version and sensor name.");
	evbuffer_add_printf(o, "eastwatch_build_info{version=\"%s\",sensor=\"%s\"} 1\n", EW_VERSION,
			    esc(v->sensor, e, sizeof(e)));
	ew_metrics_one(o, "eastwatch_start_time_seconds", "gauge", "When the daemon started (Unix time).",
	    v->start_us / 1000000);
	ew_metrics_one(o, "eastwatch_packets_total", "counter", "Packets seen (captures, sFlow headers).",
	    ps.packets);
	ew_metrics_one(o, "eastwatch_bytes_total", "counter", "Bytes of the packets seen.", ps.bytes);
	ew_metrics_one(o, "eastwatch_flow_records_total", "counter", "IPFIX/NetFlow records received.",
	    ps.records);
	ew_metrics_one(o, "eastwatch_sflow_samples_total", "counter", "sFlow flow samples received.",
	    ps.samples);
	ew_metrics_one(o, "eastwatch_flows_total", "counter", "Flows (bidirectional) seen.", ps.flows);
	{
		struct ew_flowtab_stats fs;
		uint32_t max;

		ew_pipeline_flow_stats(v->p, &fs, &max);
		for (unsigned i = 0; v->workers && i < ew_workers_count(v->workers); i++) {
			struct ew_flowtab_stats w;
			uint32_t wmax;

			ew_workers_flow_stats(v->workers, i, &w, &wmax);
			fs.live += w.live;
			fs.evicted += w.evicted;
			fs.evicted_answered += w.evicted_answered;
			fs.remembered += w.remembered;
			max += wmax;
		}
		ew_metrics_one(o, "eastwatch_flow_table_flows", "gauge", "Flows in the table now.", fs.live);
		ew_metrics_one(o, "eastwatch_flow_table_max", "gauge", "Flows the table holds at most (flows.max).",
		    max);
		ew_metrics_one(o, "eastwatch_flow_table_evicted_total", "counter",
		    "Flows evicted to make room in a full table.", fs.evicted);
		ew_metrics_one(o, "eastwatch_flow_table_evicted_answered_total", "counter",
		    "Open flows that had been answered, evicted from a full table (blind spots).",
		    fs.evicted_answered);
		ew_metrics_one(o, "eastwatch_flow_table_remembered_total", "counter",
		    "Flows picked up again mid-stream and oriented from the memory of evicted ones.",
		    fs.remembered);
		table_lines(v, o, &ps, &fs, max);
	}
	ew_metrics_one(o, "eastwatch_flows_judged_total", "counter", "Flows judged against the policy.",
	    ps.judged);
	ew_metrics_one(o, "eastwatch_violations_total", "counter", "Flows the policy denies.", ps.violations);
	ew_metrics_one(o, "eastwatch_alerts_total", "counter", "Alerts raised (after throttling).", ps.alerts);
	ew_metrics_one(o, "eastwatch_risk_flows_total", "counter",
	    "Flows the risk detector found enabled nDPI risks on.", ps.risks);
	ew_metrics_one(o, "eastwatch_new_edges_total", "counter",
	    "Edges the new-edge detector reported after its learning period.", ps.new_edges);
	ew_metrics_one(o, "eastwatch_scans_total", "counter",
	    "Scan alerts: scanning sources, one per source and window.", ps.scans);
	ew_metrics_one(o, "eastwatch_scan_folded_total", "counter",
	    "Policy alerts folded into a scan alert instead of being sent.", ps.folded);
	ew_metrics_one(o, "eastwatch_scan_held_total", "counter",
	    "Policy alerts held a moment while the scan detector decided.", ps.held);
	ew_metrics_one(o, "eastwatch_alerts_throttled_total", "counter",
	    "Repeats counted instead of sent (SPEC 4).", ps.throttled);
	ew_metrics_one(o, "eastwatch_packets_ipv4_length_from_capture_total", "counter",
	    "IPv4 packets with total length 0 (segmentation offload on the capturing host), "
	    "decoded with the captured length.", ps.len_from_capture);
	head(o, "eastwatch_packets_undecodable_total", "counter",
	     "Packets that could not be decoded, by reason.");
	evbuffer_add_printf(o, "eastwatch_packets_undecodable_total{reason=\"truncated\"} %llu\n"
			    "eastwatch_packets_undecodable_total{reason=\"malformed\"} %llu\n"
			    "eastwatch_packets_undecodable_total{reason=\"unsupported\"} %llu\n",
			    (unsigned long long)ps.trunc, (unsigned long long)ps.malformed,
			    (unsigned long long)ps.unsupported);
	head(o, "eastwatch_flows_by_app_source_total", "counter",
	     "Flows by where their application came from.");
	evbuffer_add_printf(o, "eastwatch_flows_by_app_source_total{app_source=\"dpi\"} %llu\n"
			    "eastwatch_flows_by_app_source_total{app_source=\"port\"} %llu\n"
			    "eastwatch_flows_by_app_source_total{app_source=\"exporter\"} %llu\n"
			    "eastwatch_flows_by_app_source_total{app_source=\"none\"} %llu\n",
			    (unsigned long long)ps.app_dpi, (unsigned long long)ps.app_port,
			    (unsigned long long)ps.app_exporter, (unsigned long long)ps.app_none);
	if (v->workers)
		worker_lines(v, o);
	head(o, "eastwatch_alerts_by_rule_total", "counter", "Alerts raised, by rule.");
	ew_pipeline_rule_counts(v->p, rule_line, &rc);

	/* sources and exporters */
	{
		static const char *const sn[] = { "eastwatch_source_packets_total",
			"eastwatch_source_kernel_drops_total", "eastwatch_source_errors_total",
			"eastwatch_source_refused_total", "eastwatch_source_exporters_evicted_total" };
		static const char *const sh[] = { "Packets (or datagrams) a source delivered.",
			"Packets dropped by the kernel or the interface.",
			"Undecodable datagrams or capture errors.",
			"Datagrams from exporters not in the listener's exporters: list, dropped.",
			"Exporters forgotten to make room in a full exporter table." };

		uint32_t nsrc = ew_sourceset_count(v->srcs);

		for (int f = 0; f < 5; f++) {
			head(o, sn[f], "counter", sh[f]);
			for (uint32_t i = 0; i < nsrc; i++) {
				struct ew_source_stats ss;
				uint64_t x;

				ew_sourceset_stats(v->srcs, i, &ss);
				x = f == 0 ? ss.packets : f == 1 ? ss.kernel_drops :
				    f == 2 ? ss.errors : f == 3 ? ss.refused : ss.exporters_evicted;
				evbuffer_add_printf(o, "%s{source=\"%s\"} %llu\n", sn[f],
						    esc(ew_sourceset_name(v->srcs, i), e, sizeof(e)),
						    (unsigned long long)x);
			}
		}
		for (int f = 0; f < 10 && ew_sourceset_can(v->srcs, EW_SOURCE_EXPORTERS); f++) {
			head(o, exp_names[f][0], f >= 8 ? "gauge" : "counter", exp_names[f][1]);
			for (uint32_t i = 0; i < nsrc; i++) {
				struct exp_ctx x = { o, ew_sourceset_name(v->srcs, i), f };

				ew_sourceset_exporters(v->srcs, i, exp_line, &x);
			}
		}
	}

	/* sFlow interface counters (the latest counter sample of each interface) */
	for (int f = 0; f < 9 && ew_sourceset_can(v->srcs, EW_SOURCE_IF_COUNTERS); f++) {
		head(o, ifc_names[f], f == 8 ? "gauge" : "counter",
		     "sFlow interface counter, as the agent last reported it.");
		for (uint32_t i = 0; i < ew_sourceset_count(v->srcs); i++) {
			struct ifc_ctx x = { o, f };

			ew_sourceset_if_counters(v->srcs, i, ifc_line, &x);
		}
	}

	ew_metrics_render_sinks(v->sinks, o);

	/* throttle shared through Redis */
	{
		struct ew_rthrottle_stats rs;

		if (ew_sinkset_shared_stats(v->sinks, &rs)) {
			head(o, "eastwatch_shared_throttle_total", "counter",
			     "Alerts offered to the Redis-shared throttle, by outcome.");
			evbuffer_add_printf(o, "eastwatch_shared_throttle_total{result=\"sent\"} %llu\n"
					    "eastwatch_shared_throttle_total{result=\"suppressed\"} %llu\n"
					    "eastwatch_shared_throttle_total{result=\"failed_open\"} %llu\n",
					    (unsigned long long)rs.passed,
					    (unsigned long long)rs.suppressed,
					    (unsigned long long)rs.failed_open);
			ew_metrics_one(o, "eastwatch_shared_throttle_connected", "gauge",
			    "1 while the Redis connection is up.", (uint64_t)rs.connected);
		}
	}

	/* policy */
	ew_policy_info(*v->pol, &pi);
	head(o, "eastwatch_policy_info", "gauge", "The policy in force.");
	evbuffer_add_printf(o, "eastwatch_policy_info{rules_dir=\"%s\",version=\"%s\","
			    "default=\"%s\"} 1\n", esc(v->rules_dir, e2, sizeof(e2)),
			    v->policy_version ? v->policy_version : "",
			    pi.default_action == EW_DENY ? "deny" : "allow");
	ew_metrics_one(o, "eastwatch_policy_rules", "gauge", "Rules in the policy in force.", pi.rules);
	ew_metrics_one(o, "eastwatch_policy_groups", "gauge", "Groups in the policy in force.", pi.groups);
	ew_metrics_one(o, "eastwatch_policy_files", "gauge", "Files the policy in force came from.", pi.files);
	ew_metrics_one(o, "eastwatch_policy_loaded_time_seconds", "gauge",
	    "When the policy in force was loaded (Unix time).", v->policy_loaded_us / 1000000);
	head(o, "eastwatch_policy_reloads_total", "counter", "Policy reloads (SIGHUP), by result.");
	evbuffer_add_printf(o, "eastwatch_policy_reloads_total{result=\"ok\"} %llu\n"
			    "eastwatch_policy_reloads_total{result=\"refused\"} %llu\n",
			    (unsigned long long)v->policy_reloads,
			    (unsigned long long)v->policy_refused);
}

static void silent_line(void *arg, const struct ew_exporter_health *h)
{
	struct exp_ctx *x = arg;
	char a[EW_ADDR_STRLEN];

	if (h->silent) {
		evbuffer_add_printf(x->o, "source %s: exporter %s silent\n", x->src,
				    ew_addr_format(&h->addr, a));
		x->field++;
	}
}

int ew_metrics_ready(const struct ew_metrics_view *v, struct evbuffer *o)
{
	struct exp_ctx x = { o, NULL, 0 };
	uint32_t bad = 0;

	for (uint32_t i = 0; i < ew_sinkset_count(v->sinks); i++) {
		struct ew_sink_stats st;

		ew_sinkset_stats(v->sinks, i, &st);
		if (st.has_queue && !st.up && st.failed_attempts) {
			evbuffer_add_printf(o, "sink %s: down (%llu alerts waiting, %llu dropped)\n",
					    st.name, (unsigned long long)(st.queued + st.spool_records),
					    (unsigned long long)st.dropped);
			bad++;
		}
	}
	for (uint32_t i = 0; v->srcs && i < ew_sourceset_count(v->srcs); i++) {
		x.src = ew_sourceset_name(v->srcs, i);
		if (ew_sourceset_can(v->srcs, EW_SOURCE_EXPORTERS))
			ew_sourceset_exporters(v->srcs, i, silent_line, &x);
	}
	if (v->policy_refused_why) {
		evbuffer_add_printf(o, "policy: a reload was refused, the previous policy stays: %s\n",
				    v->policy_refused_why);
		bad++;
	}
	if (bad + (uint32_t)x.field)
		return 0;
	evbuffer_add_printf(o, "ready\n");
	return 1;
}

static int on_request(void *arg, const char *path, struct evbuffer *o, const char **ctype)
{
	struct ew_metrics *m = arg;

	if (strcmp(path, "/metrics") == 0) {
		if (m->v->render)
			m->v->render(m->v->render_arg, o);
		else
			ew_metrics_render(m->v, o);
		{
			struct ew_httpd_stats hs;

			ew_httpd_stats(m->http, &hs);
			ew_metrics_one(o, "eastwatch_http_connections", "gauge",
			    "Open connections to this endpoint.", hs.open);
			ew_metrics_one(o, "eastwatch_http_connections_evicted_total", "counter",
			    "Connections closed to make room (the limit, or no descriptors left).",
			    hs.evicted);
			ew_metrics_one(o, "eastwatch_http_timeouts_total", "counter",
			    "Connections closed for sending no complete request in time.", hs.timeouts);
		}
		*ctype = "text/plain; version=0.0.4; charset=utf-8";
		return 200;
	}
	if (strcmp(path, "/healthz") == 0) {
		evbuffer_add_printf(o, "ok\n");
		return 200;
	}
	if (strcmp(path, "/readyz") == 0)
		return ew_metrics_ready(m->v, o) ? 200 : 503;
	return 404;
}

struct ew_metrics *ew_metrics_start(struct event_base *eb, const char *addr,
				    const struct ew_metrics_view *v, struct ew_err *err)
{
	struct ew_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		ew_err_set(err, "metrics: out of memory");
		return NULL;
	}
	m->v = v;
	m->http = ew_httpd_start(eb, addr, on_request, m, err);
	if (m->http == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void ew_metrics_free(struct ew_metrics *m)
{
	if (m == NULL)
		return;
	ew_httpd_free(m->http);
	free(m);
}
