/* SPDX-License-Identifier: Apache-2.0 */
/* source - the interface every input implements, its registry and the source set.
 *
 * A source turns something outside (a capture file, a live interface, UDP flow
 * telemetry, cloud flow logs) into calls of ew_source_out's callbacks. Implementations
 * are listed in a const table (collector/source.c); there is no dynamic loading. File
 * sources are read to their end by ->run; live sources register with the event base in
 * ->open and deliver from its loop. A daemon runs its sources as an ew_sourceset. */
#ifndef EW_SOURCE_H
#define EW_SOURCE_H

#include <stdint.h>

#include "collector/decode_ipfix.h"
#include "collector/decode_sflow.h"
#include "core/ew_err.h"

struct event_base;

/* What a telemetry listener knows of one exporter (address; every port and domain). */
struct ew_exporter_health {
	struct ew_addr addr;
	uint16_t port;                 /* the last source port heard */
	struct ew_addr listen;         /* the listener that heard it */
	uint16_t listen_port;
	uint64_t datagrams, records, templates, seq_gaps, lost, errors;
	uint64_t templates_refused;    /* its templates the full table refused */
	uint64_t templates_evicted;    /* its templates dropped to make room for another's */
	uint64_t first_seen_us, last_seen_us;
	uint8_t silent;                /* a telemetry-gap has been reported */
};

/* One captured frame, borrowed for the duration of the callback. */
struct ew_raw_pkt {
	uint64_t ts_us;
	const uint8_t *data;
	uint32_t caplen, len;   /* bytes captured, bytes on the wire */
	int dlt;                /* link type (EW_DLT_*) */
	uint16_t source_id;
	uint8_t source_kind;    /* enum ew_source_kind */
	uint32_t weight;        /* packets this one stands for (sFlow: the sampling rate);
				 * 0 means 1 */
	uint64_t seq;           /* its place in a replayed capture, for workers (0 live) */
};

struct ew_source_out {
	void (*packet)(void *arg, const struct ew_raw_pkt *rp);
	/* flow telemetry: a decoded export record, an sFlow packet sample */
	void (*record)(void *arg, const struct ew_record *r, uint16_t source_id, uint64_t now_us);
	void (*sample)(void *arg, const struct ew_sflow_sample *s, uint16_t source_id,
		       uint64_t now_us);
	/* an exporter fell silent (or, after one, was heard again: silent_us == 0) */
	void (*gap)(void *arg, const struct ew_exporter_health *h, uint8_t kind,
		    uint64_t silent_us, uint64_t now_us);
	void *arg;
};

struct ew_source_conf {
	const char *type;       /* "pcap", "iface", "ipfix" (IPFIX, NetFlow v9 and v5), "sflow" */
	const char *target;     /* file path, interface name, or ADDR:PORT to listen on */
	const char *filter;     /* BPF filter expression, or NULL */
	int snaplen;            /* 0: 65535 */
	int promisc;            /* live only */
	int buffer_mb;          /* live: kernel ring or socket buffer, 0: the default */
	int block_ms;           /* live capture: a block of the ring is handed over this long
				 * after its first frame (the wait's bound), 0: the
				 * source's default (ew_source_ops.block_ms) */
	uint16_t id;
	volatile int *stop;     /* file sources stop reading when *stop becomes nonzero */
	uint64_t silence_us;    /* listeners: an exporter quiet this long is reported */
	const struct ew_prefix *exporters;   /* listeners: only these may send (NULL: any) */
	uint32_t nexporters;
	uint32_t max_exporters;   /* listeners: the exporter table's bound (0: 4,095) */
	uint32_t max_templates;   /* IPFIX/NetFlow listeners: templates held, shared out
				   * over the lanes (0: 65,536) */
	const char *state_dir;  /* where a source keeps what it must remember across restarts
				 * (flow-log directories: the last file read), or NULL */
	/* Live capture split over workers: lanes > 1 opens that many handles in one
	 * kernel fanout group, lane i delivering to lane_out[i] when worker i reads it
	 * (ew_sourceset_lane_read), not from the event loop. */
	unsigned lanes;
	const struct ew_source_out *lane_out;
};

