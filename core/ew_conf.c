/* SPDX-License-Identifier: Apache-2.0 */
/* ew_conf - see ew_conf.h. */
#include "core/ew_conf.h"
#include "core/ew_time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ew_conf {
	yaml_document_t doc;
	int has_doc;
	char file[];
};

/* Where libyaml says a problem is. Its reader (bad UTF-8, a control character such as
 * NUL) gives only a byte offset: the line and column are counted from the input. */
static int yaml_error(struct ew_err *err, const char *name, const yaml_parser_t *p,
		      const unsigned char *in, size_t len)
{
	unsigned line = (unsigned)p->problem_mark.line + 1, col = (unsigned)p->problem_mark.column + 1;

	if (p->error == YAML_READER_ERROR) {
		size_t off = p->problem_offset < len ? p->problem_offset : len;

		line = 1;
		col = 1;
		for (size_t i = 0; i < off; i++) {
			if (in[i] == '\n') {
				line++;
				col = 1;
			} else if ((in[i] & 0xc0) != 0x80) {
				col++;          /* characters, not UTF-8 continuation bytes */
			}
		}
		return ew_err_at(err, name, line, col, "%s (byte 0x%02x)",
				 p->problem ? p->problem : "bad input", (unsigned)(p->problem_value & 0xff));
	}
	return ew_err_at(err, name, line, col, "YAML syntax: %s%s%s", p->problem ? p->problem : "error",
			 p->context ? " " : "", p->context ? p->context : "");
}

/* An anchor's name and how many nodes it stands for, expanded. */
struct anchor {
	char *name;
	uint64_t size;
};

struct walk {
	uint64_t stack[EW_CONF_MAX_DEPTH + 1];
	char *stack_anchor[EW_CONF_MAX_DEPTH + 1];
	unsigned depth;
	struct anchor *a;
	size_t na, cap;
	uint64_t aliases, total;
	uint64_t expanded;        /* nodes the aliases stand for, nested ones expanded */
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static int anchor_note(struct walk *w, const yaml_char_t *name, uint64_t size)
{
	if (name == NULL)
		return 0;
	if (w->na >= EW_CONF_MAX_ALIASES)
		return -2;
	for (size_t i = 0; i < w->na; i++)      /* redefined: the later one counts */
		if (strcmp(w->a[i].name, (const char *)name) == 0) {
			w->a[i].size = size;
			return 0;
		}
	if (w->na == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct anchor *a = realloc(w->a, cap * sizeof(*a));

		if (a == NULL)
			return -1;
		w->a = a;
		w->cap = cap;
	}
	w->a[w->na].name = strdup((const char *)name);
	if (w->a[w->na].name == NULL)
		return -1;
	w->a[w->na++].size = size;
	return 0;
}

/* A node of size nodes is complete: counted in its parent (or the document). */
static void node_done(struct walk *w, uint64_t size)
{
	if (w->depth)
		w->stack[w->depth - 1] = sat_add(w->stack[w->depth - 1], size);
	else
		w->total = sat_add(w->total, size);
}

/* Before building the document: walk libyaml's events and refuse what would turn the
 * loader against the host: nesting deeper than EW_CONF_MAX_DEPTH (libyaml's own time
 * grows with the square of the depth), more than EW_CONF_MAX_ALIASES aliases or aliases
 * that expand to more than EW_CONF_MAX_NODES nodes ("billion laughs": the policy loader
 * walks every alias), a NUL character in a scalar ("\0" would cut the value short), and
 * a second document. Each at the position of the node that does it. */
static int prewalk(const char *name, const unsigned char *in, size_t len, struct ew_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct walk w;
	int rc = EW_OK, done = 0;

	memset(&w, 0, sizeof(w));
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, in, len);
	while (!done && rc == EW_OK) {
		unsigned line, col;
		int k;

		if (!yaml_parser_parse(&p, &ev)) {
			rc = yaml_error(err, name, &p, in, len);
			break;
		}
		line = (unsigned)ev.start_mark.line + 1;
		col = (unsigned)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SCALAR_EVENT:
			if (memchr(ev.data.scalar.value, 0, ev.data.scalar.length) != NULL)
				rc = ew_err_at(err, name, line, col, "a NUL character in a value");
			else if ((k = anchor_note(&w, ev.data.scalar.anchor, 1)) != 0)
				rc = ew_err_at(err, name, line, col, k == -2 ? "more than %d anchors" :
					       "out of memory (%d)", EW_CONF_MAX_ALIASES);
			node_done(&w, 1);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (w.depth == EW_CONF_MAX_DEPTH) {
				rc = ew_err_at(err, name, line, col, "nested deeper than %d levels",
					       EW_CONF_MAX_DEPTH);
				break;
			}
			w.stack[w.depth] = 1;
			{
				const yaml_char_t *an = ev.type == YAML_SEQUENCE_START_EVENT ?
							ev.data.sequence_start.anchor :
							ev.data.mapping_start.anchor;

				w.stack_anchor[w.depth] = an ? strdup((const char *)an) : NULL;
			}
			w.depth++;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (w.depth) {
				uint64_t size = w.stack[--w.depth];
				char *an = w.stack_anchor[w.depth];

				w.stack_anchor[w.depth] = NULL;
				if (an && (k = anchor_note(&w, (const yaml_char_t *)an, size)) != 0)
					rc = ew_err_at(err, name, line, col, k == -2 ?
						       "more than %d anchors" : "out of memory (%d)",
						       EW_CONF_MAX_ALIASES);
				free(an);
				node_done(&w, size);
			}
			break;
		case YAML_ALIAS_EVENT: {
			uint64_t size = 1;

			for (size_t i = 0; i < w.na; i++)
				if (strcmp(w.a[i].name, (const char *)ev.data.alias.anchor) == 0)
					size = w.a[i].size;
			if (++w.aliases > EW_CONF_MAX_ALIASES)
				rc = ew_err_at(err, name, line, col, "more than %d aliases",
					       EW_CONF_MAX_ALIASES);
			w.expanded = sat_add(w.expanded, size);
			node_done(&w, size);
			break;
		}
		default:
			break;
		}
		/* what aliases add is bounded; the nodes written out are bounded by the size */
		if (rc == EW_OK && w.expanded > EW_CONF_MAX_NODES)
			rc = ew_err_at(err, name, line, col, "aliases expand to more than %d nodes",
				       EW_CONF_MAX_NODES);
		yaml_event_delete(&ev);
	}
	for (size_t i = 0; i < w.na; i++)
		free(w.a[i].name);
	for (unsigned i = 0; i < EW_CONF_MAX_DEPTH + 1; i++)
		free(w.stack_anchor[i]);
	free(w.a);
	yaml_parser_delete(&p);
	return rc;
}

