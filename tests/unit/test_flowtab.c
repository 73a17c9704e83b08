/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/flowtab: both directions, initiators, TCP state, timeouts,
 * active reports and eviction at the bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/flowtab.h"
#include "check_main.h"

#define S 1000000ULL

struct ended {
	int finals, actives;
	int last_reason;
	uint32_t last_pkts0, last_pkts1;
	struct ew_addr last_src;
};

static void on_end(void *arg, struct ew_ft_entry *e, int final)
{
	struct ended *x = arg;

	if (final) {
		x->finals++;
		x->last_reason = e->f.end_reason;
		x->last_pkts0 = e->f.pkts[0];
		x->last_pkts1 = e->f.pkts[1];
		x->last_src = e->f.src;
	} else {
		x->actives++;
	}
}

static struct ew_flow_pkt pkt(const char *src, uint16_t sp, const char *dst, uint16_t dp,
			      uint8_t proto, uint8_t flags)
{
	struct ew_flow_pkt p;

	memset(&p, 0, sizeof(p));
	ew_addr_parse(&p.src, src);
	ew_addr_parse(&p.dst, dst);
	p.sport = sp;
	p.dport = dp;
	p.proto = proto;
	p.tcp_flags = flags;
	p.ip_len = 60;
	return p;
}

static struct ew_flowtab *table(struct ended *x, uint32_t max)
{
	struct ew_ft_conf c;

	ew_ft_conf_default(&c);
	c.max_flows = max;
	c.seed = 1;
	return ew_flowtab_new(&c, on_end, x);
}

START_TEST(both_directions_one_flow)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 100);
	struct ew_flow_pkt syn = pkt("198.18.1.1", 40000, "198.18.2.1", 22, 6, EW_TH_SYN);
	struct ew_flow_pkt sa = pkt("198.18.2.1", 22, "198.18.1.1", 40000, 6, EW_TH_SYN | EW_TH_ACK);
	struct ew_flow_pkt ack = pkt("198.18.1.1", 40000, "198.18.2.1", 22, 6, EW_TH_ACK);
	struct ew_ft_entry *e1, *e2, *e3;
	int dir, created;

	e1 = ew_flowtab_packet(ft, &syn, 1 * S, &dir, &created);
	ck_assert_int_eq(created, 1);
	ck_assert_int_eq(dir, 0);
	e2 = ew_flowtab_packet(ft, &sa, 1 * S + 10, &dir, &created);
	ck_assert_ptr_eq(e1, e2);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(dir, 1);
	e3 = ew_flowtab_packet(ft, &ack, 1 * S + 20, &dir, &created);
	ck_assert_ptr_eq(e1, e3);
	ck_assert(e3->tcp & EW_TCP_EST);
	ck_assert_uint_eq(e3->f.pkts[0], 2);
	ck_assert_uint_eq(e3->f.pkts[1], 1);
	ck_assert_uint_eq(e3->f.bytes[0], 120);
	ck_assert_int_eq(e3->f.dport, 22);
	ew_flowtab_free(ft);
}
END_TEST

START_TEST(initiator_from_synack_and_ports)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 100);
	struct ew_flow_pkt sa = pkt("198.18.2.1", 22, "198.18.1.1", 40000, 6, EW_TH_SYN | EW_TH_ACK);
	struct ew_flow_pkt dns = pkt("198.18.2.1", 53, "198.18.1.1", 33333, 17, 0);
	struct ew_flow_pkt mid = pkt("198.18.2.1", 6379, "198.18.1.1", 51000, 6, EW_TH_ACK);
	struct ew_ft_entry *e;
	int dir, created;
	struct ew_addr client;

	ew_addr_parse(&client, "198.18.1.1");
	e = ew_flowtab_packet(ft, &sa, S, &dir, &created);
	ck_assert(ew_addr_eq(&e->f.src, &client));   /* the SYN-ACK's receiver initiated */
	ck_assert_int_eq(e->f.dport, 22);
	ck_assert_int_eq(dir, 1);
	e = ew_flowtab_packet(ft, &dns, S, &dir, &created);
	ck_assert(ew_addr_eq(&e->f.src, &client));   /* reply seen first: ports decide */
	ck_assert_int_eq(e->f.dport, 53);
	e = ew_flowtab_packet(ft, &mid, S, &dir, &created);
	ck_assert(ew_addr_eq(&e->f.src, &client));   /* mid-stream from a service port */
	ck_assert_int_eq(e->f.dport, 6379);
	ew_flowtab_free(ft);
}
END_TEST

