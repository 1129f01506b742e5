/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The region object behind the opaque struct sealbuf_region, and the private
 * calls that map, share, populate and publish it. Its kinds: region.c;
 * making one: create.c; opening a received one: handle.c.
 */
#ifndef SEALBUF_REGION_H
#define SEALBUF_REGION_H

#include "internal.h"

struct sb_header; /* header_format.h: the reserved-region header in shared memory */

struct sealbuf_region {
	int fd;                  /* the memfd, or -1 once the handle is closed */
	enum sealbuf_kind kind;
	bool writable;           /* this process's mapping is PROT_WRITE */
	uint8_t *map;            /* whole mapping; NULL when nothing is mapped */
	size_t map_size;         /* bytes mapped (== file size, or 0 with SEALBUF_OPEN_NOMAP) */
	size_t file_size;        /* bytes in the memfd */
	uint8_t *data;           /* map, or the payload after the header page */
	size_t size;             /* requested (plain) or last seen valid size */
	size_t capacity;         /* bytes available at data */
	struct sb_header *hdr;   /* reserved/mirror: header at map */
	uint64_t seq;            /* reserved/mirror: last sequence seen */
	void *mirror_src;        /* mirror: the caller's memory */
	bool mirror_owner;       /* mirror: created here, so update/clear may run */
	bool writing;            /* reserved: between write_begin and write_end */
	int stall_ms;            /* reserved/mirror: stall timeout; 0 = default */
	/*
	 * Every page faulted in: udmabuf may pin them as they are. populate.c
	 * alone reads and sets it. It is a fact about the shared pages, not
	 * the handle, so an export of a const region records it: through this
	 * pointer to populated_store (set by sb_region_new), not a cast.
	 */
	bool *populated;
	bool populated_store;
	/*
	 * The memfd carries a write seal (F_SEAL_FUTURE_WRITE or F_SEAL_WRITE)
	 * that this process added or has seen. Seals are never taken off, so
	 * true is for good; false may be out of date only when another holder
	 * of the memfd added one (handle.c: who asks the kernel then). A fact
	 * about the memfd, recorded through a const region as populated is.
	 */
	bool *write_sealed;      /* through sb_write_sealed()/sb_mark_write_sealed(): threads share it */
	bool write_sealed_store;
	bool hugetlb;            /* on hugetlbfs: huge pages already */
	bool thp;                /* MADV_HUGEPAGE given to this mapping */
	/*
	 * Created here with NORESERVE: no page was ever fallocated, so none can
	 * be allocated yet not up to date (populate.c). Only a peer holding the
	 * memfd could fallocate it, and it can write the pages anyway.
	 */
	bool never_reserved;
	/*
	 * Created here: its name as a dma-buf's (cut to fit), so an export need
	 * not read it back from /proc (a system call, ~30 us under emulation).
	 * Empty for a received region: its name is the sender's.
	 */
	char dmabuf_name[SEALBUF_DMABUF_NAME_MAX + 1];
};

static inline bool sb_write_sealed(const struct sealbuf_region *r)
{
	return __atomic_load_n(r->write_sealed, __ATOMIC_RELAXED);
}

static inline void sb_mark_write_sealed(const struct sealbuf_region *r)
{
	__atomic_store_n(r->write_sealed, true, __ATOMIC_RELAXED);
}

/* handle.c: a new read-only open file of @fd (through /proc/self/fd). */
int sb_reopen_rdonly(int fd);
/* handle.c: a new fd for @region (read-only reopen with SEALBUF_SHARE_RDONLY). */
int sb_share_fd(const struct sealbuf_region *region, uint32_t flags, int *ret_fd);
/*
 * Whether @region may be shared with @flags. A read-write share is refused
 * once the memfd is write-sealed. The seals are read (one F_GET_SEALS) with
 * @ask_kernel, or when this process has write-sealed any memfd; otherwise
 * (a send, in a process that never shared read-only nor froze) only a seal
 * this region has seen is refused here: one another process added is
 * refused by the receiver (SEALBUF_R_SEALS_EXTRA), and the kernel lets
 * nobody write through such a handle either.
 */
int sb_share_check(const struct sealbuf_region *region, uint32_t flags, bool ask_kernel);
/*
 * handle.c: the checks open makes besides the seal policy (check.c makes
 * them too): the access mode allows the mapping asked; the file holds a
 * region of @kind and @size.
 */
int sb_check_access(int fd, bool writable);
int sb_check_size(int fd, enum sealbuf_kind kind, size_t size, size_t file_size, size_t page);
/* The seals a mapping of the kind asked needs (a write-sealed fd maps read-only only). */
int sb_check_open_seals(int fd, bool writable);
/* SEALBUF_OPEN_POPULATE and SEALBUF_OPEN_LAZY together are refused. */
int sb_open_flags_check(uint32_t flags);

/* region.c: the kinds. Valid: a kind this library knows (a peer's message may lie). */
bool sb_kind_valid(uint32_t kind);
/* Reserved and mirror regions start with a header page (header_format.h). */
bool sb_kind_has_header(enum sealbuf_kind kind);
/* File size of a region of @kind holding @size bytes (page-rounded). */
int sb_file_size(enum sealbuf_kind kind, size_t size, size_t page, size_t *ret);

/*
 * region.c: the object. new: empty, no fd; map: map its fd (of @file_size
 * bytes), with @populate its pages too, in the same system call (MAP_POPULATE,
 * which like MADV_POPULATE_READ makes writable entries in a shared mapping).
 */
int sb_region_new(struct sealbuf_region **ret);
int sb_region_map(struct sealbuf_region *r, size_t file_size, bool writable, bool populate);
/* @bytes need huge pages of @page bytes that the pool lacks: say how to reserve them. */
int sb_fail_huge_pages(size_t bytes, size_t page);

/*
 * populate.c: fault in all of a fresh region for writing (SEALBUF_CREATE_PREFAULT).
 * @late: the memfd is not reserved yet, so a failure must not touch pages one
 * by one (a full memory cgroup answers that with its OOM killer); the
 * reservation that follows reports it.
 */
void sb_prefault(struct sealbuf_region *r, bool late);

/*
 * residency.c: transparent huge pages for shmem, and populating a mapping.
 * thp_mode: the kernel's shmem_enabled setting (its word in @buf); advise:
 * MADV_HUGEPAGE on @r's mapping where that setting allows it and the mapping
 * holds a huge page (false otherwise), which would_advise tells before the
 * mapping exists; thp_min_size: the huge page size, or
 * 1 when shmem gets no huge pages here; populate_read: map every page of
 * @r's mapping now (false when the kernel declined: pages then fault in).
 */
enum sb_thp { SB_THP_NONE, SB_THP_ADVISE, SB_THP_ALWAYS };
enum sb_thp sb_thp_mode(char *buf, size_t len);
size_t sb_thp_min_size(void);
bool sb_thp_would_advise(size_t map_size, bool hugetlb);
bool sb_thp_advise(struct sealbuf_region *r);
bool sb_populate_read(struct sealbuf_region *r);

/* publish.c: the seqlock write of @size bytes from @src (writer checks done). */
void sb_publish(struct sealbuf_region *r, const void *src, size_t size);
/* publish.c: at open, wait out an update in progress like a read (bounded), then take size and seq. */
void sb_first_read(struct sealbuf_region *r);

#endif
