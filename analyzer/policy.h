/* SPDX-License-Identifier: Apache-2.0 */
/* policy - the compiled allowed-flow map and its verdicts (SPEC §3).
 *
 * A policy is built once by policy_load.c from rules.d and is immutable afterwards, so a
 * new one can be swapped in atomically. Addresses map to group sets through lpm.c; rules
 * are indexed by (from group, to group) pairs, with "any" as a group of its own, so a
 * verdict looks at the few rules that name the flow's groups and never scans the list.
 *
 * Semantics: a deny rule that matches decides (the most severe, then the first loaded);
 * otherwise any matching allow rule, or a group with "intra: allow" holding both ends,
 * permits; otherwise the default action decides. An "apps" condition is tested against
 * the application when it was observed (dpi, exporter); when it was not (port, none), an
 * allow rule's apps condition is waived. A deny rule's holds when the observed
 * application or one of the responder port's (f->port_app) is in its list. */
#ifndef EW_POLICY_H
#define EW_POLICY_H

#include <stdint.h>

#include <stddef.h>

#include "core/ew_err.h"
#include "analyzer/inventory.h"
#include "core/ew_flow.h"
#include "core/ew_sev.h"

enum ew_action { EW_ALLOW, EW_DENY };

#define EW_ANY_GROUP UINT32_MAX
#define EW_PROTO_ANY 0xffff

struct ew_service {
	uint16_t proto;           /* IP protocol, or EW_PROTO_ANY */
	uint16_t lo, hi;          /* destination port range (0-65535 for all) */
};

struct ew_rule {
	char *name;
	const char *file;         /* owned by the policy */
	unsigned line, col;
	uint8_t action;           /* enum ew_action */
	uint8_t severity;         /* enum ew_severity (deny rules) */
	uint32_t *from, *to;      /* group ids; EW_ANY_GROUP alone for "any" */
	uint32_t nfrom, nto;
	struct ew_service *svc;   /* NULL/0: every service */
	uint32_t nsvc;
	uint16_t *apps;           /* nDPI protocol ids; NULL/0: any application */
	uint32_t napps;
	char **notify;            /* deny rules: sink names that get its alerts (notify: [...]) */
	uint32_t nnotify;
};

struct ew_group {
	char *name;
	const char *file;
	unsigned line, col;
	uint8_t intra_allow;
	uint8_t inline_members;   /* made for a rule's inline addresses: not reported */
};

struct ew_policy;

/* How a verdict was reached. */
enum ew_decided_by { EW_BY_DENY_RULE, EW_BY_ALLOW_RULE, EW_BY_INTRA, EW_BY_DEFAULT };

struct ew_verdict {
	uint8_t action;           /* enum ew_action */
	uint8_t severity;         /* for EW_DENY */
	uint8_t by;               /* enum ew_decided_by */
	uint8_t app_dependent;    /* a rule with an apps condition could change this verdict
				   * once the application is known */
	const struct ew_rule *rule;   /* deciding rule, NULL for intra and default */
	uint32_t intra_group;     /* for EW_BY_INTRA */
	uint32_t src_set, dst_set;/* group sets of the two ends (ew_policy_set) */
};

/* Judge flow f (initiator f->src, responder f->dst, f->dport, f->proto, application
 * per f->app_source, the port's applications in f->port_app). */
void ew_policy_verdict(const struct ew_policy *p, const struct ew_flow *f, struct ew_verdict *v);

/* A caller's cache of verdicts (one per thread; a pipeline owns one). A verdict depends
 * only on the two ends' group sets, the protocol, the destination port's class (the
 * ports the policy's service ranges do not tell apart) and the application, so the
 * cache is keyed on those and stays small whatever the addresses and ephemeral ports.
 * It knows which policy filled it: a new policy empties it on first use. */
#define EW_VCACHE_SLOTS 1024

