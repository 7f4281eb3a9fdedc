/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the "tesseract" device-mapper target.
 */
#ifndef DM_TESSERACT_TARGET_H
#define DM_TESSERACT_TARGET_H

#include <linux/atomic.h>
#include <linux/device-mapper.h>

#define DM_MSG_PREFIX "tesseract"

/* Module-wide state the target reports through sysfs. */
extern atomic_t tess_nr_targets;	/* constructed, not yet destroyed */
extern unsigned int tess_verbose;	/* module parameter "verbose" */

int tess_target_register(void);
void tess_target_unregister(void);

#endif /* DM_TESSERACT_TARGET_H */
