/* SPDX-License-Identifier: Apache-2.0 */
/* throttle_redis - see throttle_redis.h. */
#include "alerting/throttle_redis.h"
#include "alerting/alert_parse.h"
#include "alerting/fmt_json.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An alert waiting for Redis's answer: its JSON (the alert is rebuilt from it). */
struct pend {
	struct ew_rthrottle *t;
	struct pend *prev, *next;
	int done;                  /* given up on (sent unshared); freed when its reply comes */
	size_t len;
	char *json;                /* right after the struct, same allocation */
};

struct ew_rthrottle {
	char host[256];
	int port;
	uint64_t window_ms;
	char sensor[128];
	struct event_base *eb;
	int own_eb;
	redisAsyncContext *ac;
	int connected;
	uint64_t next_try_us, backoff_ms;
	ew_rthrottle_deliver_fn deliver;
	void *arg;
	struct pend head;          /* list of pending alerts */
	struct ew_rthrottle_stats s;
	char buf[16384];
};

static void unlink_pend(struct pend *p)
{
	p->prev->next = p->next;
	p->next->prev = p->prev;
	p->t->s.pending--;
}

static void deliver_json(struct ew_rthrottle *t, const char *json, size_t len)
{
	struct ew_alert_parsed ap;
	struct ew_err err;

	if (ew_alert_parse(&ap, json, len, &err) == EW_OK)
		t->deliver(t->arg, &ap.a);
	else
		ew_error("redis throttle: cannot rebuild an alert: %s", err.msg);
	ew_alert_parsed_free(&ap);
}

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
	struct pend *p = priv;
	struct ew_rthrottle *t = p->t;
	redisReply *rep = r;

	if (p->done) {
		free(p);
		return;
	}
	unlink_pend(p);
	if (rep && rep->type == REDIS_REPLY_STATUS) {         /* OK: we set it, we send */
		t->s.passed++;
		deliver_json(t, p->json, p->len);
	} else if (rep && rep->type == REDIS_REPLY_NIL) {     /* another sensor sent it */
		t->s.suppressed++;
	} else {                                              /* error or disconnect: send */
		t->s.failed_open++;
		deliver_json(t, p->json, p->len);
	}
	free(p);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	struct ew_rthrottle *t = ac->data;

	if (status != REDIS_OK) {
		ew_warn("redis throttle: cannot connect to %s:%d: %s; alerts are sent unshared",
			t->host, t->port, ac->errstr);
		t->ac = NULL;          /* hiredis frees the context */
		t->connected = 0;
		return;
	}
	t->connected = 1;
	t->backoff_ms = 0;
	ew_info("redis throttle: connected to %s:%d", t->host, t->port);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct ew_rthrottle *t = ac->data;

	if (t == NULL)
		return;
	if (status != REDIS_OK)
		ew_warn("redis throttle: lost %s:%d: %s", t->host, t->port, ac->errstr);
	t->ac = NULL;
	t->connected = 0;
}

static void try_connect(struct ew_rthrottle *t)
{
	uint64_t now = ew_time_mono_us();

	if (t->ac || now < t->next_try_us)
		return;
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : 500;
	if (t->backoff_ms > 30000)
		t->backoff_ms = 30000;
	t->next_try_us = now + t->backoff_ms * 1000;
	t->ac = redisAsyncConnect(t->host, t->port);
	if (t->ac == NULL)
		return;
	if (t->ac->err) {
		redisAsyncFree(t->ac);
		t->ac = NULL;
		return;
	}
	t->ac->data = t;
	redisLibeventAttach(t->ac, t->eb);
	redisAsyncSetConnectCallback(t->ac, on_connect);
	redisAsyncSetDisconnectCallback(t->ac, on_disconnect);
}

struct ew_rthrottle *ew_rthrottle_new(const char *addr, uint64_t window_us, const char *sensor,
				      struct event_base *eb, ew_rthrottle_deliver_fn deliver,
				      void *arg, struct ew_err *err)
{
	struct ew_rthrottle *t = calloc(1, sizeof(*t));
	uint16_t port;

	if (t == NULL) {
		ew_err_set(err, "redis throttle: out of memory");
		return NULL;
	}
	if (ew_hostport_split(addr, t->host, sizeof(t->host), &port, 6379) != 0 || !t->host[0]) {
		ew_err_set(err, "redis address \"%s\": expected host:port", addr);
		free(t);
		return NULL;
	}
	t->port = port;
	t->window_ms = window_us / 1000 ? window_us / 1000 : 1;
	snprintf(t->sensor, sizeof(t->sensor), "%s", sensor ? sensor : "eastwatch");
	t->eb = eb;
	if (eb == NULL) {
		t->eb = event_base_new();
		t->own_eb = 1;
	}
	t->deliver = deliver;
	t->arg = arg;
	t->head.next = t->head.prev = &t->head;
	try_connect(t);
	return t;
}

void ew_rthrottle_submit(struct ew_rthrottle *t, const struct ew_alert *a)
{
	struct ew_buf b;
	struct pend *p;
	char id[17];

	t->s.offered++;
	try_connect(t);
	if (t->own_eb)
		event_base_loop(t->eb, EVLOOP_NONBLOCK);
	/* a connection still being made buffers the command; a failed one answers NULL */
	if (t->ac == NULL) {
		t->s.failed_open++;
		t->deliver(t->arg, a);
		return;
	}
	ew_buf_init(&b, t->buf, sizeof(t->buf));
	if (ew_fmt_json(a, &b) != 0 || (p = malloc(sizeof(*p) + b.len)) == NULL) {
		t->s.failed_open++;
		t->deliver(t->arg, a);
		return;
	}
	p->t = t;
	p->done = 0;
	p->json = (char *)(p + 1);
	p->len = b.len;
	memcpy(p->json, b.p, b.len);
	p->next = &t->head;
	p->prev = t->head.prev;
	t->head.prev->next = p;
	t->head.prev = p;
	t->s.pending++;
	if (redisAsyncCommand(t->ac, on_reply, p, "SET eastwatch:throttle:%s %s NX PX %llu",
			      ew_alert_id_str(a->alert_id, id), t->sensor,
			      (unsigned long long)t->window_ms) != REDIS_OK) {
		unlink_pend(p);   /* hiredis did not take the callback */
		free(p);
		t->s.failed_open++;
		t->deliver(t->arg, a);
	}
}

void ew_rthrottle_drain(struct ew_rthrottle *t, int timeout_ms)
{
	uint64_t deadline = ew_time_mono_us() + (uint64_t)timeout_ms * 1000;

	while (t->s.pending && ew_time_mono_us() < deadline) {
		struct timeval tv = { 0, 50000 };

		event_base_loopexit(t->eb, &tv);
		event_base_loop(t->eb, EVLOOP_ONCE);
	}
	/* no answer in time: send them (fail open); each is freed when hiredis calls back */
	while (t->head.next != &t->head) {
		struct pend *p = t->head.next;

		unlink_pend(p);
		p->done = 1;
		t->s.failed_open++;
		deliver_json(t, p->json, p->len);
	}
}

void ew_rthrottle_stats(const struct ew_rthrottle *t, struct ew_rthrottle_stats *out)
{
	*out = t->s;
	out->connected = t->connected;
}

void ew_rthrottle_free(struct ew_rthrottle *t)
{
	if (t == NULL)
		return;
	ew_rthrottle_drain(t, 0);
	if (t->ac) {
		t->ac->data = NULL;
		redisAsyncFree(t->ac);   /* replies still due are called with NULL: none left */
	}
	if (t->own_eb)
		event_base_free(t->eb);
	free(t);
}
