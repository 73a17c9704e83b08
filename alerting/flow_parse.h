/* SPDX-License-Identifier: Apache-2.0 */
/* flow_parse - a flow record's JSON (fmt_flow's output, as sensors put it on Kafka's
 * flows topic) back into a flow record with its verdict, groups and evidence, for the
 * tier below the sensors (`eastwatch analyze`, `eastwatch learn --kafka`).
 *
 * Read with ew_json's bounded reader: no allocation, everything kept in the parsed
 * record. The fields a sensor always writes are required (event.action "flow",
 * event.start, event.end, source.ip, destination.ip, network.iana_number,
 * eastwatch.verdict); a message without them, or with a value out of its range, is
 * refused, not guessed. Application names stay names: the caller maps them to its
 * classifier's ids. */
#ifndef EW_FLOW_PARSE_H
#define EW_FLOW_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "alerting/alert.h"
#include "core/ew_err.h"
#include "core/ew_flow.h"

enum ew_flow_verdict { EW_FV_NONE = 0, EW_FV_ALLOW, EW_FV_DENY };

struct ew_flow_parsed {
	struct ew_flow f;          /* addresses, ports, protocol, counters, times, TCP flags,
				    * VLAN, risk, app_source, end_reason (app ids left 0) */
	uint8_t verdict;           /* enum ew_flow_verdict */
	char app[64];              /* eastwatch.app: "TLS.Google", "Unknown" */
	char port_app[64];         /* eastwatch.port_app */
	char observer[128];        /* observer.name: the sensor */
	char observer_type[16];    /* observer.type: the source kind */
	char rule[128];            /* rule.name, "" if none */
	uint32_t nsrc_groups, ndst_groups;
	const char *src_groups[EW_ALERT_MAX_GROUPS];   /* into arena */
	const char *dst_groups[EW_ALERT_MAX_GROUPS];
	char arena[2048];
	size_t used;
	unsigned seen;             /* required fields seen (flow_parse.c) */
	char scratch[1024];
};

/* Parse json[0..len). EW_OK, or EW_E_MALFORMED with err filled ("source.ip: not an
 * address"). */
int ew_flow_parse(struct ew_flow_parsed *p, const char *json, size_t len, struct ew_err *err);

#endif
