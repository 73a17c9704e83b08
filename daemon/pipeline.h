/* SPDX-License-Identifier: Apache-2.0 */
/* pipeline - the one place where the stages are wired together: the judging state
 * machine, and the detectors' findings turned into alerts.
 *
 * Frames from sources are decoded, attributed to flows, classified, judged against the
 * policy, and violations are throttled and handed to the sinks; the detectors (risk.c,
 * edges.c, scan.c with scan_hold.c, in analyzer/) decide, alert_text.c words it. A flow is judged as soon
 * as its verdict cannot change any more: at its first packet when no rule that could
 * match it depends on the application, else when nDPI names the application or gives up.
 * A flow still waiting after judge_within (1 s) is judged with nDPI's port guess, so a
 * silent connection attempt alerts within a second, and judged again if its
 * application later shows and makes it worse: waiting before speaking is no way around
 * an apps condition. */
#ifndef EW_PIPELINE_H
#define EW_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "alerting/sink.h"
#include "analyzer/classify.h"
#include "analyzer/flowtab.h"
#include "analyzer/policy.h"
#include "analyzer/risk.h"
#include "analyzer/scan.h"
#include "collector/decode_ipfix.h"
#include "collector/decode_sflow.h"
#include "collector/source.h"

/* Export records waiting for their other direction at most, by default (flows.max_unpaired). */
#define EW_PAIRING_MAX 65536

struct ew_pipeline_conf {
	const char *sensor;            /* observer.name */
	/* home_networks: the site's own networks for network.direction (NULL: the
	 * addresses in a named group of the policy are) */
	const struct ew_prefix *home;
	uint32_t nhome;
	struct ew_ft_conf ft;
	uint64_t throttle_window_us;
	uint32_t throttle_keys;
	uint64_t frag_ttl_us;
	/* Table sizes (0: the default): export records waiting for their other direction
	 * (EW_PAIRING_MAX; flows.max_unpaired), flows waiting for their application (twice ft.max_flows, at least
	 * 65,536: the queue grows to it as flows wait, from 4,096), policy alerts of scan
	 * suspects held (1,024), fragment slots (16,384). The fuzzer makes them small. */
	uint32_t pairing_max, pending_max, held_max, frag_slots;
	uint64_t judge_within_us;      /* a flow whose verdict waits for its application is
					* judged with the port guess after this long (0: wait
					* for nDPI or the flow's end) */
	FILE *flows_out;               /* every flow record as a JSON line, or NULL */
	/* every flow record (final: the flow ended), for eastwatch learn; or NULL */
	void (*flow_fn)(void *arg, const struct ew_flow *f, int final);
	void *flow_arg;
	/* The risk detector: the severity (enum ew_severity) of each nDPI risk bit that
	 * raises a "risk" alert when nDPI finishes with a flow, EW_RISK_OFF for the others. */
	uint8_t risk_sev[64];
	/* The new-edge detector: on when edges_path is set (the baseline file). */
	const char *edges_path;
	uint64_t edges_learn_us;       /* learning period (default 7 days) */
	uint32_t edges_max;            /* baseline bound (default 1,000,000) */
	uint8_t edges_sev;             /* severity of a new-edge alert (default medium) */
	/* The scan detector (analyzer/scan.h), on by default. A policy alert from a
	 * source that probed more than one service in its window is held scan_hold_us
	 * (2 s): if the source is a scanner by then, the alert is folded into its scan
	 * alert. */
	int scan_enabled;
	struct ew_scan_conf scan;
	uint8_t scan_sev;              /* default high */
	uint64_t scan_hold_us;
};

/* 1 when x is in one of c's home_networks. */
int ew_pipeline_in_home(const struct ew_pipeline_conf *c, const struct ew_addr *x);
void ew_pipeline_conf_default(struct ew_pipeline_conf *c);

struct ew_pipeline;

struct ew_pipeline_stats {
	uint64_t packets, bytes, flow_packets;
	uint64_t trunc, malformed, unsupported;
	uint64_t len_from_capture;     /* IPv4 total length 0 (TSO), the capture's used */
	uint64_t reoriented;           /* flows turned round by what their payload says */
	uint64_t infra, not_ip, icmp_errors, frag_unattributed;
	uint64_t flows, judged, violations, alerts, throttled, risks, new_edges;
	uint64_t scans, held, folded;  /* scan alerts; policy alerts held, folded into them */
	uint64_t app_dpi, app_port, app_none, app_exporter;
	uint64_t records, records_not_flows, samples, samples_without_header;
	uint64_t queue_full;           /* workers: findings lost to a full ring to the owner */
	uint64_t unrouted;             /* workers: telemetry judged where it was decoded, the
					* worker of its flow being too busy to take it */
	/* bounded tables: entries, capacity, evictions (summed over workers) */
	uint64_t scan_sources, scan_capacity, scan_evicted;
	uint64_t throttle_keys, throttle_capacity, throttle_evicted;
	/* flows waiting for their application or judge_within; judged before it because
	 * that many waited at once */
	uint64_t pending, pending_capacity, pending_early;
	/* export records waiting for their other direction; sent on alone, unpaired,
	 * because that many waited at once */
	uint64_t pairing, pairing_capacity, pairing_evicted;
};

/* cls, pol and sinks are borrowed and must outlive the pipeline (the policy can be
 * replaced with ew_pipeline_set_policy). Returns NULL with err filled. */
struct ew_pipeline *ew_pipeline_new(const struct ew_pipeline_conf *c, struct ew_classify *cls,
				    const struct ew_policy *pol, struct ew_sinkset *sinks,
				    struct ew_err *err);
void ew_pipeline_free(struct ew_pipeline *p);

