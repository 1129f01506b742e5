# SPDX-License-Identifier: LGPL-2.1-or-later
# Interop both ways with the C library: the sealbuf(1) tool and tests/python/c-peer.
import os
import socket
import subprocess
import tempfile
import time

import pytest

import sealbuf
from conftest import run


@pytest.fixture
def sockdir():
    with tempfile.TemporaryDirectory(prefix="sealbuf-py-") as d:
        yield d


def wait_path(path, proc, timeout=10):
    t_end = time.monotonic() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < t_end, f"{path} never appeared"
        time.sleep(0.01)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s


def test_cli_offer_python_recv(tool, sockdir):
    path = os.path.join(sockdir, "s")
    data = os.urandom(10000)
    p = subprocess.Popen([tool, "offer", "--socket", path, "--timeout", "10000", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(data)
    p.stdin.close()
    wait_path(path, p)
    with connect(path) as s, sealbuf.recv(s, timeout_ms=5000) as r:
        assert bytes(memoryview(r)[:len(data)]) == data
    assert p.wait(30) == 0


def test_cli_offer_reserved_python_snapshot(tool, sockdir):
    path = os.path.join(sockdir, "s")
    p = subprocess.Popen([tool, "offer", "--socket", path, "--reserve", "--read-only",
                          "--timeout", "10000", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdin.write(b"published by C")
    p.stdin.close()
    wait_path(path, p)
    with connect(path) as s, sealbuf.recv(s, timeout_ms=5000, readonly=True) as r:
        assert r.kind == sealbuf.KIND_RESERVED and not r.writable
        assert r.snapshot() == b"published by C"
    assert p.wait(30) == 0


def test_python_offer_cli_write(tool, sockdir):
    """sealbuf write receives a Python region and writes into it."""
    path = os.path.join(sockdir, "s")
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as ls, sealbuf.create(4096) as r:
        ls.bind(path)
        ls.listen(1)
        p = subprocess.Popen([tool, "write", "--socket", path, "--offset", "5", "-"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdin.write(b"from C")
        p.stdin.close()
        c, _ = ls.accept()
        with c:
            r.send(c)
            assert p.wait(30) == 0, p.stderr.read()
        assert bytes(memoryview(r)[5:11]) == b"from C"


def test_python_send_cli_recv_dump(tool, sockdir):
    path = os.path.join(sockdir, "s")
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as ls, sealbuf.reserve(8192) as q:
        ls.bind(path)
        ls.listen(1)
        q.write(b"python publication")
        p = subprocess.Popen([tool, "recv", "--socket", path, "--dump", "--timeout", "10000"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        c, _ = ls.accept()
        with c:
            q.send(c, readonly=True)
            out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        assert out == b"python publication"


def test_cli_dump_python_fd(tool):
    with sealbuf.create(4096) as r:
        memoryview(r)[:6] = b"dump\x00!"
        fd = r.share(readonly=True)
        try:
            p = subprocess.run([tool, "dump", "--fd", str(fd), "--length", "6"],
                               pass_fds=[fd], capture_output=True, timeout=30)
        finally:
            os.close(fd)
        assert p.returncode == 0, p.stderr
        assert p.stdout == b"dump\x00!"


def test_c_peer_recv_from_python(c_peer, pair):
    a, b = pair
    with sealbuf.reserve(4096) as q:
        q.write(bytes(range(20)))
        q.send(a, readonly=True)
        p = run(c_peer, "recv", str(b.fileno()), pass_fds=[b.fileno()])
        kind, size, cap, seq, head = p.stdout.split()
        assert (int(kind), int(size), int(cap), int(seq)) == (sealbuf.KIND_RESERVED, 20, 4096, q.seq)
        assert bytes.fromhex(head) == bytes(range(16))
    with sealbuf.create(100) as r:
        memoryview(r)[:4] = b"\x01\x02\x03\x04"
        r.send(a)
        p = run(c_peer, "recv", str(b.fileno()), pass_fds=[b.fileno()])
        assert p.stdout.split()[:2] == [str(sealbuf.KIND_PLAIN), "100"]
        assert p.stdout.split()[4].startswith("01020304")
