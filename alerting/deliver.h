/* SPDX-License-Identifier: Apache-2.0 */
/* deliver - the queue, delivery thread, retry with backoff and spool that every network
 * sink (Kafka, syslog, e-mail, webhook) stands on.
 *
 * A sink formats an alert into a payload of its own (a CEF line, a signed-later JSON
 * body, ...) and pushes it; the push never waits for the network. With a spool (the
 * default) the push appends the payload to it (write-ahead: one write, CRC-checked;
 * a syncer thread per sink makes it durable with fdatasync every 500 ms, outside the
 * lock pushes take, whatever the delivery thread is waiting for), and the
 * sink's delivery thread reads batches from the spool, calls the sink's send, and moves
 * the spool's position past what the receiver acknowledged (a Kafka delivery report, a
 * syslog TCP write, an HTTP 2xx, an SMTP 250). So a SIGKILL loses nothing that was
 * pushed, a power cut at most the last 500 ms, and a restart sends what was not
 * acknowledged: at least once, a duplicate carrying the same event.id. Without a spool
 * ("spool: off") payloads wait in a bounded memory queue and what cannot be delivered is
 * dropped. A failed send is retried after an exponential backoff (min..max, doubling);
 * order holds. Only a full spool drops a payload, and every drop is counted. Payloads
 * pushed as "not urgent" may wait up to linger_ms to be sent together (e-mail
 * digests). */
#ifndef EW_DELIVER_H
#define EW_DELIVER_H

#include <stdint.h>

#include "core/ew_conf.h"
#include "core/ew_err.h"

struct ew_dq;

struct ew_dq_msg {
	const uint8_t *p;
	uint32_t len;
};

/* Status of each message after send. */
enum { EW_DQ_FAILED = 0, EW_DQ_SENT = 1, EW_DQ_LATER = 2 /* rate limited: spool, no backoff */ };

/* Send n messages; set status[i] for each, and a reason in why when something failed.
 * Called from the delivery thread only. */
typedef void (*ew_dq_send_fn)(void *st, const struct ew_dq_msg *m, uint32_t n, uint8_t *status,
			      char *why, size_t whylen);

struct ew_dq_conf {
	uint32_t queue_max;       /* payloads in memory (default 10000) */
	uint32_t batch_max;       /* per send (default 500) */
	const char *spool_dir;    /* NULL: no spool; what cannot be delivered is dropped */
	uint64_t spool_max_bytes; /* default 256 MB */
	uint32_t backoff_min_ms, backoff_max_ms;   /* default 200 ms .. 30 s */
	uint32_t linger_ms;       /* for payloads pushed not urgent */
};

/* Keys of the sink configuration read by ew_dq_conf_read: queue, spool, spool_max_mb,
 * retry_min, retry_max. */
#define EW_DQ_CONF_KEYS "queue", "spool", "spool_max_mb", "retry_min", "retry_max"
/* retry_min and retry_max are at least this (0s retried in a loop that burnt a core). */
#define EW_DQ_RETRY_FLOOR_MS 10

/* Defaults, then the keys above from sink mapping c. default_dir is where spools go
 * unless the sink says "spool: off" or "spool: DIR" (which dir_forced overrides). */
int ew_dq_conf_read(struct ew_dq_conf *dc, struct ew_conf_node c, const char *default_dir,
		    int dir_forced, struct ew_err *err);

/* Delivery latency (push to confirmed delivery, for payloads delivered from memory):
 * buckets of 1/8 octave over microseconds, so a percentile is within 9%. */
#define EW_DQ_LAT_BUCKETS (40 * 8)

struct ew_dq_stats {
	uint64_t pushed, sent, failed_attempts, spooled, dropped, later;
	uint64_t queued;          /* in memory now */
	uint64_t spool_records, spool_bytes, spool_corrupt;
	uint64_t spool_max_bytes;        /* the spool's bound (0: no spool) */
	int up;                   /* the last attempt succeeded */
};

/* Payloads a sink delivered on its own (not through send): n counted as sent, their
 * latencies from emit counted in hist (which is added and cleared). */
void ew_dq_note_sent_hist(struct ew_dq *q, uint64_t n, uint64_t *hist);
/* The histogram bucket of a latency. */
unsigned ew_dq_lat_bucket(uint64_t us);

/* Latency histogram so far (EW_DQ_LAT_BUCKETS counters) and the p-th percentile (0-100)
 * of it in microseconds, 0 when nothing was measured. */
void ew_dq_latency(struct ew_dq *q, uint64_t *hist);
uint64_t ew_dq_latency_pct(const uint64_t *hist, double p);

/* name names the spool file and log lines. Starts the thread; replays an existing spool. */
int ew_dq_new(struct ew_dq **out, const char *name, const struct ew_dq_conf *dc,
	      ew_dq_send_fn send, void *st, struct ew_err *err);
/* Copy a payload in. EW_OK, or EW_E_FULL when it was dropped (counted). */
int ew_dq_push(struct ew_dq *q, const void *p, uint32_t len, int urgent);
/* Wait up to timeout_ms for the memory queue to be delivered or spooled and no send to
 * be in flight; then spool what is left. EW_OK when nothing is left in memory. */
int ew_dq_drain(struct ew_dq *q, int timeout_ms);
/* The queue is being freed: a send in progress should give up (what it has not
 * delivered stays spooled). Safe to call from send. */
int ew_dq_stopping(const struct ew_dq *q);
/* Nothing in memory and no send in flight (everything delivered or spooled). */
int ew_dq_settled(struct ew_dq *q);
void ew_dq_stats(struct ew_dq *q, struct ew_dq_stats *out);
/* Stop the thread (an in-flight send finishes first; its failures are spooled) and spool
 * what is still in memory. Accepts NULL. */
void ew_dq_free(struct ew_dq *q);

/* Sink operations for a sink whose state begins with its struct ew_dq pointer. */
int ew_dq_sink_flush(void *st, int timeout_ms);
void ew_dq_sink_stats(void *st, struct ew_dq_stats *out);
int ew_dq_sink_settled(void *st);

/* Read a secret from the file named by n (a "*_file" option): refused if the file is
 * readable or writable by group or others; trailing line breaks removed. The secret is
 * never logged or put in an error message. */
int ew_secret_read(struct ew_conf_node n, char *out, size_t cap, struct ew_err *err);

#endif
