/* SPDX-License-Identifier: Apache-2.0 */
/* scan - see scan.h. */
#include "analyzer/scan.h"

#include <stdlib.h>
#include <string.h>

#define SET_PROBE 4      /* set slots looked at per lookup (adjacent: one or two cache lines) */
#define DUE_MAX 1024     /* scanners awaiting their report at once (more: reported now) */
#define SRC_PROBE 4      /* source entries looked at per lookup */

struct src_ent {
	struct ew_addr a;
	uint64_t start_us, last_us;
	uint32_t wid;                /* window id: part of every set fingerprint */
	uint32_t flows;              /* flows started in the window */
	uint8_t used, state, kinds, reported;
	struct ew_scan_report r;
};

struct set_slot {
	uint64_t fp;
	uint64_t last_us;
	uint32_t n;
};

struct ew_scan {
	struct ew_scan_conf c;
	ew_scan_report_fn fn;
	void *arg;
	struct src_ent *src;
	uint32_t nsrc_mask;
	struct set_slot *pairs, *targets;
	uint32_t set_mask;
	uint32_t next_wid;
	uint64_t last_tick;
	struct src_ent blank;       /* all zero: what a window starts from */
	uint32_t *due;              /* entries that are scanners not reported yet */
	uint32_t ndue;
	struct ew_scan_stats st;
};

static const uint16_t default_ports[] = { 21, 22, 23, 445, 3389, 5900 };

void ew_scan_conf_default(struct ew_scan_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->window_us = 60 * 1000000ULL;
	c->settle_us = 3 * 1000000ULL;
	c->hosts = 20;
	c->ports = 20;
	c->attempts = 20;
	c->max_sources = 16384;
	for (size_t i = 0; i < sizeof(default_ports) / sizeof(default_ports[0]); i++)
		c->attempt_ports[default_ports[i] >> 3] |= (uint8_t)(1u << (default_ports[i] & 7));
}

static uint32_t pow2(uint32_t n)
{
	uint32_t p = 64;

	while (p < n && p < (1u << 26))
		p <<= 1;
	return p;
}

struct ew_scan *ew_scan_new(const struct ew_scan_conf *c, ew_scan_report_fn fn, void *arg)
{
	struct ew_scan *s = calloc(1, sizeof(*s));
	uint32_t ns, nset;

	if (s == NULL)
		return NULL;
	s->c = *c;
	s->fn = fn;
	s->arg = arg;
	ns = pow2(c->max_sources ? c->max_sources : 1);
	nset = pow2(ns * 8);
	s->src = calloc(ns, sizeof(*s->src));
	s->pairs = calloc(nset, sizeof(*s->pairs));
	s->targets = calloc(nset, sizeof(*s->targets));
	s->due = calloc(DUE_MAX, sizeof(*s->due));
	if (s->src == NULL || s->pairs == NULL || s->targets == NULL || s->due == NULL) {
		ew_scan_free(s);
		return NULL;
	}
	s->nsrc_mask = ns - 1;
	s->set_mask = nset - 1;
	s->next_wid = 1;
	return s;
}

void ew_scan_free(struct ew_scan *s)
{
	if (s == NULL)
		return;
	free(s->src);
	free(s->pairs);
	free(s->targets);
	free(s->due);
	free(s);
}

static void report(struct ew_scan *s, struct src_ent *e)
{
	if (e->state == EW_SCAN_SCANNER && !e->reported) {
		e->reported = 1;
		e->r.kinds = e->kinds;
		s->st.reported++;
		s->fn(s->arg, &e->r);
	}
}

/* A new window for e starting at now. */
static void window_start(struct ew_scan *s, struct src_ent *e, const struct ew_addr *a,
			 uint64_t now)
{
	*e = s->blank;   /* a copy: gcc makes a memset of this size "rep stos", 20% of here */
	e->used = 1;
	e->a = *a;
	e->r.src = *a;
	e->start_us = e->last_us = now;
	e->r.first_us = now;
	e->wid = s->next_wid++;
	if (s->next_wid == 0)
		s->next_wid = 1;
}

/* The entry of src (its window current at now), or NULL when create is 0 and there is
 * none. Creating may evict the least recently active entry of the probe sequence. */
static struct src_ent *src_get(struct ew_scan *s, const struct ew_addr *a, uint64_t now,
			       int create)
{
	uint64_t h = ew_addr_hash(a, 0x5ca11);
	struct src_ent *victim = NULL;

	for (uint32_t i = 0; i < SRC_PROBE; i++) {
		struct src_ent *e = &s->src[(h + i) & s->nsrc_mask];

		if (e->used && ew_addr_eq(&e->a, a)) {
			if (now >= e->start_us + s->c.window_us) {   /* the window is over */
				report(s, e);
				if (!create)
					return NULL;
				window_start(s, e, a, now);
			}
			return e;
		}
		if (!create)
			continue;
		if (!e->used) {
			if (victim == NULL || victim->used)
				victim = e;
		} else if (victim == NULL || (victim->used && e->last_us < victim->last_us)) {
			victim = e;
		}
	}
	if (!create)
		return NULL;
	if (victim->used) {
		report(s, victim);
		s->st.evicted++;
	} else {
		s->st.sources++;
	}
	window_start(s, victim, a, now);
	return victim;
}

