#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the benchmark: each part beside its baseline, as ratios.

passthrough/<job>-<dev>-<round>.json: fio JSON, dev "lin" or "tess";
<job>-<dev>-<round>.io what the four devices did during it (below).
swap/swap-<mode>-<round>.json: one swapping run, mode "plain" or "vms",
with "bytes" as the .io files.
fsync/<job>-<dev>-<round>.json: fio JSON, job "fsync1" or "fdatasync32";
<job>-<dev>-<round>.io: {"io": devices, "remapped": [before, after],
"overwritten": n, "commits": n} (the tesseract disk's); remaps.json.
mem/mem-swap-<mode>.json (mode "plain" or "vms", hold.py's) and
mem/mem-remap-<mode>.json (mode "baseline" or "tesseract").
double/vmsim-<mode>-<round>.json: vmsim's JSON, mode "baseline" or
"tesseract"; vmsim-<mode>-<round>.rc its exit code; status-<mode>-<round>.txt
the disk's status at the end; io-<mode>-<round>.json the devices over the
whole run; copyhome-<mode>-<round>.json {"rc", "seconds", "remapped":
[before, after], "io": devices} of the copy_home after it.
Devices ("io", "bytes"): {"data"|"swap"|"store"|"metadata": {"read": bytes,
"written": bytes, "writes": requests, "flushes": requests}, "pool_commits":
commits of the pool's metadata (its transaction id's rise)}.
Each part's pool-status.txt: the pool's status before its removal.

Parts not run (no results) are left out.  Exit 1 if a vmsim run failed
(bad stamps, I/O errors): the numbers of a run that lost data mean nothing;
if a pool ended anything but read-write or needed a check; and if a part
that ran has fewer rounds than BENCH_ROUNDS (fio and swap parts) or
BENCH_VMSIM_ROUNDS (double paging) asked for, because a median over the
rounds that happened to finish is not the figure asked for.
tools/bench/test_report.py tests this script on made-up results.
"""
import glob
import json
import math
import os
import statistics
import sys


MIB = 2**20
DEVICES = ("data", "swap", "store", "metadata")

# Two-sided 95% quantiles of Student's t by degrees of freedom; a df
# between two entries takes the smaller df's (the wider interval).
T95 = ((1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571),
       (6, 2.447), (7, 2.365), (8, 2.306), (9, 2.262), (10, 2.228),
       (12, 2.179), (15, 2.131), (20, 2.086), (25, 2.060), (30, 2.042),
       (40, 2.021), (60, 2.000), (120, 1.980))


def t95(df):
    return [q for d, q in T95 if d <= df][-1]


def ratio_ci(ratios):
    """Geometric mean of paired ratios and its 95% confidence interval (t
    on the logarithms, the rounds taken as independent pairs): (mean, low,
    high), low and high None with fewer than two ratios."""
    logs = [math.log(r) for r in ratios if r > 0]
    if not logs:
        return None, None, None
    m = statistics.mean(logs)
    if len(logs) < 2:
        return math.exp(m), None, None
    h = t95(len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return math.exp(m), math.exp(m - h), math.exp(m + h)


def fmt_ci(ratios):
    g, lo, hi = ratio_ci(ratios)
    if g is None:
        return "n/a"
    if lo is None:
        return "%.3fx (one round: no interval)" % g
    return "%.3fx (95%% CI %.3fx..%.3fx, %d rounds)" % (g, lo, hi,
                                                       len(ratios))


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def status_field(path, n, target):
    """Field N (1-based, after dm's three) of the status line in PATH of a
    TARGET ("tesseract", "tesseract-pool"); None if there is none."""
    try:
        with open(path) as f:
            words = f.read().split()
    except OSError:
        return None
    if len(words) < 3 + n or words[2] != target:
        return None
    return words[2 + n]


def int_or_none(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def moved(io):
    """Every byte a run moved: read and written, all four devices."""
    return sum(io[d]["read"] + io[d]["written"] for d in DEVICES if d in io)


def med(values):
    v = [x for x in values if x is not None]
    return statistics.median(v) if v else None


def fmt(v, spec):
    return "%12s" % "n/a" if v is None else spec % v


def paired_ratios(base, tess, get, kind):
    """Per round with both runs: tesseract / baseline ("T/B") or baseline /
    tesseract ("B/T"), sorted; rounds where either is missing or the
    divisor is 0 are left out."""
    out = []
    for r in sorted(set(base) & set(tess)):
        b, t = get(base[r]), get(tess[r])
        if b is None or t is None:
            continue
        num, den = (t, b) if kind == "T/B" else (b, t)
        if den:
            out.append(num / den)
    return sorted(out)


def side_by_side(rows, base, tess, width=34):
    """One line per row (label, get, spec, kind): medians of both
    configurations and, for a kind, the median of round ratios and their
    range."""
    for label, get, spec, kind in rows:
        line = "%-*s %s %s" % (width, label, fmt(med(map(get, base.values())),
                                                 spec),
                               fmt(med(map(get, tess.values())), spec))
        rs = paired_ratios(base, tess, get, kind) if kind else []
        if rs:
            line += " %7.2fx %4s %6.2fx..%5.2fx" % (
                statistics.median(rs), kind, rs[0], rs[-1])
        print(line.rstrip())


def device_rows(get_io, label_suffix=""):
    """Rows of side_by_side for what each device read and wrote (MiB;
    metadata in KiB), then every byte moved, from get_io(run)."""
    def dev(d, key, scale):
        def get(r):
            io = get_io(r)
            return io[d][key] / scale if io and d in io else None
        return get
    rows = []
    for d in DEVICES:
        unit, scale, spec = ("KiB", 1024, "%12.1f") if d == "metadata" \
            else ("MiB", MIB, "%12.1f")
        name = "data device" if d == "data" else d
        rows.append(("%s %s read%s" % (name, unit, label_suffix),
                     dev(d, "read", scale), spec, "T/B"))
        rows.append(("%s %s written%s" % (name, unit, label_suffix),
                     dev(d, "written", scale), spec, "T/B"))
    rows.append(("all four devices, MiB moved%s" % label_suffix,
                 lambda r: moved(get_io(r)) / MIB if get_io(r) else None,
                 "%12.1f", "T/B"))
    return rows


def paragraph(text):
    """A figure's "how it is measured", wrapped, after its table."""
    words, line = text.split(), "  how:"
    for w in words:
        if len(line) + 1 + len(w) > 76:
            print(line)
            line = "      "
        line += " " + w
    print(line)


def fio_iops(path):
    with open(path) as f:
        job = json.load(f)["jobs"][0]
    return job["read"]["iops"] + job["write"]["iops"]


def passthrough(outdir):
    runs, ios = {}, {}
    for path in glob.glob(os.path.join(outdir, "passthrough", "*.json")):
        job, dev, rnd = os.path.basename(path)[:-5].rsplit("-", 2)
        runs.setdefault((job, dev), {})[int(rnd)] = fio_iops(path)
        ios.setdefault((job, dev), {})[int(rnd)] = load(path[:-5] + ".io")
    if not runs:
        return
    rounds = max(len(v) for v in runs.values())

    print()
    print("Target, no remaps: fio 4 KiB random I/O, O_DIRECT, qd32 (libaio; "
          "_uring: io_uring), %d rounds, each tesseract run right after its "
          "dm-linear run" % rounds)
    print("%-22s %10s %10s %8s %17s" % ("median", "dm-linear", "tesseract",
                                       "ratio", "round ratios"))
    worst, worst_ratios = 1e9, []
    jobs = [j for j in ("randread", "randwrite", "randread_uring",
                        "randwrite_uring") if (j, "lin") in runs]
    for job in jobs:
        lin, tess = runs[(job, "lin")], runs.get((job, "tess"), {})
        # Paired by round: the two runs of a round share the machine's mood.
        ratios = sorted(tess[r] / lin[r] for r in lin if r in tess)
        if not ratios:
            continue
        ratio = statistics.median(ratios)
        if ratio < worst:
            worst, worst_ratios = ratio, ratios
        print("%-22s %10.0f %10.0f %7.1f%% %7.1f%%..%5.1f%%" % (
            job + "-4k IOPS", statistics.median(lin.values()),
            statistics.median(tess.values()), 100 * ratio,
            100 * ratios[0], 100 * ratios[-1]))
    if worst_ratios:
        print("tesseract / dm-linear, median of round ratios, worst job: "
              "%.1f%% (goal: at least 97%%); its geometric mean %s"
              % (100 * worst, fmt_ci(worst_ratios)))
    print("%-22s %24s %24s" % ("MiB moved, median run", "dm-linear",
                               "tesseract"))
    for job in jobs:
        cells = []
        for dev in ("lin", "tess"):
            v = [moved(io) for io in ios.get((job, dev), {}).values() if io]
            m = [io["metadata"]["written"] for io in
                 ios.get((job, dev), {}).values() if io]
            cells.append("n/a" if not v else "%.1f (metadata %.0f KiB)"
                         % (med(v) / MIB, med(m) / 1024))
        print("%-22s %24s %24s" % (job, cells[0], cells[1]))
    paragraph("IOPS are fio's (read + write) of each run; a round's ratio "
              "is its tesseract run over its dm-linear run, both on the same "
              "data device in the same boot, the tesseract disk with no "
              "remap and its write hook armed (swap on, the pool serves it). "
              "MiB moved: sectors read and written during the run on the "
              "data, swap, store and metadata devices (/proc/diskstats).")


def swap(outdir):
    runs = {}
    for path in glob.glob(os.path.join(outdir, "swap", "swap-*.json")):
        with open(path) as f:
            run = json.load(f)
        runs.setdefault(run["mode"], {})[run["round"]] = run
    if not runs:
        return
    plain, vms = runs.get("plain", {}), runs.get("vms", {})
    if not plain or not vms:
        print()
        print("Swap backend: only %s ran" % " ".join(runs))
        return
    mib = next(iter(plain.values()))["mib"]

    def mode_med(mode, key, scale=1):
        return statistics.median(r[key] / scale for r in mode.values())

    def mbps(r):
        return (r["read_bytes"] + r["write_bytes"]) / r["seconds"] / 2**20

    print()
    print("Swap backend: %d MiB touched 3 times in a 16 MiB memcg, %d rounds"
          % (mib, len(plain)))
    print("%-16s %12s %12s %8s" % ("median", "swap device", "tesseract",
                                   "ratio"))
    for label, key, scale in (("seconds", "seconds", 1),
                              ("swap-out MiB", "write_bytes", 2**20),
                              ("swap-in MiB", "read_bytes", 2**20)):
        p, v = mode_med(plain, key, scale), mode_med(vms, key, scale)
        print("%-16s %12.2f %12.2f %7.2fx" % (label, p, v, v / p if p else 0))
    p = statistics.median(mbps(r) for r in plain.values())
    v = statistics.median(mbps(r) for r in vms.values())
    print("%-16s %12.1f %12.1f %7.2fx" % ("swap MiB/s", p, v,
                                          v / p if p else 0))
    for label, get in (
            ("MiB moved, all", lambda r: moved(r["bytes"]) / MIB),
            ("metadata KiB w", lambda r: r["bytes"]["metadata"]["written"]
             / 1024)):
        if all("bytes" in r for r in (*plain.values(), *vms.values())):
            p = statistics.median(get(r) for r in plain.values())
            v = statistics.median(get(r) for r in vms.values())
            print("%-16s %12.1f %12.1f" % (label, p, v))
    ratios = sorted(vms[r]["seconds"] / plain[r]["seconds"]
                    for r in plain if r in vms)
    print("tesseract / swap device, time, median of round ratios: %.2fx "
          "(%.2fx..%.2fx; goal: at most 1.00x); geometric mean %s"
          % (statistics.median(ratios), ratios[0], ratios[-1],
             fmt_ci(ratios)))
    paragraph("Seconds of memtouch (the working set touched three times) in "
              "a memory cgroup under memory.high, once with the backend "
              "restricted away from it (pages go to the swap device) and "
              "once in the backend's cgroup (pages go to the pool's store); "
              "MiB from /proc/diskstats of the device swap went to, MiB "
              "moved and metadata KiB written of all four devices.  Swap "
              "references live in memory only, so the metadata device "
              "should see nothing written.")


def sync_lat_us(job, pct):
    """fio's sync (fsync/fdatasync) latency percentile PCT, microseconds."""
    lat = job.get("sync", {}).get("lat_ns", {})
    if pct == "max":
        return lat["max"] / 1000 if lat.get("N") else None
    p = lat.get("percentile", {}).get("%.6f" % pct)
    return p / 1000 if p is not None else None


def fsync(outdir):
    runs = {}
    for path in glob.glob(os.path.join(outdir, "fsync", "f*-*-*.json")):
        job, dev, rnd = os.path.basename(path)[:-5].rsplit("-", 2)
        fio = load(path)
        if not fio:
            continue
        side = load(path[:-5] + ".io") or {}
        runs.setdefault(job, {}).setdefault(dev, {})[int(rnd)] = (
            fio["jobs"][0], side)
    if not runs:
        return
    remaps = load(os.path.join(outdir, "fsync", "remaps.json")) or {}

    def write_iops(r):
        return r[0]["write"]["iops"]

    def syncs(r):
        # lat_ns's N: fio 3.33 leaves total_ios 0 for fdatasync.
        return r[0].get("sync", {}).get("lat_ns", {}).get("N") or None

    def per_sync(get):
        def f(r):
            n = syncs(r)
            v = get(r)
            return v / n if n and v is not None else None
        return f

    def io(d, key):
        return lambda r: (r[1]["io"][d][key] if "io" in r[1]
                          and d in r[1]["io"] else None)

    rounds = max(len(d) for j in runs.values() for d in j.values())
    print()
    print("Commits: fio 4 KiB random writes, O_DIRECT, psync (one at a time), "
          "%d rounds, the pair's order alternating;" % rounds)
    print("tesseract disk with %s of %s MiB remapped before the first round "
          "vs dm-linear, same data device" % (
              remaps.get("remapped", "n/a"), remaps.get("remap_mib", "n/a")))
    for job in ("fsync1", "fdatasync32"):
        if job not in runs:
            continue
        lin, tess = runs[job].get("lin", {}), runs[job].get("tess", {})
        print("%-34s %12s %12s %8s %4s %15s" % (
            job + ", median", "dm-linear", "tesseract", "ratio", "",
            "round ratios"))
        rows = [("write IOPS", write_iops, "%12.0f", "T/B")]
        for pct, name in ((50, "p50"), (99, "p99"), (99.9, "p99.9"),
                          ("max", "max")):
            rows.append(("%s latency %s us" % (
                "fsync" if job == "fsync1" else "fdatasync", name),
                (lambda p: lambda r: sync_lat_us(r[0], p))(pct), "%12.0f",
                "T/B"))
        rows += [
            ("syncs", syncs, "%12.0f", None),
            ("tesseract disk: remapped at start",
             lambda r: (r[1].get("remapped") or [None])[0], "%12.0f", None),
            ("tesseract disk: remaps overwritten",
             lambda r: r[1].get("overwritten"),
             "%12.0f", None),
            ("pool commits per sync", per_sync(lambda r: r[1].get("commits")),
             "%12.2f", None),
            ("metadata bytes written per sync",
             per_sync(io("metadata", "written")), "%12.0f", None),
            ("pool commits (all, metadata)", lambda r: (
                r[1].get("io", {}).get("pool_commits")), "%12.0f", None),
            ("metadata KiB written per commit", lambda r: (
                r[1]["io"]["metadata"]["written"] / 1024
                / r[1]["io"]["pool_commits"]
                if r[1].get("io", {}).get("pool_commits") else None),
             "%12.1f", None),
            ("data device flushes per sync", per_sync(io("data", "flushes")),
             "%12.2f", "T/B"),
            ("store flushes per sync", per_sync(io("store", "flushes")),
             "%12.2f", None),
            ("metadata flushes per sync", per_sync(io("metadata", "flushes")),
             "%12.2f", None),
        ]
        rows += device_rows(lambda r: r[1].get("io"))
        side_by_side(rows, lin, tess)
        print("%s: write IOPS tesseract / dm-linear, geometric mean %s"
              % (job, fmt_ci(paired_ratios(lin, tess, write_iops, "T/B"))))
        if job == "fsync1":
            print("%s: commit latency on flush (fsync p99) tesseract / "
                  "dm-linear, geometric mean %s" % (job, fmt_ci(
                      paired_ratios(lin, tess, rows[2][1], "T/B"))))
    print("ratio: median of round ratios, T/B = tesseract / dm-linear")
    paragraph("fio's write IOPS, and its sync latency percentiles (the time "
              "of each fsync() or fdatasync() call: on the tesseract disk "
              "a flush waits for a pool commit that started after it, then "
              "goes to the data device) from each run's JSON.  Both runs of "
              "a round write the same random offsets (fio randseed = the "
              "round) over 128 MiB; before the first round, swapwrite wrote "
              "host-swapped-out pages into the MiB named above (half of "
              "the range by default), 4 MiB every 8 MiB, so writes land on "
              "remapped blocks, drop their remaps and make the next flush "
              "commit.  The interval: geometric "
              "mean of the rounds' ratios, 95% Student t interval on their "
              "logarithms.  Commits caused by the disk's flushes and "
              "overwritten remaps are the disk's status counters around the "
              "run, all pool commits the rise of the pool's transaction id; "
              "flushes, bytes and MiB moved from /proc/diskstats of the "
              "four devices.")


def kernel_bytes(mi):
    """Memory the kernel holds for itself: what is neither free (on the
    free lists or the per-CPU lists), nor page cache or buffers, nor
    anonymous memory of processes, mapped or in the swap cache (slab, page
    tables, vmalloc, buffers of dm-bufio...)."""
    return (mi["MemTotal"] - mi["MemFree"] - mi.get("PcpFree", 0)
            - mi["Buffers"] - mi["Cached"] - mi["SwapCached"]
            - mi["AnonPages"])


def mem(outdir):
    d = os.path.join(outdir, "mem")
    swap_runs = {m: load(os.path.join(d, "mem-swap-%s.json" % m))
                 for m in ("plain", "vms")}
    remap_runs = {m: load(os.path.join(d, "mem-remap-%s.json" % m))
                  for m in ("baseline", "tesseract")}
    if not any(swap_runs.values()) and not any(remap_runs.values()):
        return

    keys = (("Slab", lambda mi: mi["Slab"]),
            ("SUnreclaim", lambda mi: mi["SUnreclaim"]),
            ("kernel (total - free - cache - anon)", kernel_bytes))

    def per_item(run, items):
        return {k: ((get(run["after"]) - get(run["before"])) / items
                    if items else None) for k, get in keys}

    def table(title, cols):
        print("%-42s %s" % (title, " ".join("%14s" % c[0] for c in cols)))
        for k, _ in keys:
            cells = []
            for _, v in cols:
                cells.append("%14s" % ("n/a" if v is None or v[k] is None
                                       else "%.1f" % v[k]))
            print("%-42s %s" % ("  " + k, " ".join(cells)))

    print()
    print("Kernel memory, bytes per item: /proc/meminfo after minus before, "
          "over the items made")
    p, v = swap_runs["plain"], swap_runs["vms"]
    if p and v:
        pn = p["swapped"][1] - p["swapped"][0]
        vn = v["swapped"][1] - v["swapped"][0]
        stored = (v["stored"][1] - v["stored"][0]
                  if None not in v["stored"] else None)
        pp, vp = per_item(p, pn), per_item(v, vn)
        net = {k: vp[k] - pp[k] for k, _ in keys}
        table("per swapped-out page (%d plain, %d stored)" % (pn, vn),
              (("swap device", pp), ("backend", vp),
               ("backend - dev", net)))
        print("  pages the backend stored: %s (of %d asked)"
              % (stored, v["pages"]))
    b, t = remap_runs["baseline"], remap_runs["tesseract"]
    if b and t:
        n = t["remapped"]
        bp, tp = per_item(b, b["pages"]), per_item(t, n)
        # The control's delta for as many pages written, taken off.
        net = {k: (tp[k] * n - bp[k] * t["pages"]) / n if n else None
               for k, _ in keys}
        table("per remapped block (%d remaps, %d pages)" % (n, t["pages"]),
              (("no_reconcile", bp), ("tesseract", tp),
               ("net", net)))
    paragraph("Snapshots of /proc/meminfo, each after sync and drop_caches "
              "(page cache and reclaimable slab dropped, dm-bufio's clean "
              "buffers too), around making N items.  Swap pages: hold.py "
              "touches N pages and pushes them out (MADV_PAGEOUT, then "
              "memory.reclaim until they left the swap cache) and holds "
              "them; items are the pages its VmSwap grew by, once to the "
              "swap device (the control) and once stored by the backend.  "
              "Remaps: swapwrite writes N host-swapped-out pages to a disk; "
              "on a no_reconcile disk (the control, per page written) they "
              "go home, on a reconciling one each leaves a remap (items: "
              "the disk's remapped blocks, after a pool commit).  "
              "net = the item's bytes minus the control's per item.  The "
              "nodes of an xarray are reclaimable slab (radix_tree_node) "
              "that drop_caches does not free: Slab, not SUnreclaim, holds "
              "in-core maps.")


def double_whole(outdir, failed):
    """The double-paging runs' bytes over their whole run, and the metadata
    bytes written per reconciled page."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(outdir, "double",
                                              "io-*.json"))):
        mode, rnd = os.path.basename(path)[:-5].split("-")[1:]
        io = load(path)
        rec = int_or_none(status_field(os.path.join(
            outdir, "double", "status-%s-%s.txt" % (mode, rnd)), 8,
            "tesseract"))
        if io is None or rec is None:
            failed.append("%s round %s: %s" % (
                mode, rnd, "no disk status" if io else "no device counts"))
            continue
        home_path = os.path.join(outdir, "double", "copyhome-%s-%s.json"
                                 % (mode, rnd))
        home = load(home_path)
        if home is None and os.path.exists(home_path):
            failed.append("%s round %s: copy_home: no JSON" % (mode, rnd))
        if home and (home["rc"] != 0 or home["remapped"][1] != 0):
            failed.append("%s round %s: copy_home exit %s, %s remaps left"
                          % (mode, rnd, home["rc"], home["remapped"][1]))
        runs.setdefault(mode, {})[int(rnd)] = {"io": io, "reconciled": rec,
                                               "home": home}
    base, tess = runs.get("baseline", {}), runs.get("tesseract", {})
    if not base and not tess:
        return

    def md_per_page(r):
        return (r["io"]["metadata"]["written"] / r["reconciled"]
                if r["reconciled"] else None)

    print()
    print("Double paging, whole runs (the disk's table created .. vmsim "
          "done and the pool committed), bytes per device")
    print("%-38s %12s %12s %8s %4s %15s" % (
        "median", "baseline", "tesseract", "ratio", "", "round ratios"))
    rows = device_rows(lambda r: r["io"])
    rows += [
        ("metadata write requests", lambda r: r["io"]["metadata"]["writes"],
         "%12.0f", None),
        ("pool commits", lambda r: r["io"].get("pool_commits"), "%12.0f",
         None),
        ("metadata KiB written per commit", lambda r: (
            r["io"]["metadata"]["written"] / 1024 / r["io"]["pool_commits"]
            if r["io"].get("pool_commits") else None), "%12.1f", None),
        ("reconciled pages (whole run)", lambda r: r["reconciled"], "%12.0f",
         None),
        ("metadata bytes / reconciled page", md_per_page, "%12.1f", None),
        ("copy_home after the run: remaps", lambda r: (
            r["home"]["remapped"][0] if r["home"] else None), "%12.0f",
         None),
        ("copy_home: seconds", lambda r: (
            r["home"]["seconds"] if r["home"] else None), "%12.2f", None),
        ("copy_home: MiB moved", lambda r: (
            moved(r["home"]["io"]) / MIB if r["home"] else None), "%12.1f",
         None),
        ("copy_home: metadata KiB written", lambda r: (
            r["home"]["io"]["metadata"]["written"] / 1024 if r["home"]
            else None), "%12.1f", None),
        ("all four devices with copy_home, MiB", lambda r: (
            (moved(r["io"]) + moved(r["home"]["io"])) / MIB if r["home"]
            else None), "%12.1f", "T/B"),
    ]
    side_by_side(rows, base, tess, width=38)
    total_md = sum(r["io"]["metadata"]["written"] for r in tess.values())
    total_rec = sum(r["reconciled"] for r in tess.values())
    if total_rec:
        per = total_md / total_rec
        print("metadata bytes written per reconciled page, all %d tesseract "
              "runs together: %.1f B (%d B over %d pages; goal: at most 64 B"
              "%s)" % (len(tess), per, total_md, total_rec,
                       "" if per <= 64 else ", NOT MET"))
    else:
        print("metadata bytes written per reconciled page: no page was "
              "reconciled")
    paragraph("Sectors read and written on the data, swap, store and "
              "metadata devices (/proc/diskstats) from just before the "
              "disk's table was created to just after vmsim ended and the "
              "pool committed, so vmsim's start and end "
              "and the commit of the run's last remaps count; the disk id "
              "is new for each run and deleted after it.  copy_home: the "
              "disk's copy_home message after that (every remapped block "
              "copied home, the data device flushed, the drops committed), "
              "counted apart: what it costs to make the data device the "
              "whole disk again, as before a backup.  Reconciled pages: "
              "the disk status's reconciled counter at the end of the run.  The figure against the goal "
              "is the sum of metadata bytes written over the sum of pages "
              "reconciled, all tesseract runs (commits, counted by the pool's "
              "transaction id, amortised over "
              "the run, as the pool does them: each commit_period, and "
              "whatever flush the run issued).")


def double(outdir):
    runs, failed = {}, []
    for path in sorted(glob.glob(os.path.join(outdir, "double",
                                              "vmsim-*.json"))):
        mode, rnd = os.path.basename(path)[:-5].split("-")[1:]
        try:
            with open(path) as f:
                run = json.load(f)
        except ValueError:
            failed.append("%s round %s: no JSON" % (mode, rnd))
            continue
        try:
            with open(path[:-5] + ".rc") as f:
                rc = int(f.read())
        except (OSError, ValueError):
            rc = None
        if rc != 0 or run["bad_stamps"] or run["io_errors"]:
            failed.append("%s round %s: exit %s, %d bad stamps, %d I/O errors"
                          % (mode, rnd, rc, run["bad_stamps"],
                             run["io_errors"]))
        runs.setdefault(mode, {})[int(rnd)] = run
    if not runs:
        double_whole(outdir, failed)
        for f in failed:
            print("FAILED RUN: " + f)
        return not failed
    base, tess = runs.get("baseline", {}), runs.get("tesseract", {})
    paired = sorted(r for r in base if r in tess)
    any_run = next(iter(base.values() or tess.values()))

    def target(key):
        return lambda r: r["target"][key] if r["target"] else None

    def per_page_out(key):
        return lambda r: (r["bytes"][key] / 1024 / r["guest"]["page_outs"]
                          if r["guest"]["page_outs"] else None)

    mib = 2**20
    print()
    print("Double paging: vmsim, 32 MiB guest RAM in a 24 MiB memcg (memory.high), "
          "%.0f s per run, %d rounds;" % (any_run["seconds"], len(paired)))
    print("each round runs the baseline (no_reconcile) and Tesseract "
          "(reconciliation on), same seed, each on a new disk of the pool")
    print("%-34s %12s %12s %8s %4s %15s" % (
        "median", "baseline", "tesseract", "ratio", "", "round ratios"))
    rows = (
        ("guest accesses/s", lambda r: r["throughput"], "%12.0f", "T/B"),
        ("probe latency p99 ms", lambda r: r["probe_ms"]["p99"], "%12.1f",
         "B/T"),
        ("probe latency max ms", lambda r: r["probe_ms"]["max"], "%12.1f",
         "B/T"),
        ("guest page-outs", lambda r: r["guest"]["page_outs"], "%12.0f",
         "T/B"),
        ("guest page-ins", lambda r: r["guest"]["page_ins"], "%12.0f", "T/B"),
        ("host swap-ins (pswpin)", lambda r: r["host"]["pswpin"], "%12.0f",
         "T/B"),
        ("store MiB read", lambda r: r["bytes"]["store_read"] / mib,
         "%12.1f", "T/B"),
        ("store MiB written", lambda r: r["bytes"]["store_written"] / mib,
         "%12.1f", "T/B"),
        ("data device MiB read", lambda r: r["bytes"]["data_read"] / mib,
         "%12.1f", "T/B"),
        ("data device MiB written", lambda r: r["bytes"]["data_written"] / mib,
         "%12.1f", "T/B"),
        ("total MiB read (store + data)",
         lambda r: (r["bytes"]["store_read"] + r["bytes"]["data_read"]) / mib,
         "%12.1f", "T/B"),
        ("total MiB written (store + data)",
         lambda r: (r["bytes"]["store_written"]
                    + r["bytes"]["data_written"]) / mib, "%12.1f", "T/B"),
        ("reconciled writes (pages)", target("reconciled_writes"), "%12.0f",
         None),
        ("reconciled MiB",
         lambda r: (r["target"]["reconciled_bytes"] / mib
                    if r["target"] else None), "%12.1f", None),
        ("page-outs reconciled %",
         lambda r: (100 * r["target"]["reconciled_writes"]
                    / r["guest"]["page_outs"]
                    if r["target"] and r["guest"]["page_outs"] else None),
         "%12.1f", None),
        ("  taken from swap PTEs", target("taken_swap_pte"), "%12.0f", None),
        ("  taken from swap-cache pages", target("taken_swap_cache"),
         "%12.0f", None),
        ("  taken by the fallback", target("taken_fallback"), "%12.0f",
         None),
        ("  offered, declined: not stored",
         target("declined_not_stored"), "%12.0f", None),
        ("redirected reads", target("redirected_reads"), "%12.0f", None),
        ("overwritten remaps", target("overwritten_remaps"), "%12.0f", None),
        ("remapped blocks at end", target("remapped_blocks"), "%12.0f", None),
        ("store KiB read / guest page-out", per_page_out("store_read"),
         "%12.2f", "T/B"),
        ("data KiB written / guest page-out", per_page_out("data_written"),
         "%12.2f", "T/B"),
    )
    side_by_side(rows, base, tess)
    print("ratio: median of round ratios; T/B = tesseract / baseline, "
          "B/T = baseline / tesseract")
    tput = paired_ratios(base, tess, rows[0][1], "T/B")
    p99 = paired_ratios(base, tess, rows[1][1], "B/T")
    mx = paired_ratios(base, tess, rows[2][1], "B/T")
    if tput and p99 and mx:
        print("throughput tesseract / baseline: %.2fx; probe latency "
              "baseline / tesseract: p99 %.2fx, max %.2fx (above 1: "
              "tesseract better)" % (statistics.median(tput),
                                     statistics.median(p99),
                                     statistics.median(mx)))
        print("throughput tesseract / baseline, geometric mean %s"
              % fmt_ci(tput))
    paragraph("vmsim's own figures, over its timed part (after its boot, "
              "which touches the whole working set once): guest accesses "
              "per second, the probe's latency, guest and host paging, and "
              "the data and store devices' bytes; the target's counters "
              "from its status.")
    double_whole(outdir, failed)
    for f in failed:
        print("FAILED RUN: " + f)
    return not failed


# Results each part must have per round, when it ran (its directory
# exists): (part, glob, how many files per round, environment variable
# with the rounds, or None: one round).
EXPECTED = (
    ("passthrough", "*.json", 8, "BENCH_ROUNDS"),
    ("passthrough", "*.io", 8, "BENCH_ROUNDS"),
    ("swap", "swap-*.json", 2, "BENCH_ROUNDS"),
    ("fsync", "f*-*-*.json", 4, "BENCH_ROUNDS"),
    ("fsync", "f*-*-*.io", 4, "BENCH_ROUNDS"),
    ("fsync", "remaps.json", 0, None),
    ("mem", "mem-swap-*.json", 2, None),
    ("mem", "mem-remap-*.json", 2, None),
    ("double", "vmsim-*.json", 2, "BENCH_VMSIM_ROUNDS"),
    ("double", "io-*.json", 2, "BENCH_VMSIM_ROUNDS"),
    ("double", "copyhome-*.json", 2, "BENCH_VMSIM_ROUNDS"),
)


def missing_rounds(outdir):
    """Lines saying which parts that ran lack results of some rounds."""
    out = []
    for part, pattern, per_round, var in EXPECTED:
        if not os.path.isdir(os.path.join(outdir, part)):
            continue
        if var is None:
            want = per_round or 1
        elif var in os.environ:
            want = per_round * int(os.environ[var])
        else:
            continue
        have = len(glob.glob(os.path.join(outdir, part, pattern)))
        if have != want:
            out.append("%s: %d %s files, want %d%s" % (
                part, have, pattern, want,
                " (%s=%s)" % (var, os.environ[var]) if var else ""))
    return out


def pool_problems(outdir):
    """Lines naming the parts whose pool ended anything but read-write and
    clean (pool status field 7 rw, field 8 "-"), or left no status."""
    out = []
    for part in sorted({e[0] for e in EXPECTED}):
        if not os.path.isdir(os.path.join(outdir, part)):
            continue
        path = os.path.join(outdir, part, "pool-status.txt")
        mode = status_field(path, 7, "tesseract-pool")
        check = status_field(path, 8, "tesseract-pool")
        if mode is None or check is None:
            try:
                with open(path) as f:
                    text = " ".join(f.read().split()) or "empty"
            except OSError:
                text = None
            out.append("%s: %s" % (part, "no pool status" if text is None
                                   else "pool status '%s'" % text))
        elif mode != "rw" or check != "-":
            out.append("%s: the pool ended %s, %s" % (part, mode, check))
    return out


def main(outdir):
    passthrough(outdir)
    swap(outdir)
    fsync(outdir)
    mem(outdir)
    ok = double(outdir)
    for line in missing_rounds(outdir):
        print("MISSING ROUNDS: " + line)
        ok = False
    for line in pool_problems(outdir):
        print("POOL NOT CLEAN: " + line)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
