/* SPDX-License-Identifier: Apache-2.0 */
/* alert_parse - see alert_parse.h. */
#include "alerting/alert_parse.h"
#include "core/ew_conf.h"
#include "core/ew_flow.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *str(struct ew_conf_node root, const char *k, int *missing)
{
	struct ew_conf_node n = ew_conf_path(root, k);

	if (!ew_conf_present(n) || ew_conf_type(n) != EW_CONF_SCALAR) {
		(*missing)++;
		return "";
	}
	return ew_conf_str(n);
}

static uint64_t num(struct ew_conf_node root, const char *k)
{
	struct ew_conf_node n = ew_conf_path(root, k);

	return ew_conf_present(n) ? strtoull(ew_conf_str(n), NULL, 10) : 0;
}

static uint32_t list(struct ew_conf_node root, const char *k, const char **out, uint32_t max)
{
	struct ew_conf_node n = ew_conf_path(root, k);
	uint32_t c = 0;

	if (ew_conf_type(n) != EW_CONF_SEQ)
		return 0;
	for (size_t i = 0; i < ew_conf_len(n) && c < max; i++)
		out[c++] = ew_conf_str(ew_conf_at(n, i));
	return c;
}

static uint8_t proto_num(const char *t, uint64_t iana)
{
	if (strcmp(t, "tcp") == 0) return 6;
	if (strcmp(t, "udp") == 0) return 17;
	if (strcmp(t, "icmp") == 0) return 1;
	if (strcmp(t, "ipv6-icmp") == 0) return 58;
	return (uint8_t)iana;
}

