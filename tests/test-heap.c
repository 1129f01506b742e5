/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dma-heaps and foreign dma-bufs: allocate, map, share as frames, receive with exporter checks. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <drm.h>
#include <drm_fourcc.h>

#include "testlib.h"
#include "wire.h"

static bool have_system_heap(void)
{
	return access("/dev/dma_heap/system", F_OK) == 0;
}

#define NEED_HEAP()                                                            \
	do {                                                                   \
		if (!have_system_heap()) {                                     \
			print_message("SKIP: no /dev/dma_heap/system (CONFIG_DMABUF_HEAPS_SYSTEM; the vm suite has it)\n"); \
			skip();                                                \
		}                                                              \
	} while (0)

/* Runs everywhere: a heap that is not there names the ones that are. */
static void no_such_heap(void **state)
{
	char names[256];
	int fd = -1, n = sealbuf_heap_list(names, sizeof(names));

	assert_true(n >= 0);
	tl_assert_fail(sealbuf_heap_alloc("no-such-heap", 4096, 0, &fd), -ENODEV, SEALBUF_R_NO_HEAP);
	assert_non_null(strstr(sealbuf_last_error(), n ? names : "none"));
	print_message("heaps: \"%s\"; error: %s\n", names, sealbuf_last_error());
	tl_assert_fail(sealbuf_heap_alloc("../dri/card0", 4096, 0, &fd), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	/* "..", "." and hidden names are no heap: never open /dev or the heap directory itself. */
	tl_assert_fail(sealbuf_heap_alloc("..", 4096, 0, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_heap_alloc(".", 4096, 0, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_heap_alloc(".system", 4096, 0, &fd), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_heap_alloc("system", 0, 0, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_heap_alloc("system", 4096, 1, &fd), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	tl_assert_fail(sealbuf_heap_list(names, 0), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(fd, -1);
}

/* A heap buffer is a dma-buf from exporter "system", mapped and written like memory. */
static void alloc_and_map(void **state)
{
	struct sealbuf_dmabuf_info info = { .sz = sizeof(info) };
	char names[256], tiny[3];
	int fd;

	NEED_HEAP();
	assert_true(sealbuf_heap_list(names, sizeof(names)) >= 1);
	assert_non_null(strstr(names, "system"));
	tl_assert_fail(sealbuf_heap_list(tiny, sizeof(tiny)), -ENOBUFS, SEALBUF_R_BUFFER_TOO_SMALL);
	assert_int_equal(sealbuf_heap_alloc("system", 1000, 0, &fd), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(sealbuf_dmabuf_query(fd, &info), 0);
	assert_string_equal(info.exporter, "system");
	assert_int_equal(info.size, tl_page());
	close(fd);
}

static struct sealbuf_frame *heap_frame(void)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .flags = SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	SEALBUF_OPTS(sealbuf_frame_opts, fo, .heap = "system");
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f;

	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_NV12, 320, 240, &lo, &d, NULL), 0);
	if (sealbuf_frame_create(&d, &fo, &f) < 0)
		fail_msg("heap frame: %s", sealbuf_last_error());
	return f;
}

/* Child: receive a frame allowing only @allowed, check and overwrite its planes. */
static int child_main(int sock, const char *const *allowed)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .timeout_ms = 10000, .exporters = allowed);
	struct sealbuf_buffer_info info = { .sz = sizeof(info) };
	struct sealbuf_frame *f;
	char ok = 1;
	int r = sealbuf_frame_recv(sock, &o, &f);

	if (r < 0) {
		printf("child: %s: %s\n", sealbuf_reason_name(sealbuf_last_reason()),
		       sealbuf_last_error());
		return sealbuf_last_reason() == SEALBUF_R_EXPORTER ? 4 : 1;
	}
	if (sealbuf_frame_buffer_info(f, 1, &info) < 0 || info.kind != SEALBUF_BUFFER_DMABUF ||
	    strcmp(info.exporter, "system") || !info.writable)
		return 2;
	if (!tl_check(sealbuf_frame_plane(f, 0), 320 * 240, 11) ||
	    !tl_check(sealbuf_frame_plane(f, 1), 320 * 120, 12))
		return 3;
	tl_fill(sealbuf_frame_plane(f, 1), 320 * 120, 13);
	sealbuf_frame_free(f);
	return write(sock, &ok, 1) == 1 ? 0 : 5;
}

static int share_with_child(struct sealbuf_frame *f, const char *const *allowed)
{
	int sv[2], status;
	char ok;
	pid_t pid;

	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_main(sv[1], allowed));
	close(sv[1]);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	(void)!read(sv[0], &ok, 1);
	close(sv[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* A two-buffer heap frame reaches another process; both write the same pages. */
static void share_heap_frame(void **state)
{
	static const char *const system_only[] = { "system", NULL };
	static const char *const udmabuf_only[] = { "udmabuf", NULL };
	struct sealbuf_frame *f;

	NEED_HEAP();
	f = heap_frame();
	tl_fill(sealbuf_frame_plane(f, 0), 320 * 240, 11);
	tl_fill(sealbuf_frame_plane(f, 1), 320 * 120, 12);
	assert_int_equal(share_with_child(f, system_only), 0);
	assert_true(tl_check(sealbuf_frame_plane(f, 1), 320 * 120, 13));
	tl_fill(sealbuf_frame_plane(f, 1), 320 * 120, 12);
	assert_int_equal(share_with_child(f, NULL), 0);
	assert_int_equal(share_with_child(f, udmabuf_only), 4);
	sealbuf_frame_free(f);
}

/* A peer that lies about its dma-buf's exporter or size is refused; no fd stays. */
static void lying_peer(void **state)
{
	struct sb_wire_frame w = { .desc = { 0 } };
	uint8_t buf[SB_MSG_MAX];
	struct sealbuf_frame *g = NULL;
	int fd, sv[2], before;
	size_t len;

	NEED_HEAP();
	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_XRGB8888, 32, 32, NULL, &w.desc, NULL), 0);
	assert_int_equal(sealbuf_heap_alloc("system", 4096, 0, &fd), 0);
	w.buffers[0] = (struct sb_wire_buffer){ .type = SB_BUFFER_DMABUF, .size = 4096,
						.file_size = 4096, .exporter = "udmabuf" };
	tl_socketpair(SOCK_SEQPACKET, sv);
	before = tl_count_fds();
	len = sb_frame_wire_encode(&w, buf);
	tl_send_raw(sv[0], buf, len, &fd, 1);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &g), -EPERM, SEALBUF_R_EXPORTER);
	strcpy(w.buffers[0].exporter, "system");
	w.buffers[0].size = w.buffers[0].file_size = 8192;
	len = sb_frame_wire_encode(&w, buf);
	tl_send_raw(sv[0], buf, len, &fd, 1);
	tl_assert_fail(sealbuf_frame_recv(sv[1], NULL, &g), -ERANGE, SEALBUF_R_SIZE_MISMATCH);
	assert_int_equal(tl_count_fds(), before);
	assert_null(g);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

/* A dma-buf another allocator made (udmabuf, vgem) travels the same checked path. */
static void send_one_dmabuf(int dmabuf_fd, const char *exporter)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .exporters = (const char *const[]){ exporter, NULL });
	struct sealbuf_buffer_info info = { .sz = sizeof(info) };
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f, *g;
	char flags[256];
	int sv[2];

	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_XRGB8888, 64, 16, NULL, &d, NULL), 0);
	assert_int_equal(sealbuf_frame_new(&d, &f), 0);
	if (sealbuf_frame_set_dmabuf(f, 0, dmabuf_fd) < 0)
		fail_msg("set_dmabuf: %s", sealbuf_last_error());
	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	if (sealbuf_frame_recv(sv[1], &o, &g) < 0)
		fail_msg("recv: %s", sealbuf_last_error());
	assert_int_equal(sealbuf_frame_buffer_info(g, 0, &info), 0);
	assert_string_equal(info.exporter, exporter);
	assert_true(info.writable); /* its fd is read-write */
	print_message("a %s dma-buf of %llu bytes arrived as a frame\n", exporter,
		      (unsigned long long)info.size);
	sealbuf_frame_free(g);
	/* Asked for a read-only view, the receiver maps it so (no "wr" in the VMA's flags). */
	o.flags = SEALBUF_OPEN_RDONLY;
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	if (sealbuf_frame_recv(sv[1], &o, &g) < 0)
		fail_msg("recv read-only: %s", sealbuf_last_error());
	assert_int_equal(sealbuf_frame_buffer_info(g, 0, &info), 0);
	assert_false(info.writable);
	assert_true(tl_smaps(sealbuf_frame_plane(g, 0), "VmFlags:", flags, sizeof(flags)));
	assert_null(strstr(flags, " wr "));
	sealbuf_frame_free(g);
	sealbuf_frame_free(f);
	close(sv[0]);
	close(sv[1]);
}

