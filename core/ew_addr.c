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

/* The decimal text of each byte value, NUL-padded to 4: an octet is one 4-byte copy. */
static const char octet_txt[256][4] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14",
	"15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28",
	"29", "30", "31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42",
	"43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53", "54", "55", "56",
	"57", "58", "59", "60", "61", "62", "63", "64", "65", "66", "67", "68", "69", "70",
	"71", "72", "73", "74", "75", "76", "77", "78", "79", "80", "81", "82", "83", "84",
	"85", "86", "87", "88", "89", "90", "91", "92", "93", "94", "95", "96", "97", "98",
	"99", "100", "101", "102", "103", "104", "105", "106", "107", "108", "109", "110",
	"111", "112", "113", "114", "115", "116", "117", "118", "119", "120", "121", "122",
	"123", "124", "125", "126", "127", "128", "129", "130", "131", "132", "133", "134",
	"135", "136", "137", "138", "139", "140", "141", "142", "143", "144", "145", "146",
	"147", "148", "149", "150", "151", "152", "153", "154", "155", "156", "157", "158",
	"159", "160", "161", "162", "163", "164", "165", "166", "167", "168", "169", "170",
	"171", "172", "173", "174", "175", "176", "177", "178", "179", "180", "181", "182",
	"183", "184", "185", "186", "187", "188", "189", "190", "191", "192", "193", "194",
	"195", "196", "197", "198", "199", "200", "201", "202", "203", "204", "205", "206",
	"207", "208", "209", "210", "211", "212", "213", "214", "215", "216", "217", "218",
	"219", "220", "221", "222", "223", "224", "225", "226", "227", "228", "229", "230",
	"231", "232", "233", "234", "235", "236", "237", "238", "239", "240", "241", "242",
	"243", "244", "245", "246", "247", "248", "249", "250", "251", "252", "253", "254",
	"255"
};

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
