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


def vmsim(throughput, bad=0, p99=10.0, mx=20.0, ttn=8.0):
    target = {k: 1 for k in (
        "reconciled_writes", "reconciled_bytes", "redirected_reads",
        "overwritten_remaps", "remapped_blocks", "taken_swap_pte",
        "taken_swap_cache", "taken_fallback", "declined_not_stored")}
    return {"seconds": 8.0, "throughput": throughput,
            "target_accesses": 1000, "time_to_n": ttn,
            "probe_ms": {"p99": p99, "max": mx},
            "guest": {"page_outs": 100, "page_ins": 50},
            "host": {"pswpin": 10}, "host_swapped_page_outs": 60,
            "bytes": {"store_read": 1, "store_written": 1, "data_read": 1,
                      "data_written": 1},
            "target": target, "bad_stamps": bad, "io_errors": 0}


def pool_line(held, reloc=None):
    """A pool status line: held store blocks by remaps; reloc: (bytes
    read, bytes written) for the relocation fields."""
    f = ["5", "10/4096", "100/65536", "0", str(held), "1", "rw", "-",
         "swap", "1024"]
    if reloc:
        f += ["home", "idle", "3", "10", "0", str(reloc[0]), str(reloc[1]),
              "0", str(held)]
    return "0 524288 tesseract-pool " + " ".join(f) + " 0"


def meminfo(free, slab, sunreclaim, anon):
    return {"MemTotal": 1 << 29, "MemFree": free, "Buffers": 0,
            "Cached": 0, "SwapCached": 0, "AnonPages": anon, "Slab": slab,
            "SUnreclaim": sunreclaim}


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


def make_results(top, rounds=2):
    for part in ("passthrough", "swap", "fsync", "mem", "double-hdd",
                 "double-ram"):
        write(os.path.join(top, part, "pool-status.txt"), POOL_OK)
    for m in ("hdd", "ram"):
        write(os.path.join(top, "double-" + m, "rounds-done"), "%d\n" % rounds)
        write(os.path.join(top, "double-" + m, "layout.txt"),
              "m-data: hdd drive 'drive' sectors 0..8 of 16\n"
              "m-swap: hdd drive 'drive' sectors 8..16 of 16\n"
              if m == "hdd" else "ram: no model\n")
    write(os.path.join(top, "double-hdd", "unavailable.txt"),
          "auto the pool message set_relocate is refused\n")
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
        make_double(top, r)
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


# Double paging, per round r: throughput baseline 100, tesseract 150 * r
# (so ratios 1.5 and 3.0), home 300; probe max baseline 100 ms, tesseract
# 20 ms (5x); p99 baseline 40, tesseract 10 (4x).  Bytes: baseline reads
# and writes 4 MiB on each device, tesseract 1 MiB; home moves 2 MiB in
# its relocation pass (its samples: 1 MiB read, 1 MiB written).
def make_double(top, r):
    for m in ("hdd", "ram"):
        d = os.path.join(top, "double-" + m)
        for cfg, thr, p99, mx, b in (("baseline", 100, 40.0, 100.0, 4 << 20),
                                     ("tesseract", 150 * r, 10.0, 20.0,
                                      1 << 20),
                                     ("home", 300, 10.0, 20.0, 1 << 20)):
            if m == "ram" and cfg == "home":
                continue
            base = os.path.join(d, "%%s-%s-%d" % (cfg, r))
            write(base % "vmsim" + ".json", vmsim(thr, p99=p99, mx=mx,
                                                  ttn=1000.0 / thr))
            write(base % "vmsim" + ".rc", "0\n")
            write(base % "io" + ".json", devs(data=b, swap=b, store=b,
                                              metadata=b))
            seq = {"offset_mib": 4,
                   "remapped_before": {"mib": 4, "seconds": 0.4,
                                       "redirected": 10},
                   "never": {"mib": 4, "seconds": 0.1, "redirected": 0,
                             "busy_s": 0.08}}
            samples = "T 100.0 %s\nT 101.0 %s\n" % (pool_line(100),
                                                      pool_line(80))
            if cfg == "home":
                seq["remapped_after"] = {"mib": 4, "seconds": 0.105,
                                         "redirected": 0, "busy_s": 0.1}
                write(base % "relocnow" + ".json", {
                    "rc": 0, "seconds": 2.0, "remapped_after": 0,
                    "io": devs(data=1 << 19, store=1 << 19)})
                samples = "T 100.0 %s\nT 102.0 %s\n" % (
                    pool_line(100, (0, 0)), pool_line(0, (1 << 20, 1 << 20)))
            write(base % "seq" + ".json", seq)
            write(base % "reloc" + ".txt", samples)


