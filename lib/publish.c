/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Publishing a payload through the header's seqlock (docs/header-format.md):
 * one writer makes seq odd, changes payload and size, makes seq even again;
 * readers copy and keep the copy only if seq was even and unchanged around
 * it. Readers never trust the header: size is checked against the capacity
 * validated at open, every time, and every wait is bounded.
 */
#include <sched.h>

#include "region.h"
#include "seqlock.h"

#define READ_TRIES 100              /* copies spoiled by the writer before -EAGAIN */
#define SPIN_NS 50000u              /* spin this long before sleeping (a futex wake: ~70 us) */
#define SPIN_YIELD_EVERY 16         /* pauses between looks at the writer's CPU (yield if ours) */
#define SPIN_CLOCK_EVERY 64         /* pauses between looks at the clock, when not yielding */
#define STALL_MS_DEFAULT 1000       /* one update in progress this long: writer stalled */
#define POLL_NS 10000000u           /* read-only reader nobody wakes: look every 10 ms */
#define NS_PER_MS 1000000u

static int check_kind(const struct sealbuf_region *r, bool mirror_ok, const char *what)
{
	if (!r)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "%s: region is NULL", what);
	if (r->kind == SEALBUF_KIND_RESERVED || (mirror_ok && r->kind == SEALBUF_KIND_MIRROR))
		return 0;
	return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
		       "%s needs a %s region; this one is %s", what,
		       mirror_ok ? "reserved or mirror" : "reserved", sb_kind_name(r->kind));
}

/* Our own open update would look like a stalled writer: refuse to wait on it. */
static int check_reader(const struct sealbuf_region *r, const char *what)
{
	int ret = check_kind(r, true, what);

	if (ret == 0 && r->writing)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "%s: this process has an update open: end it with sealbuf_region_write_end()",
			      what);
	return ret;
}

static int check_writer(const struct sealbuf_region *r, const char *what)
{
	int ret = check_kind(r, false, what);

	if (ret == 0 && !r->writable)
		ret = sb_fail_read_only(r->fd, what, "the region is mapped read-only in this process");
	return ret;
}

static int check_capacity(const struct sealbuf_region *r, size_t size)
{
	if (size <= r->capacity)
		return 0;
	return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
		       "%zu bytes do not fit the region's capacity of %zu bytes",
		       size, r->capacity);
}

/* ------------------------------------------------------------------------ */
/* Writer                                                                    */
/* ------------------------------------------------------------------------ */

/* This CPU plus 1, 0 when unknown: glibc reads it from rseq, without a system call. */
static uint32_t this_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : (uint32_t)cpu + 1;
}

static void update_begin(struct sealbuf_region *r)
{
	uint64_t s = sb_seq_load(r->hdr, memory_order_relaxed);

	/* Odd here: a writer stopped mid-update (died?). Take over past it. */
	if (s & 1)
		sb_log(LOG_INFO, "update %llu was left unfinished; this writer takes over",
		       (unsigned long long)s);
	s += (s & 1) ? 2 : 1;
	sb_seq_store(r->hdr, s, memory_order_relaxed);
	/* The odd seq is visible before any payload byte changes. */
	sb_fence_release();
	r->seq = s;
}

static void update_end(struct sealbuf_region *r, size_t size)
{
	struct sb_header *h = r->hdr;

	sb_size_store(h, size);
	/*
	 * seq_cst store then seq_cst load of waiters, against the waiter's
	 * seq_cst increment then load of seq: one of the two sees the other,
	 * so a reader never sleeps through this publish.
	 */
	/* Stored only when it moved: a reader spinning on this line steals it between stores. */
	uint32_t cpu = htole32(this_cpu());
	if (atomic_load_explicit(&h->writer_cpu, memory_order_relaxed) != cpu)
		atomic_store_explicit(&h->writer_cpu, cpu, memory_order_relaxed);
	sb_seq_store(h, r->seq + 1, memory_order_seq_cst);
	if (sb_u32_load(&h->waiters, memory_order_seq_cst) ||
	    sb_u32_load(&h->rdonly_waiters, memory_order_relaxed))
		sb_futex_wake(sb_seq_futex(h));
	r->seq++;
	r->size = size;
}

void sb_publish(struct sealbuf_region *r, const void *src, size_t size)
{
	update_begin(r);
	sb_copy_in(r->data, src, size);
	update_end(r, size);
}

