# SPDX-License-Identifier: LGPL-2.1-or-later
# The 1.0 additions from Python: freeze, windows (and nomap), the sender's identity.
import errno
import mmap
import os
import socket

import numpy as np
import pytest

import sealbuf

PAGE = mmap.PAGESIZE


def test_freeze():
    with sealbuf.create(2 * PAGE) as r:
        memoryview(r)[:6] = b"frozen"
        m = memoryview(r)
        with pytest.raises(BufferError):
            r.freeze()  # a writable view would fault after it
        m.release()
        r.freeze()
        r.freeze()  # twice is fine
        assert not r.writable
        v = memoryview(r)
        assert v.readonly and bytes(v[:6]) == b"frozen"
        v.release()
        fd = r.share()  # a frozen region's handles are all read-only
        try:
            with pytest.raises(sealbuf.Error) as ei:
                sealbuf.open(fd, 2 * PAGE)
            assert ei.value.reason == "SEALBUF_R_ACCESS_MODE"
        finally:
            os.close(fd)
        fd = r.share(readonly=True)
        try:
            with sealbuf.open(fd, 2 * PAGE, readonly=True) as ro:
                assert bytes(memoryview(ro)[:6]) == b"frozen"
        finally:
            os.close(fd)


def test_frozen_reserved_and_mirror_refuse_writes():
    with sealbuf.reserve(PAGE) as q:
        q.write(b"last")
        q.freeze()
        for call in (lambda: q.write(b"x"), q.write_begin):
            with pytest.raises(sealbuf.Error) as ei:
                call()
            assert ei.value.reason == "SEALBUF_R_FROZEN"
        assert q.snapshot() == b"last"
    src = bytearray(64)
    with sealbuf.mirror(src) as m:
        m.freeze()
        with pytest.raises(sealbuf.Error) as ei:
            m.update()  # its mapping is read-only now: an error, not a fault
        assert ei.value.reason == "SEALBUF_R_FROZEN" and ei.value.errno == errno.EROFS


def test_freeze_refused_while_peer_maps_writable(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a)
        with sealbuf.recv(b) as p:
            assert p.writable
            with pytest.raises(sealbuf.Error) as ei:
                r.freeze()
            assert ei.value.reason == "SEALBUF_R_WRITABLE_MAPPING"
            assert ei.value.errno == errno.EBUSY
            memoryview(r)[0] = 1  # writable again after the refusal
        r.freeze()


def test_windows():
    with sealbuf.create(4 * PAGE) as r:
        a = np.frombuffer(r, dtype=np.uint8)
        a[:] = np.arange(4 * PAGE, dtype=np.uint32).astype(np.uint8)
        w = r.window(PAGE, 2 * PAGE)
        assert w.size == 2 * PAGE and not w.readonly and "read-write" in repr(w)
        wv = np.frombuffer(w, dtype=np.uint8)
        assert np.array_equal(wv, a[PAGE:3 * PAGE])
        wv[0] = 200  # the same pages
        assert a[PAGE] == 200
        with pytest.raises(sealbuf.Error) as ei:
            r.window(1)
        assert ei.value.reason == "SEALBUF_R_MISALIGNED"
        with pytest.raises(sealbuf.Error) as ei:
            r.window(8 * PAGE)
        assert ei.value.reason == "SEALBUF_R_RANGE"
        with pytest.raises(ValueError):
            r.window(-1)
        del a
    w.close()  # the window outlived its region; its view outlives it
    assert w.closed and wv[0] == 200
    with pytest.raises(BufferError):
        memoryview(w)
    del wv
    with sealbuf.reserve(2 * PAGE) as q:
        q.write(b"payload")
        with q.window(payload=True, readonly=True) as pw:
            assert bytes(memoryview(pw)[:7]) == b"payload" and memoryview(pw).readonly


def test_nomap_and_windows(pair):
    a, b = pair
    with sealbuf.create(8 * PAGE) as r:
        memoryview(r)[5 * PAGE:5 * PAGE + 3] = b"far"
        r.send(a, readonly=True)
        with sealbuf.recv(b, readonly=True, nomap=True) as p:
            assert p.mapped_size == 0 and len(memoryview(p)) == 0  # nothing mapped
            with pytest.raises(sealbuf.Error) as ei:
                p.window(5 * PAGE, PAGE)  # a read-only region needs readonly windows
            assert ei.value.reason == "SEALBUF_R_READ_ONLY"
            with p.window(5 * PAGE, PAGE, readonly=True) as w:
                assert bytes(memoryview(w)[:3]) == b"far"
        fd = r.share(readonly=True)
        try:
            with sealbuf.open(fd, 8 * PAGE, readonly=True, nomap=True) as o:
                assert o.mapped_size == 0
        finally:
            os.close(fd)


def test_peer_identity(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a)
        with sealbuf.recv(b, same_uid=True) as p:
            peer = p.peer
            assert peer.pid == os.getpid() and peer.uid == os.geteuid()
            assert peer.gid == os.getegid() and peer.pidfd == -1
            assert peer.source == sealbuf.PEER_SOCKET
        assert r.peer is None
        r.send(a)
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.recv(b, allow_uids=[os.geteuid() + 12345])
        assert ei.value.reason == "SEALBUF_R_PEER_REFUSED" and ei.value.errno == errno.EACCES
        r.send(a)
        with sealbuf.recv(b, allow_uids=(os.geteuid(),)) as p:
            assert p.peer.uid == os.geteuid()
        with pytest.raises(TypeError):
            sealbuf.recv(b, allow_uids=5)
        with pytest.raises(ValueError):
            sealbuf.recv(b, allow_uids=[-1])
        with pytest.raises(ValueError):
            sealbuf.recv(b, allow_uids=[1 << 32])


def test_peer_pidfd(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a)
        try:
            p = sealbuf.recv(b, peer_pidfd=True)
        except sealbuf.Error as e:  # SO_PEERPIDFD is new in 6.5
            assert e.reason == "SEALBUF_R_NOT_SUPPORTED", e
            pytest.skip(f"SKIP: no SO_PEERPIDFD on this kernel: {e.strerror}")
        with p:
            assert p.peer.pidfd >= 0
            os.close(p.peer.pidfd)


def test_so_passcred_names_the_sender(pair):
    a, b = pair
    b.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    with sealbuf.create(PAGE) as r:
        r.send(a)
        with sealbuf.recv(b, same_uid=True) as p:
            assert p.peer.source == sealbuf.PEER_MESSAGE and p.peer.pid == os.getpid()
