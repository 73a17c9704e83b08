/* SPDX-License-Identifier: Apache-2.0 */
/* ew_sev - see ew_sev.h. */
#include "core/ew_sev.h"

#include <string.h>

static const char *const sev_names[] = { "info", "low", "medium", "high", "critical" };

const char *ew_severity_name(int sev)
{
	return sev >= 0 && sev <= EW_SEV_CRITICAL ? sev_names[sev] : "unknown";
}

int ew_severity_score(int sev)
{
	return sev >= 0 && sev <= EW_SEV_CRITICAL ? 10 + 20 * sev : 0;
}

int ew_severity_parse(const char *s)
{
	for (int i = 0; i <= EW_SEV_CRITICAL; i++)
		if (strcmp(s, sev_names[i]) == 0)
			return i;
	return -1;
}
