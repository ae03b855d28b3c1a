#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/ (queue, blk, p9, cli).

The kernel seeds (corpus/kernel/) were made with boot/test_images.hpp. Inputs the fuzzers
found (crash-*) are kept beside the seeds; this script never touches them.
"""
import os
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
NEXT, WRITE, INDIRECT = 1, 2, 4


def save(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(bytes(data))


def ram(size):
    return bytearray(size)


def desc(mem, table, index, addr, length, flags, nxt=0):
    struct.pack_into("<QIHH", mem, table + 16 * index, addr, length, flags, nxt)


def avail(mem, at, heads):
    struct.pack_into("<HH", mem, at, 0, len(heads))
    for i, h in enumerate(heads):
        struct.pack_into("<H", mem, at + 4 + 2 * i, h)


# queue: header (log2 size, features, desc, avail, used), then RAM from 0.
def queue_seed(name, features, build):
    mem = ram(0x400)
    build(mem)
    save("queue", name, struct.pack("<BBHHH", 2, features, 0, 0x100, 0x200) + mem)


def q_direct(mem):
    desc(mem, 0, 0, 0x300, 16, NEXT, 1)
    desc(mem, 0, 1, 0x310, 64, WRITE)
    desc(mem, 0, 2, 0x350, 8, 0)
    avail(mem, 0x100, [0, 2])


def q_indirect(mem):
    desc(mem, 0, 0, 0x380, 32, INDIRECT)
    desc(mem, 0x380, 0, 0x300, 16, NEXT, 1)
    desc(mem, 0x380, 1, 0x310, 16, WRITE)
    avail(mem, 0x100, [0])


def q_loop(mem):
    desc(mem, 0, 0, 0x300, 16, NEXT, 1)
    desc(mem, 0, 1, 0x310, 16, NEXT, 0)
    avail(mem, 0x100, [0, 3])


queue_seed("direct", 0, q_direct)
queue_seed("indirect-event-idx", 3, q_indirect)
queue_seed("loop", 0, q_loop)


# blk: header (flags, capacity, max discard sectors), then RAM: desc table 0, avail 0x80.
def blk_seed(name, flags, req_type, sector, data_len, data_writable, data=b""):
    mem = ram(0x700)
    struct.pack_into("<IIQ", mem, 0x200, req_type, 0, sector)
    mem[0x400:0x400 + len(data)] = data
    if data_len:
        desc(mem, 0, 0, 0x200, 16, NEXT, 1)
        desc(mem, 0, 1, 0x400, data_len, NEXT | (WRITE if data_writable else 0), 2)
        desc(mem, 0, 2, 0x600, 1, WRITE)
    else:
        desc(mem, 0, 0, 0x200, 16, NEXT, 1)
        desc(mem, 0, 1, 0x600, 1, WRITE)
    avail(mem, 0x80, [0])
    save("blk", name, struct.pack("<BHB", flags, 256, 8) + mem)


blk_seed("read", 0, 0, 1, 512, True)
blk_seed("write", 0, 1, 2, 512, False, b"x" * 512)
blk_seed("flush", 0, 4, 0, 0, False)
blk_seed("get-id", 0, 8, 0, 20, True)
blk_seed("discard", 2, 11, 0, 16, False, struct.pack("<QII", 4, 8, 0))
blk_seed("write-zeroes", 4 | 8, 13, 0, 16, False, struct.pack("<QII", 8, 8, 1))


# p9: T-messages back to back.
def s(text):
    b = text.encode()
    return struct.pack("<H", len(b)) + b


def msg(mtype, tag, body):
    return struct.pack("<IBH", 7 + len(body), mtype, tag) + body


TVERSION, TATTACH, TWALK, TLOPEN, TREAD, TCLUNK = 100, 104, 110, 12, 116, 120
TREADDIR, TGETATTR, TREADLINK, TLCREATE, TWRITE = 40, 24, 22, 14, 118
TMKDIR, TRENAMEAT, TUNLINKAT, TSYMLINK, TLINK, TSETATTR = 72, 74, 76, 16, 70, 26


def walk(tag, fid, newfid, *names):
    return msg(TWALK, tag, struct.pack("<IIH", fid, newfid, len(names)) + b"".join(s(n) for n in names))


hello = msg(TVERSION, 0xFFFF, struct.pack("<I", 65536) + s("9P2000.L")) + \
    msg(TATTACH, 1, struct.pack("<II", 0, 0xFFFFFFFF) + s("root") + s("") + struct.pack("<I", 0))
save("p9", "read-file", hello + walk(2, 0, 1, "file") + msg(TLOPEN, 3, struct.pack("<II", 1, 0)) +
     msg(TREAD, 4, struct.pack("<IQI", 1, 0, 4096)) + msg(TCLUNK, 5, struct.pack("<I", 1)))
save("p9", "readdir", hello + walk(2, 0, 1, "dir") + msg(TLOPEN, 3, struct.pack("<II", 1, 0)) +
     msg(TREADDIR, 4, struct.pack("<IQI", 1, 0, 4096)) +
     msg(TGETATTR, 5, struct.pack("<IQ", 1, 0x3FFF)))
save("p9", "escape-walks", hello + walk(2, 0, 1, "escape") + msg(TREADLINK, 3, struct.pack("<I", 1)) +
     walk(4, 0, 2, "..", "..", "sentinel") + walk(5, 0, 3, "dir", "..", "..") +
     walk(6, 0, 4, "root", "etc") + msg(TLOPEN, 7, struct.pack("<II", 1, 2)))
save("p9", "create-write-rename", hello + walk(2, 0, 1) +
     msg(TLCREATE, 3, struct.pack("<I", 1) + s("new") + struct.pack("<III", 0o102, 0o644, 0)) +
     msg(TWRITE, 4, struct.pack("<IQI", 1, 0, 5) + b"data\n") +
     msg(TMKDIR, 5, struct.pack("<I", 0) + s("d2") + struct.pack("<II", 0o755, 0)) +
     msg(TRENAMEAT, 6, struct.pack("<I", 0) + s("new") + struct.pack("<I", 0) + s("moved")) +
     msg(TSYMLINK, 7, struct.pack("<I", 0) + s("sl") + s("../sentinel") + struct.pack("<I", 0)) +
     msg(TLINK, 8, struct.pack("<II", 0, 2) + s("hard")) +
     msg(TUNLINKAT, 9, struct.pack("<I", 0) + s("moved") + struct.pack("<I", 0)))

# vsock: RAM with an 8-entry queue (desc 0, avail 0x80, used 0x100), TX packets at 0x200.
def vsock_seed(name, op, payload, split):
    mem = ram(0x600)
    hdr = struct.pack("<QQIIIHHIII", 3, 2, 1024, 5000, len(payload), 1, op, 0, 65536, 0)
    mem[0x200:0x200 + 44] = hdr
    mem[0x22C:0x22C + len(payload)] = payload
    if split and payload:
        desc(mem, 0, 0, 0x200, 44, NEXT, 1)
        desc(mem, 0, 1, 0x22C, len(payload), 0)
    else:
        desc(mem, 0, 0, 0x200, 44 + len(payload), NEXT, 1)
        desc(mem, 0, 1, 0x400, 64, WRITE)
    avail(mem, 0x80, [0])
    save("vsock", name, mem)


vsock_seed("request", 1, b"", False)
vsock_seed("rw-split", 5, b"hello vsock", True)
vsock_seed("rw-one-descriptor", 5, b"payload", False)
vsock_seed("credit-update", 6, b"", False)

# cli: arguments separated by NUL.
for name, args in {
    "boot": ["--kernel", "/k", "--memory", "256", "--cpus", "2", "--cmdline", "console=ttyS0"],
    "devices": ["--kernel", "/k", "--disk", "path=d.img,readonly=on,serial=d0", "--net", "tap=tap0",
                "--vsock", "cid=3,uds=/tmp/v", "--share", "path=/srv,tag=s", "--console", "none"],
}.items():
    save("cli", name, b"\0".join(a.encode() for a in args))
