/* SPDX-License-Identifier: Apache-2.0 */
/* workers - see workers.h. */
#include "daemon/workers.h"
#include "daemon/workers_int.h"
#include "core/ew_log.h"
#include "core/ew_ring.h"
#include "core/ew_time.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EW_WORKERS_MAX 32
/* A ring in use goes round all of its memory, and so keeps all of it: what the rings
 * may hold is a budget for all the workers, each its share (a worker carries 1/n of what
 * they all carry, so its share holds the same time of it), within bounds. */
#define IN_RING (8u << 20)      /* replay: packets waiting for a worker, at most */
#define IN_RINGS (32u << 20)    /* ... and for all of them */
#define OUT_RING (16u << 20)    /* findings waiting for the owner, at most */
#define OUT_RINGS (32u << 20)   /* ... and for all of them */
#define RING_LEAST (1u << 20)
/* The owner sees a worker's findings every 4 KiB of them, and at each mark (a block's
 * end live, every MARK_EVERY packets in replay), rather than the tail's cache line
 * crossing CPUs for each (with a million new flows the owner used 2 - 17% less CPU;
 * docs/performance.md). */
#define OUT_BATCH 4096
#define MARK_EVERY 256          /* a busy worker says how far it is this often */
#define TICK_EVERY 1024         /* replay: an idle worker is told the time this often */
#define DONE_TYPE 0xff          /* a worker's last message */

enum in_type { IN_PKT, IN_TICK, IN_POLICY, IN_END };
/* A packet (or the time) handed to a worker by the replay's reading thread. */
struct in_rec {
	uint8_t type, kind;
	uint16_t source_id;
	int32_t dlt;
	uint32_t caplen, len, weight;
	uint64_t ts, seq;
	uint64_t now;                  /* the latest time of the capture so far (files' times
					* may go back): one pipeline's clock */
	uint8_t data[];
};

unsigned ew_workers_default(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > EW_WORKERS_MAX ? EW_WORKERS_MAX : (unsigned)n;
}

/* The i-th CPU this process may run on (modulo their number), or -1. */
static int nth_cpu(unsigned i)
{
	cpu_set_t set;
	int n, seen = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 || (n = CPU_COUNT(&set)) == 0)
		return -1;
	i %= (unsigned)n;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && (unsigned)seen++ == i)
			return c;
	return -1;
}

/* A worker's share of a bound the sensor's tables have in all: 1/n of it, rounded up,
 * at least least. */
static uint32_t table_share(uint32_t total, unsigned n, uint32_t least)
{
	uint32_t s = (uint32_t)(((uint64_t)total + n - 1) / n);

	return s < least ? least : s;
}

struct ew_workers *ew_workers_new(unsigned n, const struct ew_pipeline_conf *pc,
				  const struct ew_cls_conf *cc, const struct ew_policy *pol,
				  struct ew_pipeline *owner, int replay, int pin,
				  struct ew_err *err)
{
	struct ew_workers *w = calloc(1, sizeof(*w));
	struct ew_pipeline_conf wc = *pc;
	struct ew_cls_conf wcc = *cc;

