/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_HARDIRQ_H
#define _TR_LINUX_HARDIRQ_H

/* No interrupts, no NMIs in user space. */
#define in_nmi()		0
#define in_interrupt()		0

#endif
