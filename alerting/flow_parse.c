/* SPDX-License-Identifier: Apache-2.0 */
/* flow_parse - see flow_parse.h. One callback per scalar, dispatched on its path. */
#include "alerting/flow_parse.h"
#include "core/ew_json.h"
#include "core/ew_time.h"

#include <stdlib.h>
#include <string.h>

enum {
	S_ACTION = 1u << 0, S_START = 1u << 1, S_END = 1u << 2, S_SRC = 1u << 3,
	S_DST = 1u << 4, S_PROTO = 1u << 5, S_VERDICT = 1u << 6,
	S_ALL = (1u << 7) - 1,
};

struct ctx {
	struct ew_flow_parsed *p;
	struct ew_err *err;
	int flags_at;              /* next eastwatch.tcp_flags element */
};

static int bad(struct ctx *c, const char *path, const char *why)
{
	ew_err_set(c->err, "%s: %s", path, why);
	return EW_E_MALFORMED;
}

/* An unsigned number up to max: 0, or -1 (not a number, or too large). */
static int unum(const char *v, enum ew_json_type t, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (t != EW_JSON_NUMBER || v[0] == '-')
		return -1;
	x = strtoull(v, &end, 10);
	if (*end || x > max)
		return -1;
	*out = x;
	return 0;
}

static int copy(struct ctx *c, const char *path, char *to, size_t cap, enum ew_json_type t,
		const char *v, size_t len)
{
	if (t != EW_JSON_STRING || len >= cap || memchr(v, 0, len))
		return bad(c, path, "expected a string (shorter than its bound)");
	memcpy(to, v, len + 1);
	return 0;
}

static int group(struct ctx *c, const char *path, const char **list, uint32_t *n,
		 enum ew_json_type t, const char *v, size_t len)
{
	struct ew_flow_parsed *p = c->p;

	if (t != EW_JSON_STRING || memchr(v, 0, len))
		return bad(c, path, "expected group names");
	if (*n >= EW_ALERT_MAX_GROUPS || p->used + len + 1 > sizeof(p->arena))
		return bad(c, path, "too many groups");
	memcpy(p->arena + p->used, v, len + 1);
	list[(*n)++] = p->arena + p->used;
	p->used += len + 1;
	return 0;
}

