/* SPDX-License-Identifier: Apache-2.0 */
/* pipeline - see pipeline.h. */
#include "daemon/pipeline.h"
#include "daemon/pipeline_int.h"
#include "daemon/detect_alert.h"
#include "alerting/alert.h"
#include "alerting/alert_text.h"
#include "alerting/fmt_flow.h"
#include "alerting/throttle.h"
#include "analyzer/edges.h"
#include "core/ew_log.h"
#include "analyzer/orient.h"
#include "analyzer/pairing.h"
#include "analyzer/scan.h"
#include "analyzer/scan_hold.h"
#include "collector/decode_pkt.h"
#include "collector/frag.h"
#include "core/ew_buf.h"
#include "core/ew_time.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Per-flow pipeline state, kept in the flow table entry's user bytes. */
#define CLS_DONE(e) ((e)->user[0])   /* nDPI inspection over */
#define VERDICT(e) ((e)->user[1])    /* enum vcode */
#define JSTATE(e) ((e)->user[2])     /* enum jstate */
#define SET_JSTATE(e, v) ((e)->user[2] = (uint8_t)(v))
#define GUESSED(e) ((e)->user[3] & 1)   /* the port guess is in e->f */
#define SET_GUESSED(e) ((e)->user[3] |= 1)
#define PROBED(e) (((e)->user[3] >> 1) & 0x0f)   /* EW_SCAN_* bits (but AGAIN) told to
						  * the scan tracker */
#define SET_PROBED(e, w) ((e)->user[3] |= (uint8_t)((w) << 1))
#define DATA_I 0x20                       /* the initiator sent application data */
#define DATA_R 0x40                       /* the responder sent application data */
/* Answered with application data both ways: a session, never a probe to fold. */
#define SESSION(e) (((e)->user[3] & (DATA_I | DATA_R)) == (DATA_I | DATA_R))

enum vcode { V_NONE, V_ALLOW, V_DENY_DEFAULT, V_DENY_RULE };
enum jstate {
	J_NONE,          /* not judged */
	J_PENDING,       /* the verdict depends on the application: waiting for nDPI */
	J_HELD,          /* denied whatever the application: the alert waits for nDPI to
			  * name it (evidence), at most judge_within */
	J_PROVISIONAL,   /* judged at the deadline with the port guess; nDPI may still
			  * name the application and escalate it */
	J_FINAL,
};

void ew_pipeline_conf_default(struct ew_pipeline_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->sensor = "eastwatch";
	ew_ft_conf_default(&c->ft);
	ew_risk_defaults(c->risk_sev);
	c->edges_learn_us = 7 * 86400 * EW_USEC;
	c->edges_max = 1000000;
	c->edges_sev = EW_SEV_MEDIUM;
	c->throttle_window_us = 60 * EW_USEC;
	c->throttle_keys = 100000;
	c->frag_ttl_us = 30 * EW_USEC;
	c->judge_within_us = EW_USEC;
	c->scan_enabled = 1;
	ew_scan_conf_default(&c->scan);
	c->scan_sev = EW_SEV_HIGH;
	c->scan_hold_us = 2 * EW_USEC;
}

static void on_flow_end(void *arg, struct ew_ft_entry *e, int final);
static void table_pressure(struct ew_pipeline *p);
static void on_paired(void *arg, const struct ew_flow *f);
static void on_scan(void *arg, const struct ew_scan_report *r);
static int hold_copy(void *item, const void *alert);
static void hold_send(void *arg, const void *item);

static struct ew_pipeline *pipeline_new(const struct ew_pipeline_conf *c, struct ew_classify *cls,
					 const struct ew_policy *pol, struct ew_sinkset *sinks,
					 struct ew_ring *out, struct ew_err *err)
{
	struct ew_pipeline *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		ew_err_set(err, "pipeline: out of memory");
		return NULL;
	}
	p->c = *c;
	p->role = out ? R_WORKER : R_ALL;
	p->out = out;
	p->cls = cls;
	p->pol = pol;
	p->sinks = sinks;
	p->flow_sinks = sinks && ew_sinkset_wants_flows(sinks);
	p->kind_sflow = ew_source_kind("sflow");
	if (c->edges_path && p->role == R_ALL) {
		p->edges = ew_edges_open(c->edges_path, c->edges_learn_us, c->edges_max, 0, err);
		if (p->edges == NULL) {
			ew_pipeline_free(p);
			return NULL;
		}
	}
	p->ft = ew_flowtab_new(&c->ft, on_flow_end, p);
	p->pending_max = c->pending_max ? c->pending_max
		       : c->ft.max_flows > 32768 ? 2 * c->ft.max_flows : 65536;
	p->psize = p->pending_max < 4096 ? p->pending_max : 4096;
	p->frag = ew_frag_new(c->frag_slots ? c->frag_slots : 16384, c->frag_ttl_us);
	p->thr = ew_throttle_new(c->throttle_window_us, c->throttle_keys ? c->throttle_keys : 1);
	p->rc = calloc(MAX_RULE_COUNTS, sizeof(*p->rc));
	p->pend = calloc(p->psize, sizeof(*p->pend));
	p->pairing = ew_pairing_new(c->pairing_max ? c->pairing_max : EW_PAIRING_MAX, 2 * EW_USEC,
				    on_paired, p);
	if (c->scan_enabled && p->role == R_ALL) {
		struct ew_scan_hold_conf hc = { c->held_max, sizeof(struct ew_alert_copy),
						c->scan_hold_us, hold_copy, hold_send, p };

		p->scan = ew_scan_new(&c->scan, on_scan, p);
		p->hold = p->scan ? ew_scan_hold_new(p->scan, &hc) : NULL;
		if (p->hold == NULL) {
			ew_err_set(err, "pipeline: cannot reserve memory for the scan detector");
			ew_pipeline_free(p);
			return NULL;
		}
	}
	if (p->ft == NULL || p->frag == NULL || p->thr == NULL || p->rc == NULL ||
	    p->pend == NULL || p->pairing == NULL) {
		ew_err_set(err, "pipeline: cannot reserve memory for %u flows", c->ft.max_flows);
		ew_pipeline_free(p);
		return NULL;
	}
	return p;
}

struct ew_pipeline *ew_pipeline_new(const struct ew_pipeline_conf *c, struct ew_classify *cls,
				    const struct ew_policy *pol, struct ew_sinkset *sinks,
				    struct ew_err *err)
{
	return pipeline_new(c, cls, pol, sinks, NULL, err);
}

struct ew_pipeline *ew_pipeline_new_worker(const struct ew_pipeline_conf *c,
					   struct ew_classify *cls, const struct ew_policy *pol,
					   struct ew_ring *out, int block,
					   const struct ew_pipeline *owner, struct ew_err *err)
{
	struct ew_pipeline *p = pipeline_new(c, cls, pol, NULL, out, err);

	if (p != NULL) {
		p->out_block = block;
		p->owner_scan = owner ? owner->scan : NULL;
	}
	return p;
}

void ew_pipeline_free(struct ew_pipeline *p)
{
	if (p == NULL)
		return;
	ew_flowtab_free(p->ft);
	ew_frag_free(p->frag);
	ew_throttle_free(p->thr);
	free(p->rc);
	free(p->pend);
	ew_pairing_free(p->pairing);
	ew_scan_hold_free(p->hold);
	ew_scan_free(p->scan);
	ew_edges_free(p->edges);   /* saves the baseline */
	free(p);
}

