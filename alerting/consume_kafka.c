/* SPDX-License-Identifier: Apache-2.0 */
/* consume_kafka - see consume_kafka.h. */
#include "alerting/consume_kafka.h"
#include "core/ew_log.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 256   /* messages taken from librdkafka at once */

struct ew_kafka_consumer {
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;       /* the consumer queue: messages, and rebalances */
	char *topic;
	void (*assigned)(void *arg, const int32_t *parts, int n);
	void (*revoked)(void *arg, const int32_t *parts, int n);
	void *arg;
};

static void consumer_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	if (level <= 3)
		ew_warn("kafka: %s: %s", fac, buf);
}

static int kset(rd_kafka_conf_t *kc, const char *k, const char *v, struct ew_err *err)
{
	char e[256];

	if (rd_kafka_conf_set(kc, k, v, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
		ew_err_set(err, "%s: %s", k, e);
		return -1;
	}
	return 0;
}

/* The partitions of the topic in l, into parts (at most max). */
static int parts_of(const struct ew_kafka_consumer *k, const rd_kafka_topic_partition_list_t *l,
		    int32_t *parts, int max)
{
	int n = 0;

	for (int i = 0; i < l->cnt && n < max; i++)
		if (strcmp(l->elems[i].topic, k->topic) == 0)
			parts[n++] = l->elems[i].partition;
	return n;
}

/* librdkafka's rebalance: the caller hears of it, then the assignment changes. */
static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
		      rd_kafka_topic_partition_list_t *l, void *opaque)
{
	struct ew_kafka_consumer *k = opaque;
	int32_t parts[1024];
	int n = parts_of(k, l, parts, 1024);

	if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		rd_kafka_assign(rk, l);
		if (k->assigned)
			k->assigned(k->arg, parts, n);
	} else {
		if (k->revoked)
			k->revoked(k->arg, parts, n);
		rd_kafka_assign(rk, NULL);
	}
}

void ew_kafka_consumer_on_rebalance(struct ew_kafka_consumer *k,
				    void (*assigned)(void *arg, const int32_t *parts, int n),
				    void (*revoked)(void *arg, const int32_t *parts, int n),
				    void *arg)
{
	k->assigned = assigned;
	k->revoked = revoked;
	k->arg = arg;
}

int ew_kafka_consumer_new(struct ew_kafka_consumer **out, const char *brokers,
			  const char *topic, const char *group, struct ew_conf_node options,
			  struct ew_err *err)
{
	struct ew_kafka_consumer *k = calloc(1, sizeof(*k));
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *tl;
	char e[512];
	int rc, code = EW_E_INVAL;

	*out = NULL;
	if (k == NULL || kc == NULL) {
		ew_err_set(err, "out of memory");
		code = EW_E_NOMEM;
		goto fail;
	}
	if (kset(kc, "bootstrap.servers", brokers, err) || kset(kc, "group.id", group, err) ||
	    kset(kc, "enable.auto.commit", "false", err) ||
	    kset(kc, "auto.offset.reset", "earliest", err) ||
	    kset(kc, "enable.partition.eof", "false", err))
		goto fail;
	for (size_t i = 0; ew_conf_type(options) == EW_CONF_MAP && i < ew_conf_len(options); i++)
		if (kset(kc, ew_conf_str(ew_conf_key(options, i)), ew_conf_str(ew_conf_val(options, i)),
			 err))
			goto fail;
	rd_kafka_conf_set_log_cb(kc, consumer_log);
	rd_kafka_conf_set_rebalance_cb(kc, rebalance);
	rd_kafka_conf_set_opaque(kc, k);
	if ((k->topic = strdup(topic)) == NULL) {
		ew_err_set(err, "out of memory");
		code = EW_E_NOMEM;
		goto fail;
	}
	code = EW_E_IO;
	if ((k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, e, sizeof(e))) == NULL) {
		ew_err_set(err, "%s", e);
		goto fail;
	}
	kc = NULL;   /* the consumer's now */
	rd_kafka_poll_set_consumer(k->rk);
	tl = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(tl, topic, RD_KAFKA_PARTITION_UA);
	rc = rd_kafka_subscribe(k->rk, tl);
	rd_kafka_topic_partition_list_destroy(tl);
	if (rc != 0) {
		ew_err_set(err, "cannot subscribe to %s: %s", topic, rd_kafka_err2str(rc));
		goto fail;
	}
	*out = k;
	return EW_OK;
