/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Regions: create, map, sizes, empty regions, options and their errors. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"

static void create_small(void **state)
{
	struct sealbuf_region *r = NULL;

	assert_int_equal(sealbuf_region_create(100, NULL, &r), 0);
	assert_int_equal(sealbuf_region_size(r), 100);
	assert_int_equal(sealbuf_region_capacity(r), 100);
	assert_int_equal(sealbuf_region_mapped_size(r), tl_page());
	assert_int_equal(sealbuf_region_kind(r), SEALBUF_KIND_PLAIN);
	assert_true(sealbuf_region_writable(r));
	assert_true(sealbuf_region_fd(r) >= 0);
	memset(sealbuf_region_data(r), 0xab, 100);
	sealbuf_region_free(r);
}

/* Mozilla's Empty: a zero-size region is valid and maps nothing. */
static void create_empty(void **state)
{
	struct sealbuf_region *r = NULL;

	assert_int_equal(sealbuf_region_create(0, NULL, &r), 0);
	assert_null(sealbuf_region_data(r));
	assert_int_equal(sealbuf_region_size(r), 0);
	assert_int_equal(sealbuf_region_mapped_size(r), 0);
	assert_true(sealbuf_region_fd(r) >= 0);
	sealbuf_region_free(r);
}

/* Mozilla's SmallSize, and sizes around page boundaries. */
static void create_sizes(void **state)
{
	size_t sizes[] = { 1, tl_page() - 1, tl_page(), tl_page() + 1, 3 * tl_page(), 1 << 20 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct sealbuf_region *r = NULL;
		size_t want = (sizes[i] + tl_page() - 1) / tl_page() * tl_page();
		assert_int_equal(sealbuf_region_create(sizes[i], NULL, &r), 0);
		assert_int_equal(sealbuf_region_size(r), sizes[i]);
		assert_int_equal(sealbuf_region_mapped_size(r), want);
		tl_fill(sealbuf_region_data(r), sizes[i], (uint32_t)i);
		assert_true(tl_check(sealbuf_region_data(r), sizes[i], (uint32_t)i));
		sealbuf_region_free(r);
	}
}

static void sealed_and_named(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "test-region-name");
	struct sealbuf_region *r = NULL;
	char path[64], target[256];
	ssize_t n;
	int seals, fd;

	assert_int_equal(sealbuf_region_create(4096, &o, &r), 0);
	fd = sealbuf_region_fd(r);
	seals = fcntl(fd, F_GET_SEALS);
	assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW), F_SEAL_SHRINK | F_SEAL_GROW);
	/* The creator keeps the right to add write seals: read-only share, freeze. */
	assert_int_equal(seals & (F_SEAL_SEAL | F_SEAL_WRITE | 0x10 /* FUTURE_WRITE */), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* Sealed: neither side can resize it. */
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(ftruncate(fd, 1 << 20), -1);
	/* F_SEAL_WRITE cannot take a writable mapping's access: the kernel says EBUSY. */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EBUSY);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	assert_true(n > 0);
	target[n] = '\0';
	assert_non_null(strstr(target, "memfd:test-region-name"));
	sealbuf_region_free(r);
}

static void prefault_and_noreserve(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, pre, .flags = SEALBUF_CREATE_PREFAULT);
	SEALBUF_OPTS(sealbuf_create_opts, nores, .flags = SEALBUF_CREATE_NORESERVE);
	struct sealbuf_region *r = NULL;
	unsigned char vec[16];

	assert_int_equal(sealbuf_region_create(16 * tl_page(), &pre, &r), 0);
	assert_int_equal(mincore(sealbuf_region_data(r), 16 * tl_page(), vec), 0);
	for (int i = 0; i < 16; i++)
		assert_true(vec[i] & 1);
	sealbuf_region_free(r);
	assert_int_equal(sealbuf_region_create(16 * tl_page(), &nores, &r), 0);
	sealbuf_region_free(r);
}

static void free_null(void **state)
{
	sealbuf_region_free(NULL);
	assert_null(sealbuf_region_data(NULL));
	assert_int_equal(sealbuf_region_size(NULL), 0);
	assert_int_equal(sealbuf_region_fd(NULL), -1);
}

/* Chromium's size-overflow and too-large cases. */
static void size_limits(void **state)
{
	struct sealbuf_region *r = (void *)0x1;

	tl_assert_fail(sealbuf_region_create(SIZE_MAX, NULL, &r), -EOVERFLOW,
		       SEALBUF_R_SIZE_OVERFLOW);
	tl_assert_fail(sealbuf_region_create(SIZE_MAX - tl_page() * 2, NULL, &r), -EFBIG,
		       SEALBUF_R_TOO_LARGE);
	/* Representable, but more than the machine has: refused before reserving. */
	tl_assert_fail(sealbuf_region_create((size_t)1 << 50, NULL, &r), -EFBIG,
		       SEALBUF_R_TOO_LARGE);
	assert_ptr_equal(r, (void *)0x1); /* untouched on failure */
}

static void bad_options(void **state)
{
	struct sealbuf_region *r = NULL;
	char name[SEALBUF_NAME_MAX + 2];
	struct {
		struct sealbuf_create_opts o;
		uint64_t future;
	} big = { .o = { .sz = sizeof(big) }, .future = 1 };
	SEALBUF_OPTS(sealbuf_create_opts, flags, .flags = 1u << 31);
	SEALBUF_OPTS(sealbuf_create_opts, shift, .huge_page_shift = 21);
	struct sealbuf_create_opts small = { .sz = 4 };
	struct sealbuf_create_opts named = { .sz = sizeof(named), .name = name };

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	tl_assert_fail(sealbuf_region_create(1, NULL, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_create(1, &flags, &r), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	tl_assert_fail(sealbuf_region_create(1, &small, &r), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	tl_assert_fail(sealbuf_region_create(1, &big.o, &r), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	tl_assert_fail(sealbuf_region_create(1, &named, &r), -ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG);
	tl_assert_fail(sealbuf_region_create(1, &shift, &r), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	big.future = 0; /* a newer caller's zeroed tail is fine */
	assert_int_equal(sealbuf_region_create(1, &big.o, &r), 0);
	sealbuf_region_free(r);
}

static void reasons_named(void **state)
{
	for (int i = 0; i < _SEALBUF_R_COUNT; i++)
		assert_non_null(sealbuf_reason_name(i));
	assert_null(sealbuf_reason_name(_SEALBUF_R_COUNT));
	assert_null(sealbuf_reason_name(-1));
}

static int logged;
static void log_fn(void *ud, int prio, const char *file, int line, const char *fn,
		   const char *msg)
{
	logged++;
	assert_ptr_equal(ud, &logged);
	assert_non_null(strstr(msg, "SEALBUF_R_UNKNOWN_FLAGS"));
}

static void log_hook(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = 1u << 30);
	struct sealbuf_region *r;

	sealbuf_set_log_fn(log_fn, &logged);
	assert_true(sealbuf_region_create(1, &o, &r) < 0);
	sealbuf_set_log_fn(NULL, NULL);
	assert_true(sealbuf_region_create(1, &o, &r) < 0);
	assert_int_equal(logged, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(create_small),   TL_TEST(create_empty),
		TL_TEST(create_sizes),   TL_TEST(sealed_and_named),
		TL_TEST(prefault_and_noreserve), TL_TEST(free_null),
		TL_TEST(size_limits),    TL_TEST(bad_options),
		TL_TEST(reasons_named),  TL_TEST(log_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
