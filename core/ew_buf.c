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

void ew_buf_put(struct ew_buf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len) {
		b->overflow = 1;
		n = b->cap - b->len - 1;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ew_buf_puts(struct ew_buf *b, const char *s)
{
	ew_buf_put(b, s, strlen(s));
}

void ew_buf_putc_slow(struct ew_buf *b, char c)
{
	ew_buf_put(b, &c, 1);
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

void ew_buf_json_str(struct ew_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	const unsigned char *run = u;

	ew_buf_putc(b, '"');
	for (; *u != '\0'; u++) {
		char esc[6];
		size_t n = 2;

		if (!needs_escape[*u])
			continue;
		ew_buf_put(b, (const char *)run, (size_t)(u - run));
		run = u + 1;
		esc[0] = '\\';
		switch (*u) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[*u >> 4]; esc[5] = hex[*u & 15];
			n = 6;
		}
		ew_buf_put(b, esc, n);
	}
	ew_buf_put(b, (const char *)run, (size_t)(u - run));
	ew_buf_putc(b, '"');
}
