/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fault injection: every libc call of every public operation fails in turn. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "fault.h"
#include "testlib.h"

#define ANY (-1)
#define SAME_ERRNO 1 /* a rule's ret: the injected errno itself, SEALBUF_R_SYSCALL */

/*
 * What the caller must see when a call fails with an errno. Rules are
 * tried in order; ctx ANY matches every fcntl/ioctl command, err 0 every
 * errno. No matching rule: the kernel's errno with SEALBUF_R_SYSCALL.
 * ret 0 means the library recovers and the operation succeeds.
 */
struct rule {
	const char *fn;
	long ctx;
	int err;
	int ret;
	enum sealbuf_reason reason;
	const char *op; /* only in operations whose name starts so ("NAME@N": at call N); NULL: all */
};

static const struct rule rules[] = {
	/* Each sys.c wrapper retries EINTR. */
	{ "memfd_create", ANY, EINTR, 0, 0, NULL },
	{ "ftruncate", ANY, EINTR, 0, 0, NULL },
	{ "fallocate", ANY, EINTR, 0, 0, NULL },
	{ "fcntl", ANY, EINTR, 0, 0, NULL },
	{ "open", ANY, EINTR, 0, 0, NULL },
	{ "sendmsg", ANY, EINTR, 0, 0, NULL },
	{ "recvmsg", ANY, EINTR, 0, 0, NULL },
	{ "poll", ANY, EINTR, 0, 0, NULL },
	{ "ioctl", ANY, EINTR, 0, 0, NULL },
	/* dma-buf export: /dev/udmabuf, its limits in /sys, the fault-in, the ioctls. */
	{ "open", FAULT_OPEN_UDMABUF, ENOENT, -ENODEV, SEALBUF_R_NO_UDMABUF, NULL },
	{ "open", FAULT_OPEN_UDMABUF, EACCES, -EACCES, SEALBUF_R_UDMABUF_DENIED, NULL },
	{ "open", FAULT_OPEN_SYS, 0, 0, 0, NULL }, /* limits unreadable: udmabuf's defaults */
	{ "fstat", ANY, EBADF, -EBADF, SEALBUF_R_INVALID_ARGUMENT, "export_memfd@0" },
	{ "fstat", ANY, ENOMEM, -ENOMEM, SEALBUF_R_SYSCALL, "export_memfd@0" },
	{ "fstat", ANY, 0, 0, 0, "export" },   /* counting holes: the fault-in will tell */
	{ "fstatfs", ANY, 0, 0, 0, "export" }, /* is it hugetlbfs? taken as not */
	/* Mapping a bare memfd to fault it in: its access mode was checked before. */
	{ "mmap", ANY, EACCES, SAME_ERRNO, 0, "export" },
	{ "madvise", ANY, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, "export" },
	{ "madvise", ANY, EFAULT, -ENOMEM, SEALBUF_R_NO_MEMORY, "export" },
	{ "ioctl", (long)UDMABUF_CREATE, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, NULL },
	{ "ioctl", (long)UDMABUF_CREATE_LIST, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, NULL },
	{ "ioctl", (long)UDMABUF_CREATE, EBADF, -EBADFD, SEALBUF_R_NOT_MEMFD, NULL },
	{ "ioctl", (long)UDMABUF_CREATE_LIST, EBADF, -EBADFD, SEALBUF_R_NOT_MEMFD, NULL },
	/* Naming: a name the caller chose must be given; the default one is best effort. */
	{ "ioctl", (long)DMA_BUF_SET_NAME_B, ENOTTY, -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
	  "export_named" },
	{ "ioctl", (long)DMA_BUF_SET_NAME_B, EINTR, 0, 0, NULL },
	{ "ioctl", (long)DMA_BUF_SET_NAME_B, 0, SAME_ERRNO, 0, "export_named" },
	{ "ioctl", (long)DMA_BUF_SET_NAME_B, 0, 0, 0, "export" },
	/* Sync files: a kernel before 6.0 has no such ioctl. */
	{ "ioctl", (long)DMA_BUF_IOCTL_EXPORT_SYNC_FILE, ENOTTY, -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
	  NULL },
	{ "fstatfs", ANY, 0, -EBADF, SEALBUF_R_INVALID_ARGUMENT, "sync_file" }, /* is it a dma-buf? */
	{ "madvise", ANY, 0, 0, 0, NULL },  /* prefault falls back to touching each page */
	{ "readlink", ANY, 0, 0, 0, NULL }, /* no /proc: the seal check still stands guard */
	{ "fopen", ANY, 0, 0, 0, NULL },    /* no /proc/meminfo or cgroup files: no up-front check */
	{ "recvmsg", ANY, EAGAIN, 0, 0, NULL }, /* woken for nothing: wait again */
	{ "read", ANY, 0, 0, 0, NULL },      /* a cgroup file unreadable: no limit known there */
	{ "getrlimit", ANY, 0, 0, 0, NULL }, /* RLIMIT_FSIZE unknown: ftruncate still checks */
	{ "pwrite", ANY, 0, 0, 0, NULL },    /* read-only reader's flag: it polls instead */
	/* futex: EINTR retried, EAGAIN (seq moved) and ETIMEDOUT are answers, not errors. */
	{ "syscall", SYS_futex, EINTR, 0, 0, NULL },
	{ "syscall", SYS_futex, EAGAIN, 0, 0, NULL },
	{ "syscall", SYS_futex, ETIMEDOUT, 0, 0, NULL },
	{ "syscall", SYS_futex, 0, 0, 0, "write" }, /* a failed wake: sleepers time out and look */
	{ "ftruncate", ANY, EFBIG, -EFBIG, SEALBUF_R_TOO_LARGE, NULL },
	{ "ftruncate", ANY, EINVAL, -EFBIG, SEALBUF_R_TOO_LARGE, NULL },
	{ "fallocate", ANY, ENOSPC, -ENOSPC, SEALBUF_R_NO_MEMORY, NULL },
	{ "fallocate", ANY, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, NULL },
	{ "fallocate", ANY, EFBIG, -EFBIG, SEALBUF_R_TOO_LARGE, NULL },
	/* No seals to read (EINVAL: not shmem; EBADF: an O_PATH fd): not a usable memfd. */
	{ "fcntl", F_GET_SEALS, 0, -EBADFD, SEALBUF_R_NOT_MEMFD, NULL },
	{ "mmap", ANY, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, NULL },
	{ "mmap", ANY, EACCES, -EACCES, SEALBUF_R_ACCESS_MODE, NULL },
	{ "sendmsg", ANY, EPIPE, -EPIPE, SEALBUF_R_PEER_CLOSED, NULL },
	{ "sendmsg", ANY, ECONNRESET, -ECONNRESET, SEALBUF_R_PEER_CLOSED, NULL },
	{ "sendmsg", ANY, EAGAIN, -EAGAIN, SEALBUF_R_WOULD_BLOCK, NULL },
	{ "recvmsg", ANY, ECONNRESET, -ECONNRESET, SEALBUF_R_PEER_CLOSED, NULL },
	/* The received fd is not open. */
	{ "fstat", ANY, EBADF, -EBADF, SEALBUF_R_INVALID_ARGUMENT, "open" },
	{ "fstat", ANY, EBADF, -EBADF, SEALBUF_R_INVALID_ARGUMENT, "recv" },
	/* Read-only shares: F_SEAL_FUTURE_WRITE is the guard; dropping the mode bits is best effort. */
	{ "fchmod", ANY, 0, 0, 0, NULL },
	{ "fstat", ANY, 0, 0, 0, "share_rdonly" },
	{ "fstat", ANY, 0, 0, 0, "send_rdonly" },
	{ "fcntl", F_ADD_SEALS, EINVAL, -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED, "share_rdonly" },
	{ "fcntl", F_ADD_SEALS, EINVAL, -EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED, "send_rdonly" },
	{ "fcntl", F_ADD_SEALS, EPERM, -EPERM, SEALBUF_R_SEALS_EXTRA, "share_rdonly" },
	{ "fcntl", F_ADD_SEALS, EPERM, -EPERM, SEALBUF_R_SEALS_EXTRA, "send_rdonly" },
	{ "getsockopt", ANY, ENOTSOCK, -ENOTSOCK, SEALBUF_R_INVALID_ARGUMENT, NULL },
	{ "calloc", ANY, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, NULL },
	{ "malloc", ANY, ENOMEM, -ENOMEM, SEALBUF_R_NO_MEMORY, NULL },
};

