/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared helpers for sealbuf's cmocka programs. */
#ifndef SEALBUF_TESTLIB_H
#define SEALBUF_TESTLIB_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sealbuf.h"

#define EXIT_SKIP 77

/* Print why and exit 77 (meson's SKIP). */
_Noreturn void tl_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Number of open fds in this process (from /proc/self/fd). */
int tl_count_fds(void);
/* Number of mappings of memfds in this process (from /proc/self/maps). */
int tl_count_memfd_maps(void);

/* Per-test setup/teardown that fail the test when it leaked an fd or a mapping. */
int tl_leak_setup(void **state);
int tl_leak_teardown(void **state);
#define TL_TEST(f) cmocka_unit_test_setup_teardown(f, tl_leak_setup, tl_leak_teardown)

/* Assert a call failed with @err and @reason, and that the text says something. */
#define tl_assert_fail(expr, err, reason)                                      \
	do {                                                                   \
		int _r = (expr);                                               \
		if (_r != (err) || sealbuf_last_reason() != (reason))          \
			print_error("%s: got %d (%s: %s), want %d (%s)\n", #expr, _r, \
				    sealbuf_reason_name(sealbuf_last_reason()), \
				    sealbuf_last_error(), (err),                \
				    sealbuf_reason_name(reason));               \
		assert_int_equal(_r, (err));                                   \
		assert_int_equal(sealbuf_last_reason(), (reason));             \
		assert_true(sealbuf_last_error()[0] != '\0');                  \
	} while (0)

/* The kernel page size. */
size_t tl_page(void);
/* A region of @size bytes named @name (NULL: default) with create @flags; fails the test otherwise. */
struct sealbuf_region *tl_region(const char *name, size_t size, uint32_t flags);
/* A memfd made by hand: memfd_create(@mfd_flags), @size bytes, @seals added. */
int tl_raw_memfd(unsigned mfd_flags, int seals, size_t size);

/* A socketpair of @type, close-on-exec. */
void tl_socketpair(int type, int sv[2]);
/* The most fds one message can carry (the kernel's SCM_MAX_FD). */
#define TL_MAX_FDS 253
/* Send raw bytes and fds in one sendmsg: 0 or -errno. */
int tl_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* Send raw bytes and fds in one message, failing the test otherwise. */
void tl_send_raw(int sock, const void *buf, size_t len, const int *fds, size_t nfds);
/* Fill and check a pattern derived from @seed. */
void tl_fill(void *p, size_t len, uint32_t seed);
int tl_check(const void *p, size_t len, uint32_t seed);
/* Pages of [@p, @p + @len) that this process's page tables map (/proc/self/pagemap). */
size_t tl_pages_mapped(const void *p, size_t len);
/*
 * The rest of the line of /proc/self/smaps that starts with @field ("VmFlags:",
 * "ShmemPmdMapped:") for the mapping that starts at @p, in @buf; false if none.
 */
bool tl_smaps(const void *p, const char *field, char *buf, size_t len);
/* Whether valgrind runs this process (it emulates RLIMIT_NOFILE and the address space). */
int tl_under_valgrind(void);

/*
 * A forked reader: dies with its parent, receives a region read-only on
 * @sock, then waits for one byte (the writer's "done") before it returns.
 * NULL on failure.
 */
struct sealbuf_region *tl_reader_wait(int sock);

#endif
