/* SPDX-License-Identifier: Apache-2.0 */
/* deliver - see deliver.h. */
#include "alerting/deliver.h"
#include "alerting/spool.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYNC_EVERY_US 500000

struct item {
	uint32_t len;
	uint8_t urgent;
	uint64_t at_us;      /* when pushed (monotonic) */
	uint8_t p[];
};

struct ew_dq {
	char name[64];
	struct ew_dq_conf c;
	ew_dq_send_fn send;
	void *st;
	struct ew_spool *spool;

	pthread_mutex_t mu;
	pthread_cond_t wake, idle, wake_sync;
	pthread_t thr, syncer;
	int started, syncer_started, stop, in_flight;

	struct item **ring;   /* queue_max slots */
	uint32_t head, count, urgent;

	uint64_t next_try_us, backoff_ms, last_sync_us;
	/* With a spool, every payload is written to it when pushed (write-ahead) and sent
	 * from it: wal_first_us is when the oldest unsent payload of this process was
	 * pushed (0: before it started, send at once), wal_urgent whether one is urgent. */
	uint64_t wal_first_us;
	int wal_urgent;
	/* push times of spooled payloads in order, for the latency histogram; the first
	 * untimed records (from before the start) have none; lat_off: the ring overflowed,
	 * timing resumes when the spool is empty */
	uint64_t *lat_at;
	uint32_t lat_head, lat_n;
	uint64_t untimed;
	int lat_off;
	struct ew_dq_stats s;
	uint64_t logged_drops, drops_logged_us;
	uint64_t lat[EW_DQ_LAT_BUCKETS];
};

unsigned ew_dq_lat_bucket(uint64_t us)
{
	unsigned o, sub;

	if (us < 8)
		return (unsigned)us;
	o = 63u - (unsigned)__builtin_clzll(us);          /* octave: 2^o <= us */
	sub = (unsigned)(us >> (o - 3)) & 7;               /* next three bits */
	o = (o - 2) * 8 + sub;
	return o < EW_DQ_LAT_BUCKETS ? o : EW_DQ_LAT_BUCKETS - 1;
}

static uint64_t lat_value(unsigned b)
{
	unsigned o, sub;

	if (b < 8)
		return b;
	o = b / 8 + 2;
	sub = b % 8;
	return ((uint64_t)(8 + sub) << (o - 3)) + ((uint64_t)1 << (o - 3)) / 2;   /* middle */
}

void ew_dq_note_sent_hist(struct ew_dq *q, uint64_t n, uint64_t *hist)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&q->mu);
	q->s.sent += n;
	for (unsigned i = 0; i < EW_DQ_LAT_BUCKETS; i++) {
		q->lat[i] += hist[i];
		hist[i] = 0;
	}
	if (!q->s.up) {
		q->s.up = 1;
		q->backoff_ms = 0;
	}
	pthread_mutex_unlock(&q->mu);
}

void ew_dq_latency(struct ew_dq *q, uint64_t *hist)
{
	pthread_mutex_lock(&q->mu);
	memcpy(hist, q->lat, sizeof(q->lat));
	pthread_mutex_unlock(&q->mu);
}

uint64_t ew_dq_latency_pct(const uint64_t *hist, double p)
{
	uint64_t n = 0, acc = 0;

	for (unsigned i = 0; i < EW_DQ_LAT_BUCKETS; i++)
		n += hist[i];
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < EW_DQ_LAT_BUCKETS; i++) {
		acc += hist[i];
		if ((double)acc >= p / 100.0 * (double)n)
			return lat_value(i);
	}
	return lat_value(EW_DQ_LAT_BUCKETS - 1);
}

