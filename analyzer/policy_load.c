/* SPDX-License-Identifier: Apache-2.0 */
/* policy_load - rules.d YAML -> compiled policy (SPEC §3).
 *
 * Every file is parsed with libyaml (through ew_conf, which keeps positions); groups of
 * all files are read before any rule, so a rule may name a group of another file. Any
 * error stops the load with "FILE:LINE:COL: message" and frees everything: a policy is
 * either whole or absent. */
#include "analyzer/policy_int.h"
#include "core/ew_conf.h"
#include "core/ew_mem.h"

#include <dirent.h>
#include <errno.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS (64u << 20)   /* (from, to) index entries: bounds a rule like any x 10k */

struct strmap {                 /* open addressing: name -> index */
	const char **k;
	uint32_t *v;
	uint32_t cap, n;
};

struct loader {
	const struct ew_policy_opts *o;
	struct ew_err *err;
	struct ew_policy *p;
	struct ew_lpm_builder *lb;
	struct ew_conf **docs;
	uint32_t ndocs;
	uint32_t capgroups, caprules;
	struct strmap gmap, rmap;
	const struct ew_inventory *inv;   /* opts' inventory, or own_inv */
	struct ew_inventory *own_inv;     /* read from opts' inventory_file */
	int has_default;
	struct ew_conf_node def_node;
};

/* ---- small helpers ---- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

static int strmap_find(const struct strmap *m, const char *k, uint32_t *v)
{
	if (m->cap == 0)
		return 0;
	for (uint32_t i = (uint32_t)str_hash(k) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->k[i], k) == 0) {
			*v = m->v[i];
			return 1;
		}
	return 0;
}

static int strmap_put(struct strmap *m, const char *k, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		struct strmap nm = { 0 };

		nm.cap = m->cap ? m->cap * 2 : 64;
		nm.k = calloc(nm.cap, sizeof(*nm.k));
		nm.v = calloc(nm.cap, sizeof(*nm.v));
		if (nm.k == NULL || nm.v == NULL) {
			free(nm.k);
			free(nm.v);
			return -1;
		}
		for (uint32_t i = 0; i < m->cap; i++)
			if (m->k[i])
				strmap_put(&nm, m->k[i], m->v[i]);
		free(m->k);
		free(m->v);
		*m = nm;
	}
	uint32_t i = (uint32_t)str_hash(k) & (m->cap - 1);
	while (m->k[i])
		i = (i + 1) & (m->cap - 1);
	m->k[i] = k;
	m->v[i] = v;
	m->n++;
	return 0;
}

static void strmap_free(struct strmap *m)
{
	free(m->k);
	free(m->v);
}

static int oom(struct loader *L)
{
	return ew_err_set(L->err, "policy: out of memory");
}

static int valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* ---- addresses, ranges, labels ---- */

typedef unsigned __int128 u128;

static u128 to128(const struct ew_addr *a)
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | a->a[i];
	return v;
}

static void from128(struct ew_addr *a, u128 v)
{
	for (int i = 15; i >= 0; i--) {
		a->a[i] = (uint8_t)v;
		v >>= 8;
	}
}

static int add_prefix(struct loader *L, const struct ew_addr *a, unsigned plen, uint32_t gid)
{
	return ew_lpm_builder_add(L->lb, a, plen, gid) == 0 ? EW_OK : oom(L);
}

static int add_range(struct loader *L, struct ew_conf_node n, const char *s, uint32_t gid)
{
	char lo_s[64], hi_s[64];
	const char *dash = strchr(s, '-');
	struct ew_addr lo, hi;
	u128 a, b;

	if (dash == NULL || (size_t)(dash - s) >= sizeof(lo_s) || strlen(dash + 1) >= sizeof(hi_s))
		return ew_conf_errf(L->err, n, "bad address range \"%s\"", s);
	memcpy(lo_s, s, (size_t)(dash - s));
	lo_s[dash - s] = '\0';
	strcpy(hi_s, dash + 1);
	if (ew_addr_parse(&lo, lo_s) || ew_addr_parse(&hi, hi_s))
		return ew_conf_errf(L->err, n, "bad address range \"%s\": expected ADDRESS-ADDRESS", s);
	if (ew_addr_is_v4(&lo) != ew_addr_is_v4(&hi))
		return ew_conf_errf(L->err, n, "address range \"%s\" mixes IPv4 and IPv6", s);
	a = to128(&lo);
	b = to128(&hi);
	if (a > b)
		return ew_conf_errf(L->err, n, "address range \"%s\" ends before it starts", s);
	/* Split [a, b] into the fewest aligned prefixes. */
	for (;;) {
		unsigned size_bits = 0;
		struct ew_addr pa;

		while (size_bits < 128) {
			/* the next block size, 2^(size_bits + 1); 2^128 (the whole space) does
			 * not fit in 128 bits and is tested apart */
			u128 mask = size_bits == 127 ? ~(u128)0 : ((u128)1 << (size_bits + 1)) - 1;

			if ((a & mask) != 0 || a + mask > b || a + mask < a)
				break;
			size_bits++;
		}
		from128(&pa, a);
		if (add_prefix(L, &pa, 128 - size_bits, gid) != EW_OK)
			return EW_E_NOMEM;
		if (size_bits == 128)
			break;
		u128 last = a + (((u128)1 << size_bits) - 1);
		if (last >= b)
			break;
		a = last + 1;
	}
	return EW_OK;
}

