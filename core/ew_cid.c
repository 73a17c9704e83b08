/* SPDX-License-Identifier: Apache-2.0 */
/* ew_cid - see ew_cid.h. */
#include "core/ew_cid.h"

#include <string.h>

static uint32_t rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k, t;

		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void ew_sha1(const void *data, size_t n, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const uint8_t *p = data;
	uint8_t last[128];
	size_t tail = n % 64, nl = tail < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;

	for (size_t i = 0; i + 64 <= n; i += 64)
		sha1_block(h, p + i);
	memset(last, 0, sizeof(last));
	if (tail)
		memcpy(last, p + n - tail, tail);
	last[tail] = 0x80;
	for (int i = 0; i < 8; i++)
		last[nl - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha1_block(h, last);
	if (nl == 128)
		sha1_block(h, last + 64);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* Zeek's pairing of ICMP (proto 1) and ICMPv6 (58) messages: a request and its answer
 * map to (type, the answer's type), so both directions give one id; any other message
 * is one-way, (type, code). */
static int icmp_ports(uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 }, { 15, 16 },
					 { 16, 15 }, { 10, 9 }, { 9, 10 }, { 17, 18 }, { 18, 17 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 }, { 130, 131 }, { 131, 130 },
					 { 133, 134 }, { 134, 133 }, { 135, 136 }, { 136, 135 },
					 { 139, 140 }, { 140, 139 }, { 144, 145 }, { 145, 144 } };
	const uint8_t(*t)[2] = proto == 1 ? v4 : v6;
	size_t n = proto == 1 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

	for (size_t i = 0; i < n; i++)
		if (*sport == t[i][0]) {
			*dport = t[i][1];
			return 0;
		}
	return 1;
}

const char *ew_cid(const struct ew_addr *src, const struct ew_addr *dst, uint16_t sport,
		   uint16_t dport, uint8_t proto, uint16_t seed, char out[EW_CID_LEN + 1])
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const int v4 = ew_addr_is_v4(src) && ew_addr_is_v4(dst);   /* mixed: never on the wire */
	const size_t al = v4 ? 4 : 16;
	const uint8_t *a = v4 ? src->a + 12 : src->a, *b = v4 ? dst->a + 12 : dst->a;
	int ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58;
	int one_way = (proto == 1 || proto == 58) && icmp_ports(proto, &sport, &dport);
	uint8_t in[2 + 16 + 16 + 2 + 4], md[20];
	size_t n = 0;
	int c = memcmp(a, b, al);

	if (!one_way && (c > 0 || (c == 0 && ports && sport > dport))) {
		const uint8_t *t = a;
		uint16_t tp = sport;

		a = b;
		b = t;
		sport = dport;
		dport = tp;
	}
	in[n++] = (uint8_t)(seed >> 8);
	in[n++] = (uint8_t)seed;
	memcpy(in + n, a, al);
	n += al;
	memcpy(in + n, b, al);
	n += al;
	in[n++] = proto;
	in[n++] = 0;
	if (ports) {
		in[n++] = (uint8_t)(sport >> 8);
		in[n++] = (uint8_t)sport;
		in[n++] = (uint8_t)(dport >> 8);
		in[n++] = (uint8_t)dport;
	}
	ew_sha1(in, n, md);
	out[0] = '1';
	out[1] = ':';
	for (int i = 0, o = 2; i < 21; i += 3) {   /* 20 bytes: six groups and a pair */
		uint32_t v = (uint32_t)md[i] << 16 | (i + 1 < 20 ? (uint32_t)md[i + 1] << 8 : 0) |
			     (i + 2 < 20 ? md[i + 2] : 0);

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < 20 ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < 20 ? b64[v & 63] : '=';
	}
	out[EW_CID_LEN] = '\0';
	return out;
}
