/* SPDX-License-Identifier: Apache-2.0 */
/* detect_alert - see detect_alert.h. */
#include "daemon/detect_alert.h"
#include "alerting/alert_text.h"
#include "core/ew_buf.h"

#include <string.h>

static uint32_t group_names(const struct ew_policy *pol, uint32_t set, const char **out)
{
	return ew_policy_group_names(pol, set, out, EW_ALERT_MAX_GROUPS);
}

void ew_scan_alert(struct ew_alert *a, struct ew_alert_scan *sc, const struct ew_scan_report *r,
		   const struct ew_policy *pol, uint8_t severity, char *msg, size_t msgcap)
{
	static const char *const kind_names[] = { "horizontal", "vertical", "repeated" };
	struct ew_buf mb;
	const struct ew_addr *dst = &r->first_host;
	uint16_t dport = r->first_port;
	uint8_t proto = r->first_proto;

	memset(a, 0, sizeof(*a));
	memset(sc, 0, sizeof(*sc));
	for (int k = 0; k < 3; k++)
		if (r->kinds & (1u << k))
			sc->kinds[sc->nkinds++] = kind_names[k];
	sc->hosts = r->hosts;
	sc->services = r->targets;
	sc->max_ports = r->max_ports;
	sc->attempts = r->attempts;
	sc->probes = r->probes;
	sc->failed = r->failed;
	sc->denied = r->denied;
	sc->folded = r->folded;
	sc->duration_ms = (r->last_us - r->first_us) / 1000;
	sc->nports = r->nsample;
	memcpy(sc->ports, r->sample, sizeof(r->sample));
	for (uint32_t i = 0; i < r->nhosts && i < 16; i++) {
		sc->targets[i].ip = r->host[i].a;
		sc->targets[i].services = r->host[i].services;
		sc->targets[i].folded = r->host[i].folded;
	}
	sc->ntargets = r->nhosts;
	sc->repeated_host = r->attempts_host;
	sc->repeated_port = r->attempts_port;
	sc->vertical_host = r->max_ports_host;
	sc->duration_us = r->last_us - r->first_us;
	if (r->kinds & EW_SCAN_REPEATED) {
		dst = &r->attempts_host;
		dport = r->attempts_port;
		proto = 6;
	} else if (r->kinds & EW_SCAN_VERTICAL) {
		dst = &r->max_ports_host;
		dport = 0;
	}
	a->ts_us = r->last_us;
	a->action = "scan";
	a->rule = "scan";
	a->severity = severity;
	a->decided_by = "detector";
	a->src = r->src;
	a->dst = *dst;
	a->dport = dport;
	a->proto = proto;
	a->app = "Unknown";
	a->app_ecs = "unknown";
	a->app_source = EW_APP_NONE;
	a->flow_start_us = r->first_us;
	a->pkts[0] = r->probes;
	a->nsrc_groups = group_names(pol, ew_policy_set_of(pol, &r->src), a->src_groups);
	a->ndst_groups = group_names(pol, ew_policy_set_of(pol, dst), a->dst_groups);
	a->scan = sc;
	ew_buf_init(&mb, msg, msgcap);
	ew_alert_text_scan(&mb, a);
	a->message = msg;
}
