/* SPDX-License-Identifier: Apache-2.0 */
/* ew_conf - YAML documents with positions, for configuration and policy files.
 *
 * A thin read-only view over a libyaml document: every node knows its file, line and
 * column, so that any consumer (policy loader, config parser, sink options) reports
 * "FILE:LINE:COL: message" without keeping positions itself. Nodes are small values
 * that borrow from the loaded document; they are valid until ew_conf_free. */
#ifndef EW_CONF_H
#define EW_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "core/ew_err.h"

/* The largest configuration or policy file read (bytes). */
#define EW_CONF_MAX_BYTES (16 * 1024 * 1024)
/* Bounds on what a file may make the loader do (see ew_conf_load). */
#define EW_CONF_MAX_DEPTH 64          /* nesting of mappings and sequences */
#define EW_CONF_MAX_ALIASES 10000     /* *alias references */
#define EW_CONF_MAX_NODES 1000000     /* nodes that aliases stand for, all expanded */

struct ew_conf;

struct ew_conf_node {
	const struct ew_conf *cf;
	const void *n;        /* yaml_node_t, NULL for "absent" */
};

enum ew_conf_type { EW_CONF_NONE, EW_CONF_SCALAR, EW_CONF_SEQ, EW_CONF_MAP };

/* Load the YAML document of path (a second document is an error). An empty file gives
 * an empty mapping. Refused, at the position of the cause: a file that is not regular or
 * is larger than EW_CONF_MAX_BYTES, nesting deeper than EW_CONF_MAX_DEPTH, more than
 * EW_CONF_MAX_ALIASES aliases or aliases expanding past EW_CONF_MAX_NODES nodes, a NUL
 * character in a value (also written "\0"), bad UTF-8 or a control character.
 * Returns EW_OK, or fills err ("FILE:LINE:COL: message") and returns < 0. */
int ew_conf_load(struct ew_conf **out, const char *path, struct ew_err *err);
/* Same over a memory buffer; name is used in messages. */
int ew_conf_load_mem(struct ew_conf **out, const char *name, const void *data, size_t len,
		     struct ew_err *err);
void ew_conf_free(struct ew_conf *cf);

const char *ew_conf_file(const struct ew_conf *cf);
struct ew_conf_node ew_conf_root(const struct ew_conf *cf);

enum ew_conf_type ew_conf_type(struct ew_conf_node n);
static inline int ew_conf_present(struct ew_conf_node n) { return n.n != NULL; }
/* The scalar text ("" for other kinds). */
const char *ew_conf_str(struct ew_conf_node n);
/* Items of a sequence or pairs of a mapping. */
size_t ew_conf_len(struct ew_conf_node n);
struct ew_conf_node ew_conf_at(struct ew_conf_node seq, size_t i);
struct ew_conf_node ew_conf_key(struct ew_conf_node map, size_t i);
struct ew_conf_node ew_conf_val(struct ew_conf_node map, size_t i);
/* The value for key in a mapping, or an absent node. */
struct ew_conf_node ew_conf_get(struct ew_conf_node map, const char *key);
/* The node at a dotted path of mapping keys ("source.ip"), or an absent node. */
struct ew_conf_node ew_conf_path(struct ew_conf_node n, const char *dotted);

unsigned ew_conf_line(struct ew_conf_node n);   /* 1-based */
unsigned ew_conf_col(struct ew_conf_node n);    /* 1-based */

/* Fill err with "FILE:LINE:COL: message" at node n. Returns EW_E_INVAL. */
int ew_conf_errf(struct ew_err *err, struct ew_conf_node n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Check that n is a mapping whose keys are all in allowed (NULL-terminated) and appear
 * once. what names the mapping in messages ("group", "sink"). */
int ew_conf_check_map(struct ew_conf_node n, const char *what, const char *const *allowed,
		      struct ew_err *err);

/* Typed scalar readers: each reports a wrong kind or value at the node's position. */
int ew_conf_string(struct ew_conf_node n, const char **out, struct ew_err *err);
int ew_conf_uint(struct ew_conf_node n, uint64_t max, uint64_t *out, struct ew_err *err);
int ew_conf_bool(struct ew_conf_node n, int *out, struct ew_err *err);
int ew_conf_duration(struct ew_conf_node n, uint64_t *us, struct ew_err *err);

#endif
