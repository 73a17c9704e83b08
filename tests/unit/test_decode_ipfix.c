/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/decode_ipfix: fields, times, biflows, sampling and
 * application names; and every malformed case the collectors issue names. */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "collector/decode_ipfix.h"
#include "collector/source.h"
#include "core/ew_err.h"

/* ---- a tiny message builder ---- */

struct msg {
	uint8_t b[70000];
	size_t n, set_at;
	int version;
};

static void u8(struct msg *m, uint8_t v) { m->b[m->n++] = v; }
static void u16(struct msg *m, uint16_t v) { u8(m, (uint8_t)(v >> 8)); u8(m, (uint8_t)v); }
static void u32(struct msg *m, uint32_t v) { u16(m, (uint16_t)(v >> 16)); u16(m, (uint16_t)v); }
static void u64(struct msg *m, uint64_t v) { u32(m, (uint32_t)(v >> 32)); u32(m, (uint32_t)v); }
static void bytes(struct msg *m, const void *p, size_t n) { memcpy(m->b + m->n, p, n); m->n += n; }

static void ipfix_begin(struct msg *m, uint32_t seq, uint32_t domain)
{
	memset(m, 0, sizeof(*m));
	m->version = 10;
	u16(m, 10);
	u16(m, 0);            /* length: ipfix_end */
	u32(m, 1700000000);   /* export time */
	u32(m, seq);
	u32(m, domain);
}

static void v9_begin(struct msg *m, uint32_t seq, uint32_t source_id, uint32_t uptime_ms)
{
	memset(m, 0, sizeof(*m));
	m->version = 9;
	u16(m, 9);
	u16(m, 0);            /* count: not used */
	u32(m, uptime_ms);
	u32(m, 1700000000);
	u32(m, seq);
	u32(m, source_id);
}

static void set_begin(struct msg *m, uint16_t id)
{
	m->set_at = m->n;
	u16(m, id);
	u16(m, 0);
}

static void set_end(struct msg *m)
{
	uint16_t len = (uint16_t)(m->n - m->set_at);

	m->b[m->set_at + 2] = (uint8_t)(len >> 8);
	m->b[m->set_at + 3] = (uint8_t)len;
}

static void ipfix_end(struct msg *m)
{
	m->b[2] = (uint8_t)(m->n >> 8);
	m->b[3] = (uint8_t)m->n;
}

static void v4(struct msg *m, const char *s)
{
	struct ew_addr a;

	ew_addr_parse(&a, s);
	bytes(m, a.a + 12, 4);
}

/* ---- collecting records ---- */

struct got {
	struct ew_record r[64];
	int n;
};

static void collect(void *arg, const struct ew_record *r)
{
	struct got *g = arg;

	if (g->n < 64)
		g->r[g->n] = *r;
	g->n++;
}

static struct ew_ipfix_session *session(void)
{
	struct ew_ipfix_conf c;

	ew_ipfix_conf_default(&c);
	return ew_ipfix_new(&c);
}

static struct ew_exporter_key exporter(const char *a, uint16_t port)
{
	struct ew_exporter_key k;

	memset(&k, 0, sizeof(k));
	ew_addr_parse(&k.addr, a);
	k.port = port;
	return k;
}

static int decode(struct ew_ipfix_session *s, const struct ew_exporter_key *ex, struct msg *m,
		  struct got *g)
{
	if (m->version == 10)
		ipfix_end(m);
	return ew_ipfix_decode(s, ex, m->b, m->n, 1000, collect, g);
}

/* template 256: src, dst v4, sport, dport, proto, flags, octets, packets, start/end ms */
static void flow_template(struct msg *m, uint16_t id)
{
	set_begin(m, 2);
	u16(m, id);
	u16(m, 10);
	u16(m, 8); u16(m, 4);
	u16(m, 12); u16(m, 4);
	u16(m, 7); u16(m, 2);
	u16(m, 11); u16(m, 2);
	u16(m, 4); u16(m, 1);
	u16(m, 6); u16(m, 1);
	u16(m, 1); u16(m, 8);
	u16(m, 2); u16(m, 4);
	u16(m, 152); u16(m, 8);
	u16(m, 153); u16(m, 8);
	set_end(m);
}

static void flow_record(struct msg *m, const char *src, const char *dst, uint16_t dport)
{
	v4(m, src);
	v4(m, dst);
	u16(m, 40000);
	u16(m, dport);
	u8(m, 6);
	u8(m, 0x02);
	u64(m, 1234);
	u32(m, 10);
	u64(m, 1700000000000ULL);
	u64(m, 1700000001500ULL);
}

START_TEST(ipfix_fields_and_times)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };
	char a[EW_ADDR_STRLEN];

	ipfix_begin(&m, 0, 7);
	flow_template(&m, 256);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.11", "198.18.3.10", 22);
	flow_record(&m, "198.18.1.12", "198.18.3.10", 5432);
	u16(&m, 0);            /* padding */
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.r[0].has_flow, 1);
	ck_assert_int_eq(g.r[0].version, 10);
	ck_assert_uint_eq(g.r[0].domain, 7);
	ck_assert_str_eq(ew_addr_format(&g.r[0].f.src, a), "198.18.1.11");
	ck_assert_int_eq(g.r[0].f.dport, 22);
	ck_assert_int_eq(g.r[0].f.proto, 6);
	ck_assert_int_eq(g.r[0].f.tcp_flags[0], 2);
	ck_assert_uint_eq(g.r[0].f.bytes[0], 1234);
	ck_assert_uint_eq(g.r[0].f.pkts[0], 10);
	ck_assert_uint_eq(g.r[0].f.first_us, 1700000000000000ULL);
	ck_assert_uint_eq(g.r[0].f.last_us, 1700000001500000ULL);
	ck_assert_str_eq(ew_source_kind_name(g.r[0].f.source_kind), "ipfix");
	ck_assert_int_eq(g.r[1].f.dport, 5432);
	ew_ipfix_free(s);
}
END_TEST

/* The three ways a record is read (straight code for a template of only common fields;
 * compiled ops when another element is read too; field by field when a field has a
 * variable length) give the same record. Template 300: the common fields; 301: the same
 * and a VLAN (an op of its own); 302: the same and a variable-length applicationName. */
