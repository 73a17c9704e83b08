/* SPDX-License-Identifier: Apache-2.0 */
/* ew_mem - large tables backed by huge pages where the kernel allows.
 *
 * The flow table and the policy's indexes are read at random; with 4 KB pages nearly
 * every such read is also a TLB miss, which on a virtual machine costs more than the
 * cache miss itself. These mappings ask for transparent huge pages (madvise mode is
 * Debian's default) and are zero-filled lazily by the kernel: untouched parts cost no
 * memory. Where huge pages are unavailable they are ordinary anonymous memory. */
#ifndef EW_MEM_H
#define EW_MEM_H

#include <stddef.h>

/* Zeroed memory for n bytes, NULL on failure. Release with ew_mem_huge_free(p, n). */
void *ew_mem_huge(size_t n);
void ew_mem_huge_free(void *p, size_t n);

/* Make the whole pages of [p, p + n) the process's now, written (contents kept). For
 * tables read before they are written at random: a read of a page never written maps
 * the kernel's shared zero page, and the first write to it then faults again and
 * flushes that page from the TLB of every CPU the process runs on (an interrupt for
 * every other worker). */
void ew_mem_populate(void *p, size_t n);
/* The same by a write to each page (what ew_mem_populate does where the kernel has no
 * MADV_POPULATE_WRITE, before Linux 5.14). */
void ew_mem_populate_by_writes(void *p, size_t n);

#endif
