/* SPDX-License-Identifier: Apache-2.0 */
/* learn - see learn.h. */
#include "analyzer/learn.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define HIGH_PORTS 8          /* more distinct ports >= 1024 than this: one range */
#define EXAMPLES 3

struct obs {
	struct ew_addr src, dst;
	uint16_t dport, app_proto, app_master;
	uint8_t proto, app_source;
	uint8_t failed;             /* refused or unanswered attempts: never proposed */
	uint64_t flows, bytes, pkts, first_us, last_us;
};

struct lgroup {
	char name[128];
	char member[160];           /* "" for a group of the existing policy */
	struct ew_addr *hosts;
	uint32_t nhosts, caphosts;
};

struct hostmap {              /* host -> group index */
	struct ew_addr a;
	uint32_t g;
	uint8_t used;
};

struct ew_learn {
	struct ew_learn_conf c;
	struct ew_classify *cls;
	struct obs *o;
	uint32_t n, cap;
	uint32_t *idx;              /* open addressing over o, 0 = empty, else index + 1 */
	uint32_t idx_mask;
	struct ew_learn_stats st;
	/* built when writing */
	struct lgroup *g;
	uint32_t ng, capg;
	struct hostmap *hm;
	uint32_t hm_mask;
};

struct ew_learn *ew_learn_new(const struct ew_learn_conf *c, struct ew_classify *cls)
{
	struct ew_learn *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->c = *c;
	if (l->c.label_key == NULL)
		l->c.label_key = "role";
	if (l->c.v4_prefix == 0)
		l->c.v4_prefix = 24;
	if (l->c.v6_prefix == 0)
		l->c.v6_prefix = 64;
	if (l->c.max_edges == 0)
		l->c.max_edges = 1000000;
	l->cls = cls;
	l->idx_mask = 4095;
	l->idx = calloc(l->idx_mask + 1, sizeof(*l->idx));
	if (l->idx == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void ew_learn_free(struct ew_learn *l)
{
	if (l == NULL)
		return;
	for (uint32_t i = 0; i < l->ng; i++)
		free(l->g[i].hosts);
	free(l->g);
	free(l->hm);
	free(l->o);
	free(l->idx);
	free(l);
}

/* learn is a command run by hand: out of memory ends it with a message and status 1 (the
 * tables it builds hold everything seen, so there is no smaller answer to give). */
static void __attribute__((noreturn)) out_of_memory(const char *what)
{
	ew_error("learn: out of memory for %s", what);
	exit(1);
}

static uint64_t obs_hash(const struct obs *k)
{
	return ew_addr_hash(&k->dst, ew_addr_hash(&k->src, ((uint64_t)k->proto << 48) |
					       ((uint64_t)k->dport << 32) |
					       ((uint64_t)k->app_proto << 16) | k->app_master) ^
				       (k->app_source | (uint64_t)k->failed << 8));
}

static int obs_eq(const struct obs *a, const struct obs *b)
{
	return a->proto == b->proto && a->dport == b->dport && a->app_proto == b->app_proto &&
	       a->app_master == b->app_master && a->app_source == b->app_source &&
	       a->failed == b->failed &&
	       ew_addr_eq(&a->src, &b->src) && ew_addr_eq(&a->dst, &b->dst);
}

static int grow_index(struct ew_learn *l)
{
	uint32_t nm = l->idx_mask * 2 + 1;
	uint32_t *ni = calloc((size_t)nm + 1, sizeof(*ni));

	if (ni == NULL)
		return -1;
	for (uint32_t i = 0; i < l->n; i++) {
		uint64_t h = obs_hash(&l->o[i]);

		while (ni[h & nm])
			h++;
		ni[h & nm] = i + 1;
	}
	free(l->idx);
	l->idx = ni;
	l->idx_mask = nm;
	return 0;
}

/* Did f get through? TCP: the responder accepted (SYN-ACK, or ACKs of a flow picked up
 * mid-stream) and the initiator acknowledged: a SYN answered by RST or by nothing, and a
 * half-open probe (SYN, SYN-ACK, RST) did not. UDP and others: an answer came back, or
 * the sender kept sending (three datagrams or more one way: syslog, telemetry); a
 * single datagram or two that nobody answered were attempts. ICMP: a reply came. A
 * record without TCP flags (telemetry without them) counts by its packets both ways. */
int ew_learn_succeeded(const struct ew_flow *f)
{
	switch (f->proto) {
	case 6:
		if (f->pkts[1] == 0)
			return 0;
		if (f->tcp_flags[0] == 0 && f->tcp_flags[1] == 0)
			return 1;
		if (!(f->tcp_flags[0] & EW_TH_ACK))
			return 0;
		if ((f->tcp_flags[1] & (EW_TH_SYN | EW_TH_ACK)) == (EW_TH_SYN | EW_TH_ACK))
			return 1;
		/* mid-stream: no handshake seen; a responder that only reset refused */
		return !(f->tcp_flags[0] & EW_TH_SYN) && (f->tcp_flags[1] & EW_TH_ACK) &&
		       (f->tcp_flags[1] & ~(EW_TH_RST | EW_TH_ACK)) != 0;
	case 1:
	case 58:
		return f->pkts[1] > 0;
	default:
		return f->pkts[1] > 0 || f->pkts[0] >= 3 * (f->sampling ? f->sampling : 1);
	}
}

void ew_learn_flow(void *arg, const struct ew_flow *f, int final)
{
	struct ew_learn *l = arg;
	struct obs k;
	uint64_t h;

	memset(&k, 0, sizeof(k));
	k.src = f->src;
	k.dst = f->dst;
	k.proto = f->proto;
	k.dport = (f->proto == 6 || f->proto == 17 || f->proto == 132) ? f->dport : 0;
	if (f->app_source == EW_APP_DPI || f->app_source == EW_APP_EXPORTER) {
		k.app_proto = f->app_proto;
		k.app_master = f->app_master;
		k.app_source = f->app_source;
	}
	k.failed = final && !ew_learn_succeeded(f);
	l->st.flows += final != 0;
	l->st.failed += k.failed;
	for (h = obs_hash(&k);; h++) {
		uint32_t at = l->idx[h & l->idx_mask];
		struct obs *o;

		if (at == 0)
			break;
		o = &l->o[at - 1];
		if (obs_eq(o, &k)) {
			o->flows += final != 0;
			o->bytes += f->bytes[0] + f->bytes[1];
			o->pkts += f->pkts[0] + f->pkts[1];
			if (f->first_us && (o->first_us == 0 || f->first_us < o->first_us))
				o->first_us = f->first_us;
			if (f->last_us > o->last_us)
				o->last_us = f->last_us;
			return;
		}
	}
	if (l->n >= l->c.max_edges) {
		l->st.dropped++;
		return;
	}
	if (l->n == l->cap) {
		uint32_t nc = l->cap ? l->cap * 2 : 1024;
		struct obs *no = realloc(l->o, (size_t)nc * sizeof(*no));

		if (no == NULL) {
			l->st.dropped++;
			return;
		}
		l->o = no;
		l->cap = nc;
	}
	k.flows = final != 0;
	k.bytes = f->bytes[0] + f->bytes[1];
	k.pkts = f->pkts[0] + f->pkts[1];
	k.first_us = f->first_us;
	k.last_us = f->last_us;
	l->o[l->n++] = k;
	if ((uint64_t)l->n * 2 > l->idx_mask && grow_index(l) != 0) {
		l->n--;
		l->st.dropped++;
		return;
	}
	for (h = obs_hash(&k); l->idx[h & l->idx_mask]; h++)
		;
	l->idx[h & l->idx_mask] = l->n;
}

/* ---------------------------------------------------------------- grouping */

static void clean_name(char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		*s = isalnum(c) || c == '_' ? (char)tolower(c) : '-';
	}
}

static int group_named(struct ew_learn *l, const char *name)
{
	for (uint32_t i = 0; i < l->ng; i++)
		if (strcmp(l->g[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int existing_group(const struct ew_learn *l, const char *name)
{
	const struct ew_policy *p = l->c.groups_from;
	struct ew_policy_info pi;

	if (p == NULL)
		return 0;
	ew_policy_info(p, &pi);
	for (uint32_t i = 0; i < pi.groups; i++) {
		const struct ew_group *g = ew_policy_group(p, i);

		if (g && strcmp(g->name, name) == 0)
			return 1;
	}
	return 0;
}

static uint32_t group_add(struct ew_learn *l, const char *name, const char *member)
{
	int at = group_named(l, name);
	struct lgroup *g;

	if (at >= 0)
		return (uint32_t)at;
	if (l->ng == l->capg) {
		uint32_t nc = l->capg ? l->capg * 2 : 64;
		struct lgroup *ng = realloc(l->g, nc * sizeof(*ng));

		if (ng == NULL)
			out_of_memory("groups");
		l->g = ng;
		l->capg = nc;
	}
	g = &l->g[l->ng];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	snprintf(g->member, sizeof(g->member), "%s", member);
	return l->ng++;
}

/* The group that names host a (see learn.h for the order). */
static uint32_t group_of(struct ew_learn *l, const struct ew_addr *a)
{
	char name[128], member[160], s[EW_ADDR_STRLEN];
	uint64_t h = ew_addr_hash(a, 77);
	struct hostmap *m;
	struct lgroup *g;
	uint32_t gi;

	for (;; h++) {
		m = &l->hm[h & l->hm_mask];
		if (!m->used)
			break;
		if (ew_addr_eq(&m->a, a))
			return m->g;
	}
	name[0] = '\0';
	if (l->c.groups_from) {
		uint32_t n;
		const uint32_t *ids = ew_policy_set(l->c.groups_from,
						    ew_policy_set_of(l->c.groups_from, a), &n);

		for (uint32_t i = 0; i < n && !name[0]; i++) {
			const struct ew_group *eg = ew_policy_group(l->c.groups_from, ids[i]);

			if (eg && !eg->inline_members) {
				snprintf(name, sizeof(name), "%s", eg->name);
				member[0] = '\0';
			}
		}
	}
	if (!name[0] && l->c.inv) {
		uint32_t nkv;
		const char *const *kv = ew_inventory_labels(l->c.inv, a, &nkv);
		const char *k = NULL, *v = NULL;

		for (uint32_t i = 0; i + 1 < nkv; i += 2)
			if (strcmp(kv[i], l->c.label_key) == 0) {
				k = kv[i];
				v = kv[i + 1];
			}
		if (k == NULL && nkv >= 2) {
			k = kv[0];
			v = kv[1];
		}
		if (k) {
			if (strcmp(k, l->c.label_key) == 0)
				snprintf(name, sizeof(name), "%s", v);
			else
				snprintf(name, sizeof(name), "%s-%s", k, v);
			clean_name(name);
			if (existing_group(l, name))
				snprintf(name + strlen(name), sizeof(name) - strlen(name), "-label");
			snprintf(member, sizeof(member), "label:%s=%s", k, v);
		}
	}
	if (!name[0]) {
		struct ew_addr net = *a;
		unsigned plen = ew_addr_is_v4(a) ? 96 + l->c.v4_prefix : l->c.v6_prefix;

		for (unsigned b = plen; b < 128; b++)
			net.a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
		ew_addr_format(&net, s);
		snprintf(member, sizeof(member), "%s/%u", s, ew_addr_is_v4(a) ? plen - 96 : plen);
		snprintf(name, sizeof(name), "net-%s", member);
		clean_name(name);
		while (strstr(name, "--"))
			memmove(strstr(name, "--"), strstr(name, "--") + 1,
				strlen(strstr(name, "--")));
	}
	gi = group_add(l, name, member);
	g = &l->g[gi];
	if (g->nhosts == g->caphosts) {
		uint32_t nc = g->caphosts ? g->caphosts * 2 : 8;
		struct ew_addr *nh = realloc(g->hosts, nc * sizeof(*nh));

		if (nh == NULL)
			out_of_memory("a group's hosts");
		g->hosts = nh;
		g->caphosts = nc;
	}
	g->hosts[g->nhosts++] = *a;
	m->used = 1;
	m->a = *a;
	m->g = gi;
	l->st.hosts++;
	return gi;
}

static void build_groups(struct ew_learn *l)
{
	uint32_t want = 64;

	if (l->hm)
		return;
	while (want < l->n * 4 + 64)
		want <<= 1;
	l->hm = calloc(want, sizeof(*l->hm));
	if (l->hm == NULL)
		out_of_memory("the host index");
	l->hm_mask = want - 1;
	for (uint32_t i = 0; i < l->n; i++) {
		group_of(l, &l->o[i].src);
		group_of(l, &l->o[i].dst);
	}
}

/* ---------------------------------------------------------------- services */

struct svc {
	uint32_t sg, dg;
	const char *sgn, *dgn;      /* their names: rules come in name order, so the proposal
				     * does not depend on the order flows came in */
	uint8_t proto;
	uint16_t port;
	char apps[256];             /* sorted application names joined by ',' ("" none) */
	uint64_t flows, bytes, first_us, last_us;
	struct ew_addr ex_src[EXAMPLES], ex_dst[EXAMPLES];
	uint32_t nex;
};

static const char *app_of(const struct ew_learn *l, const struct obs *o)
{
	if (o->app_source != EW_APP_DPI && o->app_source != EW_APP_EXPORTER)
		return NULL;
	return ew_classify_name(l->cls, o->app_master ? o->app_master : o->app_proto);
}

static void apps_add(char *set, size_t cap, const char *app)
{
	char tmp[256], *names[32], *save = NULL;
	uint32_t n = 0;
	size_t len = 0;

	snprintf(tmp, sizeof(tmp), "%s", set);
	for (char *t = strtok_r(tmp, ",", &save); t && n < 31; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, app) == 0)
			return;
		names[n++] = t;
	}
	names[n++] = (char *)app;
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *x = names[j];

			names[j] = names[j - 1];
			names[j - 1] = x;
		}
	set[0] = '\0';
	for (uint32_t i = 0; i < n; i++)
		len += (size_t)snprintf(set + len, len < cap ? cap - len : 0, "%s%s", i ? "," : "",
					names[i]);
}

static int svc_cmp(const void *x, const void *y)
{
	const struct svc *a = x, *b = y;
	int c;

	if ((c = strcmp(a->sgn, b->sgn)) != 0 || (c = strcmp(a->dgn, b->dgn)) != 0)
		return c;
	if ((c = strcmp(a->apps, b->apps)) != 0)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* One entry per (source group, destination group, protocol, port) with the union of
 * its applications; sorted into rules. */
static struct svc *build_services(struct ew_learn *l, uint32_t *nout)
{
	struct svc *v = calloc(l->n ? l->n : 1, sizeof(*v));
	uint32_t n = 0;

	if (v == NULL)
		out_of_memory("services");
	build_groups(l);
	for (uint32_t i = 0; i < l->n; i++) {
		const struct obs *o = &l->o[i];
		uint32_t sg, dg;
		const char *app = app_of(l, o);
		struct svc *s = NULL;

		if (o->failed)
			continue;
		sg = group_of(l, &o->src);
		dg = group_of(l, &o->dst);

		for (uint32_t j = 0; j < n && s == NULL; j++)   /* few services per pair */
			if (v[j].sg == sg && v[j].dg == dg && v[j].proto == o->proto &&
			    v[j].port == o->dport)
				s = &v[j];
		if (s == NULL) {
			s = &v[n++];
			s->sg = sg;
			s->dg = dg;
			s->sgn = l->g[sg].name;
			s->dgn = l->g[dg].name;
			s->proto = o->proto;
			s->port = o->dport;
		}
		if (app)
			apps_add(s->apps, sizeof(s->apps), app);
		s->flows += o->flows;
		s->bytes += o->bytes;
		if (o->first_us && (s->first_us == 0 || o->first_us < s->first_us))
			s->first_us = o->first_us;
		if (o->last_us > s->last_us)
			s->last_us = o->last_us;
		if (s->nex < EXAMPLES) {
			int dup = 0;

			for (uint32_t e = 0; e < s->nex; e++)
				dup |= ew_addr_eq(&s->ex_src[e], &o->src) && ew_addr_eq(&s->ex_dst[e], &o->dst);
			if (!dup) {
				s->ex_src[s->nex] = o->src;
				s->ex_dst[s->nex++] = o->dst;
			}
		}
	}
	qsort(v, n, sizeof(*v), svc_cmp);
	*nout = n;
	return v;
}

static const char *svc_text(uint8_t proto, uint16_t lo, uint16_t hi, char *out, size_t cap)
{
	char tb[8];

	if (proto == 6 || proto == 17 || proto == 132) {
		if (lo == hi)
			snprintf(out, cap, "%s/%u", ew_transport_name(proto, tb), lo);
		else
			snprintf(out, cap, "%s/%u-%u", ew_transport_name(proto, tb), lo, hi);
	} else if (proto == 1 || proto == 58) {
		snprintf(out, cap, "%s", ew_transport_name(proto, tb));
	} else {
		snprintf(out, cap, "%u", proto);
	}
	return out;
}

static void evidence(FILE *out, const struct svc *s, const char *what)
{
	char t1[32], t2[32], a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN];

	fprintf(out, "  # %s%s%s%s: %llu flow%s, %llu bytes, first %s, last %s; e.g.", what,
		s->apps[0] ? " (" : "", s->apps, s->apps[0] ? ")" : "",
		(unsigned long long)s->flows, s->flows == 1 ? "" : "s", (unsigned long long)s->bytes,
		ew_time_rfc3339(s->first_us, t1), ew_time_rfc3339(s->last_us, t2));
	for (uint32_t e = 0; e < s->nex; e++)
		fprintf(out, "%s %s -> %s", e ? "," : "", ew_addr_format(&s->ex_src[e], a),
			ew_addr_format(&s->ex_dst[e], b));
	fputc('\n', out);
}

/* The attempts that were refused or went unanswered, as a comment block of their own:
 * a person should see them (a scan, a dead service, a misconfigured client), and no rule
 * permits them. At most 100 lines, the most frequent first. */
static int failed_cmp(const void *x, const void *y)
{
	const struct obs *a = *(const struct obs *const *)x, *b = *(const struct obs *const *)y;

	return a->flows != b->flows ? (a->flows < b->flows ? 1 : -1) :
	       a->first_us < b->first_us ? -1 : a->first_us > b->first_us;
}

static void failed_attempts(struct ew_learn *l, FILE *out)
{
	const struct obs **f = NULL;
	uint32_t n = 0;
	uint64_t total = 0;

	for (uint32_t i = 0; i < l->n; i++)
		n += l->o[i].failed && l->o[i].flows;
	if (n == 0 || (f = calloc(n, sizeof(*f))) == NULL)
		return;
	n = 0;
	for (uint32_t i = 0; i < l->n; i++)
		if (l->o[i].failed && l->o[i].flows) {
			f[n++] = &l->o[i];
			total += l->o[i].flows;
		}
	qsort(f, n, sizeof(*f), failed_cmp);
	fprintf(out, "\n# Not proposed: %llu attempt%s refused or unanswered, on %u "
		"(source, destination, service)%s.\n# Read them: a scan, a client of a service "
		"that is gone, or a path blocked elsewhere.\n#   source -> destination service: "
		"attempts, first seen\n", (unsigned long long)total, total == 1 ? "" : "s", n,
		n == 1 ? "" : "s");
	for (uint32_t i = 0; i < n && i < 100; i++) {
		char a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN], svc[64], t[32];

		fprintf(out, "#   %s -> %s %s: %llu, %s\n", ew_addr_format(&f[i]->src, a),
			ew_addr_format(&f[i]->dst, b),
			svc_text(f[i]->proto, f[i]->dport, f[i]->dport, svc, sizeof(svc)),
			(unsigned long long)f[i]->flows, ew_time_rfc3339(f[i]->first_us, t));
	}
	if (n > 100)
		fprintf(out, "#   ... and %u more\n", n - 100);
	free(f);
}

int ew_learn_write_policy(struct ew_learn *l, FILE *out, const char *from)
{
	uint32_t nv, i = 0, nrules = 0, defined = 0;
	struct svc *v = build_services(l, &nv);
	char **names = calloc(nv ? nv : 1, sizeof(*names));

	fprintf(out, "# Proposed by eastwatch learn from %s: %llu flows between %llu hosts.\n"
		"# Each rule permits what was observed between two groups, no more; read the\n"
		"# evidence above each rule before you adopt it.\n",
		from, (unsigned long long)l->st.flows, (unsigned long long)l->st.hosts);
	for (uint32_t g = 0; g < l->ng; g++)
		defined += l->g[g].member[0] != '\0';
	if (defined) {
		uint32_t *order = calloc(l->ng, sizeof(*order));

		if (order == NULL)
			out_of_memory("groups");
		for (uint32_t g = 0; g < l->ng; g++) {   /* by name (few groups: insertion) */
			uint32_t j = g;

			for (; j > 0 && strcmp(l->g[order[j - 1]].name, l->g[g].name) > 0; j--)
				order[j] = order[j - 1];
			order[j] = g;
		}
		fprintf(out, "groups:\n");
		for (uint32_t gi = 0; gi < l->ng; gi++) {
			char a[EW_ADDR_STRLEN];
			uint32_t g = order[gi];

			if (!l->g[g].member[0])
				continue;
			fprintf(out, "  %s: { members: [\"%s\"] }   # %u host%s seen:", l->g[g].name,
				l->g[g].member, l->g[g].nhosts, l->g[g].nhosts == 1 ? "" : "s");
			for (uint32_t h = 0; h < l->g[g].nhosts && h < 8; h++)
				fprintf(out, " %s", ew_addr_format(&l->g[g].hosts[h], a));
			fprintf(out, "%s\n", l->g[g].nhosts > 8 ? " ..." : "");
		}
		free(order);
	}
	fprintf(out, "allow:\n");
	if (nv == 0)
		fprintf(out, "  []\n");
	while (i < nv) {
		uint32_t j = i, k;
		char name[600], base[520], svc[64];
		int uniq = 1, first;

		while (j < nv && v[j].sg == v[i].sg && v[j].dg == v[i].dg &&
		       strcmp(v[j].apps, v[i].apps) == 0)
			j++;
		snprintf(base, sizeof(base), "%s-to-%s%s%s", l->g[v[i].sg].name, l->g[v[i].dg].name,
			 v[i].apps[0] ? "-" : "", v[i].apps);
		clean_name(base);
		snprintf(name, sizeof(name), "%s", base);
		for (k = 0; k < nrules; k++)
			if (strcmp(names[k], name) == 0) {
				snprintf(name, sizeof(name), "%s-%d", base, ++uniq);
				k = (uint32_t)-1;      /* check again from the start */
			}
		names[nrules++] = strdup(name);
		/* evidence, then the rule; high ports of one protocol as one range */
		fprintf(out, "\n");
		for (k = i; k < j; k++)
			evidence(out, &v[k], svc_text(v[k].proto, v[k].port, v[k].port, svc, sizeof(svc)));
		fprintf(out, "  - name: %s\n    from: %s\n    to: %s\n    services: [", name,
			l->g[v[i].sg].name, l->g[v[i].dg].name);
		for (k = i, first = 1; k < j;) {
			uint32_t e = k, high = 0;

			while (e < j && v[e].proto == v[k].proto)
				high += v[e++].port >= 1024;
			for (uint32_t x = k; x < e; x++) {
				if ((v[k].proto == 6 || v[k].proto == 17) && high > HIGH_PORTS &&
				    v[x].port >= 1024)
					continue;
				fprintf(out, "%s%s", first ? "" : ", ",
					svc_text(v[x].proto, v[x].port, v[x].port, svc, sizeof(svc)));
				first = 0;
			}
			if ((v[k].proto == 6 || v[k].proto == 17) && high > HIGH_PORTS) {
				uint16_t lo = 65535, hi = 0;

				for (uint32_t x = k; x < e; x++)
					if (v[x].port >= 1024) {
						lo = v[x].port < lo ? v[x].port : lo;
						hi = v[x].port > hi ? v[x].port : hi;
					}
				fprintf(out, "%s%s", first ? "" : ", ",
					svc_text(v[k].proto, lo, hi, svc, sizeof(svc)));
				first = 0;
			}
			k = e;
		}
		fprintf(out, "]\n");
		if (v[i].apps[0]) {
			char apps[256], *save = NULL;

			first = 1;
			snprintf(apps, sizeof(apps), "%s", v[i].apps);
			fprintf(out, "    apps: [");
			for (char *t = strtok_r(apps, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				fprintf(out, "%s\"%s\"", first ? "" : ", ", t);
				first = 0;
			}
			fprintf(out, "]\n");
		}
		i = j;
	}
	if (l->c.groups_from == NULL)
		fprintf(out, "\ndefault: { action: deny, severity: high }\n");
	failed_attempts(l, out);
	for (uint32_t k = 0; k < nrules; k++)
		free(names[k]);
	free(names);
	free(v);
	return ferror(out) ? EW_E_IO : EW_OK;
}

static void dot_id(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

int ew_learn_write_graph(struct ew_learn *l, FILE *out)
{
	char a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN], svc[64], label[2048];

	build_groups(l);
	fprintf(out, "digraph eastwatch {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
		"  edge [fontname=\"Helvetica\", fontsize=10];\n");
	for (uint32_t g = 0; g < l->ng; g++) {
		char cl[160];

		snprintf(cl, sizeof(cl), "cluster_%u", g);
		fprintf(out, "  subgraph ");
		dot_id(out, cl);
		fprintf(out, " {\n    label=");
		dot_id(out, l->g[g].name);
		fprintf(out, ";\n    style=rounded;\n");
		for (uint32_t h = 0; h < l->g[g].nhosts; h++) {
			fprintf(out, "    ");
			dot_id(out, ew_addr_format(&l->g[g].hosts[h], a));
			fprintf(out, ";\n");
		}
		fprintf(out, "  }\n");
	}
	/* one edge per host pair, labelled with its services */
	for (uint32_t i = 0; i < l->n; i++) {
		const struct obs *o = &l->o[i];
		size_t len = 0;
		uint64_t flows = 0;
		int seen = o->failed;

		for (uint32_t k = 0; k < i && !seen; k++)
			seen = ew_addr_eq(&l->o[k].src, &o->src) && ew_addr_eq(&l->o[k].dst, &o->dst);
		if (seen)
			continue;
		label[0] = '\0';
		for (uint32_t k = i; k < l->n; k++) {
			const struct obs *q = &l->o[k];
			const char *app;

			if (q->failed || !ew_addr_eq(&q->src, &o->src) ||
			    !ew_addr_eq(&q->dst, &o->dst))
				continue;
			app = app_of(l, q);
			flows += q->flows;
			if (len + 80 < sizeof(label))
				len += (size_t)snprintf(label + len, sizeof(label) - len, "%s%s%s%s",
							len ? "\\n" : "",
							svc_text(q->proto, q->dport, q->dport, svc, sizeof(svc)),
							app ? " " : "", app ? app : "");
		}
		fprintf(out, "  ");
		dot_id(out, ew_addr_format(&o->src, a));
		fprintf(out, " -> ");
		dot_id(out, ew_addr_format(&o->dst, b));
		fprintf(out, " [label=\"%s\\n%llu flow%s\"];\n", label, (unsigned long long)flows,
			flows == 1 ? "" : "s");
	}
	fprintf(out, "}\n");
	return ferror(out) ? EW_E_IO : EW_OK;
}

static void verdict_text(const struct ew_verdict *v, char *out, size_t cap)
{
	const char *act = v->action == EW_ALLOW ? "allowed" : "denied";

	if (v->rule)
		snprintf(out, cap, "%s by %s rule %s (%s:%u)", act,
			 v->rule->action == EW_ALLOW ? "allow" : "deny", v->rule->name, v->rule->file,
			 v->rule->line);
	else if (v->by == EW_BY_INTRA)
		snprintf(out, cap, "%s within its group (intra: allow)", act);
	else
		snprintf(out, cap, "%s by the default", act);
}

uint64_t ew_learn_diff(struct ew_learn *l, const struct ew_policy *before, const char *bname,
		       const struct ew_policy *after, const char *aname, FILE *out)
{
	uint64_t changed[2] = { 0, 0 }, flows[2] = { 0, 0 };

	fprintf(out, "# eastwatch learn --diff: %llu observed flows (%u distinct) judged by %s "
		"and by %s\n", (unsigned long long)l->st.flows, l->n, bname, aname);
	for (int pass = 0; pass < 2; pass++) {   /* newly denied, then newly allowed */
		int header = 0;

		for (uint32_t i = 0; i < l->n; i++) {
			const struct obs *o = &l->o[i];
			struct ew_flow f;
			struct ew_verdict vb, va;
			char sb[600], sa[600], a[EW_ADDR_STRLEN], b[EW_ADDR_STRLEN], svc[64], app[64];

			memset(&f, 0, sizeof(f));
			f.src = o->src;
			f.dst = o->dst;
			f.proto = o->proto;
			f.dport = o->dport;
			f.app_proto = o->app_proto;
			f.app_master = o->app_master;
			f.app_source = o->app_source;
			ew_classify_port_apps(l->cls, &f);
			ew_policy_verdict(before, &f, &vb);
			ew_policy_verdict(after, &f, &va);
			if (vb.action == va.action || (pass == 0) != (va.action == EW_DENY))
				continue;
			if (!header) {
				fprintf(out, "\n%s:\n", pass == 0 ? "newly denied" : "newly allowed");
				header = 1;
			}
			changed[pass]++;
			flows[pass] += o->flows;
			verdict_text(&vb, sb, sizeof(sb));
			verdict_text(&va, sa, sizeof(sa));
			if (o->app_source)
				ew_classify_flow_name(l->cls, &f, app, sizeof(app));
			fprintf(out, "  %s -> %s %s%s%s%s: %llu flows; was %s, now %s\n",
				ew_addr_format(&o->src, a), ew_addr_format(&o->dst, b),
				svc_text(o->proto, o->dport, o->dport, svc, sizeof(svc)),
				o->app_source ? " (" : "", o->app_source ? app : "",
				o->app_source ? ")" : "", (unsigned long long)o->flows, sb, sa);
		}
	}
	fprintf(out, "\n%llu newly denied (%llu flows), %llu newly allowed (%llu flows)\n",
		(unsigned long long)changed[0], (unsigned long long)flows[0],
		(unsigned long long)changed[1], (unsigned long long)flows[1]);
	return changed[0] + changed[1];
}

void ew_learn_stats(const struct ew_learn *l, struct ew_learn_stats *out)
{
	*out = l->st;
	out->edges = l->n;
}