static void common_template(struct msg *m, uint16_t id, int extra)
{
	static const uint16_t f[][2] = { { 8, 4 }, { 12, 4 }, { 7, 2 }, { 11, 2 }, { 4, 1 },
		{ 6, 1 }, { 1, 4 }, { 2, 8 }, { 10, 2 }, { 14, 4 }, { 61, 1 }, { 136, 1 },
		{ 152, 8 }, { 153, 8 } };
	size_t n = sizeof(f) / sizeof(f[0]);

	set_begin(m, 2);
	u16(m, id);
	u16(m, (uint16_t)(n + (extra != 0)));
	for (size_t i = 0; i < n; i++) {
		u16(m, f[i][0]);
		u16(m, f[i][1]);
	}
	if (extra == 1) {
		u16(m, 58); u16(m, 2);
	} else if (extra == 2) {
		u16(m, 96); u16(m, 65535);
	}
	set_end(m);
}

static void common_record(struct msg *m, uint32_t i, int extra)
{
	uint8_t a[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };

	bytes(m, a, 4);
	a[1] = 19;
	bytes(m, a, 4);
	u16(m, (uint16_t)(1024 + i * 977));
	u16(m, (uint16_t)(i * 31));
	u8(m, i % 3 ? 6 : 17);
	u8(m, (uint8_t)(i * 13));
	u32(m, i * 100003u);
	u64(m, (uint64_t)i << 33 | i);
	u16(m, (uint16_t)i);
	u32(m, i * 7);
	u8(m, (uint8_t)(i & 1));
	u8(m, (uint8_t)(i % 5));
	u64(m, 1700000000000ULL + i);
	u64(m, 1700000000500ULL + i * 3);
	if (extra == 1) {
		u16(m, 0);     /* VLAN 0: the same record as the others */
	} else if (extra == 2) {
		u8(m, (uint8_t)(i % 4));
		bytes(m, "abc", i % 4);
	}
}

START_TEST(three_readers_agree)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct got g[3];
	char a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN];

	for (int k = 0; k < 3; k++) {
		struct msg m;

		memset(&g[k], 0, sizeof(g[k]));
		ipfix_begin(&m, 0, 1);
		common_template(&m, (uint16_t)(300 + k), k);
		set_begin(&m, (uint16_t)(300 + k));
		for (uint32_t i = 0; i < 40; i++)
			common_record(&m, i * 1237 + 1, k);
		set_end(&m);
		ck_assert_int_eq(decode(s, &ex, &m, &g[k]), EW_OK);
		ck_assert_int_eq(g[k].n, 40);
	}
	for (int k = 1; k < 3; k++)
		for (int i = 0; i < 40; i++) {
			const struct ew_record *x = &g[0].r[i], *y = &g[k].r[i];

			ck_assert_str_eq(ew_addr_format(&x->f.src, a), ew_addr_format(&y->f.src, b));
			ck_assert_str_eq(ew_addr_format(&x->f.dst, a), ew_addr_format(&y->f.dst, b));
			ck_assert_uint_eq(x->f.sport, y->f.sport);
			ck_assert_uint_eq(x->f.dport, y->f.dport);
			ck_assert_uint_eq(x->f.proto, y->f.proto);
			ck_assert_uint_eq(x->f.tcp_flags[0], y->f.tcp_flags[0]);
			ck_assert_uint_eq(x->f.bytes[0], y->f.bytes[0]);
			ck_assert_uint_eq(x->f.pkts[0], y->f.pkts[0]);
			ck_assert_uint_eq(x->f.first_us, y->f.first_us);
			ck_assert_uint_eq(x->f.last_us, y->f.last_us);
			ck_assert_uint_eq(x->f.vlan, y->f.vlan);
			ck_assert_uint_eq(x->in_if, y->in_if);
			ck_assert_uint_eq(x->out_if, y->out_if);
			ck_assert_uint_eq(x->direction, y->direction);
			ck_assert_uint_eq(x->end_reason, y->end_reason);
			ck_assert_uint_eq(x->has_tcp_flags, y->has_tcp_flags);
			ck_assert_uint_eq(x->has_flow, y->has_flow);
		}
	/* and the values are the ones sent */
	ck_assert_uint_eq(g[0].r[1].f.bytes[0], 1238u * 100003u);
	ck_assert_uint_eq(g[0].r[1].f.pkts[0], UINT32_MAX);       /* 2^43 + i, clamped */
	ck_assert_uint_eq(g[0].r[1].in_if, 1238);
	ck_assert_uint_eq(g[0].r[1].out_if, 1238 * 7);
	ck_assert_uint_eq(g[0].r[1].direction, 0);
	ck_assert_uint_eq(g[0].r[1].end_reason, 1238 % 5);
	ck_assert_uint_eq(g[0].r[1].f.last_us, (1700000000500ULL + 1238 * 3) * 1000);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(v9_uptime_times_and_sampler_options)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 2055);
	struct msg m;
	struct got g = { 0 };

	v9_begin(&m, 1, 3, 100000);   /* sysUpTime 100 s at export time 1700000000 */
	/* options template 257: scope system (1, 4 bytes), sampler id (48), interval (50) */
	set_begin(&m, 1);
	u16(&m, 257);
	u16(&m, 4);            /* scope bytes */
	u16(&m, 8);            /* option bytes */
	u16(&m, 1); u16(&m, 4);
	u16(&m, 48); u16(&m, 1);
	u16(&m, 50); u16(&m, 4);
	u16(&m, 0);            /* padding to 4 */
	set_end(&m);
	set_begin(&m, 257);
	u32(&m, 0);
	u8(&m, 5);
	u32(&m, 100);          /* sampler 5: 1 in 100 */
	u8(&m, 0); u8(&m, 0); u8(&m, 0);
	set_end(&m);
	/* template 300: src, dst, proto, first/last switched, packets, octets, sampler id */
	set_begin(&m, 0);
	u16(&m, 300);
	u16(&m, 8);
	u16(&m, 8); u16(&m, 4);
	u16(&m, 12); u16(&m, 4);
	u16(&m, 4); u16(&m, 1);
	u16(&m, 22); u16(&m, 4);
	u16(&m, 21); u16(&m, 4);
	u16(&m, 2); u16(&m, 4);
	u16(&m, 1); u16(&m, 4);
	u16(&m, 48); u16(&m, 1);
	set_end(&m);
	set_begin(&m, 300);
	v4(&m, "198.18.1.1");
	v4(&m, "198.18.2.2");
	u8(&m, 17);
	u32(&m, 90000);        /* first switched: 10 s before export */
	u32(&m, 99000);
	u32(&m, 3);
	u32(&m, 300);
	u8(&m, 5);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.r[0].is_options, 1);
	ck_assert_int_eq(g.r[1].has_flow, 1);
	ck_assert_uint_eq(g.r[1].f.sampling, 100);
	ck_assert_uint_eq(g.r[1].f.pkts[0], 300);
	ck_assert_uint_eq(g.r[1].f.bytes[0], 30000);
	ck_assert_uint_eq(g.r[1].f.first_us, 1699999990000000ULL);
	ck_assert_uint_eq(g.r[1].f.last_us, 1699999999000000ULL);
	ck_assert_str_eq(ew_source_kind_name(g.r[1].f.source_kind), "netflow");
	ew_ipfix_free(s);
}
END_TEST

