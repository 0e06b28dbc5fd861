/* SPDX-License-Identifier: GPL-2.0 */
/* User-space stand-in for <linux/ctype.h>: the C library's. */
#ifndef _TR_LINUX_CTYPE_H
#define _TR_LINUX_CTYPE_H
#include <ctype.h>
#endif
