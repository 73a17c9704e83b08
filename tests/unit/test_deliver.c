/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for alerting/spool and alerting/deliver: records survive reopening, a torn
 * tail is cut and a corrupt record skipped, the bound drops and counts; the delivery
 * queue retries with backoff through the spool, keeps order, replays after a restart,
 * drains on shutdown, and never makes a push wait for the network. The receiver here is
 * a function standing in for the network (the integration test delivery.sh uses real
 * servers), except for the syslog sink's reset case, on a loopback socket. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "alerting/deliver.h"
#include "alerting/sink.h"
#include "alerting/spool.h"
#include "core/ew_conf.h"
#include "core/ew_sev.h"
#include "check_main.h"
#include "tmp_path.h"

static char dir[64];

static void mkdir_tmp(void)
{
	ew_test_dir(dir, sizeof(dir), "test-spool");
}

static void rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(crc)
{
	/* the check value of CRC-32/ISO-HDLC */
	ck_assert_uint_eq(ew_crc32(0, "123456789", 9), 0xCBF43926u);
}
END_TEST

START_TEST(spool_roundtrip)
{
	struct ew_spool *s;
	struct ew_spool_stats st;
	struct ew_err err;
	char buf[EW_SPOOL_MAX_RECORD], want[32];
	uint64_t cur = 0;
	int64_t n;

	mkdir_tmp();
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 1 << 20, &err), EW_OK);
	for (int i = 0; i < 100; i++) {
		snprintf(want, sizeof(want), "alert %d", i);
		ck_assert_int_eq(ew_spool_append(s, want, (uint32_t)strlen(want)), EW_OK);
	}
	/* read 40 and commit them */
	for (int i = 0; i < 40; i++) {
		n = ew_spool_read(s, &cur, buf, sizeof(buf));
		snprintf(want, sizeof(want), "alert %d", i);
		ck_assert_int_eq(n, (int64_t)strlen(want));
		ck_assert(memcmp(buf, want, (size_t)n) == 0);
	}
	ew_spool_commit(s, cur, 40);
	ew_spool_close(s);
	/* a new process sees the other 60, from alert 40 */
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 1 << 20, &err), EW_OK);
	ew_spool_stats(s, &st);
	ck_assert_uint_eq(st.records, 60);
	cur = 0;
	n = ew_spool_read(s, &cur, buf, sizeof(buf));
	ck_assert(n == 8 && memcmp(buf, "alert 40", 8) == 0);
	/* everything delivered: the file is emptied */
	while (ew_spool_read(s, &cur, buf, sizeof(buf)) > 0)
		;
	ew_spool_commit(s, cur, 60);
	ew_spool_stats(s, &st);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.bytes, 0);
	ew_spool_close(s);
	rm_tmp();
}
END_TEST

START_TEST(spool_torn_and_corrupt)
{
	struct ew_spool *s;
	struct ew_spool_stats st;
	struct ew_err err;
	char path[128], buf[EW_SPOOL_MAX_RECORD];
	uint64_t cur = 0;
	struct stat sb;
	int fd;

	mkdir_tmp();
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 1 << 20, &err), EW_OK);
	ew_spool_append(s, "first-record", 12);
	ew_spool_append(s, "second-record", 13);
	ew_spool_append(s, "third-record", 12);
	ew_spool_close(s);
	snprintf(path, sizeof(path), "%s/t.spool", dir);
	/* flip a byte in the second record's payload; tear the third in half */
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 12 + 12 + 12 + 3), 1);
	fstat(fd, &sb);
	ck_assert_int_eq(ftruncate(fd, sb.st_size - 5), 0);
	close(fd);
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 1 << 20, &err), EW_OK);
	ew_spool_stats(s, &st);
	ck_assert_uint_eq(st.records, 1);          /* only the first is whole and correct */
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_uint_eq(st.bytes, 12 + 12 + 12 + 13);   /* torn tail cut */
	ck_assert_int_eq(ew_spool_read(s, &cur, buf, sizeof(buf)), 12);
	ck_assert_int_eq(ew_spool_read(s, &cur, buf, sizeof(buf)), 0);   /* corrupt skipped */
	/* appending after recovery works */
	ck_assert_int_eq(ew_spool_append(s, "fourth", 6), EW_OK);
	ck_assert_int_eq(ew_spool_read(s, &cur, buf, sizeof(buf)), 6);
	ew_spool_close(s);
	/* a position file that is garbage means: deliver everything again */
	snprintf(path, sizeof(path), "%s/t.pos", dir);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "garbage-garbage", 15), 15);
	close(fd);
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 1 << 20, &err), EW_OK);
	ew_spool_stats(s, &st);
	ck_assert_uint_eq(st.records, 2);
	ew_spool_close(s);
	rm_tmp();
}
END_TEST

