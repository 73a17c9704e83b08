/* SPDX-License-Identifier: Apache-2.0 */
/* pairing - see pairing.h. */
#include "analyzer/pairing.h"
#include "analyzer/flowtab.h"
#include "core/ew_hash.h"

#include <stdlib.h>
#include <string.h>

struct waiting {
	struct ew_flow f;
	uint64_t arrived;
	uint32_t hnext, qnext;    /* hash chain; arrival queue (1-based, 0 = none) */
	uint32_t hash;
	uint8_t has_flags, used;
};

struct ew_pairing {
	struct waiting *w;        /* w[1..max] */
	uint32_t *bucket, mask, max, hwm, free_head;
	uint32_t qhead, qtail;    /* oldest first */
	uint64_t window;
	ew_pair_fn out;
	void *arg;
	struct ew_pairing_stats st;
};

struct ew_pairing *ew_pairing_new(uint32_t max, uint64_t window_us, ew_pair_fn out, void *arg)
{
	struct ew_pairing *p = calloc(1, sizeof(*p));
	uint32_t nb = 16;

	if (p == NULL || max == 0) {
		free(p);
		return NULL;
	}
	while (nb < max * 2 && nb < (1u << 30))
		nb <<= 1;
	p->w = calloc((size_t)max + 1, sizeof(*p->w));
	p->bucket = calloc(nb, sizeof(*p->bucket));
	if (p->w == NULL || p->bucket == NULL) {
		ew_pairing_free(p);
		return NULL;
	}
	p->mask = nb - 1;
	p->max = max;
	p->window = window_us;
	p->out = out;
	p->arg = arg;
	return p;
}

void ew_pairing_free(struct ew_pairing *p)
{
	if (p == NULL)
		return;
	free(p->w);
	free(p->bucket);
	free(p);
}

static uint64_t endpoint(const struct ew_addr *a, uint16_t port)
{
	return ew_hash_addr(a, port);
}

/* The same for both directions (ICMP "ports" are direction-free). */
static uint32_t hash_of(const struct ew_flow *f)
{
	int icmp = f->proto == 1 || f->proto == 58;
	uint64_t h = endpoint(&f->src, icmp ? 0 : f->sport) + endpoint(&f->dst, icmp ? 0 : f->dport);

	if (icmp)
		h ^= (uint64_t)f->sport << 40 | (uint64_t)f->dport << 48;
	return (uint32_t)(ew_mix64(h ^ f->proto) >> 32);
}

static int reverse_of(const struct ew_flow *a, const struct ew_flow *b)
{
	int icmp = a->proto == 1 || a->proto == 58;

	return a->proto == b->proto && ew_addr_eq(&a->src, &b->dst) && ew_addr_eq(&a->dst, &b->src) &&
	       (icmp ? a->sport == b->sport && a->dport == b->dport
		     : a->sport == b->dport && a->dport == b->sport);
}

static void swap_sides(struct ew_flow *f)
{
	struct ew_addr a = f->src;
	uint16_t port = f->sport;
	uint32_t pk = f->pkts[0];
	uint64_t by = f->bytes[0];
	uint8_t fl = f->tcp_flags[0];

	f->src = f->dst;
	f->dst = a;
	if (f->proto != 1 && f->proto != 58) {
		f->sport = f->dport;
		f->dport = port;
	}
	f->pkts[0] = f->pkts[1];
	f->pkts[1] = pk;
	f->bytes[0] = f->bytes[1];
	f->bytes[1] = by;
	f->tcp_flags[0] = f->tcp_flags[1];
	f->tcp_flags[1] = fl;
}

/* 1 if the record's sender looks like the responder. A record's TCP flags are the union
 * of its packets' flags, so only "SYN without ACK" is conclusive (a client whose SYN got
 * no answer, or a scan); anything else is left to the ports. */
static int sender_is_responder(const struct ew_flow *f, int has_flags)
{
	if (f->proto == 6 && has_flags && (f->tcp_flags[0] & (EW_TH_SYN | EW_TH_ACK)) == EW_TH_SYN)
		return 0;
	if (f->proto == 1 || f->proto == 58)
		return 0;     /* the decoder keys ICMP by request type: the sender asked */
	return ew_port_rank(f->sport) > ew_port_rank(f->dport);
}

static void emit_alone(struct ew_pairing *p, struct waiting *w)
{
	struct ew_flow f = w->f;

	if (sender_is_responder(&f, w->has_flags))
		swap_sides(&f);
	p->st.alone++;
	p->out(p->arg, &f);
}

