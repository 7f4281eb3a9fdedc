#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit test of report.py on made-up results (never a benchmark's).

    python3 tools/bench/test_report.py

Builds a results directory of every part with numbers chosen so that each
figure has a known value, and checks that the report prints those values,
and that it fails a run that lost rounds, whose pool ended read-only, or
whose vmsim run found bad stamps.
"""
import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

POOL_OK = ("0 524288 tesseract-pool 1 10/4096 100/65536 0 100 1 rw - swap "
           "1024 0\n")


def devs(data=0, swap=0, store=0, metadata=0, md_writes=0, flushes=0,
         commits=0):
    """Device counters: each device read and wrote the given bytes."""
    out = {}
    for name, b in (("data", data), ("swap", swap), ("store", store),
                    ("metadata", metadata)):
        out[name] = {"read": b, "written": b,
                     "writes": md_writes if name == "metadata" else 0,
                     "flushes": flushes}
    out["pool_commits"] = commits
    return out


def disk_status(reconciled):
    f = [0] * 26
    f[7] = reconciled          # field 8
    f[11] = "reconciling"      # field 12
    return "0 524288 tesseract " + " ".join(map(str, f)) + "\n"


def fio(write_iops, read_iops=0, syncs=0, p99_ns=0):
    job = {"read": {"iops": read_iops}, "write": {"iops": write_iops}}
    if syncs:
        job["sync"] = {"total_ios": 0, "lat_ns": {
            "N": syncs, "max": 2 * p99_ns, "percentile": {
                "50.000000": p99_ns / 2, "99.000000": p99_ns,
                "99.900000": p99_ns * 1.5}}}
    return {"jobs": [job]}


def vmsim(throughput, bad=0):
    target = {k: 1 for k in (
        "reconciled_writes", "reconciled_bytes", "redirected_reads",
        "overwritten_remaps", "remapped_blocks", "taken_swap_pte",
        "taken_swap_cache", "taken_fallback", "declined_not_stored")}
    return {"seconds": 8.0, "throughput": throughput,
            "probe_ms": {"p99": 10.0, "max": 20.0},
            "guest": {"page_outs": 100, "page_ins": 50},
            "host": {"pswpin": 10},
            "bytes": {"store_read": 1, "store_written": 1, "data_read": 1,
                      "data_written": 1},
            "target": target, "bad_stamps": bad, "io_errors": 0}


def meminfo(free, slab, sunreclaim, anon):
    return {"MemTotal": 1 << 29, "MemFree": free, "Buffers": 0,
            "Cached": 0, "SwapCached": 0, "AnonPages": anon, "Slab": slab,
            "SUnreclaim": sunreclaim}


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


def make_results(top, rounds=2):
    for part in ("passthrough", "swap", "fsync", "mem", "double"):
        write(os.path.join(top, part, "pool-status.txt"), POOL_OK)
    for r in range(1, rounds + 1):
        for job in ("randread", "randwrite", "randread_uring",
                    "randwrite_uring"):
            for dev, iops in (("lin", 1000), ("tess", 990)):
                base = os.path.join(top, "passthrough",
                                    "%s-%s-%d" % (job, dev, r))
                write(base + ".json", fio(iops))
                write(base + ".io", devs(data=1 << 20))
        for mode, secs in (("plain", 10.0), ("vms", 8.0)):
            write(os.path.join(top, "swap", "swap-%s-%d.json" % (mode, r)),
                  {"mode": mode, "round": r, "mib": 48, "seconds": secs,
                   "read_bytes": 1 << 20, "write_bytes": 1 << 20,
                   "bytes": devs(swap=1 << 20)})
        for job in ("fsync1", "fdatasync32"):
            # dm-linear 200 IOPS; tesseract 100 in round 1, 150 in round 2.
            for dev, iops, p99 in (("lin", 200, 1e6),
                                   ("tess", 50 + 50 * r, 4e6)):
                base = os.path.join(top, "fsync", "%s-%s-%d" % (job, dev, r))
                write(base + ".json", fio(iops, syncs=1000, p99_ns=p99))
                write(base + ".io", {
                    "io": devs(metadata=64000 if dev == "tess" else 0,
                               flushes=1000),
                    "remapped": [16384, 16000], "overwritten": 384,
                    "commits": 1000 if dev == "tess" else 0})
        for mode, md, rec in (("baseline", 0, 0), ("tesseract", 32000, 1000)):
            base = os.path.join(top, "double", "%%s-%s-%d" % (mode, r))
            write(base % "vmsim" + ".json", vmsim(100 if mode == "baseline"
                                                  else 150))
            write(base % "vmsim" + ".rc", "0\n")
            write(base % "status" + ".txt", disk_status(rec))
            write(base % "io" + ".json", devs(data=1 << 20, metadata=md,
                                              md_writes=8,
                                              commits=8 if md else 0))
            write(base % "copyhome" + ".json", {
                "rc": 0, "seconds": 1.5, "remapped": [rec, 0],
                "io": devs(data=rec * 4096 // 2, store=rec * 4096 // 2)})
    write(os.path.join(top, "fsync", "remaps.json"),
          {"remap_mib": 64, "remapped": 16384, "seconds": 10})
    # 1000 pages swapped out: to the swap device slab grows 0, with the
    # backend 32000 bytes (32 per page); kernel memory as slab.
    n = 1000
    for mode, slab in (("plain", 0), ("vms", 32 * n)):
        write(os.path.join(top, "mem", "mem-swap-%s.json" % mode), {
            "mode": mode, "pages": n, "swapped": [0, n],
            "stored": [0, n if mode == "vms" else 0],
            "before": meminfo(1 << 28, 1 << 20, 1 << 19, n * 4096),
            "after": meminfo((1 << 28) + n * 4096 - slab, (1 << 20) + slab,
                             (1 << 19) + slab, 0)})
    # 2000 pages written; the control's slab grows 8 per page, the
    # tesseract disk's 8 per page + 40 per remap (1000 remaps).
    for mode, grow, remapped in (("baseline", 8 * 2000, 0),
                                 ("tesseract", 8 * 2000 + 40 * 1000, 1000)):
        write(os.path.join(top, "mem", "mem-remap-%s.json" % mode), {
            "mode": mode, "pages": 2000, "remapped": remapped,
            "before": meminfo(1 << 28, 1 << 20, 1 << 19, 0),
            "after": meminfo((1 << 28) - grow, (1 << 20) + grow,
                             (1 << 19) + grow, 0)})


def run_report(top, env):
    old = dict(os.environ)
    os.environ.update(env)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            rc = report.main(top)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return rc, out.getvalue()


class ReportTest(unittest.TestCase):
    ENV = {"BENCH_ROUNDS": "2", "BENCH_VMSIM_ROUNDS": "2"}

    def setUp(self):
        self.top = tempfile.mkdtemp()
        make_results(self.top)

    def tearDown(self):
        shutil.rmtree(self.top)

    def test_clean(self):
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 0, out)
        # 2 x 32000 bytes over 2 x 1000 pages.
        self.assertIn("all 2 tesseract runs together: 32.0 B (64000 B over "
                      "2000 pages; goal: at most 64 B)", out)
        # IOPS ratios 0.5 and 0.75: geometric mean sqrt(0.375).
        gm = math.sqrt(0.375)
        self.assertIn("fsync1: write IOPS tesseract / dm-linear, geometric "
                      "mean %.3fx" % gm, out)
        # fsync p99 4 ms vs 1 ms in both rounds: 4x, a zero-width interval.
        self.assertIn("commit latency on flush (fsync p99) tesseract / "
                      "dm-linear, geometric mean 4.000x (95% CI "
                      "4.000x..4.000x, 2 rounds)", out)
        self.assertRegex(out, r"metadata bytes written per sync +0 +64\n")
        self.assertRegex(out, r"pool commits per sync +0\.00 +1\.00\n")
        self.assertRegex(out, r"fsync latency p99 us +1000 +4000 +4\.00x")
        # Swap pages: 32 bytes of slab each, the control 0.
        self.assertRegex(out, r"  Slab +0\.0 +32\.0 +32\.0\n")
        # Remaps: 56 per remap raw (56000 / 1000), 40 net of the control's
        # 8 per page written.
        self.assertRegex(out, r"  SUnreclaim +8\.0 +56\.0 +40\.0\n")
        self.assertRegex(out, r"  kernel \(.*\) +8\.0 +56\.0 +40\.0\n")
        self.assertIn("throughput tesseract / baseline: 1.50x", out)
        # 32000 bytes over 8 commits: 3.9 KiB each.
        self.assertRegex(out, r"pool commits +0 +8\n")
        self.assertRegex(out, r"metadata KiB written per commit +n/a +3\.9\n")
        self.assertNotIn("NOT", out)

    def test_missing_round(self):
        os.remove(os.path.join(self.top, "fsync", "fsync1-tess-2.json"))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("MISSING ROUNDS: fsync: 7 f*-*-*.json files, want 8",
                      out)

    def test_missing_mem(self):
        os.remove(os.path.join(self.top, "mem", "mem-remap-tesseract.json"))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("MISSING ROUNDS: mem: 1 mem-remap-*.json files", out)

    def test_pool_read_only(self):
        write(os.path.join(self.top, "double", "pool-status.txt"),
              POOL_OK.replace(" rw - ", " ro needs_check "))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("POOL NOT CLEAN: double: the pool ended ro, "
                      "needs_check", out)

    def test_no_pool_status(self):
        os.remove(os.path.join(self.top, "swap", "pool-status.txt"))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("POOL NOT CLEAN: swap: no pool status", out)

    def test_pool_error(self):
        write(os.path.join(self.top, "mem", "pool-status.txt"),
              "0 524288 tesseract-pool Error\n")
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("POOL NOT CLEAN: mem: pool status '0 524288 "
                      "tesseract-pool Error'", out)

    def test_bad_stamps(self):
        write(os.path.join(self.top, "double", "vmsim-tesseract-1.json"),
              vmsim(150, bad=3))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: tesseract round 1: exit 0, 3 bad stamps",
                      out)

    def test_no_disk_status(self):
        os.remove(os.path.join(self.top, "double", "status-tesseract-2.txt"))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: tesseract round 2: no disk status", out)

    def test_copy_home(self):
        rc, out = run_report(self.top, self.ENV)
        # 1000 remaps: data and store each read and wrote 2000 KiB.
        self.assertRegex(out, r"copy_home: MiB moved +0\.0 +7\.8\n")
        self.assertRegex(out, r"with copy_home, MiB +2\.0 +9\.9 +4\.94x")
        write(os.path.join(self.top, "double", "copyhome-tesseract-1.json"),
              {"rc": 5, "seconds": 1.0, "remapped": [1000, 200],
               "io": devs()})
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: tesseract round 1: copy_home exit 5, "
                      "200 remaps left", out)
        write(os.path.join(self.top, "double", "copyhome-tesseract-1.json"),
              '{"rc": 0, "seconds": .5}')
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: tesseract round 1: copy_home: no JSON", out)
        os.remove(os.path.join(self.top, "double",
                               "copyhome-tesseract-1.json"))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("MISSING ROUNDS: double: 3 copyhome-*.json", out)

    def test_goal_not_met(self):
        for r in (1, 2):
            write(os.path.join(self.top, "double",
                               "io-tesseract-%d.json" % r),
                  devs(data=1 << 20, metadata=100000))
        rc, out = run_report(self.top, self.ENV)
        self.assertIn("100.0 B (200000 B over 2000 pages; goal: at most "
                      "64 B, NOT MET)", out)

    def test_ratio_ci(self):
        self.assertEqual(report.ratio_ci([]), (None, None, None))
        self.assertEqual(report.ratio_ci([2.0]), (2.0, None, None))
        g, lo, hi = report.ratio_ci([2.0, 0.5])
        self.assertAlmostEqual(g, 1.0)
        self.assertAlmostEqual(math.log(hi), 12.706 * math.log(2))
        self.assertAlmostEqual(math.log(lo), -12.706 * math.log(2))
        self.assertEqual(report.t95(11), 2.228)
        self.assertEqual(report.t95(500), 1.980)


if __name__ == "__main__":
    unittest.main()
