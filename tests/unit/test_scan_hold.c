/* SPDX-License-Identifier: Apache-2.0 */
/* test_scan_hold - the scan detector's hold and fold of policy alerts, on the real
 * tracker: a quiet source's alert is sent; a suspect's is held and sent when the hold
 * ends if the source never became a scanner; a scanner's settled probe folds at once,
 * its unsettled flow is held and folds at the end of the hold unless it became a
 * session; a session is never held; an exported record of a scanner folds at once, of
 * a suspect is held; a full queue lets its oldest go; an alert too big to copy is
 * decided at once. */
#include <stdio.h>
#include <string.h>

#include "analyzer/scan_hold.h"
#include "check_main.h"

struct item {
	int id;
	int big;
};

struct sent {
	int id[64];
	int n;
};

static int copy(void *item, const void *alert)
{
	const struct item *a = alert;

	if (a->big)
		return -1;
	memcpy(item, a, sizeof(*a));
	return 0;
}

static void send_item(void *arg, const void *item)
{
	struct sent *s = arg;

	s->id[s->n++ % 64] = ((const struct item *)item)->id;
}

static struct ew_scan *scan;
static struct ew_scan_hold *hold;
static struct sent sent;
static struct ew_addr src, other;

static void no_report(void *arg, const struct ew_scan_report *r)
{
	(void)arg;
	(void)r;
}

static void setup(void)
{
	struct ew_scan_conf c;
	struct ew_scan_hold_conf hc = { 4, sizeof(struct item), 2000000, copy, send_item, &sent };

	ew_scan_conf_default(&c);
	c.hosts = 5;
	scan = ew_scan_new(&c, no_report, NULL);
	hold = ew_scan_hold_new(scan, &hc);
	ck_assert_ptr_nonnull(hold);
	memset(&sent, 0, sizeof(sent));
	ew_addr_parse(&src, "198.18.1.11");
	ew_addr_parse(&other, "198.18.1.12");
}

static void teardown(void)
{
	ew_scan_hold_free(hold);
	ew_scan_free(scan);
}

static struct ew_addr host(int i)
{
	struct ew_addr a;
	char s[32];

	snprintf(s, sizeof(s), "198.18.3.%d", i);
	ew_addr_parse(&a, s);
	return a;
}

/* src probes n hosts (failed SYNs) at t. */
static void probe(int n, uint64_t t)
{
	for (int i = 0; i < n; i++) {
		struct ew_addr d = host(100 + i);

		ew_scan_observe(scan, &src, &d, 6, 80, EW_SCAN_TOUCH | EW_SCAN_FAILED, t);
	}
}

static enum ew_scan_hold_result offer(int id, const struct ew_addr *from, const void *entry,
				      int settled, int session, uint64_t t)
{
	struct item a = { id, 0 };
	struct ew_addr d = host(1);
	struct ew_scan_hold_flow fl = { entry, t, (uint32_t)id, settled, session };

	return ew_scan_hold_offer(hold, &a, from, &d, &fl, t);
}

static int entry;   /* a flow-table entry's address stands for the flow */

START_TEST(quiet_source_is_sent)
{
	ck_assert_int_eq(offer(1, &other, &entry, 1, 0, 1000000), EW_HOLD_SEND);
	ck_assert_uint_eq(ew_scan_hold_next(hold), UINT64_MAX);
}
END_TEST

START_TEST(suspect_held_then_sent)
{
	uint64_t held, folded;

	probe(2, 1000000);                 /* two flows: a suspect, not a scanner */
	ck_assert_int_eq(ew_scan_state(scan, &src, 1000000), EW_SCAN_SUSPECT);
	ck_assert_int_eq(offer(1, &src, &entry, 0, 0, 1000000), EW_HOLD_HELD);
	ck_assert_uint_eq(ew_scan_hold_next(hold), 3000000);
	ew_scan_hold_release(hold, 2999999, 0);
	ck_assert_int_eq(sent.n, 0);
	ew_scan_hold_release(hold, 3000000, 0);
	ck_assert_int_eq(sent.n, 1);
	ck_assert_int_eq(sent.id[0], 1);
	ew_scan_hold_counts(hold, &held, &folded);
	ck_assert_uint_eq(held, 1);
	ck_assert_uint_eq(folded, 0);
}
END_TEST

