/* SPDX-License-Identifier: Apache-2.0 */
/* ew_cid - the Community ID v1 of a flow (ECS network.community_id): the flow hash Zeek,
 * Suricata and Wireshark write, so that an alert joins their records of the same flow.
 * Computed as the specification (corelight/community-id-spec, test vectors in
 * ../shared/corpus/community-id) defines it: SHA-1 over the seed, the endpoints in
 * order (the smaller address and port first; ICMP and ICMPv6 messages mapped to
 * pseudo-ports as Zeek does, one-way messages never reordered), the protocol and a zero
 * byte, then base64 after "1:". */
#ifndef EW_CID_H
#define EW_CID_H

#include <stddef.h>
#include <stdint.h>

#include "core/ew_addr.h"

#define EW_CID_LEN 30   /* "1:" + 28 base64 characters */

/* The id of the flow (src, sport) -> (dst, dport) of IP protocol proto into out (NUL
 * ended, EW_CID_LEN characters). For ICMP and ICMPv6, sport is the message type and
 * dport its code. Returns out. */
const char *ew_cid(const struct ew_addr *src, const struct ew_addr *dst, uint16_t sport,
		   uint16_t dport, uint8_t proto, uint16_t seed, char out[EW_CID_LEN + 1]);

/* SHA-1 of n bytes at p (FIPS 180-4), for the above and its test (core/ew_sha1.c): with
 * the CPU's SHA instructions where it has them; _portable never uses them (the test
 * compares the two). */
void ew_sha1(const void *p, size_t n, uint8_t out[20]);
void ew_sha1_portable(const void *p, size_t n, uint8_t out[20]);

#endif
