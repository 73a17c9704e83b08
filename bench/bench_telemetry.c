/* SPDX-License-Identifier: Apache-2.0 */
/* bench_telemetry - flow telemetry throughput on one core.
 *
 *   bench_telemetry decode RULES_DIR CAPTURE.pcap [REPEAT]
 *       the capture's NetFlow/IPFIX/sFlow datagrams, in memory, REPEAT times (default 20):
 *       records/s decoded only; decoded and judged by the policy alone (each record as
 *       exported, classified by port: "decode plus policy"); and the daemon's whole record
 *       path: decoded, paired, judged, through the scan and edge detectors, alerts written
 *       (to /dev/null)
 *   bench_telemetry send CAPTURE.pcap ADDR PORT RECORDS_PER_S SECONDS [EXPORTERS]
 *       replays the capture's datagrams to ADDR:PORT with sendmmsg, paced to a record rate
 *       (NetFlow/IPFIX records per datagram are counted beforehand), and prints what it sent;
 *       with EXPORTERS > 1, from that many sockets (source ports: exporters, which
 *       SO_REUSEPORT spreads over a collector's sockets), each sending the whole capture,
 *       templates included, in turn, 64 datagrams at a time, at 1/EXPORTERS of the rate
 */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collector/decode_pkt.h"
#include "core/ew_time.h"
#include "daemon/pipeline.h"

struct dgram {
	uint8_t *d;
	uint32_t len, records;
	uint64_t packets;         /* the packet counts of its flow records, summed */
	struct ew_exporter_key ex;
};

static struct dgram *load(const char *file, size_t *n)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(file, ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct dgram *v = NULL;
	size_t cap = 0;

	if (p == NULL) {
		fprintf(stderr, "%s: %s\n", file, ebuf);
		exit(1);
	}
	*n = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct ew_pkt k;

		if (ew_pkt_decode(&k, pcap_datalink(p), d, h->caplen) != 0 || k.k.proto != 17)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 4096;
			v = realloc(v, cap * sizeof(*v));
		}
		v[*n].len = k.k.l4_payload;
		v[*n].d = malloc(v[*n].len);
		memcpy(v[*n].d, k.l3 + k.l3_len - k.k.l4_payload, v[*n].len);
		v[*n].ex.addr = k.k.src;
		v[*n].ex.port = k.k.sport;
		v[*n].records = 0;
		(*n)++;
	}
	pcap_close(p);
	return v;
}

static void count_record(void *arg, const struct ew_record *r)
{
	(*(uint64_t *)arg)++;
}

struct judge {
	struct ew_pipeline *p;
	uint64_t n, now;
};

static void judge_record(void *arg, const struct ew_record *r)
{
	struct judge *j = arg;

	j->n++;
	ew_pipeline_record(j->p, r, 0, j->now);
}

/* Decode plus policy, nothing else: each flow record classified by port and judged as
 * it was exported (no pairing, no detectors, no alert). */
struct verdicts {
	struct ew_classify *cls;
	struct ew_policy *pol;
	uint64_t n, denied;
	struct ew_vcache vc;
};

static void verdict_record(void *arg, const struct ew_record *r)
{
	struct verdicts *vs = arg;
	struct ew_flow f;
	struct ew_verdict v;

	vs->n++;
	if (!r->has_flow || r->is_options)
		return;
	f = r->f;
	f.app_source = EW_APP_NONE;
	ew_classify_guess(vs->cls, &f);
	ew_policy_verdict_cached(vs->pol, &vs->vc, &f, &v);
	vs->denied += v.action == EW_DENY;
}

static void judge_sample(void *arg, const struct ew_sflow_sample *s)
{
	struct judge *j = arg;

	j->n++;
	ew_pipeline_sflow_sample(j->p, s, 0, j->now);
}

static void count_record_packets(void *arg, const struct ew_record *r)
{
	struct dgram *g = arg;

	g->records++;             /* as the collector counts them: options records too */
	if (!r->is_options)
		g->packets += r->f.pkts[0] + r->f.pkts[1];
}

static void count_sample(void *arg, const struct ew_sflow_sample *s)
{
	(*(uint64_t *)arg)++;
}

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

static int is_sflow(const struct dgram *g)
{
	return g->len >= 4 && !memcmp(g->d, "\0\0\0\5", 4);
}

