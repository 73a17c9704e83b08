/* SPDX-License-Identifier: Apache-2.0 */
/* decode_flowlog - see decode_flowlog.h. */
#include "collector/decode_flowlog.h"
#include "core/ew_err.h"

#include <stdlib.h>
#include <string.h>

enum field {
	F_OTHER = 0, F_VERSION, F_IFACE, F_SRCADDR, F_DSTADDR, F_SRCPORT, F_DSTPORT, F_PROTO,
	F_PACKETS, F_BYTES, F_START, F_END, F_ACTION, F_STATUS, F_TCPFLAGS, F_PKTSRC, F_PKTDST,
	F_DIRECTION,
};

#define MAX_FIELDS 64

/* The fields of versions 2 to 5 (what AWS documents for them); read ones have an id. */
static const struct { const char *name; uint8_t id; } names[] = {
	{ "version", F_VERSION }, { "account-id", F_OTHER }, { "interface-id", F_IFACE },
	{ "srcaddr", F_SRCADDR }, { "dstaddr", F_DSTADDR }, { "srcport", F_SRCPORT },
	{ "dstport", F_DSTPORT }, { "protocol", F_PROTO }, { "packets", F_PACKETS },
	{ "bytes", F_BYTES }, { "start", F_START }, { "end", F_END }, { "action", F_ACTION },
	{ "log-status", F_STATUS }, { "vpc-id", F_OTHER }, { "subnet-id", F_OTHER },
	{ "instance-id", F_OTHER }, { "tcp-flags", F_TCPFLAGS }, { "type", F_OTHER },
	{ "pkt-srcaddr", F_PKTSRC }, { "pkt-dstaddr", F_PKTDST }, { "region", F_OTHER },
	{ "az-id", F_OTHER }, { "sublocation-type", F_OTHER }, { "sublocation-id", F_OTHER },
	{ "pkt-src-aws-service", F_OTHER }, { "pkt-dst-aws-service", F_OTHER },
	{ "flow-direction", F_DIRECTION }, { "traffic-path", F_OTHER },
};

/* The default format (version 2). */
static const uint8_t v2[] = { F_VERSION, F_OTHER, F_IFACE, F_SRCADDR, F_DSTADDR, F_SRCPORT,
	F_DSTPORT, F_PROTO, F_PACKETS, F_BYTES, F_START, F_END, F_ACTION, F_STATUS };

struct ew_flowlog {
	enum ew_flowlog_format fmt;
	uint8_t map[MAX_FIELDS];
	uint32_t nmap;
	struct ew_flowlog_stats st;
};

struct tok {
	const char *p;
	size_t n;
};

static uint32_t split(const char *s, size_t len, struct tok *t, uint32_t max)
{
	uint32_t n = 0;
	size_t i = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
			i++;
		if (i == len)
			break;
		if (n == max)
			return max + 1;       /* too many fields */
		t[n].p = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			i++;
		t[n].n = (size_t)(s + i - t[n].p);
		n++;
	}
	return n;
}

static int is(const struct tok *t, const char *w)
{
	return t->n == strlen(w) && memcmp(t->p, w, t->n) == 0;
}

static int field_id(const struct tok *t, int *known)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is(t, names[i].name)) {
			*known = 1;
			return names[i].id;
		}
	*known = 0;
	return F_OTHER;
}

/* An unsigned decimal of at most max; 0 and sets *bad otherwise. */
static uint64_t num(const struct tok *t, uint64_t max, int *bad)
{
	uint64_t v = 0;

	if (t->n == 0 || t->n > 20) {
		*bad = 1;
		return 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		unsigned d = (unsigned char)t->p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10) {
			*bad = 1;
			return 0;
		}
		v = v * 10 + d;
	}
	if (v > max)
		*bad = 1;
	return v;
}

static int addr(const struct tok *t, struct ew_addr *a)
{
	char b[64];

	if (t->n == 0 || t->n >= sizeof(b))
		return -1;
	memcpy(b, t->p, t->n);
	b[t->n] = 0;
	return ew_addr_parse(a, b);
}

enum ew_flowlog_format ew_flowlog_detect(const char *head, size_t n)
{
	struct tok t[MAX_FIELDS];
	const char *nl = memchr(head, '\n', n);
	uint32_t k = split(head, nl ? (size_t)(nl - head) : n, t, MAX_FIELDS);
	int known = 0;

	if (k == 0 || k > MAX_FIELDS)
		return EW_FL_UNKNOWN;
	/* a header naming an address field, or a version 2 to 5 record of the default
	 * format: "2 123456789012 eni-... ADDR ADDR ..." */
	for (uint32_t i = 0; i < k; i++) {
		int id = field_id(&t[i], &known);

		if (id == F_SRCADDR || id == F_DSTADDR || id == F_PKTSRC || id == F_PKTDST)
			return EW_FL_AWS;
	}
	if (k == 14 && t[0].n == 1 && t[0].p[0] >= '2' && t[0].p[0] <= '9' &&
	    (t[2].n > 4 ? memcmp(t[2].p, "eni-", 4) == 0 : is(&t[2], "-")))
		return EW_FL_AWS;
	return EW_FL_UNKNOWN;
}

struct ew_flowlog *ew_flowlog_new(enum ew_flowlog_format fmt)
{
	struct ew_flowlog *fl = calloc(1, sizeof(*fl));

	if (fl == NULL)
		return NULL;
	fl->fmt = fmt;
	memcpy(fl->map, v2, sizeof(v2));
	fl->nmap = sizeof(v2);
	return fl;
}

