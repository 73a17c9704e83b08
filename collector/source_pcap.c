/* SPDX-License-Identifier: Apache-2.0 */
/* source_pcap - libpcap sources: capture files ("pcap") and live interfaces ("iface").
 *
 * Files (pcap and pcapng) are read to the end in ->run; a pcapng file that libpcap 1.10
 * refuses part-way (interfaces of different link types or snapshot lengths) is read
 * again from the start by decode_pcapng.c, past the packets already delivered, each
 * packet with its own interface's link type. Interfaces are opened promiscuous unless
 * told otherwise, non-blocking, and without immediate mode: libpcap then uses
 * TPACKET_V3, whose ring holds frames packed in blocks that the kernel hands over when
 * full or block_ms (EW_PCAP_BLOCK_MS unless the source says) after their first frame,
 * so the event loop wakes once per block (not once per frame, as immediate mode's
 * TPACKET_V2 did) and reads whole blocks; a frame waits at most that long before it is
 * judged, and the daemon's deadlines lag by as much (ew_sourceset_lag_us). */
#include "collector/decode_pcapng.h"
#include "collector/decode_pkt.h"
#include "collector/fanout.h"
#include "collector/source.h"
#include "core/ew_flow.h"

#include "core/ew_log.h"
#include "core/ew_time.h"

#include <event2/event.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* live: a block is handed over this long after its first frame unless the source's
 * block_ms says otherwise. A wake costs this VM 35 - 60 us of CPU whatever it brings, so
 * at low rates the wakes are the cost of a packet: at 25 kpps, 5 ms blocks cost about
 * twice what 20 ms ones do, and past 20 ms nothing more is won (docs/performance.md).
 * The daemon's clock runs this far behind (ew_sourceset_lag_us): an alert leaves at most
 * this much later than it would without blocks. */
#define EW_PCAP_BLOCK_MS 20

const struct ew_source_ops ew_source_pcap_ops;
const struct ew_source_ops ew_source_iface_ops;

#define EW_PCAP_LANES 32

struct pcap_src {
	pcap_t *p;
	struct pcap_src *lane[EW_PCAP_LANES];   /* split over workers: a handle each */
	unsigned nlanes;
	int live;                    /* a live handle (kernel drops to read) */
	/* A lane: its counters (kernel drops included) as its worker last published them,
	 * for the daemon's thread, which never touches the handle itself. */
	int is_lane;
	pthread_mutex_t mu;
	struct ew_source_stats snap;
	uint64_t snap_us;
	struct event *ev;
	struct ew_source_out out;
	struct ew_source_stats st;
	struct ew_raw_pkt rp;
	volatile int *stop;
	char *filter;                /* files: the BPF filter, for the pcapng fallback */
	char name[256];
};

static void deliver(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct pcap_src *s = (struct pcap_src *)arg;

	/* A pcap file's seconds are unsigned 32 bits, which libpcap hands over as a signed
	 * int: a time past 2038-01-19 comes negative (a huge time, its alerts stamped past
	 * the year 9999). No capture's time is before 1970, so a negative one is that. */
	uint64_t secs = h->ts.tv_sec < 0 ? (uint64_t)(uint32_t)h->ts.tv_sec : (uint64_t)h->ts.tv_sec;

	s->rp.ts_us = secs * 1000000u + (uint64_t)h->ts.tv_usec;
	s->rp.data = data;
	s->rp.caplen = h->caplen;
	s->rp.len = h->len;
	s->st.packets++;
	s->st.bytes += h->len;
	s->out.packet(s->out.arg, &s->rp);
}

