/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TR_LINUX_STRING_H
#define _TR_LINUX_STRING_H

#include <string.h>
#include <errno.h>
#include <linux/types.h>

static inline ssize_t strscpy(char *dst, const char *src, size_t size)
{
	size_t len = strnlen(src, size);

	if (!size)
		return -E2BIG;
	if (len == size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return -E2BIG;
	}
	memcpy(dst, src, len + 1);
	return len;
}

#endif
