/* SPDX-License-Identifier: Apache-2.0 */
/* ctx - see ctx.h. */
#include "daemon/ctx.h"
#include "core/ew_log.h"
#include "core/ew_owner.h"
#include "core/ew_time.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int resolve_app(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

/* A blocking Redis connection that is up: reconnected if the last command broke it. */
redisContext *ew_ctx_redis(redisContext **rc, const char *addr)
{
	struct ew_err err;

	if (addr == NULL)
		return NULL;
	if (*rc && (*rc)->err) {
		ew_central_close(*rc);
		*rc = NULL;
	}
	if (*rc == NULL && (*rc = ew_central_connect(addr, &err)) == NULL)
		ew_warn("%s", err.msg);
	return *rc;
}

/* The inventory from its file or Redis into c->inv. */
int ew_ctx_inventory(struct ew_ctx *c, struct ew_err *err)
{
	if (c->cfg.inventory) {
		struct ew_inventory *inv = ew_inventory_load_file(c->cfg.inventory, err);

		if (inv == NULL)
			return EW_E_INVAL;
		ew_inventory_free(c->inv);
		c->inv = inv;
	} else if (c->cfg.inventory_redis) {
		if (ew_ctx_redis(&c->rinv, c->cfg.inventory_redis) == NULL) {
			ew_err_set(err, "inventory: Redis %s is not reachable", c->cfg.inventory_redis);
			return EW_E_IO;
		}
		if (ew_central_inventory(c->rinv, &c->inv, err) != EW_OK)
			return EW_E_IO;
	}
	return EW_OK;
}

/* The rules files in force now: the rules directory, or Redis's current version. */
struct ew_bundle *ew_ctx_bundle(struct ew_ctx *c, const char *version, struct ew_err *err)
{
	if (c->cfg.policy_redis) {
		if (ew_ctx_redis(&c->rpol, c->cfg.policy_redis) == NULL) {
			ew_err_set(err, "policy: Redis %s is not reachable", c->cfg.policy_redis);
			return NULL;
		}
		return ew_central_fetch(c->rpol, version, err);
	}
	return ew_bundle_from_dir(c->rules_dir, c->cfg.inventory, err);
}

struct ew_policy_opts ew_ctx_policy_opts(const struct ew_ctx *c)
{
	return (struct ew_policy_opts){ resolve_app, c->cls, NULL, c->inv, 0 };
}

struct ew_policy *ew_ctx_compile(struct ew_ctx *c, const struct ew_bundle *b, struct ew_err *err)
{
	struct ew_policy_opts po = ew_ctx_policy_opts(c);

	return ew_bundle_load(b, &po, err);
}

/* Append to the audit stream (when a Redis is configured) and the log. */
void ew_ctx_audit(struct ew_ctx *c, const char *event, const char *version,
		  const char *previous, const char *what, const char *detail)
{
	redisContext *rc = ew_ctx_redis(&c->rpol, c->cfg.policy_redis);
	char t[32];
	const char *kv[] = { "event", event, "sensor", c->cfg.pc.sensor, "version", version,
			     "previous", previous && previous[0] ? previous : "-", "time",
			     ew_time_rfc3339(ew_time_now_us(), t), "source", c->policy_from,
			     what, detail };

	if (rc == NULL)
		rc = ew_ctx_redis(&c->rinv, c->cfg.inventory_redis);
	ew_info("audit: %s %s (previous %s) from %s: %s", event, version,
		previous && previous[0] ? previous : "-", c->policy_from, detail);
	if (rc)
		ew_central_audit(rc, kv, 14);
}

