/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reserved regions: header layout, write/read/snapshot/wait, tampered headers, stalled writers. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Offsets from docs/header-format.md, written out here to test the spec itself. */
#define OFF_MAGIC 0
#define OFF_VERSION 4
#define OFF_HEADER_SIZE 6
#define OFF_KIND 8
#define OFF_FLAGS 12
#define OFF_CAPACITY 16
#define OFF_PAYLOAD 24
#define OFF_SEQ 32
#define OFF_SIZE 40
#define OFF_WAITERS 48
#define OFF_RDONLY 52

static struct sealbuf_region *reserve(size_t capacity)
{
	struct sealbuf_region *r = NULL;

	assert_int_equal(sealbuf_region_reserve(capacity, NULL, &r), 0);
	return r;
}

/* The header page of a region created here (its mapping starts one page before data). */
static uint8_t *header_of(struct sealbuf_region *r)
{
	return (uint8_t *)sealbuf_region_data(r) - tl_page();
}

static uint64_t get_le(const uint8_t *h, size_t off, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)h[off + i] << (8 * i);
	return v;
}

static void put_le(uint8_t *h, size_t off, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++)
		h[off + i] = (uint8_t)(v >> (8 * i));
}

static int open_as(struct sealbuf_region *r, size_t capacity, uint32_t flags,
		   struct sealbuf_region **ret)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags, .kind = SEALBUF_KIND_RESERVED);
	int fd;

	assert_int_equal(sealbuf_region_share(r, flags & SEALBUF_OPEN_RDONLY ? SEALBUF_SHARE_RDONLY : 0,
					      &fd), 0);
	return sealbuf_region_open(fd, capacity, &o, ret);
}

static void wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Seed's Reserve: header in the first page, payload page-aligned after it. */
static void reserve_layout(void **state)
{
	struct sealbuf_region *r = reserve(3 * tl_page() + 5);
	uint8_t *h = header_of(r);

	assert_int_equal(sealbuf_region_kind(r), SEALBUF_KIND_RESERVED);
	assert_int_equal(sealbuf_region_capacity(r), 3 * tl_page() + 5);
	assert_int_equal(sealbuf_region_size(r), 0);
	assert_int_equal(sealbuf_region_mapped_size(r), 5 * tl_page());
	assert_int_equal((uintptr_t)sealbuf_region_data(r) % tl_page(), 0);
	assert_memory_equal(h, "SBHD", 4);
	assert_int_equal(get_le(h, OFF_VERSION, 2), 1);
	assert_int_equal(get_le(h, OFF_HEADER_SIZE, 2), 64);
	assert_int_equal(get_le(h, OFF_KIND, 4), SEALBUF_KIND_RESERVED);
	assert_int_equal(get_le(h, OFF_FLAGS, 4), 0);
	assert_int_equal(get_le(h, OFF_CAPACITY, 8), 3 * tl_page() + 5);
	assert_int_equal(get_le(h, OFF_PAYLOAD, 8), tl_page());
	assert_int_equal(get_le(h, OFF_SEQ, 8), 0);
	assert_int_equal(get_le(h, OFF_SIZE, 8), 0);
	assert_int_equal(sealbuf_region_seq(r), 0);
	sealbuf_region_free(r);
}

static void reserve_zero_capacity(void **state)
{
	struct sealbuf_region *r = reserve(0), *o = NULL;
	uint8_t byte;
	size_t size = 99;

	assert_int_equal(sealbuf_region_capacity(r), 0);
	assert_int_equal(sealbuf_region_mapped_size(r), tl_page());
	assert_null(sealbuf_region_data(r));
	assert_int_equal(sealbuf_region_write(r, NULL, 0), 0);
	assert_int_equal(sealbuf_region_seq(r), 2);
	tl_assert_fail(sealbuf_region_write(r, &byte, 1), -EFBIG, SEALBUF_R_TOO_LARGE);
	assert_int_equal(open_as(r, 0, 0, &o), 0);
	assert_int_equal(sealbuf_region_snapshot(o, NULL, 0, &size, NULL), 0);
	assert_int_equal(size, 0);
	assert_int_equal(sealbuf_region_seq(o), 2);
	sealbuf_region_free(o);
	sealbuf_region_free(r);
}

