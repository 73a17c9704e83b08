/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_flow - a flow record with its verdict as one JSON line (--flows, Kafka's
 * flows_topic): ECS event.kind "event", action "flow", with the fields an alert about
 * the flow would carry (observer, groups, application, Community ID) and its verdict,
 * and the evidence the tier below needs to judge it again (flow_parse.h reads it back):
 * eastwatch.tcp_flags, the union of TCP flags [initiator's, responder's]. */
#ifndef EW_FMT_FLOW_H
#define EW_FMT_FLOW_H

#include "alerting/alert.h"
#include "core/ew_buf.h"
#include "core/ew_flow.h"

/* Append f's line (with its line break) to b. a carries what the flow shares with an
 * alert about it: the application's names (app "Unknown" when none), the port's
 * application, the groups, the observer and the deciding rule (rule NULL: none);
 * verdict is "allow", "deny" or "none". b overflows (ew_buf_overflow) when the line does
 * not fit. */
void ew_fmt_flow(struct ew_buf *b, const struct ew_flow *f, const struct ew_alert *a,
		 const char *verdict);

#endif