SEALBUF_EXPORT int sealbuf_region_write(struct sealbuf_region *r, const void *data,
					size_t size)
{
	int ret = check_writer(r, "sealbuf_region_write");

	if (ret == 0)
		ret = check_capacity(r, size);
	if (ret == 0 && !data && size)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "data is NULL and size %zu", size);
	if (ret == 0 && r->writing)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "an update begun with sealbuf_region_write_begin() is still open");
	if (ret < 0)
		return ret;
	sb_publish(r, data, size);
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_write_begin(struct sealbuf_region *r)
{
	int ret = check_writer(r, "sealbuf_region_write_begin");

	if (ret == 0 && r->writing)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "an update is already open: end it with sealbuf_region_write_end()");
	if (ret < 0)
		return ret;
	update_begin(r);
	r->writing = true;
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_write_end(struct sealbuf_region *r, size_t size)
{
	int ret = check_writer(r, "sealbuf_region_write_end");

	if (ret == 0 && !r->writing)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "no update is open: call sealbuf_region_write_begin() first");
	if (ret == 0)
		ret = check_capacity(r, size);
	if (ret < 0)
		return ret;
	update_end(r, size);
	r->writing = false;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Waiting for seq to move                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Whether a spinning reader should give its CPU away now: when the writer
 * last published from this very CPU (it may be waiting to run here), or
 * when nobody says where it runs (a writer of an older sealbuf). Across
 * CPUs the writer runs meanwhile, and yielding is only a system call that
 * delays seeing its publish (docs/performance.md). The CPU is a
 * hint from shared memory: a wrong one costs speed, never correctness.
 */
static bool should_yield(struct sb_header *h)
{
	uint32_t writer = le32toh(atomic_load_explicit(&h->writer_cpu, memory_order_relaxed));

	return writer == 0 || writer == this_cpu();
}

/*
 * Spin before sleeping: a cross-CPU futex wake costs tens of microseconds
 * (tools/bench/bench-publish.c measures it), a publish seen while spinning
 * about one. On a CPU the writer shares, yielding every few pauses lets it
 * run and publish instead of waiting out our spin: measured on 2 vCPUs, 1 us
 * either way, against 50 us (pure spin, same CPU) or 30-40 us (futex only,
 * across CPUs).
 */
static bool spin(struct sb_header *h, uint64_t seq, uint64_t deadline)
{
	uint64_t end = 0, s; /* the clock is read only once a publish is not imminent */

	for (unsigned i = 1;; i++) {
		s = sb_seq_load(h, memory_order_acquire);
		/* An update begun (odd) ends in a moment: see it end here, not in the caller. */
		if (s != seq && !(s & 1))
			return true;
		sb_cpu_relax();
		if (i % SPIN_YIELD_EVERY)
			continue;
		/*
		 * Across CPUs the clock is read less often (each read delays
		 * seeing a publish); after a yield, every time (it may have
		 * taken a while).
		 */
		bool yielded = should_yield(h);
		if (yielded)
			sb_yield();
		else if (i % SPIN_CLOCK_EVERY)
			continue;
		uint64_t now = sb_now_ns();
		if (!end)
			end = now + SPIN_NS < deadline ? now + SPIN_NS : deadline;
		if (now >= end)
			return s != seq;
	}
}

/*
 * One futex sleep while seq is @seq. A writable mapping counts itself in
 * waiters so the writer wakes it; a read-only one relies on rdonly_waiters
 * (set when its handle went out) and, if a peer cleared that, polls.
 */
static int sleep_once(struct sealbuf_region *r, uint64_t seq, uint64_t deadline)
{
	struct sb_header *h = r->hdr;
	bool counted = r->writable;
	int ret = 0;

	if (!counted && !sb_u32_load(&h->rdonly_waiters, memory_order_relaxed)) {
		uint64_t poll = sb_now_ns() + POLL_NS;
		deadline = poll < deadline ? poll : deadline;
	}
	if (counted)
		sb_u32_add(&h->waiters, 1);
	if (sb_seq_load(h, memory_order_seq_cst) == seq)
		ret = sb_futex_wait(sb_seq_futex(h), sb_seq_futex_val(seq), deadline);
	if (counted)
		sb_u32_add(&h->waiters, -1);
	if (ret == -EAGAIN || ret == -ETIMEDOUT)
		ret = 0;
	return ret < 0 ? sb_fail_sys(ret, "futex(FUTEX_WAIT_BITSET)") : 0;
}

/* Until seq moves off @seq (1) or @deadline passes (0); spin, then sleep. */
static int await_change(struct sealbuf_region *r, uint64_t seq, uint64_t deadline)
{
	struct sb_header *h = r->hdr;

	if (spin(h, seq, deadline))
		return 1;
	for (;;) {
		if (sb_seq_load(h, memory_order_acquire) != seq)
			return 1;
		if (sb_now_ns() >= deadline)
			return 0;
		int ret = sleep_once(r, seq, deadline);
		if (ret < 0)
			return ret;
	}
}

