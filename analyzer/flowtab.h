/* SPDX-License-Identifier: Apache-2.0 */
/* flowtab - the bidirectional flow table of the packet path.
 *
 * Packets are matched to flows in both directions; a new flow gets its initiator from
 * the first SYN (a SYN-ACK seen first makes its receiver the initiator; a later SYN
 * from the other side corrects a mid-stream guess), else from the first packet corrected
 * by port heuristics, or by the memory of a flow that left the table mid-stream. TCP
 * state (handshake, FIN, RST) picks the idle timeout. All memory is reserved by _new for
 * at most max_flows flows; when full, a closed flow, a half-open one, one nobody
 * answered, and only then the one idle longest is evicted (counted). Nothing is
 * allocated per packet. The hash is seeded at random so that hostile traffic cannot aim
 * at one chain. */
#ifndef EW_FLOWTAB_H
#define EW_FLOWTAB_H

#include <stdint.h>

#include "core/ew_flow.h"

struct ew_ft_conf {
	uint32_t max_flows;
	uint64_t tcp_idle_us;      /* established or mid-stream TCP */
	uint64_t tcp_syn_us;       /* handshake not completed */
	uint64_t tcp_closed_us;    /* after FIN both ways or RST: stragglers only */
	uint64_t udp_idle_us;
	uint64_t other_idle_us;    /* ICMP and other protocols */
	uint64_t active_us;        /* long flows report a record this often */
	uint64_t seed;             /* hash seed; 0 picks one at random */
};

/* The default flows.max: a quarter of the memory available now at ~1 KB a flow, between
 * 262,144 and 16,777,216. */
uint32_t ew_ft_default_flows(void);

/* Defaults: flows from the memory available (above), TCP 300 s, handshake 60 s, closed 10 s, UDP 60 s, other 60 s,
 * active 30 min. */
void ew_ft_conf_default(struct ew_ft_conf *c);

/* TCP state bits (ew_ft_entry.tcp). */
#define EW_TCP_SYN      0x01   /* SYN from the initiator */
#define EW_TCP_SYNACK   0x02   /* SYN-ACK from the responder */
#define EW_TCP_EST      0x04   /* handshake completed, or data seen both ways */
#define EW_TCP_FIN_I    0x08
#define EW_TCP_FIN_R    0x10
#define EW_TCP_RST      0x20

struct ew_ft_entry {
	struct ew_flow f;
	uint64_t active_start;     /* start of the current active-timeout period */
	void *cls;                 /* classification state; the pipeline owns it */
	uint32_t hnext;            /* hash chain (entry index, 0 = end) */
	uint32_t lprev, lnext;     /* idle list (entry index, 0 = end) */
	uint32_t hash;
	uint16_t key_extra;        /* ICMP echo id */
	uint8_t list;              /* which idle list */
	uint8_t tcp;               /* EW_TCP_* */
	uint8_t orient_fixed;      /* initiator decided by a SYN */
	uint8_t user[4];           /* free for the pipeline (classification and verdict state) */
};

/* Called for every flow record that closes (final = 1: the entry is freed after the
 * call) and, with final = 0, when a long flow reaches the active timeout (its counters
 * are reset after the call, the entry lives on). */
typedef void (*ew_ft_end_fn)(void *arg, struct ew_ft_entry *e, int final);

struct ew_flowtab;

struct ew_flowtab_stats {
	uint64_t created, expired, evicted, active_reports;
	uint64_t evicted_answered;     /* evictions of flows answered and not closed */
	uint64_t remembered;           /* flows picked up again, oriented from memory */
	uint64_t resizes;              /* growths (sixteenfold) of the hash buckets */
	uint32_t live, peak;
	uint32_t buckets;              /* hash buckets now (two per live flow, and more) */
};

/* The hash buckets a table starts with (or fewer, for a table of fewer flows). */
#define EW_FT_FIRST_BUCKETS 1024u

/* Returns NULL if memory for max_flows cannot be reserved. */
struct ew_flowtab *ew_flowtab_new(const struct ew_ft_conf *c, ew_ft_end_fn on_end, void *arg);
void ew_flowtab_free(struct ew_flowtab *ft);   /* does not call on_end */

/* Account one packet at time ts_us. Returns the flow and sets *dir (0: initiator to
 * responder) and *created. Never returns NULL: a full table evicts to make room. */
struct ew_ft_entry *ew_flowtab_packet(struct ew_flowtab *ft, const struct ew_flow_pkt *p,
				      uint64_t ts_us, int *dir, int *created);

/* Close the flows idle past their timeout at time now_us (callbacks with final = 1). */
void ew_flowtab_expire(struct ew_flowtab *ft, uint64_t now_us);
/* When the next flow falls idle past its timeout (UINT64_MAX for none). */
uint64_t ew_flowtab_next_due(const struct ew_flowtab *ft);
/* Close every flow with reason (EW_END_SHUTDOWN at the end of a replay). */
void ew_flowtab_flush(struct ew_flowtab *ft, int reason);

void ew_flowtab_stats(const struct ew_flowtab *ft, struct ew_flowtab_stats *out);

/* The sender of e's packets in direction dir (as ew_flowtab_packet returned it) is the
 * initiator, as the payload shows (analyzer/orient.h): e is turned round if dir is 1,
 * and its initiator is settled (a later SYN no longer changes it). Returns 1 if e was
 * turned round. */
int ew_flowtab_set_initiator(struct ew_ft_entry *e, int dir);

/* Port heuristic used for initiators: 2 for well-known and common service ports, 1 for
 * other registered ports, 0 for ephemeral ports (>= 32768). */
int ew_port_rank(uint16_t port);

#endif
