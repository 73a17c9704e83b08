/* SPDX-License-Identifier: Apache-2.0 */
/* scan - see scan.h. */
#include "analyzer/scan.h"
#include "core/ew_hash.h"
#include "core/ew_mem.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SET_PROBE 4      /* set slots looked at per lookup: the four of one cache line */
#define DUE_MAX 1024     /* scanners awaiting their report at once (more: reported now) */
#define SRC_WAYS 4       /* a source's entry is one of the four of its bucket */

/* A bucket's tags, one cache line: which of its entries holds a source (a fingerprint of
 * its hash, 0 when free) and when each was last active, so that finding a source or the
 * entry to give it touches this line and then only the entry itself. */
struct src_tags {
	uint32_t fp[SRC_WAYS];
	uint64_t last_us[SRC_WAYS];
	uint8_t owed[SRC_WAYS];      /* a scanner not reported yet: evicting it reports it
				      * (the others are evicted without reading the entry) */
} __attribute__((aligned(64)));

/* A source's window. Every flow reads and writes the first two cache lines (these fields
 * and the report's counters); the report's addresses and sample are written only when a
 * flow is a probe, and are not cleared when a window starts (the counters say which are
 * set). */
struct src_ent {
	struct ew_addr a;
	uint64_t start_us;
	uint32_t wid;                /* window id: part of every set fingerprint */
	uint32_t flows;              /* flows started in the window */
	uint8_t used, state, kinds, reported;
	uint8_t sets_owed;           /* the window's first probe is not in the sets yet */
	struct ew_scan_report r;
} __attribute__((aligned(64)));

#define SRC_HOT offsetof(struct src_ent, r.src)   /* bytes cleared per window */

/* 16 bytes, four to a line: a lookup reads one line (24-byte slots, looked at from fp's
 * own on, spanned two lines most of the time, and the sets took 6 MB where they now take
 * 4). When it was last counted is kept in seconds: it only chooses which of the four a
 * new fingerprint replaces. */
struct set_slot {
	uint64_t fp;
	uint32_t last_s;
	uint32_t n;
};

struct ew_scan {
	struct ew_scan_conf c;
	ew_scan_report_fn fn;
	void *arg;
	struct src_ent *src;         /* src[bucket * SRC_WAYS + way] */
	struct src_tags *tags;
	/* A bit per bucket: it has held a source. A flow telemetry record that is no probe
	 * only counts for a source tracked already: from a bucket that never held one it
	 * costs a bit looked up (the bitmap stays in cache; the bucket's tags line, 64
	 * bytes of a table of hundreds of kilobytes, would be a cache miss per record:
	 * half of a telemetry worker's owner's time on random sources). */
	uint64_t *occ;
	uint32_t nb_mask;            /* buckets - 1 */
	struct set_slot *pairs, *targets;
	struct ew_scan_host *hosts;  /* EW_SCAN_HOSTS per entry of src, in the same order */
	uint32_t set_mask;
	uint32_t next_wid;
	uint64_t last_tick;
	struct src_ent blank;       /* all zero: what a window starts from (a copy: gcc makes
				     * a clear of this size "rep stos", a fifth of observe) */
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
	s->nb_mask = ns / SRC_WAYS - 1;
	s->set_mask = nset - 1;
	/* read at random, one source per new flow: huge pages spare a TLB miss each */
	s->src = ew_mem_huge(ns * sizeof(*s->src));
	s->tags = ew_mem_huge(ns / SRC_WAYS * sizeof(*s->tags));
	s->pairs = ew_mem_huge(nset * sizeof(*s->pairs));
	s->targets = ew_mem_huge(nset * sizeof(*s->targets));
	s->due = calloc(DUE_MAX, sizeof(*s->due));
	s->hosts = ew_mem_huge((size_t)ns * EW_SCAN_HOSTS * sizeof(*s->hosts));
	s->occ = calloc(ns / SRC_WAYS / 64 + 1, sizeof(*s->occ));
	if (s->src == NULL || s->tags == NULL || s->pairs == NULL || s->targets == NULL ||
	    s->due == NULL || s->hosts == NULL || s->occ == NULL) {
		ew_scan_free(s);
		return NULL;
	}
	s->next_wid = 1;
	return s;
}

void ew_scan_free(struct ew_scan *s)
{
	if (s == NULL)
		return;
	ew_mem_huge_free(s->src, (size_t)(s->nb_mask + 1) * SRC_WAYS * sizeof(*s->src));
	ew_mem_huge_free(s->tags, (size_t)(s->nb_mask + 1) * sizeof(*s->tags));
	ew_mem_huge_free(s->pairs, ((size_t)s->set_mask + 1) * sizeof(*s->pairs));
	ew_mem_huge_free(s->targets, ((size_t)s->set_mask + 1) * sizeof(*s->targets));
	free(s->due);
	ew_mem_huge_free(s->hosts, (size_t)(s->nb_mask + 1) * SRC_WAYS * EW_SCAN_HOSTS *
			 sizeof(*s->hosts));
	free(s->occ);
	free(s);
}

