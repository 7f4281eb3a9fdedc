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
check_eq "sysfs counts the pool" "$(cat $TESS_SYS/pools)" 1
check_eq "sysfs store/ is the bound pool's" "$(store_stat blocks)" $((plen / 8 - 1))
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
# An O_DSYNC overwrite (FUA, then a flush) commits the drop it makes.
check "O_DSYNC overwrite of remapped page 200" dd if=/dev/urandom of=/dev/mapper/vm0 bs=4096 seek=200 count=1 oflag=direct,dsync status=none
check "it committed the pool" test "$(pfield 1)" -gt "$t1"
check_eq "255 remapped" "$(dfield 7)" 255
check_eq "its drop is committed" "$(pfield 5)" 255
check "write page 200 back" sh -c "$SW keep /dev/mapper/vm0 200 1 1"

# Reloads keep every remap.
check "reload the disk" dmsetup reload vm0 --table "$dtable"
check "resume the disk" dmsetup resume vm0
check_eq "still 255 remapped after reload" "$(dfield 7)" 255
check "they read back after the disk's reload" "$SW" verify /dev/mapper/vm0 0 256 1
check "reload the pool" dmsetup reload pool --table "$ptable"
check "resume the pool" dmsetup resume pool
check_eq "the pool still serves swap" "$(pfield 9)" swap
check "they read back after the pool's reload" "$SW" verify /dev/mapper/vm0 0 256 1
check "suspend and resume the disk" sh -c "dmsetup suspend vm0 && dmsetup resume vm0"
check_eq "suspend copies nothing home" "$(dfield 7)" 255

# A reload on the same data device: the old table's close comes after the
# new one's resume, and must leave the live table its device.  An
# overwrite of a remapped block then commits its drop at the next flush.
t2=$(pfield 1)
check "reload the disk on the same device" sh -c "dmsetup reload vm0 --table '$dtable' && dmsetup resume vm0"
check "overwrite remapped page 201" dd if=/dev/urandom of=/dev/mapper/vm0 bs=4096 seek=201 count=1 oflag=direct status=none
check "a flush after the reload and the overwrite succeeds" flush_dev /dev/mapper/vm0
check "it committed the pool" test "$(pfield 1)" -gt "$t2"
check_eq "its drop is committed too" "$(pfield 5)" 254
check "write page 201 back" sh -c "$SW keep /dev/mapper/vm0 201 1 1"

# Flushes racing with reconciliation and a reload of the disk.
(for i in $(seq 40); do flush_dev /dev/mapper/vm0 || echo failed; done > "$tess_out/flushes.txt" 2>&1) &
flusher=$!
check "write 128 swapped-out pages while flushing" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 1536 128 10 > /dev/null"
check "reload the disk meanwhile" sh -c "dmsetup reload vm0 --table '$dtable' && dmsetup resume vm0"
wait "$flusher"
check_eq "every flush succeeded" "$(grep -c failed "$tess_out/flushes.txt")" 0
check "they read back" "$SW" verify /dev/mapper/vm0 1536 128 10

# Some more, dropped in part, not flushed: remove and rmmod keep them too.
check "write 64 more swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 512 64 2 > $tess_out/w2.txt"
check "overwrite pages 10..19" "$SW" keep /dev/mapper/vm0 10 10 3
# A partial write into remapped page 30: copied home, then dropped.
read_pages() { dd if=/dev/mapper/vm0 bs=4096 skip="$1" count="$2" iflag=direct status=none; }
read_pages 30 1 > "$tess_out/p30.want"
head -c 512 /dev/urandom > "$tess_out/patch"
dd if="$tess_out/patch" of="$tess_out/p30.want" bs=512 seek=1 conv=notrunc status=none
check "write 512 bytes into remapped page 30" dd if="$tess_out/patch" of=/dev/mapper/vm0 bs=512 seek=$((30 * 8 + 1)) oflag=direct status=none
check "discard remapped pages 40..49" blkdiscard -o $((40 * 4096)) -l $((10 * 4096)) /dev/mapper/vm0
check "write pages 40..49 again" "$SW" keep /dev/mapper/vm0 40 10 4
remapped=$(dfield 7)
check "some of the 64 remapped" test "$remapped" -gt 256
check_fails "delete_disk 1 while its table is live" dmsetup message pool 0 delete_disk 1
check "remove the disk" dmsetup remove vm0
check "remove the pool" dmsetup remove pool
check_eq "sysfs counts no pool" "$(cat $TESS_SYS/pools)" 0
# Swapped-out pages in its store keep the pool object (and its store).
pages=$(backend pages)
echo "# $pages swapped-out pages in the store at remove"
if [ "$pages" -gt 0 ]; then
	check "the removed pool is kept for them" test "$(store_stat blocks)" -gt 0
	excl_open() { python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR | os.O_EXCL))' "$1"; }
	check_fails "its store refuses an exclusive open (mkswap, mkfs)" excl_open /dev/ubdc
	check "a new pool table adopts it" dmsetup create pool --table "$ptable"
	check "remove it again" dmsetup remove pool
	check_fails "kept again, claimed again" excl_open /dev/ubdc
