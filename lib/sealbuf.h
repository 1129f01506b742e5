/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf: sealed shared-memory regions for processes and devices.
 *
 * A region is a sealed memfd (F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_SEAL), mapped
 * into the caller. Its handle (an fd) is sent once to another process, which
 * validates it like any untrusted input, maps it and closes it. Any non-empty
 * region can become a dma-buf through /dev/udmabuf.
 *
 * Conventions, for every function below:
 *  - int functions return 0 (or a count) on success and a negative errno on
 *    failure; they never set errno as their result and never abort.
 *  - On failure, sealbuf_last_reason() and sealbuf_last_error() (per thread)
 *    say which rule was broken; the errno alone is only the family.
 *  - Constructors hand the object back through a ret_ out-parameter, which is
 *    left untouched on failure. Destructors accept NULL.
 *  - Option structs carry their own size in .sz (use SEALBUF_OPTS); a NULL
 *    options pointer means all defaults; unknown flag bits are rejected.
 *  - Every fd sealbuf creates is close-on-exec.
 */
#ifndef SEALBUF_H
#define SEALBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEALBUF_VERSION_MAJOR 0
#define SEALBUF_VERSION_MINOR 1

/* Declare an option struct with .sz set and the given fields. */
#define SEALBUF_OPTS(TYPE, NAME, ...)                                          \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/* ------------------------------------------------------------------------ */
/* Errors and logging                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Why the last call failed. The errno a function returns is the family; the
 * reason is the exact rule. Values are stable ABI: new ones are appended.
 */
enum sealbuf_reason {
	SEALBUF_R_NONE = 0,
	SEALBUF_R_INVALID_ARGUMENT,  /* -EINVAL: NULL pointer, bad value */
	SEALBUF_R_UNKNOWN_FLAGS,     /* -EINVAL: flag bits this version lacks */
	SEALBUF_R_BAD_OPTS_SIZE,     /* -EINVAL: opts->sz too small, or larger with non-zero tail */
	SEALBUF_R_SIZE_OVERFLOW,     /* -EOVERFLOW: size does not fit when rounded to pages */
	SEALBUF_R_TOO_LARGE,         /* -EFBIG: size above what the system allows */
	SEALBUF_R_NO_MEMORY,         /* -ENOMEM/-ENOSPC: memory could not be reserved */
	SEALBUF_R_NAME_TOO_LONG,     /* -ENAMETOOLONG: debug name over SEALBUF_NAME_MAX */
	SEALBUF_R_SYSCALL,           /* a system call failed; errno is the kernel's */
	SEALBUF_R_NOT_MEMFD,         /* -EBADFD: the fd is not a memfd */
	SEALBUF_R_SEALS_MISSING,     /* -EPERM: SHRINK|GROW|SEAL are not all set */
	SEALBUF_R_SEALS_EXTRA,       /* -EPERM: WRITE/FUTURE_WRITE seal set (no writer, no dma-buf) */
	SEALBUF_R_NOT_SEALABLE,      /* -EPERM: memfd made without MFD_ALLOW_SEALING */
	SEALBUF_R_SIZE_MISMATCH,     /* -ERANGE: file size differs from the declared size */
	SEALBUF_R_ACCESS_MODE,       /* -EACCES: fd's access mode does not allow what was asked */
	SEALBUF_R_BAD_MESSAGE,       /* -EBADMSG: wrong magic, length or field */
	SEALBUF_R_VERSION,           /* -EPROTONOSUPPORT: unknown message or header version */
	SEALBUF_R_TRUNCATED,         /* -EPROTO: short message, or control data truncated */
	SEALBUF_R_NO_FD,             /* -EBADMSG: message carried no fd */
	SEALBUF_R_EXTRA_FDS,         /* -EBADMSG: message carried more than one fd (all closed) */
	SEALBUF_R_PEER_CLOSED,       /* -ECONNRESET: peer closed the socket */
	SEALBUF_R_TIMEOUT,           /* -ETIMEDOUT: nothing (or half a message) within the timeout */
	SEALBUF_R_WOULD_BLOCK,       /* -EAGAIN: non-blocking and nothing to read */
	SEALBUF_R_WRONG_KIND,        /* -EMEDIUMTYPE: operation needs another kind of region */
	SEALBUF_R_READ_ONLY,         /* -EROFS: region was opened read-only */
	SEALBUF_R_BUFFER_TOO_SMALL,  /* -ENOBUFS: caller's buffer is smaller than the data */
	SEALBUF_R_HEADER_MAGIC,      /* -EBADMSG: reserved-region header has a bad magic */
	SEALBUF_R_HEADER_VERSION,    /* -EPROTONOSUPPORT: unknown header version */
	SEALBUF_R_HEADER_CAPACITY,   /* -ERANGE: header capacity does not fit the file */
	SEALBUF_R_HEADER_SIZE,       /* -ERANGE: valid size above capacity */
	SEALBUF_R_CONTENDED,         /* -EAGAIN: writer kept updating; retries exhausted */
	SEALBUF_R_WRITER_STALLED,    /* -EOWNERDEAD: update left unfinished (writer died?) */
	SEALBUF_R_NO_UDMABUF,        /* -ENODEV: /dev/udmabuf missing (CONFIG_UDMABUF) */
	SEALBUF_R_UDMABUF_DENIED,    /* -EACCES: no permission to open /dev/udmabuf */
	SEALBUF_R_UDMABUF_SIZE_LIMIT,/* -E2BIG: above udmabuf size_limit_mb */
	SEALBUF_R_UDMABUF_LIST_LIMIT,/* -E2BIG: more ranges than udmabuf list_limit */
	SEALBUF_R_MISALIGNED,        /* -EINVAL: offset/length not page multiples */
	SEALBUF_R_RANGE,             /* -ERANGE: range past the end of the region */
	SEALBUF_R_EMPTY,             /* -ENODATA: empty region has no dma-buf */
	SEALBUF_R_HUGETLB_NO_PAGES,  /* -ENOMEM: no huge pages reserved */
	SEALBUF_R_NO_DEVICE,         /* -ENODEV: no device with that driver */
	SEALBUF_R_NOT_SUPPORTED,     /* -EOPNOTSUPP: built without this feature, or kernel lacks it */
	SEALBUF_R_NOT_DMABUF,        /* -EBADFD: the fd is not a dma-buf */
	SEALBUF_R_NO_HANDLE,         /* -EBADF: region was opened without KEEP_HANDLE */
	_SEALBUF_R_COUNT
};

