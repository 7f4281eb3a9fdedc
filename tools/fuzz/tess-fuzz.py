#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fuzz dm-tesseract's user-facing inputs, inside the UML host under test.

  tess-fuzz.py run PHASE BATCH COUNT DIR   run COUNT inputs of one batch
  tess-fuzz.py sb BATCH COUNT DIR          damaged superblocks at pool load
  tess-fuzz.py report DIR                  judge all batches, print TAP lines

PHASE is "noswap" (the live pool has the no_swap feature) or "swap" (it
serves host swap).  Inputs are pool tables, disk tables, pool messages,
disk messages and sysfs writes, valid-looking and garbage mixed.  Each
input is predicted (accepted, or refused with which errno and why) from
the documented grammar, sent with device-mapper ioctls (so that the exact
errno is seen) or write(2), and logged as one JSON line in
DIR/PHASE-BATCH.json.  Before each input a marker line goes to /dev/kmsg,
so that the kernel log of the batch, which the calling script saves next
to it as DIR/PHASE-BATCH.kmsg, can be cut into one piece per input.

The random stream depends only on FUZZ_SEED, the phase and the batch
number: the same seed replays the same inputs.  "report" prints lines
"ok<TAB>description" or "not_ok<TAB>description", and "# " diagnostics
naming the first offending inputs.
"""
import errno
import fcntl
import json
import mmap
import os
import random
import re
import stat
import struct
import sys

SEED = int(os.environ.get("FUZZ_SEED", "1"))
MARK = "tess-fuzz:"
SYSFS = "/sys/kernel/tesseract"
PARAMS = "/sys/module/dm_tesseract/parameters"
CGROOT = "/sys/fs/cgroup"

# --- device-mapper ioctls (include/uapi/linux/dm-ioctl.h) -----------------

DM_HDR = struct.Struct("=3I3Ii3IQ128s129s7s")  # struct dm_ioctl, 312 bytes
DM_SPEC = struct.Struct("=QQiI16s")             # struct dm_target_spec
assert DM_HDR.size == 312 and DM_SPEC.size == 40
(DM_DEV_CREATE, DM_DEV_REMOVE, DM_DEV_SUSPEND, DM_DEV_STATUS, DM_TABLE_LOAD,
 DM_TABLE_CLEAR, DM_TABLE_STATUS, DM_TARGET_MSG) = 3, 4, 6, 7, 9, 10, 12, 14
DM_SUSPEND_FLAG = 1 << 1
DM_STATUS_TABLE_FLAG = 1 << 4
DM_QUERY_INACTIVE_TABLE_FLAG = 1 << 12


def _dm_req(nr):
    return (3 << 30) | (DM_HDR.size << 16) | (0xFD << 8) | nr


class DM:
    def __init__(self):
        self.fd = os.open("/dev/mapper/control", os.O_RDWR)

    def ioctl(self, nr, name, data=b"", flags=0, count=0, size=0):
        size = max(size, DM_HDR.size + len(data) + 1, 4096)
        buf = bytearray(size)
        DM_HDR.pack_into(buf, 0, 4, 0, 0, size, DM_HDR.size, count, 0,
                         flags, 0, 0, 0, name.encode(), b"", b"")
        buf[DM_HDR.size:DM_HDR.size + len(data)] = data
        fcntl.ioctl(self.fd, _dm_req(nr), buf, True)
        return buf

    def create(self, name):
        buf = self.ioctl(DM_DEV_CREATE, name)
        return DM_HDR.unpack_from(buf)[10]

    def load(self, name, length, params, start=0, ttype=b"tesseract"):
        spec = DM_SPEC.pack(start, length, 0, 0, ttype)
        self.ioctl(DM_TABLE_LOAD, name, spec + params + b"\0", count=1)

    def resume(self, name):
        self.ioctl(DM_DEV_SUSPEND, name)

    def suspend(self, name):
        self.ioctl(DM_DEV_SUSPEND, name, flags=DM_SUSPEND_FLAG)

    def clear(self, name):
        self.ioctl(DM_TABLE_CLEAR, name)

    def remove(self, name):
        self.ioctl(DM_DEV_REMOVE, name)

    def message(self, name, msg, sector=0):
        self.ioctl(DM_TARGET_MSG, name, struct.pack("=Q", sector) + msg + b"\0")

    def table(self, name, inactive=False):
        """The table's target params as `dmsetup table` prints them."""
        flags = DM_STATUS_TABLE_FLAG
        if inactive:
            flags |= DM_QUERY_INACTIVE_TABLE_FLAG
        buf = self.ioctl(DM_TABLE_STATUS, name, flags=flags, size=16384)
        hdr = DM_HDR.unpack_from(buf)
        if hdr[5] == 0:
            return None
        start = hdr[4]
        s = buf[start + DM_SPEC.size:]
        return bytes(s[:s.index(0)])


def errname(e):
    return errno.errorcode.get(e, str(e)) if e else "0"


# --- what the kernel does with strings, for the predictions ---------------

KSPACE = b" \t\n\v\f\r\xa0"  # the kernel's isspace(), Latin-1 NBSP too


def dm_split(s):
    """dm_split_args(): whitespace-separated words, backslash quotes."""
    out, i, n = [], 0, len(s)
    while True:
        while i < n and s[i] in KSPACE:
            i += 1
        if i >= n:
            return out
        tok = bytearray()
        while i < n:
            c = s[i]
            if c == 0x5C and i + 1 < n:
                tok.append(s[i + 1])
                i += 2
                continue
            if c in KSPACE:
                i += 1
                break
            tok.append(c)
            i += 1
        out.append(bytes(tok))


def kstrtouint(s, base=0):
    """kstrtouint(): None unless the whole string (one '\\n' allowed)."""
    if s.startswith(b"+"):
        s = s[1:]
    if base == 0:
        if s[:2].lower() == b"0x" and len(s) > 2 and chr(s[2]) in "0123456789abcdefABCDEF":
            base, s = 16, s[2:]
        elif s[:1] == b"0":
            base = 8
        else:
            base = 10
    digits = "0123456789abcdef"[:base]
    i = 0
    v = 0
    while i < len(s) and chr(s[i]).lower() in digits:
        v = v * base + digits.index(chr(s[i]).lower())
        i += 1
    if i == 0:
        return None
    rest = s[i:]
    if rest not in (b"", b"\n"):
        return None
    return v if v <= 0xFFFFFFFF else None


def strim(s):
    return s.strip(KSPACE)


# --- the environment ---------------------------------------------------------

def blockdevs():
    """{devno: (path, sectors)} of the block devices an input may name."""
    devs = {}
    for name in sorted(os.listdir("/dev")):
        path = "/dev/" + name
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISBLK(st.st_mode):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
            size = os.lseek(fd, 0, os.SEEK_END) // 512
            os.close(fd)
        except OSError:
            continue
        devs[st.st_rdev] = (path, size)
    return devs


def devno_str(d):
    return "%d:%d" % (os.major(d), os.minor(d))


# --- what the module says ----------------------------------------------------
#
# The reasons a refusal must name, as regular expressions over its kernel
# log (ti->error, which dm-table logs, or the module's DMERR), and the
# errno each comes with.  The checks run in the order the module makes
# them, so each prediction names the first defect of its input.