/* The errnos each call can really give (its man page), EINTR where it can block. */
static const struct {
	const char *fn;
	int errs[8];
} errnos[] = {
	{ "memfd_create", { EMFILE, ENFILE, ENOMEM, EINTR } },
	{ "ftruncate", { EFBIG, EINVAL, EPERM, EIO, EINTR } },
	{ "fallocate", { ENOSPC, ENOMEM, EFBIG, EIO, EOPNOTSUPP, EINTR } },
	{ "fcntl", { EINVAL, EBADF, EPERM, EBUSY, EMFILE, EINTR } },
	{ "mmap", { ENOMEM, EACCES, EAGAIN, ENODEV, EPERM } },
	{ "open", { EMFILE, ENFILE, EACCES, ENOENT, ENOMEM, EINTR } },
	{ "ioctl", { EINVAL, ENOTTY, ENOMEM, EBADF, EBUSY, EINTR } },
	{ "fstat", { EBADF, ENOMEM } },
	{ "fchmod", { EPERM, EROFS, EIO } },
	{ "fstatfs", { ENOMEM, EIO } },
	{ "readlink", { ENOENT, EACCES } },
	{ "getsockopt", { ENOTSOCK, EBADF } },
	{ "poll", { ENOMEM, EINTR } },
	{ "madvise", { EINVAL, ENOMEM, EINTR } },
	{ "sendmsg", { EPIPE, ECONNRESET, EAGAIN, ENOBUFS, ENOMEM, ETOOMANYREFS, EINTR } },
	{ "recvmsg", { ECONNRESET, EAGAIN, ENOMEM, EINTR } },
	{ "pwrite", { EBADF, EIO } },
	{ "read", { EIO, EINTR } },
	{ "getrlimit", { EFAULT } },
	{ "syscall", { EINTR, EAGAIN, ETIMEDOUT, EFAULT, ENOSYS } },
	{ "calloc", { ENOMEM } },
	{ "malloc", { ENOMEM } },
	{ "fopen", { ENOENT, EMFILE } },
};

