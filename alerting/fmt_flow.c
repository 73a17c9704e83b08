/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_flow - see fmt_flow.h. */
#include "alerting/fmt_flow.h"
#include "core/ew_addr.h"
#include "core/ew_time.h"

void ew_fmt_flow(struct ew_buf *b, const struct ew_flow *f, const char *app,
		 const char *verdict)
{
	static const char *const ends[] = { "none", "idle", "active", "fin", "rst", "evicted",
					    "shutdown" };
	char s1[EW_ADDR_STRLEN], s2[EW_ADDR_STRLEN], t1[32], t2[32], tb[8];

	ew_buf_printf(b, "{\"@timestamp\":\"%s\",\"event\":{\"kind\":\"event\",\"action\":\"flow\","
		      "\"start\":\"%s\",\"end\":\"%s\"},",
		      ew_time_rfc3339(f->first_us, t1), t1, ew_time_rfc3339(f->last_us, t2));
	ew_buf_printf(b, "\"source\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%u,\"bytes\":%llu},",
		      ew_addr_format(&f->src, s1), f->sport, f->pkts[0],
		      (unsigned long long)f->bytes[0]);
	ew_buf_printf(b, "\"destination\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%u,\"bytes\":%llu},",
		      ew_addr_format(&f->dst, s2), f->dport, f->pkts[1],
		      (unsigned long long)f->bytes[1]);
	ew_buf_printf(b, "\"network\":{\"transport\":\"%s\",\"iana_number\":\"%u\"},",
		      ew_transport_name(f->proto, tb), f->proto);
	ew_buf_printf(b, "\"eastwatch\":{\"app\":\"%s\",\"app_source\":\"%s\",\"verdict\":\"%s\","
		      "\"end_reason\":\"%s\",\"risk\":%llu}}\n",
		      app, ew_app_source_name(f->app_source), verdict,
		      f->end_reason < 7 ? ends[f->end_reason] : "none",
		      (unsigned long long)f->risk);
}
