/* SPDX-License-Identifier: Apache-2.0 */
/* policy - verdicts over the compiled policy; see policy.h. */
#include "analyzer/policy_int.h"
#include "core/ew_mem.h"

#include <stdlib.h>
#include <string.h>

static const struct pair_slot *pair_find(const struct ew_policy *p, uint32_t from, uint32_t to)
{
	uint64_t key = (uint64_t)from << 32 | to;
	uint32_t i = (uint32_t)ew_pair_hash(key) & p->pairmask;

	for (;; i = (i + 1) & p->pairmask) {
		const struct pair_slot *s = &p->pairs[i];

		if (s->n == 0)
			return NULL;
		if (s->key == key)
			return s;
	}
}

static int rec_svc_match(const struct ew_policy *p, const struct pair_rec *r,
			 const struct ew_flow *f)
{
	const struct ew_service *s = p->svc_all + r->svc_off;

	if (r->nsvc == 0)
		return 1;
	if ((r->svc0.proto == EW_PROTO_ANY || r->svc0.proto == f->proto) &&
	    f->dport >= r->svc0.lo && f->dport <= r->svc0.hi)
		return 1;
	for (uint32_t i = 1; i < r->nsvc; i++)
		if ((s[i].proto == EW_PROTO_ANY || s[i].proto == f->proto) && f->dport >= s[i].lo &&
		    f->dport <= s[i].hi)
			return 1;
	return 0;
}

static int apps_contain(const uint16_t *apps, uint32_t n, const struct ew_flow *f)
{
	for (uint32_t i = 0; i < n; i++)
		if ((f->app_proto != 0 && apps[i] == f->app_proto) ||
		    (f->app_master != 0 && apps[i] == f->app_master))
			return 1;
	return 0;
}

/* One of the responder port's applications is in apps. */
static int port_apps_contain(const uint16_t *apps, uint32_t n, const struct ew_flow *f)
{
	for (uint32_t i = 0; i < n; i++)
		for (int k = 0; k < 3 && f->port_app[k]; k++)
			if (apps[i] == f->port_app[k])
				return 1;
	return 0;
}

/* SPEC §3: an allow rule's apps condition is tested against the observed application
 * (dpi, exporter) and waived without one (port guess, none); a deny rule's holds when
 * either name the evidence gives is in its list: the observed application or the
 * responder port's (the port guess included), so neither a dissector's mistake nor a
 * disguise switches it off. */
static int apps_match(const uint16_t *apps, uint32_t n, int action, const struct ew_flow *f)
{
	if (n == 0)
		return 1;
	if (action == EW_ALLOW)
		return f->app_source == EW_APP_DPI || f->app_source == EW_APP_EXPORTER ?
		       apps_contain(apps, n, f) : 1;
	return (f->app_source != EW_APP_NONE && apps_contain(apps, n, f)) ||
	       port_apps_contain(apps, n, f);
}

static int app_match(const struct ew_rule *r, const struct ew_flow *f)
{
	return apps_match(r->apps, r->napps, r->action, f);
}

static const struct port_index *pair_index_of(const struct ew_policy *p,
					      const struct pair_slot *s, uint8_t proto)
{
	uint32_t i = p->slot_ix ? p->slot_ix[s - p->pairs] : 0;

	return i ? &p->pix[i - 1].by[ew_proto_class(proto)] : NULL;
}

/* Runs BODY for every rule of a (source group, destination group) pair of the flow,
 * "any" included, whose services take f, with d pointing at its deciding part: on an
 * indexed pair, the copies in the port's interval whose protocol is f's and the wide
 * records (policy_index.c); on the others, every record. A rule may be visited more
 * than once. Without ALL, the unconditional entries of a port summarised in the hit
 * table are visited as the one of them that decides (ew_pair_entries). */
#define FOR_CANDIDATES(p, sg, ns, dg, nd, f, ALL, d, BODY)                                 \
	for (uint32_t si_ = 0; si_ <= (ns); si_++) {                                       \
		uint32_t sgid_ = si_ < (ns) ? (sg)[si_] : (p)->ngroups;                    \
		const uint64_t *sig_ = (p)->sig[sgid_];                                    \
		for (uint32_t di_ = 0; di_ <= (nd); di_++) {                               \
			uint32_t dgid_ = di_ < (nd) ? (dg)[di_] : (p)->ngroups;            \
			uint32_t b_ = ew_sig_bit(dgid_);                                   \
			if (!(sig_[b_ >> 6] & (1ULL << (b_ & 63))))                        \
				continue;                                                  \
			const struct pair_slot *ps_ = pair_find((p), sgid_, dgid_);        \
			if (ps_ == NULL)                                                   \
				continue;                                                  \
			const struct pair_rec *rs_ = &(p)->recs[ps_->off];                 \
			const struct port_index *ix_ = pair_index_of((p), ps_, (f)->proto); \
			if (ix_ != NULL) {                                                 \
				uint32_t n_;                                               \
				struct pair_dec u_;                                        \
				const struct pair_dec *es_;                                \
				int once_ = ew_pair_entries((p), ix_, (f)->dport, (ALL), &u_, \
							    &es_, &n_);                    \
				for (; once_; once_ = 0) {                                 \
					const struct pair_dec *d = &u_;                    \
					BODY                                               \
				}                                                          \
				for (uint32_t k_ = 0; k_ < n_; k_++) {                     \
					const struct pair_dec *d = &es_[k_];               \
					if (d->proto != EW_PROTO_ANY && d->proto != (f)->proto) \
						continue;                                  \
					BODY                                               \
				}                                                          \
			}                                                                  \
			uint32_t nk_ = ix_ ? ix_->nwide : ps_->n;                          \
			for (uint32_t k_ = 0; k_ < nk_; k_++) {                            \
				const struct pair_rec *r_ = &rs_[ix_ ? ix_->wide[k_] : k_];  \
				const struct pair_dec *d = &r_->d;                         \
				if (!rec_svc_match((p), r_, (f)))                          \
					continue;                                          \
				BODY                                                       \
			}                                                                  \
		}                                                                          \
	}

