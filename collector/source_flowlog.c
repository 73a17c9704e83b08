/* SPDX-License-Identifier: Apache-2.0 */
/* source_flowlog - cloud flow logs ("flowlog"): AWS VPC Flow Logs and GCP VPC Flow Logs
 * (a record per line), Azure VNet and NSG flow logs (a JSON document per file, at most
 * 16 MB), plain or gzip (zlib reads both); the format is told by the content
 * (decode_flowlog.h).
 *
 * A file is read to its end in ->run (replay, learn, a `path:` naming a file). A
 * directory (`run` only) is read in name order, every file whose name sorts after the
 * last one read, then watched with inotify for files written (closed) or moved in; the
 * name of the last file read is kept in STATE_DIR/flowlog-<directory>.last, so that a
 * restart reads each file once (a file that arrives with a name sorting before one
 * already read is not read: cloud deliveries name files by time). Files modified in the
 * last 2 s are left for the next look unless inotify said they were closed.
 *
 * In run a file is read SLICE_LINES lines at a time, the loop serving the other sources
 * between slices, so a large file does not stall captures and listeners.
 *
 * In replay a record is handed to the pipeline at its own end time, so that pairing
 * windows and deadlines follow the log's clock; in `run` at the time it is read, as
 * telemetry records are. Lines that cannot be read are counted and skipped; a gzip file
 * cut short ends with what was read before, counted as an error, never fatal. */
#include "collector/decode_flowlog.h"
#include "collector/source.h"
#include "core/ew_conf.h"
#include "core/ew_log.h"
#include "core/ew_owner.h"
#include "core/ew_time.h"

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define LINE_MAX_BYTES 65536
#define SLICE_LINES 20000     /* run: lines read before the loop serves the other sources */

struct fl_src {
	struct ew_flowlog *fl;
	struct ew_source_out out;
	struct ew_source_stats st;
	uint16_t id;
	int live;                 /* run: records at the time they are read */
	volatile int *stop;
	char *line;
	char target[PATH_MAX];
	/* directories */
	int dirmode, ifd;
	struct event *iev, *first;
	char last[NAME_MAX + 1];  /* the last file read */
	char lastpath[PATH_MAX];  /* where that name is kept, or "" */
	uint64_t files;
	/* the file being read (a directory's is read a slice at a time) */
	gzFile gz;
	char cur[NAME_MAX + 1];
	char curpath[PATH_MAX + NAME_MAX + 2];
	unsigned cut;             /* lines longer than any record, skipped */
	struct event *more;       /* the next slice, once the loop has served the others */
};

static void emit(void *arg, const struct ew_record *r)
{
	struct fl_src *s = arg;

	s->st.packets++;
	s->st.bytes += r->f.bytes[0];
	if (s->out.record)
		s->out.record(s->out.arg, r, s->id, s->live ? ew_time_now_us() : r->f.last_us);
}

/* The format of path's content (after gzip), or EW_FL_UNKNOWN. */
static enum ew_flowlog_format file_format(const char *path)
{
	gzFile gz;
	char head[4096];
	struct stat st;
	int n;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (gz = gzopen(path, "rb")) == NULL)
		return EW_FL_UNKNOWN;
	n = gzread(gz, head, sizeof(head));
	gzclose(gz);
	return n > 0 ? ew_flowlog_detect(head, (size_t)n) : EW_FL_UNKNOWN;
}

static int fl_probe(const char *path)
{
	return file_format(path) != EW_FL_UNKNOWN;
}

/* A document format (Azure): the whole file, at most EW_CONF_MAX_BYTES after gzip. */
static void read_document(struct fl_src *s, gzFile gz, const char *path)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap);
	int n;

	while (buf && (n = gzread(gz, buf + len, (unsigned)(cap - len))) > 0) {
		len += (size_t)n;
		if (len == cap) {
			char *b2 = cap < EW_CONF_MAX_BYTES ? realloc(buf, cap * 2) : NULL;

			if (b2 == NULL) {
				ew_warn("%s: larger than %d MB after gzip: not read", path,
					EW_CONF_MAX_BYTES >> 20);
				s->st.errors++;
				free(buf);
				return;
			}
			buf = b2;
			cap *= 2;
		}
	}
	if (buf && ew_flowlog_document(s->fl, buf, len, emit, s) != EW_OK) {
		s->st.errors++;
		ew_warn("%s: not a flow-log document (JSON with \"records\"): not read", path);
	}
	free(buf);
}

/* Start reading path (a new decoder: a header line holds for its file only). Returns 1
 * when there is nothing more to read in it (unreadable, or a whole document read). */