int ew_ctx_init(struct ew_ctx *c, int need_policy)
{
	struct ew_err err;

	ew_config_init(&c->cfg);
	c->cfg_ready = 1;
	if (c->o.config && ew_config_load(&c->cfg, c->o.config, &err) != EW_OK) {
		ew_fatal("%s\n", err.msg);
		return EW_EXIT_INPUT;
	}
	ew_log_setup((enum ew_log_level)c->cfg.log_level,
		     c->o.log_format ? strcmp(c->o.log_format, "json") == 0 : c->cfg.log_json);
	c->rules_dir = c->o.rules ? c->o.rules : c->cfg.rules ? c->cfg.rules : EW_DEFAULT_RULES;
	if (c->o.rules)
		c->cfg.policy_redis = NULL;      /* --rules overrides a central policy */
	if (c->cfg.policy_redis)
		snprintf(c->policy_from, sizeof(c->policy_from), "redis %s", c->cfg.policy_redis);
	else
		snprintf(c->policy_from, sizeof(c->policy_from), "%s", c->rules_dir);
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) != 0)
		strcpy(c->hostname, "eastwatch");
	c->cfg.pc.sensor = c->o.sensor ? c->o.sensor : c->cfg.sensor ? c->cfg.sensor : c->hostname;
	c->cls = ew_classify_new(&c->cfg.cls, &err);
	if (c->cls == NULL) {
		ew_fatal("eastwatch: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	if (need_policy) {
		int rc = ew_ctx_inventory(c, &err);

		if (rc != EW_OK) {
			ew_fatal("%s\n", err.msg);
			return rc == EW_E_IO ? EW_EXIT_RUNTIME : EW_EXIT_INPUT;
		}
		c->bundle = ew_ctx_bundle(c, NULL, &err);
		if (c->bundle == NULL) {
			ew_fatal("%s\n", err.msg);
			return c->cfg.policy_redis ? EW_EXIT_RUNTIME : EW_EXIT_INPUT;
		}
		c->pol = ew_ctx_compile(c, c->bundle, &err);
		if (c->pol == NULL) {
			ew_fatal("%s\n", err.msg);
			return EW_EXIT_INPUT;
		}
		snprintf(c->policy_version, sizeof(c->policy_version), "%s", c->bundle->version);
	}
	return 0;
}

void ew_ctx_free(struct ew_ctx *c)
{
	ew_workers_free(c->workers);   /* they read the sources' lanes and feed c->p */
	ew_sourceset_free(c->srcs);
	ew_pipeline_free(c->p);
	ew_sinkset_free(c->sinks);
	if (c->private_spool[0]) {   /* after the sinks closed: nothing writes there now */
		DIR *d = opendir(c->private_spool);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		if (d)
			closedir(d);
		rmdir(c->private_spool);
	}
	ew_conf_free(c->flagdoc[0]);
	ew_conf_free(c->flagdoc[1]);
	if (c->flows && c->flows != stdout)
		fclose(c->flows);
	if (c->eb)
		event_base_free(c->eb);
	ew_policy_free(c->pol);
	ew_bundle_free(c->bundle);
	ew_inventory_free(c->inv);
	ew_central_close(c->rpol);
	ew_central_close(c->rinv);
	ew_classify_free(c->cls);
	if (c->cfg_ready)
		ew_config_free(&c->cfg);
}

static int add_flag_sink(struct ew_sinkset *s, struct ew_conf **keep, const char *flag,
			 const char *type, const char *key, const char *value,
			 struct event_base *eb, struct ew_err *err)
{
	char yaml[4400];
	size_t n = 0;

	/* named after the type, unless the configuration already has a sink of that name */
	n += (size_t)snprintf(yaml, sizeof(yaml), "{type: %s, name: %s%s, %s: \"", type, type,
			      ew_sinkset_has(s, type) ? "-flag" : "", key);
	for (const char *p = value; *p && n < sizeof(yaml) - 8; p++) {
		if (*p == '"' || *p == '\\')
			yaml[n++] = '\\';
		yaml[n++] = *p;
	}
	n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "\"}");
	if (ew_conf_load_mem(keep, flag, yaml, n, err) != EW_OK)
		return EW_E_INVAL;
	return ew_sinkset_add(s, ew_conf_root(*keep), eb, err);
}

/* Deny rules' notify: names that no sink of s has: each reported as FILE:LINE:COL (an
 * error for check, a warning for the daemons, whose other sinks still get the alerts).
 * Returns how many. Nothing when no sink is configured (a policy checked alone). */
