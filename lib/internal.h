/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private declarations shared by the library's files and its tools. */
#ifndef SEALBUF_INTERNAL_H
#define SEALBUF_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <syslog.h>

#include "sealbuf.h"

#define SEALBUF_EXPORT __attribute__((visibility("default")))
#define SB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define SB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Kernel constants newer than some distributions' uAPI headers. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
/*
 * dmabuf.c: dma-buf helpers shared with udmabuf.c and drm.c. check: @fd is an
 * open dma-buf (else SEALBUF_R_NOT_DMABUF). info_store: fill an output struct
 * whose caller set .sz: copy at most that much of @filled, zero the rest.
 * memfd_name: the memfd's name ("memfd:NAME" without the prefix) in @buf.
 */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
void sb_memfd_name(int fd, char *buf, size_t len);

#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
/*
 * dmabuf.c: dma-buf helpers shared with udmabuf.c and drm.c. check: @fd is an
 * open dma-buf (else SEALBUF_R_NOT_DMABUF). info_store: fill an output struct
 * whose caller set .sz: copy at most that much of @filled, zero the rest.
 * memfd_name: the memfd's name ("memfd:NAME" without the prefix) in @buf.
 */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
void sb_memfd_name(int fd, char *buf, size_t len);

#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
/*
 * dmabuf.c: dma-buf helpers shared with udmabuf.c and drm.c. check: @fd is an
 * open dma-buf (else SEALBUF_R_NOT_DMABUF). info_store: fill an output struct
 * whose caller set .sz: copy at most that much of @filled, zero the rest.
 * memfd_name: the memfd's name ("memfd:NAME" without the prefix) in @buf.
 */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
void sb_memfd_name(int fd, char *buf, size_t len);

#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
/*
 * dmabuf.c: dma-buf helpers shared with udmabuf.c and drm.c. check: @fd is an
 * open dma-buf (else SEALBUF_R_NOT_DMABUF). info_store: fill an output struct
 * whose caller set .sz: copy at most that much of @filled, zero the rest.
 * memfd_name: the memfd's name ("memfd:NAME" without the prefix) in @buf.
 */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
void sb_memfd_name(int fd, char *buf, size_t len);

#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
/*
 * dmabuf.c: dma-buf helpers shared with udmabuf.c and drm.c. check: @fd is an
 * open dma-buf (else SEALBUF_R_NOT_DMABUF). info_store: fill an output struct
 * whose caller set .sz: copy at most that much of @filled, zero the rest.
 * memfd_name: the memfd's name ("memfd:NAME" without the prefix) in @buf.
 */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
void sb_memfd_name(int fd, char *buf, size_t len);

#endif

struct sb_header; /* header.c: the reserved-region header in shared memory */

struct sealbuf_region {
	int fd;                  /* the memfd, or -1 once the handle is closed */
	enum sealbuf_kind kind;
	bool writable;           /* this process's mapping is PROT_WRITE */
	uint8_t *map;            /* whole mapping; NULL when nothing is mapped */
	size_t map_size;         /* bytes mapped (== file size) */
	uint8_t *data;           /* map, or the payload after the header page */
	size_t size;             /* requested (plain) or last seen valid size */
	size_t capacity;         /* bytes available at data */
	struct sb_header *hdr;   /* reserved/mirror: header at map */
	uint64_t seq;            /* reserved/mirror: last sequence seen */
	void *mirror_src;        /* mirror: the caller's memory */
	bool mirror_owner;       /* mirror: created here, so update/clear may run */
	bool writing;            /* reserved: between write_begin and write_end */
	int stall_ms;            /* reserved/mirror: stall timeout; 0 = default */
	bool populated;          /* every page faulted in: udmabuf may pin them as they are */
	bool hugetlb;            /* on hugetlbfs: huge pages already */
	bool thp;                /* MADV_HUGEPAGE given to this mapping */
	bool never_reserved;     /* created here with NORESERVE: no fallocated page, ever */
};

/* error.c: record the reason for a failure, log it, and return @err (< 0). */
int sb_fail_at(int err, enum sealbuf_reason reason, const char *file, int line,
	       const char *fn, const char *fmt, ...) SB_PRINTF(6, 7);
