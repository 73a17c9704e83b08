/* SPDX-License-Identifier: Apache-2.0 */
/* scan_hold - the scan detector's side of policy alerts: hold and fold (SPEC §4).
 *
 * A policy alert about a scanner's or a scan suspect's flow is held until the tracker
 * (scan.h) decides and the flow shows whether it is a probe: folded into the scan alert
 * if the source is a scanner and the flow was never answered with application data,
 * sent otherwise. A session (answered with application data both ways) never folds. A
 * scanner's probe that is settled (can no longer become a session) folds at once, as
 * does a scanner's exported record (over: a probe now or never).
 *
 * The queue keeps the caller's alerts as opaque items of a fixed size, copied by the
 * caller's function, in arrival order; a full queue lets its oldest go. Items leave
 * through the caller's send function, or are folded (counted by the tracker). */
#ifndef EW_SCAN_HOLD_H
#define EW_SCAN_HOLD_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/scan.h"
#include "core/ew_addr.h"

struct ew_scan_hold_conf {
	uint32_t max;           /* alerts held at once (0: 1024) */
	size_t item_size;       /* bytes of one held alert */
	uint64_t hold_us;       /* how long an alert waits at most */
	/* Copy alert into item: 0, or -1 when it does not fit (then it is decided now). */
	int (*copy)(void *item, const void *alert);
	/* An alert leaves the queue unfolded: the caller sends it (item is valid only for
	 * the call). */
	void (*send)(void *arg, const void *item);
	void *arg;
};

/* The flow a policy alert is about. */
struct ew_scan_hold_flow {
	const void *entry;      /* its flow-table entry, or NULL for an exported record */
	uint64_t first_us;      /* with hash: to know the entry's flow again */
	uint32_t hash;
	int settled;            /* it can no longer become a session (ICMP, a reset, or
				 * unanswered past judge_within) */
	int session;            /* answered with application data both ways */
};

enum ew_scan_hold_result {
	EW_HOLD_SEND,           /* the caller sends it now */
	EW_HOLD_HELD,
	EW_HOLD_FOLDED,
};

struct ew_scan_hold;

/* A queue before tracker s (borrowed). NULL when out of memory. */
struct ew_scan_hold *ew_scan_hold_new(struct ew_scan *s, const struct ew_scan_hold_conf *c);
void ew_scan_hold_free(struct ew_scan_hold *h);   /* accepts NULL; sends nothing */

/* A policy alert from src to dst about flow fl, at now_us: folded, held, or to be sent. */
enum ew_scan_hold_result ew_scan_hold_offer(struct ew_scan_hold *h, const void *alert,
					    const struct ew_addr *src, const struct ew_addr *dst,
					    const struct ew_scan_hold_flow *fl, uint64_t now_us);
/* The flow of entry (first_us, hash) became a session: its held alert must not fold. */
void ew_scan_hold_session(struct ew_scan_hold *h, const void *entry, uint64_t first_us,
			  uint32_t hash);
/* Let the alerts go whose hold ended by now_us (all of them when all). */
void ew_scan_hold_release(struct ew_scan_hold *h, uint64_t now_us, int all);
/* When the oldest hold ends, or UINT64_MAX when nothing is held. */
uint64_t ew_scan_hold_next(const struct ew_scan_hold *h);
/* Alerts held so far, and folded (at once or when their hold ended). */
void ew_scan_hold_counts(const struct ew_scan_hold *h, uint64_t *held, uint64_t *folded);

#endif
