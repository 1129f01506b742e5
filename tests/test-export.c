/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dma-buf export: every rule sealbuf checks before asking the kernel, on any machine. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

static struct sealbuf_region *new_region(size_t size, uint32_t flags)
{
	return tl_region("export-test", size, flags);
}

/* The live limits, or the kernel's defaults where this machine has no udmabuf. */
static struct sealbuf_udmabuf_info limits(void)
{
	struct sealbuf_udmabuf_info i = { .sz = sizeof(i) };

	assert_int_equal(sealbuf_udmabuf_query(&i), 0);
	if (!(i.state & SEALBUF_UDMABUF_LIMITS)) {
		i.size_limit_mb = 64;
		i.list_limit = 1024;
		i.size_limit = 64u << 20;
	}
	return i;
}

/* An export that passed every check reaches /dev/udmabuf: success or its absence. */
static void expect_reached_kernel(int r, const int *fd)
{
	if (r == 0) {
		close(*fd);
		return;
	}
	if (sealbuf_last_reason() != SEALBUF_R_NO_UDMABUF &&
	    sealbuf_last_reason() != SEALBUF_R_UDMABUF_DENIED)
		fail_msg("got %d %s: %s", r, sealbuf_reason_name(sealbuf_last_reason()),
			 sealbuf_last_error());
}

static void export_expect(const struct sealbuf_region *r, uint64_t off, uint64_t len,
			  uint32_t flags, int err, enum sealbuf_reason why)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = off, .length = len, .flags = flags);
	int fd = -7;

	tl_assert_fail(sealbuf_region_export(r, &o, &fd), err, why);
	assert_int_equal(fd, -7);
}

