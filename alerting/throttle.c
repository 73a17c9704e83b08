/* SPDX-License-Identifier: Apache-2.0 */
/* throttle - see throttle.h. */
#include "alerting/throttle.h"
#include "core/ew_hash.h"
#include "core/ew_mem.h"

#include <stdlib.h>
#include <string.h>

struct tkey {
	struct ew_addr src, dst;
	uint64_t rule;            /* 64-bit hash of the rule name */
	uint64_t dport;           /* 64 bits: the key has no padding to hash */
};

struct tent {
	struct tkey k;
	uint64_t start, suppressed;
	uint32_t hnext, prev, next;   /* 1-based indices, 0 = none */
	uint32_t h;
};

struct ew_throttle {
	struct tent *e;
	uint32_t *bucket, mask, max, used, free_head;
	uint32_t head, tail;          /* oldest window first */
	uint64_t window;
	struct ew_throttle_stats st;
};

struct ew_throttle *ew_throttle_new(uint64_t window_us, uint32_t max_keys)
{
	struct ew_throttle *t = calloc(1, sizeof(*t));
	uint32_t nb = 16;

	if (t == NULL || max_keys == 0) {
		free(t);
		return NULL;
	}
	while (nb < max_keys && nb < (1u << 30))
		nb <<= 1;
	t->e = calloc((size_t)max_keys + 1, sizeof(*t->e));
	t->bucket = calloc(nb, sizeof(*t->bucket));
	if (t->e == NULL || t->bucket == NULL) {
		ew_throttle_free(t);
		return NULL;
	}
	ew_mem_populate(t->bucket, (size_t)nb * sizeof(*t->bucket));   /* read first, at random */
	t->mask = nb - 1;
	t->max = max_keys;
	t->window = window_us;
	return t;
}

void ew_throttle_free(struct ew_throttle *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->bucket);
	free(t);
}

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t hash_key(const struct tkey *k)
{
	return ew_hash_bytes(ew_hash_seed(), k, sizeof(*k));
}

static void lru_unlink(struct ew_throttle *t, uint32_t i)
{
	struct tent *x = &t->e[i];

	if (x->prev) t->e[x->prev].next = x->next; else t->head = x->next;
	if (x->next) t->e[x->next].prev = x->prev; else t->tail = x->prev;
	x->prev = x->next = 0;
}

static void lru_append(struct ew_throttle *t, uint32_t i)
{
	struct tent *x = &t->e[i];

	x->prev = t->tail;
	x->next = 0;
	if (t->tail) t->e[t->tail].next = i; else t->head = i;
	t->tail = i;
}

static void drop(struct ew_throttle *t, uint32_t i)
{
	uint32_t *pp = &t->bucket[t->e[i].h & t->mask];

	while (*pp && *pp != i)
		pp = &t->e[*pp].hnext;
	if (*pp == i)
		*pp = t->e[i].hnext;
	lru_unlink(t, i);
	t->e[i].hnext = t->free_head;
	t->free_head = i;
	t->st.keys--;
}

int ew_throttle_check(struct ew_throttle *t, const char *rule, const struct ew_addr *src,
		      const struct ew_addr *dst, uint16_t dport, uint64_t now,
		      uint64_t *repeats)
{
	struct tkey k;
	uint64_t h;
	uint32_t i;

	*repeats = 0;
	if (t->window == 0) {
		t->st.passed++;
		return 1;
	}
	memset(&k, 0, sizeof(k));
	k.src = *src;
	k.dst = *dst;
	k.dport = dport;
	k.rule = hash_bytes(0xcbf29ce484222325ULL, rule, strlen(rule));
	h = hash_key(&k);
	/* Windows that closed with nothing pending need no memory. */
	while (t->head && t->e[t->head].start + t->window <= now && t->e[t->head].suppressed == 0)
		drop(t, t->head);
	for (i = t->bucket[h & t->mask]; i; i = t->e[i].hnext) {
		struct tent *x = &t->e[i];

		if (x->h != (uint32_t)h || memcmp(&x->k, &k, sizeof(k)) != 0)
			continue;
		if (now < x->start + t->window) {
			x->suppressed++;
			t->st.suppressed++;
			return 0;
		}
		*repeats = x->suppressed;
		x->suppressed = 0;
		x->start = now;
		lru_unlink(t, i);
		lru_append(t, i);
		t->st.passed++;
		return 1;
	}
	if (t->free_head) {
		i = t->free_head;
		t->free_head = t->e[i].hnext;
	} else if (t->used < t->max) {
		i = ++t->used;
	} else {
		i = t->head;
		t->st.evicted++;
		drop(t, i);
		i = t->free_head;
		t->free_head = t->e[i].hnext;
	}
	t->e[i].k = k;
	t->e[i].h = (uint32_t)h;
	t->e[i].start = now;
	t->e[i].suppressed = 0;
	t->e[i].hnext = t->bucket[h & t->mask];
	t->bucket[h & t->mask] = i;
	lru_append(t, i);
	t->st.keys++;
	t->st.passed++;
	return 1;
}

void ew_throttle_stats(const struct ew_throttle *t, struct ew_throttle_stats *out)
{
	*out = t->st;
	out->capacity = t->max;
}
