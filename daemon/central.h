/* SPDX-License-Identifier: Apache-2.0 */
/* central - policy versions and the inventory kept in Redis, for many sensors.
 *
 * A policy version is a bundle: the rules.d files (names and contents, in lexical
 * order) and its version "sha256:HEX" over them. `eastwatch policy push` validates a
 * directory and stores it:
 *   eastwatch:policy:v:VERSION   hash: version, author, time, files (names, one a line),
 *                                "file:NAME" -> content
 *   eastwatch:policy:current     VERSION
 *   PUBLISH eastwatch:policy VERSION
 * and every change is appended to the audit stream eastwatch:audit (XADD, capped at
 * about 100,000 entries): event, version, previous, author, sensor, what changed.
 * The inventory is one hash per address, eastwatch:host:ADDRESS (fields are labels);
 * whoever changes one announces it with PUBLISH eastwatch:inventory ADDRESS ("*" for
 * many at once).
 *
 * Reads and writes use hiredis's blocking API with a 1 s timeout (at start-up, in
 * `policy push`, and when a notice arrives); the notices come through a subscription on
 * the daemon's event loop (hiredis's libevent adapter), which reconnects on its own and
 * then asks for a full reload, since notices sent while it was away are lost. */
#ifndef EW_CENTRAL_H
#define EW_CENTRAL_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/inventory.h"
#include "analyzer/policy.h"
#include "core/ew_err.h"

struct event_base;
struct redisContext;

struct ew_bundle {
	char version[80];        /* "sha256:HEX" */
	char author[128];
	char time[40];           /* RFC 3339 */
	uint32_t n;
	char **names;            /* as messages name them: the path, or the file name */
	char **base;             /* file names */
	char **data;
	size_t *lens;
};

/* Every *.yaml / *.yml file of dir, in lexical order; the version covers them and, when
 * inventory_file is set, that file too. NULL with err filled. */
struct ew_bundle *ew_bundle_from_dir(const char *dir, const char *inventory_file,
				     struct ew_err *err);
struct ew_policy *ew_bundle_load(const struct ew_bundle *b, const struct ew_policy_opts *o,
				 struct ew_err *err);
void ew_bundle_free(struct ew_bundle *b);

/* What changed from old to new, one line for people and the audit stream:
 * "files added: ...; changed: ...; removed: ...; rules added: ...; removed: ...". */
void ew_policy_change(const struct ew_bundle *oldb, const struct ew_policy *oldp,
		      const struct ew_bundle *newb, const struct ew_policy *newp, char *out,
		      size_t cap);

/* A blocking connection to "HOST:PORT" (1 s timeouts), or NULL with err filled. */
struct redisContext *ew_central_connect(const char *addr, struct ew_err *err);
void ew_central_close(struct redisContext *rc);

/* Store b as the current version (author, time filled in here), publish it and audit
 * it. *previous gets the version it replaces ("" if none), summary what changed. */
int ew_central_push(struct redisContext *rc, struct ew_bundle *b, const char *author,
		    const char *summary, char previous[80], struct ew_err *err);
/* The bundle of version (NULL: the current one), or NULL with err filled. */
struct ew_bundle *ew_central_fetch(struct redisContext *rc, const char *version,
				   struct ew_err *err);
/* The current version name into out, "" if none; EW_OK or an error. */
int ew_central_current(struct redisContext *rc, char out[80], struct ew_err *err);

/* Every eastwatch:host:* hash into inv (replacing its contents); EW_OK or an error. */
int ew_central_inventory(struct redisContext *rc, struct ew_inventory **inv,
			 struct ew_err *err);
/* Reload one host's labels (none: removed). */
int ew_central_host(struct redisContext *rc, const char *addr, struct ew_inventory *inv,
		    struct ew_err *err);

/* Append to eastwatch:audit: kv is field, value, field, value ... */
int ew_central_audit(struct redisContext *rc, const char *const *kv, uint32_t nkv);

/* The subscription: inventory notices (the address, or "*") and policy notices (the
 * version), and resync after a reconnection. */
struct ew_central_cb {
	void (*inventory)(void *arg, const char *addr);
	void (*policy)(void *arg, const char *version);
	void (*resync)(void *arg);
	void *arg;
};
struct ew_central_watch;
struct ew_central_watch *ew_central_watch_start(struct event_base *eb, const char *addr,
						int inventory, int policy,
						const struct ew_central_cb *cb, struct ew_err *err);
int ew_central_watch_up(const struct ew_central_watch *w);
void ew_central_watch_free(struct ew_central_watch *w);

#endif
