# SPDX-License-Identifier: LGPL-2.1-or-later
# dma-bufs from Python: export, read back through the dma-buf's own mapping, sync,
# query, name, split and list exports, DRM import. Needs /dev/udmabuf: the 'vm'
# suite runs this file in a guest booting Debian's 6.12 kernel (vm-python); on a
# host without udmabuf those tests skip and say why.
import errno
import mmap
import os

import pytest

import sealbuf

PAGE = mmap.PAGESIZE
IN_VM = os.environ.get("SEALBUF_IN_VM") == "1"


@pytest.fixture
def udmabuf():
    try:
        sealbuf.udmabuf_check()
    except sealbuf.Error as e:
        assert not IN_VM, f"the VM guest must have udmabuf: {e}"
        pytest.skip(f"SKIP: {e.reason}: {e.strerror} (the vm suite runs this: vm-python)")


def test_no_udmabuf_reason_or_info():
    info = sealbuf.udmabuf_query()
    assert info.present == bool(info.state & sealbuf.UDMABUF_PRESENT)
    if info.accessible:
        assert info.size_limit == info.size_limit_mb << 20 and info.list_limit > 0
        return
    with sealbuf.create(PAGE) as r:
        with pytest.raises(sealbuf.Error) as ei:
            r.export()
        assert ei.value.reason in ("SEALBUF_R_NO_UDMABUF", "SEALBUF_R_UDMABUF_DENIED")


def test_not_a_dmabuf():
    with sealbuf.create(PAGE) as r:
        for call in (lambda: sealbuf.dmabuf_query(r.fd),
                     lambda: sealbuf.dmabuf_sync_begin(r.fd, sealbuf.SYNC_READ),
                     lambda: sealbuf.dmabuf_sync_end(r.fd, sealbuf.SYNC_READ),
                     lambda: sealbuf.dmabuf_set_name(r.fd, "x")):
            with pytest.raises(sealbuf.Error) as ei:
                call()
            assert ei.value.reason == "SEALBUF_R_NOT_DMABUF" and ei.value.errno == errno.EBADFD
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.dmabuf_sync_begin(0, 0)
    assert ei.value.errno == errno.EINVAL


def test_export_checks_before_udmabuf():
    with sealbuf.create(2 * PAGE) as r:
        fd = r.share(readonly=True)
        try:
            with sealbuf.open(fd, 2 * PAGE, readonly=True, keep_handle=True) as ro:
                with pytest.raises(sealbuf.Error) as ei:
                    ro.export()
                assert ei.value.reason in ("SEALBUF_R_READ_ONLY", "SEALBUF_R_NO_UDMABUF")
        finally:
            os.close(fd)
        with pytest.raises(ValueError):
            r.export(offset=-1)
        with pytest.raises(TypeError):
            r.export(length="1")


def test_export_read_back(udmabuf):
    with sealbuf.create(4 * PAGE, name="py-export") as r:
        src = os.urandom(4 * PAGE)
        memoryview(r)[:] = src
        fd = r.export(name="py-dmabuf")
    try:  # the dma-buf keeps the pages after the region is closed
        info = sealbuf.dmabuf_query(fd)
        assert info.size == 4 * PAGE and info.exporter == "udmabuf" and info.name == "py-dmabuf"
        sealbuf.dmabuf_set_name(fd, "renamed")
        assert sealbuf.dmabuf_query(fd).name == "renamed"
        with mmap.mmap(fd, 4 * PAGE) as m:
            sealbuf.dmabuf_sync_begin(fd, sealbuf.SYNC_RW)
            assert m[:] == src
            m[:4] = b"back"
            sealbuf.dmabuf_sync_end(fd, sealbuf.SYNC_RW)
    finally:
        os.close(fd)


def test_export_shares_pages_both_ways(udmabuf):
    with sealbuf.create(2 * PAGE) as r:
        fd = r.export(offset=PAGE, length=PAGE)
        try:
            with mmap.mmap(fd, PAGE) as m:
                memoryview(r)[PAGE:PAGE + 5] = b"hello"
                sealbuf.dmabuf_sync_begin(fd, sealbuf.SYNC_READ)
                assert m[:5] == b"hello"
                sealbuf.dmabuf_sync_end(fd, sealbuf.SYNC_READ)
                sealbuf.dmabuf_sync_begin(fd, sealbuf.SYNC_WRITE)
                m[5:8] = b"!!!"
                sealbuf.dmabuf_sync_end(fd, sealbuf.SYNC_WRITE)
                assert bytes(memoryview(r)[PAGE:PAGE + 8]) == b"hello!!!"
        finally:
            os.close(fd)
        with pytest.raises(sealbuf.Error) as ei:
            r.export(offset=1)
        assert ei.value.reason == "SEALBUF_R_MISALIGNED"
        with pytest.raises(sealbuf.Error) as ei:
            r.export(offset=4 * PAGE)
        assert ei.value.reason == "SEALBUF_R_RANGE"


