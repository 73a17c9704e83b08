/* SPDX-License-Identifier: Apache-2.0 */
/* source_udp - flow-telemetry listeners: "ipfix" (IPFIX, NetFlow v9 and v5 on one port,
 * dispatched on the version field) and "sflow" (sFlow v5), IPv4 or IPv6.
 *
 * Datagrams are read from the event loop in batches of up to BATCH with recvmmsg, into
 * buffers reserved when the listener opens; the kernel's count of datagrams it dropped
 * for want of buffer (SO_RXQ_OVFL) is read from every batch and reported.
 *
 * Whoever can reach the port can send: an allow-list (exporters:) drops the datagrams of
 * everyone else before they are decoded (counted), the exporter table is bounded
 * (max_exporters: a new exporter takes the place of one that has given no record, or was
 * heard from longest ago, at the same cost at any size: exptab.h; counted, logged at most
 * once a minute), and the decoder shares its template table (max_templates) fairly
 * (decode_ipfix.h).
 *
 * Split over workers (ew_source_conf.lanes), a listener is N sockets bound to the same
 * address with SO_REUSEPORT: the kernel keeps one exporter's datagrams (one 4-tuple) on
 * one socket, so its templates and sequence numbers stay with one decoder. Each lane is
 * read by its worker; the exporter table the daemon reports (and judges silence on) is
 * the lanes' merged by address, every second, on the daemon's thread. */
#include "collector/source.h"
#include "collector/exptab.h"
#include "core/ew_flow.h"
#include "core/ew_time.h"
#include "core/ew_hash.h"
#include "core/ew_log.h"

#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

#define BATCH 64
#define DGRAM_MAX 65536
#define LOG_EVERY_US 60000000ULL
#define MAX_IFCOUNTERS 4096    /* sFlow interfaces remembered (agent, sub-agent, ifIndex) */

#define MAX_LANES 32

struct udp_src {
	int fd, sflow;
	struct udp_src *lane[MAX_LANES];   /* split over workers: a socket each */
	unsigned nlanes;
	uint64_t lane_tick_us;            /* a lane: its last template expiry */
	int is_lane;
	pthread_mutex_t mu;               /* a lane: held by its worker while it reads, and
					   * by the daemon's thread while it looks */
	struct event *ev;
	struct ew_source_out out;
	struct ew_source_stats st;
	uint16_t id;
	struct ew_ipfix_session *ipfix;
	struct ew_sflow_session *sfl;
	uint64_t now, silence;
	uint32_t drops_seen;
	uint8_t kind;             /* sflow or ipfix (alerts' observer.type, ew_source_kind) */
	struct ew_addr listen;
	uint16_t listen_port;
	char name[80];            /* "ipfix [::]:4739", for log lines */
	struct ew_exptab *exp;            /* the exporters, by address */
	const struct ew_prefix *allow;
	uint32_t nallow;
	uint64_t log_refused_us, log_full_us, log_evicted_us;   /* last such log line */
	struct ew_sflow_counters *ifc;    /* MAX_IFCOUNTERS, open addressing (8 probes);
					   * a full neighbourhood replaces one (counted) */
	uint64_t ifc_replaced;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	char ctrl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
	uint8_t *bufs;            /* BATCH x DGRAM_MAX */
};

static void lane_lock(struct udp_src *s)
{
	if (s->is_lane)
		pthread_mutex_lock(&s->mu);
}

static void lane_unlock(struct udp_src *s)
{
	if (s->is_lane)
		pthread_mutex_unlock(&s->mu);
}

static void emit_record(void *arg, const struct ew_record *r)
{
	struct udp_src *s = arg;

	s->out.record(s->out.arg, r, s->id, s->now);
}

static void emit_sample(void *arg, const struct ew_sflow_sample *smp)
{
	struct udp_src *s = arg;

	s->out.sample(s->out.arg, smp, s->id, s->now);
}