/* Options template 258: scope applicationId (95, 4), applicationName (96, varlen), and
 * its record naming NBAR engine 13, selector 22 "ssh". */
static void app_ssh_option(struct msg *m)
{
	set_begin(m, 3);
	u16(m, 258);
	u16(m, 2);
	u16(m, 1);
	u16(m, 95); u16(m, 4);
	u16(m, 96); u16(m, 65535);
	set_end(m);
	set_begin(m, 258);
	u32(m, 0x0d000016);
	u8(m, 3);
	bytes(m, "ssh", 3);
	set_end(m);
}

START_TEST(biflow_reverse_and_application_names)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("fd18::9", 4739);
	struct msg m;
	struct got g = { 0 };

	ipfix_begin(&m, 0, 0);
	app_ssh_option(&m);
	/* template 259: src, dst (v6), octets, reverse octets (PEN 29305), app id */
	set_begin(&m, 2);
	u16(&m, 259);
	u16(&m, 5);
	u16(&m, 27); u16(&m, 16);
	u16(&m, 28); u16(&m, 16);
	u16(&m, 1); u16(&m, 4);
	u16(&m, 0x8001); u16(&m, 4); u32(&m, 29305);
	u16(&m, 95); u16(&m, 4);
	set_end(&m);
	set_begin(&m, 259);
	{
		struct ew_addr a;

		ew_addr_parse(&a, "fd18::1:11");
		bytes(&m, a.a, 16);
		ew_addr_parse(&a, "fd18::3:10");
		bytes(&m, a.a, 16);
	}
	u32(&m, 500);
	u32(&m, 7000);
	u32(&m, 0x0d000016);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.r[1].biflow, 1);
	ck_assert_uint_eq(g.r[1].f.bytes[0], 500);
	ck_assert_uint_eq(g.r[1].f.bytes[1], 7000);
	ck_assert_ptr_nonnull(g.r[1].app_name);
	ck_assert_str_eq(g.r[1].app_name, "ssh");
	ew_ipfix_free(s);
}
END_TEST

/* 600 application names from one exporter, ids chosen so that many share a slot of the
 * table that finds them: every record gets the name of its id while 512 are kept, none
 * past that, and a name sent again replaces the first. */
START_TEST(application_names_by_id)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.7", 4739);
	struct msg m;
	struct got g;
	char want[32];

	ipfix_begin(&m, 0, 0);
	set_begin(&m, 3);                           /* options 258: scope 95; 96 */
	u16(&m, 258);
	u16(&m, 2);
	u16(&m, 1);
	u16(&m, 95); u16(&m, 4);
	u16(&m, 96); u16(&m, 65535);
	set_end(&m);
	set_begin(&m, 2);                           /* template 300: src, dst, app id */
	u16(&m, 300);
	u16(&m, 3);
	u16(&m, 8); u16(&m, 4);
	u16(&m, 12); u16(&m, 4);
	u16(&m, 95); u16(&m, 4);
	set_end(&m);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	for (uint32_t first = 0; first < 600; first += 50) {   /* 50 names a message */
		ipfix_begin(&m, 0, 0);
		set_begin(&m, 258);
		for (uint32_t k = first; k < first + 50; k++) {
			int n = snprintf(want, sizeof(want), "app-%u", k);

			u32(&m, 0x0d000000u + k * 4096u);  /* ids 4,096 apart */
			u8(&m, (uint8_t)n);
			bytes(&m, want, (size_t)n);
		}
		set_end(&m);
		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	}
	ipfix_begin(&m, 0, 0);                      /* app-7 renamed */
	set_begin(&m, 258);
	u32(&m, 0x0d000000u + 7 * 4096u);
	u8(&m, 5);
	bytes(&m, "seven", 5);
	set_end(&m);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	for (uint32_t first = 0; first < 600; first += 60) {   /* 60 records a message */
		ipfix_begin(&m, 0, 0);
		set_begin(&m, 300);
		for (uint32_t k = first; k < first + 60; k++) {
			u32(&m, 0xc6120001);
			u32(&m, 0xc6130001);
			u32(&m, 0x0d000000u + k * 4096u);
		}
		set_end(&m);
		memset(&g, 0, sizeof(g));
		ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
		ck_assert_int_eq(g.n, 60);
		for (uint32_t k = first; k < first + 60; k++) {
			const char *got = g.r[k - first].app_name;

			if (k >= 512) {
				ck_assert_msg(got == NULL, "id %u: a name past the 512 kept", k);
				continue;
			}
			snprintf(want, sizeof(want), k == 7 ? "seven" : "app-%u", k);
			ck_assert_msg(got != NULL && strcmp(got, want) == 0, "id %u: %s", k,
				      got ? got : "(none)");
		}
	}
	ew_ipfix_free(s);
}
END_TEST