const struct ew_policy *ew_pipeline_set_policy(struct ew_pipeline *p, const struct ew_policy *pol)
{
	const struct ew_policy *old = p->pol;

	p->pol = pol;
	return old;
}

static void count_rule(struct ew_pipeline *p, const char *rule)
{
	for (uint32_t i = 0; i < p->nrc; i++)
		if (strcmp(p->rc[i].name, rule) == 0) {
			p->rc[i].n++;
			return;
		}
	if (p->nrc < MAX_RULE_COUNTS) {
		snprintf(p->rc[p->nrc].name, sizeof(p->rc[0].name), "%s", rule);
		p->rc[p->nrc++].n = 1;
	} else {
		p->rc_other++;
	}
}

static uint32_t group_names(const struct ew_policy *pol, uint32_t set, const char **out)
{
	return ew_policy_group_names(pol, set, out, EW_ALERT_MAX_GROUPS);
}

/* The application's nDPI name ("TLS.Google") and its network.protocol ("tls"). */
static void app_names(struct ew_pipeline *p, const struct ew_flow *f, char *app, size_t al,
		      char *ecs, size_t el)
{
	if (f->app_source == EW_APP_NONE) {
		snprintf(app, al, "Unknown");
		snprintf(ecs, el, "unknown");
		return;
	}
	ew_classify_flow_name(p->cls, f, app, al);
	/* network.protocol: the master protocol (tls for TLS.Google), lower case */
	snprintf(ecs, el, "%s", ew_classify_name(p->cls, f->app_master ? f->app_master : f->app_proto));
	for (char *c = ecs; *c; c++)
		*c = (char)tolower((unsigned char)*c);
}

int ew_pipeline_in_home(const struct ew_pipeline_conf *c, const struct ew_addr *x)
{
	for (uint32_t i = 0; i < c->nhome; i++)
		if (ew_prefix_contains(&c->home[i], x))
			return 1;
	return 0;
}

/* The alert fields every flow alert shares: the two ends, the service, the
 * application (names written into app and ecs, 64 bytes each), the observer, the counts
 * so far. */
static void alert_from_flow(struct ew_pipeline *p, const struct ew_flow *f, struct ew_alert *a,
			    char *app, char *ecs)
{
	ew_alert_flow_fields(a, f);
	app_names(p, f, app, 64, ecs, 64);
	a->app = app;
	a->app_ecs = ecs;
	a->port_app = f->port_app[0] ? ew_classify_name(p->cls, f->port_app[0]) : NULL;
	a->observer_name = p->c.sensor;
	a->observer_type = ew_source_kind_name(f->source_kind);
	if (p->c.nhome) {
		a->home[0] = ew_pipeline_in_home(&p->c, &f->src) ? 2 : 1;
		a->home[1] = ew_pipeline_in_home(&p->c, &f->dst) ? 2 : 1;
	}
}

void ew_pl_emit(struct ew_pipeline *p, const struct ew_alert *a)
{
	count_rule(p, a->rule);
	p->st.alerts++;
	ew_sinkset_emit(p->sinks, a);
}

/* The detectors' self-alerts (a full flow table, a silent exporter) count by action. */
void ew_pl_emit_direct(struct ew_pipeline *p, const struct ew_alert *a)
{
	count_rule(p, a->action);
	p->st.alerts++;
	ew_sinkset_emit(p->sinks, a);
}

/* ---- the scan detector's side of policy alerts (analyzer/scan_hold.c) ---- */

static int hold_copy(void *item, const void *alert)
{
	return ew_alert_copy(item, alert);
}

static void hold_send(void *arg, const void *item)
{
	ew_pl_emit(arg, &((const struct ew_alert_copy *)item)->a);
}

/* Flow e can no longer turn into a session: ICMP; a TCP connection that was reset; or
 * nothing came back within judge_within of its first packet (a scan's unanswered
 * probe: a session answered after that is not told apart from a probe). */
static int probe_settled(const struct ew_pipeline *p, const struct ew_ft_entry *e)
{
	if (e->f.proto == 1 || e->f.proto == 58)
		return 1;
	if (e->f.proto == 6 && (e->tcp & EW_TCP_RST))
		return 1;
	return e->f.pkts[1] == 0 && p->now >= e->f.first_us + p->c.judge_within_us;
}

/* The throttle: 1 when a (rule, ends, port) is to go on, its repeats set. */
static int pass_throttle(struct ew_pipeline *p, struct ew_alert *a)
{
	uint64_t repeats;

	if (!ew_throttle_check(p->thr, a->rule, &a->src, &a->dst, a->dport, p->now, &repeats)) {
		p->st.throttled++;
		return 0;
	}
	a->repeats = repeats;
	return 1;
}

/* A policy alert about flow fl (entry NULL: an exported record): sent at once when the
 * flow is a session (answered with application data: never folded, SPEC §4) or its
 * source neither scans nor may be starting to; else held or folded (scan_hold.h). */
void ew_pl_send_policy(struct ew_pipeline *o, const struct ew_alert *a,
			      const struct ew_scan_hold_flow *fl)
{
	if (o->hold == NULL || ew_scan_hold_offer(o->hold, a, &a->src, &a->dst, fl, o->now) ==
				       EW_HOLD_SEND)
		ew_pl_emit(o, a);
}

/* An exported record's flow was answered with application data both ways: TCP with its
 * handshake completed (when flags are known) and data each way (PSH, or more bytes than
 * bare headers: 52 a packet for IPv4 with timestamps, 72 for IPv6, 8 more for a SYN's
 * options), UDP and SCTP with payload each way. ICMP never. */
static int record_session(const struct ew_flow *f)
{
	int v4 = ew_addr_is_v4(&f->src);

	if (f->pkts[0] == 0 || f->pkts[1] == 0)
		return 0;
	for (int d = 0; d < 2; d++) {
		uint64_t hdr;

		switch (f->proto) {
		case 6:
			if (f->tcp_flags[d] & EW_TH_PSH)
				continue;
			hdr = (uint64_t)f->pkts[d] * (v4 ? 52 : 72) + 8;
			break;
		case 17:
			hdr = (uint64_t)f->pkts[d] * (v4 ? 28 : 48);
			break;
		case 132:
			hdr = (uint64_t)f->pkts[d] * (v4 ? 48 : 68);
			break;
		default:
			return 0;
		}
		if (f->bytes[d] <= hdr)
			return 0;
	}
	if (f->proto == 6 && f->tcp_flags[0] && !(f->tcp_flags[0] & EW_TH_ACK))
		return 0;
	return 1;
}

/* Tell the scan tracker what e is (EW_SCAN_* bits), once per bit and flow. */
static void scan_probe(struct ew_pipeline *p, struct ew_ft_entry *e, unsigned what)
{
	unsigned before = PROBED(e);

	what &= ~before;
	if (!p->c.scan_enabled || what == 0)
		return;
	SET_PROBED(e, what);
	if (before & (EW_SCAN_FAILED | EW_SCAN_DENIED))
		what |= EW_SCAN_AGAIN;
	/* at the flow's start: a probe judged a second later happened when it was sent */
	ew_pl_to_observe(p, &e->f, what, e->f.first_us ? e->f.first_us : p->now);
}