fi
check "swapoff" swapoff /dev/ubdb
store_empty() { [ "$(store_stat blocks)" = 0 ]; }
check "the kept pool goes with the last swapped-out page" wait_for 5 store_empty
check "rmmod" rmmod dm_tesseract
check "insmod again" load_module
check "re-create the pool" dmsetup create pool --table "$ptable"
check_eq "it knows disk 1" "$(pfield 6)" 1
check "re-create the disk" dmsetup create vm0 --table "$dtable"
check_eq "every remap is still there" "$(dfield 7)" "$remapped"
check "the first write reads back" "$SW" verify /dev/mapper/vm0 20 10 1
check "page 30 holds the old block with the new sector" sh -c "dd if=/dev/mapper/vm0 bs=4096 skip=30 count=1 iflag=direct status=none | cmp - $tess_out/p30.want"
check "pages 31..39 read back" "$SW" verify /dev/mapper/vm0 31 9 1
check "pages 40..49 hold what was written after the discard" "$SW" verify /dev/mapper/vm0 40 10 4
check "pages 50..255 read back" "$SW" verify /dev/mapper/vm0 50 206 1
check "the overwrite reads back" "$SW" verify /dev/mapper/vm0 10 10 3
check "the second write reads back" "$SW" verify /dev/mapper/vm0 512 64 2
check "the racing write reads back" "$SW" verify /dev/mapper/vm0 1536 128 10
check "reads were redirected to the store" test "$(dfield 10)" -ge 1

# A table shorter than a remap: its blocks could be neither read nor
# copied home (copy_home walked past the end and oopsed): refused.
kmsg_mark
check_fails "a reload that ends before remapped block 1600" dmsetup reload vm0 --table "0 $((1600 * 8)) tesseract /dev/mapper/pool 1 /dev/ubda"
check_kmsg "refused: remaps past the end" "remaps past the table's end"
check_eq "the live table keeps every remap" "$(dfield 7)" "$remapped"

# copy_home: the data device alone is the whole disk again.
check "copy_home" dmsetup message vm0 0 copy_home
check_eq "no remap left" "$(dfield 7)" 0
check "the data device alone holds the first write" "$SW" verify /dev/ubda 50 206 1
check "and page 30" sh -c "dd if=/dev/ubda bs=4096 skip=30 count=1 iflag=direct status=none | cmp - $tess_out/p30.want"
check "and the overwrite" "$SW" verify /dev/ubda 10 10 3
check "and the second write" "$SW" verify /dev/ubda 512 64 2
check "and the racing one" "$SW" verify /dev/ubda 1536 128 10
check_eq "copy_home committed the drops" "$(pfield 5)" 0
check "the disk reads them back from home" "$SW" verify /dev/mapper/vm0 512 64 2

# The per-disk cap.
check "remove the disk" dmsetup remove vm0
check "swapon" swapon /dev/ubdb
check "a disk table with max_remapped 16" dmsetup create vm0 --table "$dtable 2 max_remapped 16"
check_eq "its table reads back" "$(dmsetup table vm0)" \
	"0 $size tesseract $(devno /dev/mapper/pool) 1 $(devno /dev/ubda) 2 max_remapped 16"