START_TEST(spool_bound)
{
	struct ew_spool *s;
	struct ew_err err;
	char rec[1000] = { 0 };
	int ok = 0, full = 0;

	mkdir_tmp();
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 10000, &err), EW_OK);
	for (int i = 0; i < 20; i++) {
		int rc = ew_spool_append(s, rec, sizeof(rec));

		ok += rc == EW_OK;
		full += rc == EW_E_FULL;
	}
	ck_assert_int_eq(ok, 9);    /* 9 x 1012 bytes fit in 10000 */
	ck_assert_int_eq(full, 11);
	ew_spool_close(s);
	/* a directory we cannot create is an error naming it */
	ck_assert_int_ne(ew_spool_open(&s, "/proc/no/such", "t", 10000, &err), EW_OK);
	ck_assert_ptr_nonnull(strstr(err.msg, "/proc/no/such"));
	rm_tmp();
}
END_TEST

/* A receiver that is down while 'down' is set, records what it got. */
struct recv {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int down, held;     /* held: send waits until the test lets it go */
	uint32_t got[20000];
	uint32_t n, calls, fails;
};

static void recv_send(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
		      char *why, size_t wl)
{
	struct recv *r = st;

	pthread_mutex_lock(&r->mu);
	while (r->held)
		pthread_cond_wait(&r->cv, &r->mu);
	r->calls++;
	if (r->down) {
		r->fails++;
		snprintf(why, wl, "receiver down");
		pthread_mutex_unlock(&r->mu);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t v;

		ck_assert_uint_eq(m[i].len, 4);
		memcpy(&v, m[i].p, 4);
		if (r->n < 20000)
			r->got[r->n++] = v;
		status[i] = EW_DQ_SENT;
	}
	pthread_mutex_unlock(&r->mu);
}

static struct ew_dq_conf conf(const char *spool)
{
	struct ew_dq_conf c = { .queue_max = 1000, .batch_max = 100, .spool_dir = spool,
				.spool_max_bytes = 1 << 20, .backoff_min_ms = 10,
				.backoff_max_ms = 100 };
	return c;
}

