/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for alerting/fmt_cef and alerting/fmt_syslog: CEF header and extension
 * escaping, RFC 5424 framing, PRI, structured-data escaping, and the alert id. */
#include <string.h>

#include "alerting/fmt_cef.h"
#include "alerting/fmt_syslog.h"
#include "check_main.h"
#include "core/ew_flow.h"
#include "core/ew_sev.h"

static struct ew_alert sample(void)
{
	static const char *const g[] = { "web", "dmz" };
	struct ew_alert a;

	memset(&a, 0, sizeof(a));
	a.ts_us = 1700000000123456ULL;
	a.action = "policy-violation";
	a.severity = EW_SEV_CRITICAL;
	a.rule = "ssh|between\\servers";
	a.rule_file = "rules.d/10-tiers.yaml";
	a.rule_line = 25;
	a.message = "web-3 opened SSH to db-1 a=b\nnext line";
	ew_addr_parse(&a.src, "198.18.1.11");
	ew_addr_parse(&a.dst, "fd18::3:10");
	a.sport = 40000;
	a.dport = 22;
	a.proto = 6;
	a.app_source = EW_APP_DPI;
	a.app = "SSH";
	a.app_ecs = "ssh";
	a.src_groups[0] = g[0];
	a.src_groups[1] = g[1];
	a.nsrc_groups = 2;
	a.observer_name = "rack12-tap";
	a.repeats = 4;
	a.alert_id = 0x0123456789abcdefULL;
	a.flow_start_us = 1700000000000999ULL;
	a.bytes[0] = 1000;
	a.bytes[1] = 700;
	return a;
}

START_TEST(cef)
{
	struct ew_alert a = sample();
	char mem[4096];
	struct ew_buf b;

	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_cef(&a, &b), 0);
	/* header: '|' and '\' escaped, line break flattened, severity 9 */
	ck_assert_ptr_nonnull(strstr(mem, "CEF:0|eastwatch|eastwatch|" EW_VERSION
				      "|ssh\\|between\\\\servers|web-3 opened SSH to db-1 a=b next "
				      "line|9| rt=1700000000123 "));
	/* IPv4 in src/dst, IPv6 in the dictionary's c6a3 with its label; in: source to
	 * destination bytes, out: back; the flow's start and this alert as its end */
	ck_assert_ptr_nonnull(strstr(mem, " src=198.18.1.11 spt=40000 c6a3=fd18::3:10 "
				      "c6a3Label=Destination IPv6 Address dpt=22 "
				      "proto=TCP app=ssh act=policy-violation cat=policy-violation "
				      "start=1700000000000 end=1700000000123 cnt=5 "
				      "externalId=0123456789abcdef dvchost=rack12-tap in=1000 out=700 "));
	ck_assert_ptr_null(strstr(mem, " dst="));
	ck_assert_ptr_nonnull(strstr(mem, " cs1Label=sourceGroups cs1=web,dmz "));
	ck_assert_ptr_nonnull(strstr(mem, " cs6=rules.d/10-tiers.yaml:25 "));
	/* extension: '=' and '\' escaped, line break as \n */
	ck_assert_ptr_nonnull(strstr(mem, " msg=web-3 opened SSH to db-1 a\\=b\\nnext line"));
	ck_assert_ptr_nonnull(strstr(mem, " cs3=ssh|between\\\\servers "));
	ck_assert_ptr_null(strchr(mem, '\n'));
}
END_TEST

/* Every string valid UTF-8: a bad byte becomes U+FFFD, a header field cut at its bound
 * never splits a character; an alert about eastwatch itself has no addresses. */
START_TEST(cef_utf8_and_self)
{
	struct ew_alert a = sample();
	char mem[8192], rule[1100], want[1030];
	struct ew_buf b;

	memset(rule, 'r', sizeof(rule));
	memcpy(rule + 1021, "\xe2\x82\xac", 3);     /* a euro across the 1023-byte bound */
	rule[sizeof(rule) - 1] = '\0';
	a.rule = rule;
	a.message = "caf\xc3\xa9 \xff\xc0\xaf end";
	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_cef(&a, &b), 0);
	want[0] = '|';                                   /* cut before the euro */
	memset(want + 1, 'r', 1021);
	strcpy(want + 1022, "|");
	ck_assert_ptr_nonnull(strstr(mem, want));
	ck_assert_ptr_nonnull(strstr(mem, " msg=caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end"));

	a = sample();
	a.self = 1;
	a.action = "alert-dropped";
	memset(&a.src, 0, sizeof(a.src));
	memset(&a.dst, 0, sizeof(a.dst));
	a.proto = 0;
	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_cef(&a, &b), 0);
	ck_assert_ptr_null(strstr(mem, " src="));
	ck_assert_ptr_null(strstr(mem, " dst="));
	ck_assert_ptr_null(strstr(mem, "c6a"));
	ck_assert_ptr_null(strstr(mem, " proto="));
	ck_assert_ptr_null(strstr(mem, " in="));
}
END_TEST