static int load_inventory(struct loader *L, struct ew_conf_node at)
{
	if (L->inv != NULL)
		return EW_OK;
	if (L->o && L->o->inventory) {
		L->inv = L->o->inventory;
		return EW_OK;
	}
	if (L->o == NULL || L->o->inventory_file == NULL)
		return ew_conf_errf(L->err, at, "label selectors need an inventory "
				    "(inventory: { file: ... } or { redis: ... } in the "
				    "configuration)");
	L->inv = L->own_inv = ew_inventory_load_file(L->o->inventory_file, L->err);
	return L->inv ? EW_OK : EW_E_INVAL;
}

struct label_match {
	struct loader *L;
	const char *key, *value;
	uint32_t gid;
	int rc;
};

static void label_member(void *arg, const struct ew_addr *a, unsigned plen,
			 const char *const *kv, uint32_t nkv)
{
	struct label_match *m = arg;

	for (uint32_t i = 0; i + 1 < nkv && m->rc == EW_OK; i += 2)
		if (strcmp(kv[i], m->key) == 0 && strcmp(kv[i + 1], m->value) == 0)
			m->rc = add_prefix(m->L, a, plen, m->gid);
}

static int add_label_members(struct loader *L, struct ew_conf_node n, const char *sel,
			     uint32_t gid)
{
	const char *eq = strchr(sel, '=');
	char key[128];
	struct label_match m = { L, key, eq ? eq + 1 : NULL, gid, EW_OK };

	if (eq == NULL || eq == sel || eq[1] == '\0' || (size_t)(eq - sel) >= sizeof(key))
		return ew_conf_errf(L->err, n, "bad label selector \"label:%s\": expected "
				    "label:KEY=VALUE", sel);
	memcpy(key, sel, (size_t)(eq - sel));
	key[eq - sel] = '\0';
	if (load_inventory(L, n) != EW_OK)
		return EW_E_INVAL;
	ew_inventory_each(L->inv, label_member, &m);
	return m.rc;
}

/* One member: address, CIDR, range or label selector. */
static int add_member(struct loader *L, struct ew_conf_node n, uint32_t gid)
{
	const char *s;
	struct ew_addr a;
	unsigned plen;

	if (ew_conf_string(n, &s, L->err) != EW_OK)
		return EW_E_INVAL;
	if (strncmp(s, "label:", 6) == 0)
		return add_label_members(L, n, s + 6, gid);
	if (strchr(s, '-') != NULL && strchr(s, '/') == NULL)
		return add_range(L, n, s, gid);
	if (ew_prefix_parse(&a, &plen, s, 1) != 0) {
		if (strcmp(s, "any") == 0)
			return ew_conf_errf(L->err, n, "\"any\" is not a member; use from: any "
					    "or to: any in a rule");
		return ew_conf_errf(L->err, n, "bad address \"%s\": expected an IPv4/IPv6 "
				    "address, CIDR prefix, range A-B or label:KEY=VALUE", s);
	}
	if (ew_prefix_parse(&a, &plen, s, 0) != 0)
		return ew_conf_errf(L->err, n, "prefix \"%s\" has bits set after its length",
				    s);
	return add_prefix(L, &a, plen, gid);
}

static int looks_like_member(const char *s)
{
	struct ew_addr a;
	unsigned plen;

	return strncmp(s, "label:", 6) == 0 || ew_prefix_parse(&a, &plen, s, 1) == 0 ||
	       (strchr(s, '-') != NULL && strchr(s, ':') != NULL) ||
	       (strchr(s, '-') != NULL && strchr(s, '.') != NULL && s[0] >= '0' && s[0] <= '9');
}

/* ---- groups ---- */

static int new_group(struct loader *L, const char *name, struct ew_conf_node at, uint32_t *gid)
{
	struct ew_policy *p = L->p;
	struct ew_group *g;

	if (p->ngroups == L->capgroups) {
		uint32_t nc = L->capgroups ? L->capgroups * 2 : 64;
		struct ew_group *ng = realloc(p->groups, nc * sizeof(*ng));

		if (ng == NULL)
			return oom(L);
		p->groups = ng;
		L->capgroups = nc;
	}
	g = &p->groups[p->ngroups];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	if (g->name == NULL)
		return oom(L);
	g->file = ew_conf_file(at.cf);
	g->line = ew_conf_line(at);
	g->col = ew_conf_col(at);
	*gid = p->ngroups++;
	return EW_OK;
}

