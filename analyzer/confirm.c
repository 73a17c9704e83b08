/* SPDX-License-Identifier: Apache-2.0 */
/* confirm - see confirm.h. */
#include "analyzer/confirm.h"

#include <string.h>

#define MAX_PAYLOADS 8

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/* LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE {...}, ... } */
static int ldap(const uint8_t *p, size_t n)
{
	static const uint8_t ops[] = { 0x60, 0x61, 0x42, 0x63, 0x64, 0x65, 0x73, 0x66, 0x67,
				       0x68, 0x69, 0x4a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x50,
				       0x77, 0x78, 0x79 };
	size_t h, len, id;

	if (n < 2)
		return EW_CF_MORE;
	if (p[0] != 0x30)
		return EW_CF_NO;
	if (p[1] < 0x80) {
		h = 2;
		len = p[1];
	} else if (p[1] >= 0x81 && p[1] <= 0x84) {
		h = 2 + (size_t)(p[1] & 0x7f);
		if (n < h)
			return EW_CF_MORE;
		len = 0;
		for (size_t i = 2; i < h; i++)
			len = len << 8 | p[i];
	} else {
		return EW_CF_NO;
	}
	if (n < h + 3)
		return EW_CF_MORE;
	if (p[h] != 0x02 || p[h + 1] < 1 || p[h + 1] > 4)
		return EW_CF_NO;
	id = p[h + 1];
	if (len < 2 + id + 2)                 /* the ID and at least an empty operation */
		return EW_CF_NO;
	if (n < h + 2 + id + 1)
		return EW_CF_MORE;
	for (size_t i = 0; i < sizeof(ops); i++)
		if (p[h + 2 + id] == ops[i])
			return EW_CF_YES;
	return EW_CF_NO;
}

