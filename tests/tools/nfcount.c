/* SPDX-License-Identifier: Apache-2.0 */
/* nfcount - decode the NetFlow/IPFIX datagrams of capture files (read in the order given,
 * as one stream) with collector/decode_ipfix and print what was found in the notation of
 * ../shared/corpus/exporters/SOURCES.md, so tests can compare with tshark's counts:
 *   v9x4; pkts=4; tpl=260; opt_tpl=257; records=8 (257:4, 260:4); sets_without_template=1
 * With --records, one JSON line per decoded flow record instead (addresses, ports,
 * protocol, counters as exported, i.e. divided again by the sampling rate the decoder
 * applied, times in ms, TCP flags, interfaces), to compare field by field with other
 * collectors' decodings of the same captures.
 * usage: nfcount [--records] PCAP... */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_ipfix.h"
#include "collector/decode_pkt.h"
#include "collector/decode_sflow.h"
#include "core/ew_addr.h"

#define NAMES 32

struct counts {
	uint32_t pdus[11];             /* by version */
	uint32_t sflow_dgrams;
	const char *sname[NAMES], *rname[NAMES];
	uint32_t scount[NAMES], rcount[NAMES];
	uint32_t nsn, nrn;
	uint8_t tpl[65536], opt[65536];
	uint32_t rec[65536];
	uint64_t v5;
};

static void on_template(void *arg, uint32_t domain, uint16_t id, int options)
{
	struct counts *c = arg;

	if (options)
		c->opt[id] = 1;
	else
		c->tpl[id] = 1;
}

static int print_records;

static void print_record(const struct ew_record *r)
{
	char a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN];
	uint32_t rate = r->f.sampling ? r->f.sampling : 1;

	if (!r->has_flow || r->is_options)
		return;
	printf("{\"version\":%u,\"template\":%u,\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,"
	       "\"dport\":%u,\"proto\":%u,\"packets\":%llu,\"bytes\":%llu,\"rpackets\":%llu,"
	       "\"rbytes\":%llu,\"start_ms\":%llu,\"end_ms\":%llu,\"tcp_flags\":%u,"
	       "\"sampling\":%u,\"in_if\":%u,\"out_if\":%u,\"vlan\":%u}\n",
	       r->version, r->template_id, ew_addr_format(&r->f.src, a),
	       ew_addr_format(&r->f.dst, b), r->f.sport, r->f.dport, r->f.proto,
	       (unsigned long long)(r->f.pkts[0] / rate), (unsigned long long)(r->f.bytes[0] / rate),
	       (unsigned long long)(r->f.pkts[1] / rate), (unsigned long long)(r->f.bytes[1] / rate),
	       (unsigned long long)(r->f.first_us / 1000), (unsigned long long)(r->f.last_us / 1000),
	       r->f.tcp_flags[0], rate, r->in_if, r->out_if, r->f.vlan);
}

/* An sFlow flow sample with a packet header: the header through the packet decoder. */
static void on_sample(void *arg, const struct ew_sflow_sample *sm)
{
	char a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN];
	struct ew_pkt k;
	int dlt;

	(void)arg;
	if (!print_records || !sm->has_header)
		return;
	switch (sm->header_protocol) {
	case 1: dlt = EW_DLT_EN10MB; break;
	case 11: dlt = EW_DLT_IPV4; break;
	case 12: dlt = EW_DLT_IPV6; break;
	default: return;
	}
	if (ew_pkt_decode(&k, dlt, sm->header, sm->header_len) != 0)
		return;
	printf("{\"version\":\"sflow\",\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,"
	       "\"proto\":%u,\"sampling\":%u,\"in_if\":%u,\"out_if\":%u,\"vlan\":%u,"
	       "\"frame_len\":%u}\n", ew_addr_format(&k.k.src, a), ew_addr_format(&k.k.dst, b),
	       k.k.sport, k.k.dport, k.k.proto, sm->rate, sm->in_if, sm->out_if, sm->src_vlan,
	       sm->frame_len);
}

static void on_record(void *arg, const struct ew_record *r)
{
	struct counts *c = arg;

	if (print_records)
		print_record(r);

	if (r->version == 5)
		c->v5++;
	else
		c->rec[r->template_id]++;
}

/* tshark's names for sFlow sample and record formats */
static const char *sample_name(uint32_t f)
{
	switch (f) {
	case 1: return "Flow sample";
	case 2: return "Counters sample";
	case 3: return "Expanded flow sample";
	case 4: return "Expanded counters sample";
	default: return NULL;          /* tshark 4.0 shows no sample */
	}
}

static const char *record_name(uint32_t f, int counter)
{
	if (f >> 12)
		return "Unknown enterprise format";
	if (counter) {
		switch (f) {
		case 1: return "Generic interface counters";
		case 2: return "Ethernet interface counters";
		case 7: return "LAG counters";
		case 1001: return "Processor information";
		default: return "Unknown sample format";
		}
	}
	switch (f) {
	case 1: return "Raw packet header";
	case 2: return "Ethernet frame data";
	case 3: return "IPv4 data";
	case 4: return "IPv6 data";
	case 1001: return "Extended switch data";
	case 1002: return "Extended router data";
	case 1003: return "Extended gateway data";
	default: return "Unknown sample format";
	}
}

