/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices on a real kernel: a region's dma-buf imported into vgem, and vivid capturing a frame into it. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "vcap.h"

#ifdef SEALBUF_HAVE_LIBDRM
#include <xf86drm.h>
#endif

static struct sealbuf_region *new_region(const char *name, size_t size)
{
	return tl_region(name, size, SEALBUF_CREATE_PREFAULT);
}

static int export(const struct sealbuf_region *r)
{
	int fd = -1;

	if (sealbuf_region_export(r, NULL, &fd) < 0)
		fail_msg("export: %s", sealbuf_last_error());
	return fd;
}

static __attribute__((unused)) uint64_t inode_of(int fd)
{
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };

	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	return i.inode;
}

/* Whether debugfs lists @dev among the devices attached to the dma-buf named @name. */
static bool attached(const char *name, const char *dev)
{
	char line[512];
	bool in = false, found = false;
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");

	if (!f)
		return true; /* no debugfs: nothing to contradict */
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "udmabuf"))
			in = strstr(line, name) != NULL;
		else if (in && strstr(line, dev))
			found = true;
	}
	fclose(f);
	return found;
}

static bool have_vgem(void)
{
	int fd;

	if (sealbuf_drm_open("vgem", 0, &fd) < 0)
		return false;
	close(fd);
	return true;
}

