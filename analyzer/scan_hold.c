/* SPDX-License-Identifier: Apache-2.0 */
/* scan_hold - see scan_hold.h. */
#include "analyzer/scan_hold.h"

#include <stdlib.h>

struct slot {
	struct ew_addr src, dst;
	uint64_t until_us;
	const void *entry;
	uint64_t first_us;
	uint32_t hash;
	int session;
};

struct ew_scan_hold {
	struct ew_scan_hold_conf c;
	struct ew_scan *scan;
	struct slot *slot;
	unsigned char *items;
	uint32_t head, count;
	uint64_t held, folded;
};

struct ew_scan_hold *ew_scan_hold_new(struct ew_scan *s, const struct ew_scan_hold_conf *c)
{
	struct ew_scan_hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->c = *c;
	if (h->c.max == 0)
		h->c.max = 1024;
	h->scan = s;
	h->slot = calloc(h->c.max, sizeof(*h->slot));
	h->items = calloc(h->c.max, h->c.item_size);
	if (h->slot == NULL || h->items == NULL) {
		ew_scan_hold_free(h);
		return NULL;
	}
	return h;
}

void ew_scan_hold_free(struct ew_scan_hold *h)
{
	if (h == NULL)
		return;
	free(h->slot);
	free(h->items);
	free(h);
}

/* The oldest held alert: folded into its source's scan alert if the source is a
 * scanner by now, else sent. */
static void release_one(struct ew_scan_hold *h, uint64_t now_us)
{
	const struct slot *s = &h->slot[h->head];

	if (!s->session && ew_scan_fold(h->scan, &s->src, &s->dst, now_us))
		h->folded++;
	else
		h->c.send(h->c.arg, h->items + (size_t)h->head * h->c.item_size);
	h->head = (h->head + 1) % h->c.max;
	h->count--;
}

/* Keep a copy of alert; 0 if it does not fit (then the caller decides at once). */
static int hold(struct ew_scan_hold *h, const void *alert, const struct ew_addr *src,
		const struct ew_addr *dst, const struct ew_scan_hold_flow *fl, uint64_t now_us)
{
	uint32_t i;
	struct slot *s;

	if (h->count == h->c.max)
		release_one(h, now_us);
	i = (h->head + h->count) % h->c.max;
	if (h->c.copy(h->items + (size_t)i * h->c.item_size, alert) != 0)
		return 0;
	s = &h->slot[i];
	s->src = *src;
	s->dst = *dst;
	s->until_us = now_us + h->c.hold_us;
	s->entry = fl->entry;
	s->first_us = fl->entry ? fl->first_us : 0;
	s->hash = fl->entry ? fl->hash : 0;
	s->session = 0;
	h->count++;
	h->held++;
	return 1;
}

enum ew_scan_hold_result ew_scan_hold_offer(struct ew_scan_hold *h, const void *alert,
					    const struct ew_addr *src, const struct ew_addr *dst,
					    const struct ew_scan_hold_flow *fl, uint64_t now_us)
{
	enum ew_scan_state st;

	if (fl->session)
		return EW_HOLD_SEND;
	st = ew_scan_state(h->scan, src, now_us);
	/* a scanner's probe that is settled folds at once (nearly all of a scan's probes);
	 * the others are held to see whether they become sessions */
	if (st == EW_SCAN_SCANNER && fl->entry && fl->settled &&
	    ew_scan_fold(h->scan, src, dst, now_us)) {
		h->folded++;
		return EW_HOLD_FOLDED;
	}
	if (st != EW_SCAN_NONE && fl->entry && hold(h, alert, src, dst, fl, now_us))
		return EW_HOLD_HELD;
	/* an exported record is over: a probe now or never */
	if (st == EW_SCAN_SCANNER && ew_scan_fold(h->scan, src, dst, now_us)) {
		h->folded++;
		return EW_HOLD_FOLDED;
	}
	if (st == EW_SCAN_SUSPECT && fl->entry == NULL && hold(h, alert, src, dst, fl, now_us))
		return EW_HOLD_HELD;
	return EW_HOLD_SEND;
}

void ew_scan_hold_session(struct ew_scan_hold *h, const void *entry, uint64_t first_us,
			  uint32_t hash)
{
	for (uint32_t i = 0; i < h->count; i++) {
		struct slot *s = &h->slot[(h->head + i) % h->c.max];

		if (s->entry == entry && s->hash == hash && s->first_us == first_us)
			s->session = 1;
	}
}

void ew_scan_hold_release(struct ew_scan_hold *h, uint64_t now_us, int all)
{
	while (h->count && (all || h->slot[h->head].until_us <= now_us))
		release_one(h, now_us);
}

uint64_t ew_scan_hold_next(const struct ew_scan_hold *h)
{
	return h->count ? h->slot[h->head].until_us : UINT64_MAX;
}

void ew_scan_hold_counts(const struct ew_scan_hold *h, uint64_t *held, uint64_t *folded)
{
	*held = h->held;
	*folded = h->folded;
}