START_TEST(sd_ids)
{
	ck_assert(ew_syslog_sd_id_valid("eastwatch@32473"));
	ck_assert(ew_syslog_sd_id_valid("x@1.3.6"));
	ck_assert(!ew_syslog_sd_id_valid(""));
	ck_assert(!ew_syslog_sd_id_valid("origin"));             /* IANA's, no '@' */
	ck_assert(!ew_syslog_sd_id_valid("bad id@32473"));
	ck_assert(!ew_syslog_sd_id_valid("a=b@32473"));
	ck_assert(!ew_syslog_sd_id_valid("a]@32473"));
	ck_assert(!ew_syslog_sd_id_valid("a\"@32473"));
	ck_assert(!ew_syslog_sd_id_valid("a@x"));
	ck_assert(!ew_syslog_sd_id_valid("a@1@2"));
	ck_assert(!ew_syslog_sd_id_valid("@32473"));
	ck_assert(!ew_syslog_sd_id_valid("caf\xc3\xa9@32473"));
	ck_assert(!ew_syslog_sd_id_valid("abcdefghijklmnopqrstuvwxyz@123456"));   /* 33 */
	ck_assert(ew_syslog_sd_id_valid("abcdefghijklmnopqrstuvwxyz@12345"));
}
END_TEST

START_TEST(syslog_frame)
{
	struct ew_alert a = sample();
	struct ew_syslog_hdr h = { .facility = 16, .hostname = "rack 12", .sd_id = "eastwatch@32473",
				   .pid = 42 };
	char mem[4096];
	struct ew_buf b;

	a.rule = "bad\"rule]x\\";
	ew_buf_init(&b, mem, sizeof(mem));
	ck_assert_int_eq(ew_fmt_syslog(&a, &h, "BODY", 4, &b), 0);
	/* local0 (16) * 8 + crit (2) = 130; hostname space replaced */
	ck_assert_str_eq(mem, "<130>1 2023-11-14T22:13:20.123Z rack_12 eastwatch 42 "
			 "policy-violation [eastwatch@32473 alert_id=\"0123456789abcdef\" "
			 "rule=\"bad\\\"rule\\]x\\\\\" severity=\"critical\" src=\"198.18.1.11\" "
			 "dst=\"fd18::3:10\" dport=\"22\" proto=\"tcp\"] BODY");
	ck_assert_int_eq(ew_syslog_facility("local7"), 23);
	ck_assert_int_eq(ew_syslog_facility("authpriv"), 10);
	ck_assert_int_eq(ew_syslog_facility("nope"), -1);
}
END_TEST

START_TEST(alert_id)
{
	struct ew_alert a = sample(), b = sample();

	a.alert_id = ew_alert_id(&a, 60000000);
	/* same rule, flow key and window: same id whatever the source port or counts */
	b.sport = 50000;
	b.repeats = 9;
	b.ts_us = a.ts_us - 1000000;
	ck_assert_uint_eq(ew_alert_id(&b, 60000000), a.alert_id);
	/* the next window, another destination port, another rule: different */
	b.ts_us = a.ts_us + 60000000;
	ck_assert_uint_ne(ew_alert_id(&b, 60000000), a.alert_id);
	b = sample();
	b.dport = 23;
	ck_assert_uint_ne(ew_alert_id(&b, 60000000), a.alert_id);
	b = sample();
	b.rule = "other";
	ck_assert_uint_ne(ew_alert_id(&b, 60000000), a.alert_id);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fmt_cef");
	TCase *t = tcase_create("all");

	tcase_add_test(t, cef);
	tcase_add_test(t, cef_utf8_and_self);
	tcase_add_test(t, syslog_frame);
	tcase_add_test(t, sd_ids);
	tcase_add_test(t, alert_id);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
