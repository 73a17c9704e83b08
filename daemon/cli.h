/* SPDX-License-Identifier: Apache-2.0 */
/* cli - the commands' options: one table per command gives getopt_long its options and
 * the command's --help its lines, so the two cannot disagree.
 *
 * Every option any command takes is known here (cli.c) with its letter and argument;
 * a command lists the ones it takes, each with its help line. An option of another
 * command is refused by name ("option --iface does not apply here"). */
#ifndef EW_CLI_H
#define EW_CLI_H

#include <stdio.h>

#define EW_CLI_MAX 64   /* --iface, and listeners, on one command line */

enum { EW_EXIT_INPUT = 1, EW_EXIT_USAGE = 2, EW_EXIT_RUNTIME = 3 };

/* What the command line said. */
struct ew_opts {
	const char *config, *rules, *output, *flows, *sensor, *filter, *user, *log_format;
	const char *kafka, *metrics;
	const char *graph, *diff, *learn_for, *author, *redis;
	const char *spool, *wait;            /* replay: where to spool, how long to wait */
	const char *ifaces[EW_CLI_MAX];
	const char *listen_type[EW_CLI_MAX], *listen_addr[EW_CLI_MAX];
	int nifaces, nlisten, quiet;
	unsigned workers;          /* --workers, 0 when not given */
};

/* One option of a command: its letter (cli.c's table: 'c' config, 'r' rules, 'o'
 * output, 'F' flows, 'S' sensor, 'f' filter, 'i' iface, 'I' ipfix, 'N' netflow, 's'
 * sflow, 'u' user, 'L' log-format, 'K' kafka, 'M' metrics, 'q' quiet, 'G' graph, 'D'
 * diff, 'T' for, 'A' author, 'R' redis, 'W' workers) and its help, whose further lines are
 * indented as the first. --help is every command's. */
struct ew_cli_opt {
	int key;
	const char *help;
};

struct ew_ctx;

struct ew_cmd {
	const char *name;
	const char *summary;       /* one line for eastwatch --help */
	const char *synopsis;      /* what follows "usage: eastwatch NAME " (further lines
				    * carry their own indentation) */
	const char *about;         /* the paragraphs between the synopsis and the options */
	const struct ew_cli_opt *opts;   /* ends with key 0 */
	int min_operands, max_operands;
	/* start-up before main (ew_ctx_init): 0 none, 1 configuration and classifier,
	 * 2 also the inventory and the policy */
	int startup;
	/* the command, after its options and start-up: operands in argv[optind..argc) */
	int (*main)(struct ew_ctx *c, int argc, char **argv);
};

/* Parse argv (argv[0] is the command's name) into o. Returns -1 to go on (optind at the
 * first operand), else the exit code now: 0 after --help (the help on stdout), 2 after
 * a usage error (the message and the command's help on stderr). */
int ew_cli_parse(const struct ew_cmd *cmd, int argc, char **argv, struct ew_opts *o);
/* The command's help: usage line, about, options. */
void ew_cli_help(const struct ew_cmd *cmd, FILE *out);

#endif
