/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Handles: share and open, read-only handles, and every rule a hostile fd can break. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* region.h: sb_thp_mode(), to know whether huge pages are allowed here. */
#include "region.h"
#include "testlib.h"

#define SEALS_OK (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static struct sealbuf_region *new_region(size_t size)
{
	return tl_region(NULL, size, 0);
}

static void open_expect(int fd, size_t size, uint32_t flags, int err, enum sealbuf_reason why)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags);
	struct sealbuf_region *r = NULL;

	tl_assert_fail(sealbuf_region_open(fd, size, &o, &r), err, why);
	assert_null(r);
}

static void open_ok(int fd, size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags);
	struct sealbuf_region *r = NULL;

	assert_int_equal(sealbuf_region_open(fd, size, &o, &r), 0);
	sealbuf_region_free(r);
}

/* Fuchsia's Link: the receiver maps the same pages, no copy. */
static void share_and_open(void **state)
{
	struct sealbuf_region *a = new_region(3 * tl_page()), *b = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(sealbuf_region_open(fd, 3 * tl_page(), NULL, &b), 0);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* the handle was closed */
	assert_int_equal(sealbuf_region_fd(b), -1);
	assert_ptr_not_equal(sealbuf_region_data(a), sealbuf_region_data(b));
	tl_fill(sealbuf_region_data(a), 3 * tl_page(), 7);
	assert_true(tl_check(sealbuf_region_data(b), 3 * tl_page(), 7));
	tl_fill(sealbuf_region_data(b), 100, 9);
	assert_true(tl_check(sealbuf_region_data(a), 100, 9));
	/* Each side unmaps its own mapping: the other stays valid. */
	sealbuf_region_free(a);
	assert_true(tl_check(sealbuf_region_data(b), 100, 9));
	sealbuf_region_free(b);
}

/* Mozilla's Empty: an empty region is shared and opened as an empty region. */
static void share_empty(void **state)
{
	struct sealbuf_region *a = new_region(0), *b = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, 0, NULL, &b), 0);
	assert_null(sealbuf_region_data(b));
	assert_int_equal(sealbuf_region_size(b), 0);
	assert_int_equal(sealbuf_region_mapped_size(b), 0);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

static void keep_handle(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = SEALBUF_OPEN_KEEP_HANDLE);
	struct sealbuf_region *a = new_region(tl_page()), *b = NULL, *c = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &o, &b), 0);
	assert_int_equal(sealbuf_region_fd(b), fd);
	/* Re-share a received region: fine with KEEP_HANDLE... */
	assert_int_equal(sealbuf_region_share(b, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), NULL, &c), 0);
	/* ...refused without it, with the reason. */
	tl_assert_fail(sealbuf_region_share(c, 0, &fd), -EBADF, SEALBUF_R_NO_HANDLE);
	sealbuf_region_free(c);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

static void read_only_handle(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, ro, .flags = SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE);
	struct sealbuf_region *a = new_region(tl_page()), *b = NULL;
	int fd, fd2;

	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	/* The raw fd refuses a writable shared mapping. */
	assert_true(mmap(NULL, tl_page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	assert_int_equal(errno, EACCES);
	/* Chromium's permission mode: asking to open it writable is refused... */
	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd2), 0);
	open_expect(fd2, tl_page(), 0, -EACCES, SEALBUF_R_ACCESS_MODE);
	/* ...read-only works, and sees the writer's bytes. */
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &ro, &b), 0);
	assert_false(sealbuf_region_writable(b));
	tl_fill(sealbuf_region_data(a), tl_page(), 3);
	assert_true(tl_check(sealbuf_region_data(b), tl_page(), 3));
	/* The receiver cannot make its mapping writable. */
	assert_int_equal(mprotect(sealbuf_region_data(b), tl_page(), PROT_READ | PROT_WRITE), -1);
	assert_int_equal(errno, EACCES);
	/* Nor reopen it writable through /proc (a non-root receiver: the inode is r--------). */
	assert_int_equal(fcntl(sealbuf_region_fd(b), F_GETFL) & O_ACCMODE, O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		char path[64];
		if (geteuid() == 0 && setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", sealbuf_region_fd(b));
		_exit(open(path, O_RDWR) < 0 && errno == EACCES ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The writer's own mapping and fd are unaffected. */
	tl_fill(sealbuf_region_data(a), tl_page(), 4);
	assert_true(tl_check(sealbuf_region_data(b), tl_page(), 4));
	/* A read-only region re-shares read-only only. */
	assert_int_equal(sealbuf_region_share(b, 0, &fd2), 0);
	assert_int_equal(fcntl(fd2, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd2);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

static void hostile_memfds(void **state)
{
	size_t p = tl_page();

	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, 0, p), p, 0, -EPERM, SEALBUF_R_SEALS_MISSING);
	open_expect(tl_raw_memfd(0, 0, p), p, 0, -EPERM, SEALBUF_R_NOT_SEALABLE);
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK, p), p, 0, -EPERM,
		    SEALBUF_R_SEALS_MISSING);
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_GROW, p), p, 0, -EPERM,
		    SEALBUF_R_SEALS_MISSING);
	/* Write-sealed (frozen, or shared read-only): read-only opens only. */
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK | F_SEAL_WRITE, p), p, 0, -EPERM,
		    SEALBUF_R_SEALS_EXTRA);
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK | F_SEAL_FUTURE_WRITE, p), p, 0, -EPERM,
		    SEALBUF_R_SEALS_EXTRA);
	open_ok(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK | F_SEAL_WRITE, p), p, SEALBUF_OPEN_RDONLY);
	open_ok(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK | F_SEAL_FUTURE_WRITE, p), p,
		SEALBUF_OPEN_RDONLY);
	/* SHRINK|GROW without SEAL: nothing a later seal could do takes a mapping's access. */
	open_ok(tl_raw_memfd(MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_GROW, p), p, 0);
	/* A proper memfd whose size disagrees with the declaration. */
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK, 2 * p), p, 0, -ERANGE,
		    SEALBUF_R_SIZE_MISMATCH);
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK, p), 2 * p, 0, -ERANGE,
		    SEALBUF_R_SIZE_MISMATCH);
	open_expect(tl_raw_memfd(MFD_ALLOW_SEALING, SEALS_OK, p), SIZE_MAX, 0, -EOVERFLOW,
		    SEALBUF_R_SIZE_OVERFLOW);
}

