/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for core/: addresses and prefixes, durations, times, buffers, YAML nodes
 * with positions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "check_main.h"
#include "tmp_path.h"
#include "core/ew_addr.h"
#include "core/ew_buf.h"
#include "core/ew_conf.h"
#include "core/ew_hash.h"
#include "core/ew_ilist.h"
#include "core/ew_mem.h"
#include "core/ew_time.h"

START_TEST(addresses_and_prefixes)
{
	struct ew_addr a;
	unsigned plen;
	char s[EW_ADDR_STRLEN];

	ck_assert_int_eq(ew_addr_parse(&a, "198.18.1.11"), 0);
	ck_assert(ew_addr_is_v4(&a));
	ck_assert_uint_eq(ew_addr_v4_host(&a), 0xc612010bu);
	ck_assert_str_eq(ew_addr_format(&a, s), "198.18.1.11");
	ck_assert_int_eq(ew_addr_parse(&a, "fd18::1"), 0);
	ck_assert(!ew_addr_is_v4(&a));
	ck_assert_str_eq(ew_addr_format(&a, s), "fd18::1");
	ck_assert_int_eq(ew_addr_parse(&a, "198.18.1"), -1);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "198.18.0.0/15", 0), 0);
	ck_assert_uint_eq(plen, 96 + 15);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "198.18.1.0/33", 0), -1);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "198.18.1.1/24", 0), -1);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "198.18.1.1/24", 1), 0);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "fd18::/64", 0), 0);
	ck_assert_uint_eq(plen, 64);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "fd18::/", 0), -1);
	ck_assert_int_eq(ew_prefix_parse(&a, &plen, "/8", 0), -1);
}
END_TEST

/* Every value of every octet, against inet_ntop, and the length returned. */
START_TEST(ipv4_text_every_octet)
{
	for (int pos = 0; pos < 4; pos++)
		for (unsigned v = 0; v < 256; v++) {
			uint8_t q[4] = { 198, 18, 7, 9 };
			char want[INET_ADDRSTRLEN], got[EW_ADDR_STRLEN];
			struct ew_addr a;
			size_t n;

			q[pos] = (uint8_t)v;
			q[(pos + 1) & 3] = (uint8_t)(255 - v);
			ew_addr_from_v4(&a, q);
			inet_ntop(AF_INET, q, want, sizeof(want));
			memset(got, 'x', sizeof(got));
			n = ew_addr_format_n(&a, got);
			ck_assert_str_eq(got, want);
			ck_assert_uint_eq(n, strlen(want));
		}
}
END_TEST

START_TEST(durations_and_times)
{
	uint64_t us;
	char t[32];

	ck_assert_int_eq(ew_duration_parse("90", &us), 0);
	ck_assert_uint_eq(us, 90 * EW_USEC);
	ck_assert_int_eq(ew_duration_parse("5m", &us), 0);
	ck_assert_uint_eq(us, 300 * EW_USEC);
	ck_assert_int_eq(ew_duration_parse("250ms", &us), 0);
	ck_assert_uint_eq(us, 250000);
	ck_assert_int_eq(ew_duration_parse("2h", &us), 0);
	ck_assert_int_eq(ew_duration_parse("1x", &us), -1);
	ck_assert_int_eq(ew_duration_parse("-1s", &us), -1);
	ck_assert_str_eq(ew_time_rfc3339(0, t), "1970-01-01T00:00:00.000Z");
	ck_assert_str_eq(ew_time_rfc3339(1549337929790123ULL, t), "2019-02-05T03:38:49.790Z");
	/* times that share a cache slot (seconds 4 apart), alternate, or cross midnight,
	 * each formatted as gmtime says */
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t when = 1795301943091000ULL + (i % 7) * 4 * EW_USEC + (i * 86399 % 200000) *
			      EW_USEC + i * 1237 % EW_USEC;
		time_t secs = (time_t)(when / EW_USEC);
		struct tm tm;
		char want[64];

		gmtime_r(&secs, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned)(when % EW_USEC / 1000));
		ck_assert_str_eq(ew_time_rfc3339(when, t), want);
		/* and read back, to the millisecond */
		ck_assert_int_eq(ew_time_parse_rfc3339(want), (int64_t)(when / 1000 * 1000));
	}
	ck_assert_int_eq(ew_time_parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800000000LL);
	ck_assert_int_eq(ew_time_parse_rfc3339("2023-02-29T00:00:00Z"), -1);
	ck_assert_int_eq(ew_time_parse_rfc3339("2023-13-01T00:00:00Z"), -1);
	ck_assert_int_eq(ew_time_parse_rfc3339("2023-12-01T24:00:00Z"), -1);
	ck_assert_int_eq(ew_time_parse_rfc3339("2023-12-01T23:00:00"), -1);
	ck_assert_int_eq(ew_time_parse_rfc3339("2023-12-01T23:0"), -1);
	ck_assert_int_eq(ew_time_parse_rfc3339("2023-12-01T23:00:00.1234567Z"), 1701471600123456LL);
}
END_TEST