static const int *errnos_of(const char *fn)
{
	for (size_t i = 0; i < (sizeof(errnos) / sizeof(errnos[0])); i++)
		if (!strcmp(errnos[i].fn, fn))
			return errnos[i].errs;
	fail_msg("no errno list for %s: add one to test-fault.c", fn);
	return NULL;
}

/* Whether @rule's op ("PREFIX" or "PREFIX@N") covers call @nth of operation @op. */
static bool op_matches(const char *rule, const char *op, int nth)
{
	const char *at;

	if (!rule)
		return true;
	at = strchr(rule, '@');
	if (!at)
		return !strncmp(op, rule, strlen(rule));
	return !strncmp(op, rule, (size_t)(at - rule)) && atoi(at + 1) == nth;
}

static const struct rule *rule_for(const char *op, const struct fault_call *c, int nth, int err)
{
	static struct rule fallback;

	for (size_t i = 0; i < (sizeof(rules) / sizeof(rules[0])); i++) {
		const struct rule *r = &rules[i];
		if (!strcmp(r->fn, c->fn) && (r->ctx == ANY || r->ctx == c->ctx) &&
		    (!r->err || r->err == err) && op_matches(r->op, op, nth))
			return r;
	}
	fallback = (struct rule){ c->fn, ANY, err, -err, SEALBUF_R_SYSCALL, NULL };
	return &fallback;
}

/* One public operation: set-up and clean-up run with no fault armed. */
struct ctx {
	struct sealbuf_region *src, *out, *src2;
	struct sealbuf_frame *frame, *frame_out;
	int sv[2], fd, memfd;
	size_t size;
};

struct op {
	const char *name;
	int sock;         /* socket type, or 0 for none */
	uint32_t share;   /* sealbuf_share_flags for share/send set-ups */
	uint32_t flags;   /* create, open or receive flags */
	size_t size;
	int timeout_ms;   /* receive timeout (0: 5 s) */
	int base;         /* what the operation returns with no fault (0, or an error)... */
	enum sealbuf_reason base_reason; /* ...and its reason */
	void (*setup)(const struct op *op, struct ctx *c);
	int (*run)(const struct op *op, struct ctx *c);
};

static void setup_none(const struct op *op, struct ctx *c)
{
}

static void setup_region(const struct op *op, struct ctx *c)
{
	assert_int_equal(sealbuf_region_create(op->size, NULL, &c->src), 0);
	if (op->sock)
		tl_socketpair(op->sock, c->sv);
}

static void setup_socket(const struct op *op, struct ctx *c)
{
	tl_socketpair(op->sock, c->sv);
}