int ew_dq_conf_read(struct ew_dq_conf *dc, struct ew_conf_node c, const char *default_dir,
		    int dir_forced, struct ew_err *err)
{
	struct ew_conf_node n;
	uint64_t v;

	memset(dc, 0, sizeof(*dc));
	dc->queue_max = 10000;
	dc->batch_max = 500;
	dc->spool_dir = default_dir;
	dc->spool_max_bytes = 256ull << 20;
	dc->backoff_min_ms = 200;
	dc->backoff_max_ms = 30000;
	if (ew_conf_present(n = ew_conf_get(c, "queue"))) {
		if (ew_conf_uint(n, 10000000, &v, err) != EW_OK)
			return EW_E_INVAL;
		if (v == 0)
			return ew_conf_errf(err, n, "queue must hold at least one alert");
		dc->queue_max = (uint32_t)v;
	}
	if (ew_conf_present(n = ew_conf_get(c, "spool"))) {
		const char *s;

		if (ew_conf_string(n, &s, err) != EW_OK)
			return EW_E_INVAL;
		if (strcmp(s, "off") != 0 && strcmp(s, "false") != 0 && s[0] != '/')
			return ew_conf_errf(err, n, "spool must be an absolute directory or \"off\"");
		if (!dir_forced)   /* replay spools where it is told, never where a daemon does */
			dc->spool_dir = s[0] == '/' ? s : NULL;
	}
	if (ew_conf_present(n = ew_conf_get(c, "spool_max_mb"))) {
		if (ew_conf_uint(n, 1 << 20, &v, err) != EW_OK)
			return EW_E_INVAL;
		if (v == 0)
			return ew_conf_errf(err, n, "spool_max_mb must be at least 1");
		dc->spool_max_bytes = v << 20;
	}
	/* a floor: retry_min 0s retried a down receiver in a loop that burnt a core */
	if (ew_conf_present(n = ew_conf_get(c, "retry_min"))) {
		if (ew_conf_duration(n, &v, err) != EW_OK)
			return EW_E_INVAL;
		if (v < EW_DQ_RETRY_FLOOR_MS * 1000ull)
			return ew_conf_errf(err, n, "retry_min must be at least %dms",
					    EW_DQ_RETRY_FLOOR_MS);
		dc->backoff_min_ms = (uint32_t)(v / 1000 < 86400000 ? v / 1000 : 86400000);
	}
	if (ew_conf_present(n = ew_conf_get(c, "retry_max"))) {
		if (ew_conf_duration(n, &v, err) != EW_OK)
			return EW_E_INVAL;
		if (v < EW_DQ_RETRY_FLOOR_MS * 1000ull)
			return ew_conf_errf(err, n, "retry_max must be at least %dms",
					    EW_DQ_RETRY_FLOOR_MS);
		dc->backoff_max_ms = (uint32_t)(v / 1000 < 86400000 ? v / 1000 : 86400000);
	}
	if (dc->backoff_max_ms < dc->backoff_min_ms)
		dc->backoff_max_ms = dc->backoff_min_ms;
	return EW_OK;
}

static void abs_deadline(struct timespec *ts, uint64_t mono_us)
{
	ts->tv_sec = (time_t)(mono_us / 1000000);
	ts->tv_nsec = (long)(mono_us % 1000000) * 1000;
}

/* Caller holds mu. Append to the spool or count a drop. at_us: when it was pushed. */
static void spill_at(struct ew_dq *q, const uint8_t *p, uint32_t len, uint64_t at_us)
{
	int rc = q->spool ? ew_spool_append(q->spool, p, len) : EW_E_FULL;

	if (rc == EW_OK) {
		q->s.spooled++;
		if (q->lat_off || q->lat_n == q->c.queue_max) {
			q->lat_off = 1;
		} else {
			q->lat_at[(q->lat_head + q->lat_n) % q->c.queue_max] = at_us;
			q->lat_n++;
		}
		return;
	}
	q->s.dropped++;
}

static void spill(struct ew_dq *q, const uint8_t *p, uint32_t len)
{
	spill_at(q, p, len, ew_time_mono_us());
}

/* Caller holds mu: n spooled records were delivered at now. */
static void delivered(struct ew_dq *q, uint64_t n, uint64_t now)
{
	struct ew_spool_stats ss;

	for (; n && q->untimed; n--)
		q->untimed--;
	for (; n && q->lat_n; n--) {
		uint64_t at = q->lat_at[q->lat_head];

		q->lat[ew_dq_lat_bucket(now > at ? now - at : 0)]++;
		q->lat_head = (q->lat_head + 1) % q->c.queue_max;
		q->lat_n--;
	}
	ew_spool_stats(q->spool, &ss);
	if (ss.records == 0) {      /* all caught up: every later push is timed again */
		q->lat_off = 0;
		q->lat_n = 0;
		q->untimed = 0;
		q->wal_urgent = 0;
		q->wal_first_us = 0;
	}
}

