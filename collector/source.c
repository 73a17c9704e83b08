/* SPDX-License-Identifier: Apache-2.0 */
/* source - the registry of sources (see source.h): one table, as sinks have. */
#include "collector/source.h"

#include <stdio.h>
#include <string.h>

extern const struct ew_source_ops ew_source_pcap_ops, ew_source_iface_ops,
	ew_source_ipfix_ops, ew_source_sflow_ops, ew_source_flowlog_ops;

/* Every source; file sources are probed in this order (pcap, which takes the rest,
 * last among them). */
static const struct ew_source_ops *const sources[] = {
	&ew_source_iface_ops, &ew_source_ipfix_ops, &ew_source_sflow_ops, &ew_source_flowlog_ops,
	&ew_source_pcap_ops,
};

#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

const struct ew_source_ops *ew_source_find(const char *name)
{
	for (size_t i = 0; name && i < NSOURCES; i++)
		if (strcmp(sources[i]->name, name) == 0 ||
		    (sources[i]->alias && strcmp(sources[i]->alias, name) == 0))
			return sources[i];
	return NULL;
}

const struct ew_source_ops *ew_source_at(size_t i)
{
	return i < NSOURCES ? sources[i] : NULL;
}

const char *ew_source_names(void)
{
	static char names[256];

	if (!names[0]) {
		size_t n = 0, k = 0, total = 0;
		const char *list[2 * NSOURCES];

		for (size_t i = 0; i < NSOURCES; i++) {
			list[k++] = sources[i]->name;
			if (sources[i]->alias)
				list[k++] = sources[i]->alias;
		}
		total = k;
		for (k = 0; k < total && n < sizeof(names); k++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
					      k == 0 ? "" : k + 1 == total ? " or " : ", ", list[k]);
	}
	return names;
}

const char *ew_source_file_type(const char *path)
{
	for (size_t i = 0; i < NSOURCES; i++)
		if (sources[i]->probe && sources[i]->probe(path))
			return sources[i]->name;
	return "pcap";
}