	if (n < 1 || n > EW_WORKERS_MAX) {
		free(w);
		ew_err_set(err, "workers: %u is not between 1 and %d", n, EW_WORKERS_MAX);
		return NULL;
	}
	if (w == NULL || (w->wk = calloc(n, sizeof(*w->wk))) == NULL) {
		free(w);
		ew_err_set(err, "workers: out of memory");
		return NULL;
	}
	w->n = n;
	w->replay = replay;
	w->owner_wake = replay ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!replay && w->owner_wake < 0) {
		free(w->wk);
		free(w);
		ew_err_set(err, "workers: no eventfd");
		return NULL;
	}
	w->owner = owner;
	atomic_init(&w->pol, pol);
	atomic_init(&w->gen, 1);
	wc.flow_fn = NULL;
	wc.flow_arg = NULL;
	/* flows.max is the sensor's: each worker holds its share (the addresses' hash
	 * spreads flows evenly; a worker whose share fills evicts, says so, as one would) */
	wc.ft.max_flows = table_share(pc->ft.max_flows, n, 1024);
	/* throttle keys likewise: a key's two addresses put all its alerts in one worker */
	wc.throttle_keys = table_share(pc->throttle_keys, n, 0);
	/* and the export records waiting for their other direction: both directions hash
	 * to one worker (workers_route.c), so a worker waits for 1/n of them */
	wc.pairing_max = table_share(pc->pairing_max ? pc->pairing_max : EW_PAIRING_MAX, n, 1024);
	/* and the flows under nDPI inspection at once (about 730 bytes each): N workers
	 * holding classify.max_active each would take N times the memory it allows */
	wcc.max_active = table_share(cc->max_active, n, 1024);
	for (unsigned i = 0; i < n; i++)      /* a failure below frees what was made */
		w->wk[i].wake = -1;
	for (unsigned i = 0; i < n; i++) {
		struct worker *k = &w->wk[i];

		k->w = w;
		k->i = i;
		k->cpu = pin ? nth_cpu(i) : -1;
		k->gen = 1;
		atomic_init(&k->seen, 1);
		atomic_init(&k->msgs, 0);
		k->wake = replay ? -1 : eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		pthread_mutex_init(&k->smu, NULL);
		k->out = ew_ring_new(ew_workers_ring_share(OUT_RINGS, n, OUT_RING, RING_LEAST));
		k->in = replay ? ew_ring_new(ew_workers_ring_share(IN_RINGS, n, IN_RING,
								   RING_LEAST)) : NULL;
		if (k->out == NULL || (replay && k->in == NULL)) {
			ew_err_set(err, "workers: out of memory");
			ew_workers_free(w);
			return NULL;
		}
		/* the rings' memory is the workers' from the start (32 MB or so in all),
		 * not faulted in on their packet path the first time round */
		ew_ring_touch(k->out);
		if (k->in)
			ew_ring_touch(k->in);
		ew_ring_set_batch(k->out, OUT_BATCH);
		if ((k->cls = ew_classify_new(&wcc, err)) == NULL ||
		    (k->p = ew_pipeline_new_worker(&wc, k->cls, pol, k->out, replay, owner,
						   err)) == NULL) {
			ew_workers_free(w);
			return NULL;
		}
	}
	return w;
}

unsigned ew_workers_count(const struct ew_workers *w)
{
	return w->n;
}

int ew_workers_wait_ms(const struct ew_workers *w)
{
	uint64_t ms = ew_sourceset_lag_us(w->srcs) / 1000;

	return ms < 5 ? 5 : (int)ms;
}

int ew_workers_cpu(const struct ew_workers *w, unsigned i)
{
	return w->wk[i].cpu;
}

static unsigned lane_of(const struct ew_workers *w, const struct ew_raw_pkt *rp)
{
	return ew_workers_lane_of_frame(w, rp->dlt, rp->data, rp->caplen, 0);
}

/* ---- the worker's thread ---- */

