/* SPDX-License-Identifier: Apache-2.0 */
/* ew_flow - the names of the flow record's codes (see ew_flow.h). */
#include "core/ew_flow.h"

#include <stdio.h>

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
