/* SPDX-License-Identifier: Apache-2.0 */
/* Check suite for analyzer/confirm and its use by the classifier: each checker says yes
 * to its protocol's real first messages (as real clients and Debian's servers send them,
 * also picked up mid-session) and no to the look-alikes nDPI confuses them with; whole
 * TCP sessions through the flow table and the classifier come out named right (LDAP not
 * MQTT, Redis not NATS, SMB on tcp/139 not NetBIOS, MySQL 8 and PostgreSQL by DPI), and
 * flows on other ports keep nDPI's name. */
#include <string.h>

#include "analyzer/classify.h"
#include "analyzer/confirm.h"
#include "analyzer/flowtab.h"
#include "check_main.h"
#include "collector/decode_pkt.h"
#include "pktbuild.h"

struct msg {
	int from_server;
	const uint8_t *p;
	size_t n;
};

#define M(dir, lit) { dir, (const uint8_t *)(lit), sizeof(lit) - 1 }

/* ldapsearch -x -D cn=admin,dc=lab -w secret: the simple bindRequest and its response */
static const char ldap_bind[] =
	"0!\x02\x01\x01`\x1c\x02\x01\x03\x04\x0f"
	"cn=admin,dc=lab\x80\x06secret";
static const char ldap_bind_ok[] =
	"0\x0c\x02\x01\x01"
	"a\x07\x0a\x01\x00\x04\x00\x04\x00";
/* a searchRequest with a 2-byte length (0x81) as a second message, mid-session */
static const char ldap_search[] =
	"0\x81,\x02\x01\x02"
	"c\x81&\x04\x06"
	"dc=lab\x0a\x01\x02\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01"
	"\x01\x00\x87\x0bobjectClass0\x00";
/* StartTLS: extendedRequest 1.3.6.1.4.1.1466.20037 */
static const char ldap_starttls[] =
	"0\x1d\x02\x01\x01w\x18\x80\x16"
	"1.3.6.1.4.1.1466.20037";
/* MQTT: CONNECT and a PUBLISH (0x30 like a BER SEQUENCE) */
static const char mqtt_connect[] =
	"\x10\x10\x00\x04MQTT\x04\x02\x00<\x00\x04test";
static const char mqtt_publish[] =
	"0\x0b\x00\x03"
	"a/bhello";

static const char mysql8_greeting[] =
	"[\x00\x00\x00\x0a"
	"8.0.35-0ubuntu0.22.04.1\x00\x0b\x00\x00\x00"
	"abcdefgh\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00"
	"caching_sha2_password\x00";
static const char mariadb_greeting[] =
	"c\x00\x00\x00\x0a"
	"5.5.5-10.11.6-MariaDB-0+deb12u1\x00\x03\x00\x00\x00"
	"abcdefgh\x00\xfe\xf7-\x02\x00\xff\x81\x15\x00\x00\x00\x00"
	"\x00\x00\x1d\x00\x00\x00ijklmnopqrst\x00mysql_native_passwor"
	"d\x00";
static const char mysql_refused[] =
	"F\x00\x00\x00\xffj\x04Host '198.18.1.11' is not allowed to c"
	"onnect to this MariaDB server";
static const char mysql_query[] =
	"\x11\x00\x00\x00\x03SELECT @@version";

static const char pg_ssl[] = "\x00\x00\x00\x08\x04\xd2\x16\x2f";
static const char pg_startup[] =
	"\x00\x00\x00$\x00\x03\x00\x00user\x00postgres\x00"
	"database\x00"
	"app\x00\x00";
static const char pg_query[] =
	"Q\x00\x00\x00\x0eSELECT 1;\x00";

static const char smb2_negotiate[] =
	"\x00\x00\x00"
	"f\xfeSMB@\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00$\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x00\x00\x02\x02";
static const char smb1_negotiate[] =
	"\x00\x00\x00-\xffSMBr\x00\x00\x00\x00\x18"
	"C\xc8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfe"
	"\xff\x00\x00\x00\x00\x00\x0c\x00\x02NT LM 0.12\x00";
