/* SPDX-License-Identifier: Apache-2.0 */
/* policy_index - pairs with many rules indexed by protocol and responder port
 * (policy_int.h), so that a verdict costs what one port's rules cost, not what the
 * pair's do. */
#include "analyzer/policy_int.h"

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
	ix->lo = malloc(nb * sizeof(*ix->lo));
	ix->start = calloc((size_t)nb + 1, sizeof(*ix->start));
	if (ix->lo == NULL || ix->start == NULL)
		goto out;
	for (uint32_t i = 0; i < nb; i++)
		ix->lo[i] = (uint16_t)b[i];
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
	/* count per interval, offsets, fill (in record order within each interval) */
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
					if (pass == 0)
						ix->start[v + 1]++;
					else
						ix->ent[ix->start[v]++] = k;
				}
			}
		}
		if (pass == 0)
			for (uint32_t v = 0; v < nb; v++)
				ix->start[v + 1] += ix->start[v];
		else   /* the fill advanced each start to the next's: shift back */
			for (uint32_t v = nb; v > 0; v--)
				ix->start[v] = ix->start[v - 1];
	}
	ix->start[0] = 0;
	rc = EW_OK;
out:
	free(b);
	free(span);
	return rc;
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
	return EW_OK;
}

void ew_policy_index_free(struct ew_policy *p)
{
	for (uint32_t i = 0; i < p->npix; i++)
		for (uint32_t c = 0; c < 3; c++) {
			free(p->pix[i].by[c].lo);
			free(p->pix[i].by[c].start);
			free(p->pix[i].by[c].ent);
			free(p->pix[i].by[c].wide);
		}
	free(p->pix);
	free(p->slot_ix);
}
