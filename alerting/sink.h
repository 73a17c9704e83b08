/* SPDX-License-Identifier: Apache-2.0 */
/* sink - the interface every alert destination implements, and the set of them.
 *
 * A sink is a table of operations (ARCHITECTURE.md) listed in a const array; it is
 * configured by a mapping of the configuration file (SPEC §5) whose "type" selects it.
 * Options from the command line (--output FILE) are turned into the same mappings, so
 * every sink has one way in. The set filters by each sink's min_severity. */
#ifndef EW_SINK_H
#define EW_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "alerting/alert.h"
#include "core/ew_conf.h"
#include "core/ew_err.h"

struct event_base;
struct ew_dq_stats;

/* What a sink may need besides its own mapping. */
struct ew_sink_env {
	struct event_base *eb;      /* the daemon's loop, NULL in replay */
	const char *name;           /* the sink's name (its "name", or its type) */
	const char *sensor;         /* observer.name */
	const char *spool_dir;      /* where spools go unless the sink says otherwise */
	int spool_forced;           /* spool_dir for every sink, whatever it says (replay) */
	int validate_only;          /* "eastwatch check": parse, open nothing */
};

struct ew_sink_ops {
	const char *name;                                   /* "file", "kafka", ... */
	int  (*open)(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
		     struct ew_err *err);
	int  (*emit)(void *st, const struct ew_alert *a);   /* never blocks; copies what it keeps */
	int  (*flush)(void *st, int timeout_ms);            /* 0: periodic (several times a
	                                                     * second); >0: drain, shutdown */
	void (*close)(void *st);                            /* accepts NULL */
	/* Optional, for sinks with a delivery queue (deliver.h): */
	void (*stats)(void *st, struct ew_dq_stats *out);
	int  (*settled)(void *st);                          /* all delivered or spooled */
	void (*reopen)(void *st);                           /* SIGHUP: files for logrotate */
	/* Optional: every flow record with its verdict (JSON, no line break), keyed by the
	 * initiator; best effort, never blocks. wants_flows says whether it is configured. */
	int  (*wants_flows)(void *st);
	void (*flow)(void *st, const char *json, size_t len, const char *key);
};

/* The implementation for a type name, or NULL. */
const struct ew_sink_ops *ew_sink_find(const char *name);

/* Keys every sink accepts besides its own. A sink with "notify_only: true" receives only
 * the alerts of deny rules that name it (notify: [NAME]); every other sink receives every
 * alert; all filter by min_severity. */
#define EW_SINK_COMMON_KEYS "type", "min_severity", "name", "notify_only"

struct ew_sinkset;

struct ew_sink_stats {
	const char *name, *type;
	uint64_t emitted, filtered, failed;
	int has_queue;            /* the fields below are filled */
	uint64_t sent, spooled, dropped, queued, spool_records, spool_bytes, failed_attempts;
	uint64_t spool_max_bytes;
	int up;
};

/* sensor and spool_dir are kept by reference. */
struct ew_sinkset *ew_sinkset_new(const char *sensor, const char *spool_dir);
/* Open the sink configured by mapping c. Returns EW_OK or fills err. */
int ew_sinkset_add(struct ew_sinkset *s, struct ew_conf_node c, struct event_base *eb,
		   struct ew_err *err);
/* Every sink added from now on spools in the set's spool_dir, whatever its own spool key
 * says (replay: never a daemon's spool). */
void ew_sinkset_force_spool(struct ew_sinkset *s);
/* Sinks added from now on are validated only: nothing is opened, started or created. */
void ew_sinkset_validate_only(struct ew_sinkset *s);
/* Share throttling with other sensors through Redis (throttle_redis.h): from now on every
 * alert is offered to Redis first. addr "host:port"; eb the daemon's loop or NULL. */
int ew_sinkset_share_throttle(struct ew_sinkset *s, const char *addr, uint64_t window_us,
			      struct event_base *eb, struct ew_err *err);
/* The shared throttle's counters (throttle_redis.h). Returns 0 if it is not shared. */
struct ew_rthrottle_stats;
int ew_sinkset_shared_stats(const struct ew_sinkset *s, struct ew_rthrottle_stats *out);
/* Is there a sink of this name? */
int ew_sinkset_has(const struct ew_sinkset *s, const char *name);
uint32_t ew_sinkset_count(const struct ew_sinkset *s);
/* Hand a to every sink whose min_severity it reaches. Returns how many took it. Several
 * threads may emit at once (the sinks and these counters allow it); adding sinks, reopen
 * and free may not run meanwhile. */
int ew_sinkset_emit(struct ew_sinkset *s, const struct ew_alert *a);
int ew_sinkset_flush(struct ew_sinkset *s, int timeout_ms);
/* Does any sink take flow records? */
int ew_sinkset_wants_flows(const struct ew_sinkset *s);
/* Hand a flow record (JSON, no line break) to the sinks that take them. */
void ew_sinkset_flow(struct ew_sinkset *s, const char *json, size_t len, const char *key);
/* Every sink has delivered or spooled what it was given. */
int ew_sinkset_settled(struct ew_sinkset *s);
/* Call about once a second: a sink that dropped alerts since the last call (its spool was
 * full) raises a self-alert (event.action "alert-dropped") through every sink, logged. */
void ew_sinkset_tick(struct ew_sinkset *s, uint64_t now_us);
/* SIGHUP: reopen files. */
void ew_sinkset_reopen(struct ew_sinkset *s);
/* Stats of sink i (i < ew_sinkset_count). */
void ew_sinkset_stats(const struct ew_sinkset *s, uint32_t i, struct ew_sink_stats *out);
/* Delivery latency histogram of sink i (deliver.h's EW_DQ_LAT_BUCKETS); 0 if it has no
 * delivery queue. */
int ew_sinkset_latency(const struct ew_sinkset *s, uint32_t i, uint64_t *hist);
void ew_sinkset_free(struct ew_sinkset *s);   /* closes every sink */

/* The Kafka sinks' hand-over to librdkafka, totals for the process: runs handed over from
 * the per-partition stages and the alerts in them; alerts produced one by one (before
 * the topic's partition count is known); alerts librdkafka refused when handed over
 * (its queue full: they went to the delivery queue). */
struct ew_kafka_counts {
	uint64_t runs, staged, direct, refused;
};
void ew_sink_kafka_counts(struct ew_kafka_counts *out);

#endif
