/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/classify: nDPI names real flows from the nDPI corpus, frees
 * its state when done, keeps risks, guesses from ports, and stays within its pool. */
#include <ctype.h>
#include <stdio.h>
#include <ndpi/ndpi_api.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "analyzer/classify.h"
#include "analyzer/flowtab.h"
#include "check_main.h"
#include "collector/decode_pkt.h"

struct run {
	struct ew_classify *c;
	struct ew_flowtab *ft;
	int known_at;           /* packet number at which the app became known */
	int finished;
	struct ew_flow last;
};

static void on_end(void *arg, struct ew_ft_entry *e, int final)
{
	struct run *r = arg;

	if (final && e->cls)
		ew_classify_finish(r->c, &e->cls, &e->f);
	if (final)
		r->last = e->f;
}

static void replay(struct run *r, const char *file, uint32_t max_active)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(file, ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct ew_cls_conf cc;
	struct ew_ft_conf fc;
	struct ew_err err;
	int n = 0;

	ck_assert_msg(p != NULL, "%s: %s", file, ebuf);
	ew_cls_conf_default(&cc);
	cc.max_active = max_active;
	r->c = ew_classify_new(&cc, &err);
	ck_assert_ptr_nonnull(r->c);
	ew_ft_conf_default(&fc);
	fc.max_flows = 1000;
	r->ft = ew_flowtab_new(&fc, on_end, r);
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct ew_pkt k;
		struct ew_ft_entry *e;
		int dir, created, rc;
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;

		n++;
		if (ew_pkt_decode(&k, pcap_datalink(p), d, h->caplen) != EW_OK ||
		    k.kind != EW_PKT_FLOW)
			continue;
		e = ew_flowtab_packet(r->ft, &k.k, ts, &dir, &created);
		if (e->user[0])
			continue;
		rc = ew_classify_packet(r->c, &e->cls, &e->f, k.l3, k.l3_len, ts);
		if ((rc & EW_CLS_APP_KNOWN) && !r->known_at)
			r->known_at = n;
		if (rc & EW_CLS_FINISHED) {
			e->user[0] = 1;
			r->finished = n;
			ck_assert_ptr_null(e->cls);
		}
	}
	pcap_close(p);
	ew_flowtab_flush(r->ft, EW_END_SHUTDOWN);
}

static void done(struct run *r)
{
	ew_flowtab_free(r->ft);
	ew_classify_free(r->c);
}

START_TEST(ssh_named_early_with_risks)
{
	struct run r = { 0 };
	struct ew_cls_stats st;
	char name[64];

	replay(&r, EW_CORPUS "/ndpi-4.2/pcap/ssh.pcap", 1000);
	ck_assert_int_eq(r.last.app_source, EW_APP_DPI);
	ck_assert_str_eq(ew_classify_flow_name(r.c, &r.last, name, sizeof(name)), "SSH");
	ck_assert_int_gt(r.known_at, 0);
	ck_assert_int_le(r.known_at, 10);      /* named within the banners, not at flow end */
	ck_assert_int_gt(r.finished, 0);       /* state released mid-flow (258 packets) */
	ck_assert_int_lt(r.finished, 100);
	/* OpenSSH 5.x on both sides: nDPI flags both as obsolete */
	ck_assert(r.last.risk != 0);
	ew_classify_stats(r.c, &st);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.detected, 1);
	done(&r);
}
END_TEST

START_TEST(port_guess_for_silent_flows)
{
	struct ew_cls_conf cc;
	struct ew_err err;
	struct ew_classify *c;
	struct ew_flow f;
	char name[64];

	ew_cls_conf_default(&cc);
	c = ew_classify_new(&cc, &err);
	memset(&f, 0, sizeof(f));
	ew_addr_parse(&f.src, "198.18.1.1");
	ew_addr_parse(&f.dst, "198.18.2.1");
	f.proto = 6;
	f.sport = 40000;
	f.dport = 22;
	ew_classify_guess(c, &f);
	ck_assert_int_eq(f.app_source, EW_APP_PORT);
	ck_assert_str_eq(ew_classify_flow_name(c, &f, name, sizeof(name)), "SSH");
	f.dport = 1;
	f.app_master = f.app_proto = 0;
	ew_classify_guess(c, &f);
	ck_assert_int_eq(f.app_source, EW_APP_NONE);
	ew_classify_free(c);
}
END_TEST

/* The port guess is nDPI's own (its port tables, addresses 0), also where eastwatch
 * answers without asking nDPI (neither port in nDPI's tables): random port pairs, TCP
 * and UDP, against a detection module of this test's own, and every port against a
 * fixed unnamed one. */
