/* SPDX-License-Identifier: Apache-2.0 */
/* sink - the interface every alert destination implements, and the set of them.
 *
 * A sink is a table of operations (ARCHITECTURE.md) listed in a const array; it is
 * configured by a mapping of the configuration file (SPEC §5) whose "type" selects it.
 * Options from the command line (--output FILE) are turned into the same mappings, so
 * every sink has one way in. The set filters by each sink's min_severity. */
#ifndef EW_SINK_H
#define EW_SINK_H

#include <stdint.h>

#include "alerting/alert.h"
#include "core/ew_conf.h"
#include "core/ew_err.h"

struct event_base;

struct ew_sink_ops {
	const char *name;                                   /* "file", ... */
	int  (*open)(void **st, const struct ew_conf_node *c, struct event_base *eb,
		     struct ew_err *err);
	int  (*emit)(void *st, const struct ew_alert *a);   /* never blocks; copies what it keeps */
	int  (*flush)(void *st, int timeout_ms);            /* drain on shutdown */
	void (*close)(void *st);                            /* accepts NULL */
};

/* The implementation for a type name, or NULL. */
const struct ew_sink_ops *ew_sink_find(const char *name);

/* Keys every sink accepts besides its own. */
#define EW_SINK_COMMON_KEYS "type", "min_severity", "name"

struct ew_sinkset;

struct ew_sink_stats {
	const char *name;
	uint64_t emitted, filtered, failed;
};

struct ew_sinkset *ew_sinkset_new(void);
/* Open the sink configured by mapping c. Returns EW_OK or fills err. */
int ew_sinkset_add(struct ew_sinkset *s, struct ew_conf_node c, struct event_base *eb,
		   struct ew_err *err);
uint32_t ew_sinkset_count(const struct ew_sinkset *s);
/* Hand a to every sink whose min_severity it reaches. Returns how many took it. */
int ew_sinkset_emit(struct ew_sinkset *s, const struct ew_alert *a);
int ew_sinkset_flush(struct ew_sinkset *s, int timeout_ms);
/* Stats of sink i (i < ew_sinkset_count). */
void ew_sinkset_stats(const struct ew_sinkset *s, uint32_t i, struct ew_sink_stats *out);
void ew_sinkset_free(struct ew_sinkset *s);   /* closes every sink */

#endif