START_TEST(truncation_at_every_byte)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g;

	ipfix_begin(&m, 0, 1);
	flow_template(&m, 256);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.11", "198.18.3.10", 22);
	set_end(&m);
	ipfix_end(&m);
	for (size_t n = 0; n < m.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		struct ew_ipfix_session *t = session();

		memcpy(copy, m.b, n);
		memset(&g, 0, sizeof(g));
		ck_assert_int_ne(ew_ipfix_decode(t, &ex, copy, n, 1, collect, &g), EW_OK);
		ck_assert_int_eq(g.n, 0);
		free(copy);
		ew_ipfix_free(t);
	}
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(message_length_vs_datagram)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };

	ipfix_begin(&m, 0, 1);
	flow_template(&m, 256);
	ipfix_end(&m);
	m.b[2] = 0;
	m.b[3] = 0;                                   /* length 0 */
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_E_MALFORMED);
	m.b[3] = 15;                                  /* shorter than the header */
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_E_MALFORMED);
	m.b[2] = (uint8_t)((m.n + 100) >> 8);         /* longer than the datagram */
	m.b[3] = (uint8_t)(m.n + 100);
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_E_TRUNC);
	ck_assert_uint_eq(ew_ipfix_templates(s, &ex, 1, NULL, 0), 0);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(set_lengths)
{
	static const uint16_t bad[] = { 0, 1, 2, 3, 60000 };
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ipfix_begin(&m, 0, 1);
		u16(&m, 256);
		u16(&m, bad[i]);
		u32(&m, 0);
		ck_assert_int_lt(decode(s, &ex, &m, &g), 0);
	}
	ipfix_begin(&m, 0, 1);                        /* exactly 4: an empty set is fine */
	u16(&m, 2);
	u16(&m, 4);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 0);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(degenerate_templates)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };
	struct ew_ipfix_stats st;
	uint16_t ids[8];

	/* a template of 0 fields is a withdrawal in IPFIX; in v9 it is malformed */
	v9_begin(&m, 0, 1, 0);
	set_begin(&m, 0);
	u16(&m, 256);
	u16(&m, 0);
	set_end(&m);
	ck_assert_int_lt(decode(s, &ex, &m, &g), 0);
	/* fields of length 0 only: records of no bytes cannot be delimited */
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 2);
	u16(&m, 300);
	u16(&m, 2);
	u16(&m, 8); u16(&m, 0);
	u16(&m, 12); u16(&m, 0);
	set_end(&m);
	set_begin(&m, 300);
	u32(&m, 0);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_E_MALFORMED);
	ck_assert_int_eq(g.n, 0);
	/* all variable-length fields, each 0 bytes long: 1 byte per field per record */
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 2);
	u16(&m, 301);
	u16(&m, 2);
	u16(&m, 96); u16(&m, 65535);
	u16(&m, 82); u16(&m, 65535);
	set_end(&m);
	set_begin(&m, 301);
	u8(&m, 0); u8(&m, 0);
	u8(&m, 0); u8(&m, 0);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.r[0].has_flow, 0);
	/* an IPv4 address 50 bytes long: ignored and counted, the record survives */
	g.n = 0;
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 2);
	u16(&m, 302);
	u16(&m, 2);
	u16(&m, 8); u16(&m, 50);
	u16(&m, 7); u16(&m, 2);
	set_end(&m);
	set_begin(&m, 302);
	for (int i = 0; i < 50; i++)
		u8(&m, 0xab);
	u16(&m, 80);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.r[0].has_flow, 0);
	ck_assert_int_eq(g.r[0].f.sport, 80);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_ge(st.bad_fields, 1);
	ck_assert_uint_eq(ew_ipfix_templates(s, &ex, 1, ids, 8), 3);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(variable_length_prefixes)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };

	/* template: applicationName (varlen) then sourceTransportPort */
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 2);
	u16(&m, 310);
	u16(&m, 2);
	u16(&m, 96); u16(&m, 65535);
	u16(&m, 7); u16(&m, 2);
	set_end(&m);
	set_begin(&m, 310);
	u8(&m, 0);                      /* prefix 0: empty */
	u16(&m, 1);
	u8(&m, 255);                    /* prefix 255, then a 2-byte length */
	u16(&m, 3);
	bytes(&m, "abc", 3);
	u16(&m, 2);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.r[0].f.sport, 1);
	ck_assert_int_eq(g.r[1].f.sport, 2);
	/* 255 then 0xFFFF: runs past the set */
	g.n = 0;
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 310);
	u8(&m, 255);
	u16(&m, 0xffff);
	bytes(&m, "abcdef", 6);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_E_MALFORMED);
	ck_assert_int_eq(g.n, 0);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(options_lengths_overflow)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 2055);
	struct msg m;
	struct got g = { 0 };
	struct ew_ipfix_stats st;

	/* v9: scope and option lengths summing past 16 bits */
	v9_begin(&m, 0, 1, 0);
	set_begin(&m, 1);
	u16(&m, 260);
	u16(&m, 65532);
	u16(&m, 65532);
	u32(&m, 0);
	set_end(&m);
	ck_assert_int_lt(decode(s, &ex, &m, &g), 0);
	/* IPFIX: more scope fields than fields */
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 3);
	u16(&m, 261);
	u16(&m, 1);
	u16(&m, 2);
	u16(&m, 1); u16(&m, 4);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_E_MALFORMED);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.live_templates, 0);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(v5_counts)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 2055);
	struct msg m;
	struct got g = { 0 };

	memset(&m, 0, sizeof(m));
	u16(&m, 5);
	u16(&m, 2);
	u32(&m, 100000);
	u32(&m, 1700000000);
	u32(&m, 0);
	u32(&m, 0);
	u8(&m, 0);
	u8(&m, 0);
	u16(&m, 0x4000 | 10);        /* sampling: 1 in 10 */
	for (int i = 0; i < 2; i++) {
		v4(&m, "198.18.1.1");
		v4(&m, "198.18.2.2");
		u32(&m, 0);
		u16(&m, 1); u16(&m, 2);
		u32(&m, 5);
		u32(&m, 500);
		u32(&m, 90000);
		u32(&m, 95000);
		u16(&m, 40000); u16(&m, 443);
		u8(&m, 0); u8(&m, 0x1b); u8(&m, 6); u8(&m, 0);
		u32(&m, 0); u32(&m, 0);
	}
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.r[0].f.pkts[0], 50);
	ck_assert_uint_eq(g.r[0].f.bytes[0], 5000);
	ck_assert_uint_eq(g.r[0].f.sampling, 10);
	ck_assert_uint_eq(g.r[0].f.first_us, 1699999990000000ULL);
	/* count times record size past the datagram */
	g.n = 0;
	m.b[3] = 30;
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_E_TRUNC);
	m.b[2] = 0xff;
	m.b[3] = 0xff;               /* 65535 records: impossible, and the length says 2 */
	ck_assert_int_eq(ew_ipfix_decode(s, &ex, m.b, m.n, 1, collect, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);    /* read as the 2 records the datagram holds */
	ew_ipfix_free(s);
}
END_TEST

