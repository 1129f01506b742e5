/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dma-buf export against baselines measured in the same run (run it where
 * /dev/udmabuf exists, e.g. tools/vm/run --modules vgem -- bench-dmabuf):
 *  - export + close of 1 to 64 MiB against a memcpy of the same size: the
 *    kernel pins every page, so export costs grow with size like a copy;
 *  - the first export of a fresh region, reserved (its pages faulted in
 *    first) and NORESERVE (nothing to fault in), against the raw ioctl on a
 *    region made the same way;
 *  - sealbuf's export against the raw open + UDMABUF_CREATE + close it wraps
 *    (what the checks, the live limits and the naming cost);
 * Every pair is pinned to one CPU and interleaved over rounds (bench.h).
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

/* Two ways of exporting (or a copy), each timed on a region made by @make. */
struct exp_ctx {
	size_t size;
	uint32_t create_flags;  /* fresh regions: made per sample with these flags */
	bool fresh;
	struct sealbuf_region *r; /* otherwise this one, prefaulted */
	char *src, *dst;          /* memcpy baseline */
	int n;
};

static struct sealbuf_region *fresh_region(size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "bench-fresh", .flags = flags);
	struct sealbuf_region *r;

	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	return r;
}

static double timed(const struct exp_ctx *c, int which)
{
	double *s = bench_samples(c->n);

	for (int i = 0; i < c->n; i++) {
		struct sealbuf_region *r = c->fresh ? fresh_region(c->size, c->create_flags) : c->r;
		s[i] = which == 0 ? export_once(r) : which == 1 ? raw_export_once(r, c->size)
							      : memcpy_once(c->dst, c->src, c->size);
		if (c->fresh)
			sealbuf_region_free(r);
	}
	return bench_median_free(s, c->n);
}

static double side_export(const struct bench *b, void *ctx)
{
	(void)b;
	return timed(ctx, 0);
}

static double side_raw(const struct bench *b, void *ctx)
{
	(void)b;
	return timed(ctx, 1);
}

static double side_memcpy(const struct bench *b, void *ctx)
{
	(void)b;
	return timed(ctx, 2);
}

static void buffers(struct exp_ctx *c)
{
	c->src = malloc(c->size);
	c->dst = malloc(c->size);
	if (!c->src || !c->dst)
		die("malloc");
	memset(c->src, 1, c->size);
	memset(c->dst, 2, c->size);
}

/* Export against memcpy of the same size: the kernel pins every page, as a copy touches it. */
static void bench_export(struct bench *b, size_t mib)
{
	struct exp_ctx c = { .size = mib * MiB, .n = bench_reps(b, mib >= 16 ? 9 : 25) };
	struct bench_pair p;
	char fig[64];

	snprintf(fig, sizeof(fig), "export + close %zu MiB", mib);
	if (!bench_wants(b, fig))
		return;
	c.r = region(c.size);
	buffers(&c);
	bench_pair(b, side_export, side_memcpy, &c, &p);
	bench_report(b, fig, "us", &p, "memcpy of the same size", "CPU 0", NULL);
	snprintf(fig, sizeof(fig), "export cost per MiB (%zu MiB)", mib);
	bench_note(b, fig, "us/MiB", p.value / (double)mib);
	free(c.src);
	free(c.dst);
	sealbuf_region_free(c.r);
}

/*
 * The first export of a region nobody has touched, against the raw ioctl on
 * a region made the same way: a reserved region's pages are faulted in first
 * (lib/populate.c says why), a NORESERVE one's need not be.
 */
static void bench_fresh(struct bench *b, size_t mib, uint32_t flags, const char *target)
{
	struct exp_ctx c = { .size = mib * MiB, .fresh = true, .create_flags = flags,
			     .n = bench_reps(b, 25) }; /* TCG is noisy: more samples per median */
	struct bench_pair p;
	char fig[80];

	snprintf(fig, sizeof(fig), "first export of a fresh %zu MiB%s region", mib,
		 flags & SEALBUF_CREATE_NORESERVE ? " NORESERVE" : "");
	if (!bench_wants(b, fig))
		return;
	bench_pair(b, side_export, side_raw, &c, &p);
	bench_report(b, fig, "us", &p, "raw open+UDMABUF_CREATE+close, same region", "CPU 0",
		     target);
}

/* What sealbuf adds around the ioctl: checks, live limits, the name. */
static void bench_overhead(struct bench *b, size_t size, const char *label, const char *target)
{
	struct exp_ctx c = { .size = size, .n = bench_reps(b, 200) };
	struct bench_pair p;
	char fig[64];

	snprintf(fig, sizeof(fig), "sealbuf_region_export %s", label);
	if (!bench_wants(b, fig))
		return;
	c.r = region(size);
	bench_pair(b, side_export, side_raw, &c, &p);
	bench_report(b, fig, "us", &p, "raw open+UDMABUF_CREATE+close", "CPU 0", target);
	sealbuf_region_free(c.r);
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

struct import_ctx {
	struct exp_ctx c;
	int drm;
};

static double side_import(const struct bench *b, void *ctx)
{
	struct import_ctx *ic = ctx;
	double *s = bench_samples(ic->c.n);

	(void)b;
	for (int i = 0; i < ic->c.n; i++)
		s[i] = import_once(ic->c.r, ic->drm);
	return bench_median_free(s, ic->c.n);
}

static double side_import_memcpy(const struct bench *b, void *ctx)
{
	return side_memcpy(b, &((struct import_ctx *)ctx)->c);
}

static void bench_import(struct bench *b)
{
	struct import_ctx ic = { .c = { .size = 64 * MiB, .n = bench_reps(b, 9) } };
	struct bench_pair p;

	if (!bench_wants(b, "vgem import"))
		return;
	if (sealbuf_drm_open("vgem", 0, &ic.drm) < 0) {
		bench_progress(b, "no vgem (%s): skipping the import figure", sealbuf_last_error());
		return;
	}
	ic.c.r = region(ic.c.size);
	buffers(&ic.c);
	bench_pair(b, side_import, side_import_memcpy, &ic, &p);
	bench_report(b, "export + vgem import + release 64 MiB", "us", &p, "memcpy 64 MiB",
		     "CPU 0", NULL);
	free(ic.c.src);
	free(ic.c.dst);
	close(ic.drm);
	sealbuf_region_free(ic.c.r);
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
	bench_pin(&b, 0);
	sealbuf_udmabuf_query(&l);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (sizes[i] <= l.size_limit_mb && (!b.quick || sizes[i] <= 4))
			bench_export(&b, sizes[i]);
	if (l.size_limit_mb >= 16) {
		bench_fresh(&b, 16, 0, NULL);
		bench_fresh(&b, 16, SEALBUF_CREATE_NORESERVE, "<= 1.1");
	}
	/* A fixed cost of a few system calls (limit, seals, name): alone at 4 KiB. */
	bench_overhead(&b, 4096, "4 KiB", NULL);
	bench_overhead(&b, MiB, "1 MiB", "<= 1.1");
	if (l.size_limit_mb >= 64 && !b.quick)
		bench_import(&b);
	return bench_exit(&b);
}
