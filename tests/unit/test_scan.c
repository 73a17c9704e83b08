/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/scan: the three kinds and their counts, the bound on sources
 * (the least active is evicted, a busy scanner is not), windows, quiet flows, a window's
 * first probe counted late, and sets looked up past slots of ended windows. */
#include <stdio.h>
#include <string.h>

#include "analyzer/scan.h"
#include "check_main.h"

#define S 1000000ULL

struct reports {
	struct ew_scan_report r[64];
	struct ew_scan_host host[64][EW_SCAN_HOSTS];   /* r[i].host, valid only in the call */
	int n;
};

static void on_report(void *arg, const struct ew_scan_report *r)
{
	struct reports *rs = arg;

	if (rs->n < 64) {
		rs->r[rs->n] = *r;
		memcpy(rs->host[rs->n], r->host, r->nhosts * sizeof(*r->host));
	}
	rs->n++;
}

static struct ew_addr ip(uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	struct ew_addr a;

	ew_addr_from_v4(&a, b);
	return a;
}

static struct ew_scan *tracker(struct reports *rs, uint32_t max_sources)
{
	struct ew_scan_conf c;

	ew_scan_conf_default(&c);
	if (max_sources)
		c.max_sources = max_sources;
	memset(rs, 0, sizeof(*rs));
	return ew_scan_new(&c, on_report, rs);
}

START_TEST(vertical_horizontal_and_repeated)
{
	struct reports rs;
	struct ew_scan *s = tracker(&rs, 0);
	struct ew_addr v = ip(0xc6120542), h = ip(0xc6120543), r = ip(0xc6120544);
	struct ew_addr db = ip(0xc613030a);
	uint64_t t = 100 * S;
	char a[EW_ADDR_STRLEN];

	for (uint16_t port = 1; port <= 25; port++)       /* 25 ports of one host */
		ew_scan_observe(s, &v, &db, 6, port, EW_SCAN_TOUCH | EW_SCAN_FAILED, t += 1000);
	for (uint32_t i = 0; i < 25; i++) {               /* port 23 of 25 hosts */
		struct ew_addr d = ip(0xc6130300 + i);

		ew_scan_observe(s, &h, &d, 6, 23, EW_SCAN_TOUCH | EW_SCAN_DENIED, t += 1000);
	}
	for (int i = 0; i < 25; i++)                      /* 25 connections to its SSH */
		ew_scan_observe(s, &r, &db, 6, 22, EW_SCAN_TOUCH | EW_SCAN_ATTEMPT, t += 1000);
	ck_assert_int_eq(ew_scan_state(s, &v, t), EW_SCAN_SCANNER);
	ck_assert_int_eq(ew_scan_state(s, &h, t), EW_SCAN_SCANNER);
	ck_assert_int_eq(ew_scan_state(s, &r, t), EW_SCAN_SCANNER);
	ck_assert_int_eq(rs.n, 0);                        /* held until quiet */
	ew_scan_tick(s, t + 4 * S);
	ck_assert_int_eq(rs.n, 3);
	for (int i = 0; i < 3; i++) {
		const struct ew_scan_report *x = &rs.r[i];

		if (ew_addr_eq(&x->src, &v)) {
			ck_assert_uint_eq(x->kinds, EW_SCAN_VERTICAL);
			ck_assert_uint_eq(x->max_ports, 25);
			ck_assert_str_eq(ew_addr_format(&x->max_ports_host, a), "198.19.3.10");
			ck_assert_uint_eq(x->targets, 25);
			ck_assert_uint_eq(x->failed, 25);
			ck_assert_uint_eq(x->nsample, EW_SCAN_SAMPLE);
			ck_assert_uint_eq(x->sample[0], 1);
			ck_assert_uint_eq(x->sample[15], 16);
			ck_assert_uint_eq(x->first_port, 1);
		} else if (ew_addr_eq(&x->src, &h)) {
			ck_assert_uint_eq(x->kinds, EW_SCAN_HORIZONTAL);
			ck_assert_uint_eq(x->hosts, 25);
			ck_assert_uint_eq(x->denied, 25);
			ck_assert_str_eq(ew_addr_format(&x->first_host, a), "198.19.3.0");
			ck_assert_uint_eq(x->nsample, 1);
		} else {
			ck_assert(ew_addr_eq(&x->src, &r));
			ck_assert_uint_eq(x->kinds, EW_SCAN_REPEATED);
			ck_assert_uint_eq(x->attempts, 25);
			ck_assert_uint_eq(x->attempts_port, 22);
			ck_assert_str_eq(ew_addr_format(&x->attempts_host, a), "198.19.3.10");
			ck_assert_uint_eq(x->probes, 0);
		}
		ck_assert_uint_eq(x->last_us - x->first_us, 24000);
	}
	ew_scan_free(s);
}
END_TEST

