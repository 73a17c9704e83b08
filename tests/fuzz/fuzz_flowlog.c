/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_flowlog - libFuzzer target for the cloud flow-log decoder: the input is a file's
 * text, detected as the file source detects it and read line by line (header lines
 * included), each line copied to a buffer of its exact size so that ASan sees any
 * overread. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_flowlog.h"

static void sink(void *arg, const struct ew_nf_record *r)
{
	(void)arg;
	(void)r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_flowlog *fl;
	size_t off = 0;

	ew_flowlog_detect((const char *)data, size);
	fl = ew_flowlog_new(EW_FL_AWS);
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (data + off)) : size - off;
		char *line = malloc(n ? n : 1);

		memcpy(line, data + off, n);
		ew_flowlog_line(fl, line, n, sink, NULL);
		free(line);
		off += n + (nl != NULL);
	}
	ew_flowlog_free(fl);
	return 0;
}
