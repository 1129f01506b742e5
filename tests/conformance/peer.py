#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A sealbuf peer written from docs/wire-format.md and docs/header-format.md
alone, with Python's standard library only: it sends and receives regions
over an AF_UNIX socket as the documents say, against the library on the other
end (tests/conformance/test-conformance.c drives both).

usage: peer.py DATA_FD CONTROL_FD
DATA_FD carries sealbuf messages (SOCK_SEQPACKET); CONTROL_FD (SOCK_STREAM)
carries one line per step: "go STEP" from the test, "ok STEP" or
"fail STEP: why" back."""
import mmap
import os
import socket
import stat
import struct
import sys
import time
import fcntl

# docs/wire-format.md: the message
MAGIC = 0x46554253
VERSION = 1
LENGTH = 32
KIND_PLAIN, KIND_RESERVED, KIND_MIRROR = 1, 2, 3
FLAG_RDONLY = 0x1
WIRE = struct.Struct('<IHHIIQQ')  # magic version length kind flags size file_size

# docs/wire-format.md: the memfd
MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_NOEXEC_SEAL = 0x1, 0x2, 0x8
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
SEAL_SEAL, SEAL_SHRINK, SEAL_GROW, SEAL_WRITE, SEAL_FUTURE_WRITE, SEAL_EXEC = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20)

# docs/header-format.md
HDR_MAGIC = 0x44484253
HDR = struct.Struct('<IHHIIQQQQII8x')  # magic version header_size kind flags capacity payload_offset seq size waiters rdonly_waiters
OFF_SEQ, OFF_SIZE = 32, 40

PAGE = os.sysconf('SC_PAGESIZE')


class Refused(Exception):
    pass


def round_up(n, page=PAGE):
    return (n + page - 1) // page * page


def file_size_of(kind, size):
    return round_up(size) + (0 if kind == KIND_PLAIN else PAGE)


def new_memfd(name, size):
    """A memfd as the document says: MFD_NOEXEC_SEAL where the kernel has it, never F_SEAL_EXEC by hand."""
    try:
        fd = os.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL)
    except OSError:
        fd = os.memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    fcntl.fcntl(fd, F_ADD_SEALS, SEAL_SHRINK | SEAL_GROW)
    return fd


def rdonly_open(fd):
    """For a read-only share: F_SEAL_FUTURE_WRITE first, then an O_RDONLY open of the memfd."""
    fcntl.fcntl(fd, F_ADD_SEALS, SEAL_FUTURE_WRITE)
    return os.open('/proc/self/fd/%d' % fd, os.O_RDONLY | os.O_CLOEXEC)


def send_region(sock, fd, kind, size, rdonly=False):
    file_size = os.fstat(fd).st_size
    msg = WIRE.pack(MAGIC, VERSION, LENGTH, kind, FLAG_RDONLY if rdonly else 0, size, file_size)
    socket.send_fds(sock, [msg], [fd], socket.MSG_NOSIGNAL)


_SHM_DEV = None


def is_memfd(fd):
    """Same device as a memfd of our own (the kernel's shm mount), and named /memfd:."""
    global _SHM_DEV
    if _SHM_DEV is None:
        probe = os.memfd_create('probe', MFD_CLOEXEC)
        _SHM_DEV = os.fstat(probe).st_dev
        os.close(probe)
    st = os.fstat(fd)
    return stat.S_ISREG(st.st_mode) and st.st_dev == _SHM_DEV and \
        os.readlink('/proc/self/fd/%d' % fd).startswith('/memfd:')


def recv_region(sock, want_rdonly):
    """Receive and check one message as the document's table does; return (fd, kind, size, flags)."""
    msg, fds, flags, _ = socket.recv_fds(sock, LENGTH + 1, 4)
    try:
        if flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC) or len(msg) > LENGTH:
            raise Refused('message too long, or control data truncated')
        if len(msg) < LENGTH:
            raise Refused('truncated message (%d bytes)' % len(msg))
        magic, version, length, kind, mflags, size, file_size = WIRE.unpack(msg)
        if magic != MAGIC or version != VERSION or length != LENGTH:
            raise Refused('bad magic, version or length')
        if kind not in (KIND_PLAIN, KIND_RESERVED, KIND_MIRROR) or mflags & ~FLAG_RDONLY:
            raise Refused('bad kind or flags')
        if size > file_size:
            raise Refused('size above file_size')
        if len(fds) != 1:
            raise Refused('%d fds, one expected' % len(fds))
        fd = fds[0]
        if mflags & FLAG_RDONLY and not want_rdonly:
            raise Refused('sent read-only: receive read-only')
        mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        if mflags & FLAG_RDONLY and mode != os.O_RDONLY:
            raise Refused('flagged read-only, but the fd is open for writing')
        if not is_memfd(fd):
            raise Refused('not a memfd')
        seals = fcntl.fcntl(fd, F_GET_SEALS)
        if seals == SEAL_SEAL:
            raise Refused('made without MFD_ALLOW_SEALING')
        if seals & (SEAL_SHRINK | SEAL_GROW) != SEAL_SHRINK | SEAL_GROW:
            raise Refused('seals 0x%x lack SHRINK|GROW' % seals)
        if not want_rdonly and seals & (SEAL_WRITE | SEAL_FUTURE_WRITE):
            raise Refused('write-sealed: read-only only')
        actual = os.fstat(fd).st_size
        if actual != file_size_of(kind, size) or actual != file_size:
            raise Refused('file is %d bytes, message says %d/%d' % (actual, size, file_size))
        return fd, kind, size, mflags
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


