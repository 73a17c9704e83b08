/* SPDX-License-Identifier: Apache-2.0 */
/* ew_mem - see ew_mem.h. */
#include "core/ew_mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

void *ew_mem_huge(size_t n)
{
	void *p = NULL;

	if (n < HUGE_PAGE)
		return calloc(1, n ? n : 1);
	n = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	if (posix_memalign(&p, HUGE_PAGE, n) != 0)
		return NULL;
	madvise(p, n, MADV_HUGEPAGE);
	memset(p, 0, n);
	return p;
}
