/* SPDX-License-Identifier: Apache-2.0 */
/* analyze - see analyze.h. */
#include "daemon/analyze.h"
#include "daemon/detect_alert.h"
#include "alerting/alert_text.h"
#include "core/ew_buf.h"
#include "core/ew_time.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK 4096                  /* checkpoints: seconds of event time remembered */
#define BY 4096                  /* sources whose probes' sensors are remembered */
#define SENSORS 64               /* sensor names an analyzer tells apart */

/* Which sensors saw a source's probes in its current window (the scan alert's evidence). */
struct seen_by {
	struct ew_addr src;
	uint64_t mask;               /* bit i: the analyzer's sensor name i */
	uint64_t first_us;           /* the first probe counted */
};

struct part {
	struct ew_analyze *an;
	int32_t id;
	struct ew_scan *scan;
	uint64_t clock;              /* event time, µs */
	uint64_t tick_sec;           /* the clock's second the tracker last ticked at */
	uint64_t quiet_mono;         /* wall time of the last record or clock move */
	int64_t next;                /* offset after the last record read; -1: none yet */
	int64_t done;                /* below: delivered before, alerts not raised again */
	int64_t cur;                 /* the record being read (reports raised belong to it) */
	char kind[16];               /* observer.type of the last record */
	struct {
		uint64_t sec;
		int64_t off;
	} ck[CK];                    /* the first offset read in each second of the clock */
	unsigned ckh, ckn;
	struct seen_by by[BY];
};

#define KNOWN 65536             /* edges known, by (group sets, service): no names, no Redis */

struct ew_analyze {
	struct ew_analyze_conf c;
	uint64_t known[KNOWN];       /* a direct-mapped cache of edge keys, 0 = empty */
	struct part *parts[EW_ANALYZE_MAX_PARTS];
	uint64_t keep_us;            /* how far back a window still open reaches */
	struct ew_analyze_stats st;
	struct ew_scan_stats gone;   /* of partitions given away */
	char sensor[SENSORS][64];    /* the sensors' names, as records give them */
	unsigned nsensors;
};

static struct seen_by *seen_by(struct part *p, const struct ew_addr *src)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(src->a); i++)
		h = (h ^ src->a[i]) * 0x100000001b3ULL;
	return &p->by[(h ^ h >> 32) % BY];
}

/* The sensor that saw a probe from src at t, remembered for src's window. */
static void note_sensor(struct ew_analyze *an, struct part *p, const struct ew_addr *src,
			const char *sensor, uint64_t t)
{
	struct seen_by *b = seen_by(p, src);
	unsigned i;

	for (i = 0; i < an->nsensors && strcmp(an->sensor[i], sensor) != 0; i++)
		;
	if (i == an->nsensors) {
		if (i == SENSORS || strlen(sensor) >= sizeof(an->sensor[0]))
			return;
		strcpy(an->sensor[an->nsensors++], sensor);
	}
	if (!ew_addr_eq(&b->src, src) || b->mask == 0 ||
	    t > b->first_us + an->c.pc->scan.window_us) {
		b->src = *src;
		b->mask = 0;
		b->first_us = t;
	}
	b->mask |= 1ULL << i;
}

/* The sensors that saw src's probes, in name order, into names (at most max). */
static uint32_t sensors_of(struct ew_analyze *an, struct part *p, const struct ew_addr *src,
			   const char **names, uint32_t max)
{
	struct seen_by *b = seen_by(p, src);
	uint32_t n = 0;

	if (!ew_addr_eq(&b->src, src))
		return 0;
	for (unsigned i = 0; i < an->nsensors && n < max; i++) {
		uint32_t j = n;

		if (!(b->mask & (1ULL << i)))
			continue;
		for (; j > 0 && strcmp(names[j - 1], an->sensor[i]) > 0; j--)
			names[j] = names[j - 1];
		names[j] = an->sensor[i];
		n++;
	}
	b->mask = 0;   /* reported: the next window starts afresh */
	return n;
}

