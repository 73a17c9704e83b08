/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/decode_flowlog: AWS VPC Flow Logs in the default format and
 * in custom formats named by a header line, absent values, records without a flow, a
 * table of malformed lines that are counted and skipped; Azure VNet and NSG documents;
 * GCP log entries. */
#include <string.h>

#include "collector/decode_flowlog.h"
#include "collector/source.h"
#include "check_main.h"

struct got {
	int n;
	struct ew_record r[8];
};

static void collect(void *arg, const struct ew_record *r)
{
	struct got *g = arg;

	if (g->n < 8)
		g->r[g->n] = *r;
	g->n++;
}

static int feed(struct ew_flowlog *fl, const char *text, struct got *g)
{
	int bad = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t n = nl ? (size_t)(nl - text) : strlen(text);

		bad += ew_flowlog_line(fl, text, n, collect, g) != EW_OK;
		text += n + (nl != NULL);
	}
	return bad;
}

static const char *ip(const struct ew_addr *a)
{
	static char b[2][EW_ADDR_STRLEN];
	static int k;

	k ^= 1;
	return ew_addr_format(a, b[k]);
}

START_TEST(default_format)
{
	struct ew_flowlog *fl = ew_flowlog_new(EW_FL_AWS);
	struct got g = { 0 };
	struct ew_flowlog_stats st;
	const char *log =
		"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 "
		"4249 1418530010 1418530070 ACCEPT OK\n"
		"2 123456789012 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 "
		"4249 1418530010 1418530070 REJECT OK\n"
		"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n"
		"2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA\n"
		"2 123456789012 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 "
		"2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 "
		"ACCEPT OK\n";

	ck_assert_int_eq(feed(fl, log, &g), 0);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(ip(&g.r[0].f.src), "172.31.16.139");
	ck_assert_str_eq(ip(&g.r[0].f.dst), "172.31.16.21");
	ck_assert_uint_eq(g.r[0].f.sport, 20641);
	ck_assert_uint_eq(g.r[0].f.dport, 22);
	ck_assert_uint_eq(g.r[0].f.proto, 6);
	ck_assert_uint_eq(g.r[0].f.pkts[0], 20);
	ck_assert_uint_eq(g.r[0].f.bytes[0], 4249);
	ck_assert_uint_eq(g.r[0].f.first_us, 1418530010000000ULL);
	ck_assert_uint_eq(g.r[0].f.last_us, 1418530070000000ULL);
	ck_assert_uint_eq(g.r[0].cloud_action, EW_OUTCOME_ACCEPTED);
	ck_assert_str_eq(ew_source_kind_name(g.r[0].f.source_kind), "flowlog");
	ck_assert_uint_eq(g.r[0].has_tcp_flags, 0);
	ck_assert_uint_eq(g.r[1].cloud_action, EW_OUTCOME_REJECTED);
	ck_assert_str_eq(ip(&g.r[2].f.src), "2001:db8:1234:a100:8d6e:3477:df66:f105");
	ew_flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.records, 3);
	ck_assert_uint_eq(st.no_flow, 2);
	ck_assert_uint_eq(st.malformed, 0);
	ew_flowlog_free(fl);
}
END_TEST

/* A custom format of version 5 fields in another order: the header says which is which;
 * pkt-srcaddr (the pod behind the node's interface) wins over srcaddr. */
