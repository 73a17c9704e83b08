/* SPDX-License-Identifier: Apache-2.0 */
/* decode_ipfix - see decode_ipfix.h. */
#include "collector/decode_ipfix.h"
#include "collector/source.h"
#include "core/ew_err.h"
#include "core/ew_hash.h"
#include "core/ew_ilist.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PEN_REVERSE 29305u        /* RFC 5103 reverse information elements */
#define MAX_SAMPLERS 16
#define MAX_APPNAMES 512
#define APPNAME_LEN 32
#define NONE 0u                   /* index 0 of every table means "none" */

struct field {
	uint16_t ie, len;         /* len 65535: variable length */
	uint32_t pen;
	uint8_t el;               /* the element we read it as (elements[]), 0: none */
};

/* Fast path: a flow template without variable-length fields is compiled into ops, one
 * per field we read, with its offset and how to read it; fields we never read cost
 * nothing (bench_telemetry: the field-by-field walk was 65% of the record path). */
enum opcode {
	OP_GENERIC,               /* field(): everything not below */
	OP_SRC4, OP_DST4, OP_SRC6, OP_DST6, OP_SPORT, OP_DPORT, OP_PROTO, OP_FLAGS,
	OP_BYTES, OP_PKTS, OP_START_UP, OP_END_UP, OP_START_MS, OP_END_MS, OP_IN_IF, OP_OUT_IF,
	OP_DIRECTION, OP_END_REASON, OP_COUNT
};

struct op {
	uint16_t off, len, field;
	uint8_t code;
};

struct tmpl {
	uint32_t stream, hnext;   /* its stream, the hash chain */
	struct ew_ilink use;      /* the stream's list of them: of those never used by
				   * last_seen, of the others by last_used */
	uint16_t id, nfields, nscope;
	uint8_t options, has_varlen;
	uint32_t min_len;         /* bytes of the smallest possible record */
	uint64_t last_seen;       /* defined or refreshed (the lifetime runs from here) */
	uint64_t last_used;       /* a data set used it (0: never) */
	struct field *f;
	struct op *ops;           /* fast path, or NULL */
	uint16_t nops;
	/* Faster still (straight()): every op has its own code and no two write the same
	 * thing, so a record is read by fixed code with the offsets here (NO_OFF: absent). */
	uint8_t straight;
	uint16_t so[OP_COUNT];
	uint8_t sl[OP_COUNT];
};

#define NO_OFF 0xffff

/* ---- the information elements we read: one table ----
 *
 * Each element is read by its kind into the record (field()), checked against the
 * lengths it may have (a field of another length is counted as bad, or ignored when
 * lenient), and, at the lengths its fast-path opcode takes, compiled into an op of its
 * own (compile_ops). Elements not in the table are skipped by their length without a
 * look; RFC 5103's reverse elements (PEN 29305) are read only where marked. */
enum kind {
	K_ADDR4, K_ADDR6, K_PORT, K_PROTO, K_FLAGS, K_OCTETS, K_PACKETS, K_ICMP, K_VLAN, K_IFACE,
	K_UPTIME, K_SECONDS, K_MILLIS, K_NTP, K_END_REASON, K_DIRECTION, K_BIFLOW, K_APP_ID,
	K_APP_NAME, K_INTERVAL, K_PKT_INTERVAL, K_PKT_SPACE, K_SAMPLE_SIZE, K_POPULATION,
	K_SAMPLER, K_SYS_INIT,
};

#define E_REVERSE 1   /* its reverse element is read too (the responder's side) */
#define E_LENIENT 2   /* a length it cannot have is ignored, not counted */

static const struct element {
	uint16_t ie;
	uint8_t kind;
	uint8_t end;              /* 0: source, start, ingress; 1: destination, end, egress */
	uint16_t min, max;        /* the lengths it may have */
	uint8_t flags;            /* E_* */
	uint8_t op, op_min, op_max;   /* its fast-path opcode, at these lengths */
} elements[] = {
	{ 0, 0, 0, 0, 0, 0, OP_GENERIC, 0, 0 },   /* index 0: none */
	{ 1, K_OCTETS, 0, 0, 8, E_REVERSE, OP_BYTES, 1, 8 },         /* octetDeltaCount */
	{ 85, K_OCTETS, 0, 0, 8, E_REVERSE, OP_BYTES, 1, 8 },        /* octetTotalCount */
	{ 2, K_PACKETS, 0, 0, 8, E_REVERSE, OP_PKTS, 1, 8 },         /* packetDeltaCount */
	{ 86, K_PACKETS, 0, 0, 8, E_REVERSE, OP_PKTS, 1, 8 },        /* packetTotalCount */
	{ 4, K_PROTO, 0, 1, 1, 0, OP_PROTO, 1, 1 },                  /* protocolIdentifier */
	{ 6, K_FLAGS, 0, 0, 2, E_REVERSE, OP_FLAGS, 1, 1 },          /* tcpControlBits */
	{ 7, K_PORT, 0, 0, 2, 0, OP_SPORT, 2, 2 },                   /* sourceTransportPort */
	{ 11, K_PORT, 1, 0, 2, 0, OP_DPORT, 2, 2 },                  /* destinationTransportPort */
	{ 8, K_ADDR4, 0, 4, 4, 0, OP_SRC4, 4, 4 },                   /* sourceIPv4Address */
	{ 12, K_ADDR4, 1, 4, 4, 0, OP_DST4, 4, 4 },                  /* destinationIPv4Address */
	{ 27, K_ADDR6, 0, 16, 16, 0, OP_SRC6, 16, 16 },              /* sourceIPv6Address */
	{ 28, K_ADDR6, 1, 16, 16, 0, OP_DST6, 16, 16 },              /* destinationIPv6Address */
	{ 10, K_IFACE, 0, 0, 4, 0, OP_IN_IF, 1, 4 },                 /* ingressInterface */
	{ 14, K_IFACE, 1, 0, 4, 0, OP_OUT_IF, 1, 4 },                /* egressInterface */
	{ 22, K_UPTIME, 0, 0, 8, 0, OP_START_UP, 4, 4 },             /* flowStartSysUpTime */
	{ 21, K_UPTIME, 1, 0, 8, 0, OP_END_UP, 4, 4 },               /* flowEndSysUpTime */
	{ 150, K_SECONDS, 0, 4, 4, 0, OP_GENERIC, 0, 0 },            /* flowStartSeconds */
	{ 151, K_SECONDS, 1, 4, 4, 0, OP_GENERIC, 0, 0 },            /* flowEndSeconds */
	{ 152, K_MILLIS, 0, 8, 8, 0, OP_START_MS, 8, 8 },            /* flowStartMilliseconds */
	{ 153, K_MILLIS, 1, 8, 8, 0, OP_END_MS, 8, 8 },              /* flowEndMilliseconds */
	{ 154, K_NTP, 0, 8, 8, 0, OP_GENERIC, 0, 0 },                /* flowStartMicroseconds */
	{ 155, K_NTP, 1, 8, 8, 0, OP_GENERIC, 0, 0 },                /* flowEndMicroseconds */
	{ 156, K_NTP, 0, 8, 8, 0, OP_GENERIC, 0, 0 },                /* flowStartNanoseconds */
	{ 157, K_NTP, 1, 8, 8, 0, OP_GENERIC, 0, 0 },                /* flowEndNanoseconds */
	{ 32, K_ICMP, 0, 2, 2, 0, OP_GENERIC, 0, 0 },                /* icmpTypeCodeIPv4 */
	{ 139, K_ICMP, 0, 2, 2, 0, OP_GENERIC, 0, 0 },               /* icmpTypeCodeIPv6 */
	{ 58, K_VLAN, 0, 0, 2, 0, OP_GENERIC, 0, 0 },                /* vlanId */
	{ 243, K_VLAN, 0, 0, 2, 0, OP_GENERIC, 0, 0 },               /* dot1qVlanId */
	{ 136, K_END_REASON, 0, 1, 1, E_LENIENT, OP_END_REASON, 1, 1 },   /* flowEndReason */
	{ 61, K_DIRECTION, 0, 1, 1, E_LENIENT, OP_DIRECTION, 1, 1 },  /* flowDirection */
	{ 239, K_BIFLOW, 0, 1, 1, E_LENIENT, OP_GENERIC, 0, 0 },     /* biflowDirection */
	{ 95, K_APP_ID, 0, 0, 8, 0, OP_GENERIC, 0, 0 },              /* applicationId */
	{ 96, K_APP_NAME, 0, 0, 65535, 0, OP_GENERIC, 0, 0 },        /* applicationName */
	{ 34, K_INTERVAL, 0, 0, 4, 0, OP_GENERIC, 0, 0 },            /* samplingInterval */
	{ 50, K_INTERVAL, 0, 0, 4, 0, OP_GENERIC, 0, 0 },            /* v9 FLOW_SAMPLER_RANDOM_INTERVAL */
	{ 305, K_PKT_INTERVAL, 0, 0, 4, 0, OP_GENERIC, 0, 0 },       /* samplingPacketInterval */
	{ 306, K_PKT_SPACE, 0, 0, 4, 0, OP_GENERIC, 0, 0 },          /* samplingPacketSpace */
	{ 309, K_SAMPLE_SIZE, 0, 0, 4, 0, OP_GENERIC, 0, 0 },        /* samplingSize */
	{ 310, K_POPULATION, 0, 0, 4, 0, OP_GENERIC, 0, 0 },         /* samplingPopulation */
	{ 48, K_SAMPLER, 0, 0, 8, 0, OP_GENERIC, 0, 0 },             /* samplerId (v9 FLOW_SAMPLER_ID) */
	{ 302, K_SAMPLER, 0, 0, 8, 0, OP_GENERIC, 0, 0 },            /* selectorId */
	{ 160, K_SYS_INIT, 0, 8, 8, 0, OP_GENERIC, 0, 0 },           /* systemInitTimeMilliseconds */
};

