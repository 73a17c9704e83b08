/* SPDX-License-Identifier: Apache-2.0 */
/* ew_buf - see ew_buf.h. */
#include "core/ew_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

void ew_buf_u64(struct ew_buf *b, uint64_t v)
{
	char tmp[24];
	int i = (int)sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	ew_buf_put(b, tmp + i, sizeof(tmp) - (size_t)i);
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

void ew_buf_json_str(struct ew_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t start = b->len;
	char *d, *end;

	/* Fast path: write straight into the buffer while at least 8 bytes are left. */
	if (b->cap - b->len > 16) {
		d = b->p + b->len;
		end = b->p + b->cap - 8;
		*d++ = '"';
		while (*u && d < end) {
			if (!needs_escape[*u])
				*d++ = (char)*u++;
			else
				d += escape(*u++, d);
		}
		if (*u == '\0' && d < end) {
			*d++ = '"';
			*d = '\0';
			b->len = (size_t)(d - b->p);
			return;
		}
		b->len = start;   /* not enough room: the careful way, which records overflow */
		b->p[b->len] = '\0';
		u = (const unsigned char *)s;
	}
	ew_buf_putc(b, '"');
	for (; *u != '\0'; u++) {
		char esc[6];

		if (!needs_escape[*u])
			ew_buf_putc(b, (char)*u);
		else
			ew_buf_put(b, esc, escape(*u, esc));
	}
	ew_buf_putc(b, '"');
}
