/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Frames: plane layouts, and frames in regions sent whole (or not at all) past hostile peers. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "testlib.h"
#include "wire.h"

static struct sealbuf_frame_desc layout(uint32_t fourcc, uint32_t w, uint32_t h, uint32_t align,
					uint32_t flags, uint64_t sizes[SEALBUF_FRAME_MAX_BUFFERS])
{
	SEALBUF_OPTS(sealbuf_layout_opts, o, .stride_align = align, .flags = flags);
	struct sealbuf_frame_desc d;

	if (sealbuf_frame_layout(fourcc, w, h, &o, &d, sizes) < 0)
		fail_msg("layout: %s", sealbuf_last_error());
	return d;
}

/* The five formats: strides, offsets and buffer sizes, by hand. */
static void layouts(void **state)
{
	uint64_t s[SEALBUF_FRAME_MAX_BUFFERS];
	struct sealbuf_frame_desc d;

	d = layout(DRM_FORMAT_XRGB8888, 641, 3, 0, 0, s);
	assert_int_equal(d.nplanes, 1);
	assert_int_equal(d.planes[0].stride, 2624); /* 2564 rounded to 64 */
	assert_int_equal(s[0], 2624 * 3);
	d = layout(DRM_FORMAT_ARGB8888, 16, 16, 1, 0, s);
	assert_int_equal(d.planes[0].stride, 64);
	d = layout(DRM_FORMAT_YUYV, 641, 2, 4, 0, s);
	assert_int_equal(d.planes[0].stride, 1284); /* 321 macropixels of 4 bytes */
	d = layout(DRM_FORMAT_NV12, 640, 360, 64, 0, s);
	assert_int_equal(d.nplanes, 2);
	assert_int_equal(d.nbuffers, 1);
	assert_int_equal(d.planes[1].offset, 640 * 360);
	assert_int_equal(d.planes[1].stride, 640);
	assert_int_equal(s[0], 640 * 360 * 3 / 2);
	assert_int_equal(s[1], 0);
	d = layout(DRM_FORMAT_NV12, 640, 360, 64, SEALBUF_LAYOUT_BUFFER_PER_PLANE, s);
	assert_int_equal(d.nbuffers, 2);
	assert_int_equal(d.planes[1].buffer, 1);
	assert_int_equal(d.planes[1].offset, 0);
	assert_int_equal(s[0], 640 * 360);
	assert_int_equal(s[1], 640 * 180);
	d = layout(DRM_FORMAT_YUV420, 33, 5, 1, 0, s);
	assert_int_equal(d.nplanes, 3);
	assert_int_equal(d.planes[1].stride, 17);
	assert_int_equal(d.planes[1].offset, 176); /* 33 * 5 = 165, aligned to 16 */
	assert_int_equal(d.planes[2].offset, 176 + 17 * 3 + 13); /* 227 -> 240 */
	assert_int_equal(s[0], 240 + 17 * 3);
}