static const char nbss_request[] = "\x81\x00\x00\x44 CKFDENECFDEFFCFGEFFCCACACACACACA\x00"
				   " EMEJENEDEFCACACACACACACACACACAAA\x00";

static int check(int kind, const struct msg *m, size_t n)
{
	struct ew_confirm c;
	int a = EW_CF_MORE;

	memset(&c, 0, sizeof(c));
	c.kind = (uint8_t)kind;
	c.answer = EW_CF_MORE;
	for (size_t i = 0; i < n && a == EW_CF_MORE; i++)
		a = ew_confirm_payload(&c, !m[i].from_server, m[i].p, m[i].n);
	return a;
}

#define CHECK(kind, want, ...)                                                         \
	do {                                                                           \
		const struct msg m_[] = { __VA_ARGS__ };                               \
		ck_assert_int_eq(check(kind, m_, sizeof(m_) / sizeof(m_[0])), want);   \
	} while (0)

START_TEST(ldap_messages)
{
	CHECK(EW_CF_LDAP, EW_CF_YES, M(0, ldap_bind));
	CHECK(EW_CF_LDAP, EW_CF_YES, M(1, ldap_bind_ok));
	CHECK(EW_CF_LDAP, EW_CF_YES, M(0, ldap_search));
	CHECK(EW_CF_LDAP, EW_CF_YES, M(0, ldap_starttls));
	CHECK(EW_CF_LDAP, EW_CF_NO, M(0, mqtt_publish));
	CHECK(EW_CF_LDAP, EW_CF_NO, M(0, mqtt_connect));
	CHECK(EW_CF_LDAP, EW_CF_NO, M(0, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"));  /* TLS */
}
END_TEST

START_TEST(redis_messages)
{
	CHECK(EW_CF_REDIS, EW_CF_YES, M(0, "PING\r\n"), M(1, "+PONG\r\n"));
	CHECK(EW_CF_REDIS, EW_CF_YES, M(0, "*1\r\n$4\r\nPING\r\n"), M(1, "+PONG\r\n"));
	CHECK(EW_CF_REDIS, EW_CF_YES, M(0, "set k v\r\n"), M(1, "-NOAUTH Authentication required.\r\n"));
	CHECK(EW_CF_REDIS, EW_CF_YES, M(0, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), M(1, "$-1\r\n"));
	CHECK(EW_CF_REDIS, EW_CF_YES, M(0, "*1\r\n$5\r\nHELLO\r\n"), M(1, "%7\r\n$6\r\nserver\r\n"));
	/* NATS: the server speaks first */
	CHECK(EW_CF_REDIS, EW_CF_NO, M(1, "INFO {\"server_id\":\"x\",\"version\":\"2.9\"}\r\n"),
	      M(0, "CONNECT {}\r\n"));
	CHECK(EW_CF_REDIS, EW_CF_NO, M(0, "PING\r\n"), M(1, "PONG\r\n"));   /* NATS' answer */
	CHECK(EW_CF_REDIS, EW_CF_NO, M(0, "\x16\x03\x01\x00\x05hello"));
}
END_TEST

START_TEST(mysql_messages)
{
	CHECK(EW_CF_MYSQL, EW_CF_YES, M(1, mysql8_greeting));
	CHECK(EW_CF_MYSQL, EW_CF_YES, M(1, mariadb_greeting));
	CHECK(EW_CF_MYSQL, EW_CF_YES, M(1, mysql_refused));
	CHECK(EW_CF_MYSQL, EW_CF_YES, M(0, mysql_query));          /* mid-session */
	CHECK(EW_CF_MYSQL, EW_CF_NO, M(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	CHECK(EW_CF_MYSQL, EW_CF_NO, M(1, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
	      M(0, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
}
END_TEST

START_TEST(pgsql_messages)
{
	CHECK(EW_CF_PGSQL, EW_CF_YES, M(0, pg_ssl));
	CHECK(EW_CF_PGSQL, EW_CF_YES, M(0, pg_startup));
	CHECK(EW_CF_PGSQL, EW_CF_YES, M(0, pg_query));             /* mid-session */
	CHECK(EW_CF_PGSQL, EW_CF_NO, M(1, mysql8_greeting));
	CHECK(EW_CF_PGSQL, EW_CF_NO, M(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
}
END_TEST

START_TEST(smb_messages)
{
	struct ew_confirm c;

	CHECK(EW_CF_SMB, EW_CF_YES, M(0, smb2_negotiate));
	CHECK(EW_CF_SMB, EW_CF_YES, M(0, nbss_request), M(1, "\x82\x00\x00\x00"), M(0, smb1_negotiate));
	memset(&c, 0, sizeof(c));
	c.kind = EW_CF_SMB;
	c.answer = EW_CF_MORE;
	ck_assert_int_eq(ew_confirm_payload(&c, 1, (const uint8_t *)smb1_negotiate,
					    sizeof(smb1_negotiate) - 1), EW_CF_YES);
	ck_assert_int_eq(c.smb_version, 1);
	/* the middle of a large read, then the next message: mid-session */
	CHECK(EW_CF_SMB, EW_CF_YES, M(1, "\x12\x34\x56\x78\x9a\xbc\xde\xf0"), M(0, smb2_negotiate));
	/* never SMB: no after eight payloads */
	CHECK(EW_CF_SMB, EW_CF_NO, M(0, "abcdefgh"), M(1, "abcdefgh"), M(0, "abcdefgh"),
	      M(1, "abcdefgh"), M(0, "abcdefgh"), M(1, "abcdefgh"), M(0, "abcdefgh"),
	      M(1, "abcdefgh"), M(0, "abcdefgh"));
}
END_TEST

/* ---- whole sessions through the flow table and the classifier ---- */

struct sess {
	struct ew_classify *c;
	struct ew_flowtab *ft;
	uint32_t seq[2];
	uint64_t ts;
};

static void on_end(void *arg, struct ew_ft_entry *e, int final)
{
	struct sess *s = arg;

	if (final && e->cls)
		ew_classify_finish(s->c, &e->cls, &e->f);
}

/* One TCP segment of the session cli:40000 <-> srv:port, through the table and nDPI. */
static struct ew_ft_entry *seg(struct sess *s, uint16_t port, int from_server, uint8_t flags,
			       const uint8_t *data, size_t n)
{
	struct pb p = { 0 };
	struct ew_pkt k;
	struct ew_ft_entry *e;
	int dir, created;

	pb_eth(&p, 0x0800);
	pb_ipv4(&p, from_server ? "198.18.3.10" : "198.18.1.11",
		from_server ? "198.18.1.11" : "198.18.3.10", 6, 1, 0);
	pb_u16(&p, from_server ? port : 40000);
	pb_u16(&p, from_server ? 40000 : port);
	pb_u32(&p, s->seq[from_server]);
	pb_u32(&p, (flags & EW_TH_ACK) ? s->seq[!from_server] : 0);
	pb_u8(&p, 5 << 4);
	pb_u8(&p, flags);
	pb_u16(&p, 65535);
	pb_u16(&p, 0);
	pb_u16(&p, 0);
	pb_put(&p, data, n);
	pb_done(&p);
	s->seq[from_server] += (uint32_t)n + ((flags & (EW_TH_SYN | EW_TH_FIN)) ? 1 : 0);
	s->ts += 1000;
	ck_assert_int_eq(ew_pkt_decode(&k, EW_DLT_EN10MB, p.b, (uint32_t)p.n), EW_OK);
	e = ew_flowtab_packet(s->ft, &k.k, s->ts, &dir, &created);
	if (!e->user[0] && (k.k.l4_payload || (flags & (EW_TH_SYN | EW_TH_ACK)) == EW_TH_ACK) &&
	    (ew_classify_packet(s->c, &e->cls, &e->f, k.l3, k.l3_len, s->ts) & EW_CLS_FINISHED))
		e->user[0] = 1;
	return e;
}

/* The application of a session on port: with its handshake unless mid_session, then
 * the messages; the flow ended. */
static const char *session_app(uint16_t port, int mid_session, const struct msg *m, size_t n,
			       char *out)
{
	struct sess s;
	struct ew_cls_conf cc;
	struct ew_ft_conf fc;
	struct ew_err err;
	struct ew_ft_entry *e = NULL;
	static const uint8_t none[1];

	memset(&s, 0, sizeof(s));
	s.seq[0] = 1000;
	s.seq[1] = 5000;
	s.ts = 1700000000000000ULL;
	ew_cls_conf_default(&cc);
	s.c = ew_classify_new(&cc, &err);
	ew_ft_conf_default(&fc);
	fc.max_flows = 16;
	s.ft = ew_flowtab_new(&fc, on_end, &s);
	if (!mid_session) {
		seg(&s, port, 0, EW_TH_SYN, none, 0);
		seg(&s, port, 1, EW_TH_SYN | EW_TH_ACK, none, 0);
		seg(&s, port, 0, EW_TH_ACK, none, 0);
	}
	for (size_t i = 0; i < n; i++) {
		e = seg(&s, port, m[i].from_server, EW_TH_ACK | EW_TH_PSH, m[i].p, m[i].n);
		seg(&s, port, !m[i].from_server, EW_TH_ACK, none, 0);
	}
	if (e->cls)
		ew_classify_finish(s.c, &e->cls, &e->f);
	ew_classify_flow_name(s.c, &e->f, out, 64);
	ck_assert_int_eq(e->f.app_source, EW_APP_DPI);
	ew_flowtab_free(s.ft);
	ew_classify_free(s.c);
	return out;
}

#define SESSION(port, mid, want, ...)                                                     \
	do {                                                                              \
		const struct msg m_[] = { __VA_ARGS__ };                                  \
		char b_[64];                                                              \
		ck_assert_str_eq(session_app(port, mid, m_, sizeof(m_) / sizeof(m_[0]), b_), \
				 want);                                                   \
	} while (0)

START_TEST(sessions_named_right)
{
	SESSION(389, 0, "LDAP", M(0, ldap_bind), M(1, ldap_bind_ok), M(0, ldap_search));
	SESSION(389, 1, "LDAP", M(0, ldap_search));
	SESSION(3268, 0, "LDAP", M(0, ldap_bind), M(1, ldap_bind_ok));
	SESSION(6379, 0, "Redis", M(0, "PING\r\n"), M(1, "+PONG\r\n"));
	SESSION(6379, 1, "Redis", M(0, "*1\r\n$4\r\nPING\r\n"), M(1, "+PONG\r\n"));
	SESSION(3306, 0, "MySQL", M(1, mysql8_greeting));
	SESSION(3306, 0, "MySQL", M(1, mariadb_greeting));
	SESSION(3306, 1, "MySQL", M(0, mysql_query));
	SESSION(5432, 0, "PostgreSQL", M(0, pg_startup));
	SESSION(5432, 1, "PostgreSQL", M(0, pg_query));
	SESSION(139, 1, "SMBv23", M(0, smb2_negotiate));
	SESSION(139, 0, "SMBv1", M(0, nbss_request), M(1, "\x82\x00\x00\x00"),
		M(0, smb1_negotiate));
	SESSION(445, 1, "NetBIOS.SMBv23", M(0, smb2_negotiate));   /* nDPI names it itself */
}
END_TEST

/* Off the checkers' ports nDPI's names stand; on them, what is not the port's protocol
 * keeps nDPI's name (SSH on tcp/389 is SSH). */
START_TEST(other_names_unchanged)
{
	SESSION(1883, 0, "MQTT", M(0, mqtt_connect), M(1, "\x20\x02\x00\x00"));
	SESSION(2222, 0, "SSH", M(1, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		M(0, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
	SESSION(389, 0, "SSH", M(1, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
		M(0, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
}
END_TEST

static Suite *confirm_suite(void)
{
	Suite *s = suite_create("confirm");
	TCase *t = tcase_create("confirm");

	tcase_set_timeout(t, 30);
	tcase_add_test(t, ldap_messages);
	tcase_add_test(t, redis_messages);
	tcase_add_test(t, mysql_messages);
	tcase_add_test(t, pgsql_messages);
	tcase_add_test(t, smb_messages);
	tcase_add_test(t, sessions_named_right);
	tcase_add_test(t, other_names_unchanged);
	suite_add_tcase(s, t);
	return s;
}

EW_CHECK_MAIN(confirm_suite)