static uint8_t *owed(struct ew_scan *s, const struct src_ent *e)
{
	size_t i = (size_t)(e - s->src);

	return &s->tags[i / SRC_WAYS].owed[i % SRC_WAYS];
}

static struct ew_scan_host *hosts_of(struct ew_scan *s, const struct src_ent *e)
{
	return s->hosts + (size_t)(e - s->src) * EW_SCAN_HOSTS;
}

/* The window's first probe enters the host list when something reads it (a second
 * probe, a folded alert, the report): a source that probes once, as each of a spoofed
 * SYN flood's sources does, costs none of the list's cache lines. */
static void hosts_settle(struct ew_scan *s, struct src_ent *e)
{
	if (e->r.targets > 0 && e->r.nhosts == 0) {
		struct ew_scan_host *h = hosts_of(s, e);

		h->a = e->r.first_host;
		h->services = 1;
		h->folded = 0;
		e->r.nhosts = 1;
	}
}

static void report(struct ew_scan *s, struct src_ent *e)
{
	if (e->state == EW_SCAN_SCANNER && !e->reported) {
		hosts_settle(s, e);
		e->reported = 1;
		*owed(s, e) = 0;
		e->r.kinds = e->kinds;
		e->r.src = e->a;
		e->r.host = hosts_of(s, e);
		s->st.reported++;
		s->fn(s->arg, &e->r);
	}
}

/* A new window for e starting at now. */
static void window_start(struct ew_scan *s, struct src_ent *e, const struct ew_addr *a,
			 uint64_t now)
{
	memcpy(e, &s->blank, SRC_HOT);
	e->used = 1;
	e->a = *a;
	e->start_us = now;
	e->r.first_us = e->r.last_us = now;
	e->wid = s->next_wid++;
	if (s->next_wid == 0)
		s->next_wid = 1;
}

/* The entry of src (its window current at now), or NULL when create is 0 and there is
 * none; *last: its tag's activity time. Creating may evict the least recently active
 * entry of the bucket. */
static struct src_ent *src_get(struct ew_scan *s, const struct ew_addr *a, uint64_t now,
			       int create, uint64_t **last)
{
	uint64_t h = ew_addr_hash(a, ew_hash_seed() ^ 0x5ca11);
	uint32_t b = (uint32_t)h & s->nb_mask, fp = (uint32_t)(h >> 32) | 1, v = 0;
	struct src_tags *t;
	struct src_ent *e;

	if (!create && !(__atomic_load_n(&s->occ[b >> 6], __ATOMIC_RELAXED) & (1ULL << (b & 63))))
		return NULL;
	t = &s->tags[b];
	for (uint32_t i = 0; i < SRC_WAYS; i++) {
		if (t->fp[i] != fp)
			continue;
		e = &s->src[b * SRC_WAYS + i];
		if (!ew_addr_eq(&e->a, a))
			continue;
		if (now >= e->start_us + s->c.window_us) {   /* the window is over */
			report(s, e);
			if (!create)
				return NULL;
			window_start(s, e, a, now);
			t->last_us[i] = now;
		}
		*last = &t->last_us[i];
		return e;
	}
	if (!create)
		return NULL;
	for (uint32_t i = 0; i < SRC_WAYS; i++) {   /* a free entry, else the least active */
		if (t->fp[i] == 0) {
			v = i;
			break;
		}
		if (t->last_us[i] < t->last_us[v])
			v = i;
	}
	e = &s->src[b * SRC_WAYS + v];
	if (t->fp[v] != 0) {
		if (t->owed[v])
			report(s, e);
		s->st.evicted++;
	} else {
		s->st.sources++;
	}
	window_start(s, e, a, now);
	t->fp[v] = fp;
	t->last_us[v] = now;
	/* set once: the bucket's bit soon is, and a locked write would wait for the
	 * entry's stores above (a cache miss) to drain */
	if (!(__atomic_load_n(&s->occ[b >> 6], __ATOMIC_RELAXED) & (1ULL << (b & 63))))
		__atomic_fetch_or(&s->occ[b >> 6], 1ULL << (b & 63), __ATOMIC_RELAXED);
	*last = &t->last_us[v];
	return e;
}

/* Count fp in set: returns its count after this one (1: new). */
static uint32_t set_add(struct ew_scan *s, struct set_slot *set, uint64_t fp, uint64_t now)
{
	struct set_slot *victim = NULL, *line;
	uint32_t now_s = (uint32_t)(now / 1000000);

	fp |= 1;   /* 0 is an empty slot */
	line = &set[fp & s->set_mask & ~(uint64_t)(SET_PROBE - 1)];
	for (uint32_t i = 0; i < SET_PROBE; i++) {
		struct set_slot *x = &line[i];

		if (x->fp == fp) {
			x->last_s = now_s;
			return ++x->n;
		}
		/* the least recently counted: a free slot, else one of an ended window */
		if (victim == NULL || x->last_s < victim->last_s)
			victim = x;
		/* a slot is never freed, so fp is not beyond one never filled (it may be
		 * beyond one whose window ended: that one is only a candidate) */
		if (x->fp == 0)
			break;
	}
	victim->fp = fp;
	victim->last_s = now_s;
	victim->n = 1;
	return 1;
}

