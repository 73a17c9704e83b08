/* SPDX-License-Identifier: Apache-2.0 */
/* ew_ring - a bounded single-producer, single-consumer queue of variable-length records
 * between two threads, with no lock: the producer writes a record in place and
 * publishes it with one release store, the consumer reads it in place and frees its
 * space with another. Records are 8-byte aligned and never wrap (a record that would
 * cross the end leaves a skip marker and starts again at the beginning).
 *
 * A full ring says so (ew_ring_reserve returns NULL); what to do then (wait, or count
 * the record lost) is the caller's choice. Capacity is fixed at creation. */
#ifndef EW_RING_H
#define EW_RING_H

#include <stddef.h>
#include <stdint.h>

struct ew_ring;

/* A ring of at least cap bytes (rounded up to a power of two, 4 KiB at least). NULL
 * when out of memory. */
struct ew_ring *ew_ring_new(size_t cap);
void ew_ring_free(struct ew_ring *r);    /* accepts NULL */
/* Make every page of the ring the process's before it is used (ew_mem_populate): a
 * ring goes round all of its memory, and the first time round each page is a fault (and
 * a page cleared) on the producer's path. */
void ew_ring_touch(struct ew_ring *r);

/* Producer: room for a record of len bytes (len <= capacity / 4), or NULL when full.
 * The record becomes visible to the consumer at ew_ring_commit. */
void *ew_ring_reserve(struct ew_ring *r, size_t len);
/* The record reserved turned out len bytes long (len <= what was reserved). */
void ew_ring_shrink(struct ew_ring *r, size_t len);
void ew_ring_commit(struct ew_ring *r);
/* Reserve, copy rec and commit in one, writing around the producer's caches (x86-64:
 * non-temporal stores, fenced when published): for a ring that publishes in batches
 * (ew_ring_set_batch) records its producer will not read again. Published one by one,
 * each record pays a fence and its consumer a read from memory: `replay --workers`'
 * packets to their workers ran 5x slower so. 0, or -1 when full. */
int ew_ring_put(struct ew_ring *r, const void *rec, size_t len);
/* Records committed become visible in batches of at least bytes (default 0: each at
 * its commit; at most capacity / 4), or at ew_ring_flush, or when a reserve finds the
 * ring full. A producer that batches flushes before it waits or tells the consumer. */
void ew_ring_set_batch(struct ew_ring *r, size_t bytes);
void ew_ring_flush(struct ew_ring *r);

/* Consumer: the oldest record (its length in *len), or NULL when empty; it stays valid
 * until ew_ring_release. */
const void *ew_ring_peek(struct ew_ring *r, size_t *len);
void ew_ring_release(struct ew_ring *r);

/* Bytes in use (either side, approximate while the other side works). */
size_t ew_ring_used(const struct ew_ring *r);
size_t ew_ring_capacity(const struct ew_ring *r);

#endif