/* The latest counters of an interface, for /metrics. */
static void keep_counters(void *arg, const struct ew_sflow_counters *c)
{
	struct udp_src *s = arg;
	uint64_t h;
	struct ew_sflow_counters *slot;

	if (s->ifc == NULL || !c->has_generic)
		return;
	h = ew_hash_addr(&c->agent, (uint64_t)c->sub_agent << 32 | c->if_index);
	/* open addressing, 8 probes: the interface's slot, a free one, or (full
	 * neighbourhood) the first probed is replaced (counted) */
	slot = NULL;
	for (uint32_t k = 0; k < 8; k++) {
		struct ew_sflow_counters *x = &s->ifc[(h + k) % MAX_IFCOUNTERS];

		if (!x->has_generic || (x->if_index == c->if_index && x->sub_agent == c->sub_agent &&
					ew_addr_eq(&x->agent, &c->agent))) {
			slot = x;
			break;
		}
	}
	lane_lock(s);
	if (slot == NULL) {
		slot = &s->ifc[h % MAX_IFCOUNTERS];
		s->ifc_replaced++;
	}
	*slot = *c;
	lane_unlock(s);
}

static void exporter_of(const struct sockaddr_storage *ss, struct ew_exporter_key *ex)
{
	memset(ex, 0, sizeof(*ex));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		ew_addr_from_v4(&ex->addr, (const uint8_t *)&in->sin_addr);
		ex->port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		ew_addr_from_v6(&ex->addr, in6->sin6_addr.s6_addr);
		ex->port = ntohs(in6->sin6_port);
	}
}

/* The exporter table entry for addr, made if new (taking another's place when full). */
static struct ew_exporter_health *exporter_slot(struct udp_src *s, const struct ew_addr *a,
						uint16_t port)
{
	struct ew_exporter_health *e = ew_exptab_find(s->exp, a);

	if (e == NULL) {
		struct ew_addr gone;
		int evicted;

		e = ew_exptab_get(s->exp, a, &evicted, &gone);
		e->first_seen_us = s->now;
		if (evicted) {
			s->st.exporters_evicted++;
			if (s->now >= s->log_evicted_us + LOG_EVERY_US) {
				char t[EW_ADDR_STRLEN];

				s->log_evicted_us = s->now;
				ew_warn("%s: exporter table full (%u): forgot %s to make room "
					"(%llu so far)", s->name, ew_exptab_capacity(s->exp),
					ew_addr_format(&gone, t),
					(unsigned long long)s->st.exporters_evicted);
			}
		}
	}
	e->port = port;
	e->listen = s->listen;
	e->listen_port = s->listen_port;
	return e;
}

static int allowed(const struct udp_src *s, const struct ew_addr *a)
{
	if (s->allow == NULL)
		return 1;
	for (uint32_t i = 0; i < s->nallow; i++)
		if (ew_prefix_contains(&s->allow[i], a))
			return 1;
	return 0;
}

/* The decoder dropped templates of exporter ex to make room for another's. */
static void on_evict(void *arg, const struct ew_exporter_key *ex, int what, uint32_t n)
{
	struct udp_src *s = arg;
	struct ew_exporter_health *e;

	(void)what;
	lane_lock(s);
	e = ew_exptab_find(s->exp, &ex->addr);
	if (e)
		e->templates_evicted += n;
	lane_unlock(s);
}

/* Read and decode what the socket holds (16 batches at most: then let other sources
 * run). Returns the datagrams read. */