def test_export_payload_of_published_frame(udmabuf):
    with sealbuf.reserve(2 * PAGE) as q:
        q.write(b"frame")
        fd = q.export(payload=True)
        try:
            assert sealbuf.dmabuf_query(fd).size == 2 * PAGE
            with mmap.mmap(fd, 2 * PAGE, prot=mmap.PROT_READ) as m:
                assert m[:5] == b"frame"
        finally:
            os.close(fd)
    with sealbuf.create(PAGE) as r, pytest.raises(sealbuf.Error) as ei:
        r.export(payload=True)
    assert ei.value.reason == "SEALBUF_R_WRONG_KIND"


def test_export_received_region_needs_handle(udmabuf, pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a)
        r.send(a)
        with sealbuf.recv(b) as p, pytest.raises(sealbuf.Error) as ei:
            p.export()
        assert ei.value.reason == "SEALBUF_R_NO_HANDLE"
        with sealbuf.recv(b, keep_handle=True) as p:
            os.close(p.export())


def test_export_split_and_list(udmabuf):
    with sealbuf.create(2 * PAGE) as r1, sealbuf.create(PAGE) as r2:
        memoryview(r1)[:2] = b"r1"
        memoryview(r2)[:2] = b"r2"
        fds = r1.export_split()
        assert len(fds) >= 1
        for fd in fds:
            os.close(fd)
        fd = sealbuf.export_list([r1, (r2, 0, PAGE)], name="list")
        try:
            assert sealbuf.dmabuf_query(fd).size == 3 * PAGE
            with mmap.mmap(fd, 3 * PAGE) as m:
                assert m[:2] == b"r1" and m[2 * PAGE:2 * PAGE + 2] == b"r2"
        finally:
            os.close(fd)
        fds = sealbuf.export_list_split([r1, r2])
        assert fds
        for fd in fds:
            os.close(fd)
        with pytest.raises(sealbuf.Error):
            sealbuf.export_list([])
        with pytest.raises(TypeError):
            sealbuf.export_list([1])


def test_memfd_export(udmabuf):
    import fcntl
    mfd = os.memfd_create("py-raw", os.MFD_ALLOW_SEALING | os.MFD_CLOEXEC)
    try:
        os.ftruncate(mfd, PAGE)
        os.pwrite(mfd, b"raw", 0)
        fcntl.fcntl(mfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
        fd = sealbuf.memfd_export(mfd, name="raw")
        try:
            with mmap.mmap(fd, PAGE) as m:
                assert m[:3] == b"raw"
        finally:
            os.close(fd)
    finally:
        os.close(mfd)


def test_drm_import(udmabuf):
    try:
        drm = sealbuf.drm_open("vgem")
    except sealbuf.Error as e:
        assert not IN_VM, f"the VM guest loads vgem: {e}"
        pytest.skip(f"SKIP: no vgem here: {e.reason}")
    try:
        with sealbuf.create(PAGE) as r:
            fd = r.export()
            try:
                h = sealbuf.drm_import(drm, fd)
                assert h > 0 and sealbuf.drm_import(drm, fd) == h
                sealbuf.drm_release(drm, h)
            finally:
                os.close(fd)
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.drm_release(drm, 12345)
        assert ei.value.errno == errno.EINVAL
    finally:
        os.close(drm)


def test_dmabuf_pins_block_freeze_and_readonly_share(udmabuf):
    """A dma-buf's pins make freeze EBUSY; after a read-only share no new dma-buf."""
    with sealbuf.create(PAGE) as r:
        fd = r.export()
        try:
            with pytest.raises(sealbuf.Error) as ei:
                r.freeze()
            assert ei.value.reason == "SEALBUF_R_WRITABLE_MAPPING"
            assert ei.value.errno == errno.EBUSY
        finally:
            os.close(fd)
        ro = r.share(readonly=True)
        os.close(ro)
        with pytest.raises(sealbuf.Error) as ei:
            r.export()
        assert ei.value.reason == "SEALBUF_R_SHARED_READ_ONLY"