static void layout_errors(void **state)
{
	SEALBUF_OPTS(sealbuf_layout_opts, o, .stride_align = 48);
	struct sealbuf_frame_desc d;

	tl_assert_fail(sealbuf_frame_layout(DRM_FORMAT_RGB565, 4, 4, NULL, &d, NULL), -EOPNOTSUPP,
		       SEALBUF_R_FORMAT);
	tl_assert_fail(sealbuf_frame_layout(DRM_FORMAT_NV12, 4, 4, &o, &d, NULL), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_layout(DRM_FORMAT_NV12, 0, 4, NULL, &d, NULL), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_layout(DRM_FORMAT_NV12, 4, SEALBUF_FRAME_MAX_DIM + 1, NULL,
					    &d, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_layout(DRM_FORMAT_NV12, 4, 4, NULL, NULL, NULL), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
}

/* A caller's description that breaks one rule is refused with the rule's name. */
static void description_rules(void **state)
{
	struct sealbuf_frame_desc good = layout(DRM_FORMAT_NV12, 64, 64, 64, 0, NULL), d;
	struct sealbuf_frame *f = NULL;

	d = good, d.planes[1].stride = 63;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	d = good, d.planes[1].offset += 8;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	d = good, d.planes[1].buffer = 1;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	d = good, d.nbuffers = 2; /* buffer 1 unused */
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	d = good, d.nplanes = 3;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	d = good, d.planes[1].offset = UINT64_MAX - 15;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	d = good, d.modifier = I915_FORMAT_MOD_X_TILED;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EOPNOTSUPP, SEALBUF_R_FORMAT);
	d = good, d.reserved = 1;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	d = good, d.nbuffers = SEALBUF_FRAME_MAX_BUFFERS + 1;
	tl_assert_fail(sealbuf_frame_new(&d, &f), -EINVAL, SEALBUF_R_PLANE_LAYOUT);
	assert_null(f);
}

/* A region too small for its planes is refused, and freed (the frame took it). */
static void set_region_rules(void **state)
{
	struct sealbuf_frame_desc d = layout(DRM_FORMAT_NV12, 64, 64, 64,
					     SEALBUF_LAYOUT_BUFFER_PER_PLANE, NULL);
	struct sealbuf_frame *f;

	assert_int_equal(sealbuf_frame_new(&d, &f), 0);
	tl_assert_fail(sealbuf_frame_set_region(f, 1, tl_region(NULL, 64 * 32 - 1, 0)), -EINVAL,
		       SEALBUF_R_PLANE_LAYOUT);
	tl_assert_fail(sealbuf_frame_set_region(f, 2, tl_region(NULL, 4096, 0)), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_frame_set_region(f, 1, tl_region(NULL, 64 * 32, 0)), 0);
	tl_assert_fail(sealbuf_frame_set_region(f, 1, tl_region(NULL, 64 * 32, 0)), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	assert_non_null(sealbuf_frame_plane(f, 1));
	assert_null(sealbuf_frame_plane(f, 0)); /* buffer 0 unset */
	assert_null(sealbuf_frame_plane(f, 2));
	tl_assert_fail(sealbuf_frame_send(-1, f, 0), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	sealbuf_frame_free(f);
	sealbuf_frame_free(NULL);
}

static struct sealbuf_frame *nv12_frame(uint32_t flags)
{
	struct sealbuf_frame_desc d = layout(DRM_FORMAT_NV12, 640, 360, 64, flags, NULL);
	struct sealbuf_frame *f;

	if (sealbuf_frame_create(&d, NULL, &f) < 0)
		fail_msg("create: %s", sealbuf_last_error());
	return f;
}

static void fill_planes(const struct sealbuf_frame *f, uint32_t seed)
{
	tl_fill(sealbuf_frame_plane(f, 0), 640 * 360, seed);
	tl_fill(sealbuf_frame_plane(f, 1), 640 * 180, seed + 1);
}

static int check_planes(const struct sealbuf_frame *f, uint32_t seed)
{
	return tl_check(sealbuf_frame_plane(f, 0), 640 * 360, seed) &&
	       tl_check(sealbuf_frame_plane(f, 1), 640 * 180, seed + 1);
}

/* Child: receive the frame, check the parent's bytes, write its own in place, say so. */
static int child_main(int sock)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .timeout_ms = 10000);
	struct sealbuf_frame *f;
	char ok = 1;

	if (sealbuf_frame_recv(sock, &o, &f) < 0) {
		fprintf(stderr, "child: %s\n", sealbuf_last_error());
		return 1;
	}
	if (sealbuf_frame_desc(f)->fourcc != DRM_FORMAT_NV12 || !check_planes(f, 7))
		return 2;
	fill_planes(f, 9);
	sealbuf_frame_free(f);
	return write(sock, &ok, 1) == 1 ? 0 : 3;
}

/* A two-region NV12 frame crosses a fork; both sides write the same pages (no copy). */
static void across_fork(int type)
{
	struct sealbuf_frame *f = nv12_frame(SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	int sv[2], status;
	char ok;
	pid_t pid;

	tl_socketpair(type, sv);
	fill_planes(f, 7);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_main(sv[1]));
	close(sv[1]);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	assert_int_equal(read(sv[0], &ok, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(check_planes(f, 9));
	close(sv[0]);
	sealbuf_frame_free(f);
}

static void fork_seqpacket(void **state) { across_fork(SOCK_SEQPACKET); }
static void fork_stream(void **state) { across_fork(SOCK_STREAM); }

/* Back-to-back frames and a region on one stream stay in step. */
static void stream_mixed(void **state)
{
	struct sealbuf_frame *f = nv12_frame(0), *g;
	struct sealbuf_region *r = tl_region(NULL, 4096, 0), *r2;
	int sv[2];

	tl_socketpair(SOCK_STREAM, sv);
	fill_planes(f, 3);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	assert_int_equal(sealbuf_frame_recv(sv[1], NULL, &g), 0);
	assert_true(check_planes(g, 3));
	sealbuf_frame_free(g);
	assert_int_equal(sealbuf_region_recv(sv[1], NULL, &r2), 0);
	sealbuf_region_free(r2);
	assert_int_equal(sealbuf_frame_recv(sv[1], NULL, &g), 0);
	sealbuf_frame_free(g);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
	sealbuf_frame_free(f);
}

/* Each side gets a clear version error from the other's message, and no fd stays. */
static void version_mismatch(void **state)
{
	struct sealbuf_frame *f = nv12_frame(SEALBUF_LAYOUT_BUFFER_PER_PLANE), *g = NULL;
	struct sealbuf_region *r = tl_region(NULL, 4096, 0), *r2 = NULL;
	int type, sv[2];

	for (type = 0; type < 2; type++) {
		tl_socketpair(type ? SOCK_STREAM : SOCK_SEQPACKET, sv);
		assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
		tl_assert_fail(sealbuf_region_recv(sv[1], NULL, &r2), -EPROTONOSUPPORT,
			       SEALBUF_R_VERSION);
		assert_non_null(strstr(sealbuf_last_error(), "sealbuf_frame_recv"));
		/* The frame was read whole: the stream stays in step for the next message. */
		assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
		assert_int_equal(sealbuf_region_recv(sv[1], NULL, &r2), 0);
		sealbuf_region_free(r2);
		r2 = NULL;
		close(sv[0]);
		close(sv[1]);
	}
	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &g), -EPROTONOSUPPORT, SEALBUF_R_VERSION);
	assert_non_null(strstr(sealbuf_last_error(), "sealbuf_region_recv"));
	close(sv[0]);
	close(sv[1]);
	assert_null(g);
	assert_null(r2);
	sealbuf_region_free(r);
	sealbuf_frame_free(f);
}

/* A frame of two regions as a peer would describe it (before tampering). */
struct forged {
	struct sb_wire_frame w;
	struct sealbuf_region *r[2];
	int fds[3];
	size_t nfds;
};

static void forge(struct forged *fg)
{
	struct sealbuf_frame_desc d = layout(DRM_FORMAT_NV12, 64, 64, 64,
					     SEALBUF_LAYOUT_BUFFER_PER_PLANE, NULL);

	memset(fg, 0, sizeof(*fg));
	fg->w.desc = d;
	for (int i = 0; i < 2; i++) {
		size_t size = i ? 64 * 32 : 64 * 64;
		fg->r[i] = tl_region(NULL, size, 0);
		fg->fds[i] = sealbuf_region_fd(fg->r[i]);
		fg->w.buffers[i] = (struct sb_wire_buffer){ .type = SB_BUFFER_REGION,
							    .kind = SEALBUF_KIND_PLAIN, .size = size,
							    .file_size = sealbuf_region_mapped_size(fg->r[i]) };
	}
	fg->nfds = 2;
}

/* Send the forged frame; the receiver must fail with @err/@reason and keep no fd. */
static void expect_refused(struct forged *fg, int err, enum sealbuf_reason reason)
{
	uint8_t buf[SB_MSG_MAX];
	struct sealbuf_frame *f = NULL;
	int sv[2], before, maps = tl_count_memfd_maps();
	size_t len = sb_frame_wire_encode(&fg->w, buf);

	tl_socketpair(SOCK_SEQPACKET, sv);
	before = tl_count_fds();
	tl_send_raw(sv[0], buf, len, fg->fds, fg->nfds);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), err, reason);
	assert_null(f);
	assert_int_equal(tl_count_fds(), before);
	assert_int_equal(tl_count_memfd_maps(), maps);
	close(sv[0]);
	close(sv[1]);
	for (int i = 0; i < 2; i++)
		sealbuf_region_free(fg->r[i]);
}