START_TEST(buffers)
{
	char mem[8];
	struct ew_buf b;

	ew_buf_init(&b, mem, sizeof(mem));
	ew_buf_puts(&b, "abc");
	ew_buf_u64(&b, 42);
	ck_assert_str_eq(ew_buf_str(&b), "abc42");
	ck_assert(!ew_buf_overflow(&b));
	ew_buf_puts(&b, "overflowing");
	ck_assert(ew_buf_overflow(&b));
	ck_assert_uint_eq(strlen(mem), 7);
	ew_buf_reset(&b);
	ew_buf_printf(&b, "%d-%d", 1, 2);
	ck_assert_str_eq(mem, "1-2");
}
END_TEST

/* Numbers of every length into buffers of every size after a prefix: the digits of
 * "%llu", cut where the buffer ends, with the overflow flag exactly when cut. */
START_TEST(numbers_in_every_buffer)
{
	uint64_t vals[64];
	int nv = 0;

	vals[nv++] = 0;
	for (uint64_t p = 1; nv < 60; p *= 10) {
		vals[nv++] = p - 1 ? p - 1 : 7;
		vals[nv++] = p;
		vals[nv++] = p + p / 2;
		if (p > UINT64_MAX / 10)
			break;
	}
	vals[nv++] = UINT64_MAX;
	for (int i = 0; i < nv; i++)
		for (size_t pre = 0; pre < 4; pre++)
			for (size_t cap = pre + 1; cap < 32; cap++) {
				char *mem = malloc(cap), want[64];
				struct ew_buf b;
				size_t full;

				ew_buf_init(&b, mem, cap);
				ew_buf_put(&b, "abc", pre);
				ew_buf_u64(&b, vals[i]);
				full = (size_t)snprintf(want, sizeof(want), "%.*s%llu", (int)pre, "abc",
							(unsigned long long)vals[i]);
				if (full > cap - 1)
					want[cap - 1] = '\0';
				ck_assert_msg(strcmp(mem, want) == 0 && b.len == strlen(want),
					      "%llu after %zu bytes in %zu: \"%s\"",
					      (unsigned long long)vals[i], pre, cap, mem);
				ck_assert_int_eq(ew_buf_overflow(&b), full > cap - 1);
				free(mem);
			}
}
END_TEST

/* The length of the well-formed UTF-8 sequence at s by Unicode's table 3-7 (each byte's
 * allowed range by position), 0 for none. */