static int parse_groups(struct loader *L, struct ew_conf_node groups)
{
	static const char *const keys[] = { "members", "intra", "description", NULL };
	size_t n = ew_conf_len(groups);

	if (ew_conf_type(groups) != EW_CONF_MAP)
		return ew_conf_errf(L->err, groups, "groups must map group names to "
				    "{ members: [...] }");
	for (size_t i = 0; i < n; i++) {
		struct ew_conf_node k = ew_conf_key(groups, i), body = ew_conf_val(groups, i);
		struct ew_conf_node members, intra;
		const char *name = ew_conf_str(k);
		uint32_t gid, prev;

		if (ew_conf_type(k) != EW_CONF_SCALAR || !valid_name(name))
			return ew_conf_errf(L->err, k, "bad group name \"%s\": use letters, digits, "
					    "'-', '_' and '.'", name);
		if (strcmp(name, "any") == 0)
			return ew_conf_errf(L->err, k, "\"any\" is reserved and cannot name a group");
		if (strmap_find(&L->gmap, name, &prev)) {
			const struct ew_group *pg = &L->p->groups[prev];

			return ew_conf_errf(L->err, k, "group \"%s\" is already defined at %s:%u",
					    name, pg->file, pg->line);
		}
		if (ew_conf_check_map(body, "group", keys, L->err) != EW_OK)
			return EW_E_INVAL;
		members = ew_conf_get(body, "members");
		if (!ew_conf_present(members))
			return ew_conf_errf(L->err, body, "group \"%s\" has no members", name);
		if (new_group(L, name, k, &gid) != EW_OK ||
		    strmap_put(&L->gmap, L->p->groups[gid].name, gid) != 0)
			return EW_E_NOMEM;
		if (ew_conf_type(members) == EW_CONF_SCALAR) {
			if (add_member(L, members, gid) != EW_OK)
				return EW_E_INVAL;
		} else if (ew_conf_type(members) == EW_CONF_SEQ) {
			for (size_t j = 0; j < ew_conf_len(members); j++)
				if (add_member(L, ew_conf_at(members, j), gid) != EW_OK)
					return EW_E_INVAL;
		} else {
			return ew_conf_errf(L->err, members, "members must be a list of addresses");
		}
		intra = ew_conf_get(body, "intra");
		if (ew_conf_present(intra)) {
			const char *s = ew_conf_str(intra);

			if (strcmp(s, "allow") == 0)
				L->p->groups[gid].intra_allow = 1;
			else if (strcmp(s, "deny") != 0)
				return ew_conf_errf(L->err, intra, "intra must be allow or deny, "
						    "not \"%s\"", s);
		}
		{
			struct ew_conf_node d = ew_conf_get(body, "description");
			const char *unused;

			if (ew_conf_present(d) && ew_conf_string(d, &unused, L->err) != EW_OK)
				return EW_E_INVAL;
		}
	}
	return EW_OK;
}

/* ---- rules ---- */

/* from/to: "any", a group, inline members, or a list of those. */
static int parse_ends(struct loader *L, struct ew_conf_node n, const struct ew_rule *r,
		      const char *side, uint32_t **out, uint32_t *nout)
{
	size_t cnt = ew_conf_type(n) == EW_CONF_SEQ ? ew_conf_len(n) : 1;
	uint32_t *ids = calloc(cnt + 1, sizeof(*ids));
	uint32_t nids = 0, inline_gid = UINT32_MAX;
	int any = 0;

	if (ids == NULL)
		return oom(L);
	*out = ids;
	if (ew_conf_type(n) != EW_CONF_SCALAR && ew_conf_type(n) != EW_CONF_SEQ)
		return ew_conf_errf(L->err, n, "%s must be a group name, a list of them, "
				    "any, or addresses", side);
	if (ew_conf_type(n) == EW_CONF_SEQ && cnt == 0)
		return ew_conf_errf(L->err, n, "%s is an empty list: it would match nothing", side);
	for (size_t i = 0; i < cnt; i++) {
		struct ew_conf_node it = ew_conf_type(n) == EW_CONF_SEQ ? ew_conf_at(n, i) : n;
		const char *s;
		uint32_t gid;

		if (ew_conf_string(it, &s, L->err) != EW_OK)
			return EW_E_INVAL;
		if (strcmp(s, "any") == 0) {
			any = 1;
		} else if (strmap_find(&L->gmap, s, &gid)) {
			ids[nids++] = gid;
		} else if (looks_like_member(s)) {
			if (inline_gid == UINT32_MAX) {
				char nm[300];

				snprintf(nm, sizeof(nm), "%s", s);
				if (new_group(L, nm, it, &inline_gid) != EW_OK)
					return EW_E_NOMEM;
				L->p->groups[inline_gid].inline_members = 1;
				ids[nids++] = inline_gid;
			}
			if (add_member(L, it, inline_gid) != EW_OK)
				return EW_E_INVAL;
		} else {
			return ew_conf_errf(L->err, it, "unknown group \"%s\" in %s of rule \"%s\"",
					    s, side, r->name);
		}
	}
	if (any) {
		ids[0] = EW_ANY_GROUP;
		nids = 1;
	}
	*nout = nids;
	return EW_OK;
}