static int load(struct ew_conf **out, const char *name, yaml_parser_t *p, struct ew_err *err,
		const unsigned char *in, size_t len)
{
	size_t nlen = strlen(name);
	struct ew_conf *cf = calloc(1, sizeof(*cf) + nlen + 1);

	if (cf == NULL)
		return ew_err_set(err, "%s: out of memory", name);
	memcpy(cf->file, name, nlen + 1);
	if (!yaml_parser_load(p, &cf->doc)) {
		int rc = yaml_error(err, name, p, in, len);

		free(cf);
		return rc;
	}
	cf->has_doc = 1;
	{
		/* a second document ("---") would be silently ignored: refuse it */
		yaml_document_t next;
		int rc = EW_OK;

		if (!yaml_parser_load(p, &next)) {
			rc = yaml_error(err, name, p, in, len);
		} else {
			yaml_node_t *r = yaml_document_get_root_node(&next);

			if (r != NULL && !(r->type == YAML_SCALAR_NODE && r->data.scalar.length == 0))
				rc = ew_err_at(err, name, (unsigned)next.start_mark.line + 1,
					       (unsigned)next.start_mark.column + 1,
					       "a second YAML document: everything must be in one "
					       "document (remove the \"---\" line)");
			yaml_document_delete(&next);
		}
		if (rc != EW_OK) {
			ew_conf_free(cf);
			return rc;
		}
	}
	*out = cf;
	return EW_OK;
}