static void write_only_fd(void **state)
{
	struct sealbuf_region *a = new_region(tl_page());
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", sealbuf_region_fd(a));
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	open_expect(fd, tl_page(), SEALBUF_OPEN_RDONLY, -EACCES, SEALBUF_R_ACCESS_MODE);
	sealbuf_region_free(a);
}

static void not_memfds(void **state)
{
	char tmpl[] = "/tmp/sealbuf-test-XXXXXX";
	char shm[64];
	int fd, sv[2], pfd[2];

	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	unlink(tmpl);
	assert_int_equal(ftruncate(fd, (off_t)tl_page()), 0);
	open_expect(fd, tl_page(), 0, -EBADFD, SEALBUF_R_NOT_MEMFD);

	snprintf(shm, sizeof(shm), "/dev/shm/sealbuf-test-%d", getpid());
	fd = open(shm, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) { /* a tmpfs file that is not a memfd */
		unlink(shm);
		assert_int_equal(ftruncate(fd, (off_t)tl_page()), 0);
		open_expect(fd, tl_page(), 0, -EBADFD, SEALBUF_R_NOT_MEMFD);
	}
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	open_expect(pfd[0], 0, 0, -EBADFD, SEALBUF_R_NOT_MEMFD);
	close(pfd[1]);
	tl_socketpair(SOCK_STREAM, sv);
	open_expect(sv[0], 0, 0, -EBADFD, SEALBUF_R_NOT_MEMFD);
	close(sv[1]);
	fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	open_expect(fd, 0, 0, -EBADFD, SEALBUF_R_NOT_MEMFD);
	fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	open_expect(fd, 0, SEALBUF_OPEN_RDONLY, -EBADFD, SEALBUF_R_NOT_MEMFD);
	open_expect(-1, 0, 0, -EBADF, SEALBUF_R_INVALID_ARGUMENT);
	open_expect(1000, 0, 0, -EBADF, SEALBUF_R_INVALID_ARGUMENT);
}

/* The message names what the fd really is. */
static void reason_text(void **state)
{
	int pfd[2];
	struct sealbuf_region *r;

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	assert_int_equal(sealbuf_region_open(pfd[0], 0, NULL, &r), -EBADFD);
	assert_non_null(strstr(sealbuf_last_error(), "a pipe, not a memfd"));
	close(pfd[1]);
}

/* Pages of [p, p+len) in memory at all (mincore: the memfd's page cache). */
static size_t pages_resident(void *p, size_t len)
{
	size_t npages = len / tl_page(), n = 0;
	unsigned char *vec = malloc(npages);

	assert_int_equal(mincore(p, len, vec), 0);
	for (size_t i = 0; i < npages; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

static struct sealbuf_region *reopen(struct sealbuf_region *a, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags);
	struct sealbuf_region *b = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, sealbuf_region_size(a), &o, &b), 0);
	return b;
}

