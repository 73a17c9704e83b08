/* SPDX-License-Identifier: Apache-2.0 */
/* test_central - central policy and inventory in a real redis-server: bundles and their
 * versions, push (current version, audit entry, notice), fetch of any version, refused
 * versions, the inventory's hashes, notices through the subscription on an event loop,
 * and the change summary. */
#include <event2/event.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/classify.h"
#include "check_main.h"
#include "tmp_path.h"
#include "daemon/central.h"
#include "redis_server.h"

static struct redis_server rs;

static void setup(void)
{
	ck_assert_msg(redis_server_start(&rs) == 0, "redis-server did not start");
}

static void teardown(void)
{
	redis_server_stop(&rs);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char groups_yaml[] =
	"groups:\n  web: { members: [198.18.1.0/24] }\n  db: { members: [198.18.3.0/24] }\n";
static const char rules_v1[] =
	"allow:\n  - { name: web-to-db, from: web, to: db, services: [tcp/5432] }\n";
static const char rules_v2[] =
	"allow:\n  - { name: web-to-db, from: web, to: db, services: [tcp/5432] }\n"
	"deny:\n  - { name: no-ssh, from: web, to: db, services: [tcp/22] }\n";

static struct ew_bundle *bundle(const char *rules, char *dir)
{
	struct ew_err err;
	struct ew_bundle *b;

	ew_test_dir(dir, 64, "central");     /* the callers' char[64] */
	write_file(dir, "00-groups.yaml", groups_yaml);
	write_file(dir, "10-rules.yaml", rules);
	b = ew_bundle_from_dir(dir, NULL, &err);
	ck_assert_msg(b != NULL, "%s", err.msg);
	return b;
}

static void rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static redisReply *command(redisContext *rc, const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(rc, fmt, arg);

	ck_assert_ptr_nonnull(r);
	return r;
}

START_TEST(bundle_versions)
{
	char d1[64], d2[64], d3[64];
	struct ew_bundle *a = bundle(rules_v1, d1), *b = bundle(rules_v1, d2),
			 *c = bundle(rules_v2, d3);
	struct ew_err err;

	ck_assert_uint_eq(a->n, 2);
	ck_assert_str_eq(a->base[0], "00-groups.yaml");
	ck_assert_int_eq(strncmp(a->version, "sha256:", 7), 0);
	ck_assert_uint_eq(strlen(a->version), 7 + 64);
	ck_assert_str_eq(a->version, b->version);        /* same files, same version */
	ck_assert_str_ne(a->version, c->version);
	ck_assert_ptr_null(ew_bundle_from_dir("/nonexistent/rules.d", NULL, &err));
	ew_bundle_free(a);
	ew_bundle_free(b);
	ew_bundle_free(c);
	rm_dir(d1);
	rm_dir(d2);
	rm_dir(d3);
}
END_TEST

START_TEST(push_fetch_current_audit)
{
	char d1[64], d2[64], prev[80], cur[80];
	struct ew_bundle *v1 = bundle(rules_v1, d1), *v2 = bundle(rules_v2, d2), *got;
	struct ew_err err;
	redisContext *rc = ew_central_connect(rs.addr, &err);
	redisReply *r;

	ck_assert_msg(rc != NULL, "%s", err.msg);
	ck_assert_int_eq(ew_central_current(rc, cur, &err), EW_OK);
	ck_assert_str_eq(cur, "");                         /* nothing pushed yet */
	ck_assert_ptr_null(ew_central_fetch(rc, NULL, &err));
	ck_assert_int_eq(ew_central_push(rc, v1, "alice", "first", prev, &err), EW_OK);
	ck_assert_str_eq(prev, "");
	ck_assert_int_eq(ew_central_push(rc, v2, "bob", "second", prev, &err), EW_OK);
	ck_assert_str_eq(prev, v1->version);
	ck_assert_int_eq(ew_central_current(rc, cur, &err), EW_OK);
	ck_assert_str_eq(cur, v2->version);
	got = ew_central_fetch(rc, NULL, &err);            /* the current one */
	ck_assert_msg(got != NULL, "%s", err.msg);
	ck_assert_str_eq(got->version, v2->version);
	ck_assert_str_eq(got->author, "bob");
	ck_assert_uint_eq(got->n, 2);
	ck_assert_uint_eq(got->lens[1], strlen(rules_v2));
	ck_assert_int_eq(memcmp(got->data[1], rules_v2, got->lens[1]), 0);
	ew_bundle_free(got);
	got = ew_central_fetch(rc, v1->version, &err);     /* an older one, by version */
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got->author, "alice");
	ew_bundle_free(got);
	ck_assert_ptr_null(ew_central_fetch(rc, "sha256:0000", &err));
	/* tampered content no longer matches its version: refused */
	r = command(rc, "HSET eastwatch:policy:v:%s file:10-rules.yaml x", v1->version);
	freeReplyObject(r);
	ck_assert_ptr_null(ew_central_fetch(rc, v1->version, &err));
	/* the audit stream: one entry a push, newest last */
	r = redisCommand(rc, "XRANGE eastwatch:audit - +");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->type, REDIS_REPLY_ARRAY);
	ck_assert_uint_eq(r->elements, 2);
	{
		const redisReply *fields = r->element[1]->element[1];
		int seen = 0;

		for (size_t k = 0; k + 1 < fields->elements; k += 2) {
			if (!strcmp(fields->element[k]->str, "event"))
				seen += !strcmp(fields->element[k + 1]->str, "policy-push");
			if (!strcmp(fields->element[k]->str, "previous"))
				seen += !strcmp(fields->element[k + 1]->str, v1->version);
			if (!strcmp(fields->element[k]->str, "author"))
				seen += !strcmp(fields->element[k + 1]->str, "bob");
		}
		ck_assert_int_eq(seen, 3);
	}
	freeReplyObject(r);
	ew_central_close(rc);
	ew_bundle_free(v1);
	ew_bundle_free(v2);
	rm_dir(d1);
	rm_dir(d2);
}
END_TEST

