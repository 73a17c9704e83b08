/* SPDX-License-Identifier: Apache-2.0 */
/* decode_flowlog - see decode_flowlog.h. */
#include "collector/decode_flowlog.h"
#include "collector/source.h"
#include "core/ew_conf.h"
#include "core/ew_err.h"
#include "core/ew_time.h"

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
	uint8_t kind;             /* observer.type code of "flowlog" (ew_source_kind) */
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

static int contains(const char *h, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(h + i, w, k) == 0)
			return 1;
	return 0;
}

enum ew_flowlog_format ew_flowlog_detect(const char *head, size_t n)
{
	struct tok t[MAX_FIELDS];
	size_t skip = 0;

	while (skip < n && (head[skip] == ' ' || head[skip] == '\n' || head[skip] == '\r' ||
			    head[skip] == '\t'))
		skip++;
	if (skip < n && (head[skip] == '{' || head[skip] == '[')) {
		if (contains(head, n, "\"records\"") &&
		    (contains(head, n, "flowLogVersion") || contains(head, n, "flowRecords") ||
		     contains(head, n, "NetworkSecurityGroupFlowEvent") ||
		     contains(head, n, "flowTuples")))
			return EW_FL_AZURE;
		if (contains(head, n, "\"src_ip\"") && contains(head, n, "\"dest_ip\""))
			return EW_FL_GCP;
		return EW_FL_UNKNOWN;
	}
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
	fl->kind = ew_source_kind("flowlog");
	memcpy(fl->map, v2, sizeof(v2));
	fl->nmap = sizeof(v2);
	return fl;
}

void ew_flowlog_free(struct ew_flowlog *fl)
{
	free(fl);
}

/* A header line: every field a name, one of them an address. */
/* What every flow-log record starts as: a flow of unknown direction, unsampled, whose
 * ICMP would say no type (ports 0). */
static void record_init(const struct ew_flowlog *fl, struct ew_record *r)
{
	memset(r, 0, sizeof(*r));
	r->has_flow = 1;
	r->direction = 0xff;
	r->f.sampling = 1;
	r->f.source_kind = fl->kind;
	r->icmp_untyped = 1;
}

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

static int gcp_line(struct ew_flowlog *fl, const char *line, size_t len, ew_record_fn emit,
		    void *arg);

/* An address field: srcaddr (pkt 0) or pkt-srcaddr (pkt 1; the packet's own address,
 * which wins over the interface's whichever comes first). Returns 1 if it is bad. */
static int take_addr(const struct tok *v, int pkt, struct ew_addr *out, int *have, int *from_pkt)
{
	struct ew_addr a;

	if (is(v, "-") || (!pkt && *from_pkt))
		return 0;
	if (addr(v, &a) != 0)
		return 1;
	*out = a;
	*have = 1;
	*from_pkt |= pkt;
	return 0;
}

