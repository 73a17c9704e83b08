/* SPDX-License-Identifier: Apache-2.0 */
/* ew_mem - see ew_mem.h. */
#include "core/ew_mem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

static size_t rounded(size_t n)
{
	return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

void *ew_mem_huge(size_t n)
{
	size_t len = rounded(n ? n : 1), map = len + HUGE_PAGE;
	uint8_t *p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	/* keep a 2 MB aligned window of len bytes, return the rest */
	a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((uintptr_t)p + map > a + len)
		munmap((void *)(a + len), (uintptr_t)p + map - (a + len));
	madvise((void *)a, len, MADV_HUGEPAGE);
	return (void *)a;
}

void ew_mem_huge_free(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, rounded(n ? n : 1));
}
