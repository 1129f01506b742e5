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
	return bench_reps(b, n);
}

static void socks(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
}

struct send_ctx {
	struct sealbuf_frame *f;
	int sv[2], fds[2];
	size_t sizes[2];
};

static double frame_once(const struct sealbuf_frame *f, int sv[2])
{
	/* Lazy, like the raw side's bare mmaps: the receive alone, not a populate. */
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .flags = SEALBUF_OPEN_LAZY, .timeout_ms = -1);
	struct sealbuf_frame *g;
	uint64_t t = bench_now_ns();

	if (sealbuf_frame_send(sv[0], f, 0) < 0 || sealbuf_frame_recv(sv[1], &o, &g) < 0) {
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

static double send_side(void *ctx)
{
	struct send_ctx *c = ctx;

	return frame_once(c->f, c->sv);
}

static double send_raw(void *ctx)
{
	struct send_ctx *c = ctx;

	return raw_once(c->fds, c->sizes, c->sv);
}

static void bench_send(struct bench *b)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .flags = SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	struct sealbuf_frame_desc d;
	struct send_ctx c;
	struct bench_pair p;

	if (!bench_wants(b, "NV12 frame"))
		return;
	if (sealbuf_frame_layout(DRM_FORMAT_NV12, 640, 360, &lo, &d, NULL) < 0 ||
	    sealbuf_frame_create(&d, NULL, &c.f) < 0)
		abort();
	for (int i = 0; i < 2; i++) {
		c.fds[i] = sealbuf_region_fd(sealbuf_frame_region(c.f, i));
		c.sizes[i] = sealbuf_region_mapped_size(sealbuf_frame_region(c.f, i));
	}
	socks(c.sv);
	bench_pair_once(b, send_side, send_raw, &c, reps(b, 1000), &p);
	bench_report(b, "send+recv+validate+map NV12 frame (2 regions)", "us", &p,
		     "2 raw fds: sendmsg+recvmsg+2 mmap", "CPU 0", "<= 1.2");
	close(c.sv[0]);
	close(c.sv[1]);
	sealbuf_frame_free(c.f);
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

static double heap_side(void *ctx)
{
	return heap_once(*(size_t *)ctx);
}

static double memfd_side(void *ctx)
{
	return memfd_once(*(size_t *)ctx);
}

static void bench_heap(struct bench *b, size_t mib)
{
	size_t size = mib * MiB;
	struct bench_pair p;
	char fig[64];

	snprintf(fig, sizeof(fig), "dma-heap system alloc+map %zu MiB", mib);
	if (!bench_wants(b, fig))
		return;
	bench_pair_once(b, heap_side, memfd_side, &size, reps(b, 20), &p);
	bench_report(b, fig, "us", &p, "memfd region create+udmabuf export", "CPU 0", NULL);
}

#ifdef HAVE_VKHOST
struct vk_ctx {
	struct vkh v;
	struct vkh_buf src;
	struct sealbuf_region *r;
	char why[256];
};

/* Import the region's 64 MiB as a host-pointer buffer. */
static double vk_import(void *ctx)
{
	struct vk_ctx *c = ctx;
	struct vkh_buf imp;
	uint64_t t = bench_now_ns();

	if (vkh_import_host(&c->v, sealbuf_region_data(c->r), 64 * MiB, &imp, c->why, sizeof(c->why)) < 0)
		abort();
	t = bench_now_ns() - t;
	vkh_buf_free(&c->v, &imp);
	return (double)t / 1e3;
}

/* The copy it replaces: a device buffer and vkCmdCopyBuffer of 64 MiB. */
static double vk_copy(void *ctx)
{
	struct vk_ctx *c = ctx;
	struct vkh_buf dst;
	uint64_t t = bench_now_ns();

	if (vkh_device_buffer(&c->v, 64 * MiB, &dst, c->why, sizeof(c->why)) < 0 ||
	    vkh_copy(&c->v, &c->src, &dst, c->why, sizeof(c->why)) < 0)
		abort();
	t = bench_now_ns() - t;
	vkh_buf_free(&c->v, &dst);
	return (double)t / 1e3;
}

static void bench_vulkan(struct bench *b)
{
	SEALBUF_OPTS(sealbuf_create_opts, co, .flags = SEALBUF_CREATE_PREFAULT);
	struct vk_ctx c;
	struct bench_pair p;

	if (!bench_wants(b, "Vulkan"))
		return;
	if (vkh_open(&c.v, c.why, sizeof(c.why)) < 0) {
		bench_progress(b, "Vulkan figure skipped: %s", c.why);
		return;
	}
	if (sealbuf_region_create(64 * MiB, &co, &c.r) < 0 ||
	    vkh_import_host(&c.v, sealbuf_region_data(c.r), 64 * MiB, &c.src, c.why, sizeof(c.why)) < 0)
		abort();
	bench_pair_once(b, vk_import, vk_copy, &c, reps(b, 10), &p);
	bench_report(b, "Vulkan host-pointer import 64 MiB", "us", &p,
		     "device buffer + vkCmdCopyBuffer 64 MiB", "CPU 0", NULL);
	vkh_buf_free(&c.v, &c.src);
	vkh_close(&c.v);
	sealbuf_region_free(c.r);
}
#endif

int main(int argc, char **argv)
{
	struct bench b;

	bench_init(&b, "frame", argc, argv);
	bench_pin(&b, 0);
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
	return bench_exit(&b);
}