static int parse_service(struct loader *L, struct ew_conf_node n, struct ew_service *sv)
{
	static const struct { const char *name; uint16_t proto; int ports; } protos[] = {
		{ "tcp", 6, 1 }, { "udp", 17, 1 }, { "sctp", 132, 1 }, { "udplite", 136, 1 },
		{ "icmp", 1, 0 }, { "ipv6-icmp", 58, 0 }, { "icmpv6", 58, 0 }, { "gre", 47, 0 },
		{ "esp", 50, 0 }, { "ah", 51, 0 }, { "ospf", 89, 0 }, { "vrrp", 112, 0 },
	};
	const char *s, *slash;
	char pname[32];
	size_t plen;
	int idx = -1;

	if (ew_conf_string(n, &s, L->err) != EW_OK)
		return EW_E_INVAL;
	slash = strchr(s, '/');
	plen = slash ? (size_t)(slash - s) : strlen(s);
	sv->lo = 0;
	sv->hi = 65535;
	if (plen == 0 || plen >= sizeof(pname))
		goto bad;
	memcpy(pname, s, plen);
	pname[plen] = '\0';
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcasecmp(protos[i].name, pname) == 0)
			idx = (int)i;
	if (idx < 0) {
		char *end;
		unsigned long v = strtoul(pname, &end, 10);

		if (pname[0] < '0' || pname[0] > '9' || *end != '\0' || v > 255 || slash)
			goto bad;
		sv->proto = (uint16_t)v;
		return EW_OK;
	}
	sv->proto = protos[idx].proto;
	if (slash == NULL)
		return EW_OK;
	if (!protos[idx].ports)
		return ew_conf_errf(L->err, n, "service \"%s\": %s has no ports", s, pname);
	{
		char *end;
		unsigned long lo, hi;

		if (slash[1] < '0' || slash[1] > '9')
			goto bad;
		lo = strtoul(slash + 1, &end, 10);
		hi = lo;
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				goto bad;
			hi = strtoul(end + 1, &end, 10);
		}
		if (*end != '\0' || lo > 65535 || hi > 65535)
			goto bad;
		if (lo > hi)
			return ew_conf_errf(L->err, n, "service \"%s\": port range ends before "
					    "it starts", s);
		sv->lo = (uint16_t)lo;
		sv->hi = (uint16_t)hi;
	}
	return EW_OK;
bad:
	return ew_conf_errf(L->err, n, "bad service \"%s\": expected tcp/PORT, tcp/LOW-HIGH, "
			    "udp/PORT, icmp, ipv6-icmp or a protocol number", s);
}

