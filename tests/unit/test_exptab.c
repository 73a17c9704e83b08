/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/exptab: the exporter table finds what it holds, takes a new
 * exporter in the place of one that gave no record (else of the one heard from longest
 * ago), keeps the exporters that give records through a flood of new addresses, and
 * reorders an entry whose records were counted again. */
#include <check.h>
#include <stdio.h>

#include "collector/exptab.h"
#include "check_main.h"

static struct ew_addr addr_n(uint32_t n)   /* the n-th address of 198.18.0.0/15 */
{
	uint8_t b[4] = { 198, (uint8_t)(18 + (n >> 16 & 1)), (uint8_t)(n >> 8), (uint8_t)n };
	struct ew_addr a;

	ew_addr_from_v4(&a, b);
	return a;
}

static struct ew_exporter_health *get(struct ew_exptab *t, uint32_t n, int *evicted,
				      uint32_t *gone)
{
	struct ew_addr g, a = addr_n(n);
	struct ew_exporter_health *e = ew_exptab_get(t, &a, evicted, &g);

	*gone = 0;
	if (*evicted)
		*gone = (uint32_t)(g.a[13] & 1) << 16 | (uint32_t)g.a[14] << 8 | g.a[15];
	return e;
}

/* Exporter n heard from now, with records (or not). */
static void heard(struct ew_exptab *t, uint32_t n, uint64_t records)
{
	int ev;
	uint32_t gone;
	struct ew_exporter_health *e = get(t, n, &ev, &gone);

	e->records += records;
	ew_exptab_heard(t, e);
}

START_TEST(bounds_and_lookup)
{
	struct ew_exptab *t = ew_exptab_new(3);
	struct ew_addr a = addr_n(1);
	int ev;
	uint32_t gone;

	ck_assert_ptr_null(ew_exptab_new(0));
	ck_assert_ptr_null(ew_exptab_new(EW_EXPTAB_MOST + 1));
	ck_assert_ptr_null(ew_exptab_find(t, &a));
	ck_assert_ptr_eq(get(t, 1, &ev, &gone), get(t, 1, &ev, &gone));
	ck_assert_int_eq(ev, 0);
	ck_assert_ptr_nonnull(ew_exptab_find(t, &a));
	ck_assert(ew_addr_eq(&ew_exptab_find(t, &a)->addr, &a));
	ck_assert_uint_eq(ew_exptab_count(t), 1);
	ck_assert_uint_eq(ew_exptab_capacity(t), 3);
	ck_assert_ptr_eq(ew_exptab_at(t, 1), ew_exptab_find(t, &a));
	ew_exptab_free(t);
	ew_exptab_free(NULL);
}
END_TEST

/* 1 and 2 give records, 3 and 4 none: 5 takes 3's place (heard from before 4), 6 takes
 * 4's, 7 then 5's; once none is left without records, the one heard from longest ago
 * goes, and being heard from again moves one to the back of the line. */
START_TEST(eviction_order)
{
	struct ew_exptab *t = ew_exptab_new(4);
	int ev;
	uint32_t gone;

	heard(t, 1, 10);
	heard(t, 3, 0);
	heard(t, 2, 10);
	heard(t, 4, 0);
	heard(t, 1, 1);                 /* 1 heard again, after 2 */
	get(t, 5, &ev, &gone);
	ck_assert_int_eq(ev, 1);
	ck_assert_uint_eq(gone, 3);
	heard(t, 5, 0);
	get(t, 6, &ev, &gone);
	ck_assert_uint_eq(gone, 4);
	get(t, 7, &ev, &gone);
	ck_assert_uint_eq(gone, 5);
	heard(t, 7, 5);                 /* 6 no record, 7 gave its first */
	heard(t, 6, 5);
	get(t, 8, &ev, &gone);          /* 2 was heard from longest ago */
	ck_assert_uint_eq(gone, 2);
	heard(t, 8, 1);
	heard(t, 1, 1);
	get(t, 9, &ev, &gone);          /* 7, 6, 8, 1 */
	ck_assert_uint_eq(gone, 7);
	ck_assert_uint_eq(ew_exptab_count(t), 4);
	ew_exptab_free(t);
}
END_TEST

/* A table of the largest size, full of exporters that give records, meets a million new
 * addresses that give none: the first new one takes the place of the real exporter heard
 * from longest ago, and every later one the place of a flooder, so the other real
 * exporters stay. */
START_TEST(flood_spares_exporters_with_records)
{
	struct ew_exptab *t = ew_exptab_new(EW_EXPTAB_MOST);
	uint32_t evicted = 0, real_lost = 0;
	int ev;
	uint32_t gone;

	for (uint32_t n = 0; n < EW_EXPTAB_MOST; n++)
		heard(t, n, 1);
	for (uint32_t k = 0; k < 1000000; k++) {
		uint32_t n = EW_EXPTAB_MOST + k % 65536;     /* 198.19.x.y: never a real one */
		struct ew_exporter_health *e = get(t, n, &ev, &gone);

		evicted += ev;
		real_lost += ev && gone < EW_EXPTAB_MOST;
		ew_exptab_heard(t, e);
		if (k % 1000 == 0)      /* the real ones keep sending */
			for (uint32_t r = 1; r < 64; r++)
				heard(t, r, 1);
	}
	ck_assert_uint_eq(real_lost, 1);
	ck_assert_uint_eq(evicted, 1000000);
	for (uint32_t r = 1; r < 64; r++) {
		struct ew_addr a = addr_n(r);

		ck_assert_ptr_nonnull(ew_exptab_find(t, &a));
	}
	ew_exptab_free(t);
}
END_TEST

/* A merged table counts records again: one that lost them all is the first to go, one
 * that gained its first joins those with records as the most recent. */
START_TEST(recount_moves_between_lists)
{
	struct ew_exptab *t = ew_exptab_new(3);
	struct ew_addr a = addr_n(1), b = addr_n(2);
	int ev;
	uint32_t gone;

	heard(t, 1, 5);
	heard(t, 2, 0);
	heard(t, 3, 0);
	ew_exptab_find(t, &a)->records = 0;      /* 1 lost its records: first to go */
	ew_exptab_recount(t, ew_exptab_find(t, &a));
	ew_exptab_find(t, &b)->records = 1;      /* 2 gained one: kept */
	ew_exptab_recount(t, ew_exptab_find(t, &b));
	get(t, 4, &ev, &gone);
	ck_assert_uint_eq(gone, 1);
	get(t, 5, &ev, &gone);
	ck_assert_uint_eq(gone, 3);
	get(t, 6, &ev, &gone);
	ck_assert_uint_eq(gone, 4);
	ck_assert_ptr_nonnull(ew_exptab_find(t, &b));
	ew_exptab_free(t);
}
END_TEST

static Suite *exptab_suite(void)
{
	Suite *s = suite_create("exptab");
	TCase *t = tcase_create("exptab");

	tcase_add_test(t, bounds_and_lookup);
	tcase_add_test(t, eviction_order);
	tcase_add_test(t, flood_spares_exporters_with_records);
	tcase_add_test(t, recount_moves_between_lists);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(exptab_suite)
