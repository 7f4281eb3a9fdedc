# SPDX-License-Identifier: GPL-2.0
# The pool: remaps made by reconciliation are the pool's, durable across
# flush, reload, remove, rmmod and insmod; a disk finds them again by its
# id.  Counters prove it: the disk's remapped blocks, the pool's
# transaction id, and data that reads back although the data device alone
# does not hold it.

SW=$tess_top/tools/swapwrite/swapwrite
kmsg_mark
check "insmod" load_module
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
size=$(sectors /dev/ubda)
plen=$(($(sectors /dev/ubdc) / 8 * 8))
# Commits only on flush and at suspend, so that each one can be counted.
ptable="0 $plen tesseract-pool /dev/ubdd /dev/ubdc 2 commit_period 0"
dtable="0 $size tesseract /dev/mapper/pool 1 /dev/ubda"

pfield() { status_field pool "$1"; }
dfield() { status_field vm0 "$1"; }
# fsync of a block device: a REQ_PREFLUSH bio.
flush_dev() { python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_WRONLY); os.fsync(fd)' "$1"; }

check "create the pool" dmsetup create pool --table "$ptable"
check_eq "pool table reads back" "$(dmsetup table pool)" \
	"0 $plen tesseract-pool $(devno /dev/ubdd) $(devno /dev/ubdc) 2 commit_period 0"
check_eq "pool is read-write" "$(pfield 7)" rw
check_eq "no needs_check" "$(pfield 8)" -
check_eq "the pool serves swap" "$(pfield 9)" swap
check_eq "no disk yet" "$(pfield 6)" 0
check_fails "a disk table for an id not created" dmsetup create vm0 --table "$dtable"
check_kmsg "refused: no such disk id" "No such disk id"
check "create_disk 1" dmsetup message pool 0 create_disk 1
check_eq "one disk" "$(pfield 6)" 1
check_fails "create_disk 1 again" dmsetup message pool 0 create_disk 1
check "create the disk table" dmsetup create vm0 --table "$dtable"
check_eq "disk table reads back" "$(dmsetup table vm0)" \
	"0 $size tesseract $(devno /dev/mapper/pool) 1 $(devno /dev/ubda) 0"
check_eq "the disk reconciles" "$(dfield 12)" reconciling
kmsg_mark
check_fails "a second live table for disk 1" dmsetup create vm1 --table "$dtable"
check_kmsg "refused: disk id in use" "Disk id is in use"
dmsetup remove vm1 2> /dev/null

# Reconcile, as tests/integration/reconcile.sh does.
check "write 256 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 0 256 1 > $tess_out/w1.txt"
check_eq "all 256 were swapped out" "$(sw_field "$tess_out/w1.txt" swapped)" 256
check_eq "256 blocks remapped" "$(dfield 7)" 256
check_eq "256 reconciled" "$(dfield 8)" 256
check "they read back" "$SW" verify /dev/mapper/vm0 0 256 1
check_fails "the data device alone does not hold them" "$SW" verify /dev/ubda 0 256 1
check_eq "no decline for the cap" "$(dfield 21)" 0
check_eq "no decline for the pool" "$(dfield 22)" 0

# A flush commits: the transaction id rises, the disk counts the commit.
t0=$(pfield 1) c0=$(dfield 23)
check "flush the disk" flush_dev /dev/mapper/vm0
check "the flush committed the pool" test "$(pfield 1)" -gt "$t0"
check_eq "the disk counts one commit" "$(dfield 23)" $((c0 + 1))
check_eq "remap references in the metadata" "$(pfield 5)" 256
t1=$(pfield 1)
check "a flush with nothing to commit" flush_dev /dev/mapper/vm0
check_eq "commits nothing" "$(pfield 1)" "$t1"

# Reloads keep every remap.
check "reload the disk" dmsetup reload vm0 --table "$dtable"
check "resume the disk" dmsetup resume vm0
check_eq "still 256 remapped after reload" "$(dfield 7)" 256
check "they read back after the disk's reload" "$SW" verify /dev/mapper/vm0 0 256 1
check "reload the pool" dmsetup reload pool --table "$ptable"
check "resume the pool" dmsetup resume pool
check_eq "the pool still serves swap" "$(pfield 9)" swap
check "they read back after the pool's reload" "$SW" verify /dev/mapper/vm0 0 256 1
check "suspend and resume the disk" sh -c "dmsetup suspend vm0 && dmsetup resume vm0"
check_eq "suspend copies nothing home" "$(dfield 7)" 256

# Some more, dropped in part, not flushed: remove and rmmod keep them too.
check "write 64 more swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 512 64 2 > $tess_out/w2.txt"
check "overwrite pages 10..19" "$SW" keep /dev/mapper/vm0 10 10 3
remapped=$(dfield 7)
check "some of the 64 remapped" test "$remapped" -gt 256
check_fails "delete_disk 1 while its table is live" dmsetup message pool 0 delete_disk 1
check "remove the disk" dmsetup remove vm0
check "remove the pool" dmsetup remove pool
check "swapoff" swapoff /dev/ubdb
check "rmmod" rmmod dm_tesseract
check "insmod again" load_module
check "re-create the pool" dmsetup create pool --table "$ptable"
check_eq "it knows disk 1" "$(pfield 6)" 1
check "re-create the disk" dmsetup create vm0 --table "$dtable"
check_eq "every remap is still there" "$(dfield 7)" "$remapped"
check "the first write reads back" "$SW" verify /dev/mapper/vm0 20 236 1
check "the overwrite reads back" "$SW" verify /dev/mapper/vm0 10 10 3
check "the second write reads back" "$SW" verify /dev/mapper/vm0 512 64 2
check "reads were redirected to the store" test "$(dfield 10)" -ge 1

# delete_disk drops the remaps and their references.
check "remove the disk again" dmsetup remove vm0
check "delete_disk 1" dmsetup message pool 0 delete_disk 1
check_eq "no disk left" "$(pfield 6)" 0
check_eq "no remap references left" "$(pfield 5)" 0
check "remove the pool" dmsetup remove pool
check "rmmod" rmmod dm_tesseract
check_no_kmsg "no commit failed" "could not be committed\|read-only"