/* Count fp in set: returns its count after this one (1: new). */
static uint32_t set_add(struct ew_scan *s, struct set_slot *set, uint64_t fp, uint64_t now)
{
	struct set_slot *victim = NULL;

	fp |= 1;   /* 0 is an empty slot */
	for (uint32_t i = 0; i < SET_PROBE; i++) {
		struct set_slot *x = &set[(fp + i) & s->set_mask];

		if (x->fp == fp) {
			x->last_us = now;
			return ++x->n;
		}
		if (x->fp == 0 || x->last_us + s->c.window_us <= now) {
			victim = x;
			break;
		}
		if (victim == NULL || x->last_us < victim->last_us)
			victim = x;
	}
	victim->fp = fp;
	victim->last_us = now;
	victim->n = 1;
	return 1;
}

void ew_scan_observe(struct ew_scan *s, const struct ew_addr *src, const struct ew_addr *dst,
		     uint8_t proto, uint16_t port, unsigned what, uint64_t now)
{
	struct src_ent *e = src_get(s, src, now, 1);
	uint64_t hd = ew_addr_hash(dst, e->wid), hs = ew_addr_hash(src, hd);
	uint64_t svc = ((uint64_t)proto << 16) | port;

	s->st.observed++;
	if (now > e->last_us)
		e->last_us = now;
	e->r.last_us = e->last_us;
	if (what & EW_SCAN_ATTEMPT) {
		uint32_t n = set_add(s, s->targets, ew_mix64(hs ^ (svc << 1) ^ 0xa77e), now);

		if (n > e->r.attempts) {
			e->r.attempts = n;
			e->r.attempts_host = *dst;
			e->r.attempts_port = port;
		}
		if (n >= s->c.attempts)
			e->kinds |= EW_SCAN_REPEATED;
	}
	e->flows += (what & EW_SCAN_TOUCH) != 0;
	if (what & (EW_SCAN_FAILED | EW_SCAN_DENIED)) {
		e->r.probes += !(what & EW_SCAN_AGAIN);
		e->r.failed += (what & EW_SCAN_FAILED) != 0;
		e->r.denied += (what & EW_SCAN_DENIED) != 0;
		/* a flow counted as a probe before has its service in the set already */
		if (!(what & EW_SCAN_AGAIN) && set_add(s, s->targets, ew_mix64(hs ^ svc), now) == 1) {
			/* a service not probed before in this window */
			uint32_t ports = set_add(s, s->pairs, hs, now);

			if (e->r.targets++ == 0) {
				e->r.first_host = *dst;
				e->r.first_proto = proto;
				e->r.first_port = port;
			}
			if (ports == 1)
				e->r.hosts++;
			if (ports > e->r.max_ports) {
				e->r.max_ports = ports;
				e->r.max_ports_host = *dst;
			}
			if (e->r.nsample < EW_SCAN_SAMPLE) {
				int dup = 0;

				for (uint8_t i = 0; i < e->r.nsample; i++)
					dup |= e->r.sample[i] == port;
				if (!dup)
					e->r.sample[e->r.nsample++] = port;
			}
			if (e->r.hosts >= s->c.hosts)
				e->kinds |= EW_SCAN_HORIZONTAL;
			if (e->r.max_ports >= s->c.ports)
				e->kinds |= EW_SCAN_VERTICAL;
		}
	}
	if (e->kinds && e->state != EW_SCAN_SCANNER) {
		e->state = EW_SCAN_SCANNER;
		s->st.scanners++;
		if (s->ndue < DUE_MAX)
			s->due[s->ndue++] = (uint32_t)(e - s->src);
		else
			report(s, e);
	} else if (e->state == EW_SCAN_NONE && (e->r.targets > 1 || e->flows > 1)) {
		e->state = EW_SCAN_SUSPECT;
	}
}

enum ew_scan_state ew_scan_state(struct ew_scan *s, const struct ew_addr *src, uint64_t now)
{
	struct src_ent *e = src_get(s, src, now, 0);

	return e ? (enum ew_scan_state)e->state : EW_SCAN_NONE;
}

int ew_scan_fold(struct ew_scan *s, const struct ew_addr *src, uint64_t now)
{
	struct src_ent *e = src_get(s, src, now, 0);

	if (e == NULL || e->state != EW_SCAN_SCANNER)
		return 0;
	e->r.folded++;
	s->st.folded++;
	return 1;
}

void ew_scan_tick(struct ew_scan *s, uint64_t now)
{
	if (now < s->last_tick + 500000)   /* every half second is often enough */
		return;
	s->last_tick = now;
	for (uint32_t i = 0; i < s->ndue;) {
		struct src_ent *e = &s->src[s->due[i]];

		/* reported meanwhile (window end, eviction) or reused: off the list */
		if (e->used && e->state == EW_SCAN_SCANNER && !e->reported &&
		    now < e->last_us + s->c.settle_us && now < e->start_us + s->c.window_us) {
			i++;
			continue;
		}
		report(s, e);
		s->due[i] = s->due[--s->ndue];
	}
}

void ew_scan_flush(struct ew_scan *s)
{
	for (uint32_t i = 0; i <= s->nsrc_mask; i++)
		if (s->src[i].used)
			report(s, &s->src[i]);
}

void ew_scan_stats(const struct ew_scan *s, struct ew_scan_stats *out)
{
	*out = s->st;
}
