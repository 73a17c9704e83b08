/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_check - eastwatch check: the policy and the configuration validated without
 * starting anything; errors at FILE:LINE:COL (exit 1), else one summary line. */
#include "daemon/cmd.h"
#include "core/ew_log.h"

static int check(struct ew_ctx *c, int argc, char **argv)
{
	struct ew_policy_info pi;
	struct ew_err err;
	size_t n = ew_conf_len(c->cfg.sinks);

	(void)argc;
	(void)argv;
	/* Sinks are validated by parsing them as the daemon would (secret files are read
	 * and checked; nothing is connected or created). */
	if ((c->sinks = ew_sinkset_new(c->cfg.pc.sensor, c->cfg.spool_dir)) == NULL)
		return EW_EXIT_RUNTIME;
	ew_sinkset_validate_only(c->sinks);
	for (size_t i = 0; i < n; i++)
		if (ew_sinkset_add(c->sinks, ew_conf_at(c->cfg.sinks, i), NULL, &err) != EW_OK) {
			ew_fatal("%s\n", err.msg);
			return EW_EXIT_INPUT;
		}
	if (ew_ctx_notify_unknown(c->pol, c->sinks, 1))
		return EW_EXIT_INPUT;
	ew_policy_info(c->pol, &pi);
	printf("ok: %u groups, %u rules (%u allow, %u deny), %u files in %s; default %s%s%s\n",
	       pi.groups, pi.rules, pi.allow_rules, pi.deny_rules, pi.files, c->rules_dir,
	       pi.default_action == EW_DENY ? "deny" : "allow",
	       pi.default_action == EW_DENY ? " " : "",
	       pi.default_action == EW_DENY ? ew_severity_name(pi.default_severity) : "");
	return 0;
}

static const struct ew_cli_opt opts[] = {
	{ 'r', "policy directory" },
	{ 'c', "eastwatch.yaml" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_check = {
	.name = "check",
	.summary = "validate the policy (rules.d) and the configuration",
	.synopsis = "[--rules DIR] [--config FILE]",
	.about = "Validate the policy and the configuration without starting anything. Errors are\n"
		 "printed as FILE:LINE:COL: message (exit 1); success prints one summary line.\n",
	.opts = opts,
	.startup = 2,
	.main = check,
};
