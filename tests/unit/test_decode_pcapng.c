/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/decode_pcapng: sections in both byte orders, interfaces of
 * different link types and timestamp resolutions, the three packet blocks, and the
 * malformed cases (bad magic, lengths that do not add up, a packet longer than its
 * block, an interface never described). */
#include <string.h>

#include "check_main.h"
#include "collector/decode_pcapng.h"
#include "core/ew_err.h"

struct w {
	uint8_t b[4096];
	size_t n;
	int be;
};

static void put32(struct w *w, uint32_t v)
{
	if (w->be)
		v = __builtin_bswap32(v);
	memcpy(w->b + w->n, &v, 4);
	w->n += 4;
}

static void put16(struct w *w, uint16_t v)
{
	if (w->be)
		v = __builtin_bswap16(v);
	memcpy(w->b + w->n, &v, 2);
	w->n += 2;
}

/* A block of type t around body (padded); returns its offset. */
static size_t block(struct w *w, uint32_t t, const uint8_t *body, size_t n)
{
	size_t at = w->n, len = 12 + ((n + 3) & ~(size_t)3);

	put32(w, t);
	put32(w, (uint32_t)len);
	memset(w->b + w->n, 0, len - 12);
	memcpy(w->b + w->n, body, n);
	w->n += len - 12;
	put32(w, (uint32_t)len);
	return at;
}

static size_t shb(struct w *w)
{
	struct w body = { .be = w->be };

	put32(&body, 0x1A2B3C4D);
	put16(&body, 1);
	put16(&body, 0);
	put32(&body, 0xffffffff);
	put32(&body, 0xffffffff);
	return block(w, 0x0A0D0D0A, body.b, body.n);
}

static size_t idb(struct w *w, uint16_t lt, uint32_t snap, int tsresol)
{
	struct w body = { .be = w->be };

	put16(&body, lt);
	put16(&body, 0);
	put32(&body, snap);
	if (tsresol >= 0) {
		put16(&body, 9);
		put16(&body, 1);
		body.b[body.n] = (uint8_t)tsresol;
		body.n += 4;
		put32(&body, 0);       /* opt_endofopt */
	}
	return block(w, 1, body.b, body.n);
}

static size_t epb(struct w *w, uint32_t iface, uint64_t ts, const char *data, uint32_t cap)
{
	struct w body = { .be = w->be };

	put32(&body, iface);
	put32(&body, (uint32_t)(ts >> 32));
	put32(&body, (uint32_t)ts);
	put32(&body, cap);
	put32(&body, cap + 10);
	memcpy(body.b + body.n, data, strlen(data));
	body.n += strlen(data);
	return block(w, 6, body.b, body.n);
}

/* Feed every block from offset 0; returns packets seen, *last the last one. */
static int walk(struct ew_pcapng *r, struct w *w, struct ew_pcapng_pkt *last, int *errors)
{
	size_t off = 0;
	int n = 0;

	*errors = 0;
	while (off + 12 <= w->n) {
		uint32_t len = ew_pcapng_block_len(r, w->b + off);
		int rc;

		if (len == 0 || len > w->n - off) {
			(*errors)++;
			break;
		}
		rc = ew_pcapng_block(r, w->b + off, len, last);
		if (rc == 1)
			n++;
		else if (rc < 0)
			(*errors)++;
		off += len;
	}
	return n;
}

START_TEST(two_unlike_interfaces_both_orders)
{
	for (int be = 0; be < 2; be++) {
		struct w w = { .be = be };
		struct ew_pcapng r;
		struct ew_pcapng_pkt k;
		int errors;

		memset(&r, 0, sizeof(r));
		shb(&w);
		idb(&w, 1, 262144, -1);        /* Ethernet, microseconds */
		idb(&w, 113, 65535, 9);        /* Linux cooked, nanoseconds */
		epb(&w, 0, 1700000000123456ULL, "abcdefgh", 8);
		ck_assert_int_eq(walk(&r, &w, &k, &errors), 1);
		ck_assert_int_eq(errors, 0);
		ck_assert_int_eq(k.dlt, 1);
		ck_assert_uint_eq(k.ts_us, 1700000000123456ULL);
		ck_assert_uint_eq(k.caplen, 8);
		ck_assert_uint_eq(k.len, 18);
		ck_assert_int_eq(memcmp(k.data, "abcdefgh", 8), 0);
		w.n = 0;
		memset(&r, 0, sizeof(r));
		shb(&w);
		idb(&w, 1, 262144, -1);
		idb(&w, 113, 65535, 9);
		epb(&w, 1, 1700000000123456789ULL, "xyz", 3);
		ck_assert_int_eq(walk(&r, &w, &k, &errors), 1);
		ck_assert_int_eq(k.dlt, 113);
		ck_assert_uint_eq(k.ts_us, 1700000000123456ULL);
	}
}
END_TEST

START_TEST(malformed_blocks)
{
	struct w w = { 0 };
	struct ew_pcapng r;
	struct ew_pcapng_pkt k;
	size_t at;
	int errors;

	/* a packet of an interface never described */
	memset(&r, 0, sizeof(r));
	shb(&w);
	idb(&w, 1, 65535, -1);
	epb(&w, 3, 1, "abcd", 4);
	ck_assert_int_eq(walk(&r, &w, &k, &errors), 0);
	ck_assert_int_eq(errors, 1);
	/* a captured length beyond the block */
	w.n = 0;
	memset(&r, 0, sizeof(r));
	shb(&w);
	idb(&w, 1, 65535, -1);
	epb(&w, 0, 1, "abcd", 400);
	ck_assert_int_eq(walk(&r, &w, &k, &errors), 0);
	ck_assert_int_eq(errors, 1);
	/* trailing length that differs from the leading one */
	w.n = 0;
	memset(&r, 0, sizeof(r));
	shb(&w);
	idb(&w, 1, 65535, -1);
	at = epb(&w, 0, 1, "abcd", 4);
	w.b[w.n - 4] ^= 4;
	ck_assert_int_eq(walk(&r, &w, &k, &errors), 0);
	ck_assert_int_eq(errors, 1);
	/* a length that is not a multiple of 4, or shorter than a block */
	w.b[at + 4] = 13;
	ck_assert_uint_eq(ew_pcapng_block_len(&r, w.b + at), 0);
	w.b[at + 4] = 8;
	ck_assert_uint_eq(ew_pcapng_block_len(&r, w.b + at), 0);
	/* a section header with a bad magic; a block before any section */
	w.n = 0;
	memset(&r, 0, sizeof(r));
	shb(&w);
	w.b[8] ^= 0xff;
	ck_assert_uint_eq(ew_pcapng_block_len(&r, w.b), 0);
	w.n = 0;
	idb(&w, 1, 65535, -1);
	ck_assert_uint_eq(ew_pcapng_block_len(&r, w.b), 0);
	/* an enormous if_tsresol (2^-127) gives time 0, not undefined behaviour */
	w.n = 0;
	memset(&r, 0, sizeof(r));
	shb(&w);
	idb(&w, 1, 65535, 0xff);
	epb(&w, 0, ~0ULL, "ab", 2);
	ck_assert_int_eq(walk(&r, &w, &k, &errors), 1);
	ck_assert_uint_eq(k.ts_us, 0);
}
END_TEST

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("decode_pcapng");
	TCase *t = tcase_create("decode_pcapng");

	tcase_add_test(t, two_unlike_interfaces_both_orders);
	tcase_add_test(t, malformed_blocks);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(pcapng_suite)