/* Reason of the last failure in this thread (SEALBUF_R_NONE if none yet). */
enum sealbuf_reason sealbuf_last_reason(void);
/* Human text of the last failure in this thread, with details ("" if none). */
const char *sealbuf_last_error(void);
/* Stable identifier of a reason ("SEALBUF_R_NOT_MEMFD"); NULL if unknown. */
const char *sealbuf_reason_name(enum sealbuf_reason reason);

/*
 * Log hook. Silent by default. priority is a syslog LOG_* level; sealbuf
 * logs each failure at LOG_DEBUG and noteworthy fallbacks at LOG_INFO.
 * Process-wide; set it before starting threads that use sealbuf.
 */
typedef void (*sealbuf_log_fn)(void *userdata, int priority, const char *file,
			       int line, const char *fn, const char *msg);
void sealbuf_set_log_fn(sealbuf_log_fn fn, void *userdata);

/* ------------------------------------------------------------------------ */
/* Regions                                                                   */
/* ------------------------------------------------------------------------ */

struct sealbuf_region;

#define SEALBUF_NAME_MAX 249 /* memfd_create's limit, without "memfd:" */

enum sealbuf_kind {
	SEALBUF_KIND_PLAIN = 1,    /* fixed size, no header */
	SEALBUF_KIND_RESERVED = 2, /* header page + payload of a capacity */
	SEALBUF_KIND_MIRROR = 3,   /* header page + copy of caller memory */
};

enum sealbuf_create_flags {
	/* Fault every page in now (MADV_POPULATE_WRITE): first writes run at memcpy speed. */
	SEALBUF_CREATE_PREFAULT = 1u << 0,
	/* Skip the fallocate reservation (faster; a full tmpfs shows later as an error on use). */
	SEALBUF_CREATE_NORESERVE = 1u << 1,
	/* Back the region with huge pages (MFD_HUGETLB); size rounds to huge pages. */
	SEALBUF_CREATE_HUGETLB = 1u << 2,
};

struct sealbuf_create_opts {
	size_t sz;        /* sizeof(struct sealbuf_create_opts) */
	const char *name; /* debug name in /proc/PID/maps and fdinfo; default "sealbuf" */
	uint32_t flags;   /* enum sealbuf_create_flags */
	uint32_t huge_page_shift; /* with HUGETLB: log2 page size, 0 = the default size */
};

/*
 * Create a plain region of @size bytes: a sealed memfd sized to whole pages,
 * memory reserved up front, mapped read-write. @size 0 is valid: the region
 * owns no memory and maps nothing (data is NULL), and can still be shared.
 * Errors: -EINVAL (bad opts), -ENAMETOOLONG, -EOVERFLOW, -EFBIG, -ENOMEM or
 * -ENOSPC (no memory to reserve: tmpfs or cgroup full), -EMFILE/-ENFILE,
 * other kernel errnos as SEALBUF_R_SYSCALL.
 */
int sealbuf_region_create(size_t size, const struct sealbuf_create_opts *opts,
			  struct sealbuf_region **ret_region);

/* Unmap, close and free. NULL is a no-op. The other side's mapping stays. */
void sealbuf_region_free(struct sealbuf_region *region);

/* Start of the data (the payload of reserved/mirror regions); NULL when empty. */
void *sealbuf_region_data(const struct sealbuf_region *region);
/*
 * Size of the data: the requested size of a plain region, or the valid size
 * of a reserved/mirror region as of the last write, read or snapshot.
 */
