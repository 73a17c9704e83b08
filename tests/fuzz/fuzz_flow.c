/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_flow - libFuzzer target for what `analyze` and `learn --kafka` read from the flows
 * topic: flow-record JSON parsed back (ew_json, flow_parse), then written again by
 * fmt_flow. Anything may be on a topic; nothing may crash. */
#include <stdint.h>

#include "alerting/flow_parse.h"
#include "alerting/fmt_flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ew_flow_parsed p;
	static char line[16384];
	struct ew_err err;

	if (ew_flow_parse(&p, (const char *)data, size, &err) == EW_OK) {
		struct ew_alert a = { 0 };
		struct ew_buf b;

		a.app = p.app;
		a.port_app = p.port_app;
		a.observer_name = p.observer;
		a.observer_type = p.observer_type;
		a.rule = p.rule[0] ? p.rule : NULL;
		a.nsrc_groups = p.nsrc_groups;
		a.ndst_groups = p.ndst_groups;
		for (uint32_t i = 0; i < p.nsrc_groups; i++)
			a.src_groups[i] = p.src_groups[i];
		for (uint32_t i = 0; i < p.ndst_groups; i++)
			a.dst_groups[i] = p.dst_groups[i];
		ew_buf_init(&b, line, sizeof(line));
		ew_fmt_flow(&b, &p.f, &a, p.verdict == EW_FV_ALLOW ? "allow" : "deny");
	}
	return 0;
}
