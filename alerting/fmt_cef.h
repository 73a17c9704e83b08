/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_cef - an alert in ArcSight Common Event Format, for SIEMs that parse CEF.
 *
 * CEF:0|eastwatch|eastwatch|VERSION|RULE|NAME|SEVERITY|EXTENSION, where RULE is
 * rule.name, NAME the alert's sentence, SEVERITY the score divided by ten (0-10), and the
 * extension carries rt src spt dst dpt proto app act cnt externalId dvchost msg and
 * cs1..cs6 with their labels (source and destination groups, rule, application source,
 * severity word, rule file). Header fields escape '\' and '|'; extension values escape
 * '\' and '=' and write line breaks as \n and \r, as the CEF specification requires. */
#ifndef EW_FMT_CEF_H
#define EW_FMT_CEF_H

#include "alerting/alert.h"
#include "core/ew_buf.h"

/* Append the CEF line (no line break) to b. Returns 0, or -1 if b overflowed. */
int ew_fmt_cef(const struct ew_alert *a, struct ew_buf *b);

#endif
