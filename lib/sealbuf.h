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
	SEALBUF_R_TOO_LARGE,         /* -EFBIG: size above what the system (or region) allows */
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

/*
 * A reserved region is a header page followed by a payload of a fixed
 * capacity, whose valid size the writer publishes through the header. The
 * payload starts at a page boundary (offset 0 of a dma-buf of it). One
 * process writes at a time; any number of processes read. Readers see whole
 * publications only: never bytes of two writes, never the size of one with
 * the bytes of another (a seqlock: the header's sequence number is odd while
 * an update is in progress and moves on at each publication).
 *
 * sealbuf_region_data() points at the payload and sealbuf_region_size() is
 * the valid size as of this process's last write, read or snapshot. Readers
 * of the payload in place should bracket it with sealbuf_region_read() and
 * sealbuf_region_read_check(); sealbuf_region_snapshot() copies it out.
 * (Such in-place access races with the writer by design, and is validated
 * after the fact; ThreadSanitizer reports it. The library's own copies are
 * atomic under -fsanitize=thread.)
 *
 * A received header is validated like any other input at open, and every
 * read checks the size against the capacity validated then: a peer that
 * scribbles on the header gets errors, never an out-of-bounds access.
 *
 * A writer that dies mid-update leaves the sequence odd. Readers then wait
 * at most the stall timeout (1 s unless set) and get -EOWNERDEAD
 * (SEALBUF_R_WRITER_STALLED); the last published data is gone, as the
 * writer had begun overwriting it. The next write by any writable mapping
 * takes over and publishes a consistent state again.
 */

/*
 * Create a reserved region of @capacity payload bytes (0 is valid), with the
 * valid size 0. @opts as for sealbuf_region_create(); with
 * SEALBUF_CREATE_HUGETLB the header takes one huge page. Send it like any
 * region; the receiver's sealbuf_region_recv() validates the header.
 * Errors: those of sealbuf_region_create().
 */
int sealbuf_region_reserve(size_t capacity, const struct sealbuf_create_opts *opts,
			   struct sealbuf_region **ret_region);

/*
 * Replace the payload with @size bytes from @data (which may point into the
 * payload itself) and publish @size, waking sleeping readers. Writer only.
 * Errors: -EINVAL (NULL region, NULL data with non-zero size, an update from
 * sealbuf_region_write_begin() still open), -EMEDIUMTYPE (not a reserved
 * region: mirrors use sealbuf_region_update()), -EROFS (mapped read-only),
 * -EFBIG (SEALBUF_R_TOO_LARGE: @size above the capacity; nothing changes).
 */
int sealbuf_region_write(struct sealbuf_region *region, const void *data, size_t size);

/*
 * Write in place: write_begin() marks an update in progress (readers wait
 * or retry); the caller (or a device, through a dma-buf of the payload)
 * then fills sealbuf_region_data(), and write_end() publishes @size bytes.
 * Errors: as sealbuf_region_write(); -EINVAL for begin twice, or end with
 * no begin. An end that fails with -EFBIG leaves the update open. While it
 * is open, read, snapshot and wait on this region fail with -EINVAL.
 */
int sealbuf_region_write_begin(struct sealbuf_region *region);
int sealbuf_region_write_end(struct sealbuf_region *region, size_t size);

/*
 * Refresh the valid size (and sequence) from the header: the seed's Read.
 * The size is that of one complete publication. Errors: -EINVAL,
 * -EMEDIUMTYPE (plain region), -ERANGE (SEALBUF_R_HEADER_SIZE: the header's
 * size is above the capacity), -EAGAIN (SEALBUF_R_CONTENDED: the writer
 * kept publishing; try again), -EOWNERDEAD (SEALBUF_R_WRITER_STALLED).
 * On failure the region's size and sequence stay as they were.
 */
int sealbuf_region_read(struct sealbuf_region *region);

/*
 * After reading the payload in place since the last sealbuf_region_read()
 * or snapshot: 0 if no update has begun since, so what was read is that
 * publication's; -EAGAIN (SEALBUF_R_CONTENDED) if it may be torn: read again.
 * Errors also: -EINVAL, -EMEDIUMTYPE.
 */