static int set_filter(struct pcap_src *s, const char *filter, struct ew_err *err)
{
	struct bpf_program prog;

	if (filter == NULL || filter[0] == '\0')
		return EW_OK;
	if (pcap_compile(s->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0)
		return ew_err_set(err, "%s: bad filter \"%s\": %s", s->name, filter,
				  pcap_geterr(s->p));
	if (pcap_setfilter(s->p, &prog) != 0) {
		pcap_freecode(&prog);
		return ew_err_set(err, "%s: cannot set filter: %s", s->name, pcap_geterr(s->p));
	}
	pcap_freecode(&prog);
	return EW_OK;
}

static struct pcap_src *src_new(const struct ew_source_conf *c, const struct ew_source_out *out,
				uint8_t kind)
{
	struct pcap_src *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->out = *out;
	s->stop = c->stop;
	s->rp.source_id = c->id;
	s->rp.source_kind = kind;
	snprintf(s->name, sizeof(s->name), "%s", c->target);
	return s;
}

static void src_close(void *st)
{
	struct pcap_src *s = st;

	if (s == NULL)
		return;
	if (s->ev)
		event_free(s->ev);
	for (unsigned i = 0; i < s->nlanes; i++)
		src_close(s->lane[i]);
	if (s->is_lane)
		pthread_mutex_destroy(&s->mu);
	if (s->p)
		pcap_close(s->p);
	free(s->filter);
	free(s);
}

static int file_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		     const struct ew_source_out *out, struct ew_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_src *s = src_new(c, out, ew_source_kind("pcap"));

	if (s == NULL)
		return ew_err_set(err, "%s: out of memory", c->target);
	s->p = pcap_open_offline_with_tstamp_precision(c->target, PCAP_TSTAMP_PRECISION_MICRO,
						       ebuf);
	if (s->p == NULL) {
		ew_err_set(err, "%s: cannot read capture: %s", c->target, ebuf);
		free(s);
		return EW_E_IO;
	}
	s->rp.dlt = pcap_datalink(s->p);
	if (!ew_pkt_dlt_supported(s->rp.dlt)) {
		/* every packet would be "unsupported": say so instead of reading nothing */
		ew_err_set(err, "%s: cannot read capture: link type %s (%d) is not supported "
			   "(Ethernet, Linux cooked v1/v2, BSD loopback and raw IP are)", c->target,
			   pcap_datalink_val_to_name(s->rp.dlt) ? pcap_datalink_val_to_name(s->rp.dlt)
								: "unknown", s->rp.dlt);
		src_close(s);
		return EW_E_INVAL;
	}
	if (set_filter(s, c->filter, err) != EW_OK) {
		src_close(s);
		return EW_E_INVAL;
	}
	if (c->filter && c->filter[0] && (s->filter = strdup(c->filter)) == NULL) {
		src_close(s);
		return ew_err_set(err, "%s: out of memory", c->target);
	}
	*st = s;
	return EW_OK;
}

/* A BPF program for each link type the pcapng fallback meets (compiled on a dead
 * handle, applied with pcap_offline_filter). */
struct ng_filter {
	int dlt;
	int ok;
	struct bpf_program prog;
};

static int ng_pass(struct pcap_src *s, struct ng_filter *f, int *nf, const struct ew_pcapng_pkt *k,
		   struct ew_err *err)
{
	struct pcap_pkthdr h;
	int i;

	if (s->filter == NULL)
		return 1;
	for (i = 0; i < *nf && f[i].dlt != k->dlt; i++)
		;
	if (i == *nf) {
		pcap_t *dead;

		if (*nf == 16)
			return 1;
		dead = pcap_open_dead(k->dlt, 262144);
		f[i].dlt = k->dlt;
		f[i].ok = dead && pcap_compile(dead, &f[i].prog, s->filter, 1,
					       PCAP_NETMASK_UNKNOWN) == 0;
		if (!f[i].ok)
			ew_err_set(err, "%s: filter \"%s\" cannot apply to link type %d", s->name,
				   s->filter, k->dlt);
		if (dead)
			pcap_close(dead);
		(*nf)++;
	}
	if (!f[i].ok)
		return -1;
	h.caplen = k->caplen;
	h.len = k->len;
	return pcap_offline_filter(&f[i].prog, &h, k->data) != 0;
}

/* Read s's file with decode_pcapng.c from the start, delivering what comes after the
 * first `skip` packets (those libpcap delivered). */
static int pcapng_fallback(struct pcap_src *s, uint64_t skip, struct ew_err *err)
{
	FILE *f = fopen(s->name, "rb");
	struct ew_pcapng *r = calloc(1, sizeof(*r));
	uint8_t *blk = NULL;
	uint32_t cap = 0;
	uint64_t seen = 0, last_ts = 0;
	struct ng_filter flt[16];
	int nf = 0, rc = EW_OK;
	uint8_t hdr[12];

	if (f == NULL || r == NULL) {
		rc = ew_err_set(err, "%s: cannot read it again: out of memory or gone", s->name);
		goto out;
	}
	while (fread(hdr, 1, 12, f) == 12) {
		uint32_t len = ew_pcapng_block_len(r, hdr);
		struct ew_pcapng_pkt k;
		int got;

		if (s->stop && *s->stop)
			break;
		if (len == 0 || len > (64u << 20)) {
			rc = ew_err_set(err, "%s: malformed pcapng block at byte %ld", s->name,
					ftell(f) - 12);
			break;
		}
		if (len > cap) {
			uint8_t *nb = realloc(blk, len);

			if (nb == NULL) {
				rc = ew_err_set(err, "%s: out of memory", s->name);
				break;
			}
			blk = nb;
			cap = len;
		}
		memcpy(blk, hdr, 12);
		if (fread(blk + 12, 1, len - 12, f) != len - 12)
			break;                       /* a block cut short: the end of the file */
		got = ew_pcapng_block(r, blk, len, &k);
		if (got < 0) {
			s->st.errors++;
			continue;
		}
		if (got == 0 || seen++ < skip)
			continue;
		if (k.ts_us == 0)
			k.ts_us = last_ts;              /* a simple packet block has no time */
		last_ts = k.ts_us;
		got = ng_pass(s, flt, &nf, &k, err);
		if (got < 0) {
			rc = EW_E_INVAL;
			break;
		}
		if (!got)
			continue;
		s->rp.dlt = k.dlt;
		s->rp.ts_us = k.ts_us;
		s->rp.data = k.data;
		s->rp.caplen = k.caplen;
		s->rp.len = k.len;
		s->st.packets++;
		s->st.bytes += k.len;
		s->out.packet(s->out.arg, &s->rp);
	}
	for (int i = 0; i < nf; i++)
		if (flt[i].ok)
			pcap_freecode(&flt[i].prog);
out:
	if (f)
		fclose(f);
	free(r);
	free(blk);
	return rc;
}