/* Workers (daemon/workers.c). A worker pipeline has the flow side only: decoding, the
 * flow table, nDPI, the verdict and the per-flow detectors. What looks across flows (the
 * scan detector and its holds, the throttle, the new-edge baseline, the sinks) belongs
 * to one owner, a pipeline made by ew_pipeline_new, to which the worker sends messages
 * through out (a single-producer ring; the caller drains it into
 * ew_pipeline_owner_take). When out is full, a worker with block set waits for room
 * (replay: nothing may be lost), else it counts the message lost (queue_full) and goes
 * on: capture never waits for the owner. cls is the worker's own (nDPI is not shared
 * between threads); sinks are the owner's, and c->flow_fn must be NULL. owner (or
 * NULL) lets the worker leave out what the owner would count for nothing. */
struct ew_ring;
struct ew_pipeline *ew_pipeline_new_worker(const struct ew_pipeline_conf *c,
					   struct ew_classify *cls, const struct ew_policy *pol,
					   struct ew_ring *out, int block,
					   const struct ew_pipeline *owner, struct ew_err *err);

/* Every message starts with its place in time: the owner takes the messages of all its
 * workers in the order of (ts, cls, seq), as one pipeline would have made them. ts is
 * the worker's clock; cls 0 for the work of a deadline that fell due at ts (it comes
 * before the packets of that time), 1 for a packet's own; seq the packet's place in
 * the capture (ew_raw_pkt.seq: replay numbers them, live capture leaves 0). */
struct ew_pmsg {
	uint64_t ts, seq;
	uint8_t cls, type;
	uint8_t arg[6];            /* the message type's own (what would be padding) */
};
static inline int ew_pmsg_cmp(const struct ew_pmsg *a, const struct ew_pmsg *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}
/* A worker tells its owner how far its clock has gone (a message of its own: the owner
 * may take other workers' messages up to that point), and publishes every message it
 * sent (the ring may hold them back in batches). Call it when the worker waits for
 * input, and now and then while it is busy. */
void ew_pipeline_mark(struct ew_pipeline *p);
/* A worker's messages other than marks so far (those put in the ring: the owner has
 * something to do); and whether a message is a mark (it only bounds the others). */
uint64_t ew_pipeline_sent(const struct ew_pipeline *p);
int ew_pmsg_is_mark(const struct ew_pmsg *h);
/* A worker's clock moves to ts_us as of the capture's packet seq (replay: the time of
 * packets other workers were handed). */
void ew_pipeline_clock(struct ew_pipeline *p, uint64_t ts_us, uint64_t seq);
/* The owner takes one of its workers' messages (in the order of ew_pmsg_cmp over all
 * of them): deadlines that fell due before it run first. */
void ew_pipeline_owner_take(struct ew_pipeline *o, const void *msg, size_t len);

/* The callback for sources (arg is the pipeline). */
void ew_pipeline_packet(void *arg, const struct ew_raw_pkt *rp);
/* A flow-export record (IPFIX, NetFlow) received at now_us from source source_id. Its
 * two directions are paired (analyzer/pairing.c), then the flow is judged: with the
 * exporter's application when it names one nDPI knows (app_source "exporter"), else
 * with nDPI's port guess. */
void ew_pipeline_record(struct ew_pipeline *p, const struct ew_record *r, uint16_t source_id,
			uint64_t now_us);
/* An sFlow packet sample: its header goes through the packet path (decoder, flow table,
 * nDPI as far as the sampled bytes allow), standing for `rate` packets. */
void ew_pipeline_sflow_sample(struct ew_pipeline *p, const struct ew_sflow_sample *s,
			      uint16_t source_id, uint64_t now_us);

/* A telemetry listener reports exporter h silent for silent_us (a telemetry-gap alert,
 * severity high), or heard again (silent_us == 0: an info alert). */
void ew_pipeline_telemetry_gap(struct ew_pipeline *p, const struct ew_exporter_health *h,
			       uint8_t kind, uint64_t silent_us, uint64_t now_us);

/* Time passes without packets (live sources): expire idle flows at now_us. */
void ew_pipeline_tick(struct ew_pipeline *p, uint64_t now_us);
/* A capture has ended: let the deadlines still ahead run at the times they fall due, as
 * they would have on a sensor that went on running (judge_within, holds, a scanner's
 * quiet time), before ew_pipeline_finish ends the flows. */
void ew_pipeline_drain(struct ew_pipeline *p);
/* End every flow (judging those not judged yet): end of a replay, shutdown. */
void ew_pipeline_finish(struct ew_pipeline *p);
/* Judge from now on with pol; returns the previous policy (the caller frees it once no
 * verdict can refer to its rules: flows already judged keep no pointer to it). */
const struct ew_policy *ew_pipeline_set_policy(struct ew_pipeline *p, const struct ew_policy *pol);

void ew_pipeline_stats(const struct ew_pipeline *p, struct ew_pipeline_stats *out);
/* to += from, counter by counter (workers' counters summed). */
void ew_pipeline_stats_add(struct ew_pipeline_stats *to, const struct ew_pipeline_stats *from);
/* The flow table's counters and its size. */
struct ew_flowtab_stats;
void ew_pipeline_flow_stats(const struct ew_pipeline *p, struct ew_flowtab_stats *out,
			    uint32_t *max);
/* Alerts sent per rule name, for the summary: calls fn for each. */
void ew_pipeline_rule_counts(const struct ew_pipeline *p,
			     void (*fn)(void *arg, const char *rule, uint64_t n), void *arg);
/* A multi-line human summary (replay's stderr report) of tables and counters: p's with
 * those of its nw workers w[] summed in. */
void ew_pipeline_report(const struct ew_pipeline *p, const struct ew_pipeline *const *w,
			unsigned nw, FILE *out);

#endif
