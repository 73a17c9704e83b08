/* SPDX-License-Identifier: Apache-2.0 */
/* test_alert_text - the sentences people read, from the alert's own fields (a table of
 * policy violations: opened or tried, each application source, DPI disagreeing with the
 * port, deny rule or default, a cloud's REJECT or ACCEPT; risk, new-edge and scan
 * alerts), deep alert copies that outlive their source, and flow records as JSON. */
#include <stdio.h>
#include <string.h>

#include "alerting/alert_text.h"
#include "alerting/fmt_flow.h"
#include "check_main.h"
#include "core/ew_conf.h"

static const char *web[] = { "web" }, *db[] = { "db", "pci" };

static struct ew_alert base(void)
{
	struct ew_alert a;

	memset(&a, 0, sizeof(a));
	ew_addr_parse(&a.src, "198.18.1.11");
	ew_addr_parse(&a.dst, "198.18.3.10");
	a.proto = 6;
	a.dport = 22;
	a.app = "SSH";
	a.port_app = "SSH";
	a.app_source = EW_APP_DPI;
	a.rule = "default";
	a.src_groups[0] = web[0];
	a.nsrc_groups = 1;
	a.dst_groups[0] = db[0];
	a.dst_groups[1] = db[1];
	a.ndst_groups = 2;
	return a;
}

static const struct violation_case {
	int attempted, differ;
	uint8_t app_source, outcome;
	const char *app, *port_app, *rule_file;
	uint8_t proto;
	const char *want;
} violations[] = {
	{ 0, 0, EW_APP_DPI, 0, "SSH", "SSH", NULL, 6,
	  "198.18.1.11 [web] opened SSH (tcp/22) to 198.18.3.10 [db,pci], which nothing permits "
	  "(default deny)" },
	{ 1, 0, EW_APP_DPI, 0, "SSH", "SSH", "rules.d/10-tiers.yaml", 6,
	  "198.18.1.11 [web] tried to open SSH (tcp/22) to 198.18.3.10 [db,pci], which deny rule "
	  "ssh-between-servers forbids (rules.d/10-tiers.yaml:24)" },
	{ 0, 0, EW_APP_PORT, 0, "SSH", "SSH", NULL, 6,
	  "198.18.1.11 [web] opened tcp/22 (SSH by its port) to 198.18.3.10 [db,pci], which "
	  "nothing permits (default deny)" },
	{ 0, 0, EW_APP_NONE, 0, "Unknown", NULL, NULL, 47,
	  "198.18.1.11 [web] opened 47 to 198.18.3.10 [db,pci], which nothing permits (default "
	  "deny)" },
	{ 0, 1, EW_APP_DPI, 0, "MQTT", "LDAP", NULL, 6,
	  "198.18.1.11 [web] opened tcp/22 to 198.18.3.10 [db,pci] (DPI names it MQTT on LDAP's "
	  "port tcp/22), which nothing permits (default deny)" },
	{ 0, 1, EW_APP_EXPORTER, 0, "HTTP", "SSH", NULL, 6,
	  "198.18.1.11 [web] opened tcp/22 to 198.18.3.10 [db,pci] (the exporter names it HTTP on "
	  "SSH's port tcp/22), which nothing permits (default deny)" },
	{ 0, 0, EW_APP_PORT, EW_OUTCOME_REJECTED, "SSH", "SSH", NULL, 17,
	  "198.18.1.11 [web] opened udp/22 (SSH by its port) to 198.18.3.10 [db,pci], which "
	  "nothing permits (default deny); the cloud already blocked it (REJECT in its flow log)" },
	{ 0, 0, EW_APP_PORT, EW_OUTCOME_ACCEPTED, "SSH", "SSH", NULL, 6,
	  "198.18.1.11 [web] opened tcp/22 (SSH by its port) to 198.18.3.10 [db,pci], which "
	  "nothing permits (default deny); it got through (ACCEPT in its flow log)" },
};

START_TEST(violation_sentences)
{
	const struct violation_case *c = &violations[_i];
	struct ew_alert a = base();
	char msg[768];
	struct ew_buf b;

	a.app_source = c->app_source;
	a.outcome = c->outcome;
	a.app = c->app;
	a.port_app = c->port_app;
	a.proto = c->proto;
	if (c->rule_file) {
		a.rule = "ssh-between-servers";
		a.rule_file = c->rule_file;
		a.rule_line = 24;
	}
	ew_buf_init(&b, msg, sizeof(msg));
	ew_alert_text_violation(&b, &a, c->attempted, c->differ);
	ew_buf_putc(&b, 0);
	ck_assert_str_eq(msg, c->want);
}
END_TEST

