/* SPDX-License-Identifier: Apache-2.0 */
/* sink_syslog - alerts to a SIEM's syslog receiver: RFC 5424 over UDP (RFC 5426), TCP
 * with octet counting (RFC 6587 §3.4.1) or TLS (RFC 5425).
 *
 * Options: address ("host:port" or "[v6]:port"; default port 514, 6514 for TLS),
 * transport (udp, tcp, tls; default tcp), format (json or cef; default json), facility
 * (default local0), hostname (default the sensor name), sd_id, ca_file (TLS: the CA that
 * signed the receiver's certificate; default the system's), server_name (TLS: the name
 * the certificate must carry; default the host of address), cert_file and key_file (TLS
 * client certificate), timeout (default 5s), and the queue/spool keys of deliver.h.
 * TLS verifies the peer's certificate chain and name, needs TLS 1.2 or later and refuses
 * anonymous cipher suites. TCP and TLS keep one connection; before each batch the socket
 * is checked for a close from the receiver (a restarted rsyslog) and reopened, so that
 * alerts are not written into a dead connection. Plain TCP syslog cannot acknowledge: an
 * alert written just before the receiver dies can still be lost there; use Kafka when
 * that matters. */
#include "alerting/deliver.h"
#include "alerting/fmt_cef.h"
#include "alerting/fmt_json.h"
#include "alerting/fmt_syslog.h"
#include "alerting/sink.h"
#include "core/ew_log.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

enum { T_UDP, T_TCP, T_TLS };

struct syslog_sink {
	struct ew_dq *q;          /* first: ew_dq_sink_* */
	int transport, cef;
	char host[256], port[8], server_name[256];
	struct ew_syslog_hdr h;
	char hostname[256], sd_id[64];
	int timeout_ms;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	char body[16384], line[20480], frame[20500];
	pthread_mutex_t fmt_mu;
	/* What this connection carried last (HIST_BYTES, oldest dropped first), in records of
	 * [u32 length][message]: given back to the delivery queue when the connection turns
	 * out to have been reset, since the receiver may not have read it (RFC 6587 has no
	 * acknowledgements). Delivery thread only. */
	uint8_t *hist;
	uint32_t hist_start, hist_len;
};

#define HIST_BYTES (1u << 20)

static void hist_copy_in(struct syslog_sink *s, uint32_t at, const void *p, uint32_t n)
{
	uint32_t first = HIST_BYTES - at < n ? HIST_BYTES - at : n;

	memcpy(s->hist + at, p, first);
	memcpy(s->hist, (const uint8_t *)p + first, n - first);
}

static void hist_copy_out(const struct syslog_sink *s, uint32_t at, void *p, uint32_t n)
{
	uint32_t first = HIST_BYTES - at < n ? HIST_BYTES - at : n;

	memcpy(p, s->hist + at, first);
	memcpy((uint8_t *)p + first, s->hist, n - first);
}

/* The length of the record at offset at. */
static uint32_t hist_rec_len(const struct syslog_sink *s, uint32_t at)
{
	uint32_t n;

	hist_copy_out(s, at, &n, 4);
	return n;
}

static void hist_add(struct syslog_sink *s, const void *p, uint32_t n)
{
	if (s->hist == NULL || n + 4 > HIST_BYTES)
		return;
	while (HIST_BYTES - s->hist_len < n + 4) {   /* the oldest go */
		uint32_t old = 4 + hist_rec_len(s, s->hist_start);

		s->hist_start = (s->hist_start + old) % HIST_BYTES;
		s->hist_len -= old;
	}
	hist_copy_in(s, (s->hist_start + s->hist_len) % HIST_BYTES, &n, 4);
	hist_copy_in(s, (s->hist_start + s->hist_len + 4) % HIST_BYTES, p, n);
	s->hist_len += n + 4;
}

/* The connection was reset: what it carried last goes back to the delivery queue (sent
 * again, at least once; copies share their alert_id). */
static void hist_resend(struct syslog_sink *s)
{
	uint32_t at = s->hist_start, left = s->hist_len, n = 0;

	while (left >= 4) {
		uint32_t len = hist_rec_len(s, at);

		if (len > sizeof(s->frame))
			break;
		hist_copy_out(s, (at + 4) % HIST_BYTES, s->frame, len);
		ew_dq_push(s->q, s->frame, len, 1);
		at = (at + 4 + len) % HIST_BYTES;
		left -= 4 + len;
		n++;
	}
	if (n)
		ew_warn("syslog sink: %s:%s reset the connection; the last %u alerts it carried "
			"are sent again", s->host, s->port, n);
	s->hist_start = s->hist_len = 0;
}

