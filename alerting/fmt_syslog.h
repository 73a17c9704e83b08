/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_syslog - RFC 5424 syslog messages around an alert body (JSON or CEF).
 *
 * <PRI>1 TIMESTAMP HOSTNAME eastwatch PROCID MSGID [eastwatch@32473 ...] BODY
 * PRI is facility * 8 + the syslog severity of the alert (critical 2, high 3, medium 4,
 * low 5, info 6); MSGID is event.action; the structured data element repeats the fields
 * a SIEM indexes first (alert_id, rule, severity, src, dst, dport, proto), its values
 * escaped as RFC 5424 §6.3.3 requires ('"', '\' and ']'). 32473 is the enterprise
 * number RFC 5612 reserves for documentation; set sd_id to your own. */
#ifndef EW_FMT_SYSLOG_H
#define EW_FMT_SYSLOG_H

#include "alerting/alert.h"
#include "core/ew_buf.h"

struct ew_syslog_hdr {
	int facility;             /* 0..23 */
	const char *hostname;     /* printable ASCII, at most 255; others become '_' */
	const char *sd_id;        /* "eastwatch@32473" */
	int pid;
};

/* The facility for a name ("local0", "auth", "daemon", ...), or -1. */
int ew_syslog_facility(const char *name);
/* Append header, structured data and body[0..len) to b. Returns 0 or -1 on overflow. */
int ew_fmt_syslog(const struct ew_alert *a, const struct ew_syslog_hdr *h, const char *body,
		  size_t len, struct ew_buf *b);

/* An SD-ID we may use (RFC 5424 §6.3.2): 1 to 32 printable ASCII characters without '=',
 * ' ', ']' or '"', in the form NAME@ENTERPRISE_NUMBER (names without '@' are IANA's). */
int ew_syslog_sd_id_valid(const char *id);

#endif