static uint64_t stall_ns(const struct sealbuf_region *r)
{
	return (uint64_t)(r->stall_ms ? r->stall_ms : STALL_MS_DEFAULT) * NS_PER_MS;
}

/*
 * The time one call has spent waiting for updates in progress. It is
 * bounded by the stall timeout as a whole, not per update: a peer that keeps
 * the sequence odd while changing it holds one read, snapshot or wait for
 * the stall timeout, no longer.
 */
struct stall {
	uint64_t first;  /* first odd sequence waited on; 0: none yet */
	uint64_t seq;    /* the last one */
	uint64_t waited; /* ns spent waiting on odd sequences */
};

static int stalled(const struct sealbuf_region *r, const struct stall *st)
{
	unsigned long long ms = st->waited / NS_PER_MS;

	if (st->first == st->seq)
		return sb_fail(-EOWNERDEAD, SEALBUF_R_WRITER_STALLED,
			       "update %llu has been in progress for %llu ms: the writer died or stopped mid-update",
			       (unsigned long long)st->seq, ms);
	return sb_fail(-EOWNERDEAD, SEALBUF_R_WRITER_STALLED,
		       "the sequence stayed odd for %llu ms (updates %llu to %llu, none finished): "
		       "no publication was readable; the writer is stuck or misbehaving",
		       ms, (unsigned long long)st->first, (unsigned long long)st->seq);
}

/*
 * seq is @odd: wait for the writer to finish, within what is left of the
 * stall budget and before @cap (the caller's deadline). 0 once seq moved,
 * or at @cap; -EOWNERDEAD when the budget is spent.
 */
static int wait_out_update(struct sealbuf_region *r, uint64_t odd, struct stall *st, uint64_t cap)
{
	uint64_t t0 = sb_now_ns(), budget = stall_ns(r), end;
	int ret;

	if (!st->first)
		st->first = odd;
	st->seq = odd;
	if (st->waited >= budget)
		return stalled(r, st);
	end = t0 + (budget - st->waited);
	ret = await_change(r, odd, end < cap ? end : cap);
	st->waited += sb_now_ns() - t0;
	if (ret == 0 && end <= cap)
		return stalled(r, st);
	return ret < 0 ? ret : 0;
}

static int wait_timed_out(uint64_t seen_seq, int timeout_ms)
{
	if (timeout_ms == 0)
		return sb_fail(-EAGAIN, SEALBUF_R_WOULD_BLOCK, "nothing published after sequence %llu",
			       (unsigned long long)seen_seq);
	return sb_fail(-ETIMEDOUT, SEALBUF_R_TIMEOUT,
		       "nothing published after sequence %llu within %d ms",
		       (unsigned long long)seen_seq, timeout_ms);
}