/* The scan alert: one per scanning source and window, with the counts. */
static void on_scan(void *arg, const struct ew_scan_report *r)
{
	struct ew_pipeline *p = arg;
	struct ew_alert a;
	struct ew_alert_scan sc;
	char msg[1024];

	p->st.scans++;
	ew_scan_alert(&a, &sc, r, p->pol, p->c.scan_sev, msg, sizeof(msg));
	a.observer_name = p->c.sensor;
	a.observer_type = ew_source_kind_name(p->last_kind);
	a.alert_id = ew_alert_id(&a, p->c.throttle_window_us);
	ew_pl_emit(p, &a);
}

/* The observed application (DPI or the exporter named it) is none of the responder
 * port's applications: the alert says so ("DPI names it MQTT on LDAP's port"). */
static int names_differ(const struct ew_flow *f)
{
	if ((f->app_source != EW_APP_DPI && f->app_source != EW_APP_EXPORTER) || !f->port_app[0])
		return 0;
	for (int k = 0; k < 3 && f->port_app[k]; k++)
		if (f->port_app[k] == f->app_proto || f->port_app[k] == f->app_master)
			return 0;
	return 1;
}

/* attempted: a TCP connection nobody accepted (said "tried to open"). */
static void raise_violation(struct ew_pipeline *p, int attempted, const struct ew_flow *f,
			    const struct ew_verdict *v, const struct ew_ft_entry *e, int session)
{
	struct ew_alert a;
	char app[64], ecs[64], msg[768];
	struct ew_buf mb;
	int differ = names_differ(f);
	struct ew_scan_hold_flow fl = { e, e ? e->f.first_us : 0, e ? e->hash : 0,
					e ? probe_settled(p, e) : 0, session };

	memset(&a, 0, sizeof(a));
	a.rule = v->rule ? v->rule->name : "default";
	a.src = f->src;
	a.dst = f->dst;
	a.dport = f->dport;
	p->st.violations++;
	if (!pass_throttle(p, &a))         /* before the words are written */
		return;
	a.ts_us = p->now;   /* capture time for packets, arrival time for exported records */
	a.action = "policy-violation";
	a.severity = v->severity;
	if (v->rule) {
		a.rule_file = v->rule->file;
		a.rule_line = v->rule->line;
		a.decided_by = "deny-rule";
	} else {
		a.decided_by = "default";
	}
	alert_from_flow(p, f, &a, app, ecs);
	a.nsrc_groups = group_names(p->pol, v->src_set, a.src_groups);
	a.ndst_groups = group_names(p->pol, v->dst_set, a.dst_groups);
	for (int r = 1; r < 64 && a.nrisks < EW_ALERT_MAX_RISKS; r++)
		if (f->risk & (1ULL << r)) {
			const char *rn = ew_classify_risk_name(r);

			if (rn)
				a.risks[a.nrisks++] = rn;
		}
	ew_buf_init(&mb, msg, sizeof(msg));
	ew_alert_text_violation(&mb, &a, attempted, differ);
	a.message = msg;
	if (v->rule && v->rule->nnotify) {
		a.notify = (const char *const *)v->rule->notify;
		a.nnotify = v->rule->nnotify;
	}
	a.alert_id = ew_alert_id(&a, p->c.throttle_window_us);
	if (p->role == R_ALL)
		ew_pl_send_policy(p, &a, &fl);
	else
		ew_pl_to_alert(p, A_POLICY, &a, &fl);
}

/* The risk detector (analyzer/risk.c): when nDPI is done with a flow, one "risk" alert
 * naming the risks the configuration enables (severity: the highest of theirs),
 * throttled like any alert per (risk, source, destination, port). */
static void detect_risk(struct ew_pipeline *p, const struct ew_flow *f)
{
	struct ew_alert a;
	char app[64], ecs[64], msg[768];
	struct ew_buf mb;
	uint8_t sev;
	uint64_t on = ew_risk_enabled(p->c.risk_sev, f->risk, &sev);

	if (on == 0)
		return;
	memset(&a, 0, sizeof(a));
	a.rule = "risk";
	a.src = f->src;
	a.dst = f->dst;
	a.dport = f->dport;
	p->st.risks++;
	if (!pass_throttle(p, &a))
		return;
	a.ts_us = p->now;
	a.action = "risk";
	a.severity = sev;
	a.decided_by = "detector";
	alert_from_flow(p, f, &a, app, ecs);
	a.nsrc_groups = group_names(p->pol, ew_policy_set_of(p->pol, &f->src), a.src_groups);
	a.ndst_groups = group_names(p->pol, ew_policy_set_of(p->pol, &f->dst), a.dst_groups);
	for (int r = 1; r < 64 && a.nrisks < EW_ALERT_MAX_RISKS; r++)
		if (on & (1ULL << r))
			a.risks[a.nrisks++] = ew_classify_risk_name(r);
	ew_buf_init(&mb, msg, sizeof(msg));
	ew_alert_text_risk(&mb, &a);
	a.message = msg;
	a.alert_id = ew_alert_id(&a, p->c.throttle_window_us);
	if (p->role == R_ALL)
		ew_pl_emit(p, &a);
	else
		ew_pl_to_alert(p, A_PLAIN, &a, NULL);
}

/* The new-edge detector: an allowed flow whose (source groups, destination groups,
 * service) the baseline has not seen since its learning period ended. For packet flows
 * it is asked once both the allow verdict is final and nDPI is done (so the alert names
 * the application); for exported records, at once. */
void ew_pl_new_edge(struct ew_pipeline *p, const struct ew_flow *f)
{
	struct ew_alert a;
	char se[512], de[512], app[64], ecs[64], msg[1024];
	struct ew_edges_stats es;
	struct ew_buf mb;
	uint16_t port = (f->proto == 6 || f->proto == 17 || f->proto == 132) ? f->dport : 0;

	memset(&a, 0, sizeof(a));
	a.nsrc_groups = ew_edges_end(p->pol, ew_policy_set_of(p->pol, &f->src), se, sizeof(se),
				     a.src_groups, EW_ALERT_MAX_GROUPS);
	a.ndst_groups = ew_edges_end(p->pol, ew_policy_set_of(p->pol, &f->dst), de, sizeof(de),
				     a.dst_groups, EW_ALERT_MAX_GROUPS);
	if (!ew_edges_seen(p->edges, se, de, f->proto, port, p->now))
		return;
	p->st.new_edges++;
	ew_edges_stats(p->edges, &es);
	a.ts_us = p->now;
	a.action = "new-edge";
	a.rule = "new-edge";
	a.severity = p->c.edges_sev;
	a.decided_by = "detector";
	alert_from_flow(p, f, &a, app, ecs);
	ew_buf_init(&mb, msg, sizeof(msg));
	ew_alert_text_edge(&mb, &a, se, de, es.learn_start_us);
	a.message = msg;
	a.alert_id = ew_alert_id(&a, p->c.throttle_window_us);
	ew_pl_emit(p, &a);
}

/* The policy's verdict on f, with the responder port's applications filled in first (the
 * initiator may have changed since the last verdict: a SYN settles a mid-stream guess). */
