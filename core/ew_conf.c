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

static int load(struct ew_conf **out, const char *name, yaml_parser_t *p, struct ew_err *err)
{
	size_t nlen = strlen(name);
	struct ew_conf *cf = calloc(1, sizeof(*cf) + nlen + 1);

	if (cf == NULL)
		return ew_err_set(err, "%s: out of memory", name);
	memcpy(cf->file, name, nlen + 1);
	if (!yaml_parser_load(p, &cf->doc)) {
		int rc = ew_err_at(err, name, (unsigned)p->problem_mark.line + 1,
				   (unsigned)p->problem_mark.column + 1, "YAML syntax: %s%s%s",
				   p->problem ? p->problem : "error",
				   p->context ? " " : "", p->context ? p->context : "");
		free(cf);
		return rc;
	}
	cf->has_doc = 1;
	{
		/* a second document ("---") would be silently ignored: refuse it */
		yaml_document_t next;
		int rc = EW_OK;

		if (!yaml_parser_load(p, &next)) {
			rc = ew_err_at(err, name, (unsigned)p->problem_mark.line + 1,
				       (unsigned)p->problem_mark.column + 1, "YAML syntax: %s",
				       p->problem ? p->problem : "error");
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
	yaml_parser_t p;
	struct stat st;
	FILE *f;
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
	if (fcntl(fd, F_SETFL, 0) != 0 || (f = fdopen(fd, "rb")) == NULL) {
		rc = ew_err_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	rc = load(out, path, &p, err);
	yaml_parser_delete(&p);
	fclose(f);
	return rc;
}

int ew_conf_load_mem(struct ew_conf **out, const char *name, const void *data, size_t len,
		     struct ew_err *err)
{
	yaml_parser_t p;
	int rc;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, data, len);
	rc = load(out, name, &p, err);
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