check "write 64 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 1024 64 4 > $tess_out/w3.txt"
check_eq "16 remapped" "$(dfield 7)" 16
# (Counted per offer: the fallback may look at a page the hook declined.)
check "the others declined for the cap" test "$(dfield 21)" -ge $(($(sw_field "$tess_out/w3.txt" swapped) - 16))
check "they read back" "$SW" verify /dev/mapper/vm0 1024 64 4

# Low water: no new remap below it, and one dm event.
ev0=$(dmsetup info -c --noheadings -o events pool)
check "set_low_water above the store's size" dmsetup message pool 0 set_low_water 1000000
check_eq "status shows it" "$(pfield 10)" 1000000
check "reload the disk without a cap" sh -c "dmsetup reload vm0 --table '$dtable' && dmsetup resume vm0"
check "write 64 swapped-out pages below low water" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 2048 64 5 > $tess_out/w4.txt"
check_eq "none remapped" "$(dfield 7)" 16
check "declined for the pool" test "$(dfield 22)" -ge 1
check "they read back" "$SW" verify /dev/mapper/vm0 2048 64 5
check_eq "one dm event for the crossing" "$(dmsetup info -c --noheadings -o events pool)" $((ev0 + 1))
check "set_low_water back" dmsetup message pool 0 set_low_water 16

# Periodic commit.
check "set_commit_period 100" dmsetup message pool 0 set_commit_period 100
t2=$(pfield 1) r2=$(dfield 7)
check "write 16 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 3072 16 6 > /dev/null"
check "they were remapped" test "$(dfield 7)" -gt "$r2"
trans_above() { [ "$(pfield 1)" -gt "$1" ]; }
check "a periodic commit follows, no flush" wait_for 5 trans_above "$t2"
check "set_commit_period 0" dmsetup message pool 0 set_commit_period 0
check "copy_home" dmsetup message vm0 0 copy_home

# delete_disk drops the remaps and their references.
check "remove the disk again" dmsetup remove vm0
check "delete_disk 1" dmsetup message pool 0 delete_disk 1
check_eq "no disk left" "$(pfield 6)" 0
check_eq "no remap references left" "$(pfield 5)" 0
check "remove the pool" dmsetup remove pool
check "swapoff" swapoff /dev/ubdb
check "rmmod" rmmod dm_tesseract
check_no_kmsg "no commit failed" "could not be committed\|read-only"

# A metadata error: read-only with needs_check, and the writer knows.
check "insmod" load_module
msz=$(sectors /dev/ubdd)
check "metadata on a linear device" dmsetup create pmeta --table "0 $msz linear /dev/ubdd 0"
ptable2="0 $plen tesseract-pool /dev/mapper/pmeta /dev/ubdc 2 commit_period 0"
dtable2="0 $size tesseract /dev/mapper/pool 2 /dev/ubda"
check "the pool on it" dmsetup create pool --table "$ptable2"
check "create_disk 2" dmsetup message pool 0 create_disk 2
check "disk 2" dmsetup create vm0 --table "$dtable2"
check "swapon" swapon /dev/ubdb
check "write 64 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 0 64 7 > /dev/null"
check "they are remapped" test "$(dfield 7)" -ge 32
check "the metadata device fails" sh -c "dmsetup suspend pmeta && dmsetup load pmeta --table '0 $msz error' && dmsetup resume pmeta"
check_fails "a flush cannot commit: -EIO" flush_dev /dev/mapper/vm0
case $(pfield 7) in ro|fail) ok "the pool is read-only ($(pfield 7))" ;; *) not_ok "the pool is read-only: $(pfield 7)" ;; esac
check_eq "needs_check" "$(pfield 8)" needs_check
check_eq "the disk says so" "$(dfield 12)" read_only
check_fails "a write over a remapped block fails" "$SW" keep /dev/mapper/vm0 0 1 8
check "they still read back" "$SW" verify /dev/mapper/vm0 1 63 7
check "a write elsewhere goes home" "$SW" keep /dev/mapper/vm0 4000 4 8
check "and reads back" "$SW" verify /dev/mapper/vm0 4000 4 8
d0=$(dfield 22)
check "write swapped-out pages to a read-only pool" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 5000 16 9 > $tess_out/w5.txt"
check "the hook declined them" test "$(dfield 22)" -gt "$d0"
check "they read back from home" "$SW" verify /dev/mapper/vm0 5000 16 9
check_fails "the next flush fails too" flush_dev /dev/mapper/vm0
check "remove the disk" dmsetup remove vm0
check "remove the pool" dmsetup remove pool
check "swapoff" swapoff /dev/ubdb
check "remove pmeta" dmsetup remove pmeta
check "rmmod" rmmod dm_tesseract

