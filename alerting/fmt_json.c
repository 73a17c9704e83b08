/* SPDX-License-Identifier: Apache-2.0 */
/* fmt_json - see fmt_json.h. */
#include "alerting/fmt_json.h"
#include "core/ew_cid.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"

#include <stdio.h>
#include <string.h>

/* A literal: its length is known when compiled. */
#define LIT(b, s) ew_buf_put((b), (s), sizeof(s) - 1)

static inline void key(struct ew_buf *b, const char *k)
{
	ew_buf_putc(b, '"');
	ew_buf_puts(b, k);
	ew_buf_put(b, "\":", 2);
}

/* A string this program made (a time, an address, a name from a fixed list, hex): no
 * byte of it needs an escape. */
static inline void quoted(struct ew_buf *b, const char *v)
{
	ew_buf_putc(b, '"');
	ew_buf_puts(b, v);
	ew_buf_putc(b, '"');
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

/* The same, n bytes long (a constant n is copied inline). */
static inline void quoted_n(struct ew_buf *b, const char *v, size_t n)
{
	if (n + 3 < b->cap - b->len) {
		char *d = b->p + b->len;

		d[0] = '"';
		memcpy(d + 1, v, n);
		d[n + 1] = '"';
		d[n + 2] = '\0';
		b->len += n + 2;
		return;
	}
	ew_buf_putc(b, '"');
	ew_buf_put(b, v, n);
	ew_buf_putc(b, '"');
}

/* An address in quotes, formatted in place when it fits. */
static void quoted_addr(struct ew_buf *b, const struct ew_addr *ip)
{
	char s[EW_ADDR_STRLEN];

	if (EW_ADDR_STRLEN + 3 < b->cap - b->len) {
		char *d = b->p + b->len;
		size_t n = ew_addr_format_n(ip, d + 1);

		d[0] = '"';
		d[n + 1] = '"';
		d[n + 2] = '\0';
		b->len += n + 2;
		return;
	}
	quoted_n(b, s, ew_addr_format_n(ip, s));
}

/* {"ip":"...","port":N,"packets":N,"bytes":N} */
static void endpoint(struct ew_buf *b, const struct ew_addr *ip, uint16_t port, uint64_t pkts,
		     uint64_t bytes)
{
	LIT(b, "{\"ip\":");
	quoted_addr(b, ip);
	LIT(b, ",\"port\":");
	ew_buf_u64(b, port);
	LIT(b, ",\"packets\":");
	ew_buf_u64(b, pkts);
	LIT(b, ",\"bytes\":");
	ew_buf_u64(b, bytes);
	ew_buf_putc(b, '}');
}

/* ECS network.application: nDPI's application, lower case, the part after the dot of a
 * "master.application" name ("TLS.Google": "google"); nothing for none. */
static void application(struct ew_buf *b, const char *app)
{
	const char *dot = app ? strchr(app, '.') : NULL, *s = dot ? dot + 1 : app;
	char low[64];
	size_t n = 0;

	if (s == NULL || *s == '\0' || strcmp(s, "Unknown") == 0)
		return;
	for (; s[n] && n + 1 < sizeof(low); n++)
		low[n] = (char)(s[n] >= 'A' && s[n] <= 'Z' ? s[n] + 32 : s[n]);
	low[n] = '\0';
	LIT(b, ",\"application\":");
	ew_buf_json_str(b, low);
}

/* "network":{...}: a flow's transport and application, direction, totals, Community ID
 * and VLAN (the addresses' family and protocol number too). */
void ew_fmt_json_network(struct ew_buf *b, const struct ew_fmt_network *n)
{
	char tb[8], cid[EW_CID_LEN + 1];

	LIT(b, "\"network\":{\"transport\":");
	quoted(b, ew_transport_name(n->proto, tb));
	LIT(b, ",\"protocol\":");
	ew_buf_json_str(b, n->app_ecs ? n->app_ecs : "unknown");
	if (n->flow) {
		application(b, n->app);
		LIT(b, ",\"type\":");
		if (ew_addr_is_v4(n->src))
			LIT(b, "\"ipv4\"");
		else
			LIT(b, "\"ipv6\"");
	}
	LIT(b, ",\"iana_number\":\"");
	ew_buf_u64(b, n->proto);
	ew_buf_putc(b, '"');
	if (n->flow) {
		LIT(b, ",\"direction\":");
		quoted(b, n->direction);
		LIT(b, ",\"bytes\":");
		ew_buf_u64(b, n->bytes);
		LIT(b, ",\"packets\":");
		ew_buf_u64(b, n->pkts);
		LIT(b, ",\"community_id\":");
		quoted_n(b, ew_cid(n->src, n->dst, n->sport, n->dport, n->proto, 0, cid), EW_CID_LEN);
	}
	if (n->vlan) {   /* a keyword in ECS */
		LIT(b, ",\"vlan\":{\"id\":\"");
		ew_buf_u64(b, n->vlan);
		LIT(b, "\"}");
	}
	ew_buf_putc(b, '}');
}

/* "related":{"ip":[...]}: the addresses, each once. */
void ew_fmt_json_related(struct ew_buf *b, const struct ew_addr *x, const struct ew_addr *y)
{
	LIT(b, "\"related\":{\"ip\":[");
	if (x)
		quoted_addr(b, x);
	if (y && !(x && ew_addr_eq(x, y))) {
		if (x)
			ew_buf_putc(b, ',');
		quoted_addr(b, y);
	}
	LIT(b, "]}");
}

/* "observer":{...} */
void ew_fmt_json_observer(struct ew_buf *b, const char *name, const char *type)
{
	LIT(b, "\"observer\":{\"name\":");
	ew_buf_json_str(b, name ? name : "");
	LIT(b, ",\"type\":");
	quoted(b, type ? type : "unknown");
	LIT(b, ",\"vendor\":\"eastwatch\",\"product\":\"eastwatch\",\"version\":\"" EW_VERSION "\"}");
}

int ew_fmt_json(const struct ew_alert *a, struct ew_buf *b)
{
	char ts[32], id[17];
	const int has_src = !a->self || !ew_addr_is_unspecified(&a->src), has_dst = !a->self || !ew_addr_is_unspecified(&a->dst);
	const int detector = !a->self && a->action && strcmp(a->action, "policy-violation") != 0;

	/* Keys and punctuation go out as few literals as the optional parts allow; strings
	 * from configuration, the packet or the exporter are escaped, our own are not. */
	LIT(b, "{\"@timestamp\":");
	quoted_n(b, ew_time_rfc3339(a->ts_us, ts), EW_RFC3339_LEN);
	LIT(b, ",\"ecs\":{\"version\":\"" EW_ECS_VERSION "\"},\"event\":{\"kind\":\"alert\",\"id\":");
	quoted_n(b, ew_alert_id_str(a->alert_id, id), 16);
	LIT(b, ",\"action\":");
	ew_buf_json_str(b, a->action ? a->action : "");
	if (a->self)
		LIT(b, ",\"category\":[\"network\"],\"type\":[\"info\"],\"severity\":");
	else if (detector)
		LIT(b, ",\"category\":[\"network\",\"intrusion_detection\"],"
		       "\"type\":[\"connection\",\"info\"],\"severity\":");
	else
		LIT(b, ",\"category\":[\"network\"],\"type\":[\"connection\"],\"severity\":");
	ew_buf_u64(b, (uint64_t)ew_severity_score(a->severity));
	if (a->outcome == EW_OUTCOME_REJECTED)
		LIT(b, ",\"outcome\":\"failure\"");
	else if (a->outcome == EW_OUTCOME_ACCEPTED)
		LIT(b, ",\"outcome\":\"success\"");
	LIT(b, ",\"dataset\":\"eastwatch.alert\"},\"rule\":{\"name\":");
	ew_buf_json_str(b, a->rule ? a->rule : "");
	LIT(b, "},\"message\":");
	ew_buf_json_str(b, a->message ? a->message : "");
	if (has_src) {
		LIT(b, ",\"source\":");
		endpoint(b, &a->src, a->sport, a->pkts[0], a->bytes[0]);
	}
	if (has_dst) {
		LIT(b, ",\"destination\":");
		endpoint(b, &a->dst, a->dport, a->pkts[1], a->bytes[1]);
	}
	if (a->proto) {
		struct ew_fmt_network n = {
			.src = &a->src, .dst = &a->dst, .sport = a->sport, .dport = a->dport,
			.proto = a->proto, .vlan = a->vlan, .app = a->app, .app_ecs = a->app_ecs,
			.flow = !a->self,
			.direction = ew_alert_direction_of(a),
			.bytes = a->bytes[0] + a->bytes[1], .pkts = a->pkts[0] + a->pkts[1],
		};

		ew_buf_putc(b, ',');
		ew_fmt_json_network(b, &n);
	}
	if (has_src || has_dst) {
		ew_buf_putc(b, ',');
		ew_fmt_json_related(b, has_src ? &a->src : NULL, has_dst ? &a->dst : NULL);
	}
	ew_buf_putc(b, ',');
	ew_fmt_json_observer(b, a->observer_name, a->observer_type);
	LIT(b, ",\"eastwatch\":{\"severity\":");
	quoted(b, ew_severity_name(a->severity));
	LIT(b, ",\"app_source\":");
	quoted(b, ew_app_source_name(a->app_source));
	LIT(b, ",\"app\":");
	ew_buf_json_str(b, a->app ? a->app : "");
	LIT(b, ",\"port_app\":");
	ew_buf_json_str(b, a->port_app ? a->port_app : "unknown");
	ew_buf_putc(b, ',');
	str_array(b, "source_groups", a->src_groups, a->nsrc_groups);
	ew_buf_putc(b, ',');
	str_array(b, "destination_groups", a->dst_groups, a->ndst_groups);
	LIT(b, ",\"repeats\":");
	ew_buf_u64(b, a->repeats);
	LIT(b, ",\"alert_id\":");
	quoted_n(b, id, 16);
	if (a->self)
		LIT(b, ",\"self\":true");
	LIT(b, ",\"decided_by\":");
	ew_buf_json_str(b, a->decided_by ? a->decided_by : "");
	if (a->rule_file) {
		LIT(b, ",\"rule_file\":");
		ew_buf_json_str(b, a->rule_file);   /* then ":LINE" inside the quotes */
		if (!ew_buf_overflow(b)) {          /* so the last byte is that quote */
			b->len--;
			ew_buf_putc(b, ':');
			ew_buf_u64(b, a->rule_line);
			ew_buf_putc(b, '"');
		}
	}
	if (a->nrisks) {
		ew_buf_putc(b, ',');
		str_array(b, "risks", a->risks, a->nrisks);
	}
	if (a->nnotify) {
		ew_buf_putc(b, ',');
		str_array(b, "notify", (const char *const *)a->notify, a->nnotify);
	}
	if (a->nsensors) {
		ew_buf_putc(b, ',');
		str_array(b, "sensors", (const char *const *)a->sensors, a->nsensors);
	}
	if (a->scan) {
		const struct ew_alert_scan *sc = a->scan;

		const struct { const char *k; uint64_t v; } counts[] = {
			{ "hosts", sc->hosts }, { "services", sc->services },
			{ "max_ports_per_host", sc->max_ports }, { "attempts", sc->attempts },
			{ "probes", sc->probes }, { "failed", sc->failed }, { "denied", sc->denied },
			{ "folded", sc->folded }, { "duration_ms", sc->duration_ms },
		};

		LIT(b, ",\"scan\":{");
		str_array(b, "kind", sc->kinds, sc->nkinds);
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			ew_buf_putc(b, ',');
			key(b, counts[i].k);
			ew_buf_u64(b, counts[i].v);
		}
		LIT(b, ",\"ports\":[");
		for (uint32_t i = 0; i < sc->nports; i++) {
			if (i)
				ew_buf_putc(b, ',');
			ew_buf_u64(b, sc->ports[i]);
		}
		LIT(b, "],\"targets\":[");
		for (uint32_t i = 0; i < sc->ntargets && i < 16; i++) {
			if (i)
				ew_buf_putc(b, ',');
			LIT(b, "{\"ip\":");
			quoted_addr(b, &sc->targets[i].ip);
			LIT(b, ",\"services\":");
			ew_buf_u64(b, sc->targets[i].services);
			LIT(b, ",\"folded\":");
			ew_buf_u64(b, sc->targets[i].folded);
			ew_buf_putc(b, '}');
		}
		LIT(b, "]}");
	}
	LIT(b, ",\"flow_start\":");
	quoted_n(b, ew_time_rfc3339(a->flow_start_us, ts), EW_RFC3339_LEN);
	LIT(b, "}}\n");
	return ew_buf_overflow(b) ? -1 : 0;
}
