/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/policy and policy_load: every load error with its file, line
 * and column, and a table of verdicts covering each rule of SPEC §3 (union of allows,
 * deny overrides, intra, apps with the waiver, default). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/classify.h"
#include "analyzer/policy.h"
#include "analyzer/policy_int.h"
#include "core/ew_mem.h"
#include "check_main.h"
#include "tmp_path.h"

static struct ew_classify *cls;
static char dir[256];

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

static void setup(void)
{
	struct ew_cls_conf cc;
	struct ew_err err;

	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	ew_test_dir(dir, sizeof(dir), "policy");
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	ew_classify_free(cls);
}

static void write_file(const char *name, const char *text)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct ew_policy *load(struct ew_err *err, const char *inventory)
{
	struct ew_policy_opts o = { resolve, cls, inventory, NULL, 0 };

	return ew_policy_load_dir(dir, &o, err);
}

/* The load must fail with "DIR/FILE:LINE:COL: ..." containing what. */
static void expect_error(const char *file, unsigned line, unsigned col, const char *what)
{
	struct ew_err err = { "" };
	char want[400];

	ck_assert_ptr_null(load(&err, NULL));
	snprintf(want, sizeof(want), "%s/%s:%u:%u: ", dir, file, line, col);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got \"%s\", want prefix \"%s\"",
		      err.msg, want);
	ck_assert_msg(strstr(err.msg, what) != NULL, "got \"%s\", want \"%s\"", err.msg, what);
}

static const char *base_groups =
	"groups:\n"
	"  web: { members: [198.18.1.0/24] }\n"
	"  db:  { members: [198.18.3.10] }\n";

/* Every load error: the files (a.yaml, then b.yaml if any; base_groups where a is
 * NULL), and where and what the error must say. */
static const struct error_case {
	const char *a, *b;
	const char *file;
	unsigned line, col;
	const char *what;
} error_cases[] = {
	{ "grups:\n  web: { members: [198.18.1.0/24] }\n", NULL, "a.yaml", 1, 1,
	  "unknown key \"grups\"" },
	{ "groups:\n  web: { membres: [198.18.1.0/24] }\n", NULL, "a.yaml", 2, 10,
	  "unknown key \"membres\"" },
	{ "groups:\n  web:\n    members:\n      - 198.18.1.0/24\n      - 198.18.1.300\n", NULL,
	  "a.yaml", 5, 9, "bad address \"198.18.1.300\"" },
	{ "groups:\n  web: { members: [198.18.1.5/24] }\n", NULL, "a.yaml", 2, 20,
	  "bits set after its length" },
	{ "groups:\n  web: { members: [198.18.1.9-198.18.1.1] }\n", NULL, "a.yaml", 2, 20,
	  "ends before it starts" },
	{ NULL, "allow:\n  - name: r1\n    from: web\n    to: dbs\n", "b.yaml", 4, 9,
	  "unknown group \"dbs\"" },
	{ "groups:\n  web: { members: [198.18.1.0/24] }\nallow:\n  - { name: r1, from: web, to: web }\n",
	  "deny:\n  - name: r1\n    from: web\n    to: any\n", "b.yaml", 2, 11,
	  "duplicate rule name \"r1\"" },
	{ NULL, "groups:\n  db: { members: [198.18.3.11] }\n", "b.yaml", 2, 3,
	  "group \"db\" is already defined" },
	{ NULL, "deny:\n  - { name: r1, from: web, to: db, severity: urgent }\n", "b.yaml", 2, 46,
	  "bad severity \"urgent\"" },
	{ NULL, "allow:\n  - name: r1\n    from: web\n    to: db\n    services: [tcp/22, tcp/99999]\n",
	  "b.yaml", 5, 24, "bad service \"tcp/99999\"" },
	{ NULL, "allow:\n  - name: r1\n    from: web\n    to: db\n    apps: [TLS, Telepathy]\n",
	  "b.yaml", 5, 17, "unknown application \"Telepathy\"" },
	{ "groups:\n  web: { members: [198.18.1.0/24 }\n", NULL, "a.yaml", 2, 34, "YAML syntax" },
	{ NULL, "allow:\n  - { name: r1, from: web, to: db, severity: high }\n", "b.yaml", 2, 46,
	  "deny rules only" },
	{ "groups:\n  web: { members: [\"label:role=web\"] }\n", NULL, "a.yaml", 2, 20,
	  "need an inventory" },
	{ "default: { action: deny }\n", "default:\n  action: allow\n", "b.yaml", 2, 3,
	  "default is already set" },
	{ NULL, "allow:\n  - from: web\n    to: db\n", "b.yaml", 2, 5, "rule has no name" },
	{ "groups:\n  db: { members: [198.18.3.10], intra: yes }\n", NULL, "a.yaml", 2, 40,
	  "intra must be allow or deny" },
};

