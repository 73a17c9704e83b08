/* SPDX-License-Identifier: Apache-2.0 */
/* alert_parse - an alert's JSON (fmt_json's output, as sensors put it on Kafka) back into
 * an alert record, for `eastwatch alerter`.
 *
 * JSON is read with libyaml (JSON is YAML's flow style), so no second parser enters the
 * build. Strings point into the parsed document, which the parsed alert owns. Fields a
 * sensor always writes are required; a message without them is refused, not guessed. */
#ifndef EW_ALERT_PARSE_H
#define EW_ALERT_PARSE_H

#include <stddef.h>

#include "alerting/alert.h"
#include "core/ew_err.h"
#include "core/ew_time.h"   /* ew_time_parse_rfc3339, which used to live here */

#define EW_ALERT_MAX_NOTIFY 16

struct ew_alert_parsed {
	struct ew_alert a;
	struct ew_conf *doc;
	char rule_file[512];
	const char *notify[EW_ALERT_MAX_NOTIFY];
	const char *sensors[EW_ALERT_MAX_NOTIFY];
	struct ew_alert_scan scan;
};

/* Returns EW_OK, or EW_E_MALFORMED with err filled. Free with ew_alert_parsed_free, also
 * after an error. */
int ew_alert_parse(struct ew_alert_parsed *p, const char *json, size_t len, struct ew_err *err);
void ew_alert_parsed_free(struct ew_alert_parsed *p);

#endif
