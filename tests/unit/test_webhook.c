/* SPDX-License-Identifier: Apache-2.0 */
/* test_webhook - the webhook sink's signature (SPEC §5): an alert POSTed to a receiver on
 * loopback carries X-Eastwatch-Signature: t=UNIX_SECONDS,v1=HEX, HEX being
 * HMAC-SHA256(secret, "T." + body), checked here with OpenSSL's one-shot HMAC (the sink
 * uses EVP_MAC), itself checked on RFC 4231's test case 2; a changed body or time no
 * longer verifies; without a secret no signature is sent. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alerting/sink.h"
#include "check_main.h"
#include "tmp_path.h"
#include "core/ew_conf.h"

struct receiver {
	int lfd, port;
	pthread_t th;
	char request[65536];   /* the first request, headers and body */
	size_t len;
	const char *body;      /* in request */
	size_t body_len;
};

/* Accept one connection, read one request (Content-Length body), answer 200. */
static void *serve(void *arg)
{
	struct receiver *r = arg;
	int fd = accept(r->lfd, NULL, NULL);
	char *end = NULL;
	size_t want = 0;

	while (fd >= 0 && r->len < sizeof(r->request) - 1) {
		ssize_t n = read(fd, r->request + r->len, sizeof(r->request) - 1 - r->len);

		if (n <= 0)
			break;
		r->len += (size_t)n;
		r->request[r->len] = 0;
		if (end == NULL && (end = strstr(r->request, "\r\n\r\n")) != NULL) {
			const char *cl = strcasestr(r->request, "Content-Length:");

			want = cl ? strtoul(cl + 15, NULL, 10) : 0;
			r->body = end + 4;
		}
		if (end && (size_t)(r->request + r->len - r->body) >= want) {
			r->body_len = want;
			break;
		}
	}
	if (fd >= 0) {
		const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

		(void)!write(fd, ok, sizeof(ok) - 1);
		close(fd);
	}
	return NULL;
}

static void receiver_start(struct receiver *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);

	memset(r, 0, sizeof(*r));
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(r->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(r->lfd, 4), 0);
	getsockname(r->lfd, (struct sockaddr *)&a, &al);
	r->port = ntohs(a.sin_port);
	pthread_create(&r->th, NULL, serve, r);
}