static int read_batches(struct udp_src *s)
{
	struct ew_sflow_cb cb = { emit_sample, keep_counters, NULL, s };
	int fd = s->fd, got = 0;

	for (int round = 0; round < 16; round++) {
		int n;

		for (int i = 0; i < BATCH; i++) {
			s->msgs[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
			s->msgs[i].msg_hdr.msg_controllen = sizeof(s->ctrl[i]);
		}
		n = recvmmsg(fd, s->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				lane_lock(s);
				s->st.errors++;
				lane_unlock(s);
			}
			return got;
		}
		got += n;
		s->now = ew_time_now_us();
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &s->msgs[i].msg_hdr;
			const uint8_t *d = s->iov[i].iov_base;
			size_t len = s->msgs[i].msg_len;
			int rc;

			for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
					uint32_t drops;

					memcpy(&drops, CMSG_DATA(c), sizeof(drops));
					if (drops > s->drops_seen)
						s->drops_seen = drops;
				}
			{
				struct ew_exporter_key ex;
				struct ew_exporter_health *e;

				/* a lane's table and counters are read by the daemon's thread:
				 * changed under its lock, the decoding outside it */
				lane_lock(s);
				s->st.packets++;
				s->st.bytes += len;
				exporter_of(&s->from[i], &ex);
				if (!allowed(s, &ex.addr)) {
					s->st.refused++;
					lane_unlock(s);
					if (s->now >= s->log_refused_us + LOG_EVERY_US) {
						char t[EW_ADDR_STRLEN];

						s->log_refused_us = s->now;
						ew_warn("%s: datagram from %s, which is not in exporters:, "
							"dropped (%llu so far)", s->name,
							ew_addr_format(&ex.addr, t),
							(unsigned long long)s->st.refused);
					}
					continue;
				}
				e = exporter_slot(s, &ex.addr, ex.port);
				lane_unlock(s);
				if (s->sflow) {
					struct ew_sflow_stats a, b;

					ew_sflow_stats(s->sfl, &a);
					rc = ew_sflow_decode(s->sfl, d, len, s->now, &cb);
					ew_sflow_stats(s->sfl, &b);
					lane_lock(s);
					e->records += b.flow_samples + b.counter_samples -
						      a.flow_samples - a.counter_samples;
					e->seq_gaps += b.seq_gaps - a.seq_gaps;
					e->lost += b.lost_datagrams - a.lost_datagrams;
				} else {
					struct ew_ipfix_stats a, b;

					ew_ipfix_stats(s->ipfix, &a);
					rc = ew_ipfix_decode(s->ipfix, &ex, d, len, s->now, emit_record, s);
					ew_ipfix_stats(s->ipfix, &b);
					lane_lock(s);
					s->st.templates = b.live_templates;
					s->st.templates_evicted = b.templates_evicted;
					e->records += b.records + b.option_records - a.records -
						      a.option_records;
					e->templates += b.templates + b.option_templates - a.templates -
							a.option_templates;
					e->seq_gaps += b.seq_gaps - a.seq_gaps;
					e->lost += b.lost - a.lost;
					if (b.templates_refused > a.templates_refused) {
						e->templates_refused += b.templates_refused -
									a.templates_refused;
						if (s->now >= s->log_full_us + LOG_EVERY_US) {
							char t[EW_ADDR_STRLEN];

							s->log_full_us = s->now;
							ew_warn("template table full: refused templates of "
								"%s, which already holds its share (%llu "
								"refused so far)",
								ew_addr_format(&ex.addr, t),
								(unsigned long long)b.templates_refused);
						}
					}
				}
				e->datagrams++;
				if (rc != EW_OK)
					e->errors++;
				if (e->silent) {       /* heard again after a gap */
					e->silent = 0;
					if (s->out.gap)
						s->out.gap(s->out.arg, e, s->kind, 0, s->now);
				}
				e->last_seen_us = s->now;
				ew_exptab_heard(s->exp, e);
				if (rc != EW_OK)
					s->st.errors++;
				lane_unlock(s);
			}
		}
		lane_lock(s);
		s->st.kernel_drops = s->drops_seen;
		lane_unlock(s);
		if (n < BATCH)
			return got;
	}
	return got;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	read_batches(arg);
}

/* "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" into a socket address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
			struct ew_err *err)
{
	char host[128], port[8];
	struct addrinfo hints, *res = NULL;
	uint16_t pn;
	int rc;

	if (ew_hostport_split(spec, host, sizeof(host), &pn, 0) != 0)
		return ew_err_set(err, "%s: expected ADDRESS:PORT to listen on", spec);
	snprintf(port, sizeof(port), "%u", pn);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return ew_err_set(err, "%s: cannot listen there: %s", spec, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sl = res->ai_addrlen;
	freeaddrinfo(res);
	return EW_OK;
}

static void udp_close(void *st)
{
	struct udp_src *s = st;

	if (s == NULL)
		return;
	for (unsigned i = 0; i < s->nlanes; i++)
		udp_close(s->lane[i]);
	if (s->is_lane)
		pthread_mutex_destroy(&s->mu);
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0)
		close(s->fd);
	ew_ipfix_free(s->ipfix);
	ew_sflow_free(s->sfl);
	free(s->bufs);
	ew_exptab_free(s->exp);
	free(s->ifc);
	free(s);
}

/* A listener's state without its socket: the exporter table, and (with decoder) the
 * decoder, holding its share of the templates (one of shares), and the receive buffers.
 * NULL with err. */
