/* SPDX-License-Identifier: Apache-2.0 */
/* ew_json - see ew_json.h. A recursive-descent reader whose depth is bounded, over a
 * cursor that never reads past the end. */
#include "core/ew_json.h"
#include "core/ew_buf.h"
#include "core/ew_err.h"

#include <string.h>

struct rd {
	const char *p, *end;
	char path[EW_JSON_PATH];
	size_t plen;
	char *scratch;
	size_t cap;
	ew_json_fn fn;
	void *arg;
	int stop;            /* what fn returned */
};

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string at r->p (on its opening quote) unescaped into scratch; its length in *len. */
static int string(struct rd *r, size_t *len)
{
	size_t o = 0;

	r->p++;
	while (r->p < r->end && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p;
		char u[4];
		size_t ul = 1;
		const char *run = r->p;

		/* a run of plain ASCII, copied at once */
		while (run < r->end && (unsigned char)*run >= 0x20 && (unsigned char)*run < 0x80 &&
		       *run != '"' && *run != '\\')
			run++;
		if (run > r->p) {
			size_t n = (size_t)(run - r->p);

			if (o + n >= r->cap)
				return EW_E_MALFORMED;
			memcpy(r->scratch + o, r->p, n);
			o += n;
			r->p = run;
			continue;
		}
		if (c < 0x20)
			return EW_E_MALFORMED;
		if (c != '\\') {
			size_t n = ew_utf8_len((const unsigned char *)r->p, (size_t)(r->end - r->p));

			if (n == 0 || o + n >= r->cap)
				return EW_E_MALFORMED;
			memcpy(r->scratch + o, r->p, n);
			o += n;
			r->p += n;
			continue;
		}
		if (r->end - r->p < 2)
			return EW_E_MALFORMED;
		switch (r->p[1]) {
		case '"': case '\\': case '/': u[0] = r->p[1]; break;
		case 'b': u[0] = '\b'; break;
		case 'f': u[0] = '\f'; break;
		case 'n': u[0] = '\n'; break;
		case 'r': u[0] = '\r'; break;
		case 't': u[0] = '\t'; break;
		case 'u': {
			unsigned cp, lo;

			if (r->end - r->p < 6 || hex4(r->p + 2, &cp))
				return EW_E_MALFORMED;
			if (cp >= 0xdc00 && cp < 0xe000)
				return EW_E_MALFORMED;
			if (cp >= 0xd800 && cp < 0xdc00) {   /* a surrogate pair */
				if (r->end - r->p < 12 || r->p[6] != '\\' || r->p[7] != 'u' ||
				    hex4(r->p + 8, &lo) || lo < 0xdc00 || lo >= 0xe000)
					return EW_E_MALFORMED;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				r->p += 6;
			}
			if (cp < 0x80) {
				u[0] = (char)cp;
			} else if (cp < 0x800) {
				u[0] = (char)(0xc0 | cp >> 6);
				u[1] = (char)(0x80 | (cp & 0x3f));
				ul = 2;
			} else if (cp < 0x10000) {
				u[0] = (char)(0xe0 | cp >> 12);
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[2] = (char)(0x80 | (cp & 0x3f));
				ul = 3;
			} else {
				u[0] = (char)(0xf0 | cp >> 18);
				u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[3] = (char)(0x80 | (cp & 0x3f));
				ul = 4;
			}
			r->p += 4;
			break;
		}
		default:
			return EW_E_MALFORMED;
		}
		if (o + ul >= r->cap)
			return EW_E_MALFORMED;
		memcpy(r->scratch + o, u, ul);
		o += ul;
		r->p += 2;
	}
	if (r->p >= r->end)
		return EW_E_MALFORMED;
	r->p++;
	r->scratch[o] = 0;
	*len = o;
	return EW_OK;
}

static int lit(struct rd *r, const char *w, enum ew_json_type t)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return EW_E_MALFORMED;
	r->p += n;
	r->scratch[0] = 0;
	if ((r->stop = r->fn(r->arg, r->path, t, w, n)) != 0)
		return r->stop;
	return EW_OK;
}

/* A number as JSON spells it (RFC 8259 §6), handed over as text. */
static int number(struct rd *r)
{
	const char *s = r->p;
	size_t n;

	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return EW_E_MALFORMED;
	if (*r->p == '0')
		r->p++;
	else
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return EW_E_MALFORMED;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return EW_E_MALFORMED;
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	n = (size_t)(r->p - s);
	if (n >= r->cap)
		return EW_E_MALFORMED;
	memcpy(r->scratch, s, n);
	r->scratch[n] = 0;
	if ((r->stop = r->fn(r->arg, r->path, EW_JSON_NUMBER, r->scratch, n)) != 0)
		return r->stop;
	return EW_OK;
}

static int value(struct rd *r, int depth);

static int object(struct rd *r, int depth)
{
	size_t base = r->plen;
	int rc;

	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return EW_OK;
	}
	for (;;) {
		size_t kl, at = base;

		ws(r);
		if (r->p >= r->end || *r->p != '"')
			return EW_E_MALFORMED;
		if ((rc = string(r, &kl)) != EW_OK)
			return rc;
		if (memchr(r->scratch, 0, kl) || base + kl + 2 > sizeof(r->path))
			return EW_E_MALFORMED;
		if (base)
			r->path[at++] = '.';
		memcpy(r->path + at, r->scratch, kl);
		r->plen = at + kl;
		r->path[r->plen] = 0;
		ws(r);
		if (r->p >= r->end || *r->p != ':')
			return EW_E_MALFORMED;
		r->p++;
		if ((rc = value(r, depth + 1)) != EW_OK)
			return rc;
		r->plen = base;
		r->path[base] = 0;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return EW_OK;
		}
		return EW_E_MALFORMED;
	}
}

static int array(struct rd *r, int depth)
{
	int rc;

	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return EW_OK;
	}
	for (;;) {
		if ((rc = value(r, depth + 1)) != EW_OK)
			return rc;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return EW_OK;
		}
		return EW_E_MALFORMED;
	}
}

static int value(struct rd *r, int depth)
{
	size_t len;
	int rc;

	if (depth > EW_JSON_DEPTH)
		return EW_E_MALFORMED;
	ws(r);
	if (r->p >= r->end)
		return EW_E_MALFORMED;
	switch (*r->p) {
	case '{': return object(r, depth);
	case '[': return array(r, depth);
	case '"':
		if ((rc = string(r, &len)) != EW_OK)
			return rc;
		if ((r->stop = r->fn(r->arg, r->path, EW_JSON_STRING, r->scratch, len)) != 0)
			return r->stop;
		return EW_OK;
	case 't': return lit(r, "true", EW_JSON_TRUE);
	case 'f': return lit(r, "false", EW_JSON_FALSE);
	case 'n': return lit(r, "null", EW_JSON_NULL);
	default: return number(r);
	}
}

int ew_json_walk(const char *s, size_t n, char *scratch, size_t cap, ew_json_fn fn, void *arg)
{
	struct rd r = { .p = s, .end = s + n, .scratch = scratch, .cap = cap, .fn = fn,
			.arg = arg };
	int rc;

	if (cap < 8)
		return EW_E_MALFORMED;
	if ((rc = value(&r, 0)) != EW_OK)
		return r.stop ? r.stop : rc;
	ws(&r);
	return r.p == r.end ? EW_OK : EW_E_MALFORMED;
}
