/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for daemon/pipeline: when flows are judged (first packet, application
 * known, deadline, escalation, flow end) and what reaches the sinks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "tmp_path.h"
#include "collector/decode_pkt.h"
#include "collector/source.h"
#include "daemon/pipeline.h"
#include "pktraw.h"

#define S 1000000ULL

static struct ew_classify *cls;
static struct ew_policy *pol;
static struct ew_sinkset *sinks;
static struct ew_conf *sinkdoc;
static struct ew_pipeline *pl;
static char out[64];

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

static int risk_on;
static uint32_t ft_max;      /* flows.max for the next start(), 0: the default */
static uint32_t pend_max;    /* flows waiting at once at most, 0: the default */
static uint32_t pair_max;    /* export records waiting for a partner, 0: the default */

static void start(const char *policy_text)
{
	struct ew_cls_conf cc;
	struct ew_pipeline_conf pc;
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_err err;
	char yaml[200];

	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	o.resolve_arg = cls;
	pol = ew_policy_load_mem("test.yaml", policy_text, strlen(policy_text), &o, &err);
	ck_assert_msg(pol != NULL, "%s", err.msg);
	ew_test_file(out, sizeof(out), "alerts", NULL);
	snprintf(yaml, sizeof(yaml), "{type: file, path: \"%s\"}", out);
	ck_assert_int_eq(ew_conf_load_mem(&sinkdoc, "sink", yaml, strlen(yaml), &err), 0);
	sinks = ew_sinkset_new("test", NULL);
	ck_assert_int_eq(ew_sinkset_add(sinks, ew_conf_root(sinkdoc), NULL, &err), 0);
	ew_pipeline_conf_default(&pc);
	pc.sensor = "unit";
	if (ft_max)
		pc.ft.max_flows = ft_max;
	pc.pending_max = pend_max;
	pc.pairing_max = pair_max;
	if (!risk_on)   /* policy tests count policy alerts: the risk detector stays out */
		memset(pc.risk_sev, EW_RISK_OFF, sizeof(pc.risk_sev));
	pl = ew_pipeline_new(&pc, cls, pol, sinks, &err);
	ck_assert_ptr_nonnull(pl);
}

static void stop(void)
{
	ew_pipeline_free(pl);
	ew_sinkset_free(sinks);
	ew_conf_free(sinkdoc);
	ew_policy_free(pol);
	ew_classify_free(cls);
	unlink(out);
}

static uint64_t alerts(void)
{
	struct ew_pipeline_stats st;

	ew_pipeline_stats(pl, &st);
	return st.alerts;
}