START_TEST(load_errors)
{
	const struct error_case *c = &error_cases[_i];

	write_file("a.yaml", c->a ? c->a : base_groups);
	if (c->b)
		write_file("b.yaml", c->b);
	expect_error(c->file, c->line, c->col, c->what);
}
END_TEST

/* The whole address space as a range: 2^128 addresses are one /0 (the shift by 128 was
 * undefined behaviour); and the whole IPv4 space. */
START_TEST(full_ranges)
{
	struct ew_err err;
	struct ew_policy *p;
	struct ew_addr a;
	uint32_t n;

	write_file("a.yaml", "groups:\n  all6: { members: [\"::-ffff:ffff:ffff:ffff:ffff:ffff:"
		   "ffff:ffff\"] }\n  all4: { members: [0.0.0.0-255.255.255.255] }\n"
		   "  top: { members: [\"8000::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe\"] }\n");
	p = load(&err, NULL);
	ck_assert_msg(p != NULL, "%s", err.msg);
	ew_addr_parse(&a, "::1");
	ew_policy_set(p, ew_policy_set_of(p, &a), &n);
	ck_assert_uint_eq(n, 1);                 /* all6 */
	ew_addr_parse(&a, "198.18.0.1");
	ew_policy_set(p, ew_policy_set_of(p, &a), &n);
	ck_assert_uint_eq(n, 2);                 /* all6 and all4 */
	ew_addr_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	ew_policy_set(p, ew_policy_set_of(p, &a), &n);
	ck_assert_uint_eq(n, 1);                 /* not top: it ends one before */
	ew_addr_parse(&a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
	ew_policy_set(p, ew_policy_set_of(p, &a), &n);
	ck_assert_uint_eq(n, 2);
	ew_policy_free(p);
}
END_TEST

START_TEST(error_empty_dir)
{
	struct ew_err err = { "" };

	ck_assert_ptr_null(load(&err, NULL));
	ck_assert_ptr_nonnull(strstr(err.msg, "no *.yaml policy files"));
}
END_TEST

/* ---- verdicts ---- */

static const char *spec_policy =
	"groups:\n"
	"  web:  { members: [198.18.1.0/24] }\n"
	"  app:  { members: [198.18.2.0/24, \"fd18::2:0/112\"] }\n"
	"  db:   { members: [198.18.3.10, 198.18.3.11], intra: allow }\n"
	"  jump: { members: [198.18.9.5] }\n"
	"allow:\n"
	"  - name: web-to-app\n"
	"    from: web\n"
	"    to: app\n"
	"    services: [tcp/8443]\n"
	"    apps: [TLS]\n"
	"  - name: admin-ssh\n"
	"    from: jump\n"
	"    to: [web, app, db]\n"
	"    services: [tcp/22]\n"
	"  - name: dns-anywhere\n"
	"    from: any\n"
	"    to: 198.18.0.53\n"
	"    services: [udp/53, tcp/53]\n"
	"  - name: ranged\n"
	"    from: 198.18.5.10-198.18.5.20\n"
	"    to: app\n"
	"    services: [tcp/9000-9100]\n"
	"deny:\n"
	"  - name: ssh-between-servers\n"
	"    from: [web, app, db]\n"
	"    to: any\n"
	"    apps: [SSH]\n"
	"    severity: critical\n"
	"  - name: no-telnet\n"
	"    from: any\n"
	"    to: any\n"
	"    services: [tcp/23]\n"
	"    severity: medium\n"
	"default:\n"
	"  action: deny\n"
	"  severity: high\n";

struct vcase {
	const char *src, *dst;
	uint8_t proto;
	uint16_t dport;
	const char *app;          /* NULL: none */
	int app_source;
	int action;
	const char *rule;         /* deciding rule, "intra", or "default" */
	int severity;
};

static const struct vcase cases[] = {
	/* union of allows, services and apps as observed */
	{ "198.18.1.5", "198.18.2.7", 6, 8443, "TLS", EW_APP_DPI, EW_ALLOW, "web-to-app", 0 },
	{ "198.18.1.5", "fd18::2:7", 6, 8443, "TLS", EW_APP_DPI, EW_ALLOW, "web-to-app", 0 },
	{ "198.18.1.5", "198.18.2.7", 6, 8443, "HTTP", EW_APP_DPI, EW_DENY, "default", EW_SEV_HIGH },
	{ "198.18.1.5", "198.18.2.7", 6, 8443, "TLS", EW_APP_EXPORTER, EW_ALLOW, "web-to-app", 0 },
	{ "198.18.1.5", "198.18.2.7", 6, 8444, "TLS", EW_APP_DPI, EW_DENY, "default", EW_SEV_HIGH },
	{ "198.18.2.7", "198.18.1.5", 6, 8443, "TLS", EW_APP_DPI, EW_DENY, "default", EW_SEV_HIGH },
	/* waiver: not observed -> an allow rule's apps do not count */
	{ "198.18.1.5", "198.18.2.7", 6, 8443, NULL, EW_APP_NONE, EW_ALLOW, "web-to-app", 0 },
	{ "198.18.1.5", "198.18.2.7", 6, 8443, "HTTP", EW_APP_PORT, EW_ALLOW, "web-to-app", 0 },
	/* deny overrides; deny apps against the port guess, never against nothing */
	{ "198.18.1.5", "198.18.2.7", 6, 22, "SSH", EW_APP_DPI, EW_DENY, "ssh-between-servers", EW_SEV_CRITICAL },
	{ "198.18.1.5", "198.18.2.7", 6, 2222, "SSH", EW_APP_DPI, EW_DENY, "ssh-between-servers", EW_SEV_CRITICAL },
	{ "198.18.1.5", "198.18.3.10", 6, 22, "SSH", EW_APP_PORT, EW_DENY, "ssh-between-servers", EW_SEV_CRITICAL },
	{ "198.18.1.5", "198.18.3.10", 6, 22, NULL, EW_APP_NONE, EW_DENY, "default", EW_SEV_HIGH },
	{ "198.18.9.5", "198.18.1.5", 6, 22, "SSH", EW_APP_DPI, EW_ALLOW, "admin-ssh", 0 },
	{ "198.18.9.5", "198.18.3.11", 6, 22, "SSH", EW_APP_DPI, EW_ALLOW, "admin-ssh", 0 },
	{ "198.18.9.5", "198.18.3.11", 6, 23, "Telnet", EW_APP_DPI, EW_DENY, "no-telnet", EW_SEV_MEDIUM },
	/* intra: allow among members, deny still overrides, members only */
	{ "198.18.3.10", "198.18.3.11", 6, 5432, "PostgreSQL", EW_APP_DPI, EW_ALLOW, "intra", 0 },
	{ "198.18.3.10", "198.18.3.11", 6, 22, "SSH", EW_APP_DPI, EW_DENY, "ssh-between-servers", EW_SEV_CRITICAL },
	{ "198.18.1.5", "198.18.1.6", 6, 80, "HTTP", EW_APP_DPI, EW_DENY, "default", EW_SEV_HIGH },
	/* any and inline members, ranges */
	{ "10.9.9.9", "198.18.0.53", 17, 53, "DNS", EW_APP_DPI, EW_ALLOW, "dns-anywhere", 0 },
	{ "198.18.5.15", "198.18.2.1", 6, 9050, NULL, EW_APP_NONE, EW_ALLOW, "ranged", 0 },
	{ "198.18.5.21", "198.18.2.1", 6, 9050, NULL, EW_APP_NONE, EW_DENY, "default", EW_SEV_HIGH },
	/* addresses in no group */
	{ "10.1.1.1", "10.2.2.2", 17, 123, "NTP", EW_APP_DPI, EW_DENY, "default", EW_SEV_HIGH },
};

static const char *decided(const struct ew_verdict *v)
{
	if (v->by == EW_BY_INTRA)
		return "intra";
	if (v->by == EW_BY_DEFAULT)
		return "default";
	return v->rule->name;
}

START_TEST(verdict_table)
{
	struct ew_err err;
	struct ew_policy *p;

	write_file("policy.yaml", spec_policy);
	p = load(&err, NULL);
	ck_assert_msg(p != NULL, "%s", err.msg);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];
		struct ew_flow f;
		struct ew_verdict v;

		memset(&f, 0, sizeof(f));
		ew_addr_parse(&f.src, c->src);
		ew_addr_parse(&f.dst, c->dst);
		f.proto = c->proto;
		f.sport = 50000;
		f.dport = c->dport;
		f.app_source = (uint8_t)c->app_source;
		if (c->app)
			f.app_proto = (uint16_t)ew_classify_lookup(cls, c->app);
		ew_policy_verdict(p, &f, &v);
		ck_assert_msg(v.action == c->action && strcmp(decided(&v), c->rule) == 0,
			      "case %zu (%s -> %s %u/%u %s): got %s by %s", i, c->src, c->dst,
			      c->proto, c->dport, c->app ? c->app : "-",
			      v.action == EW_DENY ? "deny" : "allow", decided(&v));
		if (c->action == EW_DENY)
			ck_assert_int_eq(v.severity, c->severity);
	}
	ew_policy_free(p);
}
END_TEST

