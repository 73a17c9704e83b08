/* SPDX-License-Identifier: Apache-2.0 */
/* sink_kafka - alerts to a Kafka topic with librdkafka.
 *
 * Options: brokers (required), topic (default eastwatch.alerts), flows_topic (every flow
 * record with its verdict, keyed by the initiator's address: best effort, on a producer of
 * its own that never blocks; a full librdkafka queue drops flow records, counted),
 * compression (lz4), linger (5ms), delivery_timeout (30s: how long librdkafka itself
 * retries before the alert goes to the spool), options (a mapping of librdkafka
 * properties passed through, e.g. security.protocol, sasl.mechanisms, sasl.username,
 * ssl.ca.location), sasl_password_file, and the queue/spool keys of deliver.h.
 * The producer is idempotent (acks=all, no reordering or duplicates from its own
 * retries). Each alert is keyed by its source address, so one source's alerts stay in
 * one partition (murmur2, the partitioner of Kafka's Java client; options may set
 * another). Emit formats the alert straight into a stage of the alert's partition, and
 * the stage is handed to librdkafka (which copies it) in one call when it holds 128
 * alerts or 64 KB, or when its first alert has waited 1 ms (less if linger is
 * shorter; librdkafka lingers for the rest of linger). An alert whose stage saw none
 * in the last 1 ms goes straight to librdkafka: below ~1,000 alerts/s a partition
 * gains nothing from staging but the wait. Staging is there for memory:
 * librdkafka allocates each message as it is produced, and walks, compresses and frees
 * a partition's messages together, so messages of four partitions produced in turn lie
 * interleaved in memory and every one of those passes misses the cache; handed over in
 * runs, one partition's messages lie together (librdkafka alone, keyed over 4
 * partitions: ~1.4x the messages per CPU-second with runs of 256 than in turn). Emit
 * works out the partition with the configured partitioner and the partition count
 * librdkafka last used, learnt from its calls to the partitioner: until then alerts go
 * to librdkafka one by one, and once a second a run is placed by librdkafka itself, so a
 * topic given more partitions is seen within a second of librdkafka seeing it (the
 * random partitioner: librdkafka places every run). librdkafka's queue is the memory
 * queue, and its own
 * threads batch; a thread of this sink serves delivery reports and flushes stages that
 * have waited long enough (emit wakes it when the first alert is staged). An
 * alert that librdkafka could not queue or deliver goes to the sink's delivery queue
 * (deliver.h), which spools it and produces it again after the backoff, waiting for each
 * batch's reports. On shutdown, what is still in librdkafka after the drain time is
 * purged, and so spooled.
 * An idempotent producer can meet a fatal error (a broker that lost acknowledged data
 * answers OUT_OF_ORDER_SEQUENCE_NUMBER, a producer id the broker forgot); librdkafka then
 * fails every message and refuses new ones for good. The delivery thread then builds a
 * new producer from the same configuration: the old one's messages come back through
 * their failed reports into the delivery queue and are produced again (at least once). */
#include "alerting/deliver.h"
#include "alerting/fmt_json.h"
#include "alerting/sink.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <librdkafka/rdkafka.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A stage: alerts for one group of partitions, waiting to be handed to librdkafka in one
 * run. Each record is laid out as the delivery queue wants it: key length (2 bytes), key,
 * JSON. */
#define STAGE_GROUPS 16          /* partition % 16: exact for topics of up to 16 partitions */
#define STAGE_RUN 128            /* alerts per run at most */
#define STAGE_BYTES (64 * 1024)  /* bytes per run at most (an alert is at most 16 KB) */
#define STAGE_AGE_US 1000        /* longest wait in a stage (at most linger) */
#define ALERT_MAX 16384          /* one alert's record, key included */

struct stage {
	pthread_mutex_t mu;
	uint32_t n, used;                  /* n read without mu by the poller: a hint */
	uint64_t first_us;                 /* when the first of the n came */
	uint64_t last_us;                  /* when the last alert came to an empty stage */
	rd_kafka_message_t m[STAGE_RUN];
	char arena[STAGE_BYTES];
};

static struct ew_kafka_counts counts;   /* atomically added */

void ew_sink_kafka_counts(struct ew_kafka_counts *out)
{
	out->runs = __atomic_load_n(&counts.runs, __ATOMIC_RELAXED);
	out->staged = __atomic_load_n(&counts.staged, __ATOMIC_RELAXED);
	out->direct = __atomic_load_n(&counts.direct, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&counts.refused, __ATOMIC_RELAXED);
}

typedef int32_t (*partitioner_fn)(const rd_kafka_topic_t *, const void *, size_t, int32_t,
				  void *, void *);