static void verdict(struct ew_pipeline *p, struct ew_flow *f, struct ew_verdict *v)
{
	ew_classify_port_apps(p->cls, f);
	ew_policy_verdict_cached(p->pol, &p->vc, f, v);
}

/* Judge e on f (e->f, or a copy carrying the port guess) and set its state to 'state'.
 * A flow judged provisionally is re-judged when its application shows, and alerts again
 * only if that escalates it (allowed -> denied, or denied by default -> by a rule). */
static void judge_flow(struct ew_pipeline *p, struct ew_ft_entry *e, const struct ew_flow *f,
		       const struct ew_verdict *v, uint8_t state)
{
	uint8_t code = v->action == EW_ALLOW ? V_ALLOW : v->rule ? V_DENY_RULE : V_DENY_DEFAULT;
	uint8_t before = VERDICT(e);

	if (JSTATE(e) != J_PROVISIONAL)
		p->st.judged++;
	if (v->action == EW_DENY && (JSTATE(e) != J_PROVISIONAL || before == V_ALLOW ||
				     (before == V_DENY_DEFAULT && code == V_DENY_RULE))) {
		int attempted = f->proto == 6 && !(e->tcp & (EW_TCP_SYNACK | EW_TCP_EST)) &&
				(e->tcp & EW_TCP_SYN);

		scan_probe(p, e, EW_SCAN_DENIED | (attempted ? EW_SCAN_FAILED : 0));
		raise_violation(p, attempted, f, v, e, SESSION(e));
	}
	VERDICT(e) = code;
	SET_JSTATE(e, state);
	if (p->c.edges_path && code == V_ALLOW && state == J_FINAL && CLS_DONE(e))
		ew_pl_to_edge(p, &e->f);
}

/* Give e nDPI's port guess when nothing better is known yet (once per flow: the guess
 * looks up both addresses in nDPI's tables). DPI that names the application later
 * replaces it. */
static const struct ew_flow *with_guess(struct ew_pipeline *p, struct ew_ft_entry *e)
{
	if (e->f.app_source == EW_APP_NONE && !CLS_DONE(e) && !GUESSED(e)) {
		ew_classify_guess(p->cls, &e->f);
		SET_GUESSED(e);
	}
	return &e->f;
}

/* The application is as known as it will be (nDPI named it or gave up, or the flow
 * ended): the verdict stands. */
static void judge_final(struct ew_pipeline *p, struct ew_ft_entry *e)
{
	struct ew_verdict v;

	if (JSTATE(e) == J_FINAL)
		return;
	verdict(p, &e->f, &v);
	judge_flow(p, e, &e->f, &v, J_FINAL);
}

static void pending_push(struct ew_pipeline *p, struct ew_ft_entry *e);

/* The flow's first packet: an allowed verdict that no application could change stands
 * now; a denied one is held for the application's name; an app-dependent one waits. */
static void judge_first(struct ew_pipeline *p, struct ew_ft_entry *e)
{
	struct ew_verdict v;

	verdict(p, &e->f, &v);
	if (!v.app_dependent && (v.action == EW_ALLOW || p->c.judge_within_us == 0)) {
		judge_flow(p, e, &e->f, &v, J_FINAL);
		return;
	}
	SET_JSTATE(e, v.app_dependent ? J_PENDING : J_HELD);
	if (p->c.judge_within_us)
		pending_push(p, e);
}

/* judge_within has passed since e's first packet and nDPI has not named the
 * application: judge with the port guess. */
static void judge_overdue_flow(struct ew_pipeline *p, struct ew_ft_entry *e)
{
	const struct ew_flow *f = with_guess(p, e);
	struct ew_verdict v;

	verdict(p, &e->f, &v);
	judge_flow(p, e, f, &v, JSTATE(e) == J_HELD ? J_FINAL : J_PROVISIONAL);
}

static int pending_valid(const struct pending *q)
{
	return (JSTATE(q->e) == J_PENDING || JSTATE(q->e) == J_HELD) &&
	       q->e->f.first_us == q->first_us && q->e->hash == q->hash;
}

/* A full queue doubles, up to pending_max: flows that wait are judged at their
 * deadline however many new ones a second bring (a fixed 65,536 judged early, with the
 * port guess, what came past ~65,000 new flows a second, and with workers each had its
 * own 65,536: two judged later than one). Grown, it stays so. */
static int pending_grow(struct ew_pipeline *p)
{
	uint32_t n = p->psize > p->pending_max / 2 ? p->pending_max : 2 * p->psize;
	struct pending *q;

	if (n <= p->psize || (q = malloc((size_t)n * sizeof(*q))) == NULL)
		return -1;
	for (uint32_t i = 0; i < p->pcount; i++)
		q[i] = p->pend[(p->phead + i) % p->psize];
	free(p->pend);
	p->pend = q;
	p->phead = 0;
	p->psize = n;
	return 0;
}

static void pending_push(struct ew_pipeline *p, struct ew_ft_entry *e)
{
	struct pending *q;

	if (p->pcount == p->psize && pending_grow(p) != 0) {
		q = &p->pend[p->phead];  /* full: the oldest waiter is judged now */
		if (pending_valid(q)) {
			judge_overdue_flow(p, q->e);
			p->st.pending_early++;
		}
		p->phead = (p->phead + 1) % p->psize;
		p->pcount--;
	}
	q = &p->pend[(p->phead + p->pcount) % p->psize];
	q->e = e;
	q->first_us = e->f.first_us;
	q->hash = e->hash;
	p->pcount++;
}

static void judge_overdue(struct ew_pipeline *p)
{
	while (p->pcount) {
		struct pending *q = &p->pend[p->phead];

		if (q->first_us + p->c.judge_within_us > p->now)
			break;
		if (pending_valid(q))
			judge_overdue_flow(p, q->e);
		p->phead = (p->phead + 1) % p->psize;
		p->pcount--;
	}
}

static void write_flow(struct ew_pipeline *p, const struct ew_flow *f, uint8_t given)
{
	char app[64], ecs[64], key[EW_ADDR_STRLEN];
	struct ew_flow g = *f;
	struct ew_verdict v;
	struct ew_alert a;
	struct ew_buf b;
	int allowed = given == V_ALLOW, denied = given >= V_DENY_DEFAULT;

	/* the rule and the groups from the policy now (the verdict cache makes it cheap);
	 * a rule is named only when it still gives the verdict the flow was given */
	memset(&a, 0, sizeof(a));
	verdict(p, &g, &v);
	alert_from_flow(p, f, &a, app, ecs);
	a.nsrc_groups = group_names(p->pol, v.src_set, a.src_groups);
	a.ndst_groups = group_names(p->pol, v.dst_set, a.dst_groups);
	if ((allowed && v.action == EW_ALLOW) || (denied && v.action == EW_DENY)) {
		a.rule = v.rule ? v.rule->name : v.by == EW_BY_DEFAULT ? "default" : NULL;
		a.decided_by = v.by == EW_BY_DENY_RULE ? "deny-rule" : v.by == EW_BY_ALLOW_RULE ?
			       "allow-rule" : v.by == EW_BY_INTRA ? "intra-group" : "default";
	}
	ew_buf_init(&b, p->flowbuf, sizeof(p->flowbuf));
	ew_fmt_flow(&b, f, &a, denied ? "deny" : allowed ? "allow" : "none");
	if (p->c.flows_out)
		fwrite(b.p, 1, b.len, p->c.flows_out);
	if (p->flow_sinks && b.len > 1 && !ew_buf_overflow(&b))
		ew_pl_to_flow(p, b.p, b.len - 1, ew_addr_format(&f->src, key));
}

