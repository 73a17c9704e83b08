/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_flow - see fmt_flow.h. */
#include "alerting/fmt_flow.h"
#include "alerting/fmt_json.h"
#include "core/ew_addr.h"
#include "core/ew_time.h"

static void groups(struct ew_buf *b, const char *k, const char *const *v, uint32_t n)
{
	ew_buf_printf(b, ",\"%s\":[", k);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			ew_buf_putc(b, ',');
		ew_buf_json_str(b, v[i]);
	}
	ew_buf_putc(b, ']');
}

void ew_fmt_flow(struct ew_buf *b, const struct ew_flow *f, const struct ew_alert *a,
		 const char *verdict)
{
	char s1[EW_ADDR_STRLEN], s2[EW_ADDR_STRLEN], t1[32], t2[32];
	struct ew_fmt_network n = {
		.src = &f->src, .dst = &f->dst, .sport = f->sport, .dport = f->dport,
		.proto = f->proto, .flow = 1, .vlan = f->vlan, .app = a->app,
		.app_ecs = a->app_ecs,
		.direction = ew_alert_direction_of(a),
		.bytes = f->bytes[0] + f->bytes[1], .pkts = (uint64_t)f->pkts[0] + f->pkts[1],
	};

	ew_buf_printf(b, "{\"@timestamp\":\"%s\",\"ecs\":{\"version\":\"" EW_ECS_VERSION "\"},"
		      "\"event\":{\"kind\":\"event\",\"category\":[\"network\"],"
		      "\"type\":[\"connection\",\"end\"],\"action\":\"flow\",\"dataset\":\"eastwatch.flow\","
		      "\"start\":\"%s\",\"end\":\"%s\",\"duration\":%llu%s},",
		      ew_time_rfc3339(f->last_us, t2), ew_time_rfc3339(f->first_us, t1), t2,
		      (unsigned long long)(f->last_us > f->first_us ? f->last_us - f->first_us : 0) *
			      1000ULL,
		      f->outcome == EW_OUTCOME_REJECTED ? ",\"outcome\":\"failure\"" :
		      f->outcome == EW_OUTCOME_ACCEPTED ? ",\"outcome\":\"success\"" : "");
	ew_buf_printf(b, "\"source\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%u,\"bytes\":%llu},",
		      ew_addr_format(&f->src, s1), f->sport, f->pkts[0],
		      (unsigned long long)f->bytes[0]);
	ew_buf_printf(b, "\"destination\":{\"ip\":\"%s\",\"port\":%u,\"packets\":%u,\"bytes\":%llu},",
		      ew_addr_format(&f->dst, s2), f->dport, f->pkts[1],
		      (unsigned long long)f->bytes[1]);
	ew_fmt_json_network(b, &n);
	ew_buf_putc(b, ',');
	ew_fmt_json_related(b, &f->src, &f->dst);
	ew_buf_putc(b, ',');
	ew_fmt_json_observer(b, a->observer_name, a->observer_type);
	if (a->rule) {
		ew_buf_puts(b, ",\"rule\":{\"name\":");
		ew_buf_json_str(b, a->rule);
		ew_buf_putc(b, '}');
	}
	ew_buf_puts(b, ",\"eastwatch\":{\"app\":");
	ew_buf_json_str(b, a->app ? a->app : "Unknown");
	ew_buf_printf(b, ",\"app_source\":\"%s\",\"port_app\":", ew_app_source_name(f->app_source));
	ew_buf_json_str(b, a->port_app ? a->port_app : "unknown");
	ew_buf_printf(b, ",\"verdict\":\"%s\"", verdict);
	if (a->decided_by)
		ew_buf_printf(b, ",\"decided_by\":\"%s\"", a->decided_by);
	groups(b, "source_groups", a->src_groups, a->nsrc_groups);
	groups(b, "destination_groups", a->dst_groups, a->ndst_groups);
	ew_buf_printf(b, ",\"end_reason\":\"%s\",\"risk\":%llu,\"tcp_flags\":[%u,%u]}}\n",
		      ew_flow_end_name(f->end_reason), (unsigned long long)f->risk,
		      f->tcp_flags[0], f->tcp_flags[1]);
}
