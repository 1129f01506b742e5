/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Publication stress: one writer, one reader, self-checking payloads, zero torn snapshots. */
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"
#include "seqlock.h" /* SB_TSAN: lighter runs under ThreadSanitizer */

/*
 * Each payload carries its own length, its publication number and a checksum
 * of the rest, so a reader can tell a torn snapshot from a good one:
 *   0: u32 length   4: u32 0   8: u64 number   16: u64 checksum   24: bytes
 * The writer's n-th publication has sequence 2n (one writer, fresh region).
 */
#define HDR 24
#define MAX_BODY 1000
#define CAPACITY (HDR + MAX_BODY)

#ifdef SB_TSAN
#define DEFAULT_SNAPSHOTS 100000 /* byte-wise atomic copies: keep it under a minute */
#else
#define DEFAULT_SNAPSHOTS 1000000
#endif

struct result {
	uint64_t snapshots, torn, contended, distinct, waits;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* Build publication @n at @p (a private buffer, or the payload in place). */
static size_t make_payload(uint8_t *p, uint64_t n)
{
	uint32_t len = HDR + (uint32_t)(mix(n) % (MAX_BODY + 1)), zero = 0;
	uint64_t x = mix(n ^ 0x5eed), sum;

	for (size_t i = HDR; i < len; i++, x = x * 6364136223846793005ull + 1442695040888963407ull)
		p[i] = (uint8_t)(x >> 56);
	sum = checksum(p + HDR, len - HDR);
	memcpy(p, &len, 4);
	memcpy(p + 4, &zero, 4);
	memcpy(p + 8, &n, 8);
	memcpy(p + 16, &sum, 8);
	return len;
}

/* 1 if @p (@size bytes, sequence @seq) is one whole publication. */
static int verify(const uint8_t *p, size_t size, uint64_t seq)
{
	uint32_t len;
	uint64_t n, sum;

	if (size == 0)
		return seq == 0;
	if (size < HDR)
		return 0;
	memcpy(&len, p, 4);
	memcpy(&n, p + 8, 8);
	memcpy(&sum, p + 16, 8);
	return len == size && seq == 2 * n && sum == checksum(p + HDR, size - HDR);
}

/*
 * Put the writer and the reader on different CPUs when there are two, so
 * they really run at the same time (left to the scheduler, they often
 * share one CPU and take turns, and few copies meet a write in progress).
 */
static void pin_to(int nth)
{
	cpu_set_t set, one;
	int seen = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0 || CPU_COUNT(&set) < 2)
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set) || seen++ != nth)
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		sched_setaffinity(0, sizeof(one), &one);
		return;
	}
}

static uint64_t snapshots_wanted(uint64_t dflt)
{
	const char *e = getenv("SEALBUF_STRESS_SNAPSHOTS");

	return e ? strtoull(e, NULL, 10) : dflt;
}

/* Take @want good snapshots; count the torn ones (must stay 0). */
static void reader_loop(struct sealbuf_region *r, uint64_t want, struct result *res)
{
	uint8_t buf[CAPACITY];
	uint64_t last = 0;

	memset(res, 0, sizeof(*res));
	/*
	 * The writer is alive: only a machine starved for CPU (seen: over a
	 * second, under TSan with a load of 4 on 2 CPUs) looks stalled. Give
	 * it 10 s; a stall still fails the test.
	 */
	assert_int_equal(sealbuf_region_set_stall_timeout(r, 10000), 0);
	while (res->snapshots < want) {
		size_t size = 0;
		uint64_t seq = 0;
		int ret = sealbuf_region_snapshot(r, buf, sizeof(buf), &size, &seq);

		if (ret == -EAGAIN) {
			res->contended++;
			continue;
		}
		if (ret < 0 || !verify(buf, size, seq) || seq < last) {
			res->torn++;
			if (ret < 0)
				fprintf(stderr, "snapshot: %s\n", sealbuf_last_error());
			if (res->torn > 10)
				return;
			continue;
		}
		res->distinct += seq != last;
		last = seq;
		res->snapshots++;
		/* Now and then sleep until the next publication instead of polling. */
		if (!(res->snapshots % 4096) && sealbuf_region_wait(r, seq, 5000, NULL) == 0)
			res->waits++;
	}
}