static void bad_arguments(void **state)
{
	struct sealbuf_region *r = new_region(4 * tl_page(), 0);
	struct { size_t sz; char more[256]; } big = { .sz = sizeof(big) };
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = "x");
	int fd;

	tl_assert_fail(sealbuf_region_export(NULL, NULL, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_export(r, NULL, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	o.sz = 4;
	tl_assert_fail(sealbuf_region_export(r, &o, &fd), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	big.more[200] = 1;
	tl_assert_fail(sealbuf_region_export(r, (void *)&big, &fd), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	export_expect(r, 0, 0, 1u << 7, -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	sealbuf_region_free(r);
}

/* The kernel selftest's "unaligned offset" and "unaligned size", and ranges past the end. */
static void alignment_and_range(void **state)
{
	struct sealbuf_region *r = new_region(4 * tl_page(), 0);

	export_expect(r, tl_page() / 2, tl_page(), 0, -EINVAL, SEALBUF_R_MISALIGNED);
	assert_non_null(strstr(sealbuf_last_error(), "offset"));
	export_expect(r, 0, tl_page() / 2, 0, -EINVAL, SEALBUF_R_MISALIGNED);
	assert_non_null(strstr(sealbuf_last_error(), "length"));
	export_expect(r, 4 * tl_page(), 0, 0, -ERANGE, SEALBUF_R_RANGE);
	export_expect(r, 3 * tl_page(), 2 * tl_page(), 0, -ERANGE, SEALBUF_R_RANGE);
	export_expect(r, UINT64_MAX - tl_page() + 1, tl_page(), 0, -ERANGE, SEALBUF_R_RANGE);
	export_expect(r, tl_page(), UINT64_MAX - tl_page() + 1, 0, -ERANGE, SEALBUF_R_RANGE);
	sealbuf_region_free(r);
}

static void empty_and_kind(void **state)
{
	struct sealbuf_region *e = new_region(0, 0), *r = new_region(tl_page(), 0);

	export_expect(e, 0, 0, 0, -ENODATA, SEALBUF_R_EMPTY);
	export_expect(r, 0, 0, SEALBUF_EXPORT_PAYLOAD, -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	sealbuf_region_free(e);
	sealbuf_region_free(r);
}

/* A reserved region's payload: empty capacity, and ranges counted from the payload. */
static void payload_rules(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, co, .name = "payload");
	struct sealbuf_region *e = NULL, *r = NULL;
	int fd;

	assert_int_equal(sealbuf_region_reserve(0, &co, &e), 0);
	export_expect(e, 0, 0, SEALBUF_EXPORT_PAYLOAD, -ENODATA, SEALBUF_R_EMPTY);
	assert_non_null(strstr(sealbuf_last_error(), "payload"));
	assert_int_equal(sealbuf_region_reserve(2 * tl_page(), &co, &r), 0);
	export_expect(r, 2 * tl_page(), 0, SEALBUF_EXPORT_PAYLOAD, -ERANGE, SEALBUF_R_RANGE);
	export_expect(r, tl_page(), 2 * tl_page(), SEALBUF_EXPORT_PAYLOAD, -ERANGE, SEALBUF_R_RANGE);
	/* Without the flag the header page counts: the same range is inside. */
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = tl_page(), .length = 2 * tl_page());
	expect_reached_kernel(sealbuf_region_export(r, &o, &fd), &fd);
	sealbuf_region_free(e);
	sealbuf_region_free(r);
}

static void names(void **state)
{
	struct sealbuf_region *r = new_region(tl_page(), 0);
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = "0123456789abcdef0123456789abcdef");
	int fd = -7;

	tl_assert_fail(sealbuf_region_export(r, &o, &fd), -ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG);
	o.name = "0123456789abcdef0123456789abcde"; /* 31: the longest */
	expect_reached_kernel(sealbuf_region_export(r, &o, &fd), &fd);
	sealbuf_region_free(r);
}

/* A received region keeps no memfd unless asked; a read-only one is never exported. */
static void received_regions(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, keep, .flags = SEALBUF_OPEN_KEEP_HANDLE);
	SEALBUF_OPTS(sealbuf_open_opts, ro,
		     .flags = SEALBUF_OPEN_KEEP_HANDLE | SEALBUF_OPEN_RDONLY);
	struct sealbuf_region *r = new_region(2 * tl_page(), 0), *a = NULL, *b = NULL, *c = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(r, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, 2 * tl_page(), NULL, &a), 0);
	export_expect(a, 0, 0, 0, -EBADF, SEALBUF_R_NO_HANDLE);
	assert_non_null(strstr(sealbuf_last_error(), "SEALBUF_OPEN_KEEP_HANDLE"));

	/* Writable handles first: the first read-only share ends them (SHARED_READ_ONLY). */
	assert_int_equal(sealbuf_region_share(r, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, 2 * tl_page(), &keep, &c), 0);
	expect_reached_kernel(sealbuf_region_export(c, NULL, &fd), &fd);

	assert_int_equal(sealbuf_region_share(r, SEALBUF_SHARE_RDONLY, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, 2 * tl_page(), &ro, &b), 0);
	export_expect(b, 0, 0, 0, -EROFS, SEALBUF_R_READ_ONLY);
	export_expect(r, 0, 0, 0, -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	export_expect(c, 0, 0, 0, -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	tl_assert_fail(sealbuf_region_share(r, 0, &fd), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	sealbuf_region_free(a);
	sealbuf_region_free(b);
	sealbuf_region_free(c);
	sealbuf_region_free(r);
}

static void memfd_expect(int memfd, uint32_t flags, int err, enum sealbuf_reason why)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .flags = flags);
	int fd = -7;

	tl_assert_fail(sealbuf_memfd_export(memfd, &o, &fd), err, why);
	assert_int_equal(fd, -7);
}

/* The kernel selftest's "not a memfd", and the seals udmabuf insists on. */
static void memfd_rules(void **state)
{
	char path[] = "/tmp/sealbuf-export-XXXXXX";
	int p[2], file, fd, ro;
	char link[64];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	memfd_expect(p[0], 0, -EBADFD, SEALBUF_R_NOT_MEMFD);
	assert_non_null(strstr(sealbuf_last_error(), "pipe"));
	close(p[0]);
	close(p[1]);
	file = mkostemp(path, O_CLOEXEC);
	assert_true(file >= 0);
	unlink(path);
	assert_int_equal(ftruncate(file, (off_t)tl_page()), 0);
	memfd_expect(file, 0, -EBADFD, SEALBUF_R_NOT_MEMFD);
	close(file);
	memfd_expect(-1, 0, -EBADF, SEALBUF_R_INVALID_ARGUMENT);

	fd = tl_raw_memfd(0, 0, tl_page());
	memfd_expect(fd, 0, -EPERM, SEALBUF_R_NOT_SEALABLE);
	close(fd);
	fd = tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_GROW, tl_page());
	memfd_expect(fd, 0, -EPERM, SEALBUF_R_SEALS_MISSING);
	close(fd);
	fd = tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE, tl_page());
	memfd_expect(fd, 0, -EPERM, SEALBUF_R_SEALS_EXTRA);
	close(fd);
	fd = tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_WRITE, tl_page());
	memfd_expect(fd, 0, -EPERM, SEALBUF_R_SEALS_EXTRA);
	close(fd);
	fd = tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK, 0);
	memfd_expect(fd, 0, -ENODATA, SEALBUF_R_EMPTY);
	close(fd);

	fd = tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK, tl_page());
	memfd_expect(fd, SEALBUF_EXPORT_PAYLOAD, -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ro = open(link, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	memfd_expect(ro, 0, -EACCES, SEALBUF_R_ACCESS_MODE);
	close(ro);
	expect_reached_kernel(sealbuf_memfd_export(fd, NULL, &ro), &ro);
	close(fd);
}

/* One page over size_limit_mb is refused up front, saying the limit and the way out. */
static void size_limit(void **state)
{
	struct sealbuf_udmabuf_info l = limits();
	struct sealbuf_region *r = new_region(l.size_limit + tl_page(), SEALBUF_CREATE_NORESERVE);
	char want[64];
	int fd;

	export_expect(r, 0, 0, 0, -E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT);
	snprintf(want, sizeof(want), "size_limit_mb=%u", l.size_limit_mb);
	assert_non_null(strstr(sealbuf_last_error(), want));
	assert_non_null(strstr(sealbuf_last_error(), "sealbuf_region_export_split"));
	assert_non_null(strstr(sealbuf_last_error(), "udmabuf.size_limit_mb="));
	/* The range within the limit passes every check. */
	SEALBUF_OPTS(sealbuf_export_opts, o, .length = tl_page());
	expect_reached_kernel(sealbuf_region_export(r, &o, &fd), &fd);
	sealbuf_region_free(r);
}

/* Split: how many are needed, and too little room is refused before anything is made. */
static void split_counts(void **state)
{
	struct sealbuf_udmabuf_info l = limits();
	struct sealbuf_region *r = new_region(2 * l.size_limit + tl_page(), SEALBUF_CREATE_NORESERVE);
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = tl_page());
	int fds[2] = { -7, -7 };

	assert_int_equal(sealbuf_region_export_split(r, NULL, NULL, 0), 3);
	assert_int_equal(sealbuf_region_export_split(r, &o, NULL, 0), 2);
	tl_assert_fail(sealbuf_region_export_split(r, NULL, fds, 2), -ENOBUFS,
		       SEALBUF_R_BUFFER_TOO_SMALL);
	assert_int_equal(fds[0], -7);
	export_expect(r, tl_page() / 2, 0, 0, -EINVAL, SEALBUF_R_MISALIGNED);
	sealbuf_region_free(r);
}

