# SPDX-License-Identifier: LGPL-2.1-or-later
# Regions from Python: creating, properties, the buffer protocol, lifetimes, errors.
import errno
import gc
import mmap
import os
import weakref

import numpy as np
import pytest

import sealbuf

PAGE = mmap.PAGESIZE


def test_create_properties():
    with sealbuf.create(10000, name="props") as r:
        assert r.kind == sealbuf.KIND_PLAIN
        assert r.size == r.capacity == 10000
        assert r.mapped_size == 3 * PAGE
        assert r.writable and r.fd >= 0 and r.seq == 0 and not r.closed
        assert "plain" in repr(r)
        assert os.readlink(f"/proc/self/fd/{r.fd}").startswith("/memfd:props")
    assert r.closed and "closed" in repr(r)


@pytest.mark.parametrize("flags", [{}, {"prefault": True}, {"noreserve": True}])
def test_create_flags(flags):
    with sealbuf.create(PAGE, **flags) as r:
        memoryview(r)[:3] = b"abc"
        assert bytes(memoryview(r)[:3]) == b"abc"


def test_empty_region():
    with sealbuf.create(0) as r:
        assert r.size == 0 and r.mapped_size == 0
        assert len(memoryview(r)) == 0
    with sealbuf.reserve(0) as q:
        q.write(b"")
        assert q.snapshot() == b""


def test_reserve_and_mirror_kinds():
    with sealbuf.reserve(PAGE) as q:
        assert q.kind == sealbuf.KIND_RESERVED and q.capacity == PAGE and q.size == 0
        assert q.mapped_size == 2 * PAGE
    src = bytearray(b"x" * 100)
    with sealbuf.mirror(src, name="m") as m:
        assert m.kind == sealbuf.KIND_MIRROR and m.capacity == 100
        assert m.snapshot() == bytes(src)
        with pytest.raises(BufferError):
            src.extend(b"y")  # held while the mirror lives
        src[:3] = b"abc"
        m.update()
        assert m.snapshot()[:3] == b"abc"
        m.clear()
        assert src == bytearray(100)
        m.update()
        assert m.snapshot() == bytes(100)
    src.extend(b"y")  # released with the region


def test_numpy_view_is_zero_copy():
    with sealbuf.create(1 << 20) as r:
        a = np.frombuffer(r, dtype=np.uint32)
        assert not a.flags.owndata and a.flags.writeable
        a[:] = np.arange(a.size, dtype=np.uint32)
        m = memoryview(r).cast("I")
        assert m[12345] == 12345  # the same pages, seen twice
        addr = a.__array_interface__["data"][0]
        b = np.frombuffer(r, dtype=np.uint8)
        assert b.__array_interface__["data"][0] == addr
        del a, b
        m.release()


def test_views_survive_close():
    r = sealbuf.create(PAGE)
    m = memoryview(r)
    a = np.frombuffer(r, dtype=np.uint8)
    m[:5] = b"hello"
    r.close()
    assert r.closed
    with pytest.raises(ValueError):
        r.size
    with pytest.raises(BufferError):
        memoryview(r)
    assert bytes(m[:5]) == b"hello" and bytes(a[:5]) == b"hello"
    m[5:6] = b"!"  # still mapped, still writable
    m.release()
    assert a[5] == ord("!")
    del a  # the last view: now it is unmapped


def test_view_survives_region_drop():
    r = sealbuf.create(PAGE)
    a = np.frombuffer(r, dtype=np.uint8)
    a[0] = 7
    ref = weakref.ref(r)
    del r
    gc.collect()
    assert ref() is None or ref().closed is False  # the view holds the region
    assert a[0] == 7
    del a
    gc.collect()
    assert ref() is None


def test_gc_frees():
    r = sealbuf.create(PAGE)
    ref = weakref.ref(r)
    del r
    assert ref() is None


def test_close_twice_and_closed_ops():
    r = sealbuf.reserve(PAGE)
    r.close()
    r.close()
    for call in (r.snapshot, r.read, r.read_check, r.wait, r.write_begin, r.update,
                 r.clear, r.share, lambda: r.write(b"x"), lambda: r.export()):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        with r:
            pass


