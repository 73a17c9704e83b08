/* SPDX-License-Identifier: Apache-2.0 */
/* ew_mem - large, read-mostly tables backed by huge pages where the kernel allows.
 *
 * Verdicts read a few large arrays at random (the policy's pair index, its records, the
 * prefix tries); with 4 KB pages nearly every such read is also a TLB miss, which on a
 * virtual machine costs more than the cache miss itself. ew_mem_huge() asks for
 * transparent huge pages (madvise mode is Debian's default); it falls back to ordinary
 * memory silently. */
#ifndef EW_MEM_H
#define EW_MEM_H

#include <stddef.h>

/* Zeroed memory for n bytes; free with free(). NULL on failure. */
void *ew_mem_huge(size_t n);

#endif