START_TEST(port_guess_is_ndpis)
{
	struct ew_cls_conf cc;
	struct ew_err err;
	struct ew_classify *c;
	struct ndpi_detection_module_struct *n = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK all;
	uint64_t x = 88172645463325252ULL;

	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(n, &all);
	ndpi_finalize_initialization(n);
	ew_cls_conf_default(&cc);
	c = ew_classify_new(&cc, &err);
	ck_assert_ptr_nonnull(c);
	for (int i = 0; i < 400000; i++) {
		struct ew_flow f;
		ndpi_protocol r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memset(&f, 0, sizeof(f));
		f.proto = i & 1 ? 17 : 6;
		if (i < 131072) {                      /* every port, against an unnamed one */
			f.sport = 40123;
			f.dport = (uint16_t)(i >> 1);
		} else {
			f.sport = (uint16_t)(i % 5 == 0 ? (x >> 20) % 1024 : x >> 16);
			f.dport = (uint16_t)(x >> 40);
		}
		ew_classify_guess(c, &f);
		r = ndpi_guess_undetected_protocol(n, NULL, f.proto, 0, f.sport, 0, f.dport);
		ck_assert_msg(f.app_proto == r.app_protocol && f.app_master == r.master_protocol,
			      "%s %u -> %u: %u/%u, nDPI %u/%u", f.proto == 6 ? "tcp" : "udp", f.sport,
			      f.dport, f.app_master, f.app_proto, r.master_protocol, r.app_protocol);
	}
	ew_classify_free(c);
	ndpi_exit_detection_module(n);
}
END_TEST

/* What nDPI's port tables say is learnt once for the process, by whichever classifier
 * meets a port first (classify.c, port_named_tab and port_apps_tab): two classifiers in
 * two threads asking about every TCP and UDP port at once, in opposite orders, each
 * get nDPI's own answers, as a detection module of the test's own gives them. */
struct port_run {
	struct ew_classify *c;
	int down;
	uint16_t guess[131072][2];
	uint16_t apps[131072][3];
};

static void *learn_ports(void *arg)
{
	struct port_run *r = arg;

	for (int n = 0; n < 131072; n++) {
		int i = r->down ? 131071 - n : n;
		struct ew_flow f;

		memset(&f, 0, sizeof(f));
		f.proto = i >= 65536 ? 17 : 6;
		f.sport = 40123;
		f.dport = (uint16_t)i;
		ew_classify_guess(r->c, &f);
		r->guess[i][0] = f.app_master;
		r->guess[i][1] = f.app_proto;
		ew_classify_port_apps(r->c, &f);
		memcpy(r->apps[i], f.port_app, sizeof(r->apps[i]));
	}
	return NULL;
}

START_TEST(port_tables_learnt_once_for_all)
{
	static struct port_run r[2];
	struct ew_cls_conf cc;
	struct ew_err err;
	pthread_t th[2];
	struct ndpi_detection_module_struct *n = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK all;
	int aliased = 0;

	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(n, &all);
	ndpi_finalize_initialization(n);
	ew_cls_conf_default(&cc);
	for (int t = 0; t < 2; t++) {
		r[t].c = ew_classify_new(&cc, &err);
		ck_assert_ptr_nonnull(r[t].c);
		r[t].down = t;
	}
	for (int t = 0; t < 2; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, learn_ports, &r[t]), 0);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	for (int i = 0; i < 131072; i++) {
		uint8_t proto = i >= 65536 ? 17 : 6;
		uint16_t port = (uint16_t)i;
		ndpi_protocol g = ndpi_guess_undetected_protocol(n, NULL, proto, 0, 40123, 0, port);
		ndpi_protocol a = ndpi_guess_undetected_protocol(n, NULL, proto, 0, 40000, 0, port);
		uint16_t id = a.app_protocol ? a.app_protocol : a.master_protocol;

		for (int t = 0; t < 2; t++) {
			ck_assert_msg(r[t].guess[i][0] == g.master_protocol &&
				      r[t].guess[i][1] == g.app_protocol,
				      "thread %d, %s/%u: %u/%u, nDPI %u/%u", t, proto == 6 ? "tcp" : "udp",
				      port, r[t].guess[i][0], r[t].guess[i][1], g.master_protocol,
				      g.app_protocol);
			ck_assert_int_eq(memcmp(r[t].apps[i], r[0].apps[i], sizeof(r[t].apps[i])), 0);
		}
		/* nDPI's name for the port, but on the few ports eastwatch names itself
		 * (classify.c, port_alias: 16 of them; two checked by name below) */
		if (r[0].apps[i][0] != id || r[0].apps[i][1] != 0) {
			ck_assert_uint_gt(r[0].apps[i][0], 0);
			aliased++;
		}
	}
	ck_assert_int_ge(aliased, 2);
	ck_assert_int_le(aliased, 16);
	for (int t = 0; t < 2; t++) {
		ck_assert_int_eq(r[t].apps[139][0], ew_classify_lookup(r[t].c, "SMBv23"));
		ck_assert_int_eq(r[t].apps[139][1], ew_classify_lookup(r[t].c, "SMBv1"));
		ck_assert_int_eq(r[t].apps[139][2], ew_classify_lookup(r[t].c, "NetBIOS"));
		ck_assert_int_eq(r[t].apps[65536 + 464][0], ew_classify_lookup(r[t].c, "Kerberos"));
		ck_assert_int_eq(r[t].apps[65536 + 464][1], 0);
	}
	for (int t = 0; t < 2; t++)
		ew_classify_free(r[t].c);
	ndpi_exit_detection_module(n);
}
END_TEST