static void wait_for(struct recv *r, uint32_t n, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		pthread_mutex_lock(&r->mu);
		if (r->n >= n) {
			pthread_mutex_unlock(&r->mu);
			return;
		}
		pthread_mutex_unlock(&r->mu);
		usleep(5000);
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(dq_outage_every_alert_once)
{
	static struct recv r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct ew_dq_conf c;
	struct ew_dq_stats st;
	struct ew_dq *q;
	struct ew_err err;

	mkdir_tmp();
	c = conf(dir);
	ck_assert_int_eq(ew_dq_new(&q, "t", &c, recv_send, &r, &err), EW_OK);
	for (uint32_t i = 0; i < 500; i++)
		ew_dq_push(q, &i, 4, 1);
	wait_for(&r, 500, 5000);
	pthread_mutex_lock(&r.mu);
	r.down = 1;
	pthread_mutex_unlock(&r.mu);
	for (uint32_t i = 500; i < 3000; i++)   /* more than the memory queue holds */
		ck_assert_int_eq(ew_dq_push(q, &i, 4, 1), EW_OK);
	usleep(200000);
	ew_dq_stats(q, &st);
	ck_assert_uint_gt(st.spooled, 0);
	ck_assert_uint_gt(st.failed_attempts, 1);   /* retried, with backoff */
	ck_assert_int_eq(st.up, 0);
	pthread_mutex_lock(&r.mu);
	r.down = 0;
	pthread_mutex_unlock(&r.mu);
	wait_for(&r, 3000, 10000);
	/* the receiver has them; the spool's position moves once send returns */
	for (int i = 0; i < 1000; i++) {
		ew_dq_stats(q, &st);
		if (st.spool_records == 0 && ew_dq_settled(q))
			break;
		usleep(5000);
	}
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_eq(st.spool_records, 0);
	ck_assert_int_eq(st.up, 1);
	ck_assert_uint_eq(r.n, 3000);
	/* every alert exactly once: the ones before the outage in order; after it, those
	 * spilled by a full queue can overtake a batch that was in flight when it failed */
	for (uint32_t i = 0; i < 500; i++)
		ck_assert_uint_eq(r.got[i], i);
	qsort(r.got, r.n, sizeof(r.got[0]), cmp_u32);
	for (uint32_t i = 0; i < 3000; i++)
		ck_assert_uint_eq(r.got[i], i);
	ew_dq_free(q);
	rm_tmp();
}
END_TEST

START_TEST(dq_restart_replays_spool)
{
	static struct recv r = { .mu = PTHREAD_MUTEX_INITIALIZER, .down = 1 };
	struct ew_dq_conf c;
	struct ew_dq_stats st;
	struct ew_dq *q;
	struct ew_err err;

	mkdir_tmp();
	c = conf(dir);
	ck_assert_int_eq(ew_dq_new(&q, "t", &c, recv_send, &r, &err), EW_OK);
	for (uint32_t i = 0; i < 200; i++)
		ew_dq_push(q, &i, 4, 1);
	ck_assert_int_eq(ew_dq_drain(q, 300), EW_OK);   /* receiver down: all spooled */
	ew_dq_stats(q, &st);
	ck_assert_uint_eq(st.queued, 0);
	ck_assert_uint_eq(st.spool_records, 200);
	ew_dq_free(q);
	ck_assert_uint_eq(r.n, 0);
	/* the next process delivers them, first */
	r.down = 0;
	ck_assert_int_eq(ew_dq_new(&q, "t", &c, recv_send, &r, &err), EW_OK);
	for (uint32_t i = 200; i < 250; i++)
		ew_dq_push(q, &i, 4, 1);
	wait_for(&r, 250, 5000);
	ck_assert_uint_eq(r.n, 250);
	for (uint32_t i = 0; i < 250; i++)
		ck_assert_uint_eq(r.got[i], i);
	ew_dq_free(q);
	rm_tmp();
}
END_TEST

START_TEST(dq_spool_full_drops_counted)
{
	static struct recv r = { .mu = PTHREAD_MUTEX_INITIALIZER, .down = 1 };
	struct ew_dq_conf c;
	struct ew_dq_stats st;
	struct ew_dq *q;
	struct ew_err err;

	mkdir_tmp();
	c = conf(dir);
	c.queue_max = 10;
	c.spool_max_bytes = 16 * 100;   /* 100 records of 4 bytes + 12 */
	ck_assert_int_eq(ew_dq_new(&q, "t", &c, recv_send, &r, &err), EW_OK);
	for (uint32_t i = 0; i < 300; i++)
		ew_dq_push(q, &i, 4, 1);
	ew_dq_drain(q, 300);
	ew_dq_stats(q, &st);
	ck_assert_uint_eq(st.spool_records, 100);
	ck_assert_uint_eq(st.dropped, 200);
	ck_assert_uint_eq(st.pushed, 300);
	ew_dq_free(q);
	rm_tmp();
}
END_TEST

START_TEST(dq_stuck_receiver_push_does_not_wait)
{
	static struct recv r = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
				 .held = 1 };
	struct ew_dq_conf c;
	struct ew_dq_stats st;
	struct ew_dq *q;
	struct ew_err err;

	mkdir_tmp();
	c = conf(dir);
	c.queue_max = 50;
	c.batch_max = 1;
	ck_assert_int_eq(ew_dq_new(&q, "t", &c, recv_send, &r, &err), EW_OK);
	/* The receiver holds its first request until we let go: were a push to wait for a
	 * send, this loop would never finish (the test's timeout fails it). */
	for (uint32_t i = 0; i < 1000; i++)
		ck_assert_int_eq(ew_dq_push(q, &i, 4, 1), EW_OK);
	ew_dq_stats(q, &st);
	ck_assert_uint_ge(st.spooled, 1000 - 50 - 1);   /* the overflow went to the spool */
	ck_assert_uint_eq(st.dropped, 0);
	pthread_mutex_lock(&r.mu);
	r.held = 0;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	wait_for(&r, 1000, 10000);
	ck_assert_uint_eq(r.n, 1000);
	ew_dq_free(q);
	rm_tmp();
}
END_TEST

