#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmarks of the Python module (docs/python.md), each figure beside its C
# baseline measured in the same run (bench-python-peer), printed as a ratio:
#  - snapshot of 4 KiB and 1 MiB from Python vs from C (per-call overhead;
#    target at 1 MiB: <= 1.1);
#  - publish-to-reader round trip with the reader in Python vs in C (the
#    writer is the same C program both times);
#  - a numpy view of a 256 MiB region vs bytes() of the same memory, and the
#    same at 4 MiB (the view's cost is flat in size).
# Run on demand: ninja -C build bench-python (or run this script with
# PYTHONPATH=build/lib/python and the peer's path as its argument).
import mmap
import os
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

import sealbuf

PEER = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SEALBUF_BENCH_PEER", "")
QUICK = "--quick" in sys.argv
REPS = 50 if QUICK else 400
BATCH = 16


def report(figure, unit, value, baseline, baseline_value, target=None):
    ratio = value / baseline_value if baseline_value else float("inf")
    judged = f"  (target {target})" if target else ""
    print(f"{figure:44s} {value:12.1f} {unit}  vs {baseline:28s} {baseline_value:12.1f} {unit}"
          f"  ratio {ratio:9.3g}{judged}")


def median_ns(fn, reps=REPS, batch=BATCH):
    samples = []
    for _ in range(reps):
        t = time.perf_counter_ns()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter_ns() - t) / batch)
    return statistics.median(samples)


def batch_ns(fn, batch=BATCH):
    t = time.perf_counter_ns()
    for _ in range(batch):
        fn()
    return (time.perf_counter_ns() - t) / batch


def bench_snapshot(size, label):
    """Python's batches and the C peer's, interleaved: the same load for both."""
    c = subprocess.Popen([PEER, "snapshot", str(size)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1)
    c_ns, into_ns, bytes_ns = [], [], []
    with sealbuf.reserve(size, prefault=True) as r:
        r.write(bytes(size))
        out = mmap.mmap(-1, size)  # page-aligned, as the C side's buffer
        r.snapshot(out)
        for _ in range(REPS):
            c.stdin.write(f"{BATCH}\n")
            c_ns.append(float(c.stdout.readline()))
            into_ns.append(batch_ns(lambda: r.snapshot(out)))
            bytes_ns.append(batch_ns(r.snapshot))
        out.close()
    c.stdin.close()
    c.wait()
    cm, pi, pb = (statistics.median(x) for x in (c_ns, into_ns, bytes_ns))
    target = "<= 1.1" if size >= 1 << 20 else None
    report(f"snapshot {label} into a buffer (ns/call)", "ns", pi, "C snapshot", cm, target)
    report(f"snapshot {label} as new bytes (ns/call)", "ns", pb, "C snapshot", cm)
    print(f"{'':44s} Python overhead per call: {pi - cm:.0f} ns into a buffer, "
          f"{pb - cm:.0f} ns as bytes")


def python_reader(sock):
    ping = sealbuf.recv(sock, readonly=True, timeout_ms=5000)
    pong = sealbuf.recv(sock, timeout_ms=5000)
    buf = bytearray(64)
    stop = b"\xff" * 64
    seen = 0  # the writer may have published before we got here
    with ping, pong:
        while True:
            seen = ping.wait(seen, 5000)
            n = ping.snapshot(buf)
            if buf[:n] == stop:
                return
            pong.write(buf[:n])


def round_trip(iters, reader):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with a, b:
        w = subprocess.Popen([PEER, "rt-writer", str(a.fileno()), str(iters)],
                             pass_fds=[a.fileno()], stdout=subprocess.PIPE, text=True)
        if reader == "python":
            python_reader(b)
        else:
            subprocess.run([PEER, "rt-reader", str(b.fileno())], pass_fds=[b.fileno()],
                           check=True)
        out, _ = w.communicate(timeout=120)
    return float(out)


def bench_round_trip():
    """Rounds with the C reader and the Python reader alternate: the same load for both."""
    iters, rounds = (500, 3) if QUICK else (2000, 7)
    c, py = [], []
    for _ in range(rounds):
        c.append(round_trip(iters, "c"))
        py.append(round_trip(iters, "python"))
    report("publish-to-reader round trip, Python reader", "us", statistics.median(py) / 1000,
           "C reader", statistics.median(c) / 1000)


def bench_view(size, label):
    with sealbuf.create(size, prefault=True) as r:
        memoryview(r)[::4096] = b"\x01" * len(range(0, size, 4096))
        view = median_ns(lambda: np.frombuffer(r, dtype=np.uint8), reps=20, batch=8)
        copy = median_ns(lambda: bytes(memoryview(r)), reps=5 if size > 1 << 24 else 20,
                         batch=1)
    report(f"numpy view of {label} (ns)", "ns", view, f"bytes() of {label}", copy)
    return view


def main():
    if not PEER or not os.access(PEER, os.X_OK):
        sys.exit("bench-python: give the path of bench-python-peer (built in tools/bench)")
    print(f"sealbuf {sealbuf.__version__}, Python {sys.version.split()[0]}, numpy {np.__version__}")
    bench_snapshot(4096, "4 KiB")
    bench_snapshot(1 << 20, "1 MiB")
    bench_round_trip()
    small = bench_view(4 << 20, "4 MiB")
    big = bench_view(256 << 20, "256 MiB")
    report("numpy view: 256 MiB vs 4 MiB (flat = 1)", "ns", big, "numpy view of 4 MiB", small)


if __name__ == "__main__":
    main()
