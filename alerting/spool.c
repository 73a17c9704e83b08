/* SPDX-License-Identifier: Apache-2.0 */
/* spool - see spool.h. */
#include "alerting/spool.h"
#include "core/ew_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#define REC_MAGIC 0x31535745u   /* "EWS1" little-endian */
#define HDR 12u

struct ew_spool {
	int dirfd, fd, posfd;
	uint64_t rd, end, max;
	uint64_t records, appended, corrupt;
	int dirty;
	char path[PATH_MAX], pospath[PATH_MAX];
	char name[NAME_MAX + 1], posname[NAME_MAX + 1], tmpname[NAME_MAX + 1];
};

/* A file or directory just opened as root for the service user: give it to that user
 * (a failure shows at the service user's first write, if it matters). */
static void give(int fd)
{
	(void)ew_files_give(fd);
}

/* zlib's CRC-32 (the same as the byte-at-a-time table this was, 3 to 10 times faster: at
 * high alert rates the spool's own CRC was a third of the delivery thread's time). */
uint32_t ew_crc32(uint32_t crc, const void *p, size_t n)
{
	return (uint32_t)crc32_z(crc, p, n);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int mkdirs(const char *dir)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *c = tmp + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = 0;
		if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_pos(struct ew_spool *s)
{
	uint8_t b[12];

	put32(b, (uint32_t)s->rd);
	put32(b + 4, (uint32_t)(s->rd >> 32));
	put32(b + 8, ew_crc32(0, b, 8));
	return pwrite(s->posfd, b, sizeof(b), 0) == (ssize_t)sizeof(b) ? EW_OK : EW_E_IO;
}

/* Walk the records from rd: count them, skip corrupt ones, cut a torn tail. */
static void recover(struct ew_spool *s)
{
	uint64_t off = s->rd;
	uint8_t h[HDR];
	uint8_t *buf = malloc(EW_SPOOL_MAX_RECORD);

	while (buf && off + HDR <= s->end) {
		uint32_t len;

		if (pread(s->fd, h, HDR, (off_t)off) != HDR || get32(h) != REC_MAGIC)
			break;
		len = get32(h + 4);
		if (len > EW_SPOOL_MAX_RECORD || off + HDR + len > s->end)
			break;
		if (pread(s->fd, buf, len, (off_t)(off + HDR)) != (ssize_t)len)
			break;
		if (ew_crc32(0, buf, len) == get32(h + 8))
			s->records++;
		else
			s->corrupt++;
		off += HDR + len;
	}
	free(buf);
	if (off < s->end) {          /* torn or unreadable tail: keep what is whole */
		if (ftruncate(s->fd, (off_t)off) == 0)
			s->end = off;
	}
}

int ew_spool_open(struct ew_spool **out, const char *dir, const char *name, uint64_t max_bytes,
		  struct ew_err *err)
{
	struct ew_spool *s;
	struct stat st;
	uint8_t b[12];

	if (mkdirs(dir) != 0)
		return ew_err_set(err, "spool directory %s: %s", dir, strerror(errno));
	if (strchr(name, '/') || strlen(name) + 8 > NAME_MAX)
		return ew_err_set(err, "spool: bad sink name \"%s\"", name);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ew_err_set(err, "spool: out of memory");
	s->fd = s->posfd = -1;
	s->max = max_bytes;
	snprintf(s->path, sizeof(s->path), "%s/%s.spool", dir, name);
	snprintf(s->pospath, sizeof(s->pospath), "%s/%s.pos", dir, name);
	snprintf(s->name, sizeof(s->name), "%s.spool", name);
	snprintf(s->posname, sizeof(s->posname), "%s.pos", name);
	snprintf(s->tmpname, sizeof(s->tmpname), "%s.spool.tmp", name);
	/* Files are opened relative to the directory, opened once, and never through a
	 * symbolic link: a spool file planted as a link to /etc/shadow is refused, not
	 * truncated by recovery (which runs as root, before the privilege drop). */
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->dirfd < 0) {
		ew_err_set(err, "spool directory %s: %s", dir, errno == ENOTDIR || errno == ELOOP ?
			   "not a directory (or a symbolic link)" : strerror(errno));
		free(s);
		return EW_E_IO;
	}
	give(s->dirfd);
	s->fd = openat(s->dirfd, s->name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		       0640);
	s->posfd = s->fd < 0 ? -1 : openat(s->dirfd, s->posname, O_RDWR | O_CREAT | O_NOFOLLOW |
					 O_NONBLOCK | O_CLOEXEC, 0640);
	if (s->fd < 0 || s->posfd < 0 || fstat(s->fd, &st) != 0) {
		ew_err_set(err, "spool %s: %s", s->fd < 0 ? s->path : s->pospath,
			   errno == ELOOP ? "a symbolic link: refused" : strerror(errno));
		ew_spool_close(s);
		return EW_E_IO;
	}
	{
		struct stat ps;

		if (!S_ISREG(st.st_mode) || fstat(s->posfd, &ps) != 0 || !S_ISREG(ps.st_mode)) {
			ew_err_set(err, "spool %s: not a regular file: refused", S_ISREG(st.st_mode) ?
				   s->pospath : s->path);
			ew_spool_close(s);
			return EW_E_IO;
		}
	}
	fcntl(s->fd, F_SETFL, 0);
	fcntl(s->posfd, F_SETFL, 0);
	give(s->fd);
	give(s->posfd);
	s->end = (uint64_t)st.st_size;
	if (pread(s->posfd, b, sizeof(b), 0) == (ssize_t)sizeof(b) &&
	    get32(b + 8) == ew_crc32(0, b, 8))
		s->rd = get32(b) | (uint64_t)get32(b + 4) << 32;
	if (s->rd > s->end)
		s->rd = 0;   /* position from another file: deliver everything again */
	recover(s);
	*out = s;
	return EW_OK;
}