SEALBUF_EXPORT int sealbuf_region_wait(struct sealbuf_region *r, uint64_t seen_seq,
				       int timeout_ms, uint64_t *ret_seq)
{
	uint64_t deadline = UINT64_MAX, s;
	struct stall st = { 0 };
	int ret = check_reader(r, "sealbuf_region_wait");

	if (ret == 0 && timeout_ms >= 0)
		deadline = sb_now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
	while (ret >= 0) {
		s = sb_seq_load(r->hdr, memory_order_acquire);
		if (!(s & 1) && s != seen_seq)
			break;
		if (timeout_ms == 0 || (deadline != UINT64_MAX && sb_now_ns() >= deadline))
			return wait_timed_out(seen_seq, timeout_ms);
		ret = s & 1 ? wait_out_update(r, s, &st, deadline) : await_change(r, s, deadline);
	}
	if (ret < 0)
		return ret;
	if (ret_seq)
		*ret_seq = s;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Readers                                                                   */
/* ------------------------------------------------------------------------ */

/* After reading under @s0: was it one publication? (the seqlock's re-check) */
static bool unchanged(struct sb_header *h, uint64_t s0)
{
	sb_fence_acquire();
	return sb_seq_load(h, memory_order_relaxed) == s0;
}

static int bad_size(const struct sealbuf_region *r, uint64_t size, size_t buf_size,
		    size_t *ret_size)
{
	if (size > r->capacity)
		return sb_fail(-ERANGE, SEALBUF_R_HEADER_SIZE,
			       "header valid size %llu is above the capacity %zu: the peer wrote a bad header",
			       (unsigned long long)size, r->capacity);
	if (ret_size)
		*ret_size = (size_t)size;
	return sb_fail(-ENOBUFS, SEALBUF_R_BUFFER_TOO_SMALL,
		       "the data is %llu bytes; the buffer holds %zu",
		       (unsigned long long)size, buf_size);
}

/* One consistent (size, bytes) pair, into @buf when @copy; see snapshot's doc. */
static int consistent_read(struct sealbuf_region *r, bool copy, void *buf, size_t buf_size,
			   size_t *ret_size, uint64_t *ret_seq)
{
	struct sb_header *h = r->hdr;
	struct stall st = { 0 };

	for (int tries = 0; tries < READ_TRIES;) {
		uint64_t s0 = sb_seq_load(h, memory_order_acquire), size;
		int ret;

		/* Updates in progress cost the stall budget, not tries. */
		if (s0 & 1) {
			ret = wait_out_update(r, s0, &st, UINT64_MAX);
			if (ret < 0)
				return ret;
			continue;
		}
		tries++;
		/* Read once; checked against our own capacity, never the header's. */
		size = sb_size_load(h);
		if (size > r->capacity || (copy && size > buf_size)) {
			if (unchanged(h, s0))
				return bad_size(r, size, buf_size, ret_size);
			continue;
		}
		if (copy)
			sb_copy_out(buf, r->data, (size_t)size);
		if (!unchanged(h, s0)) {
			sb_cpu_relax();
			continue;
		}
		r->size = (size_t)size;
		r->seq = s0;
		if (ret_size)
			*ret_size = (size_t)size;
		if (ret_seq)
			*ret_seq = s0;
		return 0;
	}
	return sb_fail(-EAGAIN, SEALBUF_R_CONTENDED,
		       "an update began during each of %d copies (the data kept changing): try again",
		       READ_TRIES);
}

/*
 * At open: the size of one complete publication, waiting out an update in
 * progress like a read does (at most the stall timeout). A writer that
 * stalled leaves size 0 and the next read says why; open itself succeeds.
 */
void sb_first_read(struct sealbuf_region *r)
{
	struct sb_header *h = r->hdr;
	uint64_t end = sb_now_ns() + stall_ns(r), s0 = 0, size;

	for (int tries = 0; tries < READ_TRIES; tries++) {
		s0 = sb_seq_load(h, memory_order_acquire);
		if (s0 & 1) {
			if (sb_now_ns() >= end || await_change(r, s0, end) <= 0)
				break;
			continue;
		}
		size = sb_size_load(h);
		if (!unchanged(h, s0))
			continue;
		if (size > r->capacity)
			break;
		r->size = (size_t)size;
		r->seq = s0;
		return;
	}
	r->size = 0;
	r->seq = s0 & ~(uint64_t)1;
}

SEALBUF_EXPORT int sealbuf_region_read(struct sealbuf_region *r)
{
	int ret = check_reader(r, "sealbuf_region_read");

	return ret < 0 ? ret : consistent_read(r, false, NULL, 0, NULL, NULL);
}

SEALBUF_EXPORT int sealbuf_region_read_check(const struct sealbuf_region *r)
{
	int ret = check_kind(r, true, "sealbuf_region_read_check");

	if (ret == 0 && !unchanged(r->hdr, r->seq))
		ret = sb_fail(-EAGAIN, SEALBUF_R_CONTENDED,
			      "the writer has changed the data since sequence %llu: read again",
			      (unsigned long long)r->seq);
	return ret;
}

SEALBUF_EXPORT int sealbuf_region_snapshot(struct sealbuf_region *r, void *buf,
					   size_t buf_size, size_t *ret_size,
					   uint64_t *ret_seq)
{
	int ret = check_reader(r, "sealbuf_region_snapshot");

	if (ret == 0 && !buf && buf_size)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "buf is NULL and buf_size %zu", buf_size);
	return ret < 0 ? ret : consistent_read(r, true, buf, buf_size, ret_size, ret_seq);
}

SEALBUF_EXPORT uint64_t sealbuf_region_seq(const struct sealbuf_region *r)
{
	return r ? r->seq : 0;
}

SEALBUF_EXPORT int sealbuf_region_set_stall_timeout(struct sealbuf_region *r,
						    int timeout_ms)
{
	int ret = check_kind(r, true, "sealbuf_region_set_stall_timeout");

	if (ret == 0 && timeout_ms < 0)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "stall timeout %d ms: it must be positive, or 0 for the default",
			      timeout_ms);
	if (ret == 0)
		r->stall_ms = timeout_ms;
	return ret;
}
