/* SPDX-License-Identifier: Apache-2.0 */
/* bench_analyze - the analyzer tier (eastwatch analyze) measured:
 *   bench_analyze core RULES N
 *       flow records (fmt_flow's JSON, as sensors publish them) read back and judged by
 *       the cross-sensor detectors in process, one core: records/s, of which parsing.
 *   bench_analyze produce BROKERS TOPIC N RATE NEW_EVERY
 *       N records keyed by source onto TOPIC at RATE a second (0: as fast as possible),
 *       stamped with the wall clock; every NEW_EVERY-th is an edge never seen (a new
 *       port between two groups), so the analyzer alerts on it.
 *   bench_analyze drain BROKERS TOPIC GROUP N
 *       wait until GROUP's analyzers have delivered the alerts of N records (the "done"
 *       marks committed with the offsets) and print the seconds from the first mark.
 *   bench_analyze latency FILE N
 *       read N alerts (JSON lines, from a FIFO the analyzer writes) and print the delay
 *       from each flow record's end (its @timestamp, what the sensor stamped) to the
 *       moment the alert is read: p50, p99, max.
 * The synthetic estate: 4096 sources in 198.18.0.0/17 talking to 4096 servers in
 * 198.18.128.0/17 on 8 services; 1 record in 50 is a refused probe, denied. */
#include "alerting/flow_parse.h"
#include "alerting/fmt_flow.h"
#include "analyzer/classify.h"
#include "daemon/analyze.h"
#include "core/ew_time.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng = 88172645463325252ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void v4(struct ew_addr *x, uint32_t a)
{
	uint8_t b[4] = { (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a };

	ew_addr_from_v4(x, b);
}

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

/* Record i as JSON into b (event time now_us); its key (the source) into key. */
static void record(struct ew_buf *b, uint64_t i, uint64_t now_us, unsigned new_every, char *key)
{
	static const uint16_t ports[8] = { 80, 443, 5432, 6379, 8443, 9092, 3306, 22 };
	struct ew_flow f;
	struct ew_alert a;
	uint64_t r = next();
	int probe = r % 50 == 0;

	memset(&f, 0, sizeof(f));
	memset(&a, 0, sizeof(a));
	v4(&f.src, 0xc6120000u | (uint32_t)(r >> 8 & 0xfff));
	v4(&f.dst, 0xc6128000u | (uint32_t)(r >> 20 & 0xfff));
	f.proto = 6;
	f.sport = (uint16_t)(32768 + (r >> 32 & 0x7fff));
	f.dport = new_every && i % new_every == new_every - 1 ? (uint16_t)(10000 + i / new_every % 50000)
							      : ports[r >> 48 & 7];
	f.first_us = now_us - 1000;
	f.last_us = now_us;
	f.pkts[0] = probe ? 1 : 10;
	f.pkts[1] = probe ? 1 : 8;
	f.bytes[0] = probe ? 60 : 1500;
	f.bytes[1] = probe ? 40 : 9000;
	f.tcp_flags[0] = probe ? EW_TH_SYN : EW_TH_SYN | EW_TH_ACK | EW_TH_PSH | EW_TH_FIN;
	f.tcp_flags[1] = probe ? EW_TH_RST | EW_TH_ACK : EW_TH_SYN | EW_TH_ACK | EW_TH_PSH | EW_TH_FIN;
	f.app_source = EW_APP_PORT;
	f.end_reason = EW_END_FIN;
	a.app = "Unknown";
	a.observer_name = "bench";
	a.observer_type = "pcap";
	ew_fmt_flow(b, &f, &a, probe ? "deny" : "allow");
	ew_addr_format(&f.src, key);
}

static int core(const char *rules, uint64_t n)
{
	struct ew_cls_conf cc;
	struct ew_policy_opts o = { 0 };
	struct ew_pipeline_conf pc;
	struct ew_analyze_conf ac = { 0 };
	struct ew_analyze *an;
	struct ew_flow_parsed *fp = calloc(1, sizeof(*fp));
	struct ew_analyze_stats st;
	struct ew_err err;
	struct ew_classify *cls;
	struct ew_policy *pol;
	char *lines = malloc(n * 1024), key[EW_ADDR_STRLEN];
	uint32_t *len = malloc(n * sizeof(*len));
	uint64_t t0, t1, t2, now = ew_time_now_us();

	ew_cls_conf_default(&cc);
	if ((cls = ew_classify_new(&cc, &err)) == NULL)
		return fprintf(stderr, "%s\n", err.msg), 1;
	o.resolve_app = resolve;
	o.resolve_arg = cls;
	if ((pol = ew_policy_load_dir(rules, &o, &err)) == NULL)
		return fprintf(stderr, "%s\n", err.msg), 1;
	for (uint64_t i = 0; i < n; i++) {
		struct ew_buf b;

		ew_buf_init(&b, lines + i * 1024, 1024);
		record(&b, i, now + i * 100, 0, key);
		len[i] = (uint32_t)b.len;
	}
	ew_pipeline_conf_default(&pc);
	pc.scan_enabled = 1;
	pc.sensor = "bench";
	ac.pc = &pc;
	ac.pol = pol;
	ac.sinks = ew_sinkset_new("bench", NULL);
	an = ew_analyze_new(&ac);
	for (int p = 0; p < 4; p++)
		ew_analyze_assign(an, p, 0);
	t0 = ew_time_mono_us();
	for (uint64_t i = 0; i < n; i++)
		ew_flow_parse(fp, lines + i * 1024, len[i], &err);
	t1 = ew_time_mono_us();
	for (uint64_t i = 0; i < n; i++) {
		ew_flow_parse(fp, lines + i * 1024, len[i], &err);
		ew_analyze_flow(an, (int32_t)(fp->f.src.a[15] & 3), (int64_t)i, fp);
	}
	t2 = ew_time_mono_us();
	ew_analyze_stats(an, &st);
	printf("analyze core: %llu records, parse %.0f records/s, parse+detect %.0f records/s "
	       "(%.0f bytes a record; %llu scan alerts)\n", (unsigned long long)n,
	       n * 1e6 / (double)(t1 - t0), n * 1e6 / (double)(t2 - t1),
	       (double)len[0], (unsigned long long)st.scans);
	ew_analyze_free(an);
	ew_sinkset_free(ac.sinks);
	ew_policy_free(pol);
	ew_classify_free(cls);
	free(lines);
	free(len);
	free(fp);
	return 0;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, const char *group)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char e[256];
	rd_kafka_t *rk;

	rd_kafka_conf_set(c, "bootstrap.servers", brokers, e, sizeof(e));
	if (group)
		rd_kafka_conf_set(c, "group.id", group, e, sizeof(e));
	if (type == RD_KAFKA_PRODUCER) {
		rd_kafka_conf_set(c, "partitioner", "murmur2_random", e, sizeof(e));
		rd_kafka_conf_set(c, "linger.ms", "1", e, sizeof(e));
	}
	if ((rk = rd_kafka_new(type, c, e, sizeof(e))) == NULL) {
		fprintf(stderr, "bench_analyze: %s\n", e);
		exit(1);
	}
	return rk;
}

