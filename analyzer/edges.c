/* SPDX-License-Identifier: Apache-2.0 */
/* edges - see edges.h. */
#include "analyzer/edges.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct edge {
	uint64_t hash;
	uint64_t first_us;
	uint16_t port;
	uint8_t proto;
	char *src, *dst;
};

struct ew_edges {
	int fd;
	char path[512];
	uint64_t learn_start, learn_us;
	uint32_t max, n, cap;       /* cap: slots of the hash table (power of two) */
	uint32_t *slot;             /* index + 1 into v, 0 = empty */
	struct edge *v;
	int dirty;
	struct ew_edges_stats st;
};

static uint64_t hash_of(const char *src, const char *dst, uint8_t proto, uint16_t port)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *c = src; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	h = (h ^ 0xff) * 0x100000001b3ULL;
	for (const char *c = dst; *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ULL;
	h = (h ^ proto) * 0x100000001b3ULL;
	h = (h ^ (port >> 8)) * 0x100000001b3ULL;
	h = (h ^ (port & 0xff)) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

/* The slot holding the edge, or the empty slot where it goes. */
static uint32_t *find(struct ew_edges *e, uint64_t h, const char *src, const char *dst,
		      uint8_t proto, uint16_t port)
{
	uint32_t i = (uint32_t)h & (e->cap - 1);

	for (;; i = (i + 1) & (e->cap - 1)) {
		const struct edge *x;

		if (e->slot[i] == 0)
			return &e->slot[i];
		x = &e->v[e->slot[i] - 1];
		if (x->hash == h && x->proto == proto && x->port == port &&
		    strcmp(x->src, src) == 0 && strcmp(x->dst, dst) == 0)
			return &e->slot[i];
	}
}

static int insert(struct ew_edges *e, const char *src, const char *dst, uint8_t proto,
		  uint16_t port, uint64_t first_us)
{
	uint64_t h = hash_of(src, dst, proto, port);
	uint32_t *s = find(e, h, src, dst, proto, port);
	struct edge *x;

	if (*s)
		return 0;
	if (e->n >= e->max) {
		e->st.full++;
		return -1;
	}
	x = &e->v[e->n];
	x->hash = h;
	x->first_us = first_us;
	x->proto = proto;
	x->port = port;
	x->src = strdup(src);
	x->dst = strdup(dst);
	if (x->src == NULL || x->dst == NULL) {
		free(x->src);
		free(x->dst);
		return -1;
	}
	*s = ++e->n;
	e->dirty = 1;
	return 1;
}

static void load(struct ew_edges *e, FILE *f)
{
	char line[2048];

	if (fgets(line, sizeof(line), f) == NULL)
		return;
	if (sscanf(line, "eastwatch-edges 1 %lu", &e->learn_start) != 1) {
		e->learn_start = 0;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char *fields[5], *save = NULL, *t = line;
		int k = 0;

		if (strchr(line, '\n') == NULL)
			break;   /* a torn last line: ignored */
		line[strcspn(line, "\n")] = 0;
		while (k < 5 && (fields[k] = strtok_r(t, "\t", &save)) != NULL) {
			t = NULL;
			k++;
		}
		if (k != 5)
			continue;
		insert(e, fields[0], fields[1], (uint8_t)atoi(fields[2]), (uint16_t)atoi(fields[3]),
		       strtoull(fields[4], NULL, 10));
	}
}

struct ew_edges *ew_edges_open(const char *path, uint64_t learn_us, uint32_t max,
			       uint64_t now_us, struct ew_err *err)
{
	struct ew_edges *e = calloc(1, sizeof(*e));
	FILE *f;
	int fd2;

	if (e == NULL) {
		ew_err_set(err, "new-edge: out of memory");
		return NULL;
	}
	e->max = max ? max : 1;
	for (e->cap = 1024; e->cap < e->max * 2u; e->cap *= 2)
		;
	e->slot = calloc(e->cap, sizeof(*e->slot));
	e->v = calloc(e->max, sizeof(*e->v));
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->learn_us = learn_us;
	e->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (e->slot == NULL || e->v == NULL || e->fd < 0) {
		ew_err_set(err, "new-edge state %s: %s", path, e->fd < 0 ? strerror(errno)
			   : "out of memory");
		ew_edges_free(e);
		return NULL;
	}
	fd2 = dup(e->fd);
	f = fd2 >= 0 ? fdopen(fd2, "r") : NULL;
	if (f) {
		load(e, f);
		fclose(f);
	}
	/* a new store starts learning at the first edge it sees (its time: packet time for
	 * a capture, arrival time for live sources) */
	e->dirty = 1;
	e->st.learned = e->n;
	return e;
}

int ew_edges_seen(struct ew_edges *e, const char *src, const char *dst, uint8_t proto,
		  uint16_t port, uint64_t now_us)
{
	int learning, rc;

	if (e->learn_start == 0)
		e->learn_start = now_us ? now_us : 1;
	learning = now_us < e->learn_start + e->learn_us;
	rc = insert(e, src, dst, proto, port, now_us);

	if (rc <= 0)
		return 0;
	if (learning) {
		e->st.learned++;
		return 0;
	}
	e->st.reported++;
	return 1;
}

int ew_edges_save(struct ew_edges *e)
{
	char *buf;
	size_t cap = 64 + (size_t)e->n * 96, len = 0;
	int rc = EW_OK;

	if (!e->dirty)
		return EW_OK;
	for (uint32_t i = 0; i < e->n; i++)
		cap += strlen(e->v[i].src) + strlen(e->v[i].dst);
	buf = malloc(cap);
	if (buf == NULL)
		return EW_E_NOMEM;
	len += (size_t)snprintf(buf, cap, "eastwatch-edges 1 %lu\n", (unsigned long)e->learn_start);
	for (uint32_t i = 0; i < e->n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s\t%s\t%u\t%u\t%lu\n", e->v[i].src,
					e->v[i].dst, e->v[i].proto, e->v[i].port,
					(unsigned long)e->v[i].first_us);
	if (pwrite(e->fd, buf, len, 0) != (ssize_t)len || ftruncate(e->fd, (off_t)len) != 0 ||
	    fdatasync(e->fd) != 0)
		rc = EW_E_IO;
	else
		e->dirty = 0;
	free(buf);
	return rc;
}

void ew_edges_stats(const struct ew_edges *e, struct ew_edges_stats *out)
{
	*out = e->st;
	out->edges = e->n;
	out->learn_start_us = e->learn_start;
	out->learn_until_us = e->learn_start + e->learn_us;
}

void ew_edges_free(struct ew_edges *e)
{
	if (e == NULL)
		return;
	if (e->fd >= 0) {
		ew_edges_save(e);
		close(e->fd);
	}
	for (uint32_t i = 0; e->v && i < e->n; i++) {
		free(e->v[i].src);
		free(e->v[i].dst);
	}
	free(e->v);
	free(e->slot);
	free(e);
}

uint32_t ew_edges_end(const struct ew_policy *pol, uint32_t set, char *out, size_t cap,
		      const char **names, uint32_t max)
{
	uint32_t n = ew_policy_group_names(pol, set, names, max);
	size_t len = 0;

	for (uint32_t i = 1; i < n; i++)          /* insertion sort: a few names */
		for (uint32_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	out[0] = 0;
	for (uint32_t i = 0; i < n && len + 2 < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", names[i]);
	if (n == 0)
		snprintf(out, cap, "-");
	return n;
}
