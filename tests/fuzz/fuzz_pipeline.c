/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pipeline - libFuzzer target for the whole packet path: decode, fragments, flow
 * table, nDPI, verdicts, throttle and alert formatting. Input: a sequence of frames,
 * each as a 2-byte big-endian length and the Ethernet frame; timestamps advance 100 ms
 * per frame so that timeouts and the judgement deadline fire. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/pipeline.h"

static const char policy[] =
	"groups:\n"
	"  web: { members: [198.18.1.0/24, \"fd18::1:0/112\", 10.0.0.0/8] }\n"
	"  db: { members: [198.18.3.10, 198.18.3.11, 172.16.0.0/12], intra: allow }\n"
	"allow:\n"
	"  - { name: web-db, from: web, to: db, services: [tcp/5432, udp/53], apps: [PostgreSQL, DNS] }\n"
	"deny:\n"
	"  - { name: ssh, from: any, to: any, apps: [SSH], severity: critical }\n"
	"default: { action: deny, severity: high }\n";

static struct ew_classify *cls;
static struct ew_policy *pol;
static struct ew_pipeline_conf pc0;
static struct ew_conf *sc;            /* the sink's mapping, parsed once */
static struct ew_sinkset *sinks;   /* made once: the defaults cost a tenth of an input */

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_pipeline_conf pc;
	struct ew_pipeline *p;
	struct ew_err err;
	uint64_t ts = 1700000000000000ULL;
	size_t off = 0;

	if (cls == NULL) {
		struct ew_cls_conf cc;
		struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };

		ew_cls_conf_default(&cc);
		cc.max_active = 64;
		cls = ew_classify_new(&cc, &err);
		o.resolve_arg = cls;
		pol = ew_policy_load_mem("fuzz-policy.yaml", policy, sizeof(policy) - 1, &o, &err);
		if (cls == NULL || pol == NULL)
			abort();
		ew_pipeline_conf_default(&pc0);
		pc0.ft.max_flows = 16;
		pc0.ft.seed = 1;
		pc0.throttle_keys = 8;
		/* small tables: making the default ones (scan tracker, pairing) cost 25 ms an
		 * input, and the fuzzer ran 39 inputs a second */
		pc0.scan.max_sources = 64;
		pc0.pairing_max = 64;
		pc0.pending_max = 64;
		pc0.held_max = 16;
		pc0.frag_slots = 64;
		/* the sink keeps no state that changes what an input does (counters only):
		 * made once, it spares an open and an 80 KB buffer per input */
		sinks = ew_sinkset_new("test", NULL);
		if (ew_conf_load_mem(&sc, "sink", "{type: file, path: /dev/null}", 29, &err) != 0 ||
		    ew_sinkset_add(sinks, ew_conf_root(sc), NULL, &err) != 0)
			abort();
	}
	pc = pc0;
	p = ew_pipeline_new(&pc, cls, pol, sinks, &err);
	while (off + 2 <= size) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		struct ew_raw_pkt rp;
		uint8_t *frame;

		off += 2;
		if (n > size - off)
			n = size - off;
		frame = malloc(n ? n : 1);
		memcpy(frame, data + off, n);
		memset(&rp, 0, sizeof(rp));
		rp.ts_us = ts;
		rp.data = frame;
		rp.caplen = rp.len = (uint32_t)n;
		rp.dlt = 1;
		ew_pipeline_packet(p, &rp);
		free(frame);
		off += n;
		ts += 100000;
	}
	ew_pipeline_finish(p);
	ew_pipeline_free(p);
	return 0;
}
