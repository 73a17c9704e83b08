/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for collector/decode_sflow: samples, counters, sequence gaps, and the
 * hostile cases the collectors issue names. */
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "collector/decode_pkt.h"
#include "collector/decode_sflow.h"
#include "core/ew_err.h"

struct dg {
	uint8_t b[4096];
	size_t n;
};

static void u32(struct dg *d, uint32_t v)
{
	d->b[d->n++] = (uint8_t)(v >> 24);
	d->b[d->n++] = (uint8_t)(v >> 16);
	d->b[d->n++] = (uint8_t)(v >> 8);
	d->b[d->n++] = (uint8_t)v;
}

static void put(struct dg *d, const void *p, size_t n)
{
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static const uint8_t frame[] = {   /* Ethernet, IPv4 198.18.1.11 -> 198.18.3.10, TCP 40000 -> 22 SYN */
	0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00,
	0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 198, 18, 1, 11, 198, 18, 3, 10,
	0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
};

static void header(struct dg *d, uint32_t seq, uint32_t nsamples)
{
	memset(d, 0, sizeof(*d));
	u32(d, 5);
	u32(d, 1);
	u32(d, 0xc6120001);      /* agent 198.18.0.1 */
	u32(d, 0);               /* sub-agent */
	u32(d, seq);
	u32(d, 123456);          /* uptime */
	u32(d, nsamples);
}

/* a flow sample: raw header record + extended switch */
static void flow_sample(struct dg *d, uint32_t rate)
{
	size_t at;

	u32(d, 1);
	at = d->n;
	u32(d, 0);               /* length: below */
	u32(d, 1);               /* sequence */
	u32(d, 7);               /* source id: ifIndex 7 */
	u32(d, rate);
	u32(d, 1000);            /* pool */
	u32(d, 0);               /* drops */
	u32(d, 3);               /* input */
	u32(d, 4);               /* output */
	u32(d, 2);               /* records */
	u32(d, 1);               /* raw packet header */
	u32(d, 16 + sizeof(frame) + 2);
	u32(d, 1);               /* Ethernet */
	u32(d, 60);              /* frame length */
	u32(d, 0);
	u32(d, sizeof(frame));
	put(d, frame, sizeof(frame));
	put(d, "\0\0", 2);       /* padding to 4 */
	u32(d, 1001);            /* extended switch */
	u32(d, 16);
	u32(d, 10); u32(d, 0); u32(d, 20); u32(d, 0);
	{
		uint32_t len = (uint32_t)(d->n - at - 4);

		d->b[at] = (uint8_t)(len >> 24);
		d->b[at + 1] = (uint8_t)(len >> 16);
		d->b[at + 2] = (uint8_t)(len >> 8);
		d->b[at + 3] = (uint8_t)len;
	}
}

struct got {
	struct ew_sflow_sample s[8];
	uint8_t hdr[8][128];
	int n, counters;
};

static void on_sample(void *arg, const struct ew_sflow_sample *s)
{
	struct got *g = arg;

	if (g->n < 8) {
		g->s[g->n] = *s;
		if (s->header != NULL)
			memcpy(g->hdr[g->n], s->header, s->header_len < 128 ? s->header_len : 128);
	}
	g->n++;
}

static void on_counters(void *arg, const struct ew_sflow_counters *c)
{
	((struct got *)arg)->counters++;
}

START_TEST(flow_sample_to_packet)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct got g = { 0 };
	struct ew_sflow_cb cb = { on_sample, on_counters, NULL, &g };
	struct dg d;
	struct ew_pkt k;

	header(&d, 1, 1);
	flow_sample(&d, 512);
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.s[0].rate, 512);
	ck_assert_uint_eq(g.s[0].in_if, 3);
	ck_assert_uint_eq(g.s[0].out_if, 4);
	ck_assert_uint_eq(g.s[0].src_vlan, 10);
	ck_assert_uint_eq(g.s[0].header_len, sizeof(frame));
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, g.hdr[0], g.s[0].header_len), EW_OK);
	ck_assert_int_eq(k.k.dport, 22);
	ew_sflow_free(s);
}
END_TEST

START_TEST(sequence_gaps_per_agent)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct ew_sflow_cb cb = { NULL, NULL, NULL, NULL };
	struct ew_sflow_stats st;
	struct dg d;

	header(&d, 10, 0);
	ew_sflow_decode(s, d.b, d.n, 1, &cb);
	header(&d, 11, 0);
	ew_sflow_decode(s, d.b, d.n, 2, &cb);
	header(&d, 15, 0);       /* 3 datagrams lost */
	ew_sflow_decode(s, d.b, d.n, 3, &cb);
	ew_sflow_stats(s, &st);
	ck_assert_uint_eq(st.seq_gaps, 1);
	ck_assert_uint_eq(st.lost_datagrams, 3);
	ck_assert_uint_eq(st.agents, 1);
	ew_sflow_free(s);
}
END_TEST

