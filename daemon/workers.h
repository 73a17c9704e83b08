/* SPDX-License-Identifier: Apache-2.0 */
/* workers - the flow side on every core: N worker threads, each with its own pipeline
 * (flow table, nDPI, verdict cache) and no lock on the per-packet path, feeding one owner
 * pipeline (the scan detector and its holds, the throttle, the new-edge baseline, the
 * sinks) that takes their findings in time order.
 *
 * Packets reach the workers by a symmetric hash of the flow's two addresses, so that both
 * directions of a flow and every fragment of a datagram meet in one worker: for replay,
 * the reading thread hashes and hands each packet over through a ring (ew_workers_packet);
 * live, each worker reads its own lane of the capture sources (the kernel's fanout
 * group, collector/source_pcap.c) itself.
 *
 * Each worker sends its owner messages through its own ring (pipeline.h); the owner,
 * on the thread that calls ew_workers_take, takes them merged in the order one pipeline
 * would have made them: a message is taken when no worker can still send an earlier one
 * (each worker's last message says how far its clock has gone). So the scan detector,
 * the throttle, new-edge and the alert ids see what one pipeline would see, and the
 * alerts are those of one worker. Replay waits for room in a full ring (nothing is
 * lost); live capture never waits: a message that finds its ring full is counted
 * (queue_full) and dropped.
 *
 * A new policy is published to every worker and taken by each between two packets; the
 * old one may be freed when ew_workers_set_policy returns. flows.max is shared out: each
 * worker's flow table holds 1/N of it. */
#ifndef EW_WORKERS_H
#define EW_WORKERS_H

#include <stdint.h>

#include "analyzer/classify.h"
#include "collector/source.h"
#include "daemon/pipeline.h"

struct ew_workers;

/* How many workers by default: the CPUs this process may run on, at most 32. */
unsigned ew_workers_default(void);

/* n workers judging with pc (each with a classifier made from cc) for owner (borrowed;
 * it must outlive them). replay: packets come from ew_workers_packet and the workers
 * wait for room rather than lose a message; else they read lanes of sources (given to
 * ew_workers_start). pin: worker i runs on the i-th CPU the process may use. NULL with
 * err. */
struct ew_workers *ew_workers_new(unsigned n, const struct ew_pipeline_conf *pc,
				  const struct ew_cls_conf *cc, const struct ew_policy *pol,
				  struct ew_pipeline *owner, int replay, int pin,
				  struct ew_err *err);
/* Stops the threads (live: each worker ends its flows first, as ew_workers_end) and
 * frees everything; accepts NULL. */
void ew_workers_free(struct ew_workers *w);

unsigned ew_workers_count(const struct ew_workers *w);
/* Live: how long an idle worker waits before it says how far it is, and how often the
 * owner takes the workers' findings: the sources' block timeout (finer marks would
 * only say what a block not yet handed over could still contradict), 5 ms at least. */
int ew_workers_wait_ms(const struct ew_workers *w);
/* Worker i's callbacks, for the lane of a source it reads (live). */
void ew_workers_lane_out(struct ew_workers *w, unsigned i, struct ew_source_out *out);
/* Live telemetry split over the workers: what worker i's listener decodes is judged by
 * the worker the record's two addresses hash to (where its other direction, perhaps from
 * another exporter, is paired), handed over through a ring per pair of workers (full:
 * counted in queue_full). Call before ew_workers_start when a listener has lanes.
 * EW_OK or EW_E_NOMEM. */
int ew_workers_route_telemetry(struct ew_workers *w);
/* Live: start the threads, each reading lane i of srcs (ew_sourceset_lane_read). */
int ew_workers_start(struct ew_workers *w, struct ew_sourceset *srcs, struct ew_err *err);

/* Replay, for benchmarks: input rings of bytes each (default 8 MB), and the threads held
 * until ew_workers_go, so that every packet can be handed over first (split as the
 * kernel's fanout splits live capture) and the clock started when the workers start.
 * Before the first packet. EW_OK or EW_E_NOMEM. */
int ew_workers_preload(struct ew_workers *w, size_t bytes);
void ew_workers_go(struct ew_workers *w);

/* Replay: one packet to the worker its addresses hash to (copied; numbered in order). */
void ew_workers_packet(struct ew_workers *w, const struct ew_raw_pkt *rp);
/* The owner takes every message that can be placed now; returns how many. */
unsigned ew_workers_take(struct ew_workers *w);
/* Live: an eventfd that becomes readable when a worker has sent the owner something
 * other than marks (an alert, a probe seen, ...): the owner takes then, instead of
 * looking at every block timeout whether there is anything; -1 in replay. Reading it
 * is the caller's. */
int ew_workers_owner_fd(const struct ew_workers *w);
/* 1 when a worker has sent something other than marks that the owner has not taken
 * (after ew_workers_take: it waits for another worker's mark; look again in
 * ew_workers_wait_ms). */
int ew_workers_owed(const struct ew_workers *w);
/* How many messages other than marks the owner has taken so far. */
uint64_t ew_workers_taken(const struct ew_workers *w);
/* The end: every worker runs its deadlines to the last time seen (replay) or to now
 * (live), ends its flows, and the owner takes everything they sent. */
void ew_workers_end(struct ew_workers *w);

/* Judge with pol in every worker from their next packet on; returns once none of them
 * judges with the previous policy any more. */
void ew_workers_set_policy(struct ew_workers *w, const struct ew_policy *pol);

/* Worker i's pipeline (for reports; its counters move while it runs). */
const struct ew_pipeline *ew_workers_pipeline(const struct ew_workers *w, unsigned i);
/* Worker i's classifier (its nDPI counters). */
const struct ew_classify *ew_workers_classifier(const struct ew_workers *w, unsigned i);
/* Worker i's counters and flow table: while it runs, as it last published them (a few
 * times a second); once it has ended, final. */
void ew_workers_stats(const struct ew_workers *w, unsigned i, struct ew_pipeline_stats *out);
void ew_workers_flow_stats(const struct ew_workers *w, unsigned i,
			   struct ew_flowtab_stats *out, uint32_t *max);
/* The CPU worker i is pinned to, or -1. */
int ew_workers_cpu(const struct ew_workers *w, unsigned i);
/* The CPU time worker i's thread used, in microseconds, once it has ended (0 before). */
uint64_t ew_workers_cpu_us(const struct ew_workers *w, unsigned i);

#endif