static void setup_fd(const struct op *op, struct ctx *c)
{
	setup_region(op, c);
	assert_int_equal(sealbuf_region_share(c->src, op->share, &c->fd), 0);
}

static void setup_sent(const struct op *op, struct ctx *c)
{
	setup_region(op, c);
	assert_int_equal(sealbuf_region_send(c->sv[0], c->src, op->share), 0);
}

static int run_create(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = op->flags);

	return sealbuf_region_create(op->size, &o, &c->out);
}

static int run_share(const struct op *op, struct ctx *c)
{
	return sealbuf_region_share(c->src, op->share, &c->fd);
}

static int run_open(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = op->flags);
	int fd = c->fd;

	c->fd = -1; /* taken by sealbuf_region_open, success or not */
	return sealbuf_region_open(fd, op->size, &o, &c->out);
}

static int run_send(const struct op *op, struct ctx *c)
{
	return sealbuf_region_send(c->sv[0], c->src, op->share);
}

static int run_recv(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = op->flags,
		     .timeout_ms = op->timeout_ms == 1 ? 0 : op->timeout_ms ? op->timeout_ms : 5000);

	return sealbuf_region_recv(c->sv[1], &o, &c->out);
}

static void cleanup(struct ctx *c)
{
	sealbuf_frame_free(c->frame);
	sealbuf_frame_free(c->frame_out);
	sealbuf_region_free(c->out);
	sealbuf_region_free(c->src);
	sealbuf_region_free(c->src2);
	if (c->fd >= 0)
		close(c->fd);
	if (c->memfd >= 0)
		close(c->memfd);
	if (c->sv[0] >= 0) {
		close(c->sv[0]);
		close(c->sv[1]);
	}
}

static int run_once(const struct op *op, int nth, int err, bool trace, int *ncalls)
{
	struct ctx c = { .sv = { -1, -1 }, .fd = -1, .memfd = -1 };
	int r;

	op->setup(op, &c);
	if (trace)
		fault_trace();
	else
		fault_arm(nth, err);
	r = op->run(op, &c);
	*ncalls = fault_stop();
	cleanup(&c);
	return r;
}

static const char *cmd_name(const struct fault_call *c)
{
	static const char *const opens[] = { NULL, "/dev/udmabuf", "/sys", "/proc" };

	if (!strcmp(c->fn, "open"))
		return c->ctx >= 0 && c->ctx < 4 ? opens[c->ctx] : NULL;
	if (!strcmp(c->fn, "syscall"))
		return c->ctx == SYS_futex ? "futex" : NULL;
	switch (c->ctx) {
	case F_ADD_SEALS: return "F_ADD_SEALS";
	case F_GET_SEALS: return "F_GET_SEALS";
	case F_GETFL: return "F_GETFL";
	case F_DUPFD_CLOEXEC: return "F_DUPFD_CLOEXEC";
	case (long)UDMABUF_CREATE: return "UDMABUF_CREATE";
	case (long)UDMABUF_CREATE_LIST: return "UDMABUF_CREATE_LIST";
	case (long)DMA_BUF_SET_NAME_B: return "DMA_BUF_SET_NAME_B";
	case (long)DMA_BUF_IOCTL_EXPORT_SYNC_FILE: return "DMA_BUF_IOCTL_EXPORT_SYNC_FILE";
	}
	return NULL;
}

static const char *calls_str(const struct fault_call *calls, int n)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < sizeof(buf) - 64; i++) {
		const char *cmd = cmd_name(&calls[i]);
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s%s%s%s", i ? " " : "",
					calls[i].fn, cmd ? "(" : "", cmd ? cmd : "", cmd ? ")" : "");
	}
	return buf;
}

static void check_leaks(int fds, int maps, long heap, const char *what)
{
	if (tl_count_fds() != fds || tl_count_memfd_maps() != maps || fault_heap_live() != heap)
		fail_msg("%s leaked: fds %d -> %d, memfd maps %d -> %d, heap blocks %ld -> %ld", what,
			 fds, tl_count_fds(), maps, tl_count_memfd_maps(), heap, fault_heap_live());
}

