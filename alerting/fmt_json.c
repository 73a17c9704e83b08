/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_json - see fmt_json.h. */
#include "alerting/fmt_json.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"

#include <stdio.h>

static inline void key(struct ew_buf *b, const char *k)
{
	ew_buf_putc(b, '"');
	ew_buf_puts(b, k);
	ew_buf_put(b, "\":", 2);
}

static inline void kv_str(struct ew_buf *b, const char *k, const char *v)
{
	key(b, k);
	ew_buf_json_str(b, v ? v : "");
}

static inline void kv_u64(struct ew_buf *b, const char *k, uint64_t v)
{
	key(b, k);
	ew_buf_u64(b, v);
}

static void str_array(struct ew_buf *b, const char *k, const char *const *v, uint32_t n)
{
	key(b, k);
	ew_buf_putc(b, '[');
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			ew_buf_putc(b, ',');
		ew_buf_json_str(b, v[i]);
	}
	ew_buf_putc(b, ']');
}

static void endpoint(struct ew_buf *b, const char *k, const struct ew_addr *ip, uint16_t port,
		     uint64_t pkts, uint64_t bytes)
{
	char s[EW_ADDR_STRLEN];

	key(b, k);
	ew_buf_putc(b, '{');
	kv_str(b, "ip", ew_addr_format(ip, s));
	ew_buf_putc(b, ',');
	kv_u64(b, "port", port);
	ew_buf_putc(b, ',');
	kv_u64(b, "packets", pkts);
	ew_buf_putc(b, ',');
	kv_u64(b, "bytes", bytes);
	ew_buf_putc(b, '}');
}

int ew_fmt_json(const struct ew_alert *a, struct ew_buf *b)
{
	char ts[32], tb[8], id[17];

	ew_buf_putc(b, '{');
	kv_str(b, "@timestamp", ew_time_rfc3339(a->ts_us, ts));
	ew_buf_puts(b, ",\"event\":{\"kind\":\"alert\",");
	kv_str(b, "action", a->action);
	ew_buf_puts(b, ",\"category\":[\"network\"],\"type\":[\"connection\"],");
	kv_u64(b, "severity", (uint64_t)ew_severity_score(a->severity));
	ew_buf_puts(b, ",\"dataset\":\"eastwatch.alert\"},");
	key(b, "rule");
	ew_buf_putc(b, '{');
	kv_str(b, "name", a->rule);
	ew_buf_puts(b, "},");
	kv_str(b, "message", a->message);
	ew_buf_putc(b, ',');
	endpoint(b, "source", &a->src, a->sport, a->pkts[0], a->bytes[0]);
	ew_buf_putc(b, ',');
	endpoint(b, "destination", &a->dst, a->dport, a->pkts[1], a->bytes[1]);
	ew_buf_puts(b, ",\"network\":{");
	kv_str(b, "transport", ew_transport_name(a->proto, tb));
	ew_buf_putc(b, ',');
	kv_str(b, "protocol", a->app_ecs);
	ew_buf_putc(b, ',');
	kv_str(b, "type", ew_addr_is_v4(&a->src) ? "ipv4" : "ipv6");
	ew_buf_putc(b, ',');
	key(b, "iana_number");
	ew_buf_putc(b, '"');
	ew_buf_u64(b, a->proto);
	ew_buf_putc(b, '"');
	if (a->vlan) {
		ew_buf_puts(b, ",\"vlan\":{");
		kv_u64(b, "id", a->vlan);
		ew_buf_putc(b, '}');
	}
	ew_buf_puts(b, "},\"observer\":{");
	kv_str(b, "name", a->observer_name);
	ew_buf_putc(b, ',');
	kv_str(b, "type", ew_source_kind_name(a->observer_type));
	ew_buf_puts(b, "},\"eastwatch\":{");
	kv_str(b, "severity", ew_severity_name(a->severity));
	ew_buf_putc(b, ',');
	kv_str(b, "app_source", ew_app_source_name(a->app_source));
	ew_buf_putc(b, ',');
	kv_str(b, "app", a->app);
	ew_buf_putc(b, ',');
	str_array(b, "source_groups", a->src_groups, a->nsrc_groups);
	ew_buf_putc(b, ',');
	str_array(b, "destination_groups", a->dst_groups, a->ndst_groups);
	ew_buf_putc(b, ',');
	kv_u64(b, "repeats", a->repeats);
	ew_buf_putc(b, ',');
	kv_str(b, "alert_id", ew_alert_id_str(a->alert_id, id));
	ew_buf_putc(b, ',');
	kv_str(b, "decided_by", a->decided_by);
	if (a->rule_file) {
		ew_buf_putc(b, ',');
		key(b, "rule_file");
		ew_buf_json_str(b, a->rule_file);   /* then ":LINE" inside the quotes */
		b->len--;
		ew_buf_putc(b, ':');
		ew_buf_u64(b, a->rule_line);
		ew_buf_putc(b, '"');
	}
	if (a->nrisks) {
		ew_buf_putc(b, ',');
		str_array(b, "risks", a->risks, a->nrisks);
	}
	if (a->nnotify) {
		ew_buf_putc(b, ',');
		str_array(b, "notify", (const char *const *)a->notify, a->nnotify);
	}
	if (a->scan) {
		const struct ew_alert_scan *sc = a->scan;

		ew_buf_puts(b, ",\"scan\":{");
		str_array(b, "kind", sc->kinds, sc->nkinds);
		ew_buf_putc(b, ',');
		kv_u64(b, "hosts", sc->hosts);
		ew_buf_putc(b, ',');
		kv_u64(b, "services", sc->services);
		ew_buf_putc(b, ',');
		kv_u64(b, "max_ports_per_host", sc->max_ports);
		ew_buf_putc(b, ',');
		kv_u64(b, "attempts", sc->attempts);
		ew_buf_putc(b, ',');
		kv_u64(b, "probes", sc->probes);
		ew_buf_putc(b, ',');
		kv_u64(b, "failed", sc->failed);
		ew_buf_putc(b, ',');
		kv_u64(b, "denied", sc->denied);
		ew_buf_putc(b, ',');
		kv_u64(b, "folded", sc->folded);
		ew_buf_putc(b, ',');
		kv_u64(b, "duration_ms", sc->duration_ms);
		ew_buf_puts(b, ",\"ports\":[");
		for (uint32_t i = 0; i < sc->nports; i++) {
			if (i)
				ew_buf_putc(b, ',');
			ew_buf_u64(b, sc->ports[i]);
		}
		ew_buf_puts(b, "]}");
	}
	ew_buf_putc(b, ',');
	kv_str(b, "flow_start", ew_time_rfc3339(a->flow_start_us, ts));
	ew_buf_puts(b, "}}\n");
	return ew_buf_overflow(b) ? -1 : 0;
}