struct ew_source_stats {
	uint64_t packets, bytes;       /* delivered (datagrams for listeners) */
	uint64_t kernel_drops;         /* dropped by the kernel or the interface */
	uint64_t errors;               /* undecodable datagrams or capture errors */
	uint64_t refused;              /* listeners: datagrams from exporters not allowed */
	uint64_t exporters_evicted;    /* listeners: exporters forgotten, table full */
	uint64_t exporters, exporters_capacity;   /* listeners: the exporter table's use */
	uint64_t templates, templates_capacity, templates_evicted;   /* IPFIX/NetFlow
								      * listeners' templates */
};

struct ew_source_ops {
	const char *name;
	const char *alias;                 /* another type name for it ("netflow"), or NULL */
	/* The observer.type of the flows it sees (the second, if any, for a second kind:
	 * NetFlow beside IPFIX); codes for them in ew_flow.source_kind: ew_source_kind. */
	const char *observer[2];
	/* Configuration (sources: [...]): the key naming what to read ("path",
	 * "interface", "listen": required), and the further keys this source takes
	 * (NULL-terminated; "type" and the target key are always allowed). */
	const char *target_key;
	const char *const *keys;
	/* File sources: whether path's content is theirs (replay and learn pick the source
	 * of a file by it; the pcap source takes what no other claims). NULL otherwise. */
	int (*probe)(const char *path);
	int (*open)(void **st, const struct ew_source_conf *c, struct event_base *eb,
		    const struct ew_source_out *out, struct ew_err *err);
	/* File sources: deliver every packet, return EW_OK at the end or < 0 with err.
	 * NULL for sources driven by the event loop. */
	int (*run)(void *st, struct ew_err *err);
	void (*stats)(void *st, struct ew_source_stats *out);
	/* Called about once a second by the daemon (NULL if the source has no use for it). */
	void (*tick)(void *st, uint64_t now_us);
	/* Exporter health, for listeners: calls fn for each exporter (NULL otherwise). */
	void (*exporters)(void *st, void (*fn)(void *arg, const struct ew_exporter_health *h),
			  void *arg);
	/* sFlow listeners: the latest counters of each interface its agents report (NULL
	 * for other sources). */
	void (*if_counters)(void *st, void (*fn)(void *arg, const struct ew_sflow_counters *c),
			    void *arg);
	void (*close)(void *st);           /* accepts NULL */
	/* Sources split in lanes (ew_source_conf.lanes): how many it opened (1 when the
	 * kernel could not split it: then lane 0 gets everything), lane i's descriptor to
	 * wait on, reading what lane i holds (packets delivered, or < 0), and lane i's
	 * counters. NULL for sources that cannot be split. */
	unsigned (*lanes)(void *st);
	int (*lane_fd)(void *st, unsigned lane);
	int (*lane_read)(void *st, unsigned lane);
	void (*lane_stats)(void *st, unsigned lane, struct ew_source_stats *out);
	/* Sources that hand packets over in blocks: how long a packet may wait in one when
	 * the source's block_ms does not say (0: packets come as they arrive). */
	int block_ms;
};

/* How long a packet of source c may wait in a block: its block_ms, else ops's default
 * (0 for a source that does not hand packets over in blocks). */
static inline int ew_source_block_ms(const struct ew_source_ops *ops,
				     const struct ew_source_conf *c)
{
	return ops->block_ms == 0 ? 0 : c->block_ms > 0 ? c->block_ms : ops->block_ms;
}

/* The implementation named name (or aliased: "netflow" is "ipfix"), or NULL. The
 * registry is the table in collector/source.c: a new source is its file and one entry. */
