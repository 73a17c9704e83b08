/* SPDX-License-Identifier: Apache-2.0 */
/* risk - the risk detector: when nDPI is done with a flow, the risks it flagged that the
 * configuration enables raise one "risk" alert, as severe as the most severe of them.
 * The configuration is a severity (enum ew_severity) per nDPI risk bit, EW_RISK_OFF for
 * the risks that raise nothing. */
#ifndef EW_RISK_H
#define EW_RISK_H

#include <stdint.h>

#define EW_RISK_OFF 0xff
/* The risk detector's defaults: attacks and exploits critical; clear-text credentials,
 * SMB v1, DGA names and known-bad fingerprints high; obsolete SSH/TLS, weak ciphers,
 * binary transfers and remote desktops medium; unsafe (clear-text) protocols low; the
 * noisy ones off: self-signed or long-lived certificates, HTTP header oddities, missing
 * SNI, entropy, DNS sizes, and a known protocol on a non-standard port (services on
 * high ports are everyday inside a datacenter, and the policy's apps conditions already
 * catch SSH where TLS was declared). */
void ew_risk_defaults(uint8_t sev[64]);

/* The risks of risk (nDPI's bits) that sev enables, and their highest severity in
 * *severity (0 when none). */
uint64_t ew_risk_enabled(const uint8_t sev[64], uint64_t risk, uint8_t *severity);

#endif
