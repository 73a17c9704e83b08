/* SPDX-License-Identifier: Apache-2.0 */
/* cli - see cli.h. */
#include "daemon/cli.h"
#include "core/ew_addr.h"
#include "core/ew_log.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Every option: long name, letter, argument (NULL: a flag), and whether the letter is
 * also a short option (-c) or only the option's key. */
static const struct spec {
	const char *name;
	int key;
	const char *arg;
	int short_too;
} specs[] = {
	{ "config", 'c', "FILE", 1 },       { "rules", 'r', "DIR", 1 },
	{ "output", 'o', "FILE", 1 },       { "flows", 'F', "FILE", 0 },
	{ "sensor", 'S', "NAME", 0 },       { "filter", 'f', "BPF", 1 },
	{ "iface", 'i', "IF", 1 },          { "ipfix", 'I', "ADDR:PORT", 0 },
	{ "netflow", 'N', "ADDR:PORT", 0 }, { "sflow", 's', "ADDR:PORT", 0 },
	{ "user", 'u', "USER", 1 },         { "log-format", 'L', "F", 0 },
	{ "kafka", 'K', "BROKERS", 0 },     { "metrics", 'M', "ADDR:PORT", 0 },
	{ "quiet", 'q', NULL, 1 },          { "graph", 'G', "FILE", 0 },
	{ "diff", 'D', "DIR", 0 },          { "for", 'T', "DURATION", 0 },
	{ "author", 'A', "NAME", 0 },       { "redis", 'R', "ADDR", 0 },
	{ "workers", 'W', "N", 0 },         { "spool", 'P', "DIR", 0 },
	{ "wait", 'w', "DURATION", 0 },
	{ "help", 'h', NULL, 1 },
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))
#define HELP_COL 22

static const struct spec *spec_of(int key)
{
	for (size_t i = 0; i < NSPECS; i++)
		if (specs[i].key == key)
			return &specs[i];
	return NULL;
}

static int takes(const struct ew_cmd *cmd, int key)
{
	if (key == 'h' || key == 'L')   /* every command */
		return 1;
	for (const struct ew_cli_opt *o = cmd->opts; o->key; o++)
		if (o->key == key)
			return 1;
	return 0;
}

static void help_line(FILE *out, int key, const char *help)
{
	const struct spec *s = spec_of(key);
	int n;

	if (s == NULL)
		return;
	n = s->short_too ? fprintf(out, "  -%c, --%s", s->key, s->name)
			 : fprintf(out, "      --%s", s->name);
	if (s->arg)
		n += fprintf(out, " %s", s->arg);
	fprintf(out, "%*s", n < HELP_COL - 1 ? HELP_COL - n : 2, "");
	for (const char *p = help; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", HELP_COL, "");
	}
	fputc('\n', out);
}

void ew_cli_help(const struct ew_cmd *cmd, FILE *out)
{
	fprintf(out, "usage: eastwatch %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->about);
	int log = 0;

	for (const struct ew_cli_opt *o = cmd->opts; o->key; o++) {
		help_line(out, o->key, o->help);
		log |= o->key == 'L';
	}
	if (!log)
		help_line(out, 'L', "text (default) or json: log lines and errors");
	help_line(out, 'h', "this text");
}

/* --log-format, looked for before anything is parsed so that every error is written in
 * the format asked for. 0, or -1 for a value that is neither text nor json. */
static int log_format_first(int argc, char **argv)
{
	const char *v = NULL;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--log-format") == 0 && i + 1 < argc)
			v = argv[i + 1];
		else if (strncmp(argv[i], "--log-format=", 13) == 0)
			v = argv[i] + 13;
	}
	if (v == NULL)
		return 0;
	if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
		ew_fatal("eastwatch %s: --log-format %s: text or json", argv[0], v);
		return -1;
	}
	ew_log_setup(EW_LOG_INFO, strcmp(v, "json") == 0);
	return 0;
}

/* ADDR:PORT of a listener or of /metrics: HOST:PORT, [V6]:PORT or :PORT, the host an
 * address or a name. */
static int addr_port_ok(const char *opt, const char *arg)
{
	char host[256];
	uint16_t port;
	struct ew_addr a;
	int numeric = 1;

	if (ew_hostport_split(arg, host, sizeof(host), &port, 0) == 0) {
		for (const char *p = host; *p; p++)
			numeric &= (*p >= '0' && *p <= '9') || *p == '.';
		if (host[0] == '\0' || ew_addr_parse(&a, host) == 0 ||
		    (!numeric && strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					     "0123456789.-") == strlen(host)))
			return 0;
	}
	ew_fatal("eastwatch: --%s %s: expected ADDR:PORT ([V6]:PORT, :PORT), a port from 1 "
		 "to 65535", opt, arg);
	return -1;
}

