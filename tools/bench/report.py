#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the pass-through benchmark: tesseract vs dm-linear, side by side.

Reads the fio JSON files tools/bench/passthrough.sh wrote
(<job>-<dev>-<round>.json) and prints, per job, the median IOPS of each
device over the rounds and their ratio.
"""
import glob
import json
import os
import statistics
import sys


def iops(path):
    with open(path) as f:
        job = json.load(f)["jobs"][0]
    return job["read"]["iops"] + job["write"]["iops"]


def main(outdir):
    runs = {}
    for path in glob.glob(os.path.join(outdir, "*-*-*.json")):
        job, dev, _round = os.path.basename(path)[:-5].rsplit("-", 2)
        runs.setdefault((job, dev), []).append(iops(path))

    print()
    print("fio 4 KiB random I/O, O_DIRECT, libaio qd32, UML host, "
          "median of %d rounds" % max(len(v) for v in runs.values()))
    print("%-12s %14s %14s %10s" % ("job", "dm-linear", "tesseract",
                                    "ratio"))
    worst = None
    for job in ("randread", "randwrite"):
        lin = statistics.median(runs[(job, "lin")])
        tess = statistics.median(runs[(job, "tess")])
        ratio = tess / lin
        worst = ratio if worst is None else min(worst, ratio)
        print("%-12s %14.0f %14.0f %9.1f%%" % (job + "-4k", lin, tess,
                                              100 * ratio))
    print()
    print("tesseract (no remaps) / dm-linear IOPS, worst job: %.1f%% "
          "(goal: at least 97%%)" % (100 * worst))


if __name__ == "__main__":
    main(sys.argv[1])
