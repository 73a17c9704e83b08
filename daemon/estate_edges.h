/* SPDX-License-Identifier: Apache-2.0 */
/* estate_edges - the new-edge baseline of the whole estate, in Redis, for `eastwatch
 * analyze`: every analyzer of a group asks the same store, so an edge is new once
 * estate-wide, whichever analyzer sees it first, and the baseline outlives any of them.
 *
 * An edge (source groups, destination groups, protocol, port; named as edges.h names
 * them) is a field of the hash PREFIX:edges whose value is "FIRST_SEEN_US TAG": TAG
 * names the flow that first saw it (the flows topic's partition and offset). HSETNX
 * makes the first asker the only one that reports it; a flow asking again with the same
 * TAG is that flow read again after an analyzer died before committing it, and reports
 * it again (the alert has the same event.id, so receivers drop the duplicate) rather
 * than lose it. The learning period starts at the first edge any analyzer records
 * (PREFIX:learn_start, SET NX) and is the same for all. Edges known here are cached, so
 * a known edge costs no round trip; at most max edges are recorded in Redis (HLEN),
 * past that new ones are counted as "full", neither recorded nor reported. */
#ifndef EW_ESTATE_EDGES_H
#define EW_ESTATE_EDGES_H

#include <stdint.h>

#include "analyzer/edges.h"
#include "core/ew_err.h"

struct ew_estate_edges;

/* Connect to the Redis at addr ("HOST:PORT"). NULL with err when it is not reachable. */
struct ew_estate_edges *ew_estate_edges_open(const char *addr, const char *prefix,
					     uint64_t learn_us, uint32_t max, struct ew_err *err);
/* The edge seen at now_us by the flow tag: 1 to report it (new and the learning period
 * is over, or tag first saw it), 0 not (known, learning, full), EW_E_IO when Redis did
 * not answer (nothing decided: ask again; logged). */
int ew_estate_edges_seen(struct ew_estate_edges *e, const char *src, const char *dst,
			 uint8_t proto, uint16_t port, uint64_t now_us, const char *tag);
/* edges: cached here; learned, reported, full: this analyzer's counts. */
void ew_estate_edges_stats(const struct ew_estate_edges *e, struct ew_edges_stats *out);
void ew_estate_edges_free(struct ew_estate_edges *e);   /* accepts NULL */

#endif
