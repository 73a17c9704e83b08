/* SPDX-License-Identifier: Apache-2.0 */
/* test_source - the source registry and set: every entry found by its name and alias,
 * observer.type codes numbered from the entries and back, files picked by content, a
 * file read through the registry, and the set's filled-in operations (a file source has
 * no tick, exporters or interface counters: calling them does nothing) and its
 * capabilities and names; a pcap file's times past 2038 (its seconds are unsigned 32
 * bits, which libpcap hands over sign-extended) read as the times they are. */
#include <event2/event.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "tmp_path.h"
#include "collector/source.h"

struct count {
	uint64_t packets, records;
};

static void on_packet(void *arg, const struct ew_raw_pkt *rp)
{
	((struct count *)arg)->packets++;
	ck_assert_str_eq(ew_source_kind_name(rp->source_kind), "pcap");
}

static void on_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	(void)r;
	(void)id;
	(void)now;
	((struct count *)arg)->records++;
}

static void never_exporter(void *arg, const struct ew_exporter_health *h)
{
	(void)arg;
	(void)h;
	ck_abort_msg("a file source has no exporters");
}

static void never_counters(void *arg, const struct ew_sflow_counters *c)
{
	(void)arg;
	(void)c;
	ck_abort_msg("a file source has no interface counters");
}

START_TEST(registry)
{
	const char *const names[] = { "iface", "pcap", "ipfix", "sflow", "flowlog" };
	uint32_t kinds = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct ew_source_ops *o = ew_source_find(names[i]);

		ck_assert_ptr_nonnull(o);
		ck_assert_str_eq(o->name, names[i]);
		ck_assert_ptr_nonnull(o->open);
		ck_assert_ptr_nonnull(o->stats);
		ck_assert_ptr_nonnull(o->close);
		ck_assert_ptr_nonnull(o->target_key);
		ck_assert_ptr_nonnull(o->observer[0]);
		ck_assert_ptr_nonnull(strstr(ew_source_names(), names[i]));
	}
	ck_assert_ptr_eq(ew_source_find("netflow"), ew_source_find("ipfix"));
	ck_assert_ptr_null(ew_source_find("pcapng"));
	ck_assert_ptr_null(ew_source_find(NULL));
	/* every observer.type of every entry has a code, and the code its name */
	for (size_t i = 0; ew_source_at(i); i++)
		for (int v = 0; v < 2 && ew_source_at(i)->observer[v]; v++, kinds++) {
			const char *n = ew_source_at(i)->observer[v];

			ck_assert_str_eq(ew_source_kind_name(ew_source_kind(n)), n);
		}
	ck_assert_uint_eq(kinds, 6);                       /* netflow beside ipfix */
	ck_assert_uint_eq(ew_source_kind("carrier-pigeon"), 0xff);
	ck_assert_str_eq(ew_source_kind_name(0xff), "unknown");
}
END_TEST

START_TEST(file_by_content)
{
	struct count n = { 0, 0 };
	struct ew_source_out out = { .packet = on_packet, .record = on_record, .arg = &n };
	struct ew_source_conf sc = { .target = EW_SRCDIR "/tests/data/sample.pcap" };
	struct ew_err err;
	volatile int stop = 0;

	sc.stop = &stop;
	ck_assert_str_eq(ew_source_file_type(sc.target), "pcap");
	ck_assert_int_eq(ew_source_read_file(&sc, &out, &err), EW_OK);
	ck_assert_uint_gt(n.packets, 100);
	sc.target = EW_SRCDIR "/tests/data/no-such.pcap";
	ck_assert_int_lt(ew_source_read_file(&sc, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "no-such.pcap"));
	sc.type = "ipfix";                                 /* not a file source */
	ck_assert_int_lt(ew_source_read_file(&sc, &out, &err), 0);
}
END_TEST

START_TEST(set_fills_missing_operations)
{
	struct ew_sourceset *s = ew_sourceset_new();
	struct count n = { 0, 0 };
	struct ew_source_out out = { .packet = on_packet, .record = on_record, .arg = &n };
	struct ew_source_conf sc = { .type = "pcap", .target = EW_SRCDIR "/tests/data/sample.pcap" };
	struct ew_source_stats st;
	struct ew_err err;
	volatile int stop = 0;

	sc.stop = &stop;
	ck_assert_int_eq(ew_sourceset_open(s, &sc, NULL, &out, &err), EW_OK);
	sc.type = "carrier-pigeon";
	ck_assert_int_lt(ew_sourceset_open(s, &sc, NULL, &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "carrier-pigeon"));
	ck_assert_uint_eq(ew_sourceset_count(s), 1);
	ck_assert_str_eq(ew_sourceset_name(s, 0), "pcap " EW_SRCDIR "/tests/data/sample.pcap");
	ck_assert_uint_eq(ew_sourceset_caps(s, 0), 0);     /* read to its end: not live */
	ck_assert_uint_eq(ew_sourceset_can(s, EW_SOURCE_LIVE | EW_SOURCE_EXPORTERS), 0);
	ck_assert_uint_eq(ew_sourceset_lag_us(s), 0);      /* a file waits for nothing */
	ew_sourceset_tick(s, 1);                           /* none of its own: nothing */
	ew_sourceset_exporters(s, 0, never_exporter, NULL);
	ew_sourceset_if_counters(s, 0, never_counters, NULL);
	ew_sourceset_run(s);
	ew_sourceset_stats(s, 0, &st);
	ck_assert_uint_eq(st.packets, n.packets);
	ck_assert_uint_gt(n.packets, 100);
	ew_sourceset_free(s);
	ew_sourceset_free(NULL);
}
END_TEST