WHY = {
    # disk tables
    "d_args": (r"Requires <pool dev> <disk id> <data dev>", "EINVAL"),
    "d_id": (r"Invalid disk id", "EINVAL"),
    "d_pool": (r"Error opening pool device", "EINVAL"),
    "d_notpool": (r"Pool device is not a tesseract-pool", "EINVAL"),
    "d_noid": (r"No such disk id in the pool", "EINVAL"),
    "d_busy": (r"Disk id is in use", "EINVAL"),
    "data": (r"Error opening data device", "EINVAL"),
    "small": (r"Data device is smaller than the target", "EINVAL"),
    # both
    "nfeat": (r"Invalid number of feature arguments", "EINVAL"),
    "feat": (r"Invalid feature argument$|Invalid feature argument \(", "EINVAL"),
    "val": (r"Invalid feature argument value", "EINVAL"),
    "dup": (r"Duplicate feature argument", "EINVAL"),
    "trail": (r"Unexpected arguments after the feature arguments", "EINVAL"),
    "mode": (r"Invalid relocation mode", "EINVAL"),
    # pool tables
    "p_args": (r"Requires <metadata dev> <store dev>", "EINVAL"),
    "p_meta": (r"Error opening metadata device", "EINVAL"),
    "p_store": (r"Error opening store device", "EINVAL"),
    "p_same": (r"Metadata and store devices are the same", "EINVAL"),
    "p_msmall": (r"Metadata device is too small", "EINVAL"),
    "p_inuse_md": (r"Metadata device is in use by another pool", "EBUSY"),
    "p_inuse": (r"Device is in use by another pool", "EBUSY"),
    "p_ssmall": (r"store .*too small", "EINVAL"),
    "p_len": (r"Pool length must be the store's", "EINVAL"),
    # pool messages
    "pm_create": (r"create_disk takes a disk id", "EINVAL"),
    "pm_delete": (r"delete_disk takes a disk id", "EINVAL"),
    "pm_commit": (r"commit takes no arguments", "EINVAL"),
    "pm_period": (r"set_commit_period takes milliseconds", "EINVAL"),
    "pm_low": (r"set_low_water takes a number of blocks", "EINVAL"),
    "pm_rmode": (r"set_relocate takes a mode", "EINVAL"),
    "pm_ridle": (r"set_relocate_idle takes milliseconds", "EINVAL"),
    "pm_rrate": (r"set_relocate_rate takes MiB/s", "EINVAL"),
    "pm_rbatch": (r"set_relocate_batch takes a number of blocks", "EINVAL"),
    "pm_rremap": (r"set_relocate_remapped takes a number of blocks", "EINVAL"),
    "pm_rstore": (r"set_relocate_store takes a percentage", "EINVAL"),
    "pm_reloc": (r"relocate takes start, stop or now", "EINVAL"),
    "pm_exists": (r"create_disk \d+: the disk exists", "EEXIST"),
    "pm_noid": (r"delete_disk \d+: no such disk", "ENODATA"),
    "pm_busy": (r"delete_disk \d+: a table uses it", "EBUSY"),
    # disk messages
    "dm_reset": (r"reset_counters takes no arguments", "EINVAL"),
    "dm_copy": (r"copy_home takes no arguments", "EINVAL"),
    "unknown": (r"unknown message", "EINVAL"),
    "empty": (r"device-mapper: ioctl: Empty message received", "EINVAL"),
    "sector": (r"device-mapper: ioctl: Target message sector outside device", "EINVAL"),
    # sysfs
    "memcg": (r"memcg: ", "EINVAL"),
    "verbose": (r"verbose: invalid value", "EINVAL"),
    # superblocks (the "sb" phase): every refusal there is -EINVAL
    "m_magic": (r"Not tesseract metadata", "EINVAL"),
    "m_damaged": (r"Metadata superblock damaged", "EINVAL"),
    "m_version": (r"Unsupported metadata version", "EINVAL"),
    "m_bs": (r"Unsupported metadata or store block size", "EINVAL"),
    "m_uuid": (r"Metadata belongs to another store", "EINVAL"),
    "m_size": (r"Metadata is for a store of another size", "EINVAL"),
    "m_nr": (r"Metadata device smaller than its metadata", "EINVAL"),
    "m_new": (r"Store device is new but the metadata is not", "EINVAL"),
    "s_foreign": (r"not a tesseract store", "EINVAL"),
    "s_csum": (r"store .*superblock checksum mismatch", "EINVAL"),
    "s_version": (r"store .*unsupported version", "EINVAL"),
    "s_says": (r"store .*superblock says", "EINVAL"),
}
WHY_RE = {k: re.compile(v[0], re.M) for k, v in WHY.items()}


def refused(*why):
    """A refusal for the first reason in @why (the rest are alternatives
    a later check would give): the errnos and the reasons."""
    return sorted({getattr(errno, WHY[w][1]) for w in why}), list(why)


# Outcomes: expect 0 (accepted), a list of errnos (refused with one of
# them), or None: not predicted (a disk on the live pool's own devices, a
# pool on a device that is neither the scratch metadata nor the live
# pool's); such an input is only checked for a clean kernel log and
# -EINVAL if refused.
EINVAL = [errno.EINVAL]

# --- generators ----------------------------------------------------------------

DISK_FLAGS = [b"no_discard_passdown", b"no_reconcile", b"no_remap"]
FEATURES = DISK_FLAGS + [b"max_remapped"]
POOL_FLAGS = [b"no_swap"]
POOL_VALUED = [b"commit_period", b"low_water", b"relocate", b"relocate_idle",
               b"relocate_rate", b"relocate_batch", b"relocate_remapped",
               b"relocate_store"]
POOL_ORDER = [b"commit_period", b"no_swap", b"low_water", b"relocate",
              b"relocate_idle", b"relocate_rate", b"relocate_batch",
              b"relocate_remapped", b"relocate_store"]
RELOC_MODES = [b"off", b"home", b"regroup", b"auto"]
JUNK_WORDS = [b"", b"0", b"1", b"2", b"3", b"-1", b"+1", b"01", b"0x1", b"0x2",
              b"4294967295", b"4294967296", b"4294967297", b"4294967298",
              b"18446744073709551617", b"99999999999999999999999", b"1e3",
              b"one", b"two", b"frobnicate", b"no_discard", b"reconcile",
              b"no-reconcile", b"no_reconcile=1", b"NO_RECONCILE",
              b"No_Discard_Passdown", b"discard_passdown", b"\xff\xfe",
              b"\xc3\xa9t\xc3\xa9", b"\xa0", b"\\", b"\\ ", b"'", b"\"", b"%s%n",
              b"reset_counters", b"\x1b[31m", b"no_swap", b"commit_period",
              b"low_water", b"max_remapped", b"create_disk", b"copy_home"]
MAX_ID = (1 << 24) - 1


def rand_bytes(rng, n):
    return bytes(rng.randrange(1, 256) for _ in range(n))