# One disk's data device cannot flush: its drops stay in memory, the other
# disks' flushes still commit, and removing it keeps the pool read-write:
# the remaps it dropped (overwrites never flushed) come back.
check "insmod" load_module
check "blank metadata and store" sh -c "dd if=/dev/zero of=/dev/ubdd bs=4096 count=1 oflag=direct status=none && dd if=/dev/zero of=/dev/ubdc bs=4096 count=1 oflag=direct status=none"
ssz=$(sectors /dev/ubdc)
check "store on a linear device" dmsetup create pstore --table "0 $ssz linear /dev/ubdc 0"
check "data on a linear device" dmsetup create pdata --table "0 $size linear /dev/ubda 0"
check "the pool on it" dmsetup create pool --table "0 $plen tesseract-pool /dev/ubdd /dev/mapper/pstore 2 commit_period 0"
check "create_disk 3" dmsetup message pool 0 create_disk 3
check "disk 3" dmsetup create vm0 --table "0 $size tesseract /dev/mapper/pool 3 /dev/mapper/pdata"
check "swapon" swapon /dev/ubdb
# copy_home returns 0 only when no remap is left: blocks remapped while
# it copies (slowly: data writes take 2 s) make it fail, and they stay.
check "write 32 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 300 32 13 > /dev/null"
check "data writes take 2 s" sh -c "dmsetup suspend pdata && dmsetup load pdata --table '0 $size delay /dev/ubda 0 2000' && dmsetup resume pdata"
(dmsetup message vm0 0 copy_home 2> /dev/null; echo $? > "$tess_out/copy_home.rc") &
copier=$!
check "write 16 swapped-out pages during copy_home" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 400 16 14 > /dev/null"
wait "$copier"
check "copy_home fails: blocks were remapped meanwhile" test "$(cat "$tess_out/copy_home.rc")" -ne 0
check "they stay remapped" test "$(dfield 7)" -gt 0
check "they read back" "$SW" verify /dev/mapper/vm0 400 16 14
check "data writes at full speed" sh -c "dmsetup suspend pdata && dmsetup load pdata --table '0 $size linear /dev/ubda 0' && dmsetup resume pdata"
check "copy_home again" dmsetup message vm0 0 copy_home
check_eq "no remap left" "$(dfield 7)" 0
check "the data device alone holds both writes" sh -c "'$SW' verify /dev/ubda 300 32 13 && '$SW' verify /dev/ubda 400 16 14"
check "write 64 swapped-out pages" in_memcg_high sw max sh -c "$SW write /dev/mapper/vm0 0 64 11 > /dev/null"
check "they are remapped" test "$(dfield 7)" -ge 32
check "commit them" flush_dev /dev/mapper/vm0
check "swapoff" swapoff /dev/ubdb
check "disk 4, data on another device" sh -c "dmsetup message pool 0 create_disk 4 && dmsetup create vm1 --table '0 8192 tesseract /dev/mapper/pool 4 /dev/ubdb'"
# (create_disk commits: before the drops, which stay uncommitted.)
check "overwrite pages 0..63: their remaps are dropped" "$SW" keep /dev/mapper/vm0 0 64 12
check_eq "none remapped" "$(dfield 7)" 0
flakey() { dmsetup suspend "$1" && dmsetup load "$1" --table "0 $2 flakey $3 0 0 3600 1 error_writes" && dmsetup resume "$1"; }
check "data writes and flushes of disk 3 fail" flakey pdata "$size" /dev/ubda
kmsg_mark
check_fails "a flush of disk 3 cannot commit its drops" flush_dev /dev/mapper/vm0
check "a write to disk 4" "$SW" keep /dev/mapper/vm1 0 4 21
check "and its flush commit" flush_dev /dev/mapper/vm1
check_eq "the pool stays read-write" "$(pfield 7)" rw
check "store writes and flushes fail" flakey pstore "$ssz" /dev/ubdc
check "remove disk 3 (its data device cannot flush)" dmsetup remove vm0
check_kmsg "its dropped remaps are kept" "dropped remaps are kept"
check "the store works again" sh -c "dmsetup suspend pstore && dmsetup load pstore --table '0 $ssz linear /dev/ubdc 0' && dmsetup resume pstore"
check "a commit records them" dmsetup message pool 0 commit
check_eq "the pool is still read-write" "$(pfield 7)" rw
check_eq "no needs_check" "$(pfield 8)" -
check "its data device works again" sh -c "dmsetup suspend pdata && dmsetup load pdata --table '0 $size linear /dev/ubda 0' && dmsetup resume pdata"
check "disk 3 again" dmsetup create vm0 --table "0 $size tesseract /dev/mapper/pool 3 /dev/mapper/pdata"
check_eq "its 64 remaps came back" "$(dfield 7)" 64
check "with the content its last flush had" "$SW" verify /dev/mapper/vm0 0 64 11
# A reload onto another data device while drops wait for the old one's
# flush: the old one is flushed, not the new one; it cannot: kept.
check "overwrite pages 0..3: their remaps are dropped" "$SW" keep /dev/mapper/vm0 0 4 22
check_eq "60 remapped" "$(dfield 7)" 60
check "the old data device cannot flush" flakey pdata "$size" /dev/ubda
check "a second path to the data" dmsetup create pdata2 --table "0 $size linear /dev/ubda 0"
kmsg_mark
check "reload disk 3 onto it" sh -c "dmsetup reload vm0 --table '0 $size tesseract /dev/mapper/pool 3 /dev/mapper/pdata2' && dmsetup resume vm0"
check_kmsg "its dropped remaps are kept" "dropped remaps are kept"
check_eq "the 4 remaps came back" "$(dfield 7)" 64
check "a commit records them" dmsetup message pool 0 commit
check_eq "the pool is still read-write" "$(pfield 7)" rw
check "pages 0..63 read their flushed content" "$SW" verify /dev/mapper/vm0 0 64 11
check "remove the disks" dmsetup remove vm0 vm1 pdata2
check_no_kmsg "nothing given up" "could not be committed"
check "remove the pool" dmsetup remove pool
check "remove pstore and pdata" dmsetup remove pstore pdata
check "rmmod" rmmod dm_tesseract