static struct udp_src *udp_new(const struct ew_source_conf *c, const struct ew_source_out *out,
			       int decoder, unsigned shares, struct ew_err *err)
{
	struct udp_src *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		ew_err_set(err, "%s: out of memory", c->target);
		return NULL;
	}
	s->fd = -1;
	s->out = *out;
	s->id = c->id;
	s->sflow = strcmp(c->type, "sflow") == 0;
	s->kind = ew_source_kind(s->sflow ? "sflow" : "ipfix");
	s->silence = c->silence_us;
	snprintf(s->name, sizeof(s->name), "%s %s", s->sflow ? "sflow" : "ipfix", c->target);
	s->exp = ew_exptab_new(c->max_exporters ? c->max_exporters : EW_EXPTAB_DEFAULT);
	s->allow = c->exporters;
	s->nallow = c->nexporters;
	if (s->exp == NULL)
		goto nomem;
	if (!decoder)
		return s;
	if (s->sflow) {
		s->sfl = ew_sflow_new(c->max_exporters > 4096 ? c->max_exporters : 4096);
		s->ifc = calloc(MAX_IFCOUNTERS, sizeof(*s->ifc));
	} else {
		struct ew_ipfix_conf ic;

		ew_ipfix_conf_default(&ic);
		if (c->max_templates)
			ic.max_templates = c->max_templates;
		ic.max_templates = (ic.max_templates + shares - 1) / shares;   /* each lane's */
		if (c->max_exporters > ic.max_streams)   /* a stream at least per exporter */
			ic.max_streams = c->max_exporters;
		s->ipfix = ew_ipfix_new(&ic);
		s->st.templates_capacity = ic.max_templates;
		if (s->ipfix)
			ew_ipfix_on_evict(s->ipfix, on_evict, s);
	}
	s->bufs = malloc((size_t)BATCH * DGRAM_MAX);
	if ((s->sflow ? (void *)s->sfl : (void *)s->ipfix) == NULL || s->bufs == NULL ||
	    (s->sflow && s->ifc == NULL))
		goto nomem;
	for (int i = 0; i < BATCH; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * DGRAM_MAX;
		s->iov[i].iov_len = DGRAM_MAX;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
		s->msgs[i].msg_hdr.msg_name = &s->from[i];
		s->msgs[i].msg_hdr.msg_control = s->ctrl[i];
	}
	return s;
nomem:
	udp_close(s);
	ew_err_set(err, "%s: out of memory", c->target);
	return NULL;
}

/* s's socket, bound to ss (shared with the other lanes when reuseport). */
static int udp_bind(struct udp_src *s, const struct ew_source_conf *c,
		    const struct sockaddr_storage *ss, socklen_t sl, int reuseport,
		    struct ew_err *err)
{
	int one = 1, zero = 0;

	s->fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return ew_err_set(err, "%s: socket: %s", c->target, strerror(errno));
	setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		return ew_err_set(err, "%s: SO_REUSEPORT: %s", c->target, strerror(errno));
	setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)   /* [::] takes IPv4 exporters too */
		setsockopt(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (c->buffer_mb > 0) {
		int bytes = c->buffer_mb * 1024 * 1024;

		if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0)
			setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	}
	if (bind(s->fd, (const struct sockaddr *)ss, sl) != 0)
		return ew_err_set(err, "%s: cannot listen: %s", c->target, strerror(errno));
	return EW_OK;
}

