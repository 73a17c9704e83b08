/* SPDX-License-Identifier: Apache-2.0 */
/* learn - `eastwatch learn`: the observed flow map, proposed as rules.d YAML, drawn as
 * Graphviz, and replayed against policies (--diff).
 *
 * Every flow the pipeline ends is aggregated by (initiator, responder, protocol,
 * responder port, application): client ports never enter, so ephemeral ports vanish
 * by construction. Hosts are grouped by what is known of them, in this order: a group
 * of the existing policy (--rules), the inventory's `role` label (or its first label),
 * else their subnet (/24, /64). A proposed rule permits one (source group, destination
 * group) pair the services seen between them, with `apps:` when DPI named them (one
 * rule per set of applications, so SSH allowed on 22 does not allow it on 443); more
 * than eight high ports (>= 1024) on one pair and protocol become one range. Each rule
 * carries its evidence as comments: flows, bytes, first and last seen, example hosts.
 * Attempts that were refused or went unanswered (a scan's probes) never become rules:
 * they are listed in a comment block of their own after the rules. */
#ifndef EW_LEARN_H
#define EW_LEARN_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/classify.h"
#include "analyzer/inventory.h"
#include "analyzer/policy.h"
#include "core/ew_flow.h"

struct ew_learn_conf {
	const struct ew_policy *groups_from;   /* existing policy whose groups name hosts */
	const struct ew_inventory *inv;        /* labels, or NULL */
	const char *label_key;                 /* default "role" */
	unsigned v4_prefix, v6_prefix;         /* default 24 and 64 */
	uint32_t max_edges;                    /* default 1,000,000 */
};

struct ew_learn;

struct ew_learn *ew_learn_new(const struct ew_learn_conf *c, struct ew_classify *cls);
void ew_learn_free(struct ew_learn *l);

/* The pipeline's flow callback: one flow record (final = 1 when the flow ended). */
void ew_learn_flow(void *arg, const struct ew_flow *f, int final);

struct ew_learn_stats {
	uint64_t flows, edges, hosts, dropped;   /* dropped: past max_edges */
	uint64_t failed;                         /* flows that were refused or unanswered */
};

/* 1 when flow f got through (learn proposes only those); 0 for a refused or unanswered
 * attempt or a half-open probe. */
int ew_learn_succeeded(const struct ew_flow *f);
void ew_learn_stats(const struct ew_learn *l, struct ew_learn_stats *out);

/* The proposal as rules.d YAML. With groups_from, the groups it names are not defined
 * again and no default is written (the file joins that directory); else the file is a
 * whole policy with default deny. from: a line saying what was observed. */
int ew_learn_write_policy(struct ew_learn *l, FILE *out, const char *from);
/* The flow map as Graphviz: groups as clusters of hosts, edges labelled with services. */
int ew_learn_write_graph(struct ew_learn *l, FILE *out);
/* Judge every observed flow under before and after and print those whose verdict
 * differs (newly denied, newly allowed), with the rules that decide. Returns how many
 * aggregated flows changed. */
uint64_t ew_learn_diff(struct ew_learn *l, const struct ew_policy *before, const char *bname,
		       const struct ew_policy *after, const char *aname, FILE *out);

#endif
