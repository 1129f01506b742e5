/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks that take nothing: sealbuf_fd_check, sealbuf_udmabuf_diagnose, sealbuf_drm_query. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

/* The seals every region carries (1.0: SEAL is no longer needed; sealbuf_region_open(3)). */
#define SEALS_OK (F_SEAL_SHRINK | F_SEAL_GROW)

static void assert_open(int fd)
{
	assert_true(fcntl(fd, F_GETFD) >= 0);
}

/* A region's own fd passes, is described, and stays the caller's. */
static void plain_ok(void **state)
{
	struct sealbuf_region *r = tl_region("check-plain", 3 * tl_page(), 0);
	struct sealbuf_fd_info i = { .sz = sizeof(i) };
	int fd = sealbuf_region_fd(r);

	assert_int_equal(sealbuf_fd_check(fd, NULL, &i), 0);
	assert_open(fd);
	assert_int_equal(i.sz, sizeof(i));
	assert_int_equal(i.flags, SEALBUF_FD_MEMFD);
	assert_int_equal(i.seals & SEALS_OK, SEALS_OK);
	assert_int_equal(i.access, O_RDWR);
	assert_int_equal(i.kind, SEALBUF_KIND_PLAIN);
	assert_int_equal(i.file_size, 3 * tl_page());
	assert_int_equal(i.size, 3 * tl_page());
	assert_int_equal(sealbuf_fd_check(fd, NULL, NULL), 0);
	/* A declared size that open would refuse is refused here too. */
	SEALBUF_OPTS(sealbuf_check_opts, o, .flags = SEALBUF_CHECK_SIZE, .size = 5 * tl_page());
	tl_assert_fail(sealbuf_fd_check(fd, &o, &i), -ERANGE, SEALBUF_R_SIZE_MISMATCH);
	assert_int_equal(i.size, 5 * tl_page());
	o.size = 3 * tl_page() - 1; /* rounds to the same pages: open accepts it */
	assert_int_equal(sealbuf_fd_check(fd, &o, NULL), 0);
	o.kind = SEALBUF_KIND_RESERVED; /* no header page */
	assert_true(sealbuf_fd_check(fd, &o, NULL) < 0);
	sealbuf_region_free(r);
}

