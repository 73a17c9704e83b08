/* SPDX-License-Identifier: Apache-2.0 */
/* pipeline_int - what pipeline.c (the judging state machine, the owner's detectors) and
 * pipeline_msg.c (what crosses from a worker's flow side to its owner) share: the
 * pipeline itself, and the functions each side calls on the other. */
#ifndef EW_PIPELINE_INT_H
#define EW_PIPELINE_INT_H

#include "alerting/alert.h"
#include "alerting/throttle.h"
#include "analyzer/edges.h"
#include "analyzer/flowtab.h"
#include "analyzer/pairing.h"
#include "analyzer/policy.h"
#include "analyzer/scan.h"
#include "analyzer/scan_hold.h"
#include "collector/frag.h"
#include "daemon/pipeline.h"

#define MAX_RULE_COUNTS 512

struct pending {
	struct ew_ft_entry *e;
	uint64_t first_us;
	uint32_t hash;
};

struct rule_count {
	char name[128];
	uint64_t n;
};

/* A pipeline is its own owner (R_ALL), or one of an owner's workers. */
enum role { R_ALL, R_WORKER };

struct ew_pipeline {
	struct ew_pipeline_conf c;
	enum role role;
	struct ew_ring *out;        /* workers: the ring to the owner */
	const struct ew_scan *owner_scan;   /* workers: the owner's scan detector, or NULL */
	int out_block;              /* a full ring: wait (replay), else count and drop */
	uint64_t seq;               /* the packet's place in the capture (workers) */
	int in_deadline;            /* the work of a deadline, not of a packet */
	uint64_t scan_next;         /* the scan detector's next look (whole seconds) */
	struct ew_classify *cls;
	const struct ew_policy *pol;
	struct ew_vcache vc;        /* verdicts by group sets, port class and application */
	struct ew_sinkset *sinks;
	int flow_sinks;             /* a sink takes every flow record (Kafka flows_topic) */
	struct ew_edges *edges;     /* the new-edge baseline, or NULL */
	uint64_t edges_saved_us;
	struct ew_flowtab *ft;
	uint32_t pending_max;       /* the most flows waiting at once (pend grows to it) */
	uint64_t ft_evicted_seen, ft_alerted_us;   /* table pressure: last look, last alert */
	struct ew_frag *frag;
	struct ew_throttle *thr;
	struct ew_pairing *pairing;
	struct ew_scan *scan;       /* the scan detector, or NULL */
	struct ew_scan_hold *hold;  /* its side of policy alerts (with scan) */
	struct ew_pipeline_stats st;
	uint8_t last_kind;          /* observer.type of scan alerts: the last source's kind */
	uint8_t kind_sflow;         /* sFlow's (ew_source_kind) */
	uint64_t now, next_expire;
	uint64_t queue_full;        /* workers: messages lost to a full ring */
	uint64_t sent;              /* workers: messages other than marks put in the ring */
	struct pending *pend;       /* a ring of psize, oldest at phead */
	uint32_t phead, pcount, psize;
	struct rule_count *rc;
	uint32_t nrc;
	uint64_t rc_other;
	char flowbuf[8192];
};

enum alert_kind { A_POLICY, A_PLAIN, A_DIRECT };   /* held or folded; sent; a self-alert */

/* The owner's side (pipeline.c): an alert to the sinks (counted by rule; a detector's
 * self-alert by action); a policy alert about flow fl, held, folded or sent; an allowed
 * flow for the new-edge detector; time moving on to t (pipeline.h, advance). */
void ew_pl_emit(struct ew_pipeline *o, const struct ew_alert *a);
void ew_pl_emit_direct(struct ew_pipeline *o, const struct ew_alert *a);
void ew_pl_send_policy(struct ew_pipeline *o, const struct ew_alert *a,
		       const struct ew_scan_hold_flow *fl);
void ew_pl_new_edge(struct ew_pipeline *o, const struct ew_flow *f);
void ew_pl_advance(struct ew_pipeline *p, uint64_t t, int inclusive);

/* The flow side's findings (pipeline_msg.c): to the owner's side at once when p is its
 * own owner, else as a message through p->out. A probe of flow f (EW_SCAN_* bits what,
 * at ts); an alert made whole (kind A_*, fl for A_POLICY); flow entry e became a
 * session; an allowed flow for new-edge; a flow record (a JSON line, keyed by key). */
void ew_pl_to_observe(struct ew_pipeline *p, const struct ew_flow *f, unsigned what,
		      uint64_t ts);
void ew_pl_to_alert(struct ew_pipeline *p, uint8_t kind, const struct ew_alert *a,
		    const struct ew_scan_hold_flow *fl);
void ew_pl_to_session(struct ew_pipeline *p, const struct ew_ft_entry *e);
void ew_pl_to_edge(struct ew_pipeline *p, const struct ew_flow *f);
void ew_pl_to_flow(struct ew_pipeline *p, const char *line, size_t len, const char *key);

#endif
