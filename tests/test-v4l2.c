/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* V4L2 multi-planar capture (vivid, NV12M) into two-plane frames: regions and a dma-heap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include "testlib.h"
#include "vcap.h"

static struct vcap cam;

/* The frame V4L2 describes: NV12, each plane in its own buffer at offset 0. */
static struct sealbuf_frame_desc desc_of(const struct vcap *v)
{
	struct sealbuf_frame_desc d = { .fourcc = DRM_FORMAT_NV12, .width = v->width,
					.height = v->height, .nplanes = 2, .nbuffers = 2 };

	for (uint32_t i = 0; i < 2; i++)
		d.planes[i] = (struct sealbuf_plane){ .buffer = i, .stride = v->stride[i] };
	return d;
}

static size_t zeros(const uint8_t *p, size_t n)
{
	size_t z = 0;

	for (size_t i = 0; i < n; i++)
		z += p[i] == 0;
	return z;
}

/*
 * vivid writes one frame into the frame's two dma-bufs; the bytes appear in
 * its planes' own mappings (no copy). The buffers start zeroed and
 * limited-range NV12 has no zero byte, so every byte must have changed.
 */
static void capture_into(const char *heap)
{
	SEALBUF_OPTS(sealbuf_frame_opts, fo, .heap = heap, .name = "vivid-nv12");
	struct sealbuf_frame_desc d = desc_of(&cam);
	struct sealbuf_frame *f;
	int fds[2];
	uint32_t offsets[2] = { 0, 0 }, lengths[2], used[2];
	char why[256];

	if (sealbuf_frame_create(&d, &fo, &f) < 0)
		fail_msg("frame: %s", sealbuf_last_error());
	for (uint32_t i = 0; i < 2; i++) {
		struct sealbuf_buffer_info info = { .sz = sizeof(info) };

		assert_int_equal(sealbuf_frame_export(f, i, &fds[i]), 0);
		assert_int_equal(sealbuf_frame_buffer_info(f, i, &info), 0);
		lengths[i] = (uint32_t)(info.size + tl_page() - 1) / tl_page() * tl_page();
	}
	if (vcap_capture_mplane(&cam, fds, offsets, lengths, 20000, used, why, sizeof(why)) < 0)
		fail_msg("capture: %s", why);
	for (uint32_t i = 0; i < 2; i++) {
		const uint8_t *p = sealbuf_frame_plane(f, i);
		size_t n = (size_t)cam.stride[i] * (i ? (cam.height + 1) / 2 : cam.height);

		assert_int_equal(sealbuf_dmabuf_sync_begin(fds[i], SEALBUF_SYNC_READ), 0);
		print_message("%s: plane %u: %u bytes written into the %s buffer, %zu of %zu left zero; "
			      "first bytes %02x %02x\n", cam.card, i, used[i], heap ? heap : "region",
			      zeros(p, n), n, p[0], p[1]);
		assert_int_equal(used[i], cam.plane_size[i]);
		assert_int_equal(zeros(p, n), 0);
		assert_int_equal(sealbuf_dmabuf_sync_end(fds[i], SEALBUF_SYNC_READ), 0);
		close(fds[i]);
	}
	sealbuf_frame_free(f);
}

static void capture_regions(void **state)
{
	if (sealbuf_udmabuf_check() < 0) {
		print_message("SKIP: %s\n", sealbuf_last_error());
		skip();
	}
	capture_into(NULL);
}

static void capture_heap(void **state)
{
	if (access("/dev/dma_heap/system", F_OK) < 0) {
		print_message("SKIP: no /dev/dma_heap/system here\n");
		skip();
	}
	capture_into("system");
}

int main(void)
{
	const struct CMUnitTest tests[] = { TL_TEST(capture_regions), TL_TEST(capture_heap) };
	char why[256];
	int r;

	if (vcap_open_mplane(&cam, "vivid", 640, 360, V4L2_PIX_FMT_NV12M, why, sizeof(why)) < 0)
		tl_skip("%s (meson test --suite vm loads vivid with multiplanar=2 in a VM)", why);
	if (cam.nplanes != 2)
		tl_skip("%s gives NV12M in %u planes, not 2", cam.card, cam.nplanes);
	print_message("%s (%s): NV12M %ux%u, strides %u/%u, planes %u/%u bytes\n", cam.card,
		      cam.path, cam.width, cam.height, cam.stride[0], cam.stride[1],
		      cam.plane_size[0], cam.plane_size[1]);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	vcap_close(&cam);
	return r;
}