# Another pool's store, and a store zeroed under its metadata: refused.
check "insmod" load_module
check "zero a second store and metadata" sh -c "dd if=/dev/zero of=/dev/ubdb bs=4096 count=1 oflag=direct status=none && dd if=/dev/zero of=/dev/ubda bs=4096 count=1 oflag=direct status=none"
blen=$(($(sectors /dev/ubdb) / 8 * 8))
check "a second pool formats them" dmsetup create pool2 --table "0 $blen tesseract-pool /dev/ubda /dev/ubdb 1 no_swap"
check_eq "it does not serve swap" "$(status_field pool2 9)" no_swap
check "remove it" dmsetup remove pool2
kmsg_mark
check_fails "metadata of one pool, store of the other" dmsetup create pool --table "0 $blen tesseract-pool /dev/ubdd /dev/ubdb"
check_kmsg "refused: another store" "uuid\|another"
check "zero the first store" dd if=/dev/zero of=/dev/ubdc bs=4096 count=1 oflag=direct status=none
check_fails "its metadata without its store" dmsetup create pool --table "$ptable"
check_kmsg "refused: the store is new" "Store is new but the metadata is not"

# Blank metadata with a store that holds a pool: formatting it would
# discard every remap: refused.  Metadata that names nothing yet with a
# blank store (a crash between the two formats) gets its store.
pool2="0 $blen tesseract-pool /dev/ubda /dev/ubdb"
check "blank pool2's metadata" dd if=/dev/zero of=/dev/ubda bs=4096 count=1 oflag=direct status=none
kmsg_mark
check_fails "its store with blank metadata" dmsetup create pool2 --table "$pool2 1 no_swap"
check_kmsg "refused: the metadata is new" "Metadata is new but the store is not"
check "blank its store too" dd if=/dev/zero of=/dev/ubdb bs=4096 count=1 oflag=direct status=none
check "both blank: formatted" dmsetup create pool2 --table "$pool2 1 no_swap"
check_eq "nothing committed" "$(status_field pool2 1)" 0
check "remove it" dmsetup remove pool2
check "blank the store again" dd if=/dev/zero of=/dev/ubdb bs=4096 count=1 oflag=direct status=none
check "metadata at transaction 0: the store is formatted for it" dmsetup create pool2 --table "$pool2 1 no_swap"
check "remove it" dmsetup remove pool2