START_TEST(late_syn_corrects_a_guess)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 100);
	/* Mid-stream data between two high ports: the guess makes 40000 the client... */
	struct ew_flow_pkt d = pkt("198.18.2.1", 40001, "198.18.1.1", 40000, 6, EW_TH_ACK);
	/* ... then a fresh SYN from the other side settles it. */
	struct ew_flow_pkt syn = pkt("198.18.1.1", 40000, "198.18.2.1", 40001, 6, EW_TH_SYN);
	struct ew_ft_entry *e;
	int dir, created;
	struct ew_addr a;

	e = ew_flowtab_packet(ft, &d, S, &dir, &created);
	ew_addr_parse(&a, "198.18.2.1");
	ck_assert(ew_addr_eq(&e->f.src, &a));
	e = ew_flowtab_packet(ft, &syn, S + 1, &dir, &created);
	ew_addr_parse(&a, "198.18.1.1");
	ck_assert(ew_addr_eq(&e->f.src, &a));
	ck_assert_int_eq(dir, 0);
	ck_assert_uint_eq(e->f.pkts[1], 1);         /* the first packet moved with it */
	ew_flowtab_free(ft);
}
END_TEST

START_TEST(timeouts_by_state)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 100);
	struct ew_flow_pkt syn = pkt("198.18.1.1", 40000, "198.18.2.1", 80, 6, EW_TH_SYN);
	struct ew_flow_pkt rst = pkt("198.18.2.1", 80, "198.18.1.1", 40000, 6, EW_TH_RST | EW_TH_ACK);
	struct ew_flow_pkt udp = pkt("198.18.1.1", 40000, "198.18.2.1", 53, 17, 0);
	struct ew_flowtab_stats st;
	int dir, created;

	ew_flowtab_packet(ft, &syn, 0, &dir, &created);
	ew_flowtab_packet(ft, &rst, 1, &dir, &created);
	ew_flowtab_packet(ft, &udp, 0, &dir, &created);
	ew_flowtab_expire(ft, 9 * S);
	ck_assert_int_eq(x.finals, 0);
	ew_flowtab_expire(ft, 11 * S);               /* closed TCP: 10 s */
	ck_assert_int_eq(x.finals, 1);
	ck_assert_int_eq(x.last_reason, EW_END_RST);
	ew_flowtab_expire(ft, 59 * S);
	ck_assert_int_eq(x.finals, 1);
	ew_flowtab_expire(ft, 61 * S);               /* UDP: 60 s */
	ck_assert_int_eq(x.finals, 2);
	ck_assert_int_eq(x.last_reason, EW_END_IDLE);
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.live, 0);
	ck_assert_uint_eq(st.expired, 2);
	ew_flowtab_free(ft);
}
END_TEST

START_TEST(active_timeout_reports_and_keeps)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 100);
	struct ew_flow_pkt d = pkt("198.18.1.1", 40000, "198.18.2.1", 5432, 6, EW_TH_ACK);
	struct ew_ft_entry *e = NULL, *e2;
	int dir, created;

	for (uint64_t t = 0; t <= 1900; t += 100)
		e2 = ew_flowtab_packet(ft, &d, t * S, &dir, &created), e = e ? e : e2;
	ck_assert_int_eq(x.actives, 1);
	ck_assert_int_eq(x.finals, 0);
	ck_assert_uint_eq(e->f.pkts[0], 2);          /* counters restarted at 1800 s */
	ew_flowtab_free(ft);
}
END_TEST

START_TEST(bound_evicts_oldest)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 8);
	struct ew_flowtab_stats st;
	int dir, created;

	for (uint16_t i = 0; i < 100; i++) {
		struct ew_flow_pkt p = pkt("198.18.1.1", (uint16_t)(40000 + i), "198.18.2.1", 80, 6,
					   EW_TH_SYN);

		ew_flowtab_packet(ft, &p, i, &dir, &created);
		ck_assert_int_eq(created, 1);
	}
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.live, 8);
	ck_assert_uint_eq(st.evicted, 92);
	ck_assert_int_eq(x.last_reason, EW_END_EVICTED);
	ck_assert_int_eq(x.finals, 92);
	ew_flowtab_flush(ft, EW_END_SHUTDOWN);
	ck_assert_int_eq(x.finals, 100);
	ck_assert_int_eq(x.last_reason, EW_END_SHUTDOWN);
	ew_flowtab_free(ft);
}
END_TEST