/* Alternate whole writes and in-place updates until *@stop. */
static uint64_t writer_loop(struct sealbuf_region *w, atomic_bool *stop, int sock)
{
	uint8_t buf[CAPACITY];
	uint64_t n = 0;

	for (;;) {
		n++;
#ifndef SB_TSAN
		if (n % 2) {
			/* In place: plain stores, which TSan would rightly call racy. */
			if (sealbuf_region_write_begin(w) < 0)
				return 0;
			size_t len = make_payload(sealbuf_region_data(w), n);
			if (sealbuf_region_write_end(w, len) < 0)
				return 0;
		} else
#endif
		if (sealbuf_region_write(w, buf, make_payload(buf, n)) < 0)
			return 0;
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return n;
		if (sock >= 0 && !(n % 256)) {
			struct pollfd p = { .fd = sock, .events = POLLIN };
			if (poll(&p, 1, 0) != 0)
				return n;
		}
	}
}

static void report(const char *what, const struct result *res, uint64_t writes)
{
	print_message("%s: %llu snapshots of %llu distinct publications (of %llu written), "
		      "%llu torn, %llu contended retries, %llu waits\n", what,
		      (unsigned long long)res->snapshots, (unsigned long long)res->distinct,
		      (unsigned long long)writes, (unsigned long long)res->torn,
		      (unsigned long long)res->contended, (unsigned long long)res->waits);
}

static int child_reader(int sock, uint64_t want)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 10000);
	struct sealbuf_region *r = NULL;
	struct result res;

	if (sealbuf_region_recv(sock, &o, &r) < 0)
		return 10;
	pin_to(1);
	reader_loop(r, want, &res);
	sealbuf_region_free(r);
	return write(sock, &res, sizeof(res)) == sizeof(res) ? 0 : 11;
}

/* Two processes: the region travels over a socket, read-only to the reader. */
static void stress_processes(void **state)
{
	uint64_t want = snapshots_wanted(DEFAULT_SNAPSHOTS), writes;
	struct sealbuf_region *w = NULL;
	struct result res;
	cpu_set_t cpus;
	int sv[2], status;
	pid_t pid;

	assert_int_equal(sealbuf_region_reserve(CAPACITY, NULL, &w), 0);
	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_reader(sv[1], want));
	}
	close(sv[1]);
	assert_int_equal(sealbuf_region_send(sv[0], w, SEALBUF_SHARE_RDONLY), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
	pin_to(0);
	writes = writer_loop(w, NULL, sv[0]);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	assert_int_equal(read(sv[0], &res, sizeof(res)), sizeof(res));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	report("processes", &res, writes);
	assert_int_equal(res.torn, 0);
	assert_int_equal(res.snapshots, want);
	assert_true(res.distinct > 1);
	close(sv[0]);
	sealbuf_region_free(w);
}

struct writer_arg {
	struct sealbuf_region *w;
	atomic_bool stop;
	uint64_t writes;
};

static void *writer_thread(void *p)
{
	struct writer_arg *a = p;

	pin_to(0);
	a->writes = writer_loop(a->w, &a->stop, -1);
	return NULL;
}

/* Two threads, each with its own handle of the region (for ThreadSanitizer runs). */
static void stress_threads(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .kind = SEALBUF_KIND_RESERVED);
	uint64_t want = snapshots_wanted(DEFAULT_SNAPSHOTS);
	struct writer_arg a = { .stop = false };
	struct sealbuf_region *r = NULL;
	struct result res;
	cpu_set_t cpus;
	pthread_t t;
	int fd;

	assert_int_equal(sealbuf_region_reserve(CAPACITY, NULL, &a.w), 0);
	assert_int_equal(sealbuf_region_share(a.w, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, CAPACITY, &o, &r), 0);
	assert_int_equal(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
	assert_int_equal(pthread_create(&t, NULL, writer_thread, &a), 0);
	pin_to(1);
	reader_loop(r, want, &res);
	atomic_store(&a.stop, true);
	assert_int_equal(pthread_join(t, NULL), 0);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	report("threads", &res, a.writes);
	assert_int_equal(res.torn, 0);
	assert_int_equal(res.snapshots, want);
	assert_true(a.writes > 0);
	sealbuf_region_free(r);
	sealbuf_region_free(a.w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(stress_processes), TL_TEST(stress_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
