/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for alerting/throttle: one message per incident and window, the count
 * carried by the next one, and the key bound. */
#include "alerting/throttle.h"
#include "check_main.h"

#define S 1000000ULL

START_TEST(repeats_counted_then_carried)
{
	struct ew_throttle *t = ew_throttle_new(60 * S, 100);
	struct ew_addr a, b;
	uint64_t r;

	ew_addr_parse(&a, "198.18.1.1");
	ew_addr_parse(&b, "198.18.3.10");
	ck_assert_int_eq(ew_throttle_check(t, "default", &a, &b, 22, 0, &r), 1);
	ck_assert_uint_eq(r, 0);
	for (int i = 1; i <= 5; i++)
		ck_assert_int_eq(ew_throttle_check(t, "default", &a, &b, 22, (uint64_t)i * S, &r), 0);
	/* another port, rule or destination is another incident */
	ck_assert_int_eq(ew_throttle_check(t, "default", &a, &b, 23, 6 * S, &r), 1);
	ck_assert_int_eq(ew_throttle_check(t, "ssh", &a, &b, 22, 6 * S, &r), 1);
	ck_assert_int_eq(ew_throttle_check(t, "default", &b, &a, 22, 6 * S, &r), 1);
	/* after the window: sent, with the count */
	ck_assert_int_eq(ew_throttle_check(t, "default", &a, &b, 22, 61 * S, &r), 1);
	ck_assert_uint_eq(r, 5);
	ck_assert_int_eq(ew_throttle_check(t, "default", &a, &b, 22, 62 * S, &r), 0);
	ew_throttle_free(t);
}
END_TEST

START_TEST(bounded_keys)
{
	struct ew_throttle *t = ew_throttle_new(60 * S, 10);
	struct ew_throttle_stats st;
	struct ew_addr a, b;
	uint64_t r;

	ew_addr_parse(&a, "198.18.1.1");
	ew_addr_parse(&b, "198.18.3.10");
	for (uint16_t p = 0; p < 1000; p++)
		ck_assert_int_eq(ew_throttle_check(t, "default", &a, &b, p, 0, &r), 1);
	ew_throttle_stats(t, &st);
	ck_assert_uint_le(st.keys, 10);
	ck_assert_uint_eq(st.evicted, 990);
	ew_throttle_free(t);
}
END_TEST

START_TEST(window_zero_disables)
{
	struct ew_throttle *t = ew_throttle_new(0, 10);
	struct ew_addr a;
	uint64_t r;

	ew_addr_parse(&a, "198.18.1.1");
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(ew_throttle_check(t, "x", &a, &a, 1, 0, &r), 1);
	ew_throttle_free(t);
}
END_TEST

static Suite *throttle_suite(void)
{
	Suite *s = suite_create("throttle");
	TCase *t = tcase_create("throttle");

	tcase_add_test(t, repeats_counted_then_carried);
	tcase_add_test(t, bounded_keys);
	tcase_add_test(t, window_zero_disables);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(throttle_suite)