static void hostile_fd_count(void **state)
{
	struct forged fg;

	forge(&fg), fg.nfds = 1;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_NO_FD);
	forge(&fg), fg.fds[2] = fg.fds[0], fg.nfds = 3;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_EXTRA_FDS);
}

static void hostile_planes(void **state)
{
	struct forged fg;

	forge(&fg), fg.w.buffers[1].size = 64 * 32 - 1, fg.w.buffers[1].file_size = 4096;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT); /* plane past its buffer */
	forge(&fg), fg.w.desc.planes[0].stride = 63;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT);
	forge(&fg), fg.w.desc.planes[1].offset = 4;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT);
	forge(&fg), fg.w.desc.planes[1].offset = UINT64_MAX - 15;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT);
	forge(&fg), fg.w.desc.fourcc = DRM_FORMAT_RGB565;
	expect_refused(&fg, -EOPNOTSUPP, SEALBUF_R_FORMAT);
	forge(&fg), fg.w.desc.planes[1].buffer = 0;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT); /* buffer 1 unused */
}

static void hostile_buffers(void **state)
{
	struct forged fg;
	int p[2];

	/* The second buffer is smaller than declared: the first, already opened, goes too. */
	forge(&fg), fg.w.buffers[1].size = 8192, fg.w.buffers[1].file_size = 8192;
	expect_refused(&fg, -ERANGE, SEALBUF_R_SIZE_MISMATCH);
	forge(&fg), fg.w.buffers[1].type = SB_BUFFER_DMABUF, fg.w.buffers[1].kind = 0;
	fg.w.buffers[1].file_size = fg.w.buffers[1].size;
	strcpy(fg.w.buffers[1].exporter, "system");
	expect_refused(&fg, -EBADFD, SEALBUF_R_NOT_DMABUF);
	forge(&fg), fg.w.buffers[0].kind = SEALBUF_KIND_RESERVED;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	forge(&fg), fg.w.buffers[0].flags = SB_WIRE_RDONLY;
	expect_refused(&fg, -EACCES, SEALBUF_R_ACCESS_MODE);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	forge(&fg), fg.fds[1] = p[0];
	expect_refused(&fg, -EBADFD, SEALBUF_R_NOT_MEMFD);
	close(p[0]);
	close(p[1]);
}

