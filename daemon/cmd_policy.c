/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_policy - eastwatch policy push|show: a rules directory validated as check does and
 * published in Redis as a new central policy version (with its audit entry); the
 * version in force and the audit stream's last entries. */
#include "daemon/cmd.h"
#include "core/ew_log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int show(redisContext *rc_redis)
{
	struct ew_err err;
	char current[80] = "";
	redisReply *r;

	if (ew_central_current(rc_redis, current, &err) != EW_OK) {
		ew_fatal("eastwatch policy: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	printf("current: %s\n", current[0] ? current : "(none)");
	r = redisCommand(rc_redis, "XREVRANGE eastwatch:audit + - COUNT 10");
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *e = r->element[i];

		if (e->elements != 2)
			continue;
		printf("%s", e->element[0]->str);
		for (size_t k = 0; k + 1 < e->element[1]->elements; k += 2)
			printf(" %s=%s", e->element[1]->element[k]->str,
			       e->element[1]->element[k + 1]->str);
		printf("\n");
	}
	if (r)
		freeReplyObject(r);
	return 0;
}

/* Who pushes: --author, else $SUDO_USER, $USER, else the user id. */
static void author_of(const struct ew_ctx *c, char *out, size_t cap)
{
	if (c->o.author)
		snprintf(out, cap, "%s", c->o.author);
	else if (getenv("SUDO_USER"))
		snprintf(out, cap, "%s", getenv("SUDO_USER"));
	else if (getenv("USER"))
		snprintf(out, cap, "%s", getenv("USER"));
	else
		snprintf(out, cap, "uid %u", (unsigned)getuid());
}

static int push(struct ew_ctx *c, redisContext *rc_redis, const char *dir)
{
	struct ew_err err;
	struct ew_bundle *b = NULL, *prevb = NULL;
	struct ew_policy *pol = NULL, *prevp = NULL;
	struct ew_policy_info pi;
	char previous[80] = "", change[2048], author[128];
	int rc = EW_EXIT_INPUT;

	if (ew_ctx_inventory(c, &err) != EW_OK) {
		ew_fatal("%s\n", err.msg);
		goto out;
	}
	b = ew_bundle_from_dir(dir, NULL, &err);
	if (b == NULL || (pol = ew_ctx_compile(c, b, &err)) == NULL) {
		ew_fatal("%s\n", err.msg);
		ew_fatal("eastwatch policy push: refused; nothing was stored, the version in "
			"force stays\n");
		goto out;
	}
	author_of(c, author, sizeof(author));
	if (ew_central_current(rc_redis, previous, &err) == EW_OK && previous[0]) {
		if (strcmp(previous, b->version) == 0) {
			printf("policy %s is already the current version\n", b->version);
			rc = 0;
			goto out;
		}
		prevb = ew_central_fetch(rc_redis, previous, &err);
		if (prevb)
			prevp = ew_ctx_compile(c, prevb, &err);
	}
	ew_policy_change(prevb, prevp, b, pol, change, sizeof(change));
	if (ew_central_push(rc_redis, b, author, change, previous, &err) != EW_OK) {
		ew_fatal("eastwatch policy push: %s\n", err.msg);
		rc = EW_EXIT_RUNTIME;
		goto out;
	}
	ew_policy_info(pol, &pi);
	printf("pushed %s (%u files, %u groups, %u rules) by %s, replacing %s: %s\n", b->version,
	       b->n, pi.groups, pi.rules, author, previous[0] ? previous : "nothing", change);
	rc = 0;
out:
	ew_policy_free(pol);
	ew_policy_free(prevp);
	ew_bundle_free(b);
	ew_bundle_free(prevb);
	return rc;
}

static int policy(struct ew_ctx *c, int argc, char **argv)
{
	const char *sub = argv[optind];
	struct ew_err err;
	redisContext *rc_redis;
	int rc;

	if (c->o.redis == NULL || (strcmp(sub, "push") == 0) != (argc - optind == 2) ||
	    (strcmp(sub, "push") != 0 && strcmp(sub, "show") != 0)) {
		ew_cli_help(&ew_cmd_policy, stderr);
		return EW_EXIT_USAGE;
	}
	if ((rc_redis = ew_central_connect(c->o.redis, &err)) == NULL) {
		ew_fatal("eastwatch policy: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	rc = strcmp(sub, "show") == 0 ? show(rc_redis) : push(c, rc_redis, argv[optind + 1]);
	ew_central_close(rc_redis);
	return rc;
}

static const struct ew_cli_opt opts[] = {
	{ 'R', "the Redis that holds the central policy" },
	{ 'A', "who pushes (default: $SUDO_USER, $USER, else the user id)" },
	{ 'c', "eastwatch.yaml (its inventory resolves label: members)" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_policy = {
	.name = "policy",
	.summary = "policy push DIR --redis ADDR: validate and publish a central policy",
	.synopsis = "push DIR --redis HOST:PORT [--author NAME] [--config FILE]\n"
		    "       eastwatch policy show --redis HOST:PORT",
	.about = "push validates the rules directory DIR as check does and stores it in Redis as a new\n"
		 "policy version (content, sha256, author, time); sensors started with\n"
		 "policy: { redis: HOST:PORT } load it at once and swap it in atomically (a version\n"
		 "that does not compile on a sensor is refused there and the old one stays). Every\n"
		 "push is written to the audit stream eastwatch:audit. A DIR that does not validate\n"
		 "is not stored (exit 1). show prints the version in force and the audit stream's\n"
		 "last entries.\n",
	.opts = opts,
	.min_operands = 1,
	.max_operands = 2,
	.startup = 1,
	.main = policy,
};
