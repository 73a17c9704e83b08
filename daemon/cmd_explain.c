/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_explain - eastwatch explain: which rule decides a flow from SRC to DST on a
 * service, and why (the groups of each end, the other rules that match). */
#include "daemon/cmd.h"
#include "core/ew_log.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_service_arg(const char *s, struct ew_flow *f)
{
	static const struct { const char *n; uint8_t p; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 }, { "ipv6-icmp", 58 },
		{ "icmpv6", 58 },
	};
	char proto[32];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int found = 0;

	if (n == 0 || n >= sizeof(proto))
		return -1;
	memcpy(proto, s, n);
	proto[n] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(proto, names[i].n) == 0) {
			f->proto = names[i].p;
			found = 1;
		}
	if (!found) {
		char *end;
		unsigned long v = strtoul(proto, &end, 10);

		if (*end || v > 255 || proto[0] < '0' || proto[0] > '9')
			return -1;
		f->proto = (uint8_t)v;
	}
	if (slash) {
		char *end;
		unsigned long v = strtoul(slash + 1, &end, 10);

		if (*end || v > 65535 || slash[1] < '0' || slash[1] > '9')
			return -1;
		f->dport = (uint16_t)v;
	}
	if (f->proto == 1)
		f->sport = 8;         /* echo request, as a ping flow */
	else if (f->proto == 58)
		f->sport = 128;
	else
		f->sport = 49152;
	return 0;
}

static void print_groups(const struct ew_policy *pol, const char *label, uint32_t set)
{
	uint32_t n, shown = 0;
	const uint32_t *g = ew_policy_set(pol, set, &n);

	printf("  %s:", label);
	for (uint32_t i = 0; i < n; i++) {
		const struct ew_group *gr = ew_policy_group(pol, g[i]);

		if (gr->inline_members)
			continue;
		printf(" %s (%s:%u)", gr->name, gr->file, gr->line);
		shown++;
	}
	printf("%s\n", shown ? "" : " (none)");
}

static int explain(struct ew_ctx *c, int argc, char **argv)
{
	struct ew_flow f;
	struct ew_verdict v;
	const struct ew_rule *m[64];
	char app[64], tb[8];
	uint32_t nm;

	memset(&f, 0, sizeof(f));
	if (ew_addr_parse(&f.src, argv[optind]) || ew_addr_parse(&f.dst, argv[optind + 1])) {
		ew_fatal("eastwatch explain: SRC and DST must be IP addresses\n");
		return EW_EXIT_USAGE;
	}
	if (parse_service_arg(argv[optind + 2], &f) != 0) {
		ew_fatal("eastwatch explain: bad service \"%s\": expected tcp/PORT, "
			"udp/PORT, icmp, ipv6-icmp or a protocol number\n", argv[optind + 2]);
		return EW_EXIT_USAGE;
	}
	if (argc - optind == 4) {
		int id = ew_classify_lookup(c->cls, argv[optind + 3]);

		if (id <= 0) {
			ew_fatal("eastwatch explain: unknown application \"%s\" (use nDPI's "
				"names, e.g. TLS, SSH)\n", argv[optind + 3]);
			return EW_EXIT_USAGE;
		}
		f.app_proto = (uint16_t)id;
		f.app_source = EW_APP_DPI;
	} else {
		ew_classify_guess(c->cls, &f);
	}
	ew_classify_port_apps(c->cls, &f);
	ew_policy_verdict(c->pol, &f, &v);
	ew_classify_flow_name(c->cls, &f, app, sizeof(app));
	printf("%s %s -> %s %s", v.action == EW_DENY ? "DENY" : "ALLOW", argv[optind],
	       argv[optind + 1], ew_transport_name(f.proto, tb));
	if (f.proto == 6 || f.proto == 17 || f.proto == 132)
		printf("/%u", f.dport);
	if (f.app_source == EW_APP_DPI)
		printf(" app %s (as observed)", app);
	else if (f.app_source == EW_APP_PORT)
		printf(" app %s (port guess: allow rules' apps are waived)", app);
	else
		printf(" (application unknown: allow rules' apps are waived)");
	for (int k = 0; k < 3 && f.port_app[k]; k++)   /* deny rules' apps also hold on these */
		printf("%s%s", k ? ", " : "; the port's: ", ew_classify_name(c->cls, f.port_app[k]));
	printf("\n");
	switch (v.by) {
	case EW_BY_DENY_RULE:
		printf("  decided by deny rule \"%s\" at %s:%u, severity %s\n", v.rule->name,
		       v.rule->file, v.rule->line, ew_severity_name(v.severity));
		break;
	case EW_BY_ALLOW_RULE:
		printf("  allowed by rule \"%s\" at %s:%u\n", v.rule->name, v.rule->file,
		       v.rule->line);
		break;
	case EW_BY_INTRA:
		printf("  allowed: both ends are in group \"%s\" (intra: allow, %s:%u)\n",
		       ew_policy_group(c->pol, v.intra_group)->name,
		       ew_policy_group(c->pol, v.intra_group)->file,
		       ew_policy_group(c->pol, v.intra_group)->line);
		break;
	default: {
		struct ew_policy_info pi;

		ew_policy_info(c->pol, &pi);
		printf("  no rule matches: the default action decides (%s%s%s, %s:%u)\n",
		       v.action == EW_DENY ? "deny" : "allow", v.action == EW_DENY ? ", severity " : "",
		       v.action == EW_DENY ? ew_severity_name(v.severity) : "", pi.default_file,
		       pi.default_line);
	}
	}
	print_groups(c->pol, "source groups", v.src_set);
	print_groups(c->pol, "destination groups", v.dst_set);
	nm = ew_policy_matches(c->pol, &f, m, 64);
	for (uint32_t i = 0; i < nm && i < 64; i++) {
		if (m[i] == v.rule)
			continue;
		printf("  also matches %s rule \"%s\" at %s:%u%s\n",
		       m[i]->action == EW_DENY ? "deny" : "allow", m[i]->name, m[i]->file,
		       m[i]->line,
		       m[i]->action == EW_ALLOW && v.action == EW_DENY ? " (a deny rule overrides it)" : "");
	}
	return 0;
}


static const struct ew_cli_opt opts[] = {
	{ 'r', "policy directory" },
	{ 'c', "eastwatch.yaml" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_explain = {
	.name = "explain",
	.summary = "say which rule decides a flow, and why",
	.synopsis = "[--rules DIR] [--config FILE] SRC DST PROTO[/PORT] [APP]",
	.about = "Say which rule decides a flow from SRC to DST on PROTO/PORT (tcp/22, udp/53, icmp)\n"
		 "and why. APP is the application as nDPI names it (SSH, TLS); without it the flow is\n"
		 "judged as flow telemetry would be: with nDPI's guess from the port.\n",
	.opts = opts,
	.min_operands = 3,
	.max_operands = 4,
	.startup = 2,
	.main = explain,
};
