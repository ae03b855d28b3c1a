#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/ (all but kernel).

The kernel seeds (corpus/kernel/) were made with boot/test_images.hpp. Inputs the fuzzers
found (crash-*) are kept beside the seeds; this script never touches them.
"""
import gzip
import io
import json
import os
import tarfile
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


# net: flags, 47 script bytes (op | arg << 3), then RAM. RX queue: desc 0, avail 0x100,
# used 0x200; TX queue: desc 0x400, avail 0x500, used 0x600 (16 entries each).
N_STEP, N_KICK_RX, N_KICK_TX, N_INJECT, N_RX_AVAIL, N_TX_AVAIL, N_WRITE_MODE, N_MISC = range(8)


def nop(op, arg=0):
    return op | arg << 3


def net_seed(name, flags, script, build):
    mem = ram(0x8000)
    build(mem)
    script = bytes(script)[:47]
    save("net", name, bytes([flags]) + script + bytes(47 - len(script)) + bytes(mem).rstrip(b"\0"))


def net_tx_packet(mem, at, frame_len, split):
    mem[at:at + 12] = bytes(12)
    for i in range(frame_len):
        mem[at + 12 + i] = (i * 7) & 0xFF
    if split:
        return [(at, 12), (at + 12, frame_len)]
    return [(at, 12 + frame_len)]


def net_basic(mem):
    # two RX chains of 8 KiB, one TX packet (header and frame in two descriptors)
    desc(mem, 0, 0, 0x1000, 0x2000, WRITE)
    desc(mem, 0, 1, 0x3000, 0x2000, WRITE)
    avail(mem, 0x100, [0, 1])
    parts = net_tx_packet(mem, 0x800, 60, True)
    desc(mem, 0x400, 0, parts[0][0], parts[0][1], NEXT, 1)
    desc(mem, 0x400, 1, parts[1][0], parts[1][1], 0)
    avail(mem, 0x500, [0])


def net_mergeable(mem):
    # 8 RX chains over the same 28 KiB: room for a 64 KiB packet read straight in
    for i in range(8):
        desc(mem, 0, i, 0x1000, 0x7000, WRITE)
    avail(mem, 0x100, list(range(8)))
    desc(mem, 0x400, 0, 0x800, 0x200, 0)
    avail(mem, 0x500, [0])


def net_indirect(mem):
    # an RX chain through an indirect table, a TX chain with a writable buffer (refused)
    desc(mem, 0, 0, 0x700, 32, INDIRECT)
    desc(mem, 0x700, 0, 0x1000, 6, WRITE | NEXT, 1)
    desc(mem, 0x700, 1, 0x1010, 0x1000, WRITE)
    avail(mem, 0x100, [0])
    desc(mem, 0x400, 0, 0x800, 0x40, NEXT, 1)
    desc(mem, 0x400, 1, 0x900, 0x40, WRITE)
    avail(mem, 0x500, [0])


net_seed("tx-rx", 0, [nop(N_KICK_TX), nop(N_STEP), nop(N_INJECT, 7), nop(N_STEP),
                      nop(N_INJECT, 5), nop(N_KICK_RX), nop(N_STEP), nop(N_INJECT, 15),
                      nop(N_STEP), nop(N_STEP)], net_basic)
net_seed("mergeable-gso", 1 | 2 | 4, [nop(N_INJECT, 12), nop(N_INJECT, 13), nop(N_INJECT, 14),
                                      nop(N_STEP), nop(N_STEP), nop(N_RX_AVAIL, 7),
                                      nop(N_KICK_RX), nop(N_STEP), nop(N_KICK_TX),
                                      nop(N_STEP)], net_mergeable)
net_seed("tap-eagain-gone", 0, [nop(N_WRITE_MODE, 1), nop(N_KICK_TX), nop(N_STEP),
                                nop(N_STEP), nop(N_WRITE_MODE, 2), nop(N_STEP),
                                nop(N_MISC, 1), nop(N_INJECT, 7), nop(N_STEP),
                                nop(N_MISC, 0), nop(N_STEP), nop(N_TX_AVAIL, 0),
                                nop(N_STEP)], net_basic)
net_seed("indirect-bad-tx", 8, [nop(N_KICK_TX), nop(N_INJECT, 9), nop(N_STEP), nop(N_STEP)],
         net_indirect)


# vsock_worker: 48 script bytes (op | arg << 4), then RAM. Queues of 8: RX desc 0, avail
# 0x80, used 0x100; TX 0x200/0x280/0x300; event 0x400/0x480/0x500. Guest CID 3.
(V_STEP, V_KICK_RX, V_KICK_TX, V_KICK_EV, V_RX_AVAIL, V_TX_AVAIL, V_EV_AVAIL, V_CONNECT,
 V_HOST_WRITE, V_HOST_SHUT, V_HOST_CLOSE, V_HOST_READ, V_RESET, V_EXPIRE, V_STEPS, V_ABORT) = range(16)
OP_REQUEST, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST = range(1, 8)
FIRST_LOCAL_PORT = 1 << 30


def vop(op, arg=0):
    return op | arg << 4


def vsock_pkt(mem, at, src_port, dst_port, op, payload=b"", flags=0, fwd_cnt=0):
    hdr = struct.pack("<QQIIIHHIII", 3, 2, src_port, dst_port, len(payload), 1, op, flags,
                      65536, fwd_cnt)
    mem[at:at + 44] = hdr
    mem[at + 44:at + 44 + len(payload)] = payload
    return 44 + len(payload)


def vsock_worker_seed(name, script, tx_packets, initial_tx, rx_buffers=8, events=2):
    mem = ram(0x4000)
    for i in range(rx_buffers):
        desc(mem, 0x0, i, 0x1000 + 0x100 * i, 0x100, WRITE)
    struct.pack_into("<HH", mem, 0x80, 0, rx_buffers)
    for i in range(8):
        struct.pack_into("<H", mem, 0x84 + 2 * i, i)
    for i, (src, dst, op, payload, flags) in enumerate(tx_packets):
        at = 0x2000 + 0x100 * i
        length = vsock_pkt(mem, at, src, dst, op, payload, flags)
        desc(mem, 0x200, i, at, length, 0)
        struct.pack_into("<H", mem, 0x284 + 2 * i, i)
    struct.pack_into("<H", mem, 0x282, initial_tx)
    for i in range(events):
        desc(mem, 0x400, i, 0x3000 + 0x10 * i, 8, WRITE)
        struct.pack_into("<H", mem, 0x484 + 2 * i, i)
    struct.pack_into("<H", mem, 0x482, events)
    script = bytes(script)[:48]
    save("vsock_worker", name, script + bytes(48 - len(script)) + bytes(mem).rstrip(b"\0"))


vsock_worker_seed("guest-connect", [
    vop(V_KICK_TX), vop(V_STEP), vop(V_STEP), vop(V_TX_AVAIL, 0), vop(V_KICK_TX), vop(V_STEP),
    vop(V_HOST_READ, 0), vop(V_HOST_WRITE, 0), vop(V_HOST_WRITE, 4), vop(V_STEPS),
    vop(V_HOST_SHUT, 0), vop(V_STEPS), vop(V_TX_AVAIL, 0), vop(V_KICK_TX), vop(V_STEPS)],
    [(3000, 1024, OP_REQUEST, b"", 0), (3000, 1024, OP_RW, b"hello host", 0),
     (3000, 1024, OP_SHUTDOWN, b"", 3)], 1)
vsock_worker_seed("host-connect", [
    vop(V_CONNECT, 0), vop(V_STEP), vop(V_STEP), vop(V_TX_AVAIL, 0), vop(V_KICK_TX), vop(V_STEP),
    vop(V_HOST_READ, 0), vop(V_HOST_WRITE, 1), vop(V_STEPS), vop(V_HOST_CLOSE, 0), vop(V_STEPS),
    vop(V_CONNECT, 5), vop(V_CONNECT, 14), vop(V_ABORT), vop(V_STEPS), vop(V_EXPIRE), vop(V_STEPS)],
    [(1024, FIRST_LOCAL_PORT, OP_RESPONSE, b"", 0), (1024, FIRST_LOCAL_PORT, OP_RW, b"to host", 0),
     (1024, FIRST_LOCAL_PORT, OP_CREDIT_REQUEST, b"", 0)], 0)
vsock_worker_seed("refused-reset", [
    vop(V_KICK_TX), vop(V_STEPS), vop(V_RESET), vop(V_STEPS), vop(V_KICK_EV), vop(V_STEPS),
    vop(V_TX_AVAIL, 1), vop(V_KICK_TX), vop(V_STEPS)],
    [(3001, 80, OP_REQUEST, b"", 0), (3002, 5000, OP_REQUEST, b"", 0),
     (3002, 5000, OP_RW, b"x" * 100, 0)], 1, rx_buffers=2)


# image_json: a selector byte (0 ACI manifest, 1 OCI config, 2 cached config, 3 raw bytes
# as config strings), then the text.
ACI_MANIFEST = {
    "acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/app",
    "labels": [{"name": "os", "value": "linux"}, {"name": "arch", "value": "amd64"}],
    "app": {"exec": ["/bin/app", "-v"], "user": "0", "group": "0",
            "supplementaryGIDs": [10, 20], "workingDirectory": "/srv",
            "environment": [{"name": "PATH", "value": "/bin"}],
            "mountPoints": [{"name": "data", "path": "/data", "readOnly": True}],
            "ports": [{"name": "http", "protocol": "tcp", "port": 80}],
            "isolators": [{"name": "resource/memory", "value": {"limit": "512Mi"}},
                          {"name": "resource/cpu", "value": {"limit": "2"}},
                          {"name": "os/linux/no-new-privileges", "value": True}]}}
OCI_CONFIG = {
    "os": "linux", "architecture": "amd64",
    "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"], "Env": ["PATH=/bin"],
               "WorkingDir": "/srv", "User": "1000:1000", "Volumes": {"/data": {}},
               "ExposedPorts": {"80/tcp": {}}, "StopSignal": "SIGTERM"}}
CACHED_CONFIG = {
    "kind": "oci", "name": "dir:latest", "digest": "sha256:" + "0" * 64, "exec": ["/bin/sh"],
    "defaultArgs": [], "env": ["A=b"], "user": "", "group": "", "supplementaryGIDs": [1],
    "workingDirectory": "", "mountPoints": [{"name": "d", "path": "/d", "readOnly": False}],
    "ports": [{"name": "80/tcp", "protocol": "tcp", "port": 80}], "notes": [], "memoryMiB": 64,
    "cpus": 2}
save("image_json", "aci-manifest", b"\0" + json.dumps(ACI_MANIFEST).encode())
save("image_json", "oci-config", b"\1" + json.dumps(OCI_CONFIG).encode())
save("image_json", "cached-config", b"\2" + json.dumps(CACHED_CONFIG).encode())
save("image_json", "raw-strings", b"\3" + b"dir\xff\xfe:tag\x00\x7f")


# image: flag byte (bit 0 OCI, bit 1 tag "latest"), then an ACI file, or OCI files
# (u16 length + bytes; file 0 is index.json, "@N"/"#N" stand for file N's digest/size).
tarfile.RECORDSIZE = 512  # no padding to 10 KiB: the seeds stay under -max_len


def tar_bytes(items, compression=""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, data in items:
            info = tarfile.TarInfo(name)
            info.mtime = 1000
            if kind == "d":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                t.addfile(info)
            elif kind == "l":
                info.type, info.linkname = tarfile.SYMTYPE, data
                t.addfile(info)
            elif kind == "h":
                info.type, info.linkname = tarfile.LNKTYPE, data
                t.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755
                t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if compression == "gz" else raw


aci = tar_bytes([("manifest", "f", json.dumps(ACI_MANIFEST).encode()), ("rootfs", "d", ""),
                 ("rootfs/bin", "d", ""), ("rootfs/bin/app", "f", b"#!/bin/sh\necho hi\n"),
                 ("rootfs/bin/sh", "l", "app"), ("rootfs/bin/app2", "h", "rootfs/bin/app"),
                 ("rootfs/etc/passwd", "f", b"root:x:0:0::/:/bin/sh\n")], "gz")
save("image", "aci-gzip", b"\0" + aci)
save("image", "aci-plain", b"\0" + tar_bytes([("manifest", "f", json.dumps(ACI_MANIFEST).encode()),
                                              ("rootfs/app", "f", b"x")]))


def oci_input(flags, files):
    return bytes([flags]) + b"".join(struct.pack("<H", len(f)) + f for f in files)


def descriptor(media, n):
    return '{"mediaType":"%s","digest":"@%d","size":#%d}' % (media, n, n)


LAYER = "application/vnd.oci.image.layer.v1.tar"
index = ('{"schemaVersion":2,"manifests":[' + descriptor(
    "application/vnd.oci.image.manifest.v1+json", 1)[:-1] +
    ',"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}').encode()
manifest = ('{"schemaVersion":2,"config":' + descriptor("application/vnd.oci.image.config.v1+json", 2) +
            ',"layers":[' + descriptor(LAYER + "+gzip", 3) + "," + descriptor(LAYER, 4) + "]}").encode()
layer1 = tar_bytes([("bin", "d", ""), ("bin/sh", "f", b"sh"), ("etc/", "d", ""),
                    ("etc/old", "f", b"old"), ("var/lib/x", "f", b"x")], "gz")
layer2 = tar_bytes([("etc/.wh.old", "f", b""), ("var/.wh..wh..opq", "f", b""),
                    ("bin/new", "f", b"new"), ("bin/ls", "h", "bin/new"),
                    ("usr/bin/env", "l", "../../bin/sh")])
save("image", "oci-two-layers", oci_input(3, [index, manifest, json.dumps(OCI_CONFIG).encode(),
                                              layer1, layer2]))
nested_index = ('{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'
                '"digest":"@2","size":#2,"platform":{"os":"linux","architecture":"amd64"}}]}').encode()
manifest1 = ('{"schemaVersion":2,"config":' + descriptor("application/vnd.oci.image.config.v1+json", 3) +
             ',"layers":[' + descriptor(LAYER, 4) + "]}").encode()
save("image", "oci-image-index", oci_input(1, [
    ('{"schemaVersion":2,"manifests":[' + descriptor("application/vnd.oci.image.index.v1+json", 1) + "]}").encode(),
    nested_index, manifest1, b'{"os":"linux","architecture":"amd64"}',
    tar_bytes([("app", "f", b"app")])]))
# Regressions: members of the wrong type made json::value() throw (vmm terminated).
save("image", "crash-platform-not-object", oci_input(1, [
    ('{"schemaVersion":2,"manifests":[' + descriptor("application/vnd.oci.image.index.v1+json", 1) + "]}").encode(),
    b'{"manifests":[{"digest":"@2","size":#2,"platform":5}]}', manifest1,
    b'{"os":"linux"}', tar_bytes([("app", "f", b"app")])]))
save("image", "crash-media-type-number", oci_input(1, [
    ('{"schemaVersion":2,"manifests":[' + descriptor("application/vnd.oci.image.manifest.v1+json", 1) + "]}").encode(),
    b'{"config":{"digest":"@2","size":#2},"layers":[{"mediaType":5,"digest":"@3","size":#3}]}',
    b'{"os":"linux","architecture":"amd64"}', tar_bytes([("app", "f", b"app")])]))
save("image_json", "crash-os-not-a-string", b'\1{"os":1,"architecture":"amd64"}')
