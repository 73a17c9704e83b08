/* SPDX-License-Identifier: Apache-2.0 */
/* ew_buf - a bounded text buffer over caller-owned memory.
 *
 * Formatters (JSON, CEF, syslog) write into an ew_buf; nothing is allocated. When the
 * memory is exhausted the buffer stops growing and remembers it (ew_buf_overflow), the
 * way curl's dynbuf refuses to grow past its "toobig" bound. */
#ifndef EW_BUF_H
#define EW_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ew_buf {
	char *p;
	size_t len, cap;   /* cap includes room for the terminating NUL */
	int overflow;
};

/* Use mem[0..cap) as the buffer; cap must be at least 1. */
void ew_buf_init(struct ew_buf *b, char *mem, size_t cap);
void ew_buf_reset(struct ew_buf *b);
void ew_buf_put_slow(struct ew_buf *b, const char *s, size_t n);
void ew_buf_putc_slow(struct ew_buf *b, char c);

/* Inline: formatters append many short pieces, most of them literals whose length the
 * compiler knows (ew_buf_puts("...") costs no strlen). */
static inline void ew_buf_put(struct ew_buf *b, const char *s, size_t n)
{
	if (n < b->cap - b->len) {
		memcpy(b->p + b->len, s, n);
		b->len += n;
		b->p[b->len] = '\0';
	} else {
		ew_buf_put_slow(b, s, n);
	}
}

static inline void ew_buf_puts(struct ew_buf *b, const char *s)
{
	ew_buf_put(b, s, strlen(s));
}

static inline void ew_buf_putc(struct ew_buf *b, char c)
{
	if (b->len + 2 <= b->cap) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
	} else {
		ew_buf_putc_slow(b, c);
	}
}
void ew_buf_printf(struct ew_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ew_buf_u64(struct ew_buf *b, uint64_t v);
/* Append s as a quoted JSON string with every required escape. */
void ew_buf_json_str(struct ew_buf *b, const char *s);

/* The length of the UTF-8 character at s, of at most n bytes: 1 for ASCII, 2 to 4, or 0
 * when the bytes there are none (a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, a sequence cut short). Every formatter writes
 * U+FFFD for such a byte, so every string sent is valid UTF-8 (SPEC §4). */
size_t ew_utf8_len(const unsigned char *s, size_t n);
#define EW_UTF8_REPLACEMENT "\xef\xbf\xbd"
/* The longest prefix of s, at most max bytes, that ends on a character's boundary. */
size_t ew_utf8_cut(const char *s, size_t max);
/* The NUL-terminated contents (always valid, possibly cut short on overflow). */
static inline const char *ew_buf_str(const struct ew_buf *b) { return b->p; }
static inline int ew_buf_overflow(const struct ew_buf *b) { return b->overflow; }

#endif
