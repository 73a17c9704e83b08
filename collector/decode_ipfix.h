/* SPDX-License-Identifier: Apache-2.0 */
/* decode_ipfix - IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) messages, and NetFlow v5
 * datagrams, into flow records.
 *
 * One template engine serves IPFIX and v9. Templates are kept per stream: exporter
 * address and port (the transport session), observation domain (v9: source id) and
 * template id. Template and options-template sets, withdrawal (one id or all),
 * redefinition, a lifetime for templates over UDP, variable-length fields, enterprise
 * elements (skipped by length, RFC 5103 reverse elements read), reduced-size encoding and
 * padding are handled. Options data sets feed per-stream state: sampling rates (IEs 34,
 * 305/306, 309/310, v9 sampler options 48-50; 35, the algorithm, changes nothing),
 * application names (IE 95 -> 96) and the
 * exporter's system init time (IE 160). Data sets that arrive before their template are
 * counted and dropped.
 *
 * Everything is bounded (streams, templates per stream and in all, fields per template,
 * sampler and application-name entries): hostile input can fill a table, which is
 * counted, but never grow one. A full table is shared fairly, so that a flood of
 * spoofed exporters cannot lock out a real one: a new template takes the least recently
 * used template of whichever stream holds the most, and a new stream the place of one
 * that has not given a data record lately. Decoding allocates only when a template is
 * defined. */
#ifndef EW_DECODE_IPFIX_H
#define EW_DECODE_IPFIX_H

#include <stddef.h>
#include <stdint.h>

#include "core/ew_addr.h"
#include "core/ew_flow.h"
#include "core/ew_record.h"

/* The exporter's transport session: where the datagram came from. */
struct ew_exporter_key {
	struct ew_addr addr;
	uint16_t port;
};

struct ew_ipfix_conf {
	uint32_t max_streams;           /* exporter sessions x domains (default 4096) */
	uint32_t max_templates;         /* in all (default 65536) */
	uint32_t max_templates_per_stream;   /* (default 1024) */
	uint32_t max_fields;            /* per template (default 256) */
	uint64_t template_lifetime_us;  /* a template not refreshed for this long is
					 * forgotten (default 30 min; 0: never) */
};

void ew_ipfix_conf_default(struct ew_ipfix_conf *c);

/* Per-stream health and the collector's totals (ew_ipfix_stats). */
struct ew_ipfix_stats {
	uint64_t messages, records, option_records, templates, option_templates;
	uint64_t withdrawals, sets_without_template, malformed, seq_gaps, lost;
	uint64_t streams_evicted, templates_refused, bad_fields, sampling_zero;
	uint64_t templates_evicted, templates_expired;
	uint32_t streams, live_templates;
};

struct ew_ipfix_session;

struct ew_ipfix_session *ew_ipfix_new(const struct ew_ipfix_conf *c);
void ew_ipfix_free(struct ew_ipfix_session *s);

/* Decode one datagram (an IPFIX message, a v9 or v5 packet: dispatched on the version
 * field) from exporter ex, received at now_us. Calls emit for every data record.
 * Returns EW_OK, or a negative EW_E_* for a message that was (partly) unusable; records
 * decoded before the fault have been emitted. */
int ew_ipfix_decode(struct ew_ipfix_session *s, const struct ew_exporter_key *ex,
		    const uint8_t *msg, size_t len, uint64_t now_us, ew_record_fn emit,
		    void *arg);

void ew_ipfix_stats(const struct ew_ipfix_session *s, struct ew_ipfix_stats *out);

/* Called for every template and options template defined or redefined (for logging
 * and tests). */
typedef void (*ew_ipfix_template_fn)(void *arg, uint32_t domain, uint16_t id, int options);
void ew_ipfix_on_template(struct ew_ipfix_session *s, ew_ipfix_template_fn fn, void *arg);

/* Called when state of exporter ex is evicted to make room for another's: n templates
 * (what: EW_IPFIX_EVICT_TEMPLATE), or a whole stream with its n templates
 * (EW_IPFIX_EVICT_STREAM). */
enum { EW_IPFIX_EVICT_TEMPLATE = 1, EW_IPFIX_EVICT_STREAM = 2 };
typedef void (*ew_ipfix_evict_fn)(void *arg, const struct ew_exporter_key *ex, int what,
				  uint32_t n);
void ew_ipfix_on_evict(struct ew_ipfix_session *s, ew_ipfix_evict_fn fn, void *arg);

/* Forget every template not refreshed within the template lifetime (data sets check
 * this too; this sweep frees the places of exporters that went away). Call about once a
 * second; returns how many were forgotten. */
uint32_t ew_ipfix_expire(struct ew_ipfix_session *s, uint64_t now);

/* Template ids currently defined for (ex, domain), sorted, into ids[0..max); returns
 * how many there are (for tests and diagnostics). */
uint32_t ew_ipfix_templates(const struct ew_ipfix_session *s, const struct ew_exporter_key *ex,
			    uint32_t domain, uint16_t *ids, uint32_t max);

#endif