/* The verdict cache gives ew_policy_verdict's verdict, field by field: random flows over
 * the policy's addresses, the edges of its port ranges and its applications, through one
 * cache of 1024 slots (so slots are overwritten), then a second policy through the same
 * cache (which must forget the first). */
static void cached_agree(const struct ew_policy *p, struct ew_vcache *vc, uint32_t *seed,
			 int n)
{
	static const char *const addrs[] = { "198.18.1.5", "198.18.2.7", "198.18.3.10",
		"198.18.3.11", "198.18.9.5", "198.18.0.53", "198.18.5.9", "198.18.5.10",
		"198.18.5.15", "198.18.5.20", "198.18.5.21", "198.18.2.1", "10.1.1.1",
		"fd18::2:7", "fd18::99" };
	static const uint16_t ports[] = { 0, 1, 21, 22, 23, 24, 52, 53, 54, 80, 443, 5432,
		8442, 8443, 8444, 8999, 9000, 9050, 9100, 9101, 32768, 50000, 65535 };
	static const char *const apps[] = { NULL, "SSH", "TLS", "HTTP", "DNS", "Telnet",
		"PostgreSQL" };
	static const uint8_t protos[] = { 6, 17, 1, 132 };
	const int nadd = sizeof(addrs) / sizeof(addrs[0]);

	for (int i = 0; i < n; i++) {
		struct ew_flow f;
		struct ew_verdict a, b;
		uint32_t r[7];

		for (int k = 0; k < 7; k++) {
			*seed = *seed * 1103515245u + 12345u;
			r[k] = *seed >> 8;
		}
		memset(&f, 0, sizeof(f));
		ew_addr_parse(&f.src, addrs[r[0] % nadd]);
		ew_addr_parse(&f.dst, addrs[r[1] % nadd]);
		f.proto = protos[r[2] % 4];
		f.dport = r[3] & 1 ? (uint16_t)r[3] : ports[r[3] % (sizeof(ports) / sizeof(ports[0]))];
		f.app_source = (uint8_t)(r[4] % 4);    /* none, dpi, exporter, port */
		if (f.app_source != EW_APP_NONE && apps[r[5] % 7])
			f.app_proto = (uint16_t)ew_classify_lookup(cls, apps[r[5] % 7]);
		if (r[6] % 5 == 0)
			f.app_master = (uint16_t)ew_classify_lookup(cls, "TLS");
		ew_policy_verdict(p, &f, &a);
		ew_policy_verdict_cached(p, vc, &f, &b);
		ck_assert_msg(a.action == b.action && a.severity == b.severity && a.by == b.by &&
			      a.app_dependent == b.app_dependent && a.rule == b.rule &&
			      a.src_set == b.src_set && a.dst_set == b.dst_set &&
			      (a.by != EW_BY_INTRA || a.intra_group == b.intra_group),
			      "flow %d (proto %u port %u app %u/%u source %u): cached verdict differs",
			      i, f.proto, f.dport, f.app_master, f.app_proto, f.app_source);
	}
}