int ew_conf_load(struct ew_conf **out, const char *path, struct ew_err *err)
{
	struct stat st;
	unsigned char *buf;
	size_t len = 0;
	int rc, fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	/* only a regular file of a sane size: a FIFO would hang the reader (and a reload
	 * freeze the daemon), a device or a huge file exhaust it */
	if (fd < 0)
		return ew_err_set(err, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = ew_err_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > EW_CONF_MAX_BYTES) {
		rc = ew_err_at(err, path, 1, 1, "%s", !S_ISREG(st.st_mode) ?
			       "not a regular file (a FIFO, device or directory is not read)" :
			       "larger than 16 MB: not read");
		close(fd);
		return rc;
	}
	/* read whole (at most 16 MB): the checks walk it twice, and positions of reader
	 * errors are counted in it */
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL || fcntl(fd, F_SETFL, 0) != 0) {
		rc = ew_err_set(err, "%s: %s", path, buf ? strerror(errno) : "out of memory");
		free(buf);
		close(fd);
		return rc;
	}
	while (len < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + len, (size_t)st.st_size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	rc = ew_conf_load_mem(out, path, buf, len, err);
	free(buf);
	return rc;
}

int ew_conf_load_mem(struct ew_conf **out, const char *name, const void *data, size_t len,
		     struct ew_err *err)
{
	yaml_parser_t p;
	int rc;

	if (len > EW_CONF_MAX_BYTES)
		return ew_err_at(err, name, 1, 1, "larger than 16 MB: not read");
	rc = prewalk(name, data, len, err);
	if (rc != EW_OK)
		return rc;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, data, len);
	rc = load(out, name, &p, err, data, len);
	yaml_parser_delete(&p);
	return rc;
}

void ew_conf_free(struct ew_conf *cf)
{
	if (cf == NULL)
		return;
	if (cf->has_doc)
		yaml_document_delete(&cf->doc);
	free(cf);
}

const char *ew_conf_file(const struct ew_conf *cf)
{
	return cf->file;
}

static struct ew_conf_node mk(const struct ew_conf *cf, const yaml_node_t *n)
{
	struct ew_conf_node r = { cf, n };
	return r;
}

static const yaml_node_t *Y(struct ew_conf_node n)
{
	return n.n;
}

struct ew_conf_node ew_conf_root(const struct ew_conf *cf)
{
	return mk(cf, yaml_document_get_root_node((yaml_document_t *)&cf->doc));
}

enum ew_conf_type ew_conf_type(struct ew_conf_node n)
{
	if (n.n == NULL)
		return EW_CONF_NONE;
	switch (Y(n)->type) {
	case YAML_SCALAR_NODE: return EW_CONF_SCALAR;
	case YAML_SEQUENCE_NODE: return EW_CONF_SEQ;
	case YAML_MAPPING_NODE: return EW_CONF_MAP;
	default: return EW_CONF_NONE;
	}
}

const char *ew_conf_str(struct ew_conf_node n)
{
	if (ew_conf_type(n) != EW_CONF_SCALAR)
		return "";
	return (const char *)Y(n)->data.scalar.value;
}

size_t ew_conf_len(struct ew_conf_node n)
{
	switch (ew_conf_type(n)) {
	case EW_CONF_SEQ:
		return (size_t)(Y(n)->data.sequence.items.top - Y(n)->data.sequence.items.start);
	case EW_CONF_MAP:
		return (size_t)(Y(n)->data.mapping.pairs.top - Y(n)->data.mapping.pairs.start);
	default:
		return 0;
	}
}

static const yaml_node_t *node_id(const struct ew_conf *cf, int id)
{
	return yaml_document_get_node((yaml_document_t *)&cf->doc, id);
}

struct ew_conf_node ew_conf_at(struct ew_conf_node seq, size_t i)
{
	if (ew_conf_type(seq) != EW_CONF_SEQ || i >= ew_conf_len(seq))
		return mk(seq.cf, NULL);
	return mk(seq.cf, node_id(seq.cf, Y(seq)->data.sequence.items.start[i]));
}

struct ew_conf_node ew_conf_key(struct ew_conf_node map, size_t i)
{
	if (ew_conf_type(map) != EW_CONF_MAP || i >= ew_conf_len(map))
		return mk(map.cf, NULL);
	return mk(map.cf, node_id(map.cf, Y(map)->data.mapping.pairs.start[i].key));
}

struct ew_conf_node ew_conf_val(struct ew_conf_node map, size_t i)
{
	if (ew_conf_type(map) != EW_CONF_MAP || i >= ew_conf_len(map))
		return mk(map.cf, NULL);
	return mk(map.cf, node_id(map.cf, Y(map)->data.mapping.pairs.start[i].value));
}