static char *alert_text(void)
{
	static char buf[65536];
	FILE *f;
	size_t n;

	ew_sinkset_flush(sinks, 0);
	f = fopen(out, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void feed(struct pb *p, uint64_t ts)
{
	struct ew_raw_pkt rp = pb_raw(p, ts);

	ew_pipeline_packet(pl, &rp);
}

static void tcp(const char *s, uint16_t sp, const char *d, uint16_t dp, uint8_t fl,
		const char *payload, uint64_t ts)
{
	struct pb p = { 0 };

	pb_eth(&p, 0x0800);
	pb_ipv4(&p, s, d, 6, 1, 0);
	pb_tcp(&p, sp, dp, fl);
	if (payload)
		pb_payload(&p, payload);
	feed(&p, ts);
}

static const char *policy_apps =
	"groups:\n"
	"  web: { members: [198.18.1.0/24] }\n"
	"  app: { members: [198.18.2.0/24] }\n"
	"  db:  { members: [198.18.3.10] }\n"
	"  lab: { members: [172.16.238.0/24] }\n"
	"allow:\n"
	"  - { name: web-to-app, from: web, to: app, services: [tcp/8443], apps: [TLS] }\n"
	"deny:\n"
	"  - { name: ssh-between-servers, from: [web, app, db, lab], to: any, apps: [SSH], severity: critical }\n"
	"default: { action: deny, severity: high }\n";

/* Alerts (JSON lines) whose source address begins with prefix, and those whose action
 * is action. */
static uint32_t count_lines(const char *needle)
{
	char line[16384];
	uint32_t n = 0;
	FILE *f;

	ew_sinkset_flush(sinks, 0);
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

static const char *policy_high_port =
	"groups:\n"
	"  web: { members: [198.18.1.0/24] }\n"
	"  app: { members: [198.18.2.0/24] }\n"
	"allow:\n"
	"  - { name: web-to-app, from: web, to: app, services: [tcp/45000] }\n"
	"default: { action: deny, severity: high }\n";

/* Session k: client 198.18.1.k:9000 (a common service port) to server 198.18.2.k:45000
 * (an ephemeral one): the ports point the wrong way, only the SYN tells. */
static void session_open(int k, uint64_t ts)
{
	char c[32], s[32];

	snprintf(c, sizeof(c), "198.18.1.%d", k);
	snprintf(s, sizeof(s), "198.18.2.%d", k);
	tcp(c, 9000, s, 45000, EW_TH_SYN, NULL, ts);
	tcp(s, 45000, c, 9000, EW_TH_SYN | EW_TH_ACK, NULL, ts + 100);
	tcp(c, 9000, s, 45000, EW_TH_ACK, NULL, ts + 200);
	tcp(c, 9000, s, 45000, EW_TH_ACK | EW_TH_PSH, "hello", ts + 300);
}

static void session_talk(int k, uint64_t ts)
{
	char c[32], s[32];

	snprintf(c, sizeof(c), "198.18.1.%d", k);
	snprintf(s, sizeof(s), "198.18.2.%d", k);
	tcp(s, 45000, c, 9000, EW_TH_ACK | EW_TH_PSH, "server says", ts);
	tcp(c, 9000, s, 45000, EW_TH_ACK | EW_TH_PSH, "client says", ts + 100);
}

/* Permitted long-lived sessions share a full table with a random-tuple SYN flood: the
 * flood is judged (it is denied), the sessions raise nothing. */
START_TEST(syn_flood_fills_the_table_permitted_sessions_stay_quiet)
{
	ft_max = 64;
	start(policy_high_port);
	for (int k = 1; k <= 20; k++)
		session_open(k, 1 * S + (uint64_t)k * 1000);
	for (uint32_t i = 0; i < 600; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.19.%u.%u", i >> 8, i & 255);
		tcp(a, (uint16_t)(1024 + i), "198.18.2.200", (uint16_t)(2000 + i), EW_TH_SYN, NULL,
		    2 * S + i * 100);
	}
	for (int r = 0; r < 3; r++)
		for (int k = 1; k <= 20; k++)
			session_talk(k, (uint64_t)(3 + r * 10) * S + (uint64_t)k * 1000);
	ew_pipeline_drain(pl);
	ck_assert_uint_eq(count_lines("\"source\":{\"ip\":\"198.18.1."), 0);
	ck_assert_uint_eq(count_lines("\"source\":{\"ip\":\"198.18.2."), 0);
	ck_assert_uint_gt(count_lines("\"source\":{\"ip\":\"198.19."), 0);
	ck_assert_uint_eq(count_lines("flow-table-full"), 0);   /* nothing answered was lost */
	stop();
	ft_max = 0;
}
END_TEST

/* More permitted sessions than the table holds: those evicted and picked up again keep
 * their initiator (no false alert), and the blind spot is said once, as a self-alert. */
START_TEST(full_table_evicts_sessions_honestly)
{
	ft_max = 16;
	start(policy_high_port);
	for (int k = 1; k <= 60; k++)
		session_open(k, 1 * S + (uint64_t)k * 1000);
	for (int r = 0; r < 3; r++)
		for (int k = 1; k <= 60; k++)
			session_talk(k, (uint64_t)(3 + r * 10) * S + (uint64_t)k * 1000);
	ew_pipeline_drain(pl);
	ck_assert_uint_eq(count_lines("\"source\":{\"ip\":\"198.18.2."), 0);
	ck_assert_uint_eq(count_lines("\"source\":{\"ip\":\"198.18.1."), 0);
	ck_assert_uint_ge(count_lines("\"action\":\"flow-table-full\""), 1);
	ck_assert_uint_le(count_lines("\"action\":\"flow-table-full\""), 2);
	stop();
	ft_max = 0;
}
END_TEST

START_TEST(ssh_alerts_while_open)
{
	const struct ew_source_ops *ops = ew_source_find("pcap");
	struct ew_source_conf sc = { .type = "pcap", .target = EW_CORPUS "/ndpi-4.2/pcap/ssh.pcap" };
	struct ew_source_out o;
	struct ew_err err;
	void *st;
	char *t;

	start(policy_apps);
	o.packet = ew_pipeline_packet;
	o.arg = pl;
	ck_assert_int_eq(ops->open(&st, &sc, NULL, &o, &err), 0);
	ck_assert_int_eq(ops->run(st, &err), 0);
	ops->close(st);
	ck_assert_uint_eq(alerts(), 1);       /* before any flow ended */
	ew_pipeline_finish(pl);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	ck_assert_ptr_nonnull(strstr(t, "\"rule\":{\"name\":\"ssh-between-servers\"}"));
	ck_assert_ptr_nonnull(strstr(t, "\"protocol\":\"ssh\""));
	ck_assert_ptr_nonnull(strstr(t, "\"app_source\":\"dpi\""));
	ck_assert_ptr_nonnull(strstr(t, "\"source_groups\":[\"lab\"]"));
	ck_assert_ptr_nonnull(strstr(t, "\"type\":\"pcap\""));
	stop();
}
END_TEST

START_TEST(denied_whatever_the_app_alerts_with_evidence)
{
	char *t;

	/* Denied on its first packet whatever it carries; the alert waits (at most a
	 * second) for nDPI to name the application. Here nothing answers: port guess. */
	start("groups: { web: { members: [198.18.1.0/24] }, db: { members: [198.18.3.10] } }\n"
	      "default: { action: deny, severity: medium }\n");
	tcp("198.18.1.11", 40000, "198.18.3.10", 6379, EW_TH_SYN, NULL, 10 * S);
	ck_assert_uint_eq(alerts(), 0);
	ew_pipeline_tick(pl, 11 * S);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	/* described with the port guess, and says so */
	ck_assert_ptr_nonnull(strstr(t, "\"protocol\":\"redis\""));
	ck_assert_ptr_nonnull(strstr(t, "\"app_source\":\"port\""));
	ck_assert_ptr_nonnull(strstr(t, "\"severity\":50"));
	/* the reply and later packets of the same flow alert no more */
	tcp("198.18.3.10", 6379, "198.18.1.11", 40000, EW_TH_SYN | EW_TH_ACK, NULL, 10 * S + 1);
	tcp("198.18.1.11", 40000, "198.18.3.10", 6379, EW_TH_ACK, NULL, 10 * S + 2);
	ew_pipeline_finish(pl);
	ck_assert_uint_eq(alerts(), 1);
	stop();
}
END_TEST

/* The risk detector: nDPI flags the SSH server in nDPI's ssh.pcap as obsolete; with a
 * policy that allows everything the one alert is the detector's, named and graded by
 * the default map; a configured "off" silences it. */
START_TEST(risk_alert_obsolete_ssh)
{
	const struct ew_source_ops *ops = ew_source_find("pcap");
	struct ew_source_conf sc = { .type = "pcap", .target = EW_CORPUS "/ndpi-4.2/pcap/ssh.pcap" };
	struct ew_source_out o = { .packet = ew_pipeline_packet };
	struct ew_err err;
	void *st;
	char *t;

	risk_on = 1;
	start("default: { action: allow }\n");
	o.arg = pl;
	ck_assert_int_eq(ops->open(&st, &sc, NULL, &o, &err), 0);
	ck_assert_int_eq(ops->run(st, &err), 0);
	ops->close(st);
	ew_pipeline_finish(pl);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	ck_assert_ptr_nonnull(strstr(t, "\"action\":\"risk\""));
	ck_assert_ptr_nonnull(strstr(t, "\"rule\":{\"name\":\"risk\"}"));
	ck_assert_ptr_nonnull(strstr(t, "\"severity\":\"medium\""));
	ck_assert_ptr_nonnull(strstr(t, "\"risks\":[\"SSH Obsolete Client Version/Cipher\","
				      "\"SSH Obsolete Server Version/Cipher\"]"));
	ck_assert_ptr_nonnull(strstr(t, "nDPI flags SSH Obsolete Client Version/Cipher and SSH "
				      "Obsolete Server Version/Cipher"));
	stop();
	risk_on = 0;
}
END_TEST

START_TEST(held_alert_names_the_app)
{
	/* Redis spoken from web to db: denied from the first SYN, alerted as Redis by DPI. */
	start("groups: { web: { members: [198.18.1.0/24] }, db: { members: [198.18.3.10] } }\n"
	      "default: { action: deny }\n");
	tcp("198.18.1.11", 40000, "198.18.3.10", 16379, EW_TH_SYN, NULL, 10 * S);
	tcp("198.18.3.10", 16379, "198.18.1.11", 40000, EW_TH_SYN | EW_TH_ACK, NULL, 10 * S + 100);
	tcp("198.18.1.11", 40000, "198.18.3.10", 16379, EW_TH_ACK, NULL, 10 * S + 200);
	ck_assert_uint_eq(alerts(), 0);
	tcp("198.18.1.11", 40000, "198.18.3.10", 16379, EW_TH_ACK | EW_TH_PSH,
	    "*1\r\n$4\r\nPING\r\n", 10 * S + 300);
	tcp("198.18.3.10", 16379, "198.18.1.11", 40000, EW_TH_ACK | EW_TH_PSH, "+PONG\r\n",
	    10 * S + 400);
	ck_assert_uint_eq(alerts(), 1);
	ck_assert_ptr_nonnull(strstr(alert_text(), "\"protocol\":\"redis\",\"application\":\"redis\",\"type\":\"ipv4\""));
	ck_assert_ptr_nonnull(strstr(alert_text(), "\"app_source\":\"dpi\""));
	stop();
}
END_TEST

START_TEST(silent_attempt_judged_at_deadline)
{
	start(policy_apps);
	/* web -> db: every flow from web waits for its application (the SSH rule) */
	tcp("198.18.1.11", 40001, "198.18.3.10", 5432, EW_TH_SYN, NULL, 100 * S);
	ck_assert_uint_eq(alerts(), 0);
	tcp("198.18.1.99", 40002, "198.18.1.98", 53, EW_TH_SYN, NULL, 100 * S + 500000);
	ck_assert_uint_eq(alerts(), 0);
	ew_pipeline_tick(pl, 101 * S + 1);   /* one second on, without a packet */
	ck_assert_uint_eq(alerts(), 1);
	ck_assert_ptr_nonnull(strstr(alert_text(), "\"decided_by\":\"default\""));
	stop();
}
END_TEST

/* n SYNs from web to db 5 us apart from 100 s (each waits for its application: the
 * SSH rule); returns the stats once the last is in, before the first's deadline. */
static struct ew_pipeline_stats many_waiting(uint32_t n)
{
	struct ew_pipeline_stats st;
	char src[32];

	start(policy_apps);
	for (uint32_t i = 0; i < n; i++) {
		snprintf(src, sizeof(src), "198.18.1.%u", 1 + i % 250);
		tcp(src, (uint16_t)(1024 + i / 250), "198.18.3.10", 5432, EW_TH_SYN, NULL,
		    100 * S + 5 * (uint64_t)i);
	}
	ew_pipeline_stats(pl, &st);
	return st;
}

/* The pipeline's flows waiting now, flows found in violation, flows judged early. */
static void expect_waiting(uint64_t pending, uint64_t violations, uint64_t early)
{
	struct ew_pipeline_stats st;

	ew_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.pending, pending);
	ck_assert_uint_eq(st.violations, violations);
	ck_assert_uint_eq(st.pending_early, early);
}

/* 100,000 new flows in half a second all wait their judge_within (the queue of waiting
 * flows grows: it held 65,536, and judged the rest early with the port guess). */
START_TEST(many_waiting_flows_each_wait_their_second)
{
	many_waiting(100000);
	expect_waiting(100000, 0, 0);
	ew_pipeline_tick(pl, 101 * S + 5 * 100000ULL);
	expect_waiting(0, 100000, 0);
	stop();
}
END_TEST

/* Past its bound the queue judges its oldest at once, and counts each. */
START_TEST(waiting_past_the_bound_is_judged_early_and_counted)
{
	struct ew_pipeline_stats st;

	pend_max = 1000;
	st = many_waiting(1500);
	pend_max = 0;
	ck_assert_uint_eq(st.pending_capacity, 1000);
	expect_waiting(1000, 500, 500);
	stop();
}
END_TEST

/* One direction of a connection, as a NetFlow exporter reports it. */
static void record(const char *s, uint16_t sp, const char *d, uint16_t dp, uint64_t now)
{
	struct ew_record r;

	memset(&r, 0, sizeof(r));
	r.has_flow = 1;
	r.version = 9;
	ck_assert_int_eq(ew_addr_parse(&r.f.src, s), 0);
	ck_assert_int_eq(ew_addr_parse(&r.f.dst, d), 0);
	r.f.sport = sp;
	r.f.dport = dp;
	r.f.proto = 17;
	r.f.pkts[0] = 1;
	r.f.bytes[0] = 100;
	r.f.first_us = r.f.last_us = now;
	ew_pipeline_record(pl, &r, 1, now);
}

/* Export records wait for their other direction in a bounded table: past its bound the
 * oldest goes on unpaired, and each is counted (the summary, /metrics table="pairing"). */
START_TEST(unpaired_records_past_the_bound_are_counted)
{
	struct ew_pipeline_stats st;
	char src[32];

	pair_max = 100;
	start(policy_apps);
	pair_max = 0;
	for (int i = 0; i < 150; i++) {
		snprintf(src, sizeof(src), "198.18.1.%d", 1 + i);
		record(src, 5353, "198.18.2.7", 9999, 10 * S + (uint64_t)i);
	}
	ew_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.pairing, 100);
	ck_assert_uint_eq(st.pairing_capacity, 100);
	ck_assert_uint_eq(st.pairing_evicted, 50);
	record("198.18.2.7", 9999, "198.18.1.150", 5353, 10 * S + 200);   /* a partner */
	ew_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.pairing, 99);
	ck_assert_uint_eq(st.pairing_evicted, 50);
	ew_pipeline_finish(pl);
	ew_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.pairing, 0);
	ck_assert_uint_eq(st.flows, 150);          /* 50 alone early, 99 alone at the end, 1 pair */
	stop();
}
END_TEST