/* Bytes that are not a frame: short, long, lying lengths, bad exporter names. */
static void hostile_bytes(void **state)
{
	struct forged fg;
	uint8_t buf[SB_MSG_MAX + 8];
	struct sealbuf_frame *f = NULL;
	size_t len;
	int sv[2];

	forge(&fg);
	len = sb_frame_wire_encode(&fg.w, buf);
	tl_socketpair(SOCK_SEQPACKET, sv);
	tl_send_raw(sv[0], buf, len - 1, fg.fds, 2);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), -EPROTO, SEALBUF_R_TRUNCATED);
	buf[20] = 5; /* nplanes */
	tl_send_raw(sv[0], buf, len, fg.fds, 2);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	buf[20] = 2;
	buf[len - 1] = 'x'; /* exporter of a region, unterminated */
	tl_send_raw(sv[0], buf, len, fg.fds, 2);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	buf[len - 1] = 0;
	memset(buf + len, 0, 8);
	tl_send_raw(sv[0], buf, len + 8, fg.fds, 2);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	tl_send_raw(sv[0], buf, 7, fg.fds, 2);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), -EPROTO, SEALBUF_R_TRUNCATED);
	assert_null(f);
	close(sv[0]);
	close(sv[1]);
	for (int i = 0; i < 2; i++)
		sealbuf_region_free(fg.r[i]);
}

