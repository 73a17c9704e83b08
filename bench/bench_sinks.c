/* SPDX-License-Identifier: Apache-2.0 */
/* bench_sinks - alerts per second and per CPU-second through each sink, and the delivery
 * latency to Kafka.
 *
 *   bench_sinks KAFKA_BROKERS [ALERTS [CASE]]     CASE: file, kafka, syslog, webhook, latency,
 *                                                 or one Kafka case by its printed name
 *                                                 ("kafka (", "kafka ceiling, keyed", ...)
 * KAFKA_BROKERS is a running cluster (bench/run.sh starts tests/kafka_mock, librdkafka's
 * mock cluster, in its own process so its CPU is not counted here). Each case opens one
 * sink as the daemon does (its configuration mapping), emits ALERTS distinct alerts as
 * fast as it can (default 1,000,000; fewer for the webhook), and waits for every one to be
 * delivered: confirmed by a delivery report (Kafka), written to the socket (syslog), or
 * answered 204 (webhook, by a small keep-alive HTTP responder in this process). CPU is
 * this process's user+system time less the receiver threads'. Then Kafka at a steady
 * 10,000 alerts/s for 5 s: latency from the emit (which the pipeline calls in the same
 * call that judges the deciding packet) to the delivery report, p50/p99/max. */
#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alerting/deliver.h"
#include "alerting/fmt_json.h"
#include "alerting/sink.h"
#include "core/ew_flow.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"

