/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frames against their baselines, in one run: a two-plane frame sent,
 * received, validated and mapped vs two raw fds sent and mapped; a dma-heap
 * buffer allocated and mapped vs a memfd region created and exported (needs
 * /dev/dma_heap/system and /dev/udmabuf: the VM); Vulkan importing a 64 MiB
 * region by host pointer vs vkCmdCopyBuffer of it into device memory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "bench.h"
#include "sealbuf.h"
#ifdef HAVE_VKHOST
#include "vkhost.h"
#endif

#define MiB (1u << 20)

static int reps(const struct bench *b, int n)
{
	return b->reps ? b->reps : b->quick ? n / 20 + 1 : n;
}

static void socks(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
}

static double frame_once(const struct sealbuf_frame *f, int sv[2])
{
	struct sealbuf_frame *g;
	uint64_t t = bench_now_ns();

	if (sealbuf_frame_send(sv[0], f, 0) < 0 || sealbuf_frame_recv(sv[1], NULL, &g) < 0) {
		fprintf(stderr, "frame: %s\n", sealbuf_last_error());
		exit(1);
	}
	((volatile uint8_t *)sealbuf_frame_plane(g, 1))[0]; /* mapped, not just described */
	sealbuf_frame_free(g);
	return (double)(bench_now_ns() - t) / 1e3;
}

/* The baseline: both fds in one sendmsg, recvmsg, two mmaps, no checks. */
static double raw_once(const int fds[2], const size_t sizes[2], int sv[2])
{
	union { struct cmsghdr a; char b[CMSG_SPACE(2 * sizeof(int))]; } ctl = { .b = { 0 } };
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int got[2];
	uint64_t t = bench_now_ns();

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
	if (sendmsg(sv[0], &m, 0) < 0 || recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC) < 0)
		abort();
	memcpy(got, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(got));
	for (int i = 0; i < 2; i++) {
		void *p = mmap(NULL, sizes[i], PROT_READ | PROT_WRITE, MAP_SHARED, got[i], 0);
		if (p == MAP_FAILED)
			abort();
		((volatile uint8_t *)p)[0];
		munmap(p, sizes[i]);
		close(got[i]);
	}
	return (double)(bench_now_ns() - t) / 1e3;
}

static void bench_send(const struct bench *b)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .flags = SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f;
	int n = reps(b, 2000), sv[2], fds[2];
	size_t sizes[2];
	double *s = calloc((size_t)n, sizeof(double)), *w = calloc((size_t)n, sizeof(double));

	if (sealbuf_frame_layout(DRM_FORMAT_NV12, 640, 360, &lo, &d, NULL) < 0 ||
	    sealbuf_frame_create(&d, NULL, &f) < 0)
		abort();
	for (int i = 0; i < 2; i++) {
		fds[i] = sealbuf_region_fd(sealbuf_frame_region(f, i));
		sizes[i] = sealbuf_region_mapped_size(sealbuf_frame_region(f, i));
	}
	socks(sv);
	for (int i = 0; i < n; i++) {
		s[i] = frame_once(f, sv);
		w[i] = raw_once(fds, sizes, sv);
	}
	bench_report(b, "send+recv+validate+map NV12 frame (2 regions)", "us",
		     bench_median(s, (size_t)n), "2 raw fds: sendmsg+recvmsg+2 mmap",
		     bench_median(w, (size_t)n), "<= 1.2");
	close(sv[0]);
	close(sv[1]);
	sealbuf_frame_free(f);
	free(s);
	free(w);
}

static double heap_once(size_t size)
{
	uint64_t t = bench_now_ns();
	void *p;
	int fd;

	if (sealbuf_heap_alloc("system", size, 0, &fd) < 0)
		abort();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		abort();
	munmap(p, size);
	close(fd);
	return (double)(bench_now_ns() - t) / 1e3;
}

static double memfd_once(size_t size)
{
	uint64_t t = bench_now_ns();
	struct sealbuf_region *r;
	int fd;

	if (sealbuf_region_create(size, NULL, &r) < 0 || sealbuf_region_export(r, NULL, &fd) < 0)
		abort();
	close(fd);
	sealbuf_region_free(r);
	return (double)(bench_now_ns() - t) / 1e3;
}

static void bench_heap(const struct bench *b, size_t mib)
{
	int n = reps(b, 40);
	double *h = calloc((size_t)n, sizeof(double)), *m = calloc((size_t)n, sizeof(double));
	char fig[64];

	for (int i = 0; i < n; i++) {
		h[i] = heap_once(mib * MiB);
		m[i] = memfd_once(mib * MiB);
	}
	snprintf(fig, sizeof(fig), "dma-heap system alloc+map %zu MiB", mib);
	bench_report(b, fig, "us", bench_median(h, (size_t)n), "memfd region create+udmabuf export",
		     bench_median(m, (size_t)n), NULL);
	free(h);
	free(m);
}

#ifdef HAVE_VKHOST
static void bench_vulkan(const struct bench *b)
{
	struct sealbuf_region *r;
	struct vkh v;
	struct vkh_buf src, dst, imp;
	char why[256];
	int n = reps(b, 20);
	double *h = calloc((size_t)n, sizeof(double)), *c = calloc((size_t)n, sizeof(double));

	if (vkh_open(&v, why, sizeof(why)) < 0) {
		bench_progress(b, "Vulkan figure skipped: %s", why);
		return;
	}
	SEALBUF_OPTS(sealbuf_create_opts, co, .flags = SEALBUF_CREATE_PREFAULT);
	if (sealbuf_region_create(64 * MiB, &co, &r) < 0 ||
	    vkh_import_host(&v, sealbuf_region_data(r), 64 * MiB, &src, why, sizeof(why)) < 0)
		abort();
	for (int i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();
		if (vkh_import_host(&v, sealbuf_region_data(r), 64 * MiB, &imp, why, sizeof(why)) < 0)
			abort();
		h[i] = (double)(bench_now_ns() - t) / 1e3;
		vkh_buf_free(&v, &imp);
		t = bench_now_ns();
		if (vkh_device_buffer(&v, 64 * MiB, &dst, why, sizeof(why)) < 0 ||
		    vkh_copy(&v, &src, &dst, why, sizeof(why)) < 0)
			abort();
		c[i] = (double)(bench_now_ns() - t) / 1e3;
		vkh_buf_free(&v, &dst);
	}
	bench_report(b, "Vulkan host-pointer import 64 MiB", "us", bench_median(h, (size_t)n),
		     "device buffer + vkCmdCopyBuffer 64 MiB", bench_median(c, (size_t)n), NULL);
	vkh_buf_free(&v, &src);
	vkh_close(&v);
	sealbuf_region_free(r);
	free(h);
	free(c);
}
#endif

int main(int argc, char **argv)
{
	struct bench b;

	bench_init(&b, "frame", argc, argv);
	bench_send(&b);
	if (access("/dev/dma_heap/system", F_OK) == 0 && sealbuf_udmabuf_check() == 0) {
		bench_heap(&b, 1);
		bench_heap(&b, 16);
	} else {
		bench_progress(&b, "dma-heap figures skipped: needs /dev/dma_heap/system and udmabuf (the VM)");
	}
#ifdef HAVE_VKHOST
	bench_vulkan(&b);
#else
	bench_progress(&b, "Vulkan figure skipped: built without libvulkan or glslang");
#endif
	return 0;
}
