/* SPDX-License-Identifier: Apache-2.0 */
/* risk - the risk detector: which of the risks nDPI flags on a flow raise a "risk"
 * alert, and how severe it is (see risk.h). */
#include "analyzer/risk.h"
#include "analyzer/classify.h"
#include "core/ew_sev.h"

#include <string.h>

void ew_risk_defaults(uint8_t sev[64])
{
	static const struct { const char *name; uint8_t sev; } on[] = {
		{ "XSS Attack", EW_SEV_CRITICAL },
		{ "SQL Injection", EW_SEV_CRITICAL },
		{ "RCE Injection", EW_SEV_CRITICAL },
		{ "Possible Exploit Detected", EW_SEV_CRITICAL },
		{ "Clear-Text Credentials", EW_SEV_HIGH },
		{ "SMB Insecure Version", EW_SEV_HIGH },
		{ "Suspicious DGA Domain name", EW_SEV_HIGH },
		{ "Risky Domain Name", EW_SEV_HIGH },
		{ "Possibly Malicious JA3 Fingerprint", EW_SEV_HIGH },
		{ "Possibly Malicious SSL Cert. SHA1 Fingerprint", EW_SEV_HIGH },
		{ "SSH Obsolete Client Version/Cipher", EW_SEV_MEDIUM },
		{ "SSH Obsolete Server Version/Cipher", EW_SEV_MEDIUM },
		{ "Obsolete TLS Version (1.1 or older)", EW_SEV_MEDIUM },
		{ "Weak TLS Cipher", EW_SEV_MEDIUM },
		{ "Binary Application Transfer", EW_SEV_MEDIUM },
		{ "Desktop/File Sharing Session", EW_SEV_MEDIUM },
		{ "Unsafe Protocol", EW_SEV_LOW },
	};

	memset(sev, EW_RISK_OFF, 64);
	for (int r = 1; r < 64; r++) {
		const char *n = ew_classify_risk_name(r);

		for (size_t i = 0; n && i < sizeof(on) / sizeof(on[0]); i++)
			if (strcmp(n, on[i].name) == 0)
				sev[r] = on[i].sev;
	}
}

uint64_t ew_risk_enabled(const uint8_t sev[64], uint64_t risk, uint8_t *severity)
{
	uint64_t on = 0;
	int max = -1;

	for (int r = 1; r < 64; r++)
		if ((risk & (1ULL << r)) && sev[r] != EW_RISK_OFF) {
			on |= 1ULL << r;
			if (sev[r] > max)
				max = sev[r];
		}
	*severity = on ? (uint8_t)max : 0;
	return on;
}
