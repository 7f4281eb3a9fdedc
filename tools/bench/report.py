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
        job, dev, _ = os.path.basename(path)[:-5].rsplit("-", 2)
        runs.setdefault((job, dev), []).append(fio_iops(path))
    rounds = max(len(v) for v in runs.values())

    print()
    print("Target, no remaps: fio 4 KiB random I/O, O_DIRECT, libaio qd32, "
          "median of %d rounds" % rounds)
    print("%-14s %12s %12s %8s" % ("job", "dm-linear", "tesseract", "ratio"))
    worst = 1e9
    for job in ("randread", "randwrite"):
        lin = statistics.median(runs[(job, "lin")])
        tess = statistics.median(runs[(job, "tess")])
        worst = min(worst, tess / lin)
        print("%-14s %12.0f %12.0f %7.1f%%" % (job + "-4k IOPS", lin, tess,
                                              100 * tess / lin))
    print("tesseract / dm-linear, worst job: %.1f%% (goal: at least 97%%)"
          % (100 * worst))


def swap(outdir):
    runs = {}
    for path in glob.glob(os.path.join(outdir, "swap", "swap-*.json")):
        with open(path) as f:
            run = json.load(f)
        runs.setdefault(run["mode"], []).append(run)

    def med(mode, key):
        return statistics.median(r[key] for r in runs[mode])

    def mbps(mode):
        return statistics.median((r["read_bytes"] + r["write_bytes"]) /
                                 r["seconds"] / 2**20 for r in runs[mode])

    print()
    print("Swap backend: 64 MiB touched 3 times in a 16 MiB memcg, "
          "median of %d rounds" % len(runs["plain"]))
    print("%-22s %12s %12s %8s" % ("", "swap device", "tesseract", "ratio"))
    rows = (("seconds", "seconds", 1, "%12.2f"),
            ("swap-out MiB", "write_bytes", 2**20, "%12.1f"),
            ("swap-in MiB", "read_bytes", 2**20, "%12.1f"))
    for label, key, scale, fmt in rows:
        p, v = med("plain", key) / scale, med("vms", key) / scale
        print(("%-22s " + fmt + " " + fmt + " %7.2fx") % (label, p, v,
                                                           v / p if p else 0))
    p, v = mbps("plain"), mbps("vms")
    print("%-22s %12.1f %12.1f %7.2fx" % ("swap I/O MiB/s", p, v, v / p))
    print("tesseract / swap device, time: %.2fx (goal: at most 1.00x)"
          % (med("vms", "seconds") / med("plain", "seconds")))


def main(outdir):
    passthrough(outdir)
    swap(outdir)


if __name__ == "__main__":
    main(sys.argv[1])
