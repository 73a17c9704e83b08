/* SPDX-License-Identifier: Apache-2.0 */
/* alert_text - the sentences people read (the alert's message): who did what to whom,
 * and what decided it, written from the alert's own fields into a bounded buffer. */
#ifndef EW_ALERT_TEXT_H
#define EW_ALERT_TEXT_H

#include "alerting/alert.h"
#include "core/ew_buf.h"

/* A policy violation: "198.18.1.11 [web] opened SSH (tcp/22) to 198.18.3.10 [db], which
 * deny rule ssh-between-servers forbids (rules.d/10-tiers.yaml:24)". attempted: a TCP
 * connection nobody accepted ("tried to open"); differ: the observed application is
 * none of the port's (a->port_app). */
void ew_alert_text_violation(struct ew_buf *b, const struct ew_alert *a, int attempted,
			     int differ);
/* A risk alert: "SRC [g] -> DST [g] APP (tcp/80): nDPI flags R1, R2 and R3". */
void ew_alert_text_risk(struct ew_buf *b, const struct ew_alert *a);
/* A new edge between group sets src_end and dst_end ("web,dmz" or "-"), seen first since
 * the baseline began at learn_start_us. */
void ew_alert_text_edge(struct ew_buf *b, const struct ew_alert *a, const char *src_end,
			const char *dst_end, uint64_t learn_start_us);
/* A scan alert, from a->scan. */
void ew_alert_text_scan(struct ew_buf *b, const struct ew_alert *a);

#endif
