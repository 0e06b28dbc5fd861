/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_UACCESS_H
#define _TR_LINUX_UACCESS_H

#include <linux/kernel.h>

#endif
