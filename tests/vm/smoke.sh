#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Smoke test of the VM guest, run through the harness:
#   tools/vm/run --modules vgem,vivid --env SMOKE_PWD="$PWD" -- tests/vm/smoke.sh
# Checks what kernel tests rely on: udmabuf, vgem, vivid, writable /tmp and /dev/shm, the caller's
# directory and environment, and a 64 MiB udmabuf made from a sealed memfd.
set -u
failed=0
check() {  # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@" >/dev/null 2>&1; then echo "ok - $desc"; else echo "not ok - $desc"; failed=1; fi
}

[ "${SEALBUF_IN_VM:-}" = 1 ] || { echo "not in the VM: run me through tools/vm/run" >&2; exit 77; }
check "runs as root" test "$(id -u)" = 0
check "in the caller's directory" test "$PWD" = "${SMOKE_PWD:-unset}"
check "/dev/udmabuf is a character device" test -c /dev/udmabuf
check "vgem made a DRM node" sh -c 'set -- /dev/dri/card*; test -c "$1"'
check "vivid made a video node" sh -c 'set -- /dev/video*; test -c "$1"'
check "vivid got its options" grep -qx 1 /sys/module/vivid/parameters/n_devs
check "/tmp is writable" sh -c 'echo x >/tmp/smoke && test -s /tmp/smoke'
check "/dev/shm is writable tmpfs" sh -c 'echo x >/dev/shm/smoke && stat -f -c %T /dev/shm | grep -qx tmpfs'
check "udmabuf size limit is 64 MiB" grep -qx 64 /sys/module/udmabuf/parameters/size_limit_mb

# UDMABUF_CREATE on a 64 MiB memfd sealed against shrinking; python3 is there wherever meson is.
check "64 MiB memfd becomes a udmabuf dma-buf" python3 -c '
import fcntl, os, struct
size = 64 << 20
memfd = os.memfd_create("smoke", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
os.ftruncate(memfd, size)
fcntl.fcntl(memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
dev = os.open("/dev/udmabuf", os.O_RDWR | os.O_CLOEXEC)
UDMABUF_CREATE = (1 << 30) | (24 << 16) | (ord("u") << 8) | 0x42  # _IOW(u, 0x42, 24 bytes)
arg = bytearray(struct.pack("IIQQ", memfd, 1, 0, size))  # flags: UDMABUF_FLAGS_CLOEXEC
buf = fcntl.ioctl(dev, UDMABUF_CREATE, arg, True)
assert "exp_name:\tudmabuf" in open(f"/proc/self/fdinfo/{buf}").read()
'
exit $failed