def map_fd(fd, length, writable):
    if length == 0:
        return None
    prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
    return mmap.mmap(fd, length, mmap.MAP_SHARED, prot)


def pattern(n, seed):
    return bytes((i * 7 + seed) & 0xff for i in range(n))


# ---- reserved regions: docs/header-format.md ----

def header_init(m, capacity):
    m[0:HDR.size] = HDR.pack(HDR_MAGIC, 1, 64, KIND_RESERVED, 0, capacity, PAGE, 0, 0, 0, 0)


def publish(m, data):
    """The writer's five steps (one writer; Python stores of 8 aligned bytes are whole)."""
    seq = struct.unpack_from('<Q', m, OFF_SEQ)[0]
    u = seq + 1 if seq % 2 == 0 else seq + 2
    struct.pack_into('<Q', m, OFF_SEQ, u)
    m[PAGE:PAGE + len(data)] = data
    struct.pack_into('<Q', m, OFF_SIZE, len(data))
    struct.pack_into('<Q', m, OFF_SEQ, u + 1)
    # waiters/rdonly_waiters non-zero would ask for FUTEX_WAKE; readers here poll (bounded)


def read_consistent(m, capacity, stall_s=1.0):
    """The reader's steps; an odd seq is waited out, at most the stall timeout in all."""
    deadline = time.monotonic() + stall_s
    for _ in range(100):
        s0 = struct.unpack_from('<Q', m, OFF_SEQ)[0]
        if s0 % 2:
            if time.monotonic() > deadline:
                raise Refused('writer stalled')
            time.sleep(0.001)
            continue
        n = struct.unpack_from('<Q', m, OFF_SIZE)[0]
        if n > capacity:
            raise Refused('header size above capacity')
        data = bytes(m[PAGE:PAGE + n])
        if struct.unpack_from('<Q', m, OFF_SEQ)[0] == s0:
            return data, s0
    raise Refused('contended')


def check_header(m, capacity):
    magic, version, hsize, kind, _, cap, poff = HDR.unpack_from(m, 0)[:7]
    if magic != HDR_MAGIC or version != 1 or hsize < 64 or kind not in (2, 3) or \
            cap != capacity or poff != PAGE:
        raise Refused('bad header')


# ---- the steps, in the order test-conformance.c runs them ----

def py_sends_plain(data, ctl):
    fd = new_memfd('from-python', file_size_of(KIND_PLAIN, 3 * PAGE + 100))
    m = map_fd(fd, round_up(3 * PAGE + 100), True)
    m[:3 * PAGE + 100] = pattern(3 * PAGE + 100, 1)
    send_region(data, fd, KIND_PLAIN, 3 * PAGE + 100)
    expect(ctl, 'library wrote')  # the library writes pattern 2 into the first page
    if m[:PAGE] != pattern(PAGE, 2):
        raise Refused('the library\'s write is not in our mapping')
    os.close(fd)


def py_sends_rdonly(data, ctl):
    fd = new_memfd('from-python-ro', PAGE)
    m = map_fd(fd, PAGE, True)
    m[:5] = b'ro-py'
    ro = rdonly_open(fd)
    send_region(data, ro, KIND_PLAIN, PAGE, rdonly=True)  # the library refuses it writable
    send_region(data, ro, KIND_PLAIN, PAGE, rdonly=True)  # and receives it read-only
    m[5:10] = b'-more'  # our mapping made before the seal still writes
    os.close(ro)
    os.close(fd)