/* One established session whose ports mislead the heuristic: the client's source port
 * 9000 is a common service port, the server's 45000 is ephemeral. */
static void session(struct ew_flowtab *ft, int k, uint64_t ts)
{
	char c[32], s[32];
	struct ew_flow_pkt p[3];
	int dir, created;

	snprintf(c, sizeof(c), "198.18.1.%d", k);
	snprintf(s, sizeof(s), "198.18.2.%d", k);
	p[0] = pkt(c, 9000, s, 45000, 6, EW_TH_SYN);
	p[1] = pkt(s, 45000, c, 9000, 6, EW_TH_SYN | EW_TH_ACK);
	p[2] = pkt(c, 9000, s, 45000, 6, EW_TH_ACK);
	for (int i = 0; i < 3; i++)
		ew_flowtab_packet(ft, &p[i], ts + (uint64_t)i, &dir, &created);
}

/* A data packet of session k from its server; returns the flow's initiator octet. */
static int server_speaks(struct ew_flowtab *ft, int k, uint64_t ts, int *created)
{
	char c[32], s[32];
	struct ew_flow_pkt p;
	struct ew_ft_entry *e;
	int dir;

	snprintf(c, sizeof(c), "198.18.1.%d", k);
	snprintf(s, sizeof(s), "198.18.2.%d", k);
	p = pkt(s, 45000, c, 9000, 6, EW_TH_ACK | EW_TH_PSH);
	e = ew_flowtab_packet(ft, &p, ts, &dir, created);
	return e->f.src.a[14];
}

/* A random-tuple SYN flood that fills the table evicts its own half-open flows, never
 * the established sessions sharing the table. */
START_TEST(syn_flood_spares_established)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 64);
	struct ew_flowtab_stats st;
	int created;

	for (int k = 1; k <= 20; k++)
		session(ft, k, 1 * S + (uint64_t)k * 10);
	for (uint32_t i = 0; i < 10000; i++) {
		struct ew_flow_pkt p;
		char a[32];
		int dir, c;

		snprintf(a, sizeof(a), "198.19.%u.%u", (i >> 8) & 255, i & 255);
		p = pkt(a, (uint16_t)(1024 + i), "198.18.2.1", (uint16_t)(i % 60000 + 1), 6, EW_TH_SYN);
		ew_flowtab_packet(ft, &p, 2 * S + i, &dir, &c);
	}
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_gt(st.evicted, 9000);
	ck_assert_uint_eq(st.evicted_answered, 0);
	for (int k = 1; k <= 20; k++) {
		ck_assert_int_eq(server_speaks(ft, k, 3 * S, &created), 1);   /* 198.18.1.k */
		ck_assert_int_eq(created, 0);
	}
	ew_flowtab_free(ft);
}
END_TEST

/* An established session pushed out of a full table by other established sessions is
 * picked up again mid-stream with its initiator from memory, not from its ports. */
START_TEST(evicted_session_keeps_its_initiator)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 16);
	struct ew_flowtab_stats st;
	int created;

	session(ft, 1, 1 * S);
	for (int k = 2; k <= 40; k++)
		session(ft, k, 2 * S + (uint64_t)k * 10);
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_gt(st.evicted_answered, 0);
	ck_assert_int_eq(server_speaks(ft, 1, 3 * S, &created), 1);
	ck_assert_int_eq(created, 1);
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.remembered, 1);
	ew_flowtab_free(ft);
}
END_TEST

/* The buckets grow as flows come (moving a few chains per new flow): every flow is
 * found again, both ways, before, while and after its chain moves, and flows closed
 * mid-move leave their chains intact. */
