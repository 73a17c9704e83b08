/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_cef - see fmt_cef.h. */
#include "alerting/fmt_cef.h"
#include "core/ew_sev.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static void hdr(struct ew_buf *b, const char *s, size_t max)
{
	for (size_t i = 0; s && s[i] && i < max; i++) {
		char c = s[i];

		if (c == '\\' || c == '|')
			ew_buf_putc(b, '\\');
		ew_buf_putc(b, c == '\n' || c == '\r' ? ' ' : c);
	}
	ew_buf_putc(b, '|');
}

static void ext_val(struct ew_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '\\': ew_buf_puts(b, "\\\\"); break;
		case '=': ew_buf_puts(b, "\\="); break;
		case '\n': ew_buf_puts(b, "\\n"); break;
		case '\r': ew_buf_puts(b, "\\r"); break;
		default: ew_buf_putc(b, *s);
		}
	}
}

static void ext(struct ew_buf *b, const char *k, const char *v)
{
	ew_buf_putc(b, ' ');
	ew_buf_puts(b, k);
	ew_buf_putc(b, '=');
	ext_val(b, v);
}

static void ext_u64(struct ew_buf *b, const char *k, uint64_t v)
{
	ew_buf_putc(b, ' ');
	ew_buf_puts(b, k);
	ew_buf_putc(b, '=');
	ew_buf_u64(b, v);
}

static void ext_list(struct ew_buf *b, const char *k, const char *const *v, uint32_t n)
{
	ew_buf_putc(b, ' ');
	ew_buf_puts(b, k);
	ew_buf_putc(b, '=');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			ew_buf_putc(b, ',');
		ext_val(b, v[i]);
	}
}

int ew_fmt_cef(const struct ew_alert *a, struct ew_buf *b)
{
	char s[EW_ADDR_STRLEN], tb[8], tu[8], id[17];
	size_t i;

	ew_buf_puts(b, "CEF:0|eastwatch|eastwatch|");
	hdr(b, EW_VERSION, 63);
	hdr(b, a->rule, 1023);
	hdr(b, a->message, 512);
	ew_buf_u64(b, (uint64_t)ew_severity_score(a->severity) / 10);
	ew_buf_putc(b, '|');
	ext_u64(b, "rt", a->ts_us / 1000);
	ext(b, "src", ew_addr_format(&a->src, s));
	ext_u64(b, "spt", a->sport);
	ext(b, "dst", ew_addr_format(&a->dst, s));
	ext_u64(b, "dpt", a->dport);
	/* proto: the transport as CEF writes it (TCP, UDP, ICMP) */
	snprintf(tu, sizeof(tu), "%s", ew_transport_name(a->proto, tb));
	for (i = 0; tu[i]; i++)
		tu[i] = (char)toupper((unsigned char)tu[i]);
	ext(b, "proto", tu);
	ext(b, "app", a->app_ecs ? a->app_ecs : "unknown");
	ext(b, "act", a->action);
	ext_u64(b, "cnt", a->repeats + 1);
	ext(b, "externalId", ew_alert_id_str(a->alert_id, id));
	ext(b, "dvchost", a->observer_name);
	ext_u64(b, "in", a->bytes[1]);
	ext_u64(b, "out", a->bytes[0]);
	ext(b, "cs1Label", "sourceGroups");
	ext_list(b, "cs1", a->src_groups, a->nsrc_groups);
	ext(b, "cs2Label", "destinationGroups");
	ext_list(b, "cs2", a->dst_groups, a->ndst_groups);
	ext(b, "cs3Label", "rule");
	ext(b, "cs3", a->rule);
	ext(b, "cs4Label", "appSource");
	ext(b, "cs4", ew_app_source_name(a->app_source));
	ext(b, "cs5Label", "severity");
	ext(b, "cs5", ew_severity_name(a->severity));
	if (a->rule_file) {
		char where[600];

		snprintf(where, sizeof(where), "%s:%u", a->rule_file, a->rule_line);
		ext(b, "cs6Label", "ruleFile");
		ext(b, "cs6", where);
	}
	ext(b, "msg", a->message);
	return ew_buf_overflow(b) ? -1 : 0;
}
