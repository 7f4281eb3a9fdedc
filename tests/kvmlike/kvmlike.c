// SPDX-License-Identifier: GPL-2.0
/*
 * kvmlike: a test device that writes user memory the way KVM does, so that
 * a test can show what a host sees of a guest's writes to guest RAM.
 *
 * A vCPU writes guest RAM through the secondary MMU (EPT/NPT), behind the
 * primary MMU's back.  KVM faults a page into its SPTEs with
 * get_user_page_fast_only(FOLL_WRITE) (hva_to_pfn_fast()), which on a
 * writable PTE dirties neither the PTE nor the folio, drops the reference
 * at once (kvm_release_pfn_clean()) and relies on its MMU notifier: when the
 * primary MMU invalidates the range, the SPTE is zapped and, if it was
 * writable and dirty, the page is marked dirty (kvm_set_pfn_dirty(), a bare
 * SetPageDirty()).  Until then nothing in the host's page tables or page
 * flags says the page was written.
 *
 * /dev/kvmlike does the same, per open file:
 *
 * - KVMLIKE_SET_SLOT registers an MMU notifier on the caller's mm for one
 *   memslot, a range of its memory (kvm_init_mmu_notifier()).
 * - KVMLIKE_WRITE writes a buffer into pages of the slot.  Each page is
 *   taken with get_user_pages_unlocked(FOLL_WRITE) (KVM's slow path,
 *   hva_to_pfn_slow(); UML has no GUP-fast), under the notifier sequence
 *   retry of a KVM page fault.  Slow GUP's FOLL_TOUCH marks a folio dirty
 *   that GUP-fast would have left clean: that one flag is cleared again (if
 *   the folio was clean before and GUP did not replace the page).  The
 *   page is written through a kernel mapping while the "SPTE", a pfn in a
 *   per-slot array, is installed under mmu_lock, then the reference goes.
 * - The notifier's invalidate_range_start() zaps the SPTEs of the range,
 *   marking their pages dirty with SetPageDirty(); release() zaps them all.
 * - With KVMLIKE_HOLD_REF the reference is kept instead, as kvm_vcpu_map()
 *   keeps its page mapped, and KVMLIKE_RELEASE marks the page dirty and
 *   drops it (kvm_release_page_dirty()); with KVMLIKE_HOLD_PIN the page is
 *   taken with pin_user_pages_unlocked(FOLL_WRITE) and released with
 *   unpin_user_pages_dirty_lock(), as a DMA user does.  Held pages get no
 *   SPTE: their writer tells their dirtiness when it lets them go.
 *
 * Counters in debugfs, kvmlike/stats: pages written, invalidations that
 * overlapped a slot, SPTEs zapped, pages marked dirty (at zap or release),
 * folio dirty flags of slow GUP cleared, pages held now.
 *
 * For tests only: no limit on what a caller may hold but the slot's size.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "kvmlike.h"

/* A KVM page fault retries this often before giving up on contention. */
#define KVMLIKE_RETRIES 1000
/* The largest slot, in pages. */
#define KVMLIKE_MAX_PAGES SZ_256K

static struct {
	atomic64_t written;
	atomic64_t invalidations;
	atomic64_t zapped;
	atomic64_t dirtied;
	atomic64_t gup_dirty_cleared;
	atomic64_t held;
} kvmlike_stats;

struct kvmlike {
	struct mmu_notifier mn;
	struct mm_struct *mm;		/* the slot's; set once, with mn */
	struct mutex ioctl_lock;	/* serialises ioctls of the file */
	unsigned long base;		/* the slot: [base, base + pages pages) */
	unsigned long pages;
	spinlock_t mmu_lock;		/* guards sptes, invalidate_* */
	unsigned long *sptes;		/* pfn + 1 of each page, 0 if none */
	unsigned long invalidate_seq;		/* bumped at each range end */
	unsigned int invalidate_in_progress;	/* ranges started, not ended */
	struct page **held;		/* under ioctl_lock: refs or pins */
	unsigned long nr_held;
	bool held_pinned;
};

