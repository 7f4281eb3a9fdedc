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

static bool tess_has_store(void)
{
	return store && *store;
}

/*
 * The swap backend is registered last, once nothing can fail: from then
 * on reclaim may put pages in the store, and only module exit, which
 * waits for the store to be empty, may take it away.
 */
static int __init tess_init(void)
{
	struct tess_store *s = tess_has_store() ? &tess_the_store : NULL;
	int r;

	if (s) {
		r = tess_store_open(s, store);
		if (r)
			return r;
	}

	r = tess_sysfs_init(s);
	if (r)
		goto bad_sysfs;

	r = tess_target_register();
	if (r)
		goto bad_target;

	if (s) {
		r = tess_backend_init(s);
		if (r) {
			DMERR("store %s: cannot register the swap backend: %d",
			      store, r);
			goto bad_backend;
		}
	}
	return 0;

bad_backend:
	tess_target_unregister();
bad_target:
	tess_sysfs_exit();
bad_sysfs:
	if (s)
		tess_store_close(s);
	return r;
}

static void __exit tess_exit(void)
{
	if (tess_has_store())
		tess_backend_exit();
	tess_target_unregister();
	tess_sysfs_exit();
	if (tess_has_store())
		tess_store_close(&tess_the_store);
}

module_init(tess_init);
module_exit(tess_exit);

MODULE_DESCRIPTION(DM_NAME " tesseract target: reconciles guest I/O and host swapping");
MODULE_AUTHOR("The Tesseract for Linux/KVM developers");
MODULE_LICENSE("GPL");