/* Walk every call the operation makes; fail each with each of its errnos. */
static void walk(const struct op *op)
{
	struct fault_call calls[FAULT_MAX_CALLS];
	int n, fds = tl_count_fds(), maps = tl_count_memfd_maps(), injected = 0;
	long heap = fault_heap_live();

	/* A first run fills the library's caches, so that the trace is what every run does. */
	assert_int_equal(run_once(op, 0, 0, true, &n), op->base);
	fds = tl_count_fds();
	maps = tl_count_memfd_maps();
	heap = fault_heap_live();
	assert_int_equal(run_once(op, 0, 0, true, &n), op->base);
	assert_true(n > 0 && n <= FAULT_MAX_CALLS);
	memcpy(calls, fault_calls(), (size_t)n * sizeof(calls[0]));
	check_leaks(fds, maps, heap, op->name);
	for (int i = 0; i < n; i++) {
		for (const int *e = errnos_of(calls[i].fn); *e; e++) {
			struct rule want = *rule_for(op->name, &calls[i], i, *e);
			char what[128];
			int got, seen, r;

			if (want.ret == SAME_ERRNO) {
				want.ret = -*e;
				want.reason = SEALBUF_R_SYSCALL;
			}
			if (!want.ret) { /* recovered: the operation does what it does anyway */
				want.ret = op->base;
				want.reason = op->base_reason;
			}

			snprintf(what, sizeof(what), "%s, call %d (%s ctx %ld) failing with %s", op->name,
				 i, calls[i].fn, calls[i].ctx, strerrorname_np(*e));
			r = run_once(op, i, *e, false, &seen);
			if (!fault_fired())
				fail_msg("%s: the call was not reached (%d calls)", what, seen);
			got = sealbuf_last_reason();
			if (r != want.ret || (r < 0 && (got != (int)want.reason ||
							 !sealbuf_last_error()[0])))
				fail_msg("%s: got %d %s (%s), want %d %s", what, r,
					 sealbuf_reason_name(got), sealbuf_last_error(), want.ret,
					 sealbuf_reason_name(want.reason));
			check_leaks(fds, maps, heap, what);
			injected++;
		}
	}
	printf("%-24s %2d calls, %3d failures injected: %s\n", op->name, n, injected,
	       calls_str(calls, n));
}

#define OP(fn, ...)                                                            \
	static void fn(void **state)                                           \
	{                                                                      \
		static const struct op op = { .name = #fn, __VA_ARGS__ };      \
		walk(&op);                                                     \
	}

OP(create, .size = 3 * 4096 + 1, .setup = setup_none, .run = run_create)
OP(create_empty, .size = 0, .setup = setup_none, .run = run_create)
OP(create_prefault, .size = 4 * 4096, .flags = SEALBUF_CREATE_PREFAULT, .setup = setup_none,
   .run = run_create)
OP(create_noreserve, .size = 4096, .flags = SEALBUF_CREATE_NORESERVE, .setup = setup_none,
   .run = run_create)
OP(share, .size = 100, .setup = setup_region, .run = run_share)
OP(share_rdonly, .size = 100, .share = SEALBUF_SHARE_RDONLY, .setup = setup_region,
   .run = run_share)
OP(open_rw, .size = 5000, .setup = setup_fd, .run = run_open)
OP(open_rdonly_keep, .size = 5000, .share = SEALBUF_SHARE_RDONLY,
   .flags = SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE, .setup = setup_fd, .run = run_open)
OP(send_seqpacket, .size = 100, .sock = SOCK_SEQPACKET, .setup = setup_region, .run = run_send)
OP(send_stream, .size = 100, .sock = SOCK_STREAM, .setup = setup_region, .run = run_send)
OP(send_rdonly, .size = 100, .sock = SOCK_DGRAM, .share = SEALBUF_SHARE_RDONLY,
   .setup = setup_region, .run = run_send)
OP(recv_seqpacket, .size = 100, .sock = SOCK_SEQPACKET, .setup = setup_sent, .run = run_recv)
OP(recv_stream, .size = 100, .sock = SOCK_STREAM, .setup = setup_sent, .run = run_recv)
static int run_reserve(const struct op *op, struct ctx *c)
{
	return sealbuf_region_reserve(op->size, NULL, &c->out);
}

static uint8_t mirrored[8192];

static int run_mirror(const struct op *op, struct ctx *c)
{
	return sealbuf_region_mirror(mirrored, op->size, NULL, &c->out);
}

/* A reserved region whose read-only handle went out: each publish wakes (futex). */
static void setup_reserved_rdonly_out(const struct op *op, struct ctx *c)
{
	int fd;

	assert_int_equal(sealbuf_region_reserve(op->size, NULL, &c->src), 0);
	assert_int_equal(sealbuf_region_share(c->src, SEALBUF_SHARE_RDONLY, &fd), 0);
	close(fd);
}

static int run_write(const struct op *op, struct ctx *c)
{
	return sealbuf_region_write(c->src, mirrored, 100);
}

static void setup_reserved(const struct op *op, struct ctx *c)
{
	assert_int_equal(sealbuf_region_reserve(op->size, NULL, &c->src), 0);
}

static int run_wait(const struct op *op, struct ctx *c)
{
	return sealbuf_region_wait(c->src, sealbuf_region_seq(c->src), 20, NULL);
}

static void setup_reserved_fd(const struct op *op, struct ctx *c)
{
	setup_reserved(op, c);
	assert_int_equal(sealbuf_region_share(c->src, op->share, &c->fd), 0);
}

static int run_open_reserved(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = op->flags, .kind = SEALBUF_KIND_RESERVED);
	int fd = c->fd;

	c->fd = -1;
	return sealbuf_region_open(fd, op->size, &o, &c->out);
}