unsigned ew_ctx_notify_unknown(const struct ew_policy *pol, const struct ew_sinkset *s,
			       int as_error)
{
	struct ew_policy_info pi;
	unsigned bad = 0;

	if (pol == NULL || s == NULL || ew_sinkset_count(s) == 0)
		return 0;
	ew_policy_info(pol, &pi);
	for (uint32_t i = 0; i < pi.rules; i++) {
		const struct ew_rule *r = ew_policy_rule(pol, i);

		for (uint32_t j = 0; r && j < r->nnotify; j++) {
			uint32_t k, n = ew_sinkset_count(s);
			struct ew_sink_stats st;

			for (k = 0; k < n; k++) {
				ew_sinkset_stats(s, k, &st);
				if (strcmp(st.name, r->notify[j]) == 0)
					break;
			}
			if (k < n)
				continue;
			bad++;
			if (as_error)
				ew_fatal("%s:%u:%u: rule %s: notify names sink \"%s\", which the "
					"configuration does not define\n", r->file, r->line, r->col,
					r->name, r->notify[j]);
			else
				ew_warn("%s:%u:%u: rule %s: notify names sink \"%s\", which the "
					"configuration does not define; its alerts go to the other sinks",
					r->file, r->line, r->col, r->name, r->notify[j]);
		}
	}
	return bad;
}

int ew_ctx_sinks(struct ew_ctx *c, int stdout_default)
{
	struct ew_err err;
	size_t n = ew_conf_len(c->cfg.sinks);

	c->sinks = ew_sinkset_new(c->cfg.pc.sensor, c->cfg.spool_dir);
	if (c->sinks == NULL)
		return EW_EXIT_RUNTIME;
	if (c->spool_forced)
		ew_sinkset_force_spool(c->sinks);
	for (size_t i = 0; i < n; i++)
		if (ew_sinkset_add(c->sinks, ew_conf_at(c->cfg.sinks, i), c->eb, &err) != EW_OK) {
			ew_fatal("%s\n", err.msg);
			return strchr(err.msg, ':') && (strstr(err.msg, "cannot open") ||
							strstr(err.msg, "spool")) ? EW_EXIT_RUNTIME
										 : EW_EXIT_INPUT;
		}
	if (c->o.kafka) {
		if (add_flag_sink(c->sinks, &c->flagdoc[1], "--kafka", "kafka", "brokers", c->o.kafka,
				  c->eb, &err) != EW_OK) {
			ew_fatal("eastwatch: --kafka: %s\n", err.msg);
			return EW_EXIT_RUNTIME;
		}
		n++;
	}
	if (c->o.output || (stdout_default == 2 || (stdout_default == 1 && n == 0))) {
		if (add_flag_sink(c->sinks, &c->flagdoc[0], "--output", "file", "path",
				  c->o.output ? c->o.output : "-", c->eb, &err) != EW_OK) {
			ew_fatal("eastwatch: %s\n", err.msg);
			return EW_EXIT_RUNTIME;
		}
	}
	if (c->cfg.throttle_redis &&
	    ew_sinkset_share_throttle(c->sinks, c->cfg.throttle_redis, c->cfg.pc.throttle_window_us,
				      c->eb, &err) != EW_OK) {
		ew_fatal("eastwatch: throttle.redis: %s\n", err.msg);
		return EW_EXIT_INPUT;
	}
	ew_ctx_notify_unknown(c->pol, c->sinks, 0);
	return 0;
}

