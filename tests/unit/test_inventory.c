/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/inventory: a YAML inventory file into labels per host and
 * prefix; labels set, replaced and removed; bad files refused at FILE:LINE:COL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/inventory.h"
#include "check_main.h"
#include "tmp_path.h"

static char path[64];

static struct ew_inventory *load(const char *text, struct ew_err *err)
{
	ew_test_file(path, sizeof(path), "inv", text);
	return ew_inventory_load_file(path, err);
}

START_TEST(file_labels_set_and_removed)
{
	struct ew_err err;
	struct ew_inventory *inv = load("198.18.1.11: { role: web, env: prod }\n"
					"198.18.2.0/24: { role: app }\n"
					"\"fd18::3:10\": { role: db }\n", &err);
	struct ew_addr a;
	uint32_t nkv;
	static const char *const kv[] = { "role", "bastion" };
	static const char *const bad[] = { "role", "two words" };

	ck_assert_msg(inv != NULL, "%s", err.msg);
	unlink(path);
	ck_assert_uint_eq(ew_inventory_count(inv), 3);
	ew_addr_parse(&a, "198.18.1.11");
	ck_assert_str_eq(ew_inventory_label(inv, &a, "role"), "web");
	ck_assert_str_eq(ew_inventory_label(inv, &a, "env"), "prod");
	ck_assert_ptr_null(ew_inventory_label(inv, &a, "owner"));
	ck_assert_ptr_nonnull(ew_inventory_labels(inv, &a, &nkv));
	ck_assert_uint_eq(nkv, 4);                  /* strings: two keys, two values */
	ew_addr_parse(&a, "fd18::3:10");
	ck_assert_str_eq(ew_inventory_label(inv, &a, "role"), "db");
	ew_addr_parse(&a, "198.18.9.5");
	ck_assert_int_eq(ew_inventory_set(inv, &a, 128, kv, 2), EW_OK);
	ck_assert_str_eq(ew_inventory_label(inv, &a, "role"), "bastion");
	ck_assert_int_eq(ew_inventory_set(inv, &a, 128, bad, 2), EW_E_INVAL);
	ck_assert_str_eq(ew_inventory_label(inv, &a, "role"), "bastion");   /* unchanged */
	ck_assert_int_eq(ew_inventory_set(inv, &a, 128, NULL, 0), EW_OK);   /* removed */
	ck_assert_ptr_null(ew_inventory_label(inv, &a, "role"));
	ck_assert_uint_eq(ew_inventory_count(inv), 3);
	ew_inventory_free(inv);
}
END_TEST

START_TEST(bad_files_refused_at_their_cause)
{
	static const char *const bad[] = {
		"- 198.18.1.11\n",                          /* not a mapping */
		"198.18.1.300: { role: web }\n",            /* not an address */
		"198.18.1.11: web\n",                       /* labels not a mapping */
		"198.18.1.11: { role: [a, b] }\n",          /* a label not a word */
		"198.18.1.11: { role: web }\n198.18.1.0/24x: { role: x }\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ew_err err;
		struct ew_inventory *inv = load(bad[i], &err);
		char want[80];

		unlink(path);
		ck_assert_msg(inv == NULL, "case %zu accepted", i);
		snprintf(want, sizeof(want), "%s:", path);
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0 &&
			      strspn(err.msg + strlen(want), "0123456789") > 0,
			      "case %zu: %s", i, err.msg);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *t = tcase_create("inventory");

	tcase_add_test(t, file_labels_set_and_removed);
	tcase_add_test(t, bad_files_refused_at_their_cause);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
