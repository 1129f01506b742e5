#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Regions on transparent huge pages, on Debian's 6.12 kernel, through the harness:
#   tools/vm/run -- tests/vm/thp.sh TEST-DMABUF TEST-HANDLE   (meson test vm-dmabuf-thp)
# Sets shmem_enabled to "advise" in the guest (hosts seldom allow huge pages for
# shmem), then: a region made of huge pages exports through udmabuf and a
# receiver maps it huge (test-dmabuf thp_export), and both sides' mappings
# carry MADV_HUGEPAGE (test-handle thp_advice).
set -u
[ "${SEALBUF_IN_VM:-}" = 1 ] || { echo "not in the VM: run me through tools/vm/run" >&2; exit 77; }
f=/sys/kernel/mm/transparent_hugepage/shmem_enabled
[ -w "$f" ] || { echo "SKIP: $f is missing or read-only in the guest"; exit 77; }
echo advise >"$f"
echo "shmem_enabled: $(cat "$f")"
failed=0
"$1" 'thp_*' || failed=1
"$2" 'thp_*' || failed=1
exit $failed
