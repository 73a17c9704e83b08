/* SPDX-License-Identifier: Apache-2.0 */
/* source - the registry of sources (see source.h): one table, as sinks have; reading a
 * file through it; and the source set a daemon runs. */
#include "collector/source.h"
#include "core/ew_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <time.h>

extern const struct ew_source_ops ew_source_pcap_ops, ew_source_iface_ops,
	ew_source_ipfix_ops, ew_source_sflow_ops, ew_source_flowlog_ops;

/* Every source; file sources are probed in this order (pcap, which takes the rest,
 * last among them). */
static const struct ew_source_ops *const sources[] = {
	&ew_source_iface_ops, &ew_source_ipfix_ops, &ew_source_sflow_ops, &ew_source_flowlog_ops,
	&ew_source_pcap_ops,
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

const struct ew_source_ops *ew_source_find(const char *name)
{
	for (size_t i = 0; name && i < NSOURCES; i++)
		if (strcmp(sources[i]->name, name) == 0 ||
		    (sources[i]->alias && strcmp(sources[i]->alias, name) == 0))
			return sources[i];
	return NULL;
}

const struct ew_source_ops *ew_source_at(size_t i)
{
	return i < NSOURCES ? sources[i] : NULL;
}

const char *ew_source_names(void)
{
	static char names[256];

	if (!names[0]) {
		size_t n = 0, k = 0, total = 0;
		const char *list[2 * NSOURCES];

		for (size_t i = 0; i < NSOURCES; i++) {
			list[k++] = sources[i]->name;
			if (sources[i]->alias)
				list[k++] = sources[i]->alias;
		}
		total = k;
		for (k = 0; k < total && n < sizeof(names); k++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
					      k == 0 ? "" : k + 1 == total ? " or " : ", ", list[k]);
	}
	return names;
}

uint8_t ew_source_kind(const char *observer)
{
	uint8_t k = 0;

	for (size_t i = 0; i < NSOURCES; i++)
		for (int v = 0; v < 2 && sources[i]->observer[v]; v++, k++)
			if (strcmp(sources[i]->observer[v], observer) == 0)
				return k;
	return 0xff;
}

const char *ew_source_kind_name(uint8_t kind)
{
	uint8_t k = 0;

	for (size_t i = 0; i < NSOURCES; i++)
		for (int v = 0; v < 2 && sources[i]->observer[v]; v++, k++)
			if (k == kind)
				return sources[i]->observer[v];
	return "unknown";
}

const char *ew_source_file_type(const char *path)
{
	for (size_t i = 0; i < NSOURCES; i++)
		if (sources[i]->probe && sources[i]->probe(path))
			return sources[i]->name;
	return "pcap";
}

int ew_source_read_file(const struct ew_source_conf *c, const struct ew_source_out *out,
			struct ew_err *err)
{
	struct ew_source_conf fc = *c;
	const struct ew_source_ops *ops;
	void *st = NULL;
	int rc;

	if (fc.type == NULL)
		fc.type = ew_source_file_type(fc.target);
	ops = ew_source_find(fc.type);
	if (ops == NULL || ops->run == NULL) {
		ew_err_set(err, "%s: not a file source", fc.type);
		return EW_E_INVAL;
	}
	rc = ops->open(&st, &fc, NULL, out, err);
	if (rc == EW_OK)
		rc = ops->run(st, err);
	ops->close(st);
	return rc;
}

/* ---------------------------------------------------------------- the source set */

struct member {
	struct ew_source_ops ops;   /* the registry's, NULL operations filled */
	void *st;
	unsigned caps;
	char name[300];
};

struct ew_sourceset {
	struct member *m;
	uint32_t n, cap;
	uint64_t lag_us;
};

static int run_none(void *st, struct ew_err *err)
{
	(void)st;
	(void)err;
	return EW_OK;
}

static void tick_none(void *st, uint64_t now_us)
{
	(void)st;
	(void)now_us;
}

static void exporters_none(void *st, void (*fn)(void *, const struct ew_exporter_health *),
			   void *arg)
{
	(void)st;
	(void)fn;
	(void)arg;
}

static void if_counters_none(void *st, void (*fn)(void *, const struct ew_sflow_counters *),
			     void *arg)
{
	(void)st;
	(void)fn;
	(void)arg;
}

struct ew_sourceset *ew_sourceset_new(void)
{
	return calloc(1, sizeof(struct ew_sourceset));
}

void ew_sourceset_free(struct ew_sourceset *s)
{
	if (s == NULL)
		return;
	for (uint32_t i = 0; i < s->n; i++)
		s->m[i].ops.close(s->m[i].st);
	free(s->m);
	free(s);
}

int ew_sourceset_open(struct ew_sourceset *s, const struct ew_source_conf *c,
		      struct event_base *eb, const struct ew_source_out *out, struct ew_err *err)
{
	const struct ew_source_ops *ops = ew_source_find(c->type);
	struct member *m;
	uint64_t lag;

	if (ops == NULL) {
		ew_err_set(err, "unknown source type \"%s\" (%s)", c->type ? c->type : "",
			   ew_source_names());
		return EW_E_INVAL;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? 2 * s->cap : 8;
		struct member *nm = realloc(s->m, cap * sizeof(*nm));

		if (nm == NULL) {
			ew_err_set(err, "out of memory");
			return EW_E_NOMEM;
		}
		s->m = nm;
		s->cap = cap;
	}
	m = &s->m[s->n];
	memset(m, 0, sizeof(*m));
	m->ops = *ops;
	if (m->ops.open(&m->st, c, eb, out, err) != EW_OK)
		return EW_E_IO;
	/* live: driven by the event loop (interfaces, listeners), or looked at every
	 * second (a directory of flow logs) */
	m->caps = (ops->run == NULL || ops->tick != NULL ? EW_SOURCE_LIVE : 0) |
		  (ops->exporters ? EW_SOURCE_EXPORTERS : 0) |
		  (ops->if_counters ? EW_SOURCE_IF_COUNTERS : 0);
	if (m->ops.run == NULL)
		m->ops.run = run_none;
	if (m->ops.tick == NULL)
		m->ops.tick = tick_none;
	if (m->ops.exporters == NULL)
		m->ops.exporters = exporters_none;
	if (m->ops.if_counters == NULL)
		m->ops.if_counters = if_counters_none;
	snprintf(m->name, sizeof(m->name), "%s %s", c->type, c->target ? c->target : "");
	lag = (uint64_t)ew_source_block_ms(ops, c) * 1000;
	if (lag > s->lag_us)
		s->lag_us = lag;
	s->n++;
	return EW_OK;
}

void ew_sourceset_run(struct ew_sourceset *s)
{
	struct ew_err err;

	for (uint32_t i = 0; i < s->n; i++)
		if (s->m[i].ops.run(s->m[i].st, &err) != EW_OK)
			ew_error("%s", err.msg);
}

void ew_sourceset_tick(struct ew_sourceset *s, uint64_t now_us)
{
	for (uint32_t i = 0; i < s->n; i++)
		s->m[i].ops.tick(s->m[i].st, now_us);
}

uint32_t ew_sourceset_count(const struct ew_sourceset *s)
{
	return s ? s->n : 0;
}

uint64_t ew_sourceset_lag_us(const struct ew_sourceset *s)
{
	return s ? s->lag_us : 0;
}

int ew_sourceset_lane_read(struct ew_sourceset *s, unsigned lane, int wake_fd, int timeout_ms)
{
	struct pollfd pf[17];
	uint32_t who[17];
	nfds_t n = 0;
	int got = 0;

	if (wake_fd >= 0) {
		pf[n].fd = wake_fd;
		pf[n].events = POLLIN;
		pf[n].revents = 0;
		who[n++] = UINT32_MAX;
	}
	for (uint32_t i = 0; s && i < s->n && n < 17; i++) {
		const struct member *m = &s->m[i];

		if (m->ops.lane_fd && lane < m->ops.lanes(m->st)) {
			pf[n].fd = m->ops.lane_fd(m->st, lane);
			pf[n].events = POLLIN;
			pf[n].revents = 0;
			who[n++] = i;
		}
	}
	if (n == 0) {                  /* nothing to read in this lane: only time passes */
		struct timespec ts = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		return 0;
	}
	if (poll(pf, n, timeout_ms) <= 0)
		return 0;
	for (nfds_t k = 0; k < n; k++)
		if (pf[k].revents && who[k] != UINT32_MAX) {
			int r = s->m[who[k]].ops.lane_read(s->m[who[k]].st, lane);

			if (r > 0)
				got += r;
		}
	return got;
}

int ew_sourceset_lane_stats(const struct ew_sourceset *s, uint32_t i, unsigned lane,
			    struct ew_source_stats *out)
{
	const struct member *m = &s->m[i];

	memset(out, 0, sizeof(*out));
	if (m->ops.lane_stats == NULL || lane >= m->ops.lanes(m->st))
		return 0;
	m->ops.lane_stats(m->st, lane, out);
	return 1;
}

uint32_t ew_sourceset_can(const struct ew_sourceset *s, unsigned what)
{
	uint32_t k = 0;

	for (uint32_t i = 0; s && i < s->n; i++)
		k += (s->m[i].caps & what) != 0;
	return k;
}

const char *ew_sourceset_name(const struct ew_sourceset *s, uint32_t i)
{
	return s->m[i].name;
}

unsigned ew_sourceset_caps(const struct ew_sourceset *s, uint32_t i)
{
	return s->m[i].caps;
}

void ew_sourceset_stats(const struct ew_sourceset *s, uint32_t i, struct ew_source_stats *out)
{
	memset(out, 0, sizeof(*out));
	s->m[i].ops.stats(s->m[i].st, out);
}

void ew_sourceset_exporters(const struct ew_sourceset *s, uint32_t i,
			    void (*fn)(void *arg, const struct ew_exporter_health *h), void *arg)
{
	s->m[i].ops.exporters(s->m[i].st, fn, arg);
}

void ew_sourceset_if_counters(const struct ew_sourceset *s, uint32_t i,
			      void (*fn)(void *arg, const struct ew_sflow_counters *c), void *arg)
{
	s->m[i].ops.if_counters(s->m[i].st, fn, arg);
}
