/* SPDX-License-Identifier: Apache-2.0 */
/* config - eastwatch.yaml (SPEC §5) into settings for the commands and the pipeline.
 *
 * Command-line flags override what is read here; ctx.c applies them after loading. Sink
 * entries stay as configuration nodes, handed to each sink's open. */
#ifndef EW_CONFIG_H
#define EW_CONFIG_H

#include "core/ew_conf.h"
#include "daemon/pipeline.h"

#define EW_MAX_SOURCES 64

struct ew_config_source {
	const char *type;        /* "iface", "pcap" */
	const char *target;      /* interface or path */
	const char *filter;
	int promisc, buffer_mb, snaplen, block_ms;
	uint64_t silence_us;     /* listeners: telemetry-gap after this long (default 5 min) */
	struct ew_prefix *exporters;   /* listeners: who may send (NULL: anyone); owned */
	uint32_t nexporters;
	uint32_t max_exporters, max_templates;   /* listeners' tables (0: the default) */
};

struct ew_config {
	struct ew_conf *doc;     /* NULL when no file was given */
	struct ew_prefix *home;  /* home_networks (pc.home points here); owned */
	const char *sensor;
	const char *rules;
	const char *inventory;       /* inventory: { file } */
	const char *inventory_redis; /* inventory: { redis }: "HOST:PORT" */
	const char *policy_redis;    /* policy: { redis }: central policy instead of rules */
	const char *user;
	const char *spool_dir;
	const char *throttle_redis;
	uint32_t workers;            /* workers: (0: not set) */
	const char *metrics;         /* "ADDR:PORT" of /metrics and /healthz, or NULL */  /* "host:port": throttle shared with other sensors */   /* sinks' spools (default /var/lib/eastwatch/spool) */
	struct ew_config_source src[EW_MAX_SOURCES];
	unsigned nsrc;
	struct ew_conf_node sinks;   /* sequence, may be absent */
	struct ew_conf_node alerter; /* mapping, may be absent */
	struct ew_conf_node analyze; /* mapping, may be absent */
	struct ew_pipeline_conf pc;
	struct ew_cls_conf cls;
	int log_json, log_level;
};

/* Defaults for every setting. */
void ew_config_init(struct ew_config *c);
/* Read path into c. Returns EW_OK, or fills err ("FILE:LINE:COL: message"). */
int ew_config_load(struct ew_config *c, const char *path, struct ew_err *err);
void ew_config_free(struct ew_config *c);

#endif