struct kafka_sink {
	struct ew_dq *q;          /* first: ew_dq_sink_* */
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic;
	pthread_rwlock_t rk_lock; /* written only while the producer is replaced */
	rd_kafka_conf_t *tmpl;    /* the configuration, to build a producer again */
	char topic_name[256];
	int fatal;                /* the producer met a fatal error: replace it */
	int durable;              /* a spool: every alert goes through it (write-ahead) */
	int brokers_down;         /* librdkafka reported every broker down */
	uint64_t down_check_us;   /* poller: when to ask a broker again */
	uint64_t restarts;
	uint64_t timeout_ms;
	pthread_mutex_t dr_mu;    /* the retry batch's reports, between the two threads */
	uint32_t gen;             /* retry batch number: a report from an older one is ignored */
	uint8_t *cur;             /* the current retry batch's status array */
	uint32_t ncur, pending;
	pthread_t poller;
	int poller_started, stop_poll;
	char drbuf[16384];        /* the poller rebuilds a failed alert's payload here */
	uint64_t ok_n, ok_lat[EW_DQ_LAT_BUCKETS];   /* poller: delivered, not yet counted */
	struct stage *stg;        /* STAGE_GROUPS of them (NULL when validating only) */
	uint32_t staged;          /* stages holding alerts */
	uint64_t age_us;          /* STAGE_AGE_US, or linger if shorter */
	int32_t pcnt;             /* the topic's partition count, as librdkafka last saw it */
	partitioner_fn part;      /* the configured partitioner */
	partitioner_fn group;     /* the same, but murmur2 for random: which stage */
	int placed;               /* part is not random: stages give librdkafka the partition */
	int ask;                  /* the next run lets librdkafka place it (and so tell pcnt) */
	uint64_t ask_at;          /* poller: when to set ask next */
	rd_kafka_queue_t *mainq;  /* the producer's main queue: yielded to wake the poller */
	rd_kafka_t *frk;          /* flows: a producer of its own, polled by the flow path */
	rd_kafka_topic_t *ftopic;
	uint64_t flows, flows_dropped, flows_failed;
};

static void flow_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *s = opaque;

	if (m->err)
		__atomic_add_fetch(&s->flows_failed, 1, __ATOMIC_RELAXED);
}

/* Tags in a message's opaque: odd = produced from a stage, (waited << 1) | 1, where waited
 * is how long the run's first alert waited in the stage, in µs (the alert's latency, emit
 * to report, is that bound plus librdkafka's own: rd_kafka_message_latency; no clock read
 * of ours per alert); even = a retry batch's (generation << 32 | index) << 1. */

/* Payload in the delivery queue: key length (2 bytes), key, JSON. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *s = opaque;
	uint64_t tag = (uint64_t)(uintptr_t)m->_private;

	if (tag & 1) {
		size_t kl = m->key_len < 1024 ? m->key_len : 1024;

		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			int64_t lat = rd_kafka_message_latency(m);

			__atomic_store_n(&s->brokers_down, 0, __ATOMIC_RELAXED);
			s->ok_lat[ew_dq_lat_bucket((lat > 0 ? (uint64_t)lat : 0) + (tag >> 1))]++;
			s->ok_n++;   /* counted by the poller after this poll */
			return;
		}
		if (2 + kl + m->len > sizeof(s->drbuf)) {
			ew_error("kafka: an alert of %zu bytes failed and is too large to spool",
				 m->len);
			return;
		}
		s->drbuf[0] = (char)(kl >> 8);
		s->drbuf[1] = (char)kl;
		memcpy(s->drbuf + 2, m->key, kl);
		memcpy(s->drbuf + 2 + kl, m->payload, m->len);
		ew_dq_push(s->q, s->drbuf, (uint32_t)(2 + kl + m->len), 1);   /* retried, spooled */
		return;
	}
	tag >>= 1;
	pthread_mutex_lock(&s->dr_mu);
	if (s->cur && (uint32_t)(tag >> 32) == s->gen && (uint32_t)tag < s->ncur &&
	    s->cur[(uint32_t)tag] == 0xff) {
		s->cur[(uint32_t)tag] = m->err ? EW_DQ_FAILED : EW_DQ_SENT;
		s->pending--;
		if (!m->err)
			__atomic_store_n(&s->brokers_down, 0, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->dr_mu);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink *s = opaque;
	char why[512];

	if (err != RD_KAFKA_RESP_ERR__FATAL) {
		if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
			__atomic_store_n(&s->brokers_down, 1, __ATOMIC_RELAXED);
		ew_warn("kafka: %s", reason);
		return;
	}
	rd_kafka_fatal_error(rk, why, sizeof(why));
	ew_error("kafka: the producer met a fatal error (%s); it will be replaced and what it "
		 "held produced again", why);
	__atomic_store_n(&s->fatal, 1, __ATOMIC_RELAXED);
}

static void replace_producer(struct kafka_sink *s);

/* librdkafka's partitioner calls come through here: the configured partitioner decides,
 * and the partition count is noted for grouping alerts in stages. */
static int32_t partition_cb(const rd_kafka_topic_t *rkt, const void *key, size_t kl,
			    int32_t cnt, void *rkt_opaque, void *msg_opaque)
{
	struct kafka_sink *s = rkt_opaque;

	if (__atomic_load_n(&s->pcnt, __ATOMIC_RELAXED) != cnt)
		__atomic_store_n(&s->pcnt, cnt, __ATOMIC_RELAXED);
	return s->part(rkt, key, kl, cnt, rkt_opaque, msg_opaque);
}

/* Hand a stage's alerts to librdkafka in one call; one it refuses (its queue is full)
 * goes to the delivery queue. With sg->mu held, and rk_lock read-held or from the poller
 * (the only thread that replaces the producer). */