static size_t wellformed(const unsigned char *s)
{
	static const struct { unsigned char lo[4], hi[4]; size_t n; } t[] = {
		{ { 0xc2, 0x80 }, { 0xdf, 0xbf }, 2 },
		{ { 0xe0, 0xa0, 0x80 }, { 0xe0, 0xbf, 0xbf }, 3 },
		{ { 0xe1, 0x80, 0x80 }, { 0xec, 0xbf, 0xbf }, 3 },
		{ { 0xed, 0x80, 0x80 }, { 0xed, 0x9f, 0xbf }, 3 },
		{ { 0xee, 0x80, 0x80 }, { 0xef, 0xbf, 0xbf }, 3 },
		{ { 0xf0, 0x90, 0x80, 0x80 }, { 0xf0, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf1, 0x80, 0x80, 0x80 }, { 0xf3, 0xbf, 0xbf, 0xbf }, 4 },
		{ { 0xf4, 0x80, 0x80, 0x80 }, { 0xf4, 0x8f, 0xbf, 0xbf }, 4 },
	};

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		size_t i = 0;

		while (i < t[k].n && s[i] >= t[k].lo[i] && s[i] <= t[k].hi[i])
			i++;
		if (i == t[k].n)
			return i;
	}
	return 0;
}

/* The escaped form by the definition: what ew_buf_json_str must produce (a byte that
 * starts no well-formed UTF-8 sequence becomes U+FFFD). */
static void json_ref(const unsigned char *s, char *out)
{
	*out++ = '"';
	for (; *s; s++) {
		if (*s >= 0x80) {
			size_t n = wellformed(s);

			if (n == 0) {
				out += sprintf(out, "\xef\xbf\xbd");
			} else {
				memcpy(out, s, n);
				out += n;
				s += n - 1;
			}
			continue;
		}
		if (*s == '"' || *s == '\\') {
			*out++ = '\\';
			*out++ = (char)*s;
		} else if (*s == '\n') {
			out += sprintf(out, "\\n");
		} else if (*s == '\r') {
			out += sprintf(out, "\\r");
		} else if (*s == '\t') {
			out += sprintf(out, "\\t");
		} else if (*s < 0x20) {
			out += sprintf(out, "\\u%04x", *s);
		} else {
			*out++ = (char)*s;
		}
	}
	*out++ = '"';
	*out = '\0';
}

START_TEST(json_strings_escaped_at_every_position)
{
	/* every special byte, and bytes next to them in value, at every offset of strings
	 * of 1 to 40 bytes, in a roomy buffer (8 bytes at a time) and a tight one */
	static const unsigned char probes[] = { 0x01, 0x0a, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b,
						'\\', 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 0xc0,
						0xe2, 0xed, 0xf4, 0xf5 };
	unsigned char s[48];
	char want[48 * 6 + 3], mem[48 * 6 + 3], tight[40];
	struct ew_buf b;

	for (size_t len = 1; len <= 40; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof(probes); k++) {
				for (size_t i = 0; i < len; i++)
					s[i] = (unsigned char)('a' + (i * 7 + k) % 26);
				s[at] = probes[k];
				s[(at * 5 + k) % len] = probes[(k + 3) % sizeof(probes)];
				s[len] = 0;
				json_ref(s, want);
				ew_buf_init(&b, mem, sizeof(mem));
				ew_buf_json_str(&b, (const char *)s);
				ck_assert_str_eq(mem, want);
				ck_assert(!ew_buf_overflow(&b));
				ew_buf_init(&b, tight, sizeof(tight));
				ew_buf_json_str(&b, (const char *)s);
				ck_assert_int_eq(ew_buf_overflow(&b), strlen(want) >= sizeof(tight));
				ck_assert(strncmp(tight, want, strlen(tight)) == 0);
			}
	/* characters of 2, 3 and 4 bytes, whole, cut short, overlong, surrogates and past
	 * U+10FFFF, at every offset: what is valid stays, each other byte is U+FFFD */
	{
		static const char *const seqs[] = {
			"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
			"\xe2\x82", "\xf0\x9f\x98", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
			"\xf4\x90\x80\x80", "\xbf", "\xef\xbf\xbd",
		};

		for (size_t k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++)
			for (size_t len = 0; len <= 30; len++)
				for (size_t at = 0; at <= len; at++) {
					size_t q = strlen(seqs[k]);

					for (size_t i = 0; i < len; i++)
						s[i] = (unsigned char)('a' + i % 26);
					memmove(s + at + q, s + at, len - at);
					memcpy(s + at, seqs[k], q);
					s[len + q] = 0;
					json_ref(s, want);
					ew_buf_init(&b, mem, sizeof(mem));
					ew_buf_json_str(&b, (const char *)s);
					ck_assert_str_eq(mem, want);
				}
		ck_assert_uint_eq(ew_utf8_cut("ab\xe2\x82\xac", 4), 2);   /* not into the euro */
		ck_assert_uint_eq(ew_utf8_cut("ab\xe2\x82\xac", 5), 5);
		ck_assert_uint_eq(ew_utf8_cut("ab\xff" "c", 3), 3);           /* a bad byte is one */
	}
	/* a buffer 1 to 6 bytes short of full, or already overflowed: nothing written past */
	for (size_t left = 0; left <= 6; left++) {
		char *small = malloc(left + 20);

		ew_buf_init(&b, small, left + 20);
		ew_buf_puts(&b, "0123456789012345678");
		ck_assert_uint_eq(b.len, 19);
		ew_buf_json_str(&b, "ab\"c");
		ck_assert_int_eq(ew_buf_overflow(&b), left < 7);
		ck_assert_uint_le(strlen(small), left + 19);
		ew_buf_json_str(&b, "more");
		ck_assert(ew_buf_overflow(&b));
		ck_assert_uint_le(strlen(small), left + 19);
		free(small);
	}
}
END_TEST