/* The file starts as pcapng does (a section header block). */
static int is_pcapng(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t m[4] = { 0 };
	int yes;

	if (f == NULL)
		return 0;
	yes = fread(m, 1, 4, f) == 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
	fclose(f);
	return yes;
}

static int file_run(void *st, struct ew_err *err)
{
	struct pcap_src *s = st;
	int rc;

	for (;;) {
		if (s->stop && *s->stop)
			return EW_OK;
		rc = pcap_dispatch(s->p, 4096, deliver, (u_char *)s);
		if (rc == 0)
			return EW_OK;                /* end of file */
		if (rc == PCAP_ERROR_BREAK)
			return EW_OK;
		if (rc < 0) {
			ew_err_set(err, "%s: %s", s->name, pcap_geterr(s->p));
			if (is_pcapng(s->name)) {
				/* libpcap 1.10 stops at an interface unlike the first */
				ew_warn("%s: libpcap stopped (%s); reading on with eastwatch's own "
					"pcapng reader", s->name, pcap_geterr(s->p));
				return pcapng_fallback(s, s->st.packets, err);
			}
			s->st.errors++;
			return EW_E_IO;
		}
	}
}

static void src_stats(void *st, struct ew_source_stats *out)
{
	struct pcap_src *s = st;
	struct pcap_stat ps;

	if (s->is_lane) {
		pthread_mutex_lock(&s->mu);
		*out = s->snap;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	*out = s->st;
	if (s->live && pcap_stats(s->p, &ps) == 0)
		out->kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pcap_src *s = arg;
	int rc = pcap_dispatch(s->p, -1, deliver, (u_char *)s);   /* every block handed over */

	if (rc < 0 && rc != PCAP_ERROR_BREAK)
		s->st.errors++;
}

/* s->p on interface c->target, activated, filtered and non-blocking; ring of buffer_mb. */
static int iface_handle(struct pcap_src *s, const struct ew_source_conf *c, int buffer_mb,
			struct ew_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	s->p = pcap_create(c->target, ebuf);
	if (s->p == NULL)
		return ew_err_set(err, "%s: cannot open interface: %s", c->target, ebuf);
	pcap_set_snaplen(s->p, c->snaplen > 0 ? c->snaplen : 65535);
	pcap_set_promisc(s->p, c->promisc);
	pcap_set_immediate_mode(s->p, 0);
	pcap_set_timeout(s->p, ew_source_block_ms(&ew_source_iface_ops, c));
	pcap_set_buffer_size(s->p, buffer_mb * 1024 * 1024);
	rc = pcap_activate(s->p);
	s->live = rc >= 0;
	if (rc < 0)
		return ew_err_set(err, "%s: cannot capture: %s", c->target,
				  rc == PCAP_ERROR ? pcap_geterr(s->p) : pcap_statustostr(rc));
	s->rp.dlt = pcap_datalink(s->p);
	if (set_filter(s, c->filter, err) != EW_OK)
		return EW_E_INVAL;
	if (pcap_setnonblock(s->p, 1, ebuf) != 0)
		return ew_err_set(err, "%s: %s", c->target, ebuf);
	return EW_OK;
}

/* Split c->target over c->lanes handles in one fanout group (fanout.c); with
 * no fanout, one handle takes everything (lane 0). */
static int iface_lanes(struct pcap_src *s, const struct ew_source_conf *c, struct ew_err *err)
{
	unsigned n = c->lanes < EW_PCAP_LANES ? c->lanes : EW_PCAP_LANES;
	/* TPACKET_V3 packs frames by size: 64 MB in all (at least 16 MB a worker) */
	int mb = c->buffer_mb > 0 ? c->buffer_mb : (64 / (int)n < 16 ? 16 : 64 / (int)n);
	int group = -1;

	for (unsigned i = 0; i < n; i++) {
		struct pcap_src *l = src_new(c, &c->lane_out[i], s->rp.source_kind);

		if (l == NULL)
			return ew_err_set(err, "%s: out of memory", c->target);
		s->lane[s->nlanes++] = l;
		l->is_lane = 1;
		pthread_mutex_init(&l->mu, NULL);
		if (iface_handle(l, c, mb, err) != EW_OK)
			return EW_E_IO;
		if (ew_fanout_join(pcap_fileno(l->p), &group, err) != EW_OK) {
			if (i > 0) {                 /* the workers so far share it */
				src_close(s->lane[--s->nlanes]);
				ew_warn("%s: %s; %u workers capture", c->target, err->msg, i);
			} else {
				ew_warn("%s: %s; one worker captures everything", c->target,
					err->msg);
			}
			return EW_OK;
		}
	}
	ew_info("%s: %u workers in fanout group %d (by the flow's two addresses)", c->target,
		s->nlanes, group);
	return EW_OK;
}

static int iface_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		      const struct ew_source_out *out, struct ew_err *err)
{
	struct pcap_src *s = src_new(c, out, ew_source_kind("iface"));
	int fd;

	if (s == NULL)
		return ew_err_set(err, "%s: out of memory", c->target);
	if (c->lanes > 1) {
		if (iface_lanes(s, c, err) != EW_OK) {
			src_close(s);
			return EW_E_IO;
		}
		*st = s;
		return EW_OK;
	}
	/* TPACKET_V3 packs frames in the ring's blocks by their size: 64 MB hold tens of
	 * thousands of frames (a stall of a few hundred ms at 100 kpps), unless buffer_mb
	 * says otherwise. */
	if (iface_handle(s, c, c->buffer_mb > 0 ? c->buffer_mb : 64, err) != EW_OK) {
		src_close(s);
		return EW_E_IO;
	}
	fd = pcap_get_selectable_fd(s->p);
	if (fd < 0) {
		ew_err_set(err, "%s: no selectable descriptor", c->target);
		src_close(s);
		return EW_E_IO;
	}
	s->ev = event_new(eb, fd, EV_READ | EV_PERSIST, on_readable, s);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
		ew_err_set(err, "%s: cannot register with the event loop", c->target);
		src_close(s);
		return EW_E_IO;
	}
	*st = s;
	return EW_OK;
}

