/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's private core: the export macro, kernel constants, and the
 * helpers every file uses (errors, option structs, system calls, the sealing
 * policy, the memory cgroup check). Only files under lib/ include it; each
 * larger concept has its own private header (region.h, header_format.h,
 * dmabuf.h, wire.h, and the export pipeline's export.h). See HACKING.md.
 */
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
#include "shared/util.h" /* names, sb_now_ns, sb_read_text (lib/shared) */

#define SEALBUF_EXPORT __attribute__((visibility("default")))
#define SB_PRINTF(a, b) __attribute__((format(printf, a, b)))
/* SB_ARRAY_SIZE, F_SEAL_FUTURE_WRITE and F_SEAL_EXEC come with shared/util.h. */

/* Kernel constants newer than some distributions' uAPI headers. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* error.c: record the reason for a failure, log it, and return @err (< 0). */
int sb_fail_at(int err, enum sealbuf_reason reason, const char *file, int line,
	       const char *fn, const char *fmt, ...) SB_PRINTF(6, 7);
#define sb_fail(err, reason, ...)                                              \
	sb_fail_at((err), (reason), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* A system call failed with @err (< 0): reason SEALBUF_R_SYSCALL. */
#define sb_fail_sys(err, what)                                                 \
	sb_fail((err), SEALBUF_R_SYSCALL, "%s: %s", (what), strerror(-(err)))
/* error.c's table: whether @reason comes with @err (< 0). */
int sb_reason_errno_ok(enum sealbuf_reason reason, int err);
void sb_log_at(int prio, const char *file, int line, const char *fn,
	       const char *fmt, ...) SB_PRINTF(5, 6);
#define sb_log(prio, ...) sb_log_at((prio), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* opts.c: validate an extensible option struct; copy it into @out (zeroed). */
int sb_opts_load(const void *opts, size_t min_sz, size_t our_sz, void *out);
int sb_check_flags(uint32_t flags, uint32_t known, const char *what);
/*
 * Fill an output struct whose caller set .sz: copy at most that much of
 * @filled, zero the rest (a caller built against a newer header).
 */
int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz);
/* A reserved field of a public struct: must be 0. */
int sb_check_reserved(uint64_t value, const char *what);

/* sys.c: each system call wrapped once; EINTR retried; -errno returned. */
int sb_memfd_create(const char *name, unsigned int flags);
int sb_ftruncate(int fd, off_t len);
int sb_fallocate(int fd, off_t len);
int sb_fcntl(int fd, int cmd, int arg);
int sb_fchmod(int fd, mode_t mode);
int sb_mmap(size_t len, int prot, int fd, void **ret);
/* The same with more flags (MAP_POPULATE) beside MAP_SHARED. */
int sb_mmap_flags(size_t len, int prot, int flags, int fd, void **ret);
/* MAP_SHARED at @off of @fd; with @addr, MAP_FIXED there (replacing what was mapped). */
int sb_mmap_at(void *addr, size_t len, int prot, int fd, off_t off, void **ret);
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
/* create.c: sum of the /proc/meminfo fields named in @keys ("MemTotal:"), in bytes; 0 if unknown. */
size_t sb_meminfo(const char *const *keys, size_t n);
ssize_t sb_pwrite(int fd, const void *buf, size_t len, off_t off);
/* Shared (not private) futex; @deadline_ns on CLOCK_MONOTONIC, UINT64_MAX = none. */
int sb_futex_wait(uint32_t *addr, uint32_t val, uint64_t deadline_ns);
int sb_futex_wake(uint32_t *addr);
void sb_yield(void);
/* Round @n up to a multiple of @align (a power of two); false on overflow. */
bool sb_round_up(size_t n, size_t align, size_t *ret);
/* Describe what @fd is ("a pipe", "a regular file on ext4", ...). */
const char *sb_describe_fd(int fd, char *buf, size_t len);

/* seal_policy.c: the seals every region carries, and the check of a peer's fd. */
#define SB_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW)
#define SB_SEALS_FORBIDDEN (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) /* for writers and udmabuf */
int sb_seal(int fd);
/* F_GET_SEALS, or -EBADFD (SEALBUF_R_NOT_MEMFD). */
int sb_get_seals(int fd);
/* A peer's fd: required seals present; with @writable, no write seal either. */
int sb_check_seals_mode(int fd, bool writable);
/* sb_check_seals_mode(fd, false). */
int sb_check_seals(int fd);
/* Read-only sharing seals the memfd F_SEAL_FUTURE_WRITE (once). */
int sb_seal_future_write(int fd);
/*
 * Whether this process has ever write-sealed a memfd (a read-only share or
 * a freeze): until it has, a write seal on a region's memfd can only be
 * another process's, which a read-write send leaves to the receiver and the
 * kernel; from then on, every read-write send reads the seals.
 */
void sb_note_write_seal(void);
bool sb_sealed_here(void);
/* A new writable handle or dma-buf of a region's memfd @fd: refused after a read-only share or a freeze. */
int sb_check_writable_policy(int fd, const char *what);
/* A region read-only here (@fd its memfd, or -1): -EROFS, SEALBUF_R_FROZEN if frozen, else SEALBUF_R_READ_ONLY saying @why. */
int sb_fail_read_only(int fd, const char *what, const char *why);
/* Checks that @fd is a memfd; its file size and page size come back. */
int sb_check_memfd(int fd, size_t *ret_file_size, size_t *ret_page);
/* The same, with the bytes the file holds in memory (st_blocks): fewer than its size means holes. */
int sb_check_memfd_held(int fd, size_t *ret_file_size, size_t *ret_page, size_t *ret_held);

/*
 * memcg.c: refuse a reservation of @bytes that the caller's memory cgroups
 * cannot hold: the kernel would OOM-kill the caller instead of failing.
 */
int sb_check_memcg_room(size_t bytes);

#endif