START_TEST(inventory_hosts)
{
	struct ew_err err;
	redisContext *rc = ew_central_connect(rs.addr, &err);
	struct ew_inventory *inv = NULL;
	struct ew_addr web, db;
	redisReply *r;

	ck_assert_ptr_nonnull(rc);
	ew_addr_parse(&web, "198.18.1.11");
	ew_addr_parse(&db, "fd18::3:10");
	freeReplyObject(command(rc, "HSET eastwatch:host:198.18.1.11 role web env %s", "prod"));
	freeReplyObject(command(rc, "HSET eastwatch:host:fd18::3:10 role %s", "db"));
	ck_assert_int_eq(ew_central_inventory(rc, &inv, &err), EW_OK);
	ck_assert_uint_eq(ew_inventory_count(inv), 2);
	ck_assert_str_eq(ew_inventory_label(inv, &web, "role"), "web");
	ck_assert_str_eq(ew_inventory_label(inv, &web, "env"), "prod");
	ck_assert_str_eq(ew_inventory_label(inv, &db, "role"), "db");
	/* one host changed, then removed: reloaded alone */
	freeReplyObject(command(rc, "HSET eastwatch:host:198.18.1.11 role %s", "app"));
	ck_assert_int_eq(ew_central_host(rc, "198.18.1.11", inv, &err), EW_OK);
	ck_assert_str_eq(ew_inventory_label(inv, &web, "role"), "app");
	r = command(rc, "DEL eastwatch:host:%s", "198.18.1.11");
	freeReplyObject(r);
	ck_assert_int_eq(ew_central_host(rc, "198.18.1.11", inv, &err), EW_OK);
	ck_assert_ptr_null(ew_inventory_label(inv, &web, "role"));
	ck_assert_str_eq(ew_inventory_label(inv, &db, "role"), "db");
	ew_inventory_free(inv);
	ew_central_close(rc);
}
END_TEST

struct notices {
	char policy[80], inventory[64];
	int resyncs;
	struct event_base *eb;
};

