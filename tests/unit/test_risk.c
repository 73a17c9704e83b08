/* SPDX-License-Identifier: Apache-2.0 */
/* test_risk - the risk detector's choice: the defaults grade nDPI's risks by name
 * (attacks critical, clear-text credentials high, obsolete ciphers medium, unsafe
 * protocols low, the noisy ones off), and a flow's enabled risks and their highest
 * severity come from that map alone. */
#include <string.h>

#include "analyzer/classify.h"
#include "analyzer/risk.h"
#include "check_main.h"
#include "core/ew_sev.h"

static int bit_of(const char *name)
{
	for (int r = 1; r < 64; r++)
		if (ew_classify_risk_name(r) && strcmp(ew_classify_risk_name(r), name) == 0)
			return r;
	ck_abort_msg("nDPI has no risk \"%s\"", name);
	return 0;
}

START_TEST(defaults_by_name)
{
	uint8_t sev[64];

	ew_risk_defaults(sev);
	ck_assert_uint_eq(sev[bit_of("SQL Injection")], EW_SEV_CRITICAL);
	ck_assert_uint_eq(sev[bit_of("Clear-Text Credentials")], EW_SEV_HIGH);
	ck_assert_uint_eq(sev[bit_of("Weak TLS Cipher")], EW_SEV_MEDIUM);
	ck_assert_uint_eq(sev[bit_of("Unsafe Protocol")], EW_SEV_LOW);
	ck_assert_uint_eq(sev[bit_of("Self-signed Certificate")], EW_RISK_OFF);
	ck_assert_uint_eq(sev[0], EW_RISK_OFF);
}
END_TEST

START_TEST(enabled_risks_and_severity)
{
	uint8_t sev[64], s = 99;
	int sqli = bit_of("SQL Injection"), weak = bit_of("Weak TLS Cipher"),
	    self = bit_of("Self-signed Certificate");
	uint64_t on;

	ew_risk_defaults(sev);
	ck_assert_uint_eq(ew_risk_enabled(sev, 0, &s), 0);
	ck_assert_uint_eq(s, 0);
	on = ew_risk_enabled(sev, 1ULL << self, &s);       /* off by default: nothing */
	ck_assert_uint_eq(on, 0);
	on = ew_risk_enabled(sev, 1ULL << weak | 1ULL << self, &s);
	ck_assert(on == 1ULL << weak);
	ck_assert_uint_eq(s, EW_SEV_MEDIUM);
	on = ew_risk_enabled(sev, 1ULL << weak | 1ULL << sqli | 1ULL << self, &s);
	ck_assert(on == (1ULL << weak | 1ULL << sqli));
	ck_assert_uint_eq(s, EW_SEV_CRITICAL);             /* the highest of them */
	sev[sqli] = EW_RISK_OFF;                            /* the configuration turns it off */
	ck_assert(ew_risk_enabled(sev, 1ULL << sqli, &s) == 0);
}
END_TEST

static Suite *risk_suite(void)
{
	Suite *s = suite_create("risk");
	TCase *t = tcase_create("risk");

	tcase_add_test(t, defaults_by_name);
	tcase_add_test(t, enabled_risks_and_severity);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(risk_suite)
