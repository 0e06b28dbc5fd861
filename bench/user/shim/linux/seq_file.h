/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_SEQ_FILE_H
#define _TR_LINUX_SEQ_FILE_H

#include <linux/debugfs.h>

struct seq_file {
	void *private;
};

static inline __printf(2, 3) void seq_printf(struct seq_file *m,
					     const char *fmt, ...)
{
}

/* The show function is kept referenced, so it compiles and is not unused. */
#define DEFINE_SHOW_ATTRIBUTE(__name)					\
static const struct file_operations __name ## _fops = {		\
	.owner	= THIS_MODULE,						\
	.show	= __name ## _show,					\
}

#endif
