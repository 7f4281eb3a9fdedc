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


# ---- double paging on the storage models (tools/bench/double.sh) ----

MODELS = ("hdd", "ssd", "ram")
CONFIGS = ("baseline", "discard", "tesseract", "home", "regroup", "auto")
CONFIG_LABEL = {"baseline": "baseline (no_reconcile)",
                "discard": "discard only (no_remap)",
                "tesseract": "Tesseract",
                "home": "Tesseract + relocation A (home)",
                "regroup": "Tesseract + relocation B (regroup)",
                "auto": "Tesseract + relocation auto"}
MODEL_LABEL = {"hdd": "HDD model (7200 RPM)", "ssd": "SSD model (SATA, 2013)",
               "ram": "RAM (ubd images in the host page cache, no model)"}
# The targets: (what, model, minimum, aim).
TARGETS = (("throughput_ratio", "hdd", 3.0, 4.0),
           ("throughput_ratio", "ssd", 1.3, 1.5),
           ("probe_max_ratio", "hdd", 5.0, 8.0),
           ("probe_max_ratio", "ssd", 5.0, 8.0),
           ("throughput_ratio", "ram", 1.0, None))
SEQ_TARGET = 0.95
BOOT_SAMPLES = 2000


def geomean(values):
    v = [x for x in values if x and x > 0]
    return math.exp(statistics.mean(math.log(x) for x in v)) if v else None


def bootstrap_ci(ratios, samples=BOOT_SAMPLES, seed=1):
    """95% percentile interval of the geometric mean of paired ratios,
    resampling the pairs with replacement: (low, high); None with fewer
    than two pairs.  Seeded: the same ratios give the same interval."""
    import random
    v = [r for r in ratios if r and r > 0]
    if len(v) < 2:
        return None
    rng = random.Random(seed)
    logs = [math.log(r) for r in v]
    n = len(logs)
    means = sorted(sum(rng.choices(logs, k=n)) / n for _ in range(samples))
    lo = means[int(0.025 * (samples - 1))]
    hi = means[int(math.ceil(0.975 * (samples - 1)))]
    return math.exp(lo), math.exp(hi)


def all_bytes(io, key):
    """Bytes read ("read") or written ("written") on all four devices."""
    return sum(io[d][key] for d in DEVICES if io and d in io) if io else 0


def drive_busy_s(io):
    """Seconds the modelled drive(s) were busy for the run (the slices'
    busy time added: one drive in the shared layout), None with no model."""
    m = (io or {}).get("model")
    if not m:
        return None
    return sum(s["busy_us"] for s in m.values()) / 1e6


POOL_RELOC_KEYS = ("reloc_mode", "reloc_state", "extents_moved",
                   "blocks_home", "blocks_regrouped", "reloc_bytes_read",
                   "reloc_bytes_written", "copy_errors", "remapped_blocks")


def pool_status_fields(words):
    """A pool status line's words (after dm's three) as a dict: "txn",
    "held_by_remaps" (store blocks), and when the line has the relocation
    fields (mode, state, extents moved, blocks moved home, blocks
    regrouped, bytes read, bytes written, copy errors, remapped blocks:
    right after the "low water" field, before the features; Documentation/
    dm-tesseract.rst), those under POOL_RELOC_KEYS."""
    out = {}
    try:
        out["txn"] = int(words[0])
        out["held_by_remaps"] = int(words[4])
    except (IndexError, ValueError):
        return out
    # Relocation fields: a mode word from the known set after field 10.
    n = len(POOL_RELOC_KEYS)
    for i in range(9, len(words) - n + 1):
        if words[i] in ("off", "home", "regroup", "auto"):
            vals = words[i:i + n]
            try:
                nums = [int(x) for x in vals[2:]]
            except ValueError:
                continue
            out.update(zip(POOL_RELOC_KEYS, vals[:2] + nums))
            break
    return out


def load_samples(path):
    """reloc-CFG-ROUND.txt: [(seconds since the first sample, fields)]."""
    out, t0 = [], None
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        w = line.split()
        if len(w) < 6 or w[0] != "T" or w[4] != "tesseract-pool":
            continue
        t = float(w[1])
        t0 = t if t0 is None else t0
        out.append((t - t0, pool_status_fields(w[5:])))
    return out


