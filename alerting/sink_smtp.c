/* SPDX-License-Identifier: Apache-2.0 */
/* sink_smtp - alerts by e-mail (libcurl SMTP): critical ones at once, the others in one
 * digest per severity.
 *
 * Options: url (smtp://host:587 with STARTTLS, smtps://host:465 with implicit TLS), from,
 * to (a list), tls (required, the default, or off: plain SMTP, for a relay on loopback),
 * username and password_file, ca_file, digest_interval (default 60s: how long non-
 * critical alerts gather before their digest goes), max_per_minute (default 10 e-mails;
 * past it, alerts wait for the next minute), timeout (default 30s), and the queue/spool
 * keys of deliver.h. The server's certificate and name are always verified.
 * A message is plain text a person reads on a phone: the sentence, then the facts one per
 * line; the alerts' JSON is attached (alerts.json, base64, one object per line) so that
 * nothing is lost to line-length limits. The subject names the severity, the rule, the
 * source and the destination (SPEC §5); a digest's names the count and the rules. */
#include "alerting/deliver.h"
#include "alerting/fmt_json.h"
#include "alerting/sink.h"
#include "core/ew_log.h"
#include "core/ew_sev.h"
#include "core/ew_time.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RCPT 16

struct smtp_sink {
	struct ew_dq *q;          /* first: ew_dq_sink_* */
	char url[512], from[256], user[256], password[512], ca_file[512];
	char to[MAX_RCPT][256];
	int nto, tls_off, has_ca, has_user;
	long timeout_ms;
	uint32_t per_minute;
	uint64_t sent_at[64];     /* when the last e-mails went (ring, per_minute <= 64) */
	uint32_t sent_head;
	uint64_t seq;
	char host[256];
	char payload[32768];
	pthread_mutex_t fmt_mu;
};

/* Payload: severity byte, subject, NUL, text, NUL, JSON line. */
struct parsed {
	int sev;
	const char *subject, *text, *json;
	size_t json_len;
};

static int parse_payload(const struct ew_dq_msg *m, struct parsed *p)
{
	const char *b = (const char *)m->p, *e = b + m->len, *z1, *z2;

	p->sev = 0;
	p->subject = p->text = p->json = "";
	p->json_len = 0;
	if (m->len < 3)
		return -1;
	p->sev = (uint8_t)b[0];
	p->subject = b + 1;
	z1 = memchr(p->subject, 0, (size_t)(e - p->subject));
	if (z1 == NULL)
		return -1;
	p->text = z1 + 1;
	z2 = memchr(p->text, 0, (size_t)(e - p->text));
	if (z2 == NULL)
		return -1;
	p->json = z2 + 1;
	p->json_len = (size_t)(e - p->json);
	return 0;
}

struct growbuf {
	char *p;
	size_t len, cap, rd;
};

static void gput(struct growbuf *g, const char *s, size_t n)
{
	if (g->len + n + 1 > g->cap) {
		size_t nc = (g->cap ? g->cap * 2 : 8192);
		char *np;

		while (nc < g->len + n + 1)
			nc *= 2;
		np = realloc(g->p, nc);
		if (np == NULL)
			return;
		g->p = np;
		g->cap = nc;
	}
	memcpy(g->p + g->len, s, n);
	g->len += n;
	g->p[g->len] = 0;
}

static void gputs(struct growbuf *g, const char *s)
{
	gput(g, s, strlen(s));
}

/* Text with every line ending CRLF. */
static void gput_crlf(struct growbuf *g, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			gput(g, "\r\n", 2);
		else if (*s != '\r')
			gput(g, s, 1);
	}
}

static void base64(struct growbuf *g, const unsigned char *s, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char out[4];
	int col = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);

		out[0] = t[v >> 18 & 63];
		out[1] = t[v >> 12 & 63];
		out[2] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[3] = i + 2 < n ? t[v & 63] : '=';
		gput(g, out, 4);
		if ((col += 4) >= 76) {
			gput(g, "\r\n", 2);
			col = 0;
		}
	}
	if (col)
		gput(g, "\r\n", 2);
}

static size_t read_cb(char *buf, size_t sz, size_t nmemb, void *u)
{
	struct growbuf *g = u;
	size_t n = sz * nmemb, left = g->len - g->rd;

	if (n > left)
		n = left;
	memcpy(buf, g->p + g->rd, n);
	g->rd += n;
	return n;
}

