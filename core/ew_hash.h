/* SPDX-License-Identifier: Apache-2.0 */
/* ew_hash - one seeded hash for every table keyed by untrusted input (exporters, flows,
 * throttle keys, scan sources, pairing windows, fragments, telemetry streams).
 *
 * The seed is drawn from getrandom() once per process, so that nobody who sends us
 * traffic can choose keys that land in one bucket: the addresses of a /16 of exporters
 * or a SYN flood spread like any others. EW_HASH_SEED (decimal or 0x hex) fixes it, for
 * reproducing a run. */
#ifndef EW_HASH_H
#define EW_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/ew_addr.h"

/* The process's seed (never 0). */
uint64_t ew_hash_seed(void);

/* A seeded hash of n bytes, chained through h (start with ew_hash_seed()). */
uint64_t ew_hash_bytes(uint64_t h, const void *p, size_t n);

/* A seeded hash of an address and a 64-bit word (a port, an id, a domain). */
static inline uint64_t ew_hash_addr(const struct ew_addr *a, uint64_t word)
{
	return ew_mix64(ew_addr_hash(a, ew_hash_seed()) ^ ew_mix64(word + 0x9e3779b97f4a7c15ULL));
}

#endif