START_TEST(withdrawals)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };
	struct ew_ipfix_stats st;

	ipfix_begin(&m, 0, 1);
	flow_template(&m, 256);
	flow_template(&m, 257);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_uint_eq(ew_ipfix_templates(s, &ex, 1, NULL, 0), 2);
	/* unknown id: harmless; then 256 withdrawn and its data in the same message */
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 2);
	u16(&m, 999); u16(&m, 0);
	u16(&m, 256); u16(&m, 0);
	set_end(&m);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 80);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 0);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.sets_without_template, 1);
	ck_assert_uint_eq(ew_ipfix_templates(s, &ex, 1, NULL, 0), 1);
	/* all templates: template id 2 with field count 0 */
	ipfix_begin(&m, 1, 1);
	set_begin(&m, 2);
	u16(&m, 2); u16(&m, 0);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_uint_eq(ew_ipfix_templates(s, &ex, 1, NULL, 0), 0);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(templates_scoped_by_exporter_and_domain)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key a = exporter("198.18.0.1", 4739), b = exporter("198.18.0.2", 4739);
	struct ew_exporter_key a2 = exporter("198.18.0.1", 4740);
	struct msg m;
	struct got g = { 0 };

	ipfix_begin(&m, 0, 1);
	flow_template(&m, 256);
	decode(s, &a, &m, &g);
	/* the same id from another exporter and another domain means something else */
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 2);
	u16(&m, 256);
	u16(&m, 1);
	u16(&m, 7); u16(&m, 2);
	set_end(&m);
	decode(s, &b, &m, &g);
	ipfix_begin(&m, 0, 2);
	set_begin(&m, 256);
	u16(&m, 1);
	set_end(&m);
	ck_assert_int_eq(decode(s, &a, &m, &g), EW_OK);   /* domain 2 of a: no template */
	ck_assert_int_eq(g.n, 0);
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 80);
	set_end(&m);
	ck_assert_int_eq(decode(s, &a2, &m, &g), EW_OK);  /* other transport session */
	ck_assert_int_eq(g.n, 0);
	ck_assert_int_eq(decode(s, &a, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.r[0].f.dport, 80);
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 256);
	u16(&m, 77);
	set_end(&m);
	ck_assert_int_eq(decode(s, &b, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.r[1].f.sport, 77);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(template_flood_is_bounded)
{
	struct ew_ipfix_conf c;
	struct ew_ipfix_session *s;
	struct ew_ipfix_stats st;
	struct msg m;

	ew_ipfix_conf_default(&c);
	c.max_streams = 64;
	c.max_templates = 4096;
	c.max_templates_per_stream = 256;
	s = ew_ipfix_new(&c);
	/* 65,535 template ids, spread over 1,000 spoofed exporters */
	for (uint32_t id = 256, n = 0; id <= 65535; n++) {
		char addr[32];
		struct ew_exporter_key ex;

		snprintf(addr, sizeof(addr), "198.19.%u.%u", (n % 1000) / 250, n % 250);
		ex = exporter(addr, 4739);
		ipfix_begin(&m, 0, n);
		set_begin(&m, 2);
		for (int k = 0; k < 300 && id <= 65535; k++, id++) {
			u16(&m, (uint16_t)id);
			u16(&m, 1);
			u16(&m, 7);
			u16(&m, 2);
		}
		set_end(&m);
		ipfix_end(&m);
		ew_ipfix_decode(s, &ex, m.b, m.n, n, NULL, NULL);
	}
	ew_ipfix_stats(s, &st);
	ck_assert_uint_le(st.streams, 64);
	ck_assert_uint_le(st.live_templates, 4096);
	ck_assert_uint_gt(st.templates_refused, 0);
	ck_assert_uint_gt(st.streams_evicted, 0);
	ew_ipfix_free(s);
}
END_TEST

/* Spoofed exporters define templates from many source ports; 256 ids each. */
static void spoof_templates(struct ew_ipfix_session *s, uint32_t ports, uint32_t ids,
			    uint64_t now)
{
	struct msg m;

	for (uint32_t p = 0; p < ports; p++) {
		struct ew_exporter_key ex = exporter("198.19.66.6", (uint16_t)(10000 + p));

		ipfix_begin(&m, 0, 0);
		set_begin(&m, 2);
		for (uint32_t id = 256; id < 256 + ids; id++) {
			u16(&m, (uint16_t)id);
			u16(&m, 1);
			u16(&m, 8);
			u16(&m, 4);
		}
		set_end(&m);
		ipfix_end(&m);
		ew_ipfix_decode(s, &ex, m.b, m.n, now, NULL, NULL);
	}
}

struct evicted {
	uint32_t spoofed, real;
};

static void count_evict(void *arg, const struct ew_exporter_key *ex, int what, uint32_t n)
{
	struct evicted *e = arg;
	char a[EW_ADDR_STRLEN];

	(void)what;
	if (strcmp(ew_addr_format(&ex->addr, a), "198.19.66.6") == 0)
		e->spoofed += n;
	else
		e->real += n;
}

/* A real exporter's data record, with its template in the same message. */
static int real_exporter_decodes(struct ew_ipfix_session *s, uint64_t now)
{
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };

	ipfix_begin(&m, 0, 1);
	flow_template(&m, 300);
	set_begin(&m, 300);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 22);
	set_end(&m);
	ipfix_end(&m);
	ew_ipfix_decode(s, &ex, m.b, m.n, now, collect, &g);
	return g.n;
}

/* 300 spoofed source ports x 256 template ids overfill the default table (65,536): the
 * real exporter that comes after still gets its template, and keeps it while the flood
 * goes on; the flood pays with its own templates, and that is counted. */
START_TEST(template_flood_spares_real_exporter)
{
	struct ew_ipfix_session *s = session();
	struct ew_ipfix_stats st;
	struct evicted ev = { 0, 0 };
	struct ew_exporter_key real = exporter("198.18.0.1", 4739);
	uint16_t ids[4];

	ew_ipfix_on_evict(s, count_evict, &ev);
	spoof_templates(s, 300, 256, 1000);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.live_templates, 65536);
	ck_assert_int_eq(real_exporter_decodes(s, 2000), 1);
	spoof_templates(s, 300, 256, 3000);      /* the flood goes on, from new ports too */
	spoof_templates(s, 40, 256, 3500);
	ck_assert_uint_eq(ew_ipfix_templates(s, &real, 1, ids, 4), 1);
	ck_assert_int_eq(real_exporter_decodes(s, 4000), 1);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_le(st.live_templates, 65536);
	ck_assert_uint_gt(st.templates_evicted, 0);
	ck_assert_uint_eq(ev.real, 0);
	ck_assert_uint_gt(ev.spoofed, 0);
	ew_ipfix_free(s);
}
END_TEST

/* A full stream table: streams that gave data records are the last to go, and templates
 * past their lifetime are swept without a data set to notice. */
START_TEST(stream_flood_spares_exporter_with_data)
{
	struct ew_ipfix_conf c;
	struct ew_ipfix_session *s;
	struct ew_ipfix_stats st;

	ew_ipfix_conf_default(&c);
	c.max_streams = 32;
	c.max_templates = 512;
	c.template_lifetime_us = 1000000;
	s = ew_ipfix_new(&c);
	ck_assert_int_eq(real_exporter_decodes(s, 1000), 1);
	spoof_templates(s, 200, 16, 2000);           /* 200 streams through 31 places */
	ck_assert_int_eq(real_exporter_decodes(s, 3000), 1);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_gt(st.streams_evicted, 150);
	ck_assert_uint_eq(ew_ipfix_expire(s, 1001000), 0);
	ck_assert_uint_gt(ew_ipfix_expire(s, 1002500), 0);   /* the flood's, not yet ours */
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.live_templates, 1);
	ck_assert_uint_eq(ew_ipfix_expire(s, 1003500), 1);
	ew_ipfix_free(s);
}
END_TEST

