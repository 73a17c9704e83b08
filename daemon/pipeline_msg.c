/* SPDX-License-Identifier: Apache-2.0 */
/* pipeline_msg - what crosses from a worker's flow side to its owner: a probe seen, an
 * alert made whole, a flow that became a session, an allowed flow for new-edge, a flow
 * record; each a message stamped with the worker's clock (pipeline.h, struct ew_pmsg),
 * taken by the owner in time order (ew_pipeline_owner_take). A pipeline that is its own
 * owner calls the owner's side at once. */
#include "daemon/pipeline_int.h"
#include "core/ew_ring.h"
#include "core/ew_time.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What a worker's flow side tells the owner (the detectors that look across flows and
 * the sinks), after the header (pipeline.h). The throttle stays with the flow side: its
 * key (rule, source, destination, port) holds two addresses, so every alert of one key
 * comes from the worker those addresses hash to. */
enum msg_type { M_TIME, M_OBSERVE, M_OBSERVE4, M_ALERT, M_SESSION, M_EDGE, M_FLOW };

/* Every new flow is one (and a failed one a second): the most frequent message, so it
 * is small. Its protocol, what it was, the source's kind and the port ride in the
 * header's h.arg (OBS_*); the addresses follow, 4 bytes each for IPv4 (M_OBSERVE4: 48
 * bytes in the ring with its length) and 16 for IPv6 (M_OBSERVE: 72). */
enum { OBS_PROTO, OBS_WHAT, OBS_KIND, OBS_DPORT = 4 };
struct msg_observe {
	struct ew_pmsg h;
	uint64_t ts;
	uint8_t a[];               /* source, then destination */
};
struct msg_alert {
	struct ew_pmsg h;
	uint8_t kind;
	struct ew_scan_hold_flow fl;
	struct ew_alert_copy c;
};
struct msg_session {
	struct ew_pmsg h;
	const void *entry;
	uint64_t first_us;
	uint32_t hash;
};
struct msg_edge {
	struct ew_pmsg h;
	struct ew_flow f;
};
struct msg_flow {
	struct ew_pmsg h;
	uint32_t len;
	char key[EW_ADDR_STRLEN];
	char line[];
};

/* The ring to the owner is full: replay waits (the owner takes, room comes); live, an
 * alert waits up to 10 ms (the kernel's ring holds far more than that), anything else
 * is counted lost (queue_full) at once. 0: try again; -1: lost. */
static int msg_wait(struct ew_pipeline *p, uint8_t type, size_t len, uint64_t *until)
{
	struct timespec ts = { 0, 20000 };

	if (*until == 0)
		*until = ew_time_mono_us() + 10000;
	if (len > ew_ring_capacity(p->out) / 4 ||
	    (!p->out_block && (type != M_ALERT || ew_time_mono_us() > *until))) {
		p->queue_full++;
		return -1;
	}
	nanosleep(&ts, NULL);
	return 0;
}

static void msg_head(struct ew_pipeline *p, struct ew_pmsg *h, uint8_t type)
{
	h->ts = p->now;
	h->seq = p->seq;
	h->cls = p->in_deadline ? 0 : 1;
	h->type = type;
}

/* Room for a message to the owner, its header filled in; NULL: lost. */
static void *msg_new(struct ew_pipeline *p, uint8_t type, size_t len)
{
	struct ew_pmsg *h;
	uint64_t until = 0;

	while ((h = ew_ring_reserve(p->out, len)) == NULL)
		if (msg_wait(p, type, len, &until) != 0)
			return NULL;
	msg_head(p, h, type);
	p->sent += type != M_TIME;
	return h;
}

/* A message built whole (its header filled in here), written around the worker's
 * caches: the worker will not read it again (ew_ring_put). */
static void msg_put(struct ew_pipeline *p, struct ew_pmsg *h, uint8_t type, size_t len)
{
	uint64_t until = 0;

	msg_head(p, h, type);
	while (ew_ring_put(p->out, h, len) != 0)
		if (msg_wait(p, type, len, &until) != 0)
			return;
	p->sent += type != M_TIME;
}

static void owner_observe(struct ew_pipeline *o, const struct ew_addr *src,
			  const struct ew_addr *dst, uint8_t proto, uint16_t dport, unsigned what,
			  uint64_t ts, uint8_t kind)
{
	o->last_kind = kind;
	ew_scan_observe(o->scan, src, dst, proto, dport, what, ts);
}

void ew_pl_to_observe(struct ew_pipeline *p, const struct ew_flow *f, unsigned what,
		       uint64_t ts)
{
	union {
		struct msg_observe m;
		uint8_t b[sizeof(struct msg_observe) + 32];
	} u;
	struct msg_observe *m = &u.m;
	int v4;

	if (p->role == R_ALL) {
		owner_observe(p, &f->src, &f->dst, f->proto, f->dport, what, ts, f->source_kind);
		return;
	}
	/* a judged record that is no probe counts only for a source tracked already: not
	 * sent for one the owner's detector has certainly not tracked (at record rates
	 * these are most of what a worker would send) */
	if ((what & EW_SCAN_QUIET) &&
	    !(what & (EW_SCAN_ATTEMPT | EW_SCAN_FAILED | EW_SCAN_DENIED)) && p->owner_scan &&
	    !ew_scan_may_track(p->owner_scan, &f->src))
		return;
	v4 = ew_addr_is_v4(&f->src) && ew_addr_is_v4(&f->dst);
	m->h.arg[OBS_PROTO] = f->proto;
	m->h.arg[OBS_WHAT] = (uint8_t)what;
	m->h.arg[OBS_KIND] = f->source_kind;
	m->h.arg[OBS_KIND + 1] = 0;          /* unused: nothing unset goes to the ring */
	memcpy(&m->h.arg[OBS_DPORT], &f->dport, 2);
	m->ts = ts;
	if (v4) {
		memcpy(m->a, &f->src.a[12], 4);
		memcpy(m->a + 4, &f->dst.a[12], 4);
	} else {
		memcpy(m->a, f->src.a, 16);
		memcpy(m->a + 16, f->dst.a, 16);
	}
	msg_put(p, &m->h, v4 ? M_OBSERVE4 : M_OBSERVE, sizeof(*m) + (v4 ? 8 : 32));
}

