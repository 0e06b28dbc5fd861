/* SPDX-License-Identifier: GPL-2.0 */
/* Trace events compile to empty inline functions. */
#ifndef _TR_LINUX_TRACEPOINT_H
#define _TR_LINUX_TRACEPOINT_H

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TRACE_DEFINE_ENUM(x)	extern int tr_trace_unused
#define TRACE_EVENT(name, proto, args, tstruct, assign, print) \
	static inline void trace_ ## name(proto) { } \
	static inline bool trace_ ## name ## _enabled(void) { return false; }
#define EXPORT_TRACEPOINT_SYMBOL_GPL(name)	extern int tr_trace_unused

#endif
