/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/edges: the new-edge baseline learns quietly for its period,
 * then reports each unseen edge once; it survives a restart (a torn last line ignored);
 * its bound is kept and counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/edges.h"
#include "check_main.h"
#include "tmp_path.h"

#define S 1000000ULL

static char path[64];

static void tmpfile_path(void)
{
	ew_test_file(path, sizeof(path), "edges", NULL);
	unlink(path);   /* a new store */
}

START_TEST(learn_then_report_once)
{
	struct ew_err err;
	struct ew_edges *e;
	struct ew_edges_stats st;

	tmpfile_path();
	e = ew_edges_open(path, 60 * S, 100, 0, &err);
	ck_assert_ptr_nonnull(e);
	/* learning: the first edge at t=1000 s starts a 60 s period */
	ck_assert_int_eq(ew_edges_seen(e, "web", "app", 6, 8443, 1000 * S), 0);
	ck_assert_int_eq(ew_edges_seen(e, "app", "db", 6, 5432, 1030 * S), 0);
	/* after it: a known edge is quiet, an unseen one is reported once */
	ck_assert_int_eq(ew_edges_seen(e, "web", "app", 6, 8443, 1100 * S), 0);
	ck_assert_int_eq(ew_edges_seen(e, "web", "db", 6, 5432, 1100 * S), 1);
	ck_assert_int_eq(ew_edges_seen(e, "web", "db", 6, 5432, 1101 * S), 0);
	/* the service is part of the edge */
	ck_assert_int_eq(ew_edges_seen(e, "web", "db", 17, 5432, 1102 * S), 1);
	ck_assert_int_eq(ew_edges_seen(e, "web", "db", 6, 22, 1102 * S), 1);
	ew_edges_stats(e, &st);
	ck_assert_uint_eq(st.edges, 5);
	ck_assert_uint_eq(st.learned, 2);
	ck_assert_uint_eq(st.reported, 3);
	ck_assert_uint_eq(st.learn_until_us, 1060 * S);
	ew_edges_free(e);

	/* a restart keeps the baseline and the learning period */
	e = ew_edges_open(path, 60 * S, 100, 0, &err);
	ck_assert_ptr_nonnull(e);
	ew_edges_stats(e, &st);
	ck_assert_uint_eq(st.edges, 5);
	ck_assert_uint_eq(st.learn_start_us, 1000 * S);
	ck_assert_int_eq(ew_edges_seen(e, "web", "db", 6, 5432, 2000 * S), 0);
	ck_assert_int_eq(ew_edges_seen(e, "jump", "db", 6, 22, 2000 * S), 1);
	ew_edges_free(e);
	unlink(path);
}
END_TEST

START_TEST(torn_line_and_bound)
{
	struct ew_err err;
	struct ew_edges *e;
	struct ew_edges_stats st;
	FILE *f;

	tmpfile_path();
	f = fopen(path, "w");
	fputs("eastwatch-edges 1 5000000\nweb\tapp\t6\t443\t5000000\nbad line\napp\tdb\t6\t54", f);
	fclose(f);
	e = ew_edges_open(path, 1, 2, 0, &err);
	ck_assert_ptr_nonnull(e);
	ew_edges_stats(e, &st);
	ck_assert_uint_eq(st.edges, 1);      /* the torn last line and the bad one ignored */
	ck_assert_int_eq(ew_edges_seen(e, "a", "b", 6, 1, 10 * S), 1);
	/* the bound (2): a third edge is neither kept nor reported, but counted */
	ck_assert_int_eq(ew_edges_seen(e, "c", "d", 6, 1, 10 * S), 0);
	ew_edges_stats(e, &st);
	ck_assert_uint_eq(st.full, 1);
	ew_edges_free(e);
	/* what was saved reads back */
	e = ew_edges_open(path, 1, 10, 0, &err);
	ew_edges_stats(e, &st);
	ck_assert_uint_eq(st.edges, 2);
	ew_edges_free(e);
	unlink(path);
	/* an unwritable place is an error naming it */
	ck_assert_ptr_null(ew_edges_open("/proc/no/such/edges", 1, 10, 0, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/no/such/edges"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("edges");
	TCase *t = tcase_create("all");

	tcase_add_test(t, learn_then_report_once);
	tcase_add_test(t, torn_line_and_bound);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