static void stage_flush(struct kafka_sink *k, struct stage *sg)
{
	uint64_t waited = ew_time_mono_us() - sg->first_us;
	void *tag = (void *)(uintptr_t)(waited << 1 | 1);
	int n = (int)sg->n;

	if (n == 0)
		return;
	for (int i = 0; i < n; i++) {
		sg->m[i]._private = tag;
		sg->m[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
	}
	/* Placed by us (the partitioner's answer, worked out at emit): librdkafka enqueues
	 * without a clock read or partition lookup per message. Once a second librdkafka
	 * places a run itself, through partition_cb, which keeps pcnt up to date. */
	if (rd_kafka_produce_batch(k->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY |
				   (k->placed && !__atomic_exchange_n(&k->ask, 0, __ATOMIC_RELAXED) ?
				    RD_KAFKA_MSG_F_PARTITION : 0), sg->m, n) < n) {
		for (int i = 0; i < n; i++) {
			if (sg->m[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
				continue;
			ew_dq_push(k->q, (const char *)sg->m[i].key - 2,
				   (uint32_t)(2 + sg->m[i].key_len + sg->m[i].len), 1);
			__atomic_add_fetch(&counts.refused, 1, __ATOMIC_RELAXED);
		}
	}
	__atomic_add_fetch(&counts.runs, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&counts.staged, (uint64_t)n, __ATOMIC_RELAXED);
	__atomic_store_n(&sg->n, 0, __ATOMIC_RELAXED);
	sg->used = 0;
	__atomic_sub_fetch(&k->staged, 1, __ATOMIC_RELAXED);
}

/* Flush the stages whose first alert has waited min_age_us or more (0: every stage).
 * Returns how many ms until the next one is due (100 if none waits). */
static int stages_flush(struct kafka_sink *k, uint64_t min_age_us)
{
	uint64_t now = ew_time_mono_us(), next = 100000;

	if (k->stg == NULL || __atomic_load_n(&k->staged, __ATOMIC_RELAXED) == 0)
		return 100;
	pthread_rwlock_rdlock(&k->rk_lock);
	for (int g = 0; g < STAGE_GROUPS; g++) {
		struct stage *sg = &k->stg[g];

		if (__atomic_load_n(&sg->n, __ATOMIC_RELAXED) == 0)
			continue;
		pthread_mutex_lock(&sg->mu);
		if (sg->n > 0) {
			uint64_t age = now > sg->first_us ? now - sg->first_us : 0;

			if (age >= min_age_us)
				stage_flush(k, sg);
			else if (min_age_us - age < next)
				next = min_age_us - age;
		}
		pthread_mutex_unlock(&sg->mu);
	}
	pthread_rwlock_unlock(&k->rk_lock);
	return (int)((next + 999) / 1000);
}

/* The poller: serves reports and errors, and replaces a producer that met a fatal error
 * (only this thread polls, so only this thread may destroy a producer). */
static void *poll_thread(void *arg)
{
	struct kafka_sink *s = arg;

	while (!__atomic_load_n(&s->stop_poll, __ATOMIC_RELAXED)) {
		if (ew_time_mono_us() >= s->ask_at) {
			__atomic_store_n(&s->ask, 1, __ATOMIC_RELAXED);
			s->ask_at = ew_time_mono_us() + 1000000;
		}
		rd_kafka_poll(s->rk, stages_flush(s, s->age_us));
		if (__atomic_load_n(&s->fatal, __ATOMIC_RELAXED))
			replace_producer(s);
		if (__atomic_load_n(&s->brokers_down, __ATOMIC_RELAXED) &&
		    ew_time_mono_us() >= s->down_check_us) {
			/* every broker was down: is one back? (nothing else says so while no
			 * alert is delivered) */
			const struct rd_kafka_metadata *md = NULL;

			s->down_check_us = ew_time_mono_us() + 2000000;
			if (rd_kafka_metadata(s->rk, 0, s->topic, &md, 500) ==
			    RD_KAFKA_RESP_ERR_NO_ERROR)
				__atomic_store_n(&s->brokers_down, 0, __ATOMIC_RELAXED);
			if (md)
				rd_kafka_metadata_destroy(md);
		}
		ew_dq_note_sent_hist(s->q, s->ok_n, s->ok_lat);
		s->ok_n = 0;
	}
	rd_kafka_poll(s->rk, 0);
	ew_dq_note_sent_hist(s->q, s->ok_n, s->ok_lat);
	return NULL;
}

static int start_poller(struct kafka_sink *s)
{
	__atomic_store_n(&s->stop_poll, 0, __ATOMIC_RELAXED);
	s->poller_started = pthread_create(&s->poller, NULL, poll_thread, s) == 0;
	return s->poller_started ? EW_OK : EW_E_IO;
}

static void stop_poller(struct kafka_sink *s)
{
	if (!s->poller_started)
		return;
	__atomic_store_n(&s->stop_poll, 1, __ATOMIC_RELAXED);
	pthread_join(s->poller, NULL);
	s->poller_started = 0;
}

/* Purge what producer rk holds and serve the reports (failed: into the delivery queue)
 * from this thread, for up to 5 s. Returns how many are left. Only for a producer no
 * other thread polls. */
static int purge_and_serve(rd_kafka_t *rk)
{
	rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (int i = 0; i < 500 && rd_kafka_outq_len(rk) > 0; i++)
		rd_kafka_poll(rk, 10);
	return rd_kafka_outq_len(rk);
}

/* Poller: replace a producer that met a fatal error. Emits go on meanwhile (to the
 * delivery queue while the lock is held for the swap). The old producer's messages are
 * purged; their failed reports push them into the delivery queue. */
static void replace_producer(struct kafka_sink *s)
{
	rd_kafka_conf_t *kc = rd_kafka_conf_dup(s->tmpl);
	rd_kafka_t *old = s->rk, *rk;
	rd_kafka_topic_t *oldt = s->topic, *t = NULL;
	rd_kafka_queue_t *oldq = s->mainq;
	char e[512];
	int left;

	rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, e, sizeof(e));
	if (rk == NULL) {
		rd_kafka_conf_destroy(kc);
		ew_error("kafka: cannot build a new producer: %s; retrying", e);
		usleep(1000000);
		return;
	}
	t = rd_kafka_topic_new(rk, s->topic_name, NULL);
	if (t == NULL) {
		rd_kafka_destroy(rk);
		ew_error("kafka: cannot build a new producer: topic %s: %s; retrying",
			 s->topic_name, rd_kafka_err2str(rd_kafka_last_error()));
		usleep(1000000);
		return;
	}
	pthread_rwlock_wrlock(&s->rk_lock);
	s->rk = rk;
	s->topic = t;
	s->mainq = rd_kafka_queue_get_main(rk);
	__atomic_store_n(&s->fatal, 0, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&s->rk_lock);
	left = purge_and_serve(old);
	if (left > 0)
		ew_error("kafka: %d alerts were still in the failed producer after 5 s; they may be "
			 "lost", left);
	ew_dq_note_sent_hist(s->q, s->ok_n, s->ok_lat);
	s->ok_n = 0;
	rd_kafka_queue_destroy(oldq);
	rd_kafka_topic_destroy(oldt);
	rd_kafka_destroy(old);
	s->restarts++;
	ew_info("kafka: producer replaced (%llu so far)", (unsigned long long)s->restarts);
}

/* The delivery queue's send: produce a batch of retried alerts and wait for their
 * reports (served by the poller). */
static void send_batch(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
		       char *why, size_t whylen)
{
	struct kafka_sink *s = st;
	uint64_t deadline = ew_time_mono_us() + (s->timeout_ms + 5000) * 1000;
	uint32_t i, failed = 0;

	pthread_mutex_lock(&s->dr_mu);
	s->gen++;
	s->cur = status;
	s->ncur = n;
	s->pending = 0;
	for (i = 0; i < n; i++)
		status[i] = 0xff;    /* pending: no report writes this value */
	pthread_mutex_unlock(&s->dr_mu);
	for (i = 0; i < n; i++) {
		uint32_t kl = (uint32_t)m[i].p[0] << 8 | m[i].p[1];
		rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;

		if (kl + 2 > m[i].len) {
			pthread_mutex_lock(&s->dr_mu);
			status[i] = EW_DQ_SENT;   /* cannot happen: we wrote it; do not loop on it */
			pthread_mutex_unlock(&s->dr_mu);
			continue;
		}
		pthread_mutex_lock(&s->dr_mu);
		s->pending++;
		pthread_mutex_unlock(&s->dr_mu);
		for (;;) {
			int r;

			pthread_rwlock_rdlock(&s->rk_lock);
			r = rd_kafka_produce(s->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
					     (void *)(m[i].p + 2 + kl), m[i].len - 2 - kl,
					     m[i].p + 2, kl,
					     (void *)(uintptr_t)(((uint64_t)s->gen << 32 | i) << 1));
			e = r == 0 ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_last_error();
			pthread_rwlock_unlock(&s->rk_lock);
			if (r == 0)
				break;
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || ew_time_mono_us() > deadline ||
			    ew_dq_stopping(s->q))
				break;
			usleep(1000);
		}
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			pthread_mutex_lock(&s->dr_mu);
			if (status[i] == 0xff) {
				status[i] = EW_DQ_FAILED;
				s->pending--;
			}
			pthread_mutex_unlock(&s->dr_mu);
			snprintf(why, whylen, "%s", rd_kafka_err2str(e));
		}
	}
	for (;;) {
		uint32_t pending;

		pthread_mutex_lock(&s->dr_mu);
		pending = s->pending;
		pthread_mutex_unlock(&s->dr_mu);
		if (pending == 0 || ew_time_mono_us() > deadline || ew_dq_stopping(s->q) ||
		    __atomic_load_n(&s->fatal, __ATOMIC_RELAXED))
			break;
		usleep(1000);
	}
	pthread_mutex_lock(&s->dr_mu);
	for (i = 0; i < n; i++) {
		if (status[i] == 0xff)
			status[i] = EW_DQ_FAILED;   /* no report in time */
		failed += status[i] == EW_DQ_FAILED;
	}
	s->cur = NULL;   /* late reports of this batch are ignored */
	pthread_mutex_unlock(&s->dr_mu);
	if (failed && !why[0])
		snprintf(why, whylen, "delivery failed or not reported within %llu ms",
			 (unsigned long long)s->timeout_ms + 5000);
}

