/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Freeze: a filled region becomes read-only for every holder, for good (Mozilla's Freeze tests). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static struct sealbuf_region *filled(size_t size)
{
	struct sealbuf_region *r = tl_region("frozen", size, 0);

	tl_fill(sealbuf_region_data(r), size, 5);
	return r;
}

/* A fresh read-write open of the region's memfd (through /proc, as any holder could). */
static int reopen_rw(const struct sealbuf_region *r)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", sealbuf_region_fd(r));
	return open(path, O_RDWR | O_CLOEXEC);
}

/* FreezeAndMapRW: no writable mapping of a frozen region, by anyone. */
static void freeze_and_map_rw(void **state)
{
	struct sealbuf_region *r = filled(2 * tl_page());
	int fd;

	assert_int_equal(sealbuf_region_freeze(r), 0);
	assert_false(sealbuf_region_writable(r));
	assert_true(tl_check(sealbuf_region_data(r), 2 * tl_page(), 5)); /* same address, same bytes */
	assert_int_equal(fcntl(sealbuf_region_fd(r), F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_true(fcntl(sealbuf_region_fd(r), F_GET_SEALS) & F_SEAL_WRITE);
	fd = reopen_rw(r);
	assert_true(fd >= 0);
	assert_ptr_equal(mmap(NULL, tl_page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
	assert_int_equal(errno, EPERM);
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(errno, EPERM);
	close(fd);
	/* A frozen region shares read-only handles only, with or without the flag. */
	assert_int_equal(sealbuf_region_share(r, 0, &fd), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	tl_assert_fail(sealbuf_window_map(r, 0, 0, 0, &(struct sealbuf_window *){ NULL }), -EROFS,
		       SEALBUF_R_FROZEN);
	sealbuf_region_free(r);
}

/* FreezeAndReprotect: the mapping left cannot be mprotected writable. */
static void freeze_and_reprotect(void **state)
{
	struct sealbuf_region *r = filled(tl_page());

	assert_int_equal(sealbuf_region_freeze(r), 0);
	assert_int_equal(mprotect(sealbuf_region_data(r), tl_page(), PROT_READ | PROT_WRITE), -1);
	assert_int_equal(errno, EACCES);
	sealbuf_region_free(r);
}

/* A frozen region still sends, opens (read-only) and reads everywhere. */
static void frozen_sends_and_reads(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, ro, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 5000);
	SEALBUF_OPTS(sealbuf_recv_opts, rw, .timeout_ms = 5000);
	struct sealbuf_region *r = filled(3 * tl_page()), *a = NULL;
	int sv[2];

	assert_int_equal(sealbuf_region_freeze(r), 0);
	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0); /* goes out read-only */
	assert_int_equal(sealbuf_region_recv(sv[1], &ro, &a), 0);
	assert_true(tl_check(sealbuf_region_data(a), 3 * tl_page(), 5));
	sealbuf_region_free(a);
	assert_int_equal(sealbuf_region_send(sv[0], r, SEALBUF_SHARE_RDONLY), 0);
	tl_assert_fail(sealbuf_region_recv(sv[1], &rw, &a), -EACCES, SEALBUF_R_ACCESS_MODE);
	close(sv[0]);
	close(sv[1]);
	/* Frozen twice: still 0. No dma-buf of it. */
	assert_int_equal(sealbuf_region_freeze(r), 0);
	tl_assert_fail(sealbuf_region_export(r, NULL, &sv[0]), -EROFS, SEALBUF_R_FROZEN);
	sealbuf_region_free(r);
}

/* A peer still mapping it writable: -EBUSY with that said, and this mapping writable again. */
static void peer_holds_writable(void **state)
{
	struct sealbuf_region *r = filled(tl_page()), *peer = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(r, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), NULL, &peer), 0);
	tl_assert_fail(sealbuf_region_freeze(r), -EBUSY, SEALBUF_R_WRITABLE_MAPPING);
	assert_non_null(strstr(sealbuf_last_error(), "writable mapping"));
	assert_non_null(strstr(sealbuf_last_error(), "writable again"));
	assert_true(sealbuf_region_writable(r));
	memset(sealbuf_region_data(r), 7, 16); /* still writes */
	sealbuf_region_free(peer);
	assert_int_equal(sealbuf_region_freeze(r), 0);
	sealbuf_region_free(r);
}

/* Shared read-only, then a writable peer blocks the freeze: this mapping stays read-only, as said. */
static void peer_blocks_after_rdonly_share(void **state)
{
	struct sealbuf_region *r = filled(tl_page()), *peer = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(r, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), NULL, &peer), 0);
	assert_int_equal(sealbuf_region_share(r, SEALBUF_SHARE_RDONLY, &fd), 0);
	close(fd);
	tl_assert_fail(sealbuf_region_freeze(r), -EBUSY, SEALBUF_R_WRITABLE_MAPPING);
	assert_non_null(strstr(sealbuf_last_error(), "stays read-only"));
	assert_false(sealbuf_region_writable(r));
	sealbuf_region_free(peer);
	assert_int_equal(sealbuf_region_freeze(r), 0);
	sealbuf_region_free(r);
}