/* One message from 198.18.0.<host>:4739 (domain 1) at now: template id defined, or (with
 * use) a data record in it. Returns the records decoded. */
static int tmpl_msg(struct ew_ipfix_session *s, int host, uint16_t id, int use, uint64_t now)
{
	char addr[32];
	struct ew_exporter_key ex;
	struct msg m;
	struct got g = { 0 };

	snprintf(addr, sizeof(addr), "198.18.0.%d", host);
	ex = exporter(addr, 4739);
	ipfix_begin(&m, 0, 1);
	if (use) {
		set_begin(&m, id);
		flow_record(&m, "198.18.1.1", "198.18.2.2", 22);
		set_end(&m);
	} else {
		flow_template(&m, id);
	}
	ipfix_end(&m);
	ew_ipfix_decode(s, &ex, m.b, m.n, now, collect, &g);
	return g.n;
}

/* The template ids 198.18.0.<host> holds, as a number: bit (id - 256). */
static uint32_t held(struct ew_ipfix_session *s, int host)
{
	char addr[32];
	struct ew_exporter_key ex;
	uint16_t ids[32];
	uint32_t n, bits = 0;

	snprintf(addr, sizeof(addr), "198.18.0.%d", host);
	ex = exporter(addr, 4739);
	n = ew_ipfix_templates(s, &ex, 1, ids, 32);
	for (uint32_t i = 0; i < n && i < 32; i++)
		bits |= 1u << (ids[i] - 256);
	return bits;
}

/* A full template table: a new template takes, from the stream that holds the most, the
 * one never used that was defined (or refreshed) longest ago, else the one used longest
 * ago; it is refused when the asking stream holds as many as the largest, less one; the
 * largest holder is found again as the counts change. */
START_TEST(template_victim_order)
{
	struct ew_ipfix_conf c;
	struct ew_ipfix_session *s;
	struct ew_ipfix_stats st;

	ew_ipfix_conf_default(&c);
	c.max_templates = 8;
	c.max_templates_per_stream = 8;
	s = ew_ipfix_new(&c);
	for (uint16_t k = 0; k < 6; k++)              /* host 1: 256..261 at 1..6 */
		tmpl_msg(s, 1, (uint16_t)(256 + k), 0, 1 + k);
	ck_assert_int_eq(tmpl_msg(s, 1, 257, 1, 10), 1);   /* used: 257 at 10, 256 at 11 */
	ck_assert_int_eq(tmpl_msg(s, 1, 256, 1, 11), 1);
	tmpl_msg(s, 1, 258, 0, 12);                   /* 258 refreshed: newer than 259-261 */
	tmpl_msg(s, 2, 256, 0, 13);                   /* host 2: two; the table is full */
	tmpl_msg(s, 2, 257, 0, 14);
	ck_assert_uint_eq(held(s, 1), 0x3f);
	tmpl_msg(s, 2, 258, 0, 15);                   /* 6 > 2 + 1: host 1's 259 goes */
	ck_assert_uint_eq(held(s, 1), 0x37);
	tmpl_msg(s, 2, 259, 0, 16);                   /* 5 > 3 + 1: then 260 */
	ck_assert_uint_eq(held(s, 1), 0x27);
	tmpl_msg(s, 2, 260, 0, 17);                   /* 4 > 4 + 1 no: refused */
	ck_assert_uint_eq(held(s, 2), 0xf);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.templates_refused, 1);
	ck_assert_uint_eq(st.templates_evicted, 2);
	ew_ipfix_free(s);

	c.max_templates = 4;
	s = ew_ipfix_new(&c);
	for (uint16_t k = 0; k < 4; k++)              /* host 1: 256..259 */
		tmpl_msg(s, 1, (uint16_t)(256 + k), 0, 1 + k);
	tmpl_msg(s, 1, 258, 1, 5);                    /* used: 258, 256, 257; 259 never */
	tmpl_msg(s, 1, 256, 1, 6);
	tmpl_msg(s, 1, 257, 1, 7);
	tmpl_msg(s, 2, 256, 0, 8);                    /* host 1's 259, never used */
	ck_assert_uint_eq(held(s, 1), 0x7);
	tmpl_msg(s, 2, 257, 0, 9);                    /* then 258, used longest ago */
	ck_assert_uint_eq(held(s, 1), 0x3);
	tmpl_msg(s, 1, 256, 1, 10);                   /* 256 used again: 257 is older */
	tmpl_msg(s, 2, 258, 0, 11);                   /* 2 > 2 + 1 no: refused */
	ck_assert_uint_eq(held(s, 2), 0x3);
	tmpl_msg(s, 3, 256, 0, 12);                   /* the most is 2: one of theirs goes */
	tmpl_msg(s, 3, 257, 0, 13);                   /* 2, 1, 1 or 1, 2, 1: 2 > 1 + 1 no */
	ck_assert_uint_eq(held(s, 3), 0x1);
	ck_assert_uint_eq(__builtin_popcount(held(s, 1)) + __builtin_popcount(held(s, 2)), 3);
	if (held(s, 1) != 0x3)
		ck_assert_uint_eq(held(s, 1), 0x1);     /* host 1 gave 257, not 256 */
	tmpl_msg(s, 1, 256, 0, 14);                   /* a refresh changes no count */
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.live_templates, 4);
	ck_assert_uint_eq(st.templates_refused, 2);
	ew_ipfix_free(s);
}
END_TEST

/* A full stream table: a new stream takes the place of the one heard from longest ago of
 * those that never gave a data record, and of one that gave records only once it has
 * given none for the template lifetime and was heard from before that one. */
