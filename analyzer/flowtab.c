/* SPDX-License-Identifier: Apache-2.0 */
/* flowtab - see flowtab.h. */
#include "analyzer/flowtab.h"
#include "core/ew_mem.h"
#include "core/ew_hash.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { L_SYN, L_TCP, L_CLOSED, L_UDP, L_OTHER, L_COUNT };

struct ft_list {
	uint32_t head, tail;
	uint64_t timeout;
};

struct ew_flowtab {
	struct ew_ft_entry *e;     /* e[1..max]; index 0 means "none" */
	/* Chains by hash, two buckets per live flow or more: the array starts small and
	 * grows (up to nb_max, two per flow the table may hold) with the flows, so that
	 * the buckets of the flows in use stay in the cache; while it grows, the chains of
	 * old[mig..omask] have not moved yet (see chain) and each new flow moves some. */
	uint32_t *bucket;
	uint32_t mask, nbuckets, nb_max;
	uint32_t *old;
	uint32_t omask, mig;
	int no_grow;               /* a bigger array could not be had: longer chains */
	uint32_t max, hwm, free_head;
	struct ft_list list[L_COUNT];
	uint64_t active;
	uint64_t seed;
	uint64_t *om;              /* initiators of flows that left the table (see remember) */
	uint32_t om_mask;
	ew_ft_end_fn on_end;
	void *arg;
	struct ew_flowtab_stats st;
};

