/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_DEBUGFS_H
#define _TR_LINUX_DEBUGFS_H

#include <linux/types.h>
#include <linux/module.h>

struct dentry;
struct inode;
struct seq_file;

struct file {
	void *private_data;
};

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *, struct file *);
	ssize_t (*write)(struct file *, const char __user *, size_t, off_t *);
	off_t (*llseek)(struct file *, off_t, int);
	int (*show)(struct seq_file *, void *);
};

typedef off_t loff_t;

static inline int simple_open(struct inode *inode, struct file *file)
{
	return 0;
}

static inline off_t noop_llseek(struct file *file, off_t offset, int whence)
{
	return offset;
}

static inline struct dentry *debugfs_create_dir(const char *name,
						struct dentry *parent)
{
	return NULL;
}

static inline struct dentry *
debugfs_create_file(const char *name, unsigned short mode,
		    struct dentry *parent, void *data,
		    const struct file_operations *fops)
{
	return NULL;
}

static inline void debugfs_remove_recursive(struct dentry *dentry)
{
}

#endif