START_TEST(cached_verdicts_agree)
{
	static struct ew_vcache vc;
	struct ew_err err;
	struct ew_policy *p, *q;
	uint32_t seed = 42;

	write_file("policy.yaml", spec_policy);
	p = load(&err, NULL);
	ck_assert_msg(p != NULL, "%s", err.msg);
	ew_vcache_init(&vc);
	cached_agree(p, &vc, &seed, 200000);
	ck_assert_uint_gt(vc.hits, 10000);          /* it does cache */
	ck_assert_uint_gt(vc.misses, 1000);         /* and slots are reused */
	/* another policy through the same cache: web-to-app now denied */
	write_file("policy.yaml", base_groups);
	write_file("b.yaml", "allow:\n  - { name: r1, from: web, to: db, services: [tcp/5432] }\n"
		   "deny:\n  - { name: d1, from: any, to: any, services: [tcp/8443-9050], "
		   "severity: low }\ndefault: { action: allow }\n");
	q = load(&err, NULL);
	ck_assert_msg(q != NULL, "%s", err.msg);
	cached_agree(q, &vc, &seed, 50000);
	cached_agree(p, &vc, &seed, 50000);         /* and back */
	ew_policy_free(p);
	ew_policy_free(q);
}
END_TEST

/* Pairs indexed by port give the verdicts every rule of the pair gives: a random policy of
 * 3,000 rules on four groups (single ports, narrow and wide ranges, several services,
 * TCP, UDP and ICMP, no services, apps conditions, deny severities), loaded with and without
 * the index, judges 100,000 random flows alike, field by field, and explain's list of
 * matching rules is the same. */
