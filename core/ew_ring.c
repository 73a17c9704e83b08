/* SPDX-License-Identifier: Apache-2.0 */
/* ew_ring - see ew_ring.h. The head and the tail are free-running byte counts on their
 * own cache lines; each side keeps a private copy of the other's to touch the shared
 * line only when its copy says the ring is full (or empty). The producer writes at its
 * private tail and stores the shared one when a batch is full (ew_ring_set_batch) or
 * at ew_ring_flush: a consumer that keeps up reads the shared tail after each record it
 * takes, and a store per record would move that line between the two CPUs each time.
 * ew_ring_put writes a record with non-temporal stores, so a fence precedes the
 * publication of what it wrote. */
#include "core/ew_ring.h"
#include "core/ew_mem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDR 8u                 /* a record's header: its length (uint32) and padding */
#define SKIP UINT32_MAX        /* header of the unused end: start again at 0 */

struct ew_ring {
	uint8_t *buf;
	size_t cap, mask;
	_Alignas(64) _Atomic size_t tail;    /* written by the producer */
	size_t head_cache;                   /* producer's view of head */
	size_t pending;                      /* producer: bytes reserved, not committed */
	size_t ptail;                        /* producer: committed so far (tail: published) */
	size_t batch;                        /* producer: publish after this many bytes */
	int streamed;                        /* producer: ew_ring_put wrote since published */
	_Alignas(64) _Atomic size_t head;    /* written by the consumer */
	size_t tail_cache;                   /* consumer's view of tail */
	size_t taking;                       /* consumer: bytes of the record peeked */
};

static size_t rec_size(size_t len)
{
	return HDR + ((len + 7u) & ~(size_t)7u);
}

struct ew_ring *ew_ring_new(size_t cap)
{
	struct ew_ring *r;
	size_t c = 4096;

	while (c < cap)
		c <<= 1;
	if (posix_memalign((void **)&r, 64, sizeof(*r)) != 0)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->buf = malloc(c);
	if (r->buf == NULL) {
		free(r);
		return NULL;
	}
	r->cap = c;
	r->mask = c - 1;
	atomic_init(&r->tail, 0);
	atomic_init(&r->head, 0);
	return r;
}

void ew_ring_touch(struct ew_ring *r)
{
	ew_mem_populate(r->buf, r->cap);
}

void ew_ring_free(struct ew_ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r);
}

static void put_hdr(struct ew_ring *r, size_t at, uint32_t v)
{
	memcpy(r->buf + (at & r->mask), &v, sizeof(v));
}

void ew_ring_set_batch(struct ew_ring *r, size_t bytes)
{
	r->batch = bytes < r->cap / 4 ? bytes : r->cap / 4;
}

/* The producer's own read of tail (it alone writes it): what it has published. */
static size_t published(struct ew_ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_relaxed);
}

/* Stores that went around the caches are not ordered by a release store: fence them
 * before the tail says they are there. */
static void publish(struct ew_ring *r)
{
#if defined(__x86_64__)
	if (r->streamed) {
		__builtin_ia32_sfence();
		r->streamed = 0;
	}
#endif
	atomic_store_explicit(&r->tail, r->ptail, memory_order_release);
}

void ew_ring_flush(struct ew_ring *r)
{
	if (r->ptail != published(r))
		publish(r);
}

/* Room for a record of len bytes at the private tail: where its header goes (the end
 * of the buffer skipped, marked, when the record would cross it), r->pending set; or
 * SIZE_MAX when full. */
static size_t room(struct ew_ring *r, size_t len)
{
	size_t tail = r->ptail;
	size_t need = rec_size(len), off = tail & r->mask, skip = 0;

	if (len > r->cap / 4)
		return SIZE_MAX;
	if (off + need > r->cap)
		skip = r->cap - off;             /* the rest of the buffer is skipped */
	if (tail + skip + need - r->head_cache > r->cap) {
		r->head_cache = atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail + skip + need - r->head_cache > r->cap) {
			ew_ring_flush(r);    /* what waits unpublished is what will free room */
			return SIZE_MAX;
		}
	}
	if (skip)
		put_hdr(r, tail, SKIP);          /* skip >= HDR: records are 8-aligned */
	r->pending = skip + need;
	return tail + skip;
}

void *ew_ring_reserve(struct ew_ring *r, size_t len)
{
	size_t at = room(r, len);

	if (at == SIZE_MAX)
		return NULL;
	put_hdr(r, at, (uint32_t)len);
	return r->buf + ((at + HDR) & r->mask);
}

void ew_ring_shrink(struct ew_ring *r, size_t len)
{
	size_t tail = r->ptail;
	uint32_t v;
	size_t skip;

	memcpy(&v, r->buf + (tail & r->mask), sizeof(v));
	skip = v == SKIP ? r->cap - (tail & r->mask) : 0;   /* reserve wrapped */
	put_hdr(r, tail + skip, (uint32_t)len);
	r->pending = skip + rec_size(len);
}

void ew_ring_commit(struct ew_ring *r)
{
	r->ptail += r->pending;
	r->pending = 0;
	if (r->ptail - published(r) >= r->batch)
		publish(r);
}

/* The record, its header first, in 8-byte non-temporal stores: the lines go to memory
 * without being read into the producer's cache first (a ring's line was last read by
 * the consumer's CPU) and without evicting what the producer works on. */
int ew_ring_put(struct ew_ring *r, const void *rec, size_t len)
{
	size_t at = room(r, len);

	if (at == SIZE_MAX)
		return -1;
#if defined(__x86_64__)
	long long *d = (long long *)(void *)(r->buf + (at & r->mask));   /* 8-aligned */
	const uint8_t *s = rec;
	long long w;
	size_t i = 0;

	__builtin_ia32_movnti64(d++, (long long)len);
	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		__builtin_ia32_movnti64(d++, w);
	}
	if (i < len) {
		w = 0;
		memcpy(&w, s + i, len - i);
		__builtin_ia32_movnti64(d, w);
	}
	r->streamed = 1;
#else
	put_hdr(r, at, (uint32_t)len);
	memcpy(r->buf + ((at + HDR) & r->mask), rec, len);
#endif
	ew_ring_commit(r);
	return 0;
}

const void *ew_ring_peek(struct ew_ring *r, size_t *len)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t v;

	if (head == r->tail_cache) {
		r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head == r->tail_cache)
			return NULL;
	}
	memcpy(&v, r->buf + (head & r->mask), sizeof(v));
	r->taking = 0;
	if (v == SKIP) {
		r->taking = r->cap - (head & r->mask);
		head += r->taking;
		memcpy(&v, r->buf + (head & r->mask), sizeof(v));
	}
	r->taking += rec_size(v);
	*len = v;
	return r->buf + ((head + HDR) & r->mask);
}

void ew_ring_release(struct ew_ring *r)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + r->taking, memory_order_release);
	r->taking = 0;
}

size_t ew_ring_used(const struct ew_ring *r)
{
	return atomic_load_explicit(&((struct ew_ring *)r)->tail, memory_order_relaxed) -
	       atomic_load_explicit(&((struct ew_ring *)r)->head, memory_order_relaxed);
}

size_t ew_ring_capacity(const struct ew_ring *r)
{
	return r->cap;
}
