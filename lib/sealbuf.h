/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf: sealed shared-memory regions for processes and devices.
 *
 * A region is a sealed memfd (F_SEAL_SHRINK|F_SEAL_GROW: nobody resizes it;
 * F_SEAL_FUTURE_WRITE once shared read-only), mapped into the caller. Its handle (an fd) is sent once to another process, which
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
 *  - sealbuf_last_reason() and sealbuf_last_error() change only when a call
 *    fails: after a success they still describe the last failure (so read
 *    them right after the failing call, not after later calls).
 *  - Error texts name what the caller knows ("the fd", "the region"), never
 *    fd numbers the library received and closed itself.
 *  - Timeouts in ms follow poll(2): < 0 waits forever, 0 does not wait, > 0
 *    waits that long.
 *  - Public structs have no padding: every byte is a named field; fields
 *    named reserved must be 0 (-EINVAL otherwise), as they may mean
 *    something in a later version.
 *  - Everything here exists since 1.0 (symbol version SEALBUF_1.0).
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

/* This header's version: 1.0 is the first stable ABI (soname 1, symbol node SEALBUF_1.0). */
#define SEALBUF_VERSION_MAJOR 1
#define SEALBUF_VERSION_MINOR 0

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
	SEALBUF_R_INVALID_ARGUMENT,  /* -EINVAL: NULL pointer, bad value; -EBADF: fd argument not open; -ENOTSOCK: not a socket */
	SEALBUF_R_UNKNOWN_FLAGS,     /* -EINVAL: flag bits this version lacks */
	SEALBUF_R_BAD_OPTS_SIZE,     /* -EINVAL: opts->sz too small, or larger with non-zero tail */
	SEALBUF_R_SIZE_OVERFLOW,     /* -EOVERFLOW: size does not fit when rounded to pages */
	SEALBUF_R_TOO_LARGE,         /* -EFBIG: size above what the system (or region) allows */
	SEALBUF_R_NO_MEMORY,         /* -ENOMEM, -ENOSPC: memory could not be reserved */
	SEALBUF_R_NAME_TOO_LONG,     /* -ENAMETOOLONG: debug name over SEALBUF_NAME_MAX */
	SEALBUF_R_SYSCALL,           /* a system call failed; errno is the kernel's */
	SEALBUF_R_NOT_MEMFD,         /* -EBADFD: the fd is not a memfd */
	SEALBUF_R_SEALS_MISSING,     /* -EPERM: SHRINK and GROW are not both set */
	SEALBUF_R_SEALS_EXTRA,       /* -EPERM: WRITE/FUTURE_WRITE seal set (no writer, no dma-buf) */
	SEALBUF_R_NOT_SEALABLE,      /* -EPERM: memfd made without MFD_ALLOW_SEALING */
	SEALBUF_R_SIZE_MISMATCH,     /* -ERANGE: file size differs from the declared size */
	SEALBUF_R_ACCESS_MODE,       /* -EACCES: fd's access mode does not allow what was asked */
	SEALBUF_R_BAD_MESSAGE,       /* -EBADMSG: wrong magic, length or field */
	SEALBUF_R_VERSION,           /* -EPROTONOSUPPORT: unknown message or header version */
	SEALBUF_R_TRUNCATED,         /* -EPROTO: short message, or control data truncated */
	SEALBUF_R_NO_FD,             /* -EBADMSG: message carried no fd */
	SEALBUF_R_EXTRA_FDS,         /* -EBADMSG: message carried more than one fd (all closed) */
	SEALBUF_R_PEER_CLOSED,       /* -ECONNRESET, -EPIPE, -ENOTCONN: peer closed the socket */
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
	SEALBUF_R_DEVICE_DENIED,     /* -EACCES: no permission to open the device node */
	SEALBUF_R_SHARED_READ_ONLY,  /* -EPERM: shared read-only (F_SEAL_FUTURE_WRITE): no new writable handle or dma-buf */
	SEALBUF_R_FROZEN,            /* -EPERM, -EROFS: frozen (F_SEAL_WRITE): read-only for every holder */
	SEALBUF_R_WRITABLE_MAPPING,  /* -EBUSY: freeze: a writable mapping of the region remains */
	SEALBUF_R_PEER_REFUSED,      /* -EACCES: the sender is not one the receiver accepts */
	SEALBUF_R_FORMAT,            /* -EOPNOTSUPP: pixel format or modifier not supported */
	SEALBUF_R_PLANE_LAYOUT,      /* -EINVAL/-EBADMSG: a plane's stride, offset or extent is wrong */
	SEALBUF_R_NO_HEAP,           /* -ENODEV: no such dma-heap (the text lists those there are) */
	SEALBUF_R_HEAP_DENIED,       /* -EACCES: no permission to open the dma-heap */
	SEALBUF_R_HEAP_EXHAUSTED,    /* -ENOMEM: the dma-heap has no memory left for the buffer */
	SEALBUF_R_EXPORTER,          /* -EPERM: dma-buf exporter not allowed, or not the one declared */
	SEALBUF_R_NO_RDMA_DEVICE,    /* -ENODEV: no RDMA device (libsealbuf-rdma; the text says how to add rxe) */
	SEALBUF_R_MEMLOCK_LIMIT,     /* -ENOMEM: RLIMIT_MEMLOCK too low to register (pin) the memory */
	SEALBUF_R_PEER_UNREACHABLE,  /* -EHOSTUNREACH, -ECONNREFUSED: no route to the peer, or nobody listens */
	SEALBUF_R_REMOTE_ACCESS,     /* -EACCES: the peer's side refused an access (key, range, rights) */
	SEALBUF_R_NO_DMABUF_MR,      /* -EOPNOTSUPP: the RDMA provider cannot register a dma-buf */
	SEALBUF_R_TRANSFER_FAILED,   /* -EIO: an RDMA transfer failed; the text names its status */
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

/*
 * For libraries built on sealbuf (libsealbuf-rdma): sealbuf_fail_at() records
 * a failure as this thread's last reason and text, exactly as sealbuf's own
 * functions do, logs it at LOG_DEBUG through the hook and returns @err.
 * sealbuf_log_at() only logs, at @priority. @fmt is printf's.
 */