static void on_flow_end(void *arg, struct ew_ft_entry *e, int final)
{
	struct ew_pipeline *p = arg;

	if (final) {
		if (e->f.end_reason == EW_END_EVICTED)
			table_pressure(p);
		if ((e->f.proto == 6 && (e->tcp & EW_TCP_SYN) && !(e->tcp & EW_TCP_EST)) ||
		    (e->f.proto == 17 && e->f.pkts[1] == 0))
			scan_probe(p, e, EW_SCAN_FAILED);
		if (!CLS_DONE(e)) {
			/* risks of a flow nDPI never inspected (a SYN scan's probe, named by
			 * its port at the end) are no evidence: "Unsafe Protocol" for a SYN */
			int inspected = e->cls != NULL;

			ew_classify_finish(p->cls, &e->cls, &e->f);
			CLS_DONE(e) = 1;
			if (inspected)
				detect_risk(p, &e->f);
			if (p->c.edges_path && VERDICT(e) == V_ALLOW && JSTATE(e) == J_FINAL)
				ew_pl_to_edge(p, &e->f);
		}
		switch (e->f.app_source) {
		case EW_APP_DPI: p->st.app_dpi++; break;
		case EW_APP_PORT: p->st.app_port++; break;
		default: p->st.app_none++; break;
		}
		judge_final(p, e);
	}
	if (p->c.flow_fn)
		p->c.flow_fn(p->c.flow_arg, &e->f, final);
	if (p->c.flows_out || p->flow_sinks)
		write_flow(p, &e->f, VERDICT(e));
}

/* A flow from exported records, oriented: judged at once (records come after the fact). */
static void on_paired(void *arg, const struct ew_flow *rf)
{
	struct ew_pipeline *p = arg;
	struct ew_flow f = *rf;
	struct ew_verdict v;

	if (f.app_source == EW_APP_NONE)
		ew_classify_guess(p->cls, &f);
	switch (f.app_source) {
	case EW_APP_EXPORTER: p->st.app_exporter++; break;
	case EW_APP_PORT: p->st.app_port++; break;
	default: p->st.app_none++; break;
	}
	p->st.flows++;
	p->st.judged++;
	verdict(p, &f, &v);
	if (p->c.scan_enabled) {
		/* failed: the initiator never acknowledged (the handshake did not complete),
		 * or nothing came back */
		unsigned what = EW_SCAN_TOUCH | (v.action == EW_DENY ? EW_SCAN_DENIED : 0) |
				(ew_scan_watched(&p->c.scan, f.proto, f.dport) ? EW_SCAN_ATTEMPT : 0);

		if ((f.proto == 6 && f.tcp_flags[0] && !(f.tcp_flags[0] & EW_TH_ACK)) ||
		    ((f.proto == 6 || f.proto == 17) && f.pkts[1] == 0))
			what |= EW_SCAN_FAILED;
		/* judged already: unless it is a probe, it tracks no new source (at record
		 * rates a table of every talking host costs more than the rest of the path) */
		what |= EW_SCAN_QUIET;
		ew_pl_to_observe(p, &f, what, p->now);
	}
	if (v.action == EW_DENY)
		raise_violation(p, f.proto == 6 && f.pkts[1] == 0 && !(f.tcp_flags[0] & EW_TH_ACK),
				&f, &v, NULL, record_session(&f));
	else if (p->c.edges_path)
		ew_pl_to_edge(p, &f);
	if (p->c.flow_fn)
		p->c.flow_fn(p->c.flow_arg, &f, 1);
	if (p->c.flows_out || p->flow_sinks)
		write_flow(p, &f, v.action == EW_ALLOW ? V_ALLOW : v.rule ? V_DENY_RULE : V_DENY_DEFAULT);
}

/* Time moves on to t: every deadline that falls due before it (judge_within, a held
 * alert's hold, and each second's expiry of idle flows, telemetry pairs and scan
 * windows) runs in time order at the time it falls due, as a live sensor's would, so a
 * replay judges, stamps and throttles as the sensor would have: a gap in a capture is no
 * reason to judge late. */
/* A full flow table evicting flows that were answered and open is blind in part: said,
 * as a self-alert (at most one a minute) and in /metrics, never silent. */
static void table_pressure(struct ew_pipeline *p)
{
	struct ew_flowtab_stats fs;
	struct ew_alert a;
	char msg[512];
	struct ew_buf mb;
	uint64_t n;

	ew_flowtab_stats(p->ft, &fs);
	n = fs.evicted_answered - p->ft_evicted_seen;
	if (n == 0 || (p->ft_alerted_us && p->now < p->ft_alerted_us + 60 * EW_USEC))
		return;
	p->ft_evicted_seen = fs.evicted_answered;
	p->ft_alerted_us = p->now;
	memset(&a, 0, sizeof(a));
	a.ts_us = p->now;
	a.action = "flow-table-full";
	a.rule = "flow-table";
	a.decided_by = "detector";
	a.severity = EW_SEV_HIGH;
	a.app = "Unknown";
	a.app_ecs = "unknown";
	a.app_source = EW_APP_NONE;
	a.observer_name = p->c.sensor;
	a.repeats = n;
	ew_buf_init(&mb, msg, sizeof(msg));
	ew_buf_puts(&mb, "the flow table is full (");
	ew_buf_u64(&mb, p->c.ft.max_flows);
	ew_buf_puts(&mb, " flows): ");
	ew_buf_u64(&mb, n);
	ew_buf_puts(&mb, " open, answered flows evicted since the last report (");
	ew_buf_u64(&mb, fs.evicted);
	ew_buf_puts(&mb, " evictions in all); flows picked up again are oriented from memory, "
		    "but what they said while out of the table was not seen: raise flows.max");
	a.message = msg;
	a.alert_id = ew_alert_id(&a, 60 * EW_USEC);
	if (p->role == R_ALL)
		ew_pl_emit_direct(p, &a);
	else
		ew_pl_to_alert(p, A_DIRECT, &a, NULL);
	ew_warn("%s", msg);
}

/* The next whole second after t: the flow table's expiry and the scan detector's looks
 * fall on whole seconds of the clock, so that which flows end when, and when a scanner
 * is reported, does not depend on which other flows a pipeline has (workers agree). */
static uint64_t next_second(uint64_t t)
{
	return t - t % EW_USEC + EW_USEC;
}

/* The flow side's next deadline (judge_within, telemetry pairs, idle flows) at or after
 * which there is work; *tick is set to the flow table's. */