START_TEST(yaml_nodes_positions_and_errors)
{
	static const char doc[] = "a: 1\nb:\n  - x\n  - { c: true, d: 30s }\n";
	static const char *const keys[] = { "a", "b", NULL };
	struct ew_conf *cf;
	struct ew_conf_node r, b, m, bad;
	struct ew_err err;
	uint64_t v;
	int on;

	ck_assert_int_eq(ew_conf_load_mem(&cf, "t.yaml", doc, sizeof(doc) - 1, &err), 0);
	r = ew_conf_root(cf);
	ck_assert_int_eq(ew_conf_check_map(r, "top", keys, &err), 0);
	ck_assert_int_eq(ew_conf_uint(ew_conf_get(r, "a"), 10, &v, &err), 0);
	ck_assert_uint_eq(v, 1);
	b = ew_conf_get(r, "b");
	ck_assert_int_eq(ew_conf_type(b), EW_CONF_SEQ);
	ck_assert_uint_eq(ew_conf_len(b), 2);
	m = ew_conf_at(b, 1);
	ck_assert_uint_eq(ew_conf_line(m), 4);
	ck_assert_uint_eq(ew_conf_col(m), 5);
	ck_assert_int_eq(ew_conf_bool(ew_conf_get(m, "c"), &on, &err), 0);
	ck_assert_int_eq(on, 1);
	ck_assert_int_eq(ew_conf_duration(ew_conf_get(m, "d"), &v, &err), 0);
	ck_assert_uint_eq(v, 30 * EW_USEC);
	bad = ew_conf_at(b, 0);
	ck_assert_int_ne(ew_conf_uint(bad, 10, &v, &err), 0);
	ck_assert_str_eq(err.msg, "t.yaml:3:5: expected a whole number from 0 to 10, not \"x\"");
	ck_assert_int_ne(ew_conf_check_map(m, "thing", keys, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml:4:7: unknown key \"c\" in thing"));
	ck_assert(!ew_conf_present(ew_conf_get(r, "zz")));
	ew_conf_free(cf);
	ck_assert_int_ne(ew_conf_load_mem(&cf, "u.yaml", "a: [1, 2\n", 9, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "u.yaml:2:1: YAML syntax"));
	ck_assert_int_ne(ew_conf_load(&cf, "/nonexistent/x.yaml", &err), 0);
}
END_TEST

