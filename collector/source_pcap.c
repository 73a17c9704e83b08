/* SPDX-License-Identifier: Apache-2.0 */
/* source_pcap - libpcap sources: capture files ("pcap") and live interfaces ("iface").
 *
 * Files (pcap and pcapng) are read to the end in ->run. Interfaces are opened in
 * immediate mode, promiscuous unless told otherwise, non-blocking, and read from the
 * event loop in batches of up to EW_PCAP_BATCH frames per wake-up. */
#include "collector/source.h"
#include "core/ew_flow.h"

#include <event2/event.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EW_PCAP_BATCH 512

const struct ew_source_ops ew_source_pcap_ops;
const struct ew_source_ops ew_source_iface_ops;

struct pcap_src {
	pcap_t *p;
	struct event *ev;
	struct ew_source_out out;
	struct ew_source_stats st;
	struct ew_raw_pkt rp;
	volatile int *stop;
	char name[256];
};

static void deliver(u_char *arg, const struct pcap_pkthdr *h, const u_char *data)
{
	struct pcap_src *s = (struct pcap_src *)arg;

	s->rp.ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
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
	if (s->p)
		pcap_close(s->p);
	free(s);
}

static int file_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		     const struct ew_source_out *out, struct ew_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_src *s = src_new(c, out, EW_SRC_PCAP);

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
	if (set_filter(s, c->filter, err) != EW_OK) {
		src_close(s);
		return EW_E_INVAL;
	}
	*st = s;
	return EW_OK;
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
			s->st.errors++;
			ew_err_set(err, "%s: %s", s->name, pcap_geterr(s->p));
			return EW_E_IO;
		}
	}
}

static void src_stats(void *st, struct ew_source_stats *out)
{
	struct pcap_src *s = st;
	struct pcap_stat ps;

	*out = s->st;
	if (s->ev != NULL && pcap_stats(s->p, &ps) == 0)
		out->kernel_drops = (uint64_t)ps.ps_drop + ps.ps_ifdrop;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct pcap_src *s = arg;
	int rc = pcap_dispatch(s->p, EW_PCAP_BATCH, deliver, (u_char *)s);

	if (rc < 0 && rc != PCAP_ERROR_BREAK)
		s->st.errors++;
}

static int iface_open(void **st, const struct ew_source_conf *c, struct event_base *eb,
		      const struct ew_source_out *out, struct ew_err *err)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_src *s = src_new(c, out, EW_SRC_IFACE);
	int rc, fd;

	if (s == NULL)
		return ew_err_set(err, "%s: out of memory", c->target);
	s->p = pcap_create(c->target, ebuf);
	if (s->p == NULL) {
		ew_err_set(err, "%s: cannot open interface: %s", c->target, ebuf);
		free(s);
		return EW_E_IO;
	}
	pcap_set_snaplen(s->p, c->snaplen > 0 ? c->snaplen : 65535);
	pcap_set_promisc(s->p, c->promisc);
	pcap_set_immediate_mode(s->p, 1);
	pcap_set_timeout(s->p, 100);
	/* Immediate mode makes libpcap use TPACKET_V2, where every ring slot is snaplen
	 * bytes: libpcap's 2 MB default holds ~30 packets and a burst (an nmap scan) is
	 * dropped. 64 MB (~1000 slots at 64 KiB) unless buffer_mb says otherwise. */
	pcap_set_buffer_size(s->p, (c->buffer_mb > 0 ? c->buffer_mb : 64) * 1024 * 1024);
	rc = pcap_activate(s->p);
	if (rc < 0) {
		ew_err_set(err, "%s: cannot capture: %s", c->target,
			   rc == PCAP_ERROR ? pcap_geterr(s->p) : pcap_statustostr(rc));
		src_close(s);
		return EW_E_IO;
	}
	s->rp.dlt = pcap_datalink(s->p);
	if (set_filter(s, c->filter, err) != EW_OK || pcap_setnonblock(s->p, 1, ebuf) != 0) {
		if (ebuf[0])
			ew_err_set(err, "%s: %s", c->target, ebuf);
		src_close(s);
		return EW_E_INVAL;
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

const struct ew_source_ops ew_source_pcap_ops = {
	.name = "pcap", .open = file_open, .run = file_run, .stats = src_stats,
	.close = src_close,
};

const struct ew_source_ops ew_source_iface_ops = {
	.name = "iface", .open = iface_open, .run = NULL, .stats = src_stats,
	.close = src_close,
};

extern const struct ew_source_ops ew_source_ipfix_ops, ew_source_sflow_ops;

static const struct ew_source_ops *const sources[] = {
	&ew_source_pcap_ops, &ew_source_iface_ops, &ew_source_ipfix_ops, &ew_source_sflow_ops,
};

const struct ew_source_ops *ew_source_find(const char *name)
{
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		if (strcmp(sources[i]->name, name) == 0)
			return sources[i];
	return NULL;
}
