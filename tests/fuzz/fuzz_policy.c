/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_policy - libFuzzer target for the policy loader (YAML -> compiled policy) and for
 * a verdict over whatever loaded. Application names resolve to a small fixed table, so
 * the target needs no nDPI start-up per input. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "analyzer/policy.h"

static int resolve(void *arg, const char *name)
{
	static const char *const apps[] = { "?", "SSH", "TLS", "HTTP", "Redis", "DNS" };

	for (int i = 1; i < 6; i++)
		if (strcasecmp(apps[i], name) == 0)
			return i;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL, 0 };
	struct ew_err err;
	struct ew_policy *p = ew_policy_load_mem("fuzz.yaml", data, size, &o, &err);

	if (p != NULL) {
		struct ew_flow f;
		struct ew_verdict v;

		memset(&f, 0, sizeof(f));
		ew_addr_parse(&f.src, "198.18.1.11");
		ew_addr_parse(&f.dst, "198.18.3.10");
		f.proto = 6;
		f.dport = 22;
		f.app_proto = 1;
		f.app_source = EW_APP_DPI;
		ew_policy_verdict(p, &f, &v);
		/* the verdict cache agrees with the verdict, across ports and applications */
		{
			static struct ew_vcache vc;
			static const uint16_t ports[] = { 0, 22, 23, 53, 80, 443, 8443, 9000, 65535 };
			struct ew_verdict w;

			for (unsigned i = 0; i < 2 * sizeof(ports) / sizeof(ports[0]); i++) {
				f.dport = ports[i / 2];
				f.app_proto = (uint16_t)(i % 6);
				f.proto = i & 1 ? 17 : 6;
				ew_policy_verdict(p, &f, &v);
				ew_policy_verdict_cached(p, &vc, &f, &w);
				if (v.action != w.action || v.rule != w.rule || v.by != w.by ||
				    v.severity != w.severity || v.app_dependent != w.app_dependent)
					__builtin_trap();
			}
		}
		ew_policy_free(p);
	}
	return 0;
}