/* Seed's Write/Resize/Read: each write publishes a new size, seen by a reader after read. */
static void write_and_read(void **state)
{
	size_t cap = 2 * tl_page() + 100, sizes[] = { 10, cap, 0, 1, tl_page(), cap - 1 };
	struct sealbuf_region *w = reserve(cap), *rd = NULL;
	uint8_t *src = malloc(cap);

	assert_int_equal(open_as(w, cap, 0, &rd), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		tl_fill(src, sizes[i], (uint32_t)i);
		assert_int_equal(sealbuf_region_write(w, src, sizes[i]), 0);
		assert_int_equal(sealbuf_region_size(w), sizes[i]);
		assert_int_equal(sealbuf_region_seq(w), 2 * (i + 1));
		/* The reader's size moves only when it reads. */
		assert_int_equal(sealbuf_region_size(rd), i ? sizes[i - 1] : 0);
		assert_int_equal(sealbuf_region_read(rd), 0);
		assert_int_equal(sealbuf_region_size(rd), sizes[i]);
		assert_int_equal(sealbuf_region_seq(rd), 2 * (i + 1));
		assert_true(tl_check(sealbuf_region_data(rd), sizes[i], (uint32_t)i));
		assert_int_equal(sealbuf_region_read_check(rd), 0);
	}
	/* In place: data comes from the payload itself. */
	assert_int_equal(sealbuf_region_write(w, (uint8_t *)sealbuf_region_data(w) + 1, 50), 0);
	free(src);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

static void write_errors(void **state)
{
	struct sealbuf_region *w = reserve(100), *ro = NULL, *plain = NULL;
	char buf[200] = { 0 };

	tl_assert_fail(sealbuf_region_write(NULL, buf, 1), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_write(w, NULL, 1), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_write(w, buf, 101), -EFBIG, SEALBUF_R_TOO_LARGE);
	assert_int_equal(sealbuf_region_seq(w), 0); /* nothing published */
	assert_int_equal(sealbuf_region_create(100, NULL, &plain), 0);
	tl_assert_fail(sealbuf_region_write(plain, buf, 1), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_read(plain), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_snapshot(plain, buf, 1, NULL, NULL), -EMEDIUMTYPE,
		       SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_wait(plain, 0, 0, NULL), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_update(w), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_set_stall_timeout(w, -1), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(open_as(w, 100, SEALBUF_OPEN_RDONLY, &ro), 0);
	assert_false(sealbuf_region_writable(ro));
	tl_assert_fail(sealbuf_region_write(ro, buf, 1), -EROFS, SEALBUF_R_READ_ONLY);
	tl_assert_fail(sealbuf_region_write_begin(ro), -EROFS, SEALBUF_R_READ_ONLY);
	assert_int_equal(sealbuf_region_seq(NULL), 0);
	sealbuf_region_free(ro);
	sealbuf_region_free(plain);
	sealbuf_region_free(w);
}

static void write_in_place(void **state)
{
	struct sealbuf_region *w = reserve(tl_page()), *rd = NULL;
	uint8_t *h = header_of(w);
	char buf[64];
	size_t n;

	assert_int_equal(open_as(w, tl_page(), SEALBUF_OPEN_RDONLY, &rd), 0);
	tl_assert_fail(sealbuf_region_write_end(w, 1), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_write_begin(w), 0);
	assert_int_equal(get_le(h, OFF_SEQ, 8), 1); /* odd: update in progress */
	tl_assert_fail(sealbuf_region_write_begin(w), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_write(w, "x", 1), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	memcpy(sealbuf_region_data(w), "in place", 8);
	/* The writer's own open update is not a stall to wait out. */
	tl_assert_fail(sealbuf_region_read(w), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_wait(w, 0, -1, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	/* A reader meeting the open update waits it out, then gives up. */
	assert_int_equal(sealbuf_region_set_stall_timeout(rd, 20), 0);
	tl_assert_fail(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, NULL), -EOWNERDEAD,
		       SEALBUF_R_WRITER_STALLED);
	tl_assert_fail(sealbuf_region_write_end(w, tl_page() + 1), -EFBIG, SEALBUF_R_TOO_LARGE);
	assert_int_equal(sealbuf_region_write_end(w, 8), 0);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(buf, "in place", 8);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

static void snapshot_basic(void **state)
{
	struct sealbuf_region *w = reserve(1000), *rd = NULL;
	char src[1000], buf[1000];
	size_t n = 0;
	uint64_t seq = 0;

	tl_fill(src, sizeof(src), 7);
	assert_int_equal(open_as(w, 1000, 0, &rd), 0);
	assert_int_equal(sealbuf_region_write(w, src, 600), 0);
	tl_assert_fail(sealbuf_region_snapshot(rd, buf, 599, &n, &seq), -ENOBUFS,
		       SEALBUF_R_BUFFER_TOO_SMALL);
	assert_int_equal(n, 600); /* the size needed */
	assert_int_equal(seq, 0);
	tl_assert_fail(sealbuf_region_snapshot(rd, NULL, 10, &n, NULL), -EINVAL,
		       SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, &seq), 0);
	assert_int_equal(n, 600);
	assert_int_equal(seq, 2);
	assert_memory_equal(buf, src, 600);
	assert_int_equal(sealbuf_region_size(rd), 600);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), NULL, NULL), 0);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

/* Opening a region validates its header: each broken rule has its own reason. */
static void tampered_at_open(void **state)
{
	struct {
		size_t off, n;
		uint64_t value;
		size_t declared;
		int err;
		enum sealbuf_reason reason;
	} cases[] = {
		{ OFF_MAGIC, 4, 0x44484254, 100, -EBADMSG, SEALBUF_R_HEADER_MAGIC },
		{ OFF_VERSION, 2, 2, 100, -EPROTONOSUPPORT, SEALBUF_R_HEADER_VERSION },
		{ OFF_VERSION, 2, 0, 100, -EPROTONOSUPPORT, SEALBUF_R_HEADER_VERSION },
		{ OFF_HEADER_SIZE, 2, 63, 100, -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		{ OFF_HEADER_SIZE, 2, tl_page() + 1, 100, -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		{ OFF_KIND, 4, SEALBUF_KIND_MIRROR, 100, -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND },
		{ OFF_PAYLOAD, 8, 64, 100, -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		{ OFF_CAPACITY, 8, 2 * tl_page(), 100, -ERANGE, SEALBUF_R_HEADER_CAPACITY },
		{ OFF_CAPACITY, 8, UINT64_MAX, 100, -ERANGE, SEALBUF_R_HEADER_CAPACITY },
		/* Fits the file but not what the sender declared. */
		{ OFF_CAPACITY, 8, 200, 100, -ERANGE, SEALBUF_R_HEADER_CAPACITY },
		{ OFF_SIZE, 8, 101, 100, -ERANGE, SEALBUF_R_HEADER_SIZE },
		{ OFF_SIZE, 8, UINT64_MAX, 100, -ERANGE, SEALBUF_R_HEADER_SIZE },
	};
	struct sealbuf_region *w = reserve(100), *o = NULL;
	uint8_t *h = header_of(w), saved[64];

	memcpy(saved, h, sizeof(saved));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		put_le(h, cases[i].off, cases[i].n, cases[i].value);
		tl_assert_fail(open_as(w, cases[i].declared, 0, &o), cases[i].err, cases[i].reason);
		assert_null(o);
		memcpy(h, saved, sizeof(saved));
	}
	/* Flags and the reserved tail are ignored by version-1 readers. */
	put_le(h, OFF_FLAGS, 4, 0xffffffff);
	put_le(h, 56, 8, 0xdeadbeef);
	assert_int_equal(open_as(w, 100, 0, &o), 0);
	sealbuf_region_free(o);
	sealbuf_region_free(w);
}

/* After open the peer may scribble at any moment: every read re-checks. */
static void tampered_after_open(void **state)
{
	struct sealbuf_region *w = reserve(100), *rd = NULL;
	uint8_t *h = header_of(w);
	char buf[4096];
	size_t n = 0;

	assert_int_equal(sealbuf_region_write(w, "hello", 5), 0);
	assert_int_equal(open_as(w, 100, SEALBUF_OPEN_RDONLY, &rd), 0);
	assert_int_equal(sealbuf_region_size(rd), 5);
	put_le(h, OFF_SIZE, 8, 101);
	tl_assert_fail(sealbuf_region_read(rd), -ERANGE, SEALBUF_R_HEADER_SIZE);
	tl_assert_fail(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, NULL), -ERANGE,
		       SEALBUF_R_HEADER_SIZE);
	assert_int_equal(sealbuf_region_size(rd), 5); /* unchanged on failure */
	put_le(h, OFF_SIZE, 8, UINT64_MAX);
	tl_assert_fail(sealbuf_region_read(rd), -ERANGE, SEALBUF_R_HEADER_SIZE);
	/* A bigger capacity in the header changes nothing: ours was fixed at open. */
	put_le(h, OFF_CAPACITY, 8, UINT64_MAX);
	put_le(h, OFF_SIZE, 8, 100);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 100);
	assert_int_equal(sealbuf_region_capacity(rd), 100);
	/* Garbage in magic and waiters: readers and the writer carry on. */
	put_le(h, OFF_MAGIC, 4, 0);
	put_le(h, OFF_WAITERS, 4, 0xffffffff);
	assert_int_equal(sealbuf_region_write(w, "bye", 3), 0);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(buf, "bye", 3);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

/* A sequence left odd (writer gone mid-update): bounded waits, then -EOWNERDEAD. */
static void stalled_sequence(void **state)
{
	struct sealbuf_region *w = reserve(100), *rd = NULL;
	uint8_t *h = header_of(w);
	uint64_t seq = 0;
	char buf[100];
	struct timespec t0, t1;

	assert_int_equal(sealbuf_region_write(w, "abc", 3), 0);
	assert_int_equal(open_as(w, 100, 0, &rd), 0);
	assert_int_equal(sealbuf_region_set_stall_timeout(rd, 50), 0);
	put_le(h, OFF_SEQ, 8, 3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_assert_fail(sealbuf_region_read(rd), -EOWNERDEAD, SEALBUF_R_WRITER_STALLED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5); /* bounded, not forever */
	tl_assert_fail(sealbuf_region_snapshot(rd, buf, sizeof(buf), NULL, NULL), -EOWNERDEAD,
		       SEALBUF_R_WRITER_STALLED);
	tl_assert_fail(sealbuf_region_wait(rd, 2, -1, &seq), -EOWNERDEAD, SEALBUF_R_WRITER_STALLED);
	tl_assert_fail(sealbuf_region_wait(rd, 2, 0, &seq), -EAGAIN, SEALBUF_R_WOULD_BLOCK);
	/* The next write takes over and publishes past the stuck update. */
	assert_int_equal(sealbuf_region_write(w, "new", 3), 0);
	assert_int_equal(sealbuf_region_seq(w), 6); /* past the odd 3 and the 5 it used */
	assert_int_equal(sealbuf_region_wait(rd, 2, -1, &seq), 0);
	assert_int_equal(seq, 6);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), NULL, &seq), 0);
	assert_memory_equal(buf, "new", 3);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

struct odd_spinner {
	uint64_t *seq;
	int stop; /* atomic: the main thread sets it, the spinner polls it */
};

/* A hostile writer: the sequence stays odd but keeps changing, every ~100 us. */
static void *spin_odd(void *arg)
{
	struct odd_spinner *o = arg;

	for (uint64_t s = 101; !__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE); s += 2) {
		__atomic_store_n(o->seq, s, __ATOMIC_RELEASE);
		usleep(100);
	}
	return NULL;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Odd and changing: every read, snapshot, wait and open returns within the
 * stall timeout (50 ms here; 0.1 had 100 times that), saying nothing was
 * published.
 */
static void odd_and_changing(void **state)
{
	struct sealbuf_region *w = reserve(100), *rd = NULL, *late = NULL;
	struct odd_spinner o = { .seq = (uint64_t *)(void *)(header_of(w) + OFF_SEQ) };
	struct timespec t0;
	char buf[100];
	pthread_t t;

	assert_int_equal(sealbuf_region_write(w, "abc", 3), 0);
	assert_int_equal(open_as(w, 100, 0, &rd), 0);
	assert_int_equal(sealbuf_region_set_stall_timeout(rd, 50), 0);
	assert_int_equal(pthread_create(&t, NULL, spin_odd, &o), 0);
	while (!(__atomic_load_n(o.seq, __ATOMIC_ACQUIRE) & 1))
		usleep(100);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_assert_fail(sealbuf_region_read(rd), -EOWNERDEAD, SEALBUF_R_WRITER_STALLED);
	assert_null(strstr(sealbuf_last_error(), "published during"));
	assert_non_null(strstr(sealbuf_last_error(), "none finished"));
	tl_assert_fail(sealbuf_region_snapshot(rd, buf, sizeof(buf), NULL, NULL), -EOWNERDEAD,
		       SEALBUF_R_WRITER_STALLED);
	tl_assert_fail(sealbuf_region_wait(rd, 2, -1, NULL), -EOWNERDEAD, SEALBUF_R_WRITER_STALLED);
	print_message("read, snapshot and wait(-1) against an odd, changing sequence: %.3f s in all "
		      "(stall timeout 50 ms each)\n", since(&t0));
	assert_true(since(&t0) < 3); /* bounded: 0.1 took about 15 s here */
	/* Opening mid-update waits like a read (default stall timeout), then opens with size 0. */
	assert_int_equal(open_as(w, 100, 0, &late), 0);
	assert_int_equal(sealbuf_region_size(late), 0);
	__atomic_store_n(&o.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(sealbuf_region_write(w, "new", 3), 0);
	assert_int_equal(sealbuf_region_read(late), 0);
	assert_int_equal(sealbuf_region_size(late), 3);
	sealbuf_region_free(late);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

/* Opened during an update that then finishes: open waits for it, as a read does. */
static void open_mid_update(void **state)
{
	struct sealbuf_region *w = reserve(100), *rd = NULL;
	pid_t pid;

	assert_int_equal(sealbuf_region_write(w, "abc", 3), 0);
	assert_int_equal(sealbuf_region_write_begin(w), 0);
	memcpy(sealbuf_region_data(w), "hello", 5);
	fflush(stdout);
	pid = fork();
	if (pid == 0) { /* finishes the update while the parent opens */
		usleep(100000);
		_exit(sealbuf_region_write_end(w, 5) < 0);
	}
	assert_int_equal(open_as(w, 100, 0, &rd), 0);
	wait_child(pid);
	assert_int_equal(sealbuf_region_size(rd), 5);
	assert_memory_equal(sealbuf_region_data(rd), "hello", 5);
	assert_int_equal(sealbuf_region_write_end(w, 5), 0);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

/* A real writer process dies between write_begin and write_end. */
static void writer_died(void **state)
{
	struct sealbuf_region *w = reserve(tl_page()), *rd = NULL;
	char buf[64];
	pid_t pid;

	assert_int_equal(sealbuf_region_write(w, "before", 6), 0);
	assert_int_equal(open_as(w, tl_page(), 0, &rd), 0);
	assert_int_equal(sealbuf_region_set_stall_timeout(rd, 100), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sealbuf_region *c = NULL;
		if (open_as(w, tl_page(), 0, &c) < 0 || sealbuf_region_write_begin(c) < 0)
			_exit(1);
		memset(sealbuf_region_data(c), 'X', 3); /* and dies here */
		_exit(0);
	}
	wait_child(pid);
	tl_assert_fail(sealbuf_region_snapshot(rd, buf, sizeof(buf), NULL, NULL), -EOWNERDEAD,
		       SEALBUF_R_WRITER_STALLED);
	tl_assert_fail(sealbuf_region_wait(rd, sealbuf_region_seq(rd), 5000, NULL), -EOWNERDEAD,
		       SEALBUF_R_WRITER_STALLED);
	assert_int_equal(sealbuf_region_write(w, "after", 5), 0);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), NULL, NULL), 0);
	assert_memory_equal(buf, "after", 5);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

static void wait_timeouts(void **state)
{
	struct sealbuf_region *w = reserve(10), *rd = NULL;
	uint64_t seq = 77;
	struct timespec t0, t1;
	long ms;

	assert_int_equal(open_as(w, 10, 0, &rd), 0);
	/* Nothing published after 0 yet. */
	tl_assert_fail(sealbuf_region_wait(rd, 0, 0, &seq), -EAGAIN, SEALBUF_R_WOULD_BLOCK);
	assert_int_equal(seq, 77);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tl_assert_fail(sealbuf_region_wait(rd, 0, 30, &seq), -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 29);
	/* A publication already made returns at once, whatever the timeout. */
	assert_int_equal(sealbuf_region_write(w, "1", 1), 0);
	assert_int_equal(sealbuf_region_wait(rd, 0, 0, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(sealbuf_region_wait(rd, 0, -1, NULL), 0);
	/* Waiters are counted only while asleep. */
	assert_int_equal(get_le(header_of(w), OFF_WAITERS, 4), 0);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

struct waker {
	struct sealbuf_region *w;
	int delay_ms;
};

static void *wake_later(void *arg)
{
	struct waker *k = arg;
	struct timespec ts = { 0, k->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	sealbuf_region_write(k->w, "wake", 4);
	return NULL;
}

/* A sleeping reader is woken by the publish (not by its timeout). */
static void wait_wakes(void **state)
{
	for (int ro = 0; ro < 2; ro++) {
		struct sealbuf_region *w = reserve(10), *rd = NULL;
		struct waker k = { .delay_ms = 100 };
		uint64_t seq = 0;
		pthread_t t;

		k.w = w;
		assert_int_equal(open_as(w, 10, ro ? SEALBUF_OPEN_RDONLY : 0, &rd), 0);
		/* A read-only handle flags the header: the writer wakes at every publish. */
		assert_int_equal(get_le(header_of(w), OFF_RDONLY, 4), ro ? 1 : 0);
		assert_int_equal(pthread_create(&t, NULL, wake_later, &k), 0);
		assert_int_equal(sealbuf_region_wait(rd, sealbuf_region_seq(rd), 10000, &seq), 0);
		assert_int_equal(seq, 2);
		assert_int_equal(pthread_join(t, NULL), 0);
		sealbuf_region_free(rd);
		sealbuf_region_free(w);
	}
}

/* A reader mapped read-only from a writable fd flags the header itself. */
static void rdonly_flag_from_writable_fd(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = SEALBUF_OPEN_RDONLY,
		     .kind = SEALBUF_KIND_RESERVED);
	struct sealbuf_region *w = reserve(10), *rd = NULL;
	int fd;

	assert_int_equal(sealbuf_region_share(w, 0, &fd), 0);
	assert_int_equal(get_le(header_of(w), OFF_RDONLY, 4), 0);
	assert_int_equal(sealbuf_region_open(fd, 10, &o, &rd), 0);
	assert_int_equal(get_le(header_of(w), OFF_RDONLY, 4), 1);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

static int child_reader(int sock, size_t cap)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 10000);
	struct sealbuf_region *r = NULL;
	char *buf;
	uint64_t seq;
	size_t n;
	int ok = 1;

	if (sealbuf_region_recv(sock, &o, &r) < 0)
		return 10;
	buf = malloc(cap);
	ok &= sealbuf_region_kind(r) == SEALBUF_KIND_RESERVED && sealbuf_region_capacity(r) == cap;
	ok &= sealbuf_region_size(r) == 1000 && tl_check(sealbuf_region_data(r), 1000, 1);
	ok &= write(sock, "r", 1) == 1; /* ready for the next publication */
	ok &= sealbuf_region_wait(r, sealbuf_region_seq(r), 10000, &seq) == 0;
	ok &= sealbuf_region_snapshot(r, buf, cap, &n, NULL) == 0;
	ok &= n == cap && tl_check(buf, cap, 2);
	ok &= sealbuf_region_read(r) == 0 && sealbuf_region_size(r) == cap;
	sealbuf_region_free(r);
	free(buf);
	return ok ? 0 : 11;
}

/* Seed's Link: send to a child over a socketpair; it reads, then waits for more. */
static void send_to_child(void **state)
{
	size_t cap = 5 * tl_page() + 7;
	struct sealbuf_region *w = reserve(cap);
	uint8_t *src = malloc(cap);
	int sv[2];
	char c;
	pid_t pid;

	tl_socketpair(SOCK_SEQPACKET, sv);
	tl_fill(src, 1000, 1);
	assert_int_equal(sealbuf_region_write(w, src, 1000), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_reader(sv[1], cap));
	}
	close(sv[1]);
	assert_int_equal(sealbuf_region_send(sv[0], w, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(read(sv[0], &c, 1), 1);
	tl_fill(src, cap, 2);
	assert_int_equal(sealbuf_region_write(w, src, cap), 0);
	wait_child(pid);
	close(sv[0]);
	free(src);
	sealbuf_region_free(w);
}

/* The header takes one huge page; the payload starts at the next one. */
static void hugetlb_header(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_HUGETLB);
	struct sealbuf_region *w = NULL, *rd = NULL;
	SEALBUF_OPTS(sealbuf_open_opts, oo, .kind = SEALBUF_KIND_RESERVED);
	size_t huge;
	int r, fd;

	r = sealbuf_region_reserve(1000, &o, &w);
	if (r == -ENOMEM || r == -EOPNOTSUPP) {
		print_message("no huge pages here (%s)\n", sealbuf_last_error());
		skip();
	}
	assert_int_equal(r, 0);
	huge = sealbuf_region_mapped_size(w) / 2;
	assert_true(huge > tl_page());
	assert_int_equal((uintptr_t)sealbuf_region_data(w) % huge, 0);
	assert_int_equal(sealbuf_region_write(w, "huge", 4), 0);
	assert_int_equal(sealbuf_region_share(w, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, 1000, &oo, &rd), 0);
	assert_int_equal(sealbuf_region_size(rd), 4);
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(reserve_layout), TL_TEST(reserve_zero_capacity),
		TL_TEST(write_and_read), TL_TEST(write_errors), TL_TEST(write_in_place),
		TL_TEST(snapshot_basic), TL_TEST(tampered_at_open),
		TL_TEST(tampered_after_open), TL_TEST(stalled_sequence),
		TL_TEST(writer_died), TL_TEST(wait_timeouts), TL_TEST(wait_wakes),
		TL_TEST(odd_and_changing), TL_TEST(open_mid_update),
		TL_TEST(rdonly_flag_from_writable_fd), TL_TEST(send_to_child),
		TL_TEST(hugetlb_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
