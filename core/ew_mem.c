/* SPDX-License-Identifier: Apache-2.0 */
/* ew_mem - see ew_mem.h. */
#include "core/ew_mem.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

#define PAGE ((size_t)4096)

/* Below 2 MB a table gains nothing from huge pages, and each first touch would zero a
 * whole one (2 MB for a 16-flow table: most of a fuzzer's time per input). */
static size_t rounded(size_t n)
{
	return n < HUGE_PAGE ? (n + PAGE - 1) & ~(PAGE - 1) : (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

void *ew_mem_huge(size_t n)
{
	size_t len = rounded(n ? n : 1), map = len + HUGE_PAGE;

	if (len < HUGE_PAGE) {
		void *q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		return q == MAP_FAILED ? NULL : q;
	}
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

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23       /* Linux 5.14 */
#endif

/* The whole pages of [p, p + n): their first address in *a, the end in *e; 0 if none. */
static int whole_pages(void *p, size_t n, uintptr_t *a, uintptr_t *e)
{
	*a = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	*e = ((uintptr_t)p + n) & ~(uintptr_t)(PAGE - 1);
	return p != NULL && *e > *a;
}

void ew_mem_populate_by_writes(void *p, size_t n)
{
	uintptr_t a, e;

	if (!whole_pages(p, n, &a, &e))
		return;
	for (volatile uint8_t *q = (volatile uint8_t *)a; q < (volatile uint8_t *)e; q += PAGE)
		*q = *q;
}

void ew_mem_populate(void *p, size_t n)
{
	uintptr_t a, e;

	if (!whole_pages(p, n, &a, &e))
		return;
	if (madvise((void *)a, e - a, MADV_POPULATE_WRITE) != 0)
		ew_mem_populate_by_writes(p, n);     /* a kernel before 5.14 */
}

void ew_mem_huge_free(void *p, size_t n)
{
	if (p != NULL)
		munmap(p, rounded(n ? n : 1));
}