START_TEST(scanner_probes_fold)
{
	uint64_t held, folded;

	probe(6, 1000000);
	ck_assert_int_eq(ew_scan_state(scan, &src, 1000000), EW_SCAN_SCANNER);
	ck_assert_int_eq(offer(1, &src, &entry, 1, 0, 1000000), EW_HOLD_FOLDED);  /* settled */
	ck_assert_int_eq(offer(2, &src, &entry, 0, 0, 1000000), EW_HOLD_HELD);    /* may answer */
	ck_assert_int_eq(offer(3, &src, &entry, 0, 1, 1000000), EW_HOLD_SEND);    /* a session */
	ck_assert_int_eq(offer(4, &src, NULL, 0, 0, 1000000), EW_HOLD_FOLDED);    /* a record */
	ew_scan_hold_release(hold, 3000000, 0);   /* the held one stayed a probe: folds */
	ck_assert_int_eq(sent.n, 0);
	ew_scan_hold_counts(hold, &held, &folded);
	ck_assert_uint_eq(held, 1);
	ck_assert_uint_eq(folded, 3);
}
END_TEST

START_TEST(held_flow_that_became_a_session_is_sent)
{
	probe(6, 1000000);
	ck_assert_int_eq(offer(7, &src, &entry, 0, 0, 1000000), EW_HOLD_HELD);
	ck_assert_int_eq(offer(8, &src, &entry, 0, 0, 1000000), EW_HOLD_HELD);
	ew_scan_hold_session(hold, &entry, 1000000, 7);   /* flow 7 answered both ways */
	ew_scan_hold_release(hold, 0, 1);                 /* the end: everything goes */
	ck_assert_int_eq(sent.n, 1);
	ck_assert_int_eq(sent.id[0], 7);
}
END_TEST

START_TEST(suspect_record_held)
{
	probe(2, 1000000);
	ck_assert_int_eq(offer(1, &src, NULL, 0, 0, 1000000), EW_HOLD_HELD);
	probe(6, 1500000);                 /* became a scanner meanwhile */
	ew_scan_hold_release(hold, 3000000, 0);
	ck_assert_int_eq(sent.n, 0);       /* folded */
}
END_TEST

START_TEST(full_queue_lets_the_oldest_go)
{
	probe(2, 1000000);
	for (int i = 1; i <= 5; i++)
		ck_assert_int_eq(offer(i, &src, &entry, 0, 0, 1000000), EW_HOLD_HELD);
	ck_assert_int_eq(sent.n, 1);       /* 4 places: the first went out for the fifth */
	ck_assert_int_eq(sent.id[0], 1);
	ew_scan_hold_release(hold, 0, 1);
	ck_assert_int_eq(sent.n, 5);
	ck_assert_int_eq(sent.id[4], 5);
}
END_TEST

START_TEST(too_big_to_copy_is_decided_now)
{
	struct item a = { 9, 1 };
	struct ew_addr d = host(1);
	struct ew_scan_hold_flow fl = { &entry, 1000000, 9, 0, 0 };

	probe(2, 1000000);
	ck_assert_int_eq(ew_scan_hold_offer(hold, &a, &src, &d, &fl, 1000000), EW_HOLD_SEND);
}
END_TEST

static Suite *scan_hold_suite(void)
{
	Suite *s = suite_create("scan_hold");
	TCase *t = tcase_create("scan_hold");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, quiet_source_is_sent);
	tcase_add_test(t, suspect_held_then_sent);
	tcase_add_test(t, scanner_probes_fold);
	tcase_add_test(t, held_flow_that_became_a_session_is_sent);
	tcase_add_test(t, suspect_record_held);
	tcase_add_test(t, full_queue_lets_the_oldest_go);
	tcase_add_test(t, too_big_to_copy_is_decided_now);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(scan_hold_suite)