static void foreign_dmabufs(void **state)
{
	struct sealbuf_region *r;
	int fd, drm;

	if (sealbuf_udmabuf_check() < 0) {
		print_message("SKIP: %s\n", sealbuf_last_error());
		skip();
	}
	r = tl_region(NULL, 4096, 0);
	assert_int_equal(sealbuf_region_export(r, NULL, &fd), 0);
	sealbuf_region_free(r);
	send_one_dmabuf(fd, "udmabuf");
	/* Dumb buffers are made on the primary node only. */
	if (sealbuf_drm_open("vgem", SEALBUF_DRM_PRIMARY, &drm) < 0) {
		print_message("no vgem here (%s): the GPU-driver case is left out\n",
			      sealbuf_last_error());
		return;
	}
	struct drm_mode_create_dumb dumb = { .width = 64, .height = 16, .bpp = 32 };
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };
	assert_int_equal(ioctl(drm, DRM_IOCTL_MODE_CREATE_DUMB, &dumb), 0);
	prime.handle = dumb.handle;
	assert_int_equal(ioctl(drm, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime), 0);
	/* GEM's PRIME export names the drm core, not the driver, as the exporter. */
	send_one_dmabuf(prime.fd, "drm");
	assert_int_equal(sealbuf_drm_release(drm, dumb.handle), 0);
	close(drm);
}