/* Named "ew-worker-N" (top -H, perf) and, when asked, on its own CPU. */
static void pin_self(const struct worker *k)
{
	cpu_set_t set;
	char name[16];

	snprintf(name, sizeof(name), "ew-worker-%u", k->i);
	pthread_setname_np(pthread_self(), name);
	if (k->cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(k->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0)
		ew_warn("worker %u: cannot run on CPU %d only", k->i, k->cpu);
}

/* A new policy, taken between two packets. */
static void take_policy(struct worker *k)
{
	uint64_t g = atomic_load_explicit(&k->w->gen, memory_order_acquire);

	if (g == k->gen)
		return;
	ew_pipeline_set_policy(k->p, atomic_load_explicit(&k->w->pol, memory_order_acquire));
	k->gen = g;
	atomic_store_explicit(&k->seen, g, memory_order_release);
}

/* The worker's counters, published for the daemon's thread (at most every 100 ms of
 * now, unless forced). */
static void publish(struct worker *k, uint64_t now, int force)
{
	if (!force && now < k->snap_us + 100000)
		return;
	k->snap_us = now;
	pthread_mutex_lock(&k->smu);
	ew_pipeline_stats(k->p, &k->snap);
	k->snap.unrouted = k->xlost;
	ew_pipeline_flow_stats(k->p, &k->fsnap, &k->fmax);
	pthread_mutex_unlock(&k->smu);
}

/* What the worker sent the owner (other than marks) since it last said so: published,
 * and the owner woken (live). */
static void tell_owner(struct worker *k)
{
	uint64_t s = ew_pipeline_sent(k->p), one = 1;

	if (s == k->msgs_pub)
		return;
	k->msgs_pub = s;
	atomic_store_explicit(&k->msgs, s, memory_order_release);
	if (k->w->owner_wake >= 0 && write(k->w->owner_wake, &one, sizeof(one)) < 0) {
		/* the counter is full: the owner is woken anyway */
	}
}

/* The worker's last message: nothing earlier can come from it any more. */
static void say_done(struct worker *k)
{
	struct ew_pmsg *h;
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		k->cpu_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	publish(k, 0, 1);
	ew_pipeline_mark(k->p);
	tell_owner(k);
	while ((h = ew_ring_reserve(k->out, sizeof(*h))) == NULL)
		sched_yield();
	memset(h, 0, sizeof(*h));
	h->ts = UINT64_MAX;
	h->type = DONE_TYPE;
	ew_ring_commit(k->out);
	ew_ring_flush(k->out);
	atomic_store_explicit(&k->exited, 1, memory_order_release);
}

size_t ew_workers_ring_share(size_t budget, size_t parts, size_t most, size_t least)
{
	size_t b = budget / (parts ? parts : 1), c = least;

	if (b > most)
		b = most;
	while (c * 2 <= b)             /* a power of two (ew_ring_new rounds up) */
		c *= 2;
	return c;
}

/* Nothing to do: look again at once a few times, then sleep 20 us at a time. Yielding
 * instead wastes what the busy threads need when there are more threads than CPUs
 * (sched_yield was 11% of the profile with two workers and the reader on two CPUs). */
static void nap(unsigned *idle)
{
	if (++*idle < 32) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
}

/* The owner with nothing to take: the rings hold seconds of findings, so it looks again
 * in 1 ms rather than spin on the CPUs the workers need (every 200 us, its wakes alone
 * were 5 - 8% of a CPU). */
static void owner_nap(void)
{
	struct timespec ts = { 0, 1000000 };

	nanosleep(&ts, NULL);
}

static void *replay_main(void *arg)
{
	struct worker *k = arg;
	unsigned idle = 0, since_mark = 0;

	pin_self(k);
	for (;;) {
		size_t len;
		const struct in_rec *r = ew_ring_peek(k->in, &len);
		struct ew_raw_pkt rp;

		if (r == NULL) {
			if (since_mark) {       /* waiting: say how far it is */
				ew_pipeline_mark(k->p);
				tell_owner(k);
				since_mark = 0;
			}
			nap(&idle);
			continue;
		}
		idle = 0;
		switch (r->type) {
		case IN_PKT:
			memset(&rp, 0, sizeof(rp));
			rp.ts_us = r->ts;
			rp.data = r->data;
			rp.caplen = r->caplen;
			rp.len = r->len;
			rp.dlt = r->dlt;
			rp.source_id = r->source_id;
			rp.source_kind = r->kind;
			rp.weight = r->weight;
			rp.seq = r->seq;
			/* a packet of the capture's latest time moves the clock itself (the
			 * same advance, once); one from earlier (files' times may go back)
			 * is judged after the clock moves to the latest */
			if (r->now != r->ts)
				ew_pipeline_clock(k->p, r->now, r->seq);
			ew_pipeline_packet(k->p, &rp);
			break;
		case IN_TICK:
			ew_pipeline_clock(k->p, r->ts, r->seq);
			break;
		case IN_POLICY: {            /* in its place among the packets */
			const struct ew_policy *pol;

			memcpy(&pol, r->data, sizeof(pol));
			ew_pipeline_set_policy(k->p, pol);
			atomic_store_explicit(&k->seen, r->seq, memory_order_release);
			break;
		}
		default:
			ew_ring_release(k->in);
			ew_pipeline_drain(k->p);
			ew_pipeline_finish(k->p);
			say_done(k);
			return NULL;
		}
		ew_ring_release(k->in);
		if (++since_mark >= MARK_EVERY) {
			ew_pipeline_mark(k->p);
			tell_owner(k);
			publish(k, ew_time_mono_us(), 0);
			since_mark = 0;
		}
	}
}

static void *live_main(void *arg)
{
	struct worker *k = arg;
	uint64_t last_tick = 0;

	pin_self(k);
	while (!atomic_load_explicit(&k->w->stop, memory_order_acquire)) {
		uint64_t now;
		int got;

		take_policy(k);
		got = ew_sourceset_lane_read(k->w->srcs, k->i, k->wake, ew_workers_wait_ms(k->w));
		if (k->xin) {
			uint64_t n;

			if (read(k->wake, &n, sizeof(n)) < 0) {
				/* nothing was owed */
			}
			ew_workers_take_routed(k);
			ew_workers_wake_routed(k);
		}
		now = ew_time_now_us();
		if (got == 0 || now >= last_tick + 100000) {
			/* as far as the sources have handed everything over (their blocks) */
			ew_pipeline_tick(k->p, now - ew_sourceset_lag_us(k->w->srcs));
			last_tick = now;
		}
		publish(k, now, 0);
		ew_pipeline_mark(k->p);
		tell_owner(k);
	}
	ew_workers_take_routed(k);
	ew_pipeline_tick(k->p, ew_time_now_us());
	ew_pipeline_finish(k->p);
	say_done(k);
	return NULL;
}

static int start(struct ew_workers *w, void *(*fn)(void *), struct ew_err *err)
{
	for (unsigned i = 0; i < w->n; i++) {
		if (pthread_create(&w->wk[i].th, NULL, fn, &w->wk[i]) != 0)
			return ew_err_set(err, "workers: cannot start thread %u", i);
		w->wk[i].started = 1;
	}
	return EW_OK;
}

int ew_workers_start(struct ew_workers *w, struct ew_sourceset *srcs, struct ew_err *err)
{
	w->srcs = srcs;
	return start(w, live_main, err);
}

/* ---- the owner's side ---- */

unsigned ew_workers_take(struct ew_workers *w)
{
	unsigned taken = 0;

	for (;;) {
		const struct ew_pmsg *best = NULL;
		struct worker *from = NULL;
		size_t blen = 0;

		for (unsigned i = 0; i < w->n; i++) {
			struct worker *k = &w->wk[i];
			const struct ew_pmsg *h;
			size_t len;

			if (k->done)
				continue;
			h = ew_ring_peek(k->out, &len);
			if (h != NULL && h->type == DONE_TYPE) {
				ew_ring_release(k->out);
				k->done = 1;
				continue;
			}
			if (h != NULL && (best == NULL || ew_pmsg_cmp(h, best) < 0)) {
				best = h;
				from = k;
				blen = len;
			}
		}
		if (best == NULL)
			return taken;
		/* Every other worker bounds what may be taken: one with nothing waiting may
		 * still send anything after its last message, one with a message waiting
		 * nothing before it (and one whose message arrived since the look above may
		 * have sent an earlier one: look again). Then `from`'s messages are taken as
		 * long as they stay within the bound. */
		struct ew_pmsg bound = { .ts = UINT64_MAX, .seq = UINT64_MAX, .cls = 0xff };

		for (unsigned i = 0; i < w->n && best != NULL; i++) {
			struct worker *k = &w->wk[i];
			const struct ew_pmsg *h;
			size_t len;

			if (k->done || k == from)
				continue;
			h = ew_ring_peek(k->out, &len);
			if (h == NULL && ew_pmsg_cmp(best, &k->last) > 0)
				return taken;
			if (h != NULL && ew_pmsg_cmp(h, best) < 0)
				best = NULL;           /* look again */
			else if (ew_pmsg_cmp(h ? h : &k->last, &bound) < 0)
				bound = *(h ? h : &k->last);
		}
		while (best != NULL) {
			from->taken += !ew_pmsg_is_mark(best);
			ew_pipeline_owner_take(w->owner, best, blen);
			from->last = *best;
			ew_ring_release(from->out);
			taken++;
			best = ew_ring_peek(from->out, &blen);
			if (best != NULL && (best->type == DONE_TYPE || ew_pmsg_cmp(best, &bound) > 0))
				best = NULL;
		}
	}
}

int ew_workers_owner_fd(const struct ew_workers *w)
{
	return w->owner_wake;
}

int ew_workers_owed(const struct ew_workers *w)
{
	for (unsigned i = 0; i < w->n; i++)
		if (atomic_load_explicit(&w->wk[i].msgs, memory_order_acquire) > w->wk[i].taken)
			return 1;
	return 0;
}

uint64_t ew_workers_taken(const struct ew_workers *w)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < w->n; i++)
		n += w->wk[i].taken;
	return n;
}

