/* SPDX-License-Identifier: Apache-2.0 */
/* alert_text - see alert_text.h. */
#include "alerting/alert_text.h"
#include "core/ew_time.h"

static void groups_text(struct ew_buf *b, const char *const *g, uint32_t n)
{
	if (n == 0)
		return;
	ew_buf_puts(b, " [");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			ew_buf_putc(b, ',');
		ew_buf_puts(b, g[i]);
	}
	ew_buf_putc(b, ']');
}

/* "tcp/22", "icmp", "47": the service as a person reads it. */
static void service_text(struct ew_buf *b, const struct ew_alert *a)
{
	char tb[8];

	ew_buf_puts(b, ew_transport_name(a->proto, tb));
	if (a->proto == 6 || a->proto == 17 || a->proto == 132) {
		ew_buf_putc(b, '/');
		ew_buf_u64(b, a->dport);
	}
}

/* "ADDR [groups]" of the source or the destination. */
static void end_text(struct ew_buf *b, const struct ew_addr *ip, const char *const *g,
		     uint32_t n)
{
	char s[EW_ADDR_STRLEN];

	ew_buf_puts(b, ew_addr_format(ip, s));
	groups_text(b, g, n);
}

void ew_alert_text_violation(struct ew_buf *b, const struct ew_alert *a, int attempted,
			     int differ)
{
	end_text(b, &a->src, a->src_groups, a->nsrc_groups);
	/* "opened" once the responder answered; a TCP attempt nobody accepted "tried". */
	ew_buf_puts(b, attempted ? " tried to open " : " opened ");
	if (differ) {
		service_text(b, a);
	} else if (a->app_source == EW_APP_DPI || a->app_source == EW_APP_EXPORTER) {
		ew_buf_puts(b, a->app);
		ew_buf_puts(b, " (");
		service_text(b, a);
		ew_buf_putc(b, ')');
	} else {
		service_text(b, a);
		if (a->app_source == EW_APP_PORT) {
			ew_buf_puts(b, " (");
			ew_buf_puts(b, a->app);
			ew_buf_puts(b, " by its port)");
		}
	}
	ew_buf_puts(b, " to ");
	end_text(b, &a->dst, a->dst_groups, a->ndst_groups);
	if (differ) {
		ew_buf_puts(b, a->app_source == EW_APP_DPI ? " (DPI names it " :
				 " (the exporter names it ");
		ew_buf_puts(b, a->app);
		ew_buf_puts(b, " on ");
		ew_buf_puts(b, a->port_app);
		ew_buf_puts(b, "'s port ");
		service_text(b, a);
		ew_buf_putc(b, ')');
	}
	if (a->rule_file) {
		ew_buf_puts(b, ", which deny rule ");
		ew_buf_puts(b, a->rule);
		ew_buf_puts(b, " forbids (");
		ew_buf_puts(b, a->rule_file);
		ew_buf_putc(b, ':');
		ew_buf_u64(b, a->rule_line);
		ew_buf_putc(b, ')');
	} else {
		ew_buf_puts(b, ", which nothing permits (default deny)");
	}
	if (a->outcome == EW_OUTCOME_REJECTED)
		ew_buf_puts(b, "; the cloud already blocked it (REJECT in its flow log)");
	else if (a->outcome == EW_OUTCOME_ACCEPTED)
		ew_buf_puts(b, "; it got through (ACCEPT in its flow log)");
}

void ew_alert_text_risk(struct ew_buf *b, const struct ew_alert *a)
{
	end_text(b, &a->src, a->src_groups, a->nsrc_groups);
	ew_buf_puts(b, " -> ");
	end_text(b, &a->dst, a->dst_groups, a->ndst_groups);
	ew_buf_puts(b, " ");
	ew_buf_puts(b, a->app);
	ew_buf_puts(b, " (");
	service_text(b, a);
	ew_buf_puts(b, "): nDPI flags ");
	for (uint32_t i = 0; i < a->nrisks; i++) {
		if (i)
			ew_buf_puts(b, i + 1 == a->nrisks ? " and " : ", ");
		ew_buf_puts(b, a->risks[i]);
	}
}

void ew_alert_text_edge(struct ew_buf *b, const struct ew_alert *a, const char *src_end,
			const char *dst_end, uint64_t learn_start_us)
{
	char s1[EW_ADDR_STRLEN], s2[EW_ADDR_STRLEN], tb[8], ts[32];
	int ported = a->proto == 6 || a->proto == 17 || a->proto == 132;

	ew_buf_printf(b, "new edge %s -> %s %s", src_end, dst_end, ew_transport_name(a->proto, tb));
	if (ported && a->dport)
		ew_buf_printf(b, "/%u", a->dport);
	ew_buf_printf(b, " (%s from %s to %s), allowed but never seen since the baseline began "
		      "(%s)", a->app, ew_addr_format(&a->src, s1), ew_addr_format(&a->dst, s2),
		      ew_time_rfc3339(learn_start_us, ts));
}

void ew_alert_text_scan(struct ew_buf *b, const struct ew_alert *a)
{
	const struct ew_alert_scan *sc = a->scan;
	char s2[EW_ADDR_STRLEN], tb[8];
	int repeated = 0, vertical = 0;

	for (uint32_t i = 0; i < sc->nkinds; i++) {
		repeated |= sc->kinds[i][0] == 'r';
		vertical |= sc->kinds[i][0] == 'v';
	}
	end_text(b, &a->src, a->src_groups, a->nsrc_groups);
	if (repeated) {
		ew_buf_printf(b, " opened %u connections to %s/%u on %s", sc->attempts,
			      ew_transport_name(6, tb), sc->repeated_port,
			      ew_addr_format(&sc->repeated_host, s2));
		groups_text(b, a->dst_groups, a->ndst_groups);
		if (sc->services)
			ew_buf_printf(b, " and probed %u service%s on %u host%s", sc->services,
				      sc->services == 1 ? "" : "s", sc->hosts,
				      sc->hosts == 1 ? "" : "s");
	} else {
		ew_buf_printf(b, " probed %u service%s on %u host%s", sc->services,
			      sc->services == 1 ? "" : "s", sc->hosts, sc->hosts == 1 ? "" : "s");
	}
	for (uint32_t i = 0; i < sc->ntargets && i < 4; i++)      /* the hosts, by name */
		ew_buf_printf(b, "%s%s", i ? ", " : " (", ew_addr_format(&sc->targets[i].ip, s2));
	if (sc->ntargets)
		ew_buf_puts(b, sc->hosts > 4 ? ", ...)" : ")");
	if (vertical) {
		ew_buf_printf(b, ", %u ports on %s", sc->max_ports,
			      ew_addr_format(&sc->vertical_host, s2));
		if (!repeated)
			groups_text(b, a->dst_groups, a->ndst_groups);
	}
	ew_buf_printf(b, " in %.1f s (", (double)sc->duration_us / 1e6);
	for (uint32_t i = 0; i < sc->nkinds; i++)
		ew_buf_printf(b, "%s%s", i ? ", " : "", sc->kinds[i]);
	ew_buf_printf(b, " scan): %u probes failed, %u denied by the policy", sc->failed,
		      sc->denied);
	if (sc->folded)
		ew_buf_printf(b, "; %u policy alert%s folded into this one", sc->folded,
			      sc->folded == 1 ? "" : "s");
}