static int parse_rule(struct loader *L, struct ew_conf_node n, int action)
{
	static const char *const keys[] = { "name", "from", "to", "services", "apps",
					    "severity", "notify", "description", NULL };
	struct ew_policy *p = L->p;
	struct ew_conf_node name, from, to, svc, apps, sev, d, nt;
	struct ew_rule *r;
	uint32_t prev;
	const char *s;

	if (ew_conf_check_map(n, action == EW_DENY ? "deny rule" : "allow rule", keys,
			      L->err) != EW_OK)
		return EW_E_INVAL;
	if (p->nrules == L->caprules) {
		uint32_t nc = L->caprules ? L->caprules * 2 : 64;
		struct ew_rule *nr = realloc(p->rules, nc * sizeof(*nr));

		if (nr == NULL)
			return oom(L);
		p->rules = nr;
		L->caprules = nc;
	}
	r = &p->rules[p->nrules];
	memset(r, 0, sizeof(*r));
	r->action = (uint8_t)action;
	r->severity = EW_SEV_HIGH;
	r->file = ew_conf_file(n.cf);
	r->line = ew_conf_line(n);
	r->col = ew_conf_col(n);
	p->nrules++;         /* counted now so that ew_policy_free releases it on error */
	name = ew_conf_get(n, "name");
	if (!ew_conf_present(name))
		return ew_conf_errf(L->err, n, "rule has no name");
	if (ew_conf_string(name, &s, L->err) != EW_OK)
		return EW_E_INVAL;
	if (!valid_name(s))
		return ew_conf_errf(L->err, name, "bad rule name \"%s\": use letters, digits, "
				    "'-', '_' and '.'", s);
	if (strcmp(s, "default") == 0)
		return ew_conf_errf(L->err, name, "\"default\" is reserved for the default action");
	if (strmap_find(&L->rmap, s, &prev))
		return ew_conf_errf(L->err, name, "duplicate rule name \"%s\" (first at %s:%u)", s,
				    p->rules[prev].file, p->rules[prev].line);
	r->name = strdup(s);
	if (r->name == NULL || strmap_put(&L->rmap, r->name, p->nrules - 1) != 0)
		return oom(L);
	from = ew_conf_get(n, "from");
	to = ew_conf_get(n, "to");
	if (!ew_conf_present(from))
		return ew_conf_errf(L->err, n, "rule \"%s\" has no from", r->name);
	if (!ew_conf_present(to))
		return ew_conf_errf(L->err, n, "rule \"%s\" has no to", r->name);
	if (parse_ends(L, from, r, "from", &r->from, &r->nfrom) != EW_OK)
		return EW_E_INVAL;
	r = &p->rules[p->nrules - 1];
	if (parse_ends(L, to, r, "to", &r->to, &r->nto) != EW_OK)
		return EW_E_INVAL;
	svc = ew_conf_get(n, "services");
	if (ew_conf_present(svc)) {
		size_t cnt = ew_conf_type(svc) == EW_CONF_SEQ ? ew_conf_len(svc) : 1;

		if (ew_conf_type(svc) == EW_CONF_MAP)
			return ew_conf_errf(L->err, svc, "services must be a list such as "
					    "[tcp/22, udp/53]");
		if (ew_conf_type(svc) == EW_CONF_SEQ && cnt == 0)
			return ew_conf_errf(L->err, svc, "services is an empty list: leave it out "
					    "to mean every service");
		r->svc = calloc(cnt, sizeof(*r->svc));
		if (r->svc == NULL)
			return oom(L);
		for (size_t i = 0; i < cnt; i++) {
			struct ew_conf_node it = ew_conf_type(svc) == EW_CONF_SEQ ?
						 ew_conf_at(svc, i) : svc;

			if (parse_service(L, it, &r->svc[i]) != EW_OK)
				return EW_E_INVAL;
			r->nsvc++;
		}
	}
	apps = ew_conf_get(n, "apps");
	if (ew_conf_present(apps)) {
		size_t cnt = ew_conf_type(apps) == EW_CONF_SEQ ? ew_conf_len(apps) : 1;

		if (ew_conf_type(apps) == EW_CONF_MAP)
			return ew_conf_errf(L->err, apps, "apps must be a list such as [TLS, SSH]");
		if (ew_conf_type(apps) == EW_CONF_SEQ && cnt == 0)
			return ew_conf_errf(L->err, apps, "apps is an empty list: leave it out to "
					    "mean any application");
		r->apps = calloc(cnt, sizeof(*r->apps));
		if (r->apps == NULL)
			return oom(L);
		for (size_t i = 0; i < cnt; i++) {
			struct ew_conf_node it = ew_conf_type(apps) == EW_CONF_SEQ ?
						 ew_conf_at(apps, i) : apps;
			int id;

			if (ew_conf_string(it, &s, L->err) != EW_OK)
				return EW_E_INVAL;
			id = L->o && L->o->resolve_app ? L->o->resolve_app(L->o->resolve_arg, s) : -1;
			if (id <= 0)
				return ew_conf_errf(L->err, it, "unknown application \"%s\" (use "
						    "nDPI's protocol names, e.g. TLS, SSH, HTTP)", s);
			r->apps[r->napps++] = (uint16_t)id;
		}
	}
	sev = ew_conf_get(n, "severity");
	if (ew_conf_present(sev)) {
		int v;

		if (action != EW_DENY)
			return ew_conf_errf(L->err, sev, "severity applies to deny rules only");
		if (ew_conf_string(sev, &s, L->err) != EW_OK)
			return EW_E_INVAL;
		v = ew_severity_parse(s);
		if (v < 0)
			return ew_conf_errf(L->err, sev, "bad severity \"%s\": expected info, low, "
					    "medium, high or critical", s);
		r->severity = (uint8_t)v;
	}
	nt = ew_conf_get(n, "notify");
	if (ew_conf_present(nt)) {
		size_t cnt = ew_conf_type(nt) == EW_CONF_SEQ ? ew_conf_len(nt) : 1;

		if (action != EW_DENY)
			return ew_conf_errf(L->err, nt, "notify applies to deny rules only");
		if (ew_conf_type(nt) == EW_CONF_MAP || cnt == 0)
			return ew_conf_errf(L->err, nt, "notify must name sinks, e.g. [email]");
		r->notify = calloc(cnt, sizeof(*r->notify));
		if (r->notify == NULL)
			return oom(L);
		for (size_t i = 0; i < cnt; i++) {
			struct ew_conf_node it = ew_conf_type(nt) == EW_CONF_SEQ ?
						 ew_conf_at(nt, i) : nt;

			if (ew_conf_string(it, &s, L->err) != EW_OK)
				return EW_E_INVAL;
			if (!valid_name(s))
				return ew_conf_errf(L->err, it, "bad sink name \"%s\"", s);
			r->notify[r->nnotify] = strdup(s);
			if (r->notify[r->nnotify] == NULL)
				return oom(L);
			r->nnotify++;
		}
	}
	d = ew_conf_get(n, "description");
	if (ew_conf_present(d) && ew_conf_string(d, &s, L->err) != EW_OK)
		return EW_E_INVAL;
	if (action == EW_DENY)
		p->ndeny++;
	else
		p->nallow++;
	return EW_OK;
}