/* vgem imports the region's dma-buf (PRIME), once per fd, and hands the same one back. */
static void vgem_import(void **state)
{
	struct sealbuf_region *r = new_region("to-vgem", 16 * tl_page());
	int drm, fd = export(r);
	uint32_t h, h2;

	assert_int_equal(sealbuf_drm_open("vgem", 0, &drm), 0);
	assert_true(fcntl(drm, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(sealbuf_drm_import(drm, fd, &h), 0);
	assert_int_equal(sealbuf_drm_import(drm, fd, &h2), 0);
	assert_int_equal(h, h2);
	assert_true(attached("to-vgem", "vgem"));
#ifdef SEALBUF_HAVE_LIBDRM
	int back = -1;

	assert_int_equal(drmPrimeHandleToFD(drm, h, DRM_CLOEXEC, &back), 0);
	assert_int_equal(inode_of(back), inode_of(fd));
	close(back);
#endif
	assert_int_equal(sealbuf_drm_release(drm, h), 0);
	tl_assert_fail(sealbuf_drm_release(drm, h), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	close(fd);
	close(drm);
	sealbuf_region_free(r);
}

/* The dma-buf outlives its region; vgem's primary node takes it too. */
static void vgem_after_free(void **state)
{
	struct sealbuf_region *r = new_region("freed", 4 * tl_page());
	int drm, fd = export(r);
	uint32_t h;

	sealbuf_region_free(r);
	assert_int_equal(sealbuf_drm_open("vgem", SEALBUF_DRM_PRIMARY, &drm), 0);
	assert_int_equal(sealbuf_drm_import(drm, fd, &h), 0);
	assert_int_equal(sealbuf_drm_release(drm, h), 0);
	close(drm);
	close(fd);
}

static void vgem_errors(void **state)
{
	struct sealbuf_region *r = new_region("errors", tl_page());
	int drm, fd = -7;
	uint32_t h;

	tl_assert_fail(sealbuf_drm_open("no-such-driver", 0, &fd), -ENODEV, SEALBUF_R_NO_DEVICE);
	assert_non_null(strstr(sealbuf_last_error(), "vgem")); /* it says what it found */
	assert_int_equal(sealbuf_drm_open("vgem", 0, &drm), 0);
	tl_assert_fail(sealbuf_drm_import(drm, sealbuf_region_fd(r), &h), -EBADFD,
		       SEALBUF_R_NOT_DMABUF);
	tl_assert_fail(sealbuf_drm_import(sealbuf_region_fd(r), drm, &h), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	close(drm);
	sealbuf_region_free(r);
}

/* An unprivileged user is told which node and group stand in the way. */
static void vgem_denied(void **state)
{
	int status;
	pid_t pid;

	if (geteuid() != 0 || !getenv("SEALBUF_IN_VM")) {
		print_message("needs root in the VM (drops privileges)\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd, r;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		r = sealbuf_drm_open("vgem", 0, &fd);
		printf("nobody: %d %s: %s\n", r, sealbuf_reason_name(sealbuf_last_reason()),
		       sealbuf_last_error());
		fflush(stdout);
		_exit(r == -EACCES && sealbuf_last_reason() == SEALBUF_R_DEVICE_DENIED &&
		      strstr(sealbuf_last_error(), "/dev/dri/") ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/*
 * vivid writes a frame into the region's dma-buf: the bytes appear in the
 * region's own mapping, no copy. The region starts zeroed; limited-range YUYV
 * (Y 16-235, U/V 16-240) has no zero byte, so every byte must have changed.
 */
static void capture_into(struct vcap *v, struct sealbuf_region *r, int fd, bool fresh)
{
	const uint8_t *d = sealbuf_region_data(r);
	uint32_t used = 0;
	size_t zero = 0;
	char why[256];

	/* A fresh region is all zeroes, and nothing has touched its pages yet. */
	if (!fresh)
		memset(sealbuf_region_data(r), 0, sealbuf_region_capacity(r));
	if (vcap_capture(v, fd, sealbuf_region_mapped_size(r), 20000, &used, why, sizeof(why)) < 0)
		fail_msg("capture: %s", why);
	assert_int_equal(sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_READ), 0);
	for (size_t i = 0; i < used; i++)
		zero += d[i] == 0;
	assert_int_equal(sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_READ), 0);
	print_message("%s (%s): %ux%u YUYV, %u bytes written into the region, %zu left zero; "
		      "first pixels %02x %02x %02x %02x\n", v->card, v->path, v->width, v->height,
		      used, zero, d[0], d[1], d[2], d[3]);
	assert_int_equal(used, v->sizeimage);
	assert_int_equal(zero, 0);
}

static void vivid_capture(void **state)
{
	struct sealbuf_region *r;
	struct vcap v;
	char why[256];
	int fd, drm;
	uint32_t h;

	if (vcap_open(&v, "vivid", 640, 360, why, sizeof(why)) < 0) {
		print_message("%s\n", why);
		skip();
	}
	/* Not prefaulted: the camera writes before the CPU ever touches these pages. */
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "vivid-frame");
	assert_int_equal(sealbuf_region_create(v.sizeimage, &o, &r), 0);
	fd = export(r);
	capture_into(&v, r, fd, true);
	capture_into(&v, r, fd, false);
	/* The same dma-buf can sit in vgem at the same time. */
	if (have_vgem()) {
		assert_int_equal(sealbuf_drm_open("vgem", 0, &drm), 0);
		assert_int_equal(sealbuf_drm_import(drm, fd, &h), 0);
		capture_into(&v, r, fd, false);
		assert_true(attached("vivid-frame", "vgem"));
		assert_int_equal(sealbuf_drm_release(drm, h), 0);
		close(drm);
	}
	close(fd);
	sealbuf_region_free(r);
	vcap_close(&v);
}

/* A reserved region's payload as the capture buffer: the camera never reaches the header page. */
static void vivid_payload(void **state)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .flags = SEALBUF_EXPORT_PAYLOAD);
	SEALBUF_OPTS(sealbuf_create_opts, co, .name = "vivid-payload");
	struct sealbuf_region *r;
	const uint8_t *payload;
	uint8_t hdr[64];
	uint32_t used = 0;
	size_t zero = 0;
	struct vcap v;
	char why[256];
	int fd;

	if (vcap_open(&v, "vivid", 640, 360, why, sizeof(why)) < 0) {
		print_message("%s\n", why);
		skip();
	}
	assert_int_equal(sealbuf_region_reserve(v.sizeimage, &co, &r), 0);
	memcpy(hdr, (uint8_t *)sealbuf_region_data(r) - tl_page(), sizeof(hdr));
	assert_int_equal(sealbuf_region_export(r, &o, &fd), 0);
	if (vcap_capture(&v, fd, (v.sizeimage + tl_page() - 1) / tl_page() * tl_page(), 20000, &used,
			 why, sizeof(why)) < 0)
		fail_msg("capture: %s", why);
	payload = sealbuf_region_data(r);
	for (size_t i = 0; i < used; i++)
		zero += payload[i] == 0;
	assert_int_equal(used, v.sizeimage);
	assert_int_equal(zero, 0);
	assert_memory_equal(hdr, payload - tl_page(), sizeof(hdr));
	close(fd);
	sealbuf_region_free(r);
	vcap_close(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(vgem_import),
		TL_TEST(vgem_after_free),
		TL_TEST(vgem_errors),
		TL_TEST(vgem_denied),
		TL_TEST(vivid_capture),
		TL_TEST(vivid_payload),
	};
	struct vcap v;
	char why[256];
	bool vivid;

	if (sealbuf_udmabuf_check() < 0)
		tl_skip("needs a kernel with udmabuf: %s", sealbuf_last_error());
	vivid = vcap_open(&v, "vivid", 640, 360, why, sizeof(why)) == 0;
	vcap_close(&v);
	if (!have_vgem() && !vivid)
		tl_skip("needs vgem or vivid: %s; %s (meson test --suite vm loads both in a VM)",
			sealbuf_last_error(), why);
	if (!have_vgem()) {
		const struct CMUnitTest vivid_only[] = { TL_TEST(vivid_capture), TL_TEST(vivid_payload) };

		print_message("no vgem (%s): the vivid test alone\n", sealbuf_last_error());
		return cmocka_run_group_tests(vivid_only, NULL, NULL);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