static uint64_t flow_due(struct ew_pipeline *p, uint64_t t, uint64_t *tick)
{
	uint64_t due, pd;

	*tick = UINT64_MAX;
	/* Idle flows are looked for once a second at most, on whole seconds, and then at
	 * the second their time is up: a capture's gap of days is crossed in one step. */
	if (t >= p->next_expire) {
		uint64_t d = ew_flowtab_next_due(p->ft);

		if (d != UINT64_MAX)
			*tick = d % EW_USEC ? next_second(d) : d;
		if (*tick < p->next_expire)
			*tick = p->next_expire;
		if (*tick > t)                    /* nothing idle yet: look again next second */
			p->next_expire = next_second(t);
	}
	due = *tick;
	if (p->pcount && p->pend[p->phead].first_us + p->c.judge_within_us < due)
		due = p->pend[p->phead].first_us + p->c.judge_within_us;
	if ((pd = ew_pairing_next_due(p->pairing)) < due)
		due = pd;
	return due;
}

/* The owner's next deadline: a held alert's hold ends, or the scan detector's next look
 * (each second while a scanner waits to be reported). */
static uint64_t owner_due(struct ew_pipeline *p, uint64_t *scan_at)
{
	uint64_t due = p->hold ? ew_scan_hold_next(p->hold) : UINT64_MAX;

	*scan_at = UINT64_MAX;
	if (p->scan && ew_scan_busy(p->scan)) {
		*scan_at = p->scan_next > p->now ? p->scan_next : next_second(p->now);
		if (*scan_at < due)
			due = *scan_at;
	}
	return due;
}

/* Time moves on to t: every deadline that falls due by then runs in time order at the
 * time it falls due, as a live sensor's would, so a replay judges, stamps and throttles
 * as the sensor would have: a gap in a capture is no reason to judge late. At one time,
 * the flow side's work comes first, then the owner's (holds, scan reports), which takes
 * its deadlines at t itself only when inclusive (the owner of workers takes a message
 * made by a deadline at t before its own deadlines at t). */
void ew_pl_advance(struct ew_pipeline *p, uint64_t t, int inclusive)
{
	if (p->next_expire == 0)
		p->next_expire = next_second(t);   /* the first time seen */
	for (;;) {
		uint64_t tick = UINT64_MAX, fd, od = UINT64_MAX, scan_at = UINT64_MAX;

		fd = flow_due(p, t, &tick);
		if (p->role == R_ALL)
			od = owner_due(p, &scan_at);
		if (fd <= t && fd <= od) {
			if (fd > p->now)
				p->now = fd;
			p->in_deadline = 1;
			if (p->pcount)
				judge_overdue(p);
			if (ew_pairing_next_due(p->pairing) <= p->now)
				ew_pairing_expire(p->pairing, p->now);
			if (p->now >= tick) {
				ew_flowtab_expire(p->ft, p->now);
				p->next_expire = next_second(p->now);
			}
			p->in_deadline = 0;
			continue;
		}
		if (od < t || (od == t && inclusive)) {
			if (od > p->now)
				p->now = od;
			ew_scan_hold_release(p->hold, p->now, 0);
			if (p->now == scan_at) {
				/* held alerts due now went first: counted before their scan
				 * alert (scan_hold, 2 s, is shorter than settle, 3 s) */
				ew_scan_tick(p->scan, p->now);
				p->scan_next = p->now + EW_USEC;
			}
			continue;
		}
		break;
	}
	if (t > p->now)
		p->now = t;
}

void ew_pipeline_record(struct ew_pipeline *p, const struct ew_record *r, uint16_t source_id,
			uint64_t now_us)
{
	struct ew_flow f;

	ew_pl_advance(p, now_us, 1);
	p->st.records++;
	if (!r->has_flow || r->is_options) {
		p->st.records_not_flows++;
		return;
	}
	f = r->f;
	f.outcome = r->cloud_action;
	if (r->icmp_untyped && (f.proto == 1 || f.proto == 58)) {
		/* a flow log's ICMP record has no type (ports 0): the two directions are
		 * paired as any flow's, the earlier (or first read) one the initiator */
		f.source_id = source_id;
		f.app_source = EW_APP_NONE;
		ew_pairing_add(p->pairing, &f, EW_PAIR_ONE_WAY, 0, now_us);
		return;
	}
	if (f.proto == 2 || f.proto == 1 || f.proto == 58) {
		int req = ew_icmp_request_of(f.proto, (uint8_t)f.sport);

		if (ew_icmp_not_a_flow(f.proto, (uint8_t)f.sport)) {
			p->st.infra++;     /* as the packet path does */
			return;
		}
		if (f.proto != 2) {
			/* ICMP carries its direction in the type: a reply record is the
			 * request's flow seen from the other side. Both are judged as the
			 * request's flow (the throttle makes them one alert). */
			if (req >= 0) {
				struct ew_addr a = f.src;

				f.src = f.dst;
				f.dst = a;
				f.sport = (uint16_t)req;
				f.pkts[1] = f.pkts[0];
				f.bytes[1] = f.bytes[0];
				f.pkts[0] = 0;
				f.bytes[0] = 0;
			}
			f.source_id = source_id;
			f.app_source = EW_APP_NONE;
			ew_pairing_add(p->pairing, &f, EW_PAIR_BIFLOW_SRC, 0, now_us);
			return;
		}
	}
	f.source_id = source_id;
	f.app_source = EW_APP_NONE;
	if (r->app_name != NULL) {
		int id = ew_classify_lookup(p->cls, r->app_name);

		if (id > 0) {
			f.app_proto = (uint16_t)id;
			f.app_master = 0;
			f.app_source = EW_APP_EXPORTER;
		}
	}
	ew_pairing_add(p->pairing, &f,
		       !r->biflow ? EW_PAIR_ONE_WAY :
		       r->biflow_direction == 1 ? EW_PAIR_BIFLOW_SRC :     /* initiator */
		       r->biflow_direction == 2 ? EW_PAIR_BIFLOW_DST :     /* reverseInitiator */
		       EW_PAIR_BIFLOW, r->has_tcp_flags, now_us);
}

/* No SYN settled e's initiator: its payload may say which side asks (orient.h). A flow
 * turned round that was allowed already is judged again the right way round. */
static void orient(struct ew_pipeline *p, struct ew_ft_entry *e, const struct ew_pkt *pk,
		   int *dir, int created)
{
	int o = ew_orient_payload(pk->k.proto, pk->k.sport, pk->k.dport,
				  pk->l3 + pk->l3_len - pk->k.l4_payload, pk->k.l4_payload);
	uint8_t data;

	if (o == 0)
		return;
	if (!ew_flowtab_set_initiator(e, o == EW_ORIENT_ASKS ? *dir : !*dir))
		return;
	*dir = !*dir;
	p->st.reoriented++;
	data = e->user[3] & (DATA_I | DATA_R);       /* the data bits follow the ends */
	e->user[3] = (uint8_t)((e->user[3] & ~(DATA_I | DATA_R)) |
			       ((data & DATA_I) ? DATA_R : 0) | ((data & DATA_R) ? DATA_I : 0));
	if (!created && JSTATE(e) == J_FINAL && VERDICT(e) == V_ALLOW) {
		SET_JSTATE(e, J_NONE);
		judge_first(p, e);
	}
}