static int parse_rules(struct loader *L, struct ew_conf_node list, int action)
{
	if (ew_conf_type(list) != EW_CONF_SEQ)
		return ew_conf_errf(L->err, list, "%s must be a list of rules",
				    action == EW_DENY ? "deny" : "allow");
	for (size_t i = 0; i < ew_conf_len(list); i++)
		if (parse_rule(L, ew_conf_at(list, i), action) != EW_OK)
			return EW_E_INVAL;
	return EW_OK;
}

static int parse_default(struct loader *L, struct ew_conf_node n)
{
	static const char *const keys[] = { "action", "severity", NULL };
	struct ew_conf_node a, s;

	if (L->has_default)
		return ew_conf_errf(L->err, n, "default is already set at %s:%u",
				    ew_conf_file(L->def_node.cf), ew_conf_line(L->def_node));
	if (ew_conf_check_map(n, "default", keys, L->err) != EW_OK)
		return EW_E_INVAL;
	L->has_default = 1;
	L->def_node = n;
	L->p->def_file = ew_conf_file(n.cf);
	L->p->def_line = ew_conf_line(n);
	a = ew_conf_get(n, "action");
	if (ew_conf_present(a)) {
		if (strcmp(ew_conf_str(a), "deny") == 0)
			L->p->def_action = EW_DENY;
		else if (strcmp(ew_conf_str(a), "allow") == 0)
			L->p->def_action = EW_ALLOW;
		else
			return ew_conf_errf(L->err, a, "default action must be deny or allow, "
					    "not \"%s\"", ew_conf_str(a));
	}
	s = ew_conf_get(n, "severity");
	if (ew_conf_present(s)) {
		int v = ew_severity_parse(ew_conf_str(s));

		if (v < 0)
			return ew_conf_errf(L->err, s, "bad severity \"%s\": expected info, low, "
					    "medium, high or critical", ew_conf_str(s));
		L->p->def_sev = (uint8_t)v;
	}
	return EW_OK;
}

/* ---- the (from, to) pair index ---- */

static int build_pairs(struct loader *L)
{
	struct ew_policy *p = L->p;
	uint64_t total = 0, nsvc = 0, napps = 0;
	uint32_t cap = 64, any = p->ngroups;
	uint32_t *svc_off, *app_off;
	struct pair_slot *tmp;

	for (uint32_t i = 0; i < p->nrules; i++) {
		total += (uint64_t)p->rules[i].nfrom * p->rules[i].nto;
		if (total > MAX_PAIRS)
			return ew_err_at(L->err, p->rules[i].file, p->rules[i].line,
					 p->rules[i].col, "the policy names more than %u "
					 "(from group, to group) pairs; use \"any\" or larger groups",
					 MAX_PAIRS);
		if (p->rules[i].nsvc > 255 || p->rules[i].napps > 255)
			return ew_err_at(L->err, p->rules[i].file, p->rules[i].line,
					 p->rules[i].col, "rule \"%s\" lists more than 255 services "
					 "or applications", p->rules[i].name);
		nsvc += p->rules[i].nsvc;
		napps += p->rules[i].napps;
	}
	while (cap < total * 2)
		cap <<= 1;
	p->pairs = ew_mem_huge((size_t)cap * sizeof(*p->pairs));
	p->recs = ew_mem_huge((total ? total : 1) * sizeof(*p->recs));
	p->npairs_mem = (size_t)cap * sizeof(*p->pairs);
	p->nrecs_mem = (total ? total : 1) * sizeof(*p->recs);
	p->sig = calloc((size_t)any + 1, sizeof(*p->sig));
	p->svc_all = calloc(nsvc ? nsvc : 1, sizeof(*p->svc_all));
	p->app_all = calloc(napps ? napps : 1, sizeof(*p->app_all));
	svc_off = calloc(p->nrules + 1, sizeof(*svc_off));
	app_off = calloc(p->nrules + 1, sizeof(*app_off));
	tmp = p->pairs;
	if (p->pairs == NULL || p->recs == NULL || p->sig == NULL || p->svc_all == NULL ||
	    p->app_all == NULL || svc_off == NULL || app_off == NULL) {
		free(svc_off);
		free(app_off);
		return oom(L);
	}
	/* services and applications of every rule, in one array each */
	for (uint32_t i = 0, so = 0, ao = 0; i < p->nrules; i++) {
		const struct ew_rule *r = &p->rules[i];

		svc_off[i] = so;
		app_off[i] = ao;
		if (r->nsvc)
			memcpy(p->svc_all + so, r->svc, r->nsvc * sizeof(*r->svc));
		if (r->napps)
			memcpy(p->app_all + ao, r->apps, r->napps * sizeof(*r->apps));
		so += r->nsvc;
		ao += r->napps;
	}
	p->pairmask = cap - 1;
	/* Pass 0: count records per pair; pass 1: offsets; pass 2: fill. */
	for (int pass = 0; pass < 3; pass++) {
		uint32_t off = 0;

		if (pass == 1) {
			for (uint32_t i = 0; i < cap; i++) {
				tmp[i].off = off;
				off += tmp[i].n;
			}
			continue;
		}
		for (uint32_t ri = 0; ri < p->nrules; ri++) {
			const struct ew_rule *r = &p->rules[ri];

			for (uint32_t a = 0; a < r->nfrom; a++)
				for (uint32_t b = 0; b < r->nto; b++) {
					uint32_t f = r->from[a] == EW_ANY_GROUP ? any : r->from[a];
					uint32_t t = r->to[b] == EW_ANY_GROUP ? any : r->to[b];
					uint64_t key = (uint64_t)f << 32 | t;
					uint32_t i = (uint32_t)ew_pair_hash(key) & p->pairmask;

					while (tmp[i].n != 0 && tmp[i].key != key)
						i = (i + 1) & p->pairmask;
					if (pass == 0) {
						uint32_t bit = ew_sig_bit(t);

						tmp[i].key = key;
						tmp[i].n++;
						p->sig[f][bit >> 6] |= 1ULL << (bit & 63);
					} else {
						struct pair_rec *rec = &p->recs[tmp[i].off++];

						rec->d.rule = ri;
						rec->d.app_off = app_off[ri];
						rec->d.proto = EW_PROTO_ANY;
						rec->d.napps = (uint8_t)r->napps;
						rec->d.action = r->action;
						rec->d.severity = r->severity;
						rec->svc_off = svc_off[ri];
						rec->nsvc = (uint8_t)r->nsvc;
						if (r->nsvc)
							rec->svc0 = r->svc[0];
					}
				}
		}
		if (pass == 2)   /* the fill advanced each offset by n: rewind */
			for (uint32_t i = 0; i < cap; i++)
				tmp[i].off -= tmp[i].n;
	}
	free(svc_off);
	free(app_off);
	return EW_OK;
}