static int set(rd_kafka_conf_t *kc, const char *k, const char *v, struct ew_conf_node at,
	       struct ew_err *err)
{
	char e[256];

	if (rd_kafka_conf_set(kc, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK)
		return ew_conf_errf(err, at, "kafka option %s: %s", k, e);
	return EW_OK;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= 3)
		ew_warn("kafka: %s: %s", fac, buf);
	else
		ew_debug("kafka: %s: %s", fac, buf);
}

/* librdkafka allocates each message (with its copy of the alert) on the emitting thread
 * and frees it on its own after the delivery report. With glibc's defaults the heap is
 * trimmed back to the kernel and grown again all the time: at 500k alerts/s a third of
 * the sink's CPU went to page faults. Keep up to 128 MB of freed heap and grow it 32 MB
 * at a time, for the whole process, once, when a producer is first made. */
static void keep_heap(void)
{
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	mallopt(M_TOP_PAD, 32 << 20);
}

/* The partitioner librdkafka would use by this topic configuration's "partitioner". */
static partitioner_fn partitioner_named(const rd_kafka_topic_conf_t *tc)
{
	static const struct {
		const char *name;
		partitioner_fn fn;
	} map[] = {
		{ "random", rd_kafka_msg_partitioner_random },
		{ "consistent", rd_kafka_msg_partitioner_consistent },
		{ "consistent_random", rd_kafka_msg_partitioner_consistent_random },
		{ "murmur2", rd_kafka_msg_partitioner_murmur2 },
		{ "murmur2_random", rd_kafka_msg_partitioner_murmur2_random },
		{ "fnv1a", rd_kafka_msg_partitioner_fnv1a },
		{ "fnv1a_random", rd_kafka_msg_partitioner_fnv1a_random },
	};
	char name[64];
	size_t len = sizeof(name);

	if (rd_kafka_topic_conf_get(tc, "partitioner", name, &len) != RD_KAFKA_CONF_OK)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].fn;
	return NULL;
}

