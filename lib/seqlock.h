/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seqlock that publishes a payload through the header
 * (header_format.h has the layout; docs/header-format.md is the
 * specification, publish.c the protocol): atomic accessors of seq, size and
 * the waiter counts, the futex word, and the payload copies.
 *
 * The atomic accessors convert from little-endian, so the same bytes mean
 * the same thing on every host.
 */
#ifndef SEALBUF_SEQLOCK_H
#define SEALBUF_SEQLOCK_H

#include <string.h>

#include "header_format.h"

/*
 * ThreadSanitizer does not model atomic_thread_fence, and it would report
 * the payload copies (a seqlock's benign, validated race). Under TSan every
 * payload byte is copied with release stores and acquire loads instead,
 * which give the same guarantees without fences, so TSan checks the rest.
 */
#if defined(__SANITIZE_THREAD__)
#define SB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SB_TSAN 1
#endif
#endif

#ifdef SB_TSAN
#define sb_fence_release() ((void)0)
#define sb_fence_acquire() ((void)0)
#else
#define sb_fence_release() atomic_thread_fence(memory_order_release)
#define sb_fence_acquire() atomic_thread_fence(memory_order_acquire)
#endif

static inline uint64_t sb_seq_load(struct sb_header *h, memory_order mo)
{
	return le64toh(atomic_load_explicit(&h->seq, mo));
}

static inline void sb_seq_store(struct sb_header *h, uint64_t v, memory_order mo)
{
	atomic_store_explicit(&h->seq, htole64(v), mo);
}

/*
 * size is written inside the update, after the odd seq: release/acquire make
 * a reader that sees a new size also see that odd seq when it re-checks
 * (the fences give this too; TSan builds have no fences).
 */
static inline uint64_t sb_size_load(struct sb_header *h)
{
	return le64toh(atomic_load_explicit(&h->size, memory_order_acquire));
}

static inline void sb_size_store(struct sb_header *h, uint64_t v)
{
	atomic_store_explicit(&h->size, htole64(v), memory_order_release);
}

static inline uint32_t sb_u32_load(_Atomic uint32_t *p, memory_order mo)
{
	return le32toh(atomic_load_explicit(p, mo));
}

/* Add @delta to a little-endian counter (seq_cst: pairs with the writer's fence). */
static inline void sb_u32_add(_Atomic uint32_t *p, int32_t delta)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	atomic_fetch_add_explicit(p, (uint32_t)delta, memory_order_seq_cst);
#else
	uint32_t old = atomic_load_explicit(p, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(
		p, &old, htole32(le32toh(old) + (uint32_t)delta),
		memory_order_seq_cst, memory_order_relaxed))
		;
#endif
}

/*
 * The futex word is the first four bytes of seq (its low half, since seq is
 * little-endian). The value the kernel compares is those bytes as this host
 * reads them, so it comes from the raw 64-bit word, not the converted one.
 */
static inline uint32_t *sb_seq_futex(struct sb_header *h)
{
	return (uint32_t *)(void *)&h->seq;
}

static inline uint32_t sb_seq_futex_val(uint64_t seq)
{
	uint64_t raw = htole64(seq);
	uint32_t w;

	memcpy(&w, &raw, sizeof(w));
	return w;
}

/* Writer: copy into the shared payload (which @src may overlap). */
static inline void sb_copy_in(uint8_t *dst, const void *src, size_t n)
{
	if (!n)
		return; /* src may be NULL then */
#ifdef SB_TSAN
	const uint8_t *s = src;

	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&dst[i], s[i], __ATOMIC_RELEASE);
#else
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	/* memmove only when it must: some libcs' memmove is slower than memcpy. */
	if (s + n <= d || d + n <= s)
		memcpy(dst, src, n);
	else
		memmove(dst, src, n);
#endif
}

/* Reader: copy out of the shared payload; only valid once the seq check passes. */
static inline void sb_copy_out(void *dst, const uint8_t *src, size_t n)
{
	if (!n)
		return; /* dst may be NULL then */
#ifdef SB_TSAN
	uint8_t *d = dst;

	for (size_t i = 0; i < n; i++)
		d[i] = __atomic_load_n(&src[i], __ATOMIC_ACQUIRE);
#else
	memcpy(dst, src, n);
#endif
}

static inline void sb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