void ew_pipeline_packet(void *arg, const struct ew_raw_pkt *rp)
{
	struct ew_pipeline *p = arg;
	struct ew_pkt pk;
	struct ew_ft_entry *e;
	int rc, dir, created, later_frag = 0;

	p->st.packets++;
	p->st.bytes += rp->len;
	pk.k.weight = 1;
	p->seq = rp->seq;
	ew_pl_advance(p, rp->ts_us, 1);
	rc = ew_pkt_decode(&pk, rp->dlt, rp->data, rp->caplen);
	p->st.len_from_capture += pk.len_from_capture;
	if (rc != EW_OK) {
		if (rc == EW_E_TRUNC)
			p->st.trunc++;
		else if (rc == EW_E_MALFORMED)
			p->st.malformed++;
		else
			p->st.unsupported++;
		return;
	}
	switch (pk.kind) {
	case EW_PKT_FLOW:
		if (pk.first_frag)
			ew_frag_track(p->frag, &pk, p->now);
		break;
	case EW_PKT_FRAG:
		if (!ew_frag_track(p->frag, &pk, p->now)) {
			p->st.frag_unattributed++;
			return;
		}
		later_frag = 1;
		break;
	case EW_PKT_INFRA:
		p->st.infra++;
		return;
	case EW_PKT_ICMP_ERROR:
		p->st.icmp_errors++;
		return;
	default:
		p->st.not_ip++;
		return;
	}
	p->st.flow_packets++;
	if (rp->weight > 1)
		pk.k.weight = rp->weight;
	e = ew_flowtab_packet(p->ft, &pk.k, rp->ts_us, &dir, &created);
	if (!e->orient_fixed && pk.k.l4_payload && !later_frag &&
	    (pk.k.proto == 6 || pk.k.proto == 17))
		orient(p, e, &pk, &dir, created);
	if (created) {
		p->st.flows++;
		e->f.source_kind = rp->source_kind;
		e->f.source_id = rp->source_id;
		if (p->c.scan_enabled)
			scan_probe(p, e, EW_SCAN_TOUCH |
				   (ew_scan_watched(&p->c.scan, e->f.proto, e->f.dport) ?
				    EW_SCAN_ATTEMPT : 0));
		judge_first(p, e);
	}
	/* application data each way makes the flow a session: its alert never folds (a
	 * sampled data segment of an established connection stands for both ways) */
	if (pk.k.l4_payload && !later_frag &&
	    (pk.k.proto == 6 || pk.k.proto == 17 || pk.k.proto == 132) && !SESSION(e)) {
		uint8_t bit = dir ? DATA_R : DATA_I;

		if (pk.k.weight > 1 && pk.k.proto == 6 &&
		    (pk.k.tcp_flags & (EW_TH_SYN | EW_TH_ACK)) == EW_TH_ACK)
			bit = DATA_I | DATA_R;
		e->user[3] |= bit;
		if (SESSION(e) && p->c.scan_enabled)
			ew_pl_to_session(p, e);
	}
	/* a refused connection (RST before the handshake completed, also the scanner's own
	 * RST after a SYN-ACK): a failed probe now, not when the flow times out */
	if ((pk.k.tcp_flags & EW_TH_RST) && p->c.scan_enabled && (e->tcp & EW_TCP_SYN) &&
	    !(e->tcp & EW_TCP_EST))
		scan_probe(p, e, EW_SCAN_FAILED);
	/* Inspection (and its 700-byte state) starts at the first payload or at the
	 * handshake's closing ACK, whichever comes first: a SYN scan or flood (SYN,
	 * SYN-ACK or RST-ACK, RST) costs no nDPI memory, and nDPI sees the ACK that sets up
	 * its TCP sequence tracking (without it, nDPI 4.2 misses what HTTP responses carry,
	 * such as a binary download's content type). */
	if (!CLS_DONE(e) && !later_frag &&
	    (pk.k.l4_payload > 0 || pk.k.proto != 6 ||
	     (pk.k.tcp_flags & (EW_TH_SYN | EW_TH_ACK | EW_TH_RST)) == EW_TH_ACK)) {
		rc = ew_classify_packet(p->cls, &e->cls, &e->f, pk.l3, pk.l3_len, rp->ts_us);
		if (rc & EW_CLS_FINISHED) {
			CLS_DONE(e) = 1;
			detect_risk(p, &e->f);
			if (p->c.edges_path && VERDICT(e) == V_ALLOW && JSTATE(e) == J_FINAL)
				ew_pl_to_edge(p, &e->f);
		}
		if (rc & (EW_CLS_APP_KNOWN | EW_CLS_FINISHED))
			judge_final(p, e);
	}
}

void ew_pipeline_sflow_sample(struct ew_pipeline *p, const struct ew_sflow_sample *s,
			      uint16_t source_id, uint64_t now_us)
{
	struct ew_raw_pkt rp;

	p->st.samples++;
	if (!s->has_header) {
		p->st.samples_without_header++;
		return;
	}
	memset(&rp, 0, sizeof(rp));
	if ((rp.dlt = ew_sflow_header_dlt(s->header_protocol)) < 0) {
		p->st.samples_without_header++;
		return;
	}
	rp.ts_us = now_us;
	rp.data = s->header;
	rp.caplen = s->header_len;
	rp.len = s->frame_len;
	rp.source_id = source_id;
	rp.source_kind = p->kind_sflow;
	rp.weight = s->rate;
	ew_pipeline_packet(p, &rp);
}

void ew_pipeline_telemetry_gap(struct ew_pipeline *p, const struct ew_exporter_health *h,
			       uint8_t kind, uint64_t silent_us, uint64_t now_us)
{
	struct ew_alert a;
	char msg[512], ts[32], s1[EW_ADDR_STRLEN];
	const char *what = kind == p->kind_sflow ? "sflow" : "ipfix";
	struct ew_buf mb;

	memset(&a, 0, sizeof(a));
	a.ts_us = now_us;
	a.action = silent_us ? "telemetry-gap" : "telemetry-resumed";
	a.self = 1;
	a.rule = "telemetry-gap";
	a.decided_by = "detector";
	a.severity = silent_us ? EW_SEV_HIGH : EW_SEV_INFO;
	a.src = h->addr;
	a.sport = h->port;
	a.dst = h->listen;
	a.dport = h->listen_port;
	a.proto = 17;
	a.app = kind == p->kind_sflow ? "sFlow" : "IPFIX";
	a.app_ecs = what;
	a.app_source = EW_APP_NONE;
	a.nsrc_groups = group_names(p->pol, ew_policy_set_of(p->pol, &h->addr), a.src_groups);
	a.observer_name = p->c.sensor;
	a.observer_type = ew_source_kind_name(kind);
	a.flow_start_us = h->first_seen_us;
	a.pkts[0] = h->datagrams;
	ew_buf_init(&mb, msg, sizeof(msg));
	ew_buf_puts(&mb, "exporter ");
	ew_buf_puts(&mb, ew_addr_format(&h->addr, s1));
	if (silent_us) {
		ew_buf_puts(&mb, " has sent no flow telemetry for ");
		ew_buf_u64(&mb, silent_us / EW_USEC);
		ew_buf_puts(&mb, " s (last at ");
		ew_buf_puts(&mb, ew_time_rfc3339(h->last_seen_us, ts));
		ew_buf_puts(&mb, "): until it is heard again, no alert from it means nothing");
	} else {
		ew_buf_puts(&mb, " is sending flow telemetry again");
	}
	a.message = msg;
	a.alert_id = ew_alert_id(&a, p->c.throttle_window_us);
	ew_pl_emit_direct(p, &a);
}

