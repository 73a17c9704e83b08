/* SPDX-License-Identifier: Apache-2.0 */
/* bench_pipeline - packets/s, ns/packet and bytes per flow of the whole packet path
 * (decode, flow table, nDPI, verdicts, alerts to /dev/null) on one core, in process, so
 * that the figure is eastwatch's and not the disk's.
 *
 *   bench_pipeline mix [--repeat N] [--write OUT.pcap] RULES_DIR PCAP...
 *       the captures' frames (re-framed as Ethernet), repeated N times with the
 *       addresses shifted per repetition so that every repetition is new flows
 *   bench_pipeline synth --flows F --ppf K [--random 1] [--write OUT.pcap] RULES_DIR
 *       F TCP flows of K packets each (handshake, an HTTP request and response, data,
 *       FIN), 1024 flows in flight at a time; --ppf 1: every packet a SYN of a new flow;
 *       --random 1: addresses drawn at random from 198.18.0.0/15 and ports at random
 *       (sequential tuples flatter every hash table and the scan detector)
 *   bench_pipeline memory --flows F RULES_DIR
 *       resident memory per flow with F flows still under inspection, and with F flows
 *       whose inspection is over
 * --write saves the frames as a pcap file, to time `eastwatch replay` and other tools on
 * exactly the same packets. --workers N (mix, synth) judges with N workers, each pinned
 * to a CPU, fed by this thread as `eastwatch replay --workers N` feeds them (it hashes
 * and copies each packet, and takes the workers' findings as their owner); with
 * --presplit 1 every packet is handed over before the clock starts, as the kernel's
 * fanout splits live capture, so the figure is the workers' and their owner's alone.
 * --scan 0 turns the scan detector off (every new flow is a message to the owner when it
 * is on, and a second one when it fails): with workers, what is left is the workers' own
 * scaling. With workers it also prints the CPU time each worker's thread and the owner
 * used in the best round, and their sum a packet, beside one worker's ns a packet: what
 * the split costs in all; and the messages the owner took, and its CPU for each.
 * --owner-cpu K pins the owner (this thread) to the K-th CPU the process may use, and
 * makes --workers 1 a worker thread too: `--workers 1 --owner-cpu 1 --presplit 1` on two
 * CPUs is one worker with a CPU of its own and its owner with another, what each of two
 * workers would be on a machine with a third CPU for the owner. */
#include <pcap/pcap.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/decode_pkt.h"
#include "core/ew_time.h"
#include "daemon/pipeline.h"
#include "daemon/workers.h"

struct frames {
	uint8_t *buf;
	size_t len, cap;
	uint32_t *off, *flen;
	uint64_t *ts;
	size_t n, ncap;
};

static void add_frame(struct frames *fr, const uint8_t *d, uint32_t n, uint64_t ts)
{
	if (fr->len + n > fr->cap) {
		fr->cap = (fr->cap + n) * 2;
		fr->buf = realloc(fr->buf, fr->cap);
	}
	if (fr->n == fr->ncap) {
		fr->ncap = fr->ncap ? fr->ncap * 2 : 4096;
		fr->off = realloc(fr->off, fr->ncap * sizeof(*fr->off));
		fr->flen = realloc(fr->flen, fr->ncap * sizeof(*fr->flen));
		fr->ts = realloc(fr->ts, fr->ncap * sizeof(*fr->ts));
	}
	memcpy(fr->buf + fr->len, d, n);
	fr->off[fr->n] = (uint32_t)fr->len;
	fr->flen[fr->n] = n;
	fr->ts[fr->n] = ts;
	fr->len += n;
	fr->n++;
}

static int resolve(void *arg, const char *name)
{
	return ew_classify_lookup(arg, name);
}

struct ctx {
	struct ew_classify *cls;
	struct ew_policy *pol;
	struct ew_sinkset *sinks;
	struct ew_conf *sinkdoc;
	struct ew_pipeline *p;
	struct ew_workers *w;     /* with --workers N > 1 */
};