static uint32_t rnd_seed = 7;

static uint32_t RND(void)
{
	rnd_seed = rnd_seed * 1103515245u + 12345u;
	return rnd_seed >> 8;
}

START_TEST(indexed_verdicts_agree)
{
	static const char *const grp[] = { "web", "app", "db", "any" };
	static const char *const apps[] = { "SSH", "TLS", "HTTP", "Redis" };
	static const char *const sev[] = { "low", "medium", "high", "critical" };
	char *y = malloc(1 << 20);
	size_t len = 0;
	struct ew_err err;
	struct ew_policy *ix, *flat, *nohit;
	struct ew_policy_opts o = { resolve, cls, NULL, NULL, 0 };
	struct ew_policy_opts of = { resolve, cls, NULL, NULL, UINT32_MAX };

	len += (size_t)sprintf(y + len, "groups:\n  web: { members: [198.18.1.0/24] }\n"
			       "  app: { members: [198.18.2.0/24] }\n"
			       "  db: { members: [198.18.3.0/24, 198.18.1.128/25] }\n");
	for (int r = 0; r < 3000; r++) {
		int deny = RND() % 4 == 0, ns = (int)(RND() % 4);

		if (r == 0 || r == 1500)
			len += (size_t)sprintf(y + len, "%s:\n", r == 0 ? "allow" : "deny");
		deny = r >= 1500;
		len += (size_t)sprintf(y + len, "  - { name: r%d, from: %s, to: %s", r,
				       grp[RND() % 4], grp[RND() % 3]);
		if (ns) {
			len += (size_t)sprintf(y + len, ", services: [");
			for (int k = 0; k < ns; k++) {
				uint32_t kind = RND() % 10, lo = RND() % 1200;
				const char *pr = RND() % 3 == 0 ? "udp" : "tcp";

				if (kind == 0 && RND() % 3 == 0)
					len += (size_t)sprintf(y + len, "%sicmp", k ? ", " : "");
				else if (kind < 6)
					len += (size_t)sprintf(y + len, "%s%s/%u", k ? ", " : "", pr, lo);
				else if (kind < 9)
					len += (size_t)sprintf(y + len, "%s%s/%u-%u", k ? ", " : "", pr, lo,
							       lo + RND() % 50);
				else
					len += (size_t)sprintf(y + len, "%s%s/%u-%u", k ? ", " : "", pr, lo,
							       lo + 200 + RND() % 60000 % (65535 - lo - 199));
			}
			len += (size_t)sprintf(y + len, "]");
		}
		if (RND() % 5 == 0)
			len += (size_t)sprintf(y + len, ", apps: [%s]", apps[RND() % 4]);
		if (deny)
			len += (size_t)sprintf(y + len, ", severity: %s", sev[RND() % 4]);
		len += (size_t)sprintf(y + len, " }\n");
	}
	len += (size_t)sprintf(y + len, "default: { action: deny }\n");
	ix = ew_policy_load_mem("big.yaml", y, len, &o, &err);
	ck_assert_msg(ix != NULL, "%s", err.msg);
	flat = ew_policy_load_mem("big.yaml", y, len, &of, &err);
	ck_assert_msg(flat != NULL, "%s", err.msg);
	/* and without the hit table, as a policy too large to number in its slots is:
	 * every port searched */
	nohit = ew_policy_load_mem("big.yaml", y, len, &o, &err);
	ck_assert_msg(nohit != NULL, "%s", err.msg);
	ck_assert_ptr_nonnull(nohit->hits);
	ew_mem_huge_free(nohit->hits, nohit->nhits_mem);
	nohit->hits = NULL;
	for (int i = 0; i < 100000; i++) {
		struct ew_flow f;
		struct ew_verdict a, b, c;
		char s[32];
		uint32_t pick = RND() % 4;

		memset(&f, 0, sizeof(f));
		snprintf(s, sizeof(s), "198.18.%u.%u", 1 + RND() % 4, RND() % 256);
		ew_addr_parse(&f.src, s);
		snprintf(s, sizeof(s), "198.18.%u.%u", 1 + RND() % 4, RND() % 256);
		ew_addr_parse(&f.dst, s);
		f.proto = (uint8_t[]){ 6, 6, 17, 1, 132 }[RND() % 5];
		f.dport = (uint16_t)(pick == 0 ? RND() % 65536 : RND() % 1300);
		f.app_source = (uint8_t)(RND() % 3);
		f.app_proto = (uint16_t)ew_classify_lookup(cls, apps[RND() % 4]);
		f.port_app[0] = RND() % 2 ? (uint16_t)ew_classify_lookup(cls, apps[RND() % 4]) : 0;
		ew_policy_verdict(ix, &f, &a);
		ew_policy_verdict(flat, &f, &b);
		ew_policy_verdict(nohit, &f, &c);
		ck_assert(c.action == b.action && c.by == b.by && c.severity == b.severity &&
			  c.rule == (b.rule ? &nohit->rules[b.rule - flat->rules] : NULL) &&
			  c.app_dependent == b.app_dependent);
		ck_assert_msg(a.action == b.action && a.by == b.by && a.severity == b.severity &&
			      (a.rule == NULL) == (b.rule == NULL) &&
			      (a.rule == NULL || strcmp(a.rule->name, b.rule->name) == 0) &&
			      a.app_dependent == b.app_dependent,
			      "flow %d (port %u): %s %s vs %s %s", i, f.dport,
			      a.action == EW_DENY ? "deny" : "allow", a.rule ? a.rule->name : "-",
			      b.action == EW_DENY ? "deny" : "allow", b.rule ? b.rule->name : "-");
		if (i % 1000 == 0) {
			const struct ew_rule *ma[64], *mb[64];
			uint32_t na = ew_policy_matches(ix, &f, ma, 64), nb = ew_policy_matches(flat, &f, mb, 64);

			ck_assert_uint_eq(na, nb);
			for (uint32_t k = 0; k < na && k < 64; k++)
				ck_assert_str_eq(ma[k]->name, mb[k]->name);
		}
	}
	ew_policy_free(ix);
	ew_policy_free(flat);
	ew_policy_free(nohit);
	free(y);
}
END_TEST

