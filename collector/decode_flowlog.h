/* SPDX-License-Identifier: Apache-2.0 */
/* decode_flowlog - cloud flow logs into flow records: AWS VPC Flow Logs (text lines),
 * Azure virtual network and NSG flow logs (JSON documents), GCP VPC Flow Logs (JSON
 * lines).
 *
 * AWS:
 *
 * A record is one line of space-separated fields. The default format is version 2's 14
 * fields (version account-id interface-id srcaddr dstaddr srcport dstport protocol
 * packets bytes start end action log-status); a file may begin with a header line
 * naming its fields (what S3 delivery writes, and what a custom format needs), in any
 * order, with the fields of versions 2 to 5 read: addresses, ports, protocol, packets,
 * bytes, start and end (Unix seconds), action (ACCEPT, REJECT), log-status (NODATA and
 * SKIPDATA records carry no flow), tcp-flags (the flags seen in the interval, OR-ed),
 * pkt-srcaddr and pkt-dstaddr (the packet's own addresses, behind a NAT gateway or for a
 * pod, used instead of srcaddr and dstaddr), flow-direction (ingress, egress) and
 * interface-id. Other fields are skipped; "-" is an absent value. A line that cannot be
 * read is counted and skipped, never fatal.
 *
 * Each record is one direction of a flow over an aggregation interval, as a NetFlow
 * record is: the pipeline pairs the two directions and orients the flow from the flags,
 * times and ports. The record's action goes with it (ew_record.cloud_action).
 *
 * Azure: a JSON document {"records": [...]}: virtual network flow logs (flowLogVersion
 * 4: records[].flowRecords.flows[].flowGroups[].flowTuples, "TIME_MS,SRC,DST,SPORT,DPORT,
 * PROTO,I|O,B|C|E|D,ENCRYPTION,PKTS_SD,BYTES_SD,PKTS_DS,BYTES_DS") and NSG flow logs
 * (version 2: records[].properties.flows[].flows[].flowTuples, "TIME_S,SRC,DST,SPORT,
 * DPORT,T|U,I|O,A|D,B|C|E,PKTS_SD,BYTES_SD,PKTS_DS,BYTES_DS"). A tuple is a connection,
 * source first, with both directions' counters (a biflow record); state D or decision D
 * is a denied flow (REJECTED), every other tuple ACCEPTED.
 *
 * GCP: VPC Flow Logs as exported log entries, one JSON object per line, the fields in
 * "jsonPayload" (or at the top, as BigQuery exports them): connection {src_ip, src_port,
 * dest_ip, dest_port, protocol}, bytes_sent, packets_sent (from src to dest), start_time,
 * end_time (RFC 3339). One direction per entry; both ends may report one flow (reporter
 * SRC and DEST), which throttling makes one alert. No action: GCP logs what got through. */
#ifndef EW_DECODE_FLOWLOG_H
#define EW_DECODE_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "collector/decode_ipfix.h"
#include "core/ew_err.h"

enum ew_flowlog_format { EW_FL_UNKNOWN = 0, EW_FL_AWS, EW_FL_AZURE, EW_FL_GCP };

/* Which format a file's first bytes (after gzip) are, or EW_FL_UNKNOWN. */
enum ew_flowlog_format ew_flowlog_detect(const char *head, size_t n);

struct ew_flowlog_stats {
	uint64_t lines, records, malformed, no_flow, header_lines, unknown_fields;
};

struct ew_flowlog;

struct ew_flowlog *ew_flowlog_new(enum ew_flowlog_format fmt);
void ew_flowlog_free(struct ew_flowlog *fl);

/* One line (without its line break) of a line format (AWS, GCP). Calls emit for a flow
 * record; returns EW_OK, or EW_E_MALFORMED for a line that was counted and skipped. */
int ew_flowlog_line(struct ew_flowlog *fl, const char *line, size_t len, ew_record_fn emit,
		    void *arg);

/* A whole document of a document format (Azure: {"records": [...]}, at most
 * EW_CONF_MAX_BYTES). Every readable tuple is emitted; a bad tuple or record is counted
 * (malformed) and skipped. Returns EW_OK, or EW_E_MALFORMED when the document itself
 * cannot be read (not JSON, no records). */
int ew_flowlog_document(struct ew_flowlog *fl, const char *text, size_t len,
			ew_record_fn emit, void *arg);

void ew_flowlog_stats(const struct ew_flowlog *fl, struct ew_flowlog_stats *out);

#endif