static void push_in(struct ew_workers *w, struct worker *k, const struct in_rec *r,
		    const uint8_t *data)
{
	struct in_rec *d;
	unsigned idle = 0;

	while ((d = ew_ring_reserve(k->in, sizeof(*r) + r->caplen)) == NULL) {
		if (!k->started)              /* held, and the ring too small: go now */
			ew_workers_go(w);
		if (ew_workers_take(w) == 0)
			nap(&idle);
	}
	*d = *r;
	if (r->caplen)
		memcpy(d->data, data, r->caplen);
	ew_ring_commit(k->in);
}

static void tick_idle(struct ew_workers *w)
{
	struct in_rec r = { .type = IN_TICK, .ts = w->last_ts, .seq = w->seq };

	for (unsigned i = 0; i < w->n; i++)
		if (w->wk[i].sent + TICK_EVERY <= w->seq) {
			push_in(w, &w->wk[i], &r, NULL);
			w->wk[i].sent = w->seq;
		}
}

int ew_workers_preload(struct ew_workers *w, size_t bytes)
{
	for (unsigned i = 0; i < w->n; i++) {
		struct ew_ring *r = ew_ring_new(bytes);

		if (r == NULL)
			return EW_E_NOMEM;
		ew_ring_free(w->wk[i].in);
		w->wk[i].in = r;
	}
	w->held = 1;
	return EW_OK;
}