/* The header tells the kind and capacity; checking never writes to the region. */
static void reserved_header(void **state)
{
	struct sealbuf_region *r;
	struct sealbuf_fd_info i = { .sz = sizeof(i) };
	SEALBUF_OPTS(sealbuf_check_opts, ro, .flags = SEALBUF_CHECK_RDONLY);
	uint8_t before[64], after[64];
	uint64_t bad = 1ull << 40;
	int fd, rdonly;

	assert_int_equal(sealbuf_region_reserve(10000, NULL, &r), 0);
	assert_int_equal(sealbuf_region_write(r, "published", 9), 0);
	fd = sealbuf_region_fd(r);
	assert_int_equal(sealbuf_region_share(r, SEALBUF_SHARE_RDONLY, &rdonly), 0);
	memcpy(before, (uint8_t *)sealbuf_region_data(r) - tl_page(), sizeof(before));
	assert_int_equal(sealbuf_fd_check(rdonly, &ro, &i), 0);
	memcpy(after, (uint8_t *)sealbuf_region_data(r) - tl_page(), sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(i.flags, SEALBUF_FD_MEMFD | SEALBUF_FD_HEADER);
	assert_int_equal(i.kind, SEALBUF_KIND_RESERVED);
	assert_int_equal(i.access, O_RDONLY);
	assert_int_equal(i.capacity, 10000);
	assert_int_equal(i.size, 10000);
	assert_int_equal(i.valid_size, 9);
	assert_int_equal(i.seq, sealbuf_region_seq(r));
	/* A read-only handle's fd cannot be mapped writable. */
	tl_assert_fail(sealbuf_fd_check(rdonly, NULL, &i), -EACCES, SEALBUF_R_ACCESS_MODE);
	close(rdonly);
	sealbuf_region_free(r);
	/* A peer scribbles on the capacity: the description says so, the verdict refuses. */
	assert_int_equal(sealbuf_region_reserve(10000, NULL, &r), 0);
	fd = sealbuf_region_fd(r);
	assert_int_equal(pwrite(fd, &bad, sizeof(bad), 16), (ssize_t)sizeof(bad));
	tl_assert_fail(sealbuf_fd_check(fd, NULL, &i), -ERANGE, SEALBUF_R_SIZE_MISMATCH);
	assert_int_equal(i.capacity, bad);
	SEALBUF_OPTS(sealbuf_check_opts, sized, .flags = SEALBUF_CHECK_SIZE, .size = 10000);
	tl_assert_fail(sealbuf_fd_check(fd, &sized, &i), -ERANGE, SEALBUF_R_HEADER_CAPACITY);
	sealbuf_region_free(r);
}

/* Whatever the fd, the caller keeps it and gets the reason open would give. */
static void hostile_fds(void **state)
{
	struct sealbuf_fd_info i = { .sz = sizeof(i) };
	int p[2], fd;

	fd = tl_raw_memfd(MFD_CLOEXEC | MFD_ALLOW_SEALING, F_SEAL_SHRINK, tl_page());
	tl_assert_fail(sealbuf_fd_check(fd, NULL, &i), -EPERM, SEALBUF_R_SEALS_MISSING);
	assert_int_equal(i.flags, SEALBUF_FD_MEMFD);
	assert_int_equal(i.seals & SEALS_OK, F_SEAL_SHRINK);
	assert_open(fd);
	close(fd);
	fd = tl_raw_memfd(MFD_CLOEXEC, 0, tl_page());
	tl_assert_fail(sealbuf_fd_check(fd, NULL, &i), -EPERM, SEALBUF_R_NOT_SEALABLE);
	close(fd);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	tl_assert_fail(sealbuf_fd_check(p[0], NULL, &i), -EBADFD, SEALBUF_R_NOT_MEMFD);
	assert_int_equal(i.flags, 0);
	assert_int_equal(i.seals, -1);
	assert_int_equal(i.access, O_RDONLY);
	assert_open(p[0]);
	close(p[0]);
	close(p[1]);
	fd = open("/dev/null", O_PATH | O_CLOEXEC); /* O_PATH: what tools use for devices */
	assert_true(fd >= 0);
	tl_assert_fail(sealbuf_fd_check(fd, NULL, &i), -EBADFD, SEALBUF_R_NOT_MEMFD);
	assert_non_null(strstr(sealbuf_last_error(), "character device"));
	close(fd);
	tl_assert_fail(sealbuf_fd_check(-1, NULL, &i), -EBADF, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_fd_check(1000, NULL, &i), -EBADF, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(i.access, -1);
}

/* Bad options leave the description untouched. */
static void bad_opts(void **state)
{
	struct sealbuf_region *r = tl_region(NULL, tl_page(), 0);
	struct sealbuf_fd_info i, zero;
	struct sealbuf_check_opts o = { .sz = 4 };
	int fd = sealbuf_region_fd(r);

	memset(&i, 0xa5, sizeof(i));
	i.sz = sizeof(i);
	zero = i;
	tl_assert_fail(sealbuf_fd_check(fd, &o, &i), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	o = (struct sealbuf_check_opts){ .sz = sizeof(o), .flags = 1u << 7 };
	tl_assert_fail(sealbuf_fd_check(fd, &o, &i), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	o = (struct sealbuf_check_opts){ .sz = sizeof(o), .kind = 9 };
	tl_assert_fail(sealbuf_fd_check(fd, &o, &i), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_memory_equal(&i, &zero, sizeof(i));
	i.sz = 8;
	tl_assert_fail(sealbuf_fd_check(fd, NULL, &i), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	sealbuf_region_free(r);
}

/* The diagnosis agrees with sealbuf_udmabuf_check() and with the file system. */
static void udmabuf_diagnose(void **state)
{
	struct sealbuf_udmabuf_diag d = { .sz = sizeof(d) };
	struct stat st;
	bool node = stat("/dev/udmabuf", &st) == 0;
	int check = sealbuf_udmabuf_check();

	tl_assert_fail(sealbuf_udmabuf_diagnose(NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	d.sz = 4;
	tl_assert_fail(sealbuf_udmabuf_diagnose(&d), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	d.sz = sizeof(d);
	assert_int_equal(sealbuf_udmabuf_diagnose(&d), 0);
	assert_int_equal(!!(d.flags & SEALBUF_UDMABUF_DIAG_NODE), node);
	assert_int_equal(d.error, check);
	assert_int_equal(!!(d.flags & SEALBUF_UDMABUF_DIAG_OPENS), check == 0);
	if (node) {
		assert_int_equal(d.node_gid, st.st_gid);
		assert_int_equal(d.node_mode, st.st_mode & 07777);
	}
	if (check < 0) {
		printf("# no export here: %s\n", d.text);
		assert_true(d.text[0] != '\0');
		assert_true(d.reason == SEALBUF_R_NO_UDMABUF || d.reason == SEALBUF_R_UDMABUF_DENIED ||
			    d.reason == SEALBUF_R_SYSCALL);
	} else {
		assert_string_equal(d.text, "");
	}
}

/* DRM devices: as many as drmGetDevices2 lists, none past the end. */
static void drm_query(void **state)
{
	struct sealbuf_drm_info i = { .sz = sizeof(i) };
	int n = sealbuf_drm_query(0, &i);

	tl_assert_fail(sealbuf_drm_query(0, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	if (n == -EOPNOTSUPP) {
		assert_int_equal(sealbuf_last_reason(), SEALBUF_R_NOT_SUPPORTED);
		return;
	}
	tl_assert_fail(sealbuf_drm_query(4096, &i), -ENODEV, SEALBUF_R_NO_DEVICE);
	if (n == -ENODEV) {
		printf("# no DRM devices on this machine\n");
		return;
	}
	assert_true(n > 0);
	for (int k = 0; k < n; k++) {
		if (sealbuf_drm_query((unsigned int)k, &i) < 0)
			break;
		printf("# %s %s flags 0x%x error %d\n", i.node, i.driver, i.flags, i.error);
		assert_int_equal(strncmp(i.node, "/dev/dri/", 9), 0);
		assert_int_equal(!!(i.flags & SEALBUF_DRM_INFO_OPENS), i.error == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(plain_ok),
		TL_TEST(reserved_header),
		TL_TEST(hostile_fds),
		TL_TEST(bad_opts),
		TL_TEST(udmabuf_diagnose),
		TL_TEST(drm_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