def reloc_bytes(run):
    """Bytes relocation moved in a run: from the pool's relocation counters
    (first sample to last, the forced pass included) when the status has
    them, else what the devices moved during the forced pass."""
    s = run.get("samples") or []
    first = next((f for _, f in s if "reloc_bytes_read" in f), None)
    last = next((f for _, f in reversed(s) if "reloc_bytes_read" in f), None)
    if first and last:
        return (last["reloc_bytes_read"] + last["reloc_bytes_written"]
                - first["reloc_bytes_read"] - first["reloc_bytes_written"])
    now = run.get("relocnow")
    if now and now.get("io"):
        return all_bytes(now["io"], "read") + all_bytes(now["io"], "written")
    return 0


def seq_rate(seq, key, field="seconds"):
    """MB/s of a sequential read (field "busy_s": by the modelled drive's
    busy time), None if it did not happen."""
    r = (seq or {}).get(key)
    return (r["mib"] * MIB / 1e6 / r[field] if r and r.get(field)
            else None)


def load_model(dirpath, failed):
    """runs[cfg][round] of one model's directory, with what went wrong
    appended to failed."""
    runs = {}
    model = os.path.basename(dirpath)[len("double-"):]
    for path in sorted(glob.glob(os.path.join(dirpath, "vmsim-*-*.json"))):
        cfg, rnd = os.path.basename(path)[len("vmsim-"):-5].rsplit("-", 1)
        base = os.path.join(dirpath, "%%s-%s-%s" % (cfg, rnd))
        vm = load(path)
        try:
            with open(base % "vmsim" + ".rc") as f:
                rc = int(f.read())
        except (OSError, ValueError):
            rc = None
        if vm is None:
            failed.append("%s %s round %s: no vmsim JSON" % (model, cfg, rnd))
            continue
        if rc != 0 or vm.get("bad_stamps") or vm.get("io_errors"):
            failed.append("%s %s round %s: exit %s, %s bad stamps, %s I/O "
                          "errors" % (model, cfg, rnd, rc,
                                      vm.get("bad_stamps"),
                                      vm.get("io_errors")))
        run = {"vmsim": vm, "io": load(base % "io" + ".json"),
               "seq": load(base % "seq" + ".json"),
               "relocnow": load(base % "relocnow" + ".json"),
               "samples": load_samples(base % "reloc" + ".txt")}
        if run["io"] is None:
            failed.append("%s %s round %s: no device counts"
                          % (model, cfg, rnd))
        if cfg in ("home", "regroup", "auto"):
            if run["relocnow"] is None:
                failed.append("%s %s round %s: no relocation pass"
                              % (model, cfg, rnd))
            elif run["relocnow"].get("rc") != 0:
                failed.append("%s %s round %s: relocate now exit %s"
                              % (model, cfg, rnd, run["relocnow"]["rc"]))
        runs.setdefault(cfg, {})[int(rnd)] = run
    return runs


def run_bytes(run, key):
    """Bytes read or written on the four devices by a run, its forced
    relocation pass included."""
    b = all_bytes(run["io"], key)
    if run.get("relocnow") and run["relocnow"].get("io"):
        b += all_bytes(run["relocnow"]["io"], key)
    return b