START_TEST(app_dependence_is_reported)
{
	struct ew_err err;
	struct ew_policy *p;
	struct ew_flow f;
	struct ew_verdict v;

	write_file("policy.yaml", spec_policy);
	p = load(&err, NULL);
	memset(&f, 0, sizeof(f));
	ew_addr_parse(&f.src, "198.18.1.5");
	ew_addr_parse(&f.dst, "198.18.2.7");
	f.proto = 6;
	f.dport = 8443;
	ew_policy_verdict(p, &f, &v);
	ck_assert_int_eq(v.app_dependent, 1);    /* web-to-app wants TLS */
	ew_addr_parse(&f.src, "10.1.1.1");       /* in no group: nothing with apps applies */
	ew_policy_verdict(p, &f, &v);
	ck_assert_int_eq(v.app_dependent, 0);
	ck_assert_int_eq(v.action, EW_DENY);
	ew_policy_free(p);
}
END_TEST

/* SPEC §3: a deny rule's apps hold when the observed application or the responder
 * port's is in its list (a dissector that names LDAP on tcp/389 MQTT does not hide it;
 * SMB on tcp/139, which nDPI's port guess calls NetBIOS, is still SMB); an allow rule's
 * apps look only at the observed application. */
START_TEST(deny_apps_hold_on_either_name)
{
	static const struct { const char *svc, *app; int action; const char *rule; } t[] = {
		{ "tcp/389", "MQTT", EW_DENY, "no-ldap" },    /* DPI's mistake */
		{ "tcp/3268", "MQTT", EW_DENY, "no-ldap" },   /* global catalog */
		{ "tcp/389", NULL, EW_DENY, "no-ldap" },      /* telemetry: the port guess */
		{ "tcp/139", "NetBIOS", EW_DENY, "no-smb" },  /* SMB picked up mid-session */
		{ "tcp/445", NULL, EW_DENY, "no-smb" },
		{ "tcp/6379", "Nats", EW_DENY, "no-redis" },
		{ "tcp/8389", "LDAP", EW_DENY, "no-ldap" },   /* LDAP elsewhere */
		{ "tcp/8389", "MQTT", EW_ALLOW, NULL },       /* MQTT elsewhere */
		{ "tcp/8443", "TLS", EW_ALLOW, NULL },
		{ "tcp/8443", "SSH", EW_DENY, NULL },         /* an allow rule's apps: observed */
	};
	struct ew_err err;
	struct ew_policy *p;

	write_file("a.yaml", "groups:\n  web: { members: [198.18.1.0/24] }\n"
		   "  db:  { members: [198.18.3.10] }\n"
		   "allow:\n  - { name: any-web-db, from: web, to: db, services: [tcp/8389] }\n"
		   "  - { name: tls, from: web, to: db, services: [tcp/8443], apps: [TLS] }\n"
		   "deny:\n  - { name: no-ldap, from: web, to: db, apps: [LDAP] }\n"
		   "  - { name: no-smb, from: web, to: db, apps: [SMBv1, SMBv23] }\n"
		   "  - { name: no-redis, from: web, to: db, apps: [Redis] }\n"
		   "default: { action: deny }\n");
	p = load(&err, NULL);
	ck_assert_msg(p != NULL, "%s", err.msg);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ew_flow f;
		struct ew_verdict v;

		memset(&f, 0, sizeof(f));
		ew_addr_parse(&f.src, "198.18.1.5");
		ew_addr_parse(&f.dst, "198.18.3.10");
		f.proto = 6;
		f.dport = (uint16_t)atoi(t[i].svc + 4);
		f.sport = 40000;
		if (t[i].app) {
			f.app_proto = (uint16_t)ew_classify_lookup(cls, t[i].app);
			f.app_source = EW_APP_DPI;
		} else {
			ew_classify_guess(cls, &f);
		}
		ew_classify_port_apps(cls, &f);
		ew_policy_verdict(p, &f, &v);
		ck_assert_msg(v.action == t[i].action, "%s %s: action %d", t[i].svc,
			      t[i].app ? t[i].app : "-", v.action);
		if (t[i].rule)
			ck_assert_msg(v.rule && strcmp(v.rule->name, t[i].rule) == 0, "%s %s: %s",
				      t[i].svc, t[i].app ? t[i].app : "-",
				      v.rule ? v.rule->name : "no rule");
	}
	ew_policy_free(p);
}
END_TEST

