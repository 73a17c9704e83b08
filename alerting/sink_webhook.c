/* SPDX-License-Identifier: Apache-2.0 */
/* sink_webhook - alerts POSTed to an HTTPS endpoint, signed (SPEC §5).
 *
 * Options: url (https, or http to a loopback address), secret_file (HMAC key; the header
 * X-Eastwatch-Signature: t=UNIX_SECONDS,v1=HEX with HEX = HMAC-SHA256(secret,
 * "UNIX_SECONDS." + body) is added when it is set), format (json, or slack for a
 * Slack-compatible {"text": ...} body), ca_file, timeout (default 10s), concurrency
 * (requests in flight, default 4), and the queue/spool keys of deliver.h.
 * Requests run on libcurl's multi interface in the sink's delivery thread, several at
 * once, so a slow receiver slows only this sink; redirects are not followed and only a
 * 2xx answer counts as delivered. The signature is computed when a request is sent, so a
 * retried alert carries a fresh timestamp. */
#include "alerting/deliver.h"
#include "alerting/fmt_json.h"
#include "alerting/sink.h"
#include "core/ew_log.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct webhook_sink {
	struct ew_dq *q;          /* first: ew_dq_sink_* */
	char url[1024];
	char ca_file[512];
	char secret[512];
	size_t secret_len;
	int slack, has_ca;
	long timeout_ms;
	uint32_t concurrency;
	CURLM *multi;
	char body[16384], text[20480];
	pthread_mutex_t fmt_mu;
};

