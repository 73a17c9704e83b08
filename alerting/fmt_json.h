/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_json - an alert as one line of JSON with Elastic Common Schema field names.
 *
 * Fields are nested objects as ECS documents are ({"source":{"ip":...}}), which
 * Elasticsearch, OpenSearch and most SIEM pipelines map without work. */
#ifndef EW_FMT_JSON_H
#define EW_FMT_JSON_H

#include "alerting/alert.h"
#include "core/ew_buf.h"

/* Append the alert and a newline to b. Returns 0, or -1 if b overflowed. */
int ew_fmt_json(const struct ew_alert *a, struct ew_buf *b);

#endif
