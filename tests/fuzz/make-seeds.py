#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/TARGET/).

Seeds are committed; run this again after changing an input layout. Each
seed is one case worth starting from: a valid message or fd, and one of each
way a peer can get it wrong. Layouts are described at the top of each
fuzz-TARGET.c.
"""
import os
import shutil
import struct
import sys

PAGE = 4096
MAGIC = 0x46554253
KINDS = ["sealed", "unsealed", "no-seal-seal", "write-seal", "future-write",
         "not-sealable", "rdonly", "wronly", "pipe", "devnull", "shm-file",
         "socket", "eventfd", "opath", "directory", "exec-seal"]
K = {name: i for i, name in enumerate(KINDS)}


def wire(kind=1, flags=0, size=PAGE, file_size=PAGE, magic=MAGIC, version=1,
         length=32):
    return struct.pack("<IHHIIQQ", magic, version, length, kind, flags, size,
                       file_size)


def recv_seed(msg, fds=(("sealed", 1),), sock=0, rdonly=False, keep=False,
              close=False, twice=False, part=0):
    mode = sock | (4 if rdonly else 0) | (8 if keep else 0) \
        | (16 if close else 0) | (32 if twice else 0)
    out = bytes([mode, len(fds) | (part << 4)])
    for kind, param in fds:
        out += bytes([K[kind], param])
    return out + msg


def recv_seeds():
    s = {}
    for sock, name in enumerate(["seqpacket", "stream", "dgram"]):
        s["ok-" + name] = recv_seed(wire(), sock=sock)
    s["ok-stream-parts-of-4"] = recv_seed(wire(), sock=3, part=3)
    s["ok-stream-parts-of-1"] = recv_seed(wire(), sock=3, part=0)
    s["ok-size-100"] = recv_seed(wire(size=100))
    s["ok-3-pages"] = recv_seed(wire(size=3 * PAGE - 5, file_size=3 * PAGE),
                                fds=(("sealed", 3),))
    s["ok-empty"] = recv_seed(wire(size=0, file_size=0), fds=(("sealed", 0),))
    s["ok-rdonly"] = recv_seed(wire(flags=1), fds=(("rdonly", 1),), rdonly=True)
    s["ok-keep-handle"] = recv_seed(wire(), keep=True)
    s["ok-exec-seal"] = recv_seed(wire(), fds=(("exec-seal", 1),))
    s["ok-twice-stream"] = recv_seed(wire(), sock=1, twice=True)
    s["rdonly-fd-without-flag"] = recv_seed(wire(), fds=(("rdonly", 1),))
    s["rdonly-flag-rw-receiver"] = recv_seed(wire(flags=1))
    for kind in KINDS:
        s["fd-" + kind] = recv_seed(wire(), fds=((kind, 1),))
    s["fd-odd-size"] = recv_seed(wire(size=PAGE + 100, file_size=PAGE + 100),
                                 fds=(("sealed", 9),))
    s["no-fd"] = recv_seed(wire(), fds=())
    s["two-fds"] = recv_seed(wire(), fds=(("sealed", 1), ("sealed", 1)))
    s["fifteen-fds"] = recv_seed(wire(), fds=(("pipe", 0),) * 15)
    s["truncated-8"] = recv_seed(wire()[:8])
    s["truncated-31"] = recv_seed(wire()[:31])
    s["truncated-3"] = recv_seed(wire()[:3])
    s["empty-with-fd"] = recv_seed(b"")
    s["oversized-33"] = recv_seed(wire() + b"\0")
    s["oversized-512"] = recv_seed(wire() + b"\xa5" * 480)
    s["bad-magic"] = recv_seed(wire(magic=0x12345678))
    s["bad-version"] = recv_seed(wire(version=2))
    s["bad-length"] = recv_seed(wire(length=40))
    s["bad-kind"] = recv_seed(wire(kind=9))
    s["bad-flags"] = recv_seed(wire(flags=0x80))
    s["size-above-file"] = recv_seed(wire(size=2 * PAGE))
    s["file-size-mismatch"] = recv_seed(wire(size=PAGE, file_size=2 * PAGE))
    s["huge-size"] = recv_seed(wire(size=1 << 62, file_size=1 << 63))
    s["reserved-kind"] = recv_seed(wire(kind=2, size=PAGE, file_size=2 * PAGE),
                                   fds=(("sealed", 2),))
    s["mirror-kind"] = recv_seed(wire(kind=3, size=PAGE, file_size=2 * PAGE),
                                 fds=(("sealed", 2),))
    s["closed-mid-stream"] = recv_seed(wire()[:20], sock=1, close=True)
    s["closed-before"] = recv_seed(b"", fds=(), sock=1, close=True)
    s["stalled-mid-stream"] = recv_seed(wire()[:20], sock=1)
    s["garbage"] = recv_seed(bytes(range(64)))
    return s


def open_seed(kind, param, declared, flags=0, region=0, match=False,
              content=b""):
    fl = flags | (region << 2) | (32 if match else 0)
    return bytes([K[kind], param, fl]) + struct.pack("<Q", declared) + content


def open_seeds():
    s = {}
    for kind in KINDS:
        s["fd-" + kind] = open_seed(kind, 1, PAGE)
    s["ok-size-1"] = open_seed("sealed", 1, 1)
    s["ok-rdonly"] = open_seed("rdonly", 1, PAGE, flags=1)
    s["ok-keep-handle"] = open_seed("sealed", 2, 2 * PAGE, flags=2)
    s["ok-empty"] = open_seed("sealed", 0, 0)
    s["size-mismatch-small"] = open_seed("sealed", 2, PAGE)
    s["size-mismatch-large"] = open_seed("sealed", 1, 2 * PAGE)
    s["size-huge"] = open_seed("sealed", 1, (1 << 64) - 1)
    s["odd-file-size"] = open_seed("sealed", 9, PAGE + 100)
    s["declared-near-file"] = open_seed("sealed", 3, 7, match=True)
    s["bad-kind"] = open_seed("sealed", 1, PAGE, region=5)
    hdr = bytes(range(256)) * 16
    s["reserved-content"] = open_seed("sealed", 2, PAGE, region=2, content=hdr)
    s["mirror-content"] = open_seed("sealed", 2, PAGE, region=3, content=hdr)
    s["reserved-zero-header"] = open_seed("sealed", 2, PAGE, region=2)
    s["reserved-valid-header"] = open_seed("sealed", 2, PAGE, region=2, content=header())
    s["mirror-valid-header"] = open_seed("sealed", 2, PAGE, region=3,
                                         content=header(kind=3, size=PAGE, seq=2))
    s["reserved-header-size-above"] = open_seed("sealed", 2, PAGE, region=2,
                                                content=header(size=PAGE + 1))
    s["reserved-header-seq-odd"] = open_seed("sealed", 2, PAGE, region=2,
                                             content=header(seq=7, size=10))
    s["reserved-header-wrong-kind"] = open_seed("sealed", 2, PAGE, region=2,
                                                content=header(kind=3))
    s["reserved-header-capacity"] = open_seed("sealed", 2, PAGE, region=2,
                                              content=header(capacity=2 * PAGE))
    s["reserved-rdonly"] = open_seed("rdonly", 2, PAGE, flags=1, region=2,
                                     content=header())
    return s


def wire_seeds():
    s = {"ok": wire(), "ok-rdonly": wire(flags=1), "ok-empty": wire(size=0, file_size=0),
         "ok-reserved": wire(kind=2, file_size=2 * PAGE), "ok-mirror": wire(kind=3),
         "short": wire()[:7], "preamble": wire()[:8], "long": wire() + b"x",
         "bad-magic": wire(magic=0), "bad-version": wire(version=0),
         "bad-length": wire(length=31), "bad-kind": wire(kind=0),
         "bad-flags": wire(flags=2), "size-above-file": wire(size=PAGE + 1),
         "huge": wire(size=0, file_size=1 << 63), "empty": b""}
    return s


HDR_MAGIC = 0x44484253
FIELD = {"magic": 0, "version": 1, "header_size": 2, "kind": 3, "flags": 4,
         "capacity": 5, "payload_offset": 6, "seq": 7, "size": 8, "waiters": 9,
         "rdonly_waiters": 10, "reserved": 11}


def header(kind=2, capacity=PAGE, size=0, seq=0, magic=HDR_MAGIC, version=1,
           header_size=64, offset=PAGE):
    return struct.pack("<IHHIIQQQQIIQ", magic, version, header_size, kind, 0,
                       capacity, offset, seq, size, 0, 0, 0)


def hdr_seed(ops, mirror=False, pages=1, extra=0, rdonly=False):
    setup = (1 if mirror else 0) | (pages << 1) | (8 if rdonly else 0)
    return bytes([setup, extra]) + b"".join(ops)


def op_set(field, value):
    return bytes([1, FIELD[field]]) + struct.pack("<Q", value)


def op_scribble(off, data):
    return bytes([0, off, len(data) - 1]) + data


READ, CHECK, OPEN = b"\x02", b"\x04", b"\x07"


def op_snapshot(n):
    return b"\x03" + struct.pack("<H", n)


def op_wait(seq=0):
    return b"\x05" + struct.pack("<Q", seq)


def op_write(n):
    return b"\x06" + struct.pack("<H", n)


def header_seeds():
    rw = [op_write(100), READ, op_snapshot(PAGE), CHECK, op_wait(), OPEN]
    s = {"reserved-read-write": hdr_seed(rw),
         "mirror-update-read": hdr_seed(rw, mirror=True),
         "rdonly-receiver": hdr_seed(rw, rdonly=True),
         "odd-capacity": hdr_seed(rw, pages=2, extra=77),
         "empty": hdr_seed(rw, pages=0),
         "write-too-large": hdr_seed([op_write(PAGE + 1), READ]),
         "snapshot-too-small": hdr_seed([op_write(100), op_snapshot(10)]),
         "size-above-capacity": hdr_seed([op_set("size", PAGE + 1), READ,
                                          op_snapshot(PAGE), OPEN]),
         "size-huge": hdr_seed([op_set("size", 1 << 63), READ, OPEN]),
         "seq-odd": hdr_seed([op_set("seq", 1), READ, op_wait(), op_snapshot(PAGE),
                              op_write(10), READ]),
         "seq-moves": hdr_seed([op_write(1), op_set("seq", 1000), CHECK, op_wait(2)]),
         "waiters-huge": hdr_seed([op_set("waiters", 0xffffffff), op_write(5), READ]),
         "rdonly-waiters-cleared": hdr_seed([op_set("rdonly_waiters", 0), op_wait()],
                                            rdonly=True),
         "scribble-all": hdr_seed([op_scribble(0, bytes(range(16))),
                                   op_scribble(16, b"\xff" * 16),
                                   op_scribble(32, b"\x01" + b"\0" * 15), READ, OPEN]),
         }
    for field, value in (("magic", 0), ("version", 2), ("header_size", 63),
                         ("header_size", 8192), ("kind", 3), ("kind", 9),
                         ("flags", 1), ("capacity", PAGE * 2), ("capacity", 1 << 62),
                         ("payload_offset", 0), ("reserved", 1)):
        s[f"open-{field}-{value}"] = hdr_seed([op_set(field, value), OPEN, READ])
    return s


def export_seed(call=0, how=0, noreserve=False, reserved=False, param=2, fdkind="sealed",
                ranges=((0, 0, 0),), name=None):
    mode = call | (how << 3) | (32 if noreserve else 0) | (64 if reserved else 0)
    out = bytes([mode, param, K[fdkind]])
    if call >= 3:
        out += bytes([len(ranges) - 1])
    for off, length, flags in ranges:
        out += struct.pack("<HHB", off, length, flags)
    if name is None:
        return out + b"\xff"
    return out + bytes([len(name)]) + name.encode()


def export_seeds():
    s = {"region-whole": export_seed(),
         "region-second-page": export_seed(ranges=((PAGE, PAGE, 0),)),
         "misaligned-offset": export_seed(ranges=((100, 0, 0),)),
         "misaligned-length": export_seed(ranges=((0, 100, 0),)),
         "past-the-end": export_seed(ranges=((3 * PAGE, 0, 0),)),
         "length-past-the-end": export_seed(ranges=((0, 3 * PAGE, 0),)),
         "empty-region": export_seed(param=0),
         "received-rw": export_seed(how=1),
         "received-rdonly": export_seed(how=2),
         "received-no-handle": export_seed(how=3),
         "noreserve": export_seed(noreserve=True),
         "reserved-whole": export_seed(reserved=True),
         "reserved-payload": export_seed(reserved=True, ranges=((0, 0, 1),)),
         "plain-payload-flag": export_seed(ranges=((0, 0, 1),)),
         "unknown-flag": export_seed(ranges=((0, 0, 2),)),
         "name-31": export_seed(name="n" * 31),
         "name-32": export_seed(name="n" * 32),
         "name-empty": export_seed(name=""),
         "split": export_seed(call=1),
         "split-misaligned": export_seed(call=1, ranges=((1, 0, 0),)),
         "list-two": export_seed(call=3, ranges=((0, 0, 0), (0, 0, 0))),
         "list-four-pieces": export_seed(call=3, ranges=((0, PAGE, 0), (PAGE, PAGE, 0),
                                                         (0, PAGE, 0), (PAGE, PAGE, 0))),
         "list-bad-range": export_seed(call=3, ranges=((0, 0, 0), (5 * PAGE, 0, 0))),
         "list-split": export_seed(call=4, ranges=((0, 0, 0), (0, 0, 0))),
         "list-received-rdonly": export_seed(call=3, how=2, ranges=((0, 0, 0), (0, 0, 0)))}
    for kind in KINDS:
        s["memfd-" + kind] = export_seed(call=2, fdkind=kind)
    s["memfd-odd-size"] = export_seed(call=2, param=9)
    return s


def main():
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for target, seeds in (("recv", recv_seeds()), ("open", open_seeds()),
                          ("wire", wire_seeds()), ("header", header_seeds()),
                          ("export", export_seeds())):
        d = os.path.join(top, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
