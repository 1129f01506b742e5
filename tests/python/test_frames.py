# SPDX-License-Identifier: LGPL-2.1-or-later
# Frames from Python: layouts, frames in regions, planes as numpy arrays with no
# copy, send/recv, hostile descriptions; dma-heaps and sync files where the kernel
# has them (the VM guest: vm-python).
import errno
import mmap
import os
import socket

import numpy as np
import pytest

import sealbuf
from conftest import pages_mapped

PAGE = mmap.PAGESIZE


def test_layout_nv12():
    desc, sizes = sealbuf.frame_layout(sealbuf.FORMAT_NV12, 64, 32)
    assert desc["fourcc"] == sealbuf.FORMAT_NV12 and (desc["width"], desc["height"]) == (64, 32)
    assert desc["nbuffers"] == 1 and len(desc["planes"]) == 2 and len(sizes) == 1
    (b0, s0, o0), (b1, s1, o1) = desc["planes"]
    assert (b0, b1) == (0, 0) and s0 >= 64 and o1 >= s0 * 32 and sizes[0] >= o1 + s1 * 16
    desc2, sizes2 = sealbuf.frame_layout(sealbuf.FORMAT_NV12, 64, 32, buffer_per_plane=True)
    assert desc2["nbuffers"] == 2 and len(sizes2) == 2
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.frame_layout(0x12345678, 64, 32)
    assert ei.value.reason == "SEALBUF_R_FORMAT"
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.frame_layout(sealbuf.FORMAT_NV12, 0, 32)
    assert ei.value.errno == errno.EINVAL


def test_frame_planes_zero_copy_and_send(pair):
    a, b = pair
    desc, _ = sealbuf.frame_layout(sealbuf.FORMAT_XRGB8888, 32, 8)
    stride = desc["planes"][0][1]
    with sealbuf.frame_create(desc, name="py-frame") as f:
        assert "XR24 32x8" in repr(f) and f.desc == desc
        info = f.buffer_info(0)
        assert info.kind == sealbuf.BUFFER_REGION and info.writable and info.size >= stride * 8
        px = np.frombuffer(f.plane(0), dtype=np.uint8)[:stride * 8].reshape(8, stride)
        px[:, :128] = np.arange(128, dtype=np.uint8)
        f.send(a, readonly=True)
        with sealbuf.frame_recv(b, timeout_ms=1000, readonly=True) as g:
            assert g.desc == desc and not g.buffer_info(0).writable
            gp = np.frombuffer(g.plane(0), dtype=np.uint8)[:stride * 8].reshape(8, stride)
            assert not gp.flags.writeable
            assert np.array_equal(gp[:, :128], px[:, :128])
            px[0, 0] = 99  # the same pages
            assert gp[0, 0] == 99
            view = g.plane(0)
        assert view[0] == 99  # a plane view keeps the frame mapped after close
        view.release()
        del gp, px
        with pytest.raises(ValueError):
            f.plane(5)


@pytest.mark.parametrize("readonly", [False, True])
def test_frame_recv_populate(pair, readonly):
    """populate reaches the frame's region: a 1 MiB plane is all mapped at the
    receive with True, not at all with False."""
    a, b = pair
    desc, sizes = sealbuf.frame_layout(sealbuf.FORMAT_XRGB8888, 512, 512)
    assert sizes[0] >= 1 << 20
    with sealbuf.frame_create(desc) as f:
        for populate in (True, False):
            f.send(a, readonly=readonly)
            with sealbuf.frame_recv(b, timeout_ms=1000, readonly=readonly,
                                    populate=populate) as g:
                with g.plane(0) as m:
                    mapped, pages = pages_mapped(m)
                assert pages >= (1 << 20) // PAGE
                assert mapped == (pages if populate else 0)


