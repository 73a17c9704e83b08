/* SPDX-License-Identifier: Apache-2.0 */
/* main - the eastwatch command (SPEC §2): a table of commands, one file each
 * (cmd_*.c, with its option table). main picks the command, parses its options, runs
 * the shared start-up (ctx.c) and the command, and takes the context down. The only
 * file that exits. Exit codes: 0 success, 1 invalid input, 2 usage, 3 runtime failure. */
#include "daemon/cmd.h"
#include "core/ew_log.h"

#include <stdio.h>
#include <string.h>

static const struct ew_cmd *const commands[] = {
	&ew_cmd_replay, &ew_cmd_run, &ew_cmd_check, &ew_cmd_explain, &ew_cmd_alerter,
	&ew_cmd_analyze, &ew_cmd_learn, &ew_cmd_policy,
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

volatile int ew_cmd_stop;

void ew_cmd_on_stop(int sig)
{
	ew_cmd_stop = sig;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: eastwatch COMMAND [OPTIONS]\n\n"
		"Watch east-west traffic and report every flow the allowed-flow map does not "
		"permit.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\n'eastwatch COMMAND --help' describes each command's options.\n");
}

int main(int argc, char **argv)
{
	const struct ew_cmd *cmd = NULL;
	struct ew_ctx c;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return EW_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("eastwatch %s\n", EW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCOMMANDS && cmd == NULL; i++)
		if (strcmp(argv[1], commands[i]->name) == 0)
			cmd = commands[i];
	if (cmd == NULL) {
		ew_fatal("eastwatch: unknown command \"%s\"\n", argv[1]);
		fputc('\n', stderr);
		usage(stderr);
		return EW_EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	if ((rc = ew_cli_parse(cmd, argc - 1, argv + 1, &c.o)) >= 0)
		return rc;
	rc = cmd->startup ? ew_ctx_init(&c, cmd->startup == 2) : 0;
	if (rc == 0)
		rc = cmd->main(&c, argc - 1, argv + 1);
	ew_ctx_free(&c);
	return rc;
}