/* poll(2)-style timeouts, and a stream peer that stalls or dies mid-message. */
static void timeouts_and_stalls(void **state)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, now, .timeout_ms = 0);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, soon, .timeout_ms = 50);
	struct forged fg;
	uint8_t buf[SB_MSG_MAX];
	struct sealbuf_frame *f = NULL;
	int sv[2];

	tl_socketpair(SOCK_STREAM, sv);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &now, &f), -EAGAIN, SEALBUF_R_WOULD_BLOCK);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &soon, &f), -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	forge(&fg);
	sb_frame_wire_encode(&fg.w, buf);
	tl_send_raw(sv[0], buf, 60, fg.fds, 2); /* part of the message, then silence */
	tl_assert_fail(sealbuf_frame_recv(sv[1], &soon, &f), -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	close(sv[0]);
	close(sv[1]);
	tl_socketpair(SOCK_STREAM, sv);
	tl_send_raw(sv[0], buf, 60, fg.fds, 2);
	close(sv[0]);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &soon, &f), -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	close(sv[1]);
	assert_null(f);
	for (int i = 0; i < 2; i++)
		sealbuf_region_free(fg.r[i]);
}

/* A read-only frame: received only read-only, mapped read-only. */
static void rdonly_frame(void **state)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, ro, .flags = SEALBUF_OPEN_RDONLY);
	struct sealbuf_buffer_info info = { .sz = sizeof(info) };
	struct sealbuf_frame *f = nv12_frame(SEALBUF_LAYOUT_BUFFER_PER_PLANE), *g = NULL;
	int sv[2];

	tl_socketpair(SOCK_SEQPACKET, sv);
	fill_planes(f, 5);
	assert_int_equal(sealbuf_frame_send(sv[0], f, SEALBUF_SHARE_RDONLY), 0);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &g), -EACCES, SEALBUF_R_ACCESS_MODE);
	assert_int_equal(sealbuf_frame_send(sv[0], f, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(sealbuf_frame_recv(sv[1], &ro, &g), 0);
	assert_true(check_planes(g, 5));
	assert_int_equal(sealbuf_frame_buffer_info(g, 1, &info), 0);
	assert_int_equal(info.kind, SEALBUF_BUFFER_REGION);
	assert_int_equal(info.writable, 0);
	assert_int_equal(info.size, 640 * 180);
	assert_string_equal(info.exporter, "");
	assert_false(sealbuf_region_writable(sealbuf_frame_region(g, 1)));
	sealbuf_frame_free(g);
	close(sv[0]);
	close(sv[1]);
	sealbuf_frame_free(f);
}

/* Send the forged frame's bytes with @nfds copies of its fds: the receiver keeps nothing. */
static void flood_fds(struct forged *fg, size_t nfds)
{
	uint8_t buf[SB_MSG_MAX];
	int fds[TL_MAX_FDS], sv[2], before, maps = tl_count_memfd_maps();
	struct sealbuf_frame *f = NULL;
	size_t len = sb_frame_wire_encode(&fg->w, buf);

	for (size_t i = 0; i < nfds; i++)
		fds[i] = fg->fds[i % 2];
	tl_socketpair(SOCK_SEQPACKET, sv);
	before = tl_count_fds();
	tl_send_raw(sv[0], buf, len, fds, nfds);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &f), -EBADMSG, SEALBUF_R_EXTRA_FDS);
	assert_null(f);
	assert_int_equal(tl_count_fds(), before);
	assert_int_equal(tl_count_memfd_maps(), maps);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Review attacks: far more fds than declared (past the receiver's room), a
 * stride whose lines run past the buffer, an offset whose end wraps, a pipe
 * or a memfd declared a dma-buf, one fd for two buffers of different sizes.
 */
static void hostile_review(void **state)
{
	struct forged fg;
	int p[2];

	forge(&fg);
	flood_fds(&fg, 9);
	flood_fds(&fg, TL_MAX_FDS);
	for (int i = 0; i < 2; i++)
		sealbuf_region_free(fg.r[i]);
	forge(&fg), fg.w.desc.planes[0].stride = 0xfffffff0u;
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT);
	forge(&fg), fg.w.desc.planes[1].offset = UINT64_MAX - 4095; /* + 32 lines wraps */
	expect_refused(&fg, -EBADMSG, SEALBUF_R_PLANE_LAYOUT);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	forge(&fg), fg.fds[1] = p[0], fg.w.buffers[1].type = SB_BUFFER_DMABUF;
	fg.w.buffers[1].kind = 0, fg.w.buffers[1].file_size = fg.w.buffers[1].size;
	strcpy(fg.w.buffers[1].exporter, "system");
	expect_refused(&fg, -EBADFD, SEALBUF_R_NOT_DMABUF);
	close(p[0]);
	close(p[1]);
	/* One memfd of one page for buffer 0 and, declared two pages, for buffer 1. */
	forge(&fg), fg.fds[1] = fg.fds[0];
	fg.w.buffers[1].size = 2 * tl_page(), fg.w.buffers[1].file_size = 2 * tl_page();
	expect_refused(&fg, -ERANGE, SEALBUF_R_SIZE_MISMATCH);
}

