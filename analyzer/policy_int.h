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

/* What deciding needs of a rule once its services took the flow: the deciding rule, its
 * applications condition, action and severity (and, in a port index's copy, the
 * protocol of the service that listed it there; EW_PROTO_ANY in a pair_rec). */
struct pair_dec {
	uint32_t rule;            /* index into rules, for the deciding rule */
	uint32_t app_off;         /* applications app_all[app_off .. +napps) */
	uint16_t proto;
	uint8_t napps;            /* 0: any application */
	uint8_t action, severity;
};

/* A rule next to the other rules of the same pair, so that a verdict reads a few
 * contiguous arrays and never the scattered rule descriptions (bench_policy, 100,000
 * rules: from 560 to under 300 ns per verdict that matches a rule). */
struct pair_rec {
	struct pair_dec d;
	uint32_t svc_off;         /* services svc_all[svc_off .. +nsvc) */
	struct ew_service svc0;   /* the first service, inline: most rules have one */
	uint8_t nsvc;             /* 0: every service */
};

/* A pair with many rules is indexed by protocol (TCP, UDP, the others) and responder
 * port (policy_index.c): for each protocol, the bounds of its rules' service ranges cut
 * the ports into intervals, each holding copies of the deciding part of the records a
 * port in it matches (a record whose service covers the interval, so that only the
 * protocol is left to test); records without services, or whose ranges span many
 * intervals, are listed once as wide and tested in full for every port of that
 * protocol. Finding the interval reads top (every EW_IV_BLOCK-th interval's first port,
 * small and shared by every verdict on the pair) and then one cache line of iv; its
 * entries follow contiguously: a verdict that hits a rule on a pair of 1,000 rules
 * touches about three cache lines that are not hot. */
#define EW_IV_BLOCK 8

struct port_iv {
	uint32_t lo;              /* the interval's first port; iv[0].lo = 0 */
	uint32_t off;             /* its entries ent[off .. iv[i + 1].off) */
};

struct port_index {
	uint32_t nb;              /* intervals; iv[nb] is a sentinel (off: the end) */
	struct port_iv *iv;       /* 64-byte aligned, so that a block is one line */
	uint16_t *top;            /* top[t] = iv[t * EW_IV_BLOCK].lo */
	uint32_t ntop;
	struct pair_dec *ent;
	uint32_t nwide;
	uint32_t *wide;           /* record numbers within the pair (recs[off + k]) */
	uint32_t ranged;          /* an interval wider than one port has entries */
};

/* The intervals of one port that have entries, in every index, are also found by
 * hashing (index number, port) into 8-byte slots that sum them up: most rules name
 * single ports, so most verdicts that hit a rule read one slot here (where the search
 * and the entries would be three cache lines), and the table is small enough to stay
 * near the core (at most 2/3 full; 100,000 rules: 1 MB, where 32-byte slots with a copy
 * of the first entry took 8 MB). Of a TCP or UDP port's entries, those without an applications
 * condition are summed up as the one that decides among them (the least EW_HIT_RANK),
 * which is all a verdict needs of them: their protocols always match. A slot's val is
 * that rank when no entry is left over, or EW_HIT_ESC << 24 | the unit in hitx where
 * a record of it and copies of the others (those with a condition, and every entry of
 * the other protocols) begins: one more cache line, not two. */
struct port_hit {
	uint32_t key;             /* index number << 16 | port; EW_HIT_EMPTY: empty */
	uint32_t val;
};

union port_hitx {
	struct {
		uint32_t rank;    /* of the deciding ranked entry; UINT32_MAX: none */
		uint32_t n;       /* the copies that follow, one a unit */
	} h;
	struct pair_dec d;
};