def run_report(top, env, summary_dir=None):
    old = dict(os.environ)
    os.environ.update(env)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            rc = report.main(top, summary_dir)
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
        # Double paging: tesseract 1.5x and 3x in its two rounds.
        self.assertRegex(out, r"\nbaseline +100 +- +- +40 +- +100 +-\n")
        self.assertRegex(out, r"\ntesseract +225 +2\.12x \[1\.50-3\.00\] "
                         r"+2\.12x \[1\.50-3\.00\] +10 +4\.00x \[4\.00-4\.00\] "
                         r"+20 +5\.00x \[5\.00-5\.00\]")
        self.assertIn("hdd throughput_ratio: best home 3.00x [3.00-3.00] "
                      "(target >= 3.0x, aim 4.0x): met", out)
        self.assertIn("hdd probe_max_ratio: best tesseract 5.00x", out)
        self.assertIn("hdd home: sequential read of relocated regions 95.2% "
                      "of never-remapped (by modelled drive time 80.0%) "
                      "(target >= 95%): met", out)
        self.assertIn("auto       unavailable: the pool message set_relocate "
                      "is refused", out)
        self.assertNotIn("FAILED", out)
        self.assertNotIn("MISSING", out)

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
        write(os.path.join(self.top, "fsync", "pool-status.txt"),
              POOL_OK.replace(" rw - ", " ro needs_check "))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("POOL NOT CLEAN: fsync: the pool ended ro, "
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
        write(os.path.join(self.top, "double-hdd", "vmsim-tesseract-1.json"),
              vmsim(150, bad=3))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: hdd tesseract round 1: exit 0, 3 bad "
                      "stamps", out)

    def test_no_device_counts(self):
        os.remove(os.path.join(self.top, "double-ram", "io-tesseract-2.json"))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: ram tesseract round 2: no device counts",
                      out)

    def test_missing_double_round(self):
        for f in ("vmsim-home-2.json", "vmsim-home-2.rc"):
            os.remove(os.path.join(self.top, "double-hdd", f))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: hdd home: 1 rounds, want 2", out)

    def test_relocation_failed(self):
        write(os.path.join(self.top, "double-hdd", "relocnow-home-1.json"),
              {"rc": 1, "seconds": 0.1, "io": devs()})
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("FAILED RUN: hdd home round 1: relocate now exit 1",
                      out)
        os.remove(os.path.join(self.top, "double-hdd", "relocnow-home-1.json"))
        rc, out = run_report(self.top, self.ENV)
        self.assertIn("FAILED RUN: hdd home round 1: no relocation pass", out)

    def test_double_pool_read_only(self):
        write(os.path.join(self.top, "double-ram", "pool-status.txt"),
              POOL_OK.replace(" rw - ", " ro needs_check "))
        rc, out = run_report(self.top, self.ENV)
        self.assertEqual(rc, 1)
        self.assertIn("POOL NOT CLEAN: double-ram: the pool ended ro", out)

    def test_summary_json(self):
        sdir = tempfile.mkdtemp()
        try:
            rc, out = run_report(self.top, self.ENV, sdir)
            self.assertEqual(rc, 0, out)
            with open(os.path.join(sdir, "summary.json")) as f:
                summ = json.load(f)
        finally:
            shutil.rmtree(sdir)
        hdd = summ["models"]["hdd"]
        self.assertEqual(hdd["rounds"], 2)
        self.assertIn("slices of one drive", hdd["layout"])
        self.assertEqual(summ["models"]["ram"]["layout"], "no model")
        self.assertIn("auto", hdd["unavailable"])
        t = hdd["configs"]["tesseract"]
        self.assertAlmostEqual(t["throughput_ratio"], math.sqrt(4.5))
        for got, want in zip(t["throughput_ci"], [1.5, 3.0]):
            self.assertAlmostEqual(got, want)
        self.assertEqual(t["throughput_round_ratios"], [1.5, 3.0])
        self.assertAlmostEqual(t["time_to_n_ratio"], math.sqrt(4.5))
        self.assertAlmostEqual(t["probe_p99_ratio"], 4.0)
        self.assertAlmostEqual(t["probe_max_ratio"], 5.0)
        # Four devices, 1 MiB each, read and written; the baseline 4 MiB.
        self.assertEqual(t["bytes_read"], 4 << 20)
        self.assertEqual(t["bytes_written"], 4 << 20)
        self.assertAlmostEqual(t["bytes_moved_ratio"], 4.0)
        self.assertEqual(t["relocation_bytes"], 0)
        h = hdd["configs"]["home"]
        self.assertAlmostEqual(h["throughput_ratio"], 3.0)
        # The forced pass read and wrote 0.5 MiB on each of two devices;
        # the pool's relocation counters went up by 1 MiB each.
        self.assertEqual(h["bytes_read"], 5 << 20)
        self.assertEqual(h["bytes_written"], 5 << 20)
        self.assertAlmostEqual(h["bytes_moved_ratio"], 3.2)
        self.assertEqual(h["relocation_bytes"], 2 << 20)
        self.assertAlmostEqual(h["seq_after_vs_never"], 0.1 / 0.105)
        self.assertAlmostEqual(h["seq_before_vs_never"], 0.25)
        self.assertAlmostEqual(h["seq_after_vs_never_modelled"], 0.8)
        self.assertIsNone(h["seq_before_vs_never_modelled"])
        b = hdd["configs"]["baseline"]
        self.assertAlmostEqual(b["throughput_ratio"], 1.0)
        self.assertEqual(b["bytes_read"], 16 << 20)
        for key in ("throughput_ratio", "throughput_ci", "probe_p99_ratio",
                    "probe_max_ratio", "bytes_read", "bytes_written",
                    "relocation_bytes"):
            self.assertIn(key, summ["models"]["ram"]["configs"]["tesseract"])

    def test_bootstrap(self):
        self.assertIsNone(report.bootstrap_ci([]))
        self.assertIsNone(report.bootstrap_ci([2.0]))
        self.assertEqual(report.bootstrap_ci([2.0, 2.0, 2.0]), (2.0, 2.0))
        # Deterministic, inside the range of the ratios, around the mean.
        r = [0.9, 1.1, 1.3, 1.0, 1.2, 0.95, 1.05, 1.15]
        lo, hi = report.bootstrap_ci(r)
        self.assertEqual((lo, hi), report.bootstrap_ci(r))
        self.assertTrue(min(r) <= lo < report.geomean(r) < hi <= max(r))
        # Wider with more spread.
        lo2, hi2 = report.bootstrap_ci([x ** 3 for x in r])
        self.assertLess(lo2, lo)
        self.assertGreater(hi2, hi)

    def test_pool_status_fields(self):
        f = report.pool_status_fields(pool_line(42).split()[3:])
        self.assertEqual(f, {"txn": 5, "held_by_remaps": 42})
        f = report.pool_status_fields(pool_line(7, (100, 200)).split()[3:])
        self.assertEqual(f["held_by_remaps"], 7)
        self.assertEqual(f["reloc_mode"], "home")
        self.assertEqual(f["reloc_bytes_read"], 100)
        self.assertEqual(f["reloc_bytes_written"], 200)
        self.assertEqual(f["copy_errors"], 0)
        self.assertEqual(f["remapped_blocks"], 7)

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
