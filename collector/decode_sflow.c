/* SPDX-License-Identifier: Apache-2.0 */
/* decode_sflow - see decode_sflow.h. */
#include "collector/decode_sflow.h"
#include "collector/decode_pkt.h"
#include "core/ew_err.h"
#include "core/ew_hash.h"

#include <stdlib.h>
#include <string.h>

struct agent {
	struct ew_addr addr;
	uint32_t sub_agent, seq_next;
	uint64_t last_seen;
	uint8_t used;
};

struct ew_sflow_session {
	struct agent *a;
	uint32_t max;
	struct ew_sflow_stats st;
};

struct cur {             /* a bounded reader */
	const uint8_t *p;
	size_t left;
	int bad;
};

static uint32_t u32(struct cur *c)
{
	uint32_t v;

	if (c->left < 4) {
		c->bad = 1;
		c->left = 0;
		return 0;
	}
	v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->left -= 4;
	return v;
}

static uint64_t u64(struct cur *c)
{
	uint64_t hi = u32(c);

	return hi << 32 | u32(c);
}

/* A sub-reader of n bytes (n checked against what is left). */
static struct cur sub(struct cur *c, uint32_t n)
{
	struct cur s = { c->p, n, 0 };

	if (n > c->left) {
		c->bad = 1;
		s.left = 0;
		s.bad = 1;
		c->left = 0;
		return s;
	}
	c->p += n;
	c->left -= n;
	return s;
}

struct ew_sflow_session *ew_sflow_new(uint32_t max_agents)
{
	struct ew_sflow_session *s = calloc(1, sizeof(*s));

	if (s == NULL || max_agents == 0) {
		free(s);
		return NULL;
	}
	s->a = calloc(max_agents, sizeof(*s->a));
	if (s->a == NULL) {
		free(s);
		return NULL;
	}
	s->max = max_agents;
	return s;
}

int ew_sflow_header_dlt(uint32_t header_protocol)
{
	switch (header_protocol) {
	case 1: return EW_DLT_EN10MB;
	case 11: return EW_DLT_IPV4;
	case 12: return EW_DLT_IPV6;
	default: return -1;
	}
}

void ew_sflow_free(struct ew_sflow_session *s)
{
	if (s == NULL)
		return;
	free(s->a);
	free(s);
}

/* Sequence numbers per (agent, sub-agent), in a seeded table where an agent has 4 places:
 * O(1) per datagram. When all 4 are taken by others the one heard from longest ago
 * makes room (counted as an eviction); its sequence tracking restarts rather than
 * reporting false gaps. */
static void sequence(struct ew_sflow_session *s, const struct ew_addr *addr, uint32_t sub_agent,
		     uint32_t seq, uint64_t now)
{
	uint64_t h = ew_hash_addr(addr, sub_agent);
	struct agent *a = NULL;

	/* 4 places: its own, a free one, or the one heard from longest ago */
	for (uint32_t k = 0; k < 4; k++) {
		struct agent *x = &s->a[(h + k) % s->max];

		if (!x->used || (x->sub_agent == sub_agent && ew_addr_eq(&x->addr, addr))) {
			a = x;
			break;
		}
		if (a == NULL || x->last_seen < a->last_seen)
			a = x;
	}
	if (a->used && a->sub_agent == sub_agent && ew_addr_eq(&a->addr, addr)) {
		if (seq != a->seq_next) {
			uint32_t gap = seq - a->seq_next;

			s->st.seq_gaps++;
			if (gap < 0x80000000u)
				s->st.lost_datagrams += gap;
		}
	} else {
		if (a->used)
			s->st.agents_evicted++;
		else
			s->st.agents++;
		a->used = 1;
		a->addr = *addr;
		a->sub_agent = sub_agent;
	}
	a->seq_next = seq + 1;
	a->last_seen = now;
}

/* The next of a sample's *left records: its format and a reader over its bytes.
 * Returns 0 at the end, including when the count promises more than the bytes hold
 * (every record needs 8 at least) or a record's length runs past the sample (counted). */
static int next_record(struct ew_sflow_session *s, struct cur *c, uint32_t *left,
		       const struct ew_sflow_cb *cb, uint32_t *fmt, struct cur *r)
{
	if (*left == 0 || c->bad || c->left < 8)
		return 0;
	(*left)--;
	*fmt = u32(c);
	*r = sub(c, u32(c));
	if (r->bad) {
		s->st.malformed++;
		return 0;
	}
	s->st.records++;
	if (cb->seen)
		cb->seen(cb->arg, 'R', *fmt);
	return 1;
}

static void flow_records(struct ew_sflow_session *s, struct cur *c, struct ew_sflow_sample *fs,
			 const struct ew_sflow_cb *cb)
{
	uint32_t n = u32(c), fmt;
	struct cur r;

	while (next_record(s, c, &n, cb, &fmt, &r)) {
		switch (fmt) {
		case 1: {                /* raw packet header */
			uint32_t hl;

			fs->header_protocol = u32(&r);
			fs->frame_len = u32(&r);
			u32(&r);             /* stripped */
			hl = u32(&r);
			if (r.bad || hl > r.left) {
				s->st.malformed++;
				break;
			}
			fs->header = r.p;
			fs->header_len = hl;
			fs->has_header = 1;
			break;
		}
		case 1001:               /* extended switch */
			fs->src_vlan = (uint16_t)(u32(&r) & 0x0fff);
			u32(&r);
			fs->dst_vlan = (uint16_t)(u32(&r) & 0x0fff);
			if (r.bad)
				s->st.malformed++;
			break;
		default:
			break;               /* others are skipped by their length */
		}
	}
}

