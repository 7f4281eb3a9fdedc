// SPDX-License-Identifier: GPL-2.0-only
/*
 * dm-tesseract: the /sys/kernel/tesseract directory.
 *
 * Module-wide state, one value per file: the number of disk and pool
 * tables, and the swap backend and store of the pool that serves swap
 * (zeroes when none).  Per-device state is reported by `dmsetup status`;
 * see Documentation/dm-tesseract.rst.
 */
#include <linux/device-mapper.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "tess-backend.h"
#include "tess-disk.h"
#include "tess-pool.h"
#include "tess-sysfs.h"

static struct kobject *tess_kobj;

static ssize_t targets_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&tess_nr_targets));
}

static struct kobj_attribute targets_attr = __ATTR_RO(targets);

static ssize_t pools_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&tess_nr_pools));
}

static struct kobj_attribute pools_attr = __ATTR_RO(pools);

static struct attribute *tess_attrs[] = {
	&targets_attr.attr,
	&pools_attr.attr,
	NULL,
};

static const struct attribute_group tess_group = {
	.attrs = tess_attrs,
};

/* backend/memcg: the cgroup2 path the backend is restricted to, or "". */
static ssize_t memcg_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	int r = tess_backend_get_memcg(buf, PAGE_SIZE - 1);

	if (r < 0)
		return r;
	return sysfs_emit_at(buf, r, "\n") + r;
}

static ssize_t memcg_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	char *copy = kstrndup(buf, count, GFP_KERNEL), *path;
	int r;

	if (!copy)
		return -ENOMEM;
	path = strim(copy);
	r = tess_backend_set_memcg(path);
	if (r)
		DMERR("memcg: \"%.64s\" is not a cgroup: %d", path, r);
	kfree(copy);
	return r ? -EINVAL : count;
}

static struct kobj_attribute memcg_attr = __ATTR_RW(memcg);

/* Store counters, in the order tess_backend_store_stats() fills them. */
#define TESS_ST_NR	5

static const char * const tess_backend_attr_names[TESS_BE_NR_STATS] = {
	"stored", "loaded", "invalidated", "declined", "failed", "pages",
};

static const char * const tess_store_attr_names[TESS_ST_NR] = {
	"blocks", "used", "free", "bytes_written", "bytes_read",
};

/*
 * A directory of read-only counters: file i shows value i of what @get
 * fills.  Built at init from a table of names.
 */
struct tess_stat_dir {
	const char *name;
	const char * const *names;
	unsigned int nr;
	void (*get)(u64 *vals);
	struct tess_stat_attr *sattrs;
	struct attribute **attrs;	/* NULL-terminated, for the group */
	struct attribute_group group;
};

/* One file of a tess_stat_dir. */
struct tess_stat_attr {
	struct kobj_attribute kattr;
	struct tess_stat_dir *dir;
	unsigned int idx;
};

#define TESS_MAX_STATS	8
static_assert(TESS_BE_NR_STATS <= TESS_MAX_STATS && TESS_ST_NR <= TESS_MAX_STATS);

static struct tess_stat_dir tess_stat_dirs[] = {
	{ "backend", tess_backend_attr_names, TESS_BE_NR_STATS,
	  tess_backend_get_stats },
	{ "store", tess_store_attr_names, TESS_ST_NR, tess_backend_store_stats },
};

static ssize_t tess_stat_show(struct kobject *kobj, struct kobj_attribute *a,
			      char *buf)
{
	struct tess_stat_attr *sa = container_of(a, struct tess_stat_attr, kattr);
	u64 vals[TESS_MAX_STATS];

	sa->dir->get(vals);
	return sysfs_emit(buf, "%llu\n", vals[sa->idx]);
}

static void tess_stat_dir_free(struct tess_stat_dir *sd)
{
	kfree(sd->sattrs);
	kfree(sd->attrs);
	sd->sattrs = NULL;
	sd->attrs = NULL;
}

/* Fill @sd's group; @extra is one more attribute for it, or NULL. */
static int tess_stat_dir_build(struct tess_stat_dir *sd,
			       struct attribute *extra)
{
	unsigned int i;

	struct tess_stat_attr *sa;

	sd->sattrs = kcalloc(sd->nr, sizeof(*sd->sattrs), GFP_KERNEL);
	sd->attrs = kcalloc(sd->nr + 2, sizeof(*sd->attrs), GFP_KERNEL);
	if (!sd->sattrs || !sd->attrs) {
		tess_stat_dir_free(sd);
		return -ENOMEM;
	}
	for (i = 0; i < sd->nr; i++) {
		sa = &sd->sattrs[i];
		sysfs_attr_init(&sa->kattr.attr);
		sa->kattr.attr.name = sd->names[i];
		sa->kattr.attr.mode = 0444;
		sa->kattr.show = tess_stat_show;
		sa->dir = sd;
		sa->idx = i;
		sd->attrs[i] = &sa->kattr.attr;
	}
	sd->attrs[i] = extra;
	sd->group.name = sd->name;
	sd->group.attrs = sd->attrs;
	return sysfs_create_group(tess_kobj, &sd->group);
}

static void tess_stat_dirs_remove(void)
{
	unsigned int d;

	for (d = 0; d < ARRAY_SIZE(tess_stat_dirs); d++) {
		if (!tess_stat_dirs[d].attrs)
			continue;
		sysfs_remove_group(tess_kobj, &tess_stat_dirs[d].group);
		tess_stat_dir_free(&tess_stat_dirs[d]);
	}
}

static int tess_stat_dirs_create(void)
{
	int r;

	r = tess_stat_dir_build(&tess_stat_dirs[0], &memcg_attr.attr);
	if (!r)
		r = tess_stat_dir_build(&tess_stat_dirs[1], NULL);
	if (r)
		tess_stat_dirs_remove();
	return r;
}

int tess_sysfs_init(void)
{
	int r;

	tess_kobj = kobject_create_and_add("tesseract", kernel_kobj);
	if (!tess_kobj)
		return -ENOMEM;

	r = sysfs_create_group(tess_kobj, &tess_group);
	if (!r) {
		r = tess_stat_dirs_create();
		if (r)
			sysfs_remove_group(tess_kobj, &tess_group);
	}
	if (r) {
		kobject_put(tess_kobj);
		tess_kobj = NULL;
	}
	return r;
}

void tess_sysfs_exit(void)
{
	tess_stat_dirs_remove();
	sysfs_remove_group(tess_kobj, &tess_group);
	kobject_put(tess_kobj);
	tess_kobj = NULL;
}
