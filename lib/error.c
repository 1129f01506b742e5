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

static const char *const reason_names[_SEALBUF_R_COUNT] = {
#define R(x) [SEALBUF_R_##x] = "SEALBUF_R_" #x
	R(NONE), R(INVALID_ARGUMENT), R(UNKNOWN_FLAGS), R(BAD_OPTS_SIZE),
	R(SIZE_OVERFLOW), R(TOO_LARGE), R(NO_MEMORY), R(NAME_TOO_LONG),
	R(SYSCALL), R(NOT_MEMFD), R(SEALS_MISSING), R(SEALS_EXTRA),
	R(NOT_SEALABLE), R(SIZE_MISMATCH), R(ACCESS_MODE), R(BAD_MESSAGE),
	R(VERSION), R(TRUNCATED), R(NO_FD), R(EXTRA_FDS), R(PEER_CLOSED),
	R(TIMEOUT), R(WOULD_BLOCK), R(WRONG_KIND), R(READ_ONLY),
	R(BUFFER_TOO_SMALL), R(HEADER_MAGIC), R(HEADER_VERSION),
	R(HEADER_CAPACITY), R(HEADER_SIZE), R(CONTENDED), R(WRITER_STALLED),
	R(NO_UDMABUF), R(UDMABUF_DENIED), R(UDMABUF_SIZE_LIMIT),
	R(UDMABUF_LIST_LIMIT), R(MISALIGNED), R(RANGE), R(EMPTY),
	R(HUGETLB_NO_PAGES), R(NO_DEVICE), R(NOT_SUPPORTED), R(NOT_DMABUF),
	R(NO_HANDLE), R(DEVICE_DENIED), R(NO_RDMA_DEVICE), R(MEMLOCK_LIMIT),
	R(PEER_UNREACHABLE), R(REMOTE_ACCESS), R(NO_DMABUF_MR), R(TRANSFER_FAILED),
#undef R
};

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
	return reason_names[reason];
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
	sb_log_at(LOG_DEBUG, file, line, fn, "%s (%s)", last.text,
		  reason_names[reason]);
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
