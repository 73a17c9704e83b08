/* SPDX-License-Identifier: Apache-2.0 */
/* workers_route - which worker a flow belongs to (the two addresses' hash: replay's split,
 * the kernel's fanout program computes the same kind), and live flow telemetry handed
 * from the worker whose socket received it to the worker its flow belongs to, so that a
 * flow's two directions are paired in one place whichever exporters sent them. */
#include "daemon/workers_int.h"
#include "collector/decode_pkt.h"
#include "core/ew_hash.h"
#include "core/ew_ring.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

unsigned ew_workers_lane_of_pair(const struct ew_workers *w, const struct ew_addr *a,
				 const struct ew_addr *b)
{
	uint64_t h = ew_mix64(ew_addr_hash(a, ew_hash_seed()) ^ ew_addr_hash(b, ew_hash_seed()));

	return (unsigned)(((h >> 32) * w->n) >> 32);
}

unsigned ew_workers_lane_of_frame(const struct ew_workers *w, int dlt, const uint8_t *d,
				  uint32_t len, unsigned dflt)
{
	struct ew_pkt pk;

	if (ew_pkt_decode(&pk, dlt, d, len) != EW_OK ||
	    (pk.kind != EW_PKT_FLOW && pk.kind != EW_PKT_FRAG))
		return dflt;
	return ew_workers_lane_of_pair(w, &pk.k.src, &pk.k.dst);
}

/* ---- live telemetry handed to the worker its flow belongs to ---- */

/* Handed over between wakes at most: a read takes up to 1,024 datagrams (some 32,000
 * records, half of them for the other of two workers: about 3 MB of ring), so the
 * workers they are for are woken during the read, not after it. With the wake at a
 * read's end only and 8 MB rings, the ring filled whenever the taker was slow to run:
 * 26,000 - 114,000 of 25 M records (5 s at 5 M/s from one exporter) were judged
 * unpaired where they were decoded; with this wake and 32 MB rings for two workers
 * (ew_workers_route_telemetry), none. */
#define ROUTED_WAKE 512

static void lane_packet(void *arg, const struct ew_raw_pkt *rp)
{
	ew_pipeline_packet(((struct worker *)arg)->p, rp);
}

/* Room in worker j's ring from k for an x_rec of extra bytes, its header filled in;
 * NULL when full (the caller judges it itself: a flow judged without its other direction
 * beats one not judged). */
static struct x_rec *route(struct worker *k, unsigned j, size_t extra, uint8_t type,
			   uint16_t id, uint64_t now)
{
	struct x_rec *x = ew_ring_reserve(k->w->wk[j].xin[k->i], sizeof(*x) + extra);

	if (x == NULL) {
		k->xlost++;
		return NULL;
	}
	k->wake_due |= 1u << j;
	x->type = type;
	x->source_id = id;
	x->now = now;
	return x;
}

/* What route() reserved in j's ring, filled in: handed over, and the takers woken every
 * ROUTED_WAKE. */
static void handed(struct worker *k, unsigned j)
{
	ew_ring_commit(k->w->wk[j].xin[k->i]);
	if (++k->routed >= ROUTED_WAKE)
		ew_workers_wake_routed(k);
}

/* A record worker k's listener decoded: judged here when its addresses hash here, else
 * handed to the worker they hash to (the flow's other direction may come from another
 * exporter, through another worker's socket). */
static void lane_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	struct worker *k = arg;
	unsigned j = r->has_flow ? ew_workers_lane_of_pair(k->w, &r->f.src, &r->f.dst) : k->i;
	size_t an;
	struct x_rec *x;

	if (j == k->i) {
		ew_pipeline_record(k->p, r, id, now);
		return;
	}
	an = r->app_name ? strnlen(r->app_name, 63) : 0;
	if ((x = route(k, j, r->app_name ? an + 1 : 0, X_RECORD, id, now)) == NULL) {
		ew_pipeline_record(k->p, r, id, now);
		return;
	}
	x->u.r = *r;
	if (r->app_name) {          /* the decoder's table is this thread's */
		memcpy(x->tail, r->app_name, an);
		x->tail[an] = 0;
		x->u.r.app_name = (const char *)x->tail;
	}
	handed(k, j);
}

static void lane_sample(void *arg, const struct ew_sflow_sample *s, uint16_t id, uint64_t now)
{
	struct worker *k = arg;
	int dlt = s->has_header ? ew_sflow_header_dlt(s->header_protocol) : -1;
	unsigned j = dlt < 0 ? k->i : ew_workers_lane_of_frame(k->w, dlt, s->header,
								s->header_len, k->i);
	struct x_rec *x;

	if (j == k->i || (x = route(k, j, s->header_len, X_SAMPLE, id, now)) == NULL) {
		ew_pipeline_sflow_sample(k->p, s, id, now);
		return;
	}
	x->u.s = *s;
	memcpy(x->tail, s->header, s->header_len);
	handed(k, j);
}

/* What other workers' listeners handed over to k. */
void ew_workers_take_routed(struct worker *k)
{
	for (unsigned j = 0; k->xin && j < k->w->n; j++) {
		const struct x_rec *x;
		size_t len;

		if (k->xin[j] == NULL)           /* its own */
			continue;
		while ((x = ew_ring_peek(k->xin[j], &len)) != NULL) {
			if (x->type == X_RECORD) {
				ew_pipeline_record(k->p, &x->u.r, x->source_id, x->now);
			} else {
				struct ew_sflow_sample s = x->u.s;

				s.header = x->tail;
				ew_pipeline_sflow_sample(k->p, &s, x->source_id, x->now);
			}
			ew_ring_release(k->xin[j]);
		}
	}
}

/* Wake the workers k handed something to. */
void ew_workers_wake_routed(struct worker *k)
{
	uint64_t one = 1;

	k->routed = 0;
	for (unsigned j = 0; k->wake_due; j++)
		if (k->wake_due & (1u << j)) {
			k->wake_due &= ~(1u << j);
			if (write(k->w->wk[j].wake, &one, sizeof(one)) < 0) {
				/* the counter is full: it is awake */
			}
		}
}

void ew_workers_lane_out(struct ew_workers *w, unsigned i, struct ew_source_out *out)
{
	memset(out, 0, sizeof(*out));
	out->packet = lane_packet;
	out->record = lane_record;
	out->sample = lane_sample;
	out->arg = &w->wk[i];
}

/* The rings, one for each ordered pair of workers: 96 MB for them all, at most 32 MB
 * each (two workers: the one pair carries half of what a socket takes), at least 64 KB:
 * 8 MB each with four workers, 1 MB with eight, 64 KB with 32 (a pair carries 1/n^2 of
 * the records, so each holds about the same time of them). A ring in use goes round
 * all of its memory. */
int ew_workers_route_telemetry(struct ew_workers *w)
{
	size_t bytes = ew_workers_ring_share((size_t)96 << 20, (size_t)w->n * (w->n - 1),
					     (size_t)32 << 20, (size_t)64 << 10);

	for (unsigned i = 0; i < w->n; i++) {
		struct worker *k = &w->wk[i];

		if (k->xin)
			continue;
		if ((k->xin = calloc(w->n, sizeof(*k->xin))) == NULL)
			return EW_E_NOMEM;
		for (unsigned j = 0; j < w->n; j++)
			if (j != i && (k->xin[j] = ew_ring_new(bytes)) == NULL)
				return EW_E_NOMEM;
	}
	return EW_OK;
}