def test_readonly_view_of_readonly_region():
    with sealbuf.create(PAGE) as r:
        fd = r.share(readonly=True)
        try:
            with sealbuf.open(fd, PAGE, readonly=True) as ro:
                assert not ro.writable
                m = memoryview(ro)
                assert m.readonly
                with pytest.raises(TypeError):
                    m[0] = 1
                a = np.frombuffer(ro, dtype=np.uint8)
                assert not a.flags.writeable
                with pytest.raises(ValueError):
                    a[0] = 1
                memoryview(r)[0] = 42
                assert a[0] == 42 and m[0] == 42
                with pytest.raises(ValueError):
                    np.frombuffer(ro, dtype=np.uint8).setflags(write=True)
                import ctypes
                with pytest.raises(TypeError):
                    ctypes.c_char.from_buffer(ro)  # asks for a writable buffer
                m.release()
                del a
        finally:
            os.close(fd)


def test_errors_are_oserrors_with_reasons():
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.create(1 << 62)
    e = ei.value
    assert isinstance(e, OSError)
    assert e.errno in (errno.EOVERFLOW, errno.EFBIG, errno.ENOMEM)
    assert e.reason.startswith("SEALBUF_R_")
    assert getattr(sealbuf, e.reason[len("SEALBUF_"):]) == e.reason_code
    assert e.strerror and str(e).startswith(f"[Errno {e.errno}]")
    with pytest.raises(sealbuf.Error) as ei:
        sealbuf.create(1, name="n" * (sealbuf.NAME_MAX + 1))
    assert ei.value.errno == errno.ENAMETOOLONG
    assert ei.value.reason == "SEALBUF_R_NAME_TOO_LONG"


def test_bad_arguments():
    with pytest.raises(ValueError):
        sealbuf.create(-1)
    with pytest.raises(TypeError):
        sealbuf.create("10")
    with pytest.raises(TypeError):
        sealbuf.create(10, name=3)
    with pytest.raises(TypeError):
        sealbuf.mirror(b"read-only bytes")
    with pytest.raises(TypeError):
        sealbuf.open(None, 10)
    with pytest.raises(ValueError):
        sealbuf.open(-1, 10)
    with pytest.raises(TypeError):
        sealbuf.open(True, 10)


def test_wrong_kind_reasons():
    with sealbuf.create(PAGE) as r:
        with pytest.raises(sealbuf.Error) as ei:
            r.write(b"x")
        assert ei.value.reason == "SEALBUF_R_WRONG_KIND"
        with pytest.raises(sealbuf.Error) as ei:
            r.snapshot()
        assert ei.value.errno == errno.EMEDIUMTYPE
        with pytest.raises(sealbuf.Error):
            r.update()


def test_reason_names_and_constants():
    assert sealbuf.reason_name(sealbuf.R_NOT_MEMFD) == "SEALBUF_R_NOT_MEMFD"
    assert sealbuf.reason_name(0) == "SEALBUF_R_NONE"
    assert sealbuf.reason_name(10 ** 6) is None
    assert sealbuf.reason_name(-1) is None
    with pytest.raises(OverflowError):
        sealbuf.reason_name(1 << 80)


def test_set_log():
    got = []
    sealbuf.set_log(lambda *a: got.append(a))
    try:
        with pytest.raises(sealbuf.Error):
            sealbuf.create(1, name="n" * 300)
    finally:
        sealbuf.set_log(None)
    assert got and isinstance(got[0][4], str) and got[0][0] >= 0
    with pytest.raises(TypeError):
        sealbuf.set_log(3)


def test_help_reads_well():
    import pydoc
    text = pydoc.render_doc(sealbuf, renderer=pydoc.plaintext)
    for name in ("create", "reserve", "recv", "snapshot", "wait_async", "Error", "export"):
        assert name in text
    for fn in [getattr(sealbuf, n) for n in dir(sealbuf) if callable(getattr(sealbuf, n))]:
        assert fn.__doc__, fn
    for n in dir(sealbuf.Region):
        if not n.startswith("__"):
            assert getattr(sealbuf.Region, n).__doc__, n
