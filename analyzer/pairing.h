/* SPDX-License-Identifier: Apache-2.0 */
/* pairing - unidirectional flow-export records into bidirectional flows with an initiator.
 *
 * NetFlow and most IPFIX exporters report each direction of a connection as its own
 * record. A record waits here (at most window, in a bounded table) for the record of the
 * other direction; the pair becomes one flow whose initiator is the side that started
 * first (flowStart), then the side whose TCP flags show a SYN without ACK, then the side
 * on the ephemeral port. A record that finds no partner in time is oriented on its own by
 * the same flags and port rules, so a web server's replies are never read as the server
 * opening connections to its clients' ephemeral ports. RFC 5103 biflow records need no
 * partner; their source is the initiator only when the exporter says so (biflowDirection),
 * otherwise they are oriented by the same flag and port rules (softflowd, for one, puts
 * either end first). */
#ifndef EW_PAIRING_H
#define EW_PAIRING_H

#include <stdint.h>

#include "core/ew_flow.h"

struct ew_pairing;

/* Receives every bidirectional flow (initiator in src). */
typedef void (*ew_pair_fn)(void *arg, const struct ew_flow *f);

struct ew_pairing_stats {
	uint64_t paired, alone, biflows, evicted;
	uint32_t waiting, capacity;
};

/* max: records waiting at once; window_us: how long one waits for its partner. */
struct ew_pairing *ew_pairing_new(uint32_t max, uint64_t window_us, ew_pair_fn out, void *arg);
void ew_pairing_free(struct ew_pairing *p);   /* waiting records are dropped */

/* How a record covers its flow. */
enum ew_pair_kind {
	EW_PAIR_ONE_WAY,        /* one direction: wait for the other */
	EW_PAIR_BIFLOW,         /* both directions, ends in either order */
	EW_PAIR_BIFLOW_SRC,     /* both directions, f->src is the initiator */
	EW_PAIR_BIFLOW_DST,     /* both directions, f->dst is the initiator */
};

/* A record as exported (f->src sent f->pkts[0]; a biflow's reverse direction is in
 * pkts[1]/bytes[1]); has_flags: tcp_flags[0] is meaningful. */
void ew_pairing_add(struct ew_pairing *p, const struct ew_flow *f, enum ew_pair_kind kind,
		    int has_flags, uint64_t now_us);
/* Orient and hand on the records that waited window_us. */
void ew_pairing_expire(struct ew_pairing *p, uint64_t now_us);
/* When the oldest waiting record's window ends (UINT64_MAX when none waits). */
uint64_t ew_pairing_next_due(const struct ew_pairing *p);
/* Hand on every waiting record (shutdown). */
void ew_pairing_flush(struct ew_pairing *p);

void ew_pairing_stats(const struct ew_pairing *p, struct ew_pairing_stats *out);

#endif