/* linger: non-urgent payloads wait to go together (an e-mail digest); an urgent one
 * takes everything waiting with it at once */
START_TEST(dq_linger)
{
	static struct recv r = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct ew_dq_conf c;
	struct ew_dq *q;
	struct ew_err err;
	uint32_t v = 7;

	c = conf(NULL);
	c.linger_ms = 3600 * 1000;
	ck_assert_int_eq(ew_dq_new(&q, "t", &c, recv_send, &r, &err), EW_OK);
	for (int i = 0; i < 5; i++)
		ew_dq_push(q, &v, 4, 0);
	usleep(200000);
	ck_assert_uint_eq(r.n, 0);        /* gathering for the hour */
	ew_dq_push(q, &v, 4, 1);
	wait_for(&r, 6, 10000);
	ck_assert_uint_eq(r.n, 6);
	ck_assert_uint_eq(r.calls, 1);    /* one batch */
	/* draining sends what lingers */
	ew_dq_push(q, &v, 4, 0);
	ck_assert_int_eq(ew_dq_drain(q, 10000), EW_OK);
	ck_assert_uint_eq(r.n, 7);
	ew_dq_free(q);
}
END_TEST

/* A syslog receiver over TCP that reset its connection with our alerts unread: they are
 * sent again on the next connection (RFC 6587 has no acknowledgements; at least once). */
static struct ew_alert syslog_alert(uint64_t id)
{
	struct ew_alert a;
	uint8_t s4[4] = { 198, 18, 1, 11 }, d4[4] = { 198, 18, 3, 10 };

	memset(&a, 0, sizeof(a));
	a.ts_us = 1795301943091000ULL;
	a.action = "policy-violation";
	a.severity = EW_SEV_HIGH;
	a.rule = "default";
	a.decided_by = "default";
	a.message = "test";
	ew_addr_from_v4(&a.src, s4);
	ew_addr_from_v4(&a.dst, d4);
	a.proto = 6;
	a.dport = 22;
	a.alert_id = id;
	return a;
}

/* Distinct externalId= values in buf[0..n). */
static int distinct_ids(const char *buf, size_t n)
{
	char seen[16][17];
	int k = 0;

	for (const char *p = buf; (p = memmem(p, n - (size_t)(p - buf), "externalId=", 11)); p++) {
		int dup = 0;

		if ((size_t)(p - buf) + 27 > n)
			break;
		for (int i = 0; i < k; i++)
			dup |= memcmp(seen[i], p + 11, 16) == 0;
		if (!dup && k < 16)
			memcpy(seen[k++], p + 11, 16);
	}
	return k;
}