void ew_workers_go(struct ew_workers *w)
{
	struct ew_err err;

	w->held = 0;
	if (!w->wk[0].started && start(w, replay_main, &err) != EW_OK)
		ew_warn("%s", err.msg);
}

void ew_workers_packet(struct ew_workers *w, const struct ew_raw_pkt *rp)
{
	struct worker *k = &w->wk[lane_of(w, rp)];
	struct in_rec r = { .type = IN_PKT, .kind = rp->source_kind, .source_id = rp->source_id,
			    .dlt = rp->dlt, .caplen = rp->caplen, .len = rp->len,
			    .weight = rp->weight, .ts = rp->ts_us };

	if (!w->wk[0].started && !w->held)
		ew_workers_go(w);
	r.seq = ++w->seq;
	if (rp->ts_us > w->last_ts)
		w->last_ts = rp->ts_us;
	r.now = w->last_ts;
	push_in(w, k, &r, rp->data);
	k->sent = w->seq;
	if (w->seq % TICK_EVERY == 0) {
		tick_idle(w);
		ew_workers_take(w);
	}
}

void ew_workers_end(struct ew_workers *w)
{

	if (w->ended)
		return;
	w->ended = 1;
	if (w->replay) {
		struct in_rec tick = { .type = IN_TICK, .ts = w->last_ts, .seq = w->seq };
		struct in_rec end = { .type = IN_END };

		if (!w->wk[0].started)
			ew_workers_go(w);
		for (unsigned i = 0; i < w->n; i++) {
			push_in(w, &w->wk[i], &tick, NULL);
			push_in(w, &w->wk[i], &end, NULL);
		}
	} else {
		atomic_store_explicit(&w->stop, 1, memory_order_release);
	}
	for (;;) {
		unsigned left = 0;

		for (unsigned i = 0; i < w->n; i++)
			left += w->wk[i].started && !w->wk[i].done;
		if (left == 0)
			break;
		if (ew_workers_take(w) == 0)
			owner_nap();
	}
	for (unsigned i = 0; i < w->n; i++)
		if (w->wk[i].started) {
			pthread_join(w->wk[i].th, NULL);
			w->wk[i].started = 0;
		}
}