/* Port classes (policy_int.h): a class starts at every port where some rule's service
 * range starts or after one ends. At most 65,536 classes, so a class fits 16 bits. */
static int build_pclass(struct loader *L)
{
	static _Atomic uint64_t gen;
	struct ew_policy *p = L->p;
	uint8_t *cut = calloc(65537, 1);
	uint32_t c = 0;

	p->pclass = malloc(65536 * sizeof(*p->pclass));
	if (cut == NULL || p->pclass == NULL) {
		free(cut);
		return oom(L);
	}
	for (uint32_t i = 0; i < p->nrules; i++)
		for (uint32_t k = 0; k < p->rules[i].nsvc; k++) {
			cut[p->rules[i].svc[k].lo] = 1;
			cut[(uint32_t)p->rules[i].svc[k].hi + 1] = 1;
		}
	for (uint32_t port = 0; port < 65536; port++) {
		c += port > 0 && cut[port];
		p->pclass[port] = (uint16_t)c;
	}
	free(cut);
	p->gen = ++gen;
	return EW_OK;
}

/* ---- driver ---- */

static int parse_file(struct loader *L, struct ew_conf *cf, int pass)
{
	static const char *const keys[] = { "groups", "allow", "deny", "default", NULL };
	struct ew_conf_node root = ew_conf_root(cf), n;

	if (!ew_conf_present(root))
		return EW_OK;   /* empty file */
	if (pass == 0) {
		if (ew_conf_check_map(root, "a policy file", keys, L->err) != EW_OK)
			return EW_E_INVAL;
		n = ew_conf_get(root, "groups");
		return ew_conf_present(n) ? parse_groups(L, n) : EW_OK;
	}
	n = ew_conf_get(root, "allow");
	if (ew_conf_present(n) && parse_rules(L, n, EW_ALLOW) != EW_OK)
		return EW_E_INVAL;
	n = ew_conf_get(root, "deny");
	if (ew_conf_present(n) && parse_rules(L, n, EW_DENY) != EW_OK)
		return EW_E_INVAL;
	n = ew_conf_get(root, "default");
	if (ew_conf_present(n) && parse_default(L, n) != EW_OK)
		return EW_E_INVAL;
	return EW_OK;
}

static void loader_done(struct loader *L)
{
	for (uint32_t i = 0; i < L->ndocs; i++)
		ew_conf_free(L->docs[i]);
	free(L->docs);
	ew_inventory_free(L->own_inv);
	strmap_free(&L->gmap);
	strmap_free(&L->rmap);
	ew_lpm_builder_free(L->lb);
}