#define EW_HIT_EMPTY UINT32_MAX
#define EW_HIT_ESC 0xFFu
#define EW_HIT_ALLOW 0xFEu    /* the rank of an allow rule; a deny rule's: 0xFD - severity */
/* An entry as a number that orders like verdict_sets' keys: the least decides. */
#define EW_HIT_RANK(d) ((uint32_t)((d)->action == EW_DENY ? 0xFDu - (d)->severity \
							    : EW_HIT_ALLOW) << 24 | (d)->rule)

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
	void *ix_mem;             /* the indexes' arrays, together in huge pages */
	size_t ix_mem_len;
	struct port_hit *hits;    /* in huge pages (nhits_mem bytes); NULL: none (too many
				   * rules or indexes to number in a slot: every port searched) */
	uint32_t hitmask;
	size_t nhits_mem;
	union port_hitx *hitx;
	char **files;
	uint32_t nfiles;
	uint8_t def_action, def_sev;
	const char *def_file;
	unsigned def_line;
};

/* Index every pair of at least min records (policy_index.c). EW_OK or EW_E_NOMEM. */
int ew_policy_index_pairs(struct ew_policy *p, uint32_t min);
void ew_policy_index_free(struct ew_policy *p);

/* The interval of port in ix: the block from top, then the block's line. */
static inline uint32_t ew_pair_interval(const struct port_index *ix, uint16_t port)
{
	uint32_t a = 0, b = ix->ntop;   /* top[a] <= port < top[b] (top[ntop] is past the end) */

	while (b - a > 1) {
		uint32_t m = (a + b) / 2;

		if (ix->top[m] <= port)
			a = m;
		else
			b = m;
	}
	a *= EW_IV_BLOCK;
	for (uint32_t e = a + EW_IV_BLOCK < ix->nb ? a + EW_IV_BLOCK : ix->nb;
	     a + 1 < e && ix->iv[a + 1].lo <= port;)
		a++;
	return a;
}

/* The slot of (index, port) in hits: the high half of a 64-bit multiplicative hash (its
 * low bits, which the mask keeps, depend on every bit of the key; the low bits of a
 * product depend only on the key's low bits, the port and two bits of the index, which
 * piled 100,000 rules' ports onto 8,000 slots and their long runs). */
static inline uint32_t ew_port_hash(uint32_t ixn, uint16_t port)
{
	return (uint32_t)((((uint64_t)ixn << 16 | port) * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* An unconditional entry from its rank: 0 for none. */
static inline int ew_hit_dec(uint32_t rank, struct pair_dec *u)
{
	uint32_t code = rank >> 24;

	if (rank == UINT32_MAX)
		return 0;
	*u = (struct pair_dec){ .rule = rank & 0xFFFFFF, .proto = EW_PROTO_ANY,
				.action = code == EW_HIT_ALLOW ? EW_ALLOW : EW_DENY,
				.severity = (uint8_t)(code == EW_HIT_ALLOW ? 0 : 0xFD - code) };
	return 1;
}

/* The entries of ix (a by[] of p->pix) for port that a verdict must visit: with all
 * (or a port not summed up in hits), *ents[0 .. *n) are every entry of the port's
 * interval and 0 is returned; else they are the entries its slot leaves over and 1 is
 * returned with the deciding ranked one in *u (0 when there is none). */
static inline int ew_pair_entries(const struct ew_policy *p, const struct port_index *ix,
				  uint16_t port, int all, struct pair_dec *u,
				  const struct pair_dec **ents, uint32_t *n)
{
	uint32_t x = (uint32_t)(ix - p->pix[0].by), iv;

	*n = 0;
	*ents = NULL;
	if (!all && p->hits != NULL) {
		uint32_t key = x << 16 | port;

		for (uint32_t h = ew_port_hash(x, port) & p->hitmask;; h = (h + 1) & p->hitmask) {
			const struct port_hit *e = &p->hits[h];

			if (e->key == key) {
				uint32_t v = e->val;

				if (v >> 24 == EW_HIT_ESC) {
					const union port_hitx *r = &p->hitx[v & 0xFFFFFF];

					*ents = &r[1].d;
					*n = r->h.n;
					v = r->h.rank;
				}
				return ew_hit_dec(v, u);
			}
			if (e->key == EW_HIT_EMPTY)
				break;
		}
		if (!ix->ranged)
			return 0;
	}
	iv = ew_pair_interval(ix, port);
	*ents = ix->ent + ix->iv[iv].off;
	*n = ix->iv[iv + 1].off - ix->iv[iv].off;
	return 0;
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
