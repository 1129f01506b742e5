/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Windows: map part of an owned or received region, plain or payload, with open's checks. */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

#define PAGES 8

static void window_expect(const struct sealbuf_region *r, uint64_t off, uint64_t len,
			  uint32_t flags, int err, enum sealbuf_reason why)
{
	struct sealbuf_window *w = (void *)0x1;

	tl_assert_fail(sealbuf_window_map(r, off, len, flags, &w), err, why);
	assert_ptr_equal(w, (void *)0x1);
}

/* Work through a region in windows; writes through one show in the region. */
static void owned_plain(void **state)
{
	size_t p = tl_page();
	struct sealbuf_region *r = tl_region("windows", PAGES * p, 0);
	struct sealbuf_window *w;

	tl_fill(sealbuf_region_data(r), PAGES * p, 3);
	for (size_t off = 0; off < PAGES * p; off += 2 * p) {
		assert_int_equal(sealbuf_window_map(r, off, 2 * p, 0, &w), 0);
		assert_int_equal(sealbuf_window_size(w), 2 * p);
		assert_memory_equal(sealbuf_window_data(w), (uint8_t *)sealbuf_region_data(r) + off, 2 * p);
		sealbuf_window_unmap(w);
	}
	assert_int_equal(sealbuf_window_map(r, 3 * p, 0, 0, &w), 0); /* to the end */
	assert_int_equal(sealbuf_window_size(w), (PAGES - 3) * p);
	memcpy(sealbuf_window_data(w), "through the window", 18);
	assert_memory_equal((uint8_t *)sealbuf_region_data(r) + 3 * p, "through the window", 18);
	sealbuf_region_free(r); /* the window outlives the region */
	assert_memory_equal(sealbuf_window_data(w), "through the window", 18);
	sealbuf_window_unmap(w);
	sealbuf_window_unmap(NULL);
	assert_null(sealbuf_window_data(NULL));
	assert_int_equal(sealbuf_window_size(NULL), 0);
}

/* Overflow, unaligned and out-of-range windows: each its own reason. */
static void bad_windows(void **state)
{
	size_t p = tl_page();
	struct sealbuf_region *r = tl_region(NULL, PAGES * p, 0), *e = tl_region(NULL, 0, 0);
	struct sealbuf_window *w;

	window_expect(r, 1, p, 0, -EINVAL, SEALBUF_R_MISALIGNED);
	window_expect(r, 0, p + 1, 0, -EINVAL, SEALBUF_R_MISALIGNED);
	window_expect(r, p, UINT64_MAX - p + 1, 0, -EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW);
	window_expect(r, UINT64_MAX - p + 1, 2 * p, 0, -EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW);
	window_expect(r, PAGES * p, 0, 0, -ERANGE, SEALBUF_R_RANGE);
	window_expect(r, (PAGES - 1) * p, 2 * p, 0, -ERANGE, SEALBUF_R_RANGE);
	window_expect(r, 0, (PAGES + 1) * p, 0, -ERANGE, SEALBUF_R_RANGE);
	window_expect(e, 0, 0, 0, -ENODATA, SEALBUF_R_EMPTY);
	window_expect(r, 0, 0, SEALBUF_WINDOW_PAYLOAD, -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	window_expect(r, 0, 0, 1u << 7, -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	window_expect(NULL, 0, 0, 0, -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_window_map(r, 0, 0, 0, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	/* A plain region's size is checked to the page: 100 bytes give one whole page. */
	sealbuf_region_free(e);
	e = tl_region(NULL, 100, 0);
	assert_int_equal(sealbuf_window_map(e, 0, 0, 0, &w), 0);
	assert_int_equal(sealbuf_window_size(w), p);
	sealbuf_window_unmap(w);
	sealbuf_region_free(e);
	sealbuf_region_free(r);
}

/* The payload of a reserved region, counted from its first byte. */
static void reserved_payload(void **state)
{
	size_t p = tl_page();
	struct sealbuf_region *r = NULL;
	struct sealbuf_window *w;

	assert_int_equal(sealbuf_region_reserve(4 * p, NULL, &r), 0);
	assert_int_equal(sealbuf_region_write(r, "payload", 7), 0);
	assert_int_equal(sealbuf_window_map(r, 0, p, SEALBUF_WINDOW_PAYLOAD | SEALBUF_WINDOW_RDONLY, &w), 0);
	assert_memory_equal(sealbuf_window_data(w), "payload", 7);
	sealbuf_window_unmap(w);
	window_expect(r, 4 * p, 0, SEALBUF_WINDOW_PAYLOAD, -ERANGE, SEALBUF_R_RANGE);
	assert_int_equal(sealbuf_window_map(r, 0, 0, SEALBUF_WINDOW_PAYLOAD, &w), 0);
	assert_int_equal(sealbuf_window_size(w), 4 * p);
	sealbuf_window_unmap(w);
	sealbuf_region_free(r);
}

/* Received: NOMAP maps nothing but the windows; read-only stays read-only. */
static void received(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, nomap, .flags = SEALBUF_OPEN_NOMAP | SEALBUF_OPEN_RDONLY,
		     .timeout_ms = 5000);
	SEALBUF_OPTS(sealbuf_open_opts, plain, .flags = SEALBUF_OPEN_RDONLY);
	size_t p = tl_page();
	struct sealbuf_region *r = tl_region(NULL, PAGES * p, 0), *got = NULL, *nokeep = NULL;
	struct sealbuf_window *w;
	int sv[2], fd;

	tl_fill(sealbuf_region_data(r), PAGES * p, 9);
	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], r, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(sealbuf_region_recv(sv[1], &nomap, &got), 0);
	assert_null(sealbuf_region_data(got));
	assert_int_equal(sealbuf_region_mapped_size(got), 0);
	assert_int_equal(sealbuf_region_capacity(got), PAGES * p);
	window_expect(got, 0, p, 0, -EROFS, SEALBUF_R_READ_ONLY);
	assert_int_equal(sealbuf_window_map(got, 2 * p, 2 * p, SEALBUF_WINDOW_RDONLY, &w), 0);
	assert_memory_equal(sealbuf_window_data(w), (uint8_t *)sealbuf_region_data(r) + 2 * p, 2 * p);
	assert_int_equal(mprotect(sealbuf_window_data(w), p, PROT_READ | PROT_WRITE), -1);
	sealbuf_window_unmap(w);
	/* The sender shared read-only: its own writable windows are over too. */
	window_expect(r, 0, p, 0, -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	sealbuf_region_free(got);
	/* Without its handle a region has no windows. */
	assert_int_equal(sealbuf_region_share(r, SEALBUF_SHARE_RDONLY, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, PAGES * p, &plain, &nokeep), 0);
	window_expect(nokeep, 0, p, SEALBUF_WINDOW_RDONLY, -EBADF, SEALBUF_R_NO_HANDLE);
	sealbuf_region_free(nokeep);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(owned_plain),
		TL_TEST(bad_windows),
		TL_TEST(reserved_payload),
		TL_TEST(received),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