START_TEST(default_allow_and_labels)
{
	struct ew_err err;
	struct ew_policy *p;
	struct ew_flow f;
	struct ew_verdict v;
	char inv[400];
	FILE *fi;

	snprintf(inv, sizeof(inv), "%s/inventory.yml.txt", dir);
	fi = fopen(inv, "w");
	fputs("198.18.1.11: { role: web, env: prod }\n198.18.1.12: { role: web }\n"
	      "198.18.3.10: { role: db }\n", fi);
	fclose(fi);
	write_file("a.yaml", "groups:\n  web: { members: [\"label:role=web\"] }\n"
		   "  db: { members: [\"label:role=db\"] }\n"
		   "deny:\n  - { name: web-db, from: web, to: db, severity: low }\n"
		   "default: { action: allow }\n");
	p = load(&err, inv);
	ck_assert_msg(p != NULL, "%s", err.msg);
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.dport = 5432;
	ew_addr_parse(&f.src, "198.18.1.12");
	ew_addr_parse(&f.dst, "198.18.3.10");
	ew_policy_verdict(p, &f, &v);
	ck_assert_int_eq(v.action, EW_DENY);
	ck_assert_int_eq(v.severity, EW_SEV_LOW);
	ew_addr_parse(&f.src, "198.18.1.13");   /* not labelled: default allow */
	ew_policy_verdict(p, &f, &v);
	ck_assert_int_eq(v.action, EW_ALLOW);
	ck_assert_int_eq(v.by, EW_BY_DEFAULT);
	ew_policy_free(p);
}
END_TEST

