/* SPDX-License-Identifier: GPL-2.0 */
/*
 * traceregion - the differences between the kernels it builds against.
 *
 * Every #if on the kernel version lives here and nowhere else.
 * Tested: Debian's 6.1 and 6.12 kernels; 6.13+ by a preprocessor check.
 */
#ifndef _TRACEREGION_REGION_COMPAT_H
#define _TRACEREGION_REGION_COMPAT_H

#include <linux/version.h>

/*
 * Symbol namespace of the exported API.  Up to 6.12 EXPORT_SYMBOL_NS_GPL()
 * and MODULE_IMPORT_NS() take a bare identifier and stringify it; from 6.13
 * on they take a string literal.  Clients write
 *	MODULE_IMPORT_NS(TRACEREGION_NS);
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define TRACEREGION_NS		"TRACEREGION"
#else
#define TRACEREGION_NS		TRACEREGION
#endif

#endif /* _TRACEREGION_REGION_COMPAT_H */
