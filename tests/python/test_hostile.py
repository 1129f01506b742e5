# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile peers, as Python meets them: a C peer's tampered handles are refused
# with the reason the C library gives; raw memfds made in Python; a scribbled header.
import errno
import fcntl
import mmap
import os
import socket
import struct
import subprocess

import pytest

import sealbuf
from conftest import run

PAGE = mmap.PAGESIZE
SEALS_OK = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL


def cases(c_peer_path):
    return run(c_peer_path, "cases").stdout.split()


def test_c_peer_tampered_handles_same_reason(c_peer):
    names = cases(c_peer)
    assert len(names) >= 10
    for case in names:
        want = run(c_peer, "reason", case).stdout.strip()
        assert want.startswith("SEALBUF_R_"), (case, want)
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with a, b:
            p = subprocess.run([c_peer, "send", case, str(a.fileno())], pass_fds=[a.fileno()],
                               timeout=30)
            assert p.returncode == 0
            with pytest.raises(sealbuf.Error) as ei:
                sealbuf.recv(b, timeout_ms=1000)
            assert ei.value.reason == want, case
            assert ei.value.strerror


def raw_memfd(flags=os.MFD_ALLOW_SEALING, seals=SEALS_OK, size=PAGE):
    fd = os.memfd_create("py-hostile", flags | os.MFD_CLOEXEC)
    os.ftruncate(fd, size)
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd


@pytest.mark.parametrize("flags,seals,size,reason", [
    (os.MFD_ALLOW_SEALING, 0, PAGE, "SEALBUF_R_SEALS_MISSING"),
    (os.MFD_ALLOW_SEALING, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL, PAGE, "SEALBUF_R_SEALS_MISSING"),
    (0, 0, PAGE, "SEALBUF_R_NOT_SEALABLE"),
    (os.MFD_ALLOW_SEALING, SEALS_OK, 2 * PAGE, "SEALBUF_R_SIZE_MISMATCH"),
])
def test_raw_memfd_refused(flags, seals, size, reason):
    fd = raw_memfd(flags, seals, size)
    try:
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.open(fd, PAGE)
        assert ei.value.reason == reason
    finally:
        os.close(fd)


def test_raw_memfd_accepted_and_export_checks():
    fd = raw_memfd()
    try:
        with sealbuf.open(fd, PAGE) as r:
            assert r.size == PAGE
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.memfd_export(fd, offset=1)
        assert ei.value.reason in ("SEALBUF_R_MISALIGNED", "SEALBUF_R_NO_UDMABUF")
    finally:
        os.close(fd)
    rd, wr = os.pipe()
    try:
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.open(rd, PAGE)
        assert ei.value.reason == "SEALBUF_R_NOT_MEMFD" and ei.value.errno == errno.EBADFD
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.memfd_export(rd)
        assert ei.value.reason in ("SEALBUF_R_NOT_MEMFD", "SEALBUF_R_NO_UDMABUF")
    finally:
        os.close(rd)
        os.close(wr)


def test_python_crafted_message(pair):
    """A peer that speaks the wire format by hand (docs/wire-format.md) and lies."""
    a, b = pair
    fd = raw_memfd()
    try:
        msg = struct.pack("<IHHIIQQ", 0x46554253, 1, 32, sealbuf.KIND_PLAIN, 0, PAGE, PAGE)
        socket.send_fds(a, [msg], [fd])
        with sealbuf.recv(b, timeout_ms=1000) as r:
            assert r.size == PAGE  # an honest hand-made message is fine
        lie = struct.pack("<IHHIIQQ", 0x46554253, 1, 32, sealbuf.KIND_PLAIN, 0, 4 * PAGE, 4 * PAGE)
        socket.send_fds(a, [lie], [fd])
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.recv(b, timeout_ms=1000)
        assert ei.value.reason == "SEALBUF_R_SIZE_MISMATCH"
        a.send(msg[:20])
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.recv(b, timeout_ms=1000)
        assert ei.value.reason in ("SEALBUF_R_TRUNCATED", "SEALBUF_R_BAD_MESSAGE", "SEALBUF_R_NO_FD")
        future = struct.pack("<IHHIIQQ", 0x46554253, 99, 32, sealbuf.KIND_PLAIN, 0, PAGE, PAGE)
        socket.send_fds(a, [future], [fd])
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.recv(b, timeout_ms=1000)
        assert ei.value.reason == "SEALBUF_R_VERSION"
    finally:
        os.close(fd)


def test_scribbled_header_errors_not_crashes(pair):
    """A writer that scribbles a huge size into the header: readers get errors."""
    a, b = pair
    with sealbuf.reserve(PAGE) as w:
        w.write(b"fine")
        w.send(a)
        with sealbuf.recv(b) as r:
            fd = w.fd
            with mmap.mmap(fd, PAGE) as hdr:  # the header page, as a hostile writer
                old = bytes(hdr[:64])
                for off in range(8, 64, 8):
                    hdr[off:off + 8] = struct.pack("<Q", 1 << 60)
                for call in (r.snapshot, r.read):
                    with pytest.raises(sealbuf.Error) as ei:
                        call()
                    assert ei.value.reason.startswith("SEALBUF_R_")
                hdr[:64] = old


def test_header_magic_checked_at_open():
    fd = raw_memfd(size=2 * PAGE)  # a "reserved" region whose header is zeroes
    try:
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.open(fd, PAGE, kind=sealbuf.KIND_RESERVED)
        assert ei.value.reason == "SEALBUF_R_HEADER_MAGIC"
    finally:
        os.close(fd)