static void on_scan(void *arg, const struct ew_scan_report *r)
{
	struct part *p = arg;
	struct ew_analyze *an = p->an;
	struct ew_alert a;
	struct ew_alert_scan sc;
	char msg[1024];
	const char *names[16];
	uint32_t nnames = sensors_of(an, p, &r->src, names, 16);

	if (p->cur < p->done) {
		an->st.quiet++;
		return;
	}
	an->st.scans++;
	ew_scan_alert(&a, &sc, r, an->c.pol, an->c.pc->scan_sev, msg, sizeof(msg));
	a.observer_name = an->c.pc->sensor;
	a.observer_type = p->kind[0] ? p->kind : NULL;
	a.sensors = names;
	a.nsensors = nnames;
	a.alert_id = ew_alert_id(&a, an->c.pc->throttle_window_us);
	ew_sinkset_emit(an->c.sinks, &a);
}

struct ew_analyze *ew_analyze_new(const struct ew_analyze_conf *c)
{
	struct ew_analyze *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->c = *c;
	a->keep_us = c->pc->scan.window_us + c->pc->scan.settle_us + 2 * EW_USEC;
	return a;
}

static void part_free(struct ew_analyze *a, struct part *p)
{
	struct ew_scan_stats s;

	if (p == NULL)
		return;
	if (p->scan) {
		ew_scan_stats(p->scan, &s);
		a->gone.observed += s.observed;
		a->gone.scanners += s.scanners;
		a->gone.reported += s.reported;
		a->gone.evicted += s.evicted;
		ew_scan_free(p->scan);
	}
	free(p);
}

void ew_analyze_free(struct ew_analyze *a)
{
	if (a == NULL)
		return;
	for (int i = 0; i < EW_ANALYZE_MAX_PARTS; i++)
		part_free(a, a->parts[i]);
	free(a);
}

int ew_analyze_assign(struct ew_analyze *a, int32_t part, int64_t done)
{
	struct part *p;

	if (part < 0 || part >= EW_ANALYZE_MAX_PARTS)
		return EW_E_INVAL;
	part_free(a, a->parts[part]);
	a->parts[part] = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return EW_E_NOMEM;
	p->an = a;
	p->id = part;
	p->next = -1;
	p->done = done;
	p->quiet_mono = ew_time_mono_us();
	if (a->c.pc->scan_enabled &&
	    (p->scan = ew_scan_new(&a->c.pc->scan, on_scan, p)) == NULL) {
		free(p);
		return EW_E_NOMEM;
	}
	a->parts[part] = p;
	return EW_OK;
}

void ew_analyze_revoke(struct ew_analyze *a, int32_t part)
{
	if (part < 0 || part >= EW_ANALYZE_MAX_PARTS)
		return;
	part_free(a, a->parts[part]);
	a->parts[part] = NULL;
}

/* The clock moves to t: the tracker ticks once per second of it. */
static void advance(struct part *p, uint64_t t)
{
	if (t > p->clock)
		p->clock = t;
	if (p->scan && p->clock / EW_USEC != p->tick_sec) {
		p->tick_sec = p->clock / EW_USEC;
		ew_scan_tick(p->scan, p->clock);
	}
}

/* network.protocol from the application's name: its master, lower case. */
static void ecs_name(const char *app, char *out, size_t cap)
{
	size_t i = 0;

	for (; app[i] && app[i] != '.' && i + 1 < cap; i++)
		out[i] = (char)tolower((unsigned char)app[i]);
	out[i] = 0;
}

