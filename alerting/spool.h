/* SPDX-License-Identifier: Apache-2.0 */
/* spool - the on-disk queue a sink falls back on when its receiver is down or slow.
 *
 * One append-only file per sink (DIR/NAME.spool) of records [magic, length, CRC-32,
 * payload], and a position file (DIR/NAME.pos) saying how far delivery got. Records are
 * read from the position without being consumed; ew_spool_commit moves the position once
 * they are delivered, so a crash between the two delivers twice, never zero times. The
 * file is truncated when everything in it has been delivered and compacted when most of
 * it has. Opening replays what a previous process left: a torn last record (a crash in
 * the middle of a write) is cut off, a record whose CRC fails is skipped and counted.
 * Data is written at once and made durable by ew_spool_sync, which the delivery thread
 * calls at most every 500 ms. Files are opened relative to the directory (opened once)
 * and never through a symbolic link; only regular files are used. Not thread-safe: the
 * delivery queue holds its lock. */
#ifndef EW_SPOOL_H
#define EW_SPOOL_H

#include <stdint.h>
#include <sys/types.h>

#include "core/ew_err.h"

#define EW_SPOOL_MAX_RECORD (1u << 20)

struct ew_spool;

struct ew_spool_stats {
	uint64_t records;      /* waiting to be delivered */
	uint64_t bytes;        /* file size */
	uint64_t appended, corrupt;
};

/* Create DIR if needed and open (or recover) NAME's spool. max_bytes bounds the file. */
int ew_spool_open(struct ew_spool **out, const char *dir, const char *name, uint64_t max_bytes,
		  struct ew_err *err);
void ew_spool_close(struct ew_spool *s);   /* syncs; accepts NULL */

/* EW_OK, EW_E_FULL when the bound would be exceeded, EW_E_IO on a write error. */
int ew_spool_append(struct ew_spool *s, const void *p, uint32_t len);

/* Read the record at *cursor (0 means the delivery position) into buf. Returns its
 * length and advances *cursor; 0 at the end; -1 if cap is too small (cannot happen for
 * cap >= EW_SPOOL_MAX_RECORD). Corrupt records are skipped. */
int64_t ew_spool_read(struct ew_spool *s, uint64_t *cursor, void *buf, uint32_t cap);
/* Everything before cursor is delivered; nrec records were read up to it. */
int ew_spool_commit(struct ew_spool *s, uint64_t cursor, uint64_t nrec);

/* Give up on everything not yet delivered (unreadable records): counted as corrupt. */
void ew_spool_discard(struct ew_spool *s);
int ew_spool_sync(struct ew_spool *s);
/* The same in two halves, so that the slow part runs without the caller's lock: writes
 * the position and returns a descriptor of the data (-1 when nothing is new) for the
 * caller to fdatasync and close. */
int ew_spool_sync_start(struct ew_spool *s);
void ew_spool_stats(const struct ew_spool *s, struct ew_spool_stats *out);
const char *ew_spool_path(const struct ew_spool *s);

/* CRC-32 (IEEE 802.3), as zlib computes it. */
uint32_t ew_crc32(uint32_t crc, const void *p, size_t n);

#endif
