/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of traceregion's slow paths.  None of them fires on the fast
 * path: a block install, a drop, and a region_alloc() that returned NULL.
 *
 *	echo 1 > /sys/kernel/tracing/events/traceregion/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM traceregion

#if !defined(_TRACEREGION_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACEREGION_TRACE_H

#include <linux/tracepoint.h>

#include "region_alloc.h"

TRACE_EVENT(block_install,

	TP_PROTO(const char *name, unsigned long blocks_held, bool spare,
		 unsigned long size),

	TP_ARGS(name, blocks_held, spare, size),

	TP_STRUCT__entry(
		__array(char, name, REGION_NAME_MAX + 1)
		__field(unsigned long, blocks_held)
		__field(bool, spare)
		__field(unsigned long, size)
	),

	TP_fast_assign(
		strscpy(__entry->name, name, sizeof(__entry->name));
		__entry->blocks_held = blocks_held;
		__entry->spare = spare;
		__entry->size = size;
	),

	TP_printk("region=%s blocks_held=%lu from=%s size=%lu",
		  __entry->name, __entry->blocks_held,
		  __entry->spare ? "reserve" : "vmalloc", __entry->size)
);

TRACE_EVENT(drop,

	TP_PROTO(const char *name, unsigned long blocks, unsigned long recycled,
		 u64 bytes_live, bool from_debugfs),

	TP_ARGS(name, blocks, recycled, bytes_live, from_debugfs),

	TP_STRUCT__entry(
		__array(char, name, REGION_NAME_MAX + 1)
		__field(unsigned long, blocks)
		__field(unsigned long, recycled)
		__field(u64, bytes_live)
		__field(bool, from_debugfs)
	),

	TP_fast_assign(
		strscpy(__entry->name, name, sizeof(__entry->name));
		__entry->blocks = blocks;
		__entry->recycled = recycled;
		__entry->bytes_live = bytes_live;
		__entry->from_debugfs = from_debugfs;
	),

	TP_printk("region=%s blocks=%lu recycled=%lu bytes_live=%llu by=%s",
		  __entry->name, __entry->blocks, __entry->recycled,
		  __entry->bytes_live,
		  __entry->from_debugfs ? "debugfs" : "owner")
);

/* The cause is recorded by name: the names are listed in region_alloc.c only. */
TRACE_EVENT(alloc_fail,

	TP_PROTO(const char *name, size_t size, const char *cause),

	TP_ARGS(name, size, cause),

	TP_STRUCT__entry(
		__array(char, name, REGION_NAME_MAX + 1)
		__field(size_t, size)
		__array(char, cause, 16)
	),

	TP_fast_assign(
		strscpy(__entry->name, name, sizeof(__entry->name));
		__entry->size = size;
		strscpy(__entry->cause, cause, sizeof(__entry->cause));
	),

	TP_printk("region=%s size=%zu cause=%s", __entry->name, __entry->size,
		  __entry->cause)
);

#endif /* _TRACEREGION_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE region_trace
#include <trace/define_trace.h>
