/* SPDX-License-Identifier: Apache-2.0 */
/* sink - the sink registry and the set of open sinks; see sink.h. */
#include "alerting/sink.h"
#include "core/ew_sev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct ew_sink_ops ew_sink_file_ops;

static const struct ew_sink_ops *const sinks[] = {
	&ew_sink_file_ops,
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
	int min_sev;
	char name[64];
	uint64_t emitted, filtered, failed;
};

struct ew_sinkset {
	struct sink *v;
	uint32_t n;
};

struct ew_sinkset *ew_sinkset_new(void)
{
	return calloc(1, sizeof(struct ew_sinkset));
}

int ew_sinkset_add(struct ew_sinkset *s, struct ew_conf_node c, struct event_base *eb,
		   struct ew_err *err)
{
	struct ew_conf_node t = ew_conf_get(c, "type"), ms = ew_conf_get(c, "min_severity");
	struct ew_conf_node nm = ew_conf_get(c, "name");
	const struct ew_sink_ops *ops;
	struct sink *nv, *k;
	int sev = 0;

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
	nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return ew_err_set(err, "sinks: out of memory");
	s->v = nv;
	k = &s->v[s->n];
	memset(k, 0, sizeof(*k));
	k->ops = ops;
	k->min_sev = sev;
	snprintf(k->name, sizeof(k->name), "%s", ew_conf_present(nm) ? ew_conf_str(nm) : ops->name);
	if (ops->open(&k->st, &c, eb, err) != EW_OK)
		return EW_E_INVAL;
	s->n++;
	return EW_OK;
}

uint32_t ew_sinkset_count(const struct ew_sinkset *s)
{
	return s->n;
}

int ew_sinkset_emit(struct ew_sinkset *s, const struct ew_alert *a)
{
	int took = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		struct sink *k = &s->v[i];

		if (a->severity < k->min_sev) {
			k->filtered++;
			continue;
		}
		if (k->ops->emit(k->st, a) == EW_OK) {
			k->emitted++;
			took++;
		} else {
			k->failed++;
		}
	}
	return took;
}

int ew_sinkset_flush(struct ew_sinkset *s, int timeout_ms)
{
	int rc = EW_OK;

	for (uint32_t i = 0; i < s->n; i++)
		if (s->v[i].ops->flush(s->v[i].st, timeout_ms) != EW_OK)
			rc = EW_E_IO;
	return rc;
}

void ew_sinkset_stats(const struct ew_sinkset *s, uint32_t i, struct ew_sink_stats *out)
{
	out->name = s->v[i].name;
	out->emitted = s->v[i].emitted;
	out->filtered = s->v[i].filtered;
	out->failed = s->v[i].failed;
}

void ew_sinkset_free(struct ew_sinkset *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->n; i++)
		s->v[i].ops->close(s->v[i].st);
	free(s->v);
	free(s);
}
