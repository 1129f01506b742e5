/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reserved and mirror regions against hand-written code, in the same run,
 * each pair pinned alike and interleaved over several rounds (bench.h):
 *  - write and update, 1 MiB and up, against memcpy into a prefaulted
 *    shared mapping of the same size (target: at least 0.9x its speed);
 *  - 4 KiB ping-pong between two processes (publish, the other side wakes,
 *    copies and answers), in messages per second: across two CPUs against a
 *    hand-written seqlock whose reader spins purely (no system call), and
 *    on one CPU against the same seqlock with sealbuf 0.1's wait (a
 *    sched_yield every 16 pauses), which is what makes one CPU work; the
 *    other pairings are printed too, without a target;
 *  - a reader surely asleep in the futex (the writer waits before each
 *    publish), timed from the publish to the reader's copy;
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
#define SPIN_YIELD_EVERY 16 /* and how often sealbuf 0.1 yielded meanwhile */
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

struct copy_ctx {
	enum copy_kind kind;
	struct sealbuf_region *r;
	uint8_t *src, *dst;
	size_t size;
	int k;
};

static double copy_side(const struct bench *b, void *ctx)
{
	struct copy_ctx *c = ctx;
	int n = bench_reps(b, 5);
	double *s = bench_samples(n);

	for (int i = 0; i < n; i++)
		s[i] = copy_rate(c->kind, c->r, c->dst, c->src, c->size, c->k);
	return bench_median_free(s, n);
}

static double copy_base(const struct bench *b, void *ctx)
{
	struct copy_ctx c = *(struct copy_ctx *)ctx;

	c.kind = COPY_MEMCPY;
	return copy_side(b, &c);
}

static void bench_copy(struct bench *b, size_t size)
{
	int k = (int)((b->quick ? 32 : 256) * MiB / size) + 1;
	uint8_t *src = shared_anon(size), *dst = shared_anon(size);
	struct sealbuf_region *r = reserve(size), *mir;
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_PREFAULT);
	struct copy_ctx c = { .kind = COPY_WRITE, .r = r, .src = src, .dst = dst,
			      .size = size, .k = k };
	struct bench_pair p;
	char fig[64];

	memset(src, 0x5a, size);
	if (sealbuf_region_mirror(src, size, &o, &mir) < 0)
		die("sealbuf_region_mirror");
	bench_progress(b, "copies of %zu MiB, %d per sample", size / MiB, k);
	snprintf(fig, sizeof(fig), "write %zu MiB", size / MiB);
	if (bench_wants(b, fig)) {
		bench_pair(b, copy_side, copy_base, &c, &p);
		bench_report(b, fig, "GB/s", &p, "memcpy, prefaulted shared", "CPU 0", ">= 0.9");
	}
	c.kind = COPY_UPDATE;
	c.r = mir;
	snprintf(fig, sizeof(fig), "update (mirror) %zu MiB", size / MiB);
	if (bench_wants(b, fig)) {
		bench_pair(b, copy_side, copy_base, &c, &p);
		bench_report(b, fig, "GB/s", &p, "memcpy, prefaulted shared", "CPU 0", ">= 0.9");
	}
	sealbuf_region_free(mir);
	sealbuf_region_free(r);
	munmap(src, size);
	munmap(dst, size);
}

/* ------------------------------------------------------------------------ */
/* The hand-written baseline: a seqlock and a futex in a shared mapping      */
/* ------------------------------------------------------------------------ */

/*
 * Laid out as a sealbuf region is: the header in one page, the payload
 * page-aligned after it. How the payload and the copy's other buffer sit
 * against 4 KiB boundaries changes a 4 KiB memcpy by 10-15% on these CPUs
 * (loads and stores 4 KiB apart alias), more than the gap the figure judges:
 * both sides get the same layout, and both copy to and from 64-byte aligned
 * buffers.
 */
