/* SPDX-License-Identifier: Apache-2.0 */
/* decode_pcapng - pcapng blocks -> packets, for the files libpcap 1.10 refuses.
 *
 * libpcap 1.10 stops reading a pcapng file at the first interface whose link type or
 * snapshot length differs from the first interface's ("an interface has a snapshot
 * length ... different from ..."): captures merged from several hosts or taken on
 * several interfaces at once (dumpcap -i a -i b) are like that. The capture source
 * falls back to this reader for them. It walks the section header (either byte order),
 * interface descriptions (link type, snapshot length, timestamp resolution), enhanced,
 * simple and obsolete packet blocks, each packet carrying its own interface's link
 * type; every other block is skipped. A pure function over one block's bytes, so the
 * fuzzer needs no file. */
#ifndef EW_DECODE_PCAPNG_H
#define EW_DECODE_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define EW_PCAPNG_MAX_IFACES 256

struct ew_pcapng_iface {
	uint16_t linktype;
	uint8_t tsresol;      /* if_tsresol: 10^-n s, or 2^-(n & 0x7f) s with the top bit */
	uint32_t snaplen;
};

struct ew_pcapng {
	int swap;                        /* the section is in the other byte order */
	int in_section;
	uint32_t nifaces;
	struct ew_pcapng_iface iface[EW_PCAPNG_MAX_IFACES];
	uint64_t skipped;                /* blocks of other types, and interfaces past the cap */
};

struct ew_pcapng_pkt {
	uint64_t ts_us;
	uint32_t caplen, len;
	int dlt;
	const uint8_t *data;             /* borrowed from the block */
};

/* The length of the block starting at hdr (its first 8 bytes: type and length, read in
 * the current section's byte order, or a section header's own); 0 when it is malformed
 * (shorter than 12, not a multiple of 4, or a section header with a bad magic). */
uint32_t ew_pcapng_block_len(struct ew_pcapng *r, const uint8_t hdr[12]);

/* One whole block (len bytes, len from ew_pcapng_block_len). Returns 1 with *out filled
 * for a packet, 0 for a block that is not one (headers, statistics, names, ...), or
 * EW_E_MALFORMED / EW_E_UNSUPPORTED (a packet of an interface never described). */
int ew_pcapng_block(struct ew_pcapng *r, const uint8_t *blk, uint32_t len,
		    struct ew_pcapng_pkt *out);

#endif
