/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for daemon/learn: flows in, a rules.d proposal out. The proposal names the
 * hosts' subnets (or their inventory role), permits what got through and only that (a
 * refused attempt and an unanswered probe are listed apart, never as rules), ports
 * become services without the client's, and the proposal loads as a policy that allows
 * the observed flows and denies the attempts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/learn.h"
#include "check_main.h"

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

static struct ew_flow flow(const char *s, const char *d, uint16_t sp, uint16_t dp, uint8_t f0,
			   uint8_t f1, uint32_t back)
{
	struct ew_flow f;

	memset(&f, 0, sizeof(f));
	ew_addr_parse(&f.src, s);
	ew_addr_parse(&f.dst, d);
	f.sport = sp;
	f.dport = dp;
	f.proto = 6;
	f.tcp_flags[0] = f0;
	f.tcp_flags[1] = f1;
	f.pkts[0] = 5;
	f.pkts[1] = back;
	f.bytes[0] = 500;
	f.bytes[1] = back * 100;
	f.first_us = 1700000000000000ULL;
	f.last_us = f.first_us + 1000000;
	f.sampling = 1;
	return f;
}

START_TEST(proposal_permits_what_got_through)
{
	struct ew_cls_conf cc;
	struct ew_err err;
	struct ew_classify *cls;
	struct ew_learn_conf lc;
	struct ew_learn *l;
	struct ew_learn_stats st;
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_policy *pol;
	struct ew_verdict v;
	struct ew_flow f[4];
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	memset(&lc, 0, sizeof(lc));
	l = ew_learn_new(&lc, cls);
	ck_assert_ptr_nonnull(l);
	/* SSH that got through, twice from two client ports */
	f[0] = flow("198.18.1.11", "198.18.3.10", 40001, 22, EW_TH_SYN | EW_TH_ACK,
		    EW_TH_SYN | EW_TH_ACK, 4);
	f[1] = flow("198.18.1.12", "198.18.3.10", 40002, 22, EW_TH_SYN | EW_TH_ACK,
		    EW_TH_SYN | EW_TH_ACK, 4);
	/* telnet refused (RST), and an unanswered probe */
	f[2] = flow("198.18.1.11", "198.18.3.10", 40003, 23, EW_TH_SYN, EW_TH_RST | EW_TH_ACK, 1);
	f[3] = flow("198.18.1.11", "198.18.3.10", 40004, 3389, EW_TH_SYN, 0, 0);
	for (int i = 0; i < 4; i++)
		ew_learn_flow(l, &f[i], 1);
	ew_learn_stats(l, &st);
	ck_assert_uint_eq(st.flows, 4);
	ck_assert_uint_eq(st.failed, 2);
	m = open_memstream(&text, &len);
	ck_assert_int_eq(ew_learn_write_policy(l, m, "unit test"), EW_OK);
	fclose(m);
	ck_assert_ptr_nonnull(strstr(text, "198.18.1.0/24"));
	ck_assert_ptr_nonnull(strstr(text, "services: [tcp/22]"));
	ck_assert_ptr_null(strstr(text, "40001"));          /* client ports never enter */
	/* the proposal is a policy: the SSH flows allowed, the attempts denied */
	o.resolve_arg = cls;
	pol = ew_policy_load_mem("learned.yaml", text, len, &o, &err);
	ck_assert_msg(pol != NULL, "%s\n%s", err.msg, text);
	for (int i = 0; i < 4; i++) {
		ew_policy_verdict(pol, &f[i], &v);
		ck_assert_msg(v.action == (i < 2 ? EW_ALLOW : EW_DENY), "flow %d", i);
	}
	ew_policy_free(pol);
	free(text);
	ew_learn_free(l);
	ew_classify_free(cls);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("learn");
	TCase *t = tcase_create("learn");

	tcase_add_test(t, proposal_permits_what_got_through);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
