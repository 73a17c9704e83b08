/* SPDX-License-Identifier: Apache-2.0 */
/* classify - application identification with nDPI.
 *
 * A flow's first packets go through nDPI until it names the application (and, as
 * ndpiReader does, a few more while nDPI can still learn risks such as an obsolete SSH
 * server); then the per-flow nDPI state (about 700 bytes) goes back to a free list and
 * the flow keeps only its application ids, app_source and risk bits. A flow nDPI cannot
 * name within the packet limit, or that ends first, gets nDPI's port-based guess
 * (app_source "port"), or nothing ("none"). The number of flows under inspection at
 * once is bounded; flows beyond it are left to the port guess and counted.
 *
 * On the ports of protocols that nDPI 4.2 misnames or misses (LDAP, Redis, MySQL,
 * PostgreSQL, SMB: confirm.h), a checker of that protocol's framing looks at the first
 * payloads too: when it confirms the protocol, that is the flow's application (DPI);
 * while it has not answered, a different name from nDPI waits for it, and stands if the
 * checker says no. */
#ifndef EW_CLASSIFY_H
#define EW_CLASSIFY_H

#include <stdint.h>

#include "core/ew_err.h"
#include "core/ew_flow.h"

struct ew_classify;

struct ew_cls_conf {
	uint32_t max_active;      /* flows under inspection at once */
	uint32_t max_tcp_pkts;    /* give up after this many packets (ndpiReader: 80) */
	uint32_t max_udp_pkts;    /* (ndpiReader: 24) */
	uint8_t confirm;          /* the port checkers of confirm.h (default on) */
};

void ew_cls_conf_default(struct ew_cls_conf *c);

struct ew_cls_stats {
	uint64_t inspected_pkts, detected, guessed, unknown, overflow;
	uint64_t confirmed;       /* named by a port's checker (confirm.h), not by nDPI */
	uint32_t active, peak_active;
	uint32_t state_bytes;     /* bytes of one per-flow inspection state */
};

/* Returns NULL and fills err when nDPI cannot start. */
struct ew_classify *ew_classify_new(const struct ew_cls_conf *c, struct ew_err *err);
void ew_classify_free(struct ew_classify *c);

/* Bits returned by ew_classify_packet. */
#define EW_CLS_APP_KNOWN 0x1   /* the application became known with this packet */
#define EW_CLS_FINISHED  0x2   /* inspection is over; *state has been released */

/* Inspect one packet of flow f; l3 is its IP header. *state is the flow's inspection
 * state: NULL before the first call (one is taken from the pool). When the pool is
 * exhausted, the flow is finished with the port guess (EW_CLS_FINISHED). */
int ew_classify_packet(struct ew_classify *c, void **state, struct ew_flow *f,
		       const uint8_t *l3, uint32_t l3_len, uint64_t ts_us);

/* The flow ends (or the caller gives up) before inspection finished: apply nDPI's
 * give-up logic and port guess to f and release *state; a flow never inspected (*state
 * NULL) gets the port guess. Returns EW_CLS_APP_KNOWN if that named an application. */
int ew_classify_finish(struct ew_classify *c, void **state, struct ew_flow *f);

/* Port-based guess for a flow seen only as a record (no payload): fills
 * f->app_master/app_proto and sets app_source to EW_APP_PORT, or EW_APP_NONE. */
void ew_classify_guess(struct ew_classify *c, struct ew_flow *f);

/* The applications of f's responder port (f->proto, f->dport) into f->port_app: nDPI's
 * port guess, or the table of ports it lacks or names by their carrier (tcp/139: SMBv23,
 * SMBv1, NetBIOS; tcp/3268 and 3269, the global catalog, and 636: LDAP; 464: Kerberos;
 * 593: DCE_RPC; 5902-5909: VNC). Remembered per port: cheap on every verdict. */
void ew_classify_port_apps(struct ew_classify *c, struct ew_flow *f);

/* nDPI's name for a protocol id ("SSH"), "Unknown" for 0. */
const char *ew_classify_name(const struct ew_classify *c, uint16_t id);
/* Protocol id for a name, case-insensitive; -1 if nDPI has no such protocol. */
int ew_classify_lookup(const struct ew_classify *c, const char *name);
/* f's application ids from its full name as ew_classify_flow_name writes it ("TLS.Google",
 * "SSH"; 0 for names nDPI does not know), for flow records read back. Remembers the
 * names it was given (256 of them), so a stream of records costs no search each. */
void ew_classify_set_name(struct ew_classify *c, struct ew_flow *f, const char *name);
/* Full nDPI-style name of f's application ("TLS.Google", "SSH", "Unknown") in out. */
const char *ew_classify_flow_name(const struct ew_classify *c, const struct ew_flow *f,
				  char *out, size_t outlen);
/* The name of nDPI risk bit r ("Obsolete SSH Server Version/Cipher"), NULL if none. */
const char *ew_classify_risk_name(int r);

void ew_classify_stats(const struct ew_classify *c, struct ew_cls_stats *out);

#endif
