/* SPDX-License-Identifier: Apache-2.0 */
/* ew_err - error codes and the setup-path error record.
 *
 * Hot paths (decoders, flow table, verdicts) return negative EW_E_* codes and count
 * bad input; setup paths (config, policy, opening sources and sinks) fill a
 * struct ew_err whose message reads "FILE:LINE:COL: message" when a position is known. */
#ifndef EW_ERR_H
#define EW_ERR_H

#include <stddef.h>

enum {
	EW_OK = 0,
	EW_E_TRUNC = -1,      /* input ends before a header or field does */
	EW_E_MALFORMED = -2,  /* a length, version or field value is impossible */
	EW_E_UNSUPPORTED = -3,/* well formed but not something we decode */
	EW_E_NOMEM = -4,
	EW_E_FULL = -5,       /* a configured bound is reached */
	EW_E_IO = -6,
	EW_E_INVAL = -7,
};

struct ew_err {
	char msg[1024];
};

/* Set err->msg from a printf format. err may be NULL. Returns EW_E_INVAL so that
 * callers can write "return ew_err_set(err, ...);". */
int ew_err_set(struct ew_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set err->msg to "FILE:LINE:COL: message" (line and column 1-based). */
int ew_err_at(struct ew_err *err, const char *file, unsigned line, unsigned col,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A short name for an EW_E_* code ("truncated", "malformed", ...). */
const char *ew_strerror(int code);

#endif
