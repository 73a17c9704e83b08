/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for the Kafka sink against librdkafka's mock cluster, in this process, read
 * back with a librdkafka consumer: alerts from several threads at once all arrive, each in
 * the partition Kafka's Java client would choose for its source (murmur2), and one
 * thread's alerts of one source in the order they were emitted; the bursts go through the
 * per-partition stages in runs; lone alerts go straight to librdkafka, and one that does
 * wait in a stage leaves it without a further emit; alerts librdkafka
 * refuses (its queue full) reach the topic through the delivery queue (those three
 * without a spool: staging is that path); with a spool, alerts emitted while every
 * broker is down survive a SIGKILL and arrive after a restart. The integration
 * test delivery.sh covers outages, injected errors and restarts. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerting/sink.h"
#include "core/ew_conf.h"
#include "core/ew_flow.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"
#include "check_main.h"
#include "tmp_path.h"

#define PARTS 4
#define SOURCES 64

static rd_kafka_t *mrk;
static rd_kafka_mock_cluster_t *mc;
static char dir[64];

static void cluster_up(const char *topic)
{
	rd_kafka_conf_t *c;
	char err[256];

	ew_test_dir(dir, sizeof(dir), "test-spool");
	c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));   /* no bootstrap here: quiet */
	mrk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	ck_assert_ptr_nonnull(mrk);
	mc = rd_kafka_mock_cluster_new(mrk, 3);
	ck_assert_ptr_nonnull(mc);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mc, topic, PARTS, 3), 0);
}

static void cluster_down(void)
{
	char cmd[128];

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mrk);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct ew_sinkset *open_sink(const char *topic, const char *extra, struct ew_conf **doc)
{
	char yaml[1024];
	struct ew_sinkset *set;
	struct ew_err err;

	snprintf(yaml, sizeof(yaml), "{type: kafka, brokers: \"%s\", topic: %s%s}",
		 rd_kafka_mock_cluster_bootstraps(mc), topic, extra);
	ck_assert_int_eq(ew_conf_load_mem(doc, "t", yaml, strlen(yaml), &err), EW_OK);
	set = ew_sinkset_new("test", dir);
	ck_assert_msg(ew_sinkset_add(set, ew_conf_root(*doc), NULL, &err) == EW_OK, "%s", err.msg);
	return set;
}

/* Alert seq of emitting thread t, from one of SOURCES sources; the id says both. */
static struct ew_alert alert_of(uint32_t t, uint32_t seq)
{
	static const char *const g[] = { "web" };
	uint8_t s4[4] = { 198, 18, 7, (uint8_t)(seq * 7 % SOURCES) };
	uint8_t d4[4] = { 198, 19, 0, 10 };
	struct ew_alert a;

	memset(&a, 0, sizeof(a));
	a.ts_us = ew_time_now_us();
	a.action = "policy-violation";
	a.severity = EW_SEV_HIGH;
	a.rule = "default";
	a.decided_by = "default";
	a.message = "198.18.7.x [web] opened SSH (tcp/22) to 198.19.0.10, which nothing permits";
	ew_addr_from_v4(&a.src, s4);
	ew_addr_from_v4(&a.dst, d4);
	a.sport = 40000;
	a.dport = 22;
	a.proto = 6;
	a.app_source = EW_APP_DPI;
	a.app = "SSH";
	a.app_ecs = "ssh";
	a.src_groups[0] = g[0];
	a.nsrc_groups = 1;
	a.observer_name = "test";
	a.alert_id = (uint64_t)t << 32 | seq;
	return a;
}

static uint64_t sent(struct ew_sinkset *set)
{
	struct ew_sink_stats st;

	ew_sinkset_stats(set, 0, &st);
	return st.sent;
}

static void wait_sent(struct ew_sinkset *set, uint64_t n)
{
	for (int i = 0; i < 3000 && sent(set) < n; i++)
		usleep(10000);
	ck_assert_uint_ge(sent(set), n);
}

/* Kafka's Java client's murmur2 (Utils.murmur2), written here from its definition. */
static uint32_t java_murmur2(const void *key, size_t len)
{
	const uint32_t m = 0x5bd1e995;
	const unsigned char *d = key;
	uint32_t h = 0x9747b28c ^ (uint32_t)len;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		uint32_t k = (uint32_t)d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16 |
			     (uint32_t)d[i + 3] << 24;

		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)d[i + 2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)d[i + 1] << 8;
		/* fall through */
	case 1:
		h ^= d[i];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