static void on_inventory(void *arg, const char *addr)
{
	struct notices *n = arg;

	snprintf(n->inventory, sizeof(n->inventory), "%s", addr);
	if (n->policy[0])
		event_base_loopbreak(n->eb);
}

static void on_policy(void *arg, const char *version)
{
	struct notices *n = arg;

	snprintf(n->policy, sizeof(n->policy), "%s", version);
	if (n->inventory[0])
		event_base_loopbreak(n->eb);
}

static void on_resync(void *arg)
{
	((struct notices *)arg)->resyncs++;
}

static void publish(evutil_socket_t fd, short what, void *arg)
{
	struct ew_err err;
	redisContext *rc = ew_central_connect(arg, &err);

	(void)fd;
	(void)what;
	ck_assert_ptr_nonnull(rc);
	freeReplyObject(command(rc, "PUBLISH eastwatch:policy %s", "sha256:abc"));
	freeReplyObject(command(rc, "PUBLISH eastwatch:inventory %s", "198.18.1.11"));
	ew_central_close(rc);
}

START_TEST(notices_on_the_loop)
{
	struct notices n = { .eb = event_base_new() };
	struct ew_central_cb cb = { on_inventory, on_policy, on_resync, &n };
	struct ew_err err;
	struct ew_central_watch *w = ew_central_watch_start(n.eb, rs.addr, 1, 1, &cb, &err);
	struct timeval later = { 0, 300000 }, limit = { 10, 0 };
	struct event *pub = evtimer_new(n.eb, publish, rs.addr);

	ck_assert_msg(w != NULL, "%s", err.msg);
	evtimer_add(pub, &later);   /* once subscribed */
	event_base_loopexit(n.eb, &limit);
	event_base_dispatch(n.eb);
	ck_assert_str_eq(n.policy, "sha256:abc");
	ck_assert_str_eq(n.inventory, "198.18.1.11");
	ck_assert_int_eq(ew_central_watch_up(w), 1);
	event_free(pub);
	ew_central_watch_free(w);
	event_base_free(n.eb);
}
END_TEST

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

START_TEST(change_summary)
{
	char d1[64], d2[64], out[512];
	struct ew_bundle *v1 = bundle(rules_v1, d1), *v2 = bundle(rules_v2, d2);
	struct ew_cls_conf cc;
	struct ew_err err;
	struct ew_classify *cls;
	struct ew_policy_opts po = { 0 };
	struct ew_policy *p1, *p2;

	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	ck_assert_ptr_nonnull(cls);
	po.resolve_app = resolve;
	po.resolve_arg = cls;
	p1 = ew_bundle_load(v1, &po, &err);
	ck_assert_msg(p1 != NULL, "%s", err.msg);
	p2 = ew_bundle_load(v2, &po, &err);
	ck_assert_msg(p2 != NULL, "%s", err.msg);
	ew_policy_change(v1, p1, v2, p2, out, sizeof(out));
	ck_assert_msg(strstr(out, "10-rules.yaml") && strstr(out, "no-ssh"), "%s", out);
	ck_assert_msg(strstr(out, "00-groups.yaml") == NULL, "%s", out);   /* unchanged */
	ew_policy_free(p1);
	ew_policy_free(p2);
	ew_classify_free(cls);
	ew_bundle_free(v1);
	ew_bundle_free(v2);
	rm_dir(d1);
	rm_dir(d2);
}
END_TEST

START_TEST(unreachable)
{
	struct ew_err err;
	char addr[32];

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", redis_free_port());
	ck_assert_ptr_null(ew_central_connect(addr, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, addr));
}
END_TEST

static Suite *central_suite(void)
{
	Suite *s = suite_create("central");
	TCase *t = tcase_create("central");

	tcase_add_checked_fixture(t, setup, teardown);
	tcase_set_timeout(t, 30);
	tcase_add_test(t, bundle_versions);
	tcase_add_test(t, push_fetch_current_audit);
	tcase_add_test(t, inventory_hosts);
	tcase_add_test(t, notices_on_the_loop);
	tcase_add_test(t, change_summary);
	tcase_add_test(t, unreachable);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(central_suite)
