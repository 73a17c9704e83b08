/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for core/ew_json and alerting/flow_parse: a flow record written by fmt_flow
 * reads back as the same record; malformed and hostile JSON is refused, never crashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerting/flow_parse.h"
#include "alerting/fmt_flow.h"
#include "check_main.h"
#include "core/ew_json.h"

struct seen {
	char paths[32][64];
	char vals[32][64];
	int n;
};

static int collect(void *arg, const char *path, enum ew_json_type t, const char *v, size_t len)
{
	struct seen *s = arg;

	(void)t;
	(void)len;
	if (s->n < 32) {
		snprintf(s->paths[s->n], 64, "%s", path);
		snprintf(s->vals[s->n], 64, "%s", v);
		s->n++;
	}
	return 0;
}

START_TEST(json_paths_and_escapes)
{
	const char *j = " {\"a\":{\"b\":[1,\"x\\u00e9\\ud83d\\ude00\\n\"],\"c\":true},\"d\":null,"
			"\"e\":-1.5e3} ";
	struct seen s = { .n = 0 };
	char scratch[64];

	ck_assert_int_eq(ew_json_walk(j, strlen(j), scratch, sizeof(scratch), collect, &s), EW_OK);
	ck_assert_int_eq(s.n, 5);
	ck_assert_str_eq(s.paths[0], "a.b");
	ck_assert_str_eq(s.vals[0], "1");
	ck_assert_str_eq(s.paths[1], "a.b");
	ck_assert_str_eq(s.vals[1], "x\xc3\xa9\xf0\x9f\x98\x80\n");
	ck_assert_str_eq(s.paths[2], "a.c");
	ck_assert_str_eq(s.vals[2], "true");
	ck_assert_str_eq(s.paths[3], "d");
	ck_assert_str_eq(s.paths[4], "e");
	ck_assert_str_eq(s.vals[4], "-1.5e3");
}
END_TEST

START_TEST(json_refuses_malformed)
{
	static const char *const bad[] = {
		"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":1} x", "01",
		"\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\x01\"", "\"\xff\"", "\"\xc0\xaf\"",
		"tru", "nul", "-", "1.", "1e", "{\"a\":\"unterminated}", "{1:2}",
		"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]",
	};
	char scratch[64];
	struct seen s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 0;
		ck_assert_msg(ew_json_walk(bad[i], strlen(bad[i]), scratch, sizeof(scratch), collect,
					   &s) == EW_E_MALFORMED, "accepted: %s", bad[i]);
	}
	/* a string longer than the scratch buffer */
	s.n = 0;
	ck_assert_int_eq(ew_json_walk("\"0123456789\"", 12, scratch, 8, collect, &s),
			 EW_E_MALFORMED);
}
END_TEST

START_TEST(json_path_bound)
{
	char j[1200], scratch[512];
	struct seen s = { .n = 0 };
	size_t n = 0;

	/* nested keys whose joined path exceeds EW_JSON_PATH */
	for (int i = 0; i < 10; i++)
		n += (size_t)snprintf(j + n, sizeof(j) - n, "{\"%040d\":", i);
	n += (size_t)snprintf(j + n, sizeof(j) - n, "1");
	for (int i = 0; i < 10; i++)
		j[n++] = '}';
	ck_assert_int_eq(ew_json_walk(j, n, scratch, sizeof(scratch), collect, &s), EW_E_MALFORMED);
}
END_TEST

static void sample(struct ew_flow *f, struct ew_alert *a)
{
	memset(f, 0, sizeof(*f));
	memset(a, 0, sizeof(*a));
	ew_addr_parse(&f->src, "198.18.1.11");
	ew_addr_parse(&f->dst, "fd18::3:10");
	f->sport = 40000;
	f->dport = 22;
	f->proto = 6;
	f->app_source = EW_APP_DPI;
	f->end_reason = EW_END_FIN;
	f->vlan = 12;
	f->tcp_flags[0] = EW_TH_SYN | EW_TH_ACK | EW_TH_PSH | EW_TH_FIN;
	f->tcp_flags[1] = EW_TH_SYN | EW_TH_ACK | EW_TH_PSH;
	f->pkts[0] = 10;
	f->pkts[1] = 8;
	f->bytes[0] = 1500;
	f->bytes[1] = 4000;
	f->first_us = 1700000000123456ULL;
	f->last_us = 1700000002654321ULL;
	f->risk = 1ULL << 7;
	a->app = "TLS.Google";
	a->app_ecs = "tls";
	a->port_app = "SSH";
	a->observer_name = "rack12-tap";
	a->observer_type = "iface";
	a->rule = "ssh-between-servers";
	a->decided_by = "deny-rule";
	a->src_groups[0] = "web";
	a->src_groups[1] = "prod";
	a->nsrc_groups = 2;
	a->dst_groups[0] = "db";
	a->ndst_groups = 1;
}

