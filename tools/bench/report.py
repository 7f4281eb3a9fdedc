#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the benchmark: each part beside its baseline, as ratios.

passthrough/<job>-<dev>-<round>.json: fio JSON, dev "lin" or "tess".
swap/swap-<mode>-<round>.json: one swapping run, mode "plain" or "vms".
double/vmsim-<mode>-<round>.json: vmsim's JSON, mode "baseline" or
"tesseract"; vmsim-<mode>-<round>.rc its exit code.
Parts not run (no results) are left out.  Exit 1 if a vmsim run failed
(bad stamps, I/O errors): the numbers of a run that lost data mean nothing;
and exit 1 if a part that ran has fewer rounds than BENCH_ROUNDS (fio and
swap parts) or BENCH_VMSIM_ROUNDS (double paging) asked for, because a
median over the rounds that happened to finish is not the figure asked for.
"""
import glob
import json
import os
import statistics
import sys


def fio_iops(path):
    with open(path) as f:
        job = json.load(f)["jobs"][0]
    return job["read"]["iops"] + job["write"]["iops"]


def passthrough(outdir):
    runs = {}
    for path in glob.glob(os.path.join(outdir, "passthrough", "*.json")):
        job, dev, rnd = os.path.basename(path)[:-5].rsplit("-", 2)
        runs.setdefault((job, dev), {})[int(rnd)] = fio_iops(path)
    if not runs:
        return
    rounds = max(len(v) for v in runs.values())

    print()
    print("Target, no remaps: fio 4 KiB random I/O, O_DIRECT, qd32 (libaio; "
          "_uring: io_uring), %d rounds, each tesseract run right after its "
          "dm-linear run" % rounds)
    print("%-22s %10s %10s %8s %17s" % ("median", "dm-linear", "tesseract",
                                       "ratio", "round ratios"))
    worst = 1e9
    for job in ("randread", "randwrite", "randread_uring", "randwrite_uring"):
        if (job, "lin") not in runs:
            continue
        lin, tess = runs[(job, "lin")], runs[(job, "tess")]
        # Paired by round: the two runs of a round share the machine's mood.
        ratios = sorted(tess[r] / lin[r] for r in lin if r in tess)
        ratio = statistics.median(ratios)
        worst = min(worst, ratio)
        print("%-22s %10.0f %10.0f %7.1f%% %7.1f%%..%5.1f%%" % (
            job + "-4k IOPS", statistics.median(lin.values()),
            statistics.median(tess.values()), 100 * ratio,
            100 * ratios[0], 100 * ratios[-1]))
    print("tesseract / dm-linear, median of round ratios, worst job: %.1f%% "
          "(goal: at least 97%%)" % (100 * worst))


def swap(outdir):
    runs = {}
    for path in glob.glob(os.path.join(outdir, "swap", "swap-*.json")):
        with open(path) as f:
            run = json.load(f)
        runs.setdefault(run["mode"], {})[run["round"]] = run
    if not runs:
        return
    plain, vms = runs["plain"], runs["vms"]
    mib = next(iter(plain.values()))["mib"]

    def med(mode, key, scale=1):
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
        p, v = med(plain, key, scale), med(vms, key, scale)
        print("%-16s %12.2f %12.2f %7.2fx" % (label, p, v, v / p if p else 0))
    p = statistics.median(mbps(r) for r in plain.values())
    v = statistics.median(mbps(r) for r in vms.values())
    print("%-16s %12.1f %12.1f %7.2fx" % ("swap MiB/s", p, v, v / p))
    ratios = sorted(vms[r]["seconds"] / plain[r]["seconds"]
                    for r in plain if r in vms)
    print("tesseract / swap device, time, median of round ratios: %.2fx "
          "(%.2fx..%.2fx; goal: at most 1.00x)"
          % (statistics.median(ratios), ratios[0], ratios[-1]))


def double(outdir):
    runs, failed = {}, []
    for path in sorted(glob.glob(os.path.join(outdir, "double", "*.json"))):
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
        return not failed
    base, tess = runs.get("baseline", {}), runs.get("tesseract", {})
    paired = sorted(r for r in base if r in tess)
    any_run = next(iter(base.values() or tess.values()))

    def target(key):
        return lambda r: r["target"][key] if r["target"] else None

    def per_page_out(key):
        return lambda r: (r["bytes"][key] / 1024 / r["guest"]["page_outs"]
                          if r["guest"]["page_outs"] else None)

    def med(mode, get):
        v = [get(r) for r in mode.values()]
        v = [x for x in v if x is not None]
        return statistics.median(v) if v else None

    def ratios(get, kind):
        out = []
        for r in paired:
            b, t = get(base[r]), get(tess[r])
            if b is None or t is None:
                continue
            num, den = (t, b) if kind == "T/B" else (b, t)
            if den:
                out.append(num / den)
        return sorted(out)

    def fmt(v, spec):
        return "%12s" % "n/a" if v is None else spec % v

    mib = 2**20
    print()
    print("Double paging: vmsim, 32 MiB guest RAM in a 24 MiB memcg (memory.high), "
          "%.0f s per run, %d rounds;" % (any_run["seconds"], len(paired)))
    print("each round runs the baseline (no_reconcile) and Tesseract "
          "(reconciliation on), same seed, vm0 recreated")
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
    for label, get, spec, kind in rows:
        line = "%-34s %s %s" % (label, fmt(med(base, get), spec),
                                fmt(med(tess, get), spec))
        rs = ratios(get, kind) if kind else []
        if rs:
            line += " %7.2fx %4s %6.2fx..%5.2fx" % (
                statistics.median(rs), kind, rs[0], rs[-1])
        print(line.rstrip())
    print("ratio: median of round ratios; T/B = tesseract / baseline, "
          "B/T = baseline / tesseract")
    tput = ratios(rows[0][1], "T/B")
    p99 = ratios(rows[1][1], "B/T")
    mx = ratios(rows[2][1], "B/T")
    if tput and p99 and mx:
        print("throughput tesseract / baseline: %.2fx; probe latency "
              "baseline / tesseract: p99 %.2fx, max %.2fx (above 1: "
              "tesseract better)" % (statistics.median(tput),
                                     statistics.median(p99),
                                     statistics.median(mx)))
    for f in failed:
        print("FAILED RUN: " + f)
    return not failed


# Results each part must have per round, when it ran (its directory
# exists): (glob, how many files per round, environment variable).
EXPECTED = {
    "passthrough": ("*.json", 8, "BENCH_ROUNDS"),
    "swap": ("swap-*.json", 2, "BENCH_ROUNDS"),
    "double": ("vmsim-*.json", 2, "BENCH_VMSIM_ROUNDS"),
}


def missing_rounds(outdir):
    """Lines saying which parts that ran lack results of some rounds."""
    out = []
    for part, (pattern, per_round, var) in EXPECTED.items():
        if not os.path.isdir(os.path.join(outdir, part)) or var not in os.environ:
            continue
        want = per_round * int(os.environ[var])
        have = len(glob.glob(os.path.join(outdir, part, pattern)))
        if have != want:
            out.append("%s: %d result files, want %d (%s=%s)"
                       % (part, have, want, var, os.environ[var]))
    return out


def main(outdir):
    passthrough(outdir)
    swap(outdir)
    ok = double(outdir)
    for line in missing_rounds(outdir):
        print("MISSING ROUNDS: " + line)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
