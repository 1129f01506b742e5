/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reserved-region header as it lies in shared memory, and the seqlock
 * that publishes a payload through it. docs/header-format.md is the
 * specification; this file is its only implementation.
 *
 * Every field is little-endian. The atomic accessors below convert, so the
 * same bytes mean the same thing on every host; on little-endian hosts the
 * conversions compile to nothing.
 *
 * The header sits in memory that other processes can write at any moment:
 * every value read from it is read once into a local, then checked.
 */
#ifndef SEALBUF_SEQLOCK_H
#define SEALBUF_SEQLOCK_H

#include <endian.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SB_HDR_MAGIC 0x44484253u /* "SBHD" in little-endian byte order */
#define SB_HDR_VERSION 1
#define SB_HDR_SIZE 64           /* bytes defined by version 1 */

#if ATOMIC_INT_LOCK_FREE != 2 || ATOMIC_LLONG_LOCK_FREE != 2
#error "the header needs lock-free 32- and 64-bit atomics: they are shared between processes"
#endif

struct sb_header {
	uint32_t magic;                  /* SB_HDR_MAGIC */
	uint16_t version;                /* SB_HDR_VERSION */
	uint16_t header_size;            /* bytes of header the writer defined (>= 64) */
	uint32_t kind;                   /* enum sealbuf_kind: 2 reserved, 3 mirror */
	uint32_t flags;                  /* none defined in version 1: 0 */
	uint64_t capacity;               /* payload bytes */
	uint64_t payload_offset;         /* payload starts here: the page size */
	_Atomic uint64_t seq;            /* odd while an update is in progress */
	_Atomic uint64_t size;           /* valid payload bytes */
	_Atomic uint32_t waiters;        /* readers asleep on seq (futex) */
	_Atomic uint32_t rdonly_waiters; /* non-zero: readers that cannot count themselves */
	_Atomic uint32_t writer_cpu;     /* CPU of the last publish, plus 1; 0 unknown (a hint) */
	uint32_t reserved;               /* 0 */
};

_Static_assert(sizeof(struct sb_header) == SB_HDR_SIZE, "header is 64 bytes");
_Static_assert(offsetof(struct sb_header, seq) == 32, "seq at offset 32");
_Static_assert(offsetof(struct sb_header, size) == 40, "size at offset 40");
_Static_assert(offsetof(struct sb_header, waiters) == 48, "waiters at offset 48");
_Static_assert(offsetof(struct sb_header, rdonly_waiters) == 52, "rdonly_waiters at 52");
_Static_assert(offsetof(struct sb_header, writer_cpu) == 56, "writer_cpu at 56");

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

/* Fixed fields: read once through a volatile access; the caller checks the value. */
static inline uint32_t sb_hdr_get32(const uint32_t *p)
{
	return le32toh(*(const volatile uint32_t *)p);
}

static inline uint16_t sb_hdr_get16(const uint16_t *p)
{
	return le16toh(*(const volatile uint16_t *)p);
}

static inline uint64_t sb_hdr_get64(const uint64_t *p)
{
	return le64toh(*(const volatile uint64_t *)p);
}

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
