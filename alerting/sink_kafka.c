/* SPDX-License-Identifier: Apache-2.0 */
/* sink_kafka - alerts to a Kafka topic with librdkafka.
 *
 * Options: brokers (required), topic (default eastwatch.alerts), flows_topic (every flow
 * record with its verdict, keyed by the initiator's address: best effort, on a producer of
 * its own that never blocks; a full librdkafka queue drops flow records, counted),
 * compression (lz4),
 * linger (5ms), delivery_timeout (30s: how long librdkafka itself retries before the
 * alert goes to the spool), options (a mapping of librdkafka properties passed through,
 * e.g. security.protocol, sasl.mechanisms, sasl.username, ssl.ca.location),
 * sasl_password_file, and the queue/spool keys of deliver.h.
 * The producer is idempotent (acks=all, no reordering or duplicates from its own
 * retries). Each alert is keyed by its source address, so one source's alerts stay in
 * one partition and in order. The delivery thread produces a batch and waits for every
 * delivery report; an alert whose report is an error is spooled and produced again
 * after the backoff. */
#include "alerting/deliver.h"
#include "alerting/fmt_json.h"
#include "alerting/sink.h"
#include "core/ew_log.h"
#include "core/ew_time.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kafka_sink {
	struct ew_dq *q;          /* first: ew_dq_sink_* */
	rd_kafka_t *rk;
	rd_kafka_topic_t *topic;
	uint64_t timeout_ms;
	uint32_t gen;             /* batch number: a report from an older batch is ignored */
	uint8_t *cur;             /* the current batch's status array */
	uint32_t ncur;
	char line[16384];
	pthread_mutex_t fmt_mu;   /* emit may come from several threads (alerter) */
	rd_kafka_t *frk;          /* flows: a producer of its own, polled by the flow path */
	rd_kafka_topic_t *ftopic;
	uint64_t flows, flows_dropped, flows_failed;
};

static void flow_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *s = opaque;

	if (m->err)
		__atomic_add_fetch(&s->flows_failed, 1, __ATOMIC_RELAXED);
}

/* Payload: key length (2 bytes), key, JSON line. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *s = opaque;
	uint64_t tag = (uint64_t)(uintptr_t)m->_private;
	uint32_t i = (uint32_t)tag;

	if (s->cur && (uint32_t)(tag >> 32) == s->gen && i < s->ncur)
		s->cur[i] = m->err ? EW_DQ_FAILED : EW_DQ_SENT;
}

static void send_batch(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
		       char *why, size_t whylen)
{
	struct kafka_sink *s = st;
	uint64_t deadline = ew_time_mono_us() + (s->timeout_ms + 5000) * 1000;
	uint32_t i;

	s->gen++;
	s->cur = status;
	s->ncur = n;
	/* status starts FAILED (0); a report sets it. Mark pending with a value no report
	 * writes, so the wait below knows when every report is in. */
	for (i = 0; i < n; i++) {
		uint32_t kl = (uint32_t)m[i].p[0] << 8 | m[i].p[1];
		rd_kafka_resp_err_t e;

		if (kl + 2 > m[i].len) {
			status[i] = EW_DQ_SENT;   /* cannot happen: we wrote it; do not loop on it */
			continue;
		}
		status[i] = 0xff;
		for (;;) {
			e = rd_kafka_produce(s->topic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
					     (void *)(m[i].p + 2 + kl), m[i].len - 2 - kl,
					     m[i].p + 2, kl,
					     (void *)(uintptr_t)((uint64_t)s->gen << 32 | i)) == 0
				? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_last_error();
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || ew_time_mono_us() > deadline ||
			    ew_dq_stopping(s->q))
				break;
			rd_kafka_poll(s->rk, 10);
		}
		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			status[i] = EW_DQ_FAILED;
			snprintf(why, whylen, "%s", rd_kafka_err2str(e));
		}
	}
	for (;;) {
		uint32_t pending = 0;

		for (i = 0; i < n; i++)
			pending += status[i] == 0xff;
		if (pending == 0 || ew_time_mono_us() > deadline || ew_dq_stopping(s->q))
			break;
		rd_kafka_poll(s->rk, 50);
	}
	for (i = 0; i < n; i++)
		if (status[i] == 0xff) {
			/* no report in time: count it failed; a late report must not write here */
			status[i] = EW_DQ_FAILED;
			snprintf(why, whylen, "no delivery report within %llu ms",
				 (unsigned long long)s->timeout_ms + 5000);
		} else if (status[i] == EW_DQ_FAILED && !why[0]) {
			snprintf(why, whylen, "delivery failed");
		}
	s->cur = NULL;   /* late reports of this batch are ignored */
}

static int set(rd_kafka_conf_t *kc, const char *k, const char *v, struct ew_conf_node at,
	       struct ew_err *err)
{
	char e[256];

