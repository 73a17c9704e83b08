/* SPDX-License-Identifier: Apache-2.0 */
/* ew_flow - the one normalized flow record.
 *
 * Every source produces these: the packet path builds them in the flow table, flow
 * telemetry decoders fill them from records. A flow is bidirectional with an initiator
 * (src, the client) and a responder (dst, the server); index 0 of the counters is the
 * initiator-to-responder direction. The record is kept compact (about 100 bytes) because
 * the flow table holds one per live flow. */
#ifndef EW_FLOW_H
#define EW_FLOW_H

#include <stdint.h>

#include "core/ew_addr.h"

/* Where the flow's application came from (SPEC §3 "app_source"). */
enum ew_app_source {
	EW_APP_NONE = 0,      /* nothing known */
	EW_APP_PORT,          /* nDPI's guess from ports (or addresses): not observed */
	EW_APP_DPI,           /* deep packet inspection of the flow's payload */
	EW_APP_EXPORTER,      /* the flow exporter's application element */
};

/* What the network itself did with a flow, when a source says so (cloud flow logs:
 * ACCEPT or REJECT by a security group or network ACL). */
enum ew_outcome { EW_OUTCOME_NONE = 0, EW_OUTCOME_ACCEPTED, EW_OUTCOME_REJECTED };

/* Why a flow record was closed. */
enum ew_flow_end {
	EW_END_NONE = 0, EW_END_IDLE, EW_END_ACTIVE, EW_END_FIN, EW_END_RST,
	EW_END_EVICTED, EW_END_SHUTDOWN,
};

/* TCP flags as on the wire. */
#define EW_TH_FIN 0x01
#define EW_TH_SYN 0x02
#define EW_TH_RST 0x04
#define EW_TH_PSH 0x08
#define EW_TH_ACK 0x10

/* Application id meaning "unknown" (nDPI's NDPI_PROTOCOL_UNKNOWN). */
#define EW_APP_UNKNOWN 0

struct ew_flow {
	struct ew_addr src, dst;   /* initiator, responder */
	uint16_t sport, dport;     /* for ICMP: type and code of the initiator's message */
	uint8_t proto;             /* IP protocol number */
	uint8_t app_source;        /* enum ew_app_source */
	uint8_t source_kind;       /* the kind of source that saw it (observer.type): a code
				    * of the source registry, collector/source.h */
	uint8_t end_reason;        /* enum ew_flow_end, set when the record closes */
	uint16_t app_master;       /* nDPI master protocol (TLS in TLS.Google), or 0 */
	uint16_t app_proto;        /* nDPI application protocol, or 0 */
	uint16_t vlan;             /* outermost 802.1Q id seen first, 0 if none */
	uint8_t tcp_flags[2];      /* union of TCP flags per direction */
	uint32_t pkts[2];          /* [0] initiator->responder, [1] responder->initiator */
	uint64_t bytes[2];         /* IP bytes per direction */
	uint64_t first_us, last_us;/* capture (or export) time of first and last packet */
	uint64_t risk;             /* nDPI flow risk bitmap (1 << ndpi_risk_enum) */
	uint32_t sampling;         /* 1 for every packet; N for 1-in-N sampled telemetry */
	uint16_t source_id;        /* index of the source (interface, file, exporter) */
	/* The responder port's applications (nDPI ids, 0 for none): nDPI's port guess and
	 * the protocols known to run on that port beside it (SMB on tcp/139), most specific
	 * first; filled by the classifier before the flow is judged. A deny rule's apps
	 * condition holds when one of these is in its list (SPEC §3). */
	uint16_t port_app[3];
	uint8_t outcome;           /* enum ew_outcome: what the network did (flow logs) */
};

/* The per-packet facts the flow table needs, filled by the packet decoder (and by
 * sFlow's sampled headers). Addresses and ports as on the wire: src sent the packet. */
struct ew_flow_pkt {
	struct ew_addr src, dst;
	uint16_t sport, dport;     /* ICMP: the request type and the code */
	uint16_t key_extra;        /* ICMP echo identifier, 0 otherwise */
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t icmp_reply;        /* 1: an ICMP reply (its sender is the responder) */
	uint8_t pad;
	uint16_t vlan;
	uint32_t weight;           /* packets this one stands for: 1, or the sampling rate */
	uint32_t ip_len;           /* bytes counted for the flow */
	uint32_t l4_payload;       /* L4 payload bytes */
};

/* Names for messages and alerts: "tcp", "ipv6-icmp", or the number in buf; "dpi",
 * "port", "exporter" or "none". */
const char *ew_transport_name(uint8_t proto, char buf[8]);
const char *ew_app_source_name(int s);
/* "idle", "fin", ... for an enum ew_flow_end ("none" for none or an unknown code). */
const char *ew_flow_end_name(int r);
/* The code a name stands for: kind "end" (enum ew_flow_end) or "app_source" (enum
 * ew_app_source); -1 if none. */
int ew_flow_code(const char *kind, const char *name);

#endif