static void disconnect(struct syslog_sink *s)
{
	if (s->ssl) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void tls_why(char *why, size_t whylen, const char *what)
{
	unsigned long e = ERR_get_error();
	char b[256];

	ERR_error_string_n(e, b, sizeof(b));
	snprintf(why, whylen, "%s: %s", what, e ? b : "connection closed");
	ERR_clear_error();
}

static int do_connect(struct syslog_sink *s, char *why, size_t whylen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	struct timeval tv = { s->timeout_ms / 1000, (s->timeout_ms % 1000) * 1000 };
	int rc;

	hints.ai_socktype = s->transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
	rc = getaddrinfo(s->host, s->port, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "%s: %s", s->host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		s->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (s->fd < 0)
			continue;
		setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(s->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(why, whylen, "connect to %s:%s: %s", s->host, s->port, strerror(errno));
		close(s->fd);
		s->fd = -1;
	}
	freeaddrinfo(res);
	if (s->fd < 0)
		return -1;
	if (s->transport != T_TLS)
		return 0;
	s->ssl = SSL_new(s->ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1 ||
	    SSL_set_tlsext_host_name(s->ssl, s->server_name) != 1 ||
	    SSL_set1_host(s->ssl, s->server_name) != 1) {
		tls_why(why, whylen, "TLS setup");
		disconnect(s);
		return -1;
	}
	if (SSL_connect(s->ssl) != 1) {
		long v = SSL_get_verify_result(s->ssl);

		if (v != X509_V_OK)
			snprintf(why, whylen, "TLS handshake with %s: certificate not trusted: %s",
				 s->server_name, X509_verify_cert_error_string(v));
		else
			tls_why(why, whylen, "TLS handshake");
		disconnect(s);
		return -1;
	}
	return 0;
}

enum { OPEN, CLOSED, RESET };

/* Did the receiver close the connection: CLOSED when it ended it in order (a FIN or a TLS
 * close_notify: the kernel sends those only when the receiver had read everything), RESET
 * when the connection was reset or failed (what we sent last may not have been read), or
 * is it still OPEN? (A TLS receiver may also have sent session tickets after the
 * handshake: those are read and dropped.) */
static int peer_closed(struct syslog_sink *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };
	char c[512];
	int closed = OPEN, fl, err = 0;
	socklen_t el = sizeof(err);
	ssize_t r;

	if (poll(&p, 1, 0) <= 0)
		return OPEN;
	if (p.revents & (POLLERR | POLLHUP)) {
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);   /* and clear it */
		return RESET;
	}
	r = recv(s->fd, c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r == 0)
		return CLOSED;
	if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		return RESET;
	if (s->ssl == NULL)
		return OPEN;   /* a plain receiver has nothing to say; ignore it */
	fl = fcntl(s->fd, F_GETFL);
	fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		int n = SSL_read(s->ssl, c, sizeof(c));

		if (n > 0)
			continue;
		n = SSL_get_error(s->ssl, n);
		closed = n == SSL_ERROR_WANT_READ || n == SSL_ERROR_WANT_WRITE ? OPEN :
			 n == SSL_ERROR_ZERO_RETURN ? CLOSED : RESET;
		break;
	}
	ERR_clear_error();
	fcntl(s->fd, F_SETFL, fl);
	return closed;
}

