/* SPDX-License-Identifier: Apache-2.0 */
/* ew_cid - see ew_cid.h. */
#include "core/ew_cid.h"

#include <string.h>

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
