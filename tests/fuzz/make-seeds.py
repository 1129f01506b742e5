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


def main():
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for target, seeds in (("recv", recv_seeds()), ("open", open_seeds()),
                          ("wire", wire_seeds())):
        d = os.path.join(top, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds", file=sys.stderr)


if __name__ == "__main__":
    main()
