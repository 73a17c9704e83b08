/* SPDX-License-Identifier: Apache-2.0 */
/* frag - see frag.h. */
#include "collector/frag.h"
#include "core/ew_hash.h"

#include <stdlib.h>
#include <string.h>

struct frag_slot {
	struct ew_addr src, dst;
	uint32_t id;
	uint16_t sport, dport;
	uint8_t proto, used;
	uint64_t expires;
};

struct ew_frag {
	struct frag_slot *slots;
	uint32_t mask;
	uint64_t ttl;
	struct ew_frag_stats st;
};

struct ew_frag *ew_frag_new(uint32_t slots, uint64_t ttl_us)
{
	struct ew_frag *f = calloc(1, sizeof(*f));
	uint32_t n = 1;

	if (f == NULL)
		return NULL;
	while (n < slots && n < (1u << 24))
		n <<= 1;
	f->slots = calloc(n, sizeof(*f->slots));
	if (f->slots == NULL) {
		free(f);
		return NULL;
	}
	f->mask = n - 1;
	f->ttl = ttl_us;
	return f;
}

void ew_frag_free(struct ew_frag *f)
{
	if (f == NULL)
		return;
	free(f->slots);
	free(f);
}

static uint32_t slot_of(const struct ew_frag *f, const struct ew_pkt *p)
{
	uint64_t h = ew_hash_addr(&p->k.src, (uint64_t)p->frag_id << 8 | p->k.proto);

	return (uint32_t)ew_mix64(h ^ ew_addr_hash(&p->k.dst, h)) & f->mask;
}

static int same(const struct frag_slot *s, const struct ew_pkt *p)
{
	return s->used && s->id == p->frag_id && s->proto == p->k.proto &&
	       ew_addr_eq(&s->src, &p->k.src) && ew_addr_eq(&s->dst, &p->k.dst);
}

int ew_frag_track(struct ew_frag *f, struct ew_pkt *p, uint64_t now_us)
{
	struct frag_slot *s;

	if (p->kind == EW_PKT_FLOW && p->first_frag) {
		s = &f->slots[slot_of(f, p)];
		if (s->used && s->expires > now_us && !same(s, p))
			f->st.overwritten++;
		s->src = p->k.src;
		s->dst = p->k.dst;
		s->id = p->frag_id;
		s->proto = p->k.proto;
		s->sport = p->k.sport;
		s->dport = p->k.dport;
		s->used = 1;
		s->expires = now_us + f->ttl;
		f->st.first++;
		return 0;
	}
	if (p->kind != EW_PKT_FRAG)
		return 0;
	s = &f->slots[slot_of(f, p)];
	if (!same(s, p) || s->expires < now_us) {
		f->st.unmatched++;
		return 0;
	}
	p->k.sport = s->sport;
	p->k.dport = s->dport;
	p->kind = EW_PKT_FLOW;
	f->st.matched++;
	return 1;
}

void ew_frag_stats(const struct ew_frag *f, struct ew_frag_stats *out)
{
	*out = f->st;
}