int ew_alert_parse(struct ew_alert_parsed *p, const char *json, size_t len, struct ew_err *err)
{
	struct ew_conf_node r;
	struct ew_alert *a = &p->a;
	const char *s;
	int missing = 0, sev;
	int64_t ts;

	memset(p, 0, sizeof(*p));
	if (ew_conf_load_mem(&p->doc, "alert", json, len, err) != EW_OK)
		return EW_E_MALFORMED;
	r = ew_conf_root(p->doc);
	if (ew_conf_type(r) != EW_CONF_MAP) {
		ew_err_set(err, "alert: not a JSON object");
		return EW_E_MALFORMED;
	}
	ts = ew_time_parse_rfc3339(str(r, "@timestamp", &missing));
	a->action = str(r, "event.action", &missing);
	a->rule = str(r, "rule.name", &missing);
	a->message = str(r, "message", &missing);
	sev = ew_severity_parse(str(r, "eastwatch.severity", &missing));
	if (missing || ts < 0 || sev < 0) {
		ew_err_set(err, "alert: not an eastwatch alert (@timestamp, event.action, rule.name, "
			   "message or eastwatch.severity missing or bad)");
		return EW_E_MALFORMED;
	}
	a->ts_us = (uint64_t)ts;
	a->severity = (uint8_t)sev;
	{
		int absent = 0;

		s = str(r, "event.outcome", &absent);
		a->outcome = strcmp(s, "failure") == 0 ? EW_OUTCOME_REJECTED :
			     strcmp(s, "success") == 0 ? EW_OUTCOME_ACCEPTED : EW_OUTCOME_NONE;
	}
	{
		/* an alert about eastwatch itself carries only what applies to it */
		struct ew_conf_node self = ew_conf_path(r, "eastwatch.self");
		int absent = 0, *opt;

		a->self = ew_conf_present(self) && strcmp(ew_conf_str(self), "true") == 0;
		opt = a->self ? &absent : &missing;
		s = str(r, "source.ip", opt);
		if (*s && ew_addr_parse(&a->src, s) != 0)
			missing++;
		s = str(r, "destination.ip", opt);
		if (*s && ew_addr_parse(&a->dst, s) != 0)
			missing++;
		a->proto = proto_num(str(r, "network.transport", opt), num(r, "network.iana_number"));
		a->app_ecs = str(r, "network.protocol", opt);
	}
	a->sport = (uint16_t)num(r, "source.port");
	a->dport = (uint16_t)num(r, "destination.port");
	a->pkts[0] = num(r, "source.packets");
	a->bytes[0] = num(r, "source.bytes");
	a->pkts[1] = num(r, "destination.packets");
	a->bytes[1] = num(r, "destination.bytes");
	a->vlan = (uint16_t)num(r, "network.vlan.id");
	a->observer_name = str(r, "observer.name", &missing);
	a->observer_type = str(r, "observer.type", &missing);
	s = str(r, "eastwatch.app_source", &missing);
	a->app_source = strcmp(s, "dpi") == 0 ? EW_APP_DPI : strcmp(s, "exporter") == 0 ?
			EW_APP_EXPORTER : strcmp(s, "port") == 0 ? EW_APP_PORT : EW_APP_NONE;
	a->app = str(r, "eastwatch.app", &missing);
	a->port_app = str(r, "eastwatch.port_app", &missing);
	a->nsrc_groups = list(r, "eastwatch.source_groups", a->src_groups, EW_ALERT_MAX_GROUPS);
	a->ndst_groups = list(r, "eastwatch.destination_groups", a->dst_groups,
			      EW_ALERT_MAX_GROUPS);
	a->nrisks = list(r, "eastwatch.risks", a->risks, EW_ALERT_MAX_RISKS);
	a->nnotify = list(r, "eastwatch.notify", p->notify, EW_ALERT_MAX_NOTIFY);
	a->notify = p->notify;
	a->nsensors = list(r, "eastwatch.sensors", p->sensors, EW_ALERT_MAX_NOTIFY);
	a->sensors = p->sensors;
	a->repeats = num(r, "eastwatch.repeats");
	a->alert_id = strtoull(str(r, "eastwatch.alert_id", &missing), NULL, 16);
	a->decided_by = str(r, "eastwatch.decided_by", &missing);
	s = ew_conf_path(r, "eastwatch.rule_file").n ?
	    ew_conf_str(ew_conf_path(r, "eastwatch.rule_file")) : NULL;
	if (s && *s) {
		const char *colon = strrchr(s, ':');

		snprintf(p->rule_file, sizeof(p->rule_file), "%.*s",
			 (int)(colon ? (size_t)(colon - s) : strlen(s)), s);
		a->rule_file = p->rule_file;
		a->rule_line = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
	}
	if (ew_conf_type(ew_conf_path(r, "eastwatch.scan")) == EW_CONF_MAP) {
		struct ew_alert_scan *sc = &p->scan;
		struct ew_conf_node ports = ew_conf_path(r, "eastwatch.scan.ports");

		sc->nkinds = list(r, "eastwatch.scan.kind", sc->kinds, 3);
		sc->hosts = (uint32_t)num(r, "eastwatch.scan.hosts");
		sc->services = (uint32_t)num(r, "eastwatch.scan.services");
		sc->max_ports = (uint32_t)num(r, "eastwatch.scan.max_ports_per_host");
		sc->attempts = (uint32_t)num(r, "eastwatch.scan.attempts");
		sc->probes = (uint32_t)num(r, "eastwatch.scan.probes");
		sc->failed = (uint32_t)num(r, "eastwatch.scan.failed");
		sc->denied = (uint32_t)num(r, "eastwatch.scan.denied");
		sc->folded = (uint32_t)num(r, "eastwatch.scan.folded");
		sc->duration_ms = num(r, "eastwatch.scan.duration_ms");
		for (size_t i = 0; ew_conf_type(ports) == EW_CONF_SEQ && i < ew_conf_len(ports) &&
				   sc->nports < 16; i++)
			sc->ports[sc->nports++] =
				(uint16_t)strtoul(ew_conf_str(ew_conf_at(ports, i)), NULL, 10);
		ports = ew_conf_path(r, "eastwatch.scan.targets");
		for (size_t i = 0; ew_conf_type(ports) == EW_CONF_SEQ && i < ew_conf_len(ports) &&
				   sc->ntargets < 16; i++) {
			struct ew_conf_node t = ew_conf_at(ports, i);
			int bad = 0;

			if (ew_addr_parse(&sc->targets[sc->ntargets].ip, str(t, "ip", &bad)) != 0)
				continue;
			sc->targets[sc->ntargets].services = (uint32_t)num(t, "services");
			sc->targets[sc->ntargets++].folded = (uint32_t)num(t, "folded");
		}
		a->scan = sc;
	}
	ts = ew_time_parse_rfc3339(str(r, "eastwatch.flow_start", &missing));
	a->flow_start_us = ts > 0 ? (uint64_t)ts : 0;
	/* optional fields counted as missing above are tolerated; only the core ones refuse */
	return EW_OK;
}

void ew_alert_parsed_free(struct ew_alert_parsed *p)
{
	ew_conf_free(p->doc);
	p->doc = NULL;
}