int ew_ctx_pipeline(struct ew_ctx *c, struct ew_pipeline_conf *pc)
{
	struct ew_err err;

	if (c->o.flows) {
		if (strcmp(c->o.flows, "-") == 0) {
			c->flows = stdout;
		} else if ((c->flows = fopen(c->o.flows, "w")) == NULL) {
			ew_fatal("eastwatch: %s: %s\n", c->o.flows, strerror(errno));
			return EW_EXIT_RUNTIME;
		}
	}
	pc->flows_out = c->flows;
	c->p = ew_pipeline_new(pc, c->cls, c->pol, c->sinks, &err);
	if (c->p == NULL) {
		ew_fatal("eastwatch: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	return 0;
}

/* An interface to capture on (workers split capture only). */
static int has_iface(const struct ew_ctx *c)
{
	if (c->o.nifaces)
		return 1;
	for (unsigned i = 0; i < c->cfg.nsrc; i++)
		if (c->cfg.src[i].type && strcmp(c->cfg.src[i].type, "iface") == 0)
			return 1;
	return 0;
}

int ew_ctx_workers(struct ew_ctx *c, int replay)
{
	struct ew_err err;
	unsigned n = c->o.workers ? c->o.workers : c->cfg.workers;

	if (n == 0)
		n = replay || !has_iface(c) ? 1 : ew_workers_default();
	if (n <= 1)
		return 0;
	c->workers = ew_workers_new(n, &c->cfg.pc, &c->cfg.cls, c->pol, c->p, replay, 1, &err);
	if (c->workers == NULL) {
		ew_fatal("eastwatch: %s\n", err.msg);
		return EW_EXIT_RUNTIME;
	}
	for (unsigned i = 0; i < n; i++)
		ew_workers_lane_out(c->workers, i, &c->lane_out[i]);
	ew_info("%u workers", n);
	return 0;
}

void ew_ctx_stats(const struct ew_ctx *c, struct ew_pipeline_stats *st)
{
	ew_pipeline_stats(c->p, st);
	for (unsigned i = 0; c->workers && i < ew_workers_count(c->workers); i++) {
		struct ew_pipeline_stats w;

		ew_workers_stats(c->workers, i, &w);
		ew_pipeline_stats_add(st, &w);
	}
}

void ew_ctx_report(const struct ew_ctx *c, FILE *out)
{
	const struct ew_pipeline *wp[32];
	unsigned nw = c->workers ? ew_workers_count(c->workers) : 0;

	for (unsigned i = 0; i < nw && i < 32; i++)
		wp[i] = ew_workers_pipeline(c->workers, i);
	ew_pipeline_report(c->p, wp, nw < 32 ? nw : 32, out);
}

static void pipeline_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	ew_pipeline_record(arg, r, id, now);
}

static void pipeline_sample(void *arg, const struct ew_sflow_sample *s, uint16_t id, uint64_t now)
{
	ew_pipeline_sflow_sample(arg, s, id, now);
}

static void pipeline_gap(void *arg, const struct ew_exporter_health *h, uint8_t kind,
			 uint64_t silent_us, uint64_t now)
{
	char a[EW_ADDR_STRLEN];

	if (silent_us)
		ew_warn("exporter %s silent for %llu s", ew_addr_format(&h->addr, a),
			(unsigned long long)(silent_us / 1000000));
	else
		ew_info("exporter %s heard again", ew_addr_format(&h->addr, a));
	ew_pipeline_telemetry_gap(arg, h, kind, silent_us, now);
}

void ew_ctx_pipeline_out(struct ew_ctx *c, struct ew_source_out *out)
{
	*out = (struct ew_source_out){ .packet = ew_pipeline_packet, .record = pipeline_record,
				       .sample = pipeline_sample, .gap = pipeline_gap,
				       .arg = c->p };
}

int ew_ctx_sources(struct ew_ctx *c, int only_cli)
{
	struct ew_err err;
	struct ew_source_out out;
	int ncli = c->o.nifaces + c->o.nlisten, n = ncli + (only_cli ? 0 : (int)c->cfg.nsrc);

	ew_ctx_pipeline_out(c, &out);
	if ((c->srcs = ew_sourceset_new()) == NULL)
		return EW_EXIT_RUNTIME;
	for (int i = 0; i < n; i++) {
		struct ew_source_conf sc = { .promisc = 1, .id = (uint16_t)i };
		const struct ew_source_ops *ops;

		if (i < c->o.nifaces) {
			sc.type = "iface";
			sc.target = c->o.ifaces[i];
			sc.filter = c->o.filter;
		} else if (i < ncli) {
			sc.type = c->o.listen_type[i - c->o.nifaces];
			sc.target = c->o.listen_addr[i - c->o.nifaces];
			sc.silence_us = 300 * 1000000ULL;
		} else {
			const struct ew_config_source *cs = &c->cfg.src[i - ncli];

			sc.type = cs->type;
			sc.target = cs->target;
			sc.filter = cs->filter;
			sc.promisc = cs->promisc;
			sc.buffer_mb = cs->buffer_mb;
			sc.snaplen = cs->snaplen;
			sc.block_ms = cs->block_ms;
			sc.silence_us = cs->silence_us;
			sc.exporters = cs->exporters;
			sc.nexporters = cs->nexporters;
			sc.max_exporters = cs->max_exporters;
			sc.max_templates = cs->max_templates;
			sc.state_dir = c->cfg.spool_dir;
		}
		ops = ew_source_find(sc.type);
		if (c->workers && ops && ops->lanes) {   /* split over the workers */
			sc.lanes = ew_workers_count(c->workers);
			sc.lane_out = c->lane_out;
			if (strcmp(ops->name, "iface") != 0 &&
			    ew_workers_route_telemetry(c->workers) != EW_OK) {
				ew_fatal("eastwatch: workers: out of memory\n");
				return EW_EXIT_RUNTIME;
			}
		}
		if (ew_sourceset_open(c->srcs, &sc, c->eb, &out, &err) != EW_OK) {
			ew_fatal("eastwatch: %s\n", err.msg);
			return strstr(err.msg, "filter") ? EW_EXIT_INPUT : EW_EXIT_RUNTIME;
		}
		ew_info("capturing on %s %s", sc.type, sc.target);
	}
	return 0;
}

int ew_ctx_read_files(struct ew_ctx *c, char **files, int n, const struct ew_source_out *out,
		      volatile int *stop, char *names, size_t cap)
{
	struct ew_source_out po;
	size_t len = 0;

	if (out == NULL) {
		ew_ctx_pipeline_out(c, &po);
		out = &po;
	}
	if (names && cap)
		names[0] = '\0';
	for (int i = 0; i < n && !*stop; i++) {
		struct ew_source_conf sc = { .target = files[i], .filter = c->o.filter,
					     .id = (uint16_t)i, .stop = stop };
		const char *base = strrchr(files[i], '/');
		struct ew_err err;

		if (ew_source_read_file(&sc, out, &err) != EW_OK) {
			ew_fatal("eastwatch: %s\n", err.msg);
			return strstr(err.msg, "filter") ? EW_EXIT_USAGE : EW_EXIT_INPUT;
		}
		if (names && len + 64 < cap)
			len += (size_t)snprintf(names + len, cap - len, "%s%s", len ? ", " : "",
						base ? base + 1 : files[i]);
	}
	return 0;
}

/* The service user: --user, the configuration's user:, else nobody. */
static const char *service_user(const struct ew_ctx *c)
{
	return c->o.user ? c->o.user : c->cfg.user ? c->cfg.user : "nobody";
}

int ew_ctx_drop_privileges(struct ew_ctx *c)
{
	const char *user = service_user(c);
	struct passwd *pw;

	if (geteuid() != 0 || strcmp(user, "root") == 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		ew_error("cannot drop privileges: no user \"%s\"", user);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		ew_error("cannot drop privileges to %s: %s", user, strerror(errno));
		return -1;
	}
	ew_info("running as %s", user);
	return 0;
}

/* Descriptors: the soft limit up to the hard one (1,024 by default: a sensor with many
 * sinks, exporters and scrapers should not run out). */
static void raise_nofile(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max)
		return;
	r.rlim_cur = r.rlim_max > (1u << 20) ? (1u << 20) : r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) != 0)
		ew_debug("cannot raise the descriptor limit: %s", strerror(errno));
}