/* The verdict for f whose ends are in group sets ss and ds. */
static void verdict_sets(const struct ew_policy *p, const struct ew_flow *f, uint32_t ss,
			 uint32_t ds, struct ew_verdict *v)
{
	/* the deciding rule as one number, the least wins: a deny rule (the highest
	 * severity, then the first) before any allow rule (the first) */
	const uint64_t none = UINT64_MAX, allow_base = 1ULL << 40;
	uint64_t best = none;
	uint32_t ns, nd;
	const uint32_t *sg, *dg;
	int dep = 0;

	v->src_set = ss;
	v->dst_set = ds;
	sg = ew_lpm_set(p->lpm, v->src_set, &ns);
	dg = ew_lpm_set(p->lpm, v->dst_set, &nd);
	FOR_CANDIDATES(p, sg, ns, dg, nd, f, 0, d, {
		uint64_t key;

		if (__builtin_expect(d->napps != 0, 0)) {
			/* the application could change this rule's say, unless the port
			 * already makes a deny rule hold */
			if (d->action == EW_ALLOW ||
			    !port_apps_contain(p->app_all + d->app_off, d->napps, f))
				dep = 1;
			if (!apps_match(p->app_all + d->app_off, d->napps, d->action, f))
				continue;
		}
		key = d->action == EW_DENY ? (uint64_t)(255 - d->severity) << 32 | d->rule
					   : allow_base | d->rule;
		best = key < best ? key : best;
	})
	v->app_dependent = (uint8_t)dep;
	v->rule = NULL;
	v->intra_group = 0;
	if (best < allow_base) {
		v->action = EW_DENY;
		v->severity = (uint8_t)(255 - (best >> 32));
		v->by = EW_BY_DENY_RULE;
		v->rule = &p->rules[(uint32_t)best];
		return;
	}
	v->severity = 0;
	if (best != none) {
		v->action = EW_ALLOW;
		v->by = EW_BY_ALLOW_RULE;
		v->rule = &p->rules[(uint32_t)best];
		return;
	}
	for (uint32_t i = 0, j = 0; i < ns && j < nd;) {
		if (sg[i] < dg[j]) {
			i++;
		} else if (sg[i] > dg[j]) {
			j++;
		} else {
			if (p->groups[sg[i]].intra_allow) {
				v->action = EW_ALLOW;
				v->by = EW_BY_INTRA;
				v->intra_group = sg[i];
				return;
			}
			i++;
			j++;
		}
	}
	v->action = p->def_action;
	v->severity = p->def_action == EW_DENY ? p->def_sev : 0;
	v->by = EW_BY_DEFAULT;
}

void ew_policy_verdict(const struct ew_policy *p, const struct ew_flow *f, struct ew_verdict *v)
{
	verdict_sets(p, f, ew_lpm_lookup(p->lpm, &f->src), ew_lpm_lookup(p->lpm, &f->dst), v);
}

void ew_vcache_init(struct ew_vcache *c)
{
	c->gen = 0;
	c->hits = c->misses = 0;
}

static void vcache_reset(struct ew_vcache *c, uint64_t gen)
{
	for (uint32_t i = 0; i < EW_VCACHE_SLOTS; i++)
		c->s[i].k0 = UINT64_MAX;   /* no pair of set ids is that: the lpm has fewer */
	c->gen = gen;
}