/* Is host (from a URL, brackets removed) a loopback address or localhost? */
static int loopback_host(const char *h)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (strcmp(h, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static void sign(const struct webhook_sink *s, const char *body, size_t len, char *hdr,
		 size_t cap)
{
	unsigned char mac[32];
	unsigned int ml = sizeof(mac);
	char t[24], hex[65];
	int tl;

	tl = snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	{
		/* HMAC over "T." + body without copying the body */
		EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
		EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
		OSSL_PARAM p[] = { OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0),
				   OSSL_PARAM_construct_end() };
		size_t out = 0;

		if (c && EVP_MAC_init(c, (const unsigned char *)s->secret, s->secret_len, p) &&
		    EVP_MAC_update(c, (const unsigned char *)t, (size_t)tl) &&
		    EVP_MAC_update(c, (const unsigned char *)".", 1) &&
		    EVP_MAC_update(c, (const unsigned char *)body, len) &&
		    EVP_MAC_final(c, mac, &out, sizeof(mac)))
			ml = (unsigned int)out;
		else
			ml = 0;
		EVP_MAC_CTX_free(c);
		EVP_MAC_free(m);
	}
	for (unsigned i = 0; i < ml; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	hex[2 * ml] = 0;
	snprintf(hdr, cap, "X-Eastwatch-Signature: t=%s,v1=%s", t, hex);
}

static size_t discard(char *p, size_t sz, size_t n, void *u)
{
	return sz * n;
}

/* Shutting down: abandon requests in flight (their alerts stay spooled). */
static int progress(void *u, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct webhook_sink *s = u;

	return ew_dq_stopping(s->q);
}

struct req {
	CURL *e;
	struct curl_slist *h;
	uint32_t i;
};

static CURL *make_req(struct webhook_sink *s, const struct ew_dq_msg *m, struct req *r)
{
	char sig[128];

	r->e = curl_easy_init();
	if (r->e == NULL)
		return NULL;
	r->h = curl_slist_append(NULL, "Content-Type: application/json");
	r->h = curl_slist_append(r->h, "User-Agent: eastwatch/" EW_VERSION);
	r->h = curl_slist_append(r->h, "Expect:");
	if (s->secret_len) {
		sign(s, (const char *)m->p, m->len, sig, sizeof(sig));
		r->h = curl_slist_append(r->h, sig);
	}
	curl_easy_setopt(r->e, CURLOPT_URL, s->url);
	curl_easy_setopt(r->e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(r->e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(r->e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->e, CURLOPT_HTTPHEADER, r->h);
	curl_easy_setopt(r->e, CURLOPT_POSTFIELDS, (const char *)m->p);
	curl_easy_setopt(r->e, CURLOPT_POSTFIELDSIZE, (long)m->len);
	curl_easy_setopt(r->e, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(r->e, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(r->e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(r->e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(r->e, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(r->e, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(r->e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(r->e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->has_ca)
		curl_easy_setopt(r->e, CURLOPT_CAINFO, s->ca_file);
	return r->e;
}

static void send_batch(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
		       char *why, size_t whylen)
{
	struct webhook_sink *s = st;
	struct req *reqs = calloc(s->concurrency, sizeof(*reqs));
	uint32_t next = 0, running_n = 0;
	int still = 0;

	if (reqs == NULL)
		return;
	for (;;) {
		CURLMsg *msg;
		int left;

		if (ew_dq_stopping(s->q))
			next = n;   /* start nothing more */
		/* keep up to concurrency requests in flight, in order */
		for (uint32_t k = 0; k < s->concurrency && next < n; k++) {
			if (reqs[k].e)
				continue;
			if (make_req(s, &m[next], &reqs[k]) == NULL)
				break;
			reqs[k].i = next++;
			curl_easy_setopt(reqs[k].e, CURLOPT_PRIVATE, &reqs[k]);
			curl_multi_add_handle(s->multi, reqs[k].e);
			running_n++;
		}
		if (running_n == 0)
			break;
		curl_multi_perform(s->multi, &still);
		while ((msg = curl_multi_info_read(s->multi, &left))) {
			struct req *r = NULL;
			long code = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result == CURLE_OK && code >= 200 && code < 300) {
				status[r->i] = EW_DQ_SENT;
			} else if (msg->data.result != CURLE_OK) {
				snprintf(why, whylen, "%s", curl_easy_strerror(msg->data.result));
			} else {
				snprintf(why, whylen, "HTTP %ld from the receiver%s", code,
					 code >= 300 && code < 400 ? " (redirects are not followed)" : "");
			}
			curl_multi_remove_handle(s->multi, r->e);
			curl_easy_cleanup(r->e);
			curl_slist_free_all(r->h);
			r->e = NULL;
			r->h = NULL;
			running_n--;
			/* a failed request means the receiver is in trouble: stop starting more */
			if (status[r->i] != EW_DQ_SENT)
				next = n;
		}
		if (running_n)
			curl_multi_poll(s->multi, NULL, 0, 100, NULL);
	}
	free(reqs);
}

static int webhook_open(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
			struct ew_err *err)
{
	static const char *const keys[] = { EW_SINK_COMMON_KEYS, EW_DQ_CONF_KEYS, "url",
		"secret_file", "format", "ca_file", "timeout", "concurrency", NULL };
	struct ew_conf_node u = ew_conf_get(*c, "url"), n;
	const char *url, *fmt = "json", *v;
	struct webhook_sink *s;
	struct ew_dq_conf dc;
	uint64_t to = 10000000, conc = 4;
	CURLU *cu;
	char *scheme = NULL, *host = NULL;
	int ok;

	if (ew_conf_check_map(*c, "webhook sink", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (!ew_conf_present(u))
		return ew_conf_errf(err, *c, "webhook sink needs a url");
	if (ew_conf_string(u, &url, err) != EW_OK)
		return EW_E_INVAL;
	cu = curl_url();
	ok = cu && curl_url_set(cu, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	     curl_url_get(cu, CURLUPART_HOST, &host, 0) == CURLUE_OK;
	if (ok) {
		char h[256];
		size_t hl = strlen(host);

		/* brackets off an IPv6 literal */
		snprintf(h, sizeof(h), "%.*s", (int)(host[0] == '[' ? hl - 2 : hl),
			 host[0] == '[' ? host + 1 : host);
		ok = strcmp(scheme, "https") == 0 ? 1 :
		     strcmp(scheme, "http") == 0 && loopback_host(h) ? 1 : 2;
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(cu);
	if (ok != 1)
		return ew_conf_errf(err, u, ok == 0 ? "bad url" :
				    "webhook url must be https (http only to a loopback address)");
	if (ew_conf_present(n = ew_conf_get(*c, "format")) && ew_conf_string(n, &fmt, err))
		return EW_E_INVAL;
	if (strcmp(fmt, "json") && strcmp(fmt, "slack"))
		return ew_conf_errf(err, n, "format must be json or slack");
	if (ew_conf_present(n = ew_conf_get(*c, "timeout")) && ew_conf_duration(n, &to, err))
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "concurrency")) &&
	    ew_conf_uint(n, 64, &conc, err))
		return EW_E_INVAL;
	if (conc == 0)
		conc = 1;
	if (ew_dq_conf_read(&dc, *c, env->spool_dir, env->spool_forced, err) != EW_OK)
		return EW_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ew_err_set(err, "webhook sink: out of memory");
	snprintf(s->url, sizeof(s->url), "%s", url);
	s->slack = fmt[0] == 's';
	s->timeout_ms = (long)(to / 1000 ? to / 1000 : 1);
	s->concurrency = (uint32_t)conc;
	if (ew_conf_present(n = ew_conf_get(*c, "ca_file"))) {
		if (ew_conf_string(n, &v, err) != EW_OK) {
			free(s);
			return EW_E_INVAL;
		}
		snprintf(s->ca_file, sizeof(s->ca_file), "%s", v);
		s->has_ca = 1;
	}
	if (ew_conf_present(n = ew_conf_get(*c, "secret_file"))) {
		if (ew_secret_read(n, s->secret, sizeof(s->secret), err) != EW_OK) {
			free(s);
			return EW_E_INVAL;
		}
		s->secret_len = strlen(s->secret);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	s->multi = curl_multi_init();
	pthread_mutex_init(&s->fmt_mu, NULL);
	if (s->multi == NULL || (!env->validate_only &&
	     ew_dq_new(&s->q, env->name, &dc, send_batch, s, err) != EW_OK)) {
		if (s->multi)
			curl_multi_cleanup(s->multi);
		else
			ew_err_set(err, "webhook sink: libcurl failed to start");
		free(s);
		return EW_E_IO;
	}
	*st = s;
	return EW_OK;
}

static int webhook_emit(void *st, const struct ew_alert *a)
{
	struct webhook_sink *s = st;
	struct ew_buf b, t;
	int rc;

	pthread_mutex_lock(&s->fmt_mu);
	ew_buf_init(&b, s->body, sizeof(s->body));
	if (ew_fmt_json(a, &b) != 0) {
		pthread_mutex_unlock(&s->fmt_mu);
		return EW_E_FULL;
	}
	if (b.len && b.p[b.len - 1] == '\n')
		b.len--;
	if (s->slack) {
		char line[1024];

		ew_buf_init(&t, s->text, sizeof(s->text));
		snprintf(line, sizeof(line), "*%s* %s", a->rule, a->message ? a->message : "");
		ew_buf_puts(&t, "{\"text\":");
		ew_buf_json_str(&t, line);
		ew_buf_putc(&t, '}');
		rc = ew_buf_overflow(&t) ? EW_E_FULL
		     : ew_dq_push(s->q, t.p, (uint32_t)t.len, 1);
	} else {
		rc = ew_dq_push(s->q, b.p, (uint32_t)b.len, 1);
	}
	pthread_mutex_unlock(&s->fmt_mu);
	return rc;
}

static void webhook_close(void *st)
{
	struct webhook_sink *s = st;

	if (s == NULL)
		return;
	ew_dq_free(s->q);
	curl_multi_cleanup(s->multi);
	memset(s->secret, 0, sizeof(s->secret));
	pthread_mutex_destroy(&s->fmt_mu);
	free(s);
}

const struct ew_sink_ops ew_sink_webhook_ops = {
	.name = "webhook", .open = webhook_open, .emit = webhook_emit, .flush = ew_dq_sink_flush,
	.close = webhook_close, .stats = ew_dq_sink_stats, .settled = ew_dq_sink_settled,
};