/*
 * One fd for two buffers of the same page count is accepted: the planes then
 * alias (docs/frames.md says a frame's planes may overlap; nothing a sender
 * could not do with one buffer). Every plane stays inside its mapping.
 */
static void aliased_buffers(void **state)
{
	struct forged fg;
	uint8_t buf[SB_MSG_MAX];
	struct sealbuf_frame *f = NULL;
	int sv[2];
	size_t len;

	forge(&fg), fg.fds[1] = fg.fds[0];
	len = sb_frame_wire_encode(&fg.w, buf);
	tl_socketpair(SOCK_SEQPACKET, sv);
	tl_send_raw(sv[0], buf, len, fg.fds, 2);
	assert_int_equal(sealbuf_frame_recv(sv[1], NULL, &f), 0);
	memset(sealbuf_frame_plane(f, 0), 0x5a, 64 * 64);
	assert_int_equal(*(uint8_t *)sealbuf_frame_plane(f, 1), 0x5a);
	sealbuf_frame_free(f);
	close(sv[0]);
	close(sv[1]);
	for (int i = 0; i < 2; i++)
		sealbuf_region_free(fg.r[i]);
}

/* A read-only frame's planes cannot be made writable: mprotect is refused, the sender's bytes stay. */
static void rdonly_frame_mprotect(void **state)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, ro, .flags = SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE);
	struct sealbuf_frame *f = nv12_frame(SEALBUF_LAYOUT_BUFFER_PER_PLANE), *g = NULL;
	int sv[2], fd = -1;
	void *p;

	tl_socketpair(SOCK_SEQPACKET, sv);
	fill_planes(f, 3);
	assert_int_equal(sealbuf_frame_send(sv[0], f, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(sealbuf_frame_recv(sv[1], &ro, &g), 0);
	p = sealbuf_frame_plane(g, 0);
	assert_int_equal(mprotect(p, tl_page(), PROT_READ | PROT_WRITE), -1);
	assert_int_equal(errno, EACCES);
	/* Its dma-buf for a device: the region export refuses to give a writable path either. */
	if (sealbuf_frame_export(g, 0, &fd) == 0)
		close(fd);
	assert_int_equal(mmap(NULL, tl_page(), PROT_READ | PROT_WRITE, MAP_SHARED,
			      sealbuf_region_fd(sealbuf_frame_region(g, 0)), 0), MAP_FAILED);
	assert_true(check_planes(f, 3));
	sealbuf_frame_free(g);
	close(sv[0]);
	close(sv[1]);
	sealbuf_frame_free(f);
}

/* The open flags reach each region of a frame: populated by default, not with LAZY. */
static void recv_populate(void **state)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, lazy, .flags = SEALBUF_OPEN_LAZY, .timeout_ms = 1000);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, both, .timeout_ms = 1000,
		     .flags = SEALBUF_OPEN_LAZY | SEALBUF_OPEN_POPULATE);
	struct sealbuf_frame_desc d = layout(DRM_FORMAT_XRGB8888, 512, 512, 0, 0, NULL);
	struct sealbuf_frame *f = NULL, *g = NULL;
	size_t size = 512 * 512 * 4;
	int sv[2];

	assert_int_equal(sealbuf_frame_create(&d, NULL, &f), 0);
	tl_socketpair(SOCK_SEQPACKET, sv);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &both, &g), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	assert_int_equal(sealbuf_frame_recv(sv[1], NULL, &g), 0);
	assert_int_equal(tl_pages_mapped(sealbuf_frame_plane(g, 0), size), size / tl_page());
	sealbuf_frame_free(g);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	assert_int_equal(sealbuf_frame_recv(sv[1], &lazy, &g), 0);
	assert_int_equal(tl_pages_mapped(sealbuf_frame_plane(g, 0), size), 0);
	sealbuf_frame_free(g);
	close(sv[0]);
	close(sv[1]);
	sealbuf_frame_free(f);
}