/* The new-edge detector on an allowed record. EW_OK or EW_E_IO. */
static int new_edge(struct ew_analyze *an, struct part *p, const struct ew_flow_parsed *fp)
{
	const struct ew_flow *f = &fp->f;
	char se[512], de[512], ecs[64], msg[1024], tag[48];
	uint16_t port = (f->proto == 6 || f->proto == 17 || f->proto == 132) ? f->dport : 0;
	struct ew_edges_stats es;
	struct ew_alert a;
	struct ew_buf mb;
	int rc;

	uint32_t ss = ew_policy_set_of(an->c.pol, &f->src), ds = ew_policy_set_of(an->c.pol, &f->dst);
	/* the key: both sets, protocol and port, exactly (sets below 2^20), else 0: none */
	uint64_t key = ss < (1u << 20) && ds < (1u << 20) ?
		       (uint64_t)ss << 44 | (uint64_t)ds << 24 | (uint64_t)f->proto << 16 | port : 0;
	uint64_t *known = &an->known[(key * 0x9e3779b97f4a7c15ULL) >> 48];   /* KNOWN = 2^16 */

	if (key && *known == key)   /* asked before and not new: most records stop here */
		return EW_OK;
	memset(&a, 0, sizeof(a));
	a.nsrc_groups = ew_edges_end(an->c.pol, ss, se, sizeof(se), a.src_groups,
				     EW_ALERT_MAX_GROUPS);
	a.ndst_groups = ew_edges_end(an->c.pol, ds, de, sizeof(de), a.dst_groups,
				     EW_ALERT_MAX_GROUPS);
	snprintf(tag, sizeof(tag), "%" PRId32 ":%" PRId64, p->id, p->cur);
	rc = ew_estate_edges_seen(an->c.edges, se, de, f->proto, port, f->last_us, tag);
	if (rc < 0)
		return EW_E_IO;
	if (rc == 0) {   /* known, learned, or past the bound (which never frees): not new */
		*known = key;
		return EW_OK;
	}
	if (p->cur < p->done) {
		an->st.quiet++;
		return EW_OK;
	}
	an->st.new_edges++;
	ew_estate_edges_stats(an->c.edges, &es);
	ecs_name(fp->app, ecs, sizeof(ecs));
	a.ts_us = f->last_us;
	a.action = "new-edge";
	a.rule = "new-edge";
	a.severity = an->c.pc->edges_sev;
	a.decided_by = "detector";
	ew_alert_flow_fields(&a, f);
	a.app = fp->app;
	a.app_ecs = ecs;
	a.port_app = strcmp(fp->port_app, "unknown") ? fp->port_app : NULL;
	a.observer_name = fp->observer[0] ? fp->observer : an->c.pc->sensor;
	a.observer_type = fp->observer_type[0] ? fp->observer_type : NULL;
	if (an->c.pc->nhome) {
		a.home[0] = ew_pipeline_in_home(an->c.pc, &f->src) ? 2 : 1;
		a.home[1] = ew_pipeline_in_home(an->c.pc, &f->dst) ? 2 : 1;
	}
	ew_buf_init(&mb, msg, sizeof(msg));
	ew_alert_text_edge(&mb, &a, se, de, es.learn_start_us);
	a.message = msg;
	a.alert_id = ew_alert_id(&a, an->c.pc->throttle_window_us);
	ew_sinkset_emit(an->c.sinks, &a);
	return EW_OK;
}

/* What the record is to the scan tracker (as a sensor's pipeline tells it of an
 * exported record, pipeline.c on_paired): failed when the initiator never acknowledged
 * or nothing came back. */
static unsigned probe_bits(const struct ew_scan_conf *sc, const struct ew_flow_parsed *fp)
{
	const struct ew_flow *f = &fp->f;
	unsigned what = EW_SCAN_TOUCH | EW_SCAN_QUIET;

	if (fp->verdict == EW_FV_DENY)
		what |= EW_SCAN_DENIED;
	if (ew_scan_watched(sc, f->proto, f->dport))
		what |= EW_SCAN_ATTEMPT;
	if ((f->proto == 6 && f->tcp_flags[0] && !(f->tcp_flags[0] & EW_TH_ACK)) ||
	    ((f->proto == 6 || f->proto == 17) && f->pkts[1] == 0))
		what |= EW_SCAN_FAILED;
	return what;
}