int sealbuf_fail_at(int err, enum sealbuf_reason reason, const char *file, int line,
		    const char *fn, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void sealbuf_log_at(int priority, const char *file, int line, const char *fn,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

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
 *
 * With SEALBUF_SHARE_RDONLY the fd is a fresh read-only open of the memfd,
 * and the first read-only share seals the memfd F_SEAL_FUTURE_WRITE: from
 * then on nobody, root included, can map it writable, mprotect a mapping
 * writable, write(2), pwrite(2), splice into it or punch holes in it,
 * whatever fd they hold or reopen (fchmod and a reopen through /proc give
 * an fd that cannot write). Mappings that were writable before keep
 * working: this process goes on writing, and reserved-region writers go on
 * publishing. The rule that follows, for good: no new writable handle
 * (sharing without SEALBUF_SHARE_RDONLY fails with -EPERM,
 * SEALBUF_R_SHARED_READ_ONLY) and no new dma-buf (sealbuf_region_export()
 * fails the same way); dma-bufs made before stay valid. So export and
 * share read-write first, then share read-only. A region mapped read-only
 * here shares its read-only fd (with or without the flag).
 * Processes that may ptrace each other (same uid, no sandbox) can still
 * write each other's memory; that is the sandbox's job, not the handle's.
 * Errors: -EINVAL, -EBADF (SEALBUF_R_NO_HANDLE: region opened without
 * KEEP_HANDLE), -EPERM (SEALBUF_R_SHARED_READ_ONLY, SEALBUF_R_FROZEN: a
 * writable share of a write-sealed region; SEALBUF_R_SEALS_EXTRA: a memfd
 * sealed F_SEAL_SEAL without a write seal cannot be shared read-only),
 * -EOPNOTSUPP (kernel before 5.1: no F_SEAL_FUTURE_WRITE), kernel errnos.
 * Since 1.0.
 */
int sealbuf_region_share(const struct sealbuf_region *region, uint32_t flags,
			 int *ret_fd);

enum sealbuf_open_flags {
	/* Map read-only (required for an fd shared with SEALBUF_SHARE_RDONLY). */
	SEALBUF_OPEN_RDONLY = 1u << 0,
	/* Keep the fd open inside the region, to re-share or export it later. */
	SEALBUF_OPEN_KEEP_HANDLE = 1u << 1,
	/*
	 * Plain regions: validate and keep the handle, but map nothing
	 * (sealbuf_region_data() is NULL); map parts with sealbuf_window_map().
	 * Since 1.0.
	 */
	SEALBUF_OPEN_NOMAP = 1u << 2,
	/*
	 * Map every page now (MADV_POPULATE_READ), whatever the size: one system
	 * call instead of a page fault per page written (or per few read) later.
	 * Pages the sender never allocated (a NORESERVE region's holes) are
	 * allocated, charged to this process's memory cgroup. The default does
	 * this for writable mappings of at least 64 KiB with no such holes (read
	 * faults map pages in batches already); see also _LAZY. Since 1.0.
	 */
	SEALBUF_OPEN_POPULATE = 1u << 3,
	/* Never populate: pages fault in as they are touched (a sparse reader). Since 1.0. */
	SEALBUF_OPEN_LAZY = 1u << 4,
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
 * The mapping is populated as SEALBUF_OPEN_POPULATE and _LAZY say, and
 * advised MADV_HUGEPAGE where the kernel's shmem_enabled allows huge pages
 * (`sealbuf doctor` shows the setting); the region's creator does the same.
 * POPULATE with LAZY is -EINVAL.
 * Errors: -EBADF (not open), -EBADFD (not a memfd), -EPERM (seals),
 * -ERANGE (size mismatch), -EACCES (access mode), header errors for reserved
 * regions, kernel errnos.
 */
int sealbuf_region_open(int fd, size_t size, const struct sealbuf_open_opts *opts,
			struct sealbuf_region **ret_region);

/*
 * Freeze @region (Mozilla's Freeze, Chromium's ConvertToReadOnly): make it
 * read-only for every holder, for good, with F_SEAL_WRITE|F_SEAL_SEAL. The
 * kernel refuses F_SEAL_WRITE while a writable mapping of the memfd exists,
 * so this process's mapping is first replaced, at the same address, by a
 * read-only one, and the region's handle by a read-only one: afterwards
 * sealbuf_region_writable() is false, data() still points at the same
 * bytes, and writing them faults. A frozen region is sent, opened (read-only
 * only), read and mapped in windows everywhere; nobody can map it writable,
 * mprotect it writable or write(2) it, root included; it has no dma-buf.
 * Freezing a frozen region is 0. A reserved region stops publishing.
 * Errors: -EINVAL (NULL; an update is open), -EBADF (SEALBUF_R_NO_HANDLE),
 * -EROFS (SEALBUF_R_READ_ONLY: a read-only handle cannot freeze), -EBUSY
 * (SEALBUF_R_WRITABLE_MAPPING: a peer still maps it writable, or a dma-buf
 * pins its pages; this process's mapping is writable again unless the region
 * was shared read-only, which the text says), -EPERM (SEALBUF_R_SEALS_EXTRA:
 * a foreign memfd sealed F_SEAL_SEAL), kernel errnos. Since 1.0.
 */
int sealbuf_region_freeze(struct sealbuf_region *region);

/* ------------------------------------------------------------------------ */
/* Windows: map part of a region                                             */
/* ------------------------------------------------------------------------ */

struct sealbuf_window;

enum sealbuf_window_flags {
	/* Reserved/mirror regions: count @offset from the payload's first byte. */
	SEALBUF_WINDOW_PAYLOAD = 1u << 0,
	/* Map read-only (required on a region held read-only). */
	SEALBUF_WINDOW_RDONLY = 1u << 1,
};

/*
 * Map @length bytes of @region from @offset (both multiples of the region's
 * page size; @length 0: to the end) as a mapping of their own, so a region
 * can be worked through piece by piece (open it with SEALBUF_OPEN_NOMAP to
 * map nothing else). The region must hold its handle (created here, or
 * opened with KEEP_HANDLE or NOMAP); its memfd is checked again as at open.
 * A plain region's size is checked to the page (its memfd is whole pages),
 * so a window may cover the bytes past the declared size up to the page's
 * end. Writable windows are refused once the region was shared read-only
 * or frozen (its own reason). The window is the caller's, independent of
 * the region: sealbuf_window_unmap() it (before or after freeing the region).
 * Errors: -EINVAL (NULL, unknown flags, SEALBUF_R_MISALIGNED), -EOVERFLOW
 * (SEALBUF_R_SIZE_OVERFLOW: offset + length overflows), -ERANGE
 * (SEALBUF_R_RANGE: past the end; SEALBUF_R_SIZE_MISMATCH), -ENODATA
 * (SEALBUF_R_EMPTY), -EBADF (SEALBUF_R_NO_HANDLE), -EMEDIUMTYPE (PAYLOAD of a
 * plain region), -EROFS (SEALBUF_R_READ_ONLY), -EPERM
 * (SEALBUF_R_SHARED_READ_ONLY, SEALBUF_R_FROZEN), -ENOMEM. Since 1.0.
 */
int sealbuf_window_map(const struct sealbuf_region *region, uint64_t offset, uint64_t length,
		       uint32_t flags, struct sealbuf_window **ret_window);
/* Unmap and free a window. NULL is a no-op. Since 1.0. */
void sealbuf_window_unmap(struct sealbuf_window *window);
/* The window's first byte (NULL for NULL). Since 1.0. */
void *sealbuf_window_data(const struct sealbuf_window *window);
/* The window's length in bytes (0 for NULL). Since 1.0. */
size_t sealbuf_window_size(const struct sealbuf_window *window);

/* ------------------------------------------------------------------------ */
/* Checking an fd without taking it                                          */
/* ------------------------------------------------------------------------ */

enum sealbuf_check_flags {
	/* The mapping asked is read-only (as SEALBUF_OPEN_RDONLY): a read-only fd passes. */
	SEALBUF_CHECK_RDONLY = 1u << 0,
	/* Check .size as the declared size; without it, the size the fd states is taken. */
	SEALBUF_CHECK_SIZE = 1u << 1,
};

struct sealbuf_check_opts {
	size_t sz;      /* sizeof(struct sealbuf_check_opts) */
	uint32_t flags; /* enum sealbuf_check_flags */
	uint32_t kind;  /* declared enum sealbuf_kind; 0 = the kind its header states, else plain */
	uint64_t size;  /* declared size (as for sealbuf_region_open), with SEALBUF_CHECK_SIZE */
};

enum sealbuf_fd_flags {
	SEALBUF_FD_MEMFD = 1u << 0,  /* a memfd: .seals and .file_size are known */
	SEALBUF_FD_HEADER = 1u << 1, /* starts with a sealbuf header: .capacity, .valid_size, .seq */
};

struct sealbuf_fd_info {
	size_t sz;            /* sizeof(struct sealbuf_fd_info), set by the caller */
	uint32_t flags;       /* enum sealbuf_fd_flags */
	int32_t seals;        /* F_GET_SEALS of a memfd; -1 otherwise */
	int32_t access;       /* O_RDONLY, O_WRONLY or O_RDWR; -1 when not open */
	uint32_t kind;        /* the kind checked: declared, else the header's, else plain */
	uint64_t file_size;   /* bytes in the file */
	uint64_t size;        /* the size checked: declared, else the file's or header's */
	uint64_t capacity;    /* header: the capacity it states (checked only on success) */
	uint64_t valid_size;  /* header: the valid size last published, as it states */
	uint64_t seq;         /* header: the sequence, as it states */
};

/*
 * Check @fd as sealbuf_region_open() would (memfd, seals, access mode, size,
 * header), without taking, mapping or changing it: @fd stays the caller's.
 * @opts declare what open would be given (NULL: plain, read-write, the
 * size the fd states). @info (may be NULL) describes the fd as far as it
 * could be read, on success and on failure alike.
 * Returns 0 when sealbuf_region_open() would accept @fd; otherwise the
 * error open would give, with its reason (sealbuf_last_reason()). -EINVAL
 * (SEALBUF_R_BAD_OPTS_SIZE, SEALBUF_R_UNKNOWN_FLAGS, an unknown kind)
 * leaves @info untouched.
 */
int sealbuf_fd_check(int fd, const struct sealbuf_check_opts *opts,
		     struct sealbuf_fd_info *info);

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

/* Receive-only flags, in struct sealbuf_recv_opts's .flags beside enum sealbuf_open_flags. */
enum sealbuf_recv_flags {
	/* Accept a region only from a sender running as this process's effective uid. */
	SEALBUF_RECV_SAME_UID = 1u << 16,
	/* Hand back a pidfd of the sender in ret_peer->pidfd (kernels with SO_PEERPIDFD, 6.5+). */
	SEALBUF_RECV_PEER_PIDFD = 1u << 17,
};

/* Where struct sealbuf_peer's identity came from. */
enum sealbuf_peer_source {
	SEALBUF_PEER_UNKNOWN = 0, /* nothing known: pid, uid, gid are 0 */
	SEALBUF_PEER_MESSAGE = 1, /* SCM_CREDENTIALS of this message (the caller set SO_PASSCRED) */
	SEALBUF_PEER_SOCKET = 2,  /* SO_PEERCRED: who connect()ed, or made the socketpair */
};

/* Who sent a received region, as the kernel says (never the message). */
struct sealbuf_peer {
	size_t sz;          /* sizeof(struct sealbuf_peer), set by the caller */
	int32_t pid;        /* in the receiver's pid namespace; 0 when unknown */
	uint32_t uid;       /* in the receiver's user namespace */
	uint32_t gid;
	int32_t pidfd;      /* -1, or with SEALBUF_RECV_PEER_PIDFD a pidfd the caller closes */
	uint32_t source;    /* enum sealbuf_peer_source */
	uint32_t reserved;  /* 0 */
};

struct sealbuf_recv_opts {
	size_t sz;          /* sizeof(struct sealbuf_recv_opts) */
	uint32_t flags;     /* enum sealbuf_open_flags | enum sealbuf_recv_flags */
	/*
	 * poll(2)'s rule: < 0 waits forever, 0 (a zeroed SEALBUF_OPTS, or NULL
	 * opts) does not wait, > 0 waits that many ms for a message to begin.
	 * Once a message has begun on a stream, its rest must arrive within
	 * 1000 ms (or the timeout, if sooner), whatever the timeout: a peer that
	 * sends half a message and stalls holds nobody for longer.
	 */
	int timeout_ms;
	/* Accept only senders whose uid is one of these n_allow_uids (or, with SAME_UID, ours). */
	const uint32_t *allow_uids;
	uint32_t n_allow_uids;
	uint32_t reserved;  /* must be 0 */
	/* If not NULL (its .sz set): who sent the region, filled on success. */
	struct sealbuf_peer *ret_peer;
};

/*
 * Receive one region from @sock, validate the message, every fd attached
 * (extra ones are closed) and the region, then open it as sealbuf_region_open
 * does. Only the flags of enum sealbuf_open_flags reach the open.
 *
 * Timeouts: see struct sealbuf_recv_opts. A stream whose peer stalled in the
 * middle of a message (-ETIMEDOUT) is out of step and should be closed.
 *
 * Who sent it: with ret_peer, SEALBUF_RECV_SAME_UID or allow_uids, the
 * sender's pid, uid and gid come from the message's SCM_CREDENTIALS when the
 * caller set SO_PASSCRED on @sock (before the sender sent), otherwise from
 * SO_PEERCRED (the process that connected, or made the socketpair: on a
 * socket shared by several processes, only SO_PASSCRED names the sender of
 * each message). A sender the caller does not accept gets the region
 * refused and its fd closed before anything is mapped (-EACCES,
 * SEALBUF_R_PEER_REFUSED); so does one whose identity is unknown (an
 * unconnected datagram socket without SO_PASSCRED). Without these options no
 * system call is spent on the sender.
 *
 * Errors: -EINVAL, -EBADMSG, -EPROTO, -EPROTONOSUPPORT, -ECONNRESET (peer
 * closed), -ETIMEDOUT, -EAGAIN (timeout_ms 0 and nothing queued), -EACCES
 * (SEALBUF_R_PEER_REFUSED; SEALBUF_R_ACCESS_MODE: a message flagged
 * read-only must carry an O_RDONLY fd, and is received with
 * SEALBUF_OPEN_RDONLY), and those of sealbuf_region_open().
 * Since 1.0 (the peer options and poll's timeout rule are new in 1.0).
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
 *
 * Bounds, against any writer, a hostile one included: one read, snapshot or
 * wait spends at most the stall timeout in all waiting for updates in
 * progress (a sequence kept odd while it changes included), plus at most
 * 100 copies of the payload spoiled by updates that began during them
 * (then -EAGAIN, SEALBUF_R_CONTENDED); a wait also ends at its timeout.
 * Opening a reserved region mid-update waits for it like a read; if the
 * writer stalled, the open succeeds with size 0 and the next read says why.
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
 * in this process), -EROFS (SEALBUF_R_FROZEN: frozen, it publishes no more).
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

/*
 * A region becomes a dma-buf (an fd any device driver can import) through
 * /dev/udmabuf. The kernel answers EINVAL for most broken rules, so sealbuf
 * checks each rule first and names the one broken: the range must be page
 * aligned (SEALBUF_R_MISALIGNED) and inside the region (SEALBUF_R_RANGE), the
 * region non-empty (SEALBUF_R_EMPTY) and writable (SEALBUF_R_READ_ONLY: a
 * dma-buf lets devices and its mmap write, so a read-only handle never
 * becomes one), the memfd sealed SHRINK without WRITE/FUTURE_WRITE
 * (SEALBUF_R_SEALS_*), the total at most the live udmabuf size_limit_mb
 * (SEALBUF_R_UDMABUF_SIZE_LIMIT) and the list at most its list_limit
 * (SEALBUF_R_UDMABUF_LIST_LIMIT). /dev/udmabuf missing is SEALBUF_R_NO_UDMABUF
 * (-ENODEV), not openable SEALBUF_R_UDMABUF_DENIED (-EACCES); the text says
 * the fix. Creation pins every page of the range for the dma-buf's lifetime:
 * do it at set-up time. Every dma-buf fd is close-on-exec and owned by the
 * caller (close() it); it keeps the pages alive after the region is freed.
 */

enum sealbuf_export_flags {
	/*
	 * Reserved/mirror regions: export the payload alone. offset and length
	 * then count from the payload's first byte, and the header page stays
	 * out of the dma-buf. Plain regions: -EMEDIUMTYPE (SEALBUF_R_WRONG_KIND).
	 */
	SEALBUF_EXPORT_PAYLOAD = 1u << 0,
};

/* Longest dma-buf name, without its NUL (the kernel's DMA_BUF_NAME_LEN - 1). */
#define SEALBUF_DMABUF_NAME_MAX 31

struct sealbuf_export_opts {
	size_t sz;          /* sizeof(struct sealbuf_export_opts) */
	uint64_t offset;    /* page multiple, from the region's first byte (or the payload's) */
	uint64_t length;    /* page multiple; 0 = up to the end of the region (or payload) */
	uint32_t flags;     /* enum sealbuf_export_flags */
	uint32_t reserved;  /* must be 0 */
	/* dma-buf name (fdinfo, debugfs); NULL = the region's name, cut to 31 bytes */
	const char *name;
};

/*
 * Export a range of @region (by default all of it: the whole mapping, header
 * page included for reserved regions; see SEALBUF_EXPORT_PAYLOAD) as one
 * dma-buf with UDMABUF_CREATE, named with DMA_BUF_SET_NAME_B. The region
 * must hold its memfd: one received from another process needs
 * SEALBUF_OPEN_KEEP_HANDLE. On success *ret_dmabuf_fd is a new close-on-exec
 * fd owned by the caller; the region stays the caller's too.
 * Errors: -EINVAL (bad opts, SEALBUF_R_MISALIGNED), -EBADF
 * (SEALBUF_R_NO_HANDLE), -ENODATA (SEALBUF_R_EMPTY), -ERANGE (SEALBUF_R_RANGE),
 * -EMEDIUMTYPE, -EROFS (SEALBUF_R_READ_ONLY), -EPERM (seals), -E2BIG
 * (SEALBUF_R_UDMABUF_SIZE_LIMIT: see sealbuf_region_export_split()),
 * -ENAMETOOLONG (name over SEALBUF_DMABUF_NAME_MAX), -ENODEV
 * (SEALBUF_R_NO_UDMABUF), -EACCES (SEALBUF_R_UDMABUF_DENIED), -ENOMEM
 * (SEALBUF_R_HUGETLB_NO_PAGES, SEALBUF_R_NO_MEMORY), -EOPNOTSUPP (a hugetlb
 * region on a kernel whose udmabuf refuses them), kernel errnos.
 */
int sealbuf_region_export(const struct sealbuf_region *region,
			  const struct sealbuf_export_opts *opts, int *ret_dmabuf_fd);

/*
 * Export @opts' range of @region as as many dma-bufs as the live
 * size_limit_mb requires, in order, each at most size_limit_mb MiB (named
 * NAME#0, NAME#1, ...). With @ret_fds NULL nothing is created and the
 * number needed is returned. Otherwise up to @max_fds fds are stored in
 * @ret_fds and their count returned; the caller owns and closes them.
 * Errors: those of sealbuf_region_export() but the size limit, and -ENOBUFS
 * (SEALBUF_R_BUFFER_TOO_SMALL) when more than @max_fds are needed. On
 * failure no fd is left open and @ret_fds is untouched.
 */
int sealbuf_region_export_split(const struct sealbuf_region *region,
				const struct sealbuf_export_opts *opts,
				int *ret_fds, size_t max_fds);

/* One range of a dma-buf made of several (sealbuf_export_list()). */
struct sealbuf_export_range {
	const struct sealbuf_region *region;
	uint64_t offset;    /* as in struct sealbuf_export_opts */
	uint64_t length;    /* as in struct sealbuf_export_opts; 0 = to the end */
	uint32_t flags;     /* enum sealbuf_export_flags */
	uint32_t reserved;  /* must be 0 */
};

/*
 * Export @count ranges, of one region or several, as ONE dma-buf whose bytes
 * are the ranges one after the other (UDMABUF_CREATE_LIST). Ranges that
 * continue each other in the same memfd are merged first, so they count
 * once against list_limit. @opts may only set .name (NULL: the first
 * region's name). Errors: those of sealbuf_region_export() for each range
 * (the text names the range), -EINVAL (@count 0, offset/length/flags in
 * @opts, reserved bits), -E2BIG (SEALBUF_R_UDMABUF_LIST_LIMIT: more ranges
 * than the live list_limit, or SEALBUF_R_UDMABUF_SIZE_LIMIT: see
 * sealbuf_export_list_split()).
 */
int sealbuf_export_list(const struct sealbuf_export_range *ranges, size_t count,
			const struct sealbuf_export_opts *opts, int *ret_dmabuf_fd);

/*
 * Like sealbuf_export_list(), but cut into as many dma-bufs as the live
 * list_limit and size_limit_mb require, each holding the next ranges in
 * order (a range may straddle two). @ret_fds and @max_fds, the return value
 * and the errors are those of sealbuf_region_export_split().
 */
int sealbuf_export_list_split(const struct sealbuf_export_range *ranges, size_t count,
			      const struct sealbuf_export_opts *opts,
			      int *ret_fds, size_t max_fds);

/*
 * Export a memfd that sealbuf did not make (@memfd stays the caller's), with
 * the same checks: it must be a memfd (SEALBUF_R_NOT_MEMFD, -EBADFD), made
 * with MFD_ALLOW_SEALING (SEALBUF_R_NOT_SEALABLE) and sealed F_SEAL_SHRINK
 * (SEALBUF_R_SEALS_MISSING) without F_SEAL_WRITE/F_SEAL_FUTURE_WRITE
 * (SEALBUF_R_SEALS_EXTRA), open read-write (SEALBUF_R_ACCESS_MODE).
 * SEALBUF_EXPORT_PAYLOAD is -EMEDIUMTYPE. Other errors as
 * sealbuf_region_export().
 */
int sealbuf_memfd_export(int memfd, const struct sealbuf_export_opts *opts,
			 int *ret_dmabuf_fd);

enum sealbuf_udmabuf_state {
	SEALBUF_UDMABUF_PRESENT = 1u << 0,    /* /dev/udmabuf exists */
	SEALBUF_UDMABUF_ACCESSIBLE = 1u << 1, /* and this process may open it */
	SEALBUF_UDMABUF_LIMITS = 1u << 2,     /* size_limit_mb and list_limit were read */
};

struct sealbuf_udmabuf_info {
	size_t sz;              /* sizeof(struct sealbuf_udmabuf_info), set by the caller */
	uint32_t state;         /* enum sealbuf_udmabuf_state */
	uint32_t size_limit_mb; /* live /sys/module/udmabuf/parameters/size_limit_mb */
	uint32_t list_limit;    /* live /sys/module/udmabuf/parameters/list_limit */
	uint32_t reserved;      /* 0 */
	uint64_t size_limit;    /* size_limit_mb in bytes: the largest dma-buf */
};

/*
 * What this machine's udmabuf allows, read now (root may change the limits
 * at any time). Absence is not an error: see .state. Fills the first
 * @info->sz bytes. Errors: -EINVAL (NULL, SEALBUF_R_BAD_OPTS_SIZE).
 */
int sealbuf_udmabuf_query(struct sealbuf_udmabuf_info *info);

/*
 * 0 when this process can export (it opens and closes /dev/udmabuf);
 * otherwise the error an export would give, with the fix in its text:
 * -ENODEV (SEALBUF_R_NO_UDMABUF), -EACCES (SEALBUF_R_UDMABUF_DENIED).
 */
int sealbuf_udmabuf_check(void);

enum sealbuf_udmabuf_diag_flags {
	SEALBUF_UDMABUF_DIAG_DRIVER = 1u << 0,   /* /sys/module/udmabuf: the kernel has udmabuf */
	SEALBUF_UDMABUF_DIAG_NODE = 1u << 1,     /* /dev/udmabuf exists */
	SEALBUF_UDMABUF_DIAG_CHRDEV = 1u << 2,   /* and is a character device */
	SEALBUF_UDMABUF_DIAG_OPENS = 1u << 3,    /* and this process opens it read-write */
	SEALBUF_UDMABUF_DIAG_IN_GROUP = 1u << 4, /* this process is in the node's group */
	SEALBUF_UDMABUF_DIAG_LIMITS = 1u << 5,   /* size_limit_mb and list_limit were read */
};

struct sealbuf_udmabuf_diag {
	size_t sz;              /* sizeof(struct sealbuf_udmabuf_diag), set by the caller */
	uint32_t flags;         /* enum sealbuf_udmabuf_diag_flags */
	int32_t error;          /* 0, or what sealbuf_udmabuf_check() returns */
	uint32_t reason;        /* enum sealbuf_reason of .error; SEALBUF_R_NONE if 0 */
	uint32_t node_mode;     /* /dev/udmabuf's permission bits (st_mode & 07777) */
	uint32_t node_uid;      /* its owner */
	uint32_t node_gid;      /* its group */
	uint32_t size_limit_mb; /* live limits, as sealbuf_udmabuf_query() */
	uint32_t list_limit;
	char text[512];         /* why export cannot work, with the fix; "" when it can */
};

/*
 * Why dma-buf export does or does not work for this process, in parts a
 * tool can show: the driver, the node, its owner and mode, whether it opens
 * and the library's text with the fix (as sealbuf_udmabuf_check() gives
 * it), and the limits. Absence is not an error. Fills the first @diag->sz
 * bytes. Errors: -EINVAL (NULL, SEALBUF_R_BAD_OPTS_SIZE).
 */
int sealbuf_udmabuf_diagnose(struct sealbuf_udmabuf_diag *diag);

enum sealbuf_sync_flags {
	SEALBUF_SYNC_READ = 1u << 0,  /* the CPU reads what a device wrote */
	SEALBUF_SYNC_WRITE = 1u << 1, /* the CPU writes for a device to read */
	SEALBUF_SYNC_RW = SEALBUF_SYNC_READ | SEALBUF_SYNC_WRITE,
};

/*
 * Bracket CPU access to a dma-buf's memory (DMA_BUF_IOCTL_SYNC START, then
 * END with the same @flags), through its mmap or the region's own mapping.
 * @flags: READ, WRITE or RW, never 0. Errors: -EINVAL (flags), -EBADF (not
 * open), -EBADFD (SEALBUF_R_NOT_DMABUF), -EINVAL from end when no begin with
 * these flags came first (some kernels), kernel errnos.
 */
int sealbuf_dmabuf_sync_begin(int dmabuf_fd, uint32_t flags);
int sealbuf_dmabuf_sync_end(int dmabuf_fd, uint32_t flags);

/*
 * Name a dma-buf (DMA_BUF_SET_NAME_B), as shown in fdinfo and debugfs.
 * Errors: -ENAMETOOLONG (over SEALBUF_DMABUF_NAME_MAX), -EBADFD
 * (SEALBUF_R_NOT_DMABUF), -EOPNOTSUPP (kernel without it), -EBUSY (some
 * kernels: a device has it attached), kernel errnos.
 */
int sealbuf_dmabuf_set_name(int dmabuf_fd, const char *name);

struct sealbuf_dmabuf_info {
	size_t sz;             /* sizeof(struct sealbuf_dmabuf_info), set by the caller */
	uint64_t size;         /* bytes */
	uint64_t inode;        /* the same for every fd of one dma-buf */
	char exporter[32];     /* "udmabuf", "vgem", ... */
	char name[SEALBUF_DMABUF_NAME_MAX + 1]; /* "" when unnamed */
};

/*
 * Describe a dma-buf (from fstat and /proc/self/fdinfo). Fills the first
 * @info->sz bytes. Errors: -EINVAL, -EBADF, -EBADFD (SEALBUF_R_NOT_DMABUF).
 */
int sealbuf_dmabuf_query(int dmabuf_fd, struct sealbuf_dmabuf_info *info);

/* ------------------------------------------------------------------------ */
/* Devices: DRM (libdrm)                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Built without libdrm (-Dlibdrm=disabled), these exist and fail with
 * -EOPNOTSUPP (SEALBUF_R_NOT_SUPPORTED).
 */

enum sealbuf_drm_open_flags {
	/* Open the primary node (/dev/dri/cardN), not the render node. */
	SEALBUF_DRM_PRIMARY = 1u << 0,
};

/*
 * Open the first DRM device whose driver is @driver ("vgem", "i915", ...,
 * as drmGetVersion() names it), found with drmGetDevices2(): its render
 * node, or its primary node when it has none or SEALBUF_DRM_PRIMARY is
 * given. *ret_fd is a new close-on-exec fd owned by the caller.
 * Errors: -EINVAL, -ENODEV (SEALBUF_R_NO_DEVICE: the text lists the drivers
 * found), -EACCES (SEALBUF_R_DEVICE_DENIED: the text names the node and its
 * group), -EOPNOTSUPP.
 */
int sealbuf_drm_open(const char *driver, uint32_t flags, int *ret_fd);

/*
 * Import @dmabuf_fd into the DRM device @drm_fd (PRIME); *ret_handle is a GEM
 * handle to give back with sealbuf_drm_release(). Importing the same dma-buf
 * twice on one fd gives the same handle (the kernel counts it once).
 * @dmabuf_fd stays the caller's. Errors: -EINVAL (@drm_fd not a DRM device),
 * -EBADFD (SEALBUF_R_NOT_DMABUF), -EOPNOTSUPP (driver without PRIME import),
 * kernel errnos.
 */
int sealbuf_drm_import(int drm_fd, int dmabuf_fd, uint32_t *ret_handle);

/* Close the GEM @handle on @drm_fd. Errors: -EINVAL (no such handle), -EOPNOTSUPP. */
int sealbuf_drm_release(int drm_fd, uint32_t handle);

enum sealbuf_drm_info_flags {
	SEALBUF_DRM_INFO_RENDER = 1u << 0,       /* .node is a render node (else primary) */
	SEALBUF_DRM_INFO_OPENS = 1u << 1,        /* it opened read-write for this process */
	SEALBUF_DRM_INFO_PRIME_IMPORT = 1u << 2, /* the driver imports dma-bufs */
	SEALBUF_DRM_INFO_PRIME_EXPORT = 1u << 3, /* the driver exports dma-bufs */
};

struct sealbuf_drm_info {
	size_t sz;       /* sizeof(struct sealbuf_drm_info), set by the caller */
	uint32_t flags;  /* enum sealbuf_drm_info_flags */
	int32_t error;   /* 0, or -errno from opening .node (-EACCES: not in its group) */
	char node[64];   /* "/dev/dri/renderD128": what sealbuf_drm_open() would open */
	char driver[32]; /* "vgem", "i915", ...; "" when the node did not open */
};

/*
 * Describe the @index-th DRM device drmGetDevices2() lists (its render node,
 * or its primary node when it has none). Returns the number of devices
 * (> @index). Errors: -EINVAL (NULL, SEALBUF_R_BAD_OPTS_SIZE), -ENODEV
 * (SEALBUF_R_NO_DEVICE: @index is not below the number of devices, which
 * may be 0), -EOPNOTSUPP (built without libdrm).
 */
int sealbuf_drm_query(unsigned int index, struct sealbuf_drm_info *info);

/* ------------------------------------------------------------------------ */
/* Frames: planes of pixels in regions or dma-bufs (docs/frames.md)          */
/* ------------------------------------------------------------------------ */

/*
 * A frame is an image of one DRM format (drm_fourcc.h) whose planes live in
 * one or more buffers: sealbuf regions, or dma-bufs (from a dma-heap, a GPU
 * driver, udmabuf). It travels over a socket in one message carrying every
 * buffer's fd (version 2 of the wire format: docs/wire-format.md), arrives
 * whole or not at all, and is validated like everything else: a known
 * format, linear, every plane's stride at least its line, every offset a
 * multiple of SEALBUF_FRAME_OFFSET_ALIGN, every plane inside its buffer.
 * Formats: DRM_FORMAT_XRGB8888, ARGB8888, NV12, YUV420, YUYV; modifier
 * DRM_FORMAT_MOD_LINEAR (0) only.
 */

#define SEALBUF_FRAME_MAX_PLANES 4
#define SEALBUF_FRAME_MAX_BUFFERS 4
#define SEALBUF_FRAME_MAX_DIM 16384 /* widest and tallest frame, in pixels */
#define SEALBUF_FRAME_OFFSET_ALIGN 16

struct sealbuf_plane {
	uint32_t buffer;   /* index of the buffer holding the plane */
	uint32_t stride;   /* bytes from the start of one line to the next */
	uint64_t offset;   /* of the plane's first byte, in its buffer */
};

struct sealbuf_frame_desc {
	uint32_t fourcc;   /* DRM_FORMAT_* */
	uint32_t width;    /* pixels, 1..SEALBUF_FRAME_MAX_DIM */
	uint32_t height;   /* lines, 1..SEALBUF_FRAME_MAX_DIM */
	uint32_t nplanes;  /* the format's plane count */
	uint64_t modifier; /* DRM_FORMAT_MOD_LINEAR */
	uint32_t nbuffers; /* 1..SEALBUF_FRAME_MAX_BUFFERS, each holding a plane */
	uint32_t reserved; /* must be 0 */
	struct sealbuf_plane planes[SEALBUF_FRAME_MAX_PLANES];
};

enum sealbuf_layout_flags {
	/* Each plane in its own buffer at offset 0 (V4L2's NV12M), not all in buffer 0. */
	SEALBUF_LAYOUT_BUFFER_PER_PLANE = 1u << 0,
};

struct sealbuf_layout_opts {
	size_t sz;             /* sizeof(struct sealbuf_layout_opts) */
	uint32_t stride_align; /* power of two, at most 4096; 0 = 64 */
	uint32_t flags;        /* enum sealbuf_layout_flags */
};

/*
 * Fill *@ret_desc with a linear layout of a @width x @height frame of
 * @fourcc: strides the line size rounded up to stride_align (chroma planes
 * of YUV420 likewise), planes one after the other at aligned offsets. When
 * @ret_sizes is not NULL, ret_sizes[i] is the bytes buffer i needs (0 past
 * nbuffers). Errors: -EINVAL (dimensions, alignment, opts), -EOPNOTSUPP
 * (SEALBUF_R_FORMAT: a format not listed above).
 */
int sealbuf_frame_layout(uint32_t fourcc, uint32_t width, uint32_t height,
			 const struct sealbuf_layout_opts *opts,
			 struct sealbuf_frame_desc *ret_desc,
			 uint64_t ret_sizes[SEALBUF_FRAME_MAX_BUFFERS]);

struct sealbuf_frame;

struct sealbuf_frame_opts {
	size_t sz;         /* sizeof(struct sealbuf_frame_opts) */
	const char *heap;  /* NULL: memfd regions; "system", "cma": that dma-heap */
	const char *name;  /* regions' debug name; default "sealbuf-frame" */
	uint32_t flags;    /* enum sealbuf_create_flags, for regions */
	uint32_t reserved; /* must be 0 */
};

/*
 * Create a frame for @desc and the buffers it needs, each just large enough
 * for its planes (in whole pages): plain regions, or dma-bufs from
 * opts->heap (sealbuf_heap_alloc()), mapped read-write. Errors: those of
 * sealbuf_frame_new(), sealbuf_region_create() and sealbuf_heap_alloc().
 */
int sealbuf_frame_create(const struct sealbuf_frame_desc *desc,
			 const struct sealbuf_frame_opts *opts,
			 struct sealbuf_frame **ret_frame);

/*
 * A frame for @desc without buffers yet: give each with
 * sealbuf_frame_set_region() or sealbuf_frame_set_dmabuf() before sending it
 * or reaching its planes. Errors: -EINVAL (SEALBUF_R_PLANE_LAYOUT and others:
 * the text names the rule), -EOPNOTSUPP (SEALBUF_R_FORMAT), -ENOMEM.
 */
int sealbuf_frame_new(const struct sealbuf_frame_desc *desc, struct sealbuf_frame **ret_frame);

/*
 * Make @region buffer @index of @frame. The frame takes the region: it frees
 * it with itself, and on failure at once. Errors: -EINVAL (index, already
 * set, SEALBUF_R_PLANE_LAYOUT: a plane does not fit in the region's data),
 * -EMEDIUMTYPE (not a plain region).
 */
int sealbuf_frame_set_region(struct sealbuf_frame *frame, uint32_t index,
			     struct sealbuf_region *region);

/*
 * Make the dma-buf @dmabuf_fd buffer @index of @frame and map it (read-write
 * when the fd allows). The frame takes the fd: closed with the frame, and on
 * failure at once. Errors: -EINVAL (index, already set,
 * SEALBUF_R_PLANE_LAYOUT), -EBADFD (SEALBUF_R_NOT_DMABUF), mmap's errnos.
 */
int sealbuf_frame_set_dmabuf(struct sealbuf_frame *frame, uint32_t index, int dmabuf_fd);

/* Unmap and close every buffer, then free. NULL is a no-op. */
void sealbuf_frame_free(struct sealbuf_frame *frame);

/* The frame's description (owned by the frame). */
const struct sealbuf_frame_desc *sealbuf_frame_desc(const struct sealbuf_frame *frame);

/* First byte of plane @plane in this process; NULL when out of range or its buffer is unset. */
void *sealbuf_frame_plane(const struct sealbuf_frame *frame, uint32_t plane);

enum sealbuf_buffer_kind {
	SEALBUF_BUFFER_REGION = 1,
	SEALBUF_BUFFER_DMABUF = 2,
};

struct sealbuf_buffer_info {
	size_t sz;         /* sizeof(struct sealbuf_buffer_info), set by the caller */
	uint32_t kind;     /* enum sealbuf_buffer_kind; 0 while unset */
	uint32_t writable; /* 1 when mapped read-write here */
	uint64_t size;     /* bytes mapped */
	char exporter[32]; /* dma-buf: "system", "udmabuf", "vgem", ...; region: "" */
};

/*
 * Describe buffer @index of @frame. Fills the first @info->sz bytes.
 * Errors: -EINVAL (NULL, index, SEALBUF_R_BAD_OPTS_SIZE).
 */
int sealbuf_frame_buffer_info(const struct sealbuf_frame *frame, uint32_t index,
			      struct sealbuf_buffer_info *info);

/* Buffer @index's region (still the frame's), or NULL if it is a dma-buf or unset. */
struct sealbuf_region *sealbuf_frame_region(const struct sealbuf_frame *frame, uint32_t index);

/*
 * A dma-buf of buffer @index for a device: a new fd of the dma-buf itself,
 * or an export of the region (sealbuf_region_export()). *@ret_dmabuf_fd is
 * the caller's. Errors: -EINVAL, those of sealbuf_region_export(), kernel errnos.
 */
int sealbuf_frame_export(const struct sealbuf_frame *frame, uint32_t index, int *ret_dmabuf_fd);

/*
 * Send @frame, its description and one fd per buffer, in one message on
 * @sock. @flags: SEALBUF_SHARE_RDONLY shares every region buffer read-only
 * (-EOPNOTSUPP with a dma-buf buffer: a dma-buf cannot be made read-only).
 * Errors: -EINVAL (a buffer unset), those of sealbuf_region_send().
 */
int sealbuf_frame_send(int sock, const struct sealbuf_frame *frame, uint32_t flags);

struct sealbuf_frame_recv_opts {
	size_t sz;          /* sizeof(struct sealbuf_frame_recv_opts) */
	/* enum sealbuf_open_flags (RDONLY, KEEP_HANDLE: for region buffers) | enum sealbuf_recv_flags */
	uint32_t flags;
	int timeout_ms;     /* as poll(2): < 0 forever, 0 do not wait, > 0 ms */
	/* dma-buf exporters allowed ("system", "udmabuf", ...), NULL-terminated; NULL: any */
	const char *const *exporters;
	/* As in struct sealbuf_recv_opts: accept only these uids (or, with SAME_UID, ours). */
	const uint32_t *allow_uids;
	uint32_t n_allow_uids;
	uint32_t reserved;  /* must be 0 */
	/* If not NULL (its .sz set): who sent the frame, filled on success. */
	struct sealbuf_peer *ret_peer;
};

/*
 * Receive one frame from @sock: the message and exactly one fd per buffer,
 * each validated (a region as sealbuf_region_recv() does; a dma-buf as a
 * dma-buf of the declared size from the declared exporter, which @opts
 * allows), every plane inside its buffer; then map it. All or nothing: on
 * any failure every fd is closed and nothing stays mapped. NULL @opts waits
 * forever and allows any exporter. Who sent it: ret_peer,
 * SEALBUF_RECV_SAME_UID, SEALBUF_RECV_PEER_PIDFD and allow_uids as in
 * sealbuf_region_recv(); a sender refused (-EACCES, SEALBUF_R_PEER_REFUSED)
 * has every fd of its message closed before any is opened or mapped.
 * A version 1 message (a region) is
 * -EPROTONOSUPPORT (SEALBUF_R_VERSION). Errors: those of
 * sealbuf_region_recv(), -EBADMSG (SEALBUF_R_PLANE_LAYOUT), -EOPNOTSUPP
 * (SEALBUF_R_FORMAT), -EPERM (SEALBUF_R_EXPORTER), -ERANGE
 * (SEALBUF_R_SIZE_MISMATCH), -EBADFD (SEALBUF_R_NOT_DMABUF).
 */
int sealbuf_frame_recv(int sock, const struct sealbuf_frame_recv_opts *opts,
		       struct sealbuf_frame **ret_frame);

/* ------------------------------------------------------------------------ */
/* dma-heaps and sync files                                                  */
/* ------------------------------------------------------------------------ */

/*
 * Allocate @size bytes (rounded up to pages) from the dma-heap @heap
 * (/dev/dma_heap/@heap: "system" for pages, "cma" or a named CMA area for
 * physically contiguous memory) as a dma-buf. @flags must be 0.
 * *@ret_dmabuf_fd is a new close-on-exec read-write fd, the caller's.
 * Errors: -EINVAL (size 0, flags, a name with '/' or starting with '.'), -ENODEV
 * (SEALBUF_R_NO_HEAP: the text lists the heaps there are), -EACCES
 * (SEALBUF_R_HEAP_DENIED: the text gives the udev rule), -ENOMEM
 * (SEALBUF_R_HEAP_EXHAUSTED), -EOVERFLOW, kernel errnos.
 */
int sealbuf_heap_alloc(const char *heap, size_t size, uint32_t flags, int *ret_dmabuf_fd);

/*
 * The dma-heaps of this machine, as names separated by spaces in @buf
 * (@len bytes, NUL-terminated; "" when none), sorted. Returns how many.
 * Errors: -EINVAL (NULL), -ENOBUFS (SEALBUF_R_BUFFER_TOO_SMALL).
 */
int sealbuf_heap_list(char *buf, size_t len);

/*
 * A sync file of @dmabuf_fd's implicit fences (DMA_BUF_IOCTL_EXPORT_SYNC_FILE,
 * Linux 6.0+): with SEALBUF_SYNC_READ the fences a reader waits for (the
 * writers'), with SEALBUF_SYNC_WRITE (or RW) all of them. *@ret_sync_fd is
 * the caller's. Errors: -EINVAL (flags), -EBADFD (SEALBUF_R_NOT_DMABUF),
 * -EOPNOTSUPP (SEALBUF_R_NOT_SUPPORTED: a kernel without the ioctl), kernel errnos.
 */
int sealbuf_dmabuf_export_sync_file(int dmabuf_fd, uint32_t flags, int *ret_sync_fd);

/*
 * Add the fence of @sync_fd to @dmabuf_fd's implicit fences
 * (DMA_BUF_IOCTL_IMPORT_SYNC_FILE): as a write fence with SEALBUF_SYNC_WRITE
 * (readers and writers then wait for it), a read fence with SEALBUF_SYNC_READ.
 * @sync_fd stays the caller's. Errors: as sealbuf_dmabuf_export_sync_file(),
 * and -EINVAL from the kernel when @sync_fd is not a sync file.
 */
int sealbuf_dmabuf_import_sync_file(int dmabuf_fd, uint32_t flags, int sync_fd);

/*
 * Wait until the sync file @sync_fd signals; @timeout_ms as poll(2).
 * Errors: -ETIMEDOUT (SEALBUF_R_TIMEOUT), -EAGAIN (SEALBUF_R_WOULD_BLOCK:
 * @timeout_ms 0 and not signalled), -EBADF, -EINVAL (not a sync file),
 * kernel errnos.
 */
int sealbuf_sync_file_wait(int sync_fd, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* SEALBUF_H */
