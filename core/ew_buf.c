/* SPDX-License-Identifier: Apache-2.0 */
/* ew_buf - see ew_buf.h. */
#include "core/ew_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void ew_buf_init(struct ew_buf *b, char *mem, size_t cap)
{
	b->p = mem;
	b->cap = cap;
	ew_buf_reset(b);
}

void ew_buf_reset(struct ew_buf *b)
{
	b->len = 0;
	b->overflow = 0;
	b->p[0] = '\0';
}

void ew_buf_put_slow(struct ew_buf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len) {
		b->overflow = 1;
		n = b->cap - b->len - 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ew_buf_putc_slow(struct ew_buf *b, char c)
{
	ew_buf_put_slow(b, &c, 1);
}

void ew_buf_printf(struct ew_buf *b, const char *fmt, ...)
{
	size_t room = b->cap - b->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		b->overflow = 1;
		b->len = b->cap - 1;
	} else {
		b->len += (size_t)n;
	}
}

/* The n decimal digits of v, written back from end (two digits per division). */
static void put_digits(char *end, uint64_t v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";

	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);

		v /= 100;
		end -= 2;
		memcpy(end, pairs + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(end - 2, pairs + 2 * v, 2);
	else
		end[-1] = (char)('0' + v);
}

void ew_buf_u64(struct ew_buf *b, uint64_t v)
{
	static const uint64_t p10[20] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
		100000000, 1000000000, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
		10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
		10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL,
		10000000000000000000ULL };
	size_t n = 1;
	char tmp[20];

	while (n < 20 && v >= p10[n])
		n++;
	if (n < b->cap - b->len) {   /* the digits and the NUL fit: in place */
		put_digits(b->p + b->len + n, v);
		b->len += n;
		b->p[b->len] = '\0';
		return;
	}
	put_digits(tmp + n, v);
	ew_buf_put(b, tmp, n);   /* cut where the buffer ends, overflow flagged */
}

/* 1 for the bytes JSON requires escaped: controls, '"' and '\\'. */
static const uint8_t needs_escape[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1,
};

/* The escaped form of byte c into d; returns its length. */
static size_t escape(unsigned char c, char *d)
{
	static const char hex[] = "0123456789abcdef";

	d[0] = '\\';
	switch (c) {
	case '"': d[1] = '"'; return 2;
	case '\\': d[1] = '\\'; return 2;
	case '\n': d[1] = 'n'; return 2;
	case '\r': d[1] = 'r'; return 2;
	case '\t': d[1] = 't'; return 2;
	default:
		d[1] = 'u'; d[2] = '0'; d[3] = '0';
		d[4] = hex[c >> 4]; d[5] = hex[c & 15];
		return 6;
	}
}

size_t ew_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	return len;
}

size_t ew_utf8_cut(const char *s, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < max && u[i]) {
		size_t l = ew_utf8_len(u + i, strnlen(s + i, 4));

		if (l == 0)
			l = 1;          /* a bad byte: one place, replaced where it is written */
		if (i + l > max)
			break;
		i += l;
	}
	return i;
}

/* The character at u[*i] (of n) into d, escaped if JSON wants it, U+FFFD for a byte
 * that starts no UTF-8 character; returns the next place and advances *i. At most 6
 * bytes are written per byte read. */
static inline char *put_char(char *d, const unsigned char *u, size_t n, size_t *i)
{
	unsigned char c = u[*i];
	size_t l;

	if (c < 0x80) {
		(*i)++;
		if (!needs_escape[c]) {
			*d = (char)c;
			return d + 1;
		}
		return d + escape(c, d);
	}
	l = ew_utf8_len(u + *i, n - *i);
	if (l == 0) {
		memcpy(d, EW_UTF8_REPLACEMENT, 3);
		(*i)++;
		return d + 3;
	}
	memcpy(d, u + *i, l);
	*i += l;
	return d + l;
}

#ifdef __SSE2__
/* Non-zero when one of the 16 bytes at p is a control, '"', '\\' or not ASCII (to be
 * checked as UTF-8). */
static inline int special16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i ctl = _mm_cmpeq_epi8(_mm_subs_epu8(v, _mm_set1_epi8(0x1f)), _mm_setzero_si128());

	return _mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(
		_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
}
#endif

/* Non-zero when one of the 8 bytes of w is a control, '"', '\\' or not ASCII (SWAR: a
 * byte below 0x20, one equal to 0x22 or 0x5c, or one with its high bit set). */
static inline uint64_t special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');

	return (w & high) | ((w - ones * 0x20) & ~w & high) | ((q - ones) & ~q & high) |
	       ((bs - ones) & ~bs & high);
}

void ew_buf_json_str(struct ew_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), room = b->cap - b->len;

	/* Fast path, when even an all-escaped string fits: no bound checks, and 8 bytes
	 * at a time while none of them needs an escape. */
	if (room > 3 && n < (room - 3) / 6) {
		char *d = b->p + b->len;
		size_t i = 0;
		uint64_t w;

		*d++ = '"';
		while (n - i >= 8) {
#ifdef __SSE2__
			if (n - i >= 16 && special16(u + i) == 0) {   /* 16 at a time */
				memcpy(d, u + i, 16);
				d += 16;
				i += 16;
				continue;
			}
#endif
			memcpy(&w, u + i, 8);
			if (special8(w) == 0) {
				memcpy(d, &w, 8);
				d += 8;
				i += 8;
				continue;
			}
			d = put_char(d, u, n, &i);
		}
		/* The last 1-7 bytes as the string's last 8 when none of those 8 needs an
		 * escape: the ones already out are written again, the same bytes at the same
		 * places (none was escaped) */
		if (i < n && n >= 8) {
			memcpy(&w, u + n - 8, 8);
			if (special8(w) == 0) {
				memcpy(d - (i - (n - 8)), &w, 8);
				d += n - i;
				i = n;
			}
		}
		while (i < n)
			d = put_char(d, u, n, &i);
		*d++ = '"';
		*d = '\0';
		b->len = (size_t)(d - b->p);
		return;
	}
	ew_buf_putc(b, '"');
	for (size_t i = 0; i < n;) {
		char esc[6];

		ew_buf_put(b, esc, (size_t)(put_char(esc, u, n, &i) - esc));
	}
	ew_buf_putc(b, '"');
}
