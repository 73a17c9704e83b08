/* SPDX-License-Identifier: Apache-2.0 */
/* bench_policy - verdicts per second on a large policy.
 *
 * Builds a policy of G groups (one /24 each in 10.0.0.0/8, plus a /16 over every 64 of
 * them so that addresses sit in two groups) and R allow and deny rules between random
 * groups with random services (a tenth with an apps condition), loads it through the
 * real YAML loader, then judges a fixed array of random flows (addresses in and out of
 * the groups). Prints load time, compiled size and verdicts/s on one core, with the
 * pairs indexed by port (the default) and, loaded again, without (every rule of a pair
 * read), the two taking turns round by round.
 *
 * usage: bench_policy [GROUPS [RULES [FLOWS [PORTS]]]]   (default 10000 100000 1000000 2000)
 * PORTS: how many ports (1 .. PORTS) the rules' services and the random flows draw from;
 * a few (64) is what real policies look like, many pairs naming the same services. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/policy.h"
#include "core/ew_time.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static int resolve(void *arg, const char *name)
{
	return strcmp(name, "SSH") == 0 ? 92 : strcmp(name, "TLS") == 0 ? 91 : -1;
}

int main(int argc, char **argv)
{
	uint32_t ng = argc > 1 ? (uint32_t)atoi(argv[1]) : 10000;
	uint32_t nr = argc > 2 ? (uint32_t)atoi(argv[2]) : 100000;
	uint32_t nf = argc > 3 ? (uint32_t)atoi(argv[3]) : 1000000;
	uint32_t np = argc > 4 && atoi(argv[4]) > 0 ? (uint32_t)atoi(argv[4]) : 2000;
	size_t cap = (size_t)ng * 64 + (size_t)nr * 128 + 4096, len = 0;
	char *y = malloc(cap);
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_policy_info pi;
	struct ew_policy *p, *flat;
	struct ew_policy_opts of = { resolve, NULL, NULL, NULL, UINT32_MAX };
	struct ew_flow *flows;
	struct ew_err err;
	uint64_t t0, t1;
	uint32_t *rf, *rt;
	uint16_t *rp;
	int rounds = 5;

	len += (size_t)sprintf(y + len, "groups:\n");
	for (uint32_t g = 0; g < ng; g++)
		len += (size_t)sprintf(y + len, "  g%u: { members: [10.%u.%u.0/24] }\n", g,
				       (g >> 8) & 255, g & 255);
	for (uint32_t g = 0; g < ng / 64; g++)
		len += (size_t)sprintf(y + len, "  zone%u: { members: [10.%u.%u.0/18] }\n", g,
				       (g * 64 >> 8) & 255, (g * 64) & 192);
	len += (size_t)sprintf(y + len, "allow:\n");
	rf = calloc(nr, sizeof(*rf));
	rt = calloc(nr, sizeof(*rt));
	rp = calloc(nr, sizeof(*rp));
	for (uint32_t r = 0; r < nr; r++) {
		if (r == nr * 9 / 10)
			len += (size_t)sprintf(y + len, "deny:\n");
		rf[r] = rnd() % ng;
		rt[r] = rnd() % ng;
		rp[r] = (uint16_t)(1 + rnd() % np);
		len += (size_t)sprintf(y + len, "  - { name: r%u, from: g%u, to: g%u, services: [tcp/%u",
				       r, rf[r], rt[r], rp[r]);
		if (r % 3 == 0)
			len += (size_t)sprintf(y + len, ", udp/%u-%u", 1000, 1000 + rnd() % 1000);
		len += (size_t)sprintf(y + len, "]%s }\n", r % 10 == 0 ? ", apps: [SSH, TLS]" : "");
	}
	len += (size_t)sprintf(y + len, "default: { action: deny, severity: high }\n");

	t0 = ew_time_mono_us();
	p = ew_policy_load_mem("bench.yaml", y, len, &o, &err);
	t1 = ew_time_mono_us();
	if (p == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	flat = ew_policy_load_mem("bench.yaml", y, len, &of, &err);
	if (flat == NULL) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	ew_policy_info(p, &pi);
	printf("policy: %u groups, %u rules, %.1f MB of YAML loaded and compiled in %.2f s; "
	       "%u distinct group sets, tries %.1f MB\n", pi.groups, pi.rules, len / 1e6,
	       (t1 - t0) / 1e6, pi.sets, pi.lpm_bytes / 1e6);

	flows = calloc(nf, sizeof(*flows));
	for (int mix = 0; mix < 2; mix++) {
		uint64_t denied = 0;
		double secs = 1e9;

		for (uint32_t i = 0; i < nf; i++) {
			uint32_t ga = rnd() % ((ng >> 8) + 2) << 8 | (rnd() & 255);
			uint32_t gb = rnd() % ((ng >> 8) + 2) << 8 | (rnd() & 255);
			uint16_t port = (uint16_t)(1 + rnd() % np);

			if (mix == 1) {   /* a flow between the groups of a random rule */
				uint32_t r = rnd() % nr;

				ga = rf[r];
				gb = rt[r];
				port = rp[r];
			}
			uint8_t a[4] = { 10, (uint8_t)(ga >> 8), (uint8_t)ga, (uint8_t)rnd() };
			uint8_t b[4] = { 10, (uint8_t)(gb >> 8), (uint8_t)gb, (uint8_t)rnd() };

			ew_addr_from_v4(&flows[i].src, a);
			ew_addr_from_v4(&flows[i].dst, b);
			flows[i].proto = mix == 1 || rnd() % 4 ? 6 : 17;
			flows[i].dport = port;
			flows[i].app_proto = rnd() % 2 ? 92 : 91;
			flows[i].app_source = rnd() % 3 ? EW_APP_DPI : EW_APP_PORT;
		}
		double best[2] = { 1e9, 1e9 };

		for (int r = 0; r < 2 * rounds; r++) {   /* the best of a few rounds, in turn */
			const struct ew_policy *q = r % 2 ? flat : p;
			struct ew_verdict v;

			denied = 0;
			t0 = ew_time_mono_us();
			for (uint32_t i = 0; i < nf; i++) {
				ew_policy_verdict(q, &flows[i], &v);
				denied += v.action == EW_DENY;
			}
			t1 = ew_time_mono_us();
			if ((t1 - t0) / 1e6 < best[r % 2])
				best[r % 2] = (t1 - t0) / 1e6;
		}
		secs = best[0];
		printf("verdicts, %s: %u flows, %.1f%% denied: %.1f M verdicts/s, %.1f ns/verdict "
		       "(best of %d rounds, one core); without the port index: %.1f ns/verdict\n",
		       mix ? "each flow between the groups and on the port of a random rule"
			   : "random addresses in 10.0.0.0/8 and ports",
		       nf, 100.0 * denied / nf, nf / secs / 1e6, secs * 1e9 / nf, rounds,
		       best[1] * 1e9 / nf);
	}
	free(rf);
	free(rt);
	free(rp);
	ew_policy_free(p);
	ew_policy_free(flat);
	free(flows);
	free(y);
	return 0;
}
