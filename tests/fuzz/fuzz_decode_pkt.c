/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_decode_pkt - libFuzzer target for collector/decode_pkt and collector/frag.
 * Input: one byte choosing the link type, then the frame. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_pkt.h"
#include "collector/frag.h"

static const int dlts[] = { EW_DLT_EN10MB, EW_DLT_RAW, EW_DLT_NULL, EW_DLT_LOOP,
			    EW_DLT_LINUX_SLL, EW_DLT_LINUX_SLL2, EW_DLT_IPV4, EW_DLT_IPV6 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ew_frag *frag;
	struct ew_pkt p;
	uint8_t *copy;

	if (size < 1)
		return 0;
	if (frag == NULL)
		frag = ew_frag_new(64, 1000000);
	/* an exact-size copy, so that ASan sees any read past the frame */
	copy = malloc(size - 1 ? size - 1 : 1);
	memcpy(copy, data + 1, size - 1);
	if (ew_pkt_decode(&p, dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))], copy,
			  (uint32_t)(size - 1)) == 0) {
		if (p.l3 != NULL && p.l3_len > 0) {
			volatile uint8_t x = p.l3[p.l3_len - 1];   /* l3_len is in bounds */
			(void)x;
		}
		ew_frag_track(frag, &p, 1);
	}
	free(copy);
	return 0;
}