def test_frame_new_set_region_and_dmabuf_errors(pair):
    desc, sizes = sealbuf.frame_layout(sealbuf.FORMAT_YUYV, 16, 4)
    with sealbuf.frame_new(desc) as f:
        with pytest.raises(ValueError):
            f.plane(0)  # no buffer yet
        r = sealbuf.create(sizes[0])
        m = memoryview(r)
        with pytest.raises(BufferError):
            f.set_region(0, r)  # a region with views cannot be given away
        m.release()
        f.set_region(0, r)
        assert r.closed  # the frame took it
        assert f.buffer_info(0).kind == sealbuf.BUFFER_REGION
        with pytest.raises(sealbuf.Error):
            f.set_region(0, sealbuf.create(sizes[0]))  # already set; the frame took and freed it
    with sealbuf.frame_new(desc) as f, sealbuf.create(PAGE) as r:
        with pytest.raises(sealbuf.Error) as ei:
            f.set_dmabuf(0, r.fd)
        assert ei.value.reason == "SEALBUF_R_NOT_DMABUF"
        os.fstat(r.fd)  # still the region's: the frame had a duplicate


def test_hostile_descriptions():
    good, _ = sealbuf.frame_layout(sealbuf.FORMAT_NV12, 64, 32)
    for bad in ({**good, "planes": [(0, 1, 0), (0, 64, 4096)]},      # stride under the line
                {**good, "planes": [(0, 64, 3), (0, 64, 4096)]},     # misaligned offset
                {**good, "planes": [(5, 64, 0), (0, 64, 4096)]},     # no such buffer
                {**good, "nbuffers": 9},
                {**good, "modifier": 1}):
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.frame_new(bad)
        assert ei.value.reason.startswith("SEALBUF_R_")
    for bad in ([], {"fourcc": 1}, {**good, "planes": 3}, {**good, "planes": [(1, 2)]},
                {**good, "width": -1}, {**good, "planes": [(0, 0, 0)] * 9}):
        with pytest.raises((TypeError, ValueError)):
            sealbuf.frame_new(bad)


def test_frame_recv_refuses_a_region_message(pair):
    a, b = pair
    with sealbuf.create(PAGE) as r:
        r.send(a)
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.frame_recv(b, timeout_ms=1000)
        assert ei.value.reason == "SEALBUF_R_VERSION"
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.frame_recv(b, timeout_ms=0)
    assert ei.value.reason == "SEALBUF_R_WOULD_BLOCK"


def test_heaps_and_sync_files():
    heaps = sealbuf.heap_list()
    assert isinstance(heaps, list)
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.heap_alloc("no-such-heap", PAGE)
    assert ei.value.reason in ("SEALBUF_R_NO_HEAP", "SEALBUF_R_HEAP_DENIED")
    with pytest.raises(ValueError):
        sealbuf.heap_alloc("system", -1)
    with sealbuf.create(PAGE) as r:
        with pytest.raises(sealbuf.Error) as ei:
            sealbuf.dmabuf_export_sync_file(r.fd, sealbuf.SYNC_READ)
        assert ei.value.reason == "SEALBUF_R_NOT_DMABUF"
    if "system" not in heaps:
        assert os.environ.get("SEALBUF_IN_VM") != "1", "the VM guest has the system heap"
        pytest.skip(f"SKIP: no system dma-heap here (heaps: {heaps}); vm-python runs this")
    fd = sealbuf.heap_alloc("system", 3 * PAGE)
    try:
        assert sealbuf.dmabuf_query(fd).size == 3 * PAGE
        try:
            sync = sealbuf.dmabuf_export_sync_file(fd, sealbuf.SYNC_RW)
        except sealbuf.Error as e:
            assert e.reason == "SEALBUF_R_NOT_SUPPORTED"
            assert os.environ.get("SEALBUF_IN_VM") != "1", "the 6.12 guest exports sync files"
            pytest.skip(f"SKIP: no DMA_BUF_IOCTL_EXPORT_SYNC_FILE: {e.strerror}")
        try:
            sealbuf.sync_file_wait(sync, 1000)  # no fences: signalled at once
            sealbuf.dmabuf_import_sync_file(fd, sealbuf.SYNC_READ, sync)
        finally:
            os.close(sync)
        desc, _ = sealbuf.frame_layout(sealbuf.FORMAT_XRGB8888, 16, 16)
        with sealbuf.frame_create(desc, heap="system") as f:
            assert f.buffer_info(0).kind == sealbuf.BUFFER_DMABUF
            assert f.buffer_info(0).exporter == "system"
            np.frombuffer(f.plane(0), dtype=np.uint8)[:4] = 7
    finally:
        os.close(fd)
