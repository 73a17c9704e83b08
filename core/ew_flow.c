/* SPDX-License-Identifier: Apache-2.0 */
/* ew_flow - the names of the flow record's codes (see ew_flow.h). */
#include "core/ew_flow.h"

#include <stdio.h>
#include <string.h>

const char *ew_transport_name(uint8_t proto, char buf[8])
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "ipv6-icmp";
	default:
		snprintf(buf, 8, "%u", proto);
		return buf;
	}
}

const char *ew_app_source_name(int s)
{
	switch (s) {
	case EW_APP_DPI: return "dpi";
	case EW_APP_EXPORTER: return "exporter";
	case EW_APP_PORT: return "port";
	default: return "none";
	}
}

static const char *const end_names[] = { "none", "idle", "active", "fin", "rst", "evicted",
					 "shutdown" };

const char *ew_flow_end_name(int r)
{
	return r >= 0 && r < (int)(sizeof(end_names) / sizeof(end_names[0])) ? end_names[r] : "none";
}

int ew_flow_code(const char *kind, const char *name)
{
	if (strcmp(kind, "end") == 0) {
		for (int i = 0; i < (int)(sizeof(end_names) / sizeof(end_names[0])); i++)
			if (strcmp(name, end_names[i]) == 0)
				return i;
		return -1;
	}
	for (int i = EW_APP_NONE; i <= EW_APP_EXPORTER; i++)
		if (strcmp(name, ew_app_source_name(i)) == 0)
			return i;
	return -1;
}
