/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_BUILD_BUG_H
#define _TR_LINUX_BUILD_BUG_H

#include <assert.h>

#undef static_assert
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)
#define BUILD_BUG_ON(cond)		_Static_assert(!(cond), #cond)
/* For conditions constant only after inlining: a call the optimiser drops. */
extern void tr_build_bug(void) __attribute__((error("BUILD_BUG_ON_MSG")));
#define BUILD_BUG_ON_MSG(cond, msg)	\
	do { if (cond) tr_build_bug(); } while (0)

#endif
