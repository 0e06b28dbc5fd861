/* SPDX-License-Identifier: GPL-2.0 */
/* No interrupts in user space: nothing to mask. */
#ifndef _TR_LINUX_IRQFLAGS_H
#define _TR_LINUX_IRQFLAGS_H

#define local_irq_save(flags)		do { (flags) = 0; } while (0)
#define local_irq_restore(flags)	do { (void)(flags); } while (0)
#define local_irq_disable()		do { } while (0)
#define local_irq_enable()		do { } while (0)
#define irqs_disabled()			0
#define lockdep_assert_irqs_disabled()	do { } while (0)

#endif