static double cpu_self(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static double cpu_thread(void)
{
	struct rusage r;

	getrusage(RUSAGE_THREAD, &r);
	return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/* ---- receivers in this process: TCP frame reader, UDP reader, HTTP 204 responder */

struct recv {
	int lfd, udp, http;
	uint16_t port;
	double cpu;
	pthread_t t;
};

static void *tcp_reader(void *arg)
{
	struct recv *r = arg;
	char buf[1 << 16];
	int fd;

	if (r->udp) {
		while (recv(r->lfd, buf, sizeof(buf), 0) > 0)
			r->cpu = cpu_thread();
		return NULL;
	}
	fd = accept(r->lfd, NULL, NULL);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0) {
			close(fd);
			fd = accept(r->lfd, NULL, NULL);   /* a reconnect */
			if (fd < 0)
				break;
			continue;
		}
		if (r->http) {
			/* one request per read is enough for this client: answer each */
			const char *p = buf;
			size_t left = (size_t)n;

			while ((p = memmem(p, left, "POST ", 5)) != NULL) {
				static const char ans[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";

				if (send(fd, ans, sizeof(ans) - 1, MSG_NOSIGNAL) < 0)
					break;
				p += 5;
				left = (size_t)n - (size_t)(p - buf);
			}
		}
		r->cpu = cpu_thread();
	}
	return NULL;
}

static void start_recv(struct recv *r, int udp, int http)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int big = 8 << 20;

	memset(r, 0, sizeof(*r));
	r->udp = udp;
	r->http = http;
	r->lfd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	setsockopt(r->lfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	bind(r->lfd, (struct sockaddr *)&a, sizeof(a));
	getsockname(r->lfd, (struct sockaddr *)&a, &al);
	r->port = ntohs(a.sin_port);
	if (!udp)
		listen(r->lfd, 4);
	pthread_create(&r->t, NULL, tcp_reader, r);
	pthread_detach(r->t);
}

/* ---- one case */

static struct ew_alert alert_n(uint64_t i)
{
	static const char *const g[] = { "web" };
	struct ew_alert a;

	memset(&a, 0, sizeof(a));
	a.ts_us = ew_time_now_us();
	a.action = "policy-violation";
	a.severity = EW_SEV_HIGH;
	a.rule = "default";
	a.decided_by = "default";
	a.message = "198.18.1.11 [web] opened TLS (tcp/8443) to 198.18.3.10, which nothing "
		    "permits (default deny)";
	{
		uint8_t s4[4] = { 198, 18, (uint8_t)(i >> 8), (uint8_t)i };
		uint8_t d4[4] = { 198, 19, (uint8_t)(i >> 24), (uint8_t)(i >> 16) };

		ew_addr_from_v4(&a.src, s4);
		ew_addr_from_v4(&a.dst, d4);
	}
	a.sport = (uint16_t)(32768 + i % 20000);
	a.dport = 8443;
	a.proto = 6;
	a.app_source = EW_APP_DPI;
	a.app = "TLS";
	a.app_ecs = "tls";
	a.src_groups[0] = g[0];
	a.nsrc_groups = 1;
	a.observer_name = "bench";
	a.alert_id = i * 0x9E3779B97F4A7C15ULL;
	return a;
}

static struct ew_sinkset *open_one(const char *yaml, struct ew_conf **doc)
{
	struct ew_sinkset *s = ew_sinkset_new("bench", "/tmp/eastwatch-bench-spool");
	struct ew_err err;

	if (ew_conf_load_mem(doc, "bench", yaml, strlen(yaml), &err) != EW_OK ||
	    ew_sinkset_add(s, ew_conf_root(*doc), NULL, &err) != EW_OK) {
		fprintf(stderr, "bench_sinks: %s\n", err.msg);
		exit(1);
	}
	return s;
}

static uint64_t delivered(struct ew_sinkset *s)
{
	struct ew_sink_stats st;

	ew_sinkset_stats(s, 0, &st);
	return st.has_queue ? st.sent : st.emitted;
}

static const char *only;

/* One round of a case; returns its alerts per CPU-second. prebuilt: the CPU cases (file,
 * Kafka) take alerts made beforehand; the delivery cases (syslog, webhook) make each
 * alert as the loop goes, as they always have, so their bursts stay comparable. */
static double run_round(const char *name, const char *yaml, uint64_t n, struct recv *r,
			int prebuilt)
{
	struct ew_conf *doc = NULL;
	struct ew_sinkset *s = open_one(yaml, &doc);
	/* 1024 different alerts made beforehand, as the ceiling's payloads are, so that the
	 * figure is the sink's and not the making of alerts (a memset and a clock read
	 * each); every alert still gets its own id, and the time moves every 1024 */
	static struct ew_alert pre[1024];
	double c0, rc0, t0, secs, cpu;
	struct ew_sink_stats st;

	for (uint64_t i = 0; i < 1024; i++)
		pre[i] = alert_n(i * 7919);
	c0 = cpu_self();
	rc0 = r ? r->cpu : 0;
	t0 = (double)ew_time_mono_us();
	for (uint64_t i = 0, now = 0; i < n; i++) {
		struct ew_alert *a = &pre[i & 1023], made;

		if (!prebuilt) {
			made = alert_n(i);
			a = &made;
		} else {
			if ((i & 1023) == 0)
				now = ew_time_now_us();
			a->ts_us = now;
			a->alert_id = i * 0x9E3779B97F4A7C15ULL;
		}
		ew_sinkset_emit(s, a);
	}
	ew_sinkset_flush(s, 0);
	while (delivered(s) < n) {
		ew_sinkset_stats(s, 0, &st);
		/* with a spool every alert is spooled first (write-ahead): only what was
		 * acknowledged counts */
		if (st.has_queue && st.sent + st.dropped >= n && st.queued == 0 &&
		    ew_sinkset_settled(s))
			break;
		usleep(1000);
	}
	ew_sinkset_flush(s, 1000);
	secs = ((double)ew_time_mono_us() - t0) / 1e6;
	cpu = cpu_self() - c0 - (r ? r->cpu - rc0 : 0);
	ew_sinkset_stats(s, 0, &st);
	printf("%-22s %9llu alerts in %6.2f s: %9.0f alerts/s, %9.0f alerts per CPU-second "
	       "(%llu spooled, %llu dropped)\n", name, (unsigned long long)n, secs, n / secs,
	       n / (cpu > 0 ? cpu : 1e-9), (unsigned long long)st.spooled,
	       (unsigned long long)st.dropped);
	fflush(stdout);
	ew_sinkset_free(s);
	ew_conf_free(doc);
	return n / (cpu > 0 ? cpu : 1e-9);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* rounds > 1: each round's line, then the best and the median (this machine's speed
 * varies from minute to minute; the best is the least disturbed) */
static void summary(const char *name, double *v, int rounds, const char *unit)
{
	if (rounds < 2)
		return;
	qsort(v, (size_t)rounds, sizeof(*v), cmp_double);
	printf("%-22s best of %d: %9.0f %s per CPU-second, median %9.0f\n", name, rounds,
	       v[rounds - 1], unit, v[rounds / 2]);
	fflush(stdout);
}

static void run_case(const char *name, const char *yaml, uint64_t n, struct recv *r, int rounds,
		     int prebuilt)
{
	double v[16];

	if (only && strncmp(name, only, strlen(only)) != 0)
		return;
	for (int i = 0; i < rounds && i < 16; i++)
		v[i] = run_round(name, yaml, n, r, prebuilt);
	summary(name, v, rounds < 16 ? rounds : 16, "alerts");
}

static void count_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(*(uint64_t *)opaque) += m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* The ceiling: librdkafka alone, producing alert-sized payloads formatted once, with the
 * sink's settings. Modes: 0, every message with one and the same key, so all go to one
 * partition, no reports (what "librdkafka alone" is usually taken to mean); 1, keyed by
 * source address as the sink keys them, spread over the topic's partitions; 2, the same
 * with a delivery report per message served by this thread (which the sink needs); 3,
 * the same again, handed over as the sink hands them: runs of 128 of one partition, one
 * rd_kafka_produce_batch each. */
#define CEILINGS 4
static const char *const ceiling_name[CEILINGS] = { "kafka ceiling, one key",
	"kafka ceiling, keyed", "kafka ceiling, keyed+dr", "kafka ceiling, keyed runs+dr" };

/* Mode 3: produce n of the 1024 payloads, in turn, gathered into runs per partition. */
static void produce_runs(rd_kafka_t *rk, rd_kafka_topic_t *t, uint64_t n, char (*payload)[1024],
			 const size_t *plen, char (*key)[EW_ADDR_STRLEN], const size_t *klen)
{
	enum { RUN = 128, MAXP = 64 };
	static rd_kafka_message_t run[MAXP][RUN];
	const struct rd_kafka_metadata *md = NULL;
	int fill[MAXP] = { 0 }, parts = 1;

	if (rd_kafka_metadata(rk, 0, t, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    md->topic_cnt == 1 && md->topics[0].partition_cnt > 0)
		parts = md->topics[0].partition_cnt < MAXP ? md->topics[0].partition_cnt : MAXP;
	if (md)
		rd_kafka_metadata_destroy(md);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t j = (uint32_t)(i & 1023);
		int p = rd_kafka_msg_partitioner_murmur2_random(t, key[j], klen[j], parts, NULL,
								NULL);

		run[p][fill[p]++] = (rd_kafka_message_t){ .payload = payload[j], .len = plen[j],
							 .key = key[j], .key_len = klen[j] };
		if (fill[p] < RUN && i + 1 < n)
			continue;
		for (int q = 0; q < parts; q++) {   /* the last time round: every run */
			if (q != p && i + 1 < n)
				continue;
			for (int done = 0; done < fill[q];) {
				done += rd_kafka_produce_batch(t, q, RD_KAFKA_MSG_F_COPY, run[q] + done,
							       fill[q] - done);
				if (done < fill[q])   /* queue full: serve reports, then the rest */
					rd_kafka_poll(rk, 1);
			}
			fill[q] = 0;
		}
		if ((i & 1023) == 0)
			rd_kafka_poll(rk, 0);
	}
}

static double raw_ceiling(const char *brokers, uint64_t n, int mode)
{
	int reports = mode >= 2;
	uint64_t ok = 0;
	char err[256];
	static char payload[1024][1024], key[1024][EW_ADDR_STRLEN];
	size_t plen[1024], klen[1024];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	double c0 = cpu_self(), t0 = (double)ew_time_mono_us(), secs, cpu;
	rd_kafka_topic_t *t;
	rd_kafka_t *rk;
	struct ew_buf b;

	if (only && strcmp(only, "kafka") != 0 && strcmp(only, ceiling_name[mode]) != 0)
		return 0;
	for (int i = 0; i < 1024; i++) {   /* 1024 different alerts, formatted beforehand */
		struct ew_alert a = alert_n((uint64_t)i * 7919);

		ew_buf_init(&b, payload[i], sizeof(payload[i]));
		ew_fmt_json(&a, &b);
		plen[i] = b.len - 1;
		klen[i] = ew_addr_format_n(&a.src, key[i]);   /* keyed as the sink keys */
	}
	c0 = cpu_self();
	t0 = (double)ew_time_mono_us();
	rd_kafka_conf_set(c, "bootstrap.servers", brokers, err, sizeof(err));
	rd_kafka_conf_set(c, "enable.idempotence", "true", err, sizeof(err));
	rd_kafka_conf_set(c, "compression.codec", "lz4", err, sizeof(err));
	rd_kafka_conf_set(c, "linger.ms", "5", err, sizeof(err));
	rd_kafka_conf_set(c, "partitioner", "murmur2_random", err, sizeof(err));
	if (reports) {
		rd_kafka_conf_set_dr_msg_cb(c, count_dr);
		rd_kafka_conf_set_opaque(c, &ok);
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	t = rd_kafka_topic_new(rk, "bench.raw", NULL);
	for (uint64_t i = 0; i < n && mode < 3; i++) {
		while (rd_kafka_produce(t, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, payload[i & 1023],
					plen[i & 1023], mode ? key[i & 1023] : key[0],
					mode ? klen[i & 1023] : klen[0], NULL) != 0)
			rd_kafka_poll(rk, 1);
		if ((i & 1023) == 0)
			rd_kafka_poll(rk, 0);
	}
	if (mode == 3)
		produce_runs(rk, t, n, payload, plen, key, klen);
	rd_kafka_flush(rk, 60000);
	if (reports && ok != n)
		fprintf(stderr, "bench_sinks: %llu of %llu reported delivered\n",
			(unsigned long long)ok, (unsigned long long)n);
	secs = ((double)ew_time_mono_us() - t0) / 1e6;
	cpu = cpu_self() - c0;
	printf("%-23s %9llu msgs   in %6.2f s: %9.0f msgs/s,   %9.0f msgs per CPU-second "
	       "(librdkafka alone, 1024 preformatted alerts of ~%zu bytes)\n",
	       ceiling_name[mode], (unsigned long long)n,
	       secs, n / secs, n / cpu, plen[0]);
	fflush(stdout);
	rd_kafka_topic_destroy(t);
	rd_kafka_destroy(rk);
	return n / cpu;
}

static void latency(const char *brokers, double rate, double seconds)
{
	char yaml[512];
	struct ew_conf *doc = NULL;
	struct ew_sinkset *s;
	uint64_t hist[EW_DQ_LAT_BUCKETS], n = (uint64_t)(rate * seconds), t0;

	if (only && strcmp(only, "latency") != 0)
		return;
	snprintf(yaml, sizeof(yaml), "{type: kafka, brokers: \"%s\", spool: off, topic: bench.latency}",
		 brokers);
	s = open_one(yaml, &doc);
	t0 = ew_time_mono_us();
	for (uint64_t i = 0; i < n; i++) {
		struct ew_alert a = alert_n(i);
		uint64_t due = t0 + (uint64_t)((double)i * 1e6 / rate);

		while (ew_time_mono_us() < due)
			usleep(50);
		ew_sinkset_emit(s, &a);
	}
	while (delivered(s) < n && ew_time_mono_us() < t0 + (uint64_t)(seconds + 30) * 1000000)
		usleep(1000);
	ew_sinkset_latency(s, 0, hist);
	printf("kafka latency at %.0f alerts/s for %.0f s: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
	       "(emit to delivery report, %llu delivered)\n", rate, seconds,
	       ew_dq_latency_pct(hist, 50) / 1e3, ew_dq_latency_pct(hist, 99) / 1e3,
	       ew_dq_latency_pct(hist, 100) / 1e3, (unsigned long long)delivered(s));
	ew_sinkset_free(s);
	ew_conf_free(doc);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
	struct recv tcp, udp, http;
	char yaml[512];

	only = argc > 3 ? argv[3] : NULL;
	if (argc < 2) {
		fprintf(stderr, "usage: bench_sinks KAFKA_BROKERS [ALERTS [CASE]]\n");
		return 2;
	}
	if (system("rm -rf /tmp/eastwatch-bench-spool") != 0)
		return 1;
	run_case("file (/dev/null)", "{type: file, path: /dev/null}", n, NULL, 3, 1);
	/* EW_BENCH_KAFKA: extra keys for the Kafka sink's mapping, to try settings */
	snprintf(yaml, sizeof(yaml), "{type: kafka, brokers: \"%s\", topic: bench.alerts%s%s}",
		 argv[1], getenv("EW_BENCH_KAFKA") ? ", " : "",
		 getenv("EW_BENCH_KAFKA") ? getenv("EW_BENCH_KAFKA") : "");
	/* Kafka: 3 rounds each, ceiling and sink interleaved, so that both see the same
	 * minutes of this machine */
	{
		double c[CEILINGS][3], k[3], ko[3];
		static const char *const kn = "kafka (lz4, acks=all)",
				  *const kon = "kafka (spool: off)";
		char yaml_off[1024];

		/* the default writes every alert ahead to the spool and produces it from
		 * there; spool: off is the staged path straight into librdkafka */
		snprintf(yaml_off, sizeof(yaml_off), "{type: kafka, name: k2, brokers: \"%s\", "
			 "topic: bench.alerts, spool: off}", argv[1]);
		for (int i = 0; i < 3; i++) {
			for (int m = 0; m < CEILINGS; m++)
				c[m][i] = raw_ceiling(argv[1], n, m);
			k[i] = only && strncmp(kn, only, strlen(only)) != 0 ? 0 :
			       run_round(kn, yaml, n, NULL, 1);
			ko[i] = only && strncmp(kon, only, strlen(only)) != 0 ? 0 :
				run_round(kon, yaml_off, n, NULL, 1);
		}
		for (int m = 0; m < CEILINGS; m++)
			if (c[m][0] > 0)
				summary(ceiling_name[m], c[m], 3, "msgs");
		if (!only || strncmp(kn, only, strlen(only)) == 0)
			summary(kn, k, 3, "alerts");
		if (!only || strncmp(kon, only, strlen(only)) == 0)
			summary(kon, ko, 3, "alerts");
	}
	start_recv(&tcp, 0, 0);
	snprintf(yaml, sizeof(yaml), "{type: syslog, address: \"127.0.0.1:%u\", transport: tcp}",
		 tcp.port);
	run_case("syslog tcp (json)", yaml, n, &tcp, 1, 0);
	snprintf(yaml, sizeof(yaml), "{type: syslog, name: s2, address: \"127.0.0.1:%u\", "
		 "transport: tcp, format: cef}", tcp.port);
	run_case("syslog tcp (cef)", yaml, n, &tcp, 1, 0);
	start_recv(&udp, 1, 0);
	snprintf(yaml, sizeof(yaml), "{type: syslog, name: s3, address: \"127.0.0.1:%u\", "
		 "transport: udp}", udp.port);
	run_case("syslog udp (json)", yaml, n, &udp, 1, 0);
	start_recv(&http, 0, 1);
	snprintf(yaml, sizeof(yaml), "{type: webhook, url: \"http://127.0.0.1:%u/x\", "
		 "concurrency: 1}", http.port);
	run_case("webhook (http, 1 conn)", yaml, n / 20, &http, 1, 0);
	latency(argv[1], 10000, 5);
	return system("rm -rf /tmp/eastwatch-bench-spool") != 0;
}
