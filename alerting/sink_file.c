/* SPDX-License-Identifier: Apache-2.0 */
/* sink_file - alerts as JSON lines on stdout or appended to a file.
 *
 * Options: path ("-" for stdout). Each alert line is written to a file as it comes (one
 * write: a SIGKILL loses none; the kernel has it), to stdout in 64 KB writes or on flush,
 * which the daemon calls several times a second and at shutdown; a write error is counted
 * and reported on the next flush. SIGHUP reopens the file (logrotate's create mode). */
#include "alerting/fmt_json.h"
#include "core/ew_owner.h"
#include "alerting/sink.h"
#include "core/ew_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct file_sink {
	FILE *f;
	int is_stdout;
	char path[512];
	char line[16384];
	char iobuf[1 << 16];     /* stdout: written out in 64 KB writes, or on flush */
};

/* Append to path; a file this creates as root for the service user is given to that user,
 * so that after the privilege drop a SIGHUP can open it again (and logrotate's
 * copytruncate, or create with that owner, works). */
static FILE *open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0640), made = fd >= 0;
	uid_t uid;
	gid_t gid;
	FILE *f;

	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (made && geteuid() == 0 && ew_files_owner(&uid, &gid) && fchown(fd, uid, gid) != 0)
		ew_warn("file sink %s: cannot give it to the service user: %s", path, strerror(errno));
	f = fdopen(fd, "a");
	if (f == NULL)
		close(fd);
	return f;
}

static int file_open(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
		     struct ew_err *err)
{
	static const char *const keys[] = { EW_SINK_COMMON_KEYS, "path", NULL };
	struct ew_conf_node p = ew_conf_get(*c, "path");
	struct file_sink *s;
	const char *path = "-";

	if (ew_conf_check_map(*c, "file sink", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(p) && ew_conf_string(p, &path, err) != EW_OK)
		return EW_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ew_err_set(err, "file sink: out of memory");
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (env->validate_only) {
		s->f = stdout;   /* opened for real by the daemon */
		s->is_stdout = 1;
	} else if (strcmp(path, "-") == 0) {
		s->f = stdout;
		s->is_stdout = 1;
	} else {
		s->f = open_output(path);
		if (s->f == NULL) {
			ew_err_set(err, "%s: cannot open for alerts: %s", path, strerror(errno));
			free(s);
			return EW_E_IO;
		}
	}
	setvbuf(s->f, s->iobuf, s->is_stdout ? _IOFBF : _IOLBF, sizeof(s->iobuf));
	*st = s;
	return EW_OK;
}

static int file_emit(void *st, const struct ew_alert *a)
{
	struct file_sink *s = st;
	struct ew_buf b;

	ew_buf_init(&b, s->line, sizeof(s->line));
	if (ew_fmt_json(a, &b) != 0)
		return EW_E_FULL;
	if (fwrite(b.p, 1, b.len, s->f) != b.len)
		return EW_E_IO;
	return EW_OK;
}

static int file_flush(void *st, int timeout_ms)
{
	struct file_sink *s = st;

	return fflush(s->f) == 0 ? EW_OK : EW_E_IO;
}

/* SIGHUP: logrotate has renamed the file; write to a new one at the path. */
static void file_reopen(void *st)
{
	struct file_sink *s = st;
	FILE *f;

	if (s->is_stdout)
		return;
	fflush(s->f);
	f = open_output(s->path);
	if (f == NULL) {
		ew_error("file sink %s: cannot reopen: %s; still writing to the old file (after the "
			 "privilege drop the directory must be writable by the service user, or "
			 "logrotate must create the file for it: create 0640 USER GROUP)", s->path,
			 strerror(errno));
		return;
	}
	fclose(s->f);
	s->f = f;
	setvbuf(s->f, s->iobuf, s->is_stdout ? _IOFBF : _IOLBF, sizeof(s->iobuf));
}

static void file_close(void *st)
{
	struct file_sink *s = st;

	if (s == NULL)
		return;
	if (s->is_stdout)
		fflush(s->f);
	else
		fclose(s->f);
	free(s);
}

const struct ew_sink_ops ew_sink_file_ops = {
	.name = "file", .open = file_open, .emit = file_emit, .flush = file_flush,
	.close = file_close, .reopen = file_reopen,
};