static int produce(const char *brokers, const char *topic, uint64_t n, double rate,
		   unsigned new_every)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, brokers, NULL);
	char line[2048], key[EW_ADDR_STRLEN];
	uint64_t t0 = ew_time_mono_us();

	for (uint64_t i = 0; i < n; i++) {
		struct ew_buf b;

		if (rate > 0) {
			uint64_t due = t0 + (uint64_t)(i * 1e6 / rate);

			while (ew_time_mono_us() < due)
				usleep(200);
		}
		ew_buf_init(&b, line, sizeof(line));
		record(&b, i, ew_time_now_us(), new_every, key);
		while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
					 RD_KAFKA_V_VALUE(line, b.len - 1),
					 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END) ==
		       RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 60000);
	printf("produced %llu records in %.2f s\n", (unsigned long long)n,
	       (double)(ew_time_mono_us() - t0) / 1e6);
	rd_kafka_destroy(rk);
	return 0;
}

static int drain(const char *brokers, const char *topic, const char *group, uint64_t n)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, group);
	const struct rd_kafka_metadata *md;
	uint64_t first = 0, t;
	int nparts = 0;

	if (rd_kafka_metadata(rk, 0, rd_kafka_topic_new(rk, topic, NULL), &md, 10000) == 0) {
		nparts = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	for (;;) {
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
		uint64_t done = 0;

		for (int p = 0; p < nparts; p++)
			rd_kafka_topic_partition_list_add(l, topic, p);
		if (rd_kafka_committed(rk, l, 5000) == 0)
			for (int p = 0; p < l->cnt; p++)
				if (l->elems[p].metadata_size > 5 &&
				    memcmp(l->elems[p].metadata, "done=", 5) == 0)
					done += strtoull((char *)l->elems[p].metadata + 5, NULL, 10);
		rd_kafka_topic_partition_list_destroy(l);
		t = ew_time_mono_us();
		if (done && !first)
			first = t;
		if (done >= n)
			break;
		usleep(20000);
	}
	printf("drained %llu records in %.2f s from the first commit: %.0f records/s\n",
	       (unsigned long long)n, (double)(t - first) / 1e6, n * 1e6 / (double)(t - first));
	rd_kafka_destroy(rk);
	return 0;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int latency(const char *path, uint64_t n)
{
	FILE *f = fopen(path, "r");
	uint64_t *d = calloc(n, sizeof(*d)), k = 0;
	char line[16384];

	if (f == NULL || d == NULL)
		return perror(path), 1;
	while (k < n && fgets(line, sizeof(line), f)) {
		const char *ts = strstr(line, "\"@timestamp\":\"");
		char when[32];
		int64_t t;

		if (ts == NULL)
			continue;
		snprintf(when, sizeof(when), "%.24s", ts + 14);
		if ((t = ew_time_parse_rfc3339(when)) < 0)
			continue;
		d[k++] = ew_time_now_us() - (uint64_t)t;
	}
	qsort(d, k, sizeof(*d), cmp_u64);
	if (k)
		printf("alert delay over %llu alerts: p50 %.1f ms, p99 %.1f ms, max %.1f ms "
		       "(timestamps have millisecond precision)\n", (unsigned long long)k,
		       d[k / 2] / 1e3, d[k * 99 / 100] / 1e3, d[k - 1] / 1e3);
	free(d);
	fclose(f);
	return k ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "core") == 0)
		return core(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 7 && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], argv[3], strtoull(argv[4], NULL, 10), atof(argv[5]),
			       (unsigned)atoi(argv[6]));
	if (argc == 6 && strcmp(argv[1], "drain") == 0)
		return drain(argv[2], argv[3], argv[4], strtoull(argv[5], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "latency") == 0)
		return latency(argv[2], strtoull(argv[3], NULL, 10));
	fprintf(stderr, "usage: bench_analyze core RULES N | produce BROKERS TOPIC N RATE NEW_EVERY |\n"
		"       drain BROKERS TOPIC GROUP N | latency FILE N\n");
	return 2;
}
