/* SPDX-License-Identifier: Apache-2.0 */
/* policy_int - the compiled policy's layout, shared by policy.c (verdicts) and
 * policy_load.c (building it). Not part of the module's interface. */
#ifndef EW_POLICY_INT_H
#define EW_POLICY_INT_H

#include "analyzer/lpm.h"
#include "analyzer/policy.h"

struct pair_slot {
	uint64_t key;             /* from index << 32 | to index ("any" = ngroups) */
	uint32_t off, n;          /* records recs[off .. off+n); n = 0: empty slot */
};

/* What a verdict needs of a rule, next to the other rules of the same pair, so that a
 * verdict reads a few contiguous arrays and never the scattered rule descriptions
 * (bench_policy, 100,000 rules: from 560 to under 300 ns per verdict that matches a rule). */
struct pair_rec {
	uint32_t rule;            /* index into rules, for the deciding rule */
	uint32_t svc_off;         /* services svc_all[svc_off .. +nsvc) */
	uint32_t app_off;         /* applications app_all[app_off .. +napps) */
	uint8_t nsvc, napps;      /* 0: every service / any application */
	uint8_t action, severity;
	struct ew_service svc0;   /* the first service, inline: most rules have one */
};

/* A pair with many rules is indexed by protocol (TCP, UDP, the others) and responder
 * port (policy_index.c): for each protocol, the bounds of its rules' service ranges cut
 * the ports into intervals, each listing the records a port in it may match; records
 * without services, or whose ranges span many intervals, are listed once as wide and
 * looked at for every port of that protocol. A verdict on the pair reads one interval's
 * list and the wide list instead of every record. */
struct port_index {
	uint32_t nb;              /* intervals */
	uint16_t *lo;             /* each interval's first port, ascending; lo[0] = 0 */
	uint32_t *start;          /* interval i: ent[start[i] .. start[i + 1]) */
	uint32_t *ent;            /* record numbers within the pair (recs[off + k]) */
	uint32_t nwide;
	uint32_t *wide;
};

struct pair_index {
	struct port_index by[3];  /* TCP, UDP, any other protocol */
};

static inline uint32_t ew_proto_class(uint8_t proto)
{
	return proto == 6 ? 0 : proto == 17 ? 1 : 2;
}

struct ew_policy {
	struct ew_group *groups;
	uint32_t ngroups;
	struct ew_rule *rules;
	uint32_t nrules, nallow, ndeny;
	struct ew_lpm *lpm;
	struct pair_slot *pairs;
	uint32_t pairmask;
	struct pair_rec *recs;
	size_t npairs_mem, nrecs_mem;   /* bytes of the huge-page mappings above */
	struct ew_service *svc_all;
	uint16_t *app_all;
	/* For each from index (groups, then "any"), a 256-bit signature of the to indices
	 * it has rules for: a verdict skips the pairs whose bit is clear, so the pair table
	 * is read only for pairs that (almost surely) have rules. */
	uint64_t (*sig)[4];
	/* Port classes: dport -> the class of ports that no rule's service range tells
	 * apart (all the ephemeral ports a policy never names are one class). With the two
	 * group sets, the protocol and the application, a class decides the verdict: the
	 * key of ew_vcache. */
	uint16_t *pclass;
	uint64_t gen;             /* unique per loaded policy, for ew_vcache */
	/* the pairs indexed by port: slot_ix[slot] is 1 + its index in pix, 0 for none
	 * (NULL when no pair is) */
	uint32_t *slot_ix;
	struct pair_index *pix;
	uint32_t npix;
	char **files;
	uint32_t nfiles;
	uint8_t def_action, def_sev;
	const char *def_file;
	unsigned def_line;
};

/* Index every pair of at least min records (policy_index.c). EW_OK or EW_E_NOMEM. */
int ew_policy_index_pairs(struct ew_policy *p, uint32_t min);
void ew_policy_index_free(struct ew_policy *p);

/* The interval of port in ix. */
static inline uint32_t ew_pair_interval(const struct port_index *ix, uint16_t port)
{
	uint32_t a = 0, b = ix->nb;   /* lo[a] <= port < lo[b] (lo[nb] is past the end) */

	while (b - a > 1) {
		uint32_t m = (a + b) / 2;

		if (ix->lo[m] <= port)
			a = m;
		else
			b = m;
	}
	return a;
}

static inline uint32_t ew_sig_bit(uint32_t to)
{
	return (to * 0x9e3779b1u) >> 24;
}

static inline uint64_t ew_pair_hash(uint64_t k)
{
	k ^= k >> 31;
	k *= 0x7fb5d329728ea185ULL;
	k ^= k >> 27;
	k *= 0x81dadef4bc2dd44dULL;
	return k ^ (k >> 33);
}

#endif