START_TEST(custom_format_by_header)
{
	struct ew_flowlog *fl = ew_flowlog_new(EW_FL_AWS);
	struct got g = { 0 };
	struct ew_flowlog_stats st;
	const char *log =
		"flow-direction dstport srcport tcp-flags pkt-dstaddr pkt-srcaddr dstaddr srcaddr "
		"protocol start end bytes packets action log-status region traffic-path "
		"pkt-src-aws-service version ecs-cluster-name\n"
		"egress 5432 50318 2 10.0.2.9 10.0.1.77 10.0.2.9 10.0.0.5 6 1700000000 1700000060 "
		"180 3 ACCEPT OK us-east-1 1 - 5 -\n"
		"ingress 50318 5432 18 10.0.1.77 10.0.2.9 10.0.0.5 10.0.2.9 6 1700000000 "
		"1700000060 120 2 ACCEPT OK us-east-1 - - 5 -\n";

	ck_assert_int_eq(feed(fl, log, &g), 0);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(ip(&g.r[0].f.src), "10.0.1.77");   /* pkt-srcaddr */
	ck_assert_str_eq(ip(&g.r[0].f.dst), "10.0.2.9");
	ck_assert_uint_eq(g.r[0].f.sport, 50318);
	ck_assert_uint_eq(g.r[0].f.dport, 5432);
	ck_assert_uint_eq(g.r[0].has_tcp_flags, 1);
	ck_assert_uint_eq(g.r[0].f.tcp_flags[0], EW_TH_SYN);
	ck_assert_uint_eq(g.r[0].direction, 1);             /* egress */
	ck_assert_uint_eq(g.r[1].f.tcp_flags[0], EW_TH_SYN | EW_TH_ACK);
	ck_assert_uint_eq(g.r[1].direction, 0);
	ck_assert_str_eq(ip(&g.r[1].f.src), "10.0.2.9");
	ew_flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.header_lines, 1);
	ck_assert_uint_eq(st.unknown_fields, 1);            /* ecs-cluster-name (version 7) */
	ew_flowlog_free(fl);
}
END_TEST

/* Each line is read alone: a bad one is counted and skipped, the next one reads. */
START_TEST(malformed_lines)
{
	static const char *const bad[] = {
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 6 1 60 1700000000 1700000000 ACCEPT",
		"2 123456789012 eni-1 198.18.1.300 198.18.2.2 1 22 6 1 60 1700000000 1700000000 ACCEPT OK",
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 70000 6 1 60 1700000000 1700000000 ACCEPT OK",
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 600 1 60 1700000000 1700000000 ACCEPT OK",
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 6 x 60 1700000000 1700000000 ACCEPT OK",
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 6 1 99999999999999999999999 1 1 ACCEPT OK",
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 6 1 60 1700000000 1700000000 DROP OK",
		"2 123456789012 eni-1 198.18.1.1 fd18::2 1 22 6 1 60 1700000000 1700000000 ACCEPT OK",
		"1 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 6 1 60 1700000000 1700000000 ACCEPT OK",
		"2 123456789012 eni-1 198.18.1.1 198.18.2.2 -1 22 6 1 60 1700000000 1700000000 ACCEPT OK",
		"x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x "
		"x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x",
	};
	const char *good = "2 123456789012 eni-1 198.18.1.1 198.18.2.2 1 22 6 1 60 1700000000 "
			   "1700000000 ACCEPT OK";
	struct ew_flowlog *fl = ew_flowlog_new(EW_FL_AWS);
	struct ew_flowlog_stats st;
	struct got g = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ew_flowlog_line(fl, bad[i], strlen(bad[i]), collect, &g) ==
			      EW_E_MALFORMED, "line %zu read", i);
		ck_assert_int_eq(ew_flowlog_line(fl, good, strlen(good), collect, &g), EW_OK);
	}
	ck_assert_int_eq(g.n, (int)(sizeof(bad) / sizeof(bad[0])));
	ew_flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.malformed, sizeof(bad) / sizeof(bad[0]));
	ew_flowlog_free(fl);
}
END_TEST

/* Azure: a virtual network flow log (version 4) and an NSG flow log (version 2); tuples
 * are connections with both directions' counters; D is denied; bad tuples are counted. */