static void unlink_bucket(struct ew_pairing *p, uint32_t i)
{
	uint32_t *pp = &p->bucket[p->w[i].hash & p->mask];

	while (*pp && *pp != i)
		pp = &p->w[*pp].hnext;
	if (*pp == i)
		*pp = p->w[i].hnext;
}

static void release(struct ew_pairing *p, uint32_t i)
{
	p->w[i].used = 0;
	p->w[i].hnext = p->free_head;
	p->free_head = i;
	p->st.waiting--;
}

/* Pop queue entries that are no longer waiting (paired earlier) or are due. */
static void drain(struct ew_pairing *p, uint64_t now, int all)
{
	while (p->qhead) {
		uint32_t i = p->qhead;
		struct waiting *w = &p->w[i];

		if (w->used && !all && w->arrived + p->window > now)
			break;
		p->qhead = w->qnext;
		if (p->qhead == 0)
			p->qtail = 0;
		if (w->used) {
			unlink_bucket(p, i);
			emit_alone(p, w);
			release(p, i);
		} else {
			/* paired before its turn: the slot was kept until now */
			w->hnext = p->free_head;
			p->free_head = i;
		}
	}
}

void ew_pairing_add(struct ew_pairing *p, const struct ew_flow *f, enum ew_pair_kind kind,
		    int has_flags, uint64_t now)
{
	uint32_t h, i;
	struct waiting *w;

	if (kind != EW_PAIR_ONE_WAY) {
		struct ew_flow b = *f;

		if (kind == EW_PAIR_BIFLOW_DST ||
		    (kind == EW_PAIR_BIFLOW && sender_is_responder(&b, has_flags)))
			swap_sides(&b);
		p->st.biflows++;
		p->out(p->arg, &b);
		return;
	}
	h = hash_of(f);
	for (i = p->bucket[h & p->mask]; i; i = p->w[i].hnext) {
		w = &p->w[i];
		if (w->hash == h && reverse_of(&w->f, f)) {
			struct ew_flow m = w->f;
			int first_waits;

			/* merge: the waiting record is side 0 for now */
			m.pkts[1] = f->pkts[0];
			m.bytes[1] = f->bytes[0];
			m.tcp_flags[1] = f->tcp_flags[0];
			if (f->outcome > m.outcome)   /* a REJECT of either direction tells */
				m.outcome = f->outcome;
			if (f->first_us < m.first_us)
				m.first_us = f->first_us;
			if (f->last_us > m.last_us)
				m.last_us = f->last_us;
			if (w->f.first_us != f->first_us)
				first_waits = w->f.first_us < f->first_us;
			else
				first_waits = !sender_is_responder(&w->f, w->has_flags);
			if (!first_waits)
				swap_sides(&m);
			unlink_bucket(p, i);
			w->used = 0;          /* its queue entry is freed when drained */
			p->st.waiting--;
			p->st.paired++;
			p->out(p->arg, &m);
			drain(p, now, 0);
			return;
		}
	}
	drain(p, now, 0);
	if (p->free_head) {
		i = p->free_head;
		p->free_head = p->w[i].hnext;
	} else if (p->hwm < p->max) {
		i = ++p->hwm;
	} else {
		/* full: the oldest waiting record goes on alone */
		uint32_t old = p->qhead;

		p->qhead = p->w[old].qnext;
		if (p->qhead == 0)
			p->qtail = 0;
		if (p->w[old].used) {
			unlink_bucket(p, old);
			emit_alone(p, &p->w[old]);
			p->w[old].used = 0;
			p->st.waiting--;
			p->st.evicted++;
		}
		i = old;
	}
	w = &p->w[i];
	w->f = *f;
	w->arrived = now;
	w->hash = h;
	w->has_flags = (uint8_t)has_flags;
	w->used = 1;
	w->qnext = 0;
	w->hnext = p->bucket[h & p->mask];
	p->bucket[h & p->mask] = i;
	if (p->qtail)
		p->w[p->qtail].qnext = i;
	else
		p->qhead = i;
	p->qtail = i;
	p->st.waiting++;
}

void ew_pairing_expire(struct ew_pairing *p, uint64_t now)
{
	drain(p, now, 0);
}

uint64_t ew_pairing_next_due(const struct ew_pairing *p)
{
	return p->qhead ? p->w[p->qhead].arrived + p->window : UINT64_MAX;
}

void ew_pairing_flush(struct ew_pairing *p)
{
	drain(p, 0, 1);
}

void ew_pairing_stats(const struct ew_pairing *p, struct ew_pairing_stats *out)
{
	*out = p->st;
	out->capacity = p->max;
}
