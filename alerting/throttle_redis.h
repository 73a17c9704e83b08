/* SPDX-License-Identifier: Apache-2.0 */
/* throttle_redis - one alert per incident across several sensors, through Redis.
 *
 * After a sensor's own throttle lets an alert through, the alert is offered to Redis as
 * SET eastwatch:throttle:ALERT_ID SENSOR NX PX WINDOW: the sensor that sets the key sends
 * the alert; the others, seeing it set, count theirs as suppressed. The alert id hashes
 * the rule, the flow key and the throttle window (ew_alert_id), so sensors that see one
 * incident compute the same id. Commands go through hiredis's libevent adapter on the
 * daemon's loop (or on a private loop pumped by the caller, for replay), so the packet
 * path never waits for Redis. When Redis is unreachable or errs, alerts are sent (fail
 * open: a dedupe store must never swallow an alert), counted, and the connection is
 * retried with a backoff. */
#ifndef EW_THROTTLE_REDIS_H
#define EW_THROTTLE_REDIS_H

#include <stdint.h>

#include "alerting/alert.h"
#include "core/ew_err.h"

struct event_base;
struct ew_rthrottle;

typedef void (*ew_rthrottle_deliver_fn)(void *arg, const struct ew_alert *a);

struct ew_rthrottle_stats {
	uint64_t offered, passed, suppressed, failed_open, pending;
	int connected;
};

/* addr "host:port". eb NULL: a private loop, pumped by submit and drain. */
struct ew_rthrottle *ew_rthrottle_new(const char *addr, uint64_t window_us, const char *sensor,
				      struct event_base *eb, ew_rthrottle_deliver_fn deliver,
				      void *arg, struct ew_err *err);
/* Offer a; deliver(arg, a') is called (maybe later, with a copy) if it is to be sent. */
void ew_rthrottle_submit(struct ew_rthrottle *t, const struct ew_alert *a);
/* Wait up to timeout_ms for every offered alert to be answered (unanswered ones are
 * delivered: fail open). */
void ew_rthrottle_drain(struct ew_rthrottle *t, int timeout_ms);
void ew_rthrottle_stats(const struct ew_rthrottle *t, struct ew_rthrottle_stats *out);
void ew_rthrottle_free(struct ew_rthrottle *t);

#endif