static struct item *pop(struct ew_dq *q)
{
	struct item *it = q->ring[q->head];

	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->c.queue_max;
	q->count--;
	if (it->urgent)
		q->urgent--;
	return it;
}

/* Caller holds mu: move the memory queue behind what is spooled. */
static void spill_queue(struct ew_dq *q)
{
	while (q->count) {
		struct item *it = pop(q);

		spill(q, it->p, it->len);
		free(it);
	}
}

/* Log the drops: the first at once, then at most every 10 s while they go on (an
 * overloaded sink logged a line every few milliseconds), and the total at flush and
 * close (force). */
static void report_drops(struct ew_dq *q, int force)
{
	uint64_t now;

	if (q->s.dropped == q->logged_drops)
		return;
	now = ew_time_mono_us();
	if (!force && q->drops_logged_us && now - q->drops_logged_us < 10 * EW_USEC)
		return;
	ew_error("sink %s: %llu alerts dropped so far: %s", q->name,
		 (unsigned long long)q->s.dropped,
		 q->spool ? "the spool is full" : "the queue is full and spooling is off");
	q->logged_drops = q->s.dropped;
	q->drops_logged_us = now;
}

/* One attempt, from the spool (fromspool) or the memory queue. Called with mu held; it
 * is released around send. */
static void attempt(struct ew_dq *q, int fromspool, uint8_t *buf)
{
	uint32_t n = 0, max = q->c.batch_max;
	struct ew_dq_msg *m = calloc(max, sizeof(*m));
	uint8_t *status = calloc(max, 1);
	struct item **its = calloc(max, sizeof(*its));
	uint64_t *after = calloc(max, sizeof(*after));   /* spool cursor after message i */
	uint64_t cursor = 0, used = 0;
	char why[256] = "";
	uint32_t sent = 0, later = 0;

	if (m == NULL || status == NULL || its == NULL || after == NULL)
		goto out;
	if (fromspool) {
		/* Records are read into one buffer; a batch stops before it would overflow. */
		while (n < max) {
			uint64_t save = cursor;
			int64_t len;

			if (used > (uint64_t)max * 4096)
				break;
			len = ew_spool_read(q->spool, &cursor, buf + used, EW_SPOOL_MAX_RECORD);
			if (len <= 0) {
				cursor = len < 0 ? save : cursor;
				break;
			}
			m[n].p = buf + used;
			m[n].len = (uint32_t)len;
			after[n] = cursor;
			used += (uint64_t)len;
			n++;
		}
		if (n == 0) {
			/* nothing readable is left (corrupt records): count it and start afresh */
			ew_spool_discard(q->spool);
			q->lat_n = 0;
			q->untimed = 0;
			delivered(q, 0, 0);
			goto out;
		}
	} else {
		while (n < max && q->count) {
			its[n] = pop(q);
			m[n].p = its[n]->p;
			m[n].len = its[n]->len;
			n++;
		}
	}
	q->in_flight = 1;
	pthread_mutex_unlock(&q->mu);
	memset(status, 0, n);
	q->send(q->st, m, n, status, why, sizeof(why));
	pthread_mutex_lock(&q->mu);
	q->in_flight = 0;
	for (uint32_t i = 0; i < n; i++) {
		sent += status[i] == EW_DQ_SENT;
		later += status[i] == EW_DQ_LATER;
	}
	q->s.sent += sent;
	q->s.later += later;
	if (fromspool) {
		/* Commit up to the first message not sent; the rest is read again (messages
		 * after a failure that were sent will be sent again: at least once). */
		uint32_t i;

		for (i = 0; i < n && status[i] == EW_DQ_SENT; i++)
			;
		if (i > 0) {
			ew_spool_commit(q->spool, after[i - 1], i);
			delivered(q, i, ew_time_mono_us());
		}
	} else {
		uint64_t now = ew_time_mono_us();

		for (uint32_t i = 0; i < n; i++) {
			if (status[i] == EW_DQ_SENT)
				q->lat[ew_dq_lat_bucket(now - its[i]->at_us)]++;
			else
				spill(q, its[i]->p, its[i]->len);
			free(its[i]);
			its[i] = NULL;
		}
	}
	if (sent + later == n && n) {
		if (!q->s.up && q->s.failed_attempts)
			ew_info("sink %s: delivering again", q->name);
		q->s.up = 1;
		q->backoff_ms = 0;
		if (later)
			q->next_try_us = ew_time_mono_us() + 1000000;
	} else if (n) {
		q->s.failed_attempts++;
		q->backoff_ms = q->backoff_ms ? q->backoff_ms * 2 : q->c.backoff_min_ms;
		if (q->backoff_ms > q->c.backoff_max_ms)
			q->backoff_ms = q->c.backoff_max_ms;
		q->next_try_us = ew_time_mono_us() + q->backoff_ms * 1000;
		if (q->s.up || q->s.failed_attempts == 1)
			ew_warn("sink %s: %u of %u alerts not delivered (%s); %s, retrying in %llu ms",
				q->name, n - sent - later, n, why[0] ? why : "no reason given",
				q->spool ? "spooled" : "kept in memory",
				(unsigned long long)q->backoff_ms);
		q->s.up = 0;
	}
out:
	if (!fromspool)
		for (uint32_t i = 0; i < n; i++)
			free(its[i]);
	free(m);
	free(status);
	free(its);
	free(after);
}

