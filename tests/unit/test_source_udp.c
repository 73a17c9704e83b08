/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/source_udp, on loopback: a listener with an exporters:
 * allow-list takes the allowed exporter's IPFIX records and drops (and counts) everyone
 * else's before decoding; the exporter table reports the exporter; a silent exporter is
 * reported once by the tick. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collector/source.h"
#include "check_main.h"

struct seen {
	int records, gaps;
	struct ew_exporter_health last;
};

static void on_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	(void)r;
	(void)id;
	(void)now;
	((struct seen *)arg)->records++;
}

static void on_gap(void *arg, const struct ew_exporter_health *h, uint8_t kind, uint64_t silent,
		   uint64_t now)
{
	struct seen *s = arg;

	(void)kind;
	(void)now;
	if (silent)
		s->gaps++;
	s->last = *h;
}

static void on_exporter(void *arg, const struct ew_exporter_health *h)
{
	((struct seen *)arg)->last = *h;
}

/* An IPFIX message: template 256 (src, dst v4, dport, proto) and one record. */
static size_t ipfix_msg(uint8_t *b)
{
	static const uint8_t m[] = {
		0, 10, 0, 0, 0x65, 0x4f, 0x00, 0x00, 0, 0, 0, 1, 0, 0, 0, 1,
		0, 2, 0, 24, 1, 0, 0, 4, 0, 8, 0, 4, 0, 12, 0, 4, 0, 11, 0, 2, 0, 4, 0, 1,
		1, 0, 0, 17, 198, 18, 1, 1, 198, 18, 3, 10, 0, 22, 6, 0, 0,
	};

	memcpy(b, m, sizeof(m));
	b[3] = (uint8_t)sizeof(m);
	return sizeof(m);
}

static void send_from(int family, uint16_t port, const uint8_t *b, size_t n)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		ck_assert_int_eq(sendto(fd, b, n, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)n);
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

		inet_pton(AF_INET6, "::1", &a.sin6_addr);
		ck_assert_int_eq(sendto(fd, b, n, 0, (struct sockaddr *)&a, sizeof(a)), (ssize_t)n);
	}
	close(fd);
}

static void run_loop(struct event_base *eb)
{
	for (int i = 0; i < 20; i++) {
		event_base_loop(eb, EVLOOP_NONBLOCK);
		usleep(5000);
	}
}

START_TEST(allow_list_and_exporter_health)
{
	struct event_base *eb = event_base_new();
	const struct ew_source_ops *ops = ew_source_find("netflow");   /* ipfix's alias */
	struct ew_prefix allow;
	unsigned plen;
	uint16_t port = (uint16_t)(20000 + getpid() % 9000);
	char target[32];
	struct ew_source_conf sc = { .type = "ipfix", .target = target, .silence_us = 1000000,
				     .exporters = &allow, .nexporters = 1 };
	struct seen seen = { 0 };
	struct ew_source_out out = { .record = on_record, .gap = on_gap, .arg = &seen };
	struct ew_source_stats st;
	struct ew_err err;
	uint8_t msg[256];
	size_t n = ipfix_msg(msg);
	char a[EW_ADDR_STRLEN];
	void *s = NULL;

	ck_assert_ptr_nonnull(ops);
	ck_assert_str_eq(ops->name, "ipfix");
	ck_assert_int_eq(ew_prefix_parse(&allow.a, &plen, "::1", 0), 0);
	allow.len = (uint8_t)plen;
	snprintf(target, sizeof(target), "[::]:%u", port);
	ck_assert_msg(ops->open(&s, &sc, eb, &out, &err) == EW_OK, "%s", err.msg);
	send_from(AF_INET, port, msg, n);          /* 127.0.0.1: not on the list */
	send_from(AF_INET6, port, msg, n);         /* ::1: allowed */
	run_loop(eb);
	ck_assert_int_eq(seen.records, 1);
	ops->stats(s, &st);
	ck_assert_uint_eq(st.packets, 2);
	ck_assert_uint_eq(st.refused, 1);
	ops->exporters(s, on_exporter, &seen);
	ck_assert_str_eq(ew_addr_format(&seen.last.addr, a), "::1");
	ck_assert_uint_eq(seen.last.datagrams, 1);
	ck_assert_uint_eq(seen.last.records, 1);
	ck_assert_uint_eq(seen.last.templates, 1);
	/* silent past its limit: reported once */
	ops->tick(s, seen.last.last_seen_us + 2000000);
	ops->tick(s, seen.last.last_seen_us + 3000000);
	ck_assert_int_eq(seen.gaps, 1);
	ck_assert_int_eq(seen.last.silent, 1);
	ops->close(s);
	event_base_free(eb);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("source_udp");
	TCase *t = tcase_create("udp");

	tcase_add_test(t, allow_list_and_exporter_health);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(suite)
