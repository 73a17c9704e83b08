/* SPDX-License-Identifier: Apache-2.0 */
/* policy_int - the compiled policy's layout, shared by policy.c (verdicts) and
 * policy_load.c (building it). Not part of the module's interface. */
#ifndef EW_POLICY_INT_H
#define EW_POLICY_INT_H

#include "analyzer/lpm.h"
#include "analyzer/policy.h"

struct pair_slot {
	uint64_t key;             /* from index << 32 | to index ("any" = ngroups) */
	uint32_t off, n;          /* rules pair_rules[off .. off+n); n = 0: empty slot */
};

struct ew_policy {
	struct ew_group *groups;
	uint32_t ngroups;
	struct ew_rule *rules;
	uint32_t nrules, nallow, ndeny;
	struct ew_lpm *lpm;
	struct pair_slot *pairs;
	uint32_t pairmask;
	uint32_t *pair_rules;
	char **files;
	uint32_t nfiles;
	uint8_t def_action, def_sev;
	const char *def_file;
	unsigned def_line;
};

static inline uint64_t ew_pair_hash(uint64_t k)
{
	k ^= k >> 31;
	k *= 0x7fb5d329728ea185ULL;
	k ^= k >> 27;
	k *= 0x81dadef4bc2dd44dULL;
	return k ^ (k >> 33);
}

#endif
