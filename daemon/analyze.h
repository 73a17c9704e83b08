/* SPDX-License-Identifier: Apache-2.0 */
/* analyze - the detectors that need a view across sensors (scan, new-edge), run on the
 * flow records sensors publish, one Kafka partition at a time, for `eastwatch analyze`.
 *
 * Sensors key flow records by source address, so every record of one source lies in
 * one partition, and a partition's state is that partition's own: a scan tracker whose
 * clock is the partition's event time (the records' end times, moved on by wall time
 * while the partition is quiet). An analyzer holding one partition or all of them
 * therefore raises the same scan alerts, with the same event.id. New edges are asked of
 * the estate's baseline in Redis (estate_edges.h), so an edge is new once estate-wide.
 *
 * Nothing of a partition's state needs saving: the topic is its log. The offset safe
 * to commit (ew_analyze_safe) lies before every record a scan window still open could
 * hold (window + settle + 2 s of event time); an analyzer that takes the partition over
 * reads from there and rebuilds the windows. With the commit goes the offset up to
 * which alerts were delivered ("done"): records read again below it rebuild state
 * without alerting again. Alerts raised past it by a dead analyzer but not committed
 * are raised again with the same event.id. */
#ifndef EW_ANALYZE_H
#define EW_ANALYZE_H

#include <stdint.h>

#include "alerting/flow_parse.h"
#include "alerting/sink.h"
#include "analyzer/policy.h"
#include "analyzer/scan.h"
#include "daemon/estate_edges.h"
#include "daemon/pipeline.h"

#define EW_ANALYZE_MAX_PARTS 1024

struct ew_analyze_conf {
	const struct ew_pipeline_conf *pc;   /* scan settings, severities, sensor name,
					      * throttle window (alert ids), home networks */
	const struct ew_policy *pol;         /* names the groups of edges and alerts */
	struct ew_estate_edges *edges;       /* NULL: no new-edge detector */
	struct ew_sinkset *sinks;
};

struct ew_analyze;

struct ew_analyze *ew_analyze_new(const struct ew_analyze_conf *c);
void ew_analyze_free(struct ew_analyze *a);   /* accepts NULL */

/* Partition part is now this analyzer's; records below done were delivered before.
 * EW_OK, EW_E_NOMEM or EW_E_INVAL (part out of range). */
int ew_analyze_assign(struct ew_analyze *a, int32_t part, int64_t done);
/* Partition part is no longer this analyzer's: its state goes (its next holder
 * rebuilds it from the committed offset). */
void ew_analyze_revoke(struct ew_analyze *a, int32_t part);

/* The record at offset of part. EW_OK, or EW_E_IO when the new-edge baseline did not
 * answer: nothing of the record was taken, give it again. */
int ew_analyze_flow(struct ew_analyze *a, int32_t part, int64_t offset,
		    const struct ew_flow_parsed *fp);
/* Wall time now (monotonic µs): partitions quiet for a second move their clocks on by
 * the time they were quiet, so their last scans are reported. */
void ew_analyze_tick(struct ew_analyze *a, uint64_t mono_us);

/* What to commit for part: the offset to resume at and the offset up to which alerts
 * are delivered once the sinks have settled (the next record's). 0, or -1 if part is
 * not held or nothing was read. */
int ew_analyze_safe(const struct ew_analyze *a, int32_t part, int64_t *resume, int64_t *done);

struct ew_analyze_stats {
	uint64_t records, scans, new_edges;
	uint64_t quiet;          /* alerts not raised again: read again below "done" */
	uint32_t partitions;
	struct ew_scan_stats scan;   /* summed over partitions */
};
void ew_analyze_stats(const struct ew_analyze *a, struct ew_analyze_stats *out);

#endif
