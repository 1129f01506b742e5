#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The sealbuf tool on a real kernel with udmabuf, vgem and vivid, run through the harness:
#   tools/vm/run --modules vgem,vivid -- tests/vm/cli.sh build/tools/sealbuf
# doctor passes and sees the devices; doctor fails, saying why, for a user who may not open
# /dev/udmabuf; ls and inspect describe a real dma-buf and its memfd held by another process.
set -u
tool=${1:?usage: cli.sh PATH-TO-sealbuf}
failed=0
check() {  # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@" >/dev/null 2>&1; then echo "ok - $desc"; else echo "not ok - $desc"; failed=1; fi
}
has() { printf '%s' "$1" | grep -q -- "$2"; }

[ "${SEALBUF_IN_VM:-}" = 1 ] || { echo "not in the VM: run me through tools/vm/run" >&2; exit 77; }

out=$("$tool" doctor); st=$?
check "doctor exits 0 where dma-buf export works" test $st = 0
check "doctor says export works" has "$out" "dma-buf export: works"
check "doctor made a real dma-buf" has "$out" "became a dma-buf"
json=$("$tool" doctor --json)
check "doctor --json says so" has "$json" '"dmabuf_export":true'
check "doctor --json has the live limits" has "$json" '"size_limit_mb":64,"list_limit":1024'
check "doctor finds vgem through libdrm" has "$json" '"driver":"vgem"'
check "doctor finds vivid" has "$json" '"driver":"vivid"'

# A user who may not open /dev/udmabuf: doctor says so, with the node's mode and the fix.
chmod 0600 /dev/udmabuf
out=$(python3 -c '
import os, sys
os.setgroups([]); os.setgid(65534); os.setuid(65534)
os.execv(sys.argv[1], [sys.argv[1], "doctor"])' "$tool" 2>&1); st=$?
check "doctor exits 1 for a user denied /dev/udmabuf" test $st = 1
check "doctor says /dev/udmabuf does not open for that user" has "$out" "does not open for you"
check "doctor names the permission problem" has "$out" "Permission denied"
check "doctor gives a fix" has "$out" "fix:"

# Another process holds a udmabuf dma-buf and its memfd (sealed SHRINK only, as udmabuf needs).
fifo=/tmp/cli-vm-ready
rm -f "$fifo"; mkfifo "$fifo"
python3 -c '
import fcntl, os, struct, sys, time
memfd = os.memfd_create("cli-vm-frame", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
os.ftruncate(memfd, 65536)
fcntl.fcntl(memfd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK)
dev = os.open("/dev/udmabuf", os.O_RDWR | os.O_CLOEXEC)
UDMABUF_CREATE = (1 << 30) | (24 << 16) | (ord("u") << 8) | 0x42
buf = fcntl.ioctl(dev, UDMABUF_CREATE, bytearray(struct.pack("IIQQ", memfd, 1, 0, 65536)), True)
DMA_BUF_SET_NAME_B = (1 << 30) | (8 << 16) | (ord("b") << 8) | 1
fcntl.ioctl(buf, DMA_BUF_SET_NAME_B, b"cli-vm-dmabuf\0")
with open(sys.argv[1], "w") as f:
    f.write("%d %d %d\n" % (os.getpid(), memfd, buf))
time.sleep(60)' "$fifo" &
holder=$!
read -r pid memfd dmabuf <"$fifo"
json=$("$tool" ls --pid "$pid" --json)
check "ls lists the dma-buf" has "$json" '"type":"dmabuf","name":"cli-vm-dmabuf","size":65536'
check "ls names its exporter" has "$json" '"exporter":"udmabuf"'
check "ls lists the memfd with its seals" has "$json" '"name":"cli-vm-frame","size":65536'
check "ls shows the memfd sealed SHRINK only" has "$json" '"seals":\["SHRINK"\]'
out=$("$tool" ls --type dmabuf)
check "ls --type dmabuf shows it in the table" has "$out" "cli-vm-dmabuf"
out=$("$tool" inspect "/proc/$pid/fd/$dmabuf"); st=$?
check "inspect: a dma-buf is not a region (exit 7)" test $st = 7
check "inspect names the exporter" has "$out" "exporter: udmabuf"
out=$("$tool" inspect "/proc/$pid/fd/$memfd"); st=$?
check "inspect: SHRINK alone breaks the policy (exit 7)" test $st = 7
check "inspect says which seals are missing" has "$out" "SEALBUF_R_SEALS_MISSING"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
rm -f "$fifo"

# create --dmabuf-fd: the command gets the region and its dma-buf, named after the region.
out=$("$tool" create --size 64K --name cli-vm-export --dmabuf-fd 4 -- sh -c \
    "\"$tool\" inspect --json --fd \$SEALBUF_DMABUF_FD; \"$tool\" ls --json --pid \$\$"); st=$?
check "create --dmabuf-fd runs the command (its status: ls's 0)" test $st = 0
check "the command's fd 4 is a udmabuf dma-buf" has "$out" '"type":"dmabuf","what":"a dma-buf"'
check "inspect says the dma-buf is not a region" has "$out" '"error":"the fd is a dma-buf, not a memfd"'
check "ls in the command sees the dma-buf, named after the region" \
    has "$out" '"fd":4,"type":"dmabuf","name":"cli-vm-export","size":65536'
check "ls in the command sees the region's memfd at fd 3" has "$out" '"fd":3,"type":"memfd","name":"cli-vm-export"'
exit $failed