	if (rd_kafka_conf_set(kc, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK)
		return ew_conf_errf(err, at, "kafka option %s: %s", k, e);
	return EW_OK;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= 3)
		ew_warn("kafka: %s: %s", fac, buf);
	else
		ew_debug("kafka: %s: %s", fac, buf);
}

static int kafka_open(void **st, const struct ew_conf_node *c, const struct ew_sink_env *env,
		      struct ew_err *err)
{
	static const char *const keys[] = { EW_SINK_COMMON_KEYS, EW_DQ_CONF_KEYS, "brokers",
		"topic", "flows_topic", "compression", "linger", "delivery_timeout", "options",
		"sasl_password_file", NULL };
	struct ew_conf_node b = ew_conf_get(*c, "brokers"), n;
	const char *brokers, *topic = "eastwatch.alerts", *comp = "lz4", *s, *ftopic = NULL;
	rd_kafka_conf_t *fkc = NULL;
	uint64_t linger_us = 5000, timeout_us = 30000000;
	struct ew_dq_conf dc;
	struct kafka_sink *k;
	rd_kafka_conf_t *kc;
	char num[32], e[512];

	if (ew_conf_check_map(*c, "kafka sink", keys, err) != EW_OK)
		return EW_E_INVAL;
	if (!ew_conf_present(b))
		return ew_conf_errf(err, *c, "kafka sink needs brokers (\"host:9092,host2:9092\")");
	if (ew_conf_string(b, &brokers, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "topic")) && ew_conf_string(n, &topic, err))
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "flows_topic")) &&
	    ew_conf_string(n, &ftopic, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "compression")) && ew_conf_string(n, &comp, err))
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "linger")) &&
	    ew_conf_duration(n, &linger_us, err) != EW_OK)
		return EW_E_INVAL;
	if (ew_conf_present(n = ew_conf_get(*c, "delivery_timeout")) &&
	    ew_conf_duration(n, &timeout_us, err) != EW_OK)
		return EW_E_INVAL;
	if (timeout_us < 1000000)
		return ew_conf_errf(err, n, "delivery_timeout must be at least 1s");
	if (ew_dq_conf_read(&dc, *c, env->spool_dir, err) != EW_OK)
		return EW_E_INVAL;
	dc.batch_max = 10000;
	kc = rd_kafka_conf_new();
	if (set(kc, "bootstrap.servers", brokers, b, err) ||
	    set(kc, "enable.idempotence", "true", *c, err) ||
	    set(kc, "acks", "all", *c, err) ||
	    set(kc, "compression.codec", comp, *c, err))
		goto bad;
	snprintf(num, sizeof(num), "%.3f", (double)linger_us / 1000.0);
	if (set(kc, "linger.ms", num, *c, err))
		goto bad;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)(timeout_us / 1000));
	if (set(kc, "message.timeout.ms", num, *c, err))
		goto bad;
	n = ew_conf_get(*c, "options");
	if (ew_conf_present(n)) {
		if (ew_conf_type(n) != EW_CONF_MAP) {
			ew_conf_errf(err, n, "options must be a mapping of librdkafka properties");
			goto bad;
		}
		for (size_t i = 0; i < ew_conf_len(n); i++) {
			const char *key = ew_conf_str(ew_conf_key(n, i));

			if (strstr(key, "password") || strstr(key, "secret")) {
				ew_conf_errf(err, ew_conf_key(n, i), "%s: put secrets in "
					     "sasl_password_file, not in the configuration", key);
				goto bad;
			}
			if (ew_conf_string(ew_conf_val(n, i), &s, err) != EW_OK ||
			    set(kc, key, s, ew_conf_val(n, i), err))
				goto bad;
		}
	}
	if (ew_conf_present(n = ew_conf_get(*c, "sasl_password_file"))) {
		char pw[1024];

		if (ew_secret_read(n, pw, sizeof(pw), err) != EW_OK)
			goto bad;
		if (rd_kafka_conf_set(kc, "sasl.password", pw, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
			memset(pw, 0, sizeof(pw));
			ew_conf_errf(err, n, "kafka rejected sasl.password");
			goto bad;
		}
		memset(pw, 0, sizeof(pw));
	}
	if (ftopic) {
		fkc = rd_kafka_conf_dup(kc);
		/* flows: volume over latency, and no idempotence bookkeeping per message */
		if (set(fkc, "enable.idempotence", "false", *c, err) ||
		    set(fkc, "acks", "1", *c, err) || set(fkc, "linger.ms", "50", *c, err) ||
		    set(fkc, "queue.buffering.max.messages", "1000000", *c, err)) {
			rd_kafka_conf_destroy(fkc);
			goto bad;
		}
		rd_kafka_conf_set_dr_msg_cb(fkc, flow_dr_cb);
	}
	rd_kafka_conf_set_dr_msg_cb(kc, dr_cb);
	rd_kafka_conf_set_log_cb(kc, log_cb);
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		ew_err_set(err, "kafka sink: out of memory");
		goto bad;
	}
	k->timeout_ms = timeout_us / 1000;
	pthread_mutex_init(&k->fmt_mu, NULL);
	rd_kafka_conf_set_opaque(kc, k);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, e, sizeof(e));
	if (k->rk == NULL) {
		free(k);
		ew_conf_errf(err, *c, "kafka sink: %s", e);
		goto bad;
	}
	if (fkc && !env->validate_only) {
		rd_kafka_conf_set_opaque(fkc, k);
		k->frk = rd_kafka_new(RD_KAFKA_PRODUCER, fkc, e, sizeof(e));
		if (k->frk == NULL) {
			rd_kafka_conf_destroy(fkc);
		} else {
			k->ftopic = rd_kafka_topic_new(k->frk, ftopic, NULL);
		}
		fkc = NULL;
	}
	if (fkc)
		rd_kafka_conf_destroy(fkc);
	k->topic = rd_kafka_topic_new(k->rk, topic, NULL);
	if (k->topic == NULL ||
	    (!env->validate_only &&
	     ew_dq_new(&k->q, env->name, &dc, send_batch, k, err) != EW_OK)) {
		if (k->topic)
			rd_kafka_topic_destroy(k->topic);
		else
			ew_err_set(err, "kafka sink: topic %s: %s", topic,
				   rd_kafka_err2str(rd_kafka_last_error()));
		rd_kafka_destroy(k->rk);
		free(k);
		return EW_E_IO;
	}
	*st = k;
	return EW_OK;
