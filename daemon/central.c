/* SPDX-License-Identifier: Apache-2.0 */
/* central - see central.h. */
#include "daemon/central.h"
#include "core/ew_addr.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define MAX_FILES 4096
#define MAX_FILE_BYTES (16u << 20)

/* ---------------------------------------------------------------- bundles */

static struct ew_bundle *bundle_new(uint32_t n)
{
	struct ew_bundle *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->names = calloc(n ? n : 1, sizeof(char *));
	b->base = calloc(n ? n : 1, sizeof(char *));
	b->data = calloc(n ? n : 1, sizeof(char *));
	b->lens = calloc(n ? n : 1, sizeof(size_t));
	if (!b->names || !b->base || !b->data || !b->lens) {
		ew_bundle_free(b);
		return NULL;
	}
	return b;
}

void ew_bundle_free(struct ew_bundle *b)
{
	if (b == NULL)
		return;
	for (uint32_t i = 0; i < b->n; i++) {
		free(b->names[i]);
		free(b->base[i]);
		free(b->data[i]);
	}
	free(b->names);
	free(b->base);
	free(b->data);
	free(b->lens);
	free(b);
}

static void hex(const unsigned char *md, unsigned len, char out[80])
{
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* SHA-256 over each file's name, a NUL and its content, then the inventory file. */
static void bundle_version(struct ew_bundle *b, const char *inv_data, size_t inv_len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *h = EVP_MD_CTX_new();

	EVP_DigestInit_ex(h, EVP_sha256(), NULL);
	for (uint32_t i = 0; i < b->n; i++) {
		EVP_DigestUpdate(h, b->base[i], strlen(b->base[i]) + 1);
		EVP_DigestUpdate(h, b->data[i], b->lens[i]);
	}
	if (inv_data) {
		EVP_DigestUpdate(h, "inventory", 10);
		EVP_DigestUpdate(h, inv_data, inv_len);
	}
	EVP_DigestFinal_ex(h, md, &mdlen);
	EVP_MD_CTX_free(h);
	hex(md, mdlen, b->version);
}

static char *read_file(const char *path, size_t *len, struct ew_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;

	if (f == NULL) {
		ew_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || sz > MAX_FILE_BYTES ||
	    fseek(f, 0, SEEK_SET) != 0) {
		ew_err_set(err, "%s: unreadable or larger than 16 MiB", path);
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)sz + 1);
	if (buf == NULL || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		ew_err_set(err, "%s: cannot read", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[sz] = '\0';
	*len = (size_t)sz;
	fclose(f);
	return buf;
}

static int yaml_name(const struct dirent *d)
{
	return ew_policy_file_name(d->d_name);
}

struct ew_bundle *ew_bundle_from_dir(const char *dir, const char *inventory_file,
				     struct ew_err *err)
{
	struct dirent **ents = NULL;
	struct ew_bundle *b;
	int n = scandir(dir, &ents, yaml_name, alphasort);
	char *inv = NULL;
	size_t invlen = 0;

	if (n < 0) {
		ew_err_set(err, "%s: cannot read the rules directory: %s", dir, strerror(errno));
		return NULL;
	}
	if (n == 0 || n > MAX_FILES) {
		ew_err_set(err, n ? "%s: more than 4096 policy files" : "%s: no *.yaml policy files",
			   dir);
		free(ents);
		return NULL;
	}
	b = bundle_new((uint32_t)n);
	for (int i = 0; b && i < n; i++) {
		size_t len = strlen(dir) + strlen(ents[i]->d_name) + 2;

		b->names[i] = malloc(len);
		b->base[i] = strdup(ents[i]->d_name);
		b->n++;
		if (b->names[i] == NULL || b->base[i] == NULL) {
			ew_err_set(err, "policy: out of memory");
			ew_bundle_free(b);
			b = NULL;
			break;
		}
		snprintf(b->names[i], len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
			 ents[i]->d_name);
		b->data[i] = read_file(b->names[i], &b->lens[i], err);
		if (b->data[i] == NULL) {
			ew_bundle_free(b);
			b = NULL;
		}
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (b == NULL)
		return NULL;
	if (inventory_file && (inv = read_file(inventory_file, &invlen, err)) == NULL) {
		ew_bundle_free(b);
		return NULL;
	}
	bundle_version(b, inv, invlen);
	free(inv);
	return b;
}

struct ew_policy *ew_bundle_load(const struct ew_bundle *b, const struct ew_policy_opts *o,
				 struct ew_err *err)
{
	return ew_policy_load_bufs((const char *const *)b->names, (const void *const *)b->data,
				   b->lens, b->n, o, err);
}

static int in_list(const char *const *v, uint32_t n, const char *s)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return (int)i + 1;
	return 0;
}

struct sumbuf {
	char *out;
	size_t cap, len;
	int any;
};

static void sum_add(struct sumbuf *s, const char *head, int *first, const char *item)
{
	int w;

	if (*first) {
		w = snprintf(s->out + s->len, s->cap - s->len, "%s%s: %s", s->any ? "; " : "",
			     head, item);
		*first = 0;
		s->any = 1;
	} else {
		w = snprintf(s->out + s->len, s->cap - s->len, ", %s", item);
	}
	if (w > 0)
		s->len += (size_t)w < s->cap - s->len ? (size_t)w : s->cap - s->len - 1;
}

void ew_policy_change(const struct ew_bundle *ob, const struct ew_policy *op,
		      const struct ew_bundle *nb, const struct ew_policy *np, char *out,
		      size_t cap)
{
	struct sumbuf s = { out, cap, 0, 0 };
	struct ew_policy_info oi = { 0 }, ni = { 0 };
	int f1 = 1, f2 = 1, f3 = 1, f4 = 1, f5 = 1;

	out[0] = '\0';
	if (ob == NULL || op == NULL) {
		ew_policy_info(np, &ni);
		snprintf(out, cap, "first version: %u files, %u groups, %u rules", nb->n, ni.groups,
			 ni.rules);
		return;
	}
	for (uint32_t i = 0; i < nb->n; i++) {
		int at = in_list((const char *const *)ob->base, ob->n, nb->base[i]);

		if (!at)
			sum_add(&s, "files added", &f1, nb->base[i]);
	}
	for (uint32_t i = 0; i < nb->n; i++) {
		int at = in_list((const char *const *)ob->base, ob->n, nb->base[i]);

		if (at && (ob->lens[at - 1] != nb->lens[i] ||
			   memcmp(ob->data[at - 1], nb->data[i], nb->lens[i]) != 0))
			sum_add(&s, "files changed", &f2, nb->base[i]);
	}
	for (uint32_t i = 0; i < ob->n; i++)
		if (!in_list((const char *const *)nb->base, nb->n, ob->base[i]))
			sum_add(&s, "files removed", &f3, ob->base[i]);
	ew_policy_info(op, &oi);
	ew_policy_info(np, &ni);
	for (uint32_t i = 0; i < ni.rules; i++) {
		const char *name = ew_policy_rule(np, i)->name;
		int found = 0;

		for (uint32_t j = 0; j < oi.rules && !found; j++)
			found = strcmp(ew_policy_rule(op, j)->name, name) == 0;
		if (!found)
			sum_add(&s, "rules added", &f4, name);
	}
	for (uint32_t j = 0; j < oi.rules; j++) {
		const char *name = ew_policy_rule(op, j)->name;
		int found = 0;

		for (uint32_t i = 0; i < ni.rules && !found; i++)
			found = strcmp(ew_policy_rule(np, i)->name, name) == 0;
		if (!found)
			sum_add(&s, "rules removed", &f5, name);
	}
	if (!s.any)
		snprintf(out, cap, "no change in the rules files");
}

/* ---------------------------------------------------------------- Redis, blocking */

struct redisContext *ew_central_connect(const char *addr, struct ew_err *err)
{
	char host[256];
	uint16_t port;
	struct timeval tv = { 1, 0 };
	redisContext *rc;

	if (ew_hostport_split(addr, host, sizeof(host), &port, 6379) != 0) {
		ew_err_set(err, "redis: bad address \"%s\" (HOST:PORT)", addr);
		return NULL;
	}
	rc = redisConnectWithTimeout(host, port, tv);
	if (rc == NULL || rc->err) {
		ew_err_set(err, "redis %s: %s", addr, rc ? rc->errstr : "out of memory");
		redisFree(rc);
		return NULL;
	}
	redisSetTimeout(rc, tv);
	return rc;
}

void ew_central_close(struct redisContext *rc)
{
	if (rc)
		redisFree(rc);
}

static redisReply *cmd(redisContext *rc, struct ew_err *err, int argc, const char **argv,
		       const size_t *lens)
{
	redisReply *r = redisCommandArgv(rc, argc, argv, lens);

	if (r == NULL) {
		ew_err_set(err, "redis: %s", rc->errstr[0] ? rc->errstr : "no answer");
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		ew_err_set(err, "redis: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int ew_central_current(struct redisContext *rc, char out[80], struct ew_err *err)
{
	const char *argv[] = { "GET", "eastwatch:policy:current" };
	redisReply *r = cmd(rc, err, 2, argv, NULL);

	if (r == NULL)
		return EW_E_IO;
	out[0] = '\0';
	if (r->type == REDIS_REPLY_STRING)
		snprintf(out, 80, "%s", r->str);
	freeReplyObject(r);
	return EW_OK;
}

int ew_central_audit(struct redisContext *rc, const char *const *kv, uint32_t nkv)
{
	const char *argv[40] = { "XADD", "eastwatch:audit", "MAXLEN", "~", "100000", "*" };
	uint32_t argc = 6;
	struct ew_err err;
	redisReply *r;

	for (uint32_t i = 0; i < nkv && argc < 40; i++)
		argv[argc++] = kv[i];
	r = cmd(rc, &err, (int)argc, argv, NULL);
	if (r == NULL) {
		ew_warn("audit: cannot append to eastwatch:audit: %s", err.msg);
		return EW_E_IO;
	}
	freeReplyObject(r);
	return EW_OK;
}

int ew_central_push(struct redisContext *rc, struct ew_bundle *b, const char *author,
		    const char *summary, char previous[80], struct ew_err *err)
{
	char key[128], files[65536] = "", t[32], nfiles[16];
	uint32_t argc = 0, n = 2 + 2 * 4 + 2 * b->n;
	const char **argv = calloc(n, sizeof(*argv));
	size_t *lens = calloc(n, sizeof(*lens));
	char **fk = calloc(b->n ? b->n : 1, sizeof(*fk));
	size_t fl = 0;
	redisReply *r;
	int ret = EW_E_IO;

	if (argv == NULL || lens == NULL || fk == NULL) {
		ew_err_set(err, "policy push: out of memory");
		goto out;
	}
	snprintf(b->author, sizeof(b->author), "%s", author);
	snprintf(b->time, sizeof(b->time), "%s", ew_time_rfc3339(ew_time_now_us(), t));
	if (ew_central_current(rc, previous, err) != EW_OK)
		goto out;
	for (uint32_t i = 0; i < b->n; i++) {
		int w = snprintf(files + fl, sizeof(files) - fl, "%s%s", i ? "\n" : "", b->base[i]);

		if (w < 0 || (size_t)w >= sizeof(files) - fl) {
			ew_err_set(err, "policy push: too many files");
			goto out;
		}
		fl += (size_t)w;
	}
	snprintf(key, sizeof(key), "eastwatch:policy:v:%s", b->version);
	argv[argc] = "HSET"; lens[argc++] = 4;
	argv[argc] = key; lens[argc++] = strlen(key);
#define KV(k, v) do { argv[argc] = (k); lens[argc++] = strlen(k); \
		      argv[argc] = (v); lens[argc++] = strlen(v); } while (0)
	KV("version", b->version);
	KV("author", b->author);
	KV("time", b->time);
	KV("files", files);
#undef KV
	for (uint32_t i = 0; i < b->n; i++) {
		size_t kl = strlen(b->base[i]) + 6;

		fk[i] = malloc(kl);
		if (fk[i] == NULL) {
			ew_err_set(err, "policy push: out of memory");
			goto out;
		}
		snprintf(fk[i], kl, "file:%s", b->base[i]);
		argv[argc] = fk[i];
		lens[argc++] = strlen(fk[i]);
		argv[argc] = b->data[i];
		lens[argc++] = b->lens[i];
	}
	if ((r = cmd(rc, err, (int)argc, argv, lens)) == NULL)
		goto out;
	freeReplyObject(r);
	{
		const char *set[] = { "SET", "eastwatch:policy:current", b->version };
		const char *pub[] = { "PUBLISH", "eastwatch:policy", b->version };

		if ((r = cmd(rc, err, 3, set, NULL)) == NULL)
			goto out;
		freeReplyObject(r);
		snprintf(nfiles, sizeof(nfiles), "%u", b->n);
		{
			const char *kv[] = { "event", "policy-push", "version", b->version,
					     "previous", previous[0] ? previous : "-", "author",
					     b->author, "time", b->time, "files", nfiles, "changes",
					     summary };

			if (ew_central_audit(rc, kv, 14) != EW_OK) {
				ew_err_set(err, "redis: cannot write the audit entry");
				goto out;
			}
		}
		if ((r = cmd(rc, err, 3, pub, NULL)) == NULL)
			goto out;
		freeReplyObject(r);
	}
	ret = EW_OK;
out:
	for (uint32_t i = 0; fk && i < b->n; i++)
		free(fk[i]);
	free(fk);
	free(argv);
	free(lens);
	return ret;
}

static const redisReply *hfield(const redisReply *r, const char *k)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, k) == 0)
			return r->element[i + 1];
	return NULL;
}

struct ew_bundle *ew_central_fetch(struct redisContext *rc, const char *version,
				   struct ew_err *err)
{
	char cur[80], key[128];
	const char *argv[2] = { "HGETALL", key };
	const redisReply *files, *f;
	struct ew_bundle *b = NULL;
	redisReply *r;
	uint32_t n = 1;

	if (version == NULL) {
		if (ew_central_current(rc, cur, err) != EW_OK)
			return NULL;
		if (cur[0] == '\0') {
			ew_err_set(err, "redis: no policy pushed yet (eastwatch:policy:current is "
				   "empty; use eastwatch policy push DIR --redis ADDR)");
			return NULL;
		}
		version = cur;
	}
	snprintf(key, sizeof(key), "eastwatch:policy:v:%s", version);
	if ((r = cmd(rc, err, 2, argv, NULL)) == NULL)
		return NULL;
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0 ||
	    (files = hfield(r, "files")) == NULL || files->type != REDIS_REPLY_STRING) {
		ew_err_set(err, "redis: policy version %s is missing or has no files", version);
		goto out;
	}
	for (const char *p = files->str; *p; p++)
		n += *p == '\n';
	if (n > MAX_FILES || (b = bundle_new(n)) == NULL) {
		ew_err_set(err, "redis: policy version %s: too many files", version);
		goto out;
	}
	for (const char *p = files->str; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		char fkey[600];

		snprintf(fkey, sizeof(fkey), "file:%.*s", (int)(l < 500 ? l : 500), p);
		f = hfield(r, fkey);
		if (f == NULL || f->type != REDIS_REPLY_STRING) {
			ew_err_set(err, "redis: policy version %s lacks %s", version, fkey);
			ew_bundle_free(b);
			b = NULL;
			goto out;
		}
		b->base[b->n] = strndup(p, l);
		b->names[b->n] = strndup(p, l);
		b->data[b->n] = malloc(f->len + 1);
		b->lens[b->n] = f->len;
		b->n++;
		if (!b->base[b->n - 1] || !b->names[b->n - 1] || !b->data[b->n - 1]) {
			ew_err_set(err, "redis: out of memory");
			ew_bundle_free(b);
			b = NULL;
			goto out;
		}
		memcpy(b->data[b->n - 1], f->str, f->len);
		b->data[b->n - 1][f->len] = '\0';
		p += l + (nl != NULL);
	}
	bundle_version(b, NULL, 0);
	if (strcmp(b->version, version) != 0) {
		ew_err_set(err, "redis: policy version %s does not match its content (%s)",
			   version, b->version);
		ew_bundle_free(b);
		b = NULL;
		goto out;
	}
	if ((f = hfield(r, "author")) && f->type == REDIS_REPLY_STRING)
		snprintf(b->author, sizeof(b->author), "%s", f->str);
	if ((f = hfield(r, "time")) && f->type == REDIS_REPLY_STRING)
		snprintf(b->time, sizeof(b->time), "%s", f->str);
out:
	freeReplyObject(r);
	return b;
}

