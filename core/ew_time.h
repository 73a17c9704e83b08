/* SPDX-License-Identifier: Apache-2.0 */
/* ew_time - timestamps in microseconds since the Unix epoch, and their text forms.
 *
 * Packet sources stamp flows with the capture time, so replaying a file gives the same
 * flows, verdicts and throttling as watching it live. */
#ifndef EW_TIME_H
#define EW_TIME_H

#include <stddef.h>
#include <stdint.h>

#define EW_USEC 1000000ULL

/* Wall-clock time now. */
uint64_t ew_time_now_us(void);
/* A monotonic clock for measuring elapsed time. */
uint64_t ew_time_mono_us(void);

/* RFC 3339 UTC with milliseconds ("2026-11-21T22:28:51.123Z") into out[32]; always
 * EW_RFC3339_LEN characters (years past 9999 are written as 9999). */
#define EW_RFC3339_LEN 24
const char *ew_time_rfc3339(uint64_t us, char *out);
/* "YYYY-MM-DDTHH:MM:SS[.fraction]Z" into microseconds since the epoch (a longer fraction
 * is cut to microseconds), or -1. */
int64_t ew_time_parse_rfc3339(const char *s);

/* Parse a duration "90", "90s", "5m", "2h", "1d", "250ms" into microseconds.
 * Returns 0 or -1. */
int ew_duration_parse(const char *s, uint64_t *us);

#endif