OP(reserve, .size = 5000, .setup = setup_none, .run = run_reserve)
OP(mirror, .size = 5000, .setup = setup_none, .run = run_mirror)
OP(write_wakes, .size = 5000, .setup = setup_reserved_rdonly_out, .run = run_write)
/* Nothing published: spin, then sleep on the futex until the 20 ms deadline. */
OP(wait_times_out, .size = 5000, .base = -ETIMEDOUT, .base_reason = SEALBUF_R_TIMEOUT,
   .setup = setup_reserved, .run = run_wait)
/* Read-only, from a read-write handle: the reader flags itself with pwrite. */
OP(open_reserved_rdonly, .size = 5000, .flags = SEALBUF_OPEN_RDONLY, .setup = setup_reserved_fd,
   .run = run_open_reserved)

/* dma-buf export needs /dev/udmabuf: these walks run in the VM tier (vm-fault-export). */
static void need_udmabuf(void)
{
	if (access("/dev/udmabuf", F_OK) == 0)
		return;
	if (getenv("SEALBUF_IN_VM"))
		fail_msg("the VM guest has no /dev/udmabuf");
	print_message("skipped: no /dev/udmabuf: runs in the VM tier (vm-fault-export)\n");
	skip();
}

static void setup_export(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = op->flags);

	need_udmabuf();
	assert_int_equal(sealbuf_region_create(op->size, &o, &c->src), 0);
	assert_int_equal(sealbuf_region_create(op->size, &o, &c->src2), 0);
	assert_int_equal(sealbuf_region_share(c->src, 0, &c->memfd), 0);
}

static int run_export(const struct op *op, struct ctx *c)
{
	return sealbuf_region_export(c->src, NULL, &c->fd);
}

static int run_export_named(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = "fault-named");

	return sealbuf_region_export(c->src, &o, &c->fd);
}

static int run_export_memfd(const struct op *op, struct ctx *c)
{
	return sealbuf_memfd_export(c->memfd, NULL, &c->fd);
}

static int run_export_list(const struct op *op, struct ctx *c)
{
	struct sealbuf_export_range r[2] = { { .region = c->src }, { .region = c->src2 } };

	return sealbuf_export_list(r, 2, NULL, &c->fd);
}

OP(export_region, .size = 4 * 4096, .setup = setup_export, .run = run_export)
OP(export_noreserve, .size = 4 * 4096, .flags = SEALBUF_CREATE_NORESERVE,
   .setup = setup_export, .run = run_export)
OP(export_memfd, .size = 4 * 4096, .setup = setup_export, .run = run_export_memfd)
OP(export_named, .size = 4 * 4096, .setup = setup_export, .run = run_export_named)
OP(export_list, .size = 4 * 4096, .setup = setup_export, .run = run_export_list)

/* Nothing queued, don't wait: recvmsg finds nothing, poll confirms, -EAGAIN. */
OP(recv_nothing_queued, .sock = SOCK_SEQPACKET, .timeout_ms = 1 /* 0: don't wait */, .base = -EAGAIN,
   .base_reason = SEALBUF_R_WOULD_BLOCK, .setup = setup_socket, .run = run_recv)
OP(recv_dgram_rdonly, .size = 100, .sock = SOCK_DGRAM, .share = SEALBUF_SHARE_RDONLY,
   .flags = SEALBUF_OPEN_RDONLY, .setup = setup_sent, .run = run_recv)

