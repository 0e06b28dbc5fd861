/* SPDX-License-Identifier: GPL-2.0 */
/* vmalloc: page-aligned, zeroed with __GFP_ZERO (tr_shim.c). */
#ifndef _TR_LINUX_VMALLOC_H
#define _TR_LINUX_VMALLOC_H

#include <linux/gfp.h>

void *__vmalloc(unsigned long size, gfp_t gfp);
void vfree(const void *addr);

#define vmalloc(size)		__vmalloc(size, GFP_KERNEL)
#define vzalloc(size)		__vmalloc(size, GFP_KERNEL | __GFP_ZERO)

#endif