void ew_workers_set_policy(struct ew_workers *w, const struct ew_policy *pol)
{
	uint64_t g;
	unsigned idle = 0;

	atomic_store_explicit(&w->pol, pol, memory_order_release);
	g = atomic_fetch_add_explicit(&w->gen, 1, memory_order_acq_rel) + 1;
	for (unsigned i = 0; i < w->n; i++) {
		struct worker *k = &w->wk[i];

		if (!k->started) {             /* not running (yet, or any more) */
			ew_pipeline_set_policy(k->p, pol);
			k->gen = g;
			continue;
		}
		if (w->replay) {
			/* replay: from the next packet handed over on, the ones already
			 * waiting in the ring are judged with the policy they came under */
			struct in_rec r = { .type = IN_POLICY, .caplen = sizeof(pol),
					    .seq = g };   /* seq: the generation */

			push_in(w, k, &r, (const uint8_t *)&pol);
		}
		while (atomic_load_explicit(&k->seen, memory_order_acquire) < g &&
		       !atomic_load_explicit(&k->exited, memory_order_acquire)) {
			if (ew_workers_take(w) == 0)
				nap(&idle);
		}
	}
}

const struct ew_pipeline *ew_workers_pipeline(const struct ew_workers *w, unsigned i)
{
	return w->wk[i].p;
}

const struct ew_classify *ew_workers_classifier(const struct ew_workers *w, unsigned i)
{
	return w->wk[i].cls;
}

uint64_t ew_workers_cpu_us(const struct ew_workers *w, unsigned i)
{
	return atomic_load_explicit(&w->wk[i].exited, memory_order_acquire) ? w->wk[i].cpu_us : 0;
}

void ew_workers_stats(const struct ew_workers *w, unsigned i, struct ew_pipeline_stats *out)
{
	struct worker *k = &w->wk[i];

	if (!k->started) {                /* not running: its own counters */
		ew_pipeline_stats(k->p, out);
		out->unrouted = k->xlost;
		return;
	}
	pthread_mutex_lock(&k->smu);
	*out = k->snap;
	pthread_mutex_unlock(&k->smu);
}

void ew_workers_flow_stats(const struct ew_workers *w, unsigned i,
			   struct ew_flowtab_stats *out, uint32_t *max)
{
	struct worker *k = &w->wk[i];

	if (!k->started) {
		ew_pipeline_flow_stats(k->p, out, max);
		return;
	}
	pthread_mutex_lock(&k->smu);
	*out = k->fsnap;
	*max = k->fmax;
	pthread_mutex_unlock(&k->smu);
}

void ew_workers_free(struct ew_workers *w)
{
	if (w == NULL)
		return;
	if (w->wk[0].started || (w->n > 1 && w->wk[1].started))
		ew_workers_end(w);
	for (unsigned i = 0; i < w->n; i++) {
		ew_pipeline_free(w->wk[i].p);
		ew_classify_free(w->wk[i].cls);
		ew_ring_free(w->wk[i].in);
		ew_ring_free(w->wk[i].out);
		for (unsigned j = 0; w->wk[i].xin && j < w->n; j++)
			ew_ring_free(w->wk[i].xin[j]);
		free(w->wk[i].xin);
		if (w->wk[i].wake >= 0)
			close(w->wk[i].wake);
		pthread_mutex_destroy(&w->wk[i].smu);
	}
	if (w->owner_wake >= 0)
		close(w->owner_wake);
	free(w->wk);
	free(w);
}
