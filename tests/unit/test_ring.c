/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for core/ew_ring: records of every length come out whole and in order,
 * across the wrap, between two threads, published one by one or in batches; a full ring
 * refuses and frees its space again; a batch is seen at its size, at a flush, or when
 * the ring is full, and not before. All of it for records written in place (reserve,
 * commit) and for records written whole around the caches (ew_ring_put). */
#include "core/ew_ring.h"
#include "check_main.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define N_RECORDS 100000u

/* record i: its length and its bytes follow from i */
static size_t len_of(uint32_t i)
{
	return 4 + (i * 2654435761u >> 7) % 700;
}

static void fill(uint8_t *p, uint32_t i, size_t len)
{
	memcpy(p, &i, 4);
	for (size_t k = 4; k < len; k++)
		p[k] = (uint8_t)(i + k);
}

static int use_put;          /* the producer writes with ew_ring_put */

static void *producer(void *arg)
{
	struct ew_ring *r = arg;
	uint8_t rec[1024];

	for (uint32_t i = 0; i < N_RECORDS; i++) {
		size_t len = len_of(i);
		uint8_t *p;

		if (use_put) {
			fill(rec, i, len);
			while (ew_ring_put(r, rec, len) != 0)
				;
			continue;
		}
		while ((p = ew_ring_reserve(r, len)) == NULL)
			;
		fill(p, i, len);
		ew_ring_commit(r);
	}
	ew_ring_flush(r);     /* the last batch: without it the consumer would wait forever */
	return NULL;
}

/* _i & 1: published in batches of 1,500 bytes (else each at its commit); _i & 2:
 * written with ew_ring_put */
START_TEST(two_threads_in_order)
{
	struct ew_ring *r = ew_ring_new(8192);
	pthread_t th;
	uint32_t want = 0;
	uint8_t expect[1024];

	ck_assert_ptr_nonnull(r);
	if (_i & 1)
		ew_ring_set_batch(r, 1500);
	use_put = (_i & 2) != 0;
	ck_assert_int_eq(pthread_create(&th, NULL, producer, r), 0);
	while (want < N_RECORDS) {
		size_t len;
		const uint8_t *p = ew_ring_peek(r, &len);

		if (p == NULL)
			continue;
		ck_assert_uint_eq(len, len_of(want));
		fill(expect, want, len);
		ck_assert_int_eq(memcmp(p, expect, len), 0);
		ew_ring_release(r);
		want++;
	}
	pthread_join(th, NULL);
	ck_assert_ptr_null(ew_ring_peek(r, &(size_t){ 0 }));
	ck_assert_uint_eq(ew_ring_used(r), 0);
	ew_ring_free(r);
}
END_TEST

/* Records of 100 bytes (112 in the ring) committed until the ring refuses one: how many. */
static size_t fill_full(struct ew_ring *r)
{
	size_t n = 0;

	while (ew_ring_reserve(r, 100) != NULL) {
		ew_ring_commit(r);
		n++;
	}
	return n;
}

/* The same with ew_ring_put, record k's bytes all k. */
static size_t put_full(struct ew_ring *r)
{
	uint8_t rec[100];
	size_t n = 0;

	for (;; n++) {
		memset(rec, (int)n, sizeof(rec));
		if (ew_ring_put(r, rec, sizeof(rec)) != 0)
			return n;
	}
}

/* Every record the consumer can see taken: how many. */
static size_t drain(struct ew_ring *r)
{
	size_t n = 0, len;

	while (ew_ring_peek(r, &len) != NULL) {
		ew_ring_release(r);
		n++;
	}
	return n;
}

START_TEST(full_refuses_then_frees)
{
	struct ew_ring *r = ew_ring_new(4096);
	size_t n, len;

	ck_assert_uint_eq(ew_ring_capacity(r), 4096);
	ck_assert_ptr_null(ew_ring_reserve(r, 1025));        /* over a quarter */
	n = fill_full(r);
	ck_assert_uint_eq(n, 4096 / (8 + 104));
	ck_assert_ptr_nonnull(ew_ring_peek(r, &len));
	ck_assert_uint_eq(len, 100);
	ew_ring_release(r);
	ck_assert_ptr_nonnull(ew_ring_reserve(r, 100));    /* the space came back */
	ew_ring_commit(r);
	ck_assert_uint_eq(drain(r), n);
	ew_ring_free(r);
}
END_TEST

