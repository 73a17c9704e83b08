/* SPDX-License-Identifier: Apache-2.0 */
/* workers_int - what workers.c (the threads, the owner's merge, replay) and
 * workers_route.c (which worker a flow belongs to, live telemetry handed over) share. */
#ifndef EW_WORKERS_INT_H
#define EW_WORKERS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/decode_sflow.h"
#include "core/ew_record.h"
#include "analyzer/flowtab.h"
#include "daemon/pipeline.h"
#include "daemon/workers.h"

struct ew_ring;

/* A ring's bytes: budget shared out over parts, at most most, at least least, a power of
 * two (workers.c). */
size_t ew_workers_ring_share(size_t budget, size_t parts, size_t most, size_t least);

enum x_type { X_RECORD, X_SAMPLE };

/* Live telemetry: a record or an sFlow sample one worker's listener decoded for the
 * worker its two addresses hash to (where the flow's other direction is paired). */
struct x_rec {
	uint8_t type;
	uint16_t source_id;
	uint64_t now;
	union {
		struct ew_record r;
		struct ew_sflow_sample s;
	} u;
	uint8_t tail[];            /* a record's application name (NUL-terminated, when it
				    * has one: up to 63 bytes), a sample's bytes */
};

struct worker {
	struct ew_workers *w;
	unsigned i;
	int cpu;
	pthread_t th;
	int started;
	struct ew_pipeline *p;
	struct ew_classify *cls;
	struct ew_ring *in, *out;
	uint64_t gen;                  /* worker's thread: the policy generation in use */
	_Atomic uint64_t seen;         /* ... published for ew_workers_set_policy */
	_Atomic int exited;
	struct ew_ring **xin;          /* live telemetry: from each worker, what is ours */
	int wake;                      /* eventfd: something arrived in xin */
	uint32_t wake_due;             /* workers (bits) whose wake is owed, after a read */
	uint32_t routed;               /* handed over since the last wakes */
	uint64_t xlost;                /* what found a full xin ring, judged where it was
					* decoded (unpaired, perhaps): counted as unrouted */
	/* Counters as the worker last published them (a few times a second, and when it
	 * ends), for the daemon's thread: nothing on the packet path is shared. */
	pthread_mutex_t smu;
	struct ew_pipeline_stats snap;
	struct ew_flowtab_stats fsnap;
	uint32_t fmax;
	uint64_t snap_us;
	/* Messages other than marks: how many the worker has put in its ring (published
	 * after they are), and how many the owner took; the worker's last publication. */
	_Atomic uint64_t msgs;
	uint64_t msgs_pub;
	/* the owner's side */
	uint64_t taken;
	struct ew_pmsg last;           /* the last message taken from this worker */
	int done;
	uint64_t sent;                 /* replay: the last packet (seq) handed to it */
	uint64_t cpu_us;               /* its thread's CPU time, when it ended */
};

struct ew_workers {
	unsigned n;
	int replay;
	struct worker *wk;
	struct ew_pipeline *owner;
	struct ew_sourceset *srcs;     /* live: the sources whose lanes the workers read */
	_Atomic int stop;
	_Atomic(const struct ew_policy *) pol;
	_Atomic uint64_t gen;
	uint64_t seq, last_ts;         /* replay: packets handed over, the last one's time */
	int ended;
	int held;                      /* replay: threads start at ew_workers_go */
	int owner_wake;                /* live: eventfd, written when a worker sent the owner
					* something other than marks */
};

/* The worker for the flows between a and b: a symmetric hash of the two addresses. */
unsigned ew_workers_lane_of_pair(const struct ew_workers *w, const struct ew_addr *a,
				 const struct ew_addr *b);
/* The worker for a frame of link type dlt: by its innermost addresses (both directions of
 * a flow, and every fragment of a datagram, have the same); frames without them: dflt. */
unsigned ew_workers_lane_of_frame(const struct ew_workers *w, int dlt, const uint8_t *d,
				  uint32_t len, unsigned dflt);
/* Worker k (its own thread): judge what other workers' listeners handed over; wake the
 * workers it handed something to. */
void ew_workers_take_routed(struct worker *k);
void ew_workers_wake_routed(struct worker *k);

#endif
