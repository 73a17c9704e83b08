/* SPDX-License-Identifier: Apache-2.0 */
/* decode_sflow - sFlow v5 datagrams into packet samples and interface counters.
 *
 * Flow samples and expanded flow samples yield their sampled packet header (raw packet
 * header record), which the caller decodes like a mirrored packet, with the sampling
 * rate, interfaces and the extended switch record's VLANs. Counter samples (generic and
 * Ethernet interface counters) are handed over for metrics. Sequence numbers are checked
 * per agent and sub-agent to count lost datagrams and samples. Every count in the
 * datagram (samples, records, lengths) is checked against the bytes that are really
 * there, so a sample count of 2^32-1 costs no more than the datagram holds. */
#ifndef EW_DECODE_SFLOW_H
#define EW_DECODE_SFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/ew_addr.h"

/* One sampled packet. header points into the datagram (borrowed for the callback). */
struct ew_sflow_sample {
	struct ew_addr agent;
	uint32_t sub_agent;
	uint32_t source_id;       /* ifIndex (or other source) the sampler is attached to */
	uint32_t rate;            /* 1 in rate packets (0 in the datagram is reported as 1) */
	uint32_t pool, drops;
	uint32_t in_if, out_if;   /* ifIndex; 0 when unknown, discarded or several */
	uint8_t expanded;         /* from an expanded flow sample */
	uint8_t has_header;
	uint16_t src_vlan, dst_vlan;   /* extended switch data, 0 if absent */
	uint32_t header_protocol; /* 1 Ethernet, 11 IPv4, 12 IPv6, ... */
	uint32_t frame_len;       /* the packet's length on the wire */
	const uint8_t *header;    /* the sampled bytes */
	uint32_t header_len;
};

/* Generic (and, when present, Ethernet) interface counters of one counter sample. */
struct ew_sflow_counters {
	struct ew_addr agent;
	uint32_t sub_agent, source_id;
	uint32_t if_index;
	uint64_t if_speed_bps;    /* ifSpeed: bits per second */
	uint64_t in_octets, out_octets;
	uint32_t in_ucast, out_ucast, in_errors, out_errors, in_discards, out_discards;
	uint8_t has_generic, has_ethernet;
	uint32_t align_errors, fcs_errors;
};

struct ew_sflow_cb {
	void (*sample)(void *arg, const struct ew_sflow_sample *s);
	void (*counters)(void *arg, const struct ew_sflow_counters *c);
	/* every sample and record seen, by kind, for accounting and tests: kind is
	 * "S:<format>" for samples and "R:<format>" for records (enterprise << 12 | format) */
	void (*seen)(void *arg, char kind, uint32_t format);
	void *arg;
};

struct ew_sflow_stats {
	uint64_t datagrams, flow_samples, counter_samples, records, malformed;
	uint64_t seq_gaps, lost_datagrams, agents_evicted, rate_zero;
	uint32_t agents;
};

struct ew_sflow_session;

/* max_agents bounds the (agent, sub-agent) sequence table. NULL on failure. */
struct ew_sflow_session *ew_sflow_new(uint32_t max_agents);
void ew_sflow_free(struct ew_sflow_session *s);

/* The link type (EW_DLT_*) of a sampled header of header_protocol (1 Ethernet, 11 IPv4,
 * 12 IPv6), or -1 for the protocols the packet decoder does not take. */
int ew_sflow_header_dlt(uint32_t header_protocol);

/* Decode one datagram. Returns EW_OK, or a negative EW_E_* (what was decoded before the
 * fault has been delivered). */
int ew_sflow_decode(struct ew_sflow_session *s, const uint8_t *d, size_t len, uint64_t now_us,
		    const struct ew_sflow_cb *cb);

void ew_sflow_stats(const struct ew_sflow_session *s, struct ew_sflow_stats *out);

#endif
