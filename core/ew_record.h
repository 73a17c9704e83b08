/* SPDX-License-Identifier: Apache-2.0 */
/* ew_record - the neutral telemetry record: what a flow-record source (IPFIX, NetFlow,
 * cloud flow logs) hands the pipeline, before the two directions of a flow are paired.
 * Sources fill what their format says and leave the rest zero (direction 0xff: absent). */
#ifndef EW_RECORD_H
#define EW_RECORD_H

#include <stdint.h>

#include "core/ew_flow.h"

/* One flow-telemetry record, as every record source fills it (IPFIX, NetFlow v9 and v5,
 * cloud flow logs). f holds what the record carried, oriented as exported:
 * f.src is the record's source; for an RFC 5103 biflow record pkts[1]/bytes[1] are the
 * reverse direction. Counters are already multiplied by the sampling rate (f.sampling). */
struct ew_record {
	struct ew_flow f;
	uint32_t domain;          /* observation domain / source id */
	uint16_t template_id;     /* set id; 0 for NetFlow v5 */
	uint8_t version;          /* NetFlow/IPFIX: 5, 9 or 10; 0 for other sources */
	uint8_t is_options;       /* options data record (f is not a flow) */
	uint8_t has_flow;         /* both addresses present: a flow record */
	uint8_t biflow;           /* reverse counters present (RFC 5103) */
	uint8_t end_reason;       /* IE 136, 0 if absent */
	uint8_t direction;        /* IE 61: 0 ingress, 1 egress, 0xff absent */
	uint8_t biflow_direction; /* IE 239, 0 if absent */
	uint8_t has_tcp_flags;
	uint8_t cloud_action;     /* flow logs: enum ew_outcome of the record, 0 otherwise */
	uint8_t icmp_untyped;     /* an ICMP record would carry no type and code (flow logs) */
	uint32_t in_if, out_if;
	uint32_t app_id;          /* IE 95 as sent (engine << 24 | selector), 0 if absent */
	const char *app_name;     /* from the exporter's options data, or NULL */
};

typedef void (*ew_record_fn)(void *arg, const struct ew_record *r);

#endif
