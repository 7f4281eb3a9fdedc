#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of tools/vm/rounds.py: python3 tools/vm/test_rounds.py"""

import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rounds  # noqa: E402


def write(work, engine, mode, r, vals):
    d = os.path.join(work, "%s-%s-%d" % (engine, mode, r))
    os.makedirs(d)
    with open(os.path.join(d, "vm.txt"), "w") as f:
        for k, v in vals.items():
            f.write("%s %s\n" % (k, v))


def run(work, n):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = rounds.main_args("threads", work, n)
    return rc, out.getvalue()


class Rounds(unittest.TestCase):
    def test_geomean_of_pairs(self):
        with tempfile.TemporaryDirectory() as work:
            # Ratios 0.5 and 2.0: geometric mean 1.00x.
            write(work, "threads", "baseline", 1, {"host_pswpin": 100})
            write(work, "threads", "tesseract", 1, {"host_pswpin": 50,
                                                    "guest_pswpout": 10,
                                                    "disk_reconciled": 9})
            write(work, "threads", "baseline", 2, {"host_pswpin": 100})
            write(work, "threads", "tesseract", 2, {"host_pswpin": 200})
            rc, out = run(work, 2)
        self.assertEqual(rc, 0)
        line = [x for x in out.splitlines() if "host swap-ins" in x][0]
        self.assertIn("1.00x", line)
        self.assertIn("0.50 2.00", line)
        self.assertIn("2 pairs", out)
        self.assertIn("by pair: 90.0%", out)

    def test_missing_side_left_out(self):
        with tempfile.TemporaryDirectory() as work:
            write(work, "threads", "baseline", 1, {"host_pswpin": 100})
            write(work, "threads", "tesseract", 1, {"host_pswpin": 80})
            write(work, "threads", "baseline", 2, {"host_pswpin": 100})
            rc, out = run(work, 2)
        self.assertEqual(rc, 0)
        self.assertIn("round 2: a side is missing", out)
        self.assertIn("1 pairs", out)
        line = [x for x in out.splitlines() if "host swap-ins" in x][0]
        self.assertIn("0.80x", line)
        # One pair gives no interval.
        self.assertIn(" - ", line)


if __name__ == "__main__":
    unittest.main()
