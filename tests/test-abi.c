/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ABI: every byte of every public struct is a named field (no padding), at the offset 1.0 fixed. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testlib.h"

/*
 * Each struct's fields, in order, with their 1.0 offsets on LP64: the fields
 * tile the struct exactly, so a field added in a hole cannot go unnoticed.
 */
struct field {
	const char *name;
	size_t offset, size, want;
};

#define F(T, m, off) { #m, offsetof(struct T, m), sizeof(((struct T *)0)->m), off }

static void tiles(const char *name, size_t size, const struct field *f, size_t n)
{
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		if (sizeof(void *) == 8 && f[i].offset != f[i].want)
			fail_msg("struct %s: %s at offset %zu, 1.0 has it at %zu", name, f[i].name,
				 f[i].offset, f[i].want);
		if (f[i].offset != at)
			fail_msg("struct %s: %zu bytes of padding before %s", name, f[i].offset - at,
				 f[i].name);
		at = f[i].offset + f[i].size;
	}
	if (at != size)
		fail_msg("struct %s: %zu bytes of padding at the end", name, size - at);
	print_message("struct %-24s %3zu bytes, %zu fields, no padding\n", name, size, n);
}

#define TILES(T, ...)                                                          \
	do {                                                                   \
		const struct field f[] = { __VA_ARGS__ };                      \
		tiles(#T, sizeof(struct T), f, SB_N(f));                       \
	} while (0)
#define SB_N(a) (sizeof(a) / sizeof((a)[0]))

static void no_padding(void **state)
{
	TILES(sealbuf_create_opts, F(sealbuf_create_opts, sz, 0), F(sealbuf_create_opts, name, 8),
	      F(sealbuf_create_opts, flags, 16), F(sealbuf_create_opts, huge_page_shift, 20));
	TILES(sealbuf_open_opts, F(sealbuf_open_opts, sz, 0), F(sealbuf_open_opts, flags, 8),
	      F(sealbuf_open_opts, kind, 12));
	TILES(sealbuf_recv_opts, F(sealbuf_recv_opts, sz, 0), F(sealbuf_recv_opts, flags, 8),
	      F(sealbuf_recv_opts, timeout_ms, 12), F(sealbuf_recv_opts, allow_uids, 16),
	      F(sealbuf_recv_opts, n_allow_uids, 24), F(sealbuf_recv_opts, reserved, 28),
	      F(sealbuf_recv_opts, ret_peer, 32));
	TILES(sealbuf_peer, F(sealbuf_peer, sz, 0), F(sealbuf_peer, pid, 8), F(sealbuf_peer, uid, 12),
	      F(sealbuf_peer, gid, 16), F(sealbuf_peer, pidfd, 20), F(sealbuf_peer, source, 24),
	      F(sealbuf_peer, reserved, 28));
	TILES(sealbuf_export_opts, F(sealbuf_export_opts, sz, 0), F(sealbuf_export_opts, offset, 8),
	      F(sealbuf_export_opts, length, 16), F(sealbuf_export_opts, flags, 24),
	      F(sealbuf_export_opts, reserved, 28), F(sealbuf_export_opts, name, 32));
	TILES(sealbuf_export_range, F(sealbuf_export_range, region, 0),
	      F(sealbuf_export_range, offset, 8), F(sealbuf_export_range, length, 16),
	      F(sealbuf_export_range, flags, 24), F(sealbuf_export_range, reserved, 28));
	TILES(sealbuf_udmabuf_info, F(sealbuf_udmabuf_info, sz, 0), F(sealbuf_udmabuf_info, state, 8),
	      F(sealbuf_udmabuf_info, size_limit_mb, 12), F(sealbuf_udmabuf_info, list_limit, 16),
	      F(sealbuf_udmabuf_info, reserved, 20), F(sealbuf_udmabuf_info, size_limit, 24));
	TILES(sealbuf_dmabuf_info, F(sealbuf_dmabuf_info, sz, 0), F(sealbuf_dmabuf_info, size, 8),
	      F(sealbuf_dmabuf_info, inode, 16), F(sealbuf_dmabuf_info, exporter, 24),
	      F(sealbuf_dmabuf_info, name, 56));
}

/* Reserved fields must be 0: a later version may give them a meaning. */
static void reserved_must_be_zero(void **state)
{
	struct sealbuf_region *r = tl_region(NULL, tl_page(), 0);
	SEALBUF_OPTS(sealbuf_export_opts, e, .reserved = 1);
	SEALBUF_OPTS(sealbuf_recv_opts, o, .reserved = 1);
	int fd = -1, sv[2];

	tl_assert_fail(sealbuf_region_export(r, &e, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_non_null(strstr(sealbuf_last_error(), "reserved"));
	tl_socketpair(SOCK_SEQPACKET, sv);
	tl_assert_fail(sealbuf_region_recv(sv[1], &o, &r), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
}

/* The version macros say 1.0; every reason has its name. */
static void versions_and_names(void **state)
{
	assert_int_equal(SEALBUF_VERSION_MAJOR, 1);
	assert_int_equal(SEALBUF_VERSION_MINOR, 0);
	for (int i = 0; i < _SEALBUF_R_COUNT; i++)
		assert_non_null(sealbuf_reason_name((enum sealbuf_reason)i));
	assert_null(sealbuf_reason_name(_SEALBUF_R_COUNT));
}

/* sealbuf_last_reason() after a success: still the last failure's, as documented. */
static void last_reason_after_success(void **state)
{
	struct sealbuf_region *r = NULL;

	tl_assert_fail(sealbuf_region_create(1, &(struct sealbuf_create_opts){
		.sz = sizeof(struct sealbuf_create_opts), .flags = 1u << 30 }, &r),
		       -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	assert_int_equal(sealbuf_region_create(1, NULL, &r), 0);
	assert_int_equal(sealbuf_last_reason(), SEALBUF_R_UNKNOWN_FLAGS);
	sealbuf_region_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_padding),
		TL_TEST(reserved_must_be_zero),
		cmocka_unit_test(versions_and_names),
		TL_TEST(last_reason_after_success),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