START_TEST(stream_victim_order)
{
	struct ew_ipfix_conf c;
	struct ew_ipfix_session *s;

	ew_ipfix_conf_default(&c);
	c.max_streams = 4;
	c.template_lifetime_us = 100;
	s = ew_ipfix_new(&c);
	tmpl_msg(s, 1, 256, 0, 1);
	ck_assert_int_eq(tmpl_msg(s, 1, 256, 1, 2), 1);   /* host 1 gives a record */
	for (int h = 2; h <= 9; h++)                      /* 8 more through 3 places */
		tmpl_msg(s, h, 256, 0, (uint64_t)h + 1);
	ck_assert_uint_eq(held(s, 1), 0x1);
	ck_assert_uint_eq(held(s, 6), 0x0);
	ck_assert_uint_eq(held(s, 7) & held(s, 8) & held(s, 9), 0x1);
	tmpl_msg(s, 7, 257, 0, 90);                        /* 7 heard again: 8 is older */
	tmpl_msg(s, 10, 256, 0, 91);
	ck_assert_uint_eq(held(s, 8), 0x0);
	ck_assert_uint_eq(held(s, 1) & held(s, 7) & held(s, 9), 0x1);
	tmpl_msg(s, 11, 256, 0, 150);                      /* host 1's record is stale, and
							    * it was heard from first */
	ck_assert_uint_eq(held(s, 1), 0x0);
	ck_assert_uint_eq(held(s, 7) & held(s, 9) & held(s, 10) & held(s, 11), 0x1);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(sampling_rate_zero)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };
	struct ew_ipfix_stats st;

	ipfix_begin(&m, 0, 1);
	set_begin(&m, 3);             /* options: scope domain (149), samplingInterval 0 */
	u16(&m, 400);
	u16(&m, 2);
	u16(&m, 1);
	u16(&m, 149); u16(&m, 4);
	u16(&m, 34); u16(&m, 4);
	set_end(&m);
	set_begin(&m, 400);
	u32(&m, 1);
	u32(&m, 0);
	set_end(&m);
	flow_template(&m, 256);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 80);
	set_end(&m);
	ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.r[1].f.sampling, 1);      /* treated as unsampled */
	ck_assert_uint_eq(g.r[1].f.pkts[0], 10);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.sampling_zero, 1);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(sequence_gaps)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };
	struct ew_ipfix_stats st;

	ipfix_begin(&m, 100, 1);
	flow_template(&m, 256);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 80);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 81);
	set_end(&m);
	decode(s, &ex, &m, &g);
	ipfix_begin(&m, 102, 1);      /* follows: 100 + 2 records */
	decode(s, &ex, &m, &g);
	ipfix_begin(&m, 110, 1);      /* 8 records lost */
	decode(s, &ex, &m, &g);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.seq_gaps, 1);
	ck_assert_uint_eq(st.lost, 8);
	ew_ipfix_free(s);
}
END_TEST

/* n records of template 256 (defined in the same message) in one message numbered seq,
 * and with opt an options record (app_ssh_option) */
static void numbered(struct ew_ipfix_session *s, const struct ew_exporter_key *ex, uint32_t seq,
		     int n, int opt, struct got *g)
{
	struct msg m;

	ipfix_begin(&m, seq, 1);
	if (opt)
		app_ssh_option(&m);
	flow_template(&m, 256);
	set_begin(&m, 256);
	for (int i = 0; i < n; i++)
		flow_record(&m, "198.18.1.1", "198.18.2.2", (uint16_t)(80 + i));
	set_end(&m);
	decode(s, ex, &m, g);
}

/* softflowd numbers a message with the data records sent including its own, options
 * records left out: in sequence once the stream has shown it, and a real loss still
 * counted; a stream numbered as RFC 7011 says keeps RFC's reading when a loss happens to
 * look like another one. */
START_TEST(sequence_own_count)
{
	struct ew_ipfix_session *s = session();
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739), ex2 = exporter("198.18.0.2", 4739);
	struct got g = { 0 };
	struct ew_ipfix_stats st;

	numbered(s, &ex, 2, 2, 1, &g);    /* 2 data records, counted in its number */
	numbered(s, &ex, 5, 3, 0, &g);    /* RFC would expect 2 + 1 + 2 = 5 too */
	numbered(s, &ex, 7, 2, 1, &g);    /* RFC: 8 */
	numbered(s, &ex, 10, 3, 0, &g);
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.seq_gaps, 0);
	ck_assert_uint_eq(st.lost, 0);
	numbered(s, &ex, 10 + 8 + 2, 2, 0, &g);   /* 8 records lost */
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.seq_gaps, 1);
	ck_assert_uint_eq(st.lost, 8);

	numbered(s, &ex2, 100, 2, 0, &g);    /* RFC 7011: the records before it */
	numbered(s, &ex2, 102, 3, 0, &g);
	numbered(s, &ex2, 105 + 1, 4, 0, &g);     /* 1 lost; 102 + its own 4 */
	ew_ipfix_stats(s, &st);
	ck_assert_uint_eq(st.seq_gaps, 2);
	ck_assert_uint_eq(st.lost, 9);
	ck_assert_uint_eq(g.n, 2 + 1 + 3 + 2 + 1 + 3 + 2 + 2 + 3 + 4);
	ew_ipfix_free(s);
}
END_TEST

START_TEST(template_lifetime)
{
	struct ew_ipfix_conf c;
	struct ew_ipfix_session *s;
	struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
	struct msg m;
	struct got g = { 0 };

	ew_ipfix_conf_default(&c);
	c.template_lifetime_us = 1000000;
	s = ew_ipfix_new(&c);
	ipfix_begin(&m, 0, 1);
	flow_template(&m, 256);
	ipfix_end(&m);
	ew_ipfix_decode(s, &ex, m.b, m.n, 0, collect, &g);
	ipfix_begin(&m, 0, 1);
	set_begin(&m, 256);
	flow_record(&m, "198.18.1.1", "198.18.2.2", 80);
	set_end(&m);
	ipfix_end(&m);
	ew_ipfix_decode(s, &ex, m.b, m.n, 500000, collect, &g);
	ck_assert_int_eq(g.n, 1);
	ew_ipfix_decode(s, &ex, m.b, m.n, 2000000, collect, &g);   /* not refreshed */
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(ew_ipfix_templates(s, &ex, 1, NULL, 0), 0);
	ew_ipfix_free(s);
}
END_TEST

/* The table of elements: each element's lengths, read both ways (a fixed-length
 * template: the fast path; the same with a variable-length field first: field()), a
 * length it cannot have counted as a bad field (or ignored, for the lenient ones),
 * reverse (PEN 29305) copies read only where they mean the responder's side, another
 * enterprise's element and an unknown one skipped. */
