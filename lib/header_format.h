/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reserved-region header as it lies in shared memory: its layout, its
 * fixed fields' accessors, and header.c's calls that write a fresh header
 * and validate a peer's. docs/header-format.md is the specification; this
 * file is its only implementation. seqlock.h holds the protocol that
 * publishes a payload through the header's seq and size.
 *
 * Every field is little-endian, so the same bytes mean the same thing on
 * every host; on little-endian hosts the conversions compile to nothing.
 * The header sits in memory that other processes can write at any moment:
 * every value read from it is read once into a local, then checked.
 */
#ifndef SEALBUF_HEADER_FORMAT_H
#define SEALBUF_HEADER_FORMAT_H

#include <endian.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

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

struct sealbuf_region;

/*
 * header.c. init writes a fresh header into a new region's first page (of
 * @page bytes); attach validates the header of a region received from a
 * peer, whose declared capacity is @capacity.
 */
int sb_header_init(struct sealbuf_region *r, size_t capacity, size_t page);
int sb_header_attach(struct sealbuf_region *r, size_t capacity, size_t page);
/* A read-only handle of @r is going out: its holder cannot count itself as a waiter. */
void sb_header_note_rdonly(const struct sealbuf_region *r);

#endif