static void list_rules(void **state)
{
	struct sealbuf_region *r = new_region(4 * tl_page(), 0), *e = new_region(0, 0);
	struct sealbuf_export_range ranges[3] = {
		{ .region = r, .length = tl_page() },
		{ .region = r, .offset = 2 * tl_page(), .length = tl_page() / 2 },
		{ .region = r },
	};
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = tl_page());
	int fd = -7;

	tl_assert_fail(sealbuf_export_list(ranges, 0, NULL, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_export_list(NULL, 1, NULL, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_export_list(ranges, 1, &o, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_export_list(ranges, 3, NULL, &fd), -EINVAL, SEALBUF_R_MISALIGNED);
	assert_non_null(strstr(sealbuf_last_error(), "range 1"));
	ranges[1].length = tl_page();
	ranges[2].region = e;
	tl_assert_fail(sealbuf_export_list(ranges, 3, NULL, &fd), -ENODATA, SEALBUF_R_EMPTY);
	assert_non_null(strstr(sealbuf_last_error(), "range 2"));
	ranges[2].region = NULL;
	tl_assert_fail(sealbuf_export_list(ranges, 3, NULL, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	ranges[2].region = r;
	ranges[2].reserved = 1;
	tl_assert_fail(sealbuf_export_list(ranges, 3, NULL, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(fd, -7);
	sealbuf_region_free(r);
	sealbuf_region_free(e);
}

/* list_limit counts ranges after neighbours are merged. */
static void list_limit(void **state)
{
	struct sealbuf_udmabuf_info l = limits();
	size_t n = l.list_limit + 1;
	struct sealbuf_region *r = new_region(2 * n * tl_page(), SEALBUF_CREATE_NORESERVE);
	struct sealbuf_export_range *ranges = calloc(n, sizeof(*ranges));
	char want[64];
	int fd;

	for (size_t i = 0; i < n; i++)
		ranges[i] = (struct sealbuf_export_range){ r, 2 * i * tl_page(), tl_page(), 0, 0 };
	tl_assert_fail(sealbuf_export_list(ranges, n, NULL, &fd), -E2BIG,
		       SEALBUF_R_UDMABUF_LIST_LIMIT);
	snprintf(want, sizeof(want), "list_limit=%u", l.list_limit);
	assert_non_null(strstr(sealbuf_last_error(), want));
	assert_int_equal(sealbuf_export_list_split(ranges, n, NULL, NULL, 0), 2);
	for (size_t i = 0; i < n; i++)
		ranges[i].offset = i * tl_page(); /* neighbours: one range after merging */
	assert_int_equal(sealbuf_export_list_split(ranges, n, NULL, NULL, 0), 1);
	expect_reached_kernel(sealbuf_export_list(ranges, n, NULL, &fd), &fd);
	free(ranges);
	sealbuf_region_free(r);
}

static void dmabuf_rules(void **state)
{
	struct sealbuf_dmabuf_info info = { .sz = sizeof(info) };
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	tl_assert_fail(sealbuf_dmabuf_sync_begin(p[0], SEALBUF_SYNC_READ), -EBADFD,
		       SEALBUF_R_NOT_DMABUF);
	tl_assert_fail(sealbuf_dmabuf_sync_end(p[0], SEALBUF_SYNC_RW), -EBADFD, SEALBUF_R_NOT_DMABUF);
	tl_assert_fail(sealbuf_dmabuf_sync_begin(-1, SEALBUF_SYNC_READ), -EBADF,
		       SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_dmabuf_sync_begin(p[0], 0), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_dmabuf_sync_begin(p[0], 4), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	tl_assert_fail(sealbuf_dmabuf_set_name(p[0], "x"), -EBADFD, SEALBUF_R_NOT_DMABUF);
	tl_assert_fail(sealbuf_dmabuf_set_name(p[0], NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_dmabuf_set_name(p[0], "0123456789abcdef0123456789abcdef"),
		       -ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG);
	tl_assert_fail(sealbuf_dmabuf_query(p[0], &info), -EBADFD, SEALBUF_R_NOT_DMABUF);
	tl_assert_fail(sealbuf_dmabuf_query(p[0], NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	close(p[0]);
	close(p[1]);
}

static void udmabuf_state(void **state)
{
	struct sealbuf_udmabuf_info i = { .sz = sizeof(i) };
	struct { struct sealbuf_udmabuf_info i; uint64_t future; } big = { .i.sz = sizeof(big), .future = 9 };
	int r;

	assert_int_equal(sealbuf_udmabuf_query(&i), 0);
	assert_int_equal(i.sz, sizeof(i));
	assert_int_equal(!!(i.state & SEALBUF_UDMABUF_PRESENT), access("/dev/udmabuf", F_OK) == 0);
	if (i.state & SEALBUF_UDMABUF_LIMITS)
		assert_int_equal(i.size_limit, (uint64_t)i.size_limit_mb << 20);
	assert_int_equal(sealbuf_udmabuf_query(&big.i), 0);
	assert_int_equal(big.future, 0); /* what this version does not know reads as zero */
	i.sz = 4;
	tl_assert_fail(sealbuf_udmabuf_query(&i), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	tl_assert_fail(sealbuf_udmabuf_query(NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);

	r = sealbuf_udmabuf_check();
	if (access("/dev/udmabuf", F_OK) < 0) {
		tl_assert_fail(r, -ENODEV, SEALBUF_R_NO_UDMABUF);
		assert_non_null(strstr(sealbuf_last_error(), "CONFIG_UDMABUF"));
	} else if (r < 0) {
		tl_assert_fail(r, -EACCES, SEALBUF_R_UDMABUF_DENIED);
	}
}

/* Hugetlb regions: sized in huge pages; no reserved huge pages is its own error. */
static void hugetlb_no_pages(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_HUGETLB);
	struct sealbuf_region *r = NULL;
	long free_pages = -1;
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");

	if (f) {
		if (fscanf(f, "%ld", &free_pages) != 1)
			free_pages = -1;
		fclose(f);
	}
	if (free_pages != 0) {
		skip(); /* huge pages are reserved here (or unknown): the VM tier covers it */
		return;
	}
	tl_assert_fail(sealbuf_region_create(1, &o, &r), -ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES);
	assert_non_null(strstr(sealbuf_last_error(), "nr_hugepages"));
	o.flags |= SEALBUF_CREATE_NORESERVE; /* then the mapping is where it fails */
	tl_assert_fail(sealbuf_region_create(1, &o, &r), -ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES);
	assert_null(r);
}

static void drm_rules(void **state)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), fd = -7;
	uint32_t h;

#ifdef SEALBUF_HAVE_LIBDRM
	tl_assert_fail(sealbuf_drm_import(null, null, &h), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_drm_release(null, 1), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_drm_open(NULL, 0, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_drm_open("vgem", 2, &fd), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	tl_assert_fail(sealbuf_drm_open("no-such-driver", 0, &fd), -ENODEV, SEALBUF_R_NO_DEVICE);
#else
	tl_assert_fail(sealbuf_drm_open("vgem", 0, &fd), -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED);
	tl_assert_fail(sealbuf_drm_import(null, null, &h), -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED);
	tl_assert_fail(sealbuf_drm_release(null, 1), -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED);
#endif
	assert_int_equal(fd, -7);
	close(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(bad_arguments),
		TL_TEST(alignment_and_range),
		TL_TEST(empty_and_kind),
		TL_TEST(payload_rules),
		TL_TEST(names),
		TL_TEST(received_regions),
		TL_TEST(memfd_rules),
		TL_TEST(size_limit),
		TL_TEST(split_counts),
		TL_TEST(list_rules),
		TL_TEST(list_limit),
		TL_TEST(dmabuf_rules),
		TL_TEST(udmabuf_state),
		TL_TEST(hugetlb_no_pages),
		TL_TEST(drm_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
