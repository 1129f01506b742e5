# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared fixtures of the Python module's tests (meson test sets the paths).
import os
import socket
import subprocess

import pytest

import sealbuf


def _need(var):
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"SKIP: {var} is not set to an executable (run through meson test)")
    return path


@pytest.fixture
def tool():
    """The sealbuf(1) tool built in this tree."""
    return _need("SEALBUF_TOOL")


@pytest.fixture
def c_peer():
    """tests/python/c-peer: a C peer built on the C library."""
    return _need("SEALBUF_C_PEER")


@pytest.fixture
def pair():
    """A SOCK_SEQPACKET socketpair, closed afterwards."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    yield a, b
    a.close()
    b.close()


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def memfd_maps():
    with open("/proc/self/maps") as f:
        return sum(1 for line in f if "/memfd:" in line)


@pytest.fixture(autouse=True)
def no_leak():
    """Every test leaves as many fds and memfd mappings as it found."""
    fds, maps = fd_count(), memfd_maps()
    yield
    import gc
    gc.collect()
    assert fd_count() == fds, "a test leaked an fd"
    assert memfd_maps() == maps, "a test leaked a mapping"


def pages_mapped(buf):
    """(mapped, pages): how many of buf's pages have a page-table entry now
    (/proc/self/pagemap bit 63), without touching them."""
    import mmap
    import struct

    import numpy as np

    view = np.frombuffer(buf, dtype=np.uint8)  # its address, read-only buffers too
    first = view.ctypes.data // mmap.PAGESIZE
    n = (view.ctypes.data + view.nbytes - 1) // mmap.PAGESIZE - first + 1
    with open("/proc/self/pagemap", "rb") as f:
        f.seek(first * 8)
        entries = struct.unpack(f"{n}Q", f.read(n * 8))
    return sum(e >> 63 for e in entries), n


def run(*args, **kw):
    kw.setdefault("timeout", 60)
    return subprocess.run(args, capture_output=True, text=True, **kw)


def reason_of(exc_info):
    return exc_info.value.reason
