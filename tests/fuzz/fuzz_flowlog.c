/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_flowlog - libFuzzer target for the cloud flow-log decoder: the input is a file's
 * text, detected as the file source detects it (if not recognised, the first byte picks
 * a format), then read line by line as AWS or GCP (header lines included, each line copied to a buffer of its exact
 * size so that ASan sees any overread) or whole as an Azure document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collector/decode_flowlog.h"

static void sink(void *arg, const struct ew_record *r)
{
	(void)arg;
	(void)r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ew_flowlog *fl;
	size_t off = 0;

	enum ew_flowlog_format fmt = ew_flowlog_detect((const char *)data, size);

	/* the format as detected, or (not recognised) picked by the first byte */
	if (fmt == EW_FL_UNKNOWN)
		fmt = size == 0 ? EW_FL_AWS : data[0] % 3 == 2 ? EW_FL_AZURE :
		      data[0] % 3 == 1 ? EW_FL_GCP : EW_FL_AWS;
	if (fmt == EW_FL_AZURE) {
		char *doc = malloc(size);

		memcpy(doc, data, size);
		fl = ew_flowlog_new(EW_FL_AZURE);
		ew_flowlog_document(fl, doc, size, sink, NULL);
		free(doc);
		ew_flowlog_free(fl);
		return 0;
	}
	fl = ew_flowlog_new(fmt);
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