/* Capture's capabilities (CAP_NET_RAW, CAP_NET_ADMIN) made effective when they are
 * permitted: an unprivileged user given them as the binary's file capabilities without
 * the effective bit (setcap ...=p, so that where a container drops them the program still
 * starts), or by systemd's AmbientCapabilities (effective already). */
static void raise_capture_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint32_t want = (1u << CAP_NET_RAW) | (1u << CAP_NET_ADMIN);

	if (syscall(SYS_capget, &h, d) != 0 || (d[0].effective & want) == (d[0].permitted & want))
		return;
	d[0].effective |= d[0].permitted & want;
	if (syscall(SYS_capset, &h, d) != 0)
		ew_debug("cannot raise the capture capabilities: %s", strerror(errno));
}

/* Running as root for a service user: the files made for it before the drop (spools,
 * the alert file) are given to it. */
int ew_ctx_service_user(struct ew_ctx *c)
{
	const char *user = service_user(c);
	struct passwd *pw;

	raise_nofile();
	raise_capture_caps();
	if (geteuid() != 0 || strcmp(user, "root") == 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		ew_fatal("eastwatch: cannot run as \"%s\": no such user\n", user);
		return EW_EXIT_RUNTIME;
	}
	ew_files_owner_set(pw->pw_uid, pw->pw_gid);
	return 0;
}