/* The page indices of the slot that [start, end) overlaps: [*first, *last). */
static bool kvmlike_overlap(struct kvmlike *kl, unsigned long start,
			    unsigned long end, unsigned long *first,
			    unsigned long *last)
{
	unsigned long slot_end = kl->base + (kl->pages << PAGE_SHIFT);

	if (end <= kl->base || start >= slot_end)
		return false;
	*first = (max(start, kl->base) - kl->base) >> PAGE_SHIFT;
	*last = (min(end, slot_end) - kl->base + PAGE_SIZE - 1) >> PAGE_SHIFT;
	return true;
}

/* Zap the SPTEs of pages [first, last), telling their dirtiness. */
static void kvmlike_zap(struct kvmlike *kl, unsigned long first,
			unsigned long last)
{
	unsigned long i;

	lockdep_assert_held(&kl->mmu_lock);
	for (i = first; i < last; i++) {
		if (!kl->sptes[i])
			continue;
		/* Every SPTE is writable and was written: it is dirty. */
		SetPageDirty(pfn_to_page(kl->sptes[i] - 1));
		kl->sptes[i] = 0;
		atomic64_inc(&kvmlike_stats.zapped);
		atomic64_inc(&kvmlike_stats.dirtied);
	}
}

static int kvmlike_invalidate_range_start(struct mmu_notifier *mn,
					  const struct mmu_notifier_range *range)
{
	struct kvmlike *kl = container_of(mn, struct kvmlike, mn);
	unsigned long first, last;

	if (!kvmlike_overlap(kl, range->start, range->end, &first, &last))
		return 0;
	atomic64_inc(&kvmlike_stats.invalidations);
	spin_lock(&kl->mmu_lock);
	kl->invalidate_in_progress++;
	kvmlike_zap(kl, first, last);
	spin_unlock(&kl->mmu_lock);
	return 0;
}

static void kvmlike_invalidate_range_end(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct kvmlike *kl = container_of(mn, struct kvmlike, mn);
	unsigned long first, last;

	if (!kvmlike_overlap(kl, range->start, range->end, &first, &last))
		return;
	spin_lock(&kl->mmu_lock);
	kl->invalidate_seq++;
	kl->invalidate_in_progress--;
	spin_unlock(&kl->mmu_lock);
}

/* The mm is going away: zap everything, as kvm_flush_shadow_all(). */
static void kvmlike_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvmlike *kl = container_of(mn, struct kvmlike, mn);

	spin_lock(&kl->mmu_lock);
	kvmlike_zap(kl, 0, kl->pages);
	spin_unlock(&kl->mmu_lock);
}

static const struct mmu_notifier_ops kvmlike_mn_ops = {
	.invalidate_range_start = kvmlike_invalidate_range_start,
	.invalidate_range_end = kvmlike_invalidate_range_end,
	.release = kvmlike_release,
};

static int kvmlike_set_slot(struct kvmlike *kl, void __user *arg)
{
	struct kvmlike_range r;
	int ret;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (kl->mm)
		return -EBUSY;
	if (!r.len || !PAGE_ALIGNED(r.addr) || !PAGE_ALIGNED(r.len) ||
	    r.len >> PAGE_SHIFT > KVMLIKE_MAX_PAGES ||
	    r.addr + r.len < r.addr || r.addr + r.len > TASK_SIZE)
		return -EINVAL;
	kl->sptes = kvcalloc(r.len >> PAGE_SHIFT, sizeof(*kl->sptes),
			     GFP_KERNEL);
	kl->held = kvcalloc(r.len >> PAGE_SHIFT, sizeof(*kl->held),
			    GFP_KERNEL);
	if (!kl->sptes || !kl->held)
		goto nomem;
	kl->base = r.addr;
	kl->pages = r.len >> PAGE_SHIFT;
	kl->mn.ops = &kvmlike_mn_ops;
	ret = mmu_notifier_register(&kl->mn, current->mm);
	if (ret) {
		kvfree(kl->sptes);
		kvfree(kl->held);
		kl->sptes = NULL;
		kl->held = NULL;
		kl->pages = 0;
		return ret;
	}
	kl->mm = current->mm;
	return 0;
nomem:
	kvfree(kl->sptes);
	kvfree(kl->held);
	kl->sptes = NULL;
	kl->held = NULL;
	return -ENOMEM;
}

