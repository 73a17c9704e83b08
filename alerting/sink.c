/* SPDX-License-Identifier: Apache-2.0 */
/* sink - the sink registry and the set of open sinks; see sink.h. */
#include "alerting/sink.h"
#include "alerting/deliver.h"
#include "alerting/throttle_redis.h"
#include "core/ew_buf.h"
#include "core/ew_log.h"
#include "core/ew_sev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ew_sink_ops ew_sink_file_ops, ew_sink_kafka_ops, ew_sink_syslog_ops,
	ew_sink_webhook_ops, ew_sink_email_ops;

static const struct ew_sink_ops *const sinks[] = {
	&ew_sink_file_ops, &ew_sink_kafka_ops, &ew_sink_syslog_ops, &ew_sink_email_ops,
	&ew_sink_webhook_ops,
};

const struct ew_sink_ops *ew_sink_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		if (strcmp(sinks[i]->name, name) == 0)
			return sinks[i];
	return NULL;
}

struct sink {
	const struct ew_sink_ops *ops;
	void *st;
	int min_sev, notify_only;
	char name[64];
	uint64_t emitted, filtered, failed;
	uint64_t dropped_reported, last_report_us;
};

struct ew_sinkset {
	struct sink *v;
	uint32_t n;
	const char *sensor, *spool_dir;
	int validate_only, spool_forced;
	struct ew_rthrottle *shared;
};

void ew_sinkset_validate_only(struct ew_sinkset *s)
{
	s->validate_only = 1;
}

void ew_sinkset_force_spool(struct ew_sinkset *s)
{
	s->spool_forced = 1;
}

struct ew_sinkset *ew_sinkset_new(const char *sensor, const char *spool_dir)
{
	struct ew_sinkset *s = calloc(1, sizeof(struct ew_sinkset));

	if (s) {
		s->sensor = sensor;
		s->spool_dir = spool_dir;
	}
	return s;
}

int ew_sinkset_has(const struct ew_sinkset *s, const char *name)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return 1;
	return 0;
}

int ew_sinkset_add(struct ew_sinkset *s, struct ew_conf_node c, struct event_base *eb,
		   struct ew_err *err)
{
	struct ew_conf_node t = ew_conf_get(c, "type"), ms = ew_conf_get(c, "min_severity");
	struct ew_conf_node nm = ew_conf_get(c, "name"), no = ew_conf_get(c, "notify_only");
	const struct ew_sink_ops *ops;
	struct ew_sink_env env;
	struct sink *nv, *k;
	int sev = 0, only = 0;
	const char *name;

	if (ew_conf_type(c) != EW_CONF_MAP)
		return ew_conf_errf(err, c, "a sink must be a mapping with a type");
	if (!ew_conf_present(t))
		return ew_conf_errf(err, c, "sink has no type");
	ops = ew_sink_find(ew_conf_str(t));
	if (ops == NULL) {
		char list[200] = "";

		for (size_t i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", sinks[i]->name);
		return ew_conf_errf(err, t, "unknown sink type \"%s\" (this build has: %s)",
				    ew_conf_str(t), list);
	}
	if (ew_conf_present(ms)) {
		sev = ew_severity_parse(ew_conf_str(ms));
		if (sev < 0)
			return ew_conf_errf(err, ms, "bad min_severity \"%s\": expected info, low, "
					    "medium, high or critical", ew_conf_str(ms));
	}
	if (ew_conf_present(no) && ew_conf_bool(no, &only, err) != EW_OK)
		return EW_E_INVAL;
	name = ops->name;
	if (ew_conf_present(nm) && ew_conf_string(nm, &name, err) != EW_OK)
		return EW_E_INVAL;
	if (strlen(name) == 0 || strlen(name) >= 64 || strchr(name, '/'))
		return ew_conf_errf(err, ew_conf_present(nm) ? nm : t,
				    "bad sink name \"%s\": 1 to 63 characters, no '/'", name);
	if (ew_sinkset_has(s, name))
		return ew_conf_errf(err, ew_conf_present(nm) ? nm : t,
				    "two sinks are named \"%s\": give each a distinct name", name);
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return ew_err_set(err, "sinks: out of memory");
	s->v = nv;
	k = &s->v[s->n];
	memset(k, 0, sizeof(*k));
	k->ops = ops;
	k->min_sev = sev;
	k->notify_only = only;
	snprintf(k->name, sizeof(k->name), "%s", name);
	env.eb = eb;
	env.name = k->name;
	env.sensor = s->sensor;
	env.spool_dir = s->spool_dir;
	env.validate_only = s->validate_only;
	env.spool_forced = s->spool_forced;
	if (ops->open(&k->st, &c, &env, err) != EW_OK)
		return EW_E_INVAL;
	s->n++;
	return EW_OK;
}

uint32_t ew_sinkset_count(const struct ew_sinkset *s)
{
	return s->n;
}

static int named(const struct ew_alert *a, const char *name)
{
	for (uint32_t i = 0; i < a->nnotify; i++)
		if (strcmp(a->notify[i], name) == 0)
			return 1;
	return 0;
}

static int emit_now(struct ew_sinkset *s, const struct ew_alert *a);

static void shared_deliver(void *arg, const struct ew_alert *a)
{
	emit_now(arg, a);
}

int ew_sinkset_share_throttle(struct ew_sinkset *s, const char *addr, uint64_t window_us,
			      struct event_base *eb, struct ew_err *err)
{
	s->shared = ew_rthrottle_new(addr, window_us, s->sensor, eb, shared_deliver, s, err);
	return s->shared ? EW_OK : EW_E_INVAL;
}

int ew_sinkset_shared_stats(const struct ew_sinkset *s, struct ew_rthrottle_stats *out)
{
	if (s->shared == NULL)
		return 0;
	ew_rthrottle_stats(s->shared, out);
	return 1;
}

int ew_sinkset_emit(struct ew_sinkset *s, const struct ew_alert *a)
{
	if (s->shared) {
		ew_rthrottle_submit(s->shared, a);
		return 1;
	}
	return emit_now(s, a);
}

static int emit_now(struct ew_sinkset *s, const struct ew_alert *a)
{
	int took = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];