def py_sends_empty(data, ctl):
    fd = new_memfd('empty', 0)
    send_region(data, fd, KIND_PLAIN, 0)
    os.close(fd)


def py_sends_reserved(data, ctl):
    cap = 2 * PAGE
    fd = new_memfd('reserved-py', file_size_of(KIND_RESERVED, cap))
    m = map_fd(fd, file_size_of(KIND_RESERVED, cap), True)
    header_init(m, cap)
    publish(m, b'published by python')
    send_region(data, fd, KIND_RESERVED, cap)
    os.close(fd)


def py_receives_plain(data, ctl):
    fd, kind, size, _ = recv_region(data, want_rdonly=False)
    m = map_fd(fd, round_up(size), True)
    os.close(fd)  # the mapping stays
    if kind != KIND_PLAIN or size != 5000 or m[:size] != pattern(size, 3):
        raise Refused('unexpected plain region')
    m[:PAGE] = pattern(PAGE, 4)


def py_receives_rdonly(data, ctl):
    fd, _, size, flags = recv_region(data, want_rdonly=True)
    try:
        if not flags & FLAG_RDONLY:
            raise Refused('not flagged read-only')
        if not fcntl.fcntl(fd, F_GET_SEALS) & SEAL_FUTURE_WRITE:
            raise Refused('a read-only share without F_SEAL_FUTURE_WRITE')
        m = map_fd(fd, round_up(size), False)
        if m[:size] != pattern(size, 5):
            raise Refused('unexpected contents')
        try:  # the route of the 0.1 bug: fchmod, reopen read-write, write
            os.fchmod(fd, 0o600)
            rw = os.open('/proc/self/fd/%d' % fd, os.O_RDWR)
            try:
                os.pwrite(rw, b'X', 0)
                raise Refused('wrote through a read-only handle')
            except PermissionError:
                pass
            finally:
                os.close(rw)
        except PermissionError:
            pass
    finally:
        os.close(fd)


def py_receives_reserved(data, ctl):
    fd, kind, cap, _ = recv_region(data, want_rdonly=True)
    m = map_fd(fd, file_size_of(kind, cap), False)
    os.close(fd)
    check_header(m, cap)
    got, seq = read_consistent(m, cap)
    if got != b'hello from the library' or seq % 2:
        raise Refused('unexpected publication %r' % got)


def py_receives_empty(data, ctl):
    fd, kind, size, _ = recv_region(data, want_rdonly=False)
    os.close(fd)
    if kind != KIND_PLAIN or size != 0:
        raise Refused('not the empty region')


def exec_seal_pitfall(data, ctl):
    """The document's pitfall, shown: F_SEAL_EXEC by hand on a 0777 memfd adds the write seals."""
    fd = os.memfd_create('pitfall', MFD_CLOEXEC | MFD_ALLOW_SEALING)
    try:
        if os.fstat(fd).st_mode & 0o111 == 0:
            return  # the kernel made it non-executable already (vm.memfd_noexec)
        try:
            fcntl.fcntl(fd, F_ADD_SEALS, SEAL_EXEC)
        except OSError:
            return  # a kernel before 6.3 has no F_SEAL_EXEC
        if not fcntl.fcntl(fd, F_GET_SEALS) & SEAL_WRITE:
            raise Refused('F_SEAL_EXEC did not imply F_SEAL_WRITE here: the document is wrong')
    finally:
        os.close(fd)


STEPS = {f.__name__: f for f in (
    py_sends_plain, py_sends_rdonly, py_sends_empty, py_sends_reserved, py_receives_plain,
    py_receives_rdonly, py_receives_reserved, py_receives_empty, exec_seal_pitfall)}


CTL_IN = None  # the control socket's one reader: lines may arrive together


def expect(ctl, what):
    line = CTL_IN.readline().strip()
    if line != 'go ' + what:
        raise Refused('expected "go %s", got "%s"' % (what, line))


def main():
    global CTL_IN
    data = socket.socket(fileno=int(sys.argv[1]))
    ctl = socket.socket(fileno=int(sys.argv[2]))
    CTL_IN = ctl.makefile('r')
    for line in CTL_IN:
        cmd, _, step = line.strip().partition(' ')
        if cmd != 'go' or step not in STEPS:
            break
        try:
            STEPS[step](data, ctl)
            ctl.sendall(b'ok %s\n' % step.encode())
        except Exception as e:  # report, keep going: the test names the step
            ctl.sendall(b'fail %s: %s\n' % (step.encode(), repr(e).encode()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
