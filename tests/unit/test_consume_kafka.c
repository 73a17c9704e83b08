/* SPDX-License-Identifier: Apache-2.0 */
/* test_consume_kafka - the alerter's consumer against librdkafka's mock cluster: every
 * message produced is read once with where it came from; after a commit, a new consumer
 * of the group reads only what came later; without one, it reads everything again (an
 * alerter that dies before its sinks settled loses nothing); a bad librdkafka property
 * is refused by name. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <string.h>

#include "alerting/consume_kafka.h"
#include "check_main.h"
#include "core/ew_time.h"

static rd_kafka_t *mrk, *prod;
static rd_kafka_mock_cluster_t *mc;
static const char *topic = "eastwatch.alerts";

static void setup(void)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char err[256];

	rd_kafka_conf_set(c, "log_level", "3", err, sizeof(err));
	mrk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	ck_assert_ptr_nonnull(mrk);
	mc = rd_kafka_mock_cluster_new(mrk, 1);
	ck_assert_ptr_nonnull(mc);
	ck_assert_int_eq(rd_kafka_mock_topic_create(mc, topic, 2, 1), 0);
	c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), err,
			  sizeof(err));
	prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
	ck_assert_ptr_nonnull(prod);
}

static void teardown(void)
{
	rd_kafka_destroy(prod);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mrk);
}

static void produce(int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "alert-%03d", i);

		ck_assert_int_eq(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(topic),
						   RD_KAFKA_V_VALUE(msg, (size_t)len),
						   RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
						   RD_KAFKA_V_END), 0);
	}
	ck_assert_int_eq(rd_kafka_flush(prod, 10000), 0);
}

struct seen {
	int n, bad_where, per[2];
	unsigned char got[64];
};

static void on_message(void *arg, const struct ew_kafka_msg *m)
{
	struct seen *s = arg;
	char wb[300];
	const char *p = m->payload, *where = ew_kafka_msg_where(m, wb);
	size_t len = m->len;
	int i;

	if (len == 9 && sscanf((const char *)p + 6, "%3d", &i) == 1 && i >= 0 && i < 64)
		s->got[i]++;
	if (strncmp(where, "eastwatch.alerts [", 18) != 0 || strstr(where, "] offset ") == NULL)
		s->bad_where++;
	if (m->partition >= 0 && m->partition < 2)
		s->per[m->partition]++;
	s->n++;
}

/* Read until n messages came or 20 s passed. */
static void read_n(struct ew_kafka_consumer *k, struct seen *s, int n)
{
	uint64_t until = ew_time_mono_us() + 20000000;

	while (s->n < n && ew_time_mono_us() < until)
		ew_kafka_consumer_poll(k, 100, on_message, s);
}

/* A consumer of group; the mock cluster keeps a member that left until its session
 * times out, so sessions here are short (options pass through to librdkafka). */
static struct ew_kafka_consumer *consumer(const char *group)
{
	static const char yaml[] = "{ session.timeout.ms: 6000, heartbeat.interval.ms: 500 }";
	struct ew_conf *doc = NULL;
	struct ew_err err;
	struct ew_kafka_consumer *k;

	ck_assert_int_eq(ew_conf_load_mem(&doc, "t", yaml, sizeof(yaml) - 1, &err), EW_OK);
	ck_assert_msg(ew_kafka_consumer_new(&k, rd_kafka_mock_cluster_bootstraps(mc), topic, group,
					    ew_conf_root(doc), &err) == EW_OK, "%s", err.msg);
	ew_conf_free(doc);
	return k;
}

START_TEST(read_commit_resume)
{
	struct ew_kafka_consumer *k = consumer("g1");
	struct seen s = { 0 }, t = { 0 };

	produce(0, 20);
	read_n(k, &s, 20);
	ck_assert_int_eq(s.n, 20);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(s.got[i], 1);
	ck_assert_int_eq(s.bad_where, 0);
	ck_assert_int_eq(ew_kafka_consumer_commit(k), EW_OK);
	ew_kafka_consumer_free(k);
	produce(20, 5);
	k = consumer("g1");                /* the group goes on after its commit */
	read_n(k, &t, 5);
	for (int i = 0; i < 3; i++)        /* and nothing more comes */
		ew_kafka_consumer_poll(k, 200, on_message, &t);
	ck_assert_int_eq(t.n, 5);
	for (int i = 20; i < 25; i++)
		ck_assert_int_eq(t.got[i], 1);
	ew_kafka_consumer_free(k);
}
END_TEST