		if (a->severity < k->min_sev || (k->notify_only && !named(a, k->name))) {
			__atomic_add_fetch(&k->filtered, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (k->ops->emit(k->st, a) == EW_OK) {
			__atomic_add_fetch(&k->emitted, 1, __ATOMIC_RELAXED);
			took++;
		} else {
			__atomic_add_fetch(&k->failed, 1, __ATOMIC_RELAXED);
		}
	}
	return took;
}

int ew_sinkset_flush(struct ew_sinkset *s, int timeout_ms)
{
	int rc = EW_OK;

	if (s->shared && timeout_ms > 0)
		ew_rthrottle_drain(s->shared, timeout_ms < 2000 ? timeout_ms : 2000);
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].ops->flush(s->v[i].st, timeout_ms) != EW_OK)
			rc = EW_E_IO;
	return rc;
}

int ew_sinkset_wants_flows(const struct ew_sinkset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].ops->wants_flows && s->v[i].ops->wants_flows(s->v[i].st))
			return 1;
	return 0;
}

void ew_sinkset_flow(struct ew_sinkset *s, const char *json, size_t len, const char *key)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].ops->flow)
			s->v[i].ops->flow(s->v[i].st, json, len, key);
}

int ew_sinkset_settled(struct ew_sinkset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].ops->settled && !s->v[i].ops->settled(s->v[i].st))
			return 0;
	return 1;
}

void ew_sinkset_reopen(struct ew_sinkset *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].ops->reopen)
			s->v[i].ops->reopen(s->v[i].st);
}

void ew_sinkset_tick(struct ew_sinkset *s, uint64_t now_us)
{
	for (uint32_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];
		struct ew_dq_stats ds;
		struct ew_alert a;
		char msg[256];
		uint64_t n;

		if (k->ops->stats == NULL)
			continue;
		k->ops->stats(k->st, &ds);
		/* at most one self-alert a minute per sink, carrying the count since the last */
		if (ds.dropped == k->dropped_reported ||
		    (k->last_report_us && now_us < k->last_report_us + 60000000))
			continue;
		k->last_report_us = now_us;
		n = ds.dropped - k->dropped_reported;
		k->dropped_reported = ds.dropped;
		snprintf(msg, sizeof(msg), "sink %s dropped %llu alerts (%llu in all): its spool "
			 "is full, so they are lost; the receiver has been unreachable for long",
			 k->name, (unsigned long long)n, (unsigned long long)ds.dropped);
		ew_error("%s", msg);
		memset(&a, 0, sizeof(a));
		a.ts_us = now_us;
		a.action = "alert-dropped";
		a.self = 1;
		a.severity = EW_SEV_HIGH;
		a.rule = "eastwatch-delivery";
		a.decided_by = "delivery";
		a.message = msg;
		a.app = "Unknown";
		a.app_ecs = "unknown";
		a.observer_name = s->sensor;
		a.repeats = n;
		a.alert_id = ew_alert_id(&a, 60000000);
		ew_sinkset_emit(s, &a);
	}
}

void ew_sinkset_stats(const struct ew_sinkset *s, uint32_t i, struct ew_sink_stats *out)
{
	const struct sink *k = &s->v[i];

	memset(out, 0, sizeof(*out));
	out->name = k->name;
	out->type = k->ops->name;
	out->emitted = __atomic_load_n(&k->emitted, __ATOMIC_RELAXED);
	out->filtered = __atomic_load_n(&k->filtered, __ATOMIC_RELAXED);
	out->failed = __atomic_load_n(&k->failed, __ATOMIC_RELAXED);
	if (k->ops->stats) {
		struct ew_dq_stats ds;

		k->ops->stats(k->st, &ds);
		out->has_queue = 1;
		out->sent = ds.sent;
		out->spooled = ds.spooled;
		out->dropped = ds.dropped;
		out->queued = ds.queued;
		out->spool_records = ds.spool_records;
		out->spool_bytes = ds.spool_bytes;
		out->spool_max_bytes = ds.spool_max_bytes;
		out->failed_attempts = ds.failed_attempts;
		out->up = ds.up;
	}
}

int ew_sinkset_latency(const struct ew_sinkset *s, uint32_t i, uint64_t *hist)
{
	struct ew_dq *q;

	if (s->v[i].ops->stats == NULL || s->v[i].st == NULL)
		return 0;
	q = *(struct ew_dq **)s->v[i].st;   /* queued sinks keep their queue first */
	if (q == NULL)
		return 0;
	ew_dq_latency(q, hist);
	return 1;
}

void ew_sinkset_free(struct ew_sinkset *s)
{
	if (s == NULL)
		return;
	ew_rthrottle_free(s->shared);   /* sends what still waits for Redis */
	for (uint32_t i = 0; i < s->n; i++)
		s->v[i].ops->close(s->v[i].st);
	free(s->v);
	free(s);
}
