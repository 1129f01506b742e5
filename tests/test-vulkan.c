/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Vulkan: a compute shader writes into a region's imported mapping; a peer that received the region reads it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "testlib.h"
#include "vkhost.h"

#define SIZE (1u << 20)
#define SEED 0x5ea1u

static struct vkh vk;

/* The peer: receive the region before the GPU writes, then read the result in place. */
static _Noreturn void peer(int sock)
{
	struct sealbuf_region *r = tl_reader_wait(sock);
	const uint32_t *d;

	if (!r)
		_exit(1);
	d = sealbuf_region_data(r);
	for (uint32_t i = 0; i < SIZE / 4; i++)
		if (d[i] != vkh_pattern(i, SEED))
			_exit(2);
	_exit(0);
}

static void shader_writes_region(void **state)
{
	struct sealbuf_region *r = tl_region("vulkan", SIZE, SEALBUF_CREATE_PREFAULT);
	const uint32_t *d = sealbuf_region_data(r);
	struct vkh_buf b;
	char why[256];
	int sv[2], status;
	pid_t pid;

	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		peer(sv[1]);
	close(sv[1]);
	assert_int_equal(sealbuf_region_send(sv[0], r, SEALBUF_SHARE_RDONLY), 0);
	if (vkh_import_host(&vk, sealbuf_region_data(r), SIZE, &b, why, sizeof(why)) < 0 ||
	    vkh_fill(&vk, &b, SEED, why, sizeof(why)) < 0)
		fail_msg("%s: %s", vk.name, why);
	assert_int_equal(d[12345], vkh_pattern(12345, SEED));
	assert_int_equal(write(sv[0], "g", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	print_message("%s wrote 1 MiB into the region through its imported mapping; the peer read it in place\n",
		      vk.name);
	vkh_buf_free(&vk, &b);
	close(sv[0]);
	sealbuf_region_free(r);
}

/* Where the driver imports dma-bufs: the frame's, with its DRM format and modifier. */
static void import_frame_dmabuf(void **state)
{
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f;
	char why[256];
	int fd;

	if (!vk.has_dmabuf) {
		print_message("SKIP (dma-buf import): %s lacks VK_EXT_external_memory_dma_buf / VK_EXT_image_drm_format_modifier\n",
			      vk.name);
		skip();
	}
	if (sealbuf_udmabuf_check() < 0) {
		print_message("SKIP (dma-buf import): %s\n", sealbuf_last_error());
		skip();
	}
	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_XRGB8888, 256, 256, NULL, &d, NULL), 0);
	assert_int_equal(sealbuf_frame_create(&d, NULL, &f), 0);
	assert_int_equal(sealbuf_frame_export(f, 0, &fd), 0);
	if (vkh_import_dmabuf_image(&vk, fd, d.fourcc, d.width, d.height, d.planes[0].offset,
				    d.planes[0].stride, why, sizeof(why)) < 0)
		fail_msg("%s", why);
	print_message("%s imported the frame's dma-buf as an XRGB8888 linear image\n", vk.name);
	close(fd);
	sealbuf_frame_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = { TL_TEST(shader_writes_region), TL_TEST(import_frame_dmabuf) };
	char why[256];
	int r;

	if (vkh_open(&vk, why, sizeof(why)) < 0)
		tl_skip("%s", why);
	print_message("Vulkan device: %s (host pointer alignment %llu)\n", vk.name,
		      (unsigned long long)vk.host_align);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	vkh_close(&vk);
	return r;
}