def config_summary(base, runs):
    """The summary.json entry of one configuration against the baseline."""
    paired = sorted(set(base) & set(runs))

    def ratios(get, better_high=True):
        out = []
        for r in paired:
            b, t = get(base[r]), get(runs[r])
            if b and t:
                out.append(t / b if better_high else b / t)
        return out

    thr = ratios(lambda r: r["vmsim"]["throughput"])
    ttn = ratios(lambda r: r["vmsim"].get("time_to_n"), False)
    p99 = ratios(lambda r: r["vmsim"]["probe_ms"]["p99"], False)
    pmx = ratios(lambda r: r["vmsim"]["probe_ms"]["max"], False)
    moved_r = ratios(lambda r: run_bytes(r, "read") + run_bytes(r, "written"),
                     False)
    vals = list(runs.values())

    def mv(get):
        v = [get(r) for r in vals]
        v = [x for x in v if x is not None]
        return statistics.median(v) if v else None

    ci = bootstrap_ci(thr)
    s = {
        "rounds": len(runs), "pairs": len(thr),
        "throughput": mv(lambda r: r["vmsim"]["throughput"]),
        "throughput_ratio": geomean(thr),
        "throughput_ci": list(ci) if ci else None,
        "throughput_round_ratios": thr,
        "time_to_n_s": mv(lambda r: r["vmsim"].get("time_to_n")),
        "finished_n": sum(1 for r in vals if r["vmsim"].get("time_to_n")),
        "time_to_n_ratio": geomean(ttn) if len(ttn) == len(paired) else None,
        "time_to_n_ci": (list(bootstrap_ci(ttn)) if len(ttn) == len(paired)
                         and bootstrap_ci(ttn) else None),
        "probe_p99_ms": mv(lambda r: r["vmsim"]["probe_ms"]["p99"]),
        "probe_max_ms": mv(lambda r: r["vmsim"]["probe_ms"]["max"]),
        "probe_p99_ratio": geomean(p99),
        "probe_p99_ci": list(bootstrap_ci(p99)) if bootstrap_ci(p99) else None,
        "probe_max_ratio": geomean(pmx),
        "probe_max_ci": list(bootstrap_ci(pmx)) if bootstrap_ci(pmx) else None,
        "bytes_read": mv(lambda r: run_bytes(r, "read")),
        "bytes_written": mv(lambda r: run_bytes(r, "written")),
        "bytes_moved_ratio": geomean(moved_r),
        "relocation_bytes": mv(reloc_bytes),
        "relocation_seconds": mv(lambda r: (r["relocnow"] or {}).get(
            "seconds") if r.get("relocnow") else None),
        "drive_busy_s": mv(lambda r: drive_busy_s(r["io"])),
        "host_swap_ins": mv(lambda r: r["vmsim"]["host"]["pswpin"]),
        "host_swap_outs": mv(lambda r: r["vmsim"]["host"].get("pswpout")),
        "redirected": mv(lambda r: (r["vmsim"].get("target") or {}).get(
            "redirected_reads")),
        "store_requests": mv(lambda r: ((r["io"] or {}).get("model") or {})
                             .get("store", {}).get("requests")),
        "drive_slices": {k: mv(lambda r, k=k: ((r["io"] or {}).get("model")
                                               or {}).get(k, {}).get(
                                                   "busy_us", 0) / 1e6
                               if (r["io"] or {}).get("model") else None)
                         for k in ("data", "swap", "store", "meta")}
        if any((r["io"] or {}).get("model") for r in vals) else None,
        "guest_page_outs": mv(lambda r: r["vmsim"]["guest"]["page_outs"]),
        "double_paged_page_outs": mv(lambda r: r["vmsim"].get(
            "host_swapped_page_outs")),
        "reconciled": mv(lambda r: (r["vmsim"].get("target") or {}).get(
            "reconciled_writes")),
        "seq_remapped_before_mbps": mv(lambda r: seq_rate(r["seq"],
                                                          "remapped_before")),
        "seq_remapped_after_mbps": mv(lambda r: seq_rate(r["seq"],
                                                         "remapped_after")),
        "seq_never_mbps": mv(lambda r: seq_rate(r["seq"], "never")),
    }
    for f, suffix in (("seconds", ""), ("busy_s", "_modelled")):
        for k in ("before", "after"):
            v = [seq_rate(r["seq"], "remapped_" + k, f)
                 / seq_rate(r["seq"], "never", f)
                 for r in vals if seq_rate(r["seq"], "remapped_" + k, f)
                 and seq_rate(r["seq"], "never", f)]
            s["seq_%s_vs_never%s" % (k, suffix)] = (statistics.median(v)
                                                    if v else None)
    return s


def fmt_x(v, ci=None):
    if v is None:
        return "n/a"
    if ci:
        return "%.2fx [%.2f-%.2f]" % (v, ci[0], ci[1])
    return "%.2fx" % v


def fmt_n(v, spec):
    return "n/a" if v is None else spec % v