/* One host's hash reply into inv. */
static int host_labels(struct ew_inventory *inv, const char *addr, const redisReply *r,
		       struct ew_err *err)
{
	const char *kv[64];
	uint32_t n = 0;
	struct ew_addr a;
	unsigned plen;

	if (ew_prefix_parse(&a, &plen, addr, 0) != 0) {
		ew_warn("inventory: ignoring eastwatch:host:%s (not an address or prefix)", addr);
		return EW_OK;
	}
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements && n + 2 <= 64;
	     i += 2) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    r->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		kv[n++] = r->element[i]->str;
		kv[n++] = r->element[i + 1]->str;
	}
	if (ew_inventory_set(inv, &a, plen, kv, n) != EW_OK) {
		ew_warn("inventory: ignoring eastwatch:host:%s (labels must be single words)",
			addr);
		if (ew_inventory_set(inv, &a, plen, NULL, 0) != EW_OK) {
			ew_err_set(err, "inventory: out of memory");
			return EW_E_NOMEM;
		}
	}
	return EW_OK;
}

int ew_central_host(struct redisContext *rc, const char *addr, struct ew_inventory *inv,
		    struct ew_err *err)
{
	char key[128];
	const char *argv[2] = { "HGETALL", key };
	redisReply *r;
	int ret;