static unsigned nworkers = 1;
static int presplit;
static int scan = 1;
static int owner_at = -1;      /* --owner-cpu: the owner's CPU (index among the allowed) */
static cpu_set_t allowed;      /* the CPUs the process may use, at the start */

/* This thread on the k-th CPU of allowed (the workers, started before, pin themselves). */
static void pin_owner(int k)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	for (int c = 0, seen = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed) && seen++ == k)
			CPU_SET(c, &one);
	if (CPU_COUNT(&one) == 0 || sched_setaffinity(0, sizeof(one), &one) != 0) {
		fprintf(stderr, "--owner-cpu %d: no such CPU\n", k);
		exit(2);
	}
}

static void ctx_open(struct ctx *c, const char *rules, uint32_t max_flows)
{
	struct ew_cls_conf cc;
	struct ew_pipeline_conf pc;
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_err err;
	static const char sink[] = "{type: file, path: /dev/null}";

	ew_cls_conf_default(&cc);
	c->cls = ew_classify_new(&cc, &err);
	o.resolve_arg = c->cls;
	c->pol = ew_policy_load_dir(rules, &o, &err);
	if (c->cls == NULL || c->pol == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	c->sinks = ew_sinkset_new("bench", NULL);
	if (ew_conf_load_mem(&c->sinkdoc, "sink", sink, sizeof(sink) - 1, &err) != 0 ||
	    ew_sinkset_add(c->sinks, ew_conf_root(c->sinkdoc), NULL, &err) != 0)
		exit(1);
	ew_pipeline_conf_default(&pc);
	pc.ft.max_flows = max_flows;
	pc.scan_enabled = scan;
	c->p = ew_pipeline_new(&pc, c->cls, c->pol, c->sinks, &err);
	c->w = NULL;
	if (c->p != NULL && (nworkers > 1 || owner_at >= 0)) {
		/* from all the CPUs, so that worker i takes the i-th of them */
		sched_setaffinity(0, sizeof(allowed), &allowed);
		c->w = ew_workers_new(nworkers, &pc, &cc, c->pol, c->p, 1, 1, &err);
		if (c->w != NULL && owner_at >= 0)
			pin_owner(owner_at);
	}
	if (c->p == NULL || ((nworkers > 1 || owner_at >= 0) && c->w == NULL)) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
}

static void ctx_close(struct ctx *c)
{
	ew_workers_free(c->w);
	ew_pipeline_free(c->p);
	ew_sinkset_free(c->sinks);
	ew_conf_free(c->sinkdoc);
	ew_policy_free(c->pol);
	ew_classify_free(c->cls);
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The best of three runs, each on a fresh pipeline: this kind of machine is noisy. */
static void run(const char *what, struct frames *fr, const char *rules, uint32_t max_flows)
{
	struct ctx c;
	struct ew_pipeline_stats st;
	struct ew_cls_stats cs;
	struct ew_raw_pkt rp = { 0 };
	uint64_t t0 = 0, t1 = UINT64_MAX, owner_cpu = 0, worker_cpu[64] = { 0 }, msgs = 0;

	for (int round = 0; round < 3; round++) {
		uint64_t a, b, oa = 0;

		ctx_open(&c, rules, max_flows);
		rp.dlt = EW_DLT_EN10MB;
		if (c.w && presplit &&
		    ew_workers_preload(c.w, fr->len + fr->n * 64 + (1u << 20)) != EW_OK)
			exit(1);
		a = ew_time_mono_us();
		for (size_t i = 0; i < fr->n; i++) {
			rp.ts_us = fr->ts[i];
			rp.data = fr->buf + fr->off[i];
			rp.caplen = rp.len = fr->flen[i];
			if (c.w)
				ew_workers_packet(c.w, &rp);
			else
				ew_pipeline_packet(c.p, &rp);
		}
		if (c.w && presplit) {
			a = ew_time_mono_us();     /* every packet is in its worker's ring */
			oa = thread_cpu_us();
			ew_workers_go(c.w);
		}
		if (c.w)
			ew_workers_end(c.w);
		ew_pipeline_finish(c.p);
		b = ew_time_mono_us();
		if (c.w)
			msgs = ew_workers_taken(c.w);
		if (b - a < t1 - t0) {
			t0 = a;
			t1 = b;
			owner_cpu = oa ? thread_cpu_us() - oa : 0;
			for (unsigned w = 0; c.w && w < nworkers && w < 64; w++)
				worker_cpu[w] = ew_workers_cpu_us(c.w, w);
		}
		if (round < 2)
			ctx_close(&c);
	}
	ew_pipeline_stats(c.p, &st);
	ew_classify_stats(c.cls, &cs);
	uint64_t share[64] = { 0 };
	for (unsigned w = 0; c.w && w < nworkers; w++) {
		struct ew_pipeline_stats ws;
		struct ew_cls_stats wc;

		ew_workers_stats(c.w, w, &ws);
		share[w % 64] = ws.packets;
		ew_pipeline_stats_add(&st, &ws);
		ew_classify_stats(ew_workers_classifier(c.w, w), &wc);
		cs.inspected_pkts += wc.inspected_pkts;
		cs.peak_active += wc.peak_active;
	}
	printf("%s: %llu packets, %llu flows (dpi %llu, port %llu, none %llu), %llu alerts: "
	       "%.2f Mpps, %.0f ns/packet, %.1f MB/s (%s; decode, flows, nDPI, policy, "
	       "alerts; best of 3)\n", what, (unsigned long long)st.packets, (unsigned long long)st.flows,
	       (unsigned long long)st.app_dpi, (unsigned long long)st.app_port,
	       (unsigned long long)st.app_none, (unsigned long long)st.alerts,
	       st.packets / ((t1 - t0) / 1e6) / 1e6, (t1 - t0) * 1e3 / st.packets,
	       st.bytes / ((t1 - t0) / 1e6) / 1e6,
	       !c.w ? "one core" : presplit ? "workers, each on its CPU, split in advance"
					   : "workers, each on its CPU, fed by the reader");
	if (c.w) {         /* the split's balance: the busiest worker sets the pace */
		printf("%s: the workers' shares of the packets:", what);
		for (unsigned w = 0; w < nworkers && w < 64; w++)
			printf(" %.1f%%", st.packets ? 100.0 * share[w] / st.packets : 0);
		printf("\n");
	}
	if (owner_cpu) {
		uint64_t all = owner_cpu;

		printf("%s: the owner (scan detector, throttle, alerts to the sink) used %.0f%% of a "
		       "CPU meanwhile\n", what, 100.0 * owner_cpu / (t1 - t0));
		printf("%s: CPU time in that round: workers", what);
		for (unsigned w = 0; w < nworkers && w < 64; w++) {
			printf(" %.1f ms", worker_cpu[w] / 1e3);
			all += worker_cpu[w];
		}
		printf(", owner %.1f ms; in all %.1f ms, %.0f ns a packet (the round: %.1f ms)\n",
		       owner_cpu / 1e3, all / 1e3, all * 1e3 / st.packets, (t1 - t0) / 1e3);
		printf("%s: the owner took %llu messages (marks aside), %.2f a packet, %.0f ns of "
		       "its CPU each\n", what, (unsigned long long)msgs,
		       st.packets ? (double)msgs / st.packets : 0, msgs ? owner_cpu * 1e3 / msgs : 0);
	}
	printf("%s: nDPI inspected %llu packets (%.1f%% of all), at most %u flows at once\n",
	       what, (unsigned long long)cs.inspected_pkts, 100.0 * cs.inspected_pkts / st.packets,
	       cs.peak_active);
	ctx_close(&c);
}

static void write_pcap(const struct frames *fr, const char *path)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	uint64_t latest = 0;

	/* a pcap file's seconds are 32 bits: past 2106 they would wrap to 1970 (the mix's
	 * repetitions are about 9.5 years apart, its captures' own spans) */
	for (size_t i = 0; i < fr->n; i++)
		latest = fr->ts[i] > latest ? fr->ts[i] : latest;
	if (latest / 1000000 > UINT32_MAX) {
		fprintf(stderr, "%s: times past 2106, which a pcap file cannot hold: fewer "
			"repetitions (--repeat 14 at most for the mix)\n", path);
		exit(1);
	}
	d = pcap_dump_open(p, path);
	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", path, pcap_geterr(p));
		exit(1);
	}
	for (size_t i = 0; i < fr->n; i++) {
		struct pcap_pkthdr h;

		h.ts.tv_sec = (time_t)(fr->ts[i] / 1000000);
		h.ts.tv_usec = (suseconds_t)(fr->ts[i] % 1000000);
		h.caplen = h.len = fr->flen[i];
		pcap_dump((u_char *)d, &h, fr->buf + fr->off[i]);
	}
	pcap_dump_close(d);
	pcap_close(p);
	printf("wrote %zu packets to %s\n", fr->n, path);
}