/* What the YAML reader refuses: a second document (its rules would be dropped), a FIFO
 * (reading it would hang check and a reload), a file past the size cap. */
START_TEST(yaml_refuses_what_it_would_not_read_whole)
{
	static const char two[] = "deny:\n  - { name: a, from: any, to: any }\n---\n"
				  "deny:\n  - { name: b, from: any, to: any }\n";
	char dir[64], path[96];
	struct ew_conf *cf = NULL;
	struct ew_err err;
	FILE *f;

	ck_assert_int_ne(ew_conf_load_mem(&cf, "two.yaml", two, sizeof(two) - 1, &err), 0);
	ck_assert_ptr_null(cf);
	ck_assert_msg(strncmp(err.msg, "two.yaml:3:1: a second YAML document", 36) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(ew_conf_load_mem(&cf, "one.yaml", "a: 1\n---\n", 9, &err), 0);
	ew_conf_free(cf);                 /* an empty document after --- reads nothing */
	ew_test_dir(dir, sizeof(dir), "conf");
	snprintf(path, sizeof(path), "%s/fifo.yaml", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	cf = NULL;
	ck_assert_int_ne(ew_conf_load(&cf, path, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, ":1:1: not a regular file"));
	unlink(path);
	snprintf(path, sizeof(path), "%s/big.yaml", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), EW_CONF_MAX_BYTES + 1), 0);   /* sparse */
	fclose(f);
	ck_assert_int_ne(ew_conf_load(&cf, path, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, ":1:1: larger than 16 MB"));
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Expect loading text to fail with a message that begins want ("NAME:LINE:COL: ..."). */
static void refused(const char *text, size_t len, const char *want)
{
	struct ew_conf *cf = NULL;
	struct ew_err err;

	ck_assert_int_ne(ew_conf_load_mem(&cf, "x.yaml", text, len, &err), 0);
	ck_assert_ptr_null(cf);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got \"%s\", want \"%s...\"",
		      err.msg, want);
}

