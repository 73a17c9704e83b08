/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/lpm: an address gets the union of every group whose prefix
 * holds it, for IPv4 and IPv6, checked against a brute-force answer. */
#include <stdlib.h>
#include <string.h>

#include "analyzer/lpm.h"
#include "check_main.h"

static void add(struct ew_lpm_builder *b, const char *pfx, uint32_t g)
{
	struct ew_addr a;
	unsigned plen;

	ck_assert_int_eq(ew_prefix_parse(&a, &plen, pfx, 0), 0);
	ck_assert_int_eq(ew_lpm_builder_add(b, &a, plen, g), 0);
}

static int groups_are(const struct ew_lpm *l, const char *addr, const uint32_t *want, uint32_t n)
{
	struct ew_addr a;
	uint32_t got_n;
	const uint32_t *got;

	ew_addr_parse(&a, addr);
	got = ew_lpm_set(l, ew_lpm_lookup(l, &a), &got_n);
	return got_n == n && (n == 0 || memcmp(got, want, n * sizeof(*want)) == 0);
}

START_TEST(nested_prefixes_union)
{
	struct ew_lpm_builder *b = ew_lpm_builder_new();
	struct ew_lpm *l;
	const uint32_t g0[] = { 0 }, g01[] = { 0, 1 }, g012[] = { 0, 1, 2 }, g3[] = { 3 },
		       g34[] = { 3, 4 }, g5[] = { 5 };

	add(b, "198.18.0.0/15", 0);
	add(b, "198.18.1.0/24", 1);
	add(b, "198.18.1.11", 2);
	add(b, "fd18::/64", 3);
	add(b, "fd18::1:0/112", 4);
	add(b, "10.0.0.0/8", 5);
	add(b, "10.0.0.0/8", 5);      /* duplicates are harmless */
	l = ew_lpm_build(b);
	ck_assert_ptr_nonnull(l);
	ck_assert(groups_are(l, "198.19.255.255", g0, 1));
	ck_assert(groups_are(l, "198.18.1.12", g01, 2));
	ck_assert(groups_are(l, "198.18.1.11", g012, 3));
	ck_assert(groups_are(l, "198.20.0.1", NULL, 0));
	ck_assert(groups_are(l, "fd18::2", g3, 1));
	ck_assert(groups_are(l, "fd18::1:5", g34, 2));
	ck_assert(groups_are(l, "fd19::1", NULL, 0));
	ck_assert(groups_are(l, "10.255.0.1", g5, 1));
	ew_lpm_free(l);
}
END_TEST

START_TEST(no_groups_at_all)
{
	struct ew_lpm *l = ew_lpm_build(ew_lpm_builder_new());
	uint32_t n = 7;

	ck_assert_ptr_nonnull(l);
	ck_assert(groups_are(l, "198.18.1.1", NULL, 0));
	ck_assert(groups_are(l, "fd18::1", NULL, 0));
	ck_assert_ptr_nonnull(ew_lpm_set(l, 12345, &n));
	ck_assert_uint_eq(n, 0);
	ew_lpm_free(l);
}
END_TEST

START_TEST(ipv6_default_covers_ipv4)
{
	struct ew_lpm_builder *b = ew_lpm_builder_new();
	struct ew_lpm *l;
	const uint32_t g0[] = { 0 }, g01[] = { 0, 1 };

	add(b, "::/0", 0);
	add(b, "192.0.2.0/24", 1);
	l = ew_lpm_build(b);
	ck_assert(groups_are(l, "203.0.113.9", g0, 1));
	ck_assert(groups_are(l, "192.0.2.9", g01, 2));
	ck_assert(groups_are(l, "2001:db8::1", g0, 1));
	ew_lpm_free(l);
}
END_TEST

START_TEST(random_against_brute_force)
{
	enum { NP = 400, NQ = 20000 };
	struct ew_addr pa[NP];
	unsigned pl[NP];
	struct ew_lpm_builder *b = ew_lpm_builder_new();
	struct ew_lpm *l;

	srand(7);
	for (int i = 0; i < NP; i++) {
		uint8_t v4[4] = { 198, (uint8_t)(18 + rand() % 2), (uint8_t)(rand() % 4),
				  (uint8_t)rand() };

		ew_addr_from_v4(&pa[i], v4);
		pl[i] = 96 + 14 + (unsigned)(rand() % 19);
		ck_assert_int_eq(ew_lpm_builder_add(b, &pa[i], pl[i], (uint32_t)(i % 50)), 0);
		for (unsigned k = pl[i]; k < 128; k++)
			pa[i].a[k / 8] &= (uint8_t)~(0x80 >> (k % 8));
	}
	l = ew_lpm_build(b);
	for (int q = 0; q < NQ; q++) {
		uint8_t v4[4] = { 198, (uint8_t)(18 + rand() % 2), (uint8_t)(rand() % 4),
				  (uint8_t)rand() };
		struct ew_addr a;
		uint8_t want[50] = { 0 };
		uint32_t n;
		const uint32_t *got;
		int nwant = 0;

		ew_addr_from_v4(&a, v4);
		for (int i = 0; i < NP; i++) {
			int in = 1;

			for (unsigned k = 0; k < pl[i] && in; k++)
				in = ((a.a[k / 8] ^ pa[i].a[k / 8]) & (0x80 >> (k % 8))) == 0;
			if (in && !want[i % 50]) {
				want[i % 50] = 1;
				nwant++;
			}
		}
		got = ew_lpm_set(l, ew_lpm_lookup(l, &a), &n);
		ck_assert_uint_eq(n, (uint32_t)nwant);
		for (uint32_t k = 0; k < n; k++)
			ck_assert(want[got[k]]);
	}
	ew_lpm_free(l);
}
END_TEST

static Suite *lpm_suite(void)
{
	Suite *s = suite_create("lpm");
	TCase *t = tcase_create("lpm");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, nested_prefixes_union);
	tcase_add_test(t, ipv6_default_covers_ipv4);
	tcase_add_test(t, no_groups_at_all);
	tcase_add_test(t, random_against_brute_force);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(lpm_suite)