/* Flows already judged permitted and answered (flow telemetry) track no source; they
 * count for a source tracked for its probes. */
START_TEST(quiet_flows_track_no_source)
{
	struct reports rs;
	struct ew_scan *s = tracker(&rs, 0);
	struct ew_addr db = ip(0xc613030a), a = ip(0xc6120101);
	struct ew_scan_stats st;

	for (uint32_t i = 0; i < 1000; i++) {
		struct ew_addr c = ip(0xc6120000 + i);

		ew_scan_observe(s, &c, &db, 6, 443, EW_SCAN_TOUCH | EW_SCAN_QUIET, S + i);
	}
	ew_scan_stats(s, &st);
	ck_assert_uint_eq(st.observed, 1000);
	ck_assert_uint_eq(st.sources, 0);
	ck_assert_int_eq(ew_scan_state(s, &a, 2 * S), EW_SCAN_NONE);
	/* a denied flow makes a tracked; then its quiet flows count: a suspect */
	ew_scan_observe(s, &a, &db, 6, 22, EW_SCAN_TOUCH | EW_SCAN_DENIED | EW_SCAN_QUIET, 2 * S);
	ck_assert_int_eq(ew_scan_state(s, &a, 2 * S), EW_SCAN_NONE);
	ew_scan_observe(s, &a, &db, 6, 443, EW_SCAN_TOUCH | EW_SCAN_QUIET, 2 * S + 1);
	ck_assert_int_eq(ew_scan_state(s, &a, 2 * S + 1), EW_SCAN_SUSPECT);
	ew_scan_stats(s, &st);
	ck_assert_uint_eq(st.sources, 1);
	/* without QUIET a touch tracks its source (the packet path's new flow) */
	ew_scan_observe(s, &db, &a, 6, 443, EW_SCAN_TOUCH, 3 * S);
	ew_scan_stats(s, &st);
	ck_assert_uint_eq(st.sources, 2);
	ew_scan_free(s);
}
END_TEST

/* 64 entries for 10,000 probing sources: the bound holds, the least active go, and a
 * scanner active all along is never evicted (its report has every host). */
START_TEST(sources_bounded_busy_scanner_kept)
{
	struct reports rs;
	struct ew_scan *s = tracker(&rs, 64);
	struct ew_addr sc = ip(0xc6120542), db = ip(0xc613030a);
	struct ew_scan_stats st;
	uint64_t t = S;

	for (uint32_t i = 0; i < 10000; i++) {
		struct ew_addr c = ip(0xc6140000 + i), d = ip(0xc6150000 + i);

		ew_scan_observe(s, &c, &db, 6, 22, EW_SCAN_TOUCH | EW_SCAN_FAILED, t += 10);
		ew_scan_observe(s, &sc, &d, 6, 445, EW_SCAN_TOUCH | EW_SCAN_FAILED, t += 10);
	}
	ew_scan_stats(s, &st);
	ck_assert_uint_le(st.sources, 64);
	ck_assert_uint_eq(st.evicted + st.sources, 10001);
	ck_assert_int_eq(rs.n, 0);      /* the one scanner is still being watched */
	ew_scan_flush(s);
	ck_assert_int_eq(rs.n, 1);
	ck_assert(ew_addr_eq(&rs.r[0].src, &sc));
	ck_assert_uint_eq(rs.r[0].hosts, 10000);
	ck_assert_uint_eq(rs.r[0].kinds, EW_SCAN_HORIZONTAL);
	ew_scan_free(s);
}
END_TEST

/* A window ends: its scanner is reported, and the next flow starts a clean window (no
 * count and no address carried over, even for an entry given to another source). */