#define GROW_FLOWS 20000
START_TEST(buckets_grow_and_every_flow_stays_found)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 100000);
	struct ew_flowtab_stats st;
	struct ew_ft_entry **seen = calloc(GROW_FLOWS, sizeof(*seen));
	struct ew_flow_pkt *fwd = calloc(GROW_FLOWS, sizeof(*fwd)), *rev = calloc(GROW_FLOWS, sizeof(*rev));
	char a[64];
	int dir, created;

	ck_assert_ptr_nonnull(seen);
	ck_assert_ptr_nonnull(fwd);
	ck_assert_ptr_nonnull(rev);
	for (uint32_t n = 0; n < GROW_FLOWS; n++) {
		snprintf(a, sizeof(a), "198.18.%u.%u", n >> 8, n & 255);
		fwd[n] = pkt(a, (uint16_t)(1024 + n % 5000), "198.19.0.1", 80, 17, 0);
		rev[n] = pkt("198.19.0.1", 80, a, (uint16_t)(1024 + n % 5000), 17, 0);
	}
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.buckets, EW_FT_FIRST_BUCKETS);
	for (uint32_t n = 0; n < GROW_FLOWS; n++) {
		seen[n] = ew_flowtab_packet(ft, &fwd[n], 1 * S + n, &dir, &created);
		ck_assert_int_eq(created, 1);
		/* the flows just before and a spread of older ones: still there, answered */
		for (uint32_t k = n > 4 ? n - 4 : 0; k <= n; k++) {
			ck_assert_ptr_eq(ew_flowtab_packet(ft, &rev[k], 1 * S + n, &dir, &created), seen[k]);
			ck_assert_int_eq(created, 0);
			ck_assert_int_eq(dir, 1);
		}
		for (uint32_t k = n % 1999; k + 4 < n; k += 1999)
			ck_assert_ptr_eq(ew_flowtab_packet(ft, &rev[k], 1 * S + n, &dir, &created), seen[k]);
	}
	ew_flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.live, GROW_FLOWS);
	ck_assert_uint_eq(st.resizes, 2);   /* 1,024 to 16,384 to 262,144 */
	ck_assert_uint_ge(st.buckets, 2 * GROW_FLOWS);
	/* UDP flows idle past 60 s close; then a new flow of every old tuple is new */
	ew_flowtab_expire(ft, 100 * S);
	ck_assert_int_eq(x.finals, GROW_FLOWS);
	for (uint32_t n = 0; n < GROW_FLOWS; n += 7) {
		ew_flowtab_packet(ft, &fwd[n], 200 * S, &dir, &created);
		ck_assert_int_eq(created, 1);
	}
	free(seen);
	free(fwd);
	free(rev);
	ew_flowtab_free(ft);
}
END_TEST

START_TEST(icmp_echo_pairs)
{
	struct ended x = { 0 };
	struct ew_flowtab *ft = table(&x, 8);
	struct ew_flow_pkt req = pkt("198.18.9.5", 8, "198.18.1.1", 0, 1, 0);
	struct ew_flow_pkt rep = pkt("198.18.1.1", 8, "198.18.9.5", 0, 1, 0);
	struct ew_flow_pkt other = pkt("198.18.9.5", 8, "198.18.1.1", 0, 1, 0);
	struct ew_ft_entry *a, *b, *c;
	int dir, created;

	req.key_extra = rep.key_extra = 77;
	rep.icmp_reply = 1;
	other.key_extra = 78;
	a = ew_flowtab_packet(ft, &req, 0, &dir, &created);
	b = ew_flowtab_packet(ft, &rep, 1, &dir, &created);
	ck_assert_ptr_eq(a, b);
	ck_assert_int_eq(dir, 1);
	c = ew_flowtab_packet(ft, &other, 2, &dir, &created);
	ck_assert_ptr_ne(a, c);                      /* another ping session */
	ew_flowtab_free(ft);
}
END_TEST

static Suite *flowtab_suite(void)
{
	Suite *s = suite_create("flowtab");
	TCase *t = tcase_create("flowtab");

	tcase_add_test(t, both_directions_one_flow);
	tcase_add_test(t, initiator_from_synack_and_ports);
	tcase_add_test(t, late_syn_corrects_a_guess);
	tcase_add_test(t, timeouts_by_state);
	tcase_add_test(t, active_timeout_reports_and_keeps);
	tcase_add_test(t, bound_evicts_oldest);
	tcase_add_test(t, icmp_echo_pairs);
	tcase_add_test(t, buckets_grow_and_every_flow_stays_found);
	tcase_add_test(t, syn_flood_spares_established);
	tcase_add_test(t, evicted_session_keeps_its_initiator);
	tcase_set_timeout(t, 30);          /* 20,000 flows and 200,000 lookups under ASan */
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(flowtab_suite)