static int file_begin(struct fl_src *s, const char *path)
{
	enum ew_flowlog_format fmt = file_format(path);

	snprintf(s->curpath, sizeof(s->curpath), "%s", path);
	s->cut = 0;
	s->gz = gzopen(path, "rb");
	if (s->gz == NULL || fmt == EW_FL_UNKNOWN) {
		s->st.errors++;
		ew_warn("%s: %s", path, s->gz ? "not a flow log this version reads" : strerror(errno));
		if (s->gz)
			gzclose(s->gz);
		s->gz = NULL;
		return 1;
	}
	gzbuffer(s->gz, 1 << 17);
	ew_flowlog_free(s->fl);
	s->fl = ew_flowlog_new(fmt);
	if (s->fl == NULL)
		return 1;
	if (fmt == EW_FL_AZURE) {
		read_document(s, s->gz, path);
		return 1;
	}
	return 0;
}

/* Read up to budget lines of the file begun. Returns 1 at its end (or when stopped). */
static int file_some(struct fl_src *s, size_t budget)
{
	while (budget-- && !(s->stop && *s->stop)) {
		size_t n;

		if (gzgets(s->gz, s->line, LINE_MAX_BYTES) == NULL)
			return 1;
		n = strlen(s->line);
		if (n && s->line[n - 1] == '\n') {
			n--;
		} else if (n == LINE_MAX_BYTES - 1) {
			int ch;    /* longer than any record: skip to its end */

			while ((ch = gzgetc(s->gz)) != -1 && ch != '\n')
				;
			s->st.errors++;
			s->cut++;
			continue;
		}
		if (ew_flowlog_line(s->fl, s->line, n, emit, s) != EW_OK)
			s->st.errors++;
	}
	return s->stop && *s->stop;
}

/* The file begun is over: what went wrong in it said, closed, counted. */
static void file_end(struct fl_src *s)
{
	struct ew_flowlog_stats fs;
	int errnum = Z_OK;

	if (s->gz == NULL)
		return;
	gzerror(s->gz, &errnum);
	ew_flowlog_stats(s->fl, &fs);
	if (errnum != Z_OK && errnum != Z_STREAM_END) {
		s->st.errors++;
		ew_warn("%s: the gzip stream is broken or cut short (%s): read %llu records before",
			s->curpath, gzerror(s->gz, &errnum), (unsigned long long)fs.records);
	}
	if (fs.malformed || s->cut)
		ew_warn("%s: %llu of %llu lines could not be read and were skipped", s->curpath,
			(unsigned long long)(fs.malformed + s->cut), (unsigned long long)fs.lines);
	ew_debug("%s: %llu records, %llu without a flow (NODATA, SKIPDATA), %llu headers",
		 s->curpath, (unsigned long long)fs.records, (unsigned long long)fs.no_flow,
		 (unsigned long long)fs.header_lines);
	gzclose(s->gz);
	s->gz = NULL;
	s->files++;
}

/* Read one file to its end. */
static void read_file(struct fl_src *s, const char *path)
{
	if (!file_begin(s, path))
		while (!file_some(s, SIZE_MAX))
			;
	file_end(s);
}

/* ---- directories ---- */

static void remember_last(struct fl_src *s)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	if (!s->lastpath[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->lastpath);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%s\n", s->last) < 0 || fclose(f) != 0 ||
	    rename(tmp, s->lastpath) != 0) {
		ew_warn("flow logs %s: cannot keep the last file read in %s: %s (after a restart "
			"files are read again)", s->target, s->lastpath, strerror(errno));
		s->lastpath[0] = '\0';       /* said once */
	}
}

static int newer(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* The file being read is over: it is the last one read. */
static void file_done(struct fl_src *s)
{
	file_end(s);
	snprintf(s->last, sizeof(s->last), "%s", s->cur);
	remember_last(s);
}

/* Go on with the file being read for a slice; 0 when it is not over (the next slice is
 * scheduled after the loop has served the other sources). */
static int slice(struct fl_src *s)
{
	struct timeval zero = { 0, 0 };

	if (!file_some(s, SLICE_LINES)) {
		evtimer_add(s->more, &zero);
		return 0;
	}
	file_done(s);
	return 1;
}

/* Read the files after s->last in name order; closed: a name inotify said was closed
 * (read even if modified just now). A file is read a slice at a time. */
static void scan(struct fl_src *s, const char *closed)
{
	struct dirent **names = NULL;
	int n;
	time_t now = time(NULL);

	if (s->gz && !slice(s))
		return;                     /* a file in progress comes first */
	n = scandir(s->target, &names, newer, alphasort);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + NAME_MAX + 2];
		struct stat st;
		const char *nm = names[i]->d_name;

		if (s->gz || strcmp(nm, s->last) <= 0 || (s->stop && *s->stop))
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->target, nm);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (st.st_mtime + 2 > now && !(closed && strcmp(closed, nm) == 0))
			break;      /* perhaps still being written: read it, and what follows, later */
		snprintf(s->cur, sizeof(s->cur), "%s", nm);
		if (file_begin(s, path))
			file_done(s);
		else
			slice(s);   /* the rest after the next slice */
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct fl_src *s = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->len && e->name[0] != '.')
				scan(s, e->name);
			p += sizeof(*e) + e->len;
		}
	}
}

static void on_first(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	scan(arg, NULL);
}

