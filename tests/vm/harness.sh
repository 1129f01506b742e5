#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Test of tools/vm/run itself, from the host: exit statuses pass through, and a kernel warning,
# a panic or a hang fail the run with a message. Usage: harness.sh [PATH/TO/tools/vm/run]
# The VMs boot in parallel, one vCPU each, to keep the wall time near that of the slowest.
set -u
run=${1:-$(dirname "$0")/../../tools/vm/run}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# A machine without QEMU or the kernel skips this test as a whole.
"$run" --smp 1 -- true
status=$?
[[ $status == 0 ]] || { echo "not ok - run true: exit $status"; exit "$status"; }

checks=()
check() {  # check NAME STATUS STDERR-PATTERN RUN-ARGS...: expect that status and stderr ('': empty)
    local name=$1; shift
    checks+=("$name")
    echo "$1" >"$tmp/$name.want"; echo "$2" >"$tmp/$name.pattern"; shift 2
    "$run" --smp 1 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    echo $! >"$tmp/$name.pid"
}
check status-1 1 '^err$' -- sh -c 'echo out; echo err >&2; exit 1'
check status-77 77 '' -- sh -c 'exit 77'
check env 0 '' --env 'V=a b' -- sh -c 'test "$V" = "a b" && test "$SEALBUF_IN_VM" = 1'
check warning 1 'WARNING: provoked' -- sh -c 'echo "WARNING: provoked by harness.sh" >/dev/kmsg'
check panic 1 'no report' -- sh -c 'echo c >/proc/sysrq-trigger'
check timeout 1 'timed out' --timeout 20 -- sleep 1000

stderr_ok() {
    local pattern; pattern=$(<"$tmp/$1.pattern")
    if [[ -z $pattern ]]; then [[ ! -s $tmp/$1.err ]]; else grep -qE "$pattern" "$tmp/$1.err"; fi
}
failed=0
for name in "${checks[@]}"; do
    wait "$(<"$tmp/$name.pid")"
    status=$? want=$(<"$tmp/$name.want")
    if [[ $status != "$want" ]] || ! stderr_ok "$name" ||
        [[ $name == status-1 && $(<"$tmp/$name.out") != out ]]; then
        echo "not ok - $name: exit $status, want $want; stderr:"
        sed 's/^/#   /' "$tmp/$name.err"
        failed=1
    else
        echo "ok - $name"
    fi
done
exit $failed