int ew_analyze_flow(struct ew_analyze *an, int32_t part, int64_t offset,
		    const struct ew_flow_parsed *fp)
{
	struct part *p;
	uint64_t sec;

	if (part < 0 || part >= EW_ANALYZE_MAX_PARTS)
		return EW_OK;
	if ((p = an->parts[part]) == NULL) {   /* read before the group said: take it */
		if (ew_analyze_assign(an, part, 0) != EW_OK)
			return EW_OK;
		p = an->parts[part];
	}
	p->cur = offset;
	if (an->c.edges && fp->verdict == EW_FV_ALLOW && new_edge(an, p, fp) != EW_OK)
		return EW_E_IO;
	an->st.records++;
	if (strcmp(p->kind, fp->observer_type) != 0)   /* the same sensor kind, record after record */
		snprintf(p->kind, sizeof(p->kind), "%s", fp->observer_type);
	sec = (fp->f.last_us > p->clock ? fp->f.last_us : p->clock) / EW_USEC;
	if (p->ckn == 0 || p->ck[(p->ckh + p->ckn - 1) % CK].sec != sec) {
		if (p->ckn == CK) {
			p->ckh = (p->ckh + 1) % CK;
			p->ckn--;
		}
		p->ck[(p->ckh + p->ckn) % CK].sec = sec;
		p->ck[(p->ckh + p->ckn) % CK].off = offset;
		p->ckn++;
	}
	if (p->scan) {
		unsigned what = probe_bits(&an->c.pc->scan, fp);

		if (what & (EW_SCAN_FAILED | EW_SCAN_DENIED | EW_SCAN_ATTEMPT))
			note_sensor(an, p, &fp->f.src, fp->observer, fp->f.first_us);
		ew_scan_observe(p->scan, &fp->f.src, &fp->f.dst, fp->f.proto, fp->f.dport, what,
				fp->f.first_us);
	}
	advance(p, fp->f.last_us);
	p->next = offset + 1;
	p->quiet_mono = ew_time_mono_us();
	return EW_OK;
}

void ew_analyze_tick(struct ew_analyze *an, uint64_t mono_us)
{
	for (int i = 0; i < EW_ANALYZE_MAX_PARTS; i++) {
		struct part *p = an->parts[i];

		if (p == NULL || p->next < 0 || mono_us < p->quiet_mono + EW_USEC)
			continue;
		p->cur = p->next;
		advance(p, p->clock + (mono_us - p->quiet_mono));
		p->quiet_mono = mono_us;
	}
}

int ew_analyze_safe(const struct ew_analyze *an, int32_t part, int64_t *resume, int64_t *done)
{
	const struct part *p;
	uint64_t from;

	if (part < 0 || part >= EW_ANALYZE_MAX_PARTS || (p = an->parts[part]) == NULL ||
	    p->next < 0)
		return -1;
	*done = p->next > p->done ? p->next : p->done;
	*resume = p->next;
	if (p->scan == NULL)
		return 0;
	from = p->clock > an->keep_us ? (p->clock - an->keep_us) / EW_USEC : 0;
	/* the first record of the oldest second a window still open may reach back to */
	for (unsigned i = 0; i < p->ckn; i++) {
		unsigned k = (p->ckh + i) % CK;

		if (p->ck[k].sec + 1 >= from) {
			*resume = p->ck[k].off;
			break;
		}
	}
	return 0;
}

void ew_analyze_stats(const struct ew_analyze *an, struct ew_analyze_stats *out)
{
	*out = an->st;
	out->scan = an->gone;
	out->partitions = 0;
	for (int i = 0; i < EW_ANALYZE_MAX_PARTS; i++) {
		struct ew_scan_stats s;

		if (an->parts[i] == NULL)
			continue;
		out->partitions++;
		if (an->parts[i]->scan == NULL)
			continue;
		ew_scan_stats(an->parts[i]->scan, &s);
		out->scan.observed += s.observed;
		out->scan.scanners += s.scanners;
		out->scan.reported += s.reported;
		out->scan.evicted += s.evicted;
		out->scan.sources += s.sources;
		out->scan.capacity += s.capacity;
	}
}