static void tally(const char **names, uint32_t *counts, uint32_t *n, const char *name)
{
	uint32_t i;

	for (i = 0; i < *n; i++)
		if (names[i] == name)
			break;
	if (i == *n) {
		if (*n == NAMES)
			return;
		names[(*n)++] = name;
	}
	counts[i]++;
}

static int last_sample_counter;

static void on_seen(void *arg, char kind, uint32_t format)
{
	struct counts *c = arg;

	if (kind == 'S') {
		const char *n = sample_name(format);

		last_sample_counter = format == 2 || format == 4;
		if (n)
			tally(c->sname, c->scount, &c->nsn, n);
	} else {
		tally(c->rname, c->rcount, &c->nrn, record_name(format, last_sample_counter));
	}
}

static void list(const uint8_t *set, const char *name)
{
	int first = 1;

	for (int i = 0; i < 65536; i++)
		if (set[i]) {
			printf("%s%d", first ? name : ",", i);
			first = 0;
		}
	if (!first)
		printf(";");
}

int main(int argc, char **argv)
{
	struct ew_ipfix_conf cf;
	struct ew_ipfix_session *s;
	struct ew_ipfix_stats st;
	struct counts *c = calloc(1, sizeof(*c));
	uint64_t total = 0;
	int first = 1, pkts = 0;

	if (argc > 1 && strcmp(argv[1], "--records") == 0) {
		print_records = 1;
		argv++;
		argc--;
	}
	ew_ipfix_conf_default(&cf);
	cf.template_lifetime_us = 0;   /* captures span years of export times */
	s = ew_ipfix_new(&cf);
	ew_ipfix_on_template(s, on_template, c);
	struct ew_sflow_session *sf = ew_sflow_new(64);
	struct ew_sflow_cb cb = { on_sample, NULL, on_seen, c };
	for (int i = 1; i < argc; i++) {
		char ebuf[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(argv[i], ebuf);
		struct pcap_pkthdr *h;
		const u_char *d;

		if (p == NULL) {
			fprintf(stderr, "%s: %s\n", argv[i], ebuf);
			return 1;
		}
		while (pcap_next_ex(p, &h, &d) == 1) {
			struct ew_pkt k;
			struct ew_exporter_key ex;
			const uint8_t *payload;
			uint32_t plen;

			if (ew_pkt_decode(&k, pcap_datalink(p), d, h->caplen) != 0 || k.k.proto != 17)
				continue;
			plen = k.k.l4_payload;
			payload = k.l3 + k.l3_len - plen;
			ex.addr = k.k.src;
			ex.port = k.k.sport;
			pkts++;
			if (plen >= 4 && !memcmp(payload, "\0\0\0\5", 4)) {
				c->sflow_dgrams++;
				ew_sflow_decode(sf, payload, plen, 1, &cb);
				continue;
			}
			if (plen >= 2) {
				unsigned v = (unsigned)payload[0] << 8 | payload[1];

				if (v == 5 || v == 9 || v == 10)
					c->pdus[v]++;
			}
			ew_ipfix_decode(s, &ex, payload, plen, 1, on_record, c);
		}
		pcap_close(p);
	}
	ew_ipfix_stats(s, &st);
	if (print_records)
		goto out;
	if (c->sflow_dgrams)
		printf("sflow-v5x%u; ", c->sflow_dgrams);
	for (int v = 5; v <= 10; v++)
		if (c->pdus[v])
			printf("v%dx%u; ", v, c->pdus[v]);
	printf("pkts=%d;", pkts);
	list(c->tpl, " tpl=");
	list(c->opt, " opt_tpl=");
	for (int i = 0; i < 65536; i++)
		total += c->rec[i];
	if (total) {
		printf(" records=%llu (", (unsigned long long)total);
		for (int i = 0; i < 65536; i++)
			if (c->rec[i]) {
				printf("%s%d:%u", first ? "" : ", ", i, c->rec[i]);
				first = 0;
			}
		printf(");");
	}
	if (c->v5)
		printf(" v5_records=%llu;", (unsigned long long)c->v5);
	if (st.sets_without_template)
		printf(" sets_without_template=%llu;", (unsigned long long)st.sets_without_template);
	for (int k = 0; k < 2; k++) {
		const char **names = k ? c->rname : c->sname;
		uint32_t *counts = k ? c->rcount : c->scount, n = k ? c->nrn : c->nsn;

		for (uint32_t i = 0; i < n; i++)
			printf("%s%s %u", i ? ", " : k ? " records: " : " samples: ", names[i], counts[i]);
		if (n)
			printf(";");
	}
	printf(" malformed=%llu; bad_fields=%llu\n", (unsigned long long)st.malformed,
	       (unsigned long long)st.bad_fields);
out:
	ew_sflow_free(sf);
	ew_ipfix_free(s);
	free(c);
	return 0;
}
