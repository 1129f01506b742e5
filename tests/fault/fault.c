/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wrappers behind fault.h. meson links test-fault with
 * -Wl,--wrap=NAME for each NAME below; both the plain and the 64-bit-offset
 * names are wrapped, since _FILE_OFFSET_BITS decides which the library
 * references. Single-threaded by design.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "fault.h"

static struct {
	bool on, tracing, fired, short_sends;
	int nth, err, count;
	struct fault_call calls[FAULT_MAX_CALLS];
	long heap_live;
} F;

void fault_trace(void)
{
	F.on = true;
	F.tracing = true;
	F.nth = -1;
	F.count = 0;
	F.fired = false;
}

void fault_arm(int nth, int err)
{
	F.on = true;
	F.tracing = false;
	F.nth = nth;
	F.err = err;
	F.count = 0;
	F.fired = false;
}

int fault_stop(void)
{
	F.on = false;
	return F.count;
}

const struct fault_call *fault_calls(void)
{
	return F.calls;
}

bool fault_fired(void)
{
	return F.fired;
}

void fault_short_sends(bool on)
{
	F.short_sends = on;
}

long fault_heap_live(void)
{
	return F.heap_live;
}

/* Count this call; true (errno set) when it is the one to fail. */
static bool hit(const char *fn, long ctx)
{
	int i;

	if (!F.on)
		return false;
	i = F.count++;
	if (F.tracing && i < FAULT_MAX_CALLS)
		F.calls[i] = (struct fault_call){ fn, ctx };
	if (i != F.nth)
		return false;
	F.fired = true;
	errno = F.err;
	return true;
}