/* ew_ring_put: the same room as reserve, the record whole; a full ring refuses it, a
 * batch waits for its size. */
START_TEST(put_refuses_when_full_and_batches)
{
	struct ew_ring *r = ew_ring_new(4096);
	uint8_t big[1025] = { 0 };
	const uint8_t *p;
	size_t n, len;

	ck_assert_int_eq(ew_ring_put(r, big, sizeof(big)), -1);     /* over a quarter */
	n = put_full(r);
	ck_assert_uint_eq(n, 4096 / (8 + 104));
	for (size_t k = 0; k < n; k++) {
		p = ew_ring_peek(r, &len);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(len, 100);
		for (size_t b = 0; b < len; b++)
			ck_assert_uint_eq(p[b], (uint8_t)k);
		ew_ring_release(r);
		if (k == 0)                                           /* room for one */
			ck_assert_int_eq(ew_ring_put(r, big, 100), 0);
	}
	ck_assert_uint_eq(drain(r), 1);
	ew_ring_set_batch(r, 1024);
	for (int i = 0; i < 9; i++)                                   /* 1,008 bytes */
		ck_assert_int_eq(ew_ring_put(r, big, 100), 0);
	ck_assert_ptr_null(ew_ring_peek(r, &len));
	ck_assert_int_eq(ew_ring_put(r, big, 100), 0);
	ck_assert_uint_eq(drain(r), 10);
	ck_assert_int_eq(ew_ring_put(r, big, 3), 0);                  /* a short one */
	ew_ring_flush(r);
	ck_assert_ptr_nonnull(ew_ring_peek(r, &len));
	ck_assert_uint_eq(len, 3);
	ew_ring_free(r);
}
END_TEST

START_TEST(batch_seen_when_due)
{
	struct ew_ring *r = ew_ring_new(4096);
	size_t len;

	ew_ring_set_batch(r, 1 << 20);                     /* capped at a quarter: 1,024 */
	for (int i = 0; i < 3; i++) {                       /* 3 x 112 bytes: not yet */
		ck_assert_ptr_nonnull(ew_ring_reserve(r, 100));
		ew_ring_commit(r);
	}
	ck_assert_ptr_null(ew_ring_peek(r, &len));
	ck_assert_uint_eq(ew_ring_used(r), 0);
	ew_ring_flush(r);
	ck_assert_uint_eq(ew_ring_used(r), 3 * 112);
	ck_assert_uint_eq(drain(r), 3);
	for (int i = 0; i < 9; i++) {                       /* 9 x 112 = 1,008: not yet */
		ck_assert_ptr_nonnull(ew_ring_reserve(r, 100));
		ew_ring_commit(r);
	}
	ck_assert_ptr_null(ew_ring_peek(r, &len));
	ck_assert_ptr_nonnull(ew_ring_reserve(r, 100));    /* the 10th: 1,120 bytes */
	ew_ring_commit(r);
	ck_assert_uint_eq(ew_ring_used(r), 10 * 112);
	ck_assert_uint_eq(drain(r), 10);
	/* full: the reserve that fails publishes what it holds back */
	ck_assert_uint_eq(fill_full(r), 4096 / 112);
	ck_assert_uint_eq(drain(r), 4096 / 112);
	ew_ring_free(r);
}
END_TEST

static long resident_pages(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res;
}

/* A touched ring's memory is resident before the first record: the producer's path
 * takes no fault the first time round. And it works as any other. */
START_TEST(touched_ring_resident)
{
	struct ew_ring *r = ew_ring_new(8u << 20);
	long before, after, page = sysconf(_SC_PAGESIZE);
	size_t len;
	void *p;

	ck_assert_ptr_nonnull(r);
	before = resident_pages();
	ew_ring_touch(r);
	after = resident_pages();
	ck_assert_int_ge((after - before) * page, 7L << 20);
	p = ew_ring_reserve(r, 100);
	ck_assert_ptr_nonnull(p);
	memset(p, 7, 100);
	ew_ring_commit(r);
	ck_assert_ptr_nonnull(ew_ring_peek(r, &len));
	ck_assert_uint_eq(len, 100);
	ew_ring_release(r);
	ew_ring_free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ring");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);
	tcase_add_loop_test(t, two_threads_in_order, 0, 4);
	tcase_add_test(t, put_refuses_when_full_and_batches);
	tcase_add_test(t, batch_seen_when_due);
	tcase_add_test(t, full_refuses_then_frees);
	tcase_add_test(t, touched_ring_resident);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
