/* SPDX-License-Identifier: Apache-2.0 */
/* throttle - one incident, one message (SPEC §4).
 *
 * Alerts with the same (rule, source.ip, destination.ip, destination.port) inside the
 * window after the one that was sent are counted, not sent; the next one after the
 * window goes out carrying that count (eastwatch.repeats) and opens a new window. Keys
 * live in a table of bounded size; when it is full the key whose window opened longest
 * ago is dropped (its pending count is lost, and counted as such). Time is the alert's
 * own time, so a replay throttles as the live sensor would have. */
#ifndef EW_THROTTLE_H
#define EW_THROTTLE_H

#include <stdint.h>

#include "core/ew_addr.h"

struct ew_throttle;

struct ew_throttle_stats {
	uint64_t passed, suppressed, evicted;
	uint32_t keys;
	uint32_t capacity;           /* keys it holds at most */
};

/* window_us 0 disables throttling. Returns NULL on allocation failure. */
struct ew_throttle *ew_throttle_new(uint64_t window_us, uint32_t max_keys);
void ew_throttle_free(struct ew_throttle *t);

/* Returns 1 if the alert is to be sent, with *repeats set to how many were suppressed
 * since the previous one; 0 if it is suppressed (and counted). */
int ew_throttle_check(struct ew_throttle *t, const char *rule, const struct ew_addr *src,
		      const struct ew_addr *dst, uint16_t dport, uint64_t now_us,
		      uint64_t *repeats);

void ew_throttle_stats(const struct ew_throttle *t, struct ew_throttle_stats *out);

#endif