/* Empty regions, reserved regions, and what cannot be frozen. */
static void kinds_and_errors(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, ro, .flags = SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE);
	struct sealbuf_region *e = tl_region(NULL, 0, 0), *res = NULL, *a = filled(tl_page()), *b = NULL;
	char buf[8];
	size_t n;
	int fd;

	assert_int_equal(sealbuf_region_freeze(e), 0);
	sealbuf_region_free(e);
	assert_int_equal(sealbuf_region_reserve(100, NULL, &res), 0);
	assert_int_equal(sealbuf_region_write(res, "final", 5), 0);
	assert_int_equal(sealbuf_region_write_begin(res), 0);
	tl_assert_fail(sealbuf_region_freeze(res), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_write_end(res, 5), 0);
	assert_int_equal(sealbuf_region_freeze(res), 0);
	tl_assert_fail(sealbuf_region_write(res, "x", 1), -EROFS, SEALBUF_R_FROZEN);
	assert_int_equal(sealbuf_region_snapshot(res, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 5);
	sealbuf_region_free(res);
	tl_assert_fail(sealbuf_region_freeze(NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &ro, &b), 0);
	tl_assert_fail(sealbuf_region_freeze(b), -EROFS, SEALBUF_R_READ_ONLY);
	sealbuf_region_free(b);
	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &(struct sealbuf_open_opts){
		.sz = sizeof(struct sealbuf_open_opts), .flags = SEALBUF_OPEN_RDONLY }, &b), 0);
	tl_assert_fail(sealbuf_region_freeze(b), -EBADF, SEALBUF_R_NO_HANDLE);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

/* A frozen mirror publishes no more: update is an error, not a write into its read-only pages. */
static void frozen_mirror(void **state)
{
	uint8_t src[64] = { 1, 2, 3 }, buf[64];
	struct sealbuf_region *m = NULL;
	size_t n;

	assert_int_equal(sealbuf_region_mirror(src, sizeof(src), NULL, &m), 0);
	assert_int_equal(sealbuf_region_freeze(m), 0);
	src[0] = 9;
	tl_assert_fail(sealbuf_region_update(m), -EROFS, SEALBUF_R_FROZEN);
	assert_int_equal(sealbuf_region_clear(m), 0); /* the caller's memory: still its own */
	assert_int_equal(sealbuf_region_snapshot(m, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, sizeof(buf));
	assert_int_equal(buf[0], 1);
	sealbuf_region_free(m);
}

/* A frozen region in another process: that process cannot write it either. */
static void frozen_in_child(void **state)
{
	struct sealbuf_region *r = filled(tl_page());
	int status;
	pid_t pid;

	assert_int_equal(sealbuf_region_freeze(r), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = reopen_rw(r);
		void *p = mmap(NULL, tl_page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		_exit(p == MAP_FAILED && pwrite(fd, "x", 1, 0) < 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(tl_check(sealbuf_region_data(r), tl_page(), 5));
	sealbuf_region_free(r);
}

/* On the real kernel: a dma-buf pins the pages, so F_SEAL_WRITE waits, then says EBUSY. */
static void dmabuf_blocks_freeze(void **state)
{
	struct sealbuf_region *r;
	int dmabuf;

	if (sealbuf_udmabuf_check() < 0) {
		print_message("SKIP: needs /dev/udmabuf (%s); meson test --suite vm runs this in a VM\n",
			      sealbuf_last_error());
		skip();
	}
	r = tl_region("pinned", tl_page(), SEALBUF_CREATE_PREFAULT);
	assert_int_equal(sealbuf_region_export(r, NULL, &dmabuf), 0);
	tl_assert_fail(sealbuf_region_freeze(r), -EBUSY, SEALBUF_R_WRITABLE_MAPPING);
	assert_true(sealbuf_region_writable(r));
	close(dmabuf);
	assert_int_equal(sealbuf_region_freeze(r), 0);
	sealbuf_region_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(freeze_and_map_rw),
		TL_TEST(freeze_and_reprotect),
		TL_TEST(frozen_sends_and_reads),
		TL_TEST(peer_holds_writable),
		TL_TEST(peer_blocks_after_rdonly_share),
		TL_TEST(kinds_and_errors),
		TL_TEST(frozen_mirror),
		TL_TEST(frozen_in_child),
		TL_TEST(dmabuf_blocks_freeze),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
