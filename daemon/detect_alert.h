/* SPDX-License-Identifier: Apache-2.0 */
/* detect_alert - the alerts of the detectors that look across flows, built one way
 * whether a sensor's pipeline raises them or `eastwatch analyze` does from the flows
 * of many sensors. */
#ifndef EW_DETECT_ALERT_H
#define EW_DETECT_ALERT_H

#include <stddef.h>

#include "alerting/alert.h"
#include "analyzer/policy.h"
#include "analyzer/scan.h"

/* The scan alert of report r into a (sc holds its counts, msg its sentence, msgcap
 * bytes): everything but the observer and the id, which the caller sets. The groups
 * are pol's. a borrows from r, sc, msg and pol. */
void ew_scan_alert(struct ew_alert *a, struct ew_alert_scan *sc, const struct ew_scan_report *r,
		   const struct ew_policy *pol, uint8_t severity, char *msg, size_t msgcap);

#endif