START_TEST(names_case_insensitive)
{
	struct ew_cls_conf cc;
	struct ew_err err;
	struct ew_classify *c;

	ew_cls_conf_default(&cc);
	c = ew_classify_new(&cc, &err);
	ck_assert_int_eq(ew_classify_lookup(c, "ssh"), ew_classify_lookup(c, "SSH"));
	ck_assert_int_gt(ew_classify_lookup(c, "tls"), 0);
	ck_assert_int_gt(ew_classify_lookup(c, "Redis"), 0);
	ck_assert_int_eq(ew_classify_lookup(c, "NoSuchProtocol"), -1);
	ck_assert_str_eq(ew_classify_name(c, (uint16_t)ew_classify_lookup(c, "ssh")), "SSH");
	ew_classify_free(c);
}
END_TEST

/* The lookup by name (an index built once) finds, for every name nDPI has, in upper and
 * lower case, the id a search of every protocol in turn finds first; and nothing for
 * names it has not, one letter off included. */
START_TEST(every_name_found_as_a_search_finds_it)
{
	struct ew_cls_conf cc;
	struct ew_err err;
	struct ew_classify *c;
	struct ndpi_detection_module_struct *n = ndpi_init_detection_module(ndpi_no_prefs);
	NDPI_PROTOCOL_BITMASK all;
	u_int count;

	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(n, &all);
	ndpi_finalize_initialization(n);
	count = ndpi_get_num_supported_protocols(n);
	ck_assert_uint_gt(count, 200);
	ew_cls_conf_default(&cc);
	c = ew_classify_new(&cc, &err);
	for (u_int i = 0; i < count; i++) {
		const char *name = ndpi_get_proto_name(n, (u_int16_t)i);
		char up[64], low[64], off[66];
		int first = -1;
		size_t k;

		if (name == NULL || strlen(name) >= sizeof(up))
			continue;
		for (u_int j = 0; j < count && first < 0; j++) {
			const char *pj = ndpi_get_proto_name(n, (u_int16_t)j);

			if (pj != NULL && strcasecmp(pj, name) == 0)
				first = (int)j;
		}
		for (k = 0; name[k]; k++) {
			up[k] = (char)toupper((unsigned char)name[k]);
			low[k] = (char)tolower((unsigned char)name[k]);
		}
		up[k] = low[k] = 0;
		ck_assert_int_eq(ew_classify_lookup(c, name), first);
		ck_assert_int_eq(ew_classify_lookup(c, up), first);
		ck_assert_int_eq(ew_classify_lookup(c, low), first);
		snprintf(off, sizeof(off), "%s~", name);
		ck_assert_int_eq(ew_classify_lookup(c, off), -1);
	}
	ck_assert_int_eq(ew_classify_lookup(c, ""), -1);
	ew_classify_free(c);
	ndpi_exit_detection_module(n);
}
END_TEST

START_TEST(pool_bound_falls_back_to_guess)
{
	struct run r = { 0 };
	struct ew_cls_stats st;

	/* kerberos.pcap has 36 flows, many overlapping; one inspection slot only. */
	replay(&r, EW_CORPUS "/ndpi-4.2/pcap/kerberos.pcap", 1);
	ew_classify_stats(r.c, &st);
	ck_assert_uint_gt(st.overflow, 0);
	ck_assert_uint_le(st.peak_active, 1);
	ck_assert_uint_eq(st.active, 0);
	done(&r);
}
END_TEST

static Suite *classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *t = tcase_create("classify");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, ssh_named_early_with_risks);
	tcase_add_test(t, port_guess_for_silent_flows);
	tcase_add_test(t, port_guess_is_ndpis);
	tcase_add_test(t, port_tables_learnt_once_for_all);
	tcase_add_test(t, names_case_insensitive);
	tcase_add_test(t, every_name_found_as_a_search_finds_it);
	tcase_add_test(t, pool_bound_falls_back_to_guess);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(classify_suite)
