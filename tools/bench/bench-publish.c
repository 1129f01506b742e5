/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reserved and mirror regions against hand-written code, in the same run:
 *  - write and update, 1 MiB and up, against memcpy into a prefaulted
 *    shared mapping of the same size (target: at least 0.9x its speed);
 *  - publish to a woken reader in another process, 4 KiB, one way (half a
 *    ping-pong), against a hand-written seqlock + futex with the same
 *    spin-then-sleep wait (target: at most 1.2x its latency), and the
 *    futex-only wait beside it;
 *  - the same for a reader surely asleep in the futex (the writer waits
 *    before each publish), timed from the publish to the reader's copy;
 *  - snapshot cost per call beside a plain memcpy of the same size.
 */
#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "sealbuf.h"

#define MiB ((size_t)1 << 20)
#define SPIN_NS 50000u /* what the library spins before sleeping */
#define SPIN_YIELD_EVERY 16 /* and how often it yields meanwhile */
#define PING_BYTES 4096
#define PONG_BYTES 8

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

static void die(const char *what)
{
	fprintf(stderr, "bench-publish: %s: %s\n", what, sealbuf_last_error());
	exit(1);
}

static void *shared_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

	if (p == MAP_FAILED) {
		perror("bench-publish: mmap");
		exit(1);
	}
	return p;
}

static struct sealbuf_region *reserve(size_t capacity)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_PREFAULT);
	struct sealbuf_region *r;

	if (sealbuf_region_reserve(capacity, &o, &r) < 0)
		die("sealbuf_region_reserve");
	return r;
}

/* ------------------------------------------------------------------------ */
/* write / update against memcpy                                             */
/* ------------------------------------------------------------------------ */

/* GB/s of @k calls of one of the three copies. */
enum copy_kind { COPY_MEMCPY, COPY_WRITE, COPY_UPDATE };

static double copy_rate(enum copy_kind kind, struct sealbuf_region *r, void *dst,
			const void *src, size_t size, int k)
{
	uint64_t t = bench_now_ns();

	for (int i = 0; i < k; i++) {
		if (kind == COPY_MEMCPY) {
			memcpy(dst, src, size);
			__asm__ __volatile__("" ::"r"(dst) : "memory");
		} else if (kind == COPY_WRITE) {
			if (sealbuf_region_write(r, src, size) < 0)
				die("sealbuf_region_write");
		} else if (sealbuf_region_update(r) < 0) {
			die("sealbuf_region_update");
		}
	}
	return (double)size * k / (double)(bench_now_ns() - t);
}

static void bench_copy(const struct bench *b, size_t size)
{
	int reps = b->reps ? b->reps : b->quick ? 3 : 15;
	int k = (int)((256 * MiB) / size) + 1;
	double *m = calloc((size_t)reps, sizeof(double)), *w = calloc((size_t)reps, sizeof(double)),
	       *u = calloc((size_t)reps, sizeof(double));
	uint8_t *src = shared_anon(size), *dst = shared_anon(size);
	struct sealbuf_region *r = reserve(size), *mir;
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_PREFAULT);
	char fig[64];

	if (b->quick)
		k = k / 8 + 1;
	memset(src, 0x5a, size);
	if (sealbuf_region_mirror(src, size, &o, &mir) < 0)
		die("sealbuf_region_mirror");
	bench_progress(b, "copies of %zu MiB, %d per sample", size / MiB, k);
	/* Interleaved, so drift in the machine hits all three alike. */
	for (int i = 0; i < reps; i++) {
		m[i] = copy_rate(COPY_MEMCPY, NULL, dst, src, size, k);
		w[i] = copy_rate(COPY_WRITE, r, NULL, src, size, k);
		u[i] = copy_rate(COPY_UPDATE, mir, NULL, src, size, k);
	}
	double base = bench_median(m, (size_t)reps);
	snprintf(fig, sizeof(fig), "write %zu MiB", size / MiB);
	bench_report(b, fig, "GB/s", bench_median(w, (size_t)reps), "memcpy, prefaulted shared",
		     base, ">= 0.9");
	snprintf(fig, sizeof(fig), "update (mirror) %zu MiB", size / MiB);
	bench_report(b, fig, "GB/s", bench_median(u, (size_t)reps), "memcpy, prefaulted shared",
		     base, ">= 0.9");
	sealbuf_region_free(mir);
	sealbuf_region_free(r);
	munmap(src, size);
	munmap(dst, size);
	free(m);
	free(w);
	free(u);
}