const struct ew_source_ops *ew_source_find(const char *name);
/* Source i of the registry, or NULL past the last (for messages and help). */
const struct ew_source_ops *ew_source_at(size_t i);
/* "iface, pcap, ipfix, netflow, sflow or flowlog": every type name, for messages. */
const char *ew_source_names(void);

/* The source_kind code of an observer.type name the registry's entries give (numbered
 * in registry order), and back ("unknown" for a code no entry has). */
uint8_t ew_source_kind(const char *observer);
const char *ew_source_kind_name(uint8_t kind);

/* The file source for a file given on the command line, by its content: "flowlog" for a
 * cloud flow log (plain or gzip), else "pcap" (which says what else is wrong). */
const char *ew_source_file_type(const char *path);

/* Read one file to its end (its source picked by ew_source_file_type unless c->type is
 * set): open, run, close. EW_OK, or < 0 with err. */
int ew_source_read_file(const struct ew_source_conf *c, const struct ew_source_out *out,
			struct ew_err *err);

/* The sources a daemon runs: each opened from the registry, its missing operations
 * filled with ones that do nothing, so callers never test for NULL. */
struct ew_sourceset;

/* What a source of the set can do (ew_sourceset_can). */
enum {
	EW_SOURCE_LIVE = 1,        /* delivers from the event loop or its tick */
	EW_SOURCE_EXPORTERS = 2,   /* a telemetry listener: exporter health */
	EW_SOURCE_IF_COUNTERS = 4, /* sFlow: interface counters */
};

struct ew_sourceset *ew_sourceset_new(void);
void ew_sourceset_free(struct ew_sourceset *s);   /* closes every source; accepts NULL */
/* Open a source of type c->type on eb; it is named "TYPE TARGET" in messages and
 * metrics. EW_OK, or < 0 with err (nothing added). */
int ew_sourceset_open(struct ew_sourceset *s, const struct ew_source_conf *c,
		      struct event_base *eb, const struct ew_source_out *out, struct ew_err *err);
/* Run the file sources to their end (a source's error is logged, and the rest run). */
void ew_sourceset_run(struct ew_sourceset *s);
void ew_sourceset_tick(struct ew_sourceset *s, uint64_t now_us);
uint32_t ew_sourceset_count(const struct ew_sourceset *s);
/* How long a packet may wait in a source before it is delivered, the longest of all
 * (microseconds): the daemon's clock runs that far behind the wall's, so that no
 * deadline passes while a packet that would have met it still waits in a block. */
uint64_t ew_sourceset_lag_us(const struct ew_sourceset *s);
/* Worker `lane`'s share of the split sources: waits up to timeout_ms for any of their
 * lane descriptors (or for wake_fd, when >= 0, to be readable), then reads each that is
 * ready. Returns the packets (datagrams) delivered. Safe to call from one thread per
 * lane (each touches only its own lane). */
int ew_sourceset_lane_read(struct ew_sourceset *s, unsigned lane, int wake_fd, int timeout_ms);
/* Source i's lane counters (kernel drops per worker); 0 when it has no such lane. */
int ew_sourceset_lane_stats(const struct ew_sourceset *s, uint32_t i, unsigned lane,
			    struct ew_source_stats *out);
/* How many sources can do what (EW_SOURCE_* bits, any of them). */
uint32_t ew_sourceset_can(const struct ew_sourceset *s, unsigned what);
/* Source i's name, capabilities, counters, exporters and interface counters. */
const char *ew_sourceset_name(const struct ew_sourceset *s, uint32_t i);
unsigned ew_sourceset_caps(const struct ew_sourceset *s, uint32_t i);
void ew_sourceset_stats(const struct ew_sourceset *s, uint32_t i, struct ew_source_stats *out);
void ew_sourceset_exporters(const struct ew_sourceset *s, uint32_t i,
			    void (*fn)(void *arg, const struct ew_exporter_health *h), void *arg);
void ew_sourceset_if_counters(const struct ew_sourceset *s, uint32_t i,
			      void (*fn)(void *arg, const struct ew_sflow_counters *c), void *arg);

#endif
