/* SPDX-License-Identifier: Apache-2.0 */
/* ew_addr - address parsing and formatting; see ew_addr.h. */
#include "core/ew_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ew_addr_parse(struct ew_addr *x, const char *s)
{
	uint8_t b[16];

	if (inet_pton(AF_INET, s, b) == 1) {
		ew_addr_from_v4(x, b);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		ew_addr_from_v6(x, b);
		return 0;
	}
	return -1;
}

int ew_prefix_contains(const struct ew_prefix *p, const struct ew_addr *x)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->len > 128 || memcmp(p->a.a, x->a, full) != 0)
		return 0;
	return rest == 0 || ((p->a.a[full] ^ x->a[full]) & (0xff00 >> rest)) == 0;
}

int ew_prefix_parse(struct ew_addr *x, unsigned *plen, const char *s, int allow_host_bits)
{
	char tmp[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned len, maxlen;
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	if (ew_addr_parse(x, tmp) != 0)
		return -1;
	maxlen = ew_addr_is_v4(x) && strchr(tmp, ':') == NULL ? 32 : 128;
	if (slash == NULL) {
		len = maxlen;
	} else {
		unsigned long v;

		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		v = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || v > maxlen)
			return -1;
		len = (unsigned)v;
	}
	if (maxlen == 32)
		len += 96;
	if (!allow_host_bits) {
		for (unsigned i = len; i < 128; i++)
			if (x->a[i / 8] & (0x80 >> (i % 8)))
				return -1;
	}
	*plen = len;
	return 0;
}

/* The decimal text of each byte value, NUL-padded to 4: an octet is one 4-byte copy.
 * Filled when the program starts (this file is linked whenever addresses are written). */
static char octet_txt[256][4];

__attribute__((constructor)) static void octet_txt_fill(void)
{
	for (unsigned v = 0; v < 256; v++)
		snprintf(octet_txt[v], sizeof(octet_txt[v]), "%u", v);
}

size_t ew_addr_format_n(const struct ew_addr *x, char *out)
{
	if (ew_addr_is_v4(x)) {
		/* by hand: glibc's inet_ntop formats IPv4 with sprintf */
		char *p = out;

		for (int i = 12; i < 16; i++) {
			unsigned v = x->a[i];

			memcpy(p, octet_txt[v], 4);   /* out has room: 4 octets of 4 bytes */
			p += 1 + (v >= 10) + (v >= 100);
			*p++ = '.';
		}
		p[-1] = '\0';
		return (size_t)(p - out - 1);
	}
	inet_ntop(AF_INET6, x->a, out, EW_ADDR_STRLEN);
	return strlen(out);
}

const char *ew_addr_format(const struct ew_addr *x, char *out)
{
	ew_addr_format_n(x, out);
	return out;
}

int ew_hostport_split(const char *spec, char *host, size_t hl, uint16_t *port,
		      uint16_t defport)
{
	const char *h = spec, *colon, *end;
	size_t n;
	char *e;
	unsigned long v;

	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		h = spec + 1;
		n = (size_t)(end - h);
		colon = end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strchr(spec, ':');
		if (colon && strchr(colon + 1, ':'))
			return -1;   /* bare IPv6: which colon starts the port? */
		n = colon ? (size_t)(colon - spec) : strlen(spec);
	}
	if (n >= hl)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	if (colon == NULL) {
		*port = defport;
		return defport ? 0 : -1;
	}
	v = strtoul(colon + 1, &e, 10);
	if (colon[1] == '\0' || *e != '\0' || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}