static int udp_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		    const struct ew_source_out *out, struct ew_err *err)
{
	unsigned lanes = c->lanes > MAX_LANES ? MAX_LANES : c->lanes;
	struct udp_src *s = udp_new(c, out, lanes <= 1, 1, err);
	struct sockaddr_storage ss;
	struct ew_exporter_key me;
	socklen_t sl = 0;

	if (s == NULL)
		return EW_E_NOMEM;
	if (parse_listen(c->target, &ss, &sl, err) != EW_OK) {
		udp_close(s);
		return EW_E_INVAL;
	}
	exporter_of(&ss, &me);
	s->listen = me.addr;
	s->listen_port = me.port;
	for (unsigned i = 0; lanes > 1 && i < lanes; i++) {
		struct udp_src *l = udp_new(c, &c->lane_out[i], 1, lanes, err);

		if (l == NULL) {
			udp_close(s);
			return EW_E_NOMEM;
		}
		s->lane[s->nlanes++] = l;
		l->is_lane = 1;
		pthread_mutex_init(&l->mu, NULL);
		l->listen = me.addr;
		l->listen_port = me.port;
		l->out.gap = NULL;          /* silence is judged on the merged table */
		if (udp_bind(l, c, &ss, sl, 1, err) != EW_OK) {
			udp_close(s);
			return EW_E_IO;
		}
	}
	if (lanes > 1) {
		*st = s;
		return EW_OK;
	}
	if (udp_bind(s, c, &ss, sl, 0, err) != EW_OK) {
		udp_close(s);
		return EW_E_IO;
	}
	s->ev = event_new(eb, s->fd, EV_READ | EV_PERSIST, on_readable, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
		ew_err_set(err, "%s: cannot register with the event loop", c->target);
		udp_close(s);
		return EW_E_IO;
	}
	*st = s;
	return EW_OK;
}

static void udp_stats(void *st, struct ew_source_stats *out)
{
	struct udp_src *s = st;

	*out = s->st;
	for (unsigned i = 0; i < s->nlanes; i++) {
		struct ew_source_stats ls, *l = &ls;

		lane_lock(s->lane[i]);
		ls = s->lane[i]->st;
		lane_unlock(s->lane[i]);
		out->packets += l->packets;
		out->bytes += l->bytes;
		out->kernel_drops += l->kernel_drops;
		out->errors += l->errors;
		out->refused += l->refused;
		out->exporters_evicted += l->exporters_evicted;
		out->templates += l->templates;
		out->templates_capacity += l->templates_capacity;
		out->templates_evicted += l->templates_evicted;
	}
	out->exporters = ew_exptab_count(s->exp);
	out->exporters_capacity = ew_exptab_capacity(s->exp);
}

/* The lanes' exporter tables merged by address into s's (their counters summed, the
 * latest time heard); s's own fields (silent) stay. Read while the workers write: a
 * counter may be a datagram behind. */
static void merge_lanes(struct udp_src *s, uint64_t now)
{
	s->now = now;
	for (uint32_t i = 1; i <= ew_exptab_count(s->exp); i++) {
		struct ew_exporter_health *e = ew_exptab_at(s->exp, i);

		e->datagrams = e->records = e->templates = e->seq_gaps = e->lost = 0;
		e->errors = e->templates_refused = e->templates_evicted = 0;
	}
	for (unsigned k = 0; k < s->nlanes; k++) {
		struct udp_src *l = s->lane[k];

		lane_lock(l);
		for (uint32_t i = 1; i <= ew_exptab_count(l->exp); i++) {
			struct ew_exporter_health x = *ew_exptab_at(l->exp, i);
			struct ew_exporter_health *e;

			if (x.first_seen_us == 0)
				continue;
			e = exporter_slot(s, &x.addr, x.port);
			e->datagrams += x.datagrams;
			e->records += x.records;
			e->templates += x.templates;
			e->seq_gaps += x.seq_gaps;
			e->lost += x.lost;
			e->errors += x.errors;
			e->templates_refused += x.templates_refused;
			e->templates_evicted += x.templates_evicted;
			if (x.first_seen_us < e->first_seen_us)
				e->first_seen_us = x.first_seen_us;
			if (x.last_seen_us > e->last_seen_us) {   /* heard since we looked */
				e->last_seen_us = x.last_seen_us;
				ew_exptab_heard(s->exp, e);
			}
		}
		lane_unlock(l);
	}
	/* those that gave their first record, or whose records every lane forgot, move to
	 * the other list (the records are the lanes' sum) */
	for (uint32_t i = 1; i <= ew_exptab_count(s->exp); i++)
		ew_exptab_recount(s->exp, ew_exptab_at(s->exp, i));
}

/* An exporter that has sent nothing for the silence time is reported once: silence must
 * never read as "no violations". Split over lanes, on the merged table (an exporter that
 * moved to another source port, and so to another lane, is not silent). */