void ew_policy_verdict_cached(const struct ew_policy *p, struct ew_vcache *c,
			      const struct ew_flow *f, struct ew_verdict *v)
{
	uint32_t ss = ew_lpm_lookup(p->lpm, &f->src), ds = ew_lpm_lookup(p->lpm, &f->dst);
	uint64_t k0 = (uint64_t)ss << 32 | ds;
	uint64_t k1 = (uint64_t)f->proto | (uint64_t)p->pclass[f->dport] << 8 |
		      (uint64_t)f->app_source << 24 | (uint64_t)f->app_proto << 32 |
		      (uint64_t)f->app_master << 48;
	uint64_t k2 = (uint64_t)f->port_app[0] | (uint64_t)f->port_app[1] << 16 |
		      (uint64_t)f->port_app[2] << 32;
	uint64_t h = (k0 ^ (k1 + k2) * 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
	struct ew_vcache_slot *s = &c->s[h >> (64 - 10)];

	_Static_assert(EW_VCACHE_SLOTS == 1 << 10, "the hash takes 10 bits");
	if (__builtin_expect(c->gen != p->gen, 0))
		vcache_reset(c, p->gen);
	if (s->k0 == k0 && s->k1 == k1 && s->k2 == k2) {
		c->hits++;
		v->action = s->action;
		v->severity = s->severity;
		v->by = s->by;
		v->app_dependent = s->app_dependent;
		v->rule = s->rule == UINT32_MAX ? NULL : &p->rules[s->rule];
		v->intra_group = s->intra_group;
		v->src_set = ss;
		v->dst_set = ds;
		return;
	}
	c->misses++;
	verdict_sets(p, f, ss, ds, v);
	s->k0 = k0;
	s->k1 = k1;
	s->k2 = k2;
	s->action = v->action;
	s->severity = v->severity;
	s->by = v->by;
	s->app_dependent = v->app_dependent;
	s->rule = v->rule ? (uint32_t)(v->rule - p->rules) : UINT32_MAX;
	s->intra_group = v->intra_group;
}

uint32_t ew_policy_matches(const struct ew_policy *p, const struct ew_flow *f,
			   const struct ew_rule **out, uint32_t max)
{
	uint32_t ns, nd, n = 0;
	const uint32_t *sg = ew_lpm_set(p->lpm, ew_lpm_lookup(p->lpm, &f->src), &ns);
	const uint32_t *dg = ew_lpm_set(p->lpm, ew_lpm_lookup(p->lpm, &f->dst), &nd);
	uint8_t *seen = calloc(p->nrules ? p->nrules : 1, 1);

	if (seen == NULL)
		return 0;
	FOR_CANDIDATES(p, sg, ns, dg, nd, f, 1, d, {
		if (!seen[d->rule] && app_match(&p->rules[d->rule], f))
			seen[d->rule] = 1;
	})
	for (uint32_t i = 0; i < p->nrules; i++)
		if (seen[i]) {
			if (n < max)
				out[n] = &p->rules[i];
			n++;
		}
	free(seen);
	return n;
}

const uint32_t *ew_policy_set(const struct ew_policy *p, uint32_t set, uint32_t *n)
{
	return ew_lpm_set(p->lpm, set, n);
}

uint32_t ew_policy_set_of(const struct ew_policy *p, const struct ew_addr *a)
{
	return ew_lpm_lookup(p->lpm, a);
}

const struct ew_group *ew_policy_group(const struct ew_policy *p, uint32_t id)
{
	return id < p->ngroups ? &p->groups[id] : NULL;
}

const struct ew_rule *ew_policy_rule(const struct ew_policy *p, uint32_t i)
{
	return i < p->nrules ? &p->rules[i] : NULL;
}

void ew_policy_info(const struct ew_policy *p, struct ew_policy_info *out)
{
	uint32_t named = 0;

	for (uint32_t i = 0; i < p->ngroups; i++)
		named += !p->groups[i].inline_members;
	out->groups = named;
	out->rules = p->nrules;
	out->allow_rules = p->nallow;
	out->deny_rules = p->ndeny;
	out->files = p->nfiles;
	out->sets = ew_lpm_nsets(p->lpm);
	out->default_action = p->def_action;
	out->default_severity = p->def_sev;
	out->default_file = p->def_file;
	out->default_line = p->def_line;
	out->lpm_bytes = ew_lpm_bytes(p->lpm);
}

void ew_policy_free(struct ew_policy *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->ngroups; i++)
		free(p->groups[i].name);
	for (uint32_t i = 0; i < p->nrules; i++) {
		struct ew_rule *r = &p->rules[i];

		free(r->name);
		free(r->from);
		free(r->to);
		free(r->svc);
		free(r->apps);
		for (uint32_t k = 0; k < r->nnotify; k++)
			free(r->notify[k]);
		free(r->notify);
	}
	for (uint32_t i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	free(p->groups);
	free(p->rules);
	free(p->pclass);
	ew_policy_index_free(p);
	ew_mem_huge_free(p->pairs, p->npairs_mem);
	ew_mem_huge_free(p->recs, p->nrecs_mem);
	free(p->svc_all);
	free(p->app_all);
	free(p->sig);
	ew_lpm_free(p->lpm);
	free(p);
}

uint32_t ew_policy_group_names(const struct ew_policy *p, uint32_t set, const char **out,
			       uint32_t max)
{
	uint32_t n, k = 0;
	const uint32_t *g = ew_policy_set(p, set, &n);

	for (uint32_t i = 0; i < n && k < max; i++) {
		const struct ew_group *gr = ew_policy_group(p, g[i]);

		if (gr && !gr->inline_members)
			out[k++] = gr->name;
	}
	return k;
}
