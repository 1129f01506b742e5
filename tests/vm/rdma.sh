#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# RDMA in one guest (tools/vm/run --rdma: rxe0 on a dummy netdev at 10.77.0.1):
#   rdma.sh SEALBUF_TOOL TEST_RDMA
# the library's tests, then the tool: doctor sees rxe0, `sealbuf rdma serve` gives a file to
# `sealbuf rdma fetch` byte for byte, and fetch from a port nobody serves fails as unreachable.
set -u
[ "${SEALBUF_IN_VM:-}" = 1 ] || { echo "SKIP: not in the VM: run me through tools/vm/run --rdma"; exit 77; }
tool=$1 test_rdma=$2
failed=0
"$test_rdma" || failed=1

echo "== sealbuf doctor (RDMA checks)"
"$tool" doctor | grep '^ok *rdma-devices .*rxe0' || { echo "doctor does not list rxe0"; failed=1; }
"$tool" doctor | grep '^ok *rdma-uverbs' || { echo "doctor: uverbs not read-write"; failed=1; }

echo "== sealbuf rdma serve | fetch"
head -c 3000000 /dev/urandom >/tmp/rdma-in
# serve gives up after 120 s without a peer, so a failed fetch cannot hang the guest.
"$tool" rdma serve --listen 10.77.0.1 --port 18900 --name cli --timeout 120000 /tmp/rdma-in &
serve=$!
i=0
until "$tool" rdma fetch --port 18900 --out /tmp/rdma-out 10.77.0.1 2>/tmp/rdma-err; do
    i=$((i + 1))
    [ $i -lt 600 ] || { cat /tmp/rdma-err; failed=1; break; }
    sleep 0.1
done
wait $serve || { echo "serve failed"; failed=1; }
cmp /tmp/rdma-in /tmp/rdma-out && echo "fetched $(wc -c </tmp/rdma-out) bytes intact" || failed=1
"$tool" rdma fetch --port 18901 10.77.0.1 2>/tmp/rdma-err && failed=1
grep -q SEALBUF_R_PEER_UNREACHABLE /tmp/rdma-err || { cat /tmp/rdma-err; failed=1; }
exit $failed
