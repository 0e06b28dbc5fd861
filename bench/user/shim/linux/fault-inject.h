/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_FAULT_INJECT_H
#define _TR_LINUX_FAULT_INJECT_H

/*
 * Nothing: CONFIG_FAULT_INJECTION is not set in user space, so
 * region_alloc.c uses its no-op fault point.
 */

#endif
