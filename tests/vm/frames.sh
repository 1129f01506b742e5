#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Frames on Debian's 6.12 kernel in one guest boot (tools/vm/run): dma-heaps,
# sync files on vgem fences, V4L2 multi-planar capture and the consumers.
#   tools/vm/run --modules vgem --modules 'vivid:...' -- tests/vm/frames.sh PROGRAM...
# With SEALBUF_FRAMES_FAULT=tests/fault/test-fault, its sync-file walk runs too.
# Each PROGRAM may skip (77, with its reason); any failure fails the run.
set -u
[ "${SEALBUF_IN_VM:-}" = 1 ] || { echo "SKIP: not in the VM: run me through tools/vm/run"; exit 77; }
failed=0 ran=0
for t in "$@"; do
    echo "== $t"
    "$t"
    rc=$?
    case $rc in
    0) ran=1 ;;
    77) echo "== $t: skipped" ;;
    *) echo "== $t: FAILED ($rc)"; failed=1 ;;
    esac
done
# The fault walk of sync-file export (it needs a dma-buf: udmabuf), when given.
if [ -n "${SEALBUF_FRAMES_FAULT:-}" ]; then
    echo "== $SEALBUF_FRAMES_FAULT sync*"
    "$SEALBUF_FRAMES_FAULT" 'sync*' || { echo "== fault walk: FAILED"; failed=1; }
fi
[ $failed = 0 ] && [ $ran = 0 ] && exit 77
exit $failed
