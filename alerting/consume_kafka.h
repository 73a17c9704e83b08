/* SPDX-License-Identifier: Apache-2.0 */
/* consume_kafka - reading back what sensors put on Kafka (alerts for the alerter, flow
 * records for analyze and learn): a consumer in a group, offsets committed only when the
 * caller says what it read is safe, and told when partitions come and go. */
#ifndef EW_CONSUME_KAFKA_H
#define EW_CONSUME_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "core/ew_conf.h"
#include "core/ew_err.h"

struct ew_kafka_consumer;

/* A consumer of topic in group on brokers, reading from the earliest offset the group
 * has not committed; options: a mapping of librdkafka properties (absent: none). EW_OK
 * with *out set, EW_E_INVAL (a bad property) or EW_E_IO (librdkafka cannot start or
 * subscribe), with err. */
int ew_kafka_consumer_new(struct ew_kafka_consumer **out, const char *brokers,
			  const char *topic, const char *group, struct ew_conf_node options,
			  struct ew_err *err);
void ew_kafka_consumer_free(struct ew_kafka_consumer *k);   /* leaves the group; accepts NULL */

/* A message read: its payload and where it lies. */
struct ew_kafka_msg {
	const void *payload;
	size_t len;
	int32_t partition;
	int64_t offset;
	const char *topic;
};
/* "TOPIC [PARTITION] offset N", for logs, into buf. */
const char *ew_kafka_msg_where(const struct ew_kafka_msg *m, char buf[300]);
typedef void (*ew_kafka_msg_fn)(void *arg, const struct ew_kafka_msg *m);

/* Wait up to timeout_ms for messages and give each to fn (a batch of what is there, up
 * to 256). Returns how many were read, 0 when none (errors logged). Rebalances happen
 * inside this call. */
int ew_kafka_consumer_poll(struct ew_kafka_consumer *k, int timeout_ms, ew_kafka_msg_fn fn,
			   void *arg);

/* What the group gives and takes away: assigned(arg, partitions, n) after partitions are
 * assigned to this consumer (reading resumes at their committed offsets), revoked(arg,
 * partitions, n) before they are taken away, while this consumer may still commit
 * their offsets (ew_kafka_consumer_commit_at). Either may be NULL. Set before the first
 * poll. */
void ew_kafka_consumer_on_rebalance(struct ew_kafka_consumer *k,
				    void (*assigned)(void *arg, const int32_t *parts, int n),
				    void (*revoked)(void *arg, const int32_t *parts, int n),
				    void *arg);
/* Commit, for each of n partitions, the offset of the next message to read there (a
 * consumer of the group that takes a partition over starts reading at it) and, when
 * meta is not NULL, a string kept with it (what the next holder needs to know).
 * Synchronous. EW_OK, or EW_E_IO (logged). */
int ew_kafka_consumer_commit_at(struct ew_kafka_consumer *k, const int32_t *parts,
				const int64_t *offsets, const char *const *meta, int n);
/* The group's committed offset of part (-1 if none) and its string (into meta, cap
 * bytes; "" if none). EW_OK, or EW_E_IO (the coordinator did not answer in 10 s). */
int ew_kafka_consumer_committed(struct ew_kafka_consumer *k, int32_t part, int64_t *offset,
				char *meta, size_t cap);
/* Commit the offsets of everything read so far. EW_OK, or EW_E_IO (logged: what was read
 * will be read again). */
int ew_kafka_consumer_commit(struct ew_kafka_consumer *k);

#endif
