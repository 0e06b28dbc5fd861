// SPDX-License-Identifier: GPL-2.0
/*
 * traceregion_test_owner - a careless region owner, for the selftest's
 * unload tests (../traceregion_test.c)
 *
 * At load it creates the region "trt_owner", with an on_drop callback, and
 * allocates from it.  Its parameters make it behave as a buggy or unlucky
 * client would:
 *
 *   leak=1      its exit forgets region_destroy(): traceregion orphans the
 *               region when this module goes away
 *   drop_ms=N   on_drop sleeps N ms, so that the test can unload this module
 *               while a debugfs drop is running its code
 *
 * on_drop logs "on_drop start" and "on_drop done", and touches this module's
 * data, so that a callback run after the module is gone faults.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/err.h>
#include <linux/module.h>

#include "region_alloc.h"

static bool leak;
module_param(leak, bool, 0444);
MODULE_PARM_DESC(leak, "leave the region behind at unload (default 0)");

static unsigned int drop_ms;
module_param(drop_ms, uint, 0444);
MODULE_PARM_DESC(drop_ms, "milliseconds on_drop sleeps (0-10000, default 0)");

static struct region *to_region;
/* The owner's pointer into the region, forgotten by on_drop. */
static void *to_record;
static unsigned int to_drops;

static void to_on_drop(struct region *r, void *priv)
{
	void **record = priv;

	pr_info("on_drop start\n");
	if (drop_ms)
		msleep(drop_ms);
	WRITE_ONCE(*record, NULL);
	to_drops++;
	pr_info("on_drop done\n");
}

static int __init to_init(void)
{
	struct region_params p = {
		.reserve_blocks = 1,
		.on_drop = to_on_drop,
		.priv = &to_record,
	};

	if (drop_ms > 10000)
		return -EINVAL;
	to_region = region_create("trt_owner", &p);
	if (IS_ERR(to_region))
		return PTR_ERR(to_region);
	to_record = region_alloc(to_region, 4096, GFP_KERNEL);
	return 0;
}

static void __exit to_exit(void)
{
	if (leak) {
		pr_info("exit without region_destroy(), %u drops\n", to_drops);
		return;
	}
	region_destroy(to_region);
	pr_info("region destroyed, %u drops\n", to_drops);
}

module_init(to_init);
module_exit(to_exit);

MODULE_IMPORT_NS(TRACEREGION);
MODULE_DESCRIPTION("traceregion selftest: a careless region owner");
MODULE_LICENSE("GPL");
