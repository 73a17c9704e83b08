/* SPDX-License-Identifier: Apache-2.0 */
/* estate_edges - see estate_edges.h. */
#include "daemon/estate_edges.h"
#include "daemon/central.h"
#include "core/ew_log.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX (1u << 20)

struct ew_estate_edges {
	redisContext *rc;
	char addr[256], hkey[200], lkey[200];
	uint64_t learn_us, learn_start;   /* learn_start 0: not known yet */
	uint32_t max;
	uint64_t *cache;                  /* hashes of known edges, 0 = empty */
	uint32_t cap, n;
	struct ew_edges_stats st;
};

static uint64_t hash_of(const char *field)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *c = field; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

/* The cache slot of h: holding it, or empty where it goes. */
static uint64_t *slot(struct ew_estate_edges *e, uint64_t h)
{
	uint32_t i = (uint32_t)h & (e->cap - 1);

	while (e->cache[i] && e->cache[i] != h)
		i = (i + 1) & (e->cap - 1);
	return &e->cache[i];
}

static void remember(struct ew_estate_edges *e, uint64_t h)
{
	uint64_t *s = slot(e, h);

	if (*s == 0 && e->n < e->cap / 2) {
		*s = h;
		e->n++;
	}
}

struct ew_estate_edges *ew_estate_edges_open(const char *addr, const char *prefix,
					     uint64_t learn_us, uint32_t max, struct ew_err *err)
{
	struct ew_estate_edges *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		ew_err_set(err, "out of memory");
		return NULL;
	}
	e->cap = 1024;
	while (e->cap < CACHE_MAX && e->cap / 2 < max)
		e->cap <<= 1;
	e->cache = calloc(e->cap, sizeof(*e->cache));
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	snprintf(e->hkey, sizeof(e->hkey), "%s:edges", prefix);
	snprintf(e->lkey, sizeof(e->lkey), "%s:learn_start", prefix);
	e->learn_us = learn_us;
	e->max = max;
	if (e->cache == NULL || (e->rc = ew_central_connect(addr, err)) == NULL) {
		if (e->cache == NULL)
			ew_err_set(err, "out of memory");
		ew_estate_edges_free(e);
		return NULL;
	}
	return e;
}

/* A command's reply, reconnecting once when the connection broke; NULL (logged) when
 * Redis does not answer. */
static redisReply *cmd(struct ew_estate_edges *e, int argc, const char **argv)
{
	redisReply *r = NULL;
	struct ew_err err;

	for (int attempt = 0; attempt < 2 && r == NULL; attempt++) {
		if (e->rc == NULL && (e->rc = ew_central_connect(e->addr, &err)) == NULL)
			break;
		r = redisCommandArgv(e->rc, argc, argv, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			ew_warn("new-edge baseline: Redis %s: %s", e->addr,
				r ? r->str : e->rc->errstr);
			if (r)
				freeReplyObject(r);
			r = NULL;
			ew_central_close(e->rc);
			e->rc = NULL;
		}
	}
	return r;
}

/* The estate's learning start (set by the first analyzer to record an edge). */
static int learn_start(struct ew_estate_edges *e, uint64_t now_us)
{
	char v[32];
	const char *set[] = { "SET", e->lkey, v, "NX" }, *get[] = { "GET", e->lkey };
	redisReply *r;

	if (e->learn_start)
		return EW_OK;
	snprintf(v, sizeof(v), "%" PRIu64, now_us);
	if ((r = cmd(e, 4, set)) == NULL)
		return EW_E_IO;
	freeReplyObject(r);
	if ((r = cmd(e, 2, get)) == NULL)
		return EW_E_IO;
	if (r->type == REDIS_REPLY_STRING)
		e->learn_start = strtoull(r->str, NULL, 10);
	freeReplyObject(r);
	if (e->learn_start == 0)
		e->learn_start = now_us ? now_us : 1;
	e->st.learn_start_us = e->learn_start;
	e->st.learn_until_us = e->learn_start + e->learn_us;
	return EW_OK;
}

int ew_estate_edges_seen(struct ew_estate_edges *e, const char *src, const char *dst,
			 uint8_t proto, uint16_t port, uint64_t now_us, const char *tag)
{
	char field[1100], val[160];
	const char *hlen[] = { "HLEN", e->hkey }, *setnx[] = { "HSETNX", e->hkey, field, val },
		   *get[] = { "HGET", e->hkey, field };
	uint64_t h;
	redisReply *r;
	int learning, rc = 0;

	snprintf(field, sizeof(field), "%s\t%s\t%u\t%u", src, dst, proto, port);
	h = hash_of(field);
	if (*slot(e, h))
		return 0;
	if (learn_start(e, now_us) != EW_OK)
		return EW_E_IO;
	learning = now_us < e->learn_start + e->learn_us;
	if ((r = cmd(e, 2, hlen)) == NULL)
		return EW_E_IO;
	if (r->type == REDIS_REPLY_INTEGER && r->integer >= (long long)e->max) {
		freeReplyObject(r);
		/* full: known edges still are known */
		if ((r = cmd(e, 3, get)) == NULL)
			return EW_E_IO;
		if (r->type == REDIS_REPLY_STRING)
			remember(e, h);
		else
			e->st.full++;
		freeReplyObject(r);
		return 0;
	}
	freeReplyObject(r);
	snprintf(val, sizeof(val), "%" PRIu64 " %s", now_us, learning ? "learned" : tag);
	if ((r = cmd(e, 4, setnx)) == NULL)
		return EW_E_IO;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
		rc = !learning;
		if (learning)
			e->st.learned++;
	} else {
		/* known: unless this very flow recorded it (read again) */
		freeReplyObject(r);
		if ((r = cmd(e, 3, get)) == NULL)
			return EW_E_IO;
		if (r->type == REDIS_REPLY_STRING) {
			const char *t = strchr(r->str, ' ');

			rc = t && strcmp(t + 1, tag) == 0;
		}
	}
	freeReplyObject(r);
	if (rc)
		e->st.reported++;
	remember(e, h);
	e->st.edges = e->n;
	return rc;
}

void ew_estate_edges_stats(const struct ew_estate_edges *e, struct ew_edges_stats *out)
{
	*out = e->st;
}

void ew_estate_edges_free(struct ew_estate_edges *e)
{
	if (e == NULL)
		return;
	if (e->rc)
		ew_central_close(e->rc);
	free(e->cache);
	free(e);
}