START_TEST(sample_count_lies)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct got g = { 0 };
	struct ew_sflow_cb cb = { on_sample, on_counters, NULL, &g };
	struct dg d;

	header(&d, 1, 0xffffffff);   /* 2^32-1 samples, one present */
	flow_sample(&d, 1);
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ew_sflow_free(s);
}
END_TEST

START_TEST(sample_length_disagrees_with_records)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct got g = { 0 };
	struct ew_sflow_cb cb = { on_sample, on_counters, NULL, &g };
	struct ew_sflow_stats st;
	struct dg d;

	/* sample length shorter than its records: the records are cut, the sample dropped */
	header(&d, 1, 1);
	flow_sample(&d, 1);
	d.b[28 + 7] = 40;            /* sample length low byte: 40 */
	d.b[28 + 6] = 0;
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_OK);   /* the datagram goes on */
	ck_assert_int_eq(g.n, 0);
	/* sample length longer than the datagram */
	header(&d, 2, 1);
	flow_sample(&d, 1);
	d.b[28 + 6] = 0x10;
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 2, &cb), EW_E_TRUNC);
	ck_assert_int_eq(g.n, 0);
	ew_sflow_stats(s, &st);
	ck_assert_uint_ge(st.malformed, 2);
	ew_sflow_free(s);
}
END_TEST

START_TEST(header_length_past_the_datagram)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct got g = { 0 };
	struct ew_sflow_cb cb = { on_sample, on_counters, NULL, &g };
	struct dg d;
	size_t hl_at = 28 + 8 + 32 + 8 + 12;   /* header length field of the raw record */

	header(&d, 1, 1);
	flow_sample(&d, 1);
	d.b[hl_at + 2] = 0x7f;                  /* header length ~32 KB */
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ck_assert_int_eq(g.s[0].has_header, 0); /* refused, not read past the record */
	ew_sflow_free(s);
}
END_TEST

START_TEST(rate_zero_and_bad_agent)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct got g = { 0 };
	struct ew_sflow_cb cb = { on_sample, on_counters, NULL, &g };
	struct ew_sflow_stats st;
	struct dg d;

	header(&d, 1, 1);
	flow_sample(&d, 0);
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_OK);
	ck_assert_uint_eq(g.s[0].rate, 1);
	ew_sflow_stats(s, &st);
	ck_assert_uint_eq(st.rate_zero, 1);
	header(&d, 1, 0);
	d.b[7] = 9;                             /* agent address type 9 */
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_E_MALFORMED);
	d.b[3] = 4;                             /* sFlow version 4 */
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_E_UNSUPPORTED);
	ew_sflow_free(s);
}
END_TEST

START_TEST(truncation_at_every_byte)
{
	struct ew_sflow_session *s = ew_sflow_new(16);
	struct got g;
	struct ew_sflow_cb cb = { on_sample, on_counters, NULL, &g };
	struct dg d;

	header(&d, 1, 1);
	flow_sample(&d, 1);
	for (size_t n = 0; n < d.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		memcpy(copy, d.b, n);
		memset(&g, 0, sizeof(g));
		ew_sflow_decode(s, copy, n, 1, &cb);
		ck_assert_int_eq(g.n, 0);
		free(copy);
	}
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ew_sflow_decode(s, d.b, d.n, 1, &cb), EW_OK);
	ck_assert_int_eq(g.n, 1);
	ew_sflow_free(s);
}
END_TEST

/* The sampled header's protocol as the packet decoder's link type; others are refused. */
START_TEST(header_link_types)
{
	ck_assert_int_eq(ew_sflow_header_dlt(1), EW_DLT_EN10MB);
	ck_assert_int_eq(ew_sflow_header_dlt(11), EW_DLT_IPV4);
	ck_assert_int_eq(ew_sflow_header_dlt(12), EW_DLT_IPV6);
	ck_assert_int_eq(ew_sflow_header_dlt(2), -1);     /* ISO 802.3 with 802.2 */
	ck_assert_int_eq(ew_sflow_header_dlt(0xffffffffu), -1);
}
END_TEST

static Suite *sflow_suite(void)
{
	Suite *s = suite_create("decode_sflow");
	TCase *t = tcase_create("decode_sflow");

	tcase_add_test(t, flow_sample_to_packet);
	tcase_add_test(t, sequence_gaps_per_agent);
	tcase_add_test(t, sample_count_lies);
	tcase_add_test(t, sample_length_disagrees_with_records);
	tcase_add_test(t, header_length_past_the_datagram);
	tcase_add_test(t, rate_zero_and_bad_agent);
	tcase_add_test(t, truncation_at_every_byte);
	tcase_add_test(t, header_link_types);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(sflow_suite)