def print_model(model, summ, info):
    cfgs = [c for c in CONFIGS if c in summ]
    print()
    print("%s, %s; %s rounds, configurations interleaved; vmsim %s" % (
        MODEL_LABEL.get(model, model), info.get("layout", "?"),
        info.get("rounds", "?"), info.get("vmsim", "")))
    print("%-10s %9s %-21s %-21s %8s %-20s %8s %-20s" % (
        "config", "acc/s", "throughput T/B", "time to N, B/T", "p99 ms",
        "probe p99 B/T", "max ms", "probe max B/T"))
    for c in cfgs:
        s = summ[c]

        def x(key):
            return "-" if c == "baseline" else fmt_x(
                s[key + "_ratio"], s[key + "_ci"])
        print(("%-10s %9s %-21s %-21s %8s %-20s %8s %-20s" % (
            c, fmt_n(s["throughput"], "%.0f"), x("throughput"),
            x("time_to_n"), fmt_n(s["probe_p99_ms"], "%.0f"),
            x("probe_p99"), fmt_n(s["probe_max_ms"], "%.0f"),
            x("probe_max"))).rstrip())
    print("%-10s %9s %9s %8s %9s %9s %8s %9s %22s" % (
        "", "MiB read", "MiB wrtn", "B/T", "reloc MiB", "drive s",
        "swap-ins", "dbl-paged", "seq MB/s bef/aft/never"))
    for c in cfgs:
        s = summ[c]
        seq = "/".join(fmt_n(s[k], "%.0f") for k in (
            "seq_remapped_before_mbps", "seq_remapped_after_mbps",
            "seq_never_mbps"))
        print("%-10s %9s %9s %8s %9s %9s %8s %9s %22s" % (
            c, fmt_n(s["bytes_read"] and s["bytes_read"] / MIB, "%.1f"),
            fmt_n(s["bytes_written"] and s["bytes_written"] / MIB, "%.1f"),
            "-" if c == "baseline" else fmt_x(s["bytes_moved_ratio"]),
            fmt_n(s["relocation_bytes"] / MIB if s["relocation_bytes"]
                  is not None else None, "%.1f"),
            fmt_n(s["drive_busy_s"], "%.1f"),
            fmt_n(s["host_swap_ins"], "%.0f"),
            fmt_n(s["double_paged_page_outs"], "%.0f"), seq))
    if any(summ[c].get("drive_slices") for c in cfgs):
        print("%-10s %-40s %9s %9s %9s" % (
            "", "drive busy s: data/swap/store/meta", "store req",
            "swap-outs", "redirected"))
        for c in cfgs:
            s = summ[c]
            sl = s.get("drive_slices") or {}
            print("%-10s %-40s %9s %9s %9s" % (
                c, "/".join(fmt_n(sl.get(k), "%.1f") for k in (
                    "data", "swap", "store", "meta")),
                fmt_n(s.get("store_requests"), "%.0f"),
                fmt_n(s.get("host_swap_outs"), "%.0f"),
                fmt_n(s.get("redirected"), "%.0f")))
    for c in info.get("unavailable", {}):
        print("%-10s unavailable: %s" % (c, info["unavailable"][c]))


def targets(summary):
    """Lines comparing the figures with the issue's targets."""
    out = []
    for key, model, lo, aim in TARGETS:
        m = summary["models"].get(model)
        if not m:
            continue
        best = max(((c, s[key]) for c, s in m["configs"].items()
                    if c != "baseline" and s.get(key)),
                   key=lambda x: x[1], default=None)
        if not best:
            continue
        ci = m["configs"][best[0]].get(key.replace("_ratio", "_ci"))
        out.append("%s %s: best %s %.2fx%s (target >= %.1fx%s): %s" % (
            model, key, best[0], best[1],
            " [%.2f-%.2f]" % tuple(ci) if ci else "", lo,
            ", aim %.1fx" % aim if aim else "",
            "met" if best[1] >= lo else "NOT MET"))
    for model, m in summary["models"].items():
        for c, s in m["configs"].items():
            v = s.get("seq_after_vs_never")
            if v is not None:
                vm = s.get("seq_after_vs_never_modelled")
                out.append("%s %s: sequential read of relocated regions %.1f%% "
                           "of never-remapped%s (target >= %.0f%%): %s" % (
                               model, c, 100 * v,
                               " (by modelled drive time %.1f%%)" % (100 * vm)
                               if vm else "", 100 * SEQ_TARGET,
                               "met" if v >= SEQ_TARGET else "NOT MET"))
    return out


