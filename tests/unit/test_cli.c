/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli - a command's option table gives both getopt_long and --help: options are
 * parsed into their fields (repeatable ones counted), another command's option is
 * refused by name, operands are counted, --help lists every option of the table and
 * nothing else. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "daemon/cli.h"

static const struct ew_cli_opt opts[] = {
	{ 'c', "eastwatch.yaml" },
	{ 'i', "capture on IF (repeatable)" },
	{ 'I', "receive IPFIX\nand NetFlow" },
	{ 'q', "quiet" },
	{ 0, NULL },
};

static const struct ew_cmd cmd = {
	.name = "demo",
	.summary = "a demonstration",
	.synopsis = "[--config FILE] [--iface IF]... FILE",
	.about = "Demonstrates.\n",
	.opts = opts,
	.min_operands = 1,
	.max_operands = 2,
};

static int parse(struct ew_opts *o, int argc, const char *const *argv)
{
	memset(o, 0, sizeof(*o));
	return ew_cli_parse(&cmd, argc, (char **)argv, o);
}

START_TEST(options_into_fields)
{
	struct ew_opts o;
	const char *argv[] = { "demo", "-c", "a.yaml", "--iface", "eth1", "-i", "eth2",
			       "--ipfix", "127.0.0.1:4739", "--ipfix", "[::1]:2055", "-q", "x.pcap" };

	ck_assert_int_eq(parse(&o, 13, argv), -1);
	ck_assert_str_eq(o.config, "a.yaml");
	ck_assert_int_eq(o.nifaces, 2);
	ck_assert_str_eq(o.ifaces[1], "eth2");
	ck_assert_int_eq(o.nlisten, 2);
	ck_assert_str_eq(o.listen_type[1], "ipfix");
	ck_assert_str_eq(o.listen_addr[1], "[::1]:2055");
	ck_assert_int_eq(o.quiet, 1);
	ck_assert_str_eq(argv[optind], "x.pcap");
}
END_TEST

static const struct usage_case {
	int argc;
	const char *argv[4];
	int rc;
	const char *says;         /* on stderr (the command's help follows) */
} usage_cases[] = {
	{ 3, { "demo", "--rules", "r" }, EW_EXIT_USAGE, "option --rules does not apply here" },
	{ 3, { "demo", "--netflow", "x" }, EW_EXIT_USAGE, "option --netflow does not apply here" },
	{ 2, { "demo", "-r" }, EW_EXIT_USAGE, "unknown option -r" },
	{ 2, { "demo", "--bogus" }, EW_EXIT_USAGE, "unknown option --bogus" },
	{ 2, { "demo", "--config" }, EW_EXIT_USAGE, "option --config needs an argument" },
	{ 1, { "demo" }, EW_EXIT_USAGE, "missing arguments" },
	{ 4, { "demo", "a", "b", "c" }, EW_EXIT_USAGE, "unexpected argument \"c\"" },
	{ 2, { "demo", "--help" }, 0, "" },
	{ 3, { "demo", "a", "b" }, -1, "" },
};

START_TEST(usage_errors)
{
	const struct usage_case *c = &usage_cases[_i];
	struct ew_opts o;
	FILE *keep_out = stdout, *keep_err = stderr, *err = tmpfile();
	char text[4096] = "";
	size_t n;

	stdout = fopen("/dev/null", "w");   /* --help's text */
	stderr = err;
	ck_assert_int_eq(parse(&o, c->argc, c->argv), c->rc);
	fclose(stdout);
	stdout = keep_out;
	stderr = keep_err;
	rewind(err);
	n = fread(text, 1, sizeof(text) - 1, err);
	text[n] = 0;
	fclose(err);
	ck_assert_msg(strstr(text, c->says) != NULL, "stderr \"%s\" lacks \"%s\"", text, c->says);
	if (c->rc == EW_EXIT_USAGE)
		ck_assert_ptr_nonnull(strstr(text, "usage: eastwatch demo"));
	else
		ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(help_from_the_table)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);

	ew_cli_help(&cmd, m);
	fclose(m);
	ck_assert_ptr_nonnull(strstr(text, "usage: eastwatch demo [--config FILE] [--iface IF]... FILE\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nDemonstrates.\n"));
	ck_assert_ptr_nonnull(strstr(text, "  -c, --config FILE   eastwatch.yaml\n"));
	ck_assert_ptr_nonnull(strstr(text, "  -i, --iface IF      capture on IF (repeatable)\n"));
	/* a long option without a short form; a help line's second line indented */
	ck_assert_ptr_nonnull(strstr(text, "      --ipfix ADDR:PORT  receive IPFIX\n"
					   "                      and NetFlow\n"));
	ck_assert_ptr_nonnull(strstr(text, "  -h, --help          this text\n"));
	ck_assert_ptr_null(strstr(text, "--rules"));
	free(text);
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *t = tcase_create("cli");

	tcase_add_test(t, options_into_fields);
	tcase_add_loop_test(t, usage_errors, 0, sizeof(usage_cases) / sizeof(usage_cases[0]));
	tcase_add_test(t, help_from_the_table);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(cli_suite)