START_TEST(uncommitted_is_read_again)
{
	struct ew_kafka_consumer *k = consumer("g2");
	struct seen s = { 0 }, t = { 0 };

	produce(0, 10);
	read_n(k, &s, 10);
	ck_assert_int_eq(s.n, 10);
	ew_kafka_consumer_free(k);         /* died before committing */
	k = consumer("g2");
	read_n(k, &t, 10);
	ck_assert_int_eq(t.n, 10);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(t.got[i], 1);
	ew_kafka_consumer_free(k);
}
END_TEST

struct given {
	int32_t parts[8];
	int n, revoked;
};

static void on_assigned(void *arg, const int32_t *parts, int n)
{
	struct given *g = arg;

	for (int i = 0; i < n && g->n < 8; i++)
		g->parts[g->n++] = parts[i];
}

static void on_revoked(void *arg, const int32_t *parts, int n)
{
	struct given *g = arg;

	g->revoked += n;
}

/* The group hands both partitions to its one member and says so; offsets committed
 * per partition are where the next member of the group begins. */
START_TEST(rebalance_and_commit_at)
{
	struct ew_kafka_consumer *k = consumer("g4");
	struct seen s = { 0 }, t = { 0 };
	struct given g = { .n = 0 };
	int32_t parts[2] = { 0, 1 };
	int64_t at[2] = { 0, 0 }, off;
	const char *metas[2] = { "done=7", NULL };
	char meta[32];

	ew_kafka_consumer_on_rebalance(k, on_assigned, on_revoked, &g);
	produce(0, 20);
	read_n(k, &s, 20);
	ck_assert_int_eq(s.n, 20);
	ck_assert_int_eq(g.n, 2);
	ck_assert_int_eq(g.parts[0] + g.parts[1], 1);
	/* past each partition's 4th message (if it has them): the next member reads the rest */
	for (int i = 0; i < 2; i++)
		at[i] = s.per[i] < 4 ? s.per[i] : 4;
	ck_assert_int_eq(ew_kafka_consumer_commit_at(k, parts, at, metas, 2), EW_OK);
	ew_kafka_consumer_free(k);
	ck_assert_int_eq(g.revoked, 2);
	k = consumer("g4");
	read_n(k, &t, 20 - (int)(at[0] + at[1]));
	for (int i = 0; i < 3; i++)
		ew_kafka_consumer_poll(k, 200, on_message, &t);
	ck_assert_int_eq(t.n, 20 - (int)(at[0] + at[1]));
	ck_assert_int_eq(t.per[0], s.per[0] - (int)at[0]);
	/* the string committed with partition 0's offset is there for the next holder */
	ck_assert_int_eq(ew_kafka_consumer_committed(k, 0, &off, meta, sizeof(meta)), EW_OK);
	ck_assert_int_eq(off, at[0]);
	ck_assert_str_eq(meta, "done=7");
	ew_kafka_consumer_free(k);
}
END_TEST

START_TEST(bad_property_refused)
{
	struct ew_conf *doc = NULL;
	struct ew_err err;
	const char yaml[] = "{ no.such.property: 1 }";
	struct ew_kafka_consumer *k = (void *)1;

	ck_assert_int_eq(ew_conf_load_mem(&doc, "t", yaml, sizeof(yaml) - 1, &err), EW_OK);
	ck_assert_int_eq(ew_kafka_consumer_new(&k, rd_kafka_mock_cluster_bootstraps(mc), topic, "g3",
					       ew_conf_root(doc), &err), EW_E_INVAL);
	ck_assert_ptr_null(k);
	ck_assert_ptr_nonnull(strstr(err.msg, "no.such.property"));
	ew_conf_free(doc);
}
END_TEST

static Suite *consume_kafka_suite(void)
{
	Suite *s = suite_create("consume_kafka");
	TCase *t = tcase_create("consume_kafka");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 60);
	tcase_add_test(t, read_commit_resume);
	tcase_add_test(t, uncommitted_is_read_again);
	tcase_add_test(t, bad_property_refused);
	tcase_add_test(t, rebalance_and_commit_at);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(consume_kafka_suite)