size_t sealbuf_region_size(const struct sealbuf_region *region);
/* Bytes mapped in this process (whole pages, header included); 0 when empty. */
size_t sealbuf_region_mapped_size(const struct sealbuf_region *region);
/* Capacity of the data: size for plain regions, capacity for reserved ones. */
size_t sealbuf_region_capacity(const struct sealbuf_region *region);
enum sealbuf_kind sealbuf_region_kind(const struct sealbuf_region *region);
/* Whether this process's mapping is writable. */
bool sealbuf_region_writable(const struct sealbuf_region *region);
/*
 * The region's memfd, still owned by the region (do not close it), or -1 if
 * the region was opened without SEALBUF_OPEN_KEEP_HANDLE.
 */
int sealbuf_region_fd(const struct sealbuf_region *region);

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

enum sealbuf_share_flags {
	/* A handle that can only ever be mapped read-only by its receiver. */
	SEALBUF_SHARE_RDONLY = 1u << 0,
};

/*
 * A new close-on-exec fd for @region, owned by the caller, to be sent once.
 * With SEALBUF_SHARE_RDONLY the fd is a fresh read-only open of the memfd:
 * the receiver can neither map it writable nor mprotect it writable. The
 * first read-only share also drops the memfd inode's write permission bits
 * (to r--------), so the receiver cannot reopen it read-write through
 * /proc/self/fd either, unless it has CAP_DAC_OVERRIDE (root); fds already
 * open keep their mode. (F_SEAL_FUTURE_WRITE would stop even root, but
 * /dev/udmabuf refuses memfds that carry it.)
 * Errors: -EINVAL, -EBADF (region opened without KEEP_HANDLE), -EPERM
 * (SEALBUF_R_ACCESS_MODE: not the memfd's owner, its mode cannot be
 * dropped), kernel errnos.
 */
int sealbuf_region_share(const struct sealbuf_region *region, uint32_t flags,
			 int *ret_fd);

enum sealbuf_open_flags {
	/* Map read-only (required for an fd shared with SEALBUF_SHARE_RDONLY). */
	SEALBUF_OPEN_RDONLY = 1u << 0,
	/* Keep the fd open inside the region, to re-share or export it later. */
	SEALBUF_OPEN_KEEP_HANDLE = 1u << 1,
};

struct sealbuf_open_opts {
	size_t sz;             /* sizeof(struct sealbuf_open_opts) */
	uint32_t flags;        /* enum sealbuf_open_flags */
	uint32_t kind;         /* expected enum sealbuf_kind; 0 = plain */
};

/*
 * Take ownership of @fd (closed on success AND failure), check it is a
 * sealed memfd of the declared @size (requested size for plain regions,
 * capacity for reserved ones) with the seals that stop its sender from
 * resizing it, map it and close it. The fd is hostile until these pass.
 * Errors: -EBADF (not open), -EBADFD (not a memfd), -EPERM (seals),
 * -ERANGE (size mismatch), -EACCES (access mode), header errors for reserved
 * regions, kernel errnos.
 */
int sealbuf_region_open(int fd, size_t size, const struct sealbuf_open_opts *opts,
			struct sealbuf_region **ret_region);

/* ------------------------------------------------------------------------ */
/* Sending regions over AF_UNIX sockets                                      */
/* ------------------------------------------------------------------------ */

/*
 * Send @region's handle and its description (docs/wire-format.md) in one
 * message on @sock (SOCK_SEQPACKET, SOCK_STREAM or SOCK_DGRAM). @flags:
 * enum sealbuf_share_flags. Errors: -EPIPE/-ECONNRESET (peer gone),
 * -EAGAIN (non-blocking socket full), kernel errnos. Never raises SIGPIPE.
 */
int sealbuf_region_send(int sock, const struct sealbuf_region *region, uint32_t flags);

struct sealbuf_recv_opts {
	size_t sz;         /* sizeof(struct sealbuf_recv_opts) */
	uint32_t flags;    /* enum sealbuf_open_flags */
	int timeout_ms;    /* 0 (default): wait forever; > 0: milliseconds; < 0: don't wait */
};

/*
 * Receive one region from @sock, validate the message, every fd attached
 * (extra ones are closed) and the region, then open it as sealbuf_region_open
 * does. A peer that sends part of a message and stalls gets -ETIMEDOUT after
 * timeout_ms; on a SOCK_STREAM socket the stream is then out of step and
 * should be closed. Errors: -EBADMSG, -EPROTO, -EPROTONOSUPPORT,
 * -ECONNRESET (peer closed), -ETIMEDOUT, -EAGAIN (timeout_ms 0, nothing
 * queued, timeout_ms < 0), and those of sealbuf_region_open.
 */
int sealbuf_region_recv(int sock, const struct sealbuf_recv_opts *opts,
			struct sealbuf_region **ret_region);

/* ------------------------------------------------------------------------ */
/* Reserved regions: a header carries the valid size (docs/header-format.md) */
/* ------------------------------------------------------------------------ */

/* Section owned by the header/mirror work. */

/* ------------------------------------------------------------------------ */
/* dma-buf export through /dev/udmabuf                                       */
/* ------------------------------------------------------------------------ */

/* Section owned by the dma-buf work. */

#ifdef __cplusplus
}
#endif

#endif /* SEALBUF_H */
