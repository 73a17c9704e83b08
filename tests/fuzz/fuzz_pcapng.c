/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_pcapng - libFuzzer target for collector/decode_pcapng: the input is a whole file,
 * walked block by block as the capture source's fallback reads it, every packet passed
 * on to the packet decoder with its interface's link type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_pcapng.h"
#include "collector/decode_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_pcapng *r = calloc(1, sizeof(*r));
	size_t off = 0;

	while (r && off + 12 <= size) {
		uint32_t len = ew_pcapng_block_len(r, data + off);
		struct ew_pcapng_pkt k;
		struct ew_pkt p;
		uint8_t *blk;

		if (len == 0 || len > size - off)
			break;
		blk = malloc(len);                /* exactly the block: ASan sees overreads */
		memcpy(blk, data + off, len);
		if (ew_pcapng_block(r, blk, len, &k) == 1)
			ew_pkt_decode(&p, k.dlt, k.data, k.caplen);
		free(blk);
		off += len;
	}
	free(r);
	return 0;
}
