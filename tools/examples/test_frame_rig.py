# SPDX-License-Identifier: LGPL-2.1-or-later
# Example rig: a C producer (frame-producer.c) publishes frames into a reserved
# region; this test receives the region, sleeps until each publication and checks
# the frame with numpy, in place: no byte of a frame is ever copied.
import os
import socket
import subprocess
import tempfile
import time

import numpy as np
import pytest

import sealbuf

COUNT, WIDTH, HEIGHT = 300, 320, 240


@pytest.fixture
def producer():
    exe = os.environ.get("SEALBUF_FRAME_PRODUCER")
    if not exe:
        pytest.skip("SKIP: SEALBUF_FRAME_PRODUCER not set (run through meson test)")
    with tempfile.TemporaryDirectory(prefix="sealbuf-rig-") as d:
        path = os.path.join(d, "frames.sock")
        p = subprocess.Popen([exe, path, str(COUNT), str(WIDTH), str(HEIGHT)])
        t_end = time.monotonic() + 10
        while not os.path.exists(path):
            assert p.poll() is None and time.monotonic() < t_end
            time.sleep(0.01)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        yield s
        s.close()  # the producer exits when we hang up
        assert p.wait(30) == 0


def test_frames_zero_copy(producer):
    pattern = np.arange(WIDTH * HEIGHT, dtype=np.uint32) & 0xFFFF
    with sealbuf.recv(producer, readonly=True, timeout_ms=5000) as region:
        assert region.kind == sealbuf.KIND_RESERVED and not region.writable
        pixels = np.frombuffer(region, dtype=np.uint32)  # the mapped payload itself
        assert not pixels.flags.writeable and not pixels.flags.owndata
        base = pixels.__array_interface__["data"][0]
        seen, torn, last = [], 0, -1
        while last != COUNT - 1:
            region.wait(timeout_ms=5000)  # sleeps (no GIL) until the next publication
            n = region.read() // 4
            frame = pixels[:n].reshape(HEIGHT, WIDTH)  # a view: no copy
            assert frame.__array_interface__["data"][0] == base
            index = int(frame[0, 0] >> 16)
            ok = bool(np.array_equal(frame.ravel() & 0xFFFF, pattern)) and \
                bool(np.all(frame >> 16 == index))
            if not region.read_check():  # the producer began the next one meanwhile
                torn += 1
                continue
            assert ok, f"frame {index} is not whole, yet read_check() passed"
            assert index > last
            seen.append(index)
            last = index
        assert len(seen) >= 2 and seen[-1] == COUNT - 1
        print(f"{len(seen)} frames checked in place, {torn} retried, of {COUNT} published")