static void udp_tick(void *st, uint64_t now)
{
	struct udp_src *s = st;

	if (s->ipfix && s->nlanes == 0)
		ew_ipfix_expire(s->ipfix, now);
	if (s->nlanes)
		merge_lanes(s, now);
	if (s->silence == 0 || s->out.gap == NULL)
		return;
	for (uint32_t i = 1; i <= ew_exptab_count(s->exp); i++) {
		struct ew_exporter_health *e = ew_exptab_at(s->exp, i);

		if (e->first_seen_us && !e->silent && now > e->last_seen_us + s->silence) {
			e->silent = 1;
			s->out.gap(s->out.arg, e, s->kind, now - e->last_seen_us, now);
		} else if (s->nlanes && e->silent && now <= e->last_seen_us + s->silence) {
			e->silent = 0;       /* heard again (the lanes cannot say it) */
			s->out.gap(s->out.arg, e, s->kind, 0, now);
		}
	}
}

static void udp_exporters(void *st, void (*fn)(void *arg, const struct ew_exporter_health *h),
			  void *arg)
{
	struct udp_src *s = st;

	if (s->nlanes)                 /* as the lanes have it now */
		merge_lanes(s, s->now);
	for (uint32_t i = 1; i <= ew_exptab_count(s->exp); i++)
		fn(arg, ew_exptab_at(s->exp, i));
}

static void udp_if_counters(void *st, void (*fn)(void *arg, const struct ew_sflow_counters *c),
			    void *arg)
{
	struct udp_src *s = st;

	for (unsigned k = 0; k < s->nlanes; k++) {
		lane_lock(s->lane[k]);
		udp_if_counters(s->lane[k], fn, arg);
		lane_unlock(s->lane[k]);
	}
	for (uint32_t i = 0; s->ifc && i < MAX_IFCOUNTERS; i++)
		if (s->ifc[i].has_generic)
			fn(arg, &s->ifc[i]);
}

static unsigned udp_lanes(void *st)
{
	return ((struct udp_src *)st)->nlanes;
}

static int udp_lane_fd(void *st, unsigned i)
{
	return ((struct udp_src *)st)->lane[i]->fd;
}

/* Worker i reads its socket; its decoder's templates expire on its own thread. */
static int udp_lane_read(void *st, unsigned i)
{
	struct udp_src *l = ((struct udp_src *)st)->lane[i];
	int n = read_batches(l);

	if (l->ipfix && l->now >= l->lane_tick_us + 1000000) {
		ew_ipfix_expire(l->ipfix, l->now);
		l->lane_tick_us = l->now;
	}
	return n;
}

static void udp_lane_stats(void *st, unsigned i, struct ew_source_stats *out)
{
	struct udp_src *l = ((struct udp_src *)st)->lane[i];

	lane_lock(l);
	*out = l->st;
	lane_unlock(l);
}

static const char *const ipfix_keys[] = { "buffer_mb", "silence", "exporters", "max_exporters",
					  "max_templates", NULL };
static const char *const sflow_keys[] = { "buffer_mb", "silence", "exporters", "max_exporters",
					  NULL };

const struct ew_source_ops ew_source_ipfix_ops = {
	.name = "ipfix", .alias = "netflow", .observer = { "ipfix", "netflow" },
	.target_key = "listen", .keys = ipfix_keys,
	.open = udp_open, .run = NULL, .stats = udp_stats, .tick = udp_tick,
	.exporters = udp_exporters, .close = udp_close,
	.lanes = udp_lanes, .lane_fd = udp_lane_fd, .lane_read = udp_lane_read,
	.lane_stats = udp_lane_stats,
};

const struct ew_source_ops ew_source_sflow_ops = {
	.name = "sflow", .observer = { "sflow" }, .target_key = "listen", .keys = sflow_keys,
	.open = udp_open, .run = NULL, .stats = udp_stats, .tick = udp_tick,
	.exporters = udp_exporters, .if_counters = udp_if_counters, .close = udp_close,
	.lanes = udp_lanes, .lane_fd = udp_lane_fd, .lane_read = udp_lane_read,
	.lane_stats = udp_lane_stats,
};
