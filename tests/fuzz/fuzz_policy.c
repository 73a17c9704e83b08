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
	struct ew_policy_opts o = { resolve, NULL, NULL, NULL };
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
		ew_policy_free(p);
	}
	return 0;
}