static void hex_of(const unsigned char *p, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

/* HMAC-SHA256(key, t "." body) in hex. */
static void expected(const char *key, const char *t, const char *body, size_t len, char hex[65])
{
	unsigned char mac[32];
	unsigned int ml = 0;
	size_t tl = strlen(t);
	unsigned char *msg = malloc(tl + 1 + len);

	memcpy(msg, t, tl);
	msg[tl] = '.';
	memcpy(msg + tl + 1, body, len);
	HMAC(EVP_sha256(), key, (int)strlen(key), msg, tl + 1 + len, mac, &ml);
	ck_assert_uint_eq(ml, 32);
	hex_of(mac, ml, hex);
	free(msg);
}

/* The verifier itself, on RFC 4231 test case 2 (key "Jefe"). */
START_TEST(verifier_known_answer)
{
	unsigned char mac[32];
	unsigned int ml = 0;
	char hex[65];
	const char *data = "what do ya want for nothing?";

	HMAC(EVP_sha256(), "Jefe", 4, (const unsigned char *)data, strlen(data), mac, &ml);
	hex_of(mac, ml, hex);
	ck_assert_str_eq(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

/* Send one alert through a webhook sink (secret: its key or NULL) to r. */
static void send_one(struct receiver *r, const char *secret)
{
	char yaml[600], secret_path[64];
	struct ew_conf *doc = NULL;
	struct ew_sinkset *s = ew_sinkset_new("unit", NULL);
	struct ew_alert a;
	struct ew_err err;
	int n;

	if (secret)
		ew_test_file(secret_path, sizeof(secret_path), "webhook-secret", secret);
	n = snprintf(yaml, sizeof(yaml), "{type: webhook, name: hook, url: \"http://127.0.0.1:%d/a\"%s%s%s}",
		     r->port, secret ? ", secret_file: \"" : "", secret ? secret_path : "",
		     secret ? "\"" : "");
	ck_assert_int_eq(ew_conf_load_mem(&doc, "unit.yaml", yaml, (size_t)n, &err), EW_OK);
	ck_assert_msg(ew_sinkset_add(s, ew_conf_root(doc), NULL, &err) == EW_OK, "%s", err.msg);
	memset(&a, 0, sizeof(a));
	a.ts_us = 1700000000000000ULL;
	a.action = "policy-violation";
	a.rule = "ssh-between-servers";
	a.decided_by = "deny-rule";
	a.message = "198.18.1.11 [web] opened SSH (tcp/22) to 198.18.3.10 [db]";
	a.app = "SSH";
	a.app_ecs = "ssh";
	a.observer_name = "unit";
	a.observer_type = "iface";
	ew_addr_parse(&a.src, "198.18.1.11");
	ew_addr_parse(&a.dst, "198.18.3.10");
	a.proto = 6;
	a.dport = 22;
	ck_assert_int_eq(ew_sinkset_emit(s, &a), 1);   /* the one sink took it */
	ck_assert_int_eq(ew_sinkset_flush(s, 10000), 0);
	pthread_join(r->th, NULL);
	close(r->lfd);
	ew_sinkset_free(s);
	ew_conf_free(doc);
	if (secret)
		unlink(secret_path);
}

START_TEST(signature_verifies)
{
	static struct receiver r;
	const char *sig, *v1;
	char t[24], hex[65], wrong[65];
	long long ts;

	receiver_start(&r);
	send_one(&r, "s3cret-key");
	ck_assert_msg(r.body_len > 0, "no request body: %s", r.request);
	sig = strcasestr(r.request, "X-Eastwatch-Signature: t=");
	ck_assert_msg(sig != NULL, "no signature header: %s", r.request);
	ts = strtoll(sig + 25, NULL, 10);
	ck_assert_int_lt(llabs(ts - (long long)time(NULL)), 60);
	snprintf(t, sizeof(t), "%lld", ts);
	v1 = strstr(sig, ",v1=");
	ck_assert_ptr_nonnull(v1);
	expected("s3cret-key", t, r.body, r.body_len, hex);
	ck_assert_int_eq(strncmp(v1 + 4, hex, 64), 0);
	ck_assert(v1[4 + 64] == '\r');
	ck_assert_ptr_nonnull(memmem(r.body, r.body_len, "ssh-between-servers", 19));
	/* a body changed by one byte, or another time, or another key: no longer */
	((char *)r.body)[0] ^= 1;
	expected("s3cret-key", t, r.body, r.body_len, wrong);
	ck_assert_int_ne(strncmp(v1 + 4, wrong, 64), 0);
	((char *)r.body)[0] ^= 1;
	snprintf(t, sizeof(t), "%lld", ts + 1);
	expected("s3cret-key", t, r.body, r.body_len, wrong);
	ck_assert_int_ne(strncmp(v1 + 4, wrong, 64), 0);
	snprintf(t, sizeof(t), "%lld", ts);
	expected("s3cret-kez", t, r.body, r.body_len, wrong);
	ck_assert_int_ne(strncmp(v1 + 4, wrong, 64), 0);
}
END_TEST

START_TEST(no_secret_no_signature)
{
	static struct receiver r;

	receiver_start(&r);
	send_one(&r, NULL);
	ck_assert_msg(r.body_len > 0, "no request body: %s", r.request);
	ck_assert_ptr_null(strcasestr(r.request, "X-Eastwatch-Signature"));
}
END_TEST

static Suite *webhook_suite(void)
{
	Suite *s = suite_create("webhook");
	TCase *t = tcase_create("webhook");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, verifier_known_answer);
	tcase_add_test(t, signature_verifies);
	tcase_add_test(t, no_secret_no_signature);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(webhook_suite)
