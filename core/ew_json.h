/* SPDX-License-Identifier: Apache-2.0 */
/* ew_json - a bounded JSON reader for the records eastwatch reads back from Kafka (flow
 * records for `analyze` and `learn --kafka`): one pass over the bytes, every scalar
 * handed to a callback with its dotted path ("source.ip", "eastwatch.source_groups"
 * for each element of that array). No allocation: strings are unescaped into a buffer
 * the caller gives, paths are built in a fixed one. Input is untrusted: nesting deeper
 * than EW_JSON_DEPTH, a path longer than EW_JSON_PATH, a string longer than the buffer,
 * bad escapes, invalid UTF-8 and anything after the top-level value are errors. */
#ifndef EW_JSON_H
#define EW_JSON_H

#include <stddef.h>

#define EW_JSON_DEPTH 16
#define EW_JSON_PATH 256

enum ew_json_type { EW_JSON_STRING, EW_JSON_NUMBER, EW_JSON_TRUE, EW_JSON_FALSE, EW_JSON_NULL };

/* One scalar: its path (members joined by '.', array elements take their array's path),
 * its type and its text (unescaped for strings, NUL-terminated, len bytes; it may hold
 * NUL bytes from \u0000). Valid during the call. Return 0 to go on, non-zero to stop
 * (ew_json_walk then returns that value). */
typedef int (*ew_json_fn)(void *arg, const char *path, enum ew_json_type t, const char *v,
			  size_t len);

/* Walk the JSON text s[0..n): EW_OK (every scalar given to fn), what fn returned to stop,
 * or EW_E_MALFORMED. scratch (cap bytes) holds each string while fn sees it. */
int ew_json_walk(const char *s, size_t n, char *scratch, size_t cap, ew_json_fn fn, void *arg);

#endif