void ew_flowlog_free(struct ew_flowlog *fl)
{
	free(fl);
}

/* A header line: every field a name, one of them an address. */
static int header(struct ew_flowlog *fl, const struct tok *t, uint32_t k)
{
	uint8_t map[MAX_FIELDS];
	uint32_t unknown = 0;
	int addrs = 0;

	for (uint32_t i = 0; i < k; i++) {
		int known, id = field_id(&t[i], &known);

		if (!known) {
			for (size_t j = 0; j < t[i].n; j++) {
				char c = t[i].p[j];

				if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				      c == '_'))
					return 0;      /* not a name: not a header */
			}
			unknown++;
		}
		addrs |= id == F_SRCADDR || id == F_DSTADDR || id == F_PKTSRC || id == F_PKTDST;
		map[i] = (uint8_t)id;
	}
	if (!addrs)
		return 0;
	memcpy(fl->map, map, k);
	fl->nmap = k;
	fl->st.header_lines++;
	fl->st.unknown_fields += unknown;
	return 1;
}

int ew_flowlog_line(struct ew_flowlog *fl, const char *line, size_t len, ew_nf_record_fn emit,
		    void *arg)
{
	struct tok t[MAX_FIELDS];
	uint32_t k = split(line, len, t, MAX_FIELDS);
	struct ew_nf_record r;
	struct ew_addr a;
	int bad = 0, have_src = 0, have_dst = 0, have_proto = 0, pkt_src = 0, pkt_dst = 0;
	uint64_t start = 0, end = 0;

	fl->st.lines++;
	if (k == 0)
		return EW_OK;                          /* a blank line */
	if (k > MAX_FIELDS) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	if (header(fl, t, k))
		return EW_OK;
	if (k != fl->nmap) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	memset(&r, 0, sizeof(r));
	r.has_flow = 1;
	r.direction = 0xff;
	r.f.sampling = 1;
	r.f.source_kind = EW_SRC_FLOWLOG;
	for (uint32_t i = 0; i < k && !bad; i++) {
		const struct tok *v = &t[i];
		int absent = is(v, "-");

		switch (fl->map[i]) {
		case F_VERSION:
			if (!absent && (num(v, 255, &bad) < 2 || bad))
				bad = 1;
			break;
		case F_SRCADDR:
		case F_PKTSRC:
			if (absent || (fl->map[i] == F_SRCADDR && pkt_src))
				break;
			if (addr(v, &a) != 0) {
				bad = 1;
				break;
			}
			r.f.src = a;
			have_src = 1;
			pkt_src |= fl->map[i] == F_PKTSRC;   /* the packet's own address wins */
			break;
		case F_DSTADDR:
		case F_PKTDST:
			if (absent || (fl->map[i] == F_DSTADDR && pkt_dst))
				break;
			if (addr(v, &a) != 0) {
				bad = 1;
				break;
			}
			r.f.dst = a;
			have_dst = 1;
			pkt_dst |= fl->map[i] == F_PKTDST;
			break;
		case F_SRCPORT:
			r.f.sport = absent ? 0 : (uint16_t)num(v, 65535, &bad);
			break;
		case F_DSTPORT:
			r.f.dport = absent ? 0 : (uint16_t)num(v, 65535, &bad);
			break;
		case F_PROTO:
			if (!absent) {
				r.f.proto = (uint8_t)num(v, 255, &bad);
				have_proto = 1;
			}
			break;
		case F_PACKETS:
			r.f.pkts[0] = absent ? 0 : (uint32_t)num(v, UINT32_MAX, &bad);
			break;
		case F_BYTES:
			r.f.bytes[0] = absent ? 0 : num(v, UINT64_MAX / 2, &bad);
			break;
		case F_START:
			start = absent ? 0 : num(v, 1ULL << 40, &bad);
			break;
		case F_END:
			end = absent ? 0 : num(v, 1ULL << 40, &bad);
			break;
		case F_ACTION:
			if (is(v, "ACCEPT"))
				r.cloud_action = EW_OUTCOME_ACCEPTED;
			else if (is(v, "REJECT"))
				r.cloud_action = EW_OUTCOME_REJECTED;
			else if (!absent)
				bad = 1;
			break;
		case F_STATUS:
			if (is(v, "NODATA") || is(v, "SKIPDATA")) {
				fl->st.no_flow++;
				return EW_OK;              /* no traffic, or records skipped */
			}
			break;
		case F_TCPFLAGS:
			if (!absent) {
				r.f.tcp_flags[0] = (uint8_t)num(v, 255, &bad);
				r.has_tcp_flags = 1;
			}
			break;
		case F_DIRECTION:
			r.direction = is(v, "ingress") ? 0 : is(v, "egress") ? 1 : 0xff;
			break;
		default:
			break;
		}
	}
	if (bad) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	if (!have_src || !have_dst || !have_proto) {
		fl->st.no_flow++;                          /* nothing to judge */
		return EW_OK;
	}
	if (ew_addr_is_v4(&r.f.src) != ew_addr_is_v4(&r.f.dst)) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	if (end < start)
		end = start;
	r.f.first_us = start * 1000000ULL;
	r.f.last_us = end * 1000000ULL;
	fl->st.records++;
	if (emit)
		emit(arg, &r);
	return EW_OK;
}

void ew_flowlog_stats(const struct ew_flowlog *fl, struct ew_flowlog_stats *out)
{
	*out = fl->st;
}