struct hand {
	_Atomic uint32_t seq;
	_Atomic uint32_t waiters;
	uint8_t pad[4096 - 8];
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

/* How the hand-written reader spins before it sleeps in the futex. */
enum hand_spin {
	SPIN_PURE,    /* pauses only: no system call until the futex */
	SPIN_YIELD16, /* sealbuf 0.1: sched_yield() every 16 pauses */
	SPIN_NONE,    /* straight to the futex */
};

static uint32_t hand_wait(struct hand *h, uint32_t seen, enum hand_spin spin)
{
	uint64_t end = bench_now_ns() + (spin == SPIN_NONE ? 0 : SPIN_NS);
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
		if (spin == SPIN_YIELD16)
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
	enum hand_spin spin;
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
	*seen = hand_wait(in, *seen, p->spin);
	hand_read(in, buf, child ? PING_BYTES : PONG_BYTES);
	if (child)
		hand_write(out, buf, PONG_BYTES);
}

/* Messages per second (both ways), over @rounds round trips; the child on CPU @cpu. */
static double ping_pong(const struct bench *b, struct pair *p, bool lib, int cpu, int rounds)
{
	_Alignas(64) uint8_t buf[PING_BYTES] = { 1 };
	uint64_t seen = lib ? sealbuf_region_seq(p->ping) : 0, seen_back;
	uint32_t hseen = lib ? 0 : atomic_load(&p->hping->seq), hseen_back;
	uint64_t t;
	pid_t pid;

	seen_back = lib ? sealbuf_region_seq(p->pong) : 0;
	hseen_back = lib ? 0 : atomic_load(&p->hpong->seq);
	bench_pin(b, 0);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		bench_pin(b, cpu);
		for (int i = 0; i < rounds; i++)
			lib ? sb_round(p, buf, &seen, true) : hand_round(p, buf, &hseen, true);
		_exit(0);
	}
	t = bench_now_ns();
	for (int i = 0; i < rounds; i++)
		lib ? sb_round(p, buf, &seen_back, false) : hand_round(p, buf, &hseen_back, false);
	t = bench_now_ns() - t;
	waitpid(pid, NULL, 0);
	if (lib && (sealbuf_region_read(p->ping) < 0 || sealbuf_region_read(p->pong) < 0))
		die("read");
	return 2.0 * rounds / ((double)t / 1e9);
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
	_Alignas(64) uint8_t buf[PING_BYTES] = { 0 };

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
			hacks = hand_wait(p->hpong, hacks, p->spin);
			hand_read(p->hpong, buf, PONG_BYTES);
		}
	}
}