/* Load from files (data == NULL) or from memory buffers named by files. */
static struct ew_policy *load_all(const char *const *files, const void *const *data,
				  const size_t *lens, uint32_t nfiles,
				  const struct ew_policy_opts *o, struct ew_err *err)
{
	struct loader L = { 0 };
	int ok = 0;

	L.o = o;
	L.err = err;
	L.p = calloc(1, sizeof(*L.p));
	L.lb = ew_lpm_builder_new();
	L.docs = calloc(nfiles ? nfiles : 1, sizeof(*L.docs));
	if (L.p == NULL || L.lb == NULL || L.docs == NULL) {
		oom(&L);
		goto out;
	}
	L.p->def_action = EW_DENY;
	L.p->def_sev = EW_SEV_HIGH;
	L.p->def_file = "(built-in)";
	L.p->files = calloc(nfiles ? nfiles : 1, sizeof(*L.p->files));
	if (L.p->files == NULL) {
		oom(&L);
		goto out;
	}
	for (uint32_t i = 0; i < nfiles; i++) {
		int rc = data ? ew_conf_load_mem(&L.docs[i], files[i], data[i], lens[i], err)
			      : ew_conf_load(&L.docs[i], files[i], err);

		if (rc != EW_OK)
			goto out;
		L.ndocs++;
		L.p->files[i] = strdup(files[i]);
		if (L.p->files[i] == NULL) {
			oom(&L);
			goto out;
		}
		L.p->nfiles++;
	}
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < L.ndocs; i++)
			if (parse_file(&L, L.docs[i], pass) != EW_OK)
				goto out;
	L.p->lpm = ew_lpm_build(L.lb);
	L.lb = NULL;
	if (L.p->lpm == NULL) {
		oom(&L);
		goto out;
	}
	if (build_pairs(&L) != EW_OK || build_pclass(&L) != EW_OK ||
	    (ew_policy_index_pairs(L.p, o && o->index_min ? o->index_min : 32) != EW_OK &&
	     oom(&L) != EW_OK))
		goto out;
	ok = 1;
out:
	/* Names of files, groups and rules point into p->files, not into the documents. */
	if (ok) {
		for (uint32_t i = 0; i < L.p->ngroups; i++)
			for (uint32_t j = 0; j < L.p->nfiles; j++)
				if (strcmp(L.p->groups[i].file, L.p->files[j]) == 0)
					L.p->groups[i].file = L.p->files[j];
		for (uint32_t i = 0; i < L.p->nrules; i++)
			for (uint32_t j = 0; j < L.p->nfiles; j++)
				if (strcmp(L.p->rules[i].file, L.p->files[j]) == 0)
					L.p->rules[i].file = L.p->files[j];
		for (uint32_t j = 0; j < L.p->nfiles; j++)
			if (L.has_default && strcmp(L.p->def_file, L.p->files[j]) == 0)
				L.p->def_file = L.p->files[j];
	}
	loader_done(&L);
	if (!ok) {
		ew_policy_free(L.p);
		return NULL;
	}
	return L.p;
}

struct ew_policy *ew_policy_load_files(const char *const *files, uint32_t nfiles,
				       const struct ew_policy_opts *o, struct ew_err *err)
{
	return load_all(files, NULL, NULL, nfiles, o, err);
}

struct ew_policy *ew_policy_load_bufs(const char *const *names, const void *const *data,
				      const size_t *lens, uint32_t n,
				      const struct ew_policy_opts *o, struct ew_err *err)
{
	return load_all(names, data, lens, n, o, err);
}

struct ew_policy *ew_policy_load_mem(const char *name, const void *data, size_t len,
				     const struct ew_policy_opts *o, struct ew_err *err)
{
	return load_all(&name, &data, &len, 1, o, err);
}

int ew_policy_file_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int yaml_name(const struct dirent *d)
{
	return ew_policy_file_name(d->d_name);
}

struct ew_policy *ew_policy_load_dir(const char *dir, const struct ew_policy_opts *o,
				     struct ew_err *err)
{
	struct dirent **ents = NULL;
	struct ew_policy *p = NULL;
	char **paths;
	int n = scandir(dir, &ents, yaml_name, alphasort);

	if (n < 0) {
		ew_err_set(err, "%s: cannot read the rules directory: %s", dir, strerror(errno));
		return NULL;
	}
	if (n == 0) {
		ew_err_set(err, "%s: no *.yaml policy files", dir);
		free(ents);
		return NULL;
	}
	paths = calloc((size_t)n, sizeof(*paths));
	if (paths != NULL) {
		int i;

		for (i = 0; i < n; i++) {
			size_t len = strlen(dir) + strlen(ents[i]->d_name) + 2;

			paths[i] = malloc(len);
			if (paths[i] == NULL)
				break;
			snprintf(paths[i], len, "%s%s%s", dir,
				 dir[strlen(dir) - 1] == '/' ? "" : "/", ents[i]->d_name);
		}
		if (i == n)
			p = ew_policy_load_files((const char *const *)paths, (uint32_t)n, o, err);
		else
			ew_err_set(err, "policy: out of memory");
		for (i = 0; i < n; i++)
			free(paths[i]);
	} else {
		ew_err_set(err, "policy: out of memory");
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(paths);
	return p;
}