/* ------------------------------------------------------------------------ */
/* The hand-written baseline: a seqlock and a futex in a shared mapping      */
/* ------------------------------------------------------------------------ */

struct hand {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
	uint8_t pad[56];
	uint8_t data[PING_BYTES];
};

static void hand_write(struct hand *h, const void *src, size_t n)
{
	uint32_t s = atomic_load_explicit(&h->seq, memory_order_relaxed) + 1;

	atomic_store_explicit(&h->seq, s, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(h->data, src, n);
	atomic_store_explicit(&h->seq, s + 1, memory_order_seq_cst);
	if (atomic_load_explicit(&h->waiters, memory_order_seq_cst))
		syscall(SYS_futex, &h->seq, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static uint32_t hand_wait(struct hand *h, uint32_t seen, uint64_t spin_ns)
{
	uint64_t end = bench_now_ns() + spin_ns;
	uint32_t s;

	for (unsigned i = 1;; i++) {
		s = atomic_load_explicit(&h->seq, memory_order_acquire);
		if (s != seen && !(s & 1))
			return s;
		cpu_relax();
		if (i % SPIN_YIELD_EVERY)
			continue;
		if (bench_now_ns() >= end)
			break;
		sched_yield();
	}
	for (;;) {
		atomic_fetch_add(&h->waiters, 1);
		s = atomic_load(&h->seq);
		if (s == seen || (s & 1))
			syscall(SYS_futex, &h->seq, FUTEX_WAIT, s, NULL, NULL, 0);
		atomic_fetch_sub(&h->waiters, 1);
		s = atomic_load_explicit(&h->seq, memory_order_acquire);
		if (s != seen && !(s & 1))
			return s;
	}
}

static void hand_read(struct hand *h, void *dst, size_t n)
{
	for (;;) {
		uint32_t s = atomic_load_explicit(&h->seq, memory_order_acquire);
		if (s & 1)
			continue;
		memcpy(dst, h->data, n);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&h->seq, memory_order_relaxed) == s)
			return;
	}
}

/* ------------------------------------------------------------------------ */
/* Ping-pong between two processes                                           */
/* ------------------------------------------------------------------------ */

struct pair {
	/* sealbuf: ping carries 4 KiB to the child, pong 8 bytes back. */
	struct sealbuf_region *ping, *pong;
	/* hand-written */
	struct hand *hping, *hpong;
	uint64_t spin_ns;
};

static void sb_round(struct pair *p, uint8_t *buf, uint64_t *seen, bool child)
{
	struct sealbuf_region *in = child ? p->ping : p->pong, *out = child ? p->pong : p->ping;

	if (!child && sealbuf_region_write(out, buf, PING_BYTES) < 0)
		die("write");
	if (sealbuf_region_wait(in, *seen, -1, seen) < 0 ||
	    sealbuf_region_snapshot(in, buf, PING_BYTES, NULL, seen) < 0)
		die("wait/snapshot");
	if (child && sealbuf_region_write(out, buf, PONG_BYTES) < 0)
		die("write");
}

static void hand_round(struct pair *p, uint8_t *buf, uint32_t *seen, bool child)
{
	struct hand *in = child ? p->hping : p->hpong, *out = child ? p->hpong : p->hping;

	if (!child)
		hand_write(out, buf, PING_BYTES);
	*seen = hand_wait(in, *seen, p->spin_ns);
	hand_read(in, buf, child ? PING_BYTES : PONG_BYTES);
	if (child)
		hand_write(out, buf, PONG_BYTES);
}

/* Microseconds one way (half a round trip), mean over @rounds. */
static double ping_pong(struct pair *p, bool lib, int rounds)
{
	uint8_t buf[PING_BYTES] = { 1 };
	uint64_t seen = lib ? sealbuf_region_seq(p->ping) : 0, seen_back;
	uint32_t hseen = lib ? 0 : atomic_load(&p->hping->seq), hseen_back;
	uint64_t t;
	pid_t pid;

	seen_back = lib ? sealbuf_region_seq(p->pong) : 0;
	hseen_back = lib ? 0 : atomic_load(&p->hpong->seq);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		for (int i = 0; i < rounds; i++)
			lib ? sb_round(p, buf, &seen, true) : hand_round(p, buf, &hseen, true);
		_exit(0);
	}
	t = bench_now_ns();
	for (int i = 0; i < rounds; i++)
		lib ? sb_round(p, buf, &seen_back, false) : hand_round(p, buf, &hseen_back, false);
	t = bench_now_ns() - t;
	waitpid(pid, NULL, 0);
	return (double)t / rounds / 2 / 1e3;
}

