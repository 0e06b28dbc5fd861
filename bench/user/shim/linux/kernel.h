/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_KERNEL_H
#define _TR_LINUX_KERNEL_H

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <linux/types.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/minmax.h>

#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Nothing sleeps "wrongly" in user space. */
#define might_sleep()		do { } while (0)
/* No kernel config here: every option off. */
#define IS_ENABLED(option)	0
#define might_sleep_if(c)	do { (void)(c); } while (0)

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)	fprintf(stderr, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn_once(fmt, ...)	({					\
	static bool __warned;						\
	if (!__warned) {						\
		__warned = true;					\
		pr_warn(fmt, ##__VA_ARGS__);				\
	}								\
})
#define WARN_ONCE(cond, fmt, ...) ({					\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		pr_warn_once(fmt, ##__VA_ARGS__);			\
	unlikely(__c);							\
})
#define WARN_ON_ONCE(cond)	WARN_ONCE(cond, "WARN_ON_ONCE(%s)\n", #cond)

static inline int kstrtouint_from_user(const char __user *s, size_t count,
				       unsigned int base, unsigned int *res)
{
	return -EINVAL;
}

#include <linux/err.h>
#include <linux/string.h>

#endif
