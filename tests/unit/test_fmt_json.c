/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for alerting/fmt_json: the SPEC §4 fields, escaping, and the bound. */
#include <stdlib.h>
#include <string.h>

#include "alerting/alert_parse.h"
#include "alerting/fmt_json.h"
#include "check_main.h"
#include "core/ew_flow.h"
#include "core/ew_sev.h"

static struct ew_alert sample(void)
{
	struct ew_alert a;

	memset(&a, 0, sizeof(a));
	a.ts_us = 1700000000123456ULL;
	a.action = "policy-violation";
	a.severity = EW_SEV_CRITICAL;
	a.rule = "ssh-between-servers";
	a.rule_file = "rules.d/10-tiers.yaml";
	a.rule_line = 25;
	a.decided_by = "deny-rule";
	a.message = "web-3 opened \"SSH\"\tto db-1\\x";
	ew_addr_parse(&a.src, "198.18.1.11");
	ew_addr_parse(&a.dst, "fd18::3:10");
	a.sport = 40000;
	a.dport = 22;
	a.proto = 6;
	a.app_source = EW_APP_DPI;
	a.app = "SSH";
	a.app_ecs = "ssh";
	a.src_groups[0] = "web";
	a.nsrc_groups = 1;
	a.observer_name = "rack12-tap";
	a.observer_type = "iface";
	a.repeats = 3;
	a.alert_id = 1234;
	a.vlan = 12;
	a.pkts[0] = 10;
	a.pkts[1] = 7;
	a.bytes[0] = 1000;
	a.bytes[1] = 700;
	return a;
}

/* An alert about eastwatch itself writes only the addresses it has (none here), no
 * flow fields, and says it is one; a detector's is an intrusion_detection event. */
START_TEST(self_and_detector)
{
	char mem[8192];
	struct ew_buf b;
	struct ew_alert a = sample();

	memset(&a.src, 0, sizeof(a.src));
	memset(&a.dst, 0, sizeof(a.dst));
	a.proto = 0;
	a.self = 1;
	a.action = "alert-dropped";
	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_json(&a, &b), 0);
	ck_assert_ptr_null(strstr(mem, "\"source\""));
	ck_assert_ptr_null(strstr(mem, "\"destination\""));
	ck_assert_ptr_null(strstr(mem, "\"related\""));
	ck_assert_ptr_null(strstr(mem, "\"network\":{"));
	ck_assert_ptr_null(strstr(mem, "::"));
	ck_assert_ptr_nonnull(strstr(mem, "\"self\":true"));
	ck_assert_ptr_nonnull(strstr(mem, "\"category\":[\"network\"],\"type\":[\"info\"]"));

	a = sample();           /* home_networks, when configured, decide the direction */
	a.home[0] = 1;
	a.home[1] = 2;
	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_json(&a, &b), 0);
	ck_assert_ptr_nonnull(strstr(mem, "\"direction\":\"inbound\""));

	a = sample();
	a.action = "scan";
	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_json(&a, &b), 0);
	ck_assert_ptr_nonnull(strstr(mem, "\"category\":[\"network\",\"intrusion_detection\"],"
				  "\"type\":[\"connection\",\"info\"]"));
	ck_assert_ptr_null(strstr(mem, "\"self\""));
}
END_TEST

START_TEST(fields)
{
	char mem[8192];
	struct ew_buf b;
	struct ew_alert a = sample();
	const char *want[] = {
		"{\"@timestamp\":\"2023-11-14T22:13:20.123Z\",",
		"\"ecs\":{\"version\":\"" EW_ECS_VERSION "\"}",
		"\"event\":{\"kind\":\"alert\",\"id\":\"00000000000004d2\",\"action\":\"policy-violation\","
		"\"category\":[\"network\"],\"type\":[\"connection\"]",
		"\"severity\":90",
		"\"rule\":{\"name\":\"ssh-between-servers\"}",
		"\"source\":{\"ip\":\"198.18.1.11\",\"port\":40000",
		"\"destination\":{\"ip\":\"fd18::3:10\",\"port\":22",
		"\"network\":{\"transport\":\"tcp\",\"protocol\":\"ssh\"",
		"\"observer\":{\"name\":\"rack12-tap\",\"type\":\"iface\",\"vendor\":\"eastwatch\","
		"\"product\":\"eastwatch\",\"version\":\"" EW_VERSION "\"}",
		"\"application\":\"ssh\"",
		"\"direction\":\"outbound\",\"bytes\":1700,\"packets\":17,\"community_id\":\"1:",
		"\"vlan\":{\"id\":\"12\"}",
		"\"related\":{\"ip\":[\"198.18.1.11\",\"fd18::3:10\"]}",
		"\"eastwatch\":{\"severity\":\"critical\",\"app_source\":\"dpi\"",
		"\"source_groups\":[\"web\"]",
		"\"destination_groups\":[]",
		"\"repeats\":3",
		"\"rule_file\":\"rules.d/10-tiers.yaml:25\"",
		"\"message\":\"web-3 opened \\\"SSH\\\"\\tto db-1\\\\x\"",
	};

	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_json(&a, &b), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(strstr(mem, want[i]) != NULL, "missing %s in %s", want[i], mem);
	ck_assert_int_eq(mem[b.len - 1], '\n');
	ck_assert_ptr_null(strchr(mem, '\t'));
}
END_TEST

