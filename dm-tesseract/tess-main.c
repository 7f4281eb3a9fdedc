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

#include "tess-backend.h"
#include "tess-store.h"
#include "tess-sysfs.h"
#include "tess-target.h"

unsigned int tess_verbose;

static char *store;
module_param(store, charp, 0444);
MODULE_PARM_DESC(store,
		 "Block device that holds host-swapped VM pages; without it no swap backend is registered");

static struct tess_store tess_the_store;

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

/* Open the store and register the swap backend on it, if one is named. */
static int __init tess_backend_start(void)
{
	int r;

	if (!store || !*store)
		return 0;
	r = tess_store_open(&tess_the_store, store);
	if (r)
		return r;
	r = tess_backend_init(&tess_the_store);
	if (r) {
		DMERR("store %s: cannot register the swap backend: %d", store, r);
		tess_store_close(&tess_the_store);
	}
	return r;
}

static void tess_backend_stop(void)
{
	if (!store || !*store)
		return;
	tess_backend_exit();
	tess_store_close(&tess_the_store);
}

static int __init tess_init(void)
{
	bool has_store = store && *store;
	int r;

	r = tess_backend_start();
	if (r)
		return r;

	r = tess_sysfs_init(has_store ? &tess_the_store : NULL);
	if (r)
		goto bad_sysfs;

	r = tess_target_register();
	if (r)
		goto bad_target;
	return 0;

bad_target:
	tess_sysfs_exit();
bad_sysfs:
	tess_backend_stop();
	return r;
}

static void __exit tess_exit(void)
{
	tess_target_unregister();
	tess_sysfs_exit();
	tess_backend_stop();
}

module_init(tess_init);
module_exit(tess_exit);

MODULE_DESCRIPTION(DM_NAME " tesseract target: reconciles guest I/O and host swapping");
MODULE_AUTHOR("The Tesseract for Linux/KVM developers");
MODULE_LICENSE("GPL");
