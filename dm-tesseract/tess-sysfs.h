/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * dm-tesseract: the /sys/kernel/tesseract directory.
 */
#ifndef DM_TESSERACT_SYSFS_H
#define DM_TESSERACT_SYSFS_H

/*
 * Create and remove /sys/kernel/tesseract: the table counts, the backend/
 * and store/ groups and the memcg tunable.  Process context.
 */
int tess_sysfs_init(void);
void tess_sysfs_exit(void);

#endif /* DM_TESSERACT_SYSFS_H */