int ew_flowlog_line(struct ew_flowlog *fl, const char *line, size_t len, ew_record_fn emit,
		    void *arg)
{
	struct tok t[MAX_FIELDS];

	if (fl->fmt == EW_FL_GCP)
		return gcp_line(fl, line, len, emit, arg);
	uint32_t k = split(line, len, t, MAX_FIELDS);
	struct ew_record r;
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
	record_init(fl, &r);
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
			bad |= take_addr(v, fl->map[i] == F_PKTSRC, &r.f.src, &have_src, &pkt_src);
			break;
		case F_DSTADDR:
		case F_PKTDST:
			bad |= take_addr(v, fl->map[i] == F_PKTDST, &r.f.dst, &have_dst, &pkt_dst);
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

/* ---- JSON formats (read with libyaml: JSON is YAML's flow style) ---- */

static int tok_of(struct ew_conf_node n, struct tok *t)
{
	if (ew_conf_type(n) != EW_CONF_SCALAR)
		return -1;
	t->p = ew_conf_str(n);
	t->n = strlen(t->p);
	return 0;
}

/* Protocol names and numbers as the clouds write them. */
static int proto_of(const struct tok *t, int *bad)
{
	if (is(t, "T") || is(t, "tcp") || is(t, "TCP"))
		return 6;
	if (is(t, "U") || is(t, "udp") || is(t, "UDP"))
		return 17;
	if (is(t, "icmp") || is(t, "ICMP"))
		return 1;
	return (int)num(t, 255, bad);
}

/* One Azure tuple (v: 4 for virtual network flow logs, 2 for NSG flow logs). */
static void azure_tuple(struct ew_flowlog *fl, const char *s, int v, ew_record_fn emit,
			void *arg)
{
	struct tok t[MAX_FIELDS];
	struct ew_record r;
	uint32_t k = 0;
	int bad = 0;
	uint64_t ts;
	const char *p = s;

	/* comma-separated, empty fields kept */
	while (k < MAX_FIELDS) {
		const char *c = strchr(p, ',');

		t[k].p = p;
		t[k].n = c ? (size_t)(c - p) : strlen(p);
		k++;
		if (c == NULL)
			break;
		p = c + 1;
	}
	fl->st.lines++;
	if (k < 9 || (v == 4 && k < 13)) {
		fl->st.malformed++;
		return;
	}
	record_init(fl, &r);
	r.biflow = 1;
	r.biflow_direction = 1;                 /* the tuple's source started it */
	r.direction = is(&t[6], "I") ? 0 : is(&t[6], "O") ? 1 : 0xff;
	ts = num(&t[0], 1ULL << 44, &bad);
	if (addr(&t[1], &r.f.src) != 0 || addr(&t[2], &r.f.dst) != 0 ||
	    ew_addr_is_v4(&r.f.src) != ew_addr_is_v4(&r.f.dst))
		bad = 1;
	r.f.sport = (uint16_t)num(&t[3], 65535, &bad);
	r.f.dport = (uint16_t)num(&t[4], 65535, &bad);
	r.f.proto = (uint8_t)proto_of(&t[5], &bad);
	if (v == 4) {
		ts /= 1000;                     /* milliseconds */
		r.cloud_action = is(&t[7], "D") ? EW_OUTCOME_REJECTED : EW_OUTCOME_ACCEPTED;
		if (!is(&t[7], "B") && !is(&t[7], "C") && !is(&t[7], "E") && !is(&t[7], "D"))
			bad = 1;
	} else {
		r.cloud_action = is(&t[7], "D") ? EW_OUTCOME_REJECTED : EW_OUTCOME_ACCEPTED;
		if (!is(&t[7], "A") && !is(&t[7], "D"))
			bad = 1;
	}
	/* counters (empty in a B tuple and in NSG version 1) */
	for (int i = 0; i < 4 && 9 + i < (int)k; i++) {
		uint64_t x = t[9 + i].n ? num(&t[9 + i], UINT64_MAX / 2, &bad) : 0;

		if (i == 0)
			r.f.pkts[0] = (uint32_t)(x > UINT32_MAX ? UINT32_MAX : x);
		else if (i == 1)
			r.f.bytes[0] = x;
		else if (i == 2)
			r.f.pkts[1] = (uint32_t)(x > UINT32_MAX ? UINT32_MAX : x);
		else
			r.f.bytes[1] = x;
	}
	if (v == 2 && k > 8 && !is(&t[8], "B") && !is(&t[8], "C") && !is(&t[8], "E") &&
	    t[8].n != 0)
		bad = 1;
	if (bad) {
		fl->st.malformed++;
		return;
	}
	r.f.first_us = r.f.last_us = ts * 1000000ULL;
	fl->st.records++;
	if (emit)
		emit(arg, &r);
}

/* Every flowTuples list under n (a flow group's or an NSG rule's flows). */
static void azure_tuples(struct ew_flowlog *fl, struct ew_conf_node tuples, int v,
			 ew_record_fn emit, void *arg)
{
	if (ew_conf_type(tuples) != EW_CONF_SEQ) {
		fl->st.malformed++;
		return;
	}
	for (size_t i = 0; i < ew_conf_len(tuples); i++) {
		struct ew_conf_node x = ew_conf_at(tuples, i);

		if (ew_conf_type(x) == EW_CONF_SCALAR)
			azure_tuple(fl, ew_conf_str(x), v, emit, arg);
		else
			fl->st.malformed++;
	}
}

int ew_flowlog_document(struct ew_flowlog *fl, const char *text, size_t len,
			ew_record_fn emit, void *arg)
{
	struct ew_conf *doc = NULL;
	struct ew_err err;
	struct ew_conf_node recs;

	if (ew_conf_load_mem(&doc, "flow log", text, len, &err) != EW_OK) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	recs = ew_conf_path(ew_conf_root(doc), "records");
	if (ew_conf_type(recs) != EW_CONF_SEQ) {
		fl->st.malformed++;
		ew_conf_free(doc);
		return EW_E_MALFORMED;
	}
	for (size_t i = 0; i < ew_conf_len(recs); i++) {
		struct ew_conf_node r = ew_conf_at(recs, i), flows;

		if (ew_conf_present(flows = ew_conf_path(r, "flowRecords.flows"))) {     /* VNet, v4 */
			for (size_t j = 0; j < ew_conf_len(flows); j++) {
				struct ew_conf_node g = ew_conf_path(ew_conf_at(flows, j), "flowGroups");

				for (size_t k = 0; k < ew_conf_len(g); k++)
					azure_tuples(fl, ew_conf_path(ew_conf_at(g, k), "flowTuples"), 4, emit, arg);
			}
		} else if (ew_conf_present(flows = ew_conf_path(r, "properties.flows"))) {  /* NSG, v2 */
			for (size_t j = 0; j < ew_conf_len(flows); j++) {
				struct ew_conf_node g = ew_conf_path(ew_conf_at(flows, j), "flows");

				for (size_t k = 0; k < ew_conf_len(g); k++)
					azure_tuples(fl, ew_conf_path(ew_conf_at(g, k), "flowTuples"), 2, emit, arg);
			}
		} else {
			fl->st.malformed++;                     /* a record of nothing we know */
		}
	}
	ew_conf_free(doc);
	return EW_OK;
}

/* One GCP log entry (a JSON object on one line). */
static int gcp_line(struct ew_flowlog *fl, const char *line, size_t len, ew_record_fn emit,
		    void *arg)
{
	struct ew_conf *doc = NULL;
	struct ew_err err;
	struct ew_conf_node root, pl, c;
	struct ew_record r;
	struct tok t;
	int bad = 0;
	int64_t start, end;

	fl->st.lines++;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return EW_OK;
	if (ew_conf_load_mem(&doc, "flow log", line, len, &err) != EW_OK) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	root = ew_conf_root(doc);
	pl = ew_conf_path(root, "jsonPayload");
	if (!ew_conf_present(pl))
		pl = root;                               /* BigQuery rows: the fields at the top */
	c = ew_conf_path(pl, "connection");
	record_init(fl, &r);
	if (tok_of(ew_conf_path(c, "src_ip"), &t) != 0 || addr(&t, &r.f.src) != 0 ||
	    tok_of(ew_conf_path(c, "dest_ip"), &t) != 0 || addr(&t, &r.f.dst) != 0 ||
	    ew_addr_is_v4(&r.f.src) != ew_addr_is_v4(&r.f.dst) ||
	    tok_of(ew_conf_path(c, "protocol"), &t) != 0)
		bad = 1;
	else
		r.f.proto = (uint8_t)proto_of(&t, &bad);
	if (!bad && tok_of(ew_conf_path(c, "src_port"), &t) == 0)
		r.f.sport = (uint16_t)num(&t, 65535, &bad);
	if (!bad && tok_of(ew_conf_path(c, "dest_port"), &t) == 0)
		r.f.dport = (uint16_t)num(&t, 65535, &bad);
	if (!bad && tok_of(ew_conf_path(pl, "packets_sent"), &t) == 0)
		r.f.pkts[0] = (uint32_t)num(&t, UINT32_MAX, &bad);
	if (!bad && tok_of(ew_conf_path(pl, "bytes_sent"), &t) == 0)
		r.f.bytes[0] = num(&t, UINT64_MAX / 2, &bad);
	start = ew_time_parse_rfc3339(ew_conf_str(ew_conf_path(pl, "start_time")));
	end = ew_time_parse_rfc3339(ew_conf_str(ew_conf_path(pl, "end_time")));
	ew_conf_free(doc);
	if (bad || start < 0) {
		fl->st.malformed++;
		return EW_E_MALFORMED;
	}
	r.f.first_us = (uint64_t)start;
	r.f.last_us = end >= start ? (uint64_t)end : (uint64_t)start;
	fl->st.records++;
	if (emit)
		emit(arg, &r);
	return EW_OK;
}

void ew_flowlog_stats(const struct ew_flowlog *fl, struct ew_flowlog_stats *out)
{
	*out = fl->st;
}
