/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_cef - see fmt_cef.h. */
#include "alerting/fmt_cef.h"
#include "core/ew_sev.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* The UTF-8 character at s[*i] (U+FFFD for a byte that starts none) to b; 1 when it
 * was ASCII, left for the caller in *c. */
static int utf8(struct ew_buf *b, const char *s, size_t *i, char *c)
{
	const unsigned char *u = (const unsigned char *)s + *i;
	size_t l;

	*c = s[*i];
	if (u[0] < 0x80)
		return 1;
	l = ew_utf8_len(u, strnlen(s + *i, 4));
	if (l == 0)
		ew_buf_puts(b, EW_UTF8_REPLACEMENT);
	else
		ew_buf_put(b, s + *i, l);
	*i += l ? l - 1 : 0;
	return 0;
}

/* A header field, at most max bytes of s and never part of a character. */
static void hdr(struct ew_buf *b, const char *s, size_t max)
{
	size_t n = s ? ew_utf8_cut(s, max) : 0;
	char c;

	for (size_t i = 0; i < n; i++) {
		if (!utf8(b, s, &i, &c))
			continue;
		if (c == '\\' || c == '|')
			ew_buf_putc(b, '\\');
		ew_buf_putc(b, c == '\n' || c == '\r' ? ' ' : c);
	}
	ew_buf_putc(b, '|');
}

static void ext_val(struct ew_buf *b, const char *s)
{
	char c;

	for (size_t i = 0; s && s[i]; i++) {
		if (!utf8(b, s, &i, &c))
			continue;
		switch (c) {
		case '\\': ew_buf_puts(b, "\\\\"); break;
		case '=': ew_buf_puts(b, "\\="); break;
		case '\n': ew_buf_puts(b, "\\n"); break;
		case '\r': ew_buf_puts(b, "\\r"); break;
		default: ew_buf_putc(b, c);
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

/* An end: src/spt (dst/dpt) for IPv4; CEF's src and dst are IPv4 only, so an IPv6
 * address goes to the dictionary's c6a2 ("Source IPv6 Address") or c6a3 (destination)
 * with its label. */
static void end(struct ew_buf *b, int source, const struct ew_addr *a, uint16_t port)
{
	char s[EW_ADDR_STRLEN];

	if (ew_addr_is_v4(a)) {
		ext(b, source ? "src" : "dst", ew_addr_format(a, s));
	} else {
		ext(b, source ? "c6a2" : "c6a3", ew_addr_format(a, s));
		ext(b, source ? "c6a2Label" : "c6a3Label",
		    source ? "Source IPv6 Address" : "Destination IPv6 Address");
	}
	ext_u64(b, source ? "spt" : "dpt", port);
}

int ew_fmt_cef(const struct ew_alert *a, struct ew_buf *b)
{
	char tb[8], tu[8], id[17];
	size_t i;

	ew_buf_puts(b, "CEF:0|eastwatch|eastwatch|");
	hdr(b, EW_VERSION, 63);
	hdr(b, a->rule, 1023);
	hdr(b, a->message, 512);
	ew_buf_u64(b, (uint64_t)ew_severity_score(a->severity) / 10);
	ew_buf_putc(b, '|');
	ext_u64(b, "rt", a->ts_us / 1000);
	/* alerts about eastwatch itself write only the addresses they have */
	if (!a->self || !ew_addr_is_unspecified(&a->src))
		end(b, 1, &a->src, a->sport);
	if (!a->self || !ew_addr_is_unspecified(&a->dst))
		end(b, 0, &a->dst, a->dport);
	if (a->proto) {
		/* proto: the transport as CEF writes it (TCP, UDP, ICMP) */
		snprintf(tu, sizeof(tu), "%s", ew_transport_name(a->proto, tb));
		for (i = 0; tu[i]; i++)
			tu[i] = (char)toupper((unsigned char)tu[i]);
		ext(b, "proto", tu);
		ext(b, "app", a->app_ecs ? a->app_ecs : "unknown");
	}
	ext(b, "act", a->action);
	ext(b, "cat", a->action);
	if (!a->self) {   /* the flow: from its first packet to this alert */
		ext_u64(b, "start", a->flow_start_us / 1000);
		ext_u64(b, "end", a->ts_us / 1000);
	}
	ext_u64(b, "cnt", a->repeats + 1);
	ext(b, "externalId", ew_alert_id_str(a->alert_id, id));
	ext(b, "dvchost", a->observer_name);
	if (!a->self) {   /* in: bytes from source to destination; out: back */
		ext_u64(b, "in", a->bytes[0]);
		ext_u64(b, "out", a->bytes[1]);
	}
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
