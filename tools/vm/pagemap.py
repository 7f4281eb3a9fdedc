#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Which of the guest's cold pages the host had swapped out
(`make check-vm` with VM_PAGEMAP=1).

    pagemap.py host PID RAM_MIB OUT
        In the UML host: write the state of each guest frame in QEMU
        process PID's guest RAM (the anonymous mapping of RAM_MIB MiB),
        from /proc/PID/pagemap, one character a frame: "p" present, "s"
        swapped out, "-" neither (never touched).  Guest frame N is at
        offset N * 4096 of that mapping (guest RAM below 4 GiB, as on
        QEMU's pc machine with this little RAM).

    pagemap.py join CONSOLE HOSTMAP
        Join the guest's "dpwork: map cold pfn ..." line (the cold area's
        frames, after the fill) and "dpwork: map cold swapped ..." line
        (the cold pages in the guest's swap after the hot phase) with a
        host map taken at the end of the cold fill; print "key value"
        lines: how many cold pages the host had swapped out, how many of
        those the guest later paged out, and (with the guest's "dpwork:
        map hot pfn ..." line) how many hot pages sit in the frames of
        cold pages the guest paged out (frames it reused), and how many
        of those frames the host had swapped out.
"""

import sys

PAGE = 4096


def find_ram(pid, ram_bytes):
    best = None
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            start, end = (int(x, 16) for x in parts[0].split("-"))
            if len(parts) > 5 or not parts[1].startswith("rw"):
                continue  # file-backed or named ([heap], [stack])
            size = end - start
            if size >= ram_bytes and (best is None or size < best[1] - best[0]):
                best = (start, end)
    if best is None:
        raise SystemExit("pagemap.py: no anonymous mapping of %d bytes in %d"
                         % (ram_bytes, pid))
    return best[0]


def host(pid, ram_mib, out):
    ram = ram_mib << 20
    start = find_ram(pid, ram)
    frames = ram // PAGE
    states = []
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        f.seek(start // PAGE * 8)
        data = f.read(frames * 8)
    for i in range(frames):
        e = int.from_bytes(data[i * 8:i * 8 + 8], "little")
        states.append("p" if e >> 63 & 1 else "s" if e >> 62 & 1 else "-")
    with open(out, "w") as f:
        f.write("".join(states) + "\n")


def runs(words):
    for w in words:
        first, count = w.split("+")
        yield int(first), int(count)


def join(console, hostmap):
    pfns, swapped, hot = None, None, None
    with open(console, errors="replace") as f:
        for line in f:
            w = line.strip().split()
            if w[:4] == ["dpwork:", "map", "cold", "pfn"]:
                pfns = [p + i for p, n in runs(w[4:]) for i in range(n)]
            elif w[:4] == ["dpwork:", "map", "cold", "swapped"]:
                swapped = [p + i for p, n in runs(w[4:]) for i in range(n)]
            elif w[:4] == ["dpwork:", "map", "hot", "pfn"]:
                hot = [p + i for p, n in runs(w[4:]) for i in range(n)]
    if pfns is None or swapped is None:
        print("map_missing 1")
        return 1
    with open(hostmap) as f:
        state = f.read().strip()

    def host_state(page):
        pfn = pfns[page] if page < len(pfns) else None
        return state[pfn] if pfn is not None and pfn < len(state) else "?"

    cold = [host_state(p) for p in range(len(pfns))]
    out = [host_state(p) for p in swapped]
    print("map_cold_pages %d" % len(pfns))
    print("map_cold_host_swapped %d" % cold.count("s"))
    print("map_cold_host_present %d" % cold.count("p"))
    print("map_paged_out %d" % len(swapped))
    print("map_paged_out_host_swapped %d" % out.count("s"))
    print("map_paged_out_host_present %d" % out.count("p"))
    # Where in the cold area (by tenths, in fill order) the host had
    # swapped pages out, and where the guest paged pages out.
    tenth = max(1, len(pfns) // 10)
    print("map_host_swapped_by_tenth %s" % ",".join(
        str(cold[i:i + tenth].count("s")) for i in range(0, len(cold), tenth)))
    paged = set(swapped)
    print("map_paged_out_by_tenth %s" % ",".join(
        str(sum(1 for p in range(i, min(i + tenth, len(pfns))) if p in paged))
        for i in range(0, len(pfns), tenth)))
    if hot is not None:
        # Frame reuse: hot pages (at the end of the hot phase) in frames
        # that held cold pages the guest paged out.  With Tesseract, such
        # a frame whose page-out was reconciled was host-swapped, so the
        # guest's first write to it (zeroing) swapped it back in.
        freed = set(pfns[p] for p in swapped if p < len(pfns))
        # Of those, the frames the host had swapped out at the end of the
        # cold fill: there, a reconciled page-out left the frame
        # host-swapped, and its reuse is a host swap-in (unless the frame
        # was reported free and discarded first).
        freed_swapped = set(pfns[p] for p in swapped
                            if p < len(pfns) and host_state(p) == "s")
        print("map_hot_pages %d" % len(hot))
        print("map_hot_in_paged_out_frames %d"
              % sum(1 for p in hot if p in freed))
        print("map_hot_in_host_swapped_paged_out_frames %d"
              % sum(1 for p in hot if p in freed_swapped))
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "host":
        host(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "join":
        return join(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
