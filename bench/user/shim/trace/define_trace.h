/* SPDX-License-Identifier: GPL-2.0 */
/* Nothing to instantiate: trace events are empty inline functions. */
