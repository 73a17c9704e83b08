/* SPDX-License-Identifier: Apache-2.0 */
/* consume_kafka - reading alerts back from a Kafka topic (the alerter): a consumer in a
 * group, offsets committed only when the caller says what it read is safe. */
#ifndef EW_CONSUME_KAFKA_H
#define EW_CONSUME_KAFKA_H

#include <stddef.h>

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

/* Wait up to timeout_ms for a message: its payload to fn (where: "TOPIC [PARTITION]
 * offset N", for messages). Returns 1 when a message was read, 0 otherwise (errors
 * logged). */
int ew_kafka_consumer_poll(struct ew_kafka_consumer *k, int timeout_ms,
			   void (*fn)(void *arg, const void *payload, size_t len,
				      const char *where),
			   void *arg);
/* Commit the offsets of everything read so far. EW_OK, or EW_E_IO (logged: what was read
 * will be read again). */
int ew_kafka_consumer_commit(struct ew_kafka_consumer *k);

#endif