/* An alert a worker made whole, throttled already. */
void ew_pl_to_alert(struct ew_pipeline *p, uint8_t kind, const struct ew_alert *a,
		     const struct ew_scan_hold_flow *fl)
{
	struct msg_alert *m = msg_new(p, M_ALERT, sizeof(*m));

	if (m == NULL)
		return;
	m->kind = kind;
	if (fl)
		m->fl = *fl;
	ew_alert_copy(&m->c, a);     /* strings past its arena are cut, not lost */
	ew_ring_shrink(p->out, offsetof(struct msg_alert, c) + ew_alert_copy_size(&m->c));
	ew_ring_commit(p->out);
}

void ew_pl_to_session(struct ew_pipeline *p, const struct ew_ft_entry *e)
{
	struct msg_session *m;

	if (p->role == R_ALL) {
		if (p->hold)
			ew_scan_hold_session(p->hold, e, e->f.first_us, e->hash);
		return;
	}
	if ((m = msg_new(p, M_SESSION, sizeof(*m))) == NULL)
		return;
	m->entry = e;
	m->first_us = e->f.first_us;
	m->hash = e->hash;
	ew_ring_commit(p->out);
}

void ew_pl_to_edge(struct ew_pipeline *p, const struct ew_flow *f)
{
	struct msg_edge *m;

	if (p->role == R_ALL) {
		ew_pl_new_edge(p, f);
		return;
	}
	if ((m = msg_new(p, M_EDGE, sizeof(*m))) == NULL)
		return;
	m->f = *f;
	ew_ring_commit(p->out);
}

void ew_pl_to_flow(struct ew_pipeline *p, const char *line, size_t len, const char *key)
{
	struct msg_flow *m;

	if (p->role == R_ALL) {
		ew_sinkset_flow(p->sinks, line, len, key);
		return;
	}
	if ((m = msg_new(p, M_FLOW, sizeof(*m) + len)) == NULL)
		return;
	m->len = (uint32_t)len;
	snprintf(m->key, sizeof(m->key), "%s", key);
	memcpy(m->line, line, len);
	ew_ring_commit(p->out);
}

void ew_pipeline_mark(struct ew_pipeline *p)
{
	if (p->out == NULL)
		return;
	if (msg_new(p, M_TIME, sizeof(struct ew_pmsg)) != NULL)
		ew_ring_commit(p->out);
	ew_ring_flush(p->out);     /* the owner sees all of it (workers batch: OUT_BATCH) */
}

uint64_t ew_pipeline_sent(const struct ew_pipeline *p)
{
	return p->sent;
}

int ew_pmsg_is_mark(const struct ew_pmsg *h)
{
	return h->type == M_TIME;
}

void ew_pipeline_owner_take(struct ew_pipeline *o, const void *msg, size_t len)
{
	const struct ew_pmsg *h = msg;

	(void)len;
	ew_pl_advance(o, h->ts, h->cls == 1);
	switch (h->type) {
	case M_OBSERVE:
	case M_OBSERVE4: {
		const struct msg_observe *m = msg;
		struct ew_addr src, dst;
		uint16_t dport;

		if (o->scan == NULL)
			break;
		if (h->type == M_OBSERVE4) {
			ew_addr_from_v4(&src, m->a);
			ew_addr_from_v4(&dst, m->a + 4);
		} else {
			ew_addr_from_v6(&src, m->a);
			ew_addr_from_v6(&dst, m->a + 16);
		}
		memcpy(&dport, &m->h.arg[OBS_DPORT], 2);
		owner_observe(o, &src, &dst, m->h.arg[OBS_PROTO], dport, m->h.arg[OBS_WHAT],
			      m->ts, m->h.arg[OBS_KIND]);
		break;
	}
	case M_ALERT: {
		const struct msg_alert *m = msg;
		struct ew_alert a = m->c.a;    /* its strings stay in the ring until taken */

		if (m->kind == A_DIRECT)
			ew_pl_emit_direct(o, &a);
		else if (m->kind == A_POLICY)
			ew_pl_send_policy(o, &a, &m->fl);
		else
			ew_pl_emit(o, &a);
		break;
	}
	case M_SESSION: {
		const struct msg_session *m = msg;

		if (o->hold)
			ew_scan_hold_session(o->hold, m->entry, m->first_us, m->hash);
		break;
	}
	case M_EDGE:
		if (o->edges)
			ew_pl_new_edge(o, &((const struct msg_edge *)msg)->f);
		break;
	case M_FLOW: {
		const struct msg_flow *m = msg;

		ew_sinkset_flow(o->sinks, m->line, m->len, m->key);
		break;
	}
	default:
		break;
	}
}
