#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Kernel memory per swapped-out page, for tools/bench/mem.sh.

    hold.py MODE PAGES

Run as root in a memory cgroup of its own.  Touches PAGES anonymous pages,
takes a snapshot of /proc/meminfo (after dropping the page cache), pushes
the pages out to swap (MADV_PAGEOUT, then its cgroup's memory.reclaim
until they left the swap cache), takes a second snapshot, and prints one
JSON object: MODE, PAGES, the pages it had swapped out at each snapshot
(VmSwap: the interpreter's own included, which memory.reclaim may push out
too; pages still in the swap cache count, SwapCached tells them), the tesseract backend's stored pages at each (null without the
sysfs file) and both snapshots in bytes (PcpFree added: free pages on
the per-CPU lists).  Exit 1 if fewer than 90% of the
pages left memory within a minute.
"""
import json
import mmap
import sys
import time

PAGE = 4096
MADV_PAGEOUT = 21
BACKEND_PAGES = "/sys/kernel/tesseract/backend/pages"


def meminfo():
    """/proc/meminfo in bytes, with PcpFree: free pages on the per-CPU
    lists (/proc/zoneinfo's pagesets), which MemFree leaves out; pages
    freed in bulk wait there, many MiB of them."""
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, rest = line.split(":")
            words = rest.split()
            out[key] = int(words[0]) * (1024 if words[1:] == ["kB"] else 1)
    out["PcpFree"] = 0
    with open("/proc/zoneinfo") as f:
        for line in f:
            words = line.split()
            if words[:1] == ["count:"]:
                out["PcpFree"] += int(words[1]) * PAGE
    return out


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024 // PAGE
    return 0


def backend_pages():
    try:
        with open(BACKEND_PAGES) as f:
            return int(f.read())
    except OSError:
        return None


def settle():
    """Drop clean page cache and reclaimable slab, then let it calm down."""
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")
    time.sleep(1)


def reclaim(nbytes):
    with open("/proc/self/cgroup") as f:
        cg = f.read().strip().split("::", 1)[1]
    try:
        with open("/sys/fs/cgroup%s/memory.reclaim" % cg, "w") as f:
            f.write(str(nbytes))
    except OSError:
        pass        # EAGAIN: reclaimed less than asked; the loop goes on


def main(mode, pages):
    # Private: mmap's default for anonymous memory is shared (shmem).
    buf = mmap.mmap(-1, pages * PAGE,
                    flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for p in range(pages):
        buf[p * PAGE:p * PAGE + 8] = (p + 1).to_bytes(8, "little")
    settle()
    swap0, stored0, before = status("VmSwap"), backend_pages(), meminfo()
    buf.madvise(MADV_PAGEOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (status("VmSwap") - swap0 >= pages
                and meminfo()["Writeback"] == 0):
            break
        reclaim(pages * PAGE)
        time.sleep(0.2)
    # What is left in the swap cache: report.py counts it apart.
    reclaim(pages * PAGE)
    settle()
    swap1, stored1, after = status("VmSwap"), backend_pages(), meminfo()
    print(json.dumps({"mode": mode, "pages": pages,
                      "swapped": [swap0, swap1],
                      "stored": [stored0, stored1],
                      "before": before, "after": after}))
    # Check what came back, so that a lost page cannot pass unseen.
    bad = sum(buf[p * PAGE:p * PAGE + 8] != (p + 1).to_bytes(8, "little")
              for p in range(pages))
    if bad:
        print("hold.py: %d pages came back wrong" % bad, file=sys.stderr)
        return 1
    return 0 if swap1 - swap0 >= pages * 9 // 10 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