# Swap is handed over when the bound pool goes or stops serving it.
check "blank the first pool's metadata" dd if=/dev/zero of=/dev/ubdd bs=4096 count=1 oflag=direct status=none
check "a pool serving swap" dmsetup create pool --table "0 $plen tesseract-pool /dev/ubdd /dev/ubdc"
check_eq "it is bound" "$(pfield 9)" swap
check "a second one" dmsetup create pool2 --table "$pool2"
check_eq "it waits" "$(status_field pool2 9)" swap_busy
check "reload the first with no_swap" sh -c "dmsetup reload pool --table '0 $plen tesseract-pool /dev/ubdd /dev/ubdc 1 no_swap' && dmsetup resume pool"
check_eq "it does not serve swap" "$(pfield 9)" no_swap
check_eq "the second is bound now" "$(status_field pool2 9)" swap
check "reload the first with swap" sh -c "dmsetup reload pool --table '0 $plen tesseract-pool /dev/ubdd /dev/ubdc' && dmsetup resume pool"
check_eq "it waits" "$(pfield 9)" swap_busy
check "remove the bound one" dmsetup remove pool2
check_eq "the first is bound" "$(pfield 9)" swap
check "remove it" dmsetup remove pool

# A bound pool reloaded with no_swap keeps swap while its store holds
# pages, and hands it over once they are gone.
msz=$(sectors /dev/ubdd)
hsz=$((msz / 2))
ssz=$(sectors /dev/ubdc)
shalf=$((ssz / 2 / 8 * 8))
check "two metadata and two stores" sh -c "dmsetup create m1 --table '0 $hsz linear /dev/ubdd 0' && dmsetup create m2 --table '0 $hsz linear /dev/ubdd $hsz' && dmsetup create s1 --table '0 $shalf linear /dev/ubdc 0' && dmsetup create s2 --table '0 $shalf linear /dev/ubdc $shalf'"
check "blank" sh -c "for d in m1 m2 s1 s2; do dd if=/dev/zero of=/dev/mapper/\$d bs=4096 count=1 oflag=direct status=none || exit 1; done"
check "pool a" dmsetup create pa --table "0 $shalf tesseract-pool /dev/mapper/m1 /dev/mapper/s1"
check "pool b" dmsetup create pb --table "0 $shalf tesseract-pool /dev/mapper/m2 /dev/mapper/s2"
check_eq "a is bound" "$(status_field pa 9)" swap
check_eq "b waits" "$(status_field pb 9)" swap_busy
check "mkswap" mkswap -q /dev/ubdb
check "swapon" swapon /dev/ubdb
in_memcg_high vm 4M "$MEMTOUCH" -h 120 16 2 > "$tess_out/memtouch.txt" 2>&1 &
holder=$!
holding() { grep -q "^memtouch: holding" "$tess_out/memtouch.txt"; }
check "16 MiB held in a memcg with 4 MiB of memory.high" wait_for 60 holding
check "pages held in a's store" pages_above 0
check "reload a with no_swap" sh -c "dmsetup reload pa --table '0 $shalf tesseract-pool /dev/mapper/m1 /dev/mapper/s1 1 no_swap' && dmsetup resume pa"
check_eq "b still waits: a holds pages" "$(status_field pb 9)" swap_busy
check "the task reads its pages back and ends" kill -USR1 "$(cat /sys/fs/cgroup/vm/cgroup.procs)"
wait "$holder"
b_bound() { [ "$(status_field pb 9)" = swap ]; }
check "swapoff takes the rest" swapoff /dev/ubdb
check "their last one gone, b is bound" wait_for 5 b_bound
check "remove them" dmsetup remove pa pb m1 m2 s1 s2
check "rmmod" rmmod dm_tesseract
