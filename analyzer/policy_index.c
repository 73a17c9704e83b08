/* SPDX-License-Identifier: Apache-2.0 */
/* policy_index - pairs with many rules indexed by protocol and responder port
 * (policy_int.h), so that a verdict costs what one port's rules cost, not what the
 * pair's do, and reads them from one place. */
#include "analyzer/policy_int.h"
#include "core/ew_mem.h"

#include <stdlib.h>
#include <string.h>

#define WIDE_SPAN 64   /* a record spanning more intervals than this is listed as wide */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static const struct ew_service *rec_svc(const struct ew_policy *p, const struct pair_rec *r,
					uint32_t i)
{
	return i == 0 ? &r->svc0 : &p->svc_all[r->svc_off + i];
}

/* Service s of a record applies to protocol class c (ew_proto_class). */
static int in_class(const struct ew_service *s, uint32_t c)
{
	return s->proto == EW_PROTO_ANY || ew_proto_class(s->proto) == c;
}

/* Build ix for protocol class c over the n records at recs. */
static int index_proto(const struct ew_policy *p, const struct pair_rec *recs, uint32_t n,
		       uint32_t c, struct port_index *ix)
{
	uint32_t nb = 0, *b, *span, total = 0;
	size_t nbounds = 1;
	int rc = EW_E_NOMEM;

	memset(ix, 0, sizeof(*ix));
	for (uint32_t k = 0; k < n; k++)
		nbounds += 2 * (size_t)recs[k].nsvc;
	/* the bounds: 0, every range's start and the port after its end */
	b = malloc(nbounds * sizeof(*b));
	span = calloc(n, sizeof(*span));
	if (b == NULL || span == NULL)
		goto out;
	b[nb++] = 0;
	for (uint32_t k = 0; k < n; k++)
		for (uint32_t i = 0; i < recs[k].nsvc; i++) {
			const struct ew_service *s = rec_svc(p, &recs[k], i);

			if (!in_class(s, c))
				continue;
			b[nb++] = s->lo;
			if (s->hi < 65535)
				b[nb++] = (uint32_t)s->hi + 1;
		}
	qsort(b, nb, sizeof(*b), cmp_u32);
	{
		uint32_t u = 1;

		for (uint32_t i = 1; i < nb; i++)
			if (b[i] != b[u - 1])
				b[u++] = b[i];
		nb = u;
	}
	ix->nb = nb;
	ix->ntop = (nb + EW_IV_BLOCK - 1) / EW_IV_BLOCK;
	ix->iv = aligned_alloc(64, ((nb + 1) * sizeof(*ix->iv) + 63) / 64 * 64);
	ix->top = malloc(ix->ntop * sizeof(*ix->top));
	if (ix->iv == NULL || ix->top == NULL)
		goto out;
	for (uint32_t i = 0; i <= nb; i++)
		ix->iv[i] = (struct port_iv){ i < nb ? b[i] : 65536, 0 };
	for (uint32_t t = 0; t < ix->ntop; t++)
		ix->top[t] = (uint16_t)b[t * EW_IV_BLOCK];
	/* how many intervals each record spans (0: none of its services is of class c);
	 * the wide ones apart (UINT32_MAX) */
	for (uint32_t k = 0; k < n; k++) {
		for (uint32_t i = 0; i < recs[k].nsvc && span[k] <= WIDE_SPAN; i++) {
			const struct ew_service *s = rec_svc(p, &recs[k], i);

			if (in_class(s, c))
				span[k] += ew_pair_interval(ix, s->hi) - ew_pair_interval(ix, s->lo) + 1;
		}
		if (recs[k].nsvc == 0 || span[k] > WIDE_SPAN) {
			span[k] = UINT32_MAX;
			ix->nwide++;
		} else {
			total += span[k];
		}
	}
	ix->ent = malloc((total ? total : 1) * sizeof(*ix->ent));
	ix->wide = malloc((ix->nwide ? ix->nwide : 1) * sizeof(*ix->wide));
	if (ix->ent == NULL || ix->wide == NULL)
		goto out;
	/* count per interval (in the next one's off), offsets, fill (in record order within
	 * each interval) */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t w = 0;

		for (uint32_t k = 0; k < n; k++) {
			if (span[k] == UINT32_MAX) {
				if (pass == 0)
					ix->wide[w++] = k;
				continue;
			}
			for (uint32_t i = 0; i < recs[k].nsvc; i++) {
				const struct ew_service *s = rec_svc(p, &recs[k], i);
				uint32_t a = ew_pair_interval(ix, s->lo), z = ew_pair_interval(ix, s->hi);

				if (!in_class(s, c))
					continue;
				for (uint32_t v = a; v <= z; v++) {
					if (pass == 0) {
						ix->iv[v + 1].off++;
					} else {
						ix->ent[ix->iv[v].off] = recs[k].d;
						ix->ent[ix->iv[v].off++].proto = s->proto;
					}
				}
			}
		}
		if (pass == 0)
			for (uint32_t v = 0; v < nb; v++)
				ix->iv[v + 1].off += ix->iv[v].off;
		else   /* the fill advanced each off to the next's: shift back */
			for (uint32_t v = nb; v > 0; v--)
				ix->iv[v].off = ix->iv[v - 1].off;
	}
	ix->iv[0].off = 0;
	for (uint32_t v = 0; v < nb; v++)
		ix->ranged |= ix->iv[v + 1].lo - ix->iv[v].lo > 1 && ix->iv[v + 1].off > ix->iv[v].off;
	rc = EW_OK;