static int stages_new(struct kafka_sink *k)
{
	/* 1.2 MB of address space; a stage's pages are touched only once it is used */
	k->stg = calloc(STAGE_GROUPS, sizeof(*k->stg));
	if (k->stg == NULL)
		return EW_E_NOMEM;
	for (int g = 0; g < STAGE_GROUPS; g++)
		pthread_mutex_init(&k->stg[g].mu, NULL);
	return EW_OK;
}

static void stages_free(struct kafka_sink *k)
{
	if (k->stg == NULL)
		return;
	for (int g = 0; g < STAGE_GROUPS; g++)
		pthread_mutex_destroy(&k->stg[g].mu);
	free(k->stg);
	k->stg = NULL;
}

static int kafka_open(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
		      struct ew_err *err)
{
	static const char *const keys[] = { EW_SINK_COMMON_KEYS, EW_DQ_CONF_KEYS, "brokers",
		"topic", "flows_topic", "compression", "linger", "delivery_timeout", "options",
		"sasl_password_file", NULL };
	struct ew_conf_node b = ew_conf_get(*c, "brokers"), n;
	const char *brokers, *topic = "eastwatch.alerts", *comp = "lz4", *s, *ftopic = NULL;
	rd_kafka_conf_t *fkc = NULL;
	uint64_t linger_us = 5000, timeout_us = 30000000, age_us;
	partitioner_fn part;
	rd_kafka_topic_conf_t *tc;
	struct ew_dq_conf dc;
	struct kafka_sink *k;
	rd_kafka_conf_t *kc;
	char num[32], e[512];

