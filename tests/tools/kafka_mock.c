/* SPDX-License-Identifier: Apache-2.0 */
/* kafka_mock - a librdkafka mock Kafka cluster on loopback for the delivery tests.
 *
 * usage: kafka_mock [BROKERS] [TOPIC:PARTITIONS]...
 * Prints "bootstrap HOST:PORT,..." on stdout when the cluster is up, then reads commands
 * on stdin, one per line, and answers "ok" after each:
 *   down ID | up ID          take broker ID (1-based) down or up
 *   produce-errors N         the next N produce requests fail (retriable error)
 *   fatal-error              the next produce request fails with OUT_OF_ORDER_SEQUENCE_NUMBER
 *                            (fatal for an idempotent producer)
 *   quit                     (or end of input)
 * The cluster speaks the Kafka protocol, so eastwatch's producer and kcat talk to it as
 * they would to brokers. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	char err[256], line[256];
	int nbrokers = argc > 1 ? atoi(argv[1]) : 3;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;

	if (nbrokers < 1)
		nbrokers = 1;
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, nbrokers);
	if (mc == NULL) {
		fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		char *colon = strrchr(argv[i], ':');
		int parts = colon ? atoi(colon + 1) : 1;

		if (colon)
			*colon = 0;
		rd_kafka_mock_topic_create(mc, argv[i], parts, nbrokers < 3 ? nbrokers : 3);
	}
	printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		int v;

		if (sscanf(line, "down %d", &v) == 1)
			rd_kafka_mock_broker_set_down(mc, v);
		else if (sscanf(line, "up %d", &v) == 1)
			rd_kafka_mock_broker_set_up(mc, v);
		else if (sscanf(line, "produce-errors %d", &v) == 1)
			for (int i = 0; i < v; i++)
				rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1,
					RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
		else if (strncmp(line, "fatal-error", 11) == 0)
			/* what a broker that lost acknowledged data answers an idempotent
			 * producer: fatal for the head-of-line request */
			rd_kafka_mock_push_request_errors(mc, 0 /* Produce */, 1,
				RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
		else if (strncmp(line, "quit", 4) == 0)
			break;
		printf("ok\n");
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
