/* SPDX-License-Identifier: Apache-2.0 */
/* alert - field names; see alert.h. */
#include "alerting/alert.h"
#include "core/ew_flow.h"

#include <stdio.h>
#include <string.h>

const char *ew_source_kind_name(int k)
{
	static const char *const n[] = { "pcap", "iface", "ipfix", "netflow", "sflow", "flowlog" };

	return k >= 0 && k < (int)(sizeof(n) / sizeof(n[0])) ? n[k] : "unknown";
}

/* FNV-1a over the fields, then a 64-bit finalizer (splitmix) so every bit depends on all. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

uint64_t ew_alert_id(const struct ew_alert *a, uint64_t window_us)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t win = window_us ? a->ts_us / window_us : a->ts_us;
	uint8_t k[3] = { a->proto, (uint8_t)(a->dport >> 8), (uint8_t)a->dport };

	h = fnv(h, a->action, strlen(a->action) + 1);
	h = fnv(h, a->rule, strlen(a->rule) + 1);
	h = fnv(h, &a->src, sizeof(a->src));
	h = fnv(h, &a->dst, sizeof(a->dst));
	h = fnv(h, k, sizeof(k));
	h = fnv(h, &win, sizeof(win));
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

const char *ew_alert_id_str(uint64_t id, char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, id >>= 4)
		out[i] = hex[id & 15];
	out[16] = 0;
	return out;
}
