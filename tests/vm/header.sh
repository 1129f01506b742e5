#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Reserved and mirror regions on Debian's 6.12 kernel, through the harness:
#   tools/vm/run --env SEALBUF_STRESS_SNAPSHOTS=N -- tests/vm/header.sh TEST-PROGRAM...
# Reserves a few huge pages first, so the hugetlb header case runs instead of
# skipping (hosts seldom have any), then runs each program given.
set -u
[ "${SEALBUF_IN_VM:-}" = 1 ] || { echo "not in the VM: run me through tools/vm/run" >&2; exit 77; }
echo 8 >/proc/sys/vm/nr_hugepages
grep -q '^HugePages_Total: *[1-9]' /proc/meminfo || { echo "no huge pages in the guest"; exit 1; }
failed=0
for t in "$@"; do
    echo "== $t"
    "$t" || failed=1
done
exit $failed
