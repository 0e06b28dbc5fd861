/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_BUILD_BUG_H
#define _TR_LINUX_BUILD_BUG_H

#include <assert.h>

#undef static_assert
#define static_assert(expr, ...)	__static_assert(expr, ##__VA_ARGS__, #expr)
#define __static_assert(expr, msg, ...)	_Static_assert(expr, msg)
#define BUILD_BUG_ON(cond)		_Static_assert(!(cond), #cond)

#endif
