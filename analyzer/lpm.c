/* SPDX-License-Identifier: Apache-2.0 */
/* lpm - see lpm.h. */
#include "analyzer/lpm.h"

#include <stdlib.h>
#include <string.h>

#define CHILD 0x80000000u

struct pfx {
	struct ew_addr a;
	uint32_t plen;
	uint32_t group;
};

struct ew_lpm_builder {
	struct pfx *v;
	size_t n, cap;
};

struct trie {
	uint32_t *e;         /* root at 0 (1 << root_bits entries), children of 256 */
	size_t n, cap;
};

struct ew_lpm {
	struct trie t4, t6;
	uint32_t *set_off;   /* set i: groups set_grp[set_off[i] .. set_off[i+1]) */
	uint32_t *set_grp;
	uint32_t nsets;
};

struct ew_lpm_builder *ew_lpm_builder_new(void)
{
	return calloc(1, sizeof(struct ew_lpm_builder));
}

void ew_lpm_builder_free(struct ew_lpm_builder *b)
{
	if (b == NULL)
		return;
	free(b->v);
	free(b);
}

int ew_lpm_builder_add(struct ew_lpm_builder *b, const struct ew_addr *pfx, unsigned plen,
		       uint32_t group)
{
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		struct pfx *nv = realloc(b->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		b->v = nv;
		b->cap = nc;
	}
	b->v[b->n].a = *pfx;
	/* clear host bits so equal prefixes compare equal */
	for (unsigned i = plen; i < 128; i++)
		b->v[b->n].a.a[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	b->v[b->n].plen = plen;
	b->v[b->n].group = group;
	b->n++;
	return 0;
}

static int pfx_cmp(const void *x, const void *y)
{
	const struct pfx *a = x, *b = y;
	int c;

	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	c = memcmp(a->a.a, b->a.a, 16);
	if (c != 0)
		return c;
	return a->group < b->group ? -1 : a->group > b->group;
}

static int bit(const struct ew_addr *a, unsigned i)
{
	return (a->a[i / 8] >> (7 - i % 8)) & 1;
}

static int contains(const struct pfx *outer, const struct pfx *inner)
{
	unsigned full = outer->plen / 8, rest = outer->plen % 8;

	if (outer->plen > inner->plen)
		return 0;
	if (memcmp(outer->a.a, inner->a.a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((outer->a.a[full] ^ inner->a.a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* --- binary trie over distinct prefixes, to find every prefix containing another --- */

struct bnode {
	uint32_t child[2];
	int32_t first;       /* index of the first entry of this prefix in the sorted list, -1 */
	uint32_t count;
};

struct bt {
	struct bnode *v;
	size_t n, cap;
};

static uint32_t bt_node(struct bt *t)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 256;
		struct bnode *nv = realloc(t->v, nc * sizeof(*nv));

		if (nv == NULL)
			return 0;
		t->v = nv;
		t->cap = nc;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->v[t->n].first = -1;
	return (uint32_t)t->n++;
}

/* --- set interning --- */

struct sets {
	uint32_t *off, *grp;
	size_t noff, capoff, ngrp, capgrp;
	uint32_t *ht;        /* open addressing: set id + 1, 0 = empty */
	size_t htcap;
};

static uint64_t set_hash(const uint32_t *g, uint32_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ n;

	for (uint32_t i = 0; i < n; i++)
		h = (h ^ g[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static int sets_grow_ht(struct sets *s)
{
	size_t nc = s->htcap ? s->htcap * 2 : 1024;
	uint32_t *nh = calloc(nc, sizeof(*nh));

	if (nh == NULL)
		return -1;
	for (size_t id = 0; id + 1 < s->noff; id++) {
		uint64_t h = set_hash(s->grp + s->off[id], s->off[id + 1] - s->off[id]);
		size_t j = h & (nc - 1);

		while (nh[j])
			j = (j + 1) & (nc - 1);
		nh[j] = (uint32_t)id + 1;
	}
	free(s->ht);
	s->ht = nh;
	s->htcap = nc;
	return 0;
}

/* Returns the set id of g[0..n) (sorted, unique), or UINT32_MAX on out of memory. */
static uint32_t sets_intern(struct sets *s, const uint32_t *g, uint32_t n)
{
	uint64_t h = set_hash(g, n);
	size_t j;
	uint32_t id;

	if ((s->noff) * 2 >= s->htcap && sets_grow_ht(s) != 0)
		return UINT32_MAX;
	for (j = h & (s->htcap - 1); s->ht[j]; j = (j + 1) & (s->htcap - 1)) {
		id = s->ht[j] - 1;
		if (s->off[id + 1] - s->off[id] == n &&
		    (n == 0 || memcmp(s->grp + s->off[id], g, n * sizeof(*g)) == 0))
			return id;
	}
	if (s->ngrp + n > s->capgrp) {
		size_t nc = (s->capgrp + n) * 2;
		uint32_t *ng = realloc(s->grp, nc * sizeof(*ng));

		if (ng == NULL)
			return UINT32_MAX;
		s->grp = ng;
		s->capgrp = nc;
	}
	if (s->noff + 1 > s->capoff) {
		size_t nc = s->capoff ? s->capoff * 2 : 256;
		uint32_t *no = realloc(s->off, nc * sizeof(*no));

		if (no == NULL)
			return UINT32_MAX;
		s->off = no;
		s->capoff = nc;
	}
	if (s->noff == 0)
		s->off[s->noff++] = 0;
	if (n > 0)
		memcpy(s->grp + s->ngrp, g, n * sizeof(*g));
	s->ngrp += n;
	id = (uint32_t)s->noff - 1;
	s->off[s->noff++] = (uint32_t)s->ngrp;
	s->ht[j] = id + 1;
	return id;
}

/* --- multibit trie --- */

static int trie_init(struct trie *t, unsigned root_bits)
{
	t->cap = ((size_t)1 << root_bits) + 256 * 64;
	t->e = calloc(t->cap, sizeof(*t->e));
	t->n = (size_t)1 << root_bits;
	return t->e ? 0 : -1;
}

static int64_t trie_child(struct trie *t, uint32_t fill)
{
	size_t base = t->n;

	if (t->n + 256 > t->cap) {
		size_t nc = t->cap * 2;
		uint32_t *ne = realloc(t->e, nc * sizeof(*ne));

		if (ne == NULL || base >= CHILD)
			return -1;
		t->e = ne;
		t->cap = nc;
	}
	for (int i = 0; i < 256; i++)
		t->e[base + (size_t)i] = fill;
	t->n += 256;
	return (int64_t)base;
}

/* bits: the address as a byte string of total_bits; insert the first plen bits. */
static int trie_insert(struct trie *t, const uint8_t *bits, unsigned plen, unsigned root_bits,
		       uint32_t set)
{
	size_t base = 0;
	unsigned used = 0, stride = root_bits;

	for (;;) {
		uint32_t idx = 0;

		for (unsigned i = 0; i < stride; i++)
			idx = idx << 1 | ((bits[(used + i) / 8] >> (7 - (used + i) % 8)) & 1);
		if (plen <= used + stride) {
			unsigned free_bits = used + stride - plen;
			uint32_t first = idx & ~((1u << free_bits) - 1);

			for (uint32_t j = 0; j < (1u << free_bits); j++)
				t->e[base + first + j] = set;   /* shorter prefixes came first */
			return 0;
		}
		uint32_t e = t->e[base + idx];
		if (e & CHILD) {
			base = e & ~CHILD;
		} else {
			int64_t c = trie_child(t, e);

			if (c < 0)
				return -1;
			t->e[base + idx] = (uint32_t)c | CHILD;
			base = (size_t)c;
		}
		used += stride;
		stride = 8;
	}
}

struct ew_lpm *ew_lpm_build(struct ew_lpm_builder *b)
{
	struct ew_lpm *l = calloc(1, sizeof(*l));
	struct bt bt = { 0 };
	struct sets s = { 0 };
	uint32_t *acc = NULL;
	size_t nacc = 0, capacc = 0;
	size_t i = 0;
	int ok = 0;

	if (l == NULL || trie_init(&l->t4, 16) || trie_init(&l->t6, 16))
		goto out;
	if (sets_intern(&s, NULL, 0) != 0)  /* set 0: empty */
		goto out;
	if (b->n > 0)
		qsort(b->v, b->n, sizeof(*b->v), pfx_cmp);
	if (bt_node(&bt) != 0)
		goto out;
	/* Build the binary trie: each distinct prefix marks the node at its depth. */
	while (i < b->n) {
		size_t j = i;
		uint32_t node = 0;

		while (j < b->n && b->v[j].plen == b->v[i].plen &&
		       memcmp(b->v[j].a.a, b->v[i].a.a, 16) == 0)
			j++;
		for (unsigned d = 0; d < b->v[i].plen; d++) {
			int k = bit(&b->v[i].a, d);

			if (bt.v[node].child[k] == 0) {
				uint32_t c = bt_node(&bt);

				if (c == 0)
					goto out;
				bt.v[node].child[k] = c;
			}
			node = bt.v[node].child[k];
		}
		bt.v[node].first = (int32_t)i;
		bt.v[node].count = (uint32_t)(j - i);
		i = j;
	}
	/* For each distinct prefix (shortest first): the union of groups on its path. */
	for (i = 0; i < b->n;) {
		size_t j = i;
		uint32_t node = 0, set;
		const struct pfx *p = &b->v[i];

		while (j < b->n && b->v[j].plen == p->plen && memcmp(b->v[j].a.a, p->a.a, 16) == 0)
			j++;
		nacc = 0;
		for (unsigned d = 0;; d++) {
			struct bnode *bn = &bt.v[node];

			for (uint32_t k = 0; bn->first >= 0 && k < bn->count; k++) {
				if (nacc == capacc) {
					size_t nc = capacc ? capacc * 2 : 64;
					uint32_t *na = realloc(acc, nc * sizeof(*na));

					if (na == NULL)
						goto out;
					acc = na;
					capacc = nc;
				}
				acc[nacc++] = b->v[(size_t)bn->first + k].group;
			}
			if (d == p->plen)
				break;
			node = bn->child[bit(&p->a, d)];
		}
		/* sort and dedupe */
		for (size_t x = 1; x < nacc; x++) {
			uint32_t v = acc[x];
			size_t y = x;

			while (y > 0 && acc[y - 1] > v) {
				acc[y] = acc[y - 1];
				y--;
			}
			acc[y] = v;
		}
		size_t u = 0;
		for (size_t x = 0; x < nacc; x++)
			if (u == 0 || acc[u - 1] != acc[x])
				acc[u++] = acc[x];
		set = sets_intern(&s, acc, (uint32_t)u);
		if (set == UINT32_MAX)
			goto out;
		/* IPv4-mapped prefixes go to the IPv4 trie; a shorter IPv6 prefix that
		 * covers ::ffff:0:0/96 covers all of IPv4 as well. */
		static const struct pfx mapped = { { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff } }, 96, 0 };
		if (p->plen >= 96 && contains(&mapped, p)) {
			if (trie_insert(&l->t4, p->a.a + 12, p->plen - 96, 16, set))
				goto out;
		} else {
			if (contains(p, &mapped) && trie_insert(&l->t4, mapped.a.a + 12, 0, 16, set))
				goto out;
			if (trie_insert(&l->t6, p->a.a, p->plen, 16, set))
				goto out;
		}
		i = j;
	}
	l->set_off = s.off;
	l->set_grp = s.grp;
	l->nsets = (uint32_t)s.noff - 1;
	s.off = s.grp = NULL;
	ok = 1;
out:
	free(bt.v);
	free(acc);
	free(s.off);
	free(s.grp);
	free(s.ht);
	ew_lpm_builder_free(b);
	if (!ok) {
		ew_lpm_free(l);
		return NULL;
	}
	return l;
}

void ew_lpm_free(struct ew_lpm *l)
{
	if (l == NULL)
		return;
	free(l->t4.e);
	free(l->t6.e);
	free(l->set_off);
	free(l->set_grp);
	free(l);
}

uint32_t ew_lpm_lookup(const struct ew_lpm *l, const struct ew_addr *a)
{
	const uint32_t *e;
	uint32_t v;

	if (ew_addr_is_v4(a)) {
		e = l->t4.e;
		v = e[(uint32_t)a->a[12] << 8 | a->a[13]];
		if (!(v & CHILD))
			return v;
		v = e[(v & ~CHILD) + a->a[14]];
		if (!(v & CHILD))
			return v;
		return e[(v & ~CHILD) + a->a[15]];
	}
	e = l->t6.e;
	v = e[(uint32_t)a->a[0] << 8 | a->a[1]];
	for (int i = 2; (v & CHILD) && i < 16; i++)
		v = e[(v & ~CHILD) + a->a[i]];
	return v;
}

const uint32_t *ew_lpm_set(const struct ew_lpm *l, uint32_t set, uint32_t *n)
{
	static const uint32_t none[1];

	if (set >= l->nsets || l->set_off[set + 1] == l->set_off[set]) {
		*n = 0;
		return none;
	}
	*n = l->set_off[set + 1] - l->set_off[set];
	return l->set_grp + l->set_off[set];
}

uint32_t ew_lpm_nsets(const struct ew_lpm *l)
{
	return l->nsets;
}

uint64_t ew_lpm_bytes(const struct ew_lpm *l)
{
	return (uint64_t)(l->t4.n + l->t6.n) * 4 + (uint64_t)(l->nsets + 1) * 4 +
	       (uint64_t)l->set_off[l->nsets] * 4;
}
