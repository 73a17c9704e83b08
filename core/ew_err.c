/* SPDX-License-Identifier: Apache-2.0 */
/* ew_err - formatting of setup errors; see ew_err.h. */
#include "core/ew_err.h"

#include <stdarg.h>
#include <stdio.h>

int ew_err_set(struct ew_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return EW_E_INVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return EW_E_INVAL;
}

int ew_err_at(struct ew_err *err, const char *file, unsigned line, unsigned col,
	      const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL)
		return EW_E_INVAL;
	n = snprintf(err->msg, sizeof(err->msg), "%s:%u:%u: ", file, line, col);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		return EW_E_INVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	return EW_E_INVAL;
}

const char *ew_strerror(int code)
{
	switch (code) {
	case EW_OK: return "ok";
	case EW_E_TRUNC: return "truncated";
	case EW_E_MALFORMED: return "malformed";
	case EW_E_UNSUPPORTED: return "unsupported";
	case EW_E_NOMEM: return "out of memory";
	case EW_E_FULL: return "table full";
	case EW_E_IO: return "i/o error";
	case EW_E_INVAL: return "invalid";
	}
	return "unknown error";
}