/* The syncer: every 500 ms what was appended is made durable (fdatasync), whatever the
 * delivery thread is doing (a Kafka batch may wait 35 s for its reports), and without
 * holding the lock pushes take (an fdatasync can take tens of milliseconds). */
static void *syncer(void *arg)
{
	struct ew_dq *q = arg;

	pthread_mutex_lock(&q->mu);
	while (!q->stop) {
		struct timespec ts;
		int fd = ew_spool_sync_start(q->spool);

		if (fd >= 0) {
			pthread_mutex_unlock(&q->mu);
			fdatasync(fd);
			close(fd);
			pthread_mutex_lock(&q->mu);
		}
		q->last_sync_us = ew_time_mono_us();
		abs_deadline(&ts, q->last_sync_us + SYNC_EVERY_US);
		pthread_cond_timedwait(&q->wake_sync, &q->mu, &ts);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static void *run(void *arg)
{
	struct ew_dq *q = arg;
	uint8_t *buf = malloc((size_t)q->c.batch_max * 4096 + EW_SPOOL_MAX_RECORD);

	pthread_mutex_lock(&q->mu);
	while (!q->stop && buf) {
		uint64_t now = ew_time_mono_us(), wake_at = 0;
		struct ew_spool_stats ss = { 0 };
		int can_try = now >= q->next_try_us;

		if (q->spool)
			ew_spool_stats(q->spool, &ss);
		report_drops(q, 0);
		if (ss.records && q->count)
			spill_queue(q);   /* keep order: new alerts go behind the spooled ones */
		if (ss.records && can_try) {
			uint64_t due = q->wal_urgent || !q->c.linger_ms || !q->wal_first_us ? 0 :
				       q->wal_first_us + q->c.linger_ms * 1000ull;

			if (now >= due) {
				attempt(q, 1, buf);
				continue;
			}
			wake_at = due;
		}
		if (!ss.records && q->count && can_try) {
			uint64_t oldest = q->ring[q->head]->at_us;

			if (q->urgent || !q->c.linger_ms || now >= oldest + q->c.linger_ms * 1000ull) {
				attempt(q, 0, buf);
				continue;
			}
			wake_at = oldest + q->c.linger_ms * 1000ull;
		}
		if (!can_try && (ss.records || q->count))
			wake_at = q->next_try_us;
		pthread_cond_broadcast(&q->idle);
		{
			struct timespec ts;
			uint64_t until = now + SYNC_EVERY_US;

			if (wake_at && wake_at < until)
				until = wake_at;
			abs_deadline(&ts, until);
			pthread_cond_timedwait(&q->wake, &q->mu, &ts);
		}
	}
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->mu);
	free(buf);
	return NULL;
}

int ew_dq_new(struct ew_dq **out, const char *name, const struct ew_dq_conf *dc,
	      ew_dq_send_fn send, void *st, struct ew_err *err)
{
	struct ew_dq *q = calloc(1, sizeof(*q));
	pthread_condattr_t ca;

	if (q == NULL)
		return ew_err_set(err, "sink %s: out of memory", name);
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->c = *dc;
	if (q->c.queue_max == 0)
		q->c.queue_max = 1;
	if (q->c.batch_max == 0)
		q->c.batch_max = 1;
	q->send = send;
	q->st = st;
	q->s.up = 1;
	q->ring = calloc(q->c.queue_max, sizeof(*q->ring));
	q->lat_at = calloc(q->c.queue_max, sizeof(*q->lat_at));
	if (q->ring == NULL || q->lat_at == NULL) {
		free(q->lat_at);
		free(q->ring);
		ew_err_set(err, "sink %s: out of memory for a queue of %u", name, q->c.queue_max);
		free(q);
		return EW_E_NOMEM;
	}
	if (dc->spool_dir && ew_spool_open(&q->spool, dc->spool_dir, name, dc->spool_max_bytes,
					   err) != EW_OK) {
		free(q->lat_at);
		free(q->ring);
		free(q);
		return EW_E_IO;
	}
	if (q->spool) {
		struct ew_spool_stats ss;

		ew_spool_stats(q->spool, &ss);
		q->untimed = ss.records;
		if (ss.records)
			ew_info("sink %s: %llu alerts waiting in %s from before; delivering them first",
				name, (unsigned long long)ss.records, ew_spool_path(q->spool));
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->wake, &ca);
	pthread_cond_init(&q->idle, &ca);
	pthread_cond_init(&q->wake_sync, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&q->thr, NULL, run, q) != 0) {
		ew_spool_close(q->spool);
		free(q->lat_at);
		free(q->ring);
		free(q);
		return ew_err_set(err, "sink %s: cannot start its delivery thread", name);
	}
	q->started = 1;
	if (q->spool)
		q->syncer_started = pthread_create(&q->syncer, NULL, syncer, q) == 0;
	*out = q;
	return EW_OK;
}