START_TEST(windows_end_and_start_clean)
{
	struct reports rs;
	struct ew_scan *s = tracker(&rs, 64);
	struct ew_addr a = ip(0xc6120542), db = ip(0xc613030a);
	char x[EW_ADDR_STRLEN];

	for (uint16_t port = 1; port <= 30; port++)
		ew_scan_observe(s, &a, &db, 6, port, EW_SCAN_TOUCH | EW_SCAN_FAILED, S + port);
	ck_assert_int_eq(ew_scan_fold(s, &a, &a, S + 40), 1);
	/* 61 s later: the old window is reported when the source is seen again */
	ew_scan_observe(s, &a, &db, 6, 22, EW_SCAN_TOUCH | EW_SCAN_ATTEMPT, 62 * S);
	ck_assert_int_eq(rs.n, 1);
	ck_assert_uint_eq(rs.r[0].max_ports, 30);
	ck_assert_uint_eq(rs.r[0].folded, 1);
	ck_assert_int_eq(ew_scan_state(s, &a, 62 * S), EW_SCAN_NONE);
	for (int i = 1; i < 25; i++)
		ew_scan_observe(s, &a, &db, 6, 22, EW_SCAN_TOUCH | EW_SCAN_ATTEMPT, 62 * S + i);
	ew_scan_flush(s);
	ck_assert_int_eq(rs.n, 2);
	ck_assert_uint_eq(rs.r[1].kinds, EW_SCAN_REPEATED);
	ck_assert_uint_eq(rs.r[1].max_ports, 0);
	ck_assert_uint_eq(rs.r[1].targets, 0);
	ck_assert_uint_eq(rs.r[1].nsample, 0);
	ck_assert_uint_eq(rs.r[1].folded, 0);
	ck_assert_uint_eq(rs.r[1].first_us, 62 * S);
	ck_assert_str_eq(ew_addr_format(&rs.r[1].attempts_host, x), "198.19.3.10");
	ew_scan_free(s);
}
END_TEST

/* A window's first probe enters the sets and the host list late (when a second probe, a
 * fold or the report needs it): the counts are those of entering it at once. */
START_TEST(first_probe_counted_late)
{
	struct reports rs;
	struct ew_scan_conf c;
	struct ew_scan *s;
	struct ew_addr a = ip(0xc6120542), d1 = ip(0xc613030a), d2 = ip(0xc613030b);
	char x[EW_ADDR_STRLEN];

	ew_scan_conf_default(&c);
	c.hosts = 1;                 /* the first probe makes a scanner */
	memset(&rs, 0, sizeof(rs));
	s = ew_scan_new(&c, on_report, &rs);
	ew_scan_observe(s, &a, &d1, 6, 22, EW_SCAN_TOUCH | EW_SCAN_DENIED, S);
	ck_assert_int_eq(ew_scan_state(s, &a, S), EW_SCAN_SCANNER);
	ck_assert_int_eq(ew_scan_fold(s, &a, &d1, S + 1), 1);
	/* the same service again (another flow), another on d1, one on d2 */
	ew_scan_observe(s, &a, &d1, 6, 22, EW_SCAN_TOUCH | EW_SCAN_DENIED, S + 2);
	ew_scan_observe(s, &a, &d1, 6, 80, EW_SCAN_TOUCH | EW_SCAN_DENIED, S + 3);
	ew_scan_observe(s, &a, &d2, 6, 22, EW_SCAN_TOUCH | EW_SCAN_FAILED, S + 4);
	ew_scan_observe(s, &a, &d1, 6, 80, EW_SCAN_TOUCH | EW_SCAN_FAILED, S + 5);
	ew_scan_flush(s);
	ck_assert_int_eq(rs.n, 1);
	ck_assert_uint_eq(rs.r[0].probes, 5);
	ck_assert_uint_eq(rs.r[0].targets, 3);
	ck_assert_uint_eq(rs.r[0].hosts, 2);
	ck_assert_uint_eq(rs.r[0].max_ports, 2);
	ck_assert_uint_eq(rs.r[0].nhosts, 2);
	ck_assert_str_eq(ew_addr_format(&rs.host[0][0].a, x), "198.19.3.10");
	ck_assert_uint_eq(rs.host[0][0].services, 2);
	ck_assert_uint_eq(rs.host[0][0].folded, 1);
	ck_assert_str_eq(ew_addr_format(&rs.host[0][1].a, x), "198.19.3.11");
	ck_assert_uint_eq(rs.host[0][1].services, 1);
	ck_assert_uint_eq(rs.host[0][1].folded, 0);

	/* one probe and nothing else: reported with its host listed */
	ew_scan_observe(s, &d2, &a, 6, 3389, EW_SCAN_TOUCH | EW_SCAN_FAILED, S + 10);
	ew_scan_flush(s);
	ck_assert_int_eq(rs.n, 2);
	ck_assert_uint_eq(rs.r[1].targets, 1);
	ck_assert_uint_eq(rs.r[1].nhosts, 1);
	ck_assert_str_eq(ew_addr_format(&rs.host[1][0].a, x), "198.18.5.66");
	ck_assert_uint_eq(rs.host[1][0].services, 1);
	ew_scan_free(s);
}
END_TEST