static size_t avail_bytes(void)
{
	char line[128];
	size_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

/* Without permission the text gives the udev rule; more than RAM is "exhausted". */
static void denied_and_exhausted(void **state)
{
	int fd = -1, status;
	pid_t pid;

	NEED_HEAP();
	tl_assert_fail(sealbuf_heap_alloc("system", (size_t)64 << 30, 0, &fd), -ENOMEM,
		       SEALBUF_R_HEAP_EXHAUSTED);
	print_message("64 GiB: %s\n", sealbuf_last_error());
	tl_assert_fail(sealbuf_heap_alloc("system", avail_bytes() + (64u << 20), 0, &fd), -ENOMEM,
		       SEALBUF_R_HEAP_EXHAUSTED);
	if (geteuid() != 0 || !getenv("SEALBUF_IN_VM")) {
		print_message("SKIP (denied case): needs root in the VM (drops privileges)\n");
		return;
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		r = sealbuf_heap_alloc("system", 4096, 0, &fd);
		printf("nobody: %d %s: %s\n", r, sealbuf_reason_name(sealbuf_last_reason()),
		       sealbuf_last_error());
		fflush(stdout);
		_exit(r == -EACCES && sealbuf_last_reason() == SEALBUF_R_HEAP_DENIED &&
		      strstr(sealbuf_last_error(), "SUBSYSTEM==\"dma_heap\"") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(no_such_heap), TL_TEST(alloc_and_map), TL_TEST(share_heap_frame),
		TL_TEST(lying_peer), TL_TEST(foreign_dmabufs), TL_TEST(denied_and_exhausted),
	};

	if (!have_system_heap() && sealbuf_udmabuf_check() < 0) {
		const struct CMUnitTest host[] = { TL_TEST(no_such_heap) };
		int r = cmocka_run_group_tests(host, NULL, NULL);

		if (r == 0)
			tl_skip("no /dev/dma_heap/system and no udmabuf here: only the missing-heap case ran "
				"(meson test --suite vm runs the rest in a VM)");
		return r;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