static void bad_arguments(void **state)
{
	SEALBUF_OPTS(sealbuf_frame_opts, fo, .reserved = 1);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, ro, .flags = 1u << 7);
	struct sealbuf_frame_desc d = layout(DRM_FORMAT_XRGB8888, 8, 8, 0, 0, NULL);
	struct sealbuf_frame *f = NULL;
	struct sealbuf_buffer_info info = { .sz = 4 };
	int sv[2], fd;

	tl_assert_fail(sealbuf_frame_create(&d, &fo, &f), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_create(NULL, NULL, &f), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_socketpair(SOCK_SEQPACKET, sv);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &ro, &f), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	close(sv[0]);
	close(sv[1]);
	assert_int_equal(sealbuf_frame_create(&d, NULL, &f), 0);
	tl_assert_fail(sealbuf_frame_buffer_info(f, 0, &info), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	tl_assert_fail(sealbuf_frame_buffer_info(f, 1, &info), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_export(f, 1, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_set_dmabuf(f, 0, -1), -EBADF, SEALBUF_R_INVALID_ARGUMENT);
	assert_null(sealbuf_frame_region(f, 9));
	assert_null(sealbuf_frame_desc(NULL));
	sealbuf_frame_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(layouts), TL_TEST(layout_errors), TL_TEST(description_rules),
		TL_TEST(set_region_rules), TL_TEST(fork_seqpacket), TL_TEST(fork_stream),
		TL_TEST(stream_mixed), TL_TEST(version_mismatch), TL_TEST(hostile_fd_count),
		TL_TEST(hostile_planes), TL_TEST(hostile_buffers), TL_TEST(hostile_bytes),
		TL_TEST(timeouts_and_stalls), TL_TEST(rdonly_frame), TL_TEST(recv_populate), TL_TEST(bad_arguments),
		TL_TEST(hostile_review), TL_TEST(aliased_buffers), TL_TEST(rdonly_frame_mprotect),
	};
	signal(SIGPIPE, SIG_DFL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