def plots(summary, models_runs, outdir):
    """throughput.svg, latency.svg, relocation.svg in outdir; returns
    the files written (none without matplotlib)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plots: no matplotlib (python3-matplotlib, tools/deps.sh): "
              "none drawn")
        return []
    written = []

    def save(fig, name):
        fig.tight_layout()
        path = os.path.join(outdir, name + ".svg")
        fig.savefig(path)
        fig.savefig(path[:-4] + ".png", dpi=90)
        plt.close(fig)
        return [path, path[:-4] + ".png"]
    models = [m for m in MODELS if m in summary["models"]]
    cfgs = [c for c in CONFIGS if c != "baseline" and any(
        c in summary["models"][m]["configs"] for m in models)]
    if not models or not cfgs:
        return []
    width = 0.8 / len(models)
    # Throughput ratios with their intervals, per configuration and model.
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, m in enumerate(models):
        xs, ys, lo, hi = [], [], [], []
        for j, c in enumerate(cfgs):
            s = summary["models"][m]["configs"].get(c)
            if not s or not s.get("throughput_ratio"):
                continue
            v = s["throughput_ratio"]
            ci = s.get("throughput_ci") or (v, v)
            xs.append(j + (i - (len(models) - 1) / 2) * width)
            ys.append(v)
            lo.append(v - ci[0])
            hi.append(ci[1] - v)
        ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=m)
    ax.axhline(1.0, color="black", linewidth=0.8)
    for m, tgt in (("hdd", 3.0), ("ssd", 1.3)):
        if m in models:
            ax.axhline(tgt, color="grey", linestyle="--", linewidth=0.8)
            ax.text(-0.45, tgt, "%s target %.1fx" % (m, tgt), fontsize=7,
                    va="bottom", ha="left")
    ax.set_xticks(range(len(cfgs)))
    ax.set_xticklabels(cfgs)
    ax.set_ylabel("guest throughput / baseline's")
    ax.set_title("Guest throughput against the baseline, same model "
                 "(95% bootstrap interval)", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    written += save(fig, "throughput")
    # Probe latency, p99 (light) and max (dark), ms, every configuration.
    allc = ["baseline"] + cfgs
    fig, axes = plt.subplots(1, len(models), figsize=(4 * len(models), 3.8),
                             squeeze=False)
    for ax, m in zip(axes[0], models):
        cs = [c for c in allc if c in summary["models"][m]["configs"]]
        conf = summary["models"][m]["configs"]
        xs = range(len(cs))
        ax.bar([x - 0.2 for x in xs], [conf[c]["probe_p99_ms"] or 0
                                       for c in cs], 0.4, label="p99",
               color="#9ecae1")
        ax.bar([x + 0.2 for x in xs], [conf[c]["probe_max_ms"] or 0
                                       for c in cs], 0.4, label="max",
               color="#3182bd")
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(cs, rotation=30, fontsize=8)
        ax.set_title("%s: probe latency, ms (lower is better)" % m,
                     fontsize=9)
        ax.legend(fontsize=7)
    written += save(fig, "latency")
    # Relocation over time: store blocks held by remaps, the first round
    # of each Tesseract configuration, per model.
    fig, axes = plt.subplots(2, len(models), figsize=(4 * len(models), 6.4),
                             squeeze=False)
    for k, m in enumerate(models):
        runs = models_runs.get(m, {})
        for c in [c for c in CONFIGS if c not in ("baseline", "discard")]:
            if c not in runs or not runs[c]:
                continue
            r = runs[c][min(runs[c])]
            pts = [(t, f["held_by_remaps"]) for t, f in r["samples"]
                   if "held_by_remaps" in f]
            if pts:
                axes[0][k].plot([p[0] for p in pts],
                                [p[1] * 4 / 1024 for p in pts], label=c)
            pts = [(t, f["reloc_bytes_read"] + f["reloc_bytes_written"])
                   for t, f in r["samples"] if "reloc_bytes_read" in f]
            if pts:
                axes[1][k].plot([p[0] for p in pts],
                                [(p[1] - pts[0][1]) / MIB for p in pts],
                                label=c)
        axes[0][k].set_title("%s: store MiB held by remaps" % m, fontsize=9)
        axes[1][k].set_title("%s: MiB relocation copied (read + written)"
                             % m, fontsize=9)
        for ax in (axes[0][k], axes[1][k]):
            ax.set_xlabel("seconds since the disk was created (first "
                          "round; the last step: relocate now)", fontsize=7)
            if ax.get_lines():
                ax.legend(fontsize=7)
    written += save(fig, "relocation")
    return written


def read_info(dirpath):
    info = {"unavailable": {}}
    try:
        with open(os.path.join(dirpath, "unavailable.txt")) as f:
            for line in f:
                if line.strip():
                    c, why = line.rstrip("\n").split(" ", 1)
                    info["unavailable"][c] = why
    except OSError:
        pass
    try:
        with open(os.path.join(dirpath, "layout.txt")) as f:
            info["layout_lines"] = f.read().splitlines()
    except OSError:
        info["layout_lines"] = []
    ll = info["layout_lines"]
    drives = {l.split("'")[1] for l in ll if "'" in l}
    info["layout"] = ("no model" if not drives else
                      "data, swap, store, metadata: slices of one drive"
                      if len(drives) == 1 else
                      "data, swap, store, metadata: %d separate drives"
                      % len(drives))
    try:
        with open(os.path.join(dirpath, "rounds-done")) as f:
            info["rounds"] = int(f.read())
    except (OSError, ValueError):
        info["rounds"] = None
    return info


def double(outdir, summary_dir=None):
    """Every double-<model> directory: the tables, summary.json and the
    plots (in summary_dir, when given).  False if a run failed."""
    failed, summary, models_runs = [], {"models": {}}, {}
    dirs = sorted(glob.glob(os.path.join(outdir, "double-*")),
                  key=lambda d: (MODELS + (d,)).index(
                      os.path.basename(d)[7:])
                  if os.path.basename(d)[7:] in MODELS else 99)
    for d in dirs:
        model = os.path.basename(d)[len("double-"):]
        runs = load_model(d, failed)
        info = read_info(d)
        models_runs[model] = runs
        base = runs.get("baseline", {})
        if not base:
            failed.append("%s: no baseline run" % model)
            continue
        vm = next(iter(base.values()))["vmsim"]
        info["vmsim"] = "N = %s guest accesses (baseline runs up to %.0f s)" % (
            vm.get("target_accesses"), max(r["vmsim"]["seconds"]
                                           for r in base.values()))
        summ = {c: config_summary(base, runs[c]) for c in CONFIGS
                if c in runs}
        want = info["rounds"]
        for c, s in summ.items():
            if want is not None and s["rounds"] != want:
                failed.append("%s %s: %d rounds, want %d" % (
                    model, c, s["rounds"], want))
        print_model(model, summ, info)
        summary["models"][model] = {
            "layout": info["layout"], "layout_detail": info["layout_lines"],
            "rounds": info["rounds"], "unavailable": info["unavailable"],
            "configs": summ}
    if summary["models"]:
        lines = targets(summary)
        summary["targets"] = lines
        print()
        print("Against the issue's targets (best configuration per model):")
        for line in lines:
            print("  " + line)
        paragraph(
            "throughput: guest accesses per second over vmsim's timed part; "
            "T/B the geometric mean over rounds of each configuration's "
            "run over the baseline's run of the same round (same seed), "
            "[95% bootstrap interval over the pairs]; time to N: the "
            "baseline's time to finish the fixed work over the "
            "configuration's (n/a when a run hit its cap); probe: the "
            "latency of touching 8 pages every 10 ms, baseline / "
            "configuration (above 1: better).  MiB read, written: every "
            "byte of the data, swap, store and metadata devices "
            "(/proc/diskstats of the ubd images under the models) from "
            "the disk's creation to the end of the run, its forced "
            "relocation pass included; B/T of read + written; reloc "
            "MiB: what relocation moved; drive s: modelled busy time; "
            "swap-ins: the host's (pswpin); dbl-paged: guest page-outs "
            "of host-swapped frames; seq: 1 MiB O_DIRECT reads of the "
            "guest's region with the most such page-outs, before and "
            "after the forced relocation pass, and of a never-written "
            "region.")
    if summary_dir and summary["models"]:
        os.makedirs(summary_dir, exist_ok=True)
        summary["plots"] = [os.path.basename(p) for p in
                            plots(summary, models_runs, summary_dir)]
        with open(os.path.join(summary_dir, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)
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
    parts = sorted({e[0] for e in EXPECTED}) + sorted(
        os.path.basename(d) for d in glob.glob(os.path.join(outdir,
                                                            "double-*")))
    for part in parts:
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


def main(outdir, summary_dir=None):
    passthrough(outdir)
    swap(outdir)
    fsync(outdir)
    mem(outdir)
    ok = double(outdir, summary_dir)
    for line in missing_rounds(outdir):
        print("MISSING ROUNDS: " + line)
        ok = False
    for line in pool_problems(outdir):
        print("POOL NOT CLEAN: " + line)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
