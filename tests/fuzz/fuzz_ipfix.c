/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_ipfix - libFuzzer target for collector/decode_ipfix (IPFIX, NetFlow v9 and v5).
 * Input: datagrams, each as a 2-byte big-endian length and its bytes, from alternating
 * exporters, so that templates defined by one datagram shape the decoding of the next.
 * Small table bounds make eviction and refusal paths reachable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_ipfix.h"

static void sink(void *arg, const struct ew_record *r)
{
	volatile uint64_t x = r->f.bytes[0] + r->f.pkts[1] + (r->app_name ? (uint8_t)r->app_name[0] : 0);

	(void)x;
	(void)arg;
}

static void evicted(void *arg, const struct ew_exporter_key *ex, int what, uint32_t n)
{
	(void)arg;
	(void)ex;
	(void)what;
	(void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_ipfix_conf c;
	struct ew_ipfix_session *s;
	struct ew_exporter_key ex[6];   /* more sessions than the 4 streams: evictions */
	size_t off = 0;
	uint64_t now = 1;

	ew_ipfix_conf_default(&c);
	c.max_streams = 4;
	c.max_templates = 64;
	c.max_templates_per_stream = 32;
	c.max_fields = 64;
	c.template_lifetime_us = 50;
	s = ew_ipfix_new(&c);
	ew_ipfix_on_evict(s, evicted, NULL);
	memset(ex, 0, sizeof(ex));
	for (int k = 0; k < 6; k++) {
		ew_addr_parse(&ex[k].addr, k & 1 ? "fd18::1" : "198.18.0.1");
		ex[k].port = (uint16_t)(4739 + k / 2);
	}
	for (int i = 0; off + 2 <= size; i++) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		uint8_t *dg;

		off += 2;
		if (n > size - off)
			n = size - off;
		dg = malloc(n ? n : 1);        /* exact size: ASan sees any overread */
		memcpy(dg, data + off, n);
		ew_ipfix_decode(s, &ex[i % 6], dg, n, now, sink, NULL);
		free(dg);
		if ((i & 7) == 7)
			ew_ipfix_expire(s, now);    /* the once-a-second sweep */
		off += n;
		now += 10;
	}
	ew_ipfix_free(s);
	return 0;
}