/* Let go of a page taken with @flags, marking it dirty if @dirty. */
static void kvmlike_put(struct page *page, u32 flags, bool dirty)
{
	if (flags & KVMLIKE_HOLD_PIN) {
		unpin_user_pages_dirty_lock(&page, 1, dirty);
		return;
	}
	if (dirty)
		SetPageDirty(page);	/* kvm_release_page_dirty() */
	put_page(page);
}

/*
 * Take the page at @hva for writing, as a KVM page fault does, and leave
 * its folio's dirty flag as GUP-fast would: untouched.
 */
static int kvmlike_gup(unsigned long hva, u32 flags, struct page **pagep)
{
	struct page *before, *page;
	bool was_dirty;
	long n;

	/* Is the folio dirty before the write fault?  (A read: no dirtying.) */
	n = get_user_pages_unlocked(hva, 1, &before, 0);
	if (n != 1)
		return n < 0 ? n : -EFAULT;
	was_dirty = PageDirty(before);
	if (flags & KVMLIKE_HOLD_PIN)
		n = pin_user_pages_unlocked(hva, 1, &page, FOLL_WRITE);
	else
		n = get_user_pages_unlocked(hva, 1, &page, FOLL_WRITE);
	if (n != 1) {
		put_page(before);
		return n < 0 ? n : -EFAULT;
	}
	/*
	 * Slow GUP's FOLL_TOUCH set the dirty flag of a clean folio mapped
	 * writable (follow_page_pte()); GUP-fast does not.  A page that the
	 * write fault replaced (COW) is a new folio with a dirty PTE.
	 */
	if (page == before && !was_dirty) {
		struct folio *folio = page_folio(page);

		folio_lock(folio);
		if (folio_test_clear_dirty(folio))
			atomic64_inc(&kvmlike_stats.gup_dirty_cleared);
		folio_unlock(folio);
	}
	put_page(before);
	*pagep = page;
	return 0;
}

/* Write the page @src into page @i of the slot, the KVM way. */
static int kvmlike_write_page(struct kvmlike *kl, unsigned long i,
			      const void *src, u32 flags)
{
	unsigned long hva = kl->base + (i << PAGE_SHIFT), seq;
	struct page *page;
	int ret, tries;
	void *dst;

	for (tries = 0; tries < KVMLIKE_RETRIES; tries++) {
		/* mmu_invalidate_seq is read before the pfn is looked up. */
		spin_lock(&kl->mmu_lock);
		seq = kl->invalidate_seq;
		spin_unlock(&kl->mmu_lock);

		ret = kvmlike_gup(hva, flags, &page);
		if (ret)
			return ret;

		spin_lock(&kl->mmu_lock);
		/* is_page_fault_stale(): an invalidation raced, fault again. */
		if (kl->invalidate_in_progress || kl->invalidate_seq != seq) {
			spin_unlock(&kl->mmu_lock);
			kvmlike_put(page, flags, false);
			cond_resched();
			continue;
		}
		/* The vCPU's store, through the secondary MMU. */
		dst = kmap_local_page(page);
		memcpy(dst, src, PAGE_SIZE);
		kunmap_local(dst);
		if (!(flags & (KVMLIKE_HOLD_REF | KVMLIKE_HOLD_PIN)))
			kl->sptes[i] = page_to_pfn(page) + 1;
		spin_unlock(&kl->mmu_lock);
		atomic64_inc(&kvmlike_stats.written);

		if (flags & (KVMLIKE_HOLD_REF | KVMLIKE_HOLD_PIN)) {
			kl->held[kl->nr_held++] = page;
			kl->held_pinned = flags & KVMLIKE_HOLD_PIN;
			atomic64_inc(&kvmlike_stats.held);
		} else {
			put_page(page);	/* kvm_release_pfn_clean() */
		}
		return 0;
	}
	return -EAGAIN;
}

static void kvmlike_release_held(struct kvmlike *kl)
{
	u32 flags = kl->held_pinned ? KVMLIKE_HOLD_PIN : KVMLIKE_HOLD_REF;

	while (kl->nr_held) {
		kvmlike_put(kl->held[--kl->nr_held], flags, true);
		atomic64_dec(&kvmlike_stats.held);
		atomic64_inc(&kvmlike_stats.dirtied);
	}
}