	if (ew_conf_check_map(*c, "kafka sink", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (!ew_conf_present(b))
		return ew_conf_errf(err, *c, "kafka sink needs brokers (\"host:9092,host2:9092\")");
	if (ew_conf_string(b, &brokers, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "topic")) && ew_conf_string(n, &topic, err))
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "flows_topic")) &&
	    ew_conf_string(n, &ftopic, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "compression")) && ew_conf_string(n, &comp, err))
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "linger")) &&
	    ew_conf_duration(n, &linger_us, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "delivery_timeout")) &&
	    ew_conf_duration(n, &timeout_us, err) != EW_OK)
		return EW_E_INVAL;
	if (timeout_us < 1000000)
		return ew_conf_errf(err, n, "delivery_timeout must be at least 1s");
	if (ew_dq_conf_read(&dc, *c, env->spool_dir, env->spool_forced, err) != EW_OK)
		return EW_E_INVAL;
	dc.batch_max = 10000;
	kc = rd_kafka_conf_new();
	if (set(kc, "bootstrap.servers", brokers, b, err) ||
	    set(kc, "enable.idempotence", "true", *c, err) ||
	    set(kc, "acks", "all", *c, err) ||
	    set(kc, "compression.codec", comp, *c, err) ||
	    /* the Java client's hash of the key (Kafka Streams, Connect, ksqlDB put one
	     * source's records where we do); librdkafka's default, CRC-32, costs ~450
	     * instructions per 11-byte key in zlib, murmur2 a few dozen */
	    set(kc, "partitioner", "murmur2_random", *c, err))
		goto bad;
	/* linger is the whole batching wait: up to age_us in a stage, the rest in librdkafka */
	age_us = linger_us < STAGE_AGE_US ? linger_us : STAGE_AGE_US;
	snprintf(num, sizeof(num), "%.3f", (double)(linger_us - age_us) / 1000.0);
	if (set(kc, "linger.ms", num, *c, err))
		goto bad;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)(timeout_us / 1000));
	if (set(kc, "message.timeout.ms", num, *c, err))
		goto bad;
	n = ew_conf_get(*c, "options");
	if (ew_conf_present(n)) {
		if (ew_conf_type(n) != EW_CONF_MAP) {
			ew_conf_errf(err, n, "options must be a mapping of librdkafka properties");
			goto bad;
		}
		for (size_t i = 0; i < ew_conf_len(n); i++) {
			const char *key = ew_conf_str(ew_conf_key(n, i));

			if (strstr(key, "password") || strstr(key, "secret")) {
				ew_conf_errf(err, ew_conf_key(n, i), "%s: put secrets in "
					     "sasl_password_file, not in the configuration", key);
				goto bad;
			}
			if (ew_conf_string(ew_conf_val(n, i), &s, err) != EW_OK ||
			    set(kc, key, s, ew_conf_val(n, i), err))
				goto bad;
		}
	}
	if (ew_conf_present(n = ew_conf_get(*c, "sasl_password_file"))) {
		char pw[1024];

		if (ew_secret_read(n, pw, sizeof(pw), err) != EW_OK)
			goto bad;
		if (rd_kafka_conf_set(kc, "sasl.password", pw, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
			memset(pw, 0, sizeof(pw));
			ew_conf_errf(err, n, "kafka rejected sasl.password");
			goto bad;
		}
		memset(pw, 0, sizeof(pw));
	}
	if (ftopic) {
		fkc = rd_kafka_conf_dup(kc);
		/* flows: volume over latency, and no idempotence bookkeeping per message */
		if (set(fkc, "enable.idempotence", "false", *c, err) ||
		    set(fkc, "acks", "1", *c, err) || set(fkc, "linger.ms", "50", *c, err) ||
		    set(fkc, "queue.buffering.max.messages", "1000000", *c, err)) {
			rd_kafka_conf_destroy(fkc);
			goto bad;
		}
		rd_kafka_conf_set_dr_msg_cb(fkc, flow_dr_cb);
	}
	rd_kafka_conf_set_dr_msg_cb(kc, dr_cb);
	rd_kafka_conf_set_log_cb(kc, log_cb);
	rd_kafka_conf_set_error_cb(kc, error_cb);
	/* the default topic configuration exists: message.timeout.ms, set above, is one */
	tc = rd_kafka_conf_get_default_topic_conf(kc);
	part = tc ? partitioner_named(tc) : NULL;
	if (part == NULL) {
		ew_conf_errf(err, *c, "kafka sink: cannot read back the partitioner");
		goto bad;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL || (!env->validate_only && stages_new(k) != EW_OK)) {
		free(k);
		ew_err_set(err, "kafka sink: out of memory");
		goto bad;
	}
	k->part = part;
	k->placed = part != rd_kafka_msg_partitioner_random;
	k->group = k->placed ? part : rd_kafka_msg_partitioner_murmur2_random;
	k->age_us = age_us;
	rd_kafka_topic_conf_set_partitioner_cb(tc, partition_cb);
	rd_kafka_topic_conf_set_opaque(tc, k);
	k->timeout_ms = timeout_us / 1000;
	snprintf(k->topic_name, sizeof(k->topic_name), "%s", topic);
	pthread_mutex_init(&k->dr_mu, NULL);
	pthread_rwlock_init(&k->rk_lock, NULL);
	rd_kafka_conf_set_opaque(kc, k);
	k->tmpl = rd_kafka_conf_dup(kc);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, e, sizeof(e));
	if (k->rk == NULL) {
		rd_kafka_conf_destroy(k->tmpl);
		stages_free(k);
		free(k);
		ew_conf_errf(err, *c, "kafka sink: %s", e);
		goto bad;
	}
	k->mainq = rd_kafka_queue_get_main(k->rk);
	if (fkc && !env->validate_only) {
		rd_kafka_conf_set_opaque(fkc, k);
		k->frk = rd_kafka_new(RD_KAFKA_PRODUCER, fkc, e, sizeof(e));
		if (k->frk == NULL) {
			rd_kafka_conf_destroy(fkc);
		} else {
			k->ftopic = rd_kafka_topic_new(k->frk, ftopic, NULL);
		}
		fkc = NULL;
	}
	if (fkc)
		rd_kafka_conf_destroy(fkc);
	k->topic = rd_kafka_topic_new(k->rk, topic, NULL);
	k->durable = dc.spool_dir != NULL;
	if (k->topic == NULL ||
	    (!env->validate_only &&
	     ew_dq_new(&k->q, env->name, &dc, send_batch, k, err) != EW_OK)) {
		if (k->topic)
			rd_kafka_topic_destroy(k->topic);
		else
			ew_err_set(err, "kafka sink: topic %s: %s", topic,
				   rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_queue_destroy(k->mainq);
		rd_kafka_destroy(k->rk);
		rd_kafka_conf_destroy(k->tmpl);
		stages_free(k);
		free(k);
		return EW_E_IO;
	}
	if (!env->validate_only) {
		static pthread_once_t once = PTHREAD_ONCE_INIT;

		pthread_once(&once, keep_heap);
	}
	if (!env->validate_only && start_poller(k) != EW_OK) {
		ew_dq_free(k->q);
		rd_kafka_queue_destroy(k->mainq);
		rd_kafka_topic_destroy(k->topic);
		rd_kafka_destroy(k->rk);
		rd_kafka_conf_destroy(k->tmpl);
		stages_free(k);
		free(k);
		return ew_err_set(err, "kafka sink: cannot start its thread");
	}
	*st = k;
	return EW_OK;
bad:
	rd_kafka_conf_destroy(kc);
	return EW_E_INVAL;
}

