/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module glue: parameters keep their defaults, exports are plain symbols,
 * and module_init()/module_exit() become tr_module_init()/tr_module_exit()
 * for the benchmark to call.
 */
#ifndef _TR_LINUX_MODULE_H
#define _TR_LINUX_MODULE_H

#include <linux/kernel.h>

struct module;
#define THIS_MODULE		((struct module *)0)
#define module_name(mod)	"?"
#define module_is_live(mod)	((void)(mod), true)

/* Module notifiers: no module ever comes or goes here. */
enum { MODULE_STATE_LIVE, MODULE_STATE_COMING, MODULE_STATE_GOING };
#define NOTIFY_DONE		0
#define NOTIFY_OK		1
struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long action,
			     void *data);
};

#define register_module_notifier(nb)	((void)(nb), 0)
#define unregister_module_notifier(nb)	do { (void)(nb); } while (0)
#define __init
#define __exit

int tr_module_init(void);
void tr_module_exit(void);

#define module_init(fn)		int tr_module_init(void) { return fn(); } \
				extern int tr_module_unused
#define module_exit(fn)		void tr_module_exit(void) { fn(); } \
				extern int tr_module_unused
#define module_param(name, type, perm)	extern int tr_module_unused
#define MODULE_PARM_DESC(name, desc)	extern int tr_module_unused
#define MODULE_DESCRIPTION(s)		extern int tr_module_unused
#define MODULE_AUTHOR(s)		extern int tr_module_unused
#define MODULE_LICENSE(s)		extern int tr_module_unused
#define MODULE_IMPORT_NS(ns)		extern int tr_module_unused
#define EXPORT_SYMBOL_NS_GPL(sym, ns)	extern int tr_module_unused
#define EXPORT_SYMBOL_GPL(sym)		extern int tr_module_unused

#endif