int ew_dq_push(struct ew_dq *q, const void *p, uint32_t len, int urgent)
{
	struct item *it;
	int rc = EW_OK;

	pthread_mutex_lock(&q->mu);
	q->s.pushed++;
	if (q->spool) {
		/* write-ahead: in the spool (the page cache: a SIGKILL loses nothing) before
		 * anything is sent; made durable at the next sync (at most 500 ms) */
		uint64_t d = q->s.dropped, now = ew_time_mono_us();

		spill_at(q, p, len, now);
		if (q->s.dropped == d) {
			if (!q->wal_first_us)
				q->wal_first_us = now;
			q->wal_urgent |= urgent != 0;
			pthread_cond_signal(&q->wake);
		}
		rc = q->s.dropped != d ? EW_E_FULL : EW_OK;
		pthread_mutex_unlock(&q->mu);
		return rc;
	}
	if (q->count == q->c.queue_max || len > EW_SPOOL_MAX_RECORD) {
		uint64_t d = q->s.dropped;

		spill(q, p, len);   /* the receiver is slower than alerts come: spool */
		rc = q->s.dropped != d ? EW_E_FULL : EW_OK;
		pthread_mutex_unlock(&q->mu);
		return rc;
	}
	it = malloc(sizeof(*it) + len);
	if (it == NULL) {
		q->s.dropped++;
		pthread_mutex_unlock(&q->mu);
		return EW_E_NOMEM;
	}
	it->len = len;
	it->urgent = urgent != 0;
	it->at_us = ew_time_mono_us();
	memcpy(it->p, p, len);
	q->ring[(q->head + q->count) % q->c.queue_max] = it;
	q->count++;
	q->urgent += it->urgent;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int ew_dq_stopping(const struct ew_dq *q)
{
	return q != NULL && __atomic_load_n(&q->stop, __ATOMIC_RELAXED);
}

int ew_dq_settled(struct ew_dq *q)
{
	int r;

	pthread_mutex_lock(&q->mu);
	r = q->count == 0 && !q->in_flight;
	pthread_mutex_unlock(&q->mu);
	return r;
}

int ew_dq_drain(struct ew_dq *q, int timeout_ms)
{
	uint64_t deadline = ew_time_mono_us() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000;
	int rc;

	pthread_mutex_lock(&q->mu);
	/* linger no longer: whatever waits for a digest goes now */
	q->urgent = q->count;
	for (uint32_t i = 0; i < q->count; i++)
		q->ring[(q->head + i) % q->c.queue_max]->urgent = 1;
	q->wal_urgent = 1;
	pthread_cond_signal(&q->wake);
	/* write-ahead: what is spooled is safe; wait while the sink takes it, not while it
	 * is down (what is left goes at the next start) */
	while (q->spool && ew_time_mono_us() < deadline) {
		struct ew_spool_stats ss;
		struct timespec ts;

		ew_spool_stats(q->spool, &ss);
		if (!q->in_flight && (ss.records == 0 || ew_time_mono_us() < q->next_try_us))
			break;
		abs_deadline(&ts, deadline);
		pthread_cond_timedwait(&q->idle, &q->mu, &ts);
	}
	while ((q->count || q->in_flight) && ew_time_mono_us() < deadline) {
		struct timespec ts;

		if (q->count && ew_time_mono_us() < q->next_try_us)
			spill_queue(q);   /* the receiver is down: no use waiting */
		if (!q->count && !q->in_flight)
			break;
		abs_deadline(&ts, deadline);
		pthread_cond_timedwait(&q->idle, &q->mu, &ts);
	}
	spill_queue(q);
	if (q->spool)
		ew_spool_sync(q->spool);
	report_drops(q, 1);
	rc = q->count == 0 ? EW_OK : EW_E_IO;
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void ew_dq_stats(struct ew_dq *q, struct ew_dq_stats *out)
{
	pthread_mutex_lock(&q->mu);
	*out = q->s;
	out->queued = q->count;
	if (q->spool) {
		struct ew_spool_stats ss;

		ew_spool_stats(q->spool, &ss);
		out->spool_records = ss.records;
		out->spool_bytes = ss.bytes;
		out->spool_corrupt = ss.corrupt;
		out->spool_max_bytes = q->c.spool_max_bytes;
	}
	pthread_mutex_unlock(&q->mu);
}

void ew_dq_free(struct ew_dq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	__atomic_store_n(&q->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&q->wake);
	pthread_cond_signal(&q->wake_sync);
	pthread_mutex_unlock(&q->mu);
	if (q->started)
		pthread_join(q->thr, NULL);
	if (q->syncer_started)
		pthread_join(q->syncer, NULL);
	spill_queue(q);
	report_drops(q, 1);
	ew_spool_close(q->spool);
	free(q->lat_at);
	free(q->ring);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->idle);
	pthread_cond_destroy(&q->wake_sync);
	free(q);
}

int ew_dq_sink_flush(void *st, int timeout_ms)
{
	/* 0 is the daemon's periodic flush: the delivery thread needs no push */
	if (timeout_ms == 0 || *(struct ew_dq **)st == NULL)
		return EW_OK;
	return ew_dq_drain(*(struct ew_dq **)st, timeout_ms);
}

void ew_dq_sink_stats(void *st, struct ew_dq_stats *out)
{
	if (*(struct ew_dq **)st == NULL)
		memset(out, 0, sizeof(*out));
	else
		ew_dq_stats(*(struct ew_dq **)st, out);
}

int ew_dq_sink_settled(void *st)
{
	return *(struct ew_dq **)st == NULL || ew_dq_settled(*(struct ew_dq **)st);
}

int ew_secret_read(struct ew_conf_node n, char *out, size_t cap, struct ew_err *err)
{
	const char *path;
	struct stat st;
	ssize_t len;
	int fd;

	if (ew_conf_string(n, &path, err) != EW_OK)
		return EW_E_INVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ew_conf_errf(err, n, "cannot read secret file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return ew_conf_errf(err, n, "secret file %s is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return ew_conf_errf(err, n, "secret file %s is accessible to group or others (mode "
				    "%04o): chmod 600 it", path, (unsigned)(st.st_mode & 07777));
	}
	len = read(fd, out, cap - 1);
	close(fd);
	if (len < 0)
		return ew_conf_errf(err, n, "cannot read secret file %s: %s", path, strerror(errno));
	if ((size_t)len == cap - 1)
		return ew_conf_errf(err, n, "secret file %s is longer than %zu bytes", path, cap - 2);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		len--;
	out[len] = 0;
	if (len == 0)
		return ew_conf_errf(err, n, "secret file %s is empty", path);
	return EW_OK;
}