/* One alert straight to librdkafka, into partition part (RD_KAFKA_PARTITION_UA: placed by
 * librdkafka). rec: the delivery queue's record (key length, key, JSON at json). */
static int produce_one(struct kafka_sink *k, const char *rec, size_t kl, const char *json,
		       size_t len, int32_t part)
{
	__atomic_add_fetch(&counts.direct, 1, __ATOMIC_RELAXED);
	if (rd_kafka_produce(k->topic, part, RD_KAFKA_MSG_F_COPY, (void *)json, len, rec + 2, kl,
			     (void *)(uintptr_t)1) == 0)
		return EW_OK;
	__atomic_add_fetch(&counts.refused, 1, __ATOMIC_RELAXED);
	return ew_dq_push(k->q, rec, (uint32_t)(2 + kl + len), 1);
}

/* Into the stage of the alert's partition (see the top), or straight to librdkafka when
 * the stage's alerts come further apart than age_us (staging would only add the wait).
 * With rk_lock read-held, and the partition count known. */
static int stage_put(struct kafka_sink *k, const struct ew_alert *a, const char *key, size_t kl,
		     int32_t cnt)
{
	int32_t part = k->group(k->topic, key, kl, cnt, k, NULL);
	struct stage *sg = &k->stg[(uint32_t)part % STAGE_GROUPS];
	struct ew_buf b;
	uint64_t now = 0;
	int direct = 0;
	char *rec;

	pthread_mutex_lock(&sg->mu);
	if (sg->n == 0) {
		now = ew_time_mono_us();
		direct = now - sg->last_us > k->age_us;
		sg->last_us = now;
	}
	for (;;) {
		size_t room = STAGE_BYTES - sg->used;

		rec = sg->arena + sg->used;
		if (room > ALERT_MAX)
			room = ALERT_MAX;
		if (room > 2 + kl) {
			ew_buf_init(&b, rec + 2 + kl, room - 2 - kl);
			if (ew_fmt_json(a, &b) == 0)
				break;
		}
		if (sg->n == 0) {   /* alone in the stage and still too large */
			pthread_mutex_unlock(&sg->mu);
			return EW_E_FULL;
		}
		stage_flush(k, sg);
	}
	if (b.len && b.p[b.len - 1] == '\n')
		b.len--;   /* a Kafka message is the JSON object, no line break */
	rec[0] = (char)(kl >> 8);
	rec[1] = (char)kl;
	memcpy(rec + 2, key, kl);
	if (direct) {   /* sg->n is 0: the arena is free to format in */
		int rc = produce_one(k, rec, kl, b.p, b.len, k->placed &&
				     !__atomic_exchange_n(&k->ask, 0, __ATOMIC_RELAXED) ?
				     part : RD_KAFKA_PARTITION_UA);

		pthread_mutex_unlock(&sg->mu);
		return rc;
	}
	sg->m[sg->n] = (rd_kafka_message_t){ .partition = part, .payload = b.p, .len = b.len,
					     .key = rec + 2, .key_len = kl };
	sg->used += (uint32_t)(2 + kl + b.len);
	if (sg->n == 0) {
		sg->first_us = now ? now : ew_time_mono_us();   /* 0: the stage was just flushed */
		/* the first staged alert of the sink: wake the poller, to flush it in time */
		if (__atomic_fetch_add(&k->staged, 1, __ATOMIC_RELAXED) == 0)
			rd_kafka_queue_yield(k->mainq);
	}
	__atomic_store_n(&sg->n, sg->n + 1, __ATOMIC_RELAXED);
	if (sg->n == STAGE_RUN)
		stage_flush(k, sg);
	pthread_mutex_unlock(&sg->mu);
	return EW_OK;
}

static int kafka_emit(void *st, const struct ew_alert *a)
{
	struct kafka_sink *k = st;
	char line[ALERT_MAX];     /* on the stack: several threads may emit at once (sink.h) */
	int32_t cnt = __atomic_load_n(&k->pcnt, __ATOMIC_RELAXED);
	int locked = k->q != NULL && pthread_rwlock_tryrdlock(&k->rk_lock) == 0, rc;
	size_t kl;
	struct ew_buf b;

	if (locked && cnt > 0 && !k->durable) {
		kl = ew_addr_format_n(&a->src, line);
		rc = stage_put(k, a, line, kl, cnt);
		pthread_rwlock_unlock(&k->rk_lock);
		return rc;
	}
	kl = ew_addr_format_n(&a->src, line + 2);
	line[0] = (char)(kl >> 8);
	line[1] = (char)kl;
	ew_buf_init(&b, line + 2 + kl, sizeof(line) - 2 - kl);
	if (ew_fmt_json(a, &b) != 0) {
		rc = EW_E_FULL;
	} else {
		if (b.len && b.p[b.len - 1] == '\n')
			b.len--;   /* a Kafka message is the JSON object, no line break */
		if (k->q == NULL)
			rc = EW_OK;    /* validating only */
		else if (!locked || k->durable)  /* the producer is being replaced, or write-ahead:
						  * the delivery queue takes it */
			rc = ew_dq_push(k->q, line, (uint32_t)(2 + kl + b.len), 1);
		else               /* the partition count is not known yet: straight to librdkafka */
			rc = produce_one(k, line, kl, b.p, b.len, RD_KAFKA_PARTITION_UA);
	}
	if (locked)
		pthread_rwlock_unlock(&k->rk_lock);
	return rc;
}

