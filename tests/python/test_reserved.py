# SPDX-License-Identifier: LGPL-2.1-or-later
# Reserved regions from Python: publish, snapshot, in-place reads, waits (GIL, asyncio).
import asyncio
import errno
import mmap
import threading
import time

import numpy as np
import pytest

import sealbuf

PAGE = mmap.PAGESIZE


@pytest.fixture
def q():
    with sealbuf.reserve(64 * 1024, name="pub") as r:
        yield r


def test_write_snapshot(q):
    q.write(b"hello")
    seq = q.seq
    assert seq > 0 and seq % 2 == 0 and q.size == 5
    assert q.snapshot() == b"hello"
    q.write(bytearray(b"x" * 1000))
    assert q.seq > seq and q.snapshot() == b"x" * 1000
    q.write(np.arange(10, dtype=np.uint8))
    assert q.snapshot() == bytes(range(10))


def test_snapshot_into(q):
    q.write(b"abcdef")
    out = bytearray(100)
    assert q.snapshot(out) == 6 and out[:6] == b"abcdef"
    a = np.zeros(16, dtype=np.uint8)
    assert q.snapshot(out=a) == 6 and bytes(a[:6]) == b"abcdef"
    small = bytearray(3)
    with pytest.raises(sealbuf.Error) as ei:
        q.snapshot(small)
    assert ei.value.reason == "SEALBUF_R_BUFFER_TOO_SMALL" and ei.value.errno == errno.ENOBUFS
    with pytest.raises(TypeError):
        q.snapshot(b"read-only")
    with pytest.raises(ValueError):
        q.snapshot(memoryview(q))  # into itself


def test_too_large(q):
    with pytest.raises(sealbuf.Error) as ei:
        q.write(bytes(q.capacity + 1))
    assert ei.value.reason == "SEALBUF_R_TOO_LARGE"


def test_in_place_read(q):
    q.write(b"frame-1")
    n = q.read()
    assert n == 7 and q.size == 7
    view = np.frombuffer(q, dtype=np.uint8, count=n)
    assert bytes(view) == b"frame-1" and q.read_check()
    q.write_begin()
    view[:3] = (1, 2, 3)  # the writer fills the payload in place
    q.write_end(3)
    assert q.snapshot() == bytes([1, 2, 3])
    del view


def test_read_check_sees_torn(pair):
    a, b = pair
    with sealbuf.reserve(PAGE) as w:
        w.write(b"one")
        w.send(a)
        with sealbuf.recv(b) as r:
            assert r.read() == 3 and r.read_check()
            w.write_begin()
            assert r.read_check() is False  # an update began: maybe torn
            memoryview(w)[:3] = b"two"
            w.write_end(3)
            assert r.read() == 3 and bytes(memoryview(r)[:3]) == b"two" and r.read_check()


def test_write_begin_end_errors(q):
    q.write_begin()
    with pytest.raises(sealbuf.Error) as ei:
        q.write_begin()
    assert ei.value.errno == errno.EINVAL
    with pytest.raises(ValueError):
        q.write_end(-1)
    with pytest.raises(sealbuf.Error) as ei:
        q.write_end(q.capacity + 1)
    assert ei.value.reason == "SEALBUF_R_TOO_LARGE"
    q.write_end(0)
    with pytest.raises(sealbuf.Error):
        q.write_end(0)


def test_wait_returns_new_seq(q):
    q.write(b"a")
    seen = q.seq
    with pytest.raises(sealbuf.Error) as ei:
        q.wait(seen, 0)
    assert ei.value.reason == "SEALBUF_R_WOULD_BLOCK"
    with pytest.raises(sealbuf.Error) as ei:
        q.wait(seen, 50)
    assert ei.value.reason == "SEALBUF_R_TIMEOUT" and ei.value.errno == errno.ETIMEDOUT
    assert q.wait(seen - 2, 0) == seen  # published since: at once
    with pytest.raises(TypeError):
        q.wait("x")
    with pytest.raises(ValueError):
        q.wait(-1)


def test_wait_releases_gil(pair):
    """A thread runs Python code while the main thread sleeps in wait()."""
    a, b = pair
    with sealbuf.reserve(PAGE) as w:
        w.write(b"0")
        w.send(a)
        with sealbuf.recv(b) as r:
            r.read()
            counted = []

            def writer():
                n = 0
                t_end = time.monotonic() + 0.4
                while time.monotonic() < t_end:  # pure Python: needs the GIL
                    n += 1
                counted.append(n)
                w.write(b"1")

            t = threading.Thread(target=writer)
            t.start()
            seq = r.wait(timeout_ms=10000)
            t.join()
            assert counted and counted[0] > 1000
            assert seq == w.seq and r.snapshot() == b"1"


def test_wait_same_region_two_threads(q):
    """One Region object: a thread writes while another waits on it."""
    q.write(b"x")
    seen = q.seq
    t = threading.Timer(0.2, q.write, args=(b"y",))
    t.start()
    got = q.wait(seen, 5000)
    t.join()
    assert got > seen


def test_wait_interrupted_by_close(q):
    q.write(b"x")
    threading.Timer(0.2, q.close).start()
    with pytest.raises(ValueError):
        q.wait(timeout_ms=5000)


def test_wait_async(q):
    q.write(b"x")

    async def main():
        fut = q.wait_async()
        loop = asyncio.get_running_loop()
        loop.call_later(0.1, q.write, b"y")
        ticks = 0
        while not fut.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return await fut, ticks

    seq, ticks = asyncio.run(main())
    assert seq == q.seq and ticks > 3
    with pytest.raises(RuntimeError):
        q.wait_async()  # no running loop

    async def timeout():
        return await q.wait_async(timeout_ms=20)

    with pytest.raises(sealbuf.Error) as ei:
        asyncio.run(timeout())
    assert ei.value.reason == "SEALBUF_R_TIMEOUT"


def test_stall_timeout(pair):
    a, b = pair
    with sealbuf.reserve(PAGE) as w:
        w.write(b"x")
        w.send(a)
        with sealbuf.recv(b) as r:
            r.set_stall_timeout(100)
            w.write_begin()  # a writer that never finishes
            t0 = time.monotonic()
            with pytest.raises(sealbuf.Error) as ei:
                r.snapshot()
            assert ei.value.reason == "SEALBUF_R_WRITER_STALLED"
            assert ei.value.errno == errno.EOWNERDEAD
            assert time.monotonic() - t0 < 5
            with pytest.raises(sealbuf.Error) as ei:
                r.wait(timeout_ms=5000)
            assert ei.value.reason == "SEALBUF_R_WRITER_STALLED"
            w.write_end(1)
            assert r.snapshot() == b"x"
            r.set_stall_timeout(0)
            with pytest.raises(sealbuf.Error) as ei:
                r.set_stall_timeout(-5)
            assert ei.value.errno == errno.EINVAL
            with pytest.raises(TypeError):
                r.set_stall_timeout(1.5)


def test_readonly_reader_cannot_write(pair):
    a, b = pair
    with sealbuf.reserve(PAGE) as w:
        w.send(a, readonly=True)
        with sealbuf.recv(b, readonly=True) as r:
            with pytest.raises(sealbuf.Error) as ei:
                r.write(b"x")
            assert ei.value.reason == "SEALBUF_R_READ_ONLY" and ei.value.errno == errno.EROFS
            w.write(b"ok")
            assert r.wait(0, 1000) == w.seq and r.snapshot() == b"ok"
