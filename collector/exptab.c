/* SPDX-License-Identifier: Apache-2.0 */
#include "collector/exptab.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/ew_hash.h"
#include "core/ew_ilist.h"

/* Entry i's links: its bucket chain (0: none), and its list, most recently heard first. */
struct link {
	uint32_t chain;
	struct ew_ilink age;
	uint8_t rec;                  /* on the list of those that gave a record */
};

struct ew_exptab {
	uint32_t max, n, mask;
	uint32_t *bucket;
	struct ew_exporter_health *e; /* e[1..n] */
	struct link *l;
	struct ew_ilist list[2];      /* [0]: never gave a record, [1]: gave one */
};

struct ew_exptab *ew_exptab_new(uint32_t max)
{
	struct ew_exptab *t;
	uint32_t nb = 16;

	if (max < 1 || max > EW_EXPTAB_MOST || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	while (nb < max)
		nb <<= 1;
	t->max = max;
	t->mask = nb - 1;
	t->bucket = calloc(nb, sizeof(*t->bucket));
	t->e = calloc((size_t)max + 1, sizeof(*t->e));
	t->l = calloc((size_t)max + 1, sizeof(*t->l));
	if (t->bucket == NULL || t->e == NULL || t->l == NULL) {
		ew_exptab_free(t);
		return NULL;
	}
	return t;
}

void ew_exptab_free(struct ew_exptab *t)
{
	if (t == NULL)
		return;
	free(t->bucket);
	free(t->e);
	free(t->l);
	free(t);
}

static uint32_t *bucket_of(const struct ew_exptab *t, const struct ew_addr *a)
{
	return &t->bucket[(uint32_t)ew_hash_addr(a, 0xe4) & t->mask];
}

static uint32_t find(const struct ew_exptab *t, const struct ew_addr *a)
{
	for (uint32_t i = *bucket_of(t, a); i; i = t->l[i].chain)
		if (ew_addr_eq(&t->e[i].addr, a))
			return i;
	return 0;
}

#define AGE(t) (t)->l, sizeof(struct link), offsetof(struct link, age)

static void unlink_list(struct ew_exptab *t, uint32_t i)
{
	ew_ilist_remove(&t->list[t->l[i].rec], AGE(t), i);
}

static void link_newest(struct ew_exptab *t, uint32_t i)
{
	t->l[i].rec = t->e[i].records != 0;
	ew_ilist_push_newest(&t->list[t->l[i].rec], AGE(t), i);
}

static void link_oldest(struct ew_exptab *t, uint32_t i)
{
	t->l[i].rec = t->e[i].records != 0;
	ew_ilist_push_oldest(&t->list[t->l[i].rec], AGE(t), i);
}

struct ew_exporter_health *ew_exptab_find(const struct ew_exptab *t, const struct ew_addr *a)
{
	uint32_t i = find(t, a);

	return i ? &t->e[i] : NULL;
}

struct ew_exporter_health *ew_exptab_get(struct ew_exptab *t, const struct ew_addr *a,
					 int *evicted, struct ew_addr *gone)
{
	uint32_t i = find(t, a), *pp;

	*evicted = 0;
	if (i)
		return &t->e[i];
	if (t->n < t->max) {
		i = ++t->n;
	} else {
		i = t->list[0].oldest ? t->list[0].oldest : t->list[1].oldest;
		for (pp = bucket_of(t, &t->e[i].addr); *pp != i; pp = &t->l[*pp].chain)
			;
		*pp = t->l[i].chain;
		unlink_list(t, i);
		if (gone)
			*gone = t->e[i].addr;
		*evicted = 1;
	}
	memset(&t->e[i], 0, sizeof(t->e[i]));
	t->e[i].addr = *a;
	pp = bucket_of(t, a);
	t->l[i].chain = *pp;
	*pp = i;
	link_newest(t, i);
	return &t->e[i];
}

void ew_exptab_heard(struct ew_exptab *t, struct ew_exporter_health *e)
{
	uint32_t i = (uint32_t)(e - t->e);

	if (t->list[t->l[i].rec].newest == i && t->l[i].rec == (e->records != 0))
		return;
	unlink_list(t, i);
	link_newest(t, i);
}

void ew_exptab_recount(struct ew_exptab *t, struct ew_exporter_health *e)
{
	uint32_t i = (uint32_t)(e - t->e);

	if (t->l[i].rec == (e->records != 0))
		return;
	unlink_list(t, i);
	if (e->records)
		link_newest(t, i);
	else
		link_oldest(t, i);
}

uint32_t ew_exptab_count(const struct ew_exptab *t)
{
	return t->n;
}

uint32_t ew_exptab_capacity(const struct ew_exptab *t)
{
	return t->max;
}

struct ew_exporter_health *ew_exptab_at(const struct ew_exptab *t, uint32_t i)
{
	return &t->e[i];
}