/* Messages in the producer and reports not yet served, and stages not yet handed over. */
static int outq(struct kafka_sink *k)
{
	int n;

	pthread_rwlock_rdlock(&k->rk_lock);
	n = rd_kafka_outq_len(k->rk);
	pthread_rwlock_unlock(&k->rk_lock);
	return n + (int)__atomic_load_n(&k->staged, __ATOMIC_RELAXED);
}

/* Shutdown: wait for what librdkafka holds; purge what it still has at the deadline (its
 * reports put it in the delivery queue), then drain the delivery queue. */
static int kafka_flush(void *st, int timeout_ms)
{
	struct kafka_sink *k = st;
	uint64_t deadline = ew_time_mono_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;

	stages_flush(k, 0);
	if (timeout_ms <= 0 || k->q == NULL)
		return EW_OK;
	while (outq(k) > 0 && ew_time_mono_us() < deadline)
		usleep(2000);
	if (outq(k) > 0) {
		pthread_rwlock_rdlock(&k->rk_lock);
		rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		pthread_rwlock_unlock(&k->rk_lock);
		for (int i = 0; i < 500 && outq(k) > 0; i++)
			usleep(2000);
	}
	return ew_dq_drain(k->q, (int)(deadline > ew_time_mono_us() ?
				       (deadline - ew_time_mono_us()) / 1000 : 1));
}

/* The delivery queue's counters; up also needs a reachable broker (librdkafka retries on
 * its own for delivery_timeout, so no attempt fails for that long while all are down). */
static void kafka_stats(void *st, struct ew_dq_stats *out)
{
	struct kafka_sink *k = st;

	ew_dq_sink_stats(st, out);
	if (k->q && __atomic_load_n(&k->brokers_down, __ATOMIC_RELAXED))
		out->up = 0;
}

static int kafka_settled(void *st)
{
	struct kafka_sink *k = st;

	return k->q == NULL || (outq(k) == 0 && ew_dq_settled(k->q));
}

static int kafka_wants_flows(void *st)
{
	return ((struct kafka_sink *)st)->ftopic != NULL;
}

/* From the flow path: never blocks; a full queue drops (counted). */
static void kafka_flow(void *st, const char *json, size_t len, const char *key)
{
	struct kafka_sink *k = st;

	if (k->ftopic == NULL)
		return;
	if (rd_kafka_produce(k->ftopic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)json,
			     len, key, strlen(key), NULL) != 0)
		k->flows_dropped++;
	if ((++k->flows & 1023) == 0)
		rd_kafka_poll(k->frk, 0);
}

static void kafka_close(void *st)
{
	struct kafka_sink *k = st;

	if (k == NULL)
		return;
	if (k->q)
		kafka_flush(k, 2000);
	stages_flush(k, 0);   /* an emit that came during the flush */
	/* The reports of whatever librdkafka still holds are served here, into the delivery
	 * queue, before that queue spools and goes: none may come after it. */
	stop_poller(k);
	if (k->q) {
		purge_and_serve(k->rk);
		ew_dq_note_sent_hist(k->q, k->ok_n, k->ok_lat);
		k->ok_n = 0;
	}
	ew_dq_free(k->q);   /* spools what it holds */
	k->q = NULL;
	if (k->frk) {
		rd_kafka_flush(k->frk, 10000);
		if (k->flows_dropped || k->flows_failed || rd_kafka_outq_len(k->frk))
			ew_warn("kafka flows: %llu sent, %llu dropped (queue full), %llu failed, %d "
				"undelivered at exit", (unsigned long long)k->flows,
				(unsigned long long)k->flows_dropped,
				(unsigned long long)k->flows_failed, rd_kafka_outq_len(k->frk));
		rd_kafka_topic_destroy(k->ftopic);
		rd_kafka_destroy(k->frk);
	}
	if (k->mainq)
		rd_kafka_queue_destroy(k->mainq);
	rd_kafka_topic_destroy(k->topic);
	rd_kafka_destroy(k->rk);
	rd_kafka_conf_destroy(k->tmpl);
	stages_free(k);
	pthread_rwlock_destroy(&k->rk_lock);
	pthread_mutex_destroy(&k->dr_mu);
	free(k);
}

const struct ew_sink_ops ew_sink_kafka_ops = {
	.name = "kafka", .open = kafka_open, .emit = kafka_emit, .flush = kafka_flush,
	.close = kafka_close, .stats = kafka_stats, .settled = kafka_settled,
	.wants_flows = kafka_wants_flows, .flow = kafka_flow,
};