	snprintf(key, sizeof(key), "eastwatch:host:%s", addr);
	if ((r = cmd(rc, err, 2, argv, NULL)) == NULL)
		return EW_E_IO;
	ret = host_labels(inv, addr, r, err);
	freeReplyObject(r);
	return ret;
}

int ew_central_inventory(struct redisContext *rc, struct ew_inventory **out, struct ew_err *err)
{
	struct ew_inventory *inv = ew_inventory_new();
	char cursor[32] = "0";

	if (inv == NULL) {
		ew_err_set(err, "inventory: out of memory");
		return EW_E_NOMEM;
	}
	do {
		const char *argv[] = { "SCAN", cursor, "MATCH", "eastwatch:host:*", "COUNT", "1000" };
		redisReply *r = cmd(rc, err, 6, argv, NULL);

		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			if (r) {
				ew_err_set(err, "redis: unexpected SCAN reply");
				freeReplyObject(r);
			}
			ew_inventory_free(inv);
			return EW_E_IO;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str ? r->element[0]->str : "0");
		for (size_t i = 0; i < r->element[1]->elements; i++) {
			const char *key = r->element[1]->element[i]->str;

			if (key && ew_central_host(rc, key + strlen("eastwatch:host:"), inv, err) != EW_OK) {
				freeReplyObject(r);
				ew_inventory_free(inv);
				return EW_E_IO;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	ew_inventory_free(*out);
	*out = inv;
	return EW_OK;
}

/* ---------------------------------------------------------------- subscription */

struct ew_central_watch {
	struct event_base *eb;
	char host[256];
	uint16_t port;
	int inventory, policy;
	struct ew_central_cb cb;
	redisAsyncContext *ac;
	struct event *retry;
	int up, ever_up, closing;
};

static void watch_connect(struct ew_central_watch *w);

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	watch_connect(arg);
}

static void schedule_retry(struct ew_central_watch *w)
{
	struct timeval tv = { 1, 0 };

	if (!w->closing)
		evtimer_add(w->retry, &tv);
}

static void on_message(redisAsyncContext *ac, void *reply, void *priv)
{
	struct ew_central_watch *w = priv;
	redisReply *r = reply;

	(void)ac;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[0]->str, "subscribe") == 0) {
		if (!w->up) {
			w->up = 1;
			ew_info("central: subscribed on %s:%u", w->host, w->port);
			if (w->ever_up && w->cb.resync)   /* notices may have been missed */
				w->cb.resync(w->cb.arg);
			w->ever_up = 1;
		}
		return;
	}
	if (strcmp(r->element[0]->str, "message") != 0 ||
	    r->element[1]->type != REDIS_REPLY_STRING || r->element[2]->type != REDIS_REPLY_STRING)
		return;
	if (strcmp(r->element[1]->str, "eastwatch:inventory") == 0 && w->cb.inventory)
		w->cb.inventory(w->cb.arg, r->element[2]->str);
	else if (strcmp(r->element[1]->str, "eastwatch:policy") == 0 && w->cb.policy)
		w->cb.policy(w->cb.arg, r->element[2]->str);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct ew_central_watch *w = ac->data;

	if (status != REDIS_OK) {
		ew_warn("central: cannot connect to %s:%u: %s (retrying)", w->host, w->port,
			ac->errstr);
		w->ac = NULL;
		schedule_retry(w);
		return;
	}
	if (w->inventory && w->policy)
		redisAsyncCommand(w->ac, on_message, w, "SUBSCRIBE eastwatch:inventory eastwatch:policy");
	else
		redisAsyncCommand(w->ac, on_message, w, "SUBSCRIBE %s",
				  w->inventory ? "eastwatch:inventory" : "eastwatch:policy");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct ew_central_watch *w = ac->data;

	(void)status;
	if (w == NULL)
		return;
	w->ac = NULL;
	if (w->up)
		ew_warn("central: lost the subscription on %s:%u (reconnecting)", w->host, w->port);
	w->up = 0;
	schedule_retry(w);
}

