/* SPDX-License-Identifier: Apache-2.0 */
/* ew_sev - alert severities: words and scores (SPEC §3, §4). */
#ifndef EW_SEV_H
#define EW_SEV_H

enum ew_severity { EW_SEV_INFO, EW_SEV_LOW, EW_SEV_MEDIUM, EW_SEV_HIGH, EW_SEV_CRITICAL };

/* "info" .. "critical"; "unknown" out of range. */
const char *ew_severity_name(int sev);
/* info 10, low 30, medium 50, high 70, critical 90. */
int ew_severity_score(int sev);
/* The severity for a word, or -1. */
int ew_severity_parse(const char *s);

#endif
