# SPDX-License-Identifier: LGPL-2.1-or-later
# Sharing from Python: send/recv over socket objects and raw fds, share/open, timeouts.
import errno
import mmap
import os
import socket
import threading
import time

import pytest

import sealbuf
from conftest import pages_mapped

PAGE = mmap.PAGESIZE


@pytest.mark.parametrize("kind", [socket.SOCK_SEQPACKET, socket.SOCK_STREAM, socket.SOCK_DGRAM])
def test_send_recv_socket_objects(kind):
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    with a, b, sealbuf.create(PAGE, name="ipc") as r:
        memoryview(r)[:4] = b"ping"
        r.send(a)
        with sealbuf.recv(b, timeout_ms=1000) as p:
            assert p.writable and p.fd == -1 and p.size == PAGE
            assert bytes(memoryview(p)[:4]) == b"ping"
            memoryview(p)[:4] = b"pong"  # the same pages
            assert bytes(memoryview(r)[:4]) == b"pong"


def test_send_recv_raw_fds(pair):
    a, b = pair
    with sealbuf.reserve(PAGE) as q:
        q.write(b"abc")
        q.send(a.fileno(), readonly=True)
        with sealbuf.recv(b.fileno(), readonly=True, keep_handle=True) as p:
            assert not p.writable and p.fd >= 0 and p.kind == sealbuf.KIND_RESERVED
            assert p.snapshot() == b"abc" and p.seq == q.seq


def test_readonly_handle_refused_writable(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a, readonly=True)
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.recv(b, timeout_ms=1000)
        assert ei.value.reason == "SEALBUF_R_ACCESS_MODE"
        assert ei.value.errno == errno.EACCES


def test_share_open():
    with sealbuf.create(3 * PAGE) as r:
        fd = r.share()
        try:
            with sealbuf.open(fd, 3 * PAGE, keep_handle=True) as o:
                assert o.fd >= 0 and o.fd != fd
            os.fstat(fd)  # still ours: open() works on a duplicate
            with pytest.raises(sealbuf.Error) as ei:
                sealbuf.open(fd, 2 * PAGE)
            assert ei.value.reason == "SEALBUF_R_SIZE_MISMATCH"
            with pytest.raises(sealbuf.Error) as ei:
                sealbuf.open(fd, 3 * PAGE, kind=sealbuf.KIND_RESERVED)
            assert ei.value.reason.startswith("SEALBUF_R_")
        finally:
            os.close(fd)


@pytest.mark.parametrize("readonly", [False, True])
def test_recv_populate(pair, readonly):
    """populate=True maps every page of 1 MiB at the receive, False none,
    whatever the default would do for this mapping."""
    a, b = pair
    with sealbuf.create(1 << 20) as r:
        for populate in (True, False):
            r.send(a, readonly=readonly)
            with sealbuf.recv(b, timeout_ms=1000, readonly=readonly, populate=populate) as p:
                with memoryview(p) as m:
                    mapped, pages = pages_mapped(m)
                assert pages == (1 << 20) // PAGE
                assert mapped == (pages if populate else 0)


def test_open_populate():
    with sealbuf.create(1 << 20) as r:
        fd = r.share()
        try:
            for populate in (True, False):
                with sealbuf.open(fd, 1 << 20, populate=populate) as o, memoryview(o) as m:
                    mapped, pages = pages_mapped(m)
                assert pages == (1 << 20) // PAGE
                assert mapped == (pages if populate else 0)
        finally:
            os.close(fd)


def test_populate_must_be_bool_or_none(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        fd = r.share()
        try:
            for bad in ("yes", 1, 0):
                with pytest.raises(TypeError):
                    sealbuf.open(fd, PAGE, populate=bad)
                with pytest.raises(TypeError):
                    sealbuf.recv(b, timeout_ms=0, populate=bad)
                with pytest.raises(TypeError):
                    sealbuf.frame_recv(b, timeout_ms=0, populate=bad)
            with sealbuf.open(fd, PAGE, populate=None):
                pass
        finally:
            os.close(fd)


def test_received_region_needs_keep_handle_to_share(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a)
        with sealbuf.recv(b) as p:
            with pytest.raises(sealbuf.Error) as ei:
                p.share()
            assert ei.value.reason == "SEALBUF_R_NO_HANDLE"


def test_recv_timeouts(pair):
    a, b = pair
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.recv(b, timeout_ms=0)
    assert ei.value.reason == "SEALBUF_R_WOULD_BLOCK" and ei.value.errno == errno.EAGAIN
    t0 = time.monotonic()
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.recv(b, timeout_ms=1500)
    assert ei.value.reason == "SEALBUF_R_TIMEOUT" and ei.value.errno == errno.ETIMEDOUT
    assert time.monotonic() - t0 >= 1.4


def test_recv_forever_releases_gil_and_gets_late_sender(pair):
    a, b = pair
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    def sender():
        time.sleep(0.5)
        with sealbuf.create(PAGE) as r:
            r.send(a)

    threads = [threading.Thread(target=ticker), threading.Thread(target=sender)]
    for t in threads:
        t.start()
    with sealbuf.recv(b) as p:
        assert p.size == PAGE
    stop.set()
    for t in threads:
        t.join()
    assert len(ticks) > 10


def test_peer_closed(pair):
    a, b = pair
    a.close()
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.recv(b, timeout_ms=1000)
    assert ei.value.reason == "SEALBUF_R_PEER_CLOSED"
    with sealbuf.create(PAGE) as r:
        with pytest.raises(sealbuf.Error) as ei:
            r.send(b)
        assert ei.value.errno in (errno.EPIPE, errno.ECONNRESET)


def test_not_a_socket():
    rd, wr = os.pipe()
    try:
        with sealbuf.create(PAGE) as r:
            with pytest.raises(sealbuf.Error) as ei:
                r.send(wr)
            assert ei.value.errno == errno.ENOTSOCK
    finally:
        os.close(rd)
        os.close(wr)
