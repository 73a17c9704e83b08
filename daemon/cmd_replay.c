/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_replay - eastwatch replay: capture files and flow logs judged offline, in the
 * order given, as if seen live (SPEC §2). */
#include "core/ew_log.h"
#include "daemon/cmd.h"
#include "core/ew_time.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct progress {
	struct ew_ctx *c;
	struct ew_pipeline *p;
	uint64_t next, start, n;
	int tty;
};

static void print_rule(void *arg, const char *rule, uint64_t n)
{
	fprintf(arg, " %s %llu", rule, (unsigned long long)n);
}

static void replay_record(void *arg, const struct ew_record *r, uint16_t id, uint64_t now)
{
	ew_pipeline_record(((struct progress *)arg)->p, r, id, now);
}

/* Each packet to the pipeline; on a terminal, the progress four times a second. */
static void progress_packet(void *arg, const struct ew_raw_pkt *rp)
{
	struct progress *pr = arg;
	struct ew_pipeline_stats st;
	uint64_t now;

	if (pr->c->workers)
		ew_workers_packet(pr->c->workers, rp);
	else
		ew_pipeline_packet(pr->p, rp);
	if (!pr->tty || (++pr->n & 0x3fff) != 0)
		return;
	now = ew_time_mono_us();
	if (now < pr->next)
		return;
	pr->next = now + 250000;
	ew_ctx_stats(pr->c, &st);
	fprintf(stderr, "\r  %llu packets, %llu flows, %llu alerts, %.0f packets/s   ",
		(unsigned long long)st.packets, (unsigned long long)st.flows,
		(unsigned long long)st.alerts, st.packets / ((now - pr->start + 1) / 1e6));
}

static void summary(struct ew_ctx *c, const struct progress *pr, int nfiles)
{
	struct ew_pipeline_stats st;
	double secs = (ew_time_mono_us() - pr->start) / 1e6;
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);   /* said line by line: text or JSON */

	if (o == NULL)
		return;
	ew_ctx_stats(c, &st);
	if (pr->tty)
		fputs("\r\033[K", stderr);
	fprintf(o, "eastwatch replay: %d file(s), %llu packets, %llu flows, %llu alerts "
		"(%llu repeats throttled) in %.3f s: %.0f packets/s\n", nfiles,
		(unsigned long long)st.packets, (unsigned long long)st.flows,
		(unsigned long long)st.alerts, (unsigned long long)st.throttled, secs,
		secs > 0 ? st.packets / secs : 0.0);
	fprintf(o, "  alerts by rule:");
	ew_pipeline_rule_counts(c->p, print_rule, o);
	fprintf(o, "%s\n", st.alerts ? "" : " none");
	ew_ctx_report(c, o);
	for (unsigned i = 0; c->workers && i < ew_workers_count(c->workers); i++) {
		struct ew_pipeline_stats w;

		ew_workers_stats(c->workers, i, &w);
		fprintf(o, "  worker %u (CPU %d): %llu packets, %llu flows, %llu judged, "
			"%llu violations, %.2f s of CPU\n", i, ew_workers_cpu(c->workers, i),
			(unsigned long long)w.packets, (unsigned long long)w.flows,
			(unsigned long long)w.judged, (unsigned long long)w.violations,
			ew_workers_cpu_us(c->workers, i) / 1e6);
	}
	fclose(o);
	for (char *line = text, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		ew_say(EW_LOG_INFO, "%s", line);
	}
	free(text);
}

/* What sink i has not delivered yet (its stats in *st). */
static uint64_t sink_left(struct ew_ctx *c, uint32_t i, struct ew_sink_stats *st)
{
	ew_sinkset_stats(c->sinks, i, st);
	return st->has_queue ? st->queued + st->spool_records : 0;
}

/* Alerts some sink has not delivered yet. */
static uint64_t pending(struct ew_ctx *c)
{
	struct ew_sink_stats st;
	uint64_t n = 0;

	for (uint32_t i = 0; i < ew_sinkset_count(c->sinks); i++)
		n += sink_left(c, i, &st);
	return n;
}

/* What a sink did not deliver within the wait: said, per sink. 1 if anything is left. */
static int left_over(struct ew_ctx *c, uint64_t wait_us)
{
	int left = 0;

	for (uint32_t i = 0; i < ew_sinkset_count(c->sinks); i++) {
		struct ew_sink_stats st;
		uint64_t n = sink_left(c, i, &st);

		if (n == 0)
			continue;
		left = 1;
		if (c->o.spool)
			ew_fatal("eastwatch replay: sink %s: %llu alerts not delivered within %llu s, "
				 "kept in the spool in %s (a replay with --spool %s, or a daemon "
				 "with that spool_dir, sends them)", st.name, (unsigned long long)n,
				 (unsigned long long)(wait_us / 1000000), c->o.spool, c->o.spool);
		else
			ew_fatal("eastwatch replay: sink %s: %llu alerts not delivered within %llu s "
				 "and lost (--wait longer, or --spool DIR keeps them)", st.name,
				 (unsigned long long)n, (unsigned long long)(wait_us / 1000000));
	}
	return left;
}