/*
 * The receiver's pages: populated by default from 64 KiB (every page mapped
 * before the first touch), never with LAZY, always with POPULATE.
 */
static void open_populate(void **state)
{
	size_t size = 1 << 20, pages = size / tl_page();
	struct sealbuf_region *a = new_region(size), *b;

	b = reopen(a, 0);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), size), pages);
	sealbuf_region_free(b);
	b = reopen(a, SEALBUF_OPEN_LAZY);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), size), 0);
	sealbuf_region_free(b);
	b = reopen(a, SEALBUF_OPEN_POPULATE | SEALBUF_OPEN_RDONLY);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), size), pages);
	sealbuf_region_free(b);
	/* Read-only: read faults map batches of pages already; left to fault by default. */
	b = reopen(a, SEALBUF_OPEN_RDONLY);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), size), 0);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
	/* Small regions fault in on touch by default. */
	a = new_region(4 * tl_page());
	b = reopen(a, 0);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), 4 * tl_page()), 0);
	sealbuf_region_free(b);
	b = reopen(a, SEALBUF_OPEN_POPULATE);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), 4 * tl_page()), 4);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

/*
 * A peer's sparse NORESERVE region: the default does not allocate its holes
 * (a hostile sender could make them any size); POPULATE is asked for, so it does.
 */
static void open_populate_holes(void **state)
{
	size_t size = 1 << 20, pages = size / tl_page();
	struct sealbuf_region *a = tl_region(NULL, size, SEALBUF_CREATE_NORESERVE), *b;

	b = reopen(a, 0);
	assert_int_equal(pages_resident(sealbuf_region_data(b), size), 0);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(b), size), 0);
	sealbuf_region_free(b);
	b = reopen(a, SEALBUF_OPEN_POPULATE);
	assert_int_equal(pages_resident(sealbuf_region_data(b), size), pages);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

/* Whether the mapping at @p carries MADV_HUGEPAGE ("hg" in smaps' VmFlags). */
static bool advised_huge(const void *p)
{
	char flags[256];

	return tl_smaps(p, "VmFlags:", flags, sizeof(flags)) && strstr(flags, " hg");
}

/* MADV_HUGEPAGE on both sides exactly where shmem_enabled allows huge pages. */
static void thp_advice(void **state)
{
	char mode[32];
	bool allowed = sb_thp_mode(mode, sizeof(mode)) != SB_THP_NONE;
	size_t big = 4 << 20;
	struct sealbuf_region *a = new_region(big), *b = reopen(a, 0);
	struct sealbuf_region *s = new_region(64 << 10), *t = reopen(s, 0);

	print_message("shmem_enabled is %s: huge pages %s\n", mode, allowed ? "allowed" : "not allowed");
	assert_int_equal(advised_huge(sealbuf_region_data(a)), allowed);
	assert_int_equal(advised_huge(sealbuf_region_data(b)), allowed);
	/* Below one huge page there is nothing to gain. */
	assert_false(advised_huge(sealbuf_region_data(s)));
	assert_false(advised_huge(sealbuf_region_data(t)));
	sealbuf_region_free(a);
	sealbuf_region_free(b);
	sealbuf_region_free(s);
	sealbuf_region_free(t);
}

static void bad_arguments(void **state)
{
	struct sealbuf_region *a = new_region(tl_page()), *b;
	struct sealbuf_open_opts bad = { .sz = sizeof(bad), .flags = 1u << 20 };
	struct sealbuf_open_opts kind = { .sz = sizeof(kind), .kind = 9 };
	struct sealbuf_open_opts contradict = { .sz = sizeof(contradict),
						.flags = SEALBUF_OPEN_POPULATE | SEALBUF_OPEN_LAZY };
	int fd;

	tl_assert_fail(sealbuf_region_share(NULL, 0, &fd), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_share(a, 0, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_share(a, 8, &fd), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	/* open owns the fd even when its arguments are wrong: no leak. */
	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	tl_assert_fail(sealbuf_region_open(fd, tl_page(), &bad, &b), -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	tl_assert_fail(sealbuf_region_open(fd, tl_page(), NULL, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	tl_assert_fail(sealbuf_region_open(fd, tl_page(), &kind, &b), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	tl_assert_fail(sealbuf_region_open(fd, tl_page(), &contradict, &b), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	sealbuf_region_free(a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(share_and_open), TL_TEST(share_empty),
		TL_TEST(keep_handle),    TL_TEST(read_only_handle),
		TL_TEST(hostile_memfds), TL_TEST(write_only_fd),
		TL_TEST(not_memfds),     TL_TEST(reason_text),
		TL_TEST(bad_arguments),  TL_TEST(open_populate),
		TL_TEST(open_populate_holes), TL_TEST(thp_advice),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
