/* SPDX-License-Identifier: Apache-2.0 */
/* ew_log - operator-facing log lines on stderr, human-readable or JSON.
 *
 * The log settings are the one piece of process-wide state: main() sets them once
 * before anything starts (as openlog() does for syslog). */
#ifndef EW_LOG_H
#define EW_LOG_H

enum ew_log_level { EW_LOG_ERROR, EW_LOG_WARN, EW_LOG_INFO, EW_LOG_DEBUG };

/* level: the most verbose level written; json: one JSON object per line. */
void ew_log_setup(enum ew_log_level level, int json);

void ew_log(enum ew_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A command's own words to its user (a usage error, a fatal error, a summary): as they
 * are ("FILE:LINE:COL: message", no time or level) in text, a JSON line like ew_log's in
 * JSON, whatever the level setting. A trailing line break in fmt is dropped. */
void ew_say(enum ew_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ew_fatal(...) ew_say(EW_LOG_ERROR, __VA_ARGS__)
/* Whether lines are JSON (a command leaves out its usage text then). */
int ew_log_is_json(void);

#define ew_error(...) ew_log(EW_LOG_ERROR, __VA_ARGS__)
#define ew_warn(...)  ew_log(EW_LOG_WARN, __VA_ARGS__)
#define ew_info(...)  ew_log(EW_LOG_INFO, __VA_ARGS__)
#define ew_debug(...) ew_log(EW_LOG_DEBUG, __VA_ARGS__)

#endif