static int on_value(void *arg, const char *path, enum ew_json_type t, const char *v, size_t len)
{
	struct ctx *c = arg;
	struct ew_flow_parsed *p = c->p;
	struct ew_flow *f = &p->f;
	uint64_t x;
	int64_t ts;
	int code;

	switch (path[0]) {
	case 'e':
		if (strncmp(path, "eastwatch.", 10) == 0) {
			const char *k = path + 10;

			if (strcmp(k, "verdict") == 0) {
				p->seen |= S_VERDICT;
				if (t == EW_JSON_STRING && strcmp(v, "allow") == 0)
					p->verdict = EW_FV_ALLOW;
				else if (t == EW_JSON_STRING && strcmp(v, "deny") == 0)
					p->verdict = EW_FV_DENY;
				else if (t == EW_JSON_STRING && strcmp(v, "none") == 0)
					p->verdict = EW_FV_NONE;
				else
					return bad(c, path, "expected allow, deny or none");
			} else if (strcmp(k, "app") == 0) {
				return copy(c, path, p->app, sizeof(p->app), t, v, len);
			} else if (strcmp(k, "port_app") == 0) {
				return copy(c, path, p->port_app, sizeof(p->port_app), t, v, len);
			} else if (strcmp(k, "app_source") == 0 || strcmp(k, "end_reason") == 0) {
				if (t != EW_JSON_STRING ||
				    (code = ew_flow_code(k[0] == 'a' ? "app_source" : "end", v)) < 0)
					return bad(c, path, "unknown name");
				if (k[0] == 'a')
					f->app_source = (uint8_t)code;
				else
					f->end_reason = (uint8_t)code;
			} else if (strcmp(k, "source_groups") == 0) {
				return group(c, path, p->src_groups, &p->nsrc_groups, t, v, len);
			} else if (strcmp(k, "destination_groups") == 0) {
				return group(c, path, p->dst_groups, &p->ndst_groups, t, v, len);
			} else if (strcmp(k, "risk") == 0) {
				if (unum(v, t, UINT64_MAX, &x))
					return bad(c, path, "expected a number");
				f->risk = x;
			} else if (strcmp(k, "tcp_flags") == 0) {
				if (c->flags_at >= 2 || unum(v, t, 255, &x))
					return bad(c, path, "expected two flag bytes");
				f->tcp_flags[c->flags_at++] = (uint8_t)x;
			}
			return 0;
		}
		if (strcmp(path, "event.action") == 0) {
			if (t != EW_JSON_STRING || strcmp(v, "flow") != 0)
				return bad(c, path, "not a flow record");
			p->seen |= S_ACTION;
		} else if (strcmp(path, "event.start") == 0 || strcmp(path, "event.end") == 0) {
			if (t != EW_JSON_STRING || (ts = ew_time_parse_rfc3339(v)) < 0)
				return bad(c, path, "expected an RFC 3339 time");
			if (path[6] == 's') {
				f->first_us = (uint64_t)ts;
				p->seen |= S_START;
			} else {
				f->last_us = (uint64_t)ts;
				p->seen |= S_END;
			}
		}
		return 0;
	case 's':
	case 'd': {
		int d = path[0] == 'd';
		const char *k;

		if (strncmp(path, d ? "destination." : "source.", d ? 12 : 7) != 0)
			return 0;
		k = path + (d ? 12 : 7);
		if (strcmp(k, "ip") == 0) {
			if (t != EW_JSON_STRING || ew_addr_parse(d ? &f->dst : &f->src, v) != 0)
				return bad(c, path, "not an address");
			p->seen |= d ? S_DST : S_SRC;
		} else if (strcmp(k, "port") == 0) {
			if (unum(v, t, 65535, &x))
				return bad(c, path, "expected a port");
			if (d)
				f->dport = (uint16_t)x;
			else
				f->sport = (uint16_t)x;
		} else if (strcmp(k, "packets") == 0) {
			if (unum(v, t, UINT32_MAX, &x))
				return bad(c, path, "expected a count");
			f->pkts[d] = (uint32_t)x;
		} else if (strcmp(k, "bytes") == 0) {
			if (unum(v, t, UINT64_MAX, &x))
				return bad(c, path, "expected a count");
			f->bytes[d] = x;
		}
		return 0;
	}
	case 'n':
		if (strcmp(path, "network.iana_number") == 0) {
			char *end;

			x = t == EW_JSON_STRING ? strtoull(v, &end, 10) : 256;
			if (t != EW_JSON_STRING || !*v || *end || x > 255)
				return bad(c, path, "expected a protocol number");
			f->proto = (uint8_t)x;
			p->seen |= S_PROTO;
		} else if (strcmp(path, "network.vlan.id") == 0) {
			char *end;

			x = t == EW_JSON_STRING ? strtoull(v, &end, 10) : 4096;
			if (t != EW_JSON_STRING || !*v || *end || x > 4095)
				return bad(c, path, "expected a VLAN id");
			f->vlan = (uint16_t)x;
		}
		return 0;
	case 'o':
		if (strcmp(path, "observer.name") == 0)
			return copy(c, path, p->observer, sizeof(p->observer), t, v, len);
		if (strcmp(path, "observer.type") == 0)
			return copy(c, path, p->observer_type, sizeof(p->observer_type), t, v, len);
		return 0;
	case 'r':
		if (strcmp(path, "rule.name") == 0)
			return copy(c, path, p->rule, sizeof(p->rule), t, v, len);
		return 0;
	default:
		return 0;
	}
}

int ew_flow_parse(struct ew_flow_parsed *p, const char *json, size_t len, struct ew_err *err)
{
	struct ctx c = { .p = p, .err = err };
	int rc;

	memset(&p->f, 0, sizeof(p->f));
	p->verdict = EW_FV_NONE;
	p->app[0] = p->port_app[0] = p->observer[0] = p->observer_type[0] = p->rule[0] = 0;
	p->nsrc_groups = p->ndst_groups = 0;
	p->used = 0;
	p->seen = 0;
	p->f.sampling = 1;
	ew_err_set(err, "malformed JSON");
	rc = ew_json_walk(json, len, p->scratch, sizeof(p->scratch), on_value, &c);
	if (rc != EW_OK)
		return EW_E_MALFORMED;
	if ((p->seen & S_ALL) != S_ALL) {
		static const char *const names[] = { "event.action", "event.start", "event.end",
						     "source.ip", "destination.ip",
						     "network.iana_number", "eastwatch.verdict" };

		for (int i = 0; i < 7; i++)
			if (!(p->seen & (1u << i)))
				return ew_err_set(err, "%s: missing", names[i]), EW_E_MALFORMED;
	}
	if (p->f.last_us < p->f.first_us)
		return ew_err_set(err, "event.end: before event.start"), EW_E_MALFORMED;
	if (p->app[0] == 0)
		strcpy(p->app, "Unknown");
	if (p->port_app[0] == 0)
		strcpy(p->port_app, "unknown");
	return EW_OK;
}
