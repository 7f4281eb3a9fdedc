#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The pairs of `make check-vm` with VM_ROUNDS above 1, side by side:
for each figure, the Tesseract/baseline ratio of every pair, their
geometric mean and its 95% bootstrap interval over the pairs (the same
estimator as tools/bench/report.py).  Reports; asserts nothing.

    rounds.py ENGINE WORKDIR ROUNDS

reads WORKDIR/ENGINE-baseline-R/vm.txt and WORKDIR/ENGINE-tesseract-R/vm.txt
for R in 1..ROUNDS; a pair with a missing side is left out and said so."""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def module(name, path):
    """Import the file at @path as @name (two of our tools are report.py)."""
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bench = module("bench_report", os.path.join(HERE, "..", "bench", "report.py"))
vm = module("vm_report", os.path.join(HERE, "report.py"))
bootstrap_ci, geomean = bench.bootstrap_ci, bench.geomean
load, num = vm.load, vm.num

FIGURES = [
    # key, label
    ("host_pswpin", "host swap-ins"),
    ("data_written_bytes", "data device written"),
    ("store_read_bytes", "store read"),
    ("bytes_moved", "data and store, all bytes"),
    ("model_busy_us", "modelled drives busy"),
    ("hot_pages_per_s", "hot phase, pages/s"),
    ("back_pages_per_s", "cold read-back, pages/s"),
    ("work_ms", "guest working time"),
    ("reclaim_ms", "guest reclaim time"),
    ("hot_worst_us", "hot phase worst touch"),
    ("back_worst_us", "read-back worst touch"),
    ("seconds", "QEMU run time"),
]


def pairs(engine, work, rounds):
    out = []
    for r in range(1, rounds + 1):
        b = load(os.path.join(work, "%s-baseline-%d" % (engine, r), "vm.txt"))
        t = load(os.path.join(work, "%s-tesseract-%d" % (engine, r), "vm.txt"))
        if b is None or t is None:
            print("# aio=%s round %d: a side is missing, left out" % (engine, r))
            continue
        out.append((b, t))
    return out


def fmt(x):
    return "-" if x is None else "%.2fx" % x


def main():
    if len(sys.argv) != 4 or not sys.argv[3].isdigit():
        print(__doc__, file=sys.stderr)
        return 2
    return main_args(sys.argv[1], sys.argv[2], int(sys.argv[3]))


def main_args(engine, work, rounds):
    got = pairs(engine, work, rounds)
    print("# ---- aio=%s: %d pairs, Tesseract/baseline ----" % (engine, len(got)))
    print("# %-26s %10s %16s   %s" % ("", "geomean", "95% interval", "pairs"))
    for key, label in FIGURES:
        ratios = []
        for b, t in got:
            vb, vt = num(b, key), num(t, key)
            if vb and vt:
                ratios.append(vt / vb)
        ci = bootstrap_ci(ratios)
        print("# %-26s %10s %16s   %s" % (
            label, fmt(geomean(ratios)),
            "-" if ci is None else "%.2f-%.2f" % ci,
            " ".join("%.2f" % r for r in ratios)))
    shares = []
    for _, t in got:
        outs, rec = num(t, "guest_pswpout"), num(t, "disk_reconciled")
        if outs:
            shares.append("%.1f%%" % (100.0 * (rec or 0) / outs))
    print("# aio=%s: guest page-outs reconciled, by pair: %s" %
          (engine, " ".join(shares) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
