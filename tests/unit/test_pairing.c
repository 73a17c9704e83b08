/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/pairing: two directions become one flow with the right
 * initiator; lone records are oriented by flags and ports; the table is bounded. */
#include <string.h>

#include "analyzer/pairing.h"
#include "check_main.h"

#define S 1000000ULL

struct out {
	struct ew_flow f[16];
	int n;
};

static void take(void *arg, const struct ew_flow *f)
{
	struct out *o = arg;

	if (o->n < 16)
		o->f[o->n] = *f;
	o->n++;
}

static struct ew_flow rec(const char *s, uint16_t sp, const char *d, uint16_t dp, uint8_t flags,
			  uint32_t pkts, uint64_t first)
{
	struct ew_flow f;

	memset(&f, 0, sizeof(f));
	ew_addr_parse(&f.src, s);
	ew_addr_parse(&f.dst, d);
	f.sport = sp;
	f.dport = dp;
	f.proto = 6;
	f.tcp_flags[0] = flags;
	f.pkts[0] = pkts;
	f.bytes[0] = pkts * 100ULL;
	f.first_us = first;
	f.last_us = first + S;
	return f;
}

static int src_is(const struct ew_flow *f, const char *a)
{
	struct ew_addr x;

	ew_addr_parse(&x, a);
	return ew_addr_eq(&f->src, &x);
}

START_TEST(two_directions_one_flow)
{
	struct out o = { 0 };
	struct ew_pairing *p = ew_pairing_new(64, 2 * S, take, &o);
	/* the server's record arrives first; the client started 1 ms earlier */
	struct ew_flow srv = rec("198.18.3.10", 22, "198.18.1.11", 40000, 0x1b, 20, 10 * S + 1000);
	struct ew_flow cli = rec("198.18.1.11", 40000, "198.18.3.10", 22, 0x1b, 25, 10 * S);

	ew_pairing_add(p, &srv, EW_PAIR_ONE_WAY, 1, 100 * S);
	ck_assert_int_eq(o.n, 0);
	ew_pairing_add(p, &cli, EW_PAIR_ONE_WAY, 1, 100 * S + 10);
	ck_assert_int_eq(o.n, 1);
	ck_assert(src_is(&o.f[0], "198.18.1.11"));
	ck_assert_int_eq(o.f[0].dport, 22);
	ck_assert_uint_eq(o.f[0].pkts[0], 25);
	ck_assert_uint_eq(o.f[0].pkts[1], 20);
	ck_assert_uint_eq(o.f[0].first_us, 10 * S);
	ew_pairing_flush(p);
	ck_assert_int_eq(o.n, 1);
	ew_pairing_free(p);
}
END_TEST

START_TEST(same_start_ports_decide)
{
	struct out o = { 0 };
	struct ew_pairing *p = ew_pairing_new(64, 2 * S, take, &o);
	struct ew_flow a = rec("198.18.2.20", 8443, "198.18.1.11", 51000, 0x1b, 5, 10 * S);
	struct ew_flow b = rec("198.18.1.11", 51000, "198.18.2.20", 8443, 0x1b, 6, 10 * S);

	ew_pairing_add(p, &a, EW_PAIR_ONE_WAY, 1, 0);
	ew_pairing_add(p, &b, EW_PAIR_ONE_WAY, 1, 1);
	ck_assert_int_eq(o.n, 1);
	ck_assert(src_is(&o.f[0], "198.18.1.11"));
	ck_assert_int_eq(o.f[0].dport, 8443);
	ew_pairing_free(p);
}
END_TEST

START_TEST(lone_records_oriented)
{
	struct out o = { 0 };
	struct ew_pairing *p = ew_pairing_new(64, 2 * S, take, &o);
	/* a web server's replies alone: never the server opening a connection */
	struct ew_flow reply = rec("198.18.2.20", 443, "198.18.1.11", 50123, 0x1a, 9, 0);
	/* a SYN that got nothing back, between two high ports: the sender asked */
	struct ew_flow syn = rec("198.18.1.12", 50000, "198.18.2.20", 40000, 0x02, 1, 0);

	ew_pairing_add(p, &reply, EW_PAIR_ONE_WAY, 1, 0);
	ew_pairing_add(p, &syn, EW_PAIR_ONE_WAY, 1, 0);
	ck_assert_int_eq(o.n, 0);
	ew_pairing_expire(p, 2 * S);
	ck_assert_int_eq(o.n, 2);
	ck_assert(src_is(&o.f[0], "198.18.1.11"));
	ck_assert_int_eq(o.f[0].dport, 443);
	ck_assert_uint_eq(o.f[0].pkts[1], 9);     /* the replies are the responder's side */
	ck_assert(src_is(&o.f[1], "198.18.1.12"));
	ck_assert_int_eq(o.f[1].dport, 40000);
	ew_pairing_free(p);
}
END_TEST

START_TEST(biflows_pass_and_bound_holds)
{
	struct out o = { 0 };
	struct ew_pairing *p = ew_pairing_new(4, 100 * S, take, &o);
	struct ew_pairing_stats st;
	struct ew_flow b = rec("198.18.1.11", 40000, "198.18.3.10", 22, 0x1b, 5, 0);

	ew_pairing_add(p, &b, EW_PAIR_BIFLOW_SRC, 1, 0);
	ck_assert_int_eq(o.n, 1);
	/* a biflow whose exporter put the server first, and says nothing: ports decide */
	{
		struct ew_flow r = rec("198.18.3.10", 22, "198.18.9.5", 39220, 0x1b, 20, 0);

		r.pkts[1] = 22;
		ew_pairing_add(p, &r, EW_PAIR_BIFLOW, 1, 0);
		ck_assert_int_eq(o.n, 2);
		ck_assert(src_is(&o.f[1], "198.18.9.5"));
		ck_assert_int_eq(o.f[1].dport, 22);
		ck_assert_uint_eq(o.f[1].pkts[0], 22);
		o.n = 1;
	}
	for (uint16_t i = 0; i < 10; i++) {
		struct ew_flow f = rec("198.18.1.11", (uint16_t)(41000 + i), "198.18.3.10", 80, 0x1b, 1, 0);

		ew_pairing_add(p, &f, EW_PAIR_ONE_WAY, 1, i);
	}
	ew_pairing_stats(p, &st);
	ck_assert_uint_le(st.waiting, 4);
	ck_assert_uint_eq(st.evicted, 6);
	ck_assert_int_eq(o.n, 7);
	ew_pairing_flush(p);
	ck_assert_int_eq(o.n, 11);
	ew_pairing_free(p);
}
END_TEST

static Suite *pairing_suite(void)
{
	Suite *s = suite_create("pairing");
	TCase *t = tcase_create("pairing");

	tcase_add_test(t, two_directions_one_flow);
	tcase_add_test(t, same_start_ports_decide);
	tcase_add_test(t, lone_records_oriented);
	tcase_add_test(t, biflows_pass_and_bound_holds);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(pairing_suite)
