/* SPDX-License-Identifier: Apache-2.0 */
/* ctx - the start-up every command shares, in one place: configuration, classifier,
 * inventory and policy (from the rules directory or a central Redis), and, for the
 * commands that judge traffic, the sinks, the pipeline and the sources. The context
 * owns what it built and ew_ctx_free takes it down in the right order (sources before
 * the pipeline they feed, the pipeline before its sinks, the event base last). */
#ifndef EW_CTX_H
#define EW_CTX_H

#include <hiredis/hiredis.h>
#include <stdio.h>

#include "alerting/sink.h"
#include "analyzer/classify.h"
#include "analyzer/inventory.h"
#include "analyzer/policy.h"
#include "collector/source.h"
#include "daemon/central.h"
#include "daemon/cli.h"
#include "daemon/config.h"
#include "daemon/pipeline.h"
#include "daemon/workers.h"

#define EW_DEFAULT_RULES "/etc/eastwatch/rules.d"

struct event_base;

struct ew_ctx {
	struct ew_opts o;
	struct ew_config cfg;
	int cfg_ready;             /* cfg initialised (ew_ctx_free frees it) */
	struct ew_classify *cls;
	struct ew_policy *pol;
	const char *rules_dir;
	char hostname[256];
	char policy_version[80];   /* "sha256:HEX" of the policy in force */
	char policy_from[300];     /* the rules directory, or "redis HOST:PORT" */
	struct ew_bundle *bundle;  /* the rules files in force */
	struct ew_inventory *inv;  /* labels (inventory file or Redis), or NULL */
	redisContext *rpol, *rinv; /* blocking Redis connections, policy and inventory */
	/* built by the commands that need them */
	struct event_base *eb;
	struct ew_sinkset *sinks;
	int spool_forced;             /* every sink spools in cfg.spool_dir (replay) */
	char private_spool[4096];     /* a spool directory of this run's own, removed at
				       * the end (replay without --spool), or "" */
	struct ew_conf *flagdoc[2];   /* the sinks --output and --kafka made */
	FILE *flows;                  /* --flows */
	struct ew_pipeline *p;
	struct ew_workers *workers;   /* the flow side on several cores, or NULL */
	struct ew_source_out lane_out[32];
	struct ew_sourceset *srcs;
};

/* Configuration (--config), logging, sensor name and classifier; with need_policy also
 * the inventory and the policy in force. 0, or the exit code (the message printed). */
int ew_ctx_init(struct ew_ctx *c, int need_policy);
void ew_ctx_free(struct ew_ctx *c);

/* A blocking Redis connection that is up: reconnected if the last command broke it;
 * NULL (logged) when addr is NULL or unreachable. */
redisContext *ew_ctx_redis(redisContext **rc, const char *addr);
/* The inventory from its file or Redis into c->inv. EW_OK, EW_E_INVAL (a bad file) or
 * EW_E_IO (Redis unreachable), with err. */
int ew_ctx_inventory(struct ew_ctx *c, struct ew_err *err);
/* The rules files in force: the rules directory, or version (NULL: the current one) of
 * the central policy. NULL with err. */
struct ew_bundle *ew_ctx_bundle(struct ew_ctx *c, const char *version, struct ew_err *err);
/* How policies are loaded: application names through the classifier, labels from the
 * inventory in force. */
struct ew_policy_opts ew_ctx_policy_opts(const struct ew_ctx *c);
/* b compiled with the classifier and the inventory in force. NULL with err. */
struct ew_policy *ew_ctx_compile(struct ew_ctx *c, const struct ew_bundle *b, struct ew_err *err);
/* Append to the audit stream (when a Redis is configured) and the log. */
void ew_ctx_audit(struct ew_ctx *c, const char *event, const char *version,
		  const char *previous, const char *what, const char *detail);

/* The sinks into c->sinks: the configuration's, then --kafka and --output (with
 * stdout_default 2 stdout when --output is absent, with 1 only when nothing else is
 * configured, with 0 never). Deny rules' notify: names no sink has are warned about.
 * 0 or the exit code. */
int ew_ctx_sinks(struct ew_ctx *c, int stdout_default);
/* Deny rules' notify: names that no sink of s has, each reported at FILE:LINE:COL (an
 * error when as_error, else a warning). Returns how many. */
unsigned ew_ctx_notify_unknown(const struct ew_policy *pol, const struct ew_sinkset *s,
			       int as_error);
/* --flows, then the pipeline judging with pc over c->sinks into c->p. 0 or the exit
 * code. */
int ew_ctx_pipeline(struct ew_ctx *c, struct ew_pipeline_conf *pc);
/* Workers for c->p (daemon/workers.h): as many as --workers, else the configuration's
 * workers:, else (live, with an interface to capture) the CPUs the process may use; none
 * when that is 1. 0 or the exit code. */
int ew_ctx_workers(struct ew_ctx *c, int replay);
/* c->p's counters with its workers' summed in. */
void ew_ctx_stats(const struct ew_ctx *c, struct ew_pipeline_stats *st);
/* ew_pipeline_report of c->p and its workers (once they have ended). */
void ew_ctx_report(const struct ew_ctx *c, FILE *out);
/* The source callbacks that feed c->p. */
void ew_ctx_pipeline_out(struct ew_ctx *c, struct ew_source_out *out);
/* Open the command line's --iface and listeners and (unless only_cli) the
 * configuration's sources on c->eb into c->srcs, feeding c->p. 0 or the exit code. */
int ew_ctx_sources(struct ew_ctx *c, int only_cli);
/* Read the files argv[0..n) in order into out (NULL: c->p), each file's source by its
 * content, until *stop. 0 or the exit code (the message printed). names, when not NULL, gets
 * the files' base names joined by ", " (cap bytes). */
int ew_ctx_read_files(struct ew_ctx *c, char **files, int n, const struct ew_source_out *out,
		      volatile int *stop, char *names, size_t cap);

/* The service user (--user, config user:, else nobody) for files made before the drop;
 * an unknown user is refused (exit code), before anything is opened. */
int ew_ctx_service_user(struct ew_ctx *c);
/* Root drops to the service user. 0, or -1 (logged). */
int ew_ctx_drop_privileges(struct ew_ctx *c);

#endif
