/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_sflow - libFuzzer target for collector/decode_sflow, with every sampled header
 * passed on to the packet decoder as the collector does. Input: one datagram. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_pkt.h"
#include "collector/decode_sflow.h"

static void on_sample(void *arg, const struct ew_sflow_sample *s)
{
	struct ew_pkt p;

	if (s->has_header)
		ew_pkt_decode(&p, s->header_protocol == 11 || s->header_protocol == 12 ? EW_DLT_RAW
											 : EW_DLT_EN10MB,
			      s->header, s->header_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ew_sflow_session *s;
	struct ew_sflow_cb cb = { on_sample, NULL, NULL, NULL };
	uint8_t *copy = malloc(size ? size : 1);

	if (s == NULL)
		s = ew_sflow_new(8);
	memcpy(copy, data, size);
	ew_sflow_decode(s, copy, size, 1, &cb);
	free(copy);
	return 0;
}
