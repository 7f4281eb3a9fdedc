// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the /sys/kernel/tesseract directory.
 *
 * Module-wide state, one value per file.  Per-device state is reported by
 * `dmsetup status`; see Documentation/dm-tesseract.rst.
 */
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "tess-sysfs.h"
#include "tess-target.h"

static struct kobject *tess_kobj;

static ssize_t targets_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&tess_nr_targets));
}

static struct kobj_attribute targets_attr = __ATTR_RO(targets);

static struct attribute *tess_attrs[] = {
	&targets_attr.attr,
	NULL,
};

static const struct attribute_group tess_group = {
	.attrs = tess_attrs,
};

int tess_sysfs_init(void)
{
	int r;

	tess_kobj = kobject_create_and_add("tesseract", kernel_kobj);
	if (!tess_kobj)
		return -ENOMEM;

	r = sysfs_create_group(tess_kobj, &tess_group);
	if (r) {
		kobject_put(tess_kobj);
		tess_kobj = NULL;
	}
	return r;
}

void tess_sysfs_exit(void)
{
	sysfs_remove_group(tess_kobj, &tess_group);
	kobject_put(tess_kobj);
	tess_kobj = NULL;
}