static unsigned lanes(void *st)
{
	return ((struct pcap_src *)st)->nlanes;
}

static int lane_fd(void *st, unsigned i)
{
	return pcap_get_selectable_fd(((struct pcap_src *)st)->lane[i]->p);
}

/* Worker i reads its handle and publishes its counters after each read (the kernel's
 * drops read every 100 ms at most: a system call). */
static int lane_read(void *st, unsigned i)
{
	struct pcap_src *l = ((struct pcap_src *)st)->lane[i];
	int rc = pcap_dispatch(l->p, -1, deliver, (u_char *)l);
	uint64_t now = ew_time_mono_us();

	if (rc < 0 && rc != PCAP_ERROR_BREAK)
		l->st.errors++;
	if (now >= l->snap_us + 100000) {
		struct pcap_stat ps;

		l->snap_us = now;
		if (pcap_stats(l->p, &ps) == 0)
			l->st.kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
	}
	pthread_mutex_lock(&l->mu);
	l->snap = l->st;
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static void lane_stats(void *st, unsigned i, struct ew_source_stats *out)
{
	src_stats(((struct pcap_src *)st)->lane[i], out);
}

/* A split source's counters: its lanes' summed. */
static void iface_stats(void *st, struct ew_source_stats *out)
{
	struct pcap_src *s = st;

	if (s->nlanes == 0) {
		src_stats(s, out);
		return;
	}
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < s->nlanes; i++) {
		struct ew_source_stats l;

		src_stats(s->lane[i], &l);
		out->packets += l.packets;
		out->bytes += l.bytes;
		out->kernel_drops += l.kernel_drops;
		out->errors += l.errors;
	}
}

static const char *const pcap_keys[] = { "filter", "snaplen", NULL };
static const char *const iface_keys[] = { "filter", "promisc", "buffer_mb", "snaplen", "block_ms",
					   NULL };

const struct ew_source_ops ew_source_pcap_ops = {
	.name = "pcap", .observer = { "pcap" }, .target_key = "path", .keys = pcap_keys,
	.open = file_open, .run = file_run, .stats = src_stats, .close = src_close,
};

const struct ew_source_ops ew_source_iface_ops = {
	.name = "iface", .observer = { "iface" }, .target_key = "interface", .keys = iface_keys,
	.open = iface_open, .run = NULL, .stats = iface_stats, .close = src_close,
	.lanes = lanes, .lane_fd = lane_fd, .lane_read = lane_read, .lane_stats = lane_stats,
	.block_ms = EW_PCAP_BLOCK_MS,
};