#define NELEMENTS (sizeof(elements) / sizeof(elements[0]))

/* The element a template field is (an index into elements), 0 when we never read it. */
static uint8_t element_of(uint16_t ie, uint32_t pen)
{
	if (pen != 0 && pen != PEN_REVERSE)
		return 0;             /* another enterprise's element */
	for (uint8_t i = 1; i < NELEMENTS; i++)
		if (elements[i].ie == ie)
			return pen == 0 || (elements[i].flags & E_REVERSE) ? i : 0;
	return 0;
}

/* The fast-path opcode of field f (OP_GENERIC: field() reads it). */
static uint8_t opcode_of(const struct field *f)
{
	const struct element *e = &elements[f->el];

	return f->pen == 0 && f->len >= e->op_min && f->len <= e->op_max ? e->op : OP_GENERIC;
}

struct sampler {
	uint64_t id;
	uint32_t rate;
};

struct appname {
	uint32_t id;
	char name[APPNAME_LEN];
};

/* An exporter's application names (options data), looked up for every record that
 * carries an application id: by a hash of the id. */
#define APP_SLOTS 1024                /* a power of two, twice MAX_APPNAMES */
struct apptab {
	uint16_t idx[APP_SLOTS];      /* 1 + the name's place in a[]; 0: free */
	struct appname a[MAX_APPNAMES];
};

struct stream {
	struct ew_exporter_key ex;
	uint32_t domain, hnext;
	struct ew_ilist tl[2];    /* its templates: [0] never used, [1] used */
	uint32_t ntemplates;
	struct ew_ilink count;    /* the streams holding as many templates */
	uint64_t last_seen;
	uint64_t last_data;       /* a data record was decoded (0: never) */
	struct ew_ilink age;      /* its list, by last_seen */
	uint8_t data_list;        /* which: 1 once it gave a data record */
	uint32_t seq_last;             /* the last message's number */
	uint32_t seq_prev[2];          /* its records: all, data records alone */
	uint32_t seq_fits[4];          /* messages each reading put in sequence (not all) */
	uint8_t seq_valid, version;
	uint32_t default_rate;
	uint64_t sys_init_ms;
	uint32_t v9_uptime_ms;    /* header sysUpTime of the message being decoded */
	uint64_t export_us;       /* header export time of the message being decoded */
	struct sampler samplers[MAX_SAMPLERS];
	uint32_t nsamplers, napps;
	struct apptab *apps;      /* NULL until it names one */
};

