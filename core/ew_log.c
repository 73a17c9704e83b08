/* SPDX-License-Identifier: Apache-2.0 */
/* ew_log - see ew_log.h. */
#include "core/ew_log.h"
#include "core/ew_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum ew_log_level log_level = EW_LOG_INFO;
static int log_json;

void ew_log_setup(enum ew_log_level level, int json)
{
	log_level = level;
	log_json = json;
}

int ew_log_is_json(void)
{
	return log_json;
}

static void line(enum ew_log_level level, const char *msg, int bare);

void ew_log(enum ew_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line(level, msg, 0);
}

void ew_say(enum ew_log_level level, const char *fmt, ...)
{
	char msg[4096];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	line(level, msg, 1);
}

static void line(enum ew_log_level level, const char *msg, int bare)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	char ts[64];
	struct timeval tv;
	struct tm tm;

	if (bare && !log_json) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
	if (log_json) {
		char out[8192];
		struct ew_buf b;

		ew_buf_init(&b, out, sizeof(out));
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