/* The number of services probed on dst in e's window with this one, 0 if this one was
 * probed before. The window's first probe is new whatever the sets hold (their
 * fingerprints carry the window's id): it is put in them, from first_*, only when a
 * second probe comes, so a source that probes once touches neither set. */
static uint32_t new_service(struct ew_scan *s, struct src_ent *e, const struct ew_addr *src,
			    uint64_t hs, uint64_t svc, uint64_t now)
{
	if (e->r.targets == 0) {
		e->sets_owed = 1;
		return 1;
	}
	if (e->sets_owed) {
		uint64_t h1 = ew_addr_hash(src, ew_addr_hash(&e->r.first_host,
							     e->wid ^ ew_hash_seed()));

		set_add(s, s->targets, ew_mix64(h1 ^ (((uint64_t)e->r.first_proto << 16) |
						      e->r.first_port)), now);
		set_add(s, s->pairs, h1, now);
		e->sets_owed = 0;
	}
	if (set_add(s, s->targets, ew_mix64(hs ^ svc), now) != 1)
		return 0;
	return set_add(s, s->pairs, hs, now);
}

/* Add to the counts of dst when it is among the hosts listed for e. */
static void host_count(struct ew_scan *s, struct src_ent *e, const struct ew_addr *dst,
		       uint32_t services, uint32_t folded)
{
	struct ew_scan_host *h = hosts_of(s, e);

	for (uint8_t i = e->r.nhosts; i-- > 0;)
		if (ew_addr_eq(&h[i].a, dst)) {
			h[i].services += services;
			h[i].folded += folded;
			return;
		}
}

void ew_scan_observe(struct ew_scan *s, const struct ew_addr *src, const struct ew_addr *dst,
		     uint8_t proto, uint16_t port, unsigned what, uint64_t now)
{
	uint64_t *last;
	int quiet = (what & EW_SCAN_QUIET) &&
		    !(what & (EW_SCAN_ATTEMPT | EW_SCAN_FAILED | EW_SCAN_DENIED));
	struct src_ent *e = src_get(s, src, now, !quiet, &last);
	uint64_t hd, hs, svc = ((uint64_t)proto << 16) | port;
	uint32_t ports;

	s->st.observed++;
	if (e == NULL)
		return;       /* quiet, from a source not tracked: no entry is made for it */
	hd = ew_addr_hash(dst, e->wid ^ ew_hash_seed());
	hs = ew_addr_hash(src, hd);
	if (now > e->r.last_us)
		e->r.last_us = *last = now;
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
		if (!(what & EW_SCAN_AGAIN) && (ports = new_service(s, e, src, hs, svc, now)) != 0) {
			/* a service not probed before in this window */
			if (e->r.targets++ == 0) {
				e->r.first_host = *dst;
				e->r.first_proto = proto;
				e->r.first_port = port;
			} else {
				hosts_settle(s, e);
				if (ports == 1 && e->r.nhosts < EW_SCAN_HOSTS) {
					struct ew_scan_host *h = hosts_of(s, e) + e->r.nhosts++;

					h->a = *dst;
					h->services = 0;
					h->folded = 0;
				}
				host_count(s, e, dst, 1, 0);
			}
			e->r.hosts += ports == 1;
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
		*owed(s, e) = 1;
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
	uint64_t *last;
	struct src_ent *e = src_get(s, src, now, 0, &last);

	return e ? (enum ew_scan_state)e->state : EW_SCAN_NONE;
}

int ew_scan_fold(struct ew_scan *s, const struct ew_addr *src, const struct ew_addr *dst,
		 uint64_t now)
{
	uint64_t *last;
	struct src_ent *e = src_get(s, src, now, 0, &last);

	if (e == NULL || e->state != EW_SCAN_SCANNER)
		return 0;
	e->r.folded++;
	hosts_settle(s, e);
	host_count(s, e, dst, 0, 1);
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
		    now < e->r.last_us + s->c.settle_us && now < e->start_us + s->c.window_us) {
			i++;
			continue;
		}
		report(s, e);
		s->due[i] = s->due[--s->ndue];
	}
}

int ew_scan_may_track(const struct ew_scan *s, const struct ew_addr *src)
{
	uint32_t b = (uint32_t)ew_addr_hash(src, ew_hash_seed() ^ 0x5ca11) & s->nb_mask;

	return (__atomic_load_n(&s->occ[b >> 6], __ATOMIC_RELAXED) & (1ULL << (b & 63))) != 0;
}

int ew_scan_busy(const struct ew_scan *s)
{
	return s->ndue > 0;
}

void ew_scan_flush(struct ew_scan *s)
{
	for (uint32_t i = 0; i < (s->nb_mask + 1) * SRC_WAYS; i++)
		if (s->src[i].used)
			report(s, &s->src[i]);
}

void ew_scan_stats(const struct ew_scan *s, struct ew_scan_stats *out)
{
	*out = s->st;
	out->capacity = (s->nb_mask + 1) * SRC_WAYS;
}