static int progress(void *u, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	const struct smtp_sink *s = u;

	return ew_dq_stopping(s->q);
}

/* One e-mail from msgs idx[0..k). */
static int send_mail(struct smtp_sink *s, const struct ew_dq_msg *m, const uint32_t *idx,
		     uint32_t k, char *why, size_t whylen)
{
	struct growbuf g = { 0 }, json = { 0 };
	struct curl_slist *rcpt = NULL;
	struct parsed p;
	char line[1200], date[64], boundary[64];
	time_t now = time(NULL);
	struct tm tm;
	CURL *e;
	CURLcode rc;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	s->seq++;
	snprintf(boundary, sizeof(boundary), "eastwatch-%llx-%llu", (unsigned long long)now,
		 (unsigned long long)s->seq);
	parse_payload(&m[idx[0]], &p);
	snprintf(line, sizeof(line), "Date: %s\r\nFrom: <%s>\r\nTo: ", date, s->from);
	gputs(&g, line);
	for (int i = 0; i < s->nto; i++) {
		snprintf(line, sizeof(line), "%s<%s>", i ? ", " : "", s->to[i]);
		gputs(&g, line);
	}
	if (k == 1) {
		snprintf(line, sizeof(line), "\r\nSubject: %s\r\n", p.subject);
	} else {
		/* digest: "[eastwatch] HIGH: 12 alerts (default x10, web-to-db x2)" */
		char names[16][128], rules[600] = "";
		uint32_t cnt[16] = { 0 }, nn = 0, more = 0;
		size_t used = 0;

		for (uint32_t i = 0; i < k; i++) {
			struct parsed q;
			const char *r, *re;
			uint32_t j;

			parse_payload(&m[idx[i]], &q);
			/* the subject reads "[eastwatch] SEV RULE: ..." */
			r = strchr(q.subject, ' ');
			r = r ? strchr(r + 1, ' ') : NULL;
			re = r ? strchr(r + 1, ':') : NULL;
			if (re == NULL || re - r - 1 >= 128)
				continue;
			r++;
			for (j = 0; j < nn; j++)
				if (strlen(names[j]) == (size_t)(re - r) &&
				    memcmp(names[j], r, (size_t)(re - r)) == 0)
					break;
			if (j == nn) {
				if (nn == 16) {
					more++;
					continue;
				}
				snprintf(names[nn++], sizeof(names[0]), "%.*s", (int)(re - r), r);
			}
			cnt[j]++;
		}
		for (uint32_t j = 0; j < nn && used < sizeof(rules) - 1; j++)
			used += (size_t)snprintf(rules + used, sizeof(rules) - used, "%s%s x%u",
						 j ? ", " : "", names[j], cnt[j]);
		if (more && used < sizeof(rules) - 1)
			snprintf(rules + used, sizeof(rules) - used, ", %u more", more);
		snprintf(line, sizeof(line), "\r\nSubject: [eastwatch] %s: %u alerts (%s)\r\n",
			 p.sev == EW_SEV_HIGH ? "HIGH" : p.sev == EW_SEV_MEDIUM ? "MEDIUM" :
			 p.sev == EW_SEV_LOW ? "LOW" : p.sev == EW_SEV_CRITICAL ? "CRITICAL" : "INFO",
			 k, rules);
	}
	gputs(&g, line);
	snprintf(line, sizeof(line), "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
		 "Auto-Submitted: auto-generated\r\n"
		 "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
		 "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: 8bit\r\n\r\n", boundary, s->host, boundary, boundary);
	gputs(&g, line);
	if (k > 1) {
		snprintf(line, sizeof(line), "%u alerts since the last digest:\r\n\r\n", k);
		gputs(&g, line);
	}
	for (uint32_t i = 0; i < k; i++) {
		parse_payload(&m[idx[i]], &p);
		gput_crlf(&g, p.text);
		gputs(&g, "\r\n");
		gput(&json, p.json, p.json_len);
		gput(&json, "\n", 1);
	}
	snprintf(line, sizeof(line), "--%s\r\nContent-Type: application/json; charset=utf-8\r\n"
		 "Content-Disposition: attachment; filename=\"alerts.json\"\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	gputs(&g, line);
	base64(&g, (const unsigned char *)json.p, json.len);
	snprintf(line, sizeof(line), "--%s--\r\n", boundary);
	gputs(&g, line);
	free(json.p);

	e = curl_easy_init();
	if (e == NULL || g.p == NULL) {
		snprintf(why, whylen, "out of memory");
		curl_easy_cleanup(e);
		free(g.p);
		return -1;
	}
	for (int i = 0; i < s->nto; i++) {
		snprintf(line, sizeof(line), "<%s>", s->to[i]);
		rcpt = curl_slist_append(rcpt, line);
	}
	snprintf(line, sizeof(line), "<%s>", s->from);
	curl_easy_setopt(e, CURLOPT_URL, s->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(e, CURLOPT_MAIL_FROM, line);
	curl_easy_setopt(e, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, &g);
	curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (!s->tls_off)
		curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (s->has_ca)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
	if (s->has_user) {
		curl_easy_setopt(e, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(e, CURLOPT_PASSWORD, s->password);
	}
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK)
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(e);
	free(g.p);
	return rc == CURLE_OK ? 0 : -1;
}

/* May another e-mail go now? Records it if so. */
static int allowed(struct smtp_sink *s)
{
	uint64_t now = ew_time_mono_us(), *oldest = &s->sent_at[s->sent_head];

	if (*oldest && now - *oldest < 60000000)
		return 0;
	*oldest = now;
	s->sent_head = (s->sent_head + 1) % s->per_minute;
	return 1;
}

static void send_batch(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
		       char *why, size_t whylen)
{
	struct smtp_sink *s = st;
	uint32_t *idx = calloc(n ? n : 1, sizeof(*idx));
	struct parsed p;

	if (idx == NULL)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (parse_payload(&m[i], &p) != 0)
			status[i] = EW_DQ_SENT;   /* unreadable: never retried */
	/* critical alerts, one e-mail each */
	for (uint32_t i = 0; i < n; i++) {
		if (status[i] || parse_payload(&m[i], &p) || p.sev != EW_SEV_CRITICAL)
			continue;
		if (ew_dq_stopping(s->q))
			goto out;
		if (!allowed(s)) {
			status[i] = EW_DQ_LATER;
			continue;
		}
		idx[0] = i;
		if (send_mail(s, m, idx, 1, why, whylen) != 0)
			goto out;
		status[i] = EW_DQ_SENT;
	}
	/* the others, one digest per severity */
	for (int sev = EW_SEV_HIGH; sev >= EW_SEV_INFO; sev--) {
		uint32_t k = 0;

		for (uint32_t i = 0; i < n; i++)
			if (!status[i] && parse_payload(&m[i], &p) == 0 && p.sev == sev)
				idx[k++] = i;
		if (k == 0)
			continue;
		if (!allowed(s)) {
			for (uint32_t j = 0; j < k; j++)
				status[idx[j]] = EW_DQ_LATER;
			continue;
		}
		if (send_mail(s, m, idx, k, why, whylen) != 0)
			goto out;
		for (uint32_t j = 0; j < k; j++)
			status[idx[j]] = EW_DQ_SENT;
	}
out:
	free(idx);
}

static int smtp_open(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
		     struct ew_err *err)
{
	static const char *const keys[] = { EW_SINK_COMMON_KEYS, EW_DQ_CONF_KEYS, "url", "from",
		"to", "tls", "username", "password_file", "ca_file", "digest_interval",
		"max_per_minute", "timeout", NULL };
	struct ew_conf_node u = ew_conf_get(*c, "url"), n;
	const char *url, *v;
	struct smtp_sink *s;
	struct ew_dq_conf dc;
	uint64_t digest = 60000000, per = 10, to = 30000000;

	if (ew_conf_check_map(*c, "email sink", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (!ew_conf_present(u))
		return ew_conf_errf(err, *c, "email sink needs a url (smtp://host:587)");
	if (ew_conf_string(u, &url, err) != EW_OK)
		return EW_E_INVAL;
	if (strncmp(url, "smtp://", 7) && strncmp(url, "smtps://", 8))
		return ew_conf_errf(err, u, "url must be smtp://HOST[:PORT] (STARTTLS) or "
				    "smtps://HOST[:PORT] (implicit TLS)");
	if (!ew_conf_present(ew_conf_get(*c, "from")))
		return ew_conf_errf(err, *c, "email sink needs from");
	if (!ew_conf_present(n = ew_conf_get(*c, "to")))
		return ew_conf_errf(err, *c, "email sink needs to (a list of addresses)");
	if (ew_dq_conf_read(&dc, *c, env->spool_dir, env->spool_forced, err) != EW_OK)
		return EW_E_INVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ew_err_set(err, "email sink: out of memory");
	snprintf(s->url, sizeof(s->url), "%s", url);
	if (ew_conf_string(ew_conf_get(*c, "from"), &v, err) != EW_OK)
		goto bad;
	if (strpbrk(v, "<>\r\n ,") || !strchr(v, '@')) {
		ew_conf_errf(err, ew_conf_get(*c, "from"), "bad address \"%s\"", v);
		goto bad;
	}
	snprintf(s->from, sizeof(s->from), "%s", v);
	for (size_t i = 0; i < (ew_conf_type(n) == EW_CONF_SEQ ? ew_conf_len(n) : 1); i++) {
		struct ew_conf_node it = ew_conf_type(n) == EW_CONF_SEQ ? ew_conf_at(n, i) : n;

		if (s->nto == MAX_RCPT) {
			ew_conf_errf(err, it, "at most %d recipients", MAX_RCPT);
			goto bad;
		}
		if (ew_conf_string(it, &v, err) != EW_OK)
			goto bad;
		if (strpbrk(v, "<>\r\n ,") || !strchr(v, '@')) {
			ew_conf_errf(err, it, "bad address \"%s\"", v);
			goto bad;
		}
		snprintf(s->to[s->nto++], sizeof(s->to[0]), "%s", v);
	}
	if (s->nto == 0) {
		ew_conf_errf(err, n, "to is empty");
		goto bad;
	}
	if (ew_conf_present(n = ew_conf_get(*c, "tls"))) {
		if (ew_conf_string(n, &v, err) != EW_OK)
			goto bad;
		if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0) {
			s->tls_off = 1;
		} else if (strcmp(v, "required") && strcmp(v, "true")) {
			ew_conf_errf(err, n, "tls must be required or off");
			goto bad;
		}
	}
	if (s->tls_off && strncmp(url, "smtps://", 8) == 0) {
		ew_conf_errf(err, n, "tls: off contradicts an smtps:// url");
		goto bad;
	}
	if (ew_conf_present(n = ew_conf_get(*c, "username"))) {
		if (ew_conf_string(n, &v, err) != EW_OK)
			goto bad;
		snprintf(s->user, sizeof(s->user), "%s", v);
		s->has_user = 1;
		if (!ew_conf_present(ew_conf_get(*c, "password_file"))) {
			ew_conf_errf(err, n, "username needs password_file");
			goto bad;
		}
	}
	if (ew_conf_present(n = ew_conf_get(*c, "password_file")) &&
	    ew_secret_read(n, s->password, sizeof(s->password), err) != EW_OK)
		goto bad;
	if (ew_conf_present(n = ew_conf_get(*c, "ca_file"))) {
		if (ew_conf_string(n, &v, err) != EW_OK)
			goto bad;
		snprintf(s->ca_file, sizeof(s->ca_file), "%s", v);
		s->has_ca = 1;
	}
	if (ew_conf_present(n = ew_conf_get(*c, "digest_interval")) &&
	    ew_conf_duration(n, &digest, err) != EW_OK)
		goto bad;
	if (ew_conf_present(n = ew_conf_get(*c, "max_per_minute")) &&
	    ew_conf_uint(n, 64, &per, err) != EW_OK)
		goto bad;
	if (per == 0) {
		ew_conf_errf(err, n, "max_per_minute must be 1 to 64");
		goto bad;
	}
	if (ew_conf_present(n = ew_conf_get(*c, "timeout")) && ew_conf_duration(n, &to, err))
		goto bad;
	s->per_minute = (uint32_t)per;
	s->timeout_ms = (long)(to / 1000 ? to / 1000 : 1);
	dc.linger_ms = (uint32_t)(digest / 1000);
	dc.batch_max = 1000;
	if (gethostname(s->host, sizeof(s->host) - 1) != 0 || !s->host[0])
		snprintf(s->host, sizeof(s->host), "eastwatch");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&s->fmt_mu, NULL);
	if ((!env->validate_only &&
	     ew_dq_new(&s->q, env->name, &dc, send_batch, s, err) != EW_OK)) {
		memset(s->password, 0, sizeof(s->password));
		free(s);
		return EW_E_IO;
	}
	*st = s;
	return EW_OK;
bad:
	memset(s->password, 0, sizeof(s->password));
	free(s);
	return EW_E_INVAL;
}

static void groups(struct ew_buf *b, const char *const *g, uint32_t n)
{
	if (n == 0)
		return;
	ew_buf_puts(b, " (");
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			ew_buf_puts(b, ", ");
		ew_buf_puts(b, g[i]);
	}
	ew_buf_putc(b, ')');
}

static int smtp_emit(void *st, const struct ew_alert *a)
{
	struct smtp_sink *s = st;
	char sev[16], src[EW_ADDR_STRLEN], dst[EW_ADDR_STRLEN], ts[32], tb[8], id[17];
	struct ew_buf b;
	int rc;

	snprintf(sev, sizeof(sev), "%s", ew_severity_name(a->severity));
	for (char *c = sev; *c; c++)
		*c = (char)(*c - 32 * (*c >= 'a' && *c <= 'z'));
	ew_addr_format(&a->src, src);
	ew_addr_format(&a->dst, dst);
	pthread_mutex_lock(&s->fmt_mu);
	ew_buf_init(&b, s->payload, sizeof(s->payload));
	ew_buf_putc(&b, (char)a->severity);
	/* subject: "[eastwatch] CRITICAL ssh-between-servers: 198.18.1.11 -> 198.18.3.10 ssh/22" */
	ew_buf_printf(&b, "[eastwatch] %s %s: %s -> %s %s", sev, a->rule, src, dst,
		      a->app_ecs && strcmp(a->app_ecs, "unknown") ? a->app_ecs
		      : ew_transport_name(a->proto, tb));
	if (a->proto == 6 || a->proto == 17 || a->proto == 132)
		ew_buf_printf(&b, "/%u", a->dport);
	for (size_t i = 1; i < b.len; i++)       /* no header injection */
		if (b.p[i] == '\r' || b.p[i] == '\n')
			b.p[i] = ' ';
	ew_buf_putc(&b, 0);
	ew_buf_printf(&b, "%s\n\n", a->message ? a->message : "");
	ew_buf_printf(&b, "  severity:     %s\n", ew_severity_name(a->severity));
	ew_buf_printf(&b, "  rule:         %s", a->rule);
	if (a->rule_file)
		ew_buf_printf(&b, " (%s:%u)", a->rule_file, a->rule_line);
	ew_buf_printf(&b, "\n  seen at:      %s\n", ew_time_rfc3339(a->ts_us, ts));
	ew_buf_printf(&b, "  source:       %s port %u", src, a->sport);
	groups(&b, a->src_groups, a->nsrc_groups);
	ew_buf_printf(&b, "\n  destination:  %s port %u", dst, a->dport);
	groups(&b, a->dst_groups, a->ndst_groups);
	ew_buf_printf(&b, "\n  application:  %s (%s), %s\n", a->app ? a->app : "Unknown",
		      ew_app_source_name(a->app_source), ew_transport_name(a->proto, tb));
	if (a->repeats)
		ew_buf_printf(&b, "  repeats:      %llu more since the last alert\n",
			      (unsigned long long)a->repeats);
	ew_buf_printf(&b, "  sensor:       %s (%s)\n", a->observer_name ? a->observer_name : "-",
		      a->observer_type ? a->observer_type : "unknown");
	ew_buf_printf(&b, "  alert id:     %s\n", ew_alert_id_str(a->alert_id, id));
	ew_buf_putc(&b, 0);
	if (ew_fmt_json(a, &b) != 0) {
		pthread_mutex_unlock(&s->fmt_mu);
		return EW_E_FULL;
	}
	if (b.p[b.len - 1] == '\n')
		b.len--;
	rc = ew_dq_push(s->q, b.p, (uint32_t)b.len, a->severity == EW_SEV_CRITICAL);
	pthread_mutex_unlock(&s->fmt_mu);
	return rc;
}

static void smtp_close(void *st)
{
	struct smtp_sink *s = st;

	if (s == NULL)
		return;
	ew_dq_free(s->q);
	memset(s->password, 0, sizeof(s->password));
	pthread_mutex_destroy(&s->fmt_mu);
	free(s);
}

const struct ew_sink_ops ew_sink_email_ops = {
	.name = "email", .open = smtp_open, .emit = smtp_emit, .flush = ew_dq_sink_flush,
	.close = smtp_close, .stats = ew_dq_sink_stats, .settled = ew_dq_sink_settled,
};
