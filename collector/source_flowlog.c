/* SPDX-License-Identifier: Apache-2.0 */
/* source_flowlog - cloud flow-log files ("flowlog"): AWS VPC Flow Logs, plain or gzip
 * (zlib reads both), read to the end in ->run, one record per line (decode_flowlog.h).
 *
 * Each record is handed to the pipeline at its own end time, as a telemetry record
 * arriving then, so that pairing windows and deadlines follow the log's clock. Lines
 * that cannot be read are counted and skipped; a truncated gzip file ends the file with
 * what was read before, counted as an error, never fatal. */
#include "collector/decode_flowlog.h"
#include "collector/source.h"
#include "core/ew_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LINE_MAX_BYTES 65536

struct fl_src {
	gzFile gz;
	struct ew_flowlog *fl;
	struct ew_source_out out;
	struct ew_source_stats st;
	uint16_t id;
	volatile int *stop;
	char *line;
	char name[256];
};

static void emit(void *arg, const struct ew_nf_record *r)
{
	struct fl_src *s = arg;

	s->st.packets++;
	s->st.bytes += r->f.bytes[0];
	if (s->out.record)
		s->out.record(s->out.arg, r, s->id, r->f.last_us);
}

/* The format of path's content (after gzip), or EW_FL_UNKNOWN. */
static enum ew_flowlog_format file_format(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	char head[4096];
	int n;

	if (gz == NULL)
		return EW_FL_UNKNOWN;
	n = gzread(gz, head, sizeof(head));
	gzclose(gz);
	return n > 0 ? ew_flowlog_detect(head, (size_t)n) : EW_FL_UNKNOWN;
}

const char *ew_source_file_type(const char *path)
{
	return file_format(path) != EW_FL_UNKNOWN ? "flowlog" : "pcap";
}

static void fl_close(void *st)
{
	struct fl_src *s = st;

	if (s == NULL)
		return;
	if (s->gz)
		gzclose(s->gz);
	ew_flowlog_free(s->fl);
	free(s->line);
	free(s);
}

static int fl_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		   const struct ew_source_out *out, struct ew_err *err)
{
	struct fl_src *s = calloc(1, sizeof(*s));
	enum ew_flowlog_format fmt;

	(void)eb;
	if (s == NULL)
		return ew_err_set(err, "%s: out of memory", c->target);
	snprintf(s->name, sizeof(s->name), "%s", c->target);
	fmt = file_format(c->target);
	if (fmt == EW_FL_UNKNOWN) {
		free(s);
		return ew_err_set(err, "%s: not a flow log this version reads (AWS VPC Flow Logs, "
				  "plain or gzip)", c->target);
	}
	s->gz = gzopen(c->target, "rb");
	s->fl = ew_flowlog_new(fmt);
	s->line = malloc(LINE_MAX_BYTES);
	if (s->gz == NULL || s->fl == NULL || s->line == NULL) {
		ew_err_set(err, "%s: %s", c->target, s->gz ? "out of memory" : strerror(errno));
		fl_close(s);
		return EW_E_IO;
	}
	gzbuffer(s->gz, 1 << 17);
	s->out = *out;
	s->id = c->id;
	s->stop = c->stop;
	*st = s;
	return EW_OK;
}

static int fl_run(void *st, struct ew_err *err)
{
	struct fl_src *s = st;
	struct ew_flowlog_stats fs;
	int errnum = Z_OK, cut = 0;

	(void)err;
	while (!(s->stop && *s->stop)) {
		size_t n;

		if (gzgets(s->gz, s->line, LINE_MAX_BYTES) == NULL)
			break;
		n = strlen(s->line);
		if (n && s->line[n - 1] == '\n') {
			n--;
		} else if (n == LINE_MAX_BYTES - 1) {
			/* longer than any record: skip to its end */
			int ch;

			while ((ch = gzgetc(s->gz)) != -1 && ch != '\n')
				;
			s->st.errors++;
			cut = 1;
			continue;
		}
		if (ew_flowlog_line(s->fl, s->line, n, emit, s) != EW_OK)
			s->st.errors++;
	}
	gzerror(s->gz, &errnum);
	ew_flowlog_stats(s->fl, &fs);
	if (errnum != Z_OK && errnum != Z_STREAM_END) {
		s->st.errors++;
		ew_warn("%s: the gzip stream is broken or cut short (%s): read %llu records before",
			s->name, gzerror(s->gz, &errnum), (unsigned long long)fs.records);
	}
	if (fs.malformed || cut)
		ew_warn("%s: %llu of %llu lines could not be read and were skipped", s->name,
			(unsigned long long)(fs.malformed + (uint64_t)cut),
			(unsigned long long)fs.lines);
	ew_debug("%s: %llu records, %llu without a flow (NODATA, SKIPDATA), %llu headers",
		 s->name, (unsigned long long)fs.records, (unsigned long long)fs.no_flow,
		 (unsigned long long)fs.header_lines);
	return EW_OK;
}

static void fl_stats(void *st, struct ew_source_stats *out)
{
	*out = ((struct fl_src *)st)->st;
}

const struct ew_source_ops ew_source_flowlog_ops = {
	.name = "flowlog", .open = fl_open, .run = fl_run, .stats = fl_stats, .close = fl_close,
};