START_TEST(syslog_reset_resends)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), c1, c2;
	char yaml[256], buf[65536];
	struct ew_sinkset *set;
	struct ew_conf *doc;
	struct ew_err err;
	size_t got = 0;

	mkdir_tmp();
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	snprintf(yaml, sizeof(yaml), "{type: syslog, address: \"127.0.0.1:%u\", transport: tcp, "
		 "format: cef}", ntohs(sa.sin_port));
	ck_assert_int_eq(ew_conf_load_mem(&doc, "t", yaml, strlen(yaml), &err), EW_OK);
	set = ew_sinkset_new("test", dir);
	ck_assert_int_eq(ew_sinkset_add(set, ew_conf_root(doc), NULL, &err), EW_OK);
	for (uint64_t i = 1; i <= 5; i++) {
		struct ew_alert a = syslog_alert(i);

		ew_sinkset_emit(set, &a);
	}
	c1 = accept(lfd, NULL, NULL);
	ck_assert_int_ge(c1, 0);
	/* all five there, none read: the sink may write them in more than one batch, so
	 * wait for the five ids, not for a byte count */
	for (int i = 0; i < 500 && distinct_ids(buf, got) < 5; i++) {
		ssize_t r = recv(c1, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

		got = r > 0 ? (size_t)r : got;
		usleep(10000);
	}
	ck_assert_int_eq(distinct_ids(buf, got), 5);
	close(c1);                                  /* unread data: the kernel sends a reset */
	usleep(100000);
	{
		struct ew_alert a = syslog_alert(6);

		ew_sinkset_emit(set, &a);
	}
	c2 = accept(lfd, NULL, NULL);
	ck_assert_int_ge(c2, 0);
	got = 0;
	for (int i = 0; i < 300 && distinct_ids(buf, got) < 6; i++) {
		struct timeval tv = { 0, 20000 };
		ssize_t r;

		setsockopt(c2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		r = recv(c2, buf + got, sizeof(buf) - got, 0);
		if (r > 0)
			got += (size_t)r;
	}
	ck_assert_int_eq(distinct_ids(buf, got), 6);   /* the five again, and the sixth */
	ew_sinkset_free(set);
	ew_conf_free(doc);
	close(c2);
	close(lfd);
	rm_tmp();
}
END_TEST

/* A spool, position or compaction file planted as a symbolic link is never followed: the
 * spool refuses to open (recovery would truncate the target), and a planted compaction
 * file is replaced, not written through. A spool directory that is a link is refused. */
START_TEST(spool_refuses_symlinks)
{
	struct ew_spool *s;
	struct ew_err err;
	char target[128], link[128], rec[64 * 1024];
	struct stat st;
	FILE *f;

	mkdir_tmp();
	snprintf(target, sizeof(target), "%s/victim", dir);
	f = fopen(target, "w");
	fputs("precious\n", f);
	fclose(f);
	for (int k = 0; k < 2; k++) {
		snprintf(link, sizeof(link), "%s/t.%s", dir, k ? "pos" : "spool");
		ck_assert_int_eq(symlink(target, link), 0);
		ck_assert_int_ne(ew_spool_open(&s, dir, "t", 1 << 20, &err), EW_OK);
		ck_assert_msg(strstr(err.msg, "symbolic link") != NULL, "%s", err.msg);
		ck_assert_int_eq(stat(target, &st), 0);
		ck_assert_int_eq(st.st_size, 9);           /* untouched */
		unlink(link);
	}
	/* compaction through a planted t.spool.tmp */
	snprintf(link, sizeof(link), "%s/t.spool.tmp", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(ew_spool_open(&s, dir, "t", 8 << 20, &err), EW_OK);
	memset(rec, 'x', sizeof(rec));
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(ew_spool_append(s, rec, sizeof(rec)), EW_OK);
	{
		uint64_t cur = 0;
		static char buf[EW_SPOOL_MAX_RECORD];

		for (int i = 0; i < 30; i++)
			ck_assert_int_eq(ew_spool_read(s, &cur, buf, sizeof(buf)), sizeof(rec));
		ew_spool_commit(s, cur, 30);
	}
	for (int i = 0; i < 100; i++)            /* grows past the bound: compacts */
		ew_spool_append(s, rec, sizeof(rec));
	ew_spool_close(s);
	ck_assert_int_eq(stat(target, &st), 0);
	ck_assert_int_eq(st.st_size, 9);
	/* the directory itself a link */
	snprintf(link, sizeof(link), "%s/linkdir", dir);
	ck_assert_int_eq(symlink("/tmp", link), 0);
	ck_assert_int_ne(ew_spool_open(&s, link, "t", 1 << 20, &err), EW_OK);
	rm_tmp();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *t = tcase_create("spool");

	tcase_add_test(t, crc);
	tcase_add_test(t, spool_roundtrip);
	tcase_add_test(t, spool_torn_and_corrupt);
	tcase_add_test(t, spool_bound);
	tcase_add_test(t, spool_refuses_symlinks);
	suite_add_tcase(s, t);
	t = tcase_create("queue");
	tcase_set_timeout(t, 30);
	tcase_add_test(t, dq_outage_every_alert_once);
	tcase_add_test(t, dq_restart_replays_spool);
	tcase_add_test(t, dq_spool_full_drops_counted);
	tcase_add_test(t, dq_stuck_receiver_push_does_not_wait);
	tcase_add_test(t, dq_linger);
	tcase_add_test(t, syslog_reset_resends);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
