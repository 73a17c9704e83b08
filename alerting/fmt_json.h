/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_json - an alert as one line of JSON with Elastic Common Schema field names.
 *
 * Fields are nested objects as ECS documents are ({"source":{"ip":...}}), which
 * Elasticsearch, OpenSearch and most SIEM pipelines map without work. */
#ifndef EW_FMT_JSON_H
#define EW_FMT_JSON_H

#include "alerting/alert.h"
#include "core/ew_buf.h"

/* Append the alert and a newline to b. Returns 0, or -1 if b overflowed. */
int ew_fmt_json(const struct ew_alert *a, struct ew_buf *b);

/* The parts alerts and flow records (fmt_flow.c) share, each one "key":{...}. */
struct ew_fmt_network {
	const struct ew_addr *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t flow;               /* a flow: type, application, direction, totals and
				     * the Community ID too */
	uint16_t vlan;              /* 0: none */
	const char *app;            /* nDPI's name ("TLS.Google"), or NULL */
	const char *app_ecs;        /* network.protocol ("tls"), NULL: "unknown" */
	const char *direction;      /* ew_alert_direction() */
	uint64_t bytes, pkts;       /* both directions */
};

void ew_fmt_json_network(struct ew_buf *b, const struct ew_fmt_network *n);
/* related.ip: x and y, each once (NULL: left out). */
void ew_fmt_json_related(struct ew_buf *b, const struct ew_addr *x, const struct ew_addr *y);
void ew_fmt_json_observer(struct ew_buf *b, const char *name, const char *type);

#endif
