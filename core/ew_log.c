/* SPDX-License-Identifier: Apache-2.0 */
/* ew_log - see ew_log.h. */
#include "core/ew_log.h"
#include "core/ew_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static enum ew_log_level log_level = EW_LOG_INFO;
static int log_json;

void ew_log_setup(enum ew_log_level level, int json)
{
	log_level = level;
	log_json = json;
}

void ew_log(enum ew_log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	char msg[2048], ts[64];
	struct timeval tv;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
	if (log_json) {
		char line[4096];
		struct ew_buf b;

		ew_buf_init(&b, line, sizeof(line));
		ew_buf_puts(&b, "{\"@timestamp\":\"");
		ew_buf_puts(&b, ts);
		ew_buf_puts(&b, "\",\"log.level\":\"");
		ew_buf_puts(&b, names[level]);
		ew_buf_puts(&b, "\",\"message\":");
		ew_buf_json_str(&b, msg);
		ew_buf_puts(&b, "}\n");
		fputs(ew_buf_str(&b), stderr);
	} else {
		fprintf(stderr, "%s %-5s %s\n", ts, names[level], msg);
	}
}