/*
 * The writer waits ASLEEP_NS before each publish, so the reader is past its
 * spin and asleep in the futex: the latency of a real wake-up, measured from
 * the publish (a timestamp in the payload) to the reader holding its copy.
 */
#define ASLEEP_NS 300000

static void sleep_ns(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static void sleeper_writer(struct pair *p, bool lib, int rounds, uint64_t acks,
			   uint32_t hacks)
{
	uint8_t buf[PING_BYTES] = { 0 };

	for (int i = 0; i < rounds; i++) {
		uint64_t t;
		sleep_ns(ASLEEP_NS);
		t = bench_now_ns();
		memcpy(buf, &t, sizeof(t));
		if (lib && sealbuf_region_write(p->ping, buf, PING_BYTES) < 0)
			die("write");
		if (!lib)
			hand_write(p->hping, buf, PING_BYTES);
		/* The reader's acknowledgement: it has its copy; go again. */
		if (lib && (sealbuf_region_wait(p->pong, acks, -1, &acks) < 0 ||
			    sealbuf_region_snapshot(p->pong, buf, PING_BYTES, NULL, &acks) < 0))
			die("wait/snapshot");
		if (!lib) {
			hacks = hand_wait(p->hpong, hacks, p->spin_ns);
			hand_read(p->hpong, buf, PONG_BYTES);
		}
	}
}

/*
 * Pin to one CPU (the n-th allowed one), so both variants of a figure run
 * with the same placement: a cross-CPU wake costs ten times a same-CPU one.
 */
static void pin(const cpu_set_t *allowed, int n)
{
	cpu_set_t one;
	int seen = -1;

	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, allowed) && ++seen == n % CPU_COUNT(allowed)) {
			CPU_SET(c, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
}

/* Median microseconds from publish to a sleeping reader's copy, across CPUs. */
static double wake_from_sleep(struct pair *p, bool lib, int rounds)
{
	cpu_set_t allowed;
	uint8_t buf[PING_BYTES];
	double *lat = calloc((size_t)rounds, sizeof(double)), med;
	uint64_t seen, t;
	uint32_t hseen = atomic_load(&p->hping->seq);
	pid_t pid;

	if (sealbuf_region_read(p->ping) < 0 || sealbuf_region_read(p->pong) < 0)
		die("read");
	seen = sealbuf_region_seq(p->ping);
	sched_getaffinity(0, sizeof(allowed), &allowed);
	pin(&allowed, 0);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		pin(&allowed, 1);
		sleeper_writer(p, lib, rounds, sealbuf_region_seq(p->pong),
			       atomic_load(&p->hpong->seq));
		_exit(0);
	}
	for (int i = 0; i < rounds; i++) {
		if (lib && (sealbuf_region_wait(p->ping, seen, -1, &seen) < 0 ||
			    sealbuf_region_snapshot(p->ping, buf, PING_BYTES, NULL, &seen) < 0))
			die("wait/snapshot");
		if (!lib) {
			hseen = hand_wait(p->hping, hseen, p->spin_ns);
			hand_read(p->hping, buf, PING_BYTES);
		}
		t = bench_now_ns();
		lat[i] = (double)(t - *(uint64_t *)(void *)buf) / 1e3;
		if (lib && sealbuf_region_write(p->pong, buf, PONG_BYTES) < 0)
			die("write");
		if (!lib)
			hand_write(p->hpong, buf, PONG_BYTES);
	}
	waitpid(pid, NULL, 0);
	sched_setaffinity(0, sizeof(allowed), &allowed);
	med = bench_median(lat, (size_t)rounds);
	free(lat);
	return med;
}