struct ew_conf_node ew_conf_get(struct ew_conf_node map, const char *key)
{
	size_t n = ew_conf_len(map);

	if (ew_conf_type(map) != EW_CONF_MAP)
		return mk(map.cf, NULL);
	for (size_t i = 0; i < n; i++) {
		struct ew_conf_node k = ew_conf_key(map, i);

		if (ew_conf_type(k) == EW_CONF_SCALAR && strcmp(ew_conf_str(k), key) == 0)
			return ew_conf_val(map, i);
	}
	return mk(map.cf, NULL);
}

unsigned ew_conf_line(struct ew_conf_node n)
{
	return n.n ? (unsigned)Y(n)->start_mark.line + 1 : 1;
}

unsigned ew_conf_col(struct ew_conf_node n)
{
	return n.n ? (unsigned)Y(n)->start_mark.column + 1 : 1;
}

int ew_conf_errf(struct ew_err *err, struct ew_conf_node n, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ew_err_at(err, n.cf ? n.cf->file : "?", ew_conf_line(n), ew_conf_col(n), "%s",
			 msg);
}

int ew_conf_check_map(struct ew_conf_node n, const char *what, const char *const *allowed,
		      struct ew_err *err)
{
	size_t len = ew_conf_len(n);

	if (ew_conf_type(n) != EW_CONF_MAP)
		return ew_conf_errf(err, n, "%s must be a mapping", what);
	for (size_t i = 0; i < len; i++) {
		struct ew_conf_node k = ew_conf_key(n, i);
		const char *ks = ew_conf_str(k);
		int ok = 0;

		if (ew_conf_type(k) != EW_CONF_SCALAR)
			return ew_conf_errf(err, k, "%s keys must be plain words", what);
		for (const char *const *a = allowed; *a != NULL; a++)
			if (strcmp(*a, ks) == 0)
				ok = 1;
		if (!ok) {
			char list[400] = "";
			size_t used = 0;

			for (const char *const *a = allowed; *a != NULL && used < sizeof(list) - 40; a++)
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
							 a == allowed ? "" : ", ", *a);
			return ew_conf_errf(err, k, "unknown key \"%s\" in %s (expected one of: %s)",
					    ks, what, list);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(ew_conf_str(ew_conf_key(n, j)), ks) == 0)
				return ew_conf_errf(err, k, "duplicate key \"%s\" in %s", ks, what);
	}
	return EW_OK;
}

int ew_conf_string(struct ew_conf_node n, const char **out, struct ew_err *err)
{
	if (ew_conf_type(n) != EW_CONF_SCALAR)
		return ew_conf_errf(err, n, "expected a single value here");
	*out = ew_conf_str(n);
	return EW_OK;
}

int ew_conf_uint(struct ew_conf_node n, uint64_t max, uint64_t *out, struct ew_err *err)
{
	const char *s = "";
	char *end;
	unsigned long long v;

	if (ew_conf_string(n, &s, err) != EW_OK)
		return EW_E_INVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max)
		return ew_conf_errf(err, n, "expected a whole number from 0 to %llu, not \"%s\"",
				    (unsigned long long)max, s);
	*out = v;
	return EW_OK;
}

int ew_conf_bool(struct ew_conf_node n, int *out, struct ew_err *err)
{
	const char *s = "";

	if (ew_conf_string(n, &s, err) != EW_OK)
		return EW_E_INVAL;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = 1;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = 0;
	else
		return ew_conf_errf(err, n, "expected true or false, not \"%s\"", s);
	return EW_OK;
}

int ew_conf_duration(struct ew_conf_node n, uint64_t *us, struct ew_err *err)
{
	const char *s = "";

	if (ew_conf_string(n, &s, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_duration_parse(s, us) != 0)
		return ew_conf_errf(err, n, "expected a duration such as 30s, 5m or 1h, not \"%s\"",
				    s);
	return EW_OK;
}

struct ew_conf_node ew_conf_path(struct ew_conf_node n, const char *dotted)
{
	char key[64];

	while (*dotted && ew_conf_present(n)) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);

		if (l >= sizeof(key) || ew_conf_type(n) != EW_CONF_MAP)
			return mk(n.cf, NULL);
		memcpy(key, dotted, l);
		key[l] = 0;
		n = ew_conf_get(n, key);
		dotted += l + (dot != NULL);
	}
	return n;
}