/* A service probed twice is counted once even when, between the two, the set's slots
 * in front of it were left by windows that ended (a lookup once stopped at such a slot
 * and counted the service again). 64 sources: 512 slots a set, 40% of them taken by
 * 100 sources of two probes each when y starts; y's own entries are the newest, so
 * none of them is evicted and its counts must be exact. */
START_TEST(service_found_past_ended_windows)
{
	struct reports rs;
	struct ew_scan *s = tracker(&rs, 64);
	struct ew_addr y = ip(0xc6120543), h1 = ip(0xc6140001), h2 = ip(0xc6140002);
	uint64_t t0 = 10 * S;

	for (uint32_t i = 0; i < 100; i++) {
		struct ew_addr x = ip(0xc6150000 + i), d = ip(0xc6130000 + i);

		ew_scan_observe(s, &x, &d, 6, 1000, EW_SCAN_TOUCH | EW_SCAN_FAILED, t0 + i);
		ew_scan_observe(s, &x, &h1, 6, 1001, EW_SCAN_TOUCH | EW_SCAN_FAILED, t0 + i);
	}
	/* y probes 24 services while those windows are open, each again (another flow)
	 * after they have ended */
	for (int round = 0; round < 2; round++)
		for (uint16_t i = 0; i < 24; i++)
			ew_scan_observe(s, &y, i < 21 ? &h1 : &h2, 6, (uint16_t)(2000 + i),
					EW_SCAN_TOUCH | EW_SCAN_FAILED,
					t0 + 59 * S + (uint64_t)round * 2 * S + i);
	ew_scan_flush(s);
	ck_assert_int_eq(rs.n, 1);
	ck_assert(ew_addr_eq(&rs.r[0].src, &y));
	ck_assert_uint_eq(rs.r[0].probes, 48);
	ck_assert_uint_eq(rs.r[0].targets, 24);
	ck_assert_uint_eq(rs.r[0].hosts, 2);
	ck_assert_uint_eq(rs.r[0].max_ports, 21);
	ew_scan_free(s);
}
END_TEST

/* The same services probed again in the source's next window count anew there (the
 * sets' fingerprints carry the window's id), and so do the attempts. */
START_TEST(same_services_next_window)
{
	struct reports rs;
	struct ew_scan *s = tracker(&rs, 64);
	struct ew_addr a = ip(0xc6120542), db = ip(0xc613030a);

	for (int w = 0; w < 2; w++) {
		uint64_t t = S + (uint64_t)w * 61 * S;

		for (uint16_t port = 1; port <= 25; port++)
			ew_scan_observe(s, &a, &db, 6, port, EW_SCAN_TOUCH | EW_SCAN_FAILED,
					t + port);
		for (int i = 0; i < 20; i++)
			ew_scan_observe(s, &a, &db, 6, 22, EW_SCAN_TOUCH | EW_SCAN_ATTEMPT,
					t + 30 + (uint64_t)i);
	}
	ew_scan_flush(s);
	ck_assert_int_eq(rs.n, 2);
	for (int w = 0; w < 2; w++) {
		ck_assert_uint_eq(rs.r[w].probes, 25);
		ck_assert_uint_eq(rs.r[w].targets, 25);
		ck_assert_uint_eq(rs.r[w].max_ports, 25);
		ck_assert_uint_eq(rs.r[w].attempts, 20);
		ck_assert_uint_eq(rs.r[w].kinds, EW_SCAN_VERTICAL | EW_SCAN_REPEATED);
	}
	ew_scan_free(s);
}
END_TEST

static Suite *scan_suite(void)
{
	Suite *su = suite_create("scan");
	TCase *t = tcase_create("core");

	tcase_add_test(t, vertical_horizontal_and_repeated);
	tcase_add_test(t, quiet_flows_track_no_source);
	tcase_add_test(t, sources_bounded_busy_scanner_kept);
	tcase_add_test(t, windows_end_and_start_clean);
	tcase_add_test(t, first_probe_counted_late);
	tcase_add_test(t, service_found_past_ended_windows);
	tcase_add_test(t, same_services_next_window);
	suite_add_tcase(su, t);
	return su;
}

EW_CHECK_MAIN(scan_suite)
