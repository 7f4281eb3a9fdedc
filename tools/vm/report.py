#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Figures of one baseline/Tesseract pair of `make check-vm`, as TAP
comments.  Reports; asserts nothing (the points are uml-vm.sh's).

    report.py ENGINE BASELINE_VM_TXT TESSERACT_VM_TXT

Each file holds "key value" lines (tools/vm/uml-vm.sh); a missing file,
from a run that did not get that far, is reported as such."""

import sys

ROWS = [
    # key, label
    ("seconds", "QEMU run, s"),
    ("guest_pswpout", "guest page-outs (pages)"),
    ("guest_pswpin", "guest page-ins (pages)"),
    ("host_pswpout", "host swap-outs (pages)"),
    ("host_pswpin", "host swap-ins (pages)"),
    ("backend_invalidated", "host swap slots freed (pages)"),
    ("data_read_bytes", "data device read, bytes"),
    ("data_written_bytes", "data device written, bytes"),
    ("store_read_bytes", "store read, bytes"),
    ("store_written_bytes", "store written, bytes"),
    ("bytes_moved", "data and store, all bytes"),
    ("reloc_read_bytes", "relocation read, bytes"),
    ("reloc_written_bytes", "relocation wrote, bytes"),
    # VM_MODEL=hdd|ssd only: the modelled drives' service time
    ("model_busy_us", "modelled drives busy, us"),
    ("reclaim_model_busy_us", "guest reclaim: drives busy, us"),
    ("hot_model_busy_us", "hot phase: drives busy, us"),
    ("back_model_busy_us", "read-back: drives busy, us"),
    ("cold_pages_per_s", "cold fill, pages/s"),
    ("hot_pages_per_s", "hot phase, pages/s"),
    ("back_pages_per_s", "cold read-back, pages/s"),
    ("work_ms", "guest working time, ms"),
    ("hot_worst_us", "hot phase worst touch, us"),
    ("back_worst_us", "read-back worst touch, us"),
    ("cold_guest_pswpout", "cold fill: guest page-outs"),
    ("cold_host_pswpin", "cold fill: host swap-ins"),
    ("cold_host_pswpout", "cold fill: host swap-outs"),
    # VM_GUEST_RECLAIM (and VM_IDLE) only: phases before the hot one
    ("reclaim_ms", "guest reclaim: ms"),
    ("reclaim_short", "guest reclaim: fell short (1)"),
    ("reclaim_guest_pswpout", "guest reclaim: guest page-outs"),
    ("reclaim_host_pswpin", "guest reclaim: host swap-ins"),
    ("reclaim_host_pswpout", "guest reclaim: host swap-outs"),
    ("reclaim_disk_reconciled", "guest reclaim: reconciled"),
    ("idle_host_pswpin", "idle: host swap-ins"),
    ("idle_backend_invalidated", "idle: host swap slots freed"),
    ("hot_guest_pswpout", "hot phase: guest page-outs"),
    ("hot_guest_pswpin", "hot phase: guest page-ins"),
    ("hot_disk_reconciled", "hot phase: reconciled"),
    ("hot_host_pswpin", "hot phase: host swap-ins"),
    ("hot_host_pswpout", "hot phase: host swap-outs"),
    ("back_guest_pswpout", "read-back: guest page-outs"),
    ("back_guest_pswpin", "read-back: guest page-ins"),
    ("back_disk_reconciled", "read-back: reconciled"),
    ("back_host_pswpin", "read-back: host swap-ins"),
    ("back_host_pswpout", "read-back: host swap-outs"),
    ("run_host_pswpin", "whole QEMU run: host swap-ins"),
    ("run_host_pswpout", "whole QEMU run: host swap-outs"),
    ("disk_offered_ptes", "hook offered: swap PTEs"),
    ("disk_taken_ptes", "hook took: swap PTEs"),
    ("disk_offered_swapcache", "hook offered: swap-cache pages"),
    ("disk_taken_swapcache", "hook took: swap-cache pages"),
    ("disk_fallback_taken", "fallback took"),
    ("disk_declined_not_stored", "declined: not stored"),
    ("disk_declined_no_memory", "declined: no memory"),
    ("disk_declined_beyond_end", "declined: beyond end"),
    ("disk_declined_cap", "declined: cap"),
    ("disk_declined_pool", "declined: pool"),
    ("disk_declined_moving", "declined: moving"),
    ("disk_reconciled", "reconciled writes (pages)"),
    ("disk_redirected_reads", "redirected reads"),
    ("disk_remapped", "remapped blocks at the end"),
    # VM_PAGEMAP=1 only (tools/vm/pagemap.py)
    ("map_cold_pages", "map: cold pages"),
    ("map_cold_host_swapped", "map: of them host-swapped after fill"),
    ("map_paged_out", "map: cold pages the guest paged out"),
    ("map_paged_out_host_swapped", "map: of them host-swapped after fill"),
    ("map_host_swapped_by_tenth", "map: host-swapped, by tenth"),
    ("map_paged_out_by_tenth", "map: guest paged out, by tenth"),
    ("map_hot_in_paged_out_frames", "map: hot pages in paged-out frames"),
    ("map_hot_in_host_swapped_paged_out_frames",
     "map: of them frames host-swapped"),
]


def load(path):
    vals = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    vals[parts[0]] = parts[1]
    except OSError:
        return None
    return vals


def num(vals, key):
    try:
        return float(vals[key])
    except (KeyError, ValueError, TypeError):
        return None


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.2fx" % (a / b)


def share(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return "%.1f%%" % (100.0 * a / b)


def main():
    engine, base_path, tess_path = sys.argv[1:4]
    base, tess = load(base_path), load(tess_path)
    print("# ---- aio=%s: baseline (no_reconcile) vs Tesseract ----" % engine)
    missing = [p for p, v in ((base_path, base), (tess_path, tess)) if v is None]
    if missing:
        print("# figures missing (no such run, or it did not get that far): %s"
              % ", ".join(missing))
    if base is None and tess is None:
        return 0
    base, tess = base or {}, tess or {}
    print("# %-34s %14s %14s %8s" % ("", "baseline", "tesseract", "ratio"))
    for key, label in ROWS:
        if (key.startswith(("map_", "reclaim_", "idle_")) and
                key not in base and key not in tess):
            continue
        b, t = base.get(key, "-"), tess.get(key, "-")
        print("# %-34s %14s %14s %8s" % (label, b, t,
                                         ratio(num(tess, key), num(base, key))))
    offered = sum(num(tess, k) or 0 for k in
                  ("disk_offered_ptes", "disk_offered_swapcache"))
    taken = sum(num(tess, k) or 0 for k in
                ("disk_taken_ptes", "disk_taken_swapcache"))
    rec, outs = num(tess, "disk_reconciled"), num(tess, "guest_pswpout")
    hin_b, hin_t = num(base, "host_pswpin"), num(tess, "host_pswpin")
    print("# aio=%s: guest page-outs reconciled: %s (%d of %d)" %
          (engine, share(rec, outs), rec or 0, outs or 0))
    print("# aio=%s: host-swapped pages the hook was offered that it took: %s "
          "(%d of %d; offered: %s of guest page-outs)" %
          (engine, share(taken, offered), taken, offered, share(offered, outs)))
    print("# aio=%s: host swap-ins: %s of the baseline's (%d vs %d; saved %d)" %
          (engine, ratio(hin_t, hin_b), hin_t or 0, hin_b or 0,
           (hin_b or 0) - (hin_t or 0)))
    print("# aio=%s: data device written: %s of the baseline's" %
          (engine, ratio(num(tess, "data_written_bytes"),
                         num(base, "data_written_bytes"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