fail:
	if (kc)
		rd_kafka_conf_destroy(kc);
	ew_kafka_consumer_free(k);
	return code;
}

void ew_kafka_consumer_free(struct ew_kafka_consumer *k)
{
	if (k == NULL)
		return;
	if (k->q)
		rd_kafka_queue_destroy(k->q);
	if (k->rk) {
		rd_kafka_consumer_close(k->rk);
		rd_kafka_destroy(k->rk);
	}
	free(k->topic);
	free(k);
}

int ew_kafka_consumer_poll(struct ew_kafka_consumer *k, int timeout_ms, ew_kafka_msg_fn fn,
			   void *arg)
{
	rd_kafka_message_t *ms[BATCH];
	ssize_t n;
	int got = 0;

	if (k->q == NULL && (k->q = rd_kafka_queue_get_consumer(k->rk)) == NULL)
		return 0;
	/* what is there, up to BATCH at once (one lock); when nothing is, wait for the next
	 * message alone: a batch call would wait to fill its batch (rebalances are served by
	 * both) */
	n = rd_kafka_consume_batch_queue(k->q, 0, ms, BATCH);
	if (n == 0 && (ms[0] = rd_kafka_consume_queue(k->q, timeout_ms)) != NULL)
		n = 1;
	for (ssize_t i = 0; i < n; i++) {
		rd_kafka_message_t *m = ms[i];

		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			struct ew_kafka_msg km = { m->payload, m->len, m->partition, m->offset,
						   rd_kafka_topic_name(m->rkt) };

			fn(arg, &km);
			got++;
		} else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			ew_warn("kafka consumer: %s", rd_kafka_message_errstr(m));
		}
		rd_kafka_message_destroy(m);
	}
	return got;
}

const char *ew_kafka_msg_where(const struct ew_kafka_msg *m, char buf[300])
{
	snprintf(buf, 300, "%s [%d] offset %lld", m->topic, (int)m->partition,
		 (long long)m->offset);
	return buf;
}

int ew_kafka_consumer_commit_at(struct ew_kafka_consumer *k, const int32_t *parts,
				const int64_t *offsets, const char *const *meta, int n)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;

	if (n <= 0)
		return EW_OK;
	l = rd_kafka_topic_partition_list_new(n);
	for (int i = 0; i < n; i++) {
		rd_kafka_topic_partition_t *t = rd_kafka_topic_partition_list_add(l, k->topic, parts[i]);

		t->offset = offsets[i];
		if (meta && meta[i] && (t->metadata = strdup(meta[i])) != NULL)
			t->metadata_size = strlen(meta[i]);
	}
	e = rd_kafka_commit(k->rk, l, 0);
	rd_kafka_topic_partition_list_destroy(l);
	if (e) {
		ew_warn("kafka consumer: commit failed: %s (what follows will be read again)",
			rd_kafka_err2str(e));
		return EW_E_IO;
	}
	return EW_OK;
}

int ew_kafka_consumer_commit(struct ew_kafka_consumer *k)
{
	rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, NULL, 0);

	if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
		ew_warn("alerter: commit failed: %s (alerts will be read again)", rd_kafka_err2str(e));
		return EW_E_IO;
	}
	return EW_OK;
}

int ew_kafka_consumer_committed(struct ew_kafka_consumer *k, int32_t part, int64_t *offset,
				char *meta, size_t cap)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_t *t = rd_kafka_topic_partition_list_add(l, k->topic, part);
	rd_kafka_resp_err_t e = rd_kafka_committed(k->rk, l, 10000);
	size_t n;

	*offset = -1;
	if (cap)
		meta[0] = 0;
	if (e || t->err) {
		ew_warn("kafka consumer: the committed offset of %s [%d]: %s", k->topic, (int)part,
			rd_kafka_err2str(e ? e : t->err));
		rd_kafka_topic_partition_list_destroy(l);
		return EW_E_IO;
	}
	*offset = t->offset >= 0 ? t->offset : -1;
	if (t->metadata && cap) {
		n = t->metadata_size < cap - 1 ? t->metadata_size : cap - 1;
		memcpy(meta, t->metadata, n);
		meta[n] = 0;
	}
	rd_kafka_topic_partition_list_destroy(l);
	return EW_OK;
}
