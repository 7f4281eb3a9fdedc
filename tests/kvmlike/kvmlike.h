/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmlike: the ioctls of /dev/kvmlike, a test device that writes user
 * memory as KVM does (see kvmlike.c).  Shared by the module and the tests.
 */
#ifndef KVMLIKE_H
#define KVMLIKE_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* A page-aligned range of the caller's memory. */
struct kvmlike_range {
	__u64 addr;
	__u64 len;
};

/* KVMLIKE_WRITE: copy @len bytes from @src into the pages at @addr. */
struct kvmlike_write {
	__u64 addr;
	__u64 len;
	__u64 src;
	__u32 flags;
	__u32 pad;
};

/*
 * KVMLIKE_WRITE flags.  None: map, write and drop the reference, as a vCPU
 * writing through an SPTE (dirtiness told at the SPTE's zap).  HOLD_REF:
 * keep the FOLL_GET reference until KVMLIKE_RELEASE, as kvm_vcpu_map();
 * HOLD_PIN: keep a FOLL_PIN pin instead, as a DMA user.  Held pages are
 * marked dirty when released.
 */
#define KVMLIKE_HOLD_REF	0x1
#define KVMLIKE_HOLD_PIN	0x2

/* Register the MMU notifier on the caller's mm, for this one memslot. */
#define KVMLIKE_SET_SLOT	_IOW('k', 1, struct kvmlike_range)
#define KVMLIKE_WRITE		_IOW('k', 2, struct kvmlike_write)
/* Drop the references and pins held, marking their pages dirty. */
#define KVMLIKE_RELEASE		_IO('k', 3)

#endif /* KVMLIKE_H */