static void decode_bench(const char *rules, const char *file, int repeat)
{
	size_t n;
	struct dgram *v = load(file, &n);
	struct ew_cls_conf cc;
	struct ew_classify *cls;
	struct ew_policy *pol;
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_err err;
	struct ew_conf *sinkdoc;
	static const char sink[] = "{type: file, path: /dev/null}";
	double best[3] = { 1e9, 1e9, 1e9 };
	uint64_t recs[3] = { 0, 0, 0 };
	int sflow = n > 0 && is_sflow(&v[0]);

	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	o.resolve_arg = cls;
	pol = ew_policy_load_dir(rules, &o, &err);
	if (cls == NULL || pol == NULL || ew_conf_load_mem(&sinkdoc, "sink", sink, sizeof(sink) - 1, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	/* mode 0: decode only; 1: the daemon's record path; 2: decode plus policy. The modes
	 * take turns, 5 rounds each, so that a slow spell of this machine (they last seconds)
	 * does not fall on one mode's every round; each mode's best round is reported. */
	for (int round = 0; round < 5; round++)
		for (int mode = 0; mode < (sflow ? 2 : 3); mode++) {
			struct ew_ipfix_conf ic;
			struct ew_ipfix_session *s;
			struct ew_sflow_session *sf = ew_sflow_new(64);
			struct ew_sinkset *sinks = ew_sinkset_new("bench", NULL);
			struct ew_pipeline_conf pc;
			struct ew_pipeline *p;
			struct judge j = { 0 };
			static struct verdicts vs;
			uint64_t count = 0, t0, t1;
			ew_record_fn fns[3] = { count_record, judge_record, verdict_record };
			void *args[3] = { &count, &j, &vs };

			vs.cls = cls;
			vs.pol = pol;
			vs.n = vs.denied = 0;
			ew_vcache_init(&vs.vc);
			ew_ipfix_conf_default(&ic);
			ic.template_lifetime_us = 0;
			s = ew_ipfix_new(&ic);
			ew_sinkset_add(sinks, ew_conf_root(sinkdoc), NULL, &err);
			ew_pipeline_conf_default(&pc);
			p = ew_pipeline_new(&pc, cls, pol, sinks, &err);
			j.p = p;
			j.now = 1700000000000000ULL;
			t0 = ew_time_mono_us();
			for (int r = 0; r < repeat; r++)
				for (size_t i = 0; i < n; i++) {
					j.now += 10;
					if (sflow) {
						struct ew_sflow_cb cb = { mode ? judge_sample : count_sample,
									  NULL, NULL, mode ? (void *)&j : (void *)&count };

						ew_sflow_decode(sf, v[i].d, v[i].len, j.now, &cb);
					} else {
						ew_ipfix_decode(s, &v[i].ex, v[i].d, v[i].len, j.now,
								fns[mode], args[mode]);
					}
				}
			if (mode == 1)
				ew_pipeline_finish(p);
			t1 = ew_time_mono_us();
			if ((t1 - t0) / 1e6 < best[mode])
				best[mode] = (t1 - t0) / 1e6;
			recs[mode] = mode == 0 ? count : mode == 1 ? j.n : vs.n;
			ew_pipeline_free(p);
			ew_sinkset_free(sinks);
			ew_ipfix_free(s);
			ew_sflow_free(sf);
		}
	printf("%s, %zu datagrams x %d: %llu %s decoded only: %.1f M/s; ", file, n, repeat,
	       (unsigned long long)recs[0], sflow ? "samples" : "records", recs[0] / best[0] / 1e6);
	if (!sflow)
		printf("decoded and judged by the policy alone: %.1f M/s; ", recs[2] / best[2] / 1e6);
	printf("the daemon's whole path (decoded, %s, judged, scan and edge detectors, alerts to "
	       "/dev/null): %.1f M/s (one core, best of 5 interleaved rounds)\n",
	       sflow ? "through the packet path" : "paired", recs[1] / best[1] / 1e6);
	ew_policy_free(pol);
	ew_classify_free(cls);
	ew_conf_free(sinkdoc);
}

#define MAX_EXPORTERS 64

static void send_bench(const char *file, const char *addr, int port, double rate, double secs,
		       int nex)
{
	size_t n;
	struct dgram *v = load(file, &n);
	struct ew_ipfix_conf ic;
	struct ew_ipfix_session *s;
	struct sockaddr_in to;
	int fd[MAX_EXPORTERS];
	uint64_t sent_records = 0, sent_dgrams = 0, sent_packets = 0, t0;
	size_t at[MAX_EXPORTERS] = { 0 };
	int e = 0;

	if (nex < 1 || nex > MAX_EXPORTERS) {
		fprintf(stderr, "send: 1 to %d exporters\n", MAX_EXPORTERS);
		exit(2);
	}
	for (int x = 0; x < nex; x++)
		if ((fd[x] = socket(AF_INET, SOCK_DGRAM, 0)) < 0) {
			perror("socket");
			exit(1);
		}

	ew_ipfix_conf_default(&ic);
	ic.template_lifetime_us = 0;
	s = ew_ipfix_new(&ic);
	for (size_t k = 0; k < n; k++) {      /* records and packets per datagram */
		v[k].packets = 0;
		ew_ipfix_decode(s, &v[k].ex, v[k].d, v[k].len, 1, count_record_packets, &v[k]);
	}
	ew_ipfix_free(s);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &to.sin_addr);
	t0 = ew_time_mono_us();
	for (;;) {
		struct mmsghdr m[64];
		struct iovec io[64];
		int k = 0;
		double elapsed = (ew_time_mono_us() - t0) / 1e6;

		if (elapsed >= secs)
			break;
		if (sent_records > rate * elapsed) {   /* ahead of the pace */
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (size_t i = at[e]; k < 64; k++) {
			io[k].iov_base = v[i].d;
			io[k].iov_len = v[i].len;
			memset(&m[k], 0, sizeof(m[k]));
			m[k].msg_hdr.msg_iov = &io[k];
			m[k].msg_hdr.msg_iovlen = 1;
			m[k].msg_hdr.msg_name = &to;
			m[k].msg_hdr.msg_namelen = sizeof(to);
			sent_records += v[i].records;
			sent_packets += v[i].packets;
			i = (i + 1) % n;
			at[e] = i;
		}
		sendmmsg(fd[e], m, (unsigned)k, 0);
		sent_dgrams += (uint64_t)k;
		e = (e + 1) % nex;
	}
	printf("sent %llu datagrams, %llu records in %.1f s: %.2f M records/s (%llu packets "
	       "counted in them)\n", (unsigned long long)sent_dgrams,
	       (unsigned long long)sent_records, secs, sent_records / secs / 1e6,
	       (unsigned long long)sent_packets);
	for (int x = 0; x < nex; x++)
		close(fd[x]);
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "decode")) {
		decode_bench(argv[2], argv[3], argc > 4 ? atoi(argv[4]) : 20);
		return 0;
	}
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "send")) {
		send_bench(argv[2], argv[3], atoi(argv[4]), atof(argv[5]), atof(argv[6]),
			   argc == 8 ? atoi(argv[7]) : 1);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of bench/bench_telemetry.c\n");
	return 2;
}