def rand_word(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(JUNK_WORDS)
    if r < 0.65:
        return rng.choice(FEATURES + POOL_FLAGS + POOL_VALUED)
    if r < 0.75:
        return str(rng.choice([rng.randrange(0, 5), rng.randrange(0, 1 << 32),
                               rng.randrange(0, 1 << 64),
                               -rng.randrange(1, 1 << 31)])).encode()
    if r < 0.85:
        return rand_bytes(rng, rng.randrange(1, 12))
    if r < 0.95:
        return b"x" * rng.choice([64, 255, 256, 1000, 3000])
    return rng.choice([b"%x", b"%p%p%p", b"..", b"/", b"/dev/", b";", b"\t\t"])


def number(tok, maximum):
    """The module's numbers: decimal digits only, at most @maximum."""
    if not re.fullmatch(rb"[0-9]+", tok) or int(tok) > maximum:
        return None
    return int(tok)


class Env:
    def __init__(self, dm, phase, stacked, pool_dev, scratch):
        self.dm = dm
        self.stacked = stacked  # tfzsmall, tfzm
        self.phase = phase
        self.pool_dev = pool_dev
        self.scratch = scratch  # {"meta": devno, "store": devno}
        self.devs = blockdevs()
        self.by_path = {p: (d, s) for d, (p, s) in self.devs.items()}
        self.disks = {1}        # disk ids of the live pool
        self.live = {1}         # ... with a live table (tfzm)

    def devno(self, path):
        return self.by_path[path][0]

    def size(self, d):
        return self.devs[d][1]


def junk_dev(rng, env, self_dev):
    good = [p for p in ("/dev/ubda", "/dev/ubdb") if p in env.by_path]
    r = rng.random()
    if r < 0.3:
        return devno_str(self_dev).encode()
    if r < 0.4:
        return rng.choice([b"/dev/mapper/tfz", b"/dev/dm-%d" % os.minor(self_dev)])
    if r < 0.6:
        major = os.major(env.by_path[rng.choice(good)][0])
        return rng.choice([b"%d:%d" % (major + (1 << 32), 0),
                           b"%d:%d" % (major, 1 << 20), b"%d:%d" % (major, 15),
                           b"4096:0", b"0:0", b"-1:-1", b"0x62:0", b"98:0:0",
                           b"98:", b":0", b"98 :0"])
    return rng.choice([b"/dev/nonexistent", b"/dev/null", b"/dev", b"/etc/passwd",
                       b"", b"ubda", b"../dev/ubda", b"/dev//ubda",
                       b"/dev/ubda/", b"/dev/ubda\xa0", b"x" * 300,
                       b"/" + b"a" * 4200, b"\xff\xfe", b"/proc/self/fd/0"])


def dev_tok(rng, env, d):
    """A token naming block device @d: its path or major:minor."""
    if rng.random() < 0.6:
        return env.devs[d][0].encode()
    return devno_str(d).encode()


def data_token(rng, env, self_dev):
    """A data device token for a disk table."""
    r = rng.random()
    good = [env.devno(p) for p in ("/dev/ubda", "/dev/ubdb") if p in env.by_path]
    if r < 0.55:
        return dev_tok(rng, env, rng.choice(good))
    if r < 0.65:
        return dev_tok(rng, env, rng.choice(env.stacked))
    if r < 0.7:
        # The live pool's own devices, and the pool: not predicted.
        return dev_tok(rng, env, rng.choice([env.devno("/dev/ubdc"),
                                             env.devno("/dev/ubdd"), env.pool_dev]))
    return junk_dev(rng, env, self_dev)


def resolve_dev(env, tok, self_dev):
    """What dm_get_device() makes of @tok: a devno or None."""
    m = re.fullmatch(rb"(\d+):(\d+)", tok)
    if m:
        major = int(m.group(1)) % (1 << 64) % (1 << 32)
        minor = int(m.group(2)) % (1 << 64) % (1 << 32)
        if major >= 1 << 12 or minor >= 1 << 20:
            return None
        d = os.makedev(major, minor)
    else:
        try:
            st = os.stat(tok)
        except (OSError, ValueError):
            return None
        if not stat.S_ISBLK(st.st_mode):
            return None
        d = st.st_rdev
    if d == self_dev or d not in env.devs:
        return None
    return d


def join_words(rng, words):
    sep = [b" ", b"  ", b"\t", b" \xa0 "]
    params = bytearray()
    for i, w in enumerate(words):
        if i:
            params += rng.choice(sep) if rng.random() < 0.1 else b" "
        params += w
    if rng.random() < 0.02:
        params += b" " * rng.randrange(1, 4)
    return bytes(params)


def id_token(rng, env):
    r = rng.random()
    if r < 0.35:
        # Mostly an id a table may open: created, not live.
        free = sorted(env.disks - env.live) or sorted(env.disks)
        return b"%d" % rng.choice(free)
    if r < 0.45:
        return b"%d" % rng.choice(sorted(env.disks))
    if r < 0.6:
        return b"%d" % rng.choice([0, 2, 3, 7, 1000, MAX_ID, rng.randrange(MAX_ID + 1)])
    if r < 0.75:
        return rng.choice([b"16777216", b"4294967296", b"4294967297", b"-1", b"x",
                           b"1x", b"1.0", b"", b"18446744073709551617", b"0 1"])
    if r < 0.8:
        return rng.choice([b"+1", b"01", b"010", b"0x1", b"1\n"])
    return rand_word(rng)


def feature_words(rng, flags, valued, values):
    """Feature words, some wrong, and the count (sometimes wrong)."""
    words = []
    for _ in range(rng.randrange(0, 4)):
        if rng.random() < 0.5 or not valued:
            f = rng.choice(flags)
            if rng.random() < 0.1:
                f = f.upper()
            words.append(f)
        else:
            words.append(rng.choice(valued))
            if rng.random() < 0.9:
                words.append(rng.choice(values) if rng.random() < 0.8 else rand_word(rng))
    if rng.random() < 0.1:
        words.append(rand_word(rng))
    cnt = len(words)
    if rng.random() < 0.2:
        cnt = rng.choice([cnt + 1, cnt - 1, 0, 3, 6, 1 << 32 | cnt])
    return [str(cnt).encode()] + words


U32_MAX = (1 << 32) - 1
DISK_VALUED = {b"max_remapped": U32_MAX}


def in_range(lo, hi):
    """A feature value check: the number, or None."""
    def check(tok):
        v = number(tok, hi)
        return v if v is not None and v >= lo else None
    return check


def reloc_mode(tok):
    return tok.lower() if tok.lower() in RELOC_MODES else None


POOL_VALUED_MAX = {b"commit_period": 3600000, b"low_water": U32_MAX,
                   b"relocate": reloc_mode, b"relocate_idle": 3600000,
                   b"relocate_rate": 100000,
                   b"relocate_batch": in_range(1, 1024),
                   b"relocate_remapped": U32_MAX, b"relocate_store": 100}


def parse_features(rest, flags, valued, max_count):
    """tess_parse_features() on the words after the devices, @rest:
    (the first defect or None, the features, the words left)."""
    if not rest:
        return None, {}, []
    cnt = number(rest[0], max_count)
    if cnt is None or cnt > len(rest) - 1:
        return "nfeat", {}, []
    feats = {}
    argv = rest[1:]
    while cnt:
        cnt -= 1
        f = argv.pop(0).lower()
        if f in flags or f in valued:
            if f in feats:
                return "dup", {}, []
            feats[f] = None
            if f in valued:
                check = valued[f]
                if not callable(check):
                    check = in_range(0, check)
                v = check(argv[0]) if cnt else None
                if v is None:
                    return "mode" if check is reloc_mode else "val", {}, []
                argv.pop(0)
                cnt -= 1
                feats[f] = v
        else:
            return "feat", {}, []
    return None, feats, argv


def canon_features(feats, order):
    words = []
    for f in order:
        if f in feats:
            words.append(f)
            if isinstance(feats[f], bytes):
                words.append(feats[f])
            elif feats[f] is not None:
                words.append(b"%d" % feats[f])
    return b"%d" % len(words) + b"".join(b" " + w for w in words)


def gen_disk_table(rng, env, self_dev):
    """(length, params) of a "tesseract" table."""
    r = rng.random()
    if r < 0.7:
        words = [dev_tok(rng, env, env.pool_dev) if rng.random() < 0.8 else
                 rng.choice([dev_tok(rng, env, rng.choice(env.stacked)),
                             b"/dev/ubda", junk_dev(rng, env, self_dev)]),
                 id_token(rng, env), data_token(rng, env, self_dev)]
        if rng.random() < 0.6:
            words += feature_words(rng, DISK_FLAGS, [b"max_remapped"],
                                   [b"0", b"1", b"100", b"4294967296"])
        if rng.random() < 0.05:
            del words[rng.randrange(len(words))]
    else:
        words = [rand_word(rng) for _ in range(rng.randrange(0, 6))]
        if words and rng.random() < 0.5:
            words[0] = dev_tok(rng, env, env.pool_dev)
    params = join_words(rng, words)
    argv = dm_split(params)
    size = 524288
    d = resolve_dev(env, argv[2], self_dev) if len(argv) > 2 else None
    if d:
        size = env.size(d)
    length = rng.choice([size] * 6 + [max(size - 8, 1), 8, 1, size + 8, size + 1, 1 << 40])
    return length, params


def predict_disk_table(env, length, params, self_dev):
    """(expect, reasons, canonical table or None), in tess_ctr()'s order."""
    argv = dm_split(params)
    if len(argv) < 3:
        return refused("d_args") + (None,)
    v = number(argv[1], MAX_ID)
    if v is None:
        return refused("d_id") + (None,)
    why, feats, left = parse_features(argv[3:], DISK_FLAGS, DISK_VALUED, 5)
    if why:
        return refused(why) + (None,)
    if left:
        return refused("trail") + (None,)
    pool = resolve_dev(env, argv[0], self_dev)
    if pool is None:
        return refused("d_pool") + (None,)
    if pool != env.pool_dev:
        return refused("d_notpool") + (None,)
    # The disk id before the data device: "in use" says more than the
    # data device's "busy".
    if v in env.live:
        return refused("d_busy") + (None,)
    if v not in env.disks:
        return refused("d_noid") + (None,)
    data = resolve_dev(env, argv[2], self_dev)
    if data is None:
        return refused("data") + (None,)
    # A pool's device is refused before the length (tess_disk_get_data_dev()).
    if data in (env.devno("/dev/ubdc"), env.devno("/dev/ubdd"), env.pool_dev):
        return None, [], None
    if length > env.size(data):
        return refused("small") + (None,)
    canon = b"%s %d %s " % (devno_str(pool).encode(), v, devno_str(data).encode())
    return 0, [], canon + canon_features(feats, FEATURES)


def pool_junk(rng, env, self_dev):
    """A junk device token that names no device: a pool table on a real
    one would format it."""
    t = junk_dev(rng, env, self_dev)
    if any(resolve_dev(env, w, self_dev) for w in dm_split(t)):
        return b"/dev/nonexistent"
    return t


def gen_pool_table(rng, env, self_dev):
    """(length, params) of a "tesseract-pool" table."""
    sm, ss = env.scratch["meta"], env.scratch["store"]
    small = env.stacked[1]
    r = rng.random()
    meta = rng.choice([sm] * 5 + [env.devno("/dev/ubdd")] * 2 + [small, None, None])
    store = rng.choice([ss] * 6 + [env.devno("/dev/ubdc"), small, None, None])
    if r < 0.8:
        words = [dev_tok(rng, env, meta) if meta else pool_junk(rng, env, self_dev),
                 dev_tok(rng, env, store) if store else pool_junk(rng, env, self_dev)]
        if rng.random() < 0.6:
            words += feature_words(rng, POOL_FLAGS, POOL_VALUED,
                                   [b"0", b"1", b"16", b"100", b"1000",
                                    b"1025", b"home", b"AUTO", b"off"])
        if rng.random() < 0.05:
            del words[rng.randrange(len(words))]
    else:
        words = [rand_word(rng) for _ in range(rng.randrange(0, 5))]
        if words and rng.random() < 0.5:
            words[0] = dev_tok(rng, env, sm)
        # Random words that name a device would name the store.
        words = [w if i == 0 or not any(resolve_dev(env, t, self_dev)
                                        for t in dm_split(w)) else b"x"
                 for i, w in enumerate(words)]
    params = join_words(rng, words)
    argv = dm_split(params)
    size = env.size(ss) // 8 * 8
    d = resolve_dev(env, argv[1], self_dev) if len(argv) > 1 else None
    if d:
        size = env.size(d) // 8 * 8
    length = rng.choice([size] * 6 + [max(size - 8, 8), size + 8, 8, 1, 1 << 40])
    return length, params


def predict_pool_table(env, length, params, self_dev):
    """The same for a pool table, in tess_pool_ctr()'s order."""
    argv = dm_split(params)
    if len(argv) < 2:
        return refused("p_args") + (None,)
    why, feats, left = parse_features(argv[2:], POOL_FLAGS, POOL_VALUED_MAX, 17)
    if why:
        return refused(why) + (None,)
    if left:
        return refused("trail") + (None,)
    sm, ss = env.scratch["meta"], env.scratch["store"]
    meta = resolve_dev(env, argv[0], self_dev)
    if meta is None:
        return refused("p_meta") + (None,)
    store = resolve_dev(env, argv[1], self_dev)
    if store is None:
        return refused("p_store") + (None,)
    if meta == store:
        return refused("p_same") + (None,)
    if env.size(meta) < 64 * 8:
        return refused("p_msmall") + (None,)
    if meta == env.devno("/dev/ubdd"):
        return refused("p_inuse_md") + (None,)
    if meta != sm:
        return None, [], None       # formats whatever it is: not sent below
    if store == env.devno("/dev/ubdc"):
        return refused("p_inuse") + (None,)
    if store != ss and env.size(store) >= 16 * 8:
        return None, [], None
    if env.size(store) < 16 * 8:
        return refused("p_ssmall") + (None,)
    if length != env.size(store) // 8 * 8:
        return refused("p_len") + (None,)
    canon = b"%s %s " % (devno_str(meta).encode(), devno_str(store).encode())
    return 0, [], canon + canon_features(feats, POOL_ORDER)


POOL_MSGS = [b"create_disk", b"delete_disk", b"commit", b"set_commit_period",
             b"set_low_water", b"set_relocate", b"set_relocate_idle",
             b"set_relocate_rate", b"set_relocate_batch",
             b"set_relocate_remapped", b"set_relocate_store", b"relocate"]
DISK_MSGS = [b"reset_counters", b"copy_home"]
MSG_WORDS = [b"reset_counters", b"RESET_COUNTERS", b"Reset_Counters", b"reset",
             b"reset_counter", b"reset_counters\xa0", b"status", b"create_disk",
             b"Create_Disk", b"DELETE_DISK", b"delete_disk", b"copy_home",
             b"COPY_HOME", b"copy-home", b"commit", b"0", b"-1", b"help",
             b"set_memcg", b"create_disks", b"delete", b"set_low_water",
             b"set_commit_period"]


def gen_message(rng, env, to_pool):
    r = rng.random()
    if to_pool and r < 0.55:
        m = rng.choice(POOL_MSGS)
        if rng.random() < 0.1:
            m = m.upper()
        words = [m]
        if m.lower() in (b"create_disk", b"delete_disk") or rng.random() < 0.1:
            if rng.random() < 0.93:
                words.append(id_token(rng, env) if rng.random() < 0.9 else rand_word(rng))
            if rng.random() < 0.05:
                words.append(rand_word(rng))
        elif m.lower() == b"relocate" and rng.random() < 0.9:
            # Never "now": what it moves depends on the disks' remaps.
            words.append(rng.choice([b"start", b"stop", b"STOP", b"later",
                                     b"x", b"1"]))
        elif m.lower().startswith(b"set_") and rng.random() < 0.9:
            words.append(rng.choice([b"0", b"1", b"500", b"3600000", b"3600001",
                                     b"4294967295", b"4294967296", b"-1", b"x",
                                     b"100", b"101", b"1024", b"1025",
                                     b"home", b"regroup", b"Auto", b"off"]))
    elif not to_pool and r < 0.4:
        words = [rng.choice(DISK_MSGS if rng.random() < 0.8 else MSG_WORDS[:3])]
        if rng.random() < 0.1:
            words.append(rand_word(rng))
    elif r < 0.75:
        words = [rng.choice(MSG_WORDS)] + [rand_word(rng) for _ in range(rng.randrange(0, 3))]
    elif r < 0.97:
        words = [rand_word(rng) for _ in range(rng.randrange(1, 4))]
    else:
        words = []
    msg = b" ".join(words)
    if rng.random() < 0.05:
        msg = b"  " + msg + b"\t"
    argv = dm_split(msg)
    if argv and argv[0].startswith(b"@"):  # dm core's own messages
        msg = b"x" + msg
    sector = 0
    if rng.random() < 0.05:
        sector = rng.choice([1, 1000, 524288, 1 << 40])
    return msg, sector


# tess_parse_message(): name (any case), argument count, argument.
MSG_GRAMMAR = {
    b"reset_counters": (False, None, "dm_reset"),
    b"copy_home": (False, None, "dm_copy"),
    b"create_disk": (True, MAX_ID, "pm_create"),
    b"delete_disk": (True, MAX_ID, "pm_delete"),
    b"commit": (True, None, "pm_commit"),
    b"set_commit_period": (True, 3600000, "pm_period"),
    b"set_low_water": (True, U32_MAX, "pm_low"),
    b"set_relocate": (True, reloc_mode, "pm_rmode"),
    b"set_relocate_idle": (True, 3600000, "pm_ridle"),
    b"set_relocate_rate": (True, 100000, "pm_rrate"),
    b"set_relocate_batch": (True, in_range(1, 1024), "pm_rbatch"),
    b"set_relocate_remapped": (True, U32_MAX, "pm_rremap"),
    b"set_relocate_store": (True, 100, "pm_rstore"),
    b"relocate": (True, lambda t: t.lower() if t.lower() in
                  (b"start", b"stop", b"now") else None, "pm_reloc"),
}


def predict_message(env, msg, sector, size, to_pool):
    """(expect, reasons, what it changes: ("add"|"del", id) or None)."""
    argv = dm_split(msg)
    if not argv:
        return refused("empty") + (None,)
    if sector >= size:
        return refused("sector") + (None,)
    g = MSG_GRAMMAR.get(argv[0].lower())
    if g is None or g[0] != to_pool:
        return refused("unknown") + (None,)
    _, maximum, usage = g
    if len(argv) != 1 + (maximum is not None):
        return refused(usage) + (None,)
    v = None
    if maximum is not None:
        v = maximum(argv[1]) if callable(maximum) else number(argv[1], maximum)
        if v is None:
            return refused(usage) + (None,)
    w = argv[0].lower()
    if w == b"create_disk":
        if v in env.disks:
            return refused("pm_exists") + (None,)
        return 0, [], ("add", v)
    if w == b"delete_disk":
        if v in env.live:
            return refused("pm_busy") + (None,)
        if v not in env.disks:
            return refused("pm_noid") + (None,)
        return 0, [], ("del", v)
    return 0, [], None


def gen_verbose(rng):
    r = rng.random()
    if r < 0.3:
        v = rng.choice([b"0", b"1", b"0\n", b"1\n", b"0x1", b"01", b"+1", b"00"])
    elif r < 0.7:
        v = rng.choice(JUNK_WORDS + [b"2", b"5", b" 1", b"1 ", b"1\n\n", b"0x",
                                     b"08", b"0b1", b"true", b"y", b"4294967297"])
    else:
        v = rand_word(rng)
    if rng.random() < 0.2:
        v += b"\n"
    return v[:4096]


def cg_dirs():
    out = [""]
    for root, dirs, _ in os.walk(CGROOT):
        for d in dirs:
            out.append(os.path.join(root, d)[len(CGROOT):])
    return out
def gen_memcg(rng):
    r = rng.random()
    if r < 0.35:
        v = rng.choice(cg_dirs()).encode()
        if rng.random() < 0.3:
            v = v.replace(b"/", b"//") + rng.choice([b"/", b""])
        if rng.random() < 0.2:
            v = v.lstrip(b"/")
    elif r < 0.55:
        v = rng.choice([b"/nonexistent", b"/cgroup.procs", b"/fz/cgroup.procs",
                        b"/..", b"/.", b"/fz/../fz", b"fz/.", b" /fz ", b"\t/\n",
                        b"/fz/a/b/c", b"/fz\xa0", b"\xa0/fz", b"/fz\\a"])
    else:
        v = b"/" + rand_word(rng)
    if rng.random() < 0.3:
        v += b"\n"
    if rng.random() < 0.03:
        v = b"/" + b"a" * 4095
    return v[:4096]


def predict_memcg(v):
    p = strim(v)
    if not p:
        return True, None
    parts = [c for c in p.split(b"/") if c]
    ok = all(c not in (b".", b"..") for c in parts) and len(p) < 4096
    path = CGROOT.encode() + b"/" + b"/".join(parts)
    if ok and (not os.path.isdir(path) or os.path.islink(path)):
        ok = False
    return (True, None) if ok else (False, "@memcg: ")


RO_FILES = [SYSFS + "/targets", SYSFS + "/pools"] + \
           [SYSFS + "/backend/" + n for n in
            ("stored", "loaded", "invalidated", "declined", "failed", "pages")] + \
           [SYSFS + "/store/" + n for n in
            ("blocks", "used", "free", "bytes_written", "bytes_read")]


def gen_sysfs(rng, phase):
    """(path, value, expected errno or 0, reasons)."""
    r = rng.random()
    if r < 0.4:
        v = gen_memcg(rng)
        ok, why = predict_memcg(v)
        return SYSFS + "/backend/memcg", v, 0 if ok else EINVAL, [why] if why else []
    if r < 0.8:
        v = gen_verbose(rng)
        ok = kstrtouint(v) in (0, 1) or not v  # an empty write is no write
        return PARAMS + "/verbose", v, 0 if ok else EINVAL, \
            [] if ok else ["@verbose: invalid value"]
    if r < 0.83:
        # store= is gone (issue 10): no such parameter.
        return PARAMS + "/store", b"/dev/ubdc", [errno.ENOENT], []
    return rng.choice(RO_FILES), rand_word(rng)[:4096] or b"1", [errno.EACCES], []


# --- running a batch -----------------------------------------------------------

class Kmsg:
    def __init__(self):
        try:
            with open("/proc/sys/kernel/printk_devkmsg", "w") as f:
                f.write("on\n")
        except OSError:
            pass
        self.fd = os.open("/dev/kmsg", os.O_WRONLY)

    def mark(self, tag):
        os.write(self.fd, ("%s %s\n" % (MARK, tag)).encode())


def write_file(path, value):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return e.errno
    try:
        n = os.write(fd, value)
        return 0 if n == len(value) else -1
    except OSError as e:
        return e.errno
    finally:
        os.close(fd)


def direct_io(path, block=None, blocknr=0):
    """Read (block None) or write block @blocknr of @path with O_DIRECT."""
    buf = mmap.mmap(-1, 4096)
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    try:
        if block is None:
            os.preadv(fd, [buf], blocknr * 4096)
            return bytearray(buf)
        buf[:] = bytes(block)
        os.pwritev(fd, [buf], blocknr * 4096)
    finally:
        os.close(fd)
        buf.close()


def dm_devno(dm, name):
    return DM_HDR.unpack_from(dm.ioctl(DM_DEV_STATUS, name))[10]


def dm_path(dm, name):
    return "/dev/dm-%d" % os.minor(dm_devno(dm, name))


# Scratch devices on the swap image, which fuzz.sh does not swap to: a
# metadata device and a store for pool tables and superblocks.
SCRATCH_META = 16 << 11     # sectors: 16 MiB, 4096 blocks
SCRATCH_STORE = 32 << 11    # 32 MiB


def make_scratch(dm):
    dm.create("tfzmeta")
    dm.load("tfzmeta", SCRATCH_META, b"/dev/ubdb 0", ttype=b"linear")
    dm.resume("tfzmeta")
    dm.create("tfzstore")
    dm.load("tfzstore", SCRATCH_STORE, b"/dev/ubdb %d" % SCRATCH_META, ttype=b"linear")
    dm.resume("tfzstore")
    zero_scratch(dm)
    return {"meta": dm_devno(dm, "tfzmeta"), "store": dm_devno(dm, "tfzstore")}


def zero_scratch(dm):
    for n in ("tfzmeta", "tfzstore"):
        direct_io(dm_path(dm, n), bytes(4096))


def pool_params(meta, store, features=b""):
    return b"%s %s%s" % (meta.encode(), store.encode(), features)


def run_batch(phase, batch, count, outdir):
    """Inputs against a live pool (tfzpool on /dev/ubdd and /dev/ubdc, fresh
    for every batch; with no_swap in phase "noswap") with a live disk 1
    (tfzm on /dev/ubda): table loads into tfz, messages to both."""
    rng = random.Random("%d/%s/%d" % (SEED, phase, batch))
    dm = DM()
    kmsg = Kmsg()
    tag = "%s-%d" % (phase, batch)
    kmsg.mark(tag + " begin")
    size = os.lseek(os.open("/dev/ubda", os.O_RDONLY), 0, os.SEEK_END) // 512
    ssize = os.lseek(os.open("/dev/ubdc", os.O_RDONLY), 0, os.SEEK_END) // 512 // 8 * 8
    for dev in ("/dev/ubdd", "/dev/ubdc"):
        direct_io(dev, bytes(4096))
    dm.create("tfzpool")
    dm.load("tfzpool", ssize, pool_params("/dev/ubdd", "/dev/ubdc",
                                          b" 1 no_swap" if phase == "noswap" else b""),
            ttype=b"tesseract-pool")
    dm.resume("tfzpool")
    pool_dev = dm_devno(dm, "tfzpool")
    for i in (1, 2, 3):
        dm.message("tfzpool", b"create_disk %d" % i)
    # tfz takes table loads; tfzm, live disk 1, takes disk messages;
    # tfzsmall is a device too small for most tables.
    self_dev = dm.create("tfz")
    stacked = [dm.create("tfzm")]
    dm.load("tfzm", size, b"%s 1 /dev/ubda" % dm_path(dm, "tfzpool").encode())
    dm.resume("tfzm")
    stacked.append(dm.create("tfzsmall"))
    dm.load("tfzsmall", 8, b"/dev/ubda 0", ttype=b"linear")
    dm.resume("tfzsmall")
    scratch = make_scratch(dm)
    env = Env(dm, phase, stacked, pool_dev, scratch)
    env.disks = {1, 2, 3}
    out = open(os.path.join(outdir, tag + ".json"), "w")
    for i in range(count):
        r = rng.random()
        rec = {"id": "%s-%d" % (tag, i)}
        kmsg.mark(rec["id"])
        if r < 0.55:
            pool = r < 0.2
            ttype = b"tesseract-pool" if pool else b"tesseract"
            if pool:
                length, params = gen_pool_table(rng, env, self_dev)
                exp, why, canon = predict_pool_table(env, length, params, self_dev)
            else:
                length, params = gen_disk_table(rng, env, self_dev)
                exp, why, canon = predict_disk_table(env, length, params, self_dev)
            rec.update(kind="pool table" if pool else "disk table",
                       input="0 %d %s %s" % (length, ttype.decode(),
                                             params.decode("latin-1")),
                       expect=exp, why=why)
            try:
                dm.load("tfz", length, params, ttype=ttype)
                rec["errno"] = 0
                got = dm.table("tfz", inactive=True)
                if canon is not None and got != canon:
                    rec["readback"] = "%r, expected %r" % (got, canon)
                if rng.random() < 0.1:
                    # Some go live and are removed, as dmsetup create/remove.
                    dm.resume("tfz")
                    dm.remove("tfz")
                    self_dev = dm.create("tfz")
                else:
                    dm.clear("tfz")
            except OSError as e:
                rec["errno"] = e.errno
            if pool:
                zero_scratch(dm)
        elif r < 0.85:
            to_pool = r < 0.7
            msg, sector = gen_message(rng, env, to_pool)
            target = "tfzpool" if to_pool else "tfzm"
            exp, why, change = predict_message(env, msg, sector,
                                               ssize if to_pool else size, to_pool)
            rec.update(kind="pool message" if to_pool else "disk message",
                       input="%s %d %s" % (target, sector, msg.decode("latin-1")),
                       expect=exp, why=why)
            try:
                dm.message(target, msg, sector)
                rec["errno"] = 0
                if change and change[0] == "add":
                    env.disks.add(change[1])
                elif change:
                    env.disks.discard(change[1])
            except OSError as e:
                rec["errno"] = e.errno
        else:
            path, value, exp, why = gen_sysfs(rng, phase)
            rec.update(kind="sysfs", input="%s < %r" % (path, value), expect=exp, why=why)
            rec["errno"] = write_file(path, value)
        out.write(json.dumps(rec) + "\n")
    # The pool counts the disks the predictions say it has.
    st = pool_status(dm, "tfzpool")
    rec = {"id": "%s-disks" % tag, "kind": "pool message",
           "input": "the pool's disk count (status field 6)", "expect": 0,
           "why": [], "errno": 0}
    if st is None or len(st) < 6 or st[5] != str(len(env.disks)):
        rec["errno"] = -1
        rec["readback"] = "status %r, expected %d disks" % (st, len(env.disks))
    out.write(json.dumps(rec) + "\n")
    # Leave nothing behind: the module must be back where it started.
    for name in ("tfz", "tfzm", "tfzsmall", "tfzpool", "tfzmeta", "tfzstore"):
        dm.remove(name)
    write_file(PARAMS + "/verbose", b"0")
    write_file(SYSFS + "/backend/memcg", b"\n")
    kmsg.mark(tag + " end")
    out.close()


def pool_status(dm, name):
    """The pool's status fields after dm's three, or None."""
    buf = dm.ioctl(DM_TABLE_STATUS, name, size=16384)
    hdr = DM_HDR.unpack_from(buf)
    if hdr[5] != 1:
        return None
    s = buf[hdr[4] + DM_SPEC.size:]
    return bytes(s[:s.index(0)]).decode("latin-1").split()


# --- damaged superblocks ---------------------------------------------------------

def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_T = _crc32c_table()


def csum(block, xor):
    """dm_bm_checksum() of bytes 4.. of @block, xor @xor."""
    crc = 0xFFFFFFFF
    for b in block[4:]:
        crc = CRC_T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ xor


# The store's superblock (tess-store.c): csum version magic nr_blocks
# block_size pad uuid[16].
SSB = struct.Struct("<IIQQII16s")
SSB_XOR = 0x7E55E12A
SSB_MAGIC = 0x3174636573736574
# The metadata superblock (tess-metadata.h struct tess_md_super_disk).
MSB_XOR = 0x54E55A6D
MSB_MAGIC = 0x6174656D73736574
MSB = {"csum": (0, "<I"), "flags": (4, "<I"), "blocknr": (8, "<Q"),
       "uuid": (16, "16s"), "magic": (32, "<Q"), "version": (40, "<I"),
       "block_size": (44, "<I"), "nr_blocks": (48, "<Q"), "trans_id": (56, "<Q"),
       "store_nr_blocks": (64, "<Q"), "store_block_size": (72, "<I"),
       "nr_disks": (76, "<I")}


def msb_get(block, field):
    off, fmt = MSB[field]
    return struct.unpack_from(fmt, block, off)[0]


def msb_set(block, field, value, fix=True):
    off, fmt = MSB[field]
    struct.pack_into(fmt, block, off, value)
    if fix:
        struct.pack_into("<I", block, 0, csum(block, MSB_XOR))
    return block


def predict_sb(mb, sb, mdev, sdev):
    """(expect, reasons) of a pool table on metadata whose block 0 is @mb,
    on a device of @mdev blocks, and a store whose block 0 is @sb, of
    @sdev blocks, in the order the pool checks them: the metadata
    device's size, the store's superblock, then the metadata's."""
    if mdev < 64:
        return refused("p_msmall")
    if sdev < 16:
        return refused("p_ssmall")
    _, version, magic, nr, bs, _, uuid = SSB.unpack_from(sb)
    if magic != SSB_MAGIC:
        if any(sb):
            return refused("s_foreign")
        return refused("m_new") if any(mb) else (None, [])
    if SSB.unpack_from(sb)[0] != csum(sb, SSB_XOR):
        return refused("s_csum")
    if version != 2 or bs != 4096:
        return refused("s_version")
    if nr > sdev or nr < 16:
        return refused("s_says")
    if not any(mb):
        return None, []         # formats it anew, with the store's uuid
    if msb_get(mb, "magic") != MSB_MAGIC:
        return refused("m_magic")
    if msb_get(mb, "blocknr") != 0 or msb_get(mb, "csum") != csum(mb, MSB_XOR):
        return refused("m_damaged")
    if msb_get(mb, "version") != 1:
        return refused("m_version")
    if msb_get(mb, "block_size") != 8 or msb_get(mb, "store_block_size") != 8:
        return refused("m_bs")
    if msb_get(mb, "uuid") != uuid:
        return refused("m_uuid")
    if msb_get(mb, "store_nr_blocks") != nr:
        return refused("m_size")
    if not 64 <= msb_get(mb, "nr_blocks") <= mdev:
        return refused("m_nr")
    return "good", []


def ssb_make(good, **kw):
    f = dict(zip(("csum", "version", "magic", "nr_blocks", "block_size", "pad", "uuid"),
                 SSB.unpack_from(good)))
    f.update(kw)
    block = bytearray(good)
    SSB.pack_into(block, 0, 0, f["version"], f["magic"], f["nr_blocks"],
                  f["block_size"], f["pad"], f["uuid"])
    if kw.get("csum") is None:
        struct.pack_into("<I", block, 0, csum(block, SSB_XOR))
    return block


def flip_bits(rng, block):
    bits = rng.choice([1, 1, 2, 3, 8, 64])
    lim = rng.choice([96, 96, 4096])
    for _ in range(bits):
        b = rng.randrange(lim * 8)
        block[b // 8] ^= 1 << (b % 8)
    return "%d bits flipped in the first %d bytes" % (bits, lim)


def run_sb(batch, count, outdir):
    """Pool tables on COUNT damaged metadata and store superblocks: each
    refused as predicted, and left as it was."""
    rng = random.Random("%d/sb/%d" % (SEED, batch))
    tag = "sb-%d" % batch
    dm = DM()
    kmsg = Kmsg()
    kmsg.mark(tag + " begin")
    make_scratch(dm)
    meta, store = dm_path(dm, "tfzmeta"), dm_path(dm, "tfzstore")
    sblocks = SCRATCH_STORE // 8
    mblocks = SCRATCH_META // 8
    out = open(os.path.join(outdir, tag + ".json"), "w")

    def load(m, s, length):
        dm.create("tfzsb")
        try:
            dm.load("tfzsb", length, pool_params(m, s, b" 1 no_swap"),
                    ttype=b"tesseract-pool")
            return 0
        except OSError as e:
            return e.errno
        finally:
            dm.remove("tfzsb")

    # A pool as the module writes it, with a disk in its tree.
    dm.create("tfzsb")
    dm.load("tfzsb", sblocks * 8, pool_params(meta, store, b" 1 no_swap"),
            ttype=b"tesseract-pool")
    dm.resume("tfzsb")
    dm.message("tfzsb", b"create_disk 7")
    dm.remove("tfzsb")
    gm, gs = direct_io(meta), direct_io(store)
    for name, block, xor in (("metadata", gm, MSB_XOR), ("store", gs, SSB_XOR)):
        if struct.unpack_from("<I", block)[0] != csum(block, xor):
            out.write(json.dumps({"id": tag + "-csum-" + name, "kind": "superblock",
                                  "input": "the checksum model of the %s superblock" % name,
                                  "expect": 0, "why": [], "errno": -1}) + "\n")

    def attempt(rec, mblock, sblock, m=meta, s=store, mdev=mblocks, sdev=sblocks):
        kmsg.mark(rec["id"])
        exp, why = predict_sb(mblock, sblock, mdev, sdev)
        if exp == "good":
            # Everything checks out: accepted if it is the pool's own
            # superblocks, else (flags, counters changed) not predicted.
            exp = 0 if (mblock, sblock) == (gm, gs) else None
        direct_io(meta, mblock)
        direct_io(store, sblock)
        rec.update(kind="superblock", expect=exp, why=why)
        rec["errno"] = load(m, s, sdev * 8)
        if rec["errno"] and (direct_io(meta) != mblock or direct_io(store) != sblock):
            rec["overwritten"] = True
        direct_io(meta, gm)
        direct_io(store, gs)
        out.write(json.dumps(rec) + "\n")

    attempt({"id": tag + "-good", "input": "the pool's own superblocks"}, gm, gs)
    for i in range(count):
        rec = {"id": "%s-%d" % (tag, i)}
        mb, sb = bytearray(gm), bytearray(gs)
        r = rng.random()
        if r < 0.25:
            rec["input"] = "metadata: " + flip_bits(rng, mb)
            attempt(rec, mb, sb)
        elif r < 0.45:
            field = rng.choice(["version", "block_size", "store_block_size", "uuid",
                                "store_nr_blocks", "nr_blocks", "magic", "blocknr"])
            v = msb_get(gm, field)
            if field == "uuid":
                v = rand_bytes(rng, 16)
            elif field in ("nr_blocks", "store_nr_blocks"):
                v = rng.choice([0, 1, 63, v - 1, v + 1, (1 << 64) - 1])
            elif field in ("magic", "blocknr"):
                v = rng.choice([0, 1, v ^ 1])
            else:
                v = rng.choice([0, 2, 16, 4096, 0xFFFFFFFF])
            msb_set(mb, field, v)
            rec["input"] = "metadata: %s %r, checksum right" % (field, v)
            attempt(rec, mb, sb)
        elif r < 0.55:
            mb = bytearray(4096)
            mb[rng.randrange(4096)] = rng.randrange(1, 256)
            rec["input"] = "metadata: zeroes but one byte"
            attempt(rec, mb, sb)
        elif r < 0.7:
            rec["input"] = "store: " + flip_bits(rng, sb)
            attempt(rec, mb, sb)
        elif r < 0.8:
            f = rng.choice(["version", "block_size", "nr_blocks", "uuid", "magic"])
            v = {"version": rng.choice([0, 1, 3, 0xFFFFFFFF]),
                 "block_size": rng.choice([0, 512, 8192]),
                 "nr_blocks": rng.choice([0, 15, 16, sblocks - 1, sblocks + 1, 1 << 40]),
                 "uuid": rand_bytes(rng, 16), "magic": SSB_MAGIC ^ 1}[f]
            sb = ssb_make(gs, **{f: v})
            rec["input"] = "store: %s %r, checksum right" % (f, v)
            attempt(rec, mb, sb)
        elif r < 0.85:
            sb = bytearray(4096)
            sb[rng.randrange(4096)] = rng.randrange(1, 256)
            rec["input"] = "store: zeroes but one byte"
            attempt(rec, mb, sb)
        elif r < 0.93:
            # A truncated store: a dm-linear over part of it.
            n = max(1, rng.choice([1, 8, 15, 16, sblocks // 2, sblocks - 1]))
            dm.create("tfzpart")
            dm.load("tfzpart", n * 8, b"%s 0" % store.encode(), ttype=b"linear")
            dm.resume("tfzpart")
            rec["input"] = "store truncated to %d blocks" % n
            attempt(rec, mb, sb, s=dm_path(dm, "tfzpart"), sdev=n)
            dm.remove("tfzpart")
        else:
            n = rng.choice([1, 8, 63, 64, mblocks // 2, mblocks - 1])
            dm.create("tfzpart")
            dm.load("tfzpart", n * 8, b"%s 0" % meta.encode(), ttype=b"linear")
            dm.resume("tfzpart")
            rec["input"] = "metadata device truncated to %d blocks" % n
            attempt(rec, mb, sb, m=dm_path(dm, "tfzpart"), mdev=n)
            dm.remove("tfzpart")
    attempt({"id": tag + "-good-again", "input": "the good superblocks again"}, gm, gs)
    dm.remove("tfzmeta")
    dm.remove("tfzstore")
    kmsg.mark(tag + " end")
    out.close()


# --- judging ---------------------------------------------------------------------

BUG_RE = re.compile(r"BUG:|WARNING:|Oops|general protection|Kernel panic|"
                    r"possible recursive locking|possible circular locking|"
                    r"inconsistent lock state|INFO: task .* blocked|"
                    r"UBSAN|KASAN|list_add corruption|list_del corruption")


def split_kmsg(text):
    """{input id: [kernel log lines after its marker]}, and batch markers."""
    pieces, cur, marks = {}, None, set()
    for line in text.splitlines():
        m = re.search(re.escape(MARK) + r" (\S+)(?: (begin|end))?$", line)
        if m:
            if m.group(2):
                marks.add(m.group(1) + " " + m.group(2))
                cur = None
            else:
                cur = m.group(1)
                pieces[cur] = []
            continue
        if cur is not None:
            pieces[cur].append(line)
    return pieces, marks


def names_a_reason(log, why):
    """Does @log name one of the reasons @why (WHY keys, "@literal")?"""
    for w in why:
        if w.startswith("@"):
            if w[1:] in log:
                return True
        elif WHY_RE[w].search(log):
            return True
    return False


def report(outdir):
    checks = {}   # (kind, check) -> [count, failures]
    kinds = {}
    bugs, lost = [], []

    def point(kind, what, bad, text):
        c = checks.setdefault((kind, what), [0, []])
        c[0] += 1
        if bad:
            c[1].append(text)

    for fn in sorted(os.listdir(outdir)):
        if not fn.endswith(".json"):
            continue
        tag = fn[:-5]
        try:
            text = open(os.path.join(outdir, tag + ".kmsg"), errors="replace").read()
        except OSError:
            text = ""
        pieces, marks = split_kmsg(text)
        if tag + " begin" not in marks or tag + " end" not in marks:
            lost.append(tag)
        for line in text.splitlines():
            if BUG_RE.search(line):
                bugs.append("%s: %s" % (tag, line.strip()))
        for line in open(os.path.join(outdir, fn)):
            rec = json.loads(line)
            kind = rec["kind"]
            kinds[kind] = kinds.get(kind, 0) + 1
            log = "\n".join(pieces.get(rec["id"], []))
            desc = "%s: %s" % (rec["id"], rec["input"][:200])
            exp, got = rec["expect"], rec["errno"]
            if exp is None:
                point(kind, "unpredicted inputs accepted or refused with EINVAL",
                      got not in (0, errno.EINVAL), "%s: %s" % (desc, errname(got)))
                continue
            if exp == 0:
                point(kind, "accepted what it should", got != 0,
                      "%s: refused (%s), expected accepted" % (desc, errname(got)))
                if got == 0 and (kind.endswith("table") or "readback" in rec):
                    point(kind, "accepted inputs read back as given", "readback" in rec,
                          "%s: reads back %s" % (desc, rec.get("readback")))
                continue
            point(kind, "refused what it should", got == 0,
                  "%s: accepted, expected refused (%s)" % (desc, ", ".join(rec["why"])))
            if got == 0:
                continue
            point(kind, "refusals return %s" % "/".join(errname(e) for e in exp),
                  got not in exp, "%s: %s, expected %s" % (
                      desc, errname(got), "/".join(errname(e) for e in exp)))
            if rec["why"]:
                point(kind, "refusals logged with their reason",
                      not names_a_reason(log, rec["why"]),
                      "%s: no kernel message naming %s (log: %s)" % (
                          desc, " or ".join(WHY[w][0] if w in WHY else w for w in rec["why"]),
                          log.strip()[-300:] or "nothing"))
            if rec.get("overwritten"):
                point(kind, "refused devices left untouched", True,
                      "%s: block 0 changed by a refused table" % desc)
    total = sum(kinds.values())
    print("#\tfuzz: %d inputs (%s), FUZZ_SEED=%d" % (total, ", ".join(
        "%d %s" % (n, k) for k, n in sorted(kinds.items())), SEED))
    res = [("kernel log of every batch read (markers found)", lost,
            ["batch %s: markers missing from the kernel log" % t for t in lost])]
    res.append(("no oops, WARN, BUG or lockdep report while fuzzing", bugs, bugs))
    for (kind, what), (n, fails) in sorted(checks.items()):
        res.append(("%s: %d inputs, %s (%d not)" % (kind, n, what, len(fails)),
                    fails, fails))
    for desc, bad, diags in res:
        print("%s\t%s" % ("not_ok" if bad else "ok", desc))
        for d in diags[:8]:
            print("# " + d.replace("\n", " | ")[:400])
        if len(diags) > 8:
            print("# ... and %d more" % (len(diags) - 8))


def main():
    cmd = sys.argv[1]
    if cmd == "run":
        run_batch(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif cmd == "sb":
        run_sb(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif cmd == "report":
        report(sys.argv[2])
    else:
        sys.exit("usage: see the top of " + sys.argv[0])


if __name__ == "__main__":
    main()