START_TEST(risk_edge_scan_sentences)
{
	struct ew_alert a = base();
	struct ew_alert_scan sc;
	char msg[1024];
	struct ew_buf b;

	a.risks[0] = "Obsolete SSH";
	a.risks[1] = "Weak Cipher";
	a.risks[2] = "Clear-Text Credentials";
	a.nrisks = 3;
	ew_buf_init(&b, msg, sizeof(msg));
	ew_alert_text_risk(&b, &a);
	ew_buf_putc(&b, 0);
	ck_assert_str_eq(msg, "198.18.1.11 [web] -> 198.18.3.10 [db,pci] SSH (tcp/22): nDPI flags "
			      "Obsolete SSH, Weak Cipher and Clear-Text Credentials");
	ew_buf_init(&b, msg, sizeof(msg));
	ew_alert_text_edge(&b, &a, "web", "db,pci", 1700000000000000ULL);
	ew_buf_putc(&b, 0);
	ck_assert_str_eq(msg, "new edge web -> db,pci tcp/22 (SSH from 198.18.1.11 to 198.18.3.10), "
			      "allowed but never seen since the baseline began "
			      "(2023-11-14T22:13:20.000Z)");
	memset(&sc, 0, sizeof(sc));
	sc.kinds[0] = "horizontal";
	sc.kinds[1] = "repeated";
	sc.nkinds = 2;
	sc.hosts = 6;
	sc.services = 7;
	sc.attempts = 25;
	sc.repeated_port = 22;
	ew_addr_parse(&sc.repeated_host, "198.18.3.10");
	for (int i = 0; i < 6; i++) {
		char s[32];

		snprintf(s, sizeof(s), "198.18.3.%d", 10 + i);
		ew_addr_parse(&sc.targets[i].ip, s);
	}
	sc.ntargets = 6;
	sc.failed = 5;
	sc.denied = 7;
	sc.folded = 1;
	sc.duration_us = 1549999;
	a.scan = &sc;
	a.ndst_groups = 1;
	ew_buf_init(&b, msg, sizeof(msg));
	ew_alert_text_scan(&b, &a);
	ew_buf_putc(&b, 0);
	ck_assert_str_eq(msg, "198.18.1.11 [web] opened 25 connections to tcp/22 on 198.18.3.10 [db] "
			      "and probed 7 services on 6 hosts (198.18.3.10, 198.18.3.11, "
			      "198.18.3.12, 198.18.3.13, ...) in 1.5 s (horizontal, repeated scan): "
			      "5 probes failed, 7 denied by the policy; 1 policy alert folded into "
			      "this one");
}
END_TEST

START_TEST(copies_outlive_their_source)
{
	struct ew_alert a = base();
	static struct ew_alert_copy c;
	char rule[16] = "r1", group[8] = "web";
	const char *notify[] = { "soc-mail" };
	static char huge[4096];

	a.rule = rule;
	a.src_groups[0] = group;
	a.message = "m";
	a.notify = notify;
	a.nnotify = 1;
	ck_assert_int_eq(ew_alert_copy(&c, &a), 0);
	strcpy(rule, "xx");
	strcpy(group, "yyy");
	ck_assert_str_eq(c.a.rule, "r1");
	ck_assert_str_eq(c.a.src_groups[0], "web");
	ck_assert_str_eq(c.a.notify[0], "soc-mail");
	ck_assert_str_eq(c.a.dst_groups[1], "pci");
	memset(huge, 'x', sizeof(huge) - 1);
	a.message = huge;                  /* past the arena: refused */
	ck_assert_int_eq(ew_alert_copy(&c, &a), -1);
}
END_TEST

START_TEST(flow_record_json)
{
	struct ew_alert a;
	struct ew_flow f;
	char out[2048];
	struct ew_buf b;
	struct ew_conf *doc = NULL;
	struct ew_err err;
	struct ew_conf_node r;

	memset(&f, 0, sizeof(f));
	ew_addr_parse(&f.src, "fd18::1:11");
	ew_addr_parse(&f.dst, "fd18::3:10");
	f.sport = 50000;
	f.dport = 5432;
	f.proto = 6;
	f.pkts[0] = 5;
	f.bytes[0] = 600;
	f.first_us = 1700000000000000ULL;
	f.last_us = 1700000001000000ULL;
	f.app_source = EW_APP_DPI;
	f.end_reason = EW_END_FIN;
	memset(&a, 0, sizeof(a));
	a.app = "PostgreSQL";
	a.app_ecs = "postgresql";
	a.rule = "app-to-db";
	a.decided_by = "allow-rule";
	a.observer_name = "rack12-tap";
	a.observer_type = "iface";
	a.src_groups[0] = "app";
	a.nsrc_groups = 1;
	a.dst_groups[0] = "db";
	a.ndst_groups = 1;
	ew_buf_init(&b, out, sizeof(out));
	ew_fmt_flow(&b, &f, &a, "allow");
	ck_assert(!ew_buf_overflow(&b));
	ck_assert(out[b.len - 1] == '\n');
	ck_assert_int_eq(ew_conf_load_mem(&doc, "flow", out, b.len, &err), EW_OK);
	r = ew_conf_root(doc);
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "source.ip")), "fd18::1:11");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "destination.port")), "5432");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "event.end")), "2023-11-14T22:13:21.000Z");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "eastwatch.app")), "PostgreSQL");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "eastwatch.verdict")), "allow");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "eastwatch.end_reason")), "fin");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "network.transport")), "tcp");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "network.direction")), "internal");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "network.community_id")),
			 "1:Pyj2rRlhEjrywCgmFmbz3cZ+K2A=");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "event.duration")), "1000000000");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "rule.name")), "app-to-db");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "observer.name")), "rack12-tap");
	ck_assert_str_eq(ew_conf_str(ew_conf_path(r, "ecs.version")), EW_ECS_VERSION);
	ck_assert_str_eq(ew_conf_str(ew_conf_at(ew_conf_path(r, "eastwatch.destination_groups"), 0)),
			 "db");
	ew_conf_free(doc);
	ew_buf_init(&b, out, 100);          /* too small: says so */
	ew_fmt_flow(&b, &f, &a, "allow");
	ck_assert(ew_buf_overflow(&b));
}
END_TEST

static Suite *alert_text_suite(void)
{
	Suite *s = suite_create("alert_text");
	TCase *t = tcase_create("alert_text");

	tcase_add_loop_test(t, violation_sentences, 0, sizeof(violations) / sizeof(violations[0]));
	tcase_add_test(t, risk_edge_scan_sentences);
	tcase_add_test(t, copies_outlive_their_source);
	tcase_add_test(t, flow_record_json);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(alert_text_suite)
