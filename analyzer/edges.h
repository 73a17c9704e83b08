/* SPDX-License-Identifier: Apache-2.0 */
/* edges - the baseline of the new-edge detector: which (source groups, destination
 * groups, service) triples have been seen, kept across restarts.
 *
 * An edge is named by its two ends' group names (sorted, joined by ',', "-" for an
 * address in no group) and the service (protocol, responder port). The store begins
 * learning when it is created; for the learning period every edge is recorded quietly,
 * after it an edge not seen before is new (reported once, then recorded). The file is
 * text: a header line "eastwatch-edges 1 LEARN_START_US", then one edge per line
 * "SRC\tDST\tPROTO\tPORT\tFIRST_SEEN_US". It is opened once (before the daemon drops
 * root) and rewritten in place by ew_edges_save; a torn last line is ignored on load.
 * At most max edges are kept; past that, new ones are neither recorded nor reported
 * (counted). */
#ifndef EW_EDGES_H
#define EW_EDGES_H

#include <stdint.h>

#include "analyzer/policy.h"
#include "core/ew_err.h"

struct ew_edges;

/* Open or create path (now_us is unused: a new store starts at its first edge). */
struct ew_edges *ew_edges_open(const char *path, uint64_t learn_us, uint32_t max,
			       uint64_t now_us, struct ew_err *err);
/* An edge seen at now_us: 1 if it is new and the learning period is over (report it), 0
 * otherwise (known, learning, or the store is full). */
int ew_edges_seen(struct ew_edges *e, const char *src, const char *dst, uint8_t proto,
		  uint16_t port, uint64_t now_us);
/* An edge's end: the names of set's groups (at most max into names, sorted) joined by
 * ',' into out ("-" for none). Returns how many names. */
uint32_t ew_edges_end(const struct ew_policy *pol, uint32_t set, char *out, size_t cap,
		      const char **names, uint32_t max);
/* Write the store out if anything changed. EW_OK or EW_E_IO. */
int ew_edges_save(struct ew_edges *e);

struct ew_edges_stats {
	uint64_t edges, learned, reported, full;
	uint64_t learn_start_us, learn_until_us;
};
void ew_edges_stats(const struct ew_edges *e, struct ew_edges_stats *out);
void ew_edges_free(struct ew_edges *e);   /* saves; accepts NULL */

#endif
