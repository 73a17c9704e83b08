/* SPDX-License-Identifier: Apache-2.0 */
/* orient - see orient.h. */
#include "analyzer/orient.h"

#include <string.h>

#define ASKS EW_ORIENT_ASKS
#define ANSWERS EW_ORIENT_ANSWERS

static int either(uint16_t sport, uint16_t dport, uint16_t port)
{
	return sport == port || dport == port;
}

static int ntp(const uint8_t *p, size_t n)
{
	unsigned vn, mode;

	if (n < 12)
		return 0;
	vn = (p[0] >> 3) & 7;
	mode = p[0] & 7;
	if (vn < 1 || vn > 4)
		return 0;
	switch (mode) {
	case 1: case 3: case 5:
		return n >= 48 ? ASKS : 0;
	case 2: case 4:
		return n >= 48 ? ANSWERS : 0;
	case 6:
		return (p[1] & 0x80) ? ANSWERS : ASKS;
	default:
		return 0;
	}
}

static int dns(const uint8_t *p, size_t n)
{
	unsigned opcode;

	if (n < 12)
		return 0;
	opcode = (p[2] >> 3) & 0x0f;
	if (opcode > 6 || opcode == 3)
		return 0;
	return (p[2] & 0x80) ? ANSWERS : ASKS;
}

/* One BER TLV header at p: its tag, the length of the header, the value's length. */
static int ber(const uint8_t *p, size_t n, uint8_t *tag, size_t *hl, size_t *vl)
{
	if (n < 2)
		return 0;
	*tag = p[0];
	if (p[1] < 0x80) {
		*hl = 2;
		*vl = p[1];
	} else if (p[1] >= 0x81 && p[1] <= 0x84) {
		*hl = 2 + (size_t)(p[1] & 0x7f);
		if (n < *hl)
			return 0;
		*vl = 0;
		for (size_t i = 2; i < *hl; i++)
			*vl = *vl << 8 | p[i];
	} else {
		return 0;
	}
	return 1;
}

/* SNMPv1/v2c: SEQUENCE { version, community, PDU }; SNMPv3 PDUs are encrypted or
 * inside a scoped PDU after the security parameters: not followed. */
static int snmp(const uint8_t *p, size_t n)
{
	uint8_t tag;
	size_t hl, vl, off;

	if (!ber(p, n, &tag, &hl, &vl) || tag != 0x30)
		return 0;
	off = hl;
	if (!ber(p + off, n - off, &tag, &hl, &vl) || tag != 0x02 || vl != 1 ||
	    off + hl + vl > n || p[off + hl] > 1)
		return 0;
	off += hl + vl;
	if (!ber(p + off, n - off, &tag, &hl, &vl) || tag != 0x04 || off + hl + vl >= n)
		return 0;
	off += hl + vl;
	switch (p[off]) {
	case 0xa0: case 0xa1: case 0xa3: case 0xa4: case 0xa5: case 0xa6: case 0xa7:
		return ASKS;
	case 0xa2:
		return ANSWERS;
	default:
		return 0;
	}
}

static int dcerpc(const uint8_t *p, size_t n)
{
	if (n >= 16 && p[0] == 5 && p[1] <= 1 && (p[4] & 0xee) == 0) {   /* connection-oriented */
		uint16_t frag = (p[4] & 0x10) ? (uint16_t)(p[8] | p[9] << 8)
					      : (uint16_t)(p[8] << 8 | p[9]);

		if (frag < 16)
			return 0;
		switch (p[2]) {
		case 0: case 11: case 14: case 16: case 18: case 19:
			return ASKS;
		case 2: case 3: case 12: case 13: case 15: case 17:
			return ANSWERS;
		default:
			return 0;
		}
	}
	if (n >= 80 && p[0] == 4 && (p[4] & 0xee) == 0) {   /* connectionless: 80-byte header */
		switch (p[1]) {
		case 0: case 1: case 7:
			return ASKS;
		case 2: case 3: case 4: case 5: case 6: case 9:
			return ANSWERS;
		default:
			return 0;
		}
	}
	return 0;
}

static int starts(const uint8_t *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	return n >= l && memcmp(p, s, l) == 0;
}

/* What the first bytes of a TCP payload picked up mid-stream say. */
static int tcp_midstream(const uint8_t *p, size_t n)
{
	static const char *const methods[] = { "GET ", "POST ", "PUT ", "HEAD ", "DELETE ",
					       "OPTIONS ", "PATCH ", "CONNECT " };

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (starts(p, n, methods[i]))
			return ASKS;
	if (starts(p, n, "HTTP/1."))
		return ANSWERS;
	if (n >= 6 && p[0] == 0x16 && p[1] == 0x03 && p[2] <= 0x04) {   /* TLS handshake */
		if (p[5] == 1)
			return ASKS;
		if (p[5] == 2)
			return ANSWERS;
	}
	/* SMB over NetBIOS session service: SMB2's SERVER_TO_REDIR flag, SMB1's reply bit */
	if (n >= 24 && p[0] == 0 && p[5] == 'S' && p[6] == 'M' && p[7] == 'B') {
		if (p[4] == 0xfe)
			return (p[4 + 16] & 1) ? ANSWERS : ASKS;
		if (p[4] == 0xff)
			return (p[4 + 9] & 0x80) ? ANSWERS : ASKS;
	}
	/* MySQL's greeting: 3-byte length, sequence 0, protocol 10, a version */
	if (n >= 8 && (size_t)(p[0] | p[1] << 8 | p[2] << 16) + 4 == n && p[3] == 0 &&
	    p[4] == 0x0a && p[5] >= '0' && p[5] <= '9')
		return ANSWERS;
	return dcerpc(p, n);
}

int ew_orient_payload(uint8_t proto, uint16_t sport, uint16_t dport, const uint8_t *p,
		      size_t n)
{
	int r;

	if (p == NULL || n == 0)
		return 0;
	if (proto == 17) {
		if (either(sport, dport, 123))
			return ntp(p, n);
		if (either(sport, dport, 53) || either(sport, dport, 5353) ||
		    either(sport, dport, 5355))
			return dns(p, n);
		if (either(sport, dport, 161) || either(sport, dport, 162))
			return snmp(p, n);
		return dcerpc(p, n);
	}
	if (proto != 6)
		return 0;
	if (either(sport, dport, 53) && n > 2 && (size_t)(p[0] << 8 | p[1]) + 2 >= n &&
	    (r = dns(p + 2, n - 2)) != 0)
		return r;
	return tcp_midstream(p, n);
}