/* Frames: a two-region NV12 frame sent, and received all or nothing (no fd, map or block left). */
static void setup_frame(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .flags = SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	struct sealbuf_frame_desc d;

	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_NV12, 64, 64, &lo, &d, NULL), 0);
	assert_int_equal(sealbuf_frame_create(&d, NULL, &c->frame), 0);
	tl_socketpair(op->sock, c->sv);
}

static void setup_frame_sent(const struct op *op, struct ctx *c)
{
	setup_frame(op, c);
	assert_int_equal(sealbuf_frame_send(c->sv[0], c->frame, op->share), 0);
}

static int run_send_frame(const struct op *op, struct ctx *c)
{
	return sealbuf_frame_send(c->sv[0], c->frame, op->share);
}

static int run_recv_frame(const struct op *op, struct ctx *c)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .flags = op->flags, .timeout_ms = 5000);

	return sealbuf_frame_recv(c->sv[1], &o, &c->frame_out);
}

OP(send_frame, .sock = SOCK_SEQPACKET, .setup = setup_frame, .run = run_send_frame)
OP(send_rdonly_frame, .sock = SOCK_STREAM, .share = SEALBUF_SHARE_RDONLY, .setup = setup_frame,
   .run = run_send_frame)
OP(recv_frame, .sock = SOCK_SEQPACKET, .setup = setup_frame_sent, .run = run_recv_frame)
OP(recv_frame_stream, .sock = SOCK_STREAM, .share = SEALBUF_SHARE_RDONLY,
   .flags = SEALBUF_OPEN_RDONLY, .setup = setup_frame_sent, .run = run_recv_frame)

/* A sync file of a udmabuf dma-buf (the VM tier: vm-frames runs this walk). */
static void setup_sync_file(const struct op *op, struct ctx *c)
{
	need_udmabuf();
	assert_int_equal(sealbuf_region_create(op->size, NULL, &c->src), 0);
	assert_int_equal(sealbuf_region_export(c->src, NULL, &c->fd), 0);
}

static int run_sync_file(const struct op *op, struct ctx *c)
{
	return sealbuf_dmabuf_export_sync_file(c->fd, SEALBUF_SYNC_READ, &c->memfd);
}

OP(sync_file_export, .size = 4096, .setup = setup_sync_file, .run = run_sync_file)

/* A stream that takes one byte per sendmsg: the rest follows, without the fd again. */
static void send_short_writes(void **state)
{
	struct sealbuf_region *src, *got;
	int sv[2];

	tl_socketpair(SOCK_STREAM, sv);
	assert_int_equal(sealbuf_region_create(100, NULL, &src), 0);
	fault_short_sends(true);
	assert_int_equal(sealbuf_region_send(sv[0], src, 0), 0);
	fault_short_sends(false);
	assert_int_equal(sealbuf_region_recv(sv[1], NULL, &got), 0);
	assert_int_equal(sealbuf_region_size(got), 100);
	sealbuf_region_free(got);
	sealbuf_region_free(src);
	close(sv[0]);
	close(sv[1]);
}

/* argv[1], if given, picks the walks to run (a cmocka filter such as "export*"). */
int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		TL_TEST(create),	  TL_TEST(create_empty),
		TL_TEST(create_prefault), TL_TEST(create_noreserve),
		TL_TEST(share),		  TL_TEST(share_rdonly),
		TL_TEST(open_rw),		  TL_TEST(open_rdonly_keep),
		TL_TEST(send_seqpacket),  TL_TEST(send_stream),
		TL_TEST(send_rdonly),	  TL_TEST(recv_seqpacket),
		TL_TEST(recv_stream),	  TL_TEST(recv_dgram_rdonly),
		TL_TEST(recv_nothing_queued),
		TL_TEST(send_frame),	  TL_TEST(send_rdonly_frame),
		TL_TEST(recv_frame),	  TL_TEST(recv_frame_stream),
		TL_TEST(sync_file_export),
		TL_TEST(reserve),	  TL_TEST(mirror),
		TL_TEST(write_wakes),	  TL_TEST(wait_times_out),
		TL_TEST(open_reserved_rdonly),
		TL_TEST(export_region),	  TL_TEST(export_noreserve),
		TL_TEST(export_memfd),	  TL_TEST(export_list),
		TL_TEST(export_named),
		TL_TEST(send_short_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