static int write_all(struct syslog_sink *s, const char *p, size_t n, char *why, size_t whylen)
{
	while (n) {
		ssize_t w;

		if (s->ssl) {
			int r = SSL_write(s->ssl, p, (int)n);

			if (r <= 0) {
				tls_why(why, whylen, "TLS write");
				return -1;
			}
			w = r;
		} else {
			w = send(s->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				snprintf(why, whylen, "send to %s:%s: %s", s->host, s->port,
					 strerror(errno));
				return -1;
			}
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void send_batch(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
		       char *why, size_t whylen)
{
	struct syslog_sink *s = st;
	int closed = s->fd >= 0 && s->transport != T_UDP ? peer_closed(s) : OPEN;

	if (closed != OPEN) {
		ew_info("syslog sink: %s:%s %s the connection; reconnecting", s->host, s->port,
			closed == RESET ? "reset" : "closed");
		if (closed == RESET)
			hist_resend(s);
		disconnect(s);
	}
	if (s->fd < 0) {
		if (do_connect(s, why, whylen) != 0)
			return;
		s->hist_start = s->hist_len = 0;   /* a new connection: nothing carried yet */
	}
	for (uint32_t i = 0; i < n; i++) {
		int rc;

		if (s->transport == T_UDP) {
			rc = send(s->fd, m[i].p, m[i].len, MSG_NOSIGNAL) == (ssize_t)m[i].len ? 0 : -1;
			if (rc)
				snprintf(why, whylen, "send to %s:%s: %s", s->host, s->port,
					 strerror(errno));
		} else {
			char pre[16];
			int pl = snprintf(pre, sizeof(pre), "%u ", m[i].len);

			/* one write per frame keeps TLS records whole; the kernel batches */
			if (pl + m[i].len <= sizeof(s->frame)) {
				memcpy(s->frame, pre, (size_t)pl);
				memcpy(s->frame + pl, m[i].p, m[i].len);
				rc = write_all(s, s->frame, (size_t)pl + m[i].len, why, whylen);
			} else {
				rc = write_all(s, pre, (size_t)pl, why, whylen);
				if (rc == 0)
					rc = write_all(s, (const char *)m[i].p, m[i].len, why, whylen);
			}
		}
		if (rc != 0) {
			/* the stream failed: what it carried before may be lost with it */
			if (s->transport != T_UDP)
				hist_resend(s);
			disconnect(s);
			return;
		}
		status[i] = EW_DQ_SENT;
		if (s->transport != T_UDP)
			hist_add(s, m[i].p, m[i].len);
	}
}

static int syslog_open(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
		       struct ew_err *err)
{
	static const char *const keys[] = { EW_SINK_COMMON_KEYS, EW_DQ_CONF_KEYS, "address",
		"transport", "format", "facility", "hostname", "sd_id", "ca_file", "server_name",
		"cert_file", "key_file", "timeout", NULL };
	struct ew_conf_node a = ew_conf_get(*c, "address"), n;
	const char *addr, *tr = "tcp", *fmt = "json", *fac = "local0", *v;
	struct syslog_sink *s;
	struct ew_dq_conf dc;
	uint64_t to = 5000000;
	uint16_t port;

	if (ew_conf_check_map(*c, "syslog sink", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (!ew_conf_present(a))
		return ew_conf_errf(err, *c, "syslog sink needs an address (\"siem:6514\")");
	if (ew_conf_string(a, &addr, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "transport")) && ew_conf_string(n, &tr, err))
		return EW_E_INVAL;
	if (strcmp(tr, "udp") && strcmp(tr, "tcp") && strcmp(tr, "tls"))
		return ew_conf_errf(err, n, "transport must be udp, tcp or tls");
	if (ew_conf_present(n = ew_conf_get(*c, "format")) && ew_conf_string(n, &fmt, err))
		return EW_E_INVAL;
	if (strcmp(fmt, "json") && strcmp(fmt, "cef"))
		return ew_conf_errf(err, n, "format must be json or cef");
	if (ew_conf_present(n = ew_conf_get(*c, "facility")) && ew_conf_string(n, &fac, err))
		return EW_E_INVAL;
	if (ew_syslog_facility(fac) < 0)
		return ew_conf_errf(err, n, "unknown facility \"%s\" (kern, user, daemon, auth, "
				    "authpriv, local0 .. local7, ...)", fac);
	if (ew_conf_present(n = ew_conf_get(*c, "timeout")) && ew_conf_duration(n, &to, err))
		return EW_E_INVAL;
	if (ew_dq_conf_read(&dc, *c, env->spool_dir, env->spool_forced, err) != EW_OK)
		return EW_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ew_err_set(err, "syslog sink: out of memory");
	s->fd = -1;
	s->transport = tr[1] == 'd' ? T_UDP : tr[1] == 'c' ? T_TCP : T_TLS;
	s->cef = fmt[0] == 'c';
	s->timeout_ms = (int)(to / 1000 ? to / 1000 : 1);
	if (ew_hostport_split(addr, s->host, sizeof(s->host), &port,
			      s->transport == T_TLS ? 6514 : 514) != 0 || s->host[0] == '\0') {
		free(s);
		return ew_conf_errf(err, a, "bad address \"%s\": expected host:port or [v6]:port",
				    addr);
	}
	snprintf(s->port, sizeof(s->port), "%u", port);
	snprintf(s->hostname, sizeof(s->hostname), "%s", env->sensor ? env->sensor : "-");
	if (ew_conf_present(n = ew_conf_get(*c, "hostname")) && ew_conf_string(n, &v, err) == 0)
		snprintf(s->hostname, sizeof(s->hostname), "%s", v);
	snprintf(s->sd_id, sizeof(s->sd_id), "eastwatch@32473");
	if (ew_conf_present(n = ew_conf_get(*c, "sd_id")) && ew_conf_string(n, &v, err) == 0) {
		if (!ew_syslog_sd_id_valid(v)) {
			free(s);
			return ew_conf_errf(err, n, "sd_id \"%s\": an SD-ID is NAME@ENTERPRISE_NUMBER, "
					    "at most 32 printable ASCII characters without '=', ' ', "
					    "']' or '\"' (RFC 5424, 6.3.2)", v);
		}
		snprintf(s->sd_id, sizeof(s->sd_id), "%s", v);
	}
	snprintf(s->server_name, sizeof(s->server_name), "%s", s->host);
	if (ew_conf_present(n = ew_conf_get(*c, "server_name")) && ew_conf_string(n, &v, err) == 0)
		snprintf(s->server_name, sizeof(s->server_name), "%s", v);
	s->h.facility = ew_syslog_facility(fac);
	s->h.hostname = s->hostname;
	s->h.sd_id = s->sd_id;
	s->h.pid = (int)getpid();
	if (s->transport == T_TLS) {
		struct ew_conf_node ca = ew_conf_get(*c, "ca_file");
		struct ew_conf_node cf = ew_conf_get(*c, "cert_file"), kf = ew_conf_get(*c, "key_file");

		s->ctx = SSL_CTX_new(TLS_client_method());
		if (s->ctx == NULL)
			goto tls_bad;
		SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
		/* no anonymous or null suites: the receiver must prove who it is */
		SSL_CTX_set_cipher_list(s->ctx, "HIGH:!aNULL:!eNULL:!kRSA:!PSK:!SRP");
		if (ew_conf_present(ca)) {
			if (ew_conf_string(ca, &v, err) != EW_OK)
				goto tls_bad_conf;
			if (SSL_CTX_load_verify_locations(s->ctx, v, NULL) != 1) {
				ew_conf_errf(err, ca, "cannot load CA certificates from %s", v);
				goto tls_bad_conf;
			}
		} else if (SSL_CTX_set_default_verify_paths(s->ctx) != 1) {
			goto tls_bad;
		}
		if (ew_conf_present(cf) != ew_conf_present(kf)) {
			ew_conf_errf(err, *c, "cert_file and key_file go together");
			goto tls_bad_conf;
		}
		if (ew_conf_present(cf)) {
			const char *kv;

			if (ew_conf_string(cf, &v, err) || ew_conf_string(kf, &kv, err))
				goto tls_bad_conf;
			if (SSL_CTX_use_certificate_chain_file(s->ctx, v) != 1) {
				ew_conf_errf(err, cf, "cannot load certificate %s", v);
				goto tls_bad_conf;
			}
			if (SSL_CTX_use_PrivateKey_file(s->ctx, kv, SSL_FILETYPE_PEM) != 1) {
				ew_conf_errf(err, kf, "cannot load key %s", kv);
				goto tls_bad_conf;
			}
		}
	}
	pthread_mutex_init(&s->fmt_mu, NULL);
	if (!env->validate_only && s->transport != T_UDP)
		s->hist = malloc(HIST_BYTES);   /* without it, a reset loses what it carried */
	if ((!env->validate_only &&
	     ew_dq_new(&s->q, env->name, &dc, send_batch, s, err) != EW_OK)) {
		SSL_CTX_free(s->ctx);
		free(s->hist);
		free(s);
		return EW_E_IO;
	}
	*st = s;
	return EW_OK;
tls_bad:
	ew_err_set(err, "syslog sink: TLS setup failed");
tls_bad_conf:
	ERR_clear_error();
	SSL_CTX_free(s->ctx);
	free(s);
	return EW_E_INVAL;
}

static int syslog_emit(void *st, const struct ew_alert *a)
{
	struct syslog_sink *s = st;
	struct ew_buf body, line;
	int rc;

	pthread_mutex_lock(&s->fmt_mu);
	ew_buf_init(&body, s->body, sizeof(s->body));
	if (s->cef)
		ew_fmt_cef(a, &body);
	else
		ew_fmt_json(a, &body);
	if (body.len && body.p[body.len - 1] == '\n')
		body.len--;
	ew_buf_init(&line, s->line, sizeof(s->line));
	if (ew_buf_overflow(&body) || ew_fmt_syslog(a, &s->h, body.p, body.len, &line) != 0) {
		pthread_mutex_unlock(&s->fmt_mu);
		return EW_E_FULL;
	}
	rc = ew_dq_push(s->q, line.p, (uint32_t)line.len, 1);
	pthread_mutex_unlock(&s->fmt_mu);
	return rc;
}

static void syslog_close(void *st)
{
	struct syslog_sink *s = st;

	if (s == NULL)
		return;
	ew_dq_free(s->q);
	disconnect(s);
	free(s->hist);
	SSL_CTX_free(s->ctx);
	pthread_mutex_destroy(&s->fmt_mu);
	free(s);
}

const struct ew_sink_ops ew_sink_syslog_ops = {
	.name = "syslog", .open = syslog_open, .emit = syslog_emit, .flush = ew_dq_sink_flush,
	.close = syslog_close, .stats = ew_dq_sink_stats, .settled = ew_dq_sink_settled,
};
