/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_syslog - see fmt_syslog.h. */
#include "alerting/fmt_syslog.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"

#include <stdio.h>
#include <string.h>

int ew_syslog_facility(const char *name)
{
	static const char *const n[] = { "kern", "user", "mail", "daemon", "auth", "syslog",
		"lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
		"solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5",
		"local6", "local7" };

	for (int i = 0; i < 24; i++)
		if (strcmp(n[i], name) == 0)
			return i;
	return -1;
}

static int syslog_sev(int sev)
{
	switch (sev) {
	case EW_SEV_CRITICAL: return 2;
	case EW_SEV_HIGH: return 3;
	case EW_SEV_MEDIUM: return 4;
	case EW_SEV_LOW: return 5;
	default: return 6;
	}
}

/* PRINTUSASCII only (RFC 5424 §6), at most max characters, "-" when empty. */
static void token(struct ew_buf *b, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s && s[i] && i < max; i++)
		ew_buf_putc(b, s[i] > 32 && s[i] < 127 ? s[i] : '_');
	if (i == 0)
		ew_buf_putc(b, '-');
}

int ew_syslog_sd_id_valid(const char *id)
{
	const char *at = strchr(id, '@');
	size_t n = strlen(id);

	if (n == 0 || n > 32 || at == NULL || at == id || at[1] == '\0')
		return 0;
	for (const char *p = id; *p; p++)
		if (*p <= 32 || *p >= 127 || *p == '=' || *p == ']' || *p == '"' ||
		    (p > at && !((*p >= '0' && *p <= '9') || *p == '.')) || (p != at && *p == '@'))
			return 0;
	return 1;
}

/* A PARAM-VALUE: UTF-8 (U+FFFD for a byte that starts no character), '"', '\\' and ']'
 * escaped. */
static void param(struct ew_buf *b, const char *k, const char *v)
{
	ew_buf_putc(b, ' ');
	ew_buf_puts(b, k);
	ew_buf_puts(b, "=\"");
	for (size_t i = 0; v && v[i];) {
		size_t l = ew_utf8_len((const unsigned char *)v + i, strnlen(v + i, 4));

		if (l == 0) {
			ew_buf_puts(b, EW_UTF8_REPLACEMENT);
			i++;
			continue;
		}
		if (v[i] == '"' || v[i] == '\\' || v[i] == ']')
			ew_buf_putc(b, '\\');
		ew_buf_put(b, v + i, l);
		i += l;
	}
	ew_buf_putc(b, '"');
}

int ew_fmt_syslog(const struct ew_alert *a, const struct ew_syslog_hdr *h, const char *body,
		  size_t len, struct ew_buf *b)
{
	char ts[32], s[EW_ADDR_STRLEN], num[24], tb[8], id[17];

	ew_buf_putc(b, '<');
	ew_buf_u64(b, (uint64_t)(h->facility * 8 + syslog_sev(a->severity)));
	ew_buf_puts(b, ">1 ");
	ew_buf_puts(b, ew_time_rfc3339(a->ts_us, ts));
	ew_buf_putc(b, ' ');
	token(b, h->hostname, 255);
	ew_buf_puts(b, " eastwatch ");
	ew_buf_u64(b, (uint64_t)h->pid);
	ew_buf_putc(b, ' ');
	token(b, a->action, 32);
	ew_buf_puts(b, " [");
	token(b, h->sd_id, 32);
	param(b, "alert_id", ew_alert_id_str(a->alert_id, id));
	param(b, "rule", a->rule);
	param(b, "severity", ew_severity_name(a->severity));
	/* an alert about eastwatch itself: only the addresses it has */
	if (!a->self || !ew_addr_is_unspecified(&a->src))
		param(b, "src", ew_addr_format(&a->src, s));
	if (!a->self || !ew_addr_is_unspecified(&a->dst)) {
		param(b, "dst", ew_addr_format(&a->dst, s));
		snprintf(num, sizeof(num), "%u", a->dport);
		param(b, "dport", num);
	}
	if (a->proto)
		param(b, "proto", ew_transport_name(a->proto, tb));
	ew_buf_puts(b, "] ");
	ew_buf_put(b, body, len);
	return ew_buf_overflow(b) ? -1 : 0;
}