void ew_pipeline_tick(struct ew_pipeline *p, uint64_t now_us)
{
	if (p->edges && now_us >= p->edges_saved_us + 60 * EW_USEC) {
		if (ew_edges_save(p->edges) != EW_OK)
			ew_warn("new-edge: cannot save the baseline to %s", p->c.edges_path);
		p->edges_saved_us = now_us;
	}
	ew_pl_advance(p, now_us, 1);
}

void ew_pipeline_clock(struct ew_pipeline *p, uint64_t ts_us, uint64_t seq)
{
	p->seq = seq;
	ew_pl_advance(p, ts_us, 1);
}

void ew_pipeline_drain(struct ew_pipeline *p)
{
	ew_pl_advance(p, p->now + p->c.judge_within_us + p->c.scan_hold_us + p->c.scan.settle_us +
		   EW_USEC, 1);
}

void ew_pipeline_finish(struct ew_pipeline *p)
{
	p->in_deadline = 1;
	ew_pairing_flush(p->pairing);
	ew_flowtab_flush(p->ft, EW_END_SHUTDOWN);
	p->in_deadline = 0;
	if (p->scan) {
		ew_scan_hold_release(p->hold, p->now, 1);
		ew_scan_flush(p->scan);
	}
	if (p->c.flows_out)
		fflush(p->c.flows_out);
}

void ew_pipeline_stats(const struct ew_pipeline *p, struct ew_pipeline_stats *out)
{
	*out = p->st;
	out->queue_full = p->queue_full;
	out->pending = p->pcount;
	out->pending_capacity = p->pending_max;
	if (p->pairing) {
		struct ew_pairing_stats ps;

		ew_pairing_stats(p->pairing, &ps);
		out->pairing = ps.waiting;
		out->pairing_capacity = ps.capacity;
		out->pairing_evicted = ps.evicted;
	}
	if (p->hold)
		ew_scan_hold_counts(p->hold, &out->held, &out->folded);
	if (p->scan) {
		struct ew_scan_stats ss;

		ew_scan_stats(p->scan, &ss);
		out->scan_sources = ss.sources;
		out->scan_capacity = ss.capacity;
		out->scan_evicted = ss.evicted;
	}
	if (p->thr) {
		struct ew_throttle_stats ts;

		ew_throttle_stats(p->thr, &ts);
		out->throttle_keys = ts.keys;
		out->throttle_capacity = ts.capacity;
		out->throttle_evicted = ts.evicted;
	}
}

_Static_assert(sizeof(struct ew_pipeline_stats) % sizeof(uint64_t) == 0,
	       "struct ew_pipeline_stats holds uint64_t counters only");

void ew_pipeline_stats_add(struct ew_pipeline_stats *to, const struct ew_pipeline_stats *from)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)from;

	/* every member is a uint64_t counter */
	for (size_t i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

void ew_pipeline_flow_stats(const struct ew_pipeline *p, struct ew_flowtab_stats *out,
			    uint32_t *max)
{
	ew_flowtab_stats(p->ft, out);
	*max = p->c.ft.max_flows;
}

void ew_pipeline_rule_counts(const struct ew_pipeline *p,
			     void (*fn)(void *arg, const char *rule, uint64_t n), void *arg)
{
	for (uint32_t i = 0; i < p->nrc; i++)
		fn(arg, p->rc[i].name, p->rc[i].n);
	if (p->rc_other)
		fn(arg, "(other rules)", p->rc_other);
}

void ew_pipeline_report(const struct ew_pipeline *p, const struct ew_pipeline *const *w,
			unsigned nw, FILE *out)
{
	struct ew_flowtab_stats fs;
	struct ew_cls_stats cs;
	struct ew_pipeline_stats st;

	ew_flowtab_stats(p->ft, &fs);
	ew_classify_stats(p->cls, &cs);
	ew_pipeline_stats(p, &st);
	for (unsigned i = 0; i < nw; i++) {      /* the workers' tables and counters, summed */
		struct ew_flowtab_stats f;
		struct ew_cls_stats c;
		struct ew_pipeline_stats s;

		ew_flowtab_stats(w[i]->ft, &f);
		ew_classify_stats(w[i]->cls, &c);
		ew_pipeline_stats(w[i], &s);
		ew_pipeline_stats_add(&st, &s);
		fs.peak += f.peak;
		fs.evicted += f.evicted;
		fs.active_reports += f.active_reports;
		cs.peak_active += c.peak_active;
		cs.overflow += c.overflow;
	}
	fprintf(out, "  flows: %llu (peak %u live, %llu evicted, %llu long-flow reports, %llu "
		"turned round by their payload); application: dpi %llu, port guess %llu, none "
		"%llu\n",
		(unsigned long long)st.flows, fs.peak, (unsigned long long)fs.evicted,
		(unsigned long long)fs.active_reports, (unsigned long long)st.reoriented,
		(unsigned long long)st.app_dpi,
		(unsigned long long)st.app_port, (unsigned long long)st.app_none);
	if (st.records || st.samples)
		fprintf(out, "  telemetry: %llu records (%llu not flows: options or no addresses), "
			"%llu sFlow samples (%llu without a usable header), application named by "
			"the exporter for %llu flows\n",
			(unsigned long long)st.records, (unsigned long long)st.records_not_flows,
			(unsigned long long)st.samples,
			(unsigned long long)st.samples_without_header,
			(unsigned long long)st.app_exporter);
	fprintf(out, "  not judged as flows: infrastructure %llu, ICMP errors %llu, non-IP %llu, "
		"unattributed fragments %llu; undecodable: truncated %llu, malformed %llu, "
		"unsupported %llu; IPv4 length 0 taken from the capture (TSO) %llu\n",
		(unsigned long long)st.infra, (unsigned long long)st.icmp_errors,
		(unsigned long long)st.not_ip, (unsigned long long)st.frag_unattributed,
		(unsigned long long)st.trunc, (unsigned long long)st.malformed,
		(unsigned long long)st.unsupported,
		(unsigned long long)st.len_from_capture);
	if (p->hold)
		fprintf(out, "  scan detector: %llu scan alerts; %llu policy alerts held a moment, "
			"%llu folded into scan alerts\n", (unsigned long long)st.scans,
			(unsigned long long)st.held, (unsigned long long)st.folded);
	if (st.queue_full)
		fprintf(out, "  workers: %llu findings lost to a full queue to the owner\n",
			(unsigned long long)st.queue_full);
	if (st.pending_early)
		fprintf(out, "  judged before judge_within: %llu flows (at most %llu may wait "
			"at once)\n", (unsigned long long)st.pending_early,
			(unsigned long long)st.pending_capacity);
	if (st.pairing_evicted)
		fprintf(out, "  export records sent on unpaired because %llu waited for their "
			"other direction at once: %llu\n", (unsigned long long)st.pairing_capacity,
			(unsigned long long)st.pairing_evicted);
	fprintf(out, "  nDPI: %u bytes of inspection state per flow while classifying, peak %u "
		"flows at once (%llu flows left to the port guess when the pool was full)\n",
		cs.state_bytes, cs.peak_active, (unsigned long long)cs.overflow);
}