int sealbuf_region_read_check(const struct sealbuf_region *region);

/*
 * Copy one whole publication into @buf (@buf_size bytes) and return its size
 * in *@ret_size and its sequence number in *@ret_seq (either may be NULL).
 * Never blocks for long: a copy spoiled by a concurrent publish is retried a
 * bounded number of times; an update in progress is waited out, at most for
 * the stall timeout. Errors: -EINVAL, -EMEDIUMTYPE, -ENOBUFS
 * (SEALBUF_R_BUFFER_TOO_SMALL: *@ret_size receives the size needed), -ERANGE
 * (SEALBUF_R_HEADER_SIZE), -EAGAIN (SEALBUF_R_CONTENDED), -EOWNERDEAD
 * (SEALBUF_R_WRITER_STALLED). On failure @buf's contents are undefined.
 */
int sealbuf_region_snapshot(struct sealbuf_region *region, void *buf, size_t buf_size,
			    size_t *ret_size, uint64_t *ret_seq);

/*
 * Sleep until the writer has published a sequence other than @seen_seq (the
 * one from sealbuf_region_seq() or a snapshot), then return it in *@ret_seq
 * (may be NULL); a publication since @seen_seq returns at once. @timeout_ms
 * as poll(2): < 0 waits forever, 0 only checks. The reader spins briefly
 * (yielding the CPU now and then), then sleeps on a futex on the header's
 * sequence; the writer makes the wake-up call only when someone sleeps, or
 * on every publish once a read-only handle of the region exists (a
 * read-only mapping cannot count itself among the sleepers).
 * Errors: -EINVAL, -EMEDIUMTYPE, -EAGAIN (SEALBUF_R_WOULD_BLOCK: @timeout_ms
 * 0 and nothing new), -ETIMEDOUT (SEALBUF_R_TIMEOUT), -EOWNERDEAD
 * (SEALBUF_R_WRITER_STALLED: one update has been in progress for the stall
 * timeout), kernel errnos from futex(2).
 */
int sealbuf_region_wait(struct sealbuf_region *region, uint64_t seen_seq, int timeout_ms,
			uint64_t *ret_seq);

/* Sequence of the publication last written, read or snapshot here (even); 0 for plain. */
uint64_t sealbuf_region_seq(const struct sealbuf_region *region);

/*
 * How long one update may stay in progress before readers give up with
 * -EOWNERDEAD, in ms, for this process's handle of @region; 0 restores the
 * default (1000). Errors: -EINVAL (negative), -EMEDIUMTYPE.
 */
int sealbuf_region_set_stall_timeout(struct sealbuf_region *region, int timeout_ms);

/*
 * Create a mirror region of @size bytes: a header, then a copy of the
 * caller's memory at @data, which must stay valid until the region is
 * freed. The region is always prefaulted, so sealbuf_region_update() copies
 * at memcpy speed; its content is published at creation. Receivers open it
 * like a reserved region and read it with snapshot/read/wait.
 * Errors: -EINVAL (NULL data with non-zero size), those of sealbuf_region_create().
 */
int sealbuf_region_mirror(void *data, size_t size, const struct sealbuf_create_opts *opts,
			  struct sealbuf_region **ret_region);

/*
 * Copy the mirrored memory into the region and publish it (a consistent
 * copy for readers, as sealbuf_region_write()). Errors: -EINVAL,
 * -EMEDIUMTYPE (not a mirror region, or one received rather than created
 * in this process).
 */
int sealbuf_region_update(struct sealbuf_region *region);

/*
 * Zero the caller's mirrored memory (not the region: the next update
 * publishes the zeroes). Errors: as sealbuf_region_update().
 */
int sealbuf_region_clear(struct sealbuf_region *region);

/* ------------------------------------------------------------------------ */
/* dma-buf export through /dev/udmabuf                                       */
/* ------------------------------------------------------------------------ */

/* Section owned by the dma-buf work. */

#ifdef __cplusplus
}
#endif

#endif /* SEALBUF_H */
