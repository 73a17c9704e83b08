/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/orient, on real captures: every payload whose protocol says
 * which side asks must say it right (requests from the client's side, answers from the
 * server's), and enough of them must speak. DCE-RPC's connectionless answers travel
 * between two dynamic ports (dcerpc.pcap), DNS and SNMP answer from their ports, SMB2
 * and HTTP picked up mid-session. And through the flow table: a flow first seen in its
 * server's packet is turned round. */
#include <pcap/pcap.h>
#include <string.h>

#include "analyzer/flowtab.h"
#include "analyzer/orient.h"
#include "check_main.h"
#include "collector/decode_pkt.h"
#include "core/ew_err.h"

/* client(k): 1 if the sender of packet k is the client. */
typedef int (*truth_fn)(const struct ew_flow_pkt *k);

struct tally {
	int right, wrong, silent;
};

/* Every payload of a capture (a path, or one under the nDPI corpus) through
 * ew_orient_payload, scored against client(). */
static struct tally run(const char *file, truth_fn client)
{
	char ebuf[PCAP_ERRBUF_SIZE], path[512];
	struct pcap_pkthdr *h;
	const u_char *d;
	struct tally t = { 0, 0, 0 };
	pcap_t *p;

	if (file[0] == '/')
		snprintf(path, sizeof(path), "%s", file);
	else
		snprintf(path, sizeof(path), "%s/ndpi-4.2/%s", EW_CORPUS, file);
	p = pcap_open_offline(path, ebuf);
	ck_assert_msg(p != NULL, "%s: %s", path, ebuf);
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct ew_pkt k;
		int o;

		if (ew_pkt_decode(&k, pcap_datalink(p), d, h->caplen) != EW_OK ||
		    k.kind != EW_PKT_FLOW || k.k.l4_payload == 0)
			continue;
		o = ew_orient_payload(k.k.proto, k.k.sport, k.k.dport,
				      k.l3 + k.l3_len - k.k.l4_payload, k.k.l4_payload);
		if (o == 0)
			t.silent++;
		else if ((o == EW_ORIENT_ASKS) == client(&k.k))
			t.right++;
		else
			t.wrong++;
	}
	pcap_close(p);
	return t;
}

/* dcerpc.pcap: requests go to port 34964; answers come back from other dynamic ports
 * (49161 -> 49155, 49154 -> 49162) */
static int dcerpc_client(const struct ew_flow_pkt *k) { return k->dport == 34964; }
static int to_port_53(const struct ew_flow_pkt *k) { return k->dport == 53; }
/* requests, and traps and informs */
static int to_port_161(const struct ew_flow_pkt *k) { return k->dport == 161 || k->dport == 162; }
static int to_port_445(const struct ew_flow_pkt *k) { return k->dport == 445; }
static int to_port_80(const struct ew_flow_pkt *k) { return k->dport == 80; }
/* ntp-123-to-123.pcap: the client is 198.18.1.11 */
static int from_web1(const struct ew_flow_pkt *k) { return k->src.a[15] == 11; }

START_TEST(dcerpc_connectionless_between_dynamic_ports)
{
	struct tally t = run("pcap/dcerpc.pcap", dcerpc_client);

	ck_assert_int_eq(t.wrong, 0);
	ck_assert_int_eq(t.right, 16);      /* 8 requests, 8 responses */
}
END_TEST

/* tests/data/ntp-123-to-123.pcap: chronyd polling chronyd, both on port 123, recorded
 * from the second packet (a server reply) on; the client is 198.18.1.11. */
START_TEST(ntp_between_two_port_123_endpoints)
{
	struct tally t = run(EW_SRCDIR "/tests/data/ntp-123-to-123.pcap", from_web1);

	ck_assert_int_eq(t.wrong, 0);
	ck_assert_int_eq(t.silent, 0);
	ck_assert_int_eq(t.right, 9);
}
END_TEST

START_TEST(dns_qr_bit)
{
	struct tally t = run("pcap/dns_exfiltration.pcap", to_port_53);

	ck_assert_int_eq(t.wrong, 0);
	ck_assert_int_eq(t.right, 300);     /* 150 queries, 150 responses */
}
END_TEST

START_TEST(snmp_pdu_types)
{
	struct tally t = run("supplement-4.4/pcap/snmp.pcap", to_port_161);

	ck_assert_int_eq(t.wrong, 0);
	ck_assert_int_ge(t.right, 16);      /* v1/v2c; v3's scoped PDUs are not followed */
}
END_TEST

START_TEST(smb2_and_http_flags)
{
	struct tally t = run("pcap/smb_deletefile.pcap", to_port_445);

	ck_assert_int_eq(t.wrong, 0);
	ck_assert_int_ge(t.right, 40);
	t = run("pcap/WebattackSQLinj.pcap", to_port_80);
	ck_assert_int_eq(t.wrong, 0);
	ck_assert_int_ge(t.right, 2);
}
END_TEST

/* The flow table picks the first sender when ports do not tell (two dynamic ports);
 * a DCE-RPC response seen first is the server's, so the flow is turned round. */
START_TEST(turned_round_in_the_table)
{
	struct ew_ft_conf fc;
	struct ew_flowtab *ft;
	struct ew_flow_pkt k;
	struct ew_ft_entry *e;
	int dir, created;

	ew_ft_conf_default(&fc);
	fc.max_flows = 8;
	ft = ew_flowtab_new(&fc, NULL, NULL);
	memset(&k, 0, sizeof(k));
	ew_addr_parse(&k.src, "198.18.3.10");
	ew_addr_parse(&k.dst, "198.18.1.11");
	k.sport = 49161;
	k.dport = 49155;
	k.proto = 17;
	k.weight = 1;
	k.ip_len = 100;
	e = ew_flowtab_packet(ft, &k, 1000, &dir, &created);
	ck_assert_int_eq(dir, 0);
	ck_assert_int_eq(ew_flowtab_set_initiator(e, !dir), 1);   /* the sender answers */
	ck_assert_uint_eq(e->f.dport, 49161);
	ck_assert_uint_eq(e->f.pkts[1], 1);
	ck_assert_int_eq(e->orient_fixed, 1);
	e = ew_flowtab_packet(ft, &k, 2000, &dir, &created);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(dir, 1);
	ew_flowtab_free(ft);
}
END_TEST

static Suite *orient_suite(void)
{
	Suite *s = suite_create("orient");
	TCase *t = tcase_create("orient");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, dcerpc_connectionless_between_dynamic_ports);
	tcase_add_test(t, ntp_between_two_port_123_endpoints);
	tcase_add_test(t, dns_qr_bit);
	tcase_add_test(t, snmp_pdu_types);
	tcase_add_test(t, smb2_and_http_flags);
	tcase_add_test(t, turned_round_in_the_table);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(orient_suite)