static uint64_t seen_ts[8];
static unsigned nseen;

static void keep_time(void *arg, const struct ew_raw_pkt *rp)
{
	(void)arg;
	if (nseen < 8)
		seen_ts[nseen++] = rp->ts_us;
}

START_TEST(times_past_2038)
{
	static const uint32_t secs[] = { 0x7fffffffu, 0x80000000u, 0xc0000000u, 0xffffffffu };
	char path[64];
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	uint8_t frame[60] = { 0 };
	struct ew_sourceset *s = ew_sourceset_new();
	struct ew_source_out out = { .packet = keep_time, .record = on_record };
	struct ew_source_conf sc = { .type = "pcap", .target = path };
	struct ew_err err;
	volatile int stop = 0;

	ew_test_file(path, sizeof(path), "test-source", NULL);
	d = pcap_dump_open(p, path);
	ck_assert_ptr_nonnull(d);
	frame[12] = 0x08;             /* IPv4 ethertype, the rest zero: a frame is enough */
	for (unsigned i = 0; i < 4; i++) {
		struct pcap_pkthdr h = { .caplen = sizeof(frame), .len = sizeof(frame) };

		h.ts.tv_sec = (time_t)secs[i];
		h.ts.tv_usec = 250000;
		pcap_dump((u_char *)d, &h, frame);
	}
	pcap_dump_close(d);
	pcap_close(p);
	sc.stop = &stop;
	nseen = 0;
	ck_assert_int_eq(ew_sourceset_open(s, &sc, NULL, &out, &err), EW_OK);
	ew_sourceset_run(s);
	ew_sourceset_free(s);
	unlink(path);
	ck_assert_uint_eq(nseen, 4);
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(seen_ts[i], (uint64_t)secs[i] * 1000000u + 250000u);
}
END_TEST

START_TEST(set_of_listeners)
{
	struct event_base *eb = event_base_new();
	struct ew_sourceset *s = ew_sourceset_new();
	struct ew_source_out out = { 0 };
	char t1[64], t2[32];
	struct ew_source_conf sc = { .type = "sflow", .target = t1 };
	struct ew_err err;

	snprintf(t1, sizeof(t1), "127.0.0.1:%d", 30000 + (int)(getpid() % 10000));
	snprintf(t2, sizeof(t2), "127.0.0.1:%d", 40000 + (int)(getpid() % 10000));

	ck_assert_int_eq(ew_sourceset_open(s, &sc, eb, &out, &err), EW_OK);
	sc.type = "netflow";
	sc.target = t2;
	ck_assert_int_eq(ew_sourceset_open(s, &sc, eb, &out, &err), EW_OK);
	ck_assert_uint_eq(ew_sourceset_can(s, EW_SOURCE_LIVE), 2);
	ck_assert_uint_eq(ew_sourceset_can(s, EW_SOURCE_EXPORTERS), 2);
	ck_assert_uint_eq(ew_sourceset_can(s, EW_SOURCE_IF_COUNTERS), 1);   /* sFlow's */
	ck_assert_uint_eq(ew_sourceset_lag_us(s), 0);      /* datagrams come as they arrive */
	snprintf(t1, sizeof(t1), "netflow %s", t2);
	ck_assert_str_eq(ew_sourceset_name(s, 1), t1);
	ew_sourceset_run(s);                               /* event-driven: nothing to run */
	ew_sourceset_free(s);
	event_base_free(eb);
}
END_TEST

/* An interface's blocks: the set's clock lags by the longest block timeout of its
 * sources (the source's block_ms, or the interface source's default). Needs root (a
 * capture handle on lo, nothing sent); CI runs as root. */
START_TEST(blocks_set_the_lag)
{
	struct event_base *eb = event_base_new();
	struct ew_sourceset *s = ew_sourceset_new();
	struct ew_source_out out = { 0 };
	struct ew_source_conf sc = { .type = "iface", .target = "lo", .block_ms = 3 };
	struct ew_err err;

	if (geteuid() != 0) {
		fprintf(stderr, "blocks_set_the_lag: not root, not run\n");
		goto out;
	}
	ck_assert_int_eq(ew_sourceset_open(s, &sc, eb, &out, &err), EW_OK);
	ck_assert_uint_eq(ew_sourceset_lag_us(s), 3000);
	sc.block_ms = 0;                                   /* the default, longer */
	ck_assert_int_eq(ew_sourceset_open(s, &sc, eb, &out, &err), EW_OK);
	ck_assert_uint_eq(ew_sourceset_lag_us(s), (uint64_t)ew_source_find("iface")->block_ms * 1000);
	ck_assert_uint_gt(ew_sourceset_lag_us(s), 3000);
	sc.block_ms = 1;                                   /* shorter: the longest stays */
	ck_assert_int_eq(ew_sourceset_open(s, &sc, eb, &out, &err), EW_OK);
	ck_assert_uint_eq(ew_sourceset_lag_us(s), (uint64_t)ew_source_find("iface")->block_ms * 1000);
out:
	ew_sourceset_free(s);
	event_base_free(eb);
}
END_TEST

static Suite *source_suite(void)
{
	Suite *s = suite_create("source");
	TCase *t = tcase_create("source");

	tcase_add_test(t, registry);
	tcase_add_test(t, file_by_content);
	tcase_add_test(t, set_fills_missing_operations);
	tcase_add_test(t, set_of_listeners);
	tcase_add_test(t, times_past_2038);
	tcase_add_test(t, blocks_set_the_lag);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(source_suite)