bad:
	rd_kafka_conf_destroy(kc);
	return EW_E_INVAL;
}

static int kafka_emit(void *st, const struct ew_alert *a)
{
	struct kafka_sink *k = st;
	char key[EW_ADDR_STRLEN];
	size_t kl;
	struct ew_buf b;
	int rc;

	pthread_mutex_lock(&k->fmt_mu);
	ew_addr_format(&a->src, key);
	kl = strlen(key);
	k->line[0] = (char)(kl >> 8);
	k->line[1] = (char)kl;
	memcpy(k->line + 2, key, kl);
	ew_buf_init(&b, k->line + 2 + kl, sizeof(k->line) - 2 - kl);
	if (ew_fmt_json(a, &b) != 0) {
		pthread_mutex_unlock(&k->fmt_mu);
		return EW_E_FULL;
	}
	if (b.len && b.p[b.len - 1] == '\n')
		b.len--;   /* a Kafka message is the JSON object, no line break */
	rc = ew_dq_push(k->q, k->line, (uint32_t)(2 + kl + b.len), 1);
	pthread_mutex_unlock(&k->fmt_mu);
	return rc;
}

static int kafka_wants_flows(void *st)
{
	return ((struct kafka_sink *)st)->ftopic != NULL;
}

/* From the flow path: never blocks; a full queue drops (counted). */
static void kafka_flow(void *st, const char *json, size_t len, const char *key)
{
	struct kafka_sink *k = st;

	if (k->ftopic == NULL)
		return;
	if (rd_kafka_produce(k->ftopic, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)json,
			     len, key, strlen(key), NULL) != 0)
		k->flows_dropped++;
	if ((++k->flows & 1023) == 0)
		rd_kafka_poll(k->frk, 0);
}

static void kafka_close(void *st)
{
	struct kafka_sink *k = st;

	if (k == NULL)
		return;
	if (k->frk) {
		rd_kafka_flush(k->frk, 10000);
		if (k->flows_dropped || k->flows_failed || rd_kafka_outq_len(k->frk))
			ew_warn("kafka flows: %llu sent, %llu dropped (queue full), %llu failed, %d "
				"undelivered at exit", (unsigned long long)k->flows,
				(unsigned long long)k->flows_dropped,
				(unsigned long long)k->flows_failed, rd_kafka_outq_len(k->frk));
		rd_kafka_topic_destroy(k->ftopic);
		rd_kafka_destroy(k->frk);
	}
	ew_dq_free(k->q);
	rd_kafka_flush(k->rk, 5000);
	rd_kafka_topic_destroy(k->topic);
	rd_kafka_destroy(k->rk);
	pthread_mutex_destroy(&k->fmt_mu);
	free(k);
}

const struct ew_sink_ops ew_sink_kafka_ops = {
	.name = "kafka", .open = kafka_open, .emit = kafka_emit, .flush = ew_dq_sink_flush,
	.close = kafka_close, .stats = ew_dq_sink_stats, .settled = ew_dq_sink_settled,
	.wants_flows = kafka_wants_flows, .flow = kafka_flow,
};
