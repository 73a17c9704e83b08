/* SPDX-License-Identifier: Apache-2.0 */
/* ew_time - see ew_time.h. */
#include "core/ew_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t ew_time_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * EW_USEC + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t ew_time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * EW_USEC + (uint64_t)ts.tv_nsec / 1000;
}

const char *ew_time_rfc3339(uint64_t us, char *out)
{
	time_t secs = (time_t)(us / EW_USEC);
	struct tm tm;

	gmtime_r(&secs, &tm);
	if (tm.tm_year > 9999 - 1900)
		tm.tm_year = 9999 - 1900;
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)(tm.tm_year + 1900) % 10000,
		 (unsigned)(tm.tm_mon + 1) % 100, (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100,
		 (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
		 (unsigned)(us % EW_USEC / 1000));
	return out;
}

int ew_duration_parse(const char *s, uint64_t *us)
{
	char *end;
	unsigned long long v, mul;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		mul = EW_USEC;
	else if (strcmp(end, "ms") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60 * EW_USEC;
	else if (strcmp(end, "h") == 0)
		mul = 3600 * EW_USEC;
	else if (strcmp(end, "d") == 0)
		mul = 86400 * EW_USEC;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*us = v * mul;
	return 0;
}