struct got {
	uint8_t *seen;            /* by thread * per + seq */
	uint32_t per, threads;
	uint64_t distinct, total, misplaced, disordered;
	int64_t last[8][SOURCES]; /* last seq seen per (thread, source) */
};

/* Read the whole topic from the beginning until want distinct alerts have come (or
 * 30 s), checking each one's partition and per-(thread, source) order. */
static void consume(const char *topic, struct got *g, uint64_t want)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *pl = rd_kafka_topic_partition_list_new(PARTS);
	uint64_t deadline = ew_time_mono_us() + 30000000;
	char err[256];
	rd_kafka_t *rk;

	ck_assert_int_eq(rd_kafka_conf_set(c, "bootstrap.servers",
					   rd_kafka_mock_cluster_bootstraps(mc), err, sizeof(err)),
			 RD_KAFKA_CONF_OK);
	rd_kafka_conf_set(c, "group.id", "ew-test", err, sizeof(err));
	rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
	ck_assert_ptr_nonnull(rk);
	for (int p = 0; p < PARTS; p++)
		rd_kafka_topic_partition_list_add(pl, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	ck_assert_int_eq(rd_kafka_assign(rk, pl), 0);
	rd_kafka_topic_partition_list_destroy(pl);
	memset(g->last, 0xff, sizeof(g->last));
	while (g->distinct < want && ew_time_mono_us() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		const char *id;
		uint64_t v;
		uint32_t t, seq;

		if (m == NULL)
			continue;
		if (m->err) {
			rd_kafka_message_destroy(m);
			continue;
		}
		g->total++;
		if ((int32_t)((java_murmur2(m->key, m->key_len) & 0x7fffffff) % PARTS) !=
		    m->partition)
			g->misplaced++;
		id = memmem(m->payload, m->len, "\"alert_id\":\"", 12);
		ck_assert_ptr_nonnull(id);
		v = strtoull(id + 12, NULL, 16);
		t = (uint32_t)(v >> 32);
		seq = (uint32_t)v;
		ck_assert_uint_lt(t, g->threads);
		ck_assert_uint_lt(seq, g->per);
		if (!g->seen[t * g->per + seq]) {
			uint32_t src = seq * 7 % SOURCES;

			g->seen[t * g->per + seq] = 1;
			g->distinct++;
			if (g->last[t][src] >= (int64_t)seq)
				g->disordered++;
			g->last[t][src] = seq;
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

struct emitter {
	struct ew_sinkset *set;
	uint32_t t, first, n;
};

static void *emit_thread(void *arg)
{
	struct emitter *e = arg;

	for (uint32_t i = e->first; i < e->first + e->n; i++) {
		struct ew_alert a = alert_of(e->t, i);

		ew_sinkset_emit(e->set, &a);
	}
	return NULL;
}

START_TEST(java_murmur2_vectors)
{
	/* the Java client's values, as librdkafka's own unit test lists them */
	ck_assert_uint_eq(java_murmur2("kafka", 5), 0xd067cf64u);
	ck_assert_uint_eq(java_murmur2("giberish123456789", 17), 0x8f552b0cu);
	ck_assert_uint_eq(java_murmur2("1234", 4), 0x9fc97b14u);
	ck_assert_uint_eq(java_murmur2("234", 3), 0xe7c009cau);
	ck_assert_uint_eq(java_murmur2("", 0), 0x106e08d9u);
}
END_TEST

START_TEST(bursts_from_threads_arrive_placed_and_in_order)
{
	enum { THREADS = 3, PER = 20000 };
	struct ew_conf *doc;
	struct ew_sinkset *set;
	struct emitter e[THREADS];
	pthread_t th[THREADS];
	struct got g = { .per = PER, .threads = THREADS };
	struct ew_kafka_counts c0, c1;

	cluster_up("t.burst");
	set = open_sink("t.burst", ", spool: off", &doc);   /* staging is the path without one */
	/* the first alert goes straight to librdkafka (the partition count is not known
	 * until librdkafka has placed one); seq 0 of thread 0 */
	e[0] = (struct emitter){ set, 0, 0, 1 };
	emit_thread(&e[0]);
	wait_sent(set, 1);
	ew_sink_kafka_counts(&c0);
	for (uint32_t t = 0; t < THREADS; t++) {
		e[t] = (struct emitter){ set, t, t == 0, PER - (t == 0) };
		ck_assert_int_eq(pthread_create(&th[t], NULL, emit_thread, &e[t]), 0);
	}
	for (uint32_t t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	wait_sent(set, THREADS * PER);
	ew_sink_kafka_counts(&c1);
	/* the burst went through the stages, in runs far longer than one (an alert that
	 * finds its stage idle for 1 ms goes straight: each stage's first, and any after a
	 * thread was held up) */
	ck_assert_uint_eq((c1.staged - c0.staged) + (c1.direct - c0.direct), THREADS * PER - 1);
	ck_assert_uint_gt(c1.staged - c0.staged, THREADS * PER * 9 / 10);
	ck_assert_uint_eq(c1.refused - c0.refused, 0);
	ck_assert_uint_lt((c1.runs - c0.runs) * 4, c1.staged - c0.staged);   /* loose: CI's ASan */
	g.seen = calloc(THREADS * PER, 1);
	consume("t.burst", &g, THREADS * PER);
	ck_assert_uint_eq(g.distinct, THREADS * PER);
	ck_assert_uint_eq(g.total, THREADS * PER);   /* nothing failed, so nothing twice */
	ck_assert_uint_eq(g.misplaced, 0);
	ck_assert_uint_eq(g.disordered, 0);
	free(g.seen);
	ew_sinkset_free(set);
	ew_conf_free(doc);
	cluster_down();
}
END_TEST

START_TEST(lone_alerts_go_straight_pairs_wait_in_stage)
{
	struct ew_conf *doc;
	struct ew_sinkset *set;
	struct ew_kafka_counts c0, c1;
	uint32_t seq = 0;

	cluster_up("t.lone");
	set = open_sink("t.lone", ", spool: off", &doc);
	{
		struct ew_alert a = alert_of(0, seq++);

		ew_sinkset_emit(set, &a);
		wait_sent(set, seq);
	}
	/* one at a time, 20 ms apart: nothing to gather, each goes to librdkafka at once */
	ew_sink_kafka_counts(&c0);
	for (int i = 0; i < 20; i++) {
		struct ew_alert a = alert_of(0, seq++);

		usleep(20000);
		ew_sinkset_emit(set, &a);
		wait_sent(set, seq);
	}
	ew_sink_kafka_counts(&c1);
	ck_assert_uint_eq(c1.direct - c0.direct, 20);
	ck_assert_uint_eq(c1.staged - c0.staged, 0);
	/* two at once (the same source), 20 ms apart: the first goes straight, the second
	 * waits in its stage, and leaves it with no further emit and no flush (the poller,
	 * woken by emit, flushes it when it is due); unless this thread was held up for
	 * over 1 ms between the two, which would send it straight too */
	c0 = c1;
	for (int i = 0; i < 10; i++) {
		struct ew_alert a = alert_of(0, seq), b = alert_of(0, seq + SOURCES);

		seq += 1;
		usleep(20000);
		ew_sinkset_emit(set, &a);
		ew_sinkset_emit(set, &b);
		wait_sent(set, 21 + 2 * (uint64_t)(i + 1));
	}
	ew_sink_kafka_counts(&c1);
	ck_assert_uint_eq((c1.direct - c0.direct) + (c1.staged - c0.staged), 20);
	ck_assert_uint_ge(c1.direct - c0.direct, 10);
	ck_assert_uint_gt(c1.staged - c0.staged, 0);
	ck_assert_uint_eq(c1.runs - c0.runs, c1.staged - c0.staged);
	ew_sinkset_free(set);
	ew_conf_free(doc);
	cluster_down();
}
END_TEST

START_TEST(refused_by_librdkafka_reaches_the_topic)
{
	enum { N = 5000 };
	struct ew_conf *doc;
	struct ew_sinkset *set;
	struct ew_sink_stats st;
	struct ew_kafka_counts c0, c1;
	struct got g = { .per = N, .threads = 1 };

	cluster_up("t.full");
	/* librdkafka holds 50 messages at most: most of a burst is refused by it */
	set = open_sink("t.full", ", spool: off, retry_max: 200ms, options: "
			"{queue.buffering.max.messages: \"50\"}", &doc);
	{
		struct ew_alert a = alert_of(0, 0);

		ew_sinkset_emit(set, &a);
		wait_sent(set, 1);
	}
	ew_sink_kafka_counts(&c0);
	for (uint32_t i = 1; i < N; i++) {
		struct ew_alert a = alert_of(0, i);

		ew_sinkset_emit(set, &a);
	}
	ck_assert_int_eq(ew_sinkset_flush(set, 60000), EW_OK);
	ew_sinkset_stats(set, 0, &st);
	ew_sink_kafka_counts(&c1);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_gt(c1.refused - c0.refused, 0);   /* the path under test was taken */
	g.seen = calloc(N, 1);
	consume("t.full", &g, N);
	ck_assert_uint_eq(g.distinct, N);
	ck_assert_uint_eq(g.misplaced, 0);
	free(g.seen);
	ew_sinkset_free(set);
	ew_conf_free(doc);
	cluster_down();
}
END_TEST

/* Write-ahead: with every broker down, a process emits alerts and is SIGKILLed; another
 * started on the same spool delivers every one of them. */
START_TEST(sigkill_with_brokers_down_loses_nothing)
{
	enum { N = 3000 };
	struct ew_conf *doc;
	struct ew_sinkset *set;
	struct got g = { .per = N, .threads = 1 };
	pid_t pid;
	int status;

	cluster_up("t.kill");
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_down(mc, b);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		set = open_sink("t.kill", ", delivery_timeout: 60s", &doc);
		for (uint32_t i = 0; i < N; i++) {
			struct ew_alert a = alert_of(0, i);

			ew_sinkset_emit(set, &a);
		}
		raise(SIGKILL);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_up(mc, b);
	set = open_sink("t.kill", "", &doc);
	wait_sent(set, N);
	g.seen = calloc(N, 1);
	consume("t.kill", &g, N);
	ck_assert_uint_eq(g.distinct, N);
	free(g.seen);
	ew_sinkset_free(set);
	ew_conf_free(doc);
	cluster_down();
}
END_TEST

static int up_within(struct ew_sinkset *set, int want, int secs)
{
	struct ew_sink_stats st;

	for (int i = 0; i < secs * 20; i++) {
		ew_sinkset_stats(set, 0, &st);
		if (st.up == want)
			return 1;
		usleep(50000);
	}
	return 0;
}

/* eastwatch_sink_up follows the brokers: 0 while librdkafka reports every broker down
 * (it stayed 1: librdkafka retries on its own for delivery_timeout), 1 when one is back,
 * with no alert needed to find out. */
START_TEST(up_follows_the_brokers)
{
	struct ew_conf *doc;
	struct ew_sinkset *set;
	struct ew_alert a = alert_of(0, 0);

	cluster_up("t.up");
	set = open_sink("t.up", ", options: { reconnect.backoff.max.ms: \"500\" }", &doc);
	ew_sinkset_emit(set, &a);
	wait_sent(set, 1);
	ck_assert(up_within(set, 1, 1));
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_down(mc, b);
	ck_assert_msg(up_within(set, 0, 30), "still up with every broker down");
	for (int b = 1; b <= 3; b++)
		rd_kafka_mock_broker_set_up(mc, b);
	ck_assert_msg(up_within(set, 1, 30), "still down with the brokers back");
	ew_sinkset_free(set);
	ew_conf_free(doc);
	cluster_down();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sink_kafka");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, java_murmur2_vectors);
	tcase_add_test(tc, bursts_from_threads_arrive_placed_and_in_order);
	tcase_add_test(tc, lone_alerts_go_straight_pairs_wait_in_stage);
	tcase_add_test(tc, refused_by_librdkafka_reaches_the_topic);
	tcase_add_test(tc, sigkill_with_brokers_down_loses_nothing);
	tcase_add_test(tc, up_follows_the_brokers);
	suite_add_tcase(s, tc);
	return s;
}

EW_CHECK_MAIN(suite)
