/* SPDX-License-Identifier: Apache-2.0 */
/* httpd - see httpd.h. */
#include "daemon/httpd.h"
#include "core/ew_addr.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

struct conn {
	struct ew_httpd *h;
	struct bufferevent *bev;
	struct conn *prev, *next;     /* oldest first */
	int answering;
};

struct ew_httpd {
	struct evconnlistener *lis;
	struct event *resume;
	ew_httpd_fn fn;
	void *arg;
	struct conn *oldest, *newest;
	struct ew_httpd_stats st;
	uint64_t logged_us;
	char addr[128];
};

static void conn_free(struct conn *c)
{
	struct ew_httpd *h = c->h;

	if (c->prev)
		c->prev->next = c->next;
	else
		h->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		h->newest = c->prev;
	bufferevent_free(c->bev);
	h->st.open--;
	free(c);
}

static void respond(struct conn *c, int status, const char *reason, const char *ctype,
		    struct evbuffer *body, int head)
{
	struct evbuffer *o = bufferevent_get_output(c->bev);
	size_t len = body ? evbuffer_get_length(body) : 0;

	evbuffer_add_printf(o, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n", status, reason, ctype, len);
	if (body && !head)
		evbuffer_add_buffer(o, body);
	c->answering = 1;
	bufferevent_disable(c->bev, EV_READ);
	c->h->st.answered++;
}

static void respond_error(struct conn *c, int status, const char *reason)
{
	struct evbuffer *b = evbuffer_new();

	if (b)
		evbuffer_add_printf(b, "%d %s\n", status, reason);
	respond(c, status, reason, "text/plain; charset=utf-8", b, 0);
	if (b)
		evbuffer_free(b);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	char line[EW_HTTPD_MAX_REQUEST + 1], *path, *ver, *q;
	size_t n;
	int head, status;
	struct evbuffer *body;
	const char *ctype = "text/plain; charset=utf-8";

	if (c->answering)
		return;
	if (end.pos < 0)
		end = evbuffer_search(in, "\n\n", 2, NULL);
	if (end.pos < 0) {
		if (evbuffer_get_length(in) > EW_HTTPD_MAX_REQUEST) {
			c->h->st.too_large++;
			respond_error(c, 431, "Request Header Fields Too Large");
		}
		return;
	}
	if ((size_t)end.pos > EW_HTTPD_MAX_REQUEST) {
		c->h->st.too_large++;
		respond_error(c, 431, "Request Header Fields Too Large");
		return;
	}
	n = evbuffer_copyout(in, line, sizeof(line) - 1);
	line[n] = 0;
	line[strcspn(line, "\r\n")] = 0;
	evbuffer_drain(in, evbuffer_get_length(in));
	path = strchr(line, ' ');
	ver = path ? strchr(path + 1, ' ') : NULL;
	if (path == NULL || ver == NULL || strncmp(ver + 1, "HTTP/1.", 7) != 0) {
		c->h->st.bad++;
		respond_error(c, 400, "Bad Request");
		return;
	}
	*path++ = 0;
	*ver = 0;
	head = strcmp(line, "HEAD") == 0;
	if (!head && strcmp(line, "GET") != 0) {
		respond_error(c, 405, "Method Not Allowed");
		return;
	}
	if ((q = strchr(path, '?')) != NULL)
		*q = 0;
	body = evbuffer_new();
	if (body == NULL) {
		respond_error(c, 500, "Internal Server Error");
		return;
	}
	status = c->h->fn(c->h->arg, path, body, &ctype);
	if (status == 200)
		respond(c, 200, "OK", ctype, body, head);
	else if (status == 503)   /* the handler's body says why */
		respond(c, 503, "Service Unavailable", ctype, body, head);
	else
		respond_error(c, 404, "Not Found");
	evbuffer_free(body);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->answering && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		conn_free(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		c->h->st.timeouts++;
	conn_free(c);
}

static void log_limited(struct ew_httpd *h, const char *what)
{
	uint64_t now = ew_time_mono_us();

	if (h->logged_us && now - h->logged_us < 10 * EW_USEC)
		return;
	h->logged_us = now;
	ew_warn("metrics %s: %s (%llu connections evicted, %llu accept errors so far)", h->addr,
		what, (unsigned long long)h->st.evicted, (unsigned long long)h->st.accept_errors);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct ew_httpd *h = arg;
	struct conn *c;
	struct timeval rt = { EW_HTTPD_HEADER_TIMEOUT_S, 0 }, wt = { EW_HTTPD_WRITE_TIMEOUT_S, 0 };

	(void)lis;
	(void)sa;
	(void)salen;
	h->st.accepted++;
	if (h->st.open >= EW_HTTPD_MAX_CONNS && h->oldest) {
		h->st.evicted++;
		conn_free(h->oldest);
		log_limited(h, "connection limit reached: the oldest connections are closed");
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->h = h;
	c->bev = bufferevent_socket_new(evconnlistener_get_base(h->lis), fd,
					BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_set_timeouts(c->bev, &rt, &wt);
	bufferevent_setwatermark(c->bev, EV_READ, 0, EW_HTTPD_MAX_REQUEST + 1024);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->prev = h->newest;
	if (h->newest)
		h->newest->next = c;
	else
		h->oldest = c;
	h->newest = c;
	h->st.open++;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(((struct ew_httpd *)arg)->lis);
}

/* accept() failed: out of descriptors (or memory) would fail again at once, and libevent
 * would call again at once: pause, and give back a descriptor. */
static void on_accept_error(struct evconnlistener *lis, void *arg)
{
	struct ew_httpd *h = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = { 0, 100000 };

	h->st.accept_errors++;
	if (e == EINTR || e == EAGAIN || e == ECONNABORTED)
		return;
	evconnlistener_disable(lis);
	evtimer_add(h->resume, &tv);
	if (h->oldest) {
		h->st.evicted++;
		conn_free(h->oldest);
	}
	log_limited(h, evutil_socket_error_to_string(e));
}

struct ew_httpd *ew_httpd_start(struct event_base *eb, const char *addr, ew_httpd_fn fn,
				void *arg, struct ew_err *err)
{
	struct ew_httpd *h = calloc(1, sizeof(*h));
	struct addrinfo hints, *res = NULL;
	char host[128], port[8];
	uint16_t pn;
	int rc;

	if (h == NULL) {
		ew_err_set(err, "metrics: out of memory");
		return NULL;
	}
	if (ew_hostport_split(addr, host, sizeof(host), &pn, 0) != 0) {
		ew_err_set(err, "metrics address \"%s\": expected ADDR:PORT", addr);
		free(h);
		return NULL;
	}
	snprintf(h->addr, sizeof(h->addr), "%s", addr);
	snprintf(port, sizeof(port), "%u", pn);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host[0] ? host : "::", port, &hints, &res);
	if (rc != 0) {
		ew_err_set(err, "metrics address \"%s\": %s", addr, gai_strerror(rc));
		free(h);
		return NULL;
	}
	h->fn = fn;
	h->arg = arg;
	h->resume = evtimer_new(eb, on_resume, h);
	h->lis = h->resume == NULL ? NULL :
		 evconnlistener_new_bind(eb, on_accept, h, LEV_OPT_CLOSE_ON_FREE |
					 LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
					 res->ai_addr, (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (h->lis == NULL) {
		ew_err_set(err, "metrics: cannot listen on %s: %s", addr, strerror(errno));
		if (h->resume)
			event_free(h->resume);
		free(h);
		return NULL;
	}
	evconnlistener_set_error_cb(h->lis, on_accept_error);
	return h;
}

void ew_httpd_stats(const struct ew_httpd *h, struct ew_httpd_stats *out)
{
	*out = h->st;
}

void ew_httpd_free(struct ew_httpd *h)
{
	if (h == NULL)
		return;
	while (h->oldest)
		conn_free(h->oldest);
	evconnlistener_free(h->lis);
	event_free(h->resume);
	free(h);
}