/* Files built to turn the loader against the host are refused at their cause. */
START_TEST(yaml_loader_bounds)
{
	static char big[4 << 20];
	size_t n = 0;
	struct ew_conf *cf = NULL;
	struct ew_err err;

	/* billion laughs: 9 levels of 10 aliases each */
	n = (size_t)snprintf(big, sizeof(big), "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int l = 1; l < 10; l++) {
		n += (size_t)snprintf(big + n, sizeof(big) - n, "a%d: &a%d [", l, l);
		for (int k = 0; k < 10; k++)
			n += (size_t)snprintf(big + n, sizeof(big) - n, "%s*a%d", k ? ", " : "", l - 1);
		n += (size_t)snprintf(big + n, sizeof(big) - n, "]\n");
	}
	refused(big, n, "x.yaml:6:");       /* a5 expands past a million nodes */
	/* 100,000 nested flow mappings */
	n = 0;
	for (int i = 0; i < 100000; i++)
		big[n++] = '{';
	refused(big, n, "x.yaml:1:65: nested deeper than 64 levels");
	/* a NUL byte on line 3, bad UTF-8 on line 3, an escaped NUL */
	refused("a: 1\nb: 2\nc: x\0y\n", 17, "x.yaml:3:5: ");
	refused("a: 1\nb: 2\nc: x\xff\n", 16, "x.yaml:3:5: ");
	refused("a: 1\nb: \"x\\0y\"\n", 15, "x.yaml:2:4: a NUL character in a value");
	/* many aliases of a small node */
	n = (size_t)snprintf(big, sizeof(big), "a: &a x\nb: [");
	for (int i = 0; i < 10001; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "*a, ");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "]\n");
	refused(big, n, "x.yaml:2:");
	/* what stays legal: a few aliases, 60 levels */
	ck_assert_int_eq(ew_conf_load_mem(&cf, "ok.yaml", "a: &a [1, 2]\nb: [*a, *a]\n", 25, &err),
			 0);
	ew_conf_free(cf);
	n = 0;
	for (int i = 0; i < 60; i++)
		big[n++] = '[';
	for (int i = 0; i < 60; i++)
		big[n++] = ']';
	ck_assert_int_eq(ew_conf_load_mem(&cf, "ok.yaml", big, n, &err), 0);
	ew_conf_free(cf);
	/* 1.1 million nodes written out (a policy of 100,000 rules has more than a million):
	 * only what aliases add is bounded */
	n = 0;
	big[n++] = '[';
	for (int i = 0; i < 1100000; i++) {
		big[n++] = '1';
		big[n++] = ',';
	}
	big[n++] = ']';
	ck_assert_msg(ew_conf_load_mem(&cf, "ok.yaml", big, n, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(ew_conf_len(ew_conf_root(cf)), 1100000);
	ew_conf_free(cf);
}
END_TEST

/* The seeded hash spreads what an attacker can choose: every address of a /16 into 4,096
 * buckets (16 each on average; the exporter table's old hash put a /16 in one slot), and
 * two seeds place the same key differently. */
START_TEST(seeded_hash_spreads_a_slash16)
{
	static uint32_t load[4096];
	uint32_t max = 0, same = 0;

	for (uint32_t i = 0; i < 65536; i++) {
		struct ew_addr a;
		uint8_t v4[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
		uint32_t b;

		ew_addr_from_v4(&a, v4);
		b = (uint32_t)ew_hash_addr(&a, 0xe4) & 4095;
		if (++load[b] > max)
			max = load[b];
		same += (ew_addr_hash(&a, 1) & 4095) == (ew_addr_hash(&a, 2) & 4095);
	}
	ck_assert_uint_le(max, 48);
	ck_assert_uint_lt(same, 100);
	ck_assert_uint_ne(ew_hash_seed(), 0);
	ck_assert_uint_ne(ew_hash_bytes(ew_hash_seed(), "ab", 2), ew_hash_bytes(ew_hash_seed(), "ba", 2));
}
END_TEST

START_TEST(host_and_port)
{
	char h[64];
	uint16_t port;

	ck_assert_int_eq(ew_hostport_split("siem.example:6514", h, sizeof(h), &port, 0), 0);
	ck_assert_str_eq(h, "siem.example");
	ck_assert_uint_eq(port, 6514);
	ck_assert_int_eq(ew_hostport_split("[fd18::1]:4739", h, sizeof(h), &port, 0), 0);
	ck_assert_str_eq(h, "fd18::1");
	ck_assert_uint_eq(port, 4739);
	ck_assert_int_eq(ew_hostport_split(":9464", h, sizeof(h), &port, 0), 0);
	ck_assert_str_eq(h, "");
	ck_assert_int_eq(ew_hostport_split("[::]", h, sizeof(h), &port, 514), 0);
	ck_assert_str_eq(h, "::");
	ck_assert_uint_eq(port, 514);
	ck_assert_int_eq(ew_hostport_split("siem", h, sizeof(h), &port, 514), 0);
	ck_assert_uint_eq(port, 514);
	/* refused: no port and no default, bare IPv6, bad ports, junk after ']' or the port,
	 * a host too long */
	ck_assert_int_eq(ew_hostport_split("siem", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("fd18::1:4739", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("h:0", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("h:65536", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("h:", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("h:80x", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("[::1]x:80", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("[::1", h, sizeof(h), &port, 0), -1);
	ck_assert_int_eq(ew_hostport_split("abcdefgh:1", h, 8, &port, 0), -1);
}
END_TEST

/* A table populated is resident in every whole page, what was written kept, the rest
 * zero; a partial page at either end is left alone. */
struct ient {
	uint64_t payload;
	struct ew_ilink link;
};

#define IL(e) (e), sizeof(struct ient), offsetof(struct ient, link)

/* The list's entries newest first, as digits ("" when empty); checked both ways. */
static void ilist_is(const struct ew_ilist *l, struct ient *e, const char *want)
{
	char got[16] = "", back[16] = "";
	size_t n = 0, m = 0;

	for (uint32_t i = l->newest; i && n < 15; i = e[i].link.older)
		got[n++] = (char)('0' + i);
	for (uint32_t i = l->oldest; i && m < 15; i = e[i].link.newer)
		back[m++] = (char)('0' + i);
	for (size_t k = 0; k < m / 2; k++) {
		char c = back[k];

		back[k] = back[m - 1 - k];
		back[m - 1 - k] = c;
	}
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(back, want);
}

START_TEST(index_lists)
{
	struct ient e[8];
	struct ew_ilist l = { 0, 0 };

	memset(e, 0, sizeof(e));
	ilist_is(&l, e, "");
	ew_ilist_push_newest(&l, IL(e), 1);
	ew_ilist_push_newest(&l, IL(e), 2);
	ew_ilist_push_oldest(&l, IL(e), 3);
	ew_ilist_push_newest(&l, IL(e), 4);
	ilist_is(&l, e, "4213");
	ew_ilist_remove(&l, IL(e), 2);           /* the middle */
	ilist_is(&l, e, "413");
	ew_ilist_remove(&l, IL(e), 4);           /* the newest */
	ilist_is(&l, e, "13");
	ew_ilist_remove(&l, IL(e), 3);           /* the oldest */
	ilist_is(&l, e, "1");
	ck_assert_uint_eq(e[3].link.newer, 0);
	ck_assert_uint_eq(e[3].link.older, 0);
	ew_ilist_remove(&l, IL(e), 1);           /* the last */
	ilist_is(&l, e, "");
	ew_ilist_push_oldest(&l, IL(e), 5);
	ew_ilist_push_oldest(&l, IL(e), 6);
	ilist_is(&l, e, "56");
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(e[i].payload, 0);   /* the links alone were written */
}
END_TEST

START_TEST(populated_memory_resident)
{
	size_t n = 6u << 20, pages = n / 4096;
	uint8_t *p = ew_mem_huge(n);
	void (*populate)(void *, size_t) = _i ? ew_mem_populate_by_writes : ew_mem_populate;
	unsigned char *vec = malloc(pages);
	size_t in = 0;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(vec);
	p[5] = 7;
	p[n - 1] = 9;
	populate(p, n);
	ck_assert_int_eq(mincore(p, n, vec), 0);
	for (size_t i = 0; i < pages; i++)
		in += vec[i] & 1;
	ck_assert_uint_eq(in, pages);
	ck_assert_uint_eq(p[5], 7);
	ck_assert_uint_eq(p[n - 1], 9);
	ck_assert_uint_eq(p[4u << 20], 0);
	populate(p + 1, 0);                         /* nothing, and no page touched */
	populate(NULL, 4096);
	ew_mem_huge_free(p, n);
	free(vec);
}
END_TEST

static Suite *core_suite(void)
{
	Suite *s = suite_create("ew_core");
	TCase *t = tcase_create("core");

	tcase_set_timeout(t, 60);   /* a million YAML nodes take seconds under ASan */
	tcase_add_test(t, addresses_and_prefixes);
	tcase_add_test(t, index_lists);
	tcase_add_test(t, ipv4_text_every_octet);
	tcase_add_test(t, host_and_port);
	tcase_add_test(t, yaml_refuses_what_it_would_not_read_whole);
	tcase_add_test(t, yaml_loader_bounds);
	tcase_add_test(t, seeded_hash_spreads_a_slash16);
	tcase_add_test(t, durations_and_times);
	tcase_add_test(t, buffers);
	tcase_add_test(t, numbers_in_every_buffer);
	tcase_add_test(t, json_strings_escaped_at_every_position);
	tcase_add_test(t, yaml_nodes_positions_and_errors);
	tcase_add_loop_test(t, populated_memory_resident, 0, 2);   /* madvise; writes */
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(core_suite)
