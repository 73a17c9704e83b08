/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for daemon/config: eastwatch.yaml into settings. A table of bad files, each
 * refused with its FILE:LINE:COL message; and good ones read into the values the daemon
 * uses (sources from the registry's entries, exporters lists, limits, metrics). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "check_main.h"
#include "tmp_path.h"

static char path[64];

static int load_text(struct ew_config *c, const char *text, struct ew_err *err)
{
	ew_test_file(path, sizeof(path), "config", text);
	ew_config_init(c);
	return ew_config_load(c, path, err);
}

static void done(struct ew_config *c)
{
	ew_config_free(c);
	unlink(path);
}

/* Each bad file: its text, and the message after "FILE:" (line, column and words). */
static const struct {
	const char *text, *want;
} bad[] = {
	{ "bogus: 1\n", "1:1: unknown key \"bogus\" in the configuration" },
	{ "sources: { type: pcap }\n", "1:10: sources must be a list" },
	{ "sources:\n  - { path: x }\n", "2:5: source has no type" },
	{ "sources:\n  - { type: tap, path: x }\n", "2:13: unknown source type \"tap\" (expected " },
	{ "sources:\n  - { type: pcap }\n", "2:5: pcap source needs path:" },
	{ "sources:\n  - { type: iface, interface: eth0, listen: x }\n",
	  "2:37: unknown key \"listen\" in source" },
	{ "sources:\n  - { type: pcap, path: x, exporters: [198.18.0.1] }\n",
	  "2:28: unknown key \"exporters\" in source" },
	{ "sources:\n  - { type: ipfix, listen: \"127.0.0.1:99999\" }\n",
	  "2:28: \"127.0.0.1:99999\": expected ADDRESS:PORT" },
	{ "sources:\n  - { type: netflow, listen: \"localhost:2055\" }\n",
	  "2:30: \"localhost:2055\": localhost is not a numeric address" },
	{ "sources:\n  - { type: sflow, listen: \":6343\", exporters: [198.18.0.1/15] }\n",
	  "2:49: exporters: \"198.18.0.1/15\" is not an address or a prefix" },
	{ "sources:\n  - { type: sflow, listen: \":6343\", exporters: [] }\n",
	  "2:48: exporters: expected a list of addresses or prefixes" },
	{ "sources:\n  - { type: iface, interface: lo, buffer_mb: 0 }\n",
	  "2:46: buffer_mb must be at least 1" },
	{ "sources:\n  - { type: iface, interface: lo, block_ms: 0 }\n",
	  "2:45: block_ms must be at least 1" },
	{ "sources:\n  - { type: iface, interface: lo, block_ms: 5000 }\n",
	  "2:45: expected a whole number from 0 to 1000, not \"5000\"" },
	{ "sources:\n  - { type: ipfix, listen: \":4739\", block_ms: 20 }\n",
	  "2:37: unknown key \"block_ms\" in source (expected one of: type, listen, buffer_mb, "
	  "silence, exporters, max_exporters, max_templates)" },
	{ "sources:\n  - { type: sflow, listen: \":6343\", max_templates: 20 }\n",
	  "2:37: unknown key \"max_templates\" in source (expected one of: type, listen, "
	  "buffer_mb, silence, exporters, max_exporters)" },
	{ "sources:\n  - { type: ipfix, listen: \":4739\", max_exporters: 0 }\n",
	  "2:52: max_exporters must be at least 1" },
	{ "sources:\n  - { type: ipfix, listen: \":4739\", max_exporters: 70000 }\n",
	  "2:52: expected a whole number from 0 to 65536, not \"70000\"" },
	{ "sources:\n  - { type: ipfix, listen: \":4739\", max_templates: 2000000 }\n",
	  "2:52: expected a whole number from 0 to 1048576, not \"2000000\"" },
	{ "sources:\n  - { type: iface, interface: lo, workers: 2 }\n",
	  "2:35: workers is the sensor's, not a source's: \"workers: N\" at the top level" },
	{ "metrics: { listen: nohost }\n", "1:20: \"nohost\": expected ADDRESS:PORT" },
	{ "user: no-such-user-anywhere\n", "1:7: no such user \"no-such-user-anywhere\"" },
	{ "spool_dir: relative/dir\n", "1:12: spool_dir must be an absolute path" },
	{ "throttle: { redis: \"x:0\" }\n", "1:20: \"x:0\": expected HOST:PORT" },
	{ "policy: { redis: \"127.0.0.1:6379\" }\nrules: /etc/x\n",
	  "1:9: policy: { redis } and rules: exclude each other" },
	{ "inventory: {}\n", "1:12: inventory needs file: or redis:" },
	{ "flows: { max: 0 }\n", "1:15: max must be at least 1" },
	{ "flows: { max_unpaired: 0 }\n", "1:24: max_unpaired must be at least 1" },
	{ "flows: { max_unpaired: 100000000 }\n",
	  "1:24: expected a whole number from 0 to 67108864, not \"100000000\"" },
	{ "sinks: { type: file }\n", "1:8: sinks must be a list" },
	{ "a: 1\n---\nb: 2\n", "2:1: a second YAML document" },
};

START_TEST(bad_files_refused_at_their_cause)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ew_config c;
		struct ew_err err;
		char want[512];

		ck_assert_msg(load_text(&c, bad[i].text, &err) != EW_OK, "case %zu accepted", i);
		snprintf(want, sizeof(want), "%s:%s", path, bad[i].want);
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0,
			      "case %zu: got \"%s\", want \"%s...\"", i, err.msg, want);
		done(&c);
	}
}
END_TEST