/* BROKERS: HOST[:PORT] entries, comma-separated, none empty. */
static int brokers_ok(const char *arg)
{
	char host[256];
	uint16_t port;
	const char *p = arg;

	do {
		char one[300];
		size_t n = strcspn(p, ",");

		if (n == 0 || n >= sizeof(one))
			break;
		memcpy(one, p, n);
		one[n] = '\0';
		if (ew_hostport_split(one, host, sizeof(host), &port, 9092) != 0 || host[0] == '\0')
			break;
		p += n;
	} while (*p++ == ',');
	if (p > arg && p[-1] == '\0')
		return 0;
	ew_fatal("eastwatch: --kafka \"%s\": expected HOST[:PORT][,HOST[:PORT]...]", arg);
	return -1;
}

static int set(struct ew_opts *o, int key, char *arg)
{
	switch (key) {
	case 'c': o->config = arg; break;
	case 'r': o->rules = arg; break;
	case 'o': o->output = arg; break;
	case 'F': o->flows = arg; break;
	case 'S': o->sensor = arg; break;
	case 'f': o->filter = arg; break;
	case 'u': o->user = arg; break;
	case 'L': o->log_format = arg; break;   /* checked by log_format_first */
	case 'K':
		if (brokers_ok(arg) != 0)
			return -1;
		o->kafka = arg;
		break;
	case 'M':
		if (addr_port_ok("metrics", arg) != 0)
			return -1;
		o->metrics = arg;
		break;
	case 'q': o->quiet = 1; break;
	case 'G': o->graph = arg; break;
	case 'D': o->diff = arg; break;
	case 'T': o->learn_for = arg; break;
	case 'A': o->author = arg; break;
	case 'R': o->redis = arg; break;
	case 'P': o->spool = arg; break;
	case 'w': o->wait = arg; break;
	case 'W': {
		char *end;
		unsigned long n = strtoul(arg, &end, 10);

		if (*arg == '\0' || *end != '\0' || n < 1 || n > 32) {
			ew_fatal("eastwatch: --workers %s: a number from 1 to 32\n", arg);
			return -1;
		}
		o->workers = (unsigned)n;
		break;
	}
	case 'I':
	case 'N':
	case 's':
		if (o->nlisten == EW_CLI_MAX) {
			ew_fatal("eastwatch: too many listeners\n");
			return -1;
		}
		if (addr_port_ok(key == 's' ? "sflow" : key == 'N' ? "netflow" : "ipfix", arg) != 0)
			return -1;
		/* NetFlow and IPFIX share one decoder: any version on any port */
		o->listen_type[o->nlisten] = key == 's' ? "sflow" : "ipfix";
		o->listen_addr[o->nlisten++] = arg;
		break;
	case 'i':
		if (o->nifaces == EW_CLI_MAX) {
			ew_fatal("eastwatch: too many --iface\n");
			return -1;
		}
		o->ifaces[o->nifaces++] = arg;
		break;
	default:
		return -1;
	}
	return 0;
}

int ew_cli_parse(const struct ew_cmd *cmd, int argc, char **argv, struct ew_opts *o)
{
	struct option longopts[NSPECS + 1];
	char shortopts[2 * NSPECS + 2];
	size_t ns = 0;
	int ch, li = -1, help = 0, n;

	if (log_format_first(argc, argv) != 0)
		goto usage;
	memset(longopts, 0, sizeof(longopts));
	shortopts[ns++] = ':';   /* a missing argument is told apart from an unknown option */
	for (size_t i = 0; i < NSPECS; i++) {
		longopts[i] = (struct option){ specs[i].name, specs[i].arg ? required_argument
									 : no_argument, NULL,
					       specs[i].key };
		if (specs[i].short_too && takes(cmd, specs[i].key)) {
			shortopts[ns++] = (char)specs[i].key;
			if (specs[i].arg)
				shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, &li)) != -1) {
		const char *name = li >= 0 ? longopts[li].name : NULL;

		li = -1;
		if (ch == '?' || ch == ':') {
			if (ch == ':')
				ew_fatal("eastwatch %s: option %s needs an argument\n", argv[0],
					argv[optind - 1]);
			else if (optopt)
				ew_fatal("eastwatch %s: unknown option -%c\n", argv[0], optopt);
			else
				ew_fatal("eastwatch %s: unknown option %s\n", argv[0],
					argv[optind - 1]);
			goto usage;
		}
		if (!takes(cmd, ch)) {
			ew_fatal("eastwatch %s: option --%s does not apply here\n", argv[0],
				name ? name : spec_of(ch)->name);
			goto usage;
		}
		if (ch == 'h')
			help = 1;
		else if (set(o, ch, optarg) != 0)
			goto usage;
	}
	if (help) {
		ew_cli_help(cmd, stdout);
		return 0;
	}
	n = argc - optind;
	if (n < cmd->min_operands || n > cmd->max_operands) {
		if (n > cmd->max_operands)
			ew_fatal("eastwatch %s: unexpected argument \"%s\"\n", argv[0],
				argv[optind + cmd->max_operands]);
		else
			ew_fatal("eastwatch %s: missing arguments\n", argv[0]);
		goto usage;
	}
	return -1;
usage:
	if (!ew_log_is_json())   /* in JSON, the error line alone */
		ew_cli_help(cmd, stderr);
	return EW_EXIT_USAGE;
}
