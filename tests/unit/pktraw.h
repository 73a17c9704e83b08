/* SPDX-License-Identifier: Apache-2.0 */
/* pktraw - a frame built with pktbuild.h as a source hands it on: Ethernet, captured
 * whole at ts, from an interface. */
#ifndef EW_TEST_PKTRAW_H
#define EW_TEST_PKTRAW_H

#include "collector/decode_pkt.h"
#include "collector/source.h"
#include "pktbuild.h"

/* Finishes p (pb_done); the packet refers to p's bytes. */
static inline struct ew_raw_pkt pb_raw(struct pb *p, uint64_t ts)
{
	struct ew_raw_pkt rp = { 0 };

	pb_done(p);
	rp.ts_us = ts;
	rp.data = p->b;
	rp.caplen = rp.len = (uint32_t)p->n;
	rp.dlt = EW_DLT_EN10MB;
	rp.source_kind = ew_source_kind("iface");
	return rp;
}

#endif
