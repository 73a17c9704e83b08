/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for daemon/analyze and daemon/estate_edges: a scan spread over three
 * sensors' records is one scan alert naming the three; one analyzer holding every partition raises the
 * alerts two holding half each raise, with the same ids; the offset safe to commit stays
 * behind an open scan window; records read again below the delivered mark raise
 * nothing; the estate's new-edge baseline (a real redis-server) reports an edge once
 * across analyzers, again only to the flow that first saw it, and not while learning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "tmp_path.h"
#include "daemon/analyze.h"
#include "redis_server.h"

static const char policy[] =
	"groups:\n"
	"  clients: { members: [198.18.2.0/24] }\n"
	"  servers: { members: [198.18.3.0/24, 198.18.4.0/24] }\n"
	"allow:\n"
	"  - { name: web, from: clients, to: servers, services: [tcp/80] }\n";

struct rig {
	struct ew_policy *pol;
	struct ew_pipeline_conf pc;
	struct ew_sinkset *sinks;
	struct ew_conf *doc;
	char out[64];
};

static void rig_open(struct rig *r)
{
	struct ew_policy_opts o = { 0 };
	struct ew_err err;
	char yaml[128];

	r->pol = ew_policy_load_mem("t.yaml", policy, sizeof(policy) - 1, &o, &err);
	ck_assert_msg(r->pol != NULL, "%s", err.msg);
	ew_pipeline_conf_default(&r->pc);
	r->pc.sensor = "unit-analyzer";
	r->pc.scan_enabled = 1;
	r->pc.scan.hosts = 4;
	ew_test_file(r->out, sizeof(r->out), "analyze", NULL);
	snprintf(yaml, sizeof(yaml), "{type: file, path: \"%s\"}", r->out);
	ck_assert_int_eq(ew_conf_load_mem(&r->doc, "sink", yaml, strlen(yaml), &err), 0);
	r->sinks = ew_sinkset_new("unit", NULL);
	ck_assert_int_eq(ew_sinkset_add(r->sinks, ew_conf_root(r->doc), NULL, &err), 0);
}

static void rig_close(struct rig *r)
{
	ew_sinkset_free(r->sinks);
	ew_conf_free(r->doc);
	ew_policy_free(r->pol);
	unlink(r->out);
}

static struct ew_analyze *analyzer(struct rig *r, struct ew_estate_edges *edges)
{
	struct ew_analyze_conf ac = { &r->pc, r->pol, edges, r->sinks };
	struct ew_analyze *a = ew_analyze_new(&ac);

	ck_assert_ptr_nonnull(a);
	return a;
}

/* The alerts written so far: how many of action, and their ids concatenated into ids. */
static int alerts(struct rig *r, const char *action, char *ids, size_t cap)
{
	FILE *f;
	char line[16384], want[64];
	int n = 0;

	ew_sinkset_flush(r->sinks, 1000);
	f = fopen(r->out, "r");
	ck_assert_ptr_nonnull(f);
	snprintf(want, sizeof(want), "\"action\":\"%s\"", action);
	if (ids)
		ids[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		const char *id = strstr(line, "\"alert_id\":\"");

		if (!strstr(line, want))
			continue;
		n++;
		if (ids && id)
			snprintf(ids + strlen(ids), cap - strlen(ids), "%.16s,", id + 12);
	}
	fclose(f);
	return n;
}

/* 1 when a line written so far contains s. */
static int contains(struct rig *r, const char *s)
{
	FILE *f = fopen(r->out, "r");
	char line[16384];
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, s) != NULL;
	fclose(f);
	return found;
}

/* A record: src -> dst:port at t seconds, seen by sensor; a refused probe (denied) or an
 * allowed session. */
static void rec(struct ew_flow_parsed *fp, const char *src, const char *dst, uint16_t port,
		uint64_t t, const char *sensor, int probe)
{
	memset(fp, 0, sizeof(*fp));
	ew_addr_parse(&fp->f.src, src);
	ew_addr_parse(&fp->f.dst, dst);
	fp->f.proto = 6;
	fp->f.sport = 40000;
	fp->f.dport = port;
	fp->f.first_us = 1700000000000000ULL + t * 1000000ULL;
	fp->f.last_us = fp->f.first_us + 1000;
	fp->f.pkts[0] = 1;
	fp->f.pkts[1] = probe ? 1 : 5;
	fp->f.tcp_flags[0] = probe ? EW_TH_SYN : EW_TH_SYN | EW_TH_ACK | EW_TH_PSH;
	fp->f.tcp_flags[1] = probe ? EW_TH_RST | EW_TH_ACK : EW_TH_SYN | EW_TH_ACK | EW_TH_PSH;
	fp->verdict = probe ? EW_FV_DENY : EW_FV_ALLOW;
	snprintf(fp->app, sizeof(fp->app), "%s", probe ? "Unknown" : "HTTP");
	snprintf(fp->port_app, sizeof(fp->port_app), "unknown");
	snprintf(fp->observer, sizeof(fp->observer), "%s", sensor);
	snprintf(fp->observer_type, sizeof(fp->observer_type), "pcap");
}