START_TEST(files_merge_in_any_order)
{
	struct ew_err err;
	struct ew_policy *p;
	struct ew_policy_info pi;

	/* the rule file sorts before the group file: groups are read first anyway */
	write_file("00-rules.yaml", "allow:\n  - { name: r1, from: web, to: db, services: [tcp/5432] }\n");
	write_file("50-groups.yaml", base_groups);
	p = load(&err, NULL);
	ck_assert_msg(p != NULL, "%s", err.msg);
	ew_policy_info(p, &pi);
	ck_assert_uint_eq(pi.groups, 2);
	ck_assert_uint_eq(pi.rules, 1);
	ck_assert_uint_eq(pi.files, 2);
	ck_assert_int_eq(pi.default_action, EW_DENY);
	ew_policy_free(p);
}
END_TEST

/* Many pairs naming the same few services, as real policies do: 100 indexed pairs of 40
 * rules each on the same 40 TCP ports. A port's single-port slots in the hit table sit
 * near their hashed place (once, every index's slot for a port hashed to one place and
 * the verdicts on that port walked a run of a hundred), and verdicts hit the rules. */
START_TEST(shared_ports_spread)
{
	size_t cap = 1 << 20, len = 0;
	char *y = malloc(cap);
	struct ew_policy *p;
	struct ew_err err;
	uint32_t worst = 0, used = 0;

	len += (size_t)sprintf(y + len, "groups:\n");
	for (int g = 0; g < 20; g++)
		len += (size_t)sprintf(y + len, "  g%d: { members: [198.18.%d.0/24] }\n", g, g);
	len += (size_t)sprintf(y + len, "allow:\n");
	for (int pr = 0; pr < 100; pr++)
		for (int k = 0; k < 40; k++)
			len += (size_t)sprintf(y + len,
					       "  - { name: r%d_%d, from: g%d, to: g%d, services: [tcp/%d] }\n",
					       pr, k, pr / 10, 10 + pr % 10, 8000 + k);
	len += (size_t)sprintf(y + len, "default: { action: deny }\n");
	ck_assert_uint_lt(len, cap);
	p = ew_policy_load_mem("shared.yaml", y, len, NULL, &err);
	ck_assert_msg(p != NULL, "%s", err.msg);
	ck_assert_uint_eq(p->npix, 100);
	for (uint32_t h = 0; h <= p->hitmask; h++) {
		const struct port_hit *e = &p->hits[h];

		if (e->key == EW_HIT_EMPTY)
			continue;
		used++;
		uint32_t d = (h - ew_port_hash(e->key >> 16, (uint16_t)e->key)) & p->hitmask;
		worst = d > worst ? d : worst;
	}
	ck_assert_uint_eq(used, 4000);
	ck_assert_uint_le(worst, 16);
	for (int pr = 0; pr < 100; pr += 7) {
		struct ew_flow f;
		struct ew_verdict v;
		char a[32];

		memset(&f, 0, sizeof(f));
		snprintf(a, sizeof(a), "198.18.%d.5", pr / 10);
		ew_addr_parse(&f.src, a);
		snprintf(a, sizeof(a), "198.18.%d.9", 10 + pr % 10);
		ew_addr_parse(&f.dst, a);
		f.proto = 6;
		f.dport = (uint16_t)(8000 + pr % 40);
		ew_policy_verdict(p, &f, &v);
		snprintf(a, sizeof(a), "r%d_%d", pr, pr % 40);
		ck_assert_int_eq(v.action, EW_ALLOW);
		ck_assert_str_eq(v.rule->name, a);
	}
	ew_policy_free(p);
	free(y);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *e = tcase_create("load errors");
	TCase *v = tcase_create("verdicts");

	tcase_add_checked_fixture(e, setup, teardown);
	tcase_add_checked_fixture(v, setup, teardown);
	tcase_set_timeout(e, 30);
	tcase_set_timeout(v, 30);
	tcase_add_test(e, full_ranges);
	tcase_add_loop_test(e, load_errors, 0, sizeof(error_cases) / sizeof(error_cases[0]));
	tcase_add_test(e, error_empty_dir);
	tcase_add_test(v, verdict_table);
	tcase_add_test(v, cached_verdicts_agree);
	tcase_add_test(v, indexed_verdicts_agree);
	tcase_add_test(v, app_dependence_is_reported);
	tcase_add_test(v, default_allow_and_labels);
	tcase_add_test(v, deny_apps_hold_on_either_name);
	tcase_add_test(v, files_merge_in_any_order);
	tcase_add_test(v, shared_ports_spread);
	suite_add_tcase(s, e);
	suite_add_tcase(s, v);
	return s;
}

EW_CHECK_MAIN(policy_suite)