START_TEST(azure_documents)
{
	static const char vnet[] =
		"{\"records\": [{\"time\": \"2022-09-14T09:00:52.5625085Z\", \"flowLogVersion\": 4,"
		" \"flowRecords\": {\"flows\": [{\"aclID\": \"x\", \"flowGroups\": [{\"rule\": "
		"\"DefaultRule_AllowInternetOutBound\", \"flowTuples\": ["
		"\"1663146003599,10.0.0.6,192.0.2.180,23956,443,6,O,B,NX,0,0,0,0\","
		"\"1663146003606,10.0.0.6,192.0.2.180,23956,443,6,O,E,NX,3,767,2,1580\","
		"\"1663146003637,10.0.0.6,192.0.2.10,30000,22,6,O,D,NX,1,60,0,0\","
		"\"1663146003637,10.0.0.6,192.0.2.10,30000,22,6,O,Q,NX,1,60,0,0\","
		"\"1663146003637,10.0.0.6\"]}]}]}}]}";
	static const char nsg[] =
		"{\"records\": [{\"time\": \"2018-11-13T12:00:35.3899262Z\", \"category\": "
		"\"NetworkSecurityGroupFlowEvent\", \"properties\": {\"Version\": 2, \"flows\": ["
		"{\"rule\": \"DefaultRule_DenyAllInBound\", \"flows\": [{\"mac\": \"000D3AF87856\","
		" \"flowTuples\": [\"1542110377,94.102.49.190,10.5.16.4,28746,443,T,I,D,B,,,,\","
		"\"1542110424,176.119.4.10,10.5.16.4,56509,59336,U,I,A,E,1,66,1,66\"]}]}]}}]}";
	struct ew_flowlog *fl = ew_flowlog_new(EW_FL_AZURE);
	struct ew_flowlog_stats st;
	struct got g = { 0 };

	ck_assert_int_eq(ew_flowlog_detect(vnet, sizeof(vnet) - 1), EW_FL_AZURE);
	ck_assert_int_eq(ew_flowlog_detect(nsg, sizeof(nsg) - 1), EW_FL_AZURE);
	ck_assert_int_eq(ew_flowlog_document(fl, vnet, sizeof(vnet) - 1, collect, &g), EW_OK);
	ck_assert_int_eq(g.n, 3);
	ck_assert_str_eq(ip(&g.r[1].f.src), "10.0.0.6");
	ck_assert_uint_eq(g.r[1].f.dport, 443);
	ck_assert_uint_eq(g.r[1].biflow, 1);
	ck_assert_uint_eq(g.r[1].f.pkts[0], 3);
	ck_assert_uint_eq(g.r[1].f.bytes[1], 1580);
	ck_assert_uint_eq(g.r[1].f.first_us, 1663146003000000ULL);
	ck_assert_uint_eq(g.r[1].cloud_action, EW_OUTCOME_ACCEPTED);
	ck_assert_uint_eq(g.r[2].cloud_action, EW_OUTCOME_REJECTED);
	ew_flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.malformed, 2);      /* state Q, and a tuple cut short */
	g.n = 0;
	ck_assert_int_eq(ew_flowlog_document(fl, nsg, sizeof(nsg) - 1, collect, &g), EW_OK);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.r[0].cloud_action, EW_OUTCOME_REJECTED);
	ck_assert_uint_eq(g.r[0].f.proto, 6);
	ck_assert_uint_eq(g.r[1].f.proto, 17);
	ck_assert_uint_eq(g.r[1].f.first_us, 1542110424000000ULL);
	ck_assert_int_eq(ew_flowlog_document(fl, "[1, 2]", 6, collect, &g), EW_E_MALFORMED);
	ck_assert_int_eq(ew_flowlog_document(fl, "{", 1, collect, &g), EW_E_MALFORMED);
	ew_flowlog_free(fl);
}
END_TEST

