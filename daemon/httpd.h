/* SPDX-License-Identifier: Apache-2.0 */
/* httpd - the small HTTP/1.x server behind /metrics and /healthz, built to stay up when
 * whoever reaches the port misbehaves.
 *
 * GET and HEAD only; one request per connection (answered with Connection: close).
 * Limits: at most EW_HTTPD_MAX_CONNS connections (a new one closes the oldest, so that
 * idle connections cannot lock a scraper out), the request line and headers within
 * EW_HTTPD_MAX_REQUEST bytes (431 otherwise) and EW_HTTPD_HEADER_TIMEOUT_S seconds (408),
 * the answer written within EW_HTTPD_WRITE_TIMEOUT_S. When accept() fails for want of
 * descriptors the listener pauses 100 ms and the oldest connection is closed, and that is
 * logged at most every 10 s (it logged every failed accept, in a busy loop). */
#ifndef EW_HTTPD_H
#define EW_HTTPD_H

#include <stdint.h>

#include "core/ew_err.h"

struct event_base;
struct evbuffer;

#define EW_HTTPD_MAX_CONNS 256
#define EW_HTTPD_MAX_REQUEST 8192
#define EW_HTTPD_HEADER_TIMEOUT_S 5
#define EW_HTTPD_WRITE_TIMEOUT_S 10

/* Fill body for path; return the status (200, 404, or 503 with body saying why) and
 * set *ctype. */
typedef int (*ew_httpd_fn)(void *arg, const char *path, struct evbuffer *body,
			   const char **ctype);

struct ew_httpd;

struct ew_httpd_stats {
	uint64_t accepted, answered, evicted, timeouts, too_large, bad, accept_errors;
	uint32_t open;
};

/* Listen on addr ("ADDR:PORT", "[V6]:PORT" or ":PORT"). NULL with err on failure. */
struct ew_httpd *ew_httpd_start(struct event_base *eb, const char *addr, ew_httpd_fn fn,
				void *arg, struct ew_err *err);
void ew_httpd_stats(const struct ew_httpd *h, struct ew_httpd_stats *out);
void ew_httpd_free(struct ew_httpd *h);   /* accepts NULL */

#endif
