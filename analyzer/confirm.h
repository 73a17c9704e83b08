/* SPDX-License-Identifier: Apache-2.0 */
/* confirm - protocol signatures that confirm the application of a responder port where
 * nDPI 4.2 names it wrong or not at all.
 *
 * nDPI 4.2 takes LDAP's BER messages on tcp/389 for MQTT PUBLISH (both start with 0x30),
 * Redis inline commands on tcp/6379 for NATS (PING), SMB over tcp/139 picked up
 * mid-session for NetBIOS, and does not recognise MySQL 8's greeting or PostgreSQL's
 * startup (leaving them to the port guess). Those are the protocols attackers move
 * with, so on their ports the classifier asks these checkers before it accepts a
 * different name from nDPI. Each checker looks at the first payloads of a flow and
 * answers yes (the payload is that protocol), no (it is not), or more (look at the next
 * payload). What each one checks:
 *
 *   LDAP       (389, 636 in clear, 3268): a BER message from either side: SEQUENCE, a
 *              length that the message fills, INTEGER messageID of 1-4 bytes, then an
 *              LDAP protocolOp tag (bind, search, modify, add, delete, modDN, compare,
 *              abandon, extended, unbind and their responses).
 *   Redis      (6379): the initiator speaks first, a RESP array ("*N\r\n$L\r\n") or an
 *              inline command (letters, then printable text, ending in a line break),
 *              and the responder's first reply is a RESP value (+ - : $ * and RESP3's
 *              types). NATS servers speak first ("INFO {...}"), so they never match.
 *   MySQL      (3306; MariaDB too): the responder's greeting: 3-byte length equal to the
 *              rest, sequence 0, protocol 10 and a NUL-terminated printable version; or
 *              an error packet (0xff, code) at sequence 0 (host not allowed).
 *   PostgreSQL (5432): the initiator's StartupMessage (length, protocol 3.0, NUL-ended
 *              parameters), SSLRequest, GSSENCRequest or CancelRequest.
 *   SMB        (139, 445): a NetBIOS session message (type 0, 17-bit length) holding
 *              "\xffSMB" (SMBv1) or "\xfeSMB"/"\xfdSMB" (SMB 2/3, encrypted 3), from
 *              either side, also mid-session; NetBIOS session requests before it
 *              (0x81-0x85) ask for more.
 *
 * The checkers are pure functions over bytes; tests/unit/test_confirm.c feeds them real
 * clients' first messages and their look-alikes. */
#ifndef EW_CONFIRM_H
#define EW_CONFIRM_H

#include <stddef.h>
#include <stdint.h>

enum ew_confirm_kind { EW_CF_NONE, EW_CF_LDAP, EW_CF_REDIS, EW_CF_MYSQL, EW_CF_PGSQL, EW_CF_SMB };

enum ew_confirm_answer { EW_CF_NO, EW_CF_YES, EW_CF_MORE };

/* The state of one flow's check: zero it before the first payload. */
struct ew_confirm {
	uint8_t kind;           /* enum ew_confirm_kind, EW_CF_NONE once decided */
	uint8_t answer;         /* enum ew_confirm_answer once decided */
	uint8_t payloads;       /* payloads looked at */
	uint8_t flags;          /* per checker: what it saw so far */
	uint8_t smb_version;    /* EW_CF_SMB: 1, or 2 for SMB 2/3 */
};

/* Look at one payload of the flow (from the initiator when from_initiator); returns the
 * answer so far. After EW_CF_MORE eight times the answer is no. */
int ew_confirm_payload(struct ew_confirm *c, int from_initiator, const uint8_t *p, size_t n);

/* The name of a kind as nDPI spells the protocol it confirms ("LDAP", "Redis", "MySQL",
 * "PostgreSQL"; SMB: "SMBv1" or "SMBv23" after c said yes, its master "NetBIOS"). */
const char *ew_confirm_kind_name(int kind);

#endif