static int replay(struct ew_ctx *c, int argc, char **argv)
{
	struct progress pr = { 0 };
	struct ew_source_out out = { .packet = progress_packet, .record = replay_record,
				     .arg = &pr };
	int rc;

	uint64_t wait_us = 30000000, end;

	if (c->o.wait && ew_duration_parse(c->o.wait, &wait_us) != 0) {
		ew_fatal("eastwatch replay: bad --wait \"%s\" (e.g. 30s, 2m)", c->o.wait);
		return EW_EXIT_USAGE;
	}
	/* never the daemon's spool (it would send what a daemon left there, and leave
	 * this replay's alerts to it): --spool DIR, else a private one, removed at the end,
	 * so that a sink retries within the wait */
	if (c->o.spool == NULL) {
		const char *tmp = getenv("TMPDIR");

		/* mkdtemp's template: the Xs become a unique name */
		snprintf(c->private_spool, sizeof(c->private_spool), "%s/eastwatch-replay-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (mkdtemp(c->private_spool) == NULL) {
			ew_fatal("eastwatch replay: cannot make a spool directory in %s: %s",
				 tmp && *tmp ? tmp : "/tmp", strerror(errno));
			c->private_spool[0] = '\0';
			return EW_EXIT_RUNTIME;
		}
	}
	c->cfg.spool_dir = c->o.spool ? c->o.spool : c->private_spool;
	c->spool_forced = 1;
	if ((rc = ew_ctx_sinks(c, 2)) != 0 || (rc = ew_ctx_pipeline(c, &c->cfg.pc)) != 0 ||
	    (rc = ew_ctx_workers(c, 1)) != 0)
		return rc;
	signal(SIGINT, ew_cmd_on_stop);
	signal(SIGTERM, ew_cmd_on_stop);
	pr.c = c;
	pr.p = c->p;
	pr.tty = isatty(2) && !c->o.quiet;
	pr.start = ew_time_mono_us();
	rc = ew_ctx_read_files(c, argv + optind, argc - optind, &out, &ew_cmd_stop, NULL, 0);
	if (c->workers)
		ew_workers_end(c->workers);
	ew_pipeline_drain(c->p);
	ew_pipeline_finish(c->p);
	/* the sinks retry on their own threads: wait for them, at most wait_us */
	end = ew_time_mono_us() + wait_us;
	while (ew_sinkset_flush(c->sinks, 200) != EW_OK || pending(c)) {
		if (ew_time_mono_us() >= end)
			break;
		usleep(100000);
	}
	if (!c->o.quiet)
		summary(c, &pr, argc - optind);
	if (left_over(c, wait_us) && rc == 0)
		rc = EW_EXIT_RUNTIME;
	return rc;
}

static const struct ew_cli_opt opts[] = {
	{ 'c', "eastwatch.yaml (sinks, limits, sensor name)" },
	{ 'r', "policy directory (default: config's rules, else " EW_DEFAULT_RULES ")" },
	{ 'o', "write alerts to FILE instead of stdout" },
	{ 'K', "also send alerts to Kafka (host:port,...; topic eastwatch.alerts)" },
	{ 'F', "also write every flow record with its verdict as JSON lines" },
	{ 'S', "observer.name in alerts (default: config, else host name)" },
	{ 'f', "only packets matching this libpcap filter" },
	{ 'q', "no summary on stderr" },
	{ 'W', "spread the packets over N workers by their addresses (default 1);\n"
	       "the alerts are those of one" },
	{ 'w', "wait at most this long at the end for the sinks to deliver\n"
	       "(default 30s); what is left is reported, exit 3" },
	{ 'P', "spool what a sink cannot deliver in DIR (default: no spool;\n"
	       "never the daemon's spool_dir)" },
	{ 0, NULL },
};

const struct ew_cmd ew_cmd_replay = {
	.name = "replay",
	.summary = "analyse capture files offline; alerts as JSON lines on stdout",
	.synopsis = "[--config FILE] [--rules DIR] [--output FILE] [--kafka BROKERS]\n"
		    "                        [--flows FILE] [--sensor NAME] [--filter BPF]\n"
		    "                        [--workers N] [--wait DURATION] [--spool DIR] FILE...",
	.about = "Analyse capture files (pcap or pcapng) and cloud flow logs (AWS, Azure, GCP; plain\n"
		 "or gzip) in the order given, as if seen live. Alerts go to stdout as JSON lines\n"
		 "(or to --output FILE) and to every sink of the configuration; a summary goes to\n"
		 "stderr. Waits for the sinks to deliver, at most --wait; what they could not is\n"
		 "reported and exits 3 (lost, or kept in --spool DIR). The daemon's spool is\n"
		 "never read or written.\n",
	.opts = opts,
	.min_operands = 1,
	.max_operands = 1 << 30,
	.startup = 2,
	.main = replay,
};
