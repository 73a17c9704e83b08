/* SPDX-License-Identifier: Apache-2.0 */
/* ew_ilist - lists of the entries of an array, linked by index through a struct
 * ew_ilink inside each entry (0: none, so entry 0 is never on a list), newest first:
 * what a bounded table keeps to find, at once, the entry it should forget (the one
 * heard from or used longest ago is the oldest of its list).
 *
 * The entry i's link is at base + i * stride + off (offsetof its struct ew_ilink); the
 * functions are inline, so those constants fold into each caller. */
#ifndef EW_ILIST_H
#define EW_ILIST_H

#include <stddef.h>
#include <stdint.h>

struct ew_ilink {
	uint32_t newer, older;
};

struct ew_ilist {
	uint32_t newest, oldest;
};

static inline struct ew_ilink *ew_ilink_at(void *base, size_t stride, size_t off, uint32_t i)
{
	return (struct ew_ilink *)((char *)base + (size_t)i * stride + off);
}

/* i (on no list) becomes the newest of l. */
static inline void ew_ilist_push_newest(struct ew_ilist *l, void *base, size_t stride,
					size_t off, uint32_t i)
{
	struct ew_ilink *x = ew_ilink_at(base, stride, off, i);

	x->newer = 0;
	x->older = l->newest;
	if (x->older)
		ew_ilink_at(base, stride, off, x->older)->newer = i;
	else
		l->oldest = i;
	l->newest = i;
}

/* i (on no list) becomes the oldest of l. */
static inline void ew_ilist_push_oldest(struct ew_ilist *l, void *base, size_t stride,
					size_t off, uint32_t i)
{
	struct ew_ilink *x = ew_ilink_at(base, stride, off, i);

	x->older = 0;
	x->newer = l->oldest;
	if (x->newer)
		ew_ilink_at(base, stride, off, x->newer)->older = i;
	else
		l->newest = i;
	l->oldest = i;
}

/* i, on l, leaves it. */
static inline void ew_ilist_remove(struct ew_ilist *l, void *base, size_t stride, size_t off,
				   uint32_t i)
{
	struct ew_ilink *x = ew_ilink_at(base, stride, off, i);

	if (x->newer)
		ew_ilink_at(base, stride, off, x->newer)->older = x->older;
	else
		l->newest = x->older;
	if (x->older)
		ew_ilink_at(base, stride, off, x->older)->newer = x->newer;
	else
		l->oldest = x->newer;
	x->newer = x->older = 0;
}

#endif