/* The stream: a scanner probing 6 hosts (two per sensor) amid clients' sessions, then a
 * quiet minute. Record i goes to partition part_of(source). */
static void feed(struct ew_analyze *a, int nparts, int64_t *offs)
{
	static const char *const hosts[] = { "198.18.3.10", "198.18.3.11", "198.18.4.10",
					     "198.18.4.11", "198.18.6.10", "198.18.6.11" };
	static const char *const sensors[] = { "span-a", "span-a", "span-b", "span-b",
					       "span-c", "span-c" };
	struct ew_flow_parsed fp;

	for (int i = 0; i < 6; i++) {
		rec(&fp, "198.18.2.20", "198.18.3.10", 80, (uint64_t)i, "span-a", 0);
		ck_assert_int_eq(ew_analyze_flow(a, 0 % nparts, offs[0 % nparts]++, &fp), EW_OK);
		rec(&fp, "198.18.5.66", hosts[i], 22, (uint64_t)i, sensors[i], 1);
		ck_assert_int_eq(ew_analyze_flow(a, 1 % nparts, offs[1 % nparts]++, &fp), EW_OK);
	}
	/* time goes on in both partitions: the scanner is quiet, its window reported */
	rec(&fp, "198.18.2.20", "198.18.3.10", 80, 70, "span-a", 0);
	ck_assert_int_eq(ew_analyze_flow(a, 0 % nparts, offs[0 % nparts]++, &fp), EW_OK);
	rec(&fp, "198.18.5.99", "198.18.3.10", 80, 70, "span-a", 0);
	ck_assert_int_eq(ew_analyze_flow(a, 1 % nparts, offs[1 % nparts]++, &fp), EW_OK);
}

START_TEST(scan_across_sensors_and_partitions)
{
	struct rig r;
	struct ew_analyze *one, *half0, *half1;
	int64_t offs[2] = { 0, 0 };
	char ids_one[256], ids_two[256];

	rig_open(&r);
	one = analyzer(&r, NULL);
	ew_analyze_assign(one, 0, 0);
	ew_analyze_assign(one, 1, 0);
	feed(one, 2, offs);
	ck_assert_int_eq(alerts(&r, "scan", ids_one, sizeof(ids_one)), 1);
	ck_assert_int_eq(contains(&r, "\"sensors\":[\"span-a\",\"span-b\",\"span-c\"]"), 1);
	ew_analyze_free(one);
	/* the same records, each partition with an analyzer of its own */
	half0 = analyzer(&r, NULL);
	half1 = analyzer(&r, NULL);
	ew_analyze_assign(half0, 0, 0);
	ew_analyze_assign(half1, 1, 0);
	offs[0] = offs[1] = 0;
	{
		struct ew_analyze *both[2] = { half0, half1 };
		static const char *const hosts[] = { "198.18.3.10", "198.18.3.11", "198.18.4.10",
						     "198.18.4.11", "198.18.6.10", "198.18.6.11" };
		struct ew_flow_parsed fp;

		for (int i = 0; i < 6; i++) {
			rec(&fp, "198.18.2.20", "198.18.3.10", 80, (uint64_t)i, "span-a", 0);
			ew_analyze_flow(both[0], 0, offs[0]++, &fp);
			rec(&fp, "198.18.5.66", hosts[i], 22, (uint64_t)i, "span-b", 1);
			ew_analyze_flow(both[1], 1, offs[1]++, &fp);
		}
		rec(&fp, "198.18.2.20", "198.18.3.10", 80, 70, "span-a", 0);
		ew_analyze_flow(both[0], 0, offs[0]++, &fp);
		rec(&fp, "198.18.5.99", "198.18.3.10", 80, 70, "span-a", 0);
		ew_analyze_flow(both[1], 1, offs[1]++, &fp);
	}
	ck_assert_int_eq(alerts(&r, "scan", ids_two, sizeof(ids_two)), 2);
	/* the second scan alert is the first's, id for id */
	ck_assert_int_eq(strncmp(ids_two + 17, ids_one, 17), 0);
	ew_analyze_free(half0);
	ew_analyze_free(half1);
	rig_close(&r);
}
END_TEST

