/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sync files: a consumer that received a frame blocks on vgem's fence until the producer signals. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <drm.h>
#include <drm_fourcc.h>

#include "testlib.h"

/* vgem's fence ioctls (include/uapi/drm/vgem_drm.h; libdrm does not ship the header). */
struct vgem_fence_attach {
	uint32_t handle;
	uint32_t flags; /* VGEM_FENCE_WRITE */
	uint32_t out_fence;
	uint32_t pad;
};
struct vgem_fence_signal {
	uint32_t fence;
	uint32_t flags;
};
#define VGEM_FENCE_WRITE 0x1
#define VGEM_IOCTL_FENCE_ATTACH DRM_IOWR(DRM_COMMAND_BASE + 0x1, struct vgem_fence_attach)
#define VGEM_IOCTL_FENCE_SIGNAL DRM_IOW(DRM_COMMAND_BASE + 0x2, struct vgem_fence_signal)

/* Runs everywhere: what is not a dma-buf or a sync file is refused by name. */
static void bad_arguments(void **state)
{
	struct sealbuf_region *r = tl_region(NULL, 4096, 0);
	int p[2], fd = -1;

	tl_assert_fail(sealbuf_dmabuf_export_sync_file(sealbuf_region_fd(r), SEALBUF_SYNC_READ, &fd),
		       -EBADFD, SEALBUF_R_NOT_DMABUF);
	tl_assert_fail(sealbuf_dmabuf_export_sync_file(sealbuf_region_fd(r), 0, &fd), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_dmabuf_import_sync_file(sealbuf_region_fd(r), 8, 0), -EINVAL,
		       SEALBUF_R_UNKNOWN_FLAGS);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	tl_assert_fail(sealbuf_sync_file_wait(p[0], 0), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_sync_file_wait(-1, 0), -EBADF, SEALBUF_R_INVALID_ARGUMENT);
	close(p[0]);
	close(p[1]);
	assert_int_equal(fd, -1);
	sealbuf_region_free(r);
}

/* The producer's side: a frame whose dma-buf vgem holds, and the vgem fence on it. */
struct producer {
	int drm;
	uint32_t handle, fence;
	struct sealbuf_frame *frame;
	int dmabuf;
};

static bool have_heap(void)
{
	return access("/dev/dma_heap/system", F_OK) == 0;
}

static void producer_start(struct producer *p)
{
	SEALBUF_OPTS(sealbuf_frame_opts, fo, .heap = have_heap() ? "system" : NULL);
	struct sealbuf_frame_desc d;
	struct vgem_fence_attach a = { .flags = VGEM_FENCE_WRITE };

	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_XRGB8888, 64, 64, NULL, &d, NULL), 0);
	assert_int_equal(sealbuf_frame_create(&d, &fo, &p->frame), 0);
	assert_int_equal(sealbuf_frame_export(p->frame, 0, &p->dmabuf), 0);
	assert_int_equal(sealbuf_drm_open("vgem", 0, &p->drm), 0);
	assert_int_equal(sealbuf_drm_import(p->drm, p->dmabuf, &p->handle), 0);
	a.handle = p->handle;
	if (ioctl(p->drm, VGEM_IOCTL_FENCE_ATTACH, &a) < 0)
		fail_msg("VGEM_FENCE_ATTACH: %s", strerror(errno));
	p->fence = a.out_fence;
}

static void producer_signal(struct producer *p)
{
	struct vgem_fence_signal s = { .fence = p->fence };

	assert_int_equal(ioctl(p->drm, VGEM_IOCTL_FENCE_SIGNAL, &s), 0);
}

static void producer_stop(struct producer *p)
{
	assert_int_equal(sealbuf_drm_release(p->drm, p->handle), 0);
	close(p->drm);
	close(p->dmabuf);
	sealbuf_frame_free(p->frame);
}

/* The consumer: receive the frame, take a sync file of its writers, block on it. */
static int consumer_main(int sock)
{
	struct sealbuf_frame *f;
	int dmabuf, sync, r;
	char done = 'd';

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sealbuf_frame_recv(sock, NULL, &f) < 0 || sealbuf_frame_export(f, 0, &dmabuf) < 0 ||
	    sealbuf_dmabuf_export_sync_file(dmabuf, SEALBUF_SYNC_READ, &sync) < 0) {
		printf("consumer: %s\n", sealbuf_last_error());
		return 1;
	}
	r = sealbuf_sync_file_wait(sync, 0);
	if (r != -EAGAIN) /* not signalled yet: the producer waits for our word */
		return 2;
	if (write(sock, "w", 1) != 1)
		return 3;
	r = sealbuf_sync_file_wait(sync, -1);
	if (r < 0)
		return 4;
	close(sync);
	close(dmabuf);
	sealbuf_frame_free(f);
	return write(sock, &done, 1) == 1 ? 0 : 5;
}

static void consumer_blocks(void **state)
{
	struct pollfd pfd;
	struct producer p;
	int sv[2], status;
	char c;
	pid_t pid;

	producer_start(&p);
	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(consumer_main(sv[1]));
	close(sv[1]);
	assert_int_equal(sealbuf_frame_send(sv[0], p.frame, 0), 0);
	assert_int_equal(read(sv[0], &c, 1), 1);
	assert_int_equal(c, 'w');
	/* The consumer now waits on the fence: nothing may come for a while. */
	pfd = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 500), 0);
	producer_signal(&p);
	pfd.revents = 0;
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	assert_int_equal(read(sv[0], &c, 1), 1);
	assert_int_equal(c, 'd');
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("consumer blocked until VGEM_FENCE_SIGNAL, then went on\n");
	close(sv[0]);
	producer_stop(&p);
}

/* A sync file imported into another dma-buf makes its readers wait on the same fence. */
static void import_and_timeout(void **state)
{
	struct sealbuf_region *r = tl_region(NULL, 4096, 0);
	struct producer p;
	int other, sync, sync2;

	producer_start(&p);
	assert_int_equal(sealbuf_region_export(r, NULL, &other), 0);
	assert_int_equal(sealbuf_dmabuf_export_sync_file(p.dmabuf, SEALBUF_SYNC_RW, &sync), 0);
	tl_assert_fail(sealbuf_sync_file_wait(sync, 100), -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	assert_int_equal(sealbuf_dmabuf_import_sync_file(other, SEALBUF_SYNC_WRITE, sync), 0);
	tl_assert_fail(sealbuf_dmabuf_import_sync_file(other, SEALBUF_SYNC_WRITE, p.drm), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_dmabuf_export_sync_file(other, SEALBUF_SYNC_READ, &sync2), 0);
	tl_assert_fail(sealbuf_sync_file_wait(sync2, 0), -EAGAIN, SEALBUF_R_WOULD_BLOCK);
	producer_signal(&p);
	assert_int_equal(sealbuf_sync_file_wait(sync2, 5000), 0);
	assert_int_equal(sealbuf_sync_file_wait(sync, 0), 0);
	close(sync);
	close(sync2);
	close(other);
	sealbuf_region_free(r);
	producer_stop(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(bad_arguments), TL_TEST(consumer_blocks), TL_TEST(import_and_timeout),
	};
	const struct CMUnitTest host[] = { TL_TEST(bad_arguments) };
	int drm, r;

	if (sealbuf_udmabuf_check() < 0 || sealbuf_drm_open("vgem", 0, &drm) < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", sealbuf_last_error());
		r = cmocka_run_group_tests(host, NULL, NULL);
		if (r == 0)
			tl_skip("needs udmabuf and vgem for fences: %s (meson test --suite vm runs this in a VM)",
				why);
		return r;
	}
	close(drm);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
