// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: module entry points and module parameters.
 *
 * Tesseract (VEE 2014) for Linux/KVM: a device-mapper target under each VM
 * disk.  See Documentation/dm-tesseract.rst.
 */
#include <linux/device-mapper.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "tess-sysfs.h"
#include "tess-target.h"

unsigned int tess_verbose;

static int verbose_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int r;

	r = kstrtouint(val, 0, &v);
	if (r || v > 1) {
		DMERR("verbose: invalid value, must be 0 or 1");
		return -EINVAL;
	}
	WRITE_ONCE(tess_verbose, v);
	return 0;
}

static const struct kernel_param_ops verbose_ops = {
	.set = verbose_set,
	.get = param_get_uint,
};

module_param_cb(verbose, &verbose_ops, &tess_verbose, 0644);
MODULE_PARM_DESC(verbose,
		 "Log table creation, removal and messages (0 or 1; default 0)");

static int __init tess_init(void)
{
	int r;

	r = tess_sysfs_init();
	if (r)
		return r;

	r = tess_target_register();
	if (r) {
		tess_sysfs_exit();
		return r;
	}
	return 0;
}

static void __exit tess_exit(void)
{
	tess_target_unregister();
	tess_sysfs_exit();
}

module_init(tess_init);
module_exit(tess_exit);

MODULE_DESCRIPTION(DM_NAME " tesseract target: reconciles guest I/O and host swapping");
MODULE_AUTHOR("The Tesseract for Linux/KVM developers");
MODULE_LICENSE("GPL");