out:
	free(b);
	free(span);
	return rc;
}

#define AL64(n) (((n) + 63) & ~(size_t)63)

/* The bytes of ix's arrays, each rounded to a cache line. */
static size_t index_bytes(const struct port_index *ix)
{
	return AL64((ix->nb + 1) * sizeof(*ix->iv)) + AL64(ix->ntop * sizeof(*ix->top)) +
	       AL64(ix->iv[ix->nb].off * sizeof(*ix->ent)) + AL64(ix->nwide * sizeof(*ix->wide));
}

/* Move ix's array at *a (n bytes) to the arena at *at. */
static void move_to(void **a, size_t n, uint8_t **at)
{
	memcpy(*at, *a, n);
	free(*a);
	*a = *at;
	*at += AL64(n);
}

/* Every index's arrays into one huge-page mapping: a large policy's indexes span
 * megabytes, and on 4 KB pages nearly every verdict that hits a rule would walk the
 * page tables (bench_policy, 100,000 rules on 10 groups: about 290 ns per verdict that
 * way). Nothing to do if the mapping fails: the arrays stay where they are. */
static void index_compact(struct ew_policy *p)
{
	size_t total = 0;
	uint8_t *at;

	for (uint32_t i = 0; i < p->npix; i++)
		for (uint32_t c = 0; c < 3; c++)
			total += index_bytes(&p->pix[i].by[c]);
	at = p->ix_mem = ew_mem_huge(total);
	if (at == NULL)
		return;
	p->ix_mem_len = total;
	for (uint32_t i = 0; i < p->npix; i++)
		for (uint32_t c = 0; c < 3; c++) {
			struct port_index *ix = &p->pix[i].by[c];

			move_to((void **)&ix->iv, (ix->nb + 1) * sizeof(*ix->iv), &at);
			move_to((void **)&ix->top, ix->ntop * sizeof(*ix->top), &at);
			move_to((void **)&ix->ent, ix->iv[ix->nb].off * sizeof(*ix->ent), &at);
			move_to((void **)&ix->wide, ix->nwide * sizeof(*ix->wide), &at);
		}
}

/* Interval v of ix is one port wide and has entries: a hit slot's. */
static int single_port(const struct port_index *ix, uint32_t v)
{
	return ix->iv[v + 1].lo - ix->iv[v].lo == 1 && ix->iv[v + 1].off > ix->iv[v].off;
}

/* Whether entry d of protocol class c is summed up in a hit slot's rank: only TCP's and
 * UDP's, whose protocols always match, and only those without an applications
 * condition. */
static int ranked(const struct pair_dec *d, uint32_t c)
{
	return c < 2 && d->napps == 0;
}

/* A single-port interval v of ix that has entries, as a hit slot's val: the rank of the
 * ranked entry that decides among them, or a port_hitx record (at *nx, advanced past
 * it) with that rank and copies of the other entries. */
static uint32_t hit_val(struct ew_policy *p, const struct port_index *ix, uint32_t v,
			uint32_t c, uint32_t *nx)
{
	uint32_t rank = UINT32_MAX, n = 0;
	union port_hitx *x = &p->hitx[*nx];

	for (uint32_t k = ix->iv[v].off; k < ix->iv[v + 1].off; k++) {
		const struct pair_dec *d = &ix->ent[k];

		if (!ranked(d, c))
			x[1 + n++].d = *d;
		else if (EW_HIT_RANK(d) < rank)
			rank = EW_HIT_RANK(d);
	}
	if (n == 0)
		return rank;
	x->h.rank = rank;
	x->h.n = n;
	*nx += 1 + n;
	return EW_HIT_ESC << 24 | (uint32_t)(x - p->hitx);
}

