/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_flow - a flow record with its verdict as one JSON line (--flows, Kafka's
 * flows_topic): ECS event.kind "event", action "flow". */
#ifndef EW_FMT_FLOW_H
#define EW_FMT_FLOW_H

#include "core/ew_buf.h"
#include "core/ew_flow.h"

/* Append f's line (with its line break) to b: app is the application's name ("Unknown"
 * when none), verdict "allow", "deny" or "none". b overflows (ew_buf_overflow) when the
 * line does not fit. */
void ew_fmt_flow(struct ew_buf *b, const struct ew_flow *f, const char *app,
		 const char *verdict);

#endif
