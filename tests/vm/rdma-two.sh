#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# rdma-two.sh VM_RUN TEST_RDMA: sealbuf beyond one machine. Two guests, each with its own kernel
# and soft RoCE device (rxe0 on a virtio NIC), joined by a link that runs over UDP on the host's
# loopback only. Guest A (10.77.0.1) offers a region and a reserved region; guest B (10.77.0.2)
# reads the first across the link and publishes into the second. Both must pass.
set -uo pipefail
run=$1 test=$2
# Two ports of our own; the guests swap them (each sends to the other's).
a=$((20000 + ($$ % 20000) * 2)) b=$((a + 1))
common=(--rdma --timeout 300 --env SEALBUF_RDMA_ADDR=10.77.0.1)
"$run" "${common[@]}" --net-udp "$a:$b" --ip 10.77.0.1/24 -- "$test" serve 18600 &
pa=$!
"$run" "${common[@]}" --net-udp "$b:$a" --ip 10.77.0.2/24 -- "$test" fetch 18600 &
pb=$!
trap 'kill $pa $pb 2>/dev/null' EXIT
wait $pb; sb=$?
wait $pa; sa=$?
trap - EXIT
echo "guest A (serve): exit $sa; guest B (fetch): exit $sb"
((sa == 77 && sb == 77)) && exit 77
((sa == 0 && sb == 0))