uint32_t ew_ft_default_flows(void)
{
	long pages = sysconf(_SC_AVPHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t n;

	if (pages <= 0 || psz <= 0)
		return 1000000;
	/* a quarter of the memory available, at ~1 KB per flow under inspection */
	n = (uint64_t)pages * (uint64_t)psz / 4 / 1024;
	if (n < (1u << 18))
		n = 1u << 18;
	if (n > (1u << 24))
		n = 1u << 24;
	return (uint32_t)n;
}

void ew_ft_conf_default(struct ew_ft_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->max_flows = ew_ft_default_flows();
	c->tcp_idle_us = 300 * 1000000ULL;
	c->tcp_syn_us = 60 * 1000000ULL;
	c->tcp_closed_us = 10 * 1000000ULL;
	c->udp_idle_us = 60 * 1000000ULL;
	c->other_idle_us = 60 * 1000000ULL;
	c->active_us = 1800 * 1000000ULL;
}

int ew_port_rank(uint16_t port)
{
	static const uint16_t common[] = {
		1080, 1194, 1433, 1434, 1521, 1723, 1883, 2049, 2181, 2375, 2376, 2379, 2380,
		3128, 3268, 3269, 3306, 3389, 4369, 4789, 5000, 5044, 5060, 5061, 5222, 5432,
		5601, 5672, 5900, 5901, 5985, 5986, 6379, 6443, 6514, 7000, 7001, 7199, 8000,
		8080, 8081, 8088, 8443, 8500, 8883, 9000, 9042, 9090, 9092, 9093, 9100, 9200,
		9300, 9418, 10250, 11211, 15672, 27017, 27018,
	};

	size_t lo = 0, hi = sizeof(common) / sizeof(common[0]);

	if (port < 1024)
		return 2;
	while (lo < hi) {            /* common[] is sorted */
		size_t mid = (lo + hi) / 2;

		if (common[mid] == port)
			return 2;
		if (common[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return port >= 32768 ? 0 : 1;
}

struct ew_flowtab *ew_flowtab_new(const struct ew_ft_conf *c, ew_ft_end_fn on_end, void *arg)
{
	struct ew_flowtab *ft = calloc(1, sizeof(*ft));
	uint32_t nb = 1;

	if (ft == NULL || c->max_flows == 0 || c->max_flows > (1u << 30)) {
		free(ft);
		return NULL;
	}
	while (nb < c->max_flows)
		nb <<= 1;
	nb <<= 1;              /* two buckets per flow: short chains */
	ft->max = c->max_flows;
	ft->nb_max = nb;
	ft->nbuckets = nb < EW_FT_FIRST_BUCKETS ? nb : EW_FT_FIRST_BUCKETS;
	/* Zero-filled lazily by the kernel: only the entries used cost memory. */
	ft->e = ew_mem_huge(((size_t)c->max_flows + 1) * sizeof(*ft->e));
	ft->bucket = ew_mem_huge((size_t)ft->nbuckets * sizeof(*ft->bucket));
	ft->om_mask = nb / 16 < 4096 ? 4095 : (nb / 16 > (1u << 20) ? (1u << 20) : nb / 16) - 1;
	ft->om = ew_mem_huge(((size_t)ft->om_mask + 1) * sizeof(*ft->om));
	if (ft->e == NULL || ft->bucket == NULL || ft->om == NULL) {
		ew_flowtab_free(ft);
		return NULL;
	}
	ft->mask = ft->nbuckets - 1;
	ft->list[L_SYN].timeout = c->tcp_syn_us;
	ft->list[L_TCP].timeout = c->tcp_idle_us;
	ft->list[L_CLOSED].timeout = c->tcp_closed_us;
	ft->list[L_UDP].timeout = c->udp_idle_us;
	ft->list[L_OTHER].timeout = c->other_idle_us;
	ft->active = c->active_us;
	ft->seed = c->seed;
	if (ft->seed == 0)
		ft->seed = ew_hash_seed();
	ft->on_end = on_end;
	ft->arg = arg;
	return ft;
}

void ew_flowtab_free(struct ew_flowtab *ft)
{
	if (ft == NULL)
		return;
	ew_mem_huge_free(ft->e, ((size_t)ft->max + 1) * sizeof(*ft->e));
	ew_mem_huge_free(ft->bucket, (size_t)ft->nbuckets * sizeof(*ft->bucket));
	ew_mem_huge_free(ft->old, ((size_t)ft->omask + 1) * sizeof(*ft->old));
	ew_mem_huge_free(ft->om, ((size_t)ft->om_mask + 1) * sizeof(*ft->om));
	free(ft);
}

static inline uint64_t endpoint_hash(uint64_t seed, const struct ew_addr *a, uint16_t port)
{
	uint64_t lo, hi;

	memcpy(&hi, a->a, 8);
	memcpy(&lo, a->a + 8, 8);
	return ew_mix64((hi ^ seed) * 0x9e3779b97f4a7c15ULL + (lo ^ ((uint64_t)port << 48)));
}

/* The same value for both directions of a flow. */
static inline int is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

/* ICMP "ports" (request type, code) are the same in both directions. */
static inline uint32_t flow_hash(const struct ew_flowtab *ft, const struct ew_flow_pkt *p)
{
	uint64_t h;

	if (is_icmp(p->proto))
		h = (endpoint_hash(ft->seed, &p->src, 0) + endpoint_hash(ft->seed, &p->dst, 0)) ^
		    ((uint64_t)p->sport << 32 | (uint64_t)p->dport << 48);
	else
		h = endpoint_hash(ft->seed, &p->src, p->sport) +
		    endpoint_hash(ft->seed, &p->dst, p->dport);
	return (uint32_t)ew_mix64(h ^ ((uint64_t)p->proto << 16 | p->key_extra));
}

static void list_unlink(struct ew_flowtab *ft, uint32_t i)
{
	struct ew_ft_entry *x = &ft->e[i];
	struct ft_list *l = &ft->list[x->list];

	if (x->lprev)
		ft->e[x->lprev].lnext = x->lnext;
	else
		l->head = x->lnext;
	if (x->lnext)
		ft->e[x->lnext].lprev = x->lprev;
	else
		l->tail = x->lprev;
	x->lprev = x->lnext = 0;
}

static void list_append(struct ew_flowtab *ft, uint32_t i, uint8_t which)
{
	struct ew_ft_entry *x = &ft->e[i];
	struct ft_list *l = &ft->list[which];

	x->list = which;
	x->lnext = 0;
	x->lprev = l->tail;
	if (l->tail)
		ft->e[l->tail].lnext = i;
	else
		l->head = i;
	l->tail = i;
}

/* The chain of hash h: in the old array while its bucket there has not moved. */
static inline uint32_t *chain(struct ew_flowtab *ft, uint32_t h)
{
	if (ft->old != NULL && (h & ft->omask) >= ft->mig)
		return &ft->old[h & ft->omask];
	return &ft->bucket[h & ft->mask];
}

/* Move n chains of the old array into the new one; free it once all have moved. */
static void grow_step(struct ew_flowtab *ft, unsigned n)
{
	while (n-- > 0 && ft->old != NULL) {
		uint32_t i = ft->old[ft->mig];

		while (i != 0) {
			uint32_t next = ft->e[i].hnext, *b = &ft->bucket[ft->e[i].hash & ft->mask];

			ft->e[i].hnext = *b;
			*b = i;
			i = next;
		}
		if (ft->mig++ == ft->omask) {
			ew_mem_huge_free(ft->old, ((size_t)ft->omask + 1) * sizeof(*ft->old));
			ft->old = NULL;
			ft->mig = 0;
			return;
		}
	}
}

/* Before a flow is added: past one live flow per two buckets, start growing the array
 * sixteenfold. Each move of a flow costs two cache misses (its entry, its new bucket):
 * doubling moved every flow about twice, and a million new flows ran 7 - 33% slower
 * (12% at the median) than with the array at its largest from the start; growing sixteenfold moves a
 * million flows' table about 0.15 times a flow. Four chains move per new flow, so the
 * move ends long before the next growth is due. */
static void grow(struct ew_flowtab *ft)
{
	uint32_t *nb, n;

	if (ft->old != NULL) {
		grow_step(ft, 4);
		return;
	}
	if (ft->st.live < ft->nbuckets / 2 || ft->nbuckets >= ft->nb_max || ft->no_grow)
		return;
	n = ft->nb_max / 16 < ft->nbuckets ? ft->nb_max : ft->nbuckets * 16;
	nb = ew_mem_huge((size_t)n * sizeof(*nb));
	if (nb == NULL) {
		ft->no_grow = 1;
		return;
	}
	/* the new array is read (chain) before grow_step writes each bucket: a page read
	 * first maps the kernel's zero page, and the write after faults again and, in a
	 * process of several threads, flushes the page from every other CPU's TLB (an IPI
	 * each: 1.4% of two workers' samples with a million new flows). Made the
	 * process's at once, cleared as a fault would clear it. */
	ew_mem_populate(nb, (size_t)n * sizeof(*nb));
	ft->old = ft->bucket;
	ft->omask = ft->mask;
	ft->mig = 0;
	ft->bucket = nb;
	ft->nbuckets = n;
	ft->mask = n - 1;
	ft->st.resizes++;
	grow_step(ft, 4);
}

static void bucket_unlink(struct ew_flowtab *ft, uint32_t i)
{
	uint32_t *pp = chain(ft, ft->e[i].hash);

	while (*pp != 0 && *pp != i)
		pp = &ft->e[*pp].hnext;
	if (*pp == i)
		*pp = ft->e[i].hnext;
}

static uint8_t list_for(const struct ew_ft_entry *x);
static inline int is_icmp(uint8_t proto);

/* A flow's identity with its direction (initiator first), never 0. */
static uint64_t dir_key(uint64_t seed, const struct ew_addr *s, uint16_t sp,
			const struct ew_addr *d, uint16_t dp, uint8_t proto)
{
	uint64_t a = endpoint_hash(seed, s, sp), b = endpoint_hash(seed, d, dp);

	return ew_mix64(a ^ (b << 17 | b >> 47) ^ proto) | 1;
}

/* A flow whose initiator is known (a SYN, its payload) leaves the table while it may
 * still be going on (evicted from a full table, or idle past its timeout): remember who
 * started it, in a 4-way set-associative memory of max/8 slots (4,096 at least), so
 * that the flow picked up again
 * mid-stream is oriented as it was, not by its ports (a permitted flow judged backwards
 * is a false violation). */
static void remember(struct ew_flowtab *ft, const struct ew_ft_entry *x, int reason)
{
	if ((reason != EW_END_EVICTED && reason != EW_END_IDLE) || !x->orient_fixed ||
	    is_icmp(x->f.proto) || (x->f.proto == 6 && list_for(x) == L_CLOSED))
		return;
	uint64_t k = dir_key(ft->seed, &x->f.src, x->f.sport, &x->f.dst, x->f.dport, x->f.proto);
	uint64_t *set = &ft->om[x->hash & ft->om_mask & ~3u];

	for (int i = 0; i < 4; i++)
		if (set[i] == k || set[i] == 0) {
			set[i] = k;
			return;
		}
	set[k >> 62] = k;     /* a full set: one of the four, at random */
}

/* The remembered initiator of the flow of a packet from s to d: 1 if s, 2 if d, 0 if
 * not remembered. */
static int recall(const struct ew_flowtab *ft, uint32_t h, const struct ew_flow_pkt *p)
{
	const uint64_t *set = &ft->om[h & ft->om_mask & ~3u];
	uint64_t fwd, rev;

	if (!(set[0] | set[1] | set[2] | set[3]))
		return 0;
	fwd = dir_key(ft->seed, &p->src, p->sport, &p->dst, p->dport, p->proto);
	rev = dir_key(ft->seed, &p->dst, p->dport, &p->src, p->sport, p->proto);
	for (int i = 0; i < 4; i++) {
		if (set[i] == fwd)
			return 1;
		if (set[i] == rev)
			return 2;
	}
	return 0;
}

static void release(struct ew_flowtab *ft, uint32_t i, int reason)
{
	struct ew_ft_entry *x = &ft->e[i];

	remember(ft, x, reason);
	if (x->f.end_reason == EW_END_NONE)
		x->f.end_reason = (uint8_t)reason;
	if (ft->on_end)
		ft->on_end(ft->arg, x, 1);
	bucket_unlink(ft, i);
	list_unlink(ft, i);
	x->hnext = ft->free_head;   /* the free list reuses the chain link */
	x->list = 0xff;
	ft->free_head = i;
	ft->st.live--;
}

static uint32_t alloc_entry(struct ew_flowtab *ft)
{
	uint32_t i;

	if (ft->free_head) {
		i = ft->free_head;
		ft->free_head = ft->e[i].hnext;
		return i;
	}
	if (ft->hwm < ft->max)
		return ++ft->hwm;
	/* Full: closed flows go first, then half-open handshakes (a SYN flood evicts its
	 * own), then flows nobody answered (looked for near the idle end of each list),
	 * and only then the flow idle longest; so that a flood of new tuples cannot push
	 * out the established flows it shares the table with. */
	uint32_t victim = ft->list[L_CLOSED].head;

	if (victim == 0)
		victim = ft->list[L_SYN].head;
	for (int l = 0; victim == 0 && l < L_COUNT; l++) {
		uint32_t k = ft->list[l].head;

		for (int n = 0; k && n < 16; n++, k = ft->e[k].lnext)
			if (ft->e[k].f.pkts[1] == 0) {
				victim = k;
				break;
			}
	}
	for (int l = 0; victim == 0 && l < L_COUNT; l++) {
		uint32_t h = ft->list[l].head;

		if (h && (victim == 0 || ft->e[h].f.last_us < ft->e[victim].f.last_us))
			victim = h;
	}
	ft->st.evicted++;
	if (ft->e[victim].f.pkts[1] && list_for(&ft->e[victim]) != L_SYN &&
	    list_for(&ft->e[victim]) != L_CLOSED)
		ft->st.evicted_answered++;
	release(ft, victim, EW_END_EVICTED);
	i = ft->free_head;
	ft->free_head = ft->e[i].hnext;
	return i;
}

static uint8_t list_for(const struct ew_ft_entry *x)
{
	switch (x->f.proto) {
	case 6:
		if (x->tcp & EW_TCP_RST || (x->tcp & (EW_TCP_FIN_I | EW_TCP_FIN_R)) ==
		    (EW_TCP_FIN_I | EW_TCP_FIN_R))
			return L_CLOSED;
		if (x->tcp & EW_TCP_EST || !(x->tcp & (EW_TCP_SYN | EW_TCP_SYNACK)))
			return L_TCP;
		return L_SYN;
	case 17:
		return L_UDP;
	default:
		return L_OTHER;
	}
}

static void swap_orientation(struct ew_ft_entry *x)
{
	struct ew_addr a = x->f.src;
	uint16_t p = x->f.sport;
	uint32_t k;
	uint64_t b;
	uint8_t fl;

	x->f.src = x->f.dst;
	x->f.dst = a;
	x->f.sport = x->f.dport;
	x->f.dport = p;
	k = x->f.pkts[0]; x->f.pkts[0] = x->f.pkts[1]; x->f.pkts[1] = k;
	b = x->f.bytes[0]; x->f.bytes[0] = x->f.bytes[1]; x->f.bytes[1] = b;
	fl = x->f.tcp_flags[0]; x->f.tcp_flags[0] = x->f.tcp_flags[1]; x->f.tcp_flags[1] = fl;
}

int ew_flowtab_set_initiator(struct ew_ft_entry *e, int dir)
{
	uint8_t t = e->tcp;

	e->orient_fixed = 1;
	if (dir == 0)
		return 0;
	swap_orientation(e);
	e->tcp = (uint8_t)((t & ~(EW_TCP_FIN_I | EW_TCP_FIN_R)) |
			   ((t & EW_TCP_FIN_I) ? EW_TCP_FIN_R : 0) |
			   ((t & EW_TCP_FIN_R) ? EW_TCP_FIN_I : 0));
	return 1;
}

static void init_flow(struct ew_ft_entry *x, const struct ew_flow_pkt *p, uint64_t ts)
{
	int swap = 0;

	memset(x, 0, sizeof(*x));
	x->f.src = p->src;
	x->f.dst = p->dst;
	x->f.sport = p->sport;
	x->f.dport = p->dport;
	x->f.proto = p->proto;
	x->f.vlan = p->vlan;
	x->f.first_us = ts;
	x->f.sampling = 1;
	x->key_extra = p->key_extra;
	x->active_start = ts;
	if (p->proto == 6 && (p->tcp_flags & (EW_TH_SYN | EW_TH_RST)) == EW_TH_SYN) {
		swap = (p->tcp_flags & EW_TH_ACK) != 0;   /* SYN-ACK: receiver initiated */
		x->orient_fixed = 1;
	} else if (p->proto == 1 || p->proto == 58) {
		swap = p->icmp_reply;
		x->orient_fixed = 1;
	} else if (p->proto == 6 || p->proto == 17 || p->proto == 132 || p->proto == 136) {
		swap = ew_port_rank(p->sport) > ew_port_rank(p->dport);
	}
	if (swap) {
		x->f.src = p->dst;
		x->f.dst = p->src;
		if (!is_icmp(p->proto)) {
			x->f.sport = p->dport;
			x->f.dport = p->sport;
		}
	}
}

static void tcp_track(struct ew_ft_entry *x, int dir, uint8_t fl)
{
	if ((fl & (EW_TH_SYN | EW_TH_ACK)) == EW_TH_SYN && dir == 0)
		x->tcp |= EW_TCP_SYN;
	else if ((fl & (EW_TH_SYN | EW_TH_ACK)) == (EW_TH_SYN | EW_TH_ACK) && dir == 1)
		x->tcp |= EW_TCP_SYNACK;
	else if ((fl & EW_TH_ACK) && dir == 0 && (x->tcp & EW_TCP_SYNACK))
		x->tcp |= EW_TCP_EST;
	if (fl & EW_TH_FIN)
		x->tcp |= dir == 0 ? EW_TCP_FIN_I : EW_TCP_FIN_R;
	if (fl & EW_TH_RST)
		x->tcp |= EW_TCP_RST;
	if (!(x->tcp & EW_TCP_EST) && x->f.pkts[0] && x->f.pkts[1] &&
	    !(fl & (EW_TH_SYN | EW_TH_RST)) && !(x->tcp & EW_TCP_SYN))
		x->tcp |= EW_TCP_EST;   /* mid-stream flow with traffic both ways */
}

struct ew_ft_entry *ew_flowtab_packet(struct ew_flowtab *ft, const struct ew_flow_pkt *p,
				      uint64_t ts, int *dir, int *created)
{
	uint32_t h = flow_hash(ft, p);
	uint32_t i = *chain(ft, h);
	struct ew_ft_entry *x = NULL;
	int d = 0;

	for (; i != 0; i = ft->e[i].hnext) {
		struct ew_ft_entry *c = &ft->e[i];

		if (c->hash != h || c->f.proto != p->proto || c->key_extra != p->key_extra)
			continue;
		if (c->f.sport == p->sport && c->f.dport == p->dport &&
		    ew_addr_eq(&c->f.src, &p->src) && ew_addr_eq(&c->f.dst, &p->dst)) {
			x = c;
			d = 0;
			break;
		}
		if (is_icmp(p->proto) ? c->f.sport == p->sport && c->f.dport == p->dport
				      : c->f.sport == p->dport && c->f.dport == p->sport) {
			if (!ew_addr_eq(&c->f.src, &p->dst) || !ew_addr_eq(&c->f.dst, &p->src))
				continue;
			x = c;
			d = 1;
			break;
		}
	}
	*created = 0;
	if (x == NULL) {
		/* the initiators' memory is looked at for every new flow and written as flows
		 * end, at random: read first. Made the table's at its first flow (a table
		 * that never holds one, the owner's with workers, costs nothing). */
		if (ft->st.created == 0)
			ew_mem_populate(ft->om, ((size_t)ft->om_mask + 1) * sizeof(*ft->om));
		grow(ft);
		i = alloc_entry(ft);
		x = &ft->e[i];
		init_flow(x, p, ts);
		x->hash = h;
		if (!x->orient_fixed && !is_icmp(p->proto)) {
			int who = recall(ft, h, p);

			if (who) {
				if ((who == 1) != (ew_addr_eq(&x->f.src, &p->src) && x->f.sport == p->sport))
					swap_orientation(x);
				x->orient_fixed = 1;
				ft->st.remembered++;
			}
		}
		x->hnext = *chain(ft, h);
		*chain(ft, h) = i;
		d = ew_addr_eq(&x->f.src, &p->src) && x->f.sport == p->sport ? 0 : 1;
		if (ew_addr_eq(&x->f.src, &x->f.dst) && x->f.sport == x->f.dport)
			d = 0;
		if (is_icmp(p->proto))
			d = ew_addr_eq(&x->f.src, &p->src) ? 0 : 1;
		ft->st.created++;
		if (++ft->st.live > ft->st.peak)
			ft->st.peak = ft->st.live;
		*created = 1;
	} else {
		/* A SYN from the side we took for the responder: we joined mid-stream
		 * or guessed from ports; the SYN settles it. */
		if (p->proto == 6 && d == 1 && !x->orient_fixed &&
		    (p->tcp_flags & (EW_TH_SYN | EW_TH_ACK | EW_TH_RST)) == EW_TH_SYN) {
			swap_orientation(x);
			d = 0;
		}
		if (p->proto == 6 && (p->tcp_flags & EW_TH_SYN))
			x->orient_fixed = 1;
		if (ft->active && ts >= x->active_start + ft->active) {
			ft->st.active_reports++;
			x->f.end_reason = EW_END_ACTIVE;
			if (ft->on_end)
				ft->on_end(ft->arg, x, 0);
			x->f.end_reason = EW_END_NONE;
			memset(x->f.pkts, 0, sizeof(x->f.pkts));
			memset(x->f.bytes, 0, sizeof(x->f.bytes));
			x->f.first_us = ts;
			x->active_start = ts;
		}
		i = (uint32_t)(x - ft->e);
		list_unlink(ft, i);
	}
	{
		uint32_t w = p->weight ? p->weight : 1;   /* sampled packets stand for more */

		x->f.pkts[d] += w;
		x->f.bytes[d] += (uint64_t)p->ip_len * w;
		if (w > x->f.sampling)
			x->f.sampling = w;
	}
	x->f.tcp_flags[d] |= p->tcp_flags;
	if (ts > x->f.last_us)
		x->f.last_us = ts;
	if (p->proto == 6)
		tcp_track(x, d, p->tcp_flags);
	list_append(ft, i, list_for(x));
	*dir = d;
	return x;
}

void ew_flowtab_expire(struct ew_flowtab *ft, uint64_t now)
{
	for (int l = 0; l < L_COUNT; l++) {
		struct ft_list *li = &ft->list[l];

		while (li->head && ft->e[li->head].f.last_us + li->timeout <= now) {
			struct ew_ft_entry *x = &ft->e[li->head];
			int reason = EW_END_IDLE;

			if (x->tcp & EW_TCP_RST)
				reason = EW_END_RST;
			else if ((x->tcp & (EW_TCP_FIN_I | EW_TCP_FIN_R)) ==
				 (EW_TCP_FIN_I | EW_TCP_FIN_R))
				reason = EW_END_FIN;
			ft->st.expired++;
			/* the next to go: its remembered-initiator set (remember(), a random
			 * line of up to 8 MB) fetched while this one ends: one worker judged
			 * nDPI's mix, where most flows end idle, 0.3 - 1.7% faster (4 pairs) */
			if (x->lnext) {
				const struct ew_ft_entry *y = &ft->e[x->lnext];

				__builtin_prefetch(&ft->om[y->hash & ft->om_mask & ~3u], 1);
			}
			release(ft, li->head, reason);
		}
	}
}

uint64_t ew_flowtab_next_due(const struct ew_flowtab *ft)
{
	uint64_t due = UINT64_MAX;

	for (int l = 0; l < L_COUNT; l++)
		if (ft->list[l].head && ft->e[ft->list[l].head].f.last_us + ft->list[l].timeout < due)
			due = ft->e[ft->list[l].head].f.last_us + ft->list[l].timeout;
	return due;
}

void ew_flowtab_flush(struct ew_flowtab *ft, int reason)
{
	/* Every flow closes: report each, then empty the table at once instead of
	 * unlinking entry by entry. */
	for (int l = 0; l < L_COUNT; l++) {
		for (uint32_t i = ft->list[l].head; i != 0; i = ft->e[i].lnext) {
			struct ew_ft_entry *x = &ft->e[i];

			if (x->f.end_reason == EW_END_NONE)
				x->f.end_reason = (uint8_t)reason;
			if (ft->on_end)
				ft->on_end(ft->arg, x, 1);
		}
		ft->list[l].head = ft->list[l].tail = 0;
	}
	memset(ft->bucket, 0, (size_t)ft->nbuckets * sizeof(*ft->bucket));
	ew_mem_huge_free(ft->old, ((size_t)ft->omask + 1) * sizeof(*ft->old));
	ft->old = NULL;
	ft->mig = 0;
	ft->hwm = 0;
	ft->free_head = 0;
	ft->st.live = 0;
}

void ew_flowtab_stats(const struct ew_flowtab *ft, struct ew_flowtab_stats *out)
{
	*out = ft->st;
	out->buckets = ft->nbuckets;
}
