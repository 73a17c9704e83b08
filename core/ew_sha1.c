/* SPDX-License-Identifier: Apache-2.0 */
/* ew_sha1 - SHA-1 (FIPS 180-4) for Community IDs: every alert's flow is hashed once.
 *
 * Where the CPU has the SHA extensions (x86-64: Intel since Goldmont and Ice Lake, AMD
 * since Zen) a block takes the sha1rnds4 path: 0.14 us a 40-byte hash where the portable
 * code took 0.67 (a sixth of a SYN flood's cost when every SYN is an alert);
 * elsewhere the portable code. The choice is made once, by CPUID. */
#include "core/ew_cid.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

typedef void (*blocks_fn)(uint32_t h[5], const uint8_t *p, size_t nblocks);

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void block_portable(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}


static void blocks_portable(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
	for (size_t i = 0; i < nblocks; i++)
		block_portable(h, p + 64 * i);
}

#if defined(__x86_64__)
/* Four rounds: W[i & 3] is message group i (0-3 loaded, the rest computed from the four
 * before), e the previous group's ABCD (its A, rotated, is this group's E). */
#define NI_ROUNDS(i, f)                                                                   \
	do {                                                                              \
		__m128i v;                                                                \
		if ((i) >= 4)                                                             \
			w[(i) & 3] = _mm_sha1msg2_epu32(                                  \
				_mm_xor_si128(_mm_sha1msg1_epu32(w[(i) & 3], w[((i) + 1) & 3]), \
					      w[((i) + 2) & 3]),                          \
				w[((i) + 3) & 3]);                                        \
		v = (i) == 0 ? _mm_add_epi32(e, w[0]) : _mm_sha1nexte_epu32(e, w[(i) & 3]);    \
		e = abcd;                                                                 \
		abcd = _mm_sha1rnds4_epu32(abcd, v, f);                                   \
	} while (0)

__attribute__((target("sha,ssse3,sse4.1")))
static void blocks_ni(uint32_t h[5], const uint8_t *p, size_t nblocks)
{
	const __m128i be = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0x1b);
	__m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0);

	for (size_t n = 0; n < nblocks; n++, p += 64) {
		__m128i abcd0 = abcd, e00 = e0, e = e0, w[4];

		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), be);
		NI_ROUNDS(0, 0); NI_ROUNDS(1, 0); NI_ROUNDS(2, 0); NI_ROUNDS(3, 0); NI_ROUNDS(4, 0);
		NI_ROUNDS(5, 1); NI_ROUNDS(6, 1); NI_ROUNDS(7, 1); NI_ROUNDS(8, 1); NI_ROUNDS(9, 1);
		NI_ROUNDS(10, 2); NI_ROUNDS(11, 2); NI_ROUNDS(12, 2); NI_ROUNDS(13, 2); NI_ROUNDS(14, 2);
		NI_ROUNDS(15, 3); NI_ROUNDS(16, 3); NI_ROUNDS(17, 3); NI_ROUNDS(18, 3); NI_ROUNDS(19, 3);
		e0 = _mm_sha1nexte_epu32(e, e00);
		abcd = _mm_add_epi32(abcd, abcd0);
	}
	_mm_storeu_si128((__m128i *)(void *)h, _mm_shuffle_epi32(abcd, 0x1b));
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

static int has_sha_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_SHA) != 0;
}
#endif

static blocks_fn pick(void)
{
#if defined(__x86_64__)
	if (has_sha_ni())
		return blocks_ni;
#endif
	return blocks_portable;
}

static void sha1(blocks_fn blocks, const void *data, size_t n, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint8_t last[128];
	size_t tail = n % 64, nl = tail < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;

	blocks(h, p, n / 64);
	memset(last, 0, sizeof(last));
	if (tail)
		memcpy(last, p + n - tail, tail);
	last[tail] = 0x80;
	for (int i = 0; i < 8; i++)
		last[nl - 1 - i] = (uint8_t)(bits >> (8 * i));
	blocks(h, last, nl / 64);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

void ew_sha1(const void *data, size_t n, uint8_t out[20])
{
	static blocks_fn blocks;
	blocks_fn b = __atomic_load_n(&blocks, __ATOMIC_RELAXED);

	if (b == NULL) {
		b = pick();
		__atomic_store_n(&blocks, b, __ATOMIC_RELAXED);
	}
	sha1(b, data, n, out);
}

void ew_sha1_portable(const void *data, size_t n, uint8_t out[20])
{
	sha1(blocks_portable, data, n, out);
}