START_TEST(safe_offset_and_done_mark)
{
	struct rig r;
	struct ew_analyze *a;
	struct ew_flow_parsed fp;
	int64_t resume, done, offs[2] = { 0, 0 };

	rig_open(&r);
	a = analyzer(&r, NULL);
	ew_analyze_assign(a, 0, 0);
	ck_assert_int_eq(ew_analyze_safe(a, 0, &resume, &done), -1);   /* nothing read */
	ck_assert_int_eq(ew_analyze_safe(a, 1, &resume, &done), -1);   /* not held */
	for (int i = 0; i < 3; i++) {   /* a window opens at offset 0 */
		rec(&fp, "198.18.5.66", "198.18.3.10", (uint16_t)(22 + i), (uint64_t)i, "s", 1);
		ew_analyze_flow(a, 0, i, &fp);
	}
	ck_assert_int_eq(ew_analyze_safe(a, 0, &resume, &done), 0);
	ck_assert_int_eq(resume, 0);    /* behind the open window */
	ck_assert_int_eq(done, 3);
	rec(&fp, "198.18.2.20", "198.18.3.10", 80, 200, "s", 0);   /* minutes later */
	ew_analyze_flow(a, 0, 3, &fp);
	ck_assert_int_eq(ew_analyze_safe(a, 0, &resume, &done), 0);
	ck_assert_int_eq(resume, 3);    /* the window is over: nothing to keep */
	ck_assert_int_eq(done, 4);
	ew_analyze_free(a);
	/* taken over with alerts delivered below 100: the scan read again is not raised */
	a = analyzer(&r, NULL);
	ew_analyze_assign(a, 0, 100);
	ew_analyze_assign(a, 1, 100);
	feed(a, 2, offs);
	ck_assert_int_eq(alerts(&r, "scan", NULL, 0), 0);
	ew_analyze_free(a);
	rig_close(&r);
}
END_TEST

START_TEST(estate_edges_once)
{
	struct redis_server rs;
	struct ew_estate_edges *x, *y, *z, *l;
	struct ew_err err;
	struct rig r;
	struct ew_analyze *a;
	struct ew_flow_parsed fp;

	if (redis_server_start(&rs) != 0) {
		redis_server_stop(&rs);
		ck_abort_msg("redis-server did not start");
	}
	x = ew_estate_edges_open(rs.addr, "t", 0, 1000, &err);
	y = ew_estate_edges_open(rs.addr, "t", 0, 1000, &err);
	z = ew_estate_edges_open(rs.addr, "t", 0, 1000, &err);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	ck_assert_int_eq(ew_estate_edges_seen(x, "web", "db", 6, 5432, 100, "0:7"), 1);
	ck_assert_int_eq(ew_estate_edges_seen(x, "web", "db", 6, 5432, 101, "0:8"), 0);
	ck_assert_int_eq(ew_estate_edges_seen(y, "web", "db", 6, 5432, 102, "1:3"), 0);
	/* the flow that first saw it, read again by another analyzer: reported again */
	ck_assert_int_eq(ew_estate_edges_seen(z, "web", "db", 6, 5432, 100, "0:7"), 1);
	ck_assert_int_eq(ew_estate_edges_seen(y, "web", "db", 17, 5432, 103, "1:4"), 1);
	/* a learning estate records quietly, and the learning start is the estate's */
	l = ew_estate_edges_open(rs.addr, "learning", 3600000000ULL, 1000, &err);
	ck_assert_int_eq(ew_estate_edges_seen(l, "a", "b", 6, 22, 5000000, "0:1"), 0);
	ck_assert_int_eq(ew_estate_edges_seen(l, "a", "b", 6, 23, 6000000, "0:2"), 0);
	ew_estate_edges_free(l);
	l = ew_estate_edges_open(rs.addr, "learning", 3600000000ULL, 1000, &err);
	ck_assert_int_eq(ew_estate_edges_seen(l, "a", "b", 6, 22, 3700000000ULL, "0:9"), 0);
	ck_assert_int_eq(ew_estate_edges_seen(l, "a", "b", 6, 26, 3604000000ULL, "0:10"), 0);
	ck_assert_int_eq(ew_estate_edges_seen(l, "a", "b", 6, 24, 3700000000ULL, "0:11"), 1);
	ew_estate_edges_free(l);
	/* through the analyzer: an allowed flow's edge, once, named by the policy's groups */
	rig_open(&r);
	a = analyzer(&r, x);
	ew_analyze_assign(a, 0, 0);
	rec(&fp, "198.18.2.20", "198.18.3.10", 80, 1, "span-a", 0);
	ew_analyze_flow(a, 0, 0, &fp);
	rec(&fp, "198.18.2.21", "198.18.4.10", 80, 2, "span-b", 0);
	ew_analyze_flow(a, 0, 1, &fp);
	ck_assert_int_eq(alerts(&r, "new-edge", NULL, 0), 1);
	/* Redis gone: the record is refused, to be given again */
	redis_server_stop(&rs);
	rec(&fp, "198.18.2.20", "198.18.3.10", 81, 3, "span-a", 0);
	ck_assert_int_eq(ew_analyze_flow(a, 0, 2, &fp), EW_E_IO);
	ew_analyze_free(a);
	rig_close(&r);
	ew_estate_edges_free(x);
	ew_estate_edges_free(y);
	ew_estate_edges_free(z);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("analyze");
	TCase *t = tcase_create("analyze");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, scan_across_sensors_and_partitions);
	tcase_add_test(t, safe_offset_and_done_mark);
	tcase_add_test(t, estate_edges_once);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