struct ew_vcache_slot {
	uint64_t k0, k1, k2;
	uint32_t rule;            /* index of the deciding rule, UINT32_MAX for none */
	uint32_t intra_group;
	uint8_t action, severity, by, app_dependent;
};

struct ew_vcache {
	uint64_t gen;             /* the policy the slots came from; 0: none */
	uint64_t hits, misses;
	struct ew_vcache_slot s[EW_VCACHE_SLOTS];
};

/* An empty cache (or use a zeroed one). */
void ew_vcache_init(struct ew_vcache *c);

/* ew_policy_verdict through c: the same verdict. */
void ew_policy_verdict_cached(const struct ew_policy *p, struct ew_vcache *c,
			      const struct ew_flow *f, struct ew_verdict *v);

/* Every rule whose conditions all match f, in load order, into out[0..max); returns how
 * many matched (possibly more than max). For "explain". */
uint32_t ew_policy_matches(const struct ew_policy *p, const struct ew_flow *f,
			   const struct ew_rule **out, uint32_t max);

/* The groups of a set (from a verdict), as group ids; *n of them. */
const uint32_t *ew_policy_set(const struct ew_policy *p, uint32_t set, uint32_t *n);
uint32_t ew_policy_set_of(const struct ew_policy *p, const struct ew_addr *a);
const struct ew_group *ew_policy_group(const struct ew_policy *p, uint32_t id);
/* The names of set's groups that are named in the policy (not a rule's inline members),
 * at most max, into out (borrowed from p). Returns how many. */
uint32_t ew_policy_group_names(const struct ew_policy *p, uint32_t set, const char **out,
			       uint32_t max);
/* Rule i in load order (i < ew_policy_info's rules), or NULL. */
const struct ew_rule *ew_policy_rule(const struct ew_policy *p, uint32_t i);

struct ew_policy_info {
	uint32_t groups, rules, allow_rules, deny_rules, files, sets;
	uint8_t default_action, default_severity;
	const char *default_file;
	unsigned default_line;
	uint64_t lpm_bytes;
};
void ew_policy_info(const struct ew_policy *p, struct ew_policy_info *out);

void ew_policy_free(struct ew_policy *p);

/* --- loading (policy_load.c) --- */

/* Maps an application name to an nDPI protocol id, or -1. */
typedef int (*ew_app_resolver)(void *arg, const char *name);

struct ew_policy_opts {
	ew_app_resolver resolve_app;
	void *resolve_arg;
	const char *inventory_file;   /* YAML address -> labels, for label: members; or NULL */
	const struct ew_inventory *inventory;   /* or the inventory itself (wins) */
	uint32_t index_min;   /* a (from, to) pair with at least this many rules is indexed
			       * by port (0: 32; UINT32_MAX: none is, for tests) */
};

/* 1 if a directory entry of this name is a policy file (*.yaml, *.yml, not hidden). */
int ew_policy_file_name(const char *name);

/* Load every *.yaml (and *.yml) file of dir in lexical order into one policy. On error,
 * returns NULL with "FILE:LINE:COL: message" in err and nothing half-loaded. */
struct ew_policy *ew_policy_load_dir(const char *dir, const struct ew_policy_opts *o,
				     struct ew_err *err);
/* The same over explicit files (in the order given). */
struct ew_policy *ew_policy_load_files(const char *const *files, uint32_t nfiles,
				       const struct ew_policy_opts *o, struct ew_err *err);

/* Documents from memory (a policy version from Redis), in the order given; names are
 * used in messages. */
struct ew_policy *ew_policy_load_bufs(const char *const *names, const void *const *data,
				      const size_t *lens, uint32_t n,
				      const struct ew_policy_opts *o, struct ew_err *err);

/* One policy document from memory; name is used in messages (tests, fuzzing). */
struct ew_policy *ew_policy_load_mem(const char *name, const void *data, size_t len,
				     const struct ew_policy_opts *o, struct ew_err *err);

#endif