static void counter_records(struct ew_sflow_session *s, struct cur *c, struct ew_sflow_counters *k,
			    const struct ew_sflow_cb *cb)
{
	uint32_t n = u32(c), fmt;
	struct cur r;

	while (next_record(s, c, &n, cb, &fmt, &r)) {
		uint32_t len = (uint32_t)r.left;

		if (fmt == 1 && len >= 88) {    /* generic interface counters */
			k->if_index = u32(&r);
			u32(&r);                 /* ifType */
			k->if_speed_bps = u64(&r);
			u32(&r);                 /* direction */
			u32(&r);                 /* status */
			k->in_octets = u64(&r);
			k->in_ucast = u32(&r);
			u32(&r);
			u32(&r);
			k->in_discards = u32(&r);
			k->in_errors = u32(&r);
			u32(&r);
			k->out_octets = u64(&r);
			k->out_ucast = u32(&r);
			u32(&r);
			u32(&r);
			k->out_discards = u32(&r);
			k->out_errors = u32(&r);
			k->has_generic = 1;
		} else if (fmt == 2 && len >= 52) {   /* Ethernet interface counters */
			k->align_errors = u32(&r);
			k->fcs_errors = u32(&r);
			k->has_ethernet = 1;
		}
	}
}

int ew_sflow_decode(struct ew_sflow_session *s, const uint8_t *d, size_t len, uint64_t now,
		    const struct ew_sflow_cb *cb)
{
	struct cur c = { d, len, 0 };
	struct ew_addr agent;
	uint32_t at, sub_agent, seq, n;

	if (u32(&c) != 5)
		return c.bad ? EW_E_TRUNC : EW_E_UNSUPPORTED;
	at = u32(&c);
	if (at == 1) {
		struct cur a = sub(&c, 4);

		if (a.bad)
			return EW_E_TRUNC;
		ew_addr_from_v4(&agent, a.p);
	} else if (at == 2) {
		struct cur a = sub(&c, 16);

		if (a.bad)
			return EW_E_TRUNC;
		ew_addr_from_v6(&agent, a.p);
	} else {
		s->st.malformed++;
		return c.bad ? EW_E_TRUNC : EW_E_MALFORMED;
	}
	sub_agent = u32(&c);
	seq = u32(&c);
	u32(&c);                         /* uptime */
	n = u32(&c);
	if (c.bad)
		return EW_E_TRUNC;
	s->st.datagrams++;
	sequence(s, &agent, sub_agent, seq, now);
	/* every sample needs 8 bytes at least: n is bounded by what is there */
	for (uint32_t i = 0; i < n && c.left >= 8; i++) {
		uint32_t fmt = u32(&c), slen = u32(&c);
		struct cur smp = sub(&c, slen);

		if (smp.bad) {
			s->st.malformed++;
			return EW_E_TRUNC;
		}
		if (cb->seen)
			cb->seen(cb->arg, 'S', fmt);
		if (fmt == 1 || fmt == 3) {          /* flow sample, expanded */
			struct ew_sflow_sample fs;

			memset(&fs, 0, sizeof(fs));
			fs.agent = agent;
			fs.sub_agent = sub_agent;
			fs.expanded = fmt == 3;
			u32(&smp);                   /* sequence */
			if (fmt == 1) {
				fs.source_id = u32(&smp) & 0x00ffffff;
			} else {
				u32(&smp);
				fs.source_id = u32(&smp);
			}
			fs.rate = u32(&smp);
			fs.pool = u32(&smp);
			fs.drops = u32(&smp);
			/* an interface is an ifIndex only in format 0; format 1 is a discard
			 * reason and 2 a count of output interfaces (sFlow v5, "interface" type) */
			if (fmt == 1) {
				uint32_t in = u32(&smp), out = u32(&smp);

				fs.in_if = in >> 30 ? 0 : in;
				fs.out_if = out >> 30 ? 0 : out;
			} else {
				uint32_t inf = u32(&smp), in = u32(&smp);
				uint32_t outf = u32(&smp), out = u32(&smp);

				fs.in_if = inf ? 0 : in;
				fs.out_if = outf ? 0 : out;
			}
			if (fs.rate == 0) {
				s->st.rate_zero++;
				fs.rate = 1;
			}
			flow_records(s, &smp, &fs, cb);
			if (smp.bad) {
				s->st.malformed++;
				continue;
			}
			s->st.flow_samples++;
			if (cb->sample)
				cb->sample(cb->arg, &fs);
		} else if (fmt == 2 || fmt == 4) {   /* counter sample, expanded */
			struct ew_sflow_counters k;

			memset(&k, 0, sizeof(k));
			k.agent = agent;
			k.sub_agent = sub_agent;
			u32(&smp);
			if (fmt == 2) {
				k.source_id = u32(&smp) & 0x00ffffff;
			} else {
				u32(&smp);
				k.source_id = u32(&smp);
			}
			counter_records(s, &smp, &k, cb);
			if (smp.bad) {
				s->st.malformed++;
				continue;
			}
			s->st.counter_samples++;
			if (cb->counters)
				cb->counters(cb->arg, &k);
		}
		/* other sample formats (e.g. discarded packets, 5) are skipped by length */
	}
	return EW_OK;
}

void ew_sflow_stats(const struct ew_sflow_session *s, struct ew_sflow_stats *out)
{
	*out = s->st;
}
