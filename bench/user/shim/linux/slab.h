/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_SLAB_H
#define _TR_LINUX_SLAB_H

#include <stdlib.h>
#include <string.h>
#include <linux/gfp.h>

/* Cache-line aligned like the kmalloc caches a struct region lands in. */
static inline void *kmalloc(size_t size, gfp_t gfp)
{
	void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);

	if (p && (gfp & __GFP_ZERO))
		memset(p, 0, size);
	return p;
}

static inline void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

#endif
