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

/* Days since 1970-01-01 -> year, month, day (Howard Hinnant's civil_from_days). */
static void civil(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400) + (*m <= 2);
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

const char *ew_time_rfc3339(uint64_t us, char *out)
{
	/* Alerts come many a second: each thread keeps the "YYYY-MM-DDTHH:MM:SS." of the
	 * last seconds it formatted (four, so an alert's time and its flow's start do not
	 * evict each other); only the milliseconds are formatted every time. */
	static __thread struct {
		uint64_t secs;
		char s[20];
	} cache[4] = { { UINT64_MAX, "" }, { UINT64_MAX, "" }, { UINT64_MAX, "" },
		       { UINT64_MAX, "" } };
	uint64_t secs = us / EW_USEC;
	unsigned ms = (unsigned)(us % EW_USEC / 1000);
	char *p = cache[secs & 3].s;

	if (cache[secs & 3].secs != secs) {
		unsigned sod = (unsigned)(secs % 86400), m, d;
		int y;

		civil((int64_t)(secs / 86400), &y, &m, &d);
		if (y > 9999)
			y = 9999;
		p = put2(p, (unsigned)y / 100);
		p = put2(p, (unsigned)y % 100);
		*p++ = '-';
		p = put2(p, m);
		*p++ = '-';
		p = put2(p, d);
		*p++ = 'T';
		p = put2(p, sod / 3600);
		*p++ = ':';
		p = put2(p, sod / 60 % 60);
		*p++ = ':';
		p = put2(p, sod % 60);
		*p = '.';
		cache[secs & 3].secs = secs;
	}
	memcpy(out, cache[secs & 3].s, 20);
	p = out + 20;
	*p++ = (char)('0' + ms / 100);
	p = put2(p, ms % 100);
	*p++ = 'Z';
	*p = '\0';
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

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t ew_time_parse_rfc3339(const char *s)
{
	static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t frac = 0, scale = 1000000;
	int y, mo, d, h, mi, sec;
	const char *p;

	/* YYYY-MM-DDTHH:MM:SS exactly (field by field: no read past a short string) */
	if ((y = digits(s, 4)) < 0 || s[4] != '-' || (mo = digits(s + 5, 2)) < 0 || s[7] != '-' ||
	    (d = digits(s + 8, 2)) < 0 || s[10] != 'T' || (h = digits(s + 11, 2)) < 0 ||
	    s[13] != ':' || (mi = digits(s + 14, 2)) < 0 || s[16] != ':' ||
	    (sec = digits(s + 17, 2)) < 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60 ||
	    y < 1970)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (strcmp(p, "Z") != 0)
		return -1;
	return ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec) *
		1000000) + frac;
}