/* Median microseconds from publish to a sleeping reader's copy, across CPUs. */
static double wake_from_sleep(const struct bench *b, struct pair *p, bool lib, int rounds)
{
	_Alignas(64) uint8_t buf[PING_BYTES];
	double *lat = calloc((size_t)rounds, sizeof(double)), med;
	uint64_t seen, t;
	uint32_t hseen = atomic_load(&p->hping->seq);
	pid_t pid;

	if (sealbuf_region_read(p->ping) < 0 || sealbuf_region_read(p->pong) < 0)
		die("read");
	seen = sealbuf_region_seq(p->ping);
	bench_pin(b, 0);
	pid = fork();
	if (pid < 0)
		exit(1);
	if (pid == 0) {
		bench_pin(b, 1);
		sleeper_writer(p, lib, rounds, sealbuf_region_seq(p->pong),
			       atomic_load(&p->hpong->seq));
		_exit(0);
	}
	for (int i = 0; i < rounds; i++) {
		if (lib && (sealbuf_region_wait(p->ping, seen, -1, &seen) < 0 ||
			    sealbuf_region_snapshot(p->ping, buf, PING_BYTES, NULL, &seen) < 0))
			die("wait/snapshot");
		if (!lib) {
			hseen = hand_wait(p->hping, hseen, p->spin);
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
	med = bench_median(lat, (size_t)rounds);
	free(lat);
	return med;
}

/* One figure's two sides: sealbuf, and the hand-written code with a spin policy. */
struct wake_ctx {
	struct pair *p;
	enum hand_spin spin;
	int cpu;    /* the child's CPU: 0 with the parent, 1 across */
	int rounds;
};

static double pp_sealbuf(const struct bench *b, void *ctx)
{
	struct wake_ctx *w = ctx;

	return ping_pong(b, w->p, true, w->cpu, w->rounds);
}

static double pp_hand(const struct bench *b, void *ctx)
{
	struct wake_ctx *w = ctx;

	w->p->spin = w->spin;
	return ping_pong(b, w->p, false, w->cpu, w->rounds);
}

static double sleep_sealbuf(const struct bench *b, void *ctx)
{
	struct wake_ctx *w = ctx;

	return wake_from_sleep(b, w->p, true, w->rounds);
}

static double sleep_hand(const struct bench *b, void *ctx)
{
	struct wake_ctx *w = ctx;

	w->p->spin = w->spin;
	return wake_from_sleep(b, w->p, false, w->rounds);
}

static const char *const spin_name[] = {
	[SPIN_PURE] = "hand seqlock+futex, pure spin",
	[SPIN_YIELD16] = "hand seqlock+futex, 0.1's yield-every-16 spin",
	[SPIN_NONE] = "hand seqlock+futex, no spin",
};

static void pp_figure(struct bench *b, struct pair *p, int cpu, enum hand_spin spin,
		      const char *target)
{
	/* On one CPU each message costs a context switch: fewer rounds, same time. */
	int rounds = bench_reps(b, cpu ? 20000 : 5000);
	struct wake_ctx w = { .p = p, .spin = spin, .cpu = cpu, .rounds = rounds };
	struct bench_pair r;

	if (!bench_wants(b, cpu ? "4 KiB ping-pong across CPUs" : "4 KiB ping-pong on one CPU"))
		return;
	bench_progress(b, "ping-pong %s vs %s, %d round trips per sample",
		       cpu ? "across CPUs" : "on one CPU", spin_name[spin], rounds);
	bench_pair(b, pp_sealbuf, pp_hand, &w, &r);
	bench_report(b, cpu ? "4 KiB ping-pong across CPUs" : "4 KiB ping-pong on one CPU",
		     "msg/s", &r, spin_name[spin], cpu ? "CPUs 0,1" : "CPU 0 (both)", target);
}

static void bench_wake(struct bench *b)
{
	struct pair p = { .ping = reserve(PING_BYTES), .pong = reserve(PONG_BYTES),
			  .hping = shared_anon(sizeof(struct hand)),
			  .hpong = shared_anon(sizeof(struct hand)) };
	struct wake_ctx w = { .p = &p, .spin = SPIN_YIELD16, .rounds = bench_reps(b, 300) };
	struct bench_pair r;

	pp_figure(b, &p, 1, SPIN_PURE, ">= 0.9");
	pp_figure(b, &p, 1, SPIN_YIELD16, NULL);
	pp_figure(b, &p, 0, SPIN_YIELD16, ">= 0.9");
	pp_figure(b, &p, 0, SPIN_PURE, NULL);
	if (bench_wants(b, "publish to a sleeping reader")) {
		bench_progress(b, "publish to a sleeping reader, %d per sample", w.rounds);
		bench_pair(b, sleep_sealbuf, sleep_hand, &w, &r);
		bench_report(b, "publish to a sleeping reader, 4 KiB", "us", &r,
			     spin_name[SPIN_YIELD16], "CPUs 0,1", "<= 1.2");
	}
	bench_unpin(b);
	sealbuf_region_free(p.ping);
	sealbuf_region_free(p.pong);
	munmap(p.hping, sizeof(struct hand));
	munmap(p.hpong, sizeof(struct hand));
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

struct snap_ctx {
	struct sealbuf_region *r;
	uint8_t *dst;
	size_t size;
	int k;
};

static double snap_side(const struct bench *b, void *ctx)
{
	struct snap_ctx *c = ctx;

	(void)b;
	return snapshot_ns(c->r, c->dst, c->size, c->k);
}

static double snap_base(const struct bench *b, void *ctx)
{
	struct snap_ctx *c = ctx;

	(void)b;
	return memcpy_ns(c->dst, sealbuf_region_data(c->r), c->size, c->k);
}

static void bench_snapshot(struct bench *b, size_t size, const char *label)
{
	struct snap_ctx c = { .r = reserve(size), .dst = shared_anon(size), .size = size,
			      .k = (int)((b->quick ? 16 : 128) * MiB / (size + 256)) + 1 };
	uint8_t *src = shared_anon(size);
	struct bench_pair p;
	char fig[64];

	memset(src, 0x33, size);
	if (sealbuf_region_write(c.r, src, size) < 0)
		die("sealbuf_region_write");
	snprintf(fig, sizeof(fig), "snapshot %s", label);
	if (bench_wants(b, fig)) {
		bench_pair(b, snap_side, snap_base, &c, &p);
		bench_report(b, fig, "ns", &p, "memcpy of the same size", "CPU 0", NULL);
	}
	sealbuf_region_free(c.r);
	munmap(src, size);
	munmap(c.dst, size);
}

int main(int argc, char **argv)
{
	struct bench b;

	bench_init(&b, "publish", argc, argv);
	bench_pin(&b, 0);
	bench_copy(&b, 1 * MiB);
	if (!b.quick) {
		bench_copy(&b, 16 * MiB);
		bench_copy(&b, 64 * MiB);
	}
	bench_wake(&b);
	bench_pin(&b, 0);
	bench_snapshot(&b, 64, "64 B");
	bench_snapshot(&b, 4096, "4 KiB");
	bench_snapshot(&b, 64 * 1024, "64 KiB");
	bench_snapshot(&b, MiB, "1 MiB");
	return bench_exit(&b);
}
