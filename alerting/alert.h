/* SPDX-License-Identifier: Apache-2.0 */
/* alert - the alert record handed to formatters, the throttle and sinks.
 *
 * Fields follow SPEC §4. Every pointer is borrowed for the duration of one call: a sink
 * that keeps an alert formats or copies it. */
#ifndef EW_ALERT_H
#define EW_ALERT_H

#include <stdint.h>

#include "core/ew_addr.h"
#include "core/ew_flow.h"

#define EW_ALERT_MAX_GROUPS 32
#define EW_ALERT_MAX_RISKS 16

/* The counts of a scan alert (eastwatch.scan). */
struct ew_alert_scan {
	const char *kinds[3];           /* "horizontal", "vertical", "repeated" */
	uint32_t nkinds;
	uint32_t hosts;                 /* distinct hosts probed */
	uint32_t services;              /* distinct (host, service) probed */
	uint32_t max_ports;             /* most services probed on one host */
	uint32_t attempts;              /* most connections to one watched service */
	uint32_t probes, failed, denied;
	uint32_t folded;                /* policy alerts folded into this one */
	uint64_t duration_ms;
	uint16_t ports[16];             /* the first distinct ports probed */
	uint32_t nports;
	struct {                        /* the first hosts probed: services probed on each, */
		struct ew_addr ip;      /* policy alerts about it folded into this one */
		uint32_t services, folded;
	} targets[16];
	uint32_t ntargets;
	/* for the sentence (alert_text.c): where the repeated connections went, the host
	 * with the most ports, and the window's length to the microsecond */
	struct ew_addr repeated_host, vertical_host;
	uint16_t repeated_port;
	uint64_t duration_us;
};

struct ew_alert {
	uint64_t ts_us;                 /* when the violation was seen */
	const char *action;             /* event.action: "policy-violation", ... */
	uint8_t severity;               /* enum ew_severity */
	const char *rule;               /* rule.name */
	const char *rule_file;          /* where the deciding rule is, or NULL */
	unsigned rule_line;
	const char *decided_by;         /* "deny-rule", "default", ... */
	const char *message;            /* one sentence for people */
	struct ew_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t app_source;             /* enum ew_app_source */
	const char *app;                /* nDPI name of the application ("TLS.Google") */
	const char *app_ecs;            /* network.protocol: lower case ("tls"), "unknown" */
	const char *port_app;           /* eastwatch.port_app: nDPI's name for the responder's
					 * port ("LDAP"), or NULL (written "unknown") */
	const char *src_groups[EW_ALERT_MAX_GROUPS];
	const char *dst_groups[EW_ALERT_MAX_GROUPS];
	uint32_t nsrc_groups, ndst_groups;
	const char *risks[EW_ALERT_MAX_RISKS];
	uint32_t nrisks;
	const char *observer_name;
	const char *observer_type;      /* the kind of source: "pcap", "ipfix", "flowlog", ...
					 * (NULL: written "unknown") */
	uint8_t outcome;                /* enum ew_outcome: event.outcome "failure" when the
					 * network rejected it (a flow log's REJECT), "success"
					 * when it let it through (ACCEPT); absent otherwise */
	uint16_t vlan;
	uint64_t flow_start_us;
	uint64_t pkts[2], bytes[2];     /* so far: initiator->responder, back */
	uint64_t repeats;               /* same alerts suppressed since the previous one */
	uint64_t alert_id;              /* eastwatch.alert_id: ew_alert_id() */
	const char *const *notify;      /* sinks the deny rule names (notify: [...]) */
	uint32_t nnotify;
	const char *const *sensors;     /* eastwatch.sensors: the sensors whose flows an
					 * analyzer's alert rests on (eastwatch analyze) */
	uint32_t nsensors;
	const struct ew_alert_scan *scan;   /* scan alerts only, else NULL */
	uint8_t home[2];                /* source, destination in home_networks: 2 yes, 1 no,
					 * 0 none configured (then: in a named group) */
	uint8_t self;                   /* about eastwatch itself (telemetry-gap,
					 * alert-dropped): only the addresses that are set are
					 * written, and no flow fields (SPEC §4) */
};

/* The ECS version whose field definitions the alerts and flow records follow
 * (../shared/corpus/ecs/version; tests/integration/ecs_check.py compares them). */
#define EW_ECS_VERSION "9.5.0-dev"

/* ECS network.direction from whether each end is in the site's own networks: "internal",
 * "outbound", "inbound" or "external". */
const char *ew_alert_direction(int src_home, int dst_home);
/* The same for a: by home_networks when configured (a->home), else by whether each end
 * is in a named group of the policy. */
const char *ew_alert_direction_of(const struct ew_alert *a);

/* A stable identity for one incident: a hash of the rule, the flow key (source,
 * destination, protocol, destination port) and the throttle window the alert falls in
 * (its time divided by the window), so redelivered copies and the same incident seen by
 * several sensors share it and receivers can remove duplicates. */
uint64_t ew_alert_id(const struct ew_alert *a, uint64_t window_us);
/* The fields an alert about flow f takes from it: the two ends and the service, where
 * the application came from, what the network did, the VLAN, the start and the counts. */
void ew_alert_flow_fields(struct ew_alert *a, const struct ew_flow *f);
/* 16 lower-case hex digits and a NUL. */
const char *ew_alert_id_str(uint64_t id, char out[17]);

/* A deep copy of an alert (its strings in the arena) that outlives the one it copies. */
struct ew_alert_copy {
	struct ew_alert a;
	const char *notify[16];
	const char *sensors[16];
	uint32_t used;              /* bytes of arena in use */
	char arena[4096];
};

/* Copy a into c (at most 16 notify names and 16 sensors). 0, or -1 when its strings do not fit. */
int ew_alert_copy(struct ew_alert_copy *c, const struct ew_alert *a);
/* The bytes of c that ew_alert_copy filled (the struct up to the end of its strings). */
size_t ew_alert_copy_size(const struct ew_alert_copy *c);


#endif
