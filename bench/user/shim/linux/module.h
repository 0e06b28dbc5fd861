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
