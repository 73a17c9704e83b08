/* SPDX-License-Identifier: Apache-2.0 */
/* frag - attributes later IP fragments to their flow.
 *
 * A later fragment carries no L4 header, so its ports are unknown. The first fragment's
 * ports are remembered under (source, destination, protocol, identification) in a
 * fixed-size, direct-mapped table; a later fragment that finds its entry becomes an
 * ordinary flow packet. Nothing is reassembled and nothing is allocated after _new: a
 * full or hostile fragment stream can only overwrite entries, which is counted. */
#ifndef EW_FRAG_H
#define EW_FRAG_H

#include <stdint.h>

#include "collector/decode_pkt.h"

struct ew_frag;

struct ew_frag_stats {
	uint64_t first, matched, unmatched, overwritten;
};

/* slots is rounded up to a power of two; ttl_us is how long a first fragment's ports
 * are remembered. Returns NULL on allocation failure. */
struct ew_frag *ew_frag_new(uint32_t slots, uint64_t ttl_us);
void ew_frag_free(struct ew_frag *f);

/* Feed a decoded packet. A first fragment is remembered. A later fragment (kind
 * EW_PKT_FRAG) gets its ports and kind EW_PKT_FLOW when its first fragment was seen;
 * returns 1 then, 0 when it stays unattributed. Other packets: returns 0, untouched. */
int ew_frag_track(struct ew_frag *f, struct ew_pkt *p, uint64_t now_us);

void ew_frag_stats(const struct ew_frag *f, struct ew_frag_stats *out);

#endif
