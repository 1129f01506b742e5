/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dma-buf export against baselines measured in the same run (run it where
 * /dev/udmabuf exists, e.g. tools/vm/run --modules vgem -- bench-dmabuf):
 *  - export + close of 1 to 64 MiB against a memcpy of the same size: the
 *    kernel pins every page, so export costs grow with size like a copy;
 *  - the first export of a fresh region (pages faulted in first) against memcpy;
 *  - sealbuf's export against the raw open + UDMABUF_CREATE + close it wraps
 *    (what the checks, the live limits and the naming cost);
 *  - export + vgem import + release of 64 MiB against a 64 MiB memcpy.
 * Exits 77 where the kernel lacks udmabuf.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/udmabuf.h>

#include "bench.h"
#include "sealbuf.h"

#define MiB (1u << 20)

static void die(const char *what)
{
	fprintf(stderr, "bench-dmabuf: %s: %s\n", what, sealbuf_last_error());
	exit(1);
}

static struct sealbuf_region *region(size_t size)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "bench", .flags = SEALBUF_CREATE_PREFAULT);
	struct sealbuf_region *r;

	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	return r;
}

static double export_once(const struct sealbuf_region *r)
{
	uint64_t t = bench_now_ns();
	int fd;

	if (sealbuf_region_export(r, NULL, &fd) < 0)
		die("sealbuf_region_export");
	close(fd);
	return (double)(bench_now_ns() - t) / 1e3;
}

static double raw_export_once(const struct sealbuf_region *r, size_t size)
{
	uint64_t t = bench_now_ns();
	struct udmabuf_create c = {
		.memfd = (uint32_t)sealbuf_region_fd(r),
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = size,
	};
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), fd;

	fd = dev < 0 ? -1 : ioctl(dev, UDMABUF_CREATE, &c);
	if (fd < 0)
		die("raw UDMABUF_CREATE");
	close(fd);
	close(dev);
	return (double)(bench_now_ns() - t) / 1e3;
}

static double memcpy_once(void *dst, const void *src, size_t size)
{
	uint64_t t = bench_now_ns();

	memcpy(dst, src, size);
	__asm__ volatile("" : : "r"(dst) : "memory");
	return (double)(bench_now_ns() - t) / 1e3;
}

static int reps(const struct bench *b, int full)
{
	return b->reps ? b->reps : b->quick ? 3 : full;
}

/* Export against memcpy of the same size, alternating so drift hits both. */
static void bench_export(const struct bench *b, size_t mib)
{
	size_t size = mib * MiB;
	int n = reps(b, mib >= 16 ? 15 : 40);
	struct sealbuf_region *r = region(size);
	char *src = malloc(size), *dst = malloc(size);
	double *e = calloc((size_t)n, sizeof(double)), *c = calloc((size_t)n, sizeof(double));
	char fig[64], base[64];
	double em;

	memset(src, 1, size);
	memset(dst, 2, size);
	for (int i = 0; i < n; i++) {
		e[i] = export_once(r);
		c[i] = memcpy_once(dst, src, size);
	}
	em = bench_median(e, (size_t)n);
	snprintf(fig, sizeof(fig), "export + close %zu MiB", mib);
	snprintf(base, sizeof(base), "memcpy %zu MiB", mib);
	bench_report(b, fig, "us", em, base, bench_median(c, (size_t)n), NULL);
	snprintf(fig, sizeof(fig), "export cost per MiB (%zu MiB)", mib);
	bench_note(b, fig, "us/MiB", em / (double)mib);
	free(e);
	free(c);
	free(src);
	free(dst);
	sealbuf_region_free(r);
}

/*
 * The first export of a region nobody has touched: sealbuf faults every page
 * in before the kernel pins it (lib/populate.c says why), once per region.
 */
