#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the benchmark: each part beside its baseline, as ratios.

passthrough/<job>-<dev>-<round>.json: fio JSON, dev "lin" or "tess".
swap/swap-<mode>-<round>.json: one swapping run, mode "plain" or "vms".
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
    rounds = max(len(v) for v in runs.values())

    print()
    print("Target, no remaps: fio 4 KiB random I/O, O_DIRECT, libaio qd32, "
          "%d rounds, each tesseract run right after its dm-linear run" % rounds)
    print("%-18s %10s %10s %8s %17s" % ("median", "dm-linear", "tesseract",
                                       "ratio", "round ratios"))
    worst = 1e9
    for job in ("randread", "randwrite"):
        lin, tess = runs[(job, "lin")], runs[(job, "tess")]
        # Paired by round: the two runs of a round share the machine's mood.
        ratios = sorted(tess[r] / lin[r] for r in lin if r in tess)
        ratio = statistics.median(ratios)
        worst = min(worst, ratio)
        print("%-18s %10.0f %10.0f %7.1f%% %7.1f%%..%5.1f%%" % (
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
    runs = []
    for path in sorted(glob.glob(os.path.join(outdir, "double", "*.json"))):
        with open(path) as f:
            runs.append(json.load(f))
    if not runs:
        return

    def med(get):
        return statistics.median(get(r) for r in runs)

    mib = 2**20
    print()
    print("Double paging, vmsim on a tesseract target, 32 MiB guest RAM in a "
          "24 MiB memcg, median of %d runs" % len(runs))
    print("%-38s %12s %12s" % ("", "baseline", "tesseract"))
    rows = (("guest accesses/s", lambda r: r["throughput"], "%12.0f"),
            ("probe latency p99 ms", lambda r: r["probe_ms"]["p99"], "%12.1f"),
            ("probe latency max ms", lambda r: r["probe_ms"]["max"], "%12.1f"),
            ("guest page-outs", lambda r: r["guest"]["page_outs"], "%12.0f"),
            ("host swap-ins (pswpin)", lambda r: r["host"]["pswpin"], "%12.0f"),
            ("store MiB read (host swap-ins)",
             lambda r: r["bytes"]["store_read"] / mib, "%12.1f"),
            ("data device MiB written (page-outs)",
             lambda r: r["bytes"]["data_written"] / mib, "%12.1f"))
    for label, get, fmt in rows:
        print(("%-38s " + fmt + " %12s") % (label, med(get), "n/a"))
    print("tesseract: reconciliation is not implemented yet")


def main(outdir):
    passthrough(outdir)
    swap(outdir)
    double(outdir)


if __name__ == "__main__":
    main(sys.argv[1])
