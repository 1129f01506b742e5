#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/demo's Python step: the installed module, a region shared with a second
# process, a numpy view of the same pages, and a tampered handle refused with
# the reason the C library gives (docs/python.md).
import os
import socket

import numpy as np

import sealbuf

a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
with sealbuf.create(64 << 20, name="demo-python") as region:
    pixels = np.frombuffer(region, dtype=np.uint8)   # the mapped pages, no copy
    pixels[:] = 7
    pid = os.fork()
    if pid == 0:  # the receiving process validates the handle, maps it, writes back
        a.close()
        with sealbuf.recv(b, timeout_ms=5000) as peer:
            view = np.frombuffer(peer, dtype=np.uint8)
            print(f"  child:  received {peer.size >> 20} MiB, every byte 7: {bool((view == 7).all())}")
            view[:5] = np.frombuffer(b"hello", dtype=np.uint8)
            del view
        os._exit(0)
    region.send(a)
    os.waitpid(pid, 0)
    print(f"  parent: the child wrote {bytes(pixels[:5])!r} into the same pages")
    del pixels

fd = os.memfd_create("tampered", os.MFD_ALLOW_SEALING)  # a peer that kept the right to resize
os.ftruncate(fd, 4096)
try:
    sealbuf.open(fd, 4096)
except sealbuf.Error as e:
    print(f"  a handle without seals is refused: {e.reason}: {e.strerror}")
finally:
    os.close(fd)
