/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for core/: addresses and prefixes, durations, times, buffers, YAML nodes
 * with positions. */
#include <string.h>

#include "check_main.h"
#include "core/ew_addr.h"
#include "core/ew_buf.h"
#include "core/ew_conf.h"
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

static Suite *core_suite(void)
{
	Suite *s = suite_create("ew_core");
	TCase *t = tcase_create("core");

	tcase_add_test(t, addresses_and_prefixes);
	tcase_add_test(t, host_and_port);
	tcase_add_test(t, durations_and_times);
	tcase_add_test(t, buffers);
	tcase_add_test(t, yaml_nodes_positions_and_errors);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(core_suite)
