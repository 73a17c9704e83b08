/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/frag: later fragments find their flow, and a hostile
 * fragment stream cannot grow anything. */
#include "check_main.h"
#include "collector/frag.h"
#include "pktbuild.h"

static struct ew_pkt decoded(struct pb *p)
{
	struct ew_pkt k;

	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p->b, (uint32_t)p->n), 0);
	return k;
}

START_TEST(later_fragment_gets_ports)
{
	struct ew_frag *f = ew_frag_new(64, 30000000);
	struct pb a = { 0 }, b = { 0 };
	struct ew_pkt first, later;
	struct ew_frag_stats st;

	pb_eth(&a, 0x0800);
	pb_ipv4(&a, "198.18.1.1", "198.18.2.1", 17, 99, 0x2000);
	pb_udp(&a, 5000, 53);
	pb_done(&a);
	pb_eth(&b, 0x0800);
	pb_ipv4(&b, "198.18.1.1", "198.18.2.1", 17, 99, 0x0010);
	pb_payload(&b, "tail");
	pb_done(&b);
	first = decoded(&a);
	later = decoded(&b);
	ck_assert_int_eq(ew_frag_track(f, &later, 1), 0);        /* before its first: unknown */
	ck_assert_int_eq(later.kind, EW_PKT_FRAG);
	ck_assert_int_eq(ew_frag_track(f, &first, 2), 0);
	ck_assert_int_eq(ew_frag_track(f, &later, 3), 1);
	ck_assert_int_eq(later.kind, EW_PKT_FLOW);
	ck_assert_int_eq(later.k.sport, 5000);
	ck_assert_int_eq(later.k.dport, 53);
	later = decoded(&b);
	ck_assert_int_eq(ew_frag_track(f, &later, 40000000), 0); /* past the TTL */
	ew_frag_stats(f, &st);
	ck_assert_uint_eq(st.first, 1);
	ck_assert_uint_eq(st.matched, 1);
	ck_assert_uint_eq(st.unmatched, 2);
	ew_frag_free(f);
}
END_TEST

START_TEST(flood_only_overwrites)
{
	struct ew_frag *f = ew_frag_new(16, 30000000);
	struct ew_frag_stats st;

	for (uint32_t i = 0; i < 10000; i++) {
		struct pb a = { 0 };
		struct ew_pkt k;

		pb_eth(&a, 0x0800);
		pb_ipv4(&a, "198.18.1.1", "198.18.2.1", 17, (uint16_t)i, 0x2000);
		pb_udp(&a, 1, 2);
		pb_done(&a);
		k = decoded(&a);
		ew_frag_track(f, &k, 1);
	}
	ew_frag_stats(f, &st);
	ck_assert_uint_eq(st.first, 10000);
	ck_assert_uint_ge(st.overwritten, 10000 - 16);
	ew_frag_free(f);
}
END_TEST

static Suite *frag_suite(void)
{
	Suite *s = suite_create("frag");
	TCase *t = tcase_create("frag");

	tcase_add_test(t, later_fragment_gets_ports);
	tcase_add_test(t, flood_only_overwrites);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(frag_suite)
