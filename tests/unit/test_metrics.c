/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for daemon/metrics: a scrape of a pipeline, a sink and a telemetry listener
 * is valid Prometheus text (every sample after its # TYPE, one # TYPE per family, names
 * and labels well formed, values integers) and carries the series operators alert on:
 * the flow table's size and evictions, refused datagrams, per-exporter template
 * refusals and evictions, sink state. */
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/metrics.h"
#include "check_main.h"

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
			return 0;
	return 1;
}

START_TEST(scrape_is_valid_prometheus_text)
{
	static const char pol_text[] = "groups:\n  web: { members: [198.18.1.0/24] }\n"
				       "default: { action: deny, severity: high }\n";
	struct ew_cls_conf cc;
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_pipeline_conf pc;
	struct ew_err err;
	struct ew_classify *cls;
	struct ew_policy *pol;
	struct ew_sinkset *sinks;
	struct ew_conf *sdoc;
	struct ew_pipeline *p;
	struct event_base *eb = event_base_new();
	char target[32];
	struct ew_source_conf sc = { .type = "ipfix", .target = target, .id = 0,
				     .silence_us = 300000000ULL };
	struct ew_source_out out = { 0 };
	struct ew_sourceset *srcs = ew_sourceset_new();
	struct ew_metrics_view v;
	struct evbuffer *b = evbuffer_new();
	char *text, *line, *save = NULL;
	char types[256][96];
	int ntypes = 0, samples = 0;
	size_t len;

	snprintf(target, sizeof(target), "127.0.0.1:%d", 20000 + (int)(getpid() % 9000));
	ew_cls_conf_default(&cc);
	cls = ew_classify_new(&cc, &err);
	o.resolve_arg = cls;
	pol = ew_policy_load_mem("t.yaml", pol_text, sizeof(pol_text) - 1, &o, &err);
	ck_assert_ptr_nonnull(pol);
	ck_assert_int_eq(ew_conf_load_mem(&sdoc, "s", "{type: file, path: /dev/null}", 29, &err), 0);
	sinks = ew_sinkset_new("unit", NULL);
	ck_assert_int_eq(ew_sinkset_add(sinks, ew_conf_root(sdoc), NULL, &err), 0);
	ew_pipeline_conf_default(&pc);
	pc.sensor = "unit";
	pc.ft.max_flows = 1024;
	p = ew_pipeline_new(&pc, cls, pol, sinks, &err);
	ck_assert_ptr_nonnull(p);
	out.arg = p;
	ck_assert_int_eq(ew_sourceset_open(srcs, &sc, eb, &out, &err), EW_OK);
	memset(&v, 0, sizeof(v));
	v.sensor = "unit";
	v.rules_dir = "rules.d";
	v.policy_version = "sha256:00";
	v.p = p;
	v.sinks = sinks;
	v.pol = (const struct ew_policy *const *)&pol;
	v.srcs = srcs;
	ew_metrics_render(&v, b);
	len = evbuffer_get_length(b);
	text = malloc(len + 1);
	evbuffer_remove(b, text, len);
	text[len] = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char name[96], kind[16];

			ck_assert_int_eq(sscanf(line + 7, "%95s %15s", name, kind), 2);
			ck_assert_msg(!strcmp(kind, "counter") || !strcmp(kind, "gauge"), "%s", line);
			for (int i = 0; i < ntypes; i++)
				ck_assert_msg(strcmp(types[i], name) != 0, "TYPE twice: %s", name);
			ck_assert_int_lt(ntypes, 256);
			strcpy(types[ntypes++], name);
			continue;
		}
		{
			size_t n = strcspn(line, "{ ");
			const char *val = strrchr(line, ' ');
			int known = 0;

			ck_assert_msg(valid_name(line, n), "bad name: %s", line);
			for (int i = 0; i < ntypes; i++)
				known |= strlen(types[i]) == n && strncmp(types[i], line, n) == 0;
			ck_assert_msg(known, "sample before its TYPE: %s", line);
			ck_assert_ptr_nonnull(val);
			for (const char *c = val + 1; *c; c++)
				ck_assert_msg(isdigit((unsigned char)*c), "value: %s", line);
			if (line[n] == '{')
				ck_assert_msg(strchr(line, '}') && strchr(line, '}') < val, "labels: %s", line);
			samples++;
		}
	}
	ck_assert_int_gt(samples, 50);
	evbuffer_drain(b, evbuffer_get_length(b));
	ew_metrics_render(&v, b);
	len = evbuffer_get_length(b);
	free(text);
	text = malloc(len + 1);
	evbuffer_remove(b, text, len);
	text[len] = 0;
	ck_assert_ptr_nonnull(strstr(text, "eastwatch_flow_table_max 1024\n"));
	ck_assert_ptr_nonnull(strstr(text, "eastwatch_flow_table_evicted_answered_total 0\n"));
	{
		char want[128];   /* the set names a source by its type and target */

		snprintf(want, sizeof(want), "eastwatch_source_refused_total{source=\"ipfix %s\"} 0\n",
			 target);
		ck_assert_ptr_nonnull(strstr(text, want));
	}
	ck_assert_ptr_nonnull(strstr(text, "# TYPE eastwatch_exporter_templates_refused_total counter"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE eastwatch_exporter_templates_evicted_total counter"));
	ck_assert_ptr_nonnull(strstr(text, "eastwatch_build_info{version="));
	free(text);
	evbuffer_free(b);
	ew_sourceset_free(srcs);
	ew_pipeline_free(p);
	ew_sinkset_free(sinks);
	ew_conf_free(sdoc);
	ew_policy_free(pol);
	ew_classify_free(cls);
	event_base_free(eb);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *t = tcase_create("metrics");

	tcase_add_test(t, scrape_is_valid_prometheus_text);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