static const struct elem_case {
	uint16_t ie;
	uint32_t pen;
	uint16_t len;
	uint8_t fill;             /* every byte of the value */
	int bad;                  /* counted as a bad field */
	int what;                 /* what to look at: 0 nothing, 1 sport, 2 proto, 3 bytes[0],
				   * 4 bytes[1], 5 end_reason, 6 app_id, 7 vlan, 8 pkts[1] */
	uint64_t want;
} elem_cases[] = {
	{ 7, 0, 1, 0x16, 0, 1, 0x16 },           /* sourceTransportPort in 1 byte */
	{ 7, 0, 3, 0x16, 1, 1, 0 },              /* ... in 3: bad */
	{ 4, 0, 1, 0x11, 0, 2, 17 },
	{ 4, 0, 2, 0x11, 1, 2, 0 },
	{ 1, 0, 4, 0x01, 0, 3, 0x01010101 },
	{ 1, 0, 9, 0x01, 1, 3, 0 },
	{ 1, 29305, 2, 0x02, 0, 4, 0x0202 },     /* reverse octets: the responder's */
	{ 2, 29305, 1, 0x03, 0, 8, 3 },          /* reverse packets */
	{ 8, 29305, 4, 0x05, 0, 0, 0 },          /* reverse source address: not read */
	{ 7, 29305, 9, 0x05, 0, 1, 0 },          /* reverse port of any length: not read */
	{ 8, 9, 4, 0x05, 0, 0, 0 },              /* another enterprise's element */
	{ 136, 0, 1, 0x03, 0, 5, 3 },            /* flowEndReason */
	{ 136, 0, 2, 0x03, 0, 5, 0 },            /* ... of 2 bytes: ignored, not bad */
	{ 61, 0, 4, 0x01, 0, 0, 0 },             /* flowDirection of 4 bytes: ignored */
	{ 150, 0, 8, 0x00, 1, 0, 0 },            /* flowStartSeconds is 4 bytes */
	{ 154, 0, 8, 0x00, 1, 0, 0 },            /* an NTP time before 1970 */
	{ 160, 0, 4, 0x00, 1, 0, 0 },            /* systemInitTimeMilliseconds is 8 */
	{ 95, 0, 0, 0x00, 0, 6, 0 },             /* applicationId, empty: nothing */
	{ 95, 0, 2, 0x07, 0, 6, 0x0707 },
	{ 95, 0, 9, 0x07, 1, 6, 0 },
	{ 58, 0, 2, 0xff, 0, 7, 0x0fff },        /* vlanId: 12 bits */
	{ 58, 0, 3, 0x01, 1, 7, 0 },
	{ 96, 0, 40, 'a', 0, 0, 0 },             /* applicationName: any length */
	{ 34, 0, 5, 0x01, 1, 0, 0 },             /* samplingInterval past 4 bytes */
	{ 400, 0, 7, 0x01, 0, 0, 0 },            /* an element nobody reads */
};

static uint64_t elem_value(const struct ew_record *r, int what)
{
	switch (what) {
	case 1: return r->f.sport;
	case 2: return r->f.proto;
	case 3: return r->f.bytes[0];
	case 4: return r->f.bytes[1];
	case 5: return r->end_reason;
	case 6: return r->app_id;
	case 7: return r->f.vlan;
	case 8: return r->f.pkts[1];
	default: return 0;
	}
}

START_TEST(element_lengths)
{
	for (size_t i = 0; i < sizeof(elem_cases) / sizeof(elem_cases[0]); i++)
		for (int varlen = 0; varlen < 2; varlen++) {
			const struct elem_case *c = &elem_cases[i];
			struct ew_ipfix_session *s = session();
			struct ew_exporter_key ex = exporter("198.18.0.1", 4739);
			struct ew_ipfix_stats st;
			struct got g = { .n = 0 };
			struct msg m;

			ipfix_begin(&m, 1, 0);
			set_begin(&m, 2);
			u16(&m, 300);
			u16(&m, varlen ? 4 : 3);
			if (varlen) {                    /* applicationName, variable length */
				u16(&m, 96);
				u16(&m, 65535);
			}
			u16(&m, 8); u16(&m, 4);
			u16(&m, 12); u16(&m, 4);
			u16(&m, (uint16_t)(c->ie | (c->pen ? 0x8000 : 0)));
			u16(&m, c->len);
			if (c->pen)
				u32(&m, c->pen);
			set_end(&m);
			set_begin(&m, 300);
			if (varlen) {
				u8(&m, 2);
				bytes(&m, "ab", 2);
			}
			v4(&m, "198.18.1.1");
			v4(&m, "198.18.2.2");
			for (uint16_t k = 0; k < c->len; k++)
				u8(&m, c->fill);
			set_end(&m);
			ck_assert_int_eq(decode(s, &ex, &m, &g), EW_OK);
			ew_ipfix_stats(s, &st);
			ck_assert_msg(g.n == 1, "case %zu: %d records", i, g.n);
			ck_assert_msg(st.bad_fields == (uint64_t)c->bad, "case %zu (ie %u len %u%s): "
				      "%llu bad fields", i, c->ie, c->len, varlen ? ", varlen" : "",
				      (unsigned long long)st.bad_fields);
			ck_assert_msg(elem_value(&g.r[0], c->what) == c->want, "case %zu%s: %llu", i,
				      varlen ? " varlen" : "",
				      (unsigned long long)elem_value(&g.r[0], c->what));
			ew_ipfix_free(s);
		}
}
END_TEST

static Suite *ipfix_suite(void)
{
	Suite *s = suite_create("decode_ipfix");
	TCase *t = tcase_create("decode_ipfix");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, ipfix_fields_and_times);
	tcase_add_test(t, three_readers_agree);
	tcase_add_test(t, v9_uptime_times_and_sampler_options);
	tcase_add_test(t, biflow_reverse_and_application_names);
	tcase_add_test(t, application_names_by_id);
	tcase_add_test(t, truncation_at_every_byte);
	tcase_add_test(t, message_length_vs_datagram);
	tcase_add_test(t, set_lengths);
	tcase_add_test(t, degenerate_templates);
	tcase_add_test(t, variable_length_prefixes);
	tcase_add_test(t, options_lengths_overflow);
	tcase_add_test(t, v5_counts);
	tcase_add_test(t, withdrawals);
	tcase_add_test(t, templates_scoped_by_exporter_and_domain);
	tcase_add_test(t, template_flood_is_bounded);
	tcase_add_test(t, template_flood_spares_real_exporter);
	tcase_add_test(t, stream_flood_spares_exporter_with_data);
	tcase_add_test(t, template_victim_order);
	tcase_add_test(t, stream_victim_order);
	tcase_add_test(t, sampling_rate_zero);
	tcase_add_test(t, sequence_gaps);
	tcase_add_test(t, sequence_own_count);
	tcase_add_test(t, template_lifetime);
	tcase_add_test(t, element_lengths);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(ipfix_suite)