START_TEST(waiting_before_speaking_is_no_way_around)
{
	/* web -> app on 8443 is allowed only as TLS. A client that stays silent past the
	 * deadline is allowed on the port guess (the waiver) - but when it then speaks
	 * SSH, nDPI names it and the flow is judged again. */
	start(policy_apps);
	tcp("198.18.1.11", 40000, "198.18.2.7", 8443, EW_TH_SYN, NULL, 1 * S);
	tcp("198.18.2.7", 8443, "198.18.1.11", 40000, EW_TH_SYN | EW_TH_ACK, NULL, 1 * S + 100);
	tcp("198.18.1.11", 40000, "198.18.2.7", 8443, EW_TH_ACK, NULL, 1 * S + 200);
	ew_pipeline_tick(pl, 5 * S);
	ck_assert_uint_eq(alerts(), 0);      /* provisionally allowed */
	tcp("198.18.2.7", 8443, "198.18.1.11", 40000, EW_TH_ACK | EW_TH_PSH,
	    "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 6 * S);
	tcp("198.18.1.11", 40000, "198.18.2.7", 8443, EW_TH_ACK | EW_TH_PSH,
	    "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 6 * S + 100);
	ck_assert_uint_eq(alerts(), 1);
	ck_assert_ptr_nonnull(strstr(alert_text(), "\"name\":\"ssh-between-servers\""));
	stop();
}
END_TEST

START_TEST(infrastructure_is_not_judged)
{
	struct pb p = { 0 };
	struct ew_pipeline_stats st;

	start("default: { action: deny }\n");
	pb_eth(&p, 0x0806);
	pb_payload(&p, "0123456789012345678901234567");
	feed(&p, S);
	memset(&p, 0, sizeof(p));
	pb_eth(&p, 0x86dd);
	pb_ipv6(&p, "fe80::1", "ff02::2", 58);
	pb_icmp(&p, 133, 0, 0);              /* router solicitation */
	feed(&p, S);
	ew_pipeline_finish(pl);
	ew_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.infra, 2);
	ck_assert_uint_eq(st.flows, 0);
	ck_assert_uint_eq(alerts(), 0);
	stop();
}
END_TEST

/* Deadlines fall due between packets, at their own time: a denied SYN whose answer never
 * comes is judged judge_within (1 s) after it, even when the next packet of the capture
 * is twenty years later (crossed in one step, not second by second). */
START_TEST(deadline_in_a_capture_gap)
{
	uint64_t far = 20ULL * 365 * 86400 * S;
	char *t;

	start("default: { action: deny }\n");
	tcp("198.18.1.11", 40000, "198.18.3.10", 22, EW_TH_SYN, NULL, 10 * S);
	tcp("198.18.1.11", 40001, "198.18.3.10", 80, EW_TH_SYN, NULL, 10 * S + far);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	ck_assert_ptr_nonnull(strstr(t, "\"@timestamp\":\"1970-01-01T00:00:11.000Z\""));
	ew_pipeline_tick(pl, 12 * S + far);
	ck_assert_uint_eq(alerts(), 2);
	stop();
}
END_TEST

START_TEST(throttled_repeats)
{
	start("default: { action: deny }\n");
	for (int i = 0; i < 5; i++)
		tcp("198.18.1.11", (uint16_t)(40000 + i), "198.18.3.10", 22, EW_TH_SYN, NULL,
		    (uint64_t)(10 + i) * S);
	ew_pipeline_tick(pl, 15 * S);
	ck_assert_uint_eq(alerts(), 1);
	tcp("198.18.1.11", 41000, "198.18.3.10", 22, EW_TH_SYN, NULL, 80 * S);
	ew_pipeline_tick(pl, 81 * S);
	ck_assert_uint_eq(alerts(), 2);
	ck_assert_ptr_nonnull(strstr(alert_text(), "\"repeats\":4"));
	stop();
}
END_TEST

static uint64_t count_of(const char *t, const char *needle)
{
	uint64_t n = 0;

	for (const char *x = t; (x = strstr(x, needle)) != NULL; x++)
		n++;
	return n;
}

/* nmap -sS against one host: 100 ports, each refused by RST. Every probe is denied by
 * the default, and all 100 policy alerts fold into one scan alert with the counts. */
START_TEST(vertical_scan_folds_policy_alerts)
{
	struct ew_pipeline_stats st;
	char *t;

	start("groups: { web: { members: [198.18.1.0/24] }, db: { members: [198.18.3.10] } }\n"
	      "default: { action: deny }\n");
	for (int i = 0; i < 100; i++) {
		uint64_t ts = 10 * S + (uint64_t)i * 10000;

		tcp("198.18.1.66", 50000, "198.18.3.10", (uint16_t)(1 + i), EW_TH_SYN, NULL, ts);
		tcp("198.18.3.10", (uint16_t)(1 + i), "198.18.1.66", 50000, EW_TH_RST | EW_TH_ACK,
		    NULL, ts + 100);
	}
	ew_pipeline_tick(pl, 12 * S);
	ck_assert_uint_eq(alerts(), 0);      /* the scanner is still busy */
	ew_pipeline_tick(pl, 16 * S);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	ck_assert_ptr_nonnull(strstr(t, "\"action\":\"scan\""));
	ck_assert_ptr_nonnull(strstr(t, "\"source_groups\":[\"web\"]"));
	ck_assert_ptr_nonnull(strstr(t, "\"scan\":{\"kind\":[\"vertical\"],\"hosts\":1,"
				      "\"services\":100,\"max_ports_per_host\":100,\"attempts\":1,"
				      "\"probes\":100,\"failed\":100,\"denied\":100,"
				      "\"folded\":100,"));
	ck_assert_ptr_nonnull(strstr(t, "\"ports\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]"));
	ck_assert_ptr_nonnull(strstr(t, "\"targets\":[{\"ip\":\"198.18.3.10\",\"services\":100,"
				      "\"folded\":100}]"));
	ck_assert_ptr_nonnull(strstr(t, "198.18.1.66 [web] probed 100 services on 1 host "
				      "(198.18.3.10), 100 "
				      "ports on 198.18.3.10 [db] in 1.0 s (vertical scan): 100 probes "
				      "failed, 100 denied by the policy; 100 policy alerts folded"));
	ew_pipeline_finish(pl);
	ew_pipeline_stats(pl, &st);
	ck_assert_uint_eq(st.scans, 1);
	ck_assert_uint_eq(st.folded, 100);
	ck_assert_uint_eq(alerts(), 1);
	stop();
}
END_TEST

/* A real session in the middle of a scan: nmap -sS against one host while the same
 * source opens a Redis session (handshake, command, reply) to another host that nothing
 * permits. The probes fold into one scan alert; the session is alerted on its own (SPEC
 * §4: only probes fold). The same with the session's reply coming after the alert was
 * raised (held, then sent). */
static void scan_with_session(int reply_late)
{
	char *t;

	start("groups: { web: { members: [198.18.1.0/24] }, db: { members: [198.18.3.0/24] } }\n"
	      "default: { action: deny }\n");
	for (int i = 0; i < 100; i++) {
		uint64_t ts = 10 * S + (uint64_t)i * 10000;

		tcp("198.18.1.66", 50000, "198.18.3.10", (uint16_t)(1 + i), EW_TH_SYN, NULL, ts);
		tcp("198.18.3.10", (uint16_t)(1 + i), "198.18.1.66", 50000, EW_TH_RST | EW_TH_ACK,
		    NULL, ts + 100);
		if (i == 50) {
			uint64_t r = ts + (reply_late ? 1500000 : 400);

			tcp("198.18.1.66", 40001, "198.18.3.20", 6379, EW_TH_SYN, NULL, ts + 200);
			tcp("198.18.3.20", 6379, "198.18.1.66", 40001, EW_TH_SYN | EW_TH_ACK, NULL,
			    ts + 250);
			tcp("198.18.1.66", 40001, "198.18.3.20", 6379, EW_TH_ACK, NULL, ts + 300);
			tcp("198.18.1.66", 40001, "198.18.3.20", 6379, EW_TH_ACK | EW_TH_PSH,
			    "PING\r\n", ts + 350);
			tcp("198.18.3.20", 6379, "198.18.1.66", 40001, EW_TH_ACK | EW_TH_PSH,
			    "+PONG\r\n", r);
		}
	}
	ew_pipeline_tick(pl, 20 * S);
	ew_pipeline_finish(pl);
	t = alert_text();
	ck_assert_uint_eq(count_of(t, "\"action\":\"scan\""), 1);
	ck_assert_uint_eq(count_of(t, "\"action\":\"policy-violation\""), 1);
	ck_assert_ptr_nonnull(strstr(t, "\"destination\":{\"ip\":\"198.18.3.20\",\"port\":6379"));
	/* the session was denied, so the scan counts it (a denied flow), but folds nothing
	 * about its host */
	ck_assert_ptr_nonnull(strstr(t, "\"targets\":[{\"ip\":\"198.18.3.10\",\"services\":100,"
				      "\"folded\":100},{\"ip\":\"198.18.3.20\",\"services\":1,"
				      "\"folded\":0}]"));
	ck_assert_ptr_nonnull(strstr(t, "\"folded\":100,"));
	stop();
}

START_TEST(scan_does_not_hide_a_session)
{
	scan_with_session(0);
}
END_TEST

START_TEST(scan_does_not_hide_a_late_answered_session)
{
	scan_with_session(1);
}
END_TEST

/* SPEC §3: a deny rule's apps hold on the responder port's application too, and the alert
 * says when DPI names the flow otherwise: SSH spoken on LDAP's port is still denied by
 * the LDAP rule, with both names in the alert. */
START_TEST(deny_rule_holds_on_the_port_when_dpi_disagrees)
{
	char *t;

	start("groups: { web: { members: [198.18.1.0/24] }, db: { members: [198.18.3.10] } }\n"
	      "deny: [ { name: no-ldap, from: web, to: db, apps: [LDAP], severity: critical } ]\n"
	      "default: { action: allow }\n");
	tcp("198.18.1.11", 40001, "198.18.3.10", 389, EW_TH_SYN, NULL, 10 * S);
	tcp("198.18.3.10", 389, "198.18.1.11", 40001, EW_TH_SYN | EW_TH_ACK, NULL, 10 * S + 100);
	tcp("198.18.1.11", 40001, "198.18.3.10", 389, EW_TH_ACK, NULL, 10 * S + 200);
	tcp("198.18.3.10", 389, "198.18.1.11", 40001, EW_TH_ACK | EW_TH_PSH,
	    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 10 * S + 300);
	tcp("198.18.1.11", 40001, "198.18.3.10", 389, EW_TH_ACK | EW_TH_PSH,
	    "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 10 * S + 400);
	ew_pipeline_tick(pl, 20 * S);
	ew_pipeline_finish(pl);
	t = alert_text();
	ck_assert_uint_eq(count_of(t, "\"action\":\"policy-violation\""), 1);
	ck_assert_ptr_nonnull(strstr(t, "\"rule\":{\"name\":\"no-ldap\"}"));
	ck_assert_ptr_nonnull(strstr(t, "\"app\":\"SSH\",\"port_app\":\"LDAP\""));
	ck_assert_ptr_nonnull(strstr(t, "198.18.1.11 [web] opened tcp/389 to 198.18.3.10 [db] (DPI "
				      "names it SSH on LDAP's port tcp/389), which deny rule "
				      "no-ldap forbids"));
	stop();
}
END_TEST

/* A sweep of port 445 across 30 hosts that do not answer: horizontal. */
START_TEST(horizontal_sweep)
{
	char host[32], *t;

	start("default: { action: deny }\n");
	for (int i = 0; i < 30; i++) {
		snprintf(host, sizeof(host), "198.18.4.%d", 10 + i);
		tcp("198.18.1.66", (uint16_t)(50000 + i), host, 445, EW_TH_SYN, NULL,
		    10 * S + (uint64_t)i * 50000);
	}
	ew_pipeline_tick(pl, 20 * S);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	ck_assert_ptr_nonnull(strstr(t, "\"kind\":[\"horizontal\"],\"hosts\":30,"));
	ck_assert_ptr_nonnull(strstr(t, "\"destination\":{\"ip\":\"198.18.4.10\",\"port\":445"));
	ck_assert_ptr_nonnull(strstr(t, "\"folded\":30"));
	stop();
}
END_TEST

/* 25 SSH connections to one host, each completed and allowed: the repeated-attempts
 * pattern; no policy alert at all. */
START_TEST(repeated_ssh_attempts)
{
	char *t;

	start("groups: { jump: { members: [198.18.9.5] }, db: { members: [198.18.3.10] } }\n"
	      "allow: [ { name: admin-ssh, from: jump, to: db, services: [tcp/22] } ]\n"
	      "default: { action: deny }\n");
	for (int i = 0; i < 25; i++) {
		uint64_t ts = 10 * S + (uint64_t)i * 200000;
		uint16_t sp = (uint16_t)(40000 + i);

		tcp("198.18.9.5", sp, "198.18.3.10", 22, EW_TH_SYN, NULL, ts);
		tcp("198.18.3.10", 22, "198.18.9.5", sp, EW_TH_SYN | EW_TH_ACK, NULL, ts + 100);
		tcp("198.18.9.5", sp, "198.18.3.10", 22, EW_TH_ACK, NULL, ts + 200);
	}
	ew_pipeline_tick(pl, 25 * S);
	ck_assert_uint_eq(alerts(), 1);
	t = alert_text();
	ck_assert_ptr_nonnull(strstr(t, "\"kind\":[\"repeated\"],"));
	ck_assert_ptr_nonnull(strstr(t, "\"attempts\":25,"));
	ck_assert_ptr_nonnull(strstr(t, "198.18.9.5 [jump] opened 25 connections to tcp/22 on "
				      "198.18.3.10 [db]"));
	stop();
}
END_TEST

/* A host that tries five forbidden services is no scanner: its five policy alerts are
 * held a moment, then sent. A disabled detector holds nothing. */
START_TEST(below_threshold_is_no_scan)
{
	start("default: { action: deny }\n");
	for (int i = 0; i < 5; i++)
		tcp("198.18.1.11", (uint16_t)(40000 + i), "198.18.3.10", (uint16_t)(8000 + i),
		    EW_TH_SYN, NULL, 10 * S + (uint64_t)i * S / 10);
	ew_pipeline_tick(pl, 12 * S);
	ck_assert_uint_eq(alerts(), 0);      /* held a moment ... */
	ew_pipeline_tick(pl, 30 * S);
	ck_assert_uint_eq(alerts(), 5);      /* ... and sent: no scan explains them */
	ck_assert_uint_eq(count_of(alert_text(), "\"action\":\"policy-violation\""), 5);
	ck_assert_uint_eq(count_of(alert_text(), "\"action\":\"scan\""), 0);
	stop();
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *t = tcase_create("pipeline");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, syn_flood_fills_the_table_permitted_sessions_stay_quiet);
	tcase_add_test(t, full_table_evicts_sessions_honestly);
	tcase_add_test(t, ssh_alerts_while_open);
	tcase_add_test(t, denied_whatever_the_app_alerts_with_evidence);
	tcase_add_test(t, held_alert_names_the_app);
	tcase_add_test(t, risk_alert_obsolete_ssh);
	tcase_add_test(t, silent_attempt_judged_at_deadline);
	tcase_add_test(t, waiting_before_speaking_is_no_way_around);
	tcase_add_test(t, many_waiting_flows_each_wait_their_second);
	tcase_add_test(t, waiting_past_the_bound_is_judged_early_and_counted);
	tcase_add_test(t, unpaired_records_past_the_bound_are_counted);
	tcase_add_test(t, infrastructure_is_not_judged);
	tcase_add_test(t, throttled_repeats);
	tcase_add_test(t, deadline_in_a_capture_gap);
	tcase_add_test(t, vertical_scan_folds_policy_alerts);
	tcase_add_test(t, horizontal_sweep);
	tcase_add_test(t, deny_rule_holds_on_the_port_when_dpi_disagrees);
	tcase_add_test(t, scan_does_not_hide_a_session);
	tcase_add_test(t, scan_does_not_hide_a_late_answered_session);
	tcase_add_test(t, repeated_ssh_attempts);
	tcase_add_test(t, below_threshold_is_no_scan);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(pipeline_suite)
