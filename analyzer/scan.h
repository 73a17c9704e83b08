/* SPDX-License-Identifier: Apache-2.0 */
/* scan - the scan detector's tracker: per source and window, how many destination hosts
 * and services it probed, and when that makes it a scanner.
 *
 * A probe is a flow the source initiated that failed (a TCP SYN answered by RST or not
 * at all, a half-open handshake, UDP without a reply) or that the policy denied. A
 * source is a scanner in its window (default 60 s) when its probes reach `hosts`
 * distinct destination hosts (horizontal), `ports` distinct services on one host
 * (vertical), or when it opens `attempts` connections, failed or not, to one service
 * of the watched list (default tcp/21, 22, 23, 445, 3389, 5900: the "lots of port 22
 * attempts" of password guessing). The verdict is reported once per source and window,
 * when the source has been quiet for `settle` or its window ends, with the counts; the
 * pipeline folds the per-probe policy alerts of a scanner into that one report.
 *
 * Memory is fixed at creation: max_sources source entries and two sets (source,
 * destination) and (source, destination, service) of 8 * max_sources slots each,
 * keyed by 64-bit fingerprints that include the source's window, so a new window needs
 * no clearing. When full, the least recently active source is reported (if it was a
 * scanner) and replaced; a fingerprint has the four slots of one cache line, and when
 * they are full the one counted longest ago (to the second) is forgotten. */
#ifndef EW_SCAN_H
#define EW_SCAN_H

#include <stdint.h>

#include "core/ew_addr.h"

struct ew_scan_conf {
	uint64_t window_us;          /* default 60 s */
	uint64_t settle_us;          /* quiet this long before the report (default 3 s) */
	uint32_t hosts;              /* horizontal threshold (default 20) */
	uint32_t ports;              /* vertical threshold (default 20) */
	uint32_t attempts;           /* repeated-attempts threshold (default 20) */
	uint8_t attempt_ports[8192]; /* bitmap of watched TCP ports */
	uint32_t max_sources;        /* default 16384 */
};
void ew_scan_conf_default(struct ew_scan_conf *c);
static inline int ew_scan_watched(const struct ew_scan_conf *c, uint8_t proto, uint16_t port)
{
	return proto == 6 && (c->attempt_ports[port >> 3] & (1u << (port & 7)));
}

#define EW_SCAN_ATTEMPT 1u      /* a connection to a watched service (every one counts) */
#define EW_SCAN_FAILED  2u      /* the probe failed */
#define EW_SCAN_DENIED  4u      /* the policy denied it */
#define EW_SCAN_TOUCH   8u      /* a new flow, whatever it is (makes a source a suspect) */
#define EW_SCAN_AGAIN  16u      /* a flow already counted as a probe: no new probe */
#define EW_SCAN_QUIET  32u      /* a flow already judged (flow telemetry): if it is no
				 * probe (no ATTEMPT, FAILED or DENIED) it counts for a
				 * source tracked already, and no source is tracked for it */

#define EW_SCAN_HORIZONTAL 1u
#define EW_SCAN_VERTICAL   2u
#define EW_SCAN_REPEATED   4u

#define EW_SCAN_SAMPLE 16
#define EW_SCAN_HOSTS 16

/* One host a scanner probed: how many services, and how many policy alerts about it
 * were folded into the report. */
struct ew_scan_host {
	struct ew_addr a;
	uint32_t services;
	uint32_t folded;
};

/* A scanner's window, as reported. The counters come first: with the detector's own
 * fields they are the two cache lines every flow touches (scan.c). */
struct ew_scan_report {
	uint64_t first_us, last_us;
	uint32_t hosts;              /* distinct destination hosts probed */
	uint32_t targets;            /* distinct (host, service) probed */
	uint32_t max_ports;          /* most services probed on one host (max_ports_host) */
	uint32_t attempts;           /* most connections to one watched service (attempts_*) */
	uint32_t probes, failed, denied; /* flows: probes, of which failed, denied */
	uint32_t folded;             /* policy alerts folded into this report */
	uint8_t kinds;               /* EW_SCAN_HORIZONTAL | ... */
	uint8_t nsample;
	uint8_t nhosts;              /* entries of host[] */
	uint8_t first_proto;         /* the first host probed and its service (first_*) */
	uint16_t first_port;
	uint16_t attempts_port;
	/* Set when the counts above say so: first_host once targets > 0, max_ports_host once
	 * max_ports > 0, attempts_host and attempts_port once attempts > 0. */
	struct ew_addr src;
	struct ew_addr max_ports_host, attempts_host, first_host;
	uint16_t sample[EW_SCAN_SAMPLE];  /* the first distinct ports probed (nsample) */
	/* The first hosts probed (nhosts of them), kept beside the source table (touched
	 * only by probes); set for the report callback, valid during it. */
	const struct ew_scan_host *host;
};

typedef void (*ew_scan_report_fn)(void *arg, const struct ew_scan_report *r);

struct ew_scan;

struct ew_scan *ew_scan_new(const struct ew_scan_conf *c, ew_scan_report_fn fn, void *arg);
void ew_scan_free(struct ew_scan *s);

/* src initiated a flow to dst proto/port at now_us; what = EW_SCAN_* bits. */
void ew_scan_observe(struct ew_scan *s, const struct ew_addr *src, const struct ew_addr *dst,
		     uint8_t proto, uint16_t port, unsigned what, uint64_t now_us);

enum ew_scan_state { EW_SCAN_NONE, EW_SCAN_SUSPECT, EW_SCAN_SCANNER };
/* What src is in its current window: a scanner (fold its policy alerts), a suspect
 * (it started more than one flow or probed more than one service: hold its policy
 * alerts until it is decided), or neither. */
enum ew_scan_state ew_scan_state(struct ew_scan *s, const struct ew_addr *src, uint64_t now_us);
/* Count a policy alert about a probe from src to dst as folded into src's report (and
 * to dst's count when dst is among the hosts listed); 0 if src is not a scanner now. */
int ew_scan_fold(struct ew_scan *s, const struct ew_addr *src, const struct ew_addr *dst,
		 uint64_t now_us);

/* Report the scanners that are quiet or whose window has ended, at now_us. */
void ew_scan_tick(struct ew_scan *s, uint64_t now_us);
/* 1 while scanners await their report (ew_scan_tick has work). */
int ew_scan_busy(const struct ew_scan *s);
/* Whether src may be tracked (0: certainly not, so a quiet observation of it that is no
 * probe would count for nothing). Safe to call from another thread than the one that
 * observes: the answer can only go from 0 to 1, and may be a moment late. */
int ew_scan_may_track(const struct ew_scan *s, const struct ew_addr *src);
/* Report every scanner not reported yet (end of a replay, shutdown). */
void ew_scan_flush(struct ew_scan *s);

struct ew_scan_stats {
	uint64_t observed, scanners, reported, folded, evicted;
	uint32_t sources;            /* live entries */
	uint32_t capacity;           /* entries (max_sources rounded up to a power of 2) */
};
void ew_scan_stats(const struct ew_scan *s, struct ew_scan_stats *out);

#endif
