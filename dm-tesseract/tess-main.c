// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: module entry points and module parameters.
 *
 * Tesseract (VEE 2014) for Linux/KVM: a "tesseract-pool" target that owns
 * a store and its metadata, and a "tesseract" target under each VM disk.
 * See Documentation/dm-tesseract.rst.
 */
#include <linux/device-mapper.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "tess-backend.h"
#include "tess-disk.h"
#include "tess-pool.h"
#include "tess-sysfs.h"

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

/*
 * The swap backend is registered first but takes no page until a pool
 * that serves swap resumes and binds it; module exit comes only once no
 * table is left and the store holds no page (each holds the module).
 */
static int __init tess_init(void)
{
	int r;

	r = tess_backend_init();
	if (r) {
		DMERR("cannot register the swap backend: %d", r);
		return r;
	}
	r = tess_sysfs_init();
	if (r)
		goto bad_sysfs;
	r = tess_pool_register();
	if (r)
		goto bad_pool;
	r = tess_disk_register();
	if (r)
		goto bad_disk;
	return 0;

bad_disk:
	tess_pool_unregister();
bad_pool:
	tess_sysfs_exit();
bad_sysfs:
	tess_backend_exit();
	return r;
}

static void __exit tess_exit(void)
{
	tess_disk_unregister();
	tess_pool_unregister();
	tess_sysfs_exit();
	tess_backend_exit();
}

module_init(tess_init);
module_exit(tess_exit);

MODULE_DESCRIPTION(DM_NAME " tesseract targets: reconcile guest I/O and host swapping");
MODULE_AUTHOR("The Tesseract for Linux/KVM developers");
MODULE_LICENSE("GPL");