static void bench_wake(const struct bench *b)
{
	int reps = b->reps ? b->reps : b->quick ? 3 : 9, rounds = b->quick ? 500 : 5000;
	double *l = calloc((size_t)reps, sizeof(double)), *h = calloc((size_t)reps, sizeof(double)),
	       *f = calloc((size_t)reps, sizeof(double));
	struct pair p = { .ping = reserve(PING_BYTES), .pong = reserve(PONG_BYTES),
			  .hping = shared_anon(sizeof(struct hand)),
			  .hpong = shared_anon(sizeof(struct hand)) };

	bench_progress(b, "ping-pong, %d round trips per sample", rounds);
	for (int i = 0; i < reps; i++) {
		p.spin_ns = SPIN_NS;
		l[i] = ping_pong(&p, true, rounds);
		h[i] = ping_pong(&p, false, rounds);
		p.spin_ns = 0;
		f[i] = ping_pong(&p, false, rounds / 10 + 1);
	}
	bench_report(b, "publish to woken reader, 4 KiB", "us", bench_median(l, (size_t)reps),
		     "hand seqlock+futex, same spin", bench_median(h, (size_t)reps), "<= 1.2");
	bench_report(b, "publish to woken reader, 4 KiB", "us", bench_median(l, (size_t)reps),
		     "hand seqlock+futex, no spin", bench_median(f, (size_t)reps), NULL);
	rounds = b->quick ? 50 : 300;
	bench_progress(b, "publish to a sleeping reader, %d per sample", rounds);
	p.spin_ns = SPIN_NS;
	for (int i = 0; i < reps; i++) {
		l[i] = wake_from_sleep(&p, true, rounds);
		h[i] = wake_from_sleep(&p, false, rounds);
	}
	bench_report(b, "publish to sleeping reader (other CPU), 4 KiB", "us", bench_median(l, (size_t)reps),
		     "hand seqlock+futex, same spin", bench_median(h, (size_t)reps), "<= 1.2");
	sealbuf_region_free(p.ping);
	sealbuf_region_free(p.pong);
	munmap(p.hping, sizeof(struct hand));
	munmap(p.hpong, sizeof(struct hand));
	free(l);
	free(h);
	free(f);
}

/* ------------------------------------------------------------------------ */
/* Snapshot cost                                                             */
/* ------------------------------------------------------------------------ */

static double snapshot_ns(struct sealbuf_region *r, void *dst, size_t size, int k)
{
	uint64_t t = bench_now_ns();

	for (int i = 0; i < k; i++)
		if (sealbuf_region_snapshot(r, dst, size, NULL, NULL) < 0)
			die("sealbuf_region_snapshot");
	return (double)(bench_now_ns() - t) / k;
}

static double memcpy_ns(void *dst, const void *src, size_t size, int k)
{
	uint64_t t = bench_now_ns();

	for (int i = 0; i < k; i++) {
		memcpy(dst, src, size);
		__asm__ __volatile__("" ::"r"(dst) : "memory");
	}
	return (double)(bench_now_ns() - t) / k;
}

static void bench_snapshot(const struct bench *b, size_t size, const char *label)
{
	int reps = b->reps ? b->reps : b->quick ? 3 : 15;
	int k = (int)((b->quick ? 16 : 128) * MiB / (size + 256)) + 1;
	double *s = calloc((size_t)reps, sizeof(double)), *m = calloc((size_t)reps, sizeof(double));
	struct sealbuf_region *r = reserve(size);
	uint8_t *src = shared_anon(size), *dst = shared_anon(size);
	char fig[64];

	memset(src, 0x33, size);
	if (sealbuf_region_write(r, src, size) < 0)
		die("sealbuf_region_write");
	for (int i = 0; i < reps; i++) {
		s[i] = snapshot_ns(r, dst, size, k);
		m[i] = memcpy_ns(dst, sealbuf_region_data(r), size, k);
	}
	snprintf(fig, sizeof(fig), "snapshot %s", label);
	bench_report(b, fig, "ns", bench_median(s, (size_t)reps), "memcpy of the same size",
		     bench_median(m, (size_t)reps), NULL);
	sealbuf_region_free(r);
	munmap(src, size);
	munmap(dst, size);
	free(s);
	free(m);
}

int main(int argc, char **argv)
{
	struct bench b;

	bench_init(&b, "publish", argc, argv);
	bench_copy(&b, 1 * MiB);
	if (!b.quick) {
		bench_copy(&b, 16 * MiB);
		bench_copy(&b, 64 * MiB);
	}
	bench_wake(&b);
	bench_snapshot(&b, 64, "64 B");
	bench_snapshot(&b, 4096, "4 KiB");
	bench_snapshot(&b, 64 * 1024, "64 KiB");
	bench_snapshot(&b, MiB, "1 MiB");
	return 0;
}