/* The hash of single-port intervals with entries (policy_int.h); none when a rule's
 * number, an index's or the records would not fit a slot. */
static int index_hits(struct ew_policy *p)
{
	uint32_t want = 0, cap = 2, nx = 0;
	size_t nunits = 0;

	_Static_assert(EW_SEV_CRITICAL < 0xFD, "a deny rank is 0xFD - severity");
	if (p->nrules >= 0xFFFFFF || p->npix * 3 >= 0xFFFF)
		return EW_OK;
	for (uint32_t i = 0; i < p->npix * 3; i++) {
		const struct port_index *ix = &p->pix[0].by[i];

		for (uint32_t v = 0; v < ix->nb; v++) {
			size_t n = 0;

			if (!single_port(ix, v))
				continue;
			want++;
			for (uint32_t k = ix->iv[v].off; k < ix->iv[v + 1].off; k++)
				n += !ranked(&ix->ent[k], i % 3);
			nunits += n ? 1 + n : 0;
		}
	}
	if (nunits >= 0xFFFFFF)
		return EW_OK;
	while (cap < 3 * (uint64_t)want / 2)   /* at most 2/3 full: one line or two a search */
		cap *= 2;
	p->hits = ew_mem_huge(cap * sizeof(*p->hits));
	p->hitx = malloc((nunits ? nunits : 1) * sizeof(*p->hitx));
	if (p->hits == NULL || p->hitx == NULL)
		return EW_E_NOMEM;
	p->nhits_mem = cap * sizeof(*p->hits);
	p->hitmask = cap - 1;
	for (uint32_t h = 0; h < cap; h++)
		p->hits[h].key = EW_HIT_EMPTY;
	for (uint32_t i = 0; i < p->npix * 3; i++) {
		const struct port_index *ix = &p->pix[0].by[i];

		for (uint32_t v = 0; v < ix->nb; v++) {
			uint32_t h = ew_port_hash(i, (uint16_t)ix->iv[v].lo) & p->hitmask;

			if (!single_port(ix, v))
				continue;
			while (p->hits[h].key != EW_HIT_EMPTY)
				h = (h + 1) & p->hitmask;
			p->hits[h] = (struct port_hit){ i << 16 | ix->iv[v].lo,
							hit_val(p, ix, v, i % 3, &nx) };
		}
	}
	return EW_OK;
}

int ew_policy_index_pairs(struct ew_policy *p, uint32_t min)
{
	uint32_t want = 0, slots = p->pairmask + 1;

	for (uint32_t i = 0; i < slots; i++)
		want += p->pairs[i].n >= min;
	if (want == 0)
		return EW_OK;
	p->slot_ix = calloc(slots, sizeof(*p->slot_ix));
	p->pix = calloc(want, sizeof(*p->pix));
	if (p->slot_ix == NULL || p->pix == NULL)
		return EW_E_NOMEM;
	for (uint32_t i = 0; i < slots; i++) {
		if (p->pairs[i].n < min)
			continue;
		for (uint32_t c = 0; c < 3; c++)
			if (index_proto(p, p->recs + p->pairs[i].off, p->pairs[i].n, c,
					&p->pix[p->npix].by[c]) != EW_OK) {
				p->npix++;        /* freed with the others */
				return EW_E_NOMEM;
			}
		p->slot_ix[i] = ++p->npix;
	}
	index_compact(p);
	return index_hits(p);
}

void ew_policy_index_free(struct ew_policy *p)
{
	if (p->ix_mem != NULL)
		ew_mem_huge_free(p->ix_mem, p->ix_mem_len);
	for (uint32_t i = 0; i < p->npix && p->ix_mem == NULL; i++)
		for (uint32_t c = 0; c < 3; c++) {
			free(p->pix[i].by[c].iv);
			free(p->pix[i].by[c].top);
			free(p->pix[i].by[c].ent);
			free(p->pix[i].by[c].wide);
		}
	free(p->pix);
	free(p->slot_ix);
	ew_mem_huge_free(p->hits, p->nhits_mem);
	free(p->hitx);
}