#define sb_fail(err, reason, ...)                                              \
	sb_fail_at((err), (reason), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* A system call failed with @err (< 0): reason SEALBUF_R_SYSCALL. */
#define sb_fail_sys(err, what)                                                 \
	sb_fail((err), SEALBUF_R_SYSCALL, "%s: %s", (what), strerror(-(err)))
void sb_log_at(int prio, const char *file, int line, const char *fn,
	       const char *fmt, ...) SB_PRINTF(5, 6);
#define sb_log(prio, ...) sb_log_at((prio), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* opts.c: validate an extensible option struct; copy it into @out (zeroed). */
int sb_opts_load(const void *opts, size_t min_sz, size_t our_sz, void *out);
int sb_check_flags(uint32_t flags, uint32_t known, const char *what);

/* sys.c: each system call wrapped once; EINTR retried; -errno returned. */
int sb_memfd_create(const char *name, unsigned int flags);
int sb_ftruncate(int fd, off_t len);
int sb_fallocate(int fd, off_t len);
int sb_fcntl(int fd, int cmd, int arg);
int sb_fchmod(int fd, mode_t mode);
int sb_mmap(size_t len, int prot, int fd, void **ret);
void sb_munmap(void *addr, size_t len);
void sb_close(int fd);
int sb_open(const char *path, int flags);
ssize_t sb_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t sb_recvmsg(int fd, struct msghdr *msg, int flags);
int sb_poll_in(int fd, int timeout_ms);
bool sb_hung_up(int fd);
int sb_ioctl(int fd, unsigned long req, void *arg);
int sb_madvise(void *addr, size_t len, int advice);
size_t sb_page_size(void);
/* Read a small text file (sysfs, cgroupfs) into @buf, NUL-terminated: its length or -errno. */
ssize_t sb_read_text(const char *path, char *buf, size_t len);
ssize_t sb_pwrite(int fd, const void *buf, size_t len, off_t off);
/* Shared (not private) futex; @deadline_ns on CLOCK_MONOTONIC, UINT64_MAX = none. */
int sb_futex_wait(uint32_t *addr, uint32_t val, uint64_t deadline_ns);
int sb_futex_wake(uint32_t *addr);
uint64_t sb_now_ns(void);
void sb_yield(void);
/* Round @n up to a multiple of @align (a power of two); false on overflow. */
bool sb_round_up(size_t n, size_t align, size_t *ret);
/* Describe what @fd is ("a pipe", "a regular file on ext4", ...). */
const char *sb_describe_fd(int fd, char *buf, size_t len);

/* seal_policy.c: the seals every region carries, and the check of a peer's fd. */
#define SB_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define SB_SEALS_FORBIDDEN (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
int sb_seal(int fd);
int sb_check_seals(int fd);
/* Checks that @fd is a memfd; its file size and page size come back. */
int sb_check_memfd(int fd, size_t *ret_file_size, size_t *ret_page);
/* The same, with the bytes the file holds in memory (st_blocks): fewer than its size means holes. */
int sb_check_memfd_held(int fd, size_t *ret_file_size, size_t *ret_page, size_t *ret_held);

/*
 * memcg.c: refuse a reservation of @bytes that the caller's memory cgroups
 * cannot hold: the kernel would OOM-kill the caller instead of failing.
 */
int sb_check_memcg_room(size_t bytes);

/* handle.c: a new fd for @region (read-only reopen with SEALBUF_SHARE_RDONLY). */
int sb_share_fd(const struct sealbuf_region *region, uint32_t flags, int *ret_fd);
/* POPULATE and LAZY together are refused. */
int sb_open_flags_check(uint32_t flags);
/* Whether @region may be shared with @flags. */
int sb_share_check(const struct sealbuf_region *region, uint32_t flags);

/* region.c */
int sb_region_new(struct sealbuf_region **ret);
int sb_region_map(struct sealbuf_region *r, size_t file_size, bool writable);
/* A sealed memfd of @file_size bytes, reserved unless NORESERVE or @late (the caller reserves). */
int sb_memfd_new(size_t file_size, const struct sealbuf_create_opts *o, bool late,
		 int *ret_fd);
int sb_region_create_kind(enum sealbuf_kind kind, size_t size,
			  const struct sealbuf_create_opts *opts,
			  struct sealbuf_region **ret_region);
int sb_create_opts_load(const struct sealbuf_create_opts *opts,
			struct sealbuf_create_opts *out);
/* File size of a region of @kind holding @size bytes (page-rounded). */
int sb_file_size(enum sealbuf_kind kind, size_t size, size_t page, size_t *ret);

/*
 * header.c: reserved and mirror regions. init writes a fresh header into a
 * new region's first page (of @page bytes); attach validates the header of a
 * region received from a peer, whose declared capacity is @capacity.
 */
int sb_header_init(struct sealbuf_region *r, size_t capacity, size_t page);
int sb_header_attach(struct sealbuf_region *r, size_t capacity, size_t page);
/* A read-only handle of @r is going out: its holder cannot count itself as a waiter. */
void sb_header_note_rdonly(const struct sealbuf_region *r);

/*
 * residency.c: transparent huge pages for shmem, and populating a mapping.
 * thp_mode: the kernel's shmem_enabled setting (its word in @buf); advise:
 * MADV_HUGEPAGE on @r's mapping where that setting allows it and the mapping
 * holds a huge page (false otherwise); thp_min_size: the huge page size, or
 * 1 when shmem gets no huge pages here; populate_read: map every page of
 * @r's mapping now (false when the kernel declined: pages then fault in).
 */
enum sb_thp { SB_THP_NONE, SB_THP_ADVISE, SB_THP_ALWAYS };
enum sb_thp sb_thp_mode(char *buf, size_t len);
size_t sb_thp_min_size(void);
bool sb_thp_advise(struct sealbuf_region *r);
bool sb_populate_read(struct sealbuf_region *r);

/* publish.c: the seqlock write of @size bytes from @src (writer checks done). */
void sb_publish(struct sealbuf_region *r, const void *src, size_t size);

/*
 * dmabuf.c: dma-buf helpers shared with udmabuf.c and drm.c. check: @fd is an
 * open dma-buf (else SEALBUF_R_NOT_DMABUF). info_store: fill an output struct
 * whose caller set .sz: copy at most that much of @filled, zero the rest.
 * memfd_name: the memfd's name ("memfd:NAME" without the prefix) in @buf.
 */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
void sb_memfd_name(int fd, char *buf, size_t len);

#endif
