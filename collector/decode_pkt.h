/* SPDX-License-Identifier: Apache-2.0 */
/* decode_pkt - L2 to L4 headers of one captured frame -> struct ew_pkt.
 *
 * A pure function over bytes: no state, no allocation, every read bounds-checked, so it
 * serves live capture, capture files, sFlow's sampled headers, the tests and the fuzzer
 * alike. It walks Ethernet (802.1Q, QinQ, MPLS, PPPoE), Linux cooked v1/v2, BSD
 * loopback and raw IP; IPv4 (with fragments) and IPv6 (with extension headers); and
 * decapsulates VXLAN, Geneve (Ethernet or IP inside), GRE (with ERSPAN types I, II,
 * III) and IP-in-IP, because remote SPAN arrives that way and the inner flow is what
 * the policy judges. An IPv4 total length of 0 (segmentation offload seen on the sending
 * host) takes the captured length. A Geneve packet of another inner protocol is
 * EW_E_UNSUPPORTED, counted as such. */
#ifndef EW_DECODE_PKT_H
#define EW_DECODE_PKT_H

#include <stdint.h>

#include "core/ew_addr.h"
#include "core/ew_flow.h"

/* Link types, numbered as libpcap's DLT_* values. */
enum {
	EW_DLT_NULL = 0, EW_DLT_EN10MB = 1, EW_DLT_RAW = 12, EW_DLT_RAW_LT = 101,
	EW_DLT_LOOP = 108, EW_DLT_LINUX_SLL = 113, EW_DLT_IPV4 = 228, EW_DLT_IPV6 = 229,
	EW_DLT_LINUX_SLL2 = 276,
};

enum ew_pkt_kind {
	EW_PKT_FLOW = 0,      /* an IP packet with its L4 ports: belongs to a flow */
	EW_PKT_FRAG,          /* a non-first IP fragment: ports unknown, see frag_id */
	EW_PKT_INFRA,         /* ARP, ND/RS/RA, MLD, IGMP: infrastructure, never policy */
	EW_PKT_ICMP_ERROR,    /* ICMP error about another flow (unreachable, time exceeded) */
	EW_PKT_NOT_IP,        /* another L2 protocol (LLDP, STP, ...) */
};

/* Maximum nesting of tunnels and of VLAN/MPLS headers we follow. */
#define EW_PKT_MAX_ENCAP 4
#define EW_PKT_MAX_LABELS 8
#define EW_PKT_MAX_EXTHDR 8

struct ew_pkt {
	struct ew_flow_pkt k;  /* addresses, ports, protocol, flags, lengths */
	uint8_t kind;          /* enum ew_pkt_kind */
	uint8_t ipver;         /* 4 or 6 */
	uint8_t first_frag;    /* 1: first fragment of a fragmented datagram (has ports) */
	uint8_t encap;         /* tunnels removed */
	uint8_t len_from_capture;  /* an IPv4 total length of 0 (TSO/GSO on the capturing
				    * host) was taken from the captured bytes */
	uint8_t icmp_type, icmp_code;
	uint32_t frag_id;      /* IPv4 identification or IPv6 fragment identification */
	uint32_t l3_len;       /* bytes from l3 that are present (capture may cut them) */
	const uint8_t *l3;     /* innermost IP header (for nDPI) */
};

/* 1 if frames of link type dlt are decoded (the EW_DLT_* above), 0 otherwise. */
int ew_pkt_dlt_supported(int dlt);

/* Decode one frame of link type dlt. Returns EW_OK with p filled, or a negative
 * EW_E_TRUNC / EW_E_MALFORMED / EW_E_UNSUPPORTED (p->kind is then meaningless).
 * p borrows from data (p->l3). */
int ew_pkt_decode(struct ew_pkt *p, int dlt, const uint8_t *data, uint32_t caplen);

/* Whether ICMP (v4: proto 1, v6: proto 58) type t is a reply, and the request type
 * that pairs with it. Returns the request type, or -1 for a type that is not a reply. */
int ew_icmp_request_of(uint8_t proto, uint8_t t);

/* Whether an ICMP message of this type (or IGMP, proto 2) is infrastructure or an error
 * report rather than a flow of its own: neighbour and router discovery, MLD, IGMP,
 * ICMPv4 router discovery, unreachable/time-exceeded and the like. The packet decoder
 * classifies packets so; flow-export records are held to the same rule. */
int ew_icmp_not_a_flow(uint8_t proto, uint8_t type);

#endif