static void reset_if_empty(struct ew_spool *s)
{
	if (s->rd < s->end)
		return;
	if (ftruncate(s->fd, 0) == 0) {
		s->rd = s->end = 0;
		s->records = 0;
		write_pos(s);
	}
}

/* Move the undelivered tail to the front of the file when the delivered head is most of
 * it: copy through a temporary file renamed over the spool. */
static void compact(struct ew_spool *s)
{
	char buf[65536];
	uint64_t off = s->rd;
	int fd;

	if (s->rd < (1u << 20) || s->rd < s->end / 2)
		return;
	unlinkat(s->dirfd, s->tmpname, 0);     /* a leftover, or a planted link: never followed */
	fd = openat(s->dirfd, s->tmpname, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return;
	give(fd);
	while (off < s->end) {
		size_t n = s->end - off < sizeof(buf) ? (size_t)(s->end - off) : sizeof(buf);
		ssize_t r = pread(s->fd, buf, n, (off_t)off);

		if (r <= 0 || write(fd, buf, (size_t)r) != r) {
			close(fd);
			unlinkat(s->dirfd, s->tmpname, 0);
			return;
		}
		off += (uint64_t)r;
	}
	if (fdatasync(fd) != 0 || renameat(s->dirfd, s->tmpname, s->dirfd, s->name) != 0) {
		close(fd);
		unlinkat(s->dirfd, s->tmpname, 0);
		return;
	}
	close(s->fd);
	s->fd = fd;
	s->end -= s->rd;
	s->rd = 0;
	write_pos(s);
}

int ew_spool_append(struct ew_spool *s, const void *p, uint32_t len)
{
	uint8_t h[HDR];

	if (len > EW_SPOOL_MAX_RECORD)
		return EW_E_FULL;
	if (s->end + HDR + len > s->max) {
		compact(s);
		if (s->end + HDR + len > s->max)
			return EW_E_FULL;
	}
	put32(h, REC_MAGIC);
	put32(h + 4, len);
	put32(h + 8, ew_crc32(0, p, len));
	struct iovec iov[2] = { { h, HDR }, { (void *)p, len } };

	if (pwritev(s->fd, iov, 2, (off_t)s->end) != (ssize_t)(HDR + len)) {
		if (ftruncate(s->fd, (off_t)s->end) != 0) {
			/* the torn record is cut off at the next open */
		}
		return EW_E_IO;
	}
	s->end += HDR + len;
	s->records++;
	s->appended++;
	s->dirty = 1;
	return EW_OK;
}

int64_t ew_spool_read(struct ew_spool *s, uint64_t *cursor, void *buf, uint32_t cap)
{
	uint8_t h[HDR];

	if (*cursor < s->rd)
		*cursor = s->rd;
	while (*cursor + HDR <= s->end) {
		uint32_t len;

		if (pread(s->fd, h, HDR, (off_t)*cursor) != HDR || get32(h) != REC_MAGIC)
			return 0;
		len = get32(h + 4);
		if (len > cap)
			return -1;
		if (*cursor + HDR + len > s->end ||
		    pread(s->fd, buf, len, (off_t)(*cursor + HDR)) != (ssize_t)len)
			return 0;
		*cursor += HDR + len;
		if (ew_crc32(0, buf, len) == get32(h + 8))
			return len;
		s->corrupt++;   /* skipped; counted once more if read again, harmless */
	}
	return 0;
}

int ew_spool_commit(struct ew_spool *s, uint64_t cursor, uint64_t nrec)
{
	if (cursor <= s->rd || cursor > s->end)
		return EW_OK;
	s->rd = cursor;
	s->records = s->records > nrec ? s->records - nrec : 0;
	s->dirty = 1;
	reset_if_empty(s);
	return EW_OK;
}

void ew_spool_discard(struct ew_spool *s)
{
	s->corrupt += s->records;
	s->rd = s->end;
	s->records = 0;
	reset_if_empty(s);
}

int ew_spool_sync_start(struct ew_spool *s)
{
	int fd;

	if (!s->dirty)
		return -1;
	s->dirty = 0;
	write_pos(s);
	fd = dup(s->fd);
	if (fd < 0)
		s->dirty = 1;
	return fd;
}

int ew_spool_sync(struct ew_spool *s)
{
	int rc = EW_OK;

	if (!s->dirty)
		return EW_OK;
	if (fdatasync(s->fd) != 0 || write_pos(s) != EW_OK)
		rc = EW_E_IO;
	s->dirty = 0;
	return rc;
}

void ew_spool_stats(const struct ew_spool *s, struct ew_spool_stats *out)
{
	out->records = s->records;
	out->bytes = s->end;
	out->appended = s->appended;
	out->corrupt = s->corrupt;
}

const char *ew_spool_path(const struct ew_spool *s)
{
	return s->path;
}

void ew_spool_close(struct ew_spool *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0) {
		ew_spool_sync(s);
		close(s->fd);
	}
	if (s->posfd >= 0)
		close(s->posfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}