/* A RESP request ("*2\r\n$3\r\nGET\r\n...") or an inline command ("PING\r\n"). */
static int redis_request(const uint8_t *p, size_t n)
{
	size_t i = 1;

	if (n < 3)
		return 0;
	if (p[0] == '*') {
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		return i > 1 && i + 2 < n && p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '$';
	}
	if (!((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')))
		return 0;
	for (i = 0; i < n && p[i] != '\n'; i++)
		if (!printable(p[i]) && !(p[i] == '\r' && i + 1 < n && p[i + 1] == '\n'))
			return 0;
	return i < n;                         /* a whole line */
}

/* A RESP2/RESP3 value's first line: type byte, printable text, CRLF. */
static int redis_reply(const uint8_t *p, size_t n)
{
	size_t i;

	if (n < 3 || strchr("+-:$*_,#%~>(!=|", p[0]) == NULL || p[0] == '\0')
		return 0;
	for (i = 1; i + 1 < n && p[i] != '\r'; i++)
		if (!printable(p[i]))
			return 0;
	return i + 1 < n && p[i] == '\r' && p[i + 1] == '\n';
}

static int redis(struct ew_confirm *c, int from_initiator, const uint8_t *p, size_t n)
{
	if (from_initiator) {
		if (c->flags & 1)
			return EW_CF_MORE;            /* a second request before a reply */
		if (!redis_request(p, n))
			return EW_CF_NO;
		c->flags |= 1;
		return EW_CF_MORE;
	}
	if (!(c->flags & 1))
		return EW_CF_NO;                      /* the server spoke first: not Redis */
	return redis_reply(p, n) ? EW_CF_YES : EW_CF_NO;
}

/* The server's greeting (protocol 10) or a pre-handshake error; mid-session, a client
 * command (COM_QUERY and friends) at sequence 0. */
static int mysql(int from_initiator, const uint8_t *p, size_t n)
{
	size_t len;

	if (n < 5)
		return EW_CF_MORE;
	len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
	if (len + 4 != n || p[3] != 0)
		return from_initiator ? EW_CF_NO : EW_CF_MORE;
	if (from_initiator) {
		static const uint8_t cmds[] = { 0x01, 0x02, 0x03, 0x0e, 0x16, 0x17, 0x19, 0x1a };
		int text = p[4] == 0x02 || p[4] == 0x03 || p[4] == 0x16;

		if (memchr(cmds, p[4], sizeof(cmds)) == NULL)
			return EW_CF_NO;
		for (size_t i = 5; text && i < n; i++)
			if (!printable(p[i]) && p[i] != '\n' && p[i] != '\r')
				return EW_CF_NO;
		return EW_CF_YES;
	}
	if (p[4] == 0x0a) {
		size_t i = 5;

		if (n < 7 || p[5] < '0' || p[5] > '9')
			return EW_CF_NO;
		while (i < n && i < 5 + 64 && printable(p[i]))
			i++;
		return i < n && p[i] == 0 ? EW_CF_YES : EW_CF_NO;
	}
	if (p[4] == 0xff && n >= 8) {
		for (size_t i = 7; i < n; i++)
			if (!printable(p[i]))
				return EW_CF_NO;
		return EW_CF_YES;
	}
	return EW_CF_MORE;
}

/* The startup packets (StartupMessage, SSLRequest, GSSENCRequest, CancelRequest); mid-
 * session, a typed message of either side whose length fits. */
static int pgsql(int from_initiator, const uint8_t *p, size_t n)
{
	static const char client_types[] = "QPBEDSCHXpFfdc";
	static const char server_types[] = "RSKZTDCEINn123stGHWAvcd";
	uint32_t len, code;

	if (n == 1 && !from_initiator && (p[0] == 'S' || p[0] == 'N'))
		return EW_CF_MORE;                    /* an answer to SSLRequest */
	if (n < 5)
		return EW_CF_MORE;
	if (from_initiator && n >= 8) {
		len = be32(p);
		code = be32(p + 4);
		if (len == n && ((len == 8 && (code == 80877103 || code == 80877104)) ||
				 (len == 16 && code == 80877102)))
			return EW_CF_YES;
		if (len == n && code == 0x00030000 && n > 9 && p[n - 1] == 0 && p[8] != 0)
			return EW_CF_YES;
	}
	if (strchr(from_initiator ? client_types : server_types, p[0]) != NULL && p[0] != '\0') {
		len = be32(p + 1);
		if (len >= 4 && len + 1 <= n) {
			if (p[0] != 'Q')
				return EW_CF_YES;
			for (size_t i = 5; i + 1 < len + 1; i++)
				if (!printable(p[i]) && p[i] != '\n' && p[i] != '\r')
					return EW_CF_NO;
			return p[len] == 0 ? EW_CF_YES : EW_CF_NO;
		}
	}
	return EW_CF_NO;
}

/* NetBIOS session service framing around SMB. */
static int smb(struct ew_confirm *c, const uint8_t *p, size_t n)
{
	if (n >= 8 && p[0] == 0x00 && (p[1] & 0xfe) == 0 && p[5] == 'S' && p[6] == 'M' &&
	    p[7] == 'B') {
		if (p[4] == 0xff) {
			c->smb_version = 1;
			return EW_CF_YES;
		}
		if (p[4] == 0xfe || p[4] == 0xfd) {
			c->smb_version = 2;
			return EW_CF_YES;
		}
		return EW_CF_NO;
	}
	/* a session request or answer, a keepalive, or the middle of a large message
	 * (picked up mid-session): the next payload may tell */
	return EW_CF_MORE;
}

int ew_confirm_payload(struct ew_confirm *c, int from_initiator, const uint8_t *p, size_t n)
{
	int a;

	if (c->kind == EW_CF_NONE)
		return c->answer;
	if (n == 0)
		return EW_CF_MORE;
	switch (c->kind) {
	case EW_CF_LDAP: a = ldap(p, n); break;
	case EW_CF_REDIS: a = redis(c, from_initiator, p, n); break;
	case EW_CF_MYSQL: a = mysql(from_initiator, p, n); break;
	case EW_CF_PGSQL: a = pgsql(from_initiator, p, n); break;
	case EW_CF_SMB: a = smb(c, p, n); break;
	default: a = EW_CF_NO; break;
	}
	if (a == EW_CF_MORE && ++c->payloads >= MAX_PAYLOADS)
		a = EW_CF_NO;
	if (a != EW_CF_MORE)
		c->answer = (uint8_t)a;
	return a;
}

const char *ew_confirm_kind_name(int kind)
{
	switch (kind) {
	case EW_CF_LDAP: return "LDAP";
	case EW_CF_REDIS: return "Redis";
	case EW_CF_MYSQL: return "MySQL";
	case EW_CF_PGSQL: return "PostgreSQL";
	case EW_CF_SMB: return "SMBv23";
	default: return "Unknown";
	}
}