static void bench_fresh(const struct bench *b, size_t mib)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "bench-fresh");
	size_t size = mib * MiB;
	int n = reps(b, 15);
	char *src = malloc(size), *dst = malloc(size);
	double *e = calloc((size_t)n, sizeof(double)), *c = calloc((size_t)n, sizeof(double));
	char fig[64], base[64];

	memset(src, 1, size);
	memset(dst, 2, size);
	for (int i = 0; i < n; i++) {
		struct sealbuf_region *r;

		if (sealbuf_region_create(size, &o, &r) < 0)
			die("sealbuf_region_create");
		e[i] = export_once(r);
		sealbuf_region_free(r);
		c[i] = memcpy_once(dst, src, size);
	}
	snprintf(fig, sizeof(fig), "first export of a fresh %zu MiB region", mib);
	snprintf(base, sizeof(base), "memcpy %zu MiB", mib);
	bench_report(b, fig, "us", bench_median(e, (size_t)n), base, bench_median(c, (size_t)n), NULL);
	free(e);
	free(c);
	free(src);
	free(dst);
}

/* What sealbuf adds around the ioctl: checks, live limits, the name. */
static void bench_overhead(const struct bench *b, size_t size, const char *label,
			   const char *target)
{
	int n = reps(b, 400);
	struct sealbuf_region *r = region(size);
	double *s = calloc((size_t)n, sizeof(double)), *w = calloc((size_t)n, sizeof(double));
	char fig[64];

	for (int i = 0; i < n; i++) {
		s[i] = export_once(r);
		w[i] = raw_export_once(r, size);
	}
	snprintf(fig, sizeof(fig), "sealbuf_region_export %s", label);
	bench_report(b, fig, "us", bench_median(s, (size_t)n), "raw open+UDMABUF_CREATE+close",
		     bench_median(w, (size_t)n), target);
	free(s);
	free(w);
	sealbuf_region_free(r);
}

static double import_once(const struct sealbuf_region *r, int drm)
{
	uint64_t t = bench_now_ns();
	uint32_t h;
	int fd;

	if (sealbuf_region_export(r, NULL, &fd) < 0)
		die("sealbuf_region_export");
	if (sealbuf_drm_import(drm, fd, &h) < 0 || sealbuf_drm_release(drm, h) < 0)
		die("vgem import");
	close(fd);
	return (double)(bench_now_ns() - t) / 1e3;
}

static void bench_import(const struct bench *b)
{
	size_t size = 64 * MiB;
	int n = reps(b, 15), drm;
	struct sealbuf_region *r;
	char *src, *dst;
	double *e, *c;

	if (sealbuf_drm_open("vgem", 0, &drm) < 0) {
		bench_progress(b, "no vgem (%s): skipping the import figure", sealbuf_last_error());
		return;
	}
	r = region(size);
	src = malloc(size);
	dst = malloc(size);
	e = calloc((size_t)n, sizeof(double));
	c = calloc((size_t)n, sizeof(double));
	memset(src, 1, size);
	memset(dst, 2, size);
	for (int i = 0; i < n; i++) {
		e[i] = import_once(r, drm);
		c[i] = memcpy_once(dst, src, size);
	}
	bench_report(b, "export + vgem import + release 64 MiB", "us", bench_median(e, (size_t)n),
		     "memcpy 64 MiB", bench_median(c, (size_t)n), NULL);
	free(e);
	free(c);
	free(src);
	free(dst);
	close(drm);
	sealbuf_region_free(r);
}

int main(int argc, char **argv)
{
	struct sealbuf_udmabuf_info l = { .sz = sizeof(l) };
	static const size_t sizes[] = { 1, 4, 16, 64 };
	struct bench b;

	bench_init(&b, "dmabuf", argc, argv);
	if (sealbuf_udmabuf_check() < 0) {
		printf("SKIP: %s\n", sealbuf_last_error());
		return 77;
	}
	sealbuf_udmabuf_query(&l);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] <= l.size_limit_mb)
			bench_export(&b, sizes[i]);
	if (l.size_limit_mb >= 16)
		bench_fresh(&b, 16);
	/* A fixed cost of a few system calls (limit, seals, name): alone at 4 KiB. */
	bench_overhead(&b, 4096, "4 KiB", NULL);
	bench_overhead(&b, MiB, "1 MiB", "<= 1.5");
	if (l.size_limit_mb >= 64)
		bench_import(&b);
	return 0;
}
