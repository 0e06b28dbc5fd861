/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_WAIT_H
#define _TR_LINUX_WAIT_H

#include <linux/wait_bit.h>

#endif
