/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Mirror regions: mirror caller memory, update, clear, and reading a mirror in another process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Resident bytes of the mapping that starts at @addr (from /proc/self/smaps). */
static size_t rss_of(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	unsigned long start, kb;
	bool in = false;
	size_t rss = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-", &start) == 1 && strchr(line, '-') < strchr(line, ' '))
			in = start == (uintptr_t)addr;
		else if (in && sscanf(line, "Rss: %lu kB", &kb) == 1)
			rss = kb << 10;
	}
	fclose(f);
	return rss;
}

/* Seed's Mirror: a copy of caller memory, published at creation, prefaulted. */
static void mirror_basic(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "counters");
	size_t size = 3 * tl_page() + 11;
	uint8_t *src = malloc(size);
	struct sealbuf_region *m = NULL;

	tl_fill(src, size, 3);
	assert_int_equal(sealbuf_region_mirror(src, size, &o, &m), 0);
	assert_int_equal(sealbuf_region_kind(m), SEALBUF_KIND_MIRROR);
	assert_int_equal(sealbuf_region_size(m), size);
	assert_int_equal(sealbuf_region_capacity(m), size);
	assert_int_equal(sealbuf_region_mapped_size(m), 5 * tl_page());
	assert_int_equal(sealbuf_region_seq(m), 2);
	assert_true(tl_check(sealbuf_region_data(m), size, 3));
	assert_memory_equal((uint8_t *)sealbuf_region_data(m) - tl_page(), "SBHD", 4);
	/* Every page, header included, is mapped in already. */
	assert_int_equal(rss_of((uint8_t *)sealbuf_region_data(m) - tl_page()), 5 * tl_page());
	sealbuf_region_free(m);
	free(src);
}

static void mirror_empty(void **state)
{
	struct sealbuf_region *m = NULL;

	assert_int_equal(sealbuf_region_mirror(NULL, 0, NULL, &m), 0);
	assert_null(sealbuf_region_data(m));
	assert_int_equal(sealbuf_region_update(m), 0);
	assert_int_equal(sealbuf_region_clear(m), 0);
	assert_int_equal(sealbuf_region_seq(m), 4);
	sealbuf_region_free(m);
}

static void mirror_errors(void **state)
{
	struct sealbuf_region *m = NULL, *plain = NULL;
	char src[10] = "0123456789";

	tl_assert_fail(sealbuf_region_mirror(NULL, 1, NULL, &m), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_mirror(src, 1, NULL, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	{
		SEALBUF_OPTS(sealbuf_create_opts, bad, .flags = 1u << 30);
		tl_assert_fail(sealbuf_region_mirror(src, 1, &bad, &m), -EINVAL,
			       SEALBUF_R_UNKNOWN_FLAGS);
	}
	assert_null(m);
	tl_assert_fail(sealbuf_region_update(NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_create(10, NULL, &plain), 0);
	tl_assert_fail(sealbuf_region_update(plain), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_clear(plain), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	assert_int_equal(sealbuf_region_mirror(src, sizeof(src), NULL, &m), 0);
	/* A mirror's size is its memory's: write is for reserved regions. */
	tl_assert_fail(sealbuf_region_write(m, "x", 1), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_region_write_begin(m), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	sealbuf_region_free(plain);
	sealbuf_region_free(m);
}

/* Seed's Update and Clear. */
static void update_and_clear(void **state)
{
	uint8_t src[300], buf[300];
	struct sealbuf_region *m = NULL;
	size_t n;
	uint64_t seq;

	tl_fill(src, sizeof(src), 1);
	assert_int_equal(sealbuf_region_mirror(src, sizeof(src), NULL, &m), 0);
	tl_fill(src, sizeof(src), 2);
	/* Not published until update. */
	assert_true(tl_check(sealbuf_region_data(m), sizeof(src), 1));
	assert_int_equal(sealbuf_region_update(m), 0);
	assert_int_equal(sealbuf_region_snapshot(m, buf, sizeof(buf), &n, &seq), 0);
	assert_int_equal(n, sizeof(src));
	assert_int_equal(seq, 4);
	assert_true(tl_check(buf, n, 2));
	/* Clear zeroes the caller's memory; the region keeps the last update. */
	assert_int_equal(sealbuf_region_clear(m), 0);
	for (size_t i = 0; i < sizeof(src); i++)
		assert_int_equal(src[i], 0);
	assert_true(tl_check(sealbuf_region_data(m), sizeof(src), 2));
	assert_int_equal(sealbuf_region_update(m), 0);
	assert_int_equal(sealbuf_region_snapshot(m, buf, sizeof(buf), &n, &seq), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf[i], 0);
	sealbuf_region_free(m);
}

static int child_engine(int sock, size_t size)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 10000);
	struct sealbuf_region *m = NULL;
	uint8_t *buf;
	uint64_t seq;
	size_t n;
	int ok = 1;

	if (sealbuf_region_recv(sock, &o, &m) < 0)
		return 10;
	buf = malloc(size);
	ok &= sealbuf_region_kind(m) == SEALBUF_KIND_MIRROR && sealbuf_region_size(m) == size;
	ok &= tl_check(sealbuf_region_data(m), size, 5);
	/* Only the creator mirrors memory. */
	ok &= sealbuf_region_update(m) == -EMEDIUMTYPE && sealbuf_region_clear(m) == -EMEDIUMTYPE;
	ok &= write(sock, "r", 1) == 1;
	ok &= sealbuf_region_wait(m, sealbuf_region_seq(m), 10000, &seq) == 0;
	ok &= sealbuf_region_snapshot(m, buf, size, &n, NULL) == 0;
	ok &= n == size && tl_check(buf, size, 6);
	sealbuf_region_free(m);
	free(buf);
	return ok ? 0 : 11;
}

/* Seed's Link for a mirror: shared and opened like any other region. */
static void mirror_to_child(void **state)
{
	size_t size = 2 * tl_page();
	uint8_t *src = malloc(size);
	struct sealbuf_region *m = NULL;
	int sv[2];
	char c;
	pid_t pid;

	tl_fill(src, size, 5);
	assert_int_equal(sealbuf_region_mirror(src, size, NULL, &m), 0);
	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_engine(sv[1], size));
	}
	close(sv[1]);
	assert_int_equal(sealbuf_region_send(sv[0], m, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(read(sv[0], &c, 1), 1);
	tl_fill(src, size, 6);
	assert_int_equal(sealbuf_region_update(m), 0);
	wait_child(pid);
	close(sv[0]);
	sealbuf_region_free(m);
	free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(mirror_basic), TL_TEST(mirror_empty), TL_TEST(mirror_errors),
		TL_TEST(update_and_clear), TL_TEST(mirror_to_child),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
