#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fuzz dm-tesseract's user-facing inputs, inside the UML host under test.

  tess-fuzz.py run PHASE BATCH COUNT DIR   run COUNT inputs of one batch
  tess-fuzz.py store COUNT MODULE DIR      damaged store superblocks at load
  tess-fuzz.py report DIR                  judge all batches, print TAP lines

PHASE is "plain" (module loaded without a store) or "store" (with one).
Inputs are table lines, target messages and sysfs writes, valid-looking
and garbage mixed.  Each input is predicted (accepted, or refused and why)
from the documented grammar, sent with device-mapper ioctls (so that the
exact errno is seen) or write(2), and logged as one JSON line in
DIR/PHASE-BATCH.json.  Before each input a marker line goes to /dev/kmsg,
so that the kernel log of the batch, which the calling script saves next
to it as DIR/PHASE-BATCH.kmsg, can be cut into one piece per input.

The random stream depends only on FUZZ_SEED, the phase and the batch
number: the same seed replays the same inputs.  "report" prints lines
"ok<TAB>description" or "not_ok<TAB>description", and "# " diagnostics
naming the first offending inputs.
"""
import ctypes
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
DM_PREFIX = "device-mapper: tesseract: "
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


# --- generators ----------------------------------------------------------------

FEATURES = [b"no_discard_passdown", b"no_reconcile"]
JUNK_WORDS = [b"", b"0", b"1", b"2", b"3", b"-1", b"+1", b"01", b"0x1", b"0x2",
              b"4294967295", b"4294967296", b"4294967297", b"4294967298",
              b"18446744073709551617", b"99999999999999999999999", b"1e3",
              b"one", b"two", b"frobnicate", b"no_discard", b"reconcile",
              b"no-reconcile", b"no_reconcile=1", b"NO_RECONCILE",
              b"No_Discard_Passdown", b"discard_passdown", b"\xff\xfe",
              b"\xc3\xa9t\xc3\xa9", b"\xa0", b"\\", b"\\ ", b"'", b"\"", b"%s%n",
              b"reset_counters", b"\x1b[31m"]


def rand_bytes(rng, n):
    return bytes(rng.randrange(1, 256) for _ in range(n))


def rand_word(rng):
    r = rng.random()
    if r < 0.45:
        return rng.choice(JUNK_WORDS)
    if r < 0.65:
        return rng.choice(FEATURES)
    if r < 0.75:
        return str(rng.choice([rng.randrange(0, 5), rng.randrange(0, 1 << 32),
                               rng.randrange(0, 1 << 64),
                               -rng.randrange(1, 1 << 31)])).encode()
    if r < 0.85:
        return rand_bytes(rng, rng.randrange(1, 12))
    if r < 0.95:
        return b"x" * rng.choice([64, 255, 256, 1000, 3000])
    return rng.choice([b"%x", b"%p%p%p", b"..", b"/", b"/dev/", b";", b"\t\t"])


class Env:
    def __init__(self, dm, phase, stacked):
        self.dm = dm
        self.stacked = stacked  # tfzsmall, tfzm
        self.phase = phase
        self.devs = blockdevs()
        self.by_path = {p: (d, s) for d, (p, s) in self.devs.items()}


def dev_token(rng, env, self_dev):
    """A data device token and the devno it resolves to (or None)."""
    r = rng.random()
    good = [p for p in ("/dev/ubda", "/dev/ubdb", "/dev/ubdc") if p in env.by_path]
    if r < 0.45:
        p = rng.choice(good)
        return p.encode()
    if r < 0.6:
        d = env.by_path[rng.choice(good)][0]
        return devno_str(d).encode()
    if r < 0.66:
        return devno_str(self_dev).encode()
    if r < 0.7:
        return rng.choice([b"/dev/mapper/tfz", b"/dev/dm-%d" % os.minor(self_dev)])
    if r < 0.75:
        d = rng.choice(env.stacked)
        return rng.choice([b"/dev/dm-%d" % os.minor(d), devno_str(d).encode()])
    if r < 0.8:
        major = os.major(env.by_path[rng.choice(good)][0])
        return rng.choice([b"%d:%d" % (major + (1 << 32), 0),
                           b"%d:%d" % (major, 1 << 20), b"%d:%d" % (major, 15),
                           b"4096:0", b"0:0", b"-1:-1", b"0x62:0", b"98:0:0",
                           b"98:", b":0", b"98 :0"])
    return rng.choice([b"/dev/nonexistent", b"/dev/null", b"/dev", b"/etc/passwd",
                       b"", b"ubda", b"../dev/ubda", b"/dev//ubda",
                       b"/dev/ubda/", b"/dev/ubda\xa0", b"x" * 300,
                       b"/" + b"a" * 4200, b"\xff\xfe", b"/proc/self/fd/0"])


def resolve_dev(env, tok, self_dev):
    """What dm_get_device() makes of @tok: (devno, sectors) or None."""
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
    return d, env.devs[d][1]


def gen_table(rng, env, self_dev):
    """One table line: (length, params bytes)."""
    words = []
    if rng.random() > 0.03:
        words.append(dev_token(rng, env, self_dev))
    r = rng.random()
    if r < 0.15:
        pass
    elif r < 0.55:
        feats = [rng.choice(FEATURES) for _ in range(rng.randrange(0, 4))]
        if rng.random() < 0.3:
            feats = [f.upper() if rng.random() < 0.5 else f for f in feats]
        cnt = len(feats)
        if rng.random() < 0.25:
            cnt = rng.choice([cnt + 1, cnt - 1, 0, 3, 1 << 32 | cnt])
        words.append(str(cnt).encode())
        words.extend(feats)
    else:
        words.extend(rand_word(rng) for _ in range(rng.randrange(1, 6)))
    if rng.random() < 0.05:
        words.append(rand_word(rng))
    sep = [b" ", b"  ", b"\t", b" \xa0 "]
    params = bytearray()
    for i, w in enumerate(words):
        if i:
            params += rng.choice(sep) if rng.random() < 0.1 else b" "
        params += w
    if rng.random() < 0.02:
        params += b" " * rng.randrange(1, 4)
    size = 524288
    tgt = resolve_dev(env, dm_split(bytes(params))[0], self_dev) \
        if dm_split(bytes(params)) else None
    if tgt:
        size = tgt[1]
    length = rng.choice([size] * 6 + [max(size - 8, 1), 8, 1, size + 8,
                                      size + 1, 1 << 40])
    return length, bytes(params)


def predict_table(env, length, params, self_dev):
    """(accepted?, reason substring of the DMERR, canonical table)."""
    argv = dm_split(params)
    if not argv:
        return False, "Requires <data_dev>", None
    rest = argv[1:]
    feats = set()
    if rest:
        cnt = rest[0]
        if not re.fullmatch(rb"\d+", cnt) or int(cnt) > 2 or int(cnt) > len(rest) - 1:
            return False, "Invalid number of feature arguments", None
        n = int(cnt)
        for f in rest[1:1 + n]:
            lf = f.lower()
            if lf not in FEATURES:
                return False, "Invalid feature argument", None
            if lf in feats:
                return False, "Duplicate feature argument", None
            feats.add(lf)
        if len(rest) > 1 + n:
            return False, "Unexpected arguments", None
    tgt = resolve_dev(env, argv[0], self_dev)
    if not tgt:
        return False, "Error opening data device", None
    if env.phase == "store" and tgt[0] == env.by_path.get("/dev/ubdc", (None,))[0]:
        return False, "Error opening data device", None
    if length > tgt[1]:
        return False, "smaller than the target", None
    canon = devno_str(tgt[0]).encode() + b" %d" % len(feats)
    for f in FEATURES:
        if f in feats:
            canon += b" " + f
    return True, None, canon


MSG_WORDS = [b"reset_counters", b"RESET_COUNTERS", b"Reset_Counters", b"reset",
             b"reset_counter", b"reset_counters\xa0", b"status", b"create_disk",
             b"delete_disk", b"0", b"-1", b"help", b"set_memcg"]


def gen_message(rng):
    r = rng.random()
    if r < 0.3:
        words = [rng.choice(MSG_WORDS[:3])]
    elif r < 0.6:
        words = [rng.choice(MSG_WORDS)] + [rand_word(rng) for _ in range(rng.randrange(0, 3))]
    elif r < 0.95:
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


def predict_message(msg, sector, size):
    argv = dm_split(msg)
    if not argv:
        return False, "device-mapper: ioctl: Empty message received"
    if sector >= size:
        return False, "device-mapper: ioctl: Target message sector outside device"
    if argv[0].lower() == b"reset_counters":
        if len(argv) == 1:
            return True, None
        return False, "reset_counters takes no arguments"
    return False, "unknown message"


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
    return (True, None) if ok else (False, "memcg: ")


RO_FILES = [SYSFS + "/targets", PARAMS + "/store"]
RO_STORE = [SYSFS + "/backend/" + n for n in
            ("stored", "loaded", "invalidated", "declined", "failed", "pages")] + \
           [SYSFS + "/store/" + n for n in
            ("blocks", "used", "free", "bytes_written", "bytes_read")]


def gen_sysfs(rng, phase):
    """(path, value, expected errno or 0, DMERR reason)."""
    r = rng.random()
    if phase == "store" and r < 0.45:
        v = gen_memcg(rng)
        ok, why = predict_memcg(v)
        return SYSFS + "/backend/memcg", v, 0 if ok else errno.EINVAL, why
    if r < 0.85:
        v = gen_verbose(rng)
        ok = kstrtouint(v) in (0, 1) or not v  # an empty write is no write
        return PARAMS + "/verbose", v, 0 if ok else errno.EINVAL, \
            None if ok else "verbose: invalid value"
    files = RO_FILES + (RO_STORE if phase == "store" else [])
    return rng.choice(files), rand_word(rng)[:4096] or b"1", errno.EACCES, None


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


def run_batch(phase, batch, count, outdir):
    rng = random.Random("%d/%s/%d" % (SEED, phase, batch))
    dm = DM()
    kmsg = Kmsg()
    tag = "%s-%d" % (phase, batch)
    kmsg.mark(tag + " begin")
    size = os.lseek(os.open("/dev/ubda", os.O_RDONLY), 0, os.SEEK_END) // 512
    # tfz takes table loads; tfzm, live, takes messages; tfzsmall is a
    # device too small for most tables.
    self_dev = dm.create("tfz")
    stacked = [dm.create("tfzm")]
    dm.load("tfzm", size, b"/dev/ubda")
    dm.resume("tfzm")
    stacked.append(dm.create("tfzsmall"))
    dm.load("tfzsmall", 8, b"/dev/ubda 0", ttype=b"linear")
    dm.resume("tfzsmall")
    env = Env(dm, phase, stacked)
    out = open(os.path.join(outdir, tag + ".json"), "w")
    for i in range(count):
        r = rng.random()
        rec = {"id": "%s-%d" % (tag, i)}
        kmsg.mark(rec["id"])
        if r < 0.6:
            length, params = gen_table(rng, env, self_dev)
            ok, why, canon = predict_table(env, length, params, self_dev)
            rec.update(kind="table", input="0 %d tesseract %s" % (
                length, params.decode("latin-1")), expect=0 if ok else errno.EINVAL,
                why=why)
            try:
                dm.load("tfz", length, params)
                rec["errno"] = 0
                got = dm.table("tfz", inactive=True)
                if ok and got != canon:
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
        elif r < 0.8:
            msg, sector = gen_message(rng)
            ok, why = predict_message(msg, sector, size)
            rec.update(kind="message", input="%d %s" % (sector, msg.decode("latin-1")),
                       expect=0 if ok else errno.EINVAL, why=why)
            try:
                dm.message("tfzm", msg, sector)
                rec["errno"] = 0
            except OSError as e:
                rec["errno"] = e.errno
        else:
            path, value, exp, why = gen_sysfs(rng, phase)
            rec.update(kind="sysfs", input="%s < %r" % (path, value), expect=exp, why=why)
            rec["errno"] = write_file(path, value)
        out.write(json.dumps(rec) + "\n")
    # Leave nothing behind: the module must be back where it started.
    for name in ("tfz", "tfzm", "tfzsmall"):
        dm.remove(name)
    write_file(PARAMS + "/verbose", b"0")
    if phase == "store":
        write_file(SYSFS + "/backend/memcg", b"\n")
    kmsg.mark(tag + " end")
    out.close()


# --- damaged store superblocks -------------------------------------------------

def _crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_T = _crc32c_table()
SB = struct.Struct("<IIQQII")   # csum version magic nr_blocks block_size pad
SB_MAGIC = 0x3174636573736574


def sb_csum(block):
    crc = 0xFFFFFFFF
    for b in block[4:]:
        crc = CRC_T[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0x7E55E12A


def sb_make(version=1, magic=SB_MAGIC, nr=0, bs=4096, good_csum=True):
    block = bytearray(4096)
    SB.pack_into(block, 0, 0, version, magic, nr, bs, 0)
    if good_csum:
        struct.pack_into("<I", block, 0, sb_csum(block))
    return block


def predict_sb(block, dev_blocks):
    """(accepted?, DMERR reason)."""
    if dev_blocks < 16:
        return False, "too small"
    csum, version, magic, nr, bs, _ = SB.unpack_from(block)
    if magic != SB_MAGIC:
        if any(block):
            return False, "not a tesseract store"
        return True, None
    if csum != sb_csum(block):
        return False, "superblock checksum mismatch"
    if version != 1 or bs != 4096:
        return False, "unsupported version"
    if nr > dev_blocks or nr < 16:
        return False, "superblock says"
    return True, None


libc = ctypes.CDLL(None, use_errno=True)
SYS_finit_module, SYS_delete_module = 313, 176


def load_module(ko, params):
    fd = os.open(ko, os.O_RDONLY)
    try:
        r = libc.syscall(SYS_finit_module, fd, params.encode(), 0)
        return 0 if r == 0 else ctypes.get_errno()
    finally:
        os.close(fd)


def unload_module():
    r = libc.syscall(SYS_delete_module, b"dm_tesseract", os.O_NONBLOCK)
    return 0 if r == 0 else ctypes.get_errno()


def direct_io(path, block=None):
    """Read (block None) or write block 0 of @path with O_DIRECT."""
    buf = mmap.mmap(-1, 4096)
    fd = os.open(path, os.O_RDWR | os.O_DIRECT)
    try:
        if block is None:
            os.readv(fd, [buf])
            return bytearray(buf)
        buf[:] = bytes(block)
        os.writev(fd, [buf])
    finally:
        os.close(fd)
        buf.close()


def run_store(count, ko, outdir):
    """Load the module on COUNT damaged superblocks: all refused, store unchanged."""
    rng = random.Random("%d/sb" % SEED)
    dm = DM()
    kmsg = Kmsg()
    kmsg.mark("sb-0 begin")
    dev = "/dev/ubdc"
    dev_blocks = min(os.lseek(os.open(dev, os.O_RDONLY), 0, os.SEEK_END) // 4096,
                     0xFFFFFFFF)
    out = open(os.path.join(outdir, "sb-0.json"), "w")

    def attempt(rec, block, path, blocks):
        kmsg.mark(rec["id"])
        ok, why = predict_sb(block, blocks)
        direct_io(dev, block)
        rec.update(kind="store", expect=0 if ok else errno.EINVAL, why=why)
        rec["errno"] = load_module(ko, "store=" + path)
        if rec["errno"] == 0:
            rec["unload"] = unload_module()
        after = direct_io(dev)
        if not ok and after != block:
            rec["overwritten"] = True
        out.write(json.dumps(rec) + "\n")

    # A good superblock, as the module writes it.
    direct_io(dev, bytes(4096))
    rec = {"id": "sb-0-format", "input": "zeroed " + dev}
    attempt(rec, bytes(4096), dev, dev_blocks)
    good = direct_io(dev)
    if SB.unpack_from(good)[0] != sb_csum(good):
        rec = {"id": "sb-0-csum", "kind": "store", "input": "checksum model",
               "expect": 0, "errno": -1, "why": None}
        out.write(json.dumps(rec) + "\n")
    nr = SB.unpack_from(good)[3]
    for i in range(count):
        rec = {"id": "sb-0-%d" % i}
        block = bytearray(good)
        r = rng.random()
        path, blocks = dev, dev_blocks
        if r < 0.35:
            bits = rng.choice([1, 1, 2, 3, 8, 64])
            lim = rng.choice([32, 32, 4096])
            for _ in range(bits):
                b = rng.randrange(lim * 8)
                block[b // 8] ^= 1 << (b % 8)
            rec["input"] = "%d bits flipped in the first %d bytes" % (bits, lim)
        elif r < 0.55:
            v = rng.choice([0, 2, 3, 0xFFFFFFFF, 1 << 16])
            bs = rng.choice([4096, 4096, 512, 8192, 0])
            block = sb_make(version=v if bs == 4096 else 1, nr=nr, bs=bs)
            rec["input"] = "version %d block size %d, checksum right" % (
                v if bs == 4096 else 1, bs)
        elif r < 0.7:
            n = rng.choice([0, 1, 15, 16, 17, nr - 1, nr, nr + 1, 1 << 32,
                            (1 << 64) - 1])
            block = sb_make(nr=n)
            rec["input"] = "nr_blocks %d, checksum right" % n
        elif r < 0.85:
            blocks = rng.choice([1, 8, 15, 16, nr // 2, nr - 1])
            blocks = max(1, blocks)
            # A dm-linear over part of the store: a truncated store device.
            dm.create("tfzst")
            dm.load("tfzst", blocks * 8, b"/dev/ubdc 0", ttype=b"linear")
            dm.resume("tfzst")
            path = "/dev/dm-%d" % os.minor(dm_devno(dm, "tfzst"))
            rec["input"] = "store truncated to %d blocks" % blocks
        elif r < 0.95:
            block = bytearray(4096)
            block[rng.randrange(4096)] = rng.randrange(1, 256)
            rec["input"] = "zeroes but one byte"
        else:
            block = sb_make(magic=SB_MAGIC, nr=nr, good_csum=False)
            rec["input"] = "checksum zero"
        attempt(rec, block, path, blocks)
        if path != dev:
            dm.remove("tfzst")
    # And a good one loads again.
    rec = {"id": "sb-0-good", "input": "the good superblock again"}
    attempt(rec, good, dev, dev_blocks)
    kmsg.mark("sb-0 end")
    out.close()


def dm_devno(dm, name):
    return DM_HDR.unpack_from(dm.ioctl(DM_DEV_STATUS, name))[10]


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
            if exp == 0:
                point(kind, "accepted what it should", got != 0,
                      "%s: refused (%s), expected accepted" % (desc, errname(got)))
                if kind == "table" and got == 0:
                    point(kind, "accepted tables read back as given", "readback" in rec,
                          "%s: table reads back %s" % (desc, rec.get("readback")))
                continue
            point(kind, "refused what it should", got == 0,
                  "%s: accepted, expected refused (%s)" % (desc, rec["why"]))
            if got == 0:
                continue
            allowed = [exp] + ([errno.EIO] if kind == "store" else [])
            point(kind, "refusals return %s" % "/".join(errname(e) for e in allowed),
                  got not in allowed, "%s: %s" % (desc, errname(got)))
            if rec["why"]:
                want = rec["why"] if rec["why"].startswith("device-mapper:") else \
                    DM_PREFIX + ("store " if kind == "store" else "")
                bad = want not in log or (rec["why"] not in log)
                point(kind, "refusals logged with their reason", bad,
                      "%s: no kernel message with '%s' (log: %s)" % (
                          desc, rec["why"], log.strip()[-300:] or "nothing"))
            if rec.get("overwritten"):
                point(kind, "refused stores left untouched", True,
                      "%s: block 0 changed by a refused load" % desc)
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
    elif cmd == "store":
        run_store(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif cmd == "report":
        report(sys.argv[2])
    else:
        sys.exit("usage: see the top of " + sys.argv[0])


if __name__ == "__main__":
    main()
