/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for daemon/workers: a scan whose probes land in different workers, with a
 * real session in the middle of it, gives the alerts one pipeline gives (the scan alert
 * with every probe folded, the session's alert on its own); a new policy reaches every
 * worker; a worker whose queue to the owner is full counts what it loses and goes on; the
 * owner is owed what a worker sent it until it takes it. */
#include "daemon/workers.h"
#include "daemon/workers_int.h"
#include "collector/decode_pkt.h"
#include "core/ew_ring.h"
#include "check_main.h"
#include "tmp_path.h"
#include "pktraw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define S 1000000ULL

static struct ew_classify *cls;
static struct ew_policy *pol;
static struct ew_sinkset *sinks;
static struct ew_conf *sinkdoc;
static struct ew_pipeline *owner;
static struct ew_workers *wk;
static struct ew_pipeline_conf pc;
static struct ew_cls_conf cc;
static char out[64];
static int judge_at_once;   /* judge_within 0 for the next start(): verdicts at the first packet */

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

static struct ew_policy *load(const char *text)
{
	struct ew_policy_opts o = { resolve, cls, NULL, NULL, 0 };
	struct ew_err err;
	struct ew_policy *p = ew_policy_load_mem("test.yaml", text, strlen(text), &o, &err);

	ck_assert_msg(p != NULL, "%s", err.msg);
	return p;
}

/* The owner with n workers (0: the owner alone, judging every packet itself). */
static void start(unsigned n, int replay)
{
	struct ew_err err;
	char yaml[200];

	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	pol = load("groups: { web: { members: [198.18.1.0/24, 'fd18::1:0/112'] },\n"
		   "          db: { members: [198.18.3.0/24, 'fd18::3:0/112'] } }\n"
		   "default: { action: deny }\n");
	ew_test_file(out, sizeof(out), "workers", NULL);
	snprintf(yaml, sizeof(yaml), "{type: file, path: \"%s\"}", out);
	ck_assert_int_eq(ew_conf_load_mem(&sinkdoc, "sink", yaml, strlen(yaml), &err), 0);
	sinks = ew_sinkset_new("test", NULL);
	ck_assert_int_eq(ew_sinkset_add(sinks, ew_conf_root(sinkdoc), NULL, &err), 0);
	ew_pipeline_conf_default(&pc);
	pc.sensor = "unit";
	memset(pc.risk_sev, EW_RISK_OFF, sizeof(pc.risk_sev));
	if (judge_at_once)
		pc.judge_within_us = 0;
	owner = ew_pipeline_new(&pc, cls, pol, sinks, &err);
	ck_assert_ptr_nonnull(owner);
	wk = NULL;
	if (n) {
		wk = ew_workers_new(n, &pc, &cc, pol, owner, replay, 0, &err);
		ck_assert_msg(wk != NULL, "%s", err.msg);
	}
}

static void stop(void)
{
	ew_workers_free(wk);
	ew_pipeline_free(owner);
	ew_sinkset_free(sinks);
	ew_conf_free(sinkdoc);
	ew_policy_free(pol);
	ew_classify_free(cls);
	unlink(out);
}

/* A frame built in p, at ts, to the workers (or the owner alone). */
static void feed(struct pb *p, uint64_t ts)
{
	struct ew_raw_pkt rp = pb_raw(p, ts);

	if (wk)
		ew_workers_packet(wk, &rp);
	else
		ew_pipeline_packet(owner, &rp);
}

static void tcp(const char *s, uint16_t sp, const char *d, uint16_t dp, uint8_t fl,
		const char *payload, uint64_t ts)
{
	struct pb p = { 0 };

	if (strchr(s, ':')) {
		pb_eth(&p, 0x86dd);
		pb_ipv6(&p, s, d, 6);
	} else {
		pb_eth(&p, 0x0800);
		pb_ipv4(&p, s, d, 6, 1, 0);
	}
	pb_tcp(&p, sp, dp, fl);
	if (payload)
		pb_payload(&p, payload);
	feed(&p, ts);
}

/* A horizontal SYN sweep of 40 hosts, each refusing; in the middle of it the scanner
 * opens a Redis session to another host (handshake, command, reply); over IPv4 or IPv6
 * (the owner is told of IPv4 flows in shorter messages). Returns the alerts written,
 * sorted. */
static char *sweep_with_session(unsigned workers, int v6)
{
	static char buf[1 << 16];
	const char *me = v6 ? "fd18::1:66" : "198.18.1.66";
	const char *r = v6 ? "fd18::3:200" : "198.18.3.200";
	char host[32], cmd[256];
	FILE *f;
	size_t n;

	start(workers, 1);
	for (int i = 0; i < 40; i++) {
		uint64_t ts = 10 * S + (uint64_t)i * 20000;

		snprintf(host, sizeof(host), v6 ? "fd18::3:%d" : "198.18.3.%d", 10 + i);
		tcp(me, (uint16_t)(40000 + i), host, 445, EW_TH_SYN, NULL, ts);
		tcp(host, 445, me, (uint16_t)(40000 + i), EW_TH_RST | EW_TH_ACK, NULL, ts + 200);
		if (i == 20) {
			tcp(me, 41000, r, 6379, EW_TH_SYN, NULL, ts + 300);
			tcp(r, 6379, me, 41000, EW_TH_SYN | EW_TH_ACK, NULL, ts + 400);
			tcp(me, 41000, r, 6379, EW_TH_ACK, NULL, ts + 500);
			tcp(me, 41000, r, 6379, EW_TH_ACK | EW_TH_PSH, "PING\r\n", ts + 600);
			tcp(r, 6379, me, 41000, EW_TH_ACK | EW_TH_PSH, "+PONG\r\n", ts + 700);
		}
	}
	/* time passes on the owner's side too: a packet of another flow much later */
	tcp(v6 ? "fd18::1:7" : "198.18.1.7", 50000, v6 ? "fd18::1:8" : "198.18.1.8", 80,
	    EW_TH_SYN, NULL, 30 * S);
	if (wk)
		ew_workers_end(wk);
	ew_pipeline_drain(owner);
	ew_pipeline_finish(owner);
	ew_sinkset_flush(sinks, 0);
	snprintf(cmd, sizeof(cmd), "sort %s", out);
	f = popen(cmd, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	return buf;
}

/* _i: the workers (2 - 4), IPv6 from 8 on */
START_TEST(scan_spread_over_workers_is_one_scan)
{
	unsigned nw = (unsigned)_i % 8;
	int v6 = _i >= 8;
	char *one = strdup(sweep_with_session(0, v6));
	unsigned used = 0;
	char *many;

	stop();
	many = sweep_with_session(nw, v6);
	for (unsigned i = 0; i < nw; i++) {
		struct ew_pipeline_stats st;

		ew_workers_stats(wk, i, &st);
		used += st.packets > 0;
	}
	ck_assert_uint_ge(used, 2);          /* the probes did land in different workers */
	/* the session is a denied flow too: one of the 41 hosts, but never folded */
	ck_assert_ptr_nonnull(strstr(one, "\"kind\":[\"horizontal\"],\"hosts\":41,"));
	ck_assert_ptr_nonnull(strstr(one, "\"folded\":40"));
	ck_assert_ptr_nonnull(strstr(one, "\"port\":6379"));   /* the session, on its own */
	ck_assert_ptr_nonnull(strstr(one, v6 ? "\"fd18::1:66\"" : "\"198.18.1.66\""));
	ck_assert_msg(strcmp(many, one) == 0, "%u workers, IPv%d: the alerts differ from one "
		      "pipeline's", nw, v6 ? 6 : 4);
	free(one);
	stop();
}
END_TEST

/* A new policy reaches every worker, busy or idle, before ew_workers_set_policy returns:
 * SYNs to 30 hosts under default deny alert; the same after the swap to allow do not.
 * (Judged at the first packet: a verdict that waits for nDPI is taken at its deadline
 * with the policy then in force, which would be the new one.) */
static unsigned count_alerts(void)
{
	FILE *f;
	unsigned n = 0;
	int ch;

	ew_sinkset_flush(sinks, 0);
	f = fopen(out, "r");
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

START_TEST(policy_reaches_every_worker)
{
	struct ew_policy *np;
	char host[32], src[32];

	judge_at_once = 1;
	start(3, 1);
	judge_at_once = 0;
	for (int i = 0; i < 30; i++) {      /* 30 sources, one flow each: no scan */
		snprintf(src, sizeof(src), "198.18.1.%d", 10 + i);
		snprintf(host, sizeof(host), "198.18.3.%d", 10 + i);
		tcp(src, 40000, host, 8080, EW_TH_SYN, NULL, 10 * S + (uint64_t)i);
	}
	np = load("default: { action: allow }\n");
	ew_workers_set_policy(wk, np);           /* returns once all three have it */
	for (int i = 0; i < 30; i++) {
		snprintf(src, sizeof(src), "198.18.1.%d", 10 + i);
		snprintf(host, sizeof(host), "198.18.4.%d", 10 + i);
		tcp(src, 40000, host, 8080, EW_TH_SYN, NULL, 11 * S + (uint64_t)i);
	}
	ew_workers_end(wk);
	ew_policy_free((struct ew_policy *)ew_pipeline_set_policy(owner, np));
	pol = np;
	ew_pipeline_drain(owner);
	ew_pipeline_finish(owner);
	ck_assert_uint_eq(count_alerts(), 30);   /* the first 30 only, each denied */
	stop();
}
END_TEST

/* Live, nothing waits for the owner: with no one taking, a worker's full ring loses
 * findings, counted. */
START_TEST(full_queue_is_counted_never_waits)
{
	struct ew_ring *r = ew_ring_new(4096);
	struct ew_pipeline *w;
	struct ew_pipeline_stats st;
	struct ew_err err;
	char host[32];

	start(0, 0);
	w = ew_pipeline_new_worker(&pc, cls, pol, r, 0, NULL, &err);
	ck_assert_ptr_nonnull(w);
	for (int i = 0; i < 200; i++) {
		struct pb p = { 0 };
		struct ew_raw_pkt rp = { 0 };

		snprintf(host, sizeof(host), "198.18.3.%d", i);
		pb_eth(&p, 0x0800);
		pb_ipv4(&p, "198.18.1.66", host, 6, 1, 0);
		pb_tcp(&p, 40000, 22, EW_TH_SYN);
		pb_done(&p);
		rp.ts_us = 10 * S + (uint64_t)i;
		rp.data = p.b;
		rp.caplen = rp.len = (uint32_t)p.n;
		rp.dlt = EW_DLT_EN10MB;
		ew_pipeline_packet(w, &rp);
	}
	ew_pipeline_finish(w);
	ew_pipeline_stats(w, &st);
	ck_assert_uint_eq(st.flows, 200);
	ck_assert_uint_gt(st.queue_full, 0);
	ew_pipeline_free(w);
	ew_ring_free(r);
	stop();
}
END_TEST

/* The owner is owed something once a worker has sent it more than marks (a probe seen,
 * an alert), and nothing once it took it all; live workers have an eventfd to wake the
 * owner with, replay ones none (their reader takes). */
START_TEST(owed_until_taken)
{
	struct ew_workers *live;
	struct ew_err err;
	int owed = 0;

	start(2, 1);
	ck_assert_int_eq(ew_workers_owner_fd(wk), -1);
	ck_assert_int_eq(ew_workers_preload(wk, 1u << 20), EW_OK);
	ck_assert_int_eq(ew_workers_owed(wk), 0);
	ck_assert_uint_eq(ew_workers_taken(wk), 0);
	tcp("198.18.1.66", 40000, "198.18.3.10", 22, EW_TH_SYN, NULL, 10 * S);
	ew_workers_go(wk);
	for (int i = 0; i < 500 && !owed; i++) {   /* the worker says so when it waits */
		owed = ew_workers_owed(wk);
		if (!owed)
			usleep(10000);
	}
	ck_assert_int_eq(owed, 1);
	ew_workers_end(wk);                           /* takes everything */
	ck_assert_int_eq(ew_workers_owed(wk), 0);
	ck_assert_uint_ge(ew_workers_taken(wk), 2);   /* the probe seen, the alert */
	ck_assert_uint_eq(count_alerts(), 1);        /* the SYN's, taken and sent */
	live = ew_workers_new(2, &pc, &cc, pol, owner, 0, 0, &err);
	ck_assert_msg(live != NULL, "%s", err.msg);
	ck_assert_int_ge(ew_workers_owner_fd(live), 0);
	ck_assert_int_eq(ew_workers_owed(live), 0);
	ew_workers_free(live);
	stop();
}
END_TEST

/* Live telemetry one worker's listener decoded for another: the record with its
 * application name (cut at 63 bytes) and the sample with its header bytes, each in the
 * ring as long as it needs and no longer, pointing into it. */
START_TEST(telemetry_handed_over_whole)
{
	struct ew_workers *live;
	struct ew_source_out o;
	struct ew_record r;
	struct ew_sflow_sample sm;
	struct pb p = { 0 };
	struct ew_err err;
	char name[100], ip[32];
	const struct x_rec *x;
	size_t len;
	int i;

	start(0, 0);
	live = ew_workers_new(2, &pc, &cc, pol, owner, 0, 0, &err);
	ck_assert_msg(live != NULL, "%s", err.msg);
	ck_assert_int_eq(ew_workers_route_telemetry(live), EW_OK);
	ew_workers_lane_out(live, 0, &o);
	memset(&r, 0, sizeof(r));
	r.has_flow = 1;
	ew_addr_parse(&r.f.dst, "198.18.2.1");
	for (i = 0; i < 256; i++) {         /* a pair that belongs to worker 1 */
		snprintf(ip, sizeof(ip), "198.18.1.%d", i);
		ew_addr_parse(&r.f.src, ip);
		if (ew_workers_lane_of_pair(live, &r.f.src, &r.f.dst) == 1)
			break;
	}
	ck_assert_int_lt(i, 256);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	r.app_name = name;
	o.record(o.arg, &r, 3, 10 * S);
	r.app_name = "ssh";
	o.record(o.arg, &r, 3, 10 * S);
	r.app_name = NULL;
	o.record(o.arg, &r, 3, 10 * S);

	pb_eth(&p, 0x0800);
	pb_ipv4(&p, ip, "198.18.2.1", 6, 1, 0);
	pb_tcp(&p, 40000, 22, EW_TH_SYN);
	pb_done(&p);
	memset(&sm, 0, sizeof(sm));
	sm.has_header = 1;
	sm.header_protocol = 1;
	sm.header = p.b;
	sm.header_len = (uint32_t)p.n;
	o.sample(o.arg, &sm, 4, 10 * S);

	x = ew_ring_peek(live->wk[1].xin[0], &len);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->type, X_RECORD);
	ck_assert_uint_eq(len, sizeof(*x) + 64);
	ck_assert_ptr_eq(x->u.r.app_name, (const char *)x->tail);
	ck_assert_uint_eq(strlen(x->u.r.app_name), 63);
	ck_assert(ew_addr_eq(&x->u.r.f.src, &r.f.src));
	ew_ring_release(live->wk[1].xin[0]);
	x = ew_ring_peek(live->wk[1].xin[0], &len);
	ck_assert_uint_eq(len, sizeof(*x) + 4);
	ck_assert_str_eq(x->u.r.app_name, "ssh");
	ew_ring_release(live->wk[1].xin[0]);
	x = ew_ring_peek(live->wk[1].xin[0], &len);
	ck_assert_uint_eq(len, sizeof(*x));
	ck_assert_ptr_null(x->u.r.app_name);
	ew_ring_release(live->wk[1].xin[0]);
	x = ew_ring_peek(live->wk[1].xin[0], &len);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(x->type, X_SAMPLE);
	ck_assert_uint_eq(len, sizeof(*x) + p.n);
	ck_assert_uint_eq(x->u.s.header_len, p.n);
	ck_assert_int_eq(memcmp(x->tail, p.b, p.n), 0);
	ck_assert_uint_eq(x->source_id, 4);
	ew_ring_release(live->wk[1].xin[0]);
	ck_assert_ptr_null(ew_ring_peek(live->wk[1].xin[0], &len));
	ew_workers_free(live);
	stop();
}
END_TEST

/* classify.max_active is the sensor's, like flows.max: each worker's nDPI holds its
 * share of the flows under inspection at once (each held all of it: N workers, N times
 * the memory). 4,000 UDP flows that nDPI cannot name, at once, over 2 workers with room
 * for 2,048. */
START_TEST(inspection_pool_shared_out)
{
	struct ew_cls_conf small;
	struct ew_err err;
	uint64_t peak = 0, overflow = 0;
	char src[32];

	start(0, 1);
	small = cc;
	small.max_active = 2048;
	wk = ew_workers_new(2, &pc, &small, pol, owner, 1, 0, &err);
	ck_assert_msg(wk != NULL, "%s", err.msg);
	for (int i = 0; i < 4000; i++) {
		struct pb p = { 0 };

		snprintf(src, sizeof(src), "198.18.%d.%d", 1 + i / 200, 1 + i % 200);
		pb_eth(&p, 0x0800);
		pb_ipv4(&p, src, "198.18.3.10", 17, 1, 0);
		pb_udp(&p, (uint16_t)(20000 + i), 40000);
		pb_payload(&p, "\x17\x2a\x91\x03 not a protocol nDPI knows");
		feed(&p, 10 * S + (uint64_t)i * 10);
	}
	ew_workers_end(wk);
	for (unsigned i = 0; i < 2; i++) {
		struct ew_cls_stats cs;

		ew_classify_stats(wk->wk[i].cls, &cs);
		ck_assert_uint_gt(cs.peak_active, 0);     /* both took flows */
		peak += cs.peak_active;
		overflow += cs.overflow;
	}
	ck_assert_uint_le(peak, 2048);
	ck_assert_uint_ge(overflow, 4000 - 2048);
	stop();
}
END_TEST

/* The export records waiting for their other direction likewise: both directions hash to
 * one worker, so each waits for its share of the sensor's (2 to 8 workers). */
START_TEST(pairing_shared_out)
{
	struct ew_err err;
	uint64_t cap = 0;

	start(0, 0);
	wk = ew_workers_new((unsigned)_i, &pc, &cc, pol, owner, 1, 0, &err);
	ck_assert_msg(wk != NULL, "%s", err.msg);
	for (int i = 0; i < _i; i++) {
		struct ew_pipeline_stats ws;

		ew_workers_stats(wk, (unsigned)i, &ws);
		ck_assert_uint_eq(ws.pairing_capacity, (EW_PAIRING_MAX + _i - 1) / (unsigned)_i);
		cap += ws.pairing_capacity;
	}
	ck_assert_uint_ge(cap, EW_PAIRING_MAX);
	ck_assert_uint_lt(cap, EW_PAIRING_MAX + (unsigned)_i);
	stop();
}
END_TEST

/* A ring in use keeps all of its memory: what the workers' rings may hold is one budget,
 * shared out, not a size each (32 workers would have kept 512 MB of rings to the owner
 * and 992 MB between telemetry listeners). */
START_TEST(rings_within_budget)
{
	static const unsigned ns[] = { 2, 3, 4, 8, 32 };

	ck_assert_uint_eq(ew_workers_ring_share(32u << 20, 2, 16u << 20, 1u << 20), 16u << 20);
	ck_assert_uint_eq(ew_workers_ring_share(32u << 20, 3, 16u << 20, 1u << 20), 8u << 20);
	ck_assert_uint_eq(ew_workers_ring_share(32u << 20, 1, 16u << 20, 1u << 20), 16u << 20);
	ck_assert_uint_eq(ew_workers_ring_share(32u << 20, 64, 16u << 20, 1u << 20), 1u << 20);
	ck_assert_uint_eq(ew_workers_ring_share(96u << 20, 992, 32u << 20, 64u << 10), 64u << 10);
	start(0, 0);
	for (size_t j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
		unsigned n = ns[j];
		size_t out_all = 0, x_all = 0, x_least = SIZE_MAX;
		struct ew_err err;
		struct ew_workers *w = ew_workers_new(n, &pc, &cc, pol, owner, 0, 0, &err);

		ck_assert_msg(w != NULL, "%s", err.msg);
		ck_assert_int_eq(ew_workers_route_telemetry(w), EW_OK);
		for (unsigned i = 0; i < n; i++) {
			out_all += ew_ring_capacity(w->wk[i].out);
			ck_assert_uint_ge(ew_ring_capacity(w->wk[i].out), 1u << 20);
			for (unsigned k = 0; k < n; k++) {
				size_t c;

				if (k == i)
					continue;
				c = ew_ring_capacity(w->wk[i].xin[k]);
				x_all += c;
				x_least = c < x_least ? c : x_least;
			}
		}
		ck_assert_uint_le(out_all, 32u << 20);
		ck_assert_uint_le(x_all, 96u << 20);
		ck_assert_uint_ge(x_least, 64u << 10);
		if (n == 2) {                 /* two workers: the sizes they always had */
			ck_assert_uint_eq(out_all, 32u << 20);
			ck_assert_uint_eq(x_all, 64u << 20);
		}
		ew_workers_free(w);
	}
	stop();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("workers");
	TCase *t = tcase_create("workers");

	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, scan_spread_over_workers_is_one_scan, 2, 5);
	tcase_add_loop_test(t, scan_spread_over_workers_is_one_scan, 10, 13);
	tcase_add_test(t, policy_reaches_every_worker);
	tcase_add_test(t, full_queue_is_counted_never_waits);
	tcase_add_test(t, owed_until_taken);
	tcase_add_test(t, telemetry_handed_over_whole);
	tcase_add_test(t, rings_within_budget);
	tcase_add_test(t, inspection_pool_shared_out);
	tcase_add_loop_test(t, pairing_shared_out, 2, 9);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
