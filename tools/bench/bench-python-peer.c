// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The C side of bench-python.py (the Python module's benchmarks), so that
 * each Python figure has its C baseline from the same run:
 *
 *   bench-python-peer snapshot SIZE        for each line N on stdin: N snapshots of SIZE
 *                                          bytes, then their mean ns per call on stdout (the
 *                                          script interleaves these batches with its own, so
 *                                          both see the same load on a shared machine)
 *   bench-python-peer rt-writer FD ITERS   make ping/pong regions, send both on FD,
 *                                          print the median publish-to-ack round trip (ns)
 *   bench-python-peer rt-reader FD         the C reader: echo each ping into pong
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "sealbuf.h"

#define RT_BYTES 64

static _Noreturn void fail(const char *what, int err)
{
	fprintf(stderr, "bench-python-peer: %s: %d (%s: %s)\n", what, err,
		sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
	exit(1);
}

static int snapshot(size_t size)
{
	struct sealbuf_region *r = NULL;
	void *buf = aligned_alloc(4096, (size + 4095) & ~(size_t)4095); /* as Python's mmap */
	void *src = calloc(1, size);
	char line[32];
	int err;

	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_PREFAULT);
	if (!buf || !src || (err = sealbuf_region_reserve(size, &o, &r)) < 0 ||
	    (err = sealbuf_region_write(r, src, size)) < 0)
		fail("setup", -1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		long n = strtol(line, NULL, 10);
		uint64_t t = bench_now_ns();

		for (long k = 0; k < n; k++)
			if ((err = sealbuf_region_snapshot(r, buf, size, NULL, NULL)) < 0)
				fail("snapshot", err);
		printf("%.1f\n", n > 0 ? (double)(bench_now_ns() - t) / (double)n : 0.0);
	}
	sealbuf_region_free(r);
	free(buf);
	free(src);
	return 0;
}

static int rt_writer(int sock, int iters)
{
	struct sealbuf_region *ping = NULL, *pong = NULL;
	double *ns = calloc((size_t)iters, sizeof(double));
	uint8_t msg[RT_BYTES] = { 0 };
	uint64_t acks;
	int err;

	if (!ns || (err = sealbuf_region_reserve(RT_BYTES, NULL, &ping)) < 0 ||
	    (err = sealbuf_region_reserve(RT_BYTES, NULL, &pong)) < 0 ||
	    (err = sealbuf_region_send(sock, ping, SEALBUF_SHARE_RDONLY)) < 0 ||
	    (err = sealbuf_region_send(sock, pong, 0)) < 0)
		fail("rt-writer setup", -1);
	acks = sealbuf_region_seq(pong);
	for (int i = -iters / 10; i < iters; i++) { /* the first tenth warms up */
		uint64_t t = bench_now_ns();

		memcpy(msg, &i, sizeof(i));
		if ((err = sealbuf_region_write(ping, msg, sizeof(msg))) < 0 ||
		    (err = sealbuf_region_wait(pong, acks, 5000, &acks)) < 0)
			fail("round trip", err);
		if (i >= 0)
			ns[i] = (double)(bench_now_ns() - t);
	}
	memset(msg, 0xff, sizeof(msg)); /* stop */
	sealbuf_region_write(ping, msg, sizeof(msg));
	printf("%.1f\n", bench_median(ns, (size_t)iters));
	sealbuf_region_free(ping);
	sealbuf_region_free(pong);
	free(ns);
	return 0;
}

static int rt_reader(int sock)
{
	struct sealbuf_region *ping = NULL, *pong = NULL;
	SEALBUF_OPTS(sealbuf_recv_opts, ro, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 5000);
	SEALBUF_OPTS(sealbuf_recv_opts, rw, .timeout_ms = 5000);
	uint8_t buf[RT_BYTES], stop[RT_BYTES];
	uint64_t seen;
	size_t n;
	int err;

	memset(stop, 0xff, sizeof(stop));
	if ((err = sealbuf_region_recv(sock, &ro, &ping)) < 0 ||
	    (err = sealbuf_region_recv(sock, &rw, &pong)) < 0)
		fail("rt-reader recv", err);
	seen = 0; /* the writer may have published before we got here */
	for (;;) {
		if ((err = sealbuf_region_wait(ping, seen, 5000, &seen)) < 0 ||
		    (err = sealbuf_region_snapshot(ping, buf, sizeof(buf), &n, &seen)) < 0)
			fail("rt-reader", err);
		if (n == sizeof(stop) && !memcmp(buf, stop, n))
			break;
		if ((err = sealbuf_region_write(pong, buf, n)) < 0)
			fail("rt-reader write", err);
	}
	sealbuf_region_free(ping);
	sealbuf_region_free(pong);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "snapshot"))
		return snapshot(strtoull(argv[2], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "rt-writer"))
		return rt_writer(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "rt-reader"))
		return rt_reader(atoi(argv[2]));
	fprintf(stderr, "usage: bench-python-peer snapshot SIZE | rt-writer FD ITERS | rt-reader FD\n");
	return 2;
}