static int kvmlike_write(struct kvmlike *kl, void __user *arg)
{
	struct kvmlike_write w;
	unsigned long first, last, i;
	u32 hold;
	void *buf;
	int ret = 0;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (!kl->mm)
		return -ENXIO;
	if (kl->mm != current->mm)
		return -EPERM;
	hold = w.flags & (KVMLIKE_HOLD_REF | KVMLIKE_HOLD_PIN);
	if (w.flags & ~(KVMLIKE_HOLD_REF | KVMLIKE_HOLD_PIN) ||
	    hold == (KVMLIKE_HOLD_REF | KVMLIKE_HOLD_PIN) || w.pad || !w.len ||
	    !PAGE_ALIGNED(w.addr) || !PAGE_ALIGNED(w.len) ||
	    w.addr + w.len < w.addr ||
	    !kvmlike_overlap(kl, w.addr, w.addr + w.len, &first, &last) ||
	    w.addr < kl->base || last - first != w.len >> PAGE_SHIFT)
		return -EINVAL;
	/* One kind of hold at a time, so that release knows which it is. */
	if (hold && kl->nr_held &&
	    kl->held_pinned != !!(hold & KVMLIKE_HOLD_PIN))
		return -EBUSY;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = first; i < last && !ret; i++) {
		if (copy_from_user(buf, u64_to_user_ptr(w.src) +
				   ((i - first) << PAGE_SHIFT), PAGE_SIZE))
			ret = -EFAULT;
		else
			ret = kvmlike_write_page(kl, i, buf, hold);
	}
	kfree(buf);
	return ret;
}

static long kvmlike_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct kvmlike *kl = file->private_data;
	long ret;

	mutex_lock(&kl->ioctl_lock);
	switch (cmd) {
	case KVMLIKE_SET_SLOT:
		ret = kvmlike_set_slot(kl, (void __user *)arg);
		break;
	case KVMLIKE_WRITE:
		ret = kvmlike_write(kl, (void __user *)arg);
		break;
	case KVMLIKE_RELEASE:
		kvmlike_release_held(kl);
		ret = 0;
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&kl->ioctl_lock);
	return ret;
}

static int kvmlike_open(struct inode *inode, struct file *file)
{
	struct kvmlike *kl = kzalloc(sizeof(*kl), GFP_KERNEL);

	if (!kl)
		return -ENOMEM;
	mutex_init(&kl->ioctl_lock);
	spin_lock_init(&kl->mmu_lock);
	file->private_data = kl;
	return 0;
}

static int kvmlike_close(struct inode *inode, struct file *file)
{
	struct kvmlike *kl = file->private_data;

	kvmlike_release_held(kl);
	if (kl->mm)	/* calls release() first if the mm is still alive */
		mmu_notifier_unregister(&kl->mn, kl->mm);
	kvfree(kl->sptes);
	kvfree(kl->held);
	kfree(kl);
	return 0;
}

static const struct file_operations kvmlike_fops = {
	.owner = THIS_MODULE,
	.open = kvmlike_open,
	.release = kvmlike_close,
	.unlocked_ioctl = kvmlike_ioctl,
};

static struct miscdevice kvmlike_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "kvmlike",
	.fops = &kvmlike_fops,
};

static int kvmlike_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "written %lld invalidations %lld zapped %lld dirtied %lld gup_dirty_cleared %lld held %lld\n",
		   atomic64_read(&kvmlike_stats.written),
		   atomic64_read(&kvmlike_stats.invalidations),
		   atomic64_read(&kvmlike_stats.zapped),
		   atomic64_read(&kvmlike_stats.dirtied),
		   atomic64_read(&kvmlike_stats.gup_dirty_cleared),
		   atomic64_read(&kvmlike_stats.held));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kvmlike_stats);

static struct dentry *kvmlike_debugfs;

static int __init kvmlike_init(void)
{
	int ret = misc_register(&kvmlike_dev);

	if (ret)
		return ret;
	kvmlike_debugfs = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("stats", 0444, kvmlike_debugfs, NULL,
			    &kvmlike_stats_fops);
	return 0;
}

static void __exit kvmlike_exit(void)
{
	debugfs_remove_recursive(kvmlike_debugfs);
	misc_deregister(&kvmlike_dev);
}

module_init(kvmlike_init);
module_exit(kvmlike_exit);
MODULE_DESCRIPTION("Test device writing user memory as KVM does");
MODULE_LICENSE("GPL");
