/* SPDX-License-Identifier: Apache-2.0 */
/* test_throttle_redis - one alert per incident across sensors, through a real
 * redis-server: two sensors offering the same incident send it once; another incident,
 * or the same one in the next window, is sent again; an unreachable or stopped Redis
 * lets every alert through (fail open) and counts it. */
#include <string.h>

#include "alerting/throttle_redis.h"
#include "check_main.h"
#include "redis_server.h"

static struct redis_server rs;

static void setup(void)
{
	ck_assert_msg(redis_server_start(&rs) == 0, "redis-server did not start");
}

static void teardown(void)
{
	redis_server_stop(&rs);
}

struct sent {
	uint64_t id[64];
	int n;
};

static void deliver(void *arg, const struct ew_alert *a)
{
	struct sent *s = arg;

	if (s->n < 64)
		s->id[s->n] = a->alert_id;
	s->n++;
}

/* An alert of incident k (destination port) in the window of time t_us. */
static struct ew_alert alert(uint16_t k, uint64_t t_us, uint64_t window_us)
{
	struct ew_alert a;

	memset(&a, 0, sizeof(a));
	a.ts_us = t_us;
	a.action = "policy-violation";
	a.rule = "default";
	a.message = "m";
	ew_addr_parse(&a.src, "198.18.1.11");
	ew_addr_parse(&a.dst, "198.18.3.10");
	a.proto = 6;
	a.dport = k;
	a.alert_id = ew_alert_id(&a, window_us);
	return a;
}

START_TEST(two_sensors_one_incident)
{
	const uint64_t win = 60000000;
	struct sent s1 = { .n = 0 }, s2 = { .n = 0 };
	struct ew_err err;
	struct ew_rthrottle *a = ew_rthrottle_new(rs.addr, win, "sensor-a", NULL, deliver, &s1, &err);
	struct ew_rthrottle *b = ew_rthrottle_new(rs.addr, win, "sensor-b", NULL, deliver, &s2, &err);
	struct ew_rthrottle_stats sa, sb;
	struct ew_alert x = alert(22, 1000000, win), y = alert(6379, 1000000, win);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ew_rthrottle_submit(a, &x);
	ew_rthrottle_drain(a, 2000);
	ew_rthrottle_submit(b, &x);        /* the same incident, seen by the other sensor */
	ew_rthrottle_drain(b, 2000);
	ck_assert_int_eq(s1.n, 1);
	ck_assert_int_eq(s2.n, 0);
	ck_assert(s1.id[0] == x.alert_id);
	ew_rthrottle_submit(b, &y);        /* another incident */
	ew_rthrottle_drain(b, 2000);
	ck_assert_int_eq(s2.n, 1);
	ew_rthrottle_stats(a, &sa);
	ew_rthrottle_stats(b, &sb);
	ck_assert_uint_eq(sa.passed, 1);
	ck_assert_uint_eq(sb.passed, 1);
	ck_assert_uint_eq(sb.suppressed, 1);
	ck_assert_uint_eq(sa.failed_open + sb.failed_open, 0);
	ck_assert_int_eq(sa.connected, 1);
	ew_rthrottle_free(a);
	ew_rthrottle_free(b);
}
END_TEST

START_TEST(next_window_sends_again)
{
	const uint64_t win = 300000;      /* 0.3 s: the key lives that long in Redis */
	struct sent s = { .n = 0 };
	struct ew_err err;
	struct ew_rthrottle *t = ew_rthrottle_new(rs.addr, win, "sensor-a", NULL, deliver, &s, &err);
	struct ew_alert x = alert(22, 1000000, win), later = alert(22, 1000000 + win, win);

	ck_assert_ptr_nonnull(t);
	ew_rthrottle_submit(t, &x);
	ew_rthrottle_submit(t, &x);        /* a redelivered copy: suppressed */
	ew_rthrottle_drain(t, 2000);
	ck_assert_int_eq(s.n, 1);
	ck_assert(later.alert_id != x.alert_id);
	ew_rthrottle_submit(t, &later);    /* the next window: another id */
	ew_rthrottle_drain(t, 2000);
	ck_assert_int_eq(s.n, 2);
	usleep(400000);                    /* the key expired: the same id passes again */
	ew_rthrottle_submit(t, &x);
	ew_rthrottle_drain(t, 2000);
	ck_assert_int_eq(s.n, 3);
	ew_rthrottle_free(t);
}
END_TEST

START_TEST(fails_open)
{
	const uint64_t win = 60000000;
	struct sent s = { .n = 0 };
	struct ew_err err;
	char nowhere[32];
	struct ew_rthrottle *t, *u;
	struct ew_rthrottle_stats st;
	struct ew_alert x = alert(22, 1000000, win), y = alert(23, 1000000, win);

	snprintf(nowhere, sizeof(nowhere), "127.0.0.1:%d", redis_free_port());
	t = ew_rthrottle_new(nowhere, win, "sensor-a", NULL, deliver, &s, &err);
	ck_assert_ptr_nonnull(t);          /* it retries in the background */
	ew_rthrottle_submit(t, &x);
	ew_rthrottle_submit(t, &x);        /* nothing to ask: both go */
	ew_rthrottle_drain(t, 2000);
	ck_assert_int_eq(s.n, 2);
	ew_rthrottle_stats(t, &st);
	ck_assert_uint_eq(st.failed_open, 2);
	ck_assert_int_eq(st.connected, 0);
	ew_rthrottle_free(t);
	/* Redis stops under a connected throttle */
	s.n = 0;
	u = ew_rthrottle_new(rs.addr, win, "sensor-b", NULL, deliver, &s, &err);
	ck_assert_ptr_nonnull(u);
	ew_rthrottle_submit(u, &x);
	ew_rthrottle_drain(u, 2000);
	ck_assert_int_eq(s.n, 1);
	redis_server_stop(&rs);
	ew_rthrottle_submit(u, &y);
	ew_rthrottle_drain(u, 3000);
	ck_assert_int_eq(s.n, 2);
	ew_rthrottle_stats(u, &st);
	ck_assert_uint_ge(st.failed_open, 1);
	ew_rthrottle_free(u);
}
END_TEST

static Suite *throttle_redis_suite(void)
{
	Suite *s = suite_create("throttle_redis");
	TCase *t = tcase_create("throttle_redis");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, two_sensors_one_incident);
	tcase_add_test(t, next_window_sends_again);
	tcase_add_test(t, fails_open);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(throttle_redis_suite)