/* --- mix: corpus frames, re-framed as Ethernet, addresses shifted per repetition --- */

static void load_mix(struct frames *fr, char **files, int nfiles, int repeat)
{
	struct frames base = { 0 };
	uint64_t span = 0;

	for (int i = 0; i < nfiles; i++) {
		char ebuf[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline(files[i], ebuf);
		struct pcap_pkthdr *h;
		const u_char *d;
		uint64_t first = 0, last = 0;

		if (p == NULL) {
			fprintf(stderr, "%s: %s\n", files[i], ebuf);
			exit(1);
		}
		while (pcap_next_ex(p, &h, &d) == 1) {
			struct ew_pkt k;
			uint8_t f[65536 + 14];
			uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;

			if (ew_pkt_decode(&k, pcap_datalink(p), d, h->caplen) != 0 || k.l3 == NULL ||
			    k.l3_len > 65535)
				continue;
			if (first == 0)
				first = ts;
			last = ts;
			memset(f, 0, 12);
			f[12] = k.ipver == 4 ? 0x08 : 0x86;
			f[13] = k.ipver == 4 ? 0x00 : 0xdd;
			memcpy(f + 14, k.l3, k.l3_len);
			/* one file after another on a common clock */
			add_frame(&base, f, k.l3_len + 14, span + (ts - first));
		}
		span += last - first + 1000000;
		pcap_close(p);
	}
	for (int r = 0; r < repeat; r++)
		for (size_t i = 0; i < base.n; i++) {
			uint8_t *f = base.buf + base.off[i];
			uint8_t save[2];
			size_t a = f[12] == 0x08 ? 14 + 12 : 14 + 8;   /* source address */

			/* shift both addresses' second byte: new flows, same payloads */
			save[0] = f[a + 1];
			save[1] = f[a + (f[12] == 0x08 ? 5 : 17)];
			f[a + 1] = (uint8_t)(save[0] + r);
			f[a + (f[12] == 0x08 ? 5 : 17)] = (uint8_t)(save[1] + r);
			add_frame(fr, f, base.flen[i], base.ts[i] + (uint64_t)r * span);
			f[a + 1] = save[0];
			f[a + (f[12] == 0x08 ? 5 : 17)] = save[1];
		}
	free(base.buf);
	free(base.off);
	free(base.flen);
	free(base.ts);
}

/* --- synth: generated TCP flows --- */

static size_t tcp_frame(uint8_t *f, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
			uint8_t flags, const char *payload)
{
	size_t pl = payload ? strlen(payload) : 0, n = 14 + 20 + 20 + pl;

	memset(f, 0, 54);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((n - 14) >> 8);
	f[17] = (uint8_t)(n - 14);
	f[22] = 64;
	f[23] = 6;
	for (int i = 0; i < 4; i++) {
		f[26 + i] = (uint8_t)(src >> (24 - 8 * i));
		f[30 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	f[34] = (uint8_t)(sp >> 8);
	f[35] = (uint8_t)sp;
	f[36] = (uint8_t)(dp >> 8);
	f[37] = (uint8_t)dp;
	f[46] = 5 << 4;
	f[47] = flags;
	if (pl)
		memcpy(f + 54, payload, pl);
	return n;
}

static uint64_t xs = 88172645463325252ULL;

static uint32_t xrnd(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 7;
	xs ^= xs << 17;
	return (uint32_t)(xs >> 16);
}

static void synth(struct frames *fr, uint32_t flows, uint32_t ppf, int random)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nHost: app.lab\r\nUser-Agent: curl/7.88\r\n\r\n";
	static const char rsp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 512\r\n\r\n";
	static char data[1025];
	uint8_t f[2048];
	uint64_t ts = 1700000000000000ULL;
	const uint32_t batch = 1024;

	memset(data, 'x', sizeof(data) - 1);
	for (uint32_t b0 = 0; b0 < flows; b0 += batch) {
		uint32_t nb = flows - b0 < batch ? flows - b0 : batch;

		for (uint32_t k = 0; k < ppf; k++)
			for (uint32_t j = 0; j < nb; j++) {
				uint32_t id = b0 + j;
				uint32_t cli = 0xc6120000u | (id & 0xffff);          /* 198.18.x.x */
				uint32_t srv = 0xc6130000u | ((id * 7919) & 0xffff); /* 198.19.x.x */
				uint16_t sp = (uint16_t)(32768 + (id >> 16) * 7 + (id & 3));
				uint16_t dp = 80;
				size_t n;

				if (random) {   /* the same draw for every packet of flow id */
					xs = 0x9e3779b97f4a7c15ULL * (id + 1);
					cli = 0xc6120000u | (xrnd() & 0x1ffff);
					srv = 0xc6120000u | (xrnd() & 0x1ffff);
					sp = (uint16_t)(1024 + xrnd() % 64512);
					dp = (uint16_t)(1 + xrnd() % 65535);
				}
				if (ppf == 1)
					n = tcp_frame(f, cli, srv, sp, dp, 0x02, NULL);
				else if (k == 0)
					n = tcp_frame(f, cli, srv, sp, dp, 0x02, NULL);
				else if (k == 1)
					n = tcp_frame(f, srv, cli, dp, sp, 0x12, NULL);
				else if (k == 2)
					n = tcp_frame(f, cli, srv, sp, dp, 0x10, NULL);
				else if (k == 3)
					n = tcp_frame(f, cli, srv, sp, dp, 0x18, req);
				else if (k == 4)
					n = tcp_frame(f, srv, cli, dp, sp, 0x18, rsp);
				else if (k == ppf - 2)
					n = tcp_frame(f, cli, srv, sp, dp, 0x11, NULL);
				else if (k == ppf - 1)
					n = tcp_frame(f, srv, cli, dp, sp, 0x11, NULL);
				else
					n = tcp_frame(f, srv, cli, dp, sp, 0x10, data);
				add_frame(fr, f, (uint32_t)n, ts);
				ts += 1;
			}
	}
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Memory per flow with F flows held open: all still under inspection (a payload that
 * names nothing yet), or all with inspection over (an HTTP request and its response:
 * named, nothing more to learn). Each case runs in a child process of its own, so that
 * one case's freed heap does not hide the next one's growth. */
static void memory_case(const char *rules, uint32_t flows, int done)
{
	struct ctx c;
	struct ew_raw_pkt rp = { 0 };
	struct frames fr = { 0 };
	uint8_t f[512];
	long before, after;
	struct mallinfo2 m0, m1;
	struct ew_cls_stats cs;
	struct ew_pipeline_stats ps;

	for (uint32_t id = 0; id < flows; id++) {
		uint32_t cli = 0xc6120000u | (id & 0xffff), srv = 0xc6130000u | (id >> 16);
		uint16_t sp = (uint16_t)(40000 + (id & 0xff));
		size_t n = tcp_frame(f, cli, srv, sp, done ? 80 : 7777, 0x18,
				     done ? "GET / HTTP/1.1\r\nHost: a.lab\r\n\r\n" : "hello?\r\n");

		add_frame(&fr, f, (uint32_t)n, 1700000000000000ULL + id);
		if (done) {
			n = tcp_frame(f, srv, cli, 80, sp, 0x18,
				      "HTTP/1.1 200 OK\r\nServer: x\r\nContent-Length: 0\r\n\r\n");
			add_frame(&fr, f, (uint32_t)n, 1700000000000000ULL + id);
		}
	}
	ctx_open(&c, rules, flows + 1024);
	rp.dlt = EW_DLT_EN10MB;
	before = rss_kb();
	m0 = mallinfo2();
	for (size_t i = 0; i < fr.n; i++) {
		rp.ts_us = fr.ts[i];   /* all inside one second: no flow is judged or ends */
		rp.data = fr.buf + fr.off[i];
		rp.caplen = rp.len = fr.flen[i];
		ew_pipeline_packet(c.p, &rp);
	}
	after = rss_kb();
	m1 = mallinfo2();
	ew_classify_stats(c.cls, &cs);
	ew_pipeline_stats(c.p, &ps);
	printf("memory, %u flows %s: %.0f bytes per flow resident (of which heap %.0f: nDPI state "
	       "%u + nDPI's own allocations; flow table entry %zu + 2 buckets of 4), %u flows "
	       "still inspected\n", flows,
	       done ? "after inspection (HTTP named)" : "while under inspection",
	       (after - before) * 1024.0 / flows,
	       ((double)(m1.uordblks + m1.hblkhd) - (double)(m0.uordblks + m0.hblkhd)) / flows,
	       cs.state_bytes, sizeof(struct ew_ft_entry), cs.active);
	(void)ps;
	exit(0);
}

static void memory(const char *rules, uint32_t flows)
{
	for (int done = 0; done < 2; done++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0)
			memory_case(rules, flows, done);
		waitpid(pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	struct frames fr = { 0 };
	const char *write = NULL;
	int repeat = 1;
	uint32_t flows = 100000, ppf = 10;
	int i = 2, random = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: see the comment at the top of bench/bench_pipeline.c\n");
		return 2;
	}
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (!strcmp(argv[i], "--repeat"))
			repeat = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--write"))
			write = argv[i + 1];
		else if (!strcmp(argv[i], "--flows"))
			flows = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--ppf"))
			ppf = (uint32_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--random"))
			random = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--workers"))
			nworkers = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--presplit"))
			presplit = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--scan"))
			scan = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--owner-cpu"))
			owner_at = atoi(argv[i + 1]);
	}
	sched_getaffinity(0, sizeof(allowed), &allowed);
	if (!strcmp(argv[1], "mix")) {
		char name[96];

		load_mix(&fr, argv + i + 1, argc - i - 1, repeat);
		snprintf(name, sizeof(name), "nDPI corpus mix x%d, %u worker%s", repeat, nworkers,
			 nworkers > 1 ? "s" : "");
		if (write)
			write_pcap(&fr, write);
		run(name, &fr, argv[i], 1000000);
	} else if (!strcmp(argv[1], "synth")) {
		char name[96];

		synth(&fr, flows, ppf, random);
		snprintf(name, sizeof(name), ppf == 1 ? "every packet a new flow (%u SYNs%s), %u w"
						      : "%u generated TCP flows%s, %u w", flows,
			 random ? ", random tuples" : "", nworkers);
		if (write)
			write_pcap(&fr, write);
		run(name, &fr, argv[i], flows > 1000000 ? flows : 1000000);
	} else if (!strcmp(argv[1], "memory")) {
		memory(argv[i], flows);
	} else {
		fprintf(stderr, "unknown mode %s\n", argv[1]);
		return 2;
	}
	free(fr.buf);
	free(fr.off);
	free(fr.flen);
	free(fr.ts);
	return 0;
}