#define WRAP(ret, name, fail, params, args)                                    \
	ret __real_##name params;                                              \
	ret __wrap_##name params;                                              \
	ret __wrap_##name params                                               \
	{                                                                      \
		if (hit(#name, FAULT_ANY_CTX))                                 \
			return fail;                                           \
		return __real_##name args;                                     \
	}
/* The same, under a second symbol name that reports as @shown. */
#define WRAP_AS(ret, name, shown, fail, params, args)                         \
	ret __real_##name params;                                              \
	ret __wrap_##name params;                                              \
	ret __wrap_##name params                                               \
	{                                                                      \
		if (hit(shown, FAULT_ANY_CTX))                                 \
			return fail;                                           \
		return __real_##name args;                                     \
	}

WRAP(int, memfd_create, -1, (const char *n, unsigned int f), (n, f))
WRAP(int, ftruncate, -1, (int fd, off_t l), (fd, l))
WRAP_AS(int, ftruncate64, "ftruncate", -1, (int fd, off_t l), (fd, l))
WRAP(int, fallocate, -1, (int fd, int m, off_t o, off_t l), (fd, m, o, l))
WRAP_AS(int, fallocate64, "fallocate", -1, (int fd, int m, off_t o, off_t l), (fd, m, o, l))
WRAP(void *, mmap, (void *)-1, (void *a, size_t l, int p, int f, int fd, off_t o),
     (a, l, p, f, fd, o))
WRAP_AS(void *, mmap64, "mmap", (void *)-1, (void *a, size_t l, int p, int f, int fd, off_t o),
	(a, l, p, f, fd, o))
WRAP(int, fchmod, -1, (int fd, mode_t m), (fd, m))
WRAP(int, fstat, -1, (int fd, void *st), (fd, st))
WRAP_AS(int, fstat64, "fstat", -1, (int fd, void *st), (fd, st))
WRAP(int, fstatfs, -1, (int fd, void *st), (fd, st))
WRAP_AS(int, fstatfs64, "fstatfs", -1, (int fd, void *st), (fd, st))
WRAP(ssize_t, readlink, -1, (const char *p, char *b, size_t n), (p, b, n))
WRAP(int, getsockopt, -1, (int fd, int l, int o, void *v, socklen_t *n), (fd, l, o, v, n))
WRAP(int, poll, -1, (void *p, unsigned long n, int t), (p, n, t))
WRAP(int, madvise, -1, (void *a, size_t l, int adv), (a, l, adv))
WRAP(ssize_t, recvmsg, -1, (int fd, struct msghdr *m, int f), (fd, m, f))
WRAP(FILE *, fopen, NULL, (const char *p, const char *m), (p, m))
WRAP(ssize_t, pwrite, -1, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
WRAP_AS(ssize_t, pwrite64, "pwrite", -1, (int fd, const void *b, size_t n, off_t o),
	(fd, b, n, o))
WRAP(ssize_t, read, -1, (int fd, void *b, size_t n), (fd, b, n))
WRAP(int, getrlimit, -1, (int res, void *rl), (res, rl))
WRAP_AS(int, getrlimit64, "getrlimit", -1, (int res, void *rl), (res, rl))
WRAP_AS(FILE *, fopen64, "fopen", NULL, (const char *p, const char *m), (p, m))

/* open and fcntl take an optional third argument. */
int __real_open(const char *p, int f, ...);
int __real_open64(const char *p, int f, ...);
int __wrap_open(const char *p, int f, ...);
int __wrap_open64(const char *p, int f, ...);

static mode_t open_mode(va_list ap, int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

static long open_ctx(const char *p)
{
	if (!strcmp(p, "/dev/udmabuf"))
		return FAULT_OPEN_UDMABUF;
	if (!strncmp(p, "/sys/", 5))
		return FAULT_OPEN_SYS;
	return strncmp(p, "/proc/", 6) ? FAULT_OPEN_OTHER : FAULT_OPEN_PROC;
}

int __wrap_open(const char *p, int f, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, f);
	m = open_mode(ap, f);
	va_end(ap);
	return hit("open", open_ctx(p)) ? -1 : __real_open(p, f, m);
}

int __wrap_open64(const char *p, int f, ...)
{
	va_list ap;
	mode_t m;

	va_start(ap, f);
	m = open_mode(ap, f);
	va_end(ap);
	return hit("open", open_ctx(p)) ? -1 : __real_open64(p, f, m);
}

int __real_fcntl(int fd, int cmd, ...);
int __real_fcntl64(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl64(int fd, int cmd, ...);

/* Every command the library uses takes an int (or nothing, read as garbage and ignored). */
int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return hit("fcntl", cmd) ? -1 : __real_fcntl(fd, cmd, arg);
}

int __wrap_fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	return hit("fcntl", cmd) ? -1 : __real_fcntl64(fd, cmd, arg);
}

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return hit("ioctl", (long)req) ? -1 : __real_ioctl(fd, req, arg);
}

/* syscall(2): the futex calls; ctx is the system call number. */
long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);

long __wrap_syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return hit("syscall", nr) ? -1 : __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

ssize_t __real_sendmsg(int fd, const struct msghdr *m, int f);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int f);

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int f)
{
	struct msghdr one;
	struct iovec iov;

	if (hit("sendmsg", FAULT_ANY_CTX))
		return -1;
	if (!F.short_sends || m->msg_iovlen != 1 || m->msg_iov[0].iov_len <= 1)
		return __real_sendmsg(fd, m, f);
	one = *m;
	iov = (struct iovec){ m->msg_iov[0].iov_base, 1 };
	one.msg_iov = &iov;
	return __real_sendmsg(fd, &one, f);
}

/* The heap: counted always, failed on demand. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t s);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t s);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n)
{
	void *p = hit("malloc", FAULT_ANY_CTX) ? NULL : __real_malloc(n);

	F.heap_live += p != NULL;
	return p;
}

void *__wrap_calloc(size_t n, size_t s)
{
	void *p = hit("calloc", FAULT_ANY_CTX) ? NULL : __real_calloc(n, s);

	F.heap_live += p != NULL;
	return p;
}

void __wrap_free(void *p)
{
	F.heap_live -= p != NULL;
	__real_free(p);
}
