/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-thread failure reasons and the caller's log hook. */
#include <stdio.h>

#include "internal.h"

static sealbuf_log_fn log_fn;
static void *log_userdata;

static _Thread_local struct {
	enum sealbuf_reason reason;
	char text[512];
} last;

/*
 * The one table of reasons: each one's name and the errnos it comes with
 * (0-terminated; SYSCALL passes the kernel's on). sealbuf.h's enum comments
 * say the same, and tests/reasons-check.py holds both to every call site.
 */
#define ERRNOS(...) { __VA_ARGS__, 0 }
static const struct {
	const char *name;
	int errnos[4];
} reasons[_SEALBUF_R_COUNT] = {
#define R(x, ...) [SEALBUF_R_##x] = { "SEALBUF_R_" #x, ERRNOS(__VA_ARGS__) }
	R(NONE, 0),
	R(INVALID_ARGUMENT, EINVAL, EBADF, ENOTSOCK),
	R(UNKNOWN_FLAGS, EINVAL),
	R(BAD_OPTS_SIZE, EINVAL),
	R(SIZE_OVERFLOW, EOVERFLOW),
	R(TOO_LARGE, EFBIG),
	R(NO_MEMORY, ENOMEM, ENOSPC),
	R(NAME_TOO_LONG, ENAMETOOLONG),
	R(SYSCALL, 0),
	R(NOT_MEMFD, EBADFD),
	R(SEALS_MISSING, EPERM),
	R(SEALS_EXTRA, EPERM),
	R(NOT_SEALABLE, EPERM),
	R(SIZE_MISMATCH, ERANGE),
	R(ACCESS_MODE, EACCES),
	R(BAD_MESSAGE, EBADMSG),
	R(VERSION, EPROTONOSUPPORT),
	R(TRUNCATED, EPROTO),
	R(NO_FD, EBADMSG),
	R(EXTRA_FDS, EBADMSG),
	R(PEER_CLOSED, ECONNRESET, EPIPE, ENOTCONN),
	R(TIMEOUT, ETIMEDOUT),
	R(WOULD_BLOCK, EAGAIN),
	R(WRONG_KIND, EMEDIUMTYPE),
	R(READ_ONLY, EROFS),
	R(BUFFER_TOO_SMALL, ENOBUFS),
	R(HEADER_MAGIC, EBADMSG),
	R(HEADER_VERSION, EPROTONOSUPPORT),
	R(HEADER_CAPACITY, ERANGE),
	R(HEADER_SIZE, ERANGE),
	R(CONTENDED, EAGAIN),
	R(WRITER_STALLED, EOWNERDEAD),
	R(NO_UDMABUF, ENODEV),
	R(UDMABUF_DENIED, EACCES),
	R(UDMABUF_SIZE_LIMIT, E2BIG),
	R(UDMABUF_LIST_LIMIT, E2BIG),
	R(MISALIGNED, EINVAL),
	R(RANGE, ERANGE),
	R(EMPTY, ENODATA),
	R(HUGETLB_NO_PAGES, ENOMEM),
	R(NO_DEVICE, ENODEV),
	R(NOT_SUPPORTED, EOPNOTSUPP),
	R(NOT_DMABUF, EBADFD),
	R(NO_HANDLE, EBADF),
	R(DEVICE_DENIED, EACCES),
	R(SHARED_READ_ONLY, EPERM),
	R(FROZEN, EPERM, EROFS),
	R(WRITABLE_MAPPING, EBUSY),
	R(PEER_REFUSED, EACCES),
	R(FORMAT, EOPNOTSUPP),
	R(PLANE_LAYOUT, EINVAL, EBADMSG),
	R(NO_HEAP, ENODEV),
	R(HEAP_DENIED, EACCES),
	R(HEAP_EXHAUSTED, ENOMEM),
	R(EXPORTER, EPERM),
	R(NO_RDMA_DEVICE, ENODEV),
	R(MEMLOCK_LIMIT, ENOMEM),
	R(PEER_UNREACHABLE, EHOSTUNREACH, ECONNREFUSED),
	R(REMOTE_ACCESS, EACCES),
	R(NO_DMABUF_MR, EOPNOTSUPP),
	R(TRANSFER_FAILED, EIO),
#undef R
};

int sb_reason_errno_ok(enum sealbuf_reason reason, int err)
{
	if ((unsigned)reason >= _SEALBUF_R_COUNT || !reasons[reason].name)
		return 0;
	if (reason == SEALBUF_R_SYSCALL)
		return err < 0;
	for (const int *e = reasons[reason].errnos; *e; e++)
		if (err == -*e)
			return 1;
	return 0;
}

SEALBUF_EXPORT enum sealbuf_reason sealbuf_last_reason(void)
{
	return last.reason;
}

SEALBUF_EXPORT const char *sealbuf_last_error(void)
{
	return last.text;
}

SEALBUF_EXPORT const char *sealbuf_reason_name(enum sealbuf_reason reason)
{
	if ((unsigned)reason >= _SEALBUF_R_COUNT)
		return NULL;
	return reasons[reason].name;
}

SEALBUF_EXPORT void sealbuf_set_log_fn(sealbuf_log_fn fn, void *userdata)
{
	log_fn = fn;
	log_userdata = userdata;
}

static void SB_PRINTF(5, 0) log_va(int prio, const char *file, int line,
				   const char *fn, const char *fmt, va_list ap)
{
	char msg[512];

	if (!log_fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_fn(log_userdata, prio, file, line, fn, msg);
}

void sb_log_at(int prio, const char *file, int line, const char *fn,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(prio, file, line, fn, fmt, ap);
	va_end(ap);
}

static int SB_PRINTF(6, 0) fail_va(int err, enum sealbuf_reason reason, const char *file,
				   int line, const char *fn, const char *fmt, va_list ap)
{
	/* Keep errno intact: callers may log it after we return. */
	int saved = errno;

	if ((unsigned)reason >= _SEALBUF_R_COUNT)
		reason = SEALBUF_R_INVALID_ARGUMENT;
	last.reason = reason;
	vsnprintf(last.text, sizeof(last.text), fmt, ap);
	sb_log_at(LOG_DEBUG, file, line, fn, "%s (%s)", last.text, reasons[reason].name);
	/* A reason with an errno the table does not give it is a bug here: say so loudly. */
	if (!sb_reason_errno_ok(reason, err))
		sb_log_at(LOG_ERR, file, line, fn, "sealbuf bug: %s returned with errno %d, not in its table",
			  reasons[reason].name, -err);
	errno = saved;
	return err;
}

int sb_fail_at(int err, enum sealbuf_reason reason, const char *file, int line,
	       const char *fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = fail_va(err, reason, file, line, fn, fmt, ap);
	va_end(ap);
	return err;
}

/* The same two, for libraries built on this one (libsealbuf-rdma). */
SEALBUF_EXPORT int sealbuf_fail_at(int err, enum sealbuf_reason reason, const char *file,
				   int line, const char *fn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = fail_va(err, reason, file, line, fn, fmt, ap);
	va_end(ap);
	return err;
}

SEALBUF_EXPORT void sealbuf_log_at(int priority, const char *file, int line, const char *fn,
				   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(priority, file, line, fn, fmt, ap);
	va_end(ap);
}