struct ew_ipfix_session {
	struct ew_ipfix_conf c;
	struct stream *st;        /* st[1..max_streams] */
	uint32_t *sbucket, smask, st_hwm, st_free;
	struct ew_ilist sl[2];    /* streams by last_seen: [0] never gave a data record,
				   * [1] gave one */
	ew_ipfix_template_fn on_template;
	void *on_template_arg;
	ew_ipfix_evict_fn on_evict;
	void *on_evict_arg;
	struct tmpl *t;           /* t[1..max_templates] */
	uint32_t *tbucket, tmask, t_hwm, t_free;
	struct ew_ilist *holding; /* [n]: the streams holding n templates */
	uint32_t most;            /* the most templates a stream holds */
	struct ew_ipfix_stats stats;
	struct ew_record blank;    /* what a record starts from */
	uint8_t kind_ipfix, kind_netflow;   /* observer.type codes (ew_source_kind) */
};

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An unsigned integer in 1-8 bytes (reduced-size encoding, RFC 7011 6.2). */
static uint64_t rdn(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void ew_ipfix_conf_default(struct ew_ipfix_conf *c)
{
	c->max_streams = 4096;
	c->max_templates = 65536;
	c->max_templates_per_stream = 1024;
	c->max_fields = 256;
	c->template_lifetime_us = 1800ULL * 1000000;
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct ew_ipfix_session *ew_ipfix_new(const struct ew_ipfix_conf *c)
{
	struct ew_ipfix_session *s = calloc(1, sizeof(*s));

	if (s == NULL || c->max_streams == 0 || c->max_templates == 0 || c->max_fields == 0) {
		free(s);
		return NULL;
	}
	s->c = *c;
	s->smask = pow2_at_least(c->max_streams * 2) - 1;
	s->tmask = pow2_at_least(c->max_templates * 2) - 1;
	s->st = calloc((size_t)c->max_streams + 1, sizeof(*s->st));
	s->sbucket = calloc((size_t)s->smask + 1, sizeof(*s->sbucket));
	s->t = calloc((size_t)c->max_templates + 1, sizeof(*s->t));
	s->tbucket = calloc((size_t)s->tmask + 1, sizeof(*s->tbucket));
	s->holding = calloc((size_t)c->max_templates_per_stream + 2, sizeof(*s->holding));
	if (s->st == NULL || s->sbucket == NULL || s->t == NULL || s->tbucket == NULL ||
	    s->holding == NULL) {
		ew_ipfix_free(s);
		return NULL;
	}
	s->kind_ipfix = ew_source_kind("ipfix");
	s->kind_netflow = ew_source_kind("netflow");
	return s;
}

void ew_ipfix_free(struct ew_ipfix_session *s)
{
	if (s == NULL)
		return;
	if (s->t)
		for (uint32_t i = 1; i <= s->t_hwm; i++) {
			free(s->t[i].f);
			free(s->t[i].ops);
		}
	if (s->st)
		for (uint32_t i = 1; i <= s->st_hwm; i++)
			free(s->st[i].apps);
	free(s->st);
	free(s->sbucket);
	free(s->t);
	free(s->tbucket);
	free(s->holding);
	free(s);
}

/* ---- streams ---- */

static uint32_t stream_hash(const struct ew_exporter_key *ex, uint32_t domain)
{
	return (uint32_t)ew_hash_addr(&ex->addr, (uint64_t)ex->port << 32 | domain);
}

static void template_unlink(struct ew_ipfix_session *s, uint32_t ti);

#define ST_AGE(s) (s)->st, sizeof(struct stream), offsetof(struct stream, age)
#define ST_COUNT(s) (s)->st, sizeof(struct stream), offsetof(struct stream, count)
#define T_USE(s) (s)->t, sizeof(struct tmpl), offsetof(struct tmpl, use)

static void stream_unlist(struct ew_ipfix_session *s, uint32_t si)
{
	ew_ilist_remove(&s->sl[s->st[si].data_list], ST_AGE(s), si);
}

/* si (on no list) becomes the newest of its list. */
static void stream_list(struct ew_ipfix_session *s, uint32_t si)
{
	s->st[si].data_list = s->st[si].last_data != 0;
	ew_ilist_push_newest(&s->sl[s->st[si].data_list], ST_AGE(s), si);
}

/* si was heard from (or gave its first data record): the newest of its list. */
static void stream_heard(struct ew_ipfix_session *s, uint32_t si)
{
	if (s->sl[s->st[si].last_data != 0].newest == si)
		return;
	stream_unlist(s, si);
	stream_list(s, si);
}

static void stream_drop(struct ew_ipfix_session *s, uint32_t si)
{
	struct stream *x = &s->st[si];
	uint32_t *pp = &s->sbucket[stream_hash(&x->ex, x->domain) & s->smask];

	stream_unlist(s, si);
	while (x->tl[0].newest || x->tl[1].newest)
		template_unlink(s, x->tl[0].newest ? x->tl[0].newest : x->tl[1].newest);
	while (*pp && *pp != si)
		pp = &s->st[*pp].hnext;
	if (*pp == si)
		*pp = x->hnext;
	free(x->apps);
	memset(x, 0, sizeof(*x));
	x->hnext = s->st_free;
	s->st_free = si;
	s->stats.streams--;
}

/* The stream that makes room for a new one: of those that never gave a data record, the
 * one heard from longest ago; but the one heard from longest ago of those that gave one
 * if it gave none within the template lifetime (or 5 min) and was heard from before it;
 * with none of the first, that one. Both are the oldest of a list: the same cost at any
 * size. */
static uint32_t stream_victim(const struct ew_ipfix_session *s, uint64_t now)
{
	uint64_t life = s->c.template_lifetime_us ? s->c.template_lifetime_us : 300000000ULL;
	uint32_t a = s->sl[0].oldest, b = s->sl[1].oldest;

	if (a == 0)
		return b;
	if (b && s->st[b].last_data + life <= now && s->st[b].last_seen < s->st[a].last_seen)
		return b;
	return a;
}

static uint32_t stream_get(struct ew_ipfix_session *s, const struct ew_exporter_key *ex,
			   uint32_t domain, uint8_t version, uint64_t now)
{
	uint32_t h = stream_hash(ex, domain), si;
	struct stream *x;

	for (si = s->sbucket[h & s->smask]; si; si = s->st[si].hnext) {
		x = &s->st[si];
		if (x->domain == domain && x->ex.port == ex->port && ew_addr_eq(&x->ex.addr, &ex->addr)) {
			if (x->version != version) {   /* the exporter changed protocol */
				x->version = version;
				x->seq_valid = 0;
				memset(x->seq_fits, 0, sizeof(x->seq_fits));
			}
			x->last_seen = now;
			stream_heard(s, si);
			return si;
		}
	}
	if (s->st_free) {
		si = s->st_free;
		s->st_free = s->st[si].hnext;
	} else if (s->st_hwm < s->c.max_streams) {
		si = ++s->st_hwm;
	} else {
		/* Full: a stream that has not given a record lately makes room before one
		 * that has (spoofed template floods give none), the one heard from longest
		 * ago first; counted, and reported to the victim's exporter. */
		uint32_t old = stream_victim(s, now);

		if (s->on_evict)
			s->on_evict(s->on_evict_arg, &s->st[old].ex, EW_IPFIX_EVICT_STREAM,
				    s->st[old].ntemplates);
		stream_drop(s, old);
		s->stats.streams_evicted++;
		si = s->st_free;
		s->st_free = s->st[si].hnext;
	}
	x = &s->st[si];
	memset(x, 0, sizeof(*x));
	x->ex = *ex;
	x->domain = domain;
	x->version = version;
	x->last_seen = now;
	x->default_rate = 1;
	x->hnext = s->sbucket[h & s->smask];
	s->sbucket[h & s->smask] = si;
	stream_list(s, si);
	s->stats.streams++;
	return si;
}

/* ---- templates ---- */

static uint32_t tmpl_hash(uint32_t si, uint16_t id)
{
	return (uint32_t)(ew_mix64(((uint64_t)si << 16 | id) ^ ew_hash_seed()) >> 32);
}

static uint32_t template_find(const struct ew_ipfix_session *s, uint32_t si, uint16_t id)
{
	for (uint32_t ti = s->tbucket[tmpl_hash(si, id) & s->tmask]; ti; ti = s->t[ti].hnext)
		if (s->t[ti].stream == si && s->t[ti].id == id)
			return ti;
	return NONE;
}

/* Stream si (holding n templates, n > 0) onto or off the list of those holding n; the
 * newest of the list of s->most is the stream that holds the most. */
static void holding_add(struct ew_ipfix_session *s, uint32_t si, uint32_t n)
{
	ew_ilist_push_newest(&s->holding[n], ST_COUNT(s), si);
	if (n > s->most)
		s->most = n;
}

static void holding_remove(struct ew_ipfix_session *s, uint32_t si, uint32_t n)
{
	ew_ilist_remove(&s->holding[n], ST_COUNT(s), si);
}

/* Template ti onto its stream's list (by its last_used), as the newest. */
static void template_list(struct ew_ipfix_session *s, uint32_t ti)
{
	struct tmpl *t = &s->t[ti];

	ew_ilist_push_newest(&s->st[t->stream].tl[t->last_used != 0], T_USE(s), ti);
}

/* ... off it (its last_used says which: change it only after). */
static void template_unlist(struct ew_ipfix_session *s, uint32_t ti)
{
	struct tmpl *t = &s->t[ti];

	ew_ilist_remove(&s->st[t->stream].tl[t->last_used != 0], T_USE(s), ti);
}

/* A data set used ti at now: the most recently used of its stream. */
static void template_used(struct ew_ipfix_session *s, uint32_t ti, uint64_t now)
{
	if (s->t[ti].last_used && s->st[s->t[ti].stream].tl[1].newest == ti) {
		s->t[ti].last_used = now;      /* the same template as the last set's */
		return;
	}
	template_unlist(s, ti);
	s->t[ti].last_used = now;
	template_list(s, ti);
}

static void template_unlink(struct ew_ipfix_session *s, uint32_t ti)
{
	struct tmpl *t = &s->t[ti];
	struct stream *x = &s->st[t->stream];
	uint32_t *pp = &s->tbucket[tmpl_hash(t->stream, t->id) & s->tmask];

	while (*pp && *pp != ti)
		pp = &s->t[*pp].hnext;
	if (*pp == ti)
		*pp = t->hnext;
	template_unlist(s, ti);
	holding_remove(s, t->stream, x->ntemplates);
	x->ntemplates--;
	if (x->ntemplates)
		holding_add(s, t->stream, x->ntemplates);
	if (s->most && s->holding[s->most].newest == 0)   /* it held the most, alone: now one
						    * less (it is on that list, or 0) */
		s->most--;
	free(t->f);
	free(t->ops);
	memset(t, 0, sizeof(*t));
	t->hnext = s->t_free;
	s->t_free = ti;
	s->stats.live_templates--;
}

static void compile_ops(struct tmpl *t)
{
	uint32_t off = 0;

	t->ops = malloc((size_t)t->nfields * sizeof(*t->ops));
	if (t->ops == NULL)
		return;                  /* the generic path still works */
	for (uint16_t i = 0; i < t->nfields; off += t->f[i].len, i++) {
		if (t->f[i].el == 0)
			continue;            /* never read: costs nothing */
		t->ops[t->nops].off = (uint16_t)off;
		t->ops[t->nops].len = t->f[i].len;
		t->ops[t->nops].field = i;
		t->ops[t->nops].code = opcode_of(&t->f[i]);
		t->nops++;
	}
	t->straight = 1;
	for (int c = 0; c < OP_COUNT; c++)
		t->so[c] = NO_OFF;
	for (uint16_t k = 0; k < t->nops; k++) {
		const struct op *o = &t->ops[k];

		if (o->code == OP_GENERIC || t->so[o->code] != NO_OFF)
			t->straight = 0;
		else {
			t->so[o->code] = o->off;
			t->sl[o->code] = (uint8_t)o->len;
		}
	}
	/* an address given twice (IPv4 and IPv6): the later wins, which only ops keep */
	if ((t->so[OP_SRC4] != NO_OFF && t->so[OP_SRC6] != NO_OFF) ||
	    (t->so[OP_DST4] != NO_OFF && t->so[OP_DST6] != NO_OFF))
		t->straight = 0;
}

/* The table is full and stream si needs a template: the stream holding the most
 * templates (of several, the one that came to hold that many last) gives up its least
 * recently used one (never used by data first), so that every stream keeps a fair share
 * whatever others define. NONE when si holds as many as it, less one: then si is
 * refused. The oldest of two lists: the same cost at any size. */
static uint32_t template_victim(struct ew_ipfix_session *s, uint32_t si)
{
	uint32_t hog = s->holding[s->most].newest;

	if (hog == NONE || s->st[hog].ntemplates <= s->st[si].ntemplates + 1)
		return NONE;
	/* never used, defined longest ago; else used longest ago */
	return s->st[hog].tl[0].oldest ? s->st[hog].tl[0].oldest : s->st[hog].tl[1].oldest;
}

/* Define (or redefine) template id of stream si with fields f[0..n). Takes f. */
static int template_define(struct ew_ipfix_session *s, uint32_t si, uint16_t id,
			   struct field *f, uint16_t n, uint16_t nscope, int options, uint64_t now)
{
	struct stream *x = &s->st[si];
	uint32_t ti = template_find(s, si, id), h = tmpl_hash(si, id);
	struct tmpl *t;

	if (ti != NONE) {
		t = &s->t[ti];
		free(t->f);
		if (!t->last_used) {        /* refreshed: the newest of those never used */
			template_unlist(s, ti);
			template_list(s, ti);
		}
	} else {
		if (x->ntemplates >= s->c.max_templates_per_stream) {
			s->stats.templates_refused++;
			free(f);
			return EW_E_FULL;
		}
		if (s->t_free) {
			ti = s->t_free;
			s->t_free = s->t[ti].hnext;
		} else if (s->t_hwm < s->c.max_templates) {
			ti = ++s->t_hwm;
		} else if ((ti = template_victim(s, si)) != NONE) {
			struct stream *v = &s->st[s->t[ti].stream];

			if (s->on_evict)
				s->on_evict(s->on_evict_arg, &v->ex, EW_IPFIX_EVICT_TEMPLATE, 1);
			template_unlink(s, ti);
			s->stats.templates_evicted++;
			ti = s->t_free;
			s->t_free = s->t[ti].hnext;
		} else {
			s->stats.templates_refused++;
			free(f);
			return EW_E_FULL;
		}
		t = &s->t[ti];
		memset(t, 0, sizeof(*t));
		t->stream = si;
		t->id = id;
		t->hnext = s->tbucket[h & s->tmask];
		s->tbucket[h & s->tmask] = ti;
		template_list(s, ti);
		if (x->ntemplates)
			holding_remove(s, si, x->ntemplates);
		x->ntemplates++;
		holding_add(s, si, x->ntemplates);
		s->stats.live_templates++;
	}
	t->f = f;
	t->nfields = n;
	t->nscope = nscope;
	t->options = (uint8_t)options;
	t->last_seen = now;
	t->has_varlen = 0;
	t->min_len = 0;
	for (uint16_t i = 0; i < n; i++) {
		if (f[i].len == 65535) {
			t->has_varlen = 1;
			t->min_len += 1;
		} else {
			t->min_len += f[i].len;
		}
	}
	free(t->ops);
	t->ops = NULL;
	t->nops = 0;
	if (!options && !t->has_varlen && t->min_len <= 65535)
		compile_ops(t);
	if (options)
		s->stats.option_templates++;
	else
		s->stats.templates++;
	if (s->on_template)
		s->on_template(s->on_template_arg, x->domain, id, options);
	return EW_OK;
}

void ew_ipfix_on_template(struct ew_ipfix_session *s, ew_ipfix_template_fn fn, void *arg)
{
	s->on_template = fn;
	s->on_template_arg = arg;
}

void ew_ipfix_on_evict(struct ew_ipfix_session *s, ew_ipfix_evict_fn fn, void *arg)
{
	s->on_evict = fn;
	s->on_evict_arg = arg;
}

uint32_t ew_ipfix_expire(struct ew_ipfix_session *s, uint64_t now)
{
	uint32_t n = 0;

	if (s->c.template_lifetime_us == 0)
		return 0;
	for (uint32_t ti = 1; ti <= s->t_hwm; ti++)
		if (s->t[ti].stream && now > s->t[ti].last_seen + s->c.template_lifetime_us) {
			template_unlink(s, ti);
			n++;
		}
	s->stats.templates_expired += n;
	return n;
}

static void withdraw_all(struct ew_ipfix_session *s, uint32_t si, int options)
{
	for (int k = 0; k < 2; k++) {
		uint32_t ti = s->st[si].tl[k].newest;

		while (ti) {
			uint32_t next = s->t[ti].use.older;

			if (options < 0 || s->t[ti].options == options) {
				template_unlink(s, ti);
				s->stats.withdrawals++;
			}
			ti = next;
		}
	}
}

/* A template set (IPFIX 2/3, v9 0/1) of len bytes at p. */
static int template_set(struct ew_ipfix_session *s, uint32_t si, const uint8_t *p, uint32_t len,
			int ipfix, int options, uint64_t now)
{
	uint32_t off = 0;

	/* Records until what is left is padding (shorter than a template header). */
	while (len - off >= 4) {
		uint16_t id = rd16(p + off), count = rd16(p + off + 2), nscope = 0, n;
		struct field *f;
		uint32_t need = 4;

		if (!ipfix && options) {
			/* v9 options template: scope and option lengths in bytes */
			uint32_t scope_bytes, opt_bytes;

			if (len - off < 6)
				return EW_E_TRUNC;
			scope_bytes = count;
			opt_bytes = rd16(p + off + 4);
			if (scope_bytes % 4 || opt_bytes % 4)
				return EW_E_MALFORMED;
			nscope = (uint16_t)(scope_bytes / 4);
			n = (uint16_t)((scope_bytes + opt_bytes) / 4);   /* each <= 16383 */
			need = 6;
		} else if (ipfix && options) {
			if (count == 0) {            /* withdrawal: 4 bytes, no scope count */
				off += 4;
				goto withdraw;
			}
			if (len - off < 6)
				return EW_E_TRUNC;
			n = count;
			nscope = rd16(p + off + 4);
			need = 6;
			if (nscope == 0 || nscope > n)
				return EW_E_MALFORMED;
		} else {
			n = count;
			if (ipfix && count == 0) {   /* withdrawal */
				off += 4;
				goto withdraw;
			}
		}
		if (id < 256)
			return EW_E_MALFORMED;
		if ((uint64_t)n * 4 > len - off - need)
			return EW_E_TRUNC;   /* declares more fields than the set holds */
		if (n == 0 || n > s->c.max_fields) {
			s->stats.bad_fields++;
			return n == 0 ? EW_E_MALFORMED : EW_E_FULL;
		}
		off += need;
		f = malloc((size_t)n * sizeof(*f));
		if (f == NULL)
			return EW_E_NOMEM;
		for (uint16_t i = 0; i < n; i++) {
			if (len - off < 4) {
				free(f);
				return EW_E_TRUNC;
			}
			f[i].ie = rd16(p + off);
			f[i].len = rd16(p + off + 2);
			f[i].pen = 0;
			off += 4;
			if (ipfix && (f[i].ie & 0x8000)) {
				if (len - off < 4) {
					free(f);
					return EW_E_TRUNC;
				}
				f[i].ie &= 0x7fff;
				f[i].pen = rd32(p + off);
				off += 4;
			}
			f[i].el = element_of(f[i].ie, f[i].pen);
		}
		if (template_define(s, si, id, f, n, nscope, options, now) == EW_E_NOMEM)
			return EW_E_NOMEM;
		continue;
withdraw:
		/* RFC 7011 8.1: template id = set id (2 or 3) withdraws all of that kind */
		if (id == (options ? 3 : 2)) {
			withdraw_all(s, si, options);
		} else {
			uint32_t ti = template_find(s, si, id);

			if (ti != NONE) {
				template_unlink(s, ti);
				s->stats.withdrawals++;
			}
		}
	}
	return EW_OK;
}

/* ---- data records ---- */

static uint32_t sampler_rate(const struct stream *x, uint64_t id)
{
	for (uint32_t i = 0; i < x->nsamplers; i++)
		if (x->samplers[i].id == id)
			return x->samplers[i].rate;
	return 0;
}

static void sampler_set(struct ew_ipfix_session *s, struct stream *x, uint64_t id, uint32_t rate)
{
	uint32_t i;

	if (rate == 0) {
		s->stats.sampling_zero++;
		rate = 1;
	}
	for (i = 0; i < x->nsamplers; i++)
		if (x->samplers[i].id == id)
			break;
	if (i == x->nsamplers) {
		if (x->nsamplers == MAX_SAMPLERS)
			i = (uint32_t)(id % MAX_SAMPLERS);   /* full: overwrite one */
		else
			x->nsamplers++;
	}
	x->samplers[i].id = id;
	x->samplers[i].rate = rate;
}

/* The place of id's slot in x's table: its own, or the free one where it would go. */
static uint16_t *app_slot(const struct stream *x, uint32_t id)
{
	uint32_t h = (id * 2654435761u) >> 22;

	for (;; h = (h + 1) & (APP_SLOTS - 1)) {
		uint16_t *k = &x->apps->idx[h];

		if (*k == 0 || x->apps->a[*k - 1].id == id)
			return k;
	}
}

static const char *app_name(const struct stream *x, uint32_t id)
{
	const uint16_t *k;

	if (x->apps == NULL)
		return NULL;
	k = app_slot(x, id);
	return *k ? x->apps->a[*k - 1].name : NULL;
}

static void app_name_set(struct stream *x, uint32_t id, const uint8_t *name, uint32_t len)
{
	struct appname *e;
	uint16_t *k;

	if (x->apps == NULL) {
		x->apps = calloc(1, sizeof(*x->apps));
		if (x->apps == NULL)
			return;
	}
	k = app_slot(x, id);
	if (*k == 0) {
		if (x->napps == MAX_APPNAMES)
			return;
		*k = (uint16_t)++x->napps;
	}
	e = &x->apps->a[*k - 1];
	e->id = id;
	if (len >= APPNAME_LEN)
		len = APPNAME_LEN - 1;
	for (uint32_t c = 0; c < len; c++)   /* printable only: it reaches alerts */
		e->name[c] = name[c] >= 0x20 && name[c] < 0x7f ? (char)name[c] : '?';
	e->name[len] = '\0';
	while (len > 0 && e->name[len - 1] == ' ')   /* fixed-size, space padded */
		e->name[--len] = '\0';
}

/* What one record said, before it becomes an ew_record. Only the part up to
 * RAW_ZEROED is cleared for each record (the rest is read only under its have_ flag). */
struct raw {
	uint64_t pkt_space, sample_size, population;
	uint8_t have_start, have_end, have_start_up, have_end_up, have_sampler;
	uint8_t have_rec_interval, have_pkt_interval, have_src, have_dst, have_app_name;
	uint8_t have_rev, have_sys_init, icmp_set;
	uint8_t icmp_type, icmp_code;      /* under icmp_set */
	uint64_t start_us, end_us;
	uint64_t start_up, end_up;        /* sysUpTime-relative (ms) */
	uint64_t sampler_id, rec_interval, pkt_interval;
	uint64_t sys_init_ms;
	const uint8_t *app_name;
	uint32_t app_name_len;
};

#define RAW_ZEROED offsetof(struct raw, icmp_type)

static void put_time(uint64_t *t, uint8_t *have, uint64_t v)
{
	*t = v;
	*have = 1;
}

/* One field of a record: v points at len bytes. Returns 0, or -1 for a field whose
 * length does not fit its element (ignored, counted). */
static int field(struct ew_record *r, struct raw *w, const struct field *fd, const uint8_t *v,
		 uint32_t len)
{
	const struct element *e = &elements[fd->el];
	struct ew_flow *f = &r->f;
	int rev = fd->pen == PEN_REVERSE, end = e->end;

	if (fd->el == 0)
		return 0;             /* not read: skipped by its length */
	if (len < e->min || len > e->max)
		return e->flags & E_LENIENT ? 0 : -1;
	switch (e->kind) {
	case K_ADDR4:
		ew_addr_from_v4(end ? &f->dst : &f->src, v);
		*(end ? &w->have_dst : &w->have_src) = 1;
		break;
	case K_ADDR6:
		ew_addr_from_v6(end ? &f->dst : &f->src, v);
		*(end ? &w->have_dst : &w->have_src) = 1;
		break;
	case K_PORT:
		*(end ? &f->dport : &f->sport) = (uint16_t)rdn(v, len);
		break;
	case K_PROTO:
		f->proto = v[0];
		break;
	case K_FLAGS:                 /* tcpControlBits (1 or 2 bytes) */
		f->tcp_flags[rev] = (uint8_t)rdn(v, len);
		if (!rev)
			r->has_tcp_flags = 1;
		break;
	case K_OCTETS:
		f->bytes[rev] = rdn(v, len);
		w->have_rev |= (uint8_t)rev;
		break;
	case K_PACKETS:
		f->pkts[rev] = (uint32_t)(rdn(v, len) > UINT32_MAX ? UINT32_MAX : rdn(v, len));
		w->have_rev |= (uint8_t)rev;
		break;
	case K_ICMP:                  /* icmpTypeCode: type << 8 | code */
		w->icmp_type = v[0];
		w->icmp_code = v[1];
		w->icmp_set = 1;
		break;
	case K_VLAN:
		f->vlan = (uint16_t)(rdn(v, len) & 0x0fff);
		break;
	case K_IFACE:
		*(end ? &r->out_if : &r->in_if) = (uint32_t)rdn(v, len);
		break;
	case K_UPTIME:                /* v9 FIRST/LAST_SWITCHED, ms */
		if (end)
			put_time(&w->end_up, &w->have_end_up, rdn(v, len));
		else
			put_time(&w->start_up, &w->have_start_up, rdn(v, len));
		break;
	case K_SECONDS:
		put_time(end ? &w->end_us : &w->start_us, end ? &w->have_end : &w->have_start,
			 (uint64_t)rd32(v) * 1000000);
		break;
	case K_MILLIS:
		put_time(end ? &w->end_us : &w->start_us, end ? &w->have_end : &w->have_start,
			 rdn(v, 8) * 1000);
		break;
	case K_NTP: {                 /* micro- or nanoseconds, NTP format */
		uint64_t secs = rd32(v), frac = rd32(v + 4);

		if (secs < 2208988800u)
			return -1;            /* before 1970: not a time we can use */
		put_time(end ? &w->end_us : &w->start_us, end ? &w->have_end : &w->have_start,
			 (secs - 2208988800u) * 1000000 + (frac * 1000000 >> 32));
		break;
	}
	case K_END_REASON:
		r->end_reason = v[0];
		break;
	case K_DIRECTION:
		r->direction = v[0];
		break;
	case K_BIFLOW:
		r->biflow_direction = v[0];
		break;
	case K_APP_ID:                /* classification engine id, then the selector's low bytes */
		if (len)
			r->app_id = len >= 4 ? (uint32_t)v[0] << 24 |
						       (uint32_t)(rdn(v + 1, len - 1) & 0xffffff)
					     : (uint32_t)rdn(v, len);
		break;
	case K_APP_NAME:
		w->app_name = v;
		w->app_name_len = len;
		w->have_app_name = 1;
		break;
	case K_INTERVAL:
		w->rec_interval = rdn(v, len);
		w->have_rec_interval = 1;
		break;
	case K_PKT_INTERVAL:
		w->pkt_interval = rdn(v, len);
		w->have_pkt_interval = 1;
		break;
	case K_PKT_SPACE:
		w->pkt_space = rdn(v, len);
		break;
	case K_SAMPLE_SIZE:           /* samplingSize in samplingPopulation */
		w->sample_size = rdn(v, len);
		break;
	case K_POPULATION:
		w->population = rdn(v, len);
		break;
	case K_SAMPLER:
		w->sampler_id = rdn(v, len);
		w->have_sampler = 1;
		break;
	case K_SYS_INIT:
		w->sys_init_ms = rdn(v, 8);
		w->have_sys_init = 1;
		break;
	}
	return 0;
}

/* The rate a record's counters are multiplied by. */
static uint32_t record_rate(struct ew_ipfix_session *s, struct stream *x, const struct raw *w)
{
	uint32_t rate = 0;

	if (w->have_rec_interval)
		rate = (uint32_t)(w->rec_interval > UINT32_MAX ? UINT32_MAX : w->rec_interval);
	else if (w->have_sampler)
		rate = sampler_rate(x, w->sampler_id);
	if (rate == 0) {
		if (w->have_rec_interval)
			s->stats.sampling_zero++;
		rate = x->default_rate ? x->default_rate : 1;
	}
	return rate;
}

/* An options record: state for later data records. */
static void options_record(struct ew_ipfix_session *s, struct stream *x, const struct ew_record *r,
			   const struct raw *w)
{
	uint32_t rate = 0;

	if (w->have_rec_interval)
		rate = (uint32_t)(w->rec_interval > UINT32_MAX ? UINT32_MAX : w->rec_interval);
	if (w->have_pkt_interval) {
		/* 1 packet selected out of every (interval + space) */
		uint64_t tot = w->pkt_interval ? (w->pkt_interval + w->pkt_space) / w->pkt_interval : 0;

		rate = (uint32_t)(tot > UINT32_MAX ? UINT32_MAX : tot);
	}
	if (w->population) {
		/* random n-out-of-N (RFC 5476): size packets in every population */
		uint64_t n = w->sample_size ? w->population / w->sample_size : 0;

		rate = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
	}
	if (w->have_rec_interval || w->have_pkt_interval || w->population) {
		if (w->have_sampler) {
			sampler_set(s, x, w->sampler_id, rate);
		} else {
			if (rate == 0) {
				s->stats.sampling_zero++;
				rate = 1;
			}
			x->default_rate = rate;
		}
	}
	if (w->have_app_name && r->app_id)
		app_name_set(x, r->app_id, w->app_name, w->app_name_len);
	if (w->have_sys_init)
		x->sys_init_ms = w->sys_init_ms;
}

static uint64_t uptime_to_us(const struct stream *x, uint64_t up_ms)
{
	if (x->version == 9) {
		/* v9: the header pairs sysUpTime with the export time */
		int64_t delta_ms = (int64_t)x->v9_uptime_ms - (int64_t)(uint32_t)up_ms;

		return x->export_us - (uint64_t)(delta_ms * 1000);
	}
	if (x->sys_init_ms)
		return (x->sys_init_ms + up_ms) * 1000;
	return x->export_us;   /* IPFIX without systemInitTime: the best we know */
}


/* A counter of 1 to 8 bytes; the usual 4 and 8 without a loop. */
static inline uint64_t rd_counter(const uint8_t *v, uint32_t n)
{
	if (n == 4)
		return rd32(v);
	if (n == 8)
		return (uint64_t)rd32(v) << 32 | rd32(v + 4);
	return rdn(v, n);
}

/* An address of a straight template: at offset v4 (IPv4) or v6 (IPv6), or absent. */
static inline void straight_addr(const uint8_t *q, uint16_t v4, uint16_t v6, struct ew_addr *a,
				 uint8_t *have)
{
	if (v4 != NO_OFF) {
		ew_addr_from_v4(a, q + v4);
		*have = 1;
	} else if (v6 != NO_OFF) {
		ew_addr_from_v6(a, q + v6);
		*have = 1;
	}
}

/* One record of a straight template (compile_ops): the same branches every record. */
static inline void straight(const struct tmpl *t, const uint8_t *q, struct ew_record *r,
			    struct raw *w)
{
	const uint16_t *o = t->so;

	straight_addr(q, o[OP_SRC4], o[OP_SRC6], &r->f.src, &w->have_src);
	straight_addr(q, o[OP_DST4], o[OP_DST6], &r->f.dst, &w->have_dst);
	if (o[OP_SPORT] != NO_OFF)
		r->f.sport = rd16(q + o[OP_SPORT]);
	if (o[OP_DPORT] != NO_OFF)
		r->f.dport = rd16(q + o[OP_DPORT]);
	if (o[OP_PROTO] != NO_OFF)
		r->f.proto = q[o[OP_PROTO]];
	if (o[OP_FLAGS] != NO_OFF) {
		r->f.tcp_flags[0] = q[o[OP_FLAGS]];
		r->has_tcp_flags = 1;
	}
	if (o[OP_BYTES] != NO_OFF)
		r->f.bytes[0] = rd_counter(q + o[OP_BYTES], t->sl[OP_BYTES]);
	if (o[OP_PKTS] != NO_OFF) {
		uint64_t pk = rd_counter(q + o[OP_PKTS], t->sl[OP_PKTS]);

		r->f.pkts[0] = (uint32_t)(pk > UINT32_MAX ? UINT32_MAX : pk);
	}
	if (o[OP_START_UP] != NO_OFF)
		put_time(&w->start_up, &w->have_start_up, rd32(q + o[OP_START_UP]));
	if (o[OP_END_UP] != NO_OFF)
		put_time(&w->end_up, &w->have_end_up, rd32(q + o[OP_END_UP]));
	if (o[OP_START_MS] != NO_OFF)
		put_time(&w->start_us, &w->have_start, rd_counter(q + o[OP_START_MS], 8) * 1000);
	if (o[OP_END_MS] != NO_OFF)
		put_time(&w->end_us, &w->have_end, rd_counter(q + o[OP_END_MS], 8) * 1000);
	if (o[OP_IN_IF] != NO_OFF)
		r->in_if = (uint32_t)rd_counter(q + o[OP_IN_IF], t->sl[OP_IN_IF]);
	if (o[OP_OUT_IF] != NO_OFF)
		r->out_if = (uint32_t)rd_counter(q + o[OP_OUT_IF], t->sl[OP_OUT_IF]);
	if (o[OP_DIRECTION] != NO_OFF)
		r->direction = q[o[OP_DIRECTION]];
	if (o[OP_END_REASON] != NO_OFF)
		r->end_reason = q[o[OP_END_REASON]];
}

/* Records are handed on in batches: the consumer's first read of a record comes long
 * after the decoder's byte-sized stores to it have retired (read at once, its copy of
 * the record waited on store forwarding: a third of the consumer's time). */
#define EMIT_BATCH 16

static void emit_batch(const struct ew_record *batch, uint32_t *nb, ew_record_fn emit,
		       void *arg)
{
	for (uint32_t i = 0; emit && i < *nb; i++)
		emit(arg, &batch[i]);
	*nb = 0;
}

/* A data set of template t: len bytes at p. */
static int data_set(struct ew_ipfix_session *s, uint32_t si, const struct tmpl *t,
		    const uint8_t *p, uint32_t len, uint8_t version, ew_record_fn emit, void *arg)
{
	struct stream *x = &s->st[si];
	const struct ew_record *blank;
	struct ew_record batch[EMIT_BATCH];
	uint32_t off = 0, nb = 0;
	int rc = EW_OK;

	/* A template of only zero-length fields would describe records of no bytes: an
	 * endless set. Refuse it (RFC 7011: such a set is not decodable). */
	if (t->min_len == 0)
		return EW_E_MALFORMED;
	memset(&s->blank, 0, sizeof(s->blank));
	s->blank.direction = 0xff;
	blank = &s->blank;
	while (len - off >= t->min_len) {
		struct ew_record *r = &batch[nb];
		struct raw w;
		uint32_t start = off;
		int bad = 0;

		/* a copy of the set's blank record, and a short clear: gcc makes a memset of
		 * the record's size "rep stos", which cost a third of a record's decoding */
		*r = *blank;
		memset(&w, 0, RAW_ZEROED);
		if (t->ops != NULL && t->straight) {
			straight(t, p + off, r, &w);
			off += t->min_len;
		} else if (t->ops != NULL) {     /* fixed length: len - off >= min_len */
			const uint8_t *q = p + off;

			for (uint16_t k = 0; k < t->nops; k++) {
				const struct op *o = &t->ops[k];
				const uint8_t *v = q + o->off;

				switch (o->code) {
				case OP_SRC4: ew_addr_from_v4(&r->f.src, v); w.have_src = 1; break;
				case OP_DST4: ew_addr_from_v4(&r->f.dst, v); w.have_dst = 1; break;
				case OP_SRC6: ew_addr_from_v6(&r->f.src, v); w.have_src = 1; break;
				case OP_DST6: ew_addr_from_v6(&r->f.dst, v); w.have_dst = 1; break;
				case OP_SPORT: r->f.sport = rd16(v); break;
				case OP_DPORT: r->f.dport = rd16(v); break;
				case OP_PROTO: r->f.proto = v[0]; break;
				case OP_FLAGS: r->f.tcp_flags[0] = v[0]; r->has_tcp_flags = 1; break;
				case OP_BYTES: r->f.bytes[0] = rdn(v, o->len); break;
				case OP_PKTS: {
					uint64_t pk = rdn(v, o->len);

					r->f.pkts[0] = (uint32_t)(pk > UINT32_MAX ? UINT32_MAX : pk);
					break;
				}
				case OP_START_UP: put_time(&w.start_up, &w.have_start_up, rd32(v)); break;
				case OP_END_UP: put_time(&w.end_up, &w.have_end_up, rd32(v)); break;
				case OP_START_MS:
					put_time(&w.start_us, &w.have_start, rdn(v, 8) * 1000);
					break;
				case OP_END_MS:
					put_time(&w.end_us, &w.have_end, rdn(v, 8) * 1000);
					break;
				case OP_IN_IF: r->in_if = (uint32_t)rdn(v, o->len); break;
				case OP_OUT_IF: r->out_if = (uint32_t)rdn(v, o->len); break;
				case OP_DIRECTION: r->direction = v[0]; break;
				case OP_END_REASON: r->end_reason = v[0]; break;
				default:
					if (field(r, &w, &t->f[o->field], v, o->len) != 0)
						s->stats.bad_fields++;
				}
			}
			off += t->min_len;
		}
		for (uint16_t i = 0; t->ops == NULL && i < t->nfields; i++) {
			uint32_t fl = t->f[i].len;

			if (fl == 65535) {           /* variable length, RFC 7011 7 */
				if (len - off < 1) {
					bad = 1;
					break;
				}
				fl = p[off++];
				if (fl == 255) {
					if (len - off < 2) {
						bad = 1;
						break;
					}
					fl = rd16(p + off);
					off += 2;
				}
			}
			if (len - off < fl) {
				bad = 1;
				break;
			}
			if (field(r, &w, &t->f[i], p + off, fl) != 0)
				s->stats.bad_fields++;
			off += fl;
		}
		if (bad) {
			/* A variable-length record running past the set: padding if it
			 * is all zero, otherwise the set is malformed. */
			for (uint32_t k = start; k < len; k++)
				if (p[k] != 0) {
					rc = EW_E_MALFORMED;
					s->stats.malformed++;
					break;
				}
			break;
		}
		r->version = version;
		r->domain = x->domain;
		r->template_id = t->id;
		if (t->options) {
			r->is_options = 1;
			options_record(s, x, r, &w);
			s->stats.option_records++;
		} else {
			uint32_t rate = record_rate(s, x, &w);

			s->stats.records++;
			if (r->f.proto == 1 || r->f.proto == 58) {
				/* ICMP: type and code as "ports" (flow table convention); from
				 * icmpTypeCode, else from the destination port (type << 8 | code,
				 * as Cisco and softflowd send it) */
				uint16_t tc = w.icmp_set ? (uint16_t)(w.icmp_type << 8 | w.icmp_code)
							 : r->f.dport;

				r->f.sport = (uint16_t)(tc >> 8);
				r->f.dport = tc & 0xff;
			}
			r->has_flow = w.have_src && w.have_dst;
			r->biflow = w.have_rev;
			r->f.sampling = rate;
			if (rate > 1) {
				for (int d = 0; d < 2; d++) {
					uint64_t pk = (uint64_t)r->f.pkts[d] * rate;

					r->f.pkts[d] = (uint32_t)(pk > UINT32_MAX ? UINT32_MAX : pk);
					r->f.bytes[d] *= rate;
				}
			}
			r->f.first_us = w.have_start ? w.start_us :
				       w.have_start_up ? uptime_to_us(x, w.start_up) : x->export_us;
			r->f.last_us = w.have_end ? w.end_us :
				      w.have_end_up ? uptime_to_us(x, w.end_up) : r->f.first_us;
			r->f.source_kind = version == 10 ? s->kind_ipfix : s->kind_netflow;
			if (r->app_id) {
				r->app_name = app_name(x, r->app_id);
			}
		}
		if (++nb == EMIT_BATCH)
			emit_batch(batch, &nb, emit, arg);
	}
	emit_batch(batch, &nb, emit, arg);
	return rc;
}

/* ---- messages ---- */

/* A message is in sequence when its number is the last one's plus the records the
 * stream counts: RFC 7011 (3.1) counts the data records, options records included, sent
 * before the message; softflowd counts data records alone, and a message's own in its
 * number, so that every template refresh (an options record more) and every message whose
 * count differs from the last one's looked like a gap (811 "gaps" and 3,000 "lost"
 * records in each pass over its export of 100k flows). Of the four readings (records
 * before or including the message's, options records or not), the one that has put the
 * most messages in sequence where the others did not is the stream's; RFC's until another
 * has. NetFlow v9 counts export packets (each reading: 1). */
static void sequence_check(struct ew_ipfix_session *s, struct stream *x, uint32_t seq,
			   uint32_t all, uint32_t data)
{
	if (x->seq_valid) {
		uint32_t want[4] = { x->seq_last + x->seq_prev[0], x->seq_last + x->seq_prev[1],
				     x->seq_last + all, x->seq_last + data };
		unsigned fit = 0, best = 0;

		for (unsigned i = 0; i < 4; i++)
			fit |= (unsigned)(seq == want[i]) << i;
		for (unsigned i = 0; i < 4 && fit != 15; i++)
			x->seq_fits[i] += (fit >> i) & 1;
		for (unsigned i = 1; i < 4; i++)
			if (x->seq_fits[i] > x->seq_fits[best])
				best = i;
		if (!(fit & (1u << best))) {
			uint32_t gap = seq - want[best];

			s->stats.seq_gaps++;
			if (gap < 0x80000000u)      /* ahead: lost; behind: reordered or restarted */
				s->stats.lost += gap;
		}
	}
	x->seq_last = seq;
	x->seq_prev[0] = all;
	x->seq_prev[1] = data;
	x->seq_valid = 1;
}

static int decode_sets(struct ew_ipfix_session *s, uint32_t si, const uint8_t *p, uint32_t len,
		       int ipfix, uint64_t now, ew_record_fn emit, void *arg, uint32_t *records,
		       uint32_t *data)
{
	uint32_t off = 0;
	int rc = EW_OK;
	uint64_t before = s->stats.records + s->stats.option_records, before_data = s->stats.records;

	while (len - off >= 4) {
		uint16_t id = rd16(p + off), slen = rd16(p + off + 2);
		const uint8_t *body = p + off + 4;
		uint32_t blen;

		if (slen < 4 || slen > len - off) {
			/* v9 allows trailing zero padding after the last set */
			if (!ipfix && slen == 0 && id == 0) {
				int zero = 1;

				for (uint32_t k = off; k < len; k++)
					zero &= p[k] == 0;
				if (zero)
					break;
			}
			rc = slen < 4 ? EW_E_MALFORMED : EW_E_TRUNC;
			s->stats.malformed++;
			break;
		}
		blen = slen - 4u;
		if ((ipfix && (id == 2 || id == 3)) || (!ipfix && (id == 0 || id == 1))) {
			int r = template_set(s, si, body, blen, ipfix, ipfix ? id == 3 : id == 1, now);

			if (r != EW_OK && r != EW_E_FULL) {
				s->stats.malformed++;
				rc = r;
			}
		} else if (id >= 256) {
			uint32_t ti = template_find(s, si, id);

			if (ti != NONE && s->c.template_lifetime_us &&
			    now > s->t[ti].last_seen + s->c.template_lifetime_us) {
				template_unlink(s, ti);     /* expired: not refreshed in time */
				ti = NONE;
			}
			if (ti == NONE) {
				s->stats.sets_without_template++;
			} else {
				int r = data_set(s, si, &s->t[ti], body, blen, ipfix ? 10 : 9, emit, arg);

				template_used(s, ti, now);
				if (!s->t[ti].options && !s->st[si].last_data) {
					s->st[si].last_data = now;
					stream_heard(s, si);   /* to the list of those with */
				} else if (!s->t[ti].options) {
					s->st[si].last_data = now;
				}
				if (r != EW_OK)
					rc = r;
			}
		} else {
			s->stats.malformed++;           /* set ids 4-255 are reserved */
			rc = EW_E_MALFORMED;
		}
		off += slen;
	}
	*records = (uint32_t)(s->stats.records + s->stats.option_records - before);
	*data = (uint32_t)(s->stats.records - before_data);
	return rc;
}

static int decode_v5(struct ew_ipfix_session *s, const struct ew_exporter_key *ex,
		     const uint8_t *m, size_t len, uint64_t now, ew_record_fn emit, void *arg)
{
	uint16_t count;
	uint32_t uptime, rate;
	uint64_t export_us;
	struct stream *x;
	uint32_t si;

	if (len < 24)
		return EW_E_TRUNC;
	count = rd16(m + 2);
	if (count == 0 || count > 30) {
		/* A count no v5 exporter sends. When the datagram holds exactly 1-30
		 * records, read those (as tshark does); otherwise give up. */
		s->stats.malformed++;
		if ((len - 24) % 48 != 0 || len == 24 || len > 24 + 30 * 48)
			return EW_E_MALFORMED;
		count = (uint16_t)((len - 24) / 48);
	}
	if (len < 24 + (size_t)count * 48) {
		s->stats.malformed++;
		return EW_E_TRUNC;
	}
	si = stream_get(s, ex, (uint32_t)m[20] << 8 | m[21], 5, now);  /* engine type, id */
	x = &s->st[si];
	uptime = rd32(m + 4);
	export_us = (uint64_t)rd32(m + 8) * 1000000 + rd32(m + 12) / 1000;
	rate = rd16(m + 22) & 0x3fff;
	if ((rd16(m + 22) >> 14) != 0 && rate == 0)
		s->stats.sampling_zero++;
	if (rate == 0)
		rate = 1;
	sequence_check(s, x, rd32(m + 16), count, count);
	s->stats.messages++;
	for (uint16_t i = 0; i < count; i++) {
		const uint8_t *q = m + 24 + (size_t)i * 48;
		struct ew_record r;
		uint64_t pk = (uint64_t)rd32(q + 16) * rate;

		memset(&r, 0, sizeof(r));
		r.version = 5;
		r.domain = x->domain;
		r.direction = 0xff;
		r.has_flow = 1;
		r.has_tcp_flags = 1;
		ew_addr_from_v4(&r.f.src, q);
		ew_addr_from_v4(&r.f.dst, q + 4);
		r.in_if = rd16(q + 12);
		r.out_if = rd16(q + 14);
		r.f.pkts[0] = (uint32_t)(pk > UINT32_MAX ? UINT32_MAX : pk);
		r.f.bytes[0] = (uint64_t)rd32(q + 20) * rate;
		r.f.first_us = export_us - ((uint64_t)(uint32_t)(uptime - rd32(q + 24))) * 1000;
		r.f.last_us = export_us - ((uint64_t)(uint32_t)(uptime - rd32(q + 28))) * 1000;
		r.f.sport = rd16(q + 32);
		r.f.dport = rd16(q + 34);
		r.f.tcp_flags[0] = q[37];
		r.f.proto = q[38];
		r.f.sampling = rate;
		r.f.source_kind = s->kind_netflow;
		if (r.f.proto == 1 || r.f.proto == 58) {   /* type and code travel in dport */
			r.f.sport = (uint16_t)(r.f.dport >> 8);
			r.f.dport &= 0xff;
		}
		s->stats.records++;
		if (emit)
			emit(arg, &r);
	}
	return EW_OK;
}

int ew_ipfix_decode(struct ew_ipfix_session *s, const struct ew_exporter_key *ex,
		    const uint8_t *m, size_t len, uint64_t now, ew_record_fn emit, void *arg)
{
	uint16_t version;
	uint32_t si, records = 0, data = 0, mlen;
	struct stream *x;
	int rc;

	if (len < 4)
		return EW_E_TRUNC;
	version = rd16(m);
	if (version == 5)
		return decode_v5(s, ex, m, len, now, emit, arg);
	if (version == 9) {
		if (len < 20)
			return EW_E_TRUNC;
		si = stream_get(s, ex, rd32(m + 16), 9, now);
		x = &s->st[si];
		x->v9_uptime_ms = rd32(m + 4);
		x->export_us = (uint64_t)rd32(m + 8) * 1000000;
		s->stats.messages++;
		sequence_check(s, x, rd32(m + 12), 1, 1);   /* v9 counts export packets */
		return decode_sets(s, si, m + 20, (uint32_t)(len > 65535 ? 65535 : len) - 20, 0, now,
				   emit, arg, &records, &data);
	}
	if (version != 10)
		return EW_E_UNSUPPORTED;
	rc = EW_OK;
	/* One message per UDP datagram, but a stream (or a file) may carry several
	 * back to back: read each. */
	while (len >= 4 && rd16(m) == 10) {
		int r;
		uint32_t seq;

		if (len < 16)
			return EW_E_TRUNC;
		mlen = rd16(m + 2);
		if (mlen < 16 || mlen > len) {
			s->stats.malformed++;
			return mlen < 16 ? EW_E_MALFORMED : EW_E_TRUNC;
		}
		si = stream_get(s, ex, rd32(m + 12), 10, now);
		x = &s->st[si];
		x->export_us = (uint64_t)rd32(m + 4) * 1000000;
		s->stats.messages++;
		seq = rd32(m + 8);
		{
			/* Some exporters understate the message length by a few bytes;
			 * when nothing follows the message, its sets may use the rest of
			 * the datagram (counted as malformed). */
			uint32_t avail = mlen;

			if (len > mlen && (len - mlen < 16 || rd16(m + mlen) != 10)) {
				avail = (uint32_t)(len > 65535 ? 65535 : len);
				s->stats.malformed++;
			}
			r = decode_sets(s, si, m + 16, avail - 16, 1, now, emit, arg, &records,
					&data);
			if (avail > mlen)
				mlen = avail;
		}
		sequence_check(s, &s->st[si], seq, records, data);
		if (r != EW_OK)
			rc = r;
		m += mlen;
		len -= mlen;
	}
	return rc;
}

void ew_ipfix_stats(const struct ew_ipfix_session *s, struct ew_ipfix_stats *out)
{
	*out = s->stats;
}

uint32_t ew_ipfix_templates(const struct ew_ipfix_session *s, const struct ew_exporter_key *ex,
			    uint32_t domain, uint16_t *ids, uint32_t max)
{
	uint32_t h = stream_hash(ex, domain), n = 0;

	for (uint32_t si = s->sbucket[h & s->smask]; si; si = s->st[si].hnext) {
		const struct stream *x = &s->st[si];

		if (x->domain != domain || x->ex.port != ex->port || !ew_addr_eq(&x->ex.addr, &ex->addr))
			continue;
		for (int k = 0; k < 2; k++)
			for (uint32_t ti = x->tl[k].newest; ti; ti = s->t[ti].use.older) {
				if (n < max)
					ids[n] = s->t[ti].id;
				n++;
			}
	}
	for (uint32_t i = 1; i < n && i < max; i++)    /* insertion sort: few ids */
		for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint16_t t = ids[j];

			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}
