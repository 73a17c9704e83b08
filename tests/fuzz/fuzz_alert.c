/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_alert - libFuzzer target for what the alerter reads from Kafka: alert JSON parsed
 * back into an alert (alert_parse), then written in every format a sink uses (JSON, CEF,
 * RFC 5424). Anything may be on a topic; nothing may crash. */
#include <stdint.h>

#include "alerting/alert_parse.h"
#include "alerting/fmt_cef.h"
#include "alerting/fmt_json.h"
#include "alerting/fmt_syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_alert_parsed p;
	struct ew_err err;
	static char mem[65536], body[32768];

	if (ew_alert_parse(&p, (const char *)data, size, &err) == EW_OK) {
		struct ew_syslog_hdr h = { 16, "fuzz", "eastwatch@32473", 1 };
		struct ew_buf b, s;

		ew_buf_init(&b, body, sizeof(body));
		ew_fmt_json(&p.a, &b);
		ew_buf_reset(&b);
		ew_fmt_cef(&p.a, &b);
		ew_buf_init(&s, mem, sizeof(mem));
		ew_fmt_syslog(&p.a, &h, b.p, b.len, &s);
	}
	ew_alert_parsed_free(&p);
	return 0;
}
