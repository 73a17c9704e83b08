/* SPDX-License-Identifier: Apache-2.0 */
/* alert - field names, alert identities and deep copies; see alert.h. */
#include "alerting/alert.h"
#include "core/ew_buf.h"
#include "core/ew_flow.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* FNV-1a over the fields, then a 64-bit finalizer (splitmix) so every bit depends on all. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

uint64_t ew_alert_id(const struct ew_alert *a, uint64_t window_us)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint64_t win = window_us ? a->ts_us / window_us : a->ts_us;
	uint8_t k[3] = { a->proto, (uint8_t)(a->dport >> 8), (uint8_t)a->dport };

	h = fnv(h, a->action, strlen(a->action) + 1);
	h = fnv(h, a->rule, strlen(a->rule) + 1);
	h = fnv(h, &a->src, sizeof(a->src));
	h = fnv(h, &a->dst, sizeof(a->dst));
	h = fnv(h, k, sizeof(k));
	h = fnv(h, &win, sizeof(win));
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

void ew_alert_flow_fields(struct ew_alert *a, const struct ew_flow *f)
{
	a->src = f->src;
	a->dst = f->dst;
	a->sport = f->sport;
	a->dport = f->dport;
	a->proto = f->proto;
	a->app_source = f->app_source;
	a->outcome = f->outcome;
	a->vlan = f->vlan;
	a->flow_start_us = f->first_us;
	a->pkts[0] = f->pkts[0];
	a->pkts[1] = f->pkts[1];
	a->bytes[0] = f->bytes[0];
	a->bytes[1] = f->bytes[1];
}

const char *ew_alert_id_str(uint64_t id, char out[17])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, id >>= 4)
		out[i] = hex[id & 15];
	out[16] = 0;
	return out;
}

static const char *keep(struct ew_buf *b, const char *s)
{
	size_t at = b->len;

	if (s == NULL)
		return NULL;
	ew_buf_put(b, s, strlen(s) + 1);
	return ew_buf_overflow(b) ? "" : b->p + at;
}

int ew_alert_copy(struct ew_alert_copy *c, const struct ew_alert *a)
{
	struct ew_buf b;

	ew_buf_init(&b, c->arena, sizeof(c->arena));
	c->a = *a;
	c->a.rule = keep(&b, a->rule);
	c->a.rule_file = keep(&b, a->rule_file);
	c->a.message = keep(&b, a->message);
	c->a.app = keep(&b, a->app);
	c->a.app_ecs = keep(&b, a->app_ecs);
	c->a.port_app = keep(&b, a->port_app);
	for (uint32_t i = 0; i < a->nsrc_groups; i++)
		c->a.src_groups[i] = keep(&b, a->src_groups[i]);
	for (uint32_t i = 0; i < a->ndst_groups; i++)
		c->a.dst_groups[i] = keep(&b, a->dst_groups[i]);
	c->a.nnotify = a->nnotify < 16 ? a->nnotify : 16;
	for (uint32_t i = 0; i < c->a.nnotify; i++)
		c->notify[i] = keep(&b, a->notify[i]);
	c->a.notify = c->notify;
	c->a.nsensors = a->nsensors < 16 ? a->nsensors : 16;
	for (uint32_t i = 0; i < c->a.nsensors; i++)
		c->sensors[i] = keep(&b, a->sensors[i]);
	c->a.sensors = c->sensors;
	c->used = (uint32_t)(ew_buf_overflow(&b) ? sizeof(c->arena) : b.len);
	return ew_buf_overflow(&b) ? -1 : 0;
}

size_t ew_alert_copy_size(const struct ew_alert_copy *c)
{
	return offsetof(struct ew_alert_copy, arena) + c->used;
}

const char *ew_alert_direction(int src_home, int dst_home)
{
	return src_home ? (dst_home ? "internal" : "outbound") : dst_home ? "inbound" : "external";
}

const char *ew_alert_direction_of(const struct ew_alert *a)
{
	if (a->home[0] && a->home[1])
		return ew_alert_direction(a->home[0] == 2, a->home[1] == 2);
	return ew_alert_direction(a->nsrc_groups > 0, a->ndst_groups > 0);
}