static void on_more(evutil_socket_t fd, short what, void *arg)
{
	struct fl_src *s = arg;

	(void)fd;
	(void)what;
	if (s->gz && slice(s))
		scan(s, NULL);              /* that file is over: the next ones */
}

static void fl_tick(void *st, uint64_t now)
{
	struct fl_src *s = st;

	(void)now;
	if (s->dirmode)
		scan(s, NULL);   /* files left for being fresh, or missed events */
}

static int open_dir(struct fl_src *s, const struct ew_source_conf *c, struct event_base *eb,
		    struct ew_err *err)
{
	struct timeval zero = { 0, 0 };

	if (eb == NULL)
		return ew_err_set(err, "%s: a directory of flow logs is watched by \"run\"; give "
				  "replay its files", c->target);
	s->dirmode = 1;
	if (c->state_dir) {
		char name[NAME_MAX + 1];
		size_t k = 0;
		FILE *f;

		/* the directory's path as a file name */
		for (const char *p = c->target; *p && k + 16 < sizeof(name); p++)
			name[k++] = (*p == '/' || *p == '.') ? '_' : *p;
		name[k] = '\0';
		snprintf(s->lastpath, sizeof(s->lastpath), "%s/flowlog-%s.last", c->state_dir, name);
		if (mkdir(c->state_dir, 0750) == 0) {      /* no sink made it: ours */
			int dfd = open(c->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (dfd >= 0) {
				(void)ew_files_give(dfd);
				close(dfd);
			}
		}
		f = fopen(s->lastpath, "r");
		if (f) {
			if (fgets(s->last, sizeof(s->last), f))
				s->last[strcspn(s->last, "\n")] = '\0';
			fclose(f);
			ew_info("flow logs %s: reading after %s (from %s)", c->target, s->last,
				s->lastpath);
		}
	}
	s->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->ifd < 0 || inotify_add_watch(s->ifd, c->target, IN_CLOSE_WRITE | IN_MOVED_TO) < 0)
		return ew_err_set(err, "%s: cannot watch: %s", c->target, strerror(errno));
	s->iev = event_new(eb, s->ifd, EV_READ | EV_PERSIST, on_inotify, s);
	s->first = evtimer_new(eb, on_first, s);
	s->more = evtimer_new(eb, on_more, s);
	if (s->iev == NULL || s->first == NULL || s->more == NULL || event_add(s->iev, NULL) != 0 ||
	    evtimer_add(s->first, &zero) != 0)
		return ew_err_set(err, "%s: cannot register with the event loop", c->target);
	return EW_OK;
}

static void fl_close(void *st)
{
	struct fl_src *s = st;

	if (s == NULL)
		return;
	if (s->iev)
		event_free(s->iev);
	if (s->first)
		event_free(s->first);
	if (s->more)
		event_free(s->more);
	if (s->gz)
		gzclose(s->gz);
	if (s->ifd > 0)
		close(s->ifd);
	ew_flowlog_free(s->fl);
	free(s->line);
	free(s);
}

static int fl_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		   const struct ew_source_out *out, struct ew_err *err)
{
	struct fl_src *s = calloc(1, sizeof(*s));
	struct stat sb;

	if (s == NULL)
		return ew_err_set(err, "%s: out of memory", c->target);
	s->ifd = -1;
	snprintf(s->target, sizeof(s->target), "%s", c->target);
	s->out = *out;
	s->id = c->id;
	s->stop = c->stop;
	s->live = eb != NULL;
	s->line = malloc(LINE_MAX_BYTES);
	if (s->line == NULL) {
		fl_close(s);
		return ew_err_set(err, "%s: out of memory", c->target);
	}
	if (stat(c->target, &sb) != 0) {
		ew_err_set(err, "%s: %s", c->target, strerror(errno));
		fl_close(s);
		return EW_E_IO;
	}
	if (S_ISDIR(sb.st_mode)) {
		if (open_dir(s, c, eb, err) != EW_OK) {
			fl_close(s);
			return EW_E_IO;
		}
	} else if (file_format(c->target) == EW_FL_UNKNOWN) {
		fl_close(s);
		return ew_err_set(err, "%s: not a flow log this version reads (AWS VPC, Azure VNet "
				  "or NSG, GCP VPC flow logs; plain or gzip)", c->target);
	}
	*st = s;
	return EW_OK;
}

static int fl_run(void *st, struct ew_err *err)
{
	struct fl_src *s = st;

	(void)err;
	if (!s->dirmode)
		read_file(s, s->target);
	return EW_OK;
}

static void fl_stats(void *st, struct ew_source_stats *out)
{
	*out = ((struct fl_src *)st)->st;
}

const struct ew_source_ops ew_source_flowlog_ops = {
	.name = "flowlog", .observer = { "flowlog" }, .target_key = "path", .probe = fl_probe, .open = fl_open, .run = fl_run, .stats = fl_stats, .tick = fl_tick,
	.close = fl_close,
};