START_TEST(good_file_read)
{
	struct ew_config c;
	struct ew_err err;
	char a[EW_ADDR_STRLEN];

	ck_assert_msg(load_text(&c, "sensor: { name: s1 }\n"
				"spool_dir: /var/tmp/ew\n"
				"sources:\n"
				"  - { type: netflow, listen: \"[::]:2055\", exporters: [198.18.0.0/15, \"fd18::1\"],"
				" silence: 30s, max_exporters: 100, max_templates: 5000 }\n"
				"  - { type: flowlog, path: /var/log/flows }\n"
				"  - { type: iface, interface: eth1, promisc: false, snaplen: 128, block_ms: 20 }\n"
				"metrics: { listen: \"127.0.0.1:9464\" }\n"
				"throttle: { window: 30s, max_keys: 5000 }\n"
				"flows: { max: 4096, tcp_idle: 60s, max_unpaired: 300000 }\n", &err) == EW_OK,
		      "%s", err.msg);
	ck_assert_str_eq(c.sensor, "s1");
	ck_assert_uint_eq(c.nsrc, 3);
	ck_assert_str_eq(c.src[0].type, "ipfix");          /* netflow is ipfix's alias */
	ck_assert_str_eq(c.src[0].target, "[::]:2055");
	ck_assert_uint_eq(c.src[0].silence_us, 30000000);
	ck_assert_uint_eq(c.src[0].nexporters, 2);
	ck_assert_uint_eq(c.src[0].max_exporters, 100);
	ck_assert_uint_eq(c.src[0].max_templates, 5000);
	ck_assert_uint_eq(c.src[2].max_exporters, 0);      /* the default */
	ck_assert_str_eq(ew_addr_format(&c.src[0].exporters[0].a, a), "198.18.0.0");
	ck_assert_uint_eq(c.src[0].exporters[0].len, 96 + 15);
	ck_assert_uint_eq(c.src[0].exporters[1].len, 128);
	ck_assert_str_eq(c.src[1].type, "flowlog");
	ck_assert_str_eq(c.src[1].target, "/var/log/flows");
	ck_assert_int_eq(c.src[2].promisc, 0);
	ck_assert_int_eq(c.src[2].snaplen, 128);
	ck_assert_int_eq(c.src[2].block_ms, 20);
	ck_assert_str_eq(c.metrics, "127.0.0.1:9464");
	ck_assert_uint_eq(c.pc.throttle_window_us, 30000000);
	ck_assert_uint_eq(c.pc.throttle_keys, 5000);
	ck_assert_uint_eq(c.pc.ft.max_flows, 4096);
	ck_assert_uint_eq(c.pc.ft.tcp_idle_us, 60000000);
	ck_assert_uint_eq(c.pc.pairing_max, 300000);
	done(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("config");

	tcase_add_test(t, bad_files_refused_at_their_cause);
	tcase_add_test(t, good_file_read);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