START_TEST(control_bytes_escaped)
{
	char mem[8192];
	struct ew_buf b;
	struct ew_alert a = sample();

	a.message = "a\x01" "b\x1f" "c";
	ew_buf_init(&b, mem, sizeof(mem));
	ew_fmt_json(&a, &b);
	ck_assert_ptr_nonnull(strstr(mem, "a\\u0001b\\u001fc"));
}
END_TEST

START_TEST(overflow_reported)
{
	char mem[100];
	struct ew_buf b;
	struct ew_alert a = sample();

	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_json(&a, &b), -1);
	ck_assert_uint_eq(strlen(mem), sizeof(mem) - 1);
}
END_TEST

/* Every buffer size from 1 byte to the alert's length and two more, each allocated to
 * the byte so that ASan sees any write past it: the alert is written whole or -1 is
 * returned, never a byte outside the buffer, always NUL-terminated. IPv4 and IPv6 ends,
 * with and without the optional parts. */
START_TEST(every_buffer_size)
{
	static const char *const risks[] = { "Clear-Text Credentials" };
	static const struct ew_alert_scan scan = { .kinds = { "vertical" }, .nkinds = 1,
		.hosts = 1, .services = 1000, .ports = { 22, 80 }, .nports = 2,
		.duration_ms = 18446744073709551615ULL };
	struct ew_alert a = sample();

	for (int round = 0; round < 3; round++) {
		char whole[8192];
		struct ew_buf b;
		size_t len;

		if (round == 1) {
			ew_addr_parse(&a.src, "fd18::1:11");
			a.vlan = 4094;
			a.risks[0] = risks[0];
			a.nrisks = 1;
			a.scan = &scan;
			a.pkts[0] = 18446744073709551615ULL;
			a.bytes[1] = 1234567890123ULL;
		} else if (round == 2) {
			ew_addr_parse(&a.src, "255.255.255.255");
			ew_addr_parse(&a.dst, "0.0.0.0");
			a.rule_file = NULL;
		}
		ew_buf_init(&b, whole, sizeof(whole));
		ck_assert_int_eq(ew_fmt_json(&a, &b), 0);
		len = b.len;
		ck_assert_uint_eq(strlen(whole), len);
		for (size_t cap = 1; cap <= len + 2; cap++) {
			char *mem = malloc(cap);
			int rc;

			ew_buf_init(&b, mem, cap);
			rc = ew_fmt_json(&a, &b);
			ck_assert_msg(rc == (len + 1 > cap ? -1 : 0), "round %d, %zu bytes: %d", round,
				      cap, rc);
			ck_assert_uint_lt(strlen(mem), cap);
			if (rc == 0)
				ck_assert_str_eq(mem, whole);
			free(mem);
		}
	}
}
END_TEST

/* The alerter reads what sensors wrote: parsing an alert's JSON and writing it again
 * gives the same bytes, for IPv4 and IPv6, with and without the optional fields. */
START_TEST(parse_roundtrip)
{
	static const char *const notify[] = { "email", "pager" };
	static const char *const sensors[] = { "span-a", "span-b" };
	struct ew_alert a = sample();
	struct ew_alert_parsed p;
	char m1[8192], m2[8192];
	struct ew_buf b1, b2;
	struct ew_err err;

	for (int round = 0; round < 3; round++) {
		if (round == 1) {
			a.risks[0] = "Clear-Text Credentials";
			a.nrisks = 1;
			a.notify = notify;
			a.nnotify = 2;
			a.sensors = sensors;
			a.nsensors = 2;
			a.vlan = 42;
			a.alert_id = 0xfedcba9876543210ULL;
			a.dst_groups[0] = "db";
			a.ndst_groups = 1;
		} else if (round == 2) {
			ew_addr_parse(&a.src, "fd18::1:11");
			a.proto = 132;
			a.rule_file = NULL;
			a.app_source = EW_APP_NONE;
		}
		ew_buf_init(&b1, m1, sizeof(m1));
		ck_assert_int_eq(ew_fmt_json(&a, &b1), 0);
		ck_assert_int_eq(ew_alert_parse(&p, m1, b1.len, &err), EW_OK);
		ew_buf_init(&b2, m2, sizeof(m2));
		ck_assert_int_eq(ew_fmt_json(&p.a, &b2), 0);
		ck_assert_str_eq(m2, m1);
		ew_alert_parsed_free(&p);
	}
	/* not an eastwatch alert: refused */
	ck_assert_int_ne(ew_alert_parse(&p, "{\"a\":1}", 7, &err), EW_OK);
	ew_alert_parsed_free(&p);
	ck_assert_int_ne(ew_alert_parse(&p, "[1,2", 4, &err), EW_OK);
	ew_alert_parsed_free(&p);
	ck_assert_int_eq(ew_time_parse_rfc3339("2026-11-21T22:59:03.091Z"), 1795301943091000LL);
	ck_assert_int_eq(ew_time_parse_rfc3339("2026-11-21T22:59:03Z"), 1795301943000000LL);
	ck_assert_int_eq(ew_time_parse_rfc3339("2026-11-21 22:59"), -1);
}
END_TEST

static Suite *fmt_json_suite(void)
{
	Suite *s = suite_create("fmt_json");
	TCase *t = tcase_create("fmt_json");

	tcase_add_test(t, fields);
	tcase_add_test(t, self_and_detector);
	tcase_add_test(t, control_bytes_escaped);
	tcase_add_test(t, overflow_reported);
	tcase_add_test(t, every_buffer_size);
	tcase_add_test(t, parse_roundtrip);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(fmt_json_suite)