START_TEST(flow_round_trip)
{
	struct ew_flow f;
	struct ew_alert a;
	static struct ew_flow_parsed p;
	struct ew_err err;
	char line[4096];
	struct ew_buf b;

	sample(&f, &a);
	ew_buf_init(&b, line, sizeof(line));
	ew_fmt_flow(&b, &f, &a, "deny");
	ck_assert(!ew_buf_overflow(&b));
	ck_assert_int_eq(ew_flow_parse(&p, b.p, b.len, &err), EW_OK);
	ck_assert(ew_addr_eq(&p.f.src, &f.src));
	ck_assert(ew_addr_eq(&p.f.dst, &f.dst));
	ck_assert_uint_eq(p.f.sport, 40000);
	ck_assert_uint_eq(p.f.dport, 22);
	ck_assert_uint_eq(p.f.proto, 6);
	ck_assert_uint_eq(p.f.vlan, 12);
	ck_assert_uint_eq(p.f.tcp_flags[0], f.tcp_flags[0]);
	ck_assert_uint_eq(p.f.tcp_flags[1], f.tcp_flags[1]);
	ck_assert_uint_eq(p.f.pkts[0], 10);
	ck_assert_uint_eq(p.f.pkts[1], 8);
	ck_assert_uint_eq(p.f.bytes[0], 1500);
	ck_assert_uint_eq(p.f.bytes[1], 4000);
	ck_assert_uint_eq(p.f.first_us, 1700000000123000ULL);   /* milliseconds on the wire */
	ck_assert_uint_eq(p.f.last_us, 1700000002654000ULL);
	ck_assert_uint_eq(p.f.risk, 1ULL << 7);
	ck_assert_uint_eq(p.f.app_source, EW_APP_DPI);
	ck_assert_uint_eq(p.f.end_reason, EW_END_FIN);
	ck_assert_uint_eq(p.verdict, EW_FV_DENY);
	ck_assert_str_eq(p.app, "TLS.Google");
	ck_assert_str_eq(p.port_app, "SSH");
	ck_assert_str_eq(p.observer, "rack12-tap");
	ck_assert_str_eq(p.observer_type, "iface");
	ck_assert_str_eq(p.rule, "ssh-between-servers");
	ck_assert_uint_eq(p.nsrc_groups, 2);
	ck_assert_str_eq(p.src_groups[1], "prod");
	ck_assert_uint_eq(p.ndst_groups, 1);
	ck_assert_str_eq(p.dst_groups[0], "db");
}
END_TEST

START_TEST(flow_refuses)
{
	struct ew_flow f;
	struct ew_alert a;
	static struct ew_flow_parsed p;
	struct ew_err err;
	char line[4096], mod[4096];
	struct ew_buf b;
	static const char *const cuts[][2] = {
		{ "\"action\":\"flow\"", "\"action\":\"scan\"" },
		{ "\"ip\":\"198.18.1.11\"", "\"ip\":\"198.18.1.311\"" },
		{ "\"port\":22", "\"port\":65536" },
		{ "\"iana_number\":\"6\"", "\"iana_number\":\"600\"" },
		{ "\"verdict\":\"deny\"", "\"verdict\":\"maybe\"" },
		{ "\"tcp_flags\":[27,26]", "\"tcp_flags\":[27,26,1]" },
		{ "\"end_reason\":\"fin\"", "\"end_reason\":\"later\"" },
		{ "\"id\":\"12\"", "\"id\":\"4096\"" },
		{ "\"packets\":10", "\"packets\":-10" },
		{ "\"verdict\":\"deny\"", "\"verdikt\":\"deny\"" },   /* missing */
	};

	sample(&f, &a);
	ew_buf_init(&b, line, sizeof(line));
	ew_fmt_flow(&b, &f, &a, "deny");
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		const char *at = strstr(line, cuts[i][0]);
		size_t pre;

		ck_assert_msg(at != NULL, "%s not in %s", cuts[i][0], line);
		pre = (size_t)(at - line);
		snprintf(mod, sizeof(mod), "%.*s%s%s", (int)pre, line, cuts[i][1],
			 at + strlen(cuts[i][0]));
		ck_assert_msg(ew_flow_parse(&p, mod, strlen(mod), &err) == EW_E_MALFORMED,
			      "accepted: %s", cuts[i][1]);
	}
	/* cut short anywhere: refused */
	for (size_t n = 0; n + 1 < b.len; n += 7)
		ck_assert_int_eq(ew_flow_parse(&p, line, n, &err), EW_E_MALFORMED);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("flow_parse");
	TCase *t = tcase_create("core");

	tcase_add_test(t, json_paths_and_escapes);
	tcase_add_test(t, json_refuses_malformed);
	tcase_add_test(t, json_path_bound);
	tcase_add_test(t, flow_round_trip);
	tcase_add_test(t, flow_refuses);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