static void watch_connect(struct ew_central_watch *w)
{
	if (w->ac || w->closing)
		return;
	w->ac = redisAsyncConnect(w->host, w->port);
	if (w->ac == NULL || w->ac->err) {
		if (w->ac)
			redisAsyncFree(w->ac);
		w->ac = NULL;
		schedule_retry(w);
		return;
	}
	w->ac->data = w;
	redisLibeventAttach(w->ac, w->eb);
	redisAsyncSetConnectCallback(w->ac, on_connect);
	redisAsyncSetDisconnectCallback(w->ac, on_disconnect);
}

struct ew_central_watch *ew_central_watch_start(struct event_base *eb, const char *addr,
						int inventory, int policy,
						const struct ew_central_cb *cb, struct ew_err *err)
{
	struct ew_central_watch *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		ew_err_set(err, "central: out of memory");
		return NULL;
	}
	if (ew_hostport_split(addr, w->host, sizeof(w->host), &w->port, 6379) != 0) {
		ew_err_set(err, "redis: bad address \"%s\" (HOST:PORT)", addr);
		free(w);
		return NULL;
	}
	w->eb = eb;
	w->inventory = inventory;
	w->policy = policy;
	w->cb = *cb;
	w->retry = evtimer_new(eb, on_retry, w);
	if (w->retry == NULL) {
		ew_err_set(err, "central: out of memory");
		free(w);
		return NULL;
	}
	watch_connect(w);
	return w;
}

int ew_central_watch_up(const struct ew_central_watch *w)
{
	return w && w->up;
}

void ew_central_watch_free(struct ew_central_watch *w)
{
	if (w == NULL)
		return;
	w->closing = 1;
	if (w->ac) {
		w->ac->data = NULL;
		redisAsyncFree(w->ac);
	}
	event_free(w->retry);
	free(w);
}