/* GCP: exported log entries, one JSON object a line, or BigQuery rows. */
START_TEST(gcp_lines)
{
	static const char *const lines[] = {
		"{\"insertId\": \"1\", \"jsonPayload\": {\"bytes_sent\": \"1510\", \"connection\": "
		"{\"dest_ip\": \"10.0.0.2\", \"dest_port\": 22, \"protocol\": 6, \"src_ip\": "
		"\"35.235.241.16\", \"src_port\": 48357}, \"end_time\": "
		"\"2024-03-01T10:00:05.123456789Z\", \"packets_sent\": \"9\", \"reporter\": \"DEST\","
		" \"start_time\": \"2024-03-01T10:00:00.5Z\"}}",
		"{\"connection\": {\"src_ip\": \"fd18::1\", \"dest_ip\": \"fd18::2\", \"protocol\": "
		"17, \"src_port\": 5000, \"dest_port\": 53}, \"bytes_sent\": 80, \"packets_sent\": 1,"
		" \"start_time\": \"2024-03-01T10:00:00Z\", \"end_time\": \"2024-03-01T10:00:00Z\"}",
		"{\"jsonPayload\": {\"connection\": {\"src_ip\": \"10.0.0.1\"}}}",
		"not json",
		"{\"jsonPayload\": {\"connection\": {\"src_ip\": \"10.0.0.1\", \"dest_ip\": "
		"\"fd18::2\", \"protocol\": 6}, \"start_time\": \"2024-03-01T10:00:00Z\"}}",
	};
	struct ew_flowlog *fl = ew_flowlog_new(EW_FL_GCP);
	struct ew_flowlog_stats st;
	struct got g = { 0 };

	ck_assert_int_eq(ew_flowlog_detect(lines[0], strlen(lines[0])), EW_FL_GCP);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ck_assert_int_eq(ew_flowlog_line(fl, lines[i], strlen(lines[i]), collect, &g),
				 i < 2 ? EW_OK : EW_E_MALFORMED);
	ck_assert_int_eq(g.n, 2);
	ck_assert_str_eq(ip(&g.r[0].f.src), "35.235.241.16");
	ck_assert_uint_eq(g.r[0].f.dport, 22);
	ck_assert_uint_eq(g.r[0].f.bytes[0], 1510);
	ck_assert_uint_eq(g.r[0].f.pkts[0], 9);
	ck_assert_uint_eq(g.r[0].f.first_us, 1709287200500000ULL);
	ck_assert_uint_eq(g.r[0].f.last_us, 1709287205123456ULL);
	ck_assert_uint_eq(g.r[0].cloud_action, 0);
	ck_assert_uint_eq(g.r[1].f.proto, 17);
	ew_flowlog_stats(fl, &st);
	ck_assert_uint_eq(st.malformed, 3);
	ew_flowlog_free(fl);
}
END_TEST

START_TEST(detection)
{
	static const char *const aws[] = {
		"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets "
		"bytes start end action log-status\n2 1 eni-1",
		"2 123456789012 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
		"1418530010 1418530070 ACCEPT OK\n",
		"pkt-srcaddr pkt-dstaddr\n",
	};
	static const char *const not[] = {
		"{\"records\": []}", "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", "",
		"hello world\n", "2 1 2 3 4 5 6 7 8 9 10 11 12 13\n",
	};

	for (size_t i = 0; i < sizeof(aws) / sizeof(aws[0]); i++)
		ck_assert_int_eq(ew_flowlog_detect(aws[i], strlen(aws[i])), EW_FL_AWS);
	for (size_t i = 0; i < sizeof(not) / sizeof(not[0]); i++)
		ck_assert_int_eq(ew_flowlog_detect(not[i], i == 1 ? 8 : strlen(not[i])),
				 EW_FL_UNKNOWN);   /* [1]: a pcap header, NULs inside */
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("decode_flowlog");
	TCase *t = tcase_create("aws");

	tcase_add_test(t, default_format);
	tcase_add_test(t, custom_format_by_header);
	tcase_add_test(t, malformed_lines);
	tcase_add_test(t, detection);
	tcase_add_test(t, azure_documents);
	tcase_add_test(t, gcp_lines);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
