/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hostile peers in another process: the honest side never crashes, hangs or leaks, and names the error. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/udmabuf.h>

#include "fuzz/fuzz-common.h" /* fz_make_fd(): every kind of fd a peer can send */
#include "testlib.h"
#include "wire.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TIMEOUT_MS 5000
#define SCM_MAX_FD TL_MAX_FDS
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * Each case prints one row: case | errno | reason | text. docs/hostile-cases.md
 * is this table.
 */
static void print_row(const char *name, int r, enum sealbuf_reason reason, const char *text)
{
	printf("ROW | %s | %s | %s | %s |\n", name, r < 0 ? strerrorname_np(-r) : "0",
	       r < 0 ? sealbuf_reason_name(reason) : "(ok)", r < 0 ? text : "");
	fflush(stdout);
}

static void row(const char *name, int r)
{
	print_row(name, r, sealbuf_last_reason(), sealbuf_last_error());
}

#define expect_fail(name, expr, err, reason)                                   \
	do {                                                                   \
		int ret_ = (expr);                                             \
		row((name), ret_);                                             \
		tl_assert_fail(ret_, (err), (reason));                         \
	} while (0)

/* ---- the peer: a child process on the other end of a socketpair ---- */

struct peer {
	pid_t pid;
	int sock; /* the honest side's end */
};

typedef int (*peer_fn)(int sock, const void *arg);

static struct peer spawn(int type, peer_fn fn, const void *arg)
{
	struct peer p;
	int sv[2];

	tl_socketpair(type, sv);
	fflush(stdout);
	p.pid = fork();
	assert_true(p.pid >= 0);
	if (p.pid == 0) {
		int r;
		close(sv[1]);
		r = fn(sv[0], arg);
		fflush(stdout);
		_exit(r);
	}
	close(sv[0]);
	p.sock = sv[1];
	return p;
}

/* The peer must have exited 0: everything it tried went as it expected. */
static void reap(struct peer *p)
{
	int status;

	assert_int_equal(waitpid(p->pid, &status, 0), p->pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("peer %s %d", WIFEXITED(status) ? "exited" : "killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	close(p->sock);
}

static void kill_peer(struct peer *p)
{
	kill(p->pid, SIGKILL);
	assert_int_equal(waitpid(p->pid, NULL, 0), p->pid);
	close(p->sock);
}

static int recv_region(int sock, uint32_t flags, int timeout_ms, struct sealbuf_region **ret)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags, .timeout_ms = timeout_ms);

	return sealbuf_region_recv(sock, &o, ret);
}


/* Peer side: wait for the honest side's go-ahead byte (0 at end of file). */
static int peer_wait(int sock)
{
	char c;

	return (int)read(sock, &c, 1);
}

static void honest_go(int sock)
{
	assert_int_equal(send(sock, "g", 1, MSG_NOSIGNAL), 1);
}

/* ---- malformed messages and fds: one table ---- */

struct msg_case {
	const char *name;
	int type;                /* 0: SOCK_SEQPACKET */
	struct sb_wire w;        /* fields set here replace those of a valid message */
	int len;                 /* bytes sent: 0 means 32; < 0 means none */
	size_t extra;            /* bytes after the 32 (oversized) */
	uint8_t fds[3];          /* fd kinds (fuzz-common.h), of one page each... */
	uint8_t param;           /* ...or of this size parameter */
	int nfds;                /* how many of fds[] (-1: none) */
	int flood;               /* or this many /dev/null fds */
	uint32_t flags;          /* receive flags */
	int err;
	enum sealbuf_reason reason;
};

#define W(...) .w = { __VA_ARGS__ }

static const struct msg_case msg_cases[] = {
	{ "valid message and memfd (control)", .nfds = 1 },
	{ "no fd", .nfds = -1, .err = -EBADMSG, .reason = SEALBUF_R_NO_FD },
	{ "two fds", .nfds = 2, .err = -EBADMSG, .reason = SEALBUF_R_EXTRA_FDS },
	{ "253 fds (SCM_MAX_FD)", .flood = SCM_MAX_FD, .err = -EBADMSG,
	  .reason = SEALBUF_R_EXTRA_FDS },
	{ "empty datagram with an fd", .len = -1, .nfds = 1, .err = -EPROTO,
	  .reason = SEALBUF_R_TRUNCATED },
	{ "empty datagram, no fd", .len = -1, .nfds = -1, .err = -EPROTO,
	  .reason = SEALBUF_R_TRUNCATED },
	{ "truncated to 3 bytes", .len = 3, .nfds = 1, .err = -EPROTO,
	  .reason = SEALBUF_R_TRUNCATED },
	{ "truncated to 31 bytes", .len = 31, .nfds = 1, .err = -EPROTO,
	  .reason = SEALBUF_R_TRUNCATED },
	{ "33 bytes", .extra = 1, .nfds = 1, .err = -EBADMSG, .reason = SEALBUF_R_BAD_MESSAGE },
	{ "64 KiB datagram", .extra = 65536 - 32, .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "wrong magic", W(.magic = 0xdeadbeef), .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "version 2", W(.version = 2), .nfds = 1, .err = -EPROTONOSUPPORT,
	  .reason = SEALBUF_R_VERSION },
	{ "length field 40", W(.length = 40), .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "region kind 9", W(.kind = 9), .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "unknown flag bits", W(.flags = 0x100), .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "size above file size", W(.size = 8192), .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "size 2^63", W(.size = 1ull << 63, .file_size = 1ull << 63), .nfds = 1, .err = -EFBIG,
	  .reason = SEALBUF_R_TOO_LARGE },
	{ "declares a 2-page file, sends 1 page", W(.size = 4096, .file_size = 8192), .nfds = 1,
	  .err = -ERANGE, .reason = SEALBUF_R_SIZE_MISMATCH },
	{ "declares 2 pages, sends 1 page", W(.size = 8192, .file_size = 8192), .nfds = 1,
	  .err = -ERANGE, .reason = SEALBUF_R_SIZE_MISMATCH },
	{ "memfd of 4196 bytes (not whole pages)", W(.size = 4196, .file_size = 4196),
	  .param = 9, .nfds = 1, .err = -ERANGE, .reason = SEALBUF_R_SIZE_MISMATCH },
	{ "read-only message, read-write receiver", W(.flags = 1), .fds = { FZ_FD_RDONLY },
	  .nfds = 1, .err = -EACCES, .reason = SEALBUF_R_ACCESS_MODE },
	{ "read-only fd sent as read-write", .fds = { FZ_FD_RDONLY }, .nfds = 1, .err = -EACCES,
	  .reason = SEALBUF_R_ACCESS_MODE },
	{ "read-only message carrying a read-write fd", W(.flags = 1), .nfds = 1,
	  .flags = SEALBUF_OPEN_RDONLY, .err = -EACCES, .reason = SEALBUF_R_ACCESS_MODE },
	{ "write-only fd", .fds = { FZ_FD_WRONLY }, .nfds = 1, .err = -EACCES,
	  .reason = SEALBUF_R_ACCESS_MODE },
	{ "write-only fd, read-only receiver", W(.flags = 1), .fds = { FZ_FD_WRONLY }, .nfds = 1,
	  .flags = SEALBUF_OPEN_RDONLY, .err = -EACCES, .reason = SEALBUF_R_ACCESS_MODE },
	{ "memfd with no seals (can shrink)", .fds = { FZ_FD_UNSEALED }, .nfds = 1, .err = -EPERM,
	  .reason = SEALBUF_R_SEALS_MISSING },
	{ "SHRINK|GROW without SEAL (accepted: no seal added later takes a mapping's access)",
	  .fds = { FZ_FD_NO_SEAL_SEAL }, .nfds = 1, .err = 0 },
	{ "WRITE seal", .fds = { FZ_FD_WRITE_SEAL }, .nfds = 1, .err = -EPERM,
	  .reason = SEALBUF_R_SEALS_EXTRA },
	{ "FUTURE_WRITE seal", .fds = { FZ_FD_FUTURE_WRITE }, .nfds = 1, .err = -EPERM,
	  .reason = SEALBUF_R_SEALS_EXTRA },
	{ "memfd without MFD_ALLOW_SEALING", .fds = { FZ_FD_NOT_SEALABLE }, .nfds = 1,
	  .err = -EPERM, .reason = SEALBUF_R_NOT_SEALABLE },
	{ "pipe", .fds = { FZ_FD_PIPE }, .nfds = 1, .err = -EBADFD, .reason = SEALBUF_R_NOT_MEMFD },
	{ "/dev/null", .fds = { FZ_FD_DEVNULL }, .nfds = 1, .err = -EBADFD,
	  .reason = SEALBUF_R_NOT_MEMFD },
	{ "regular file on tmpfs (/dev/shm)", .fds = { FZ_FD_SHM_FILE }, .nfds = 1, .err = -EBADFD,
	  .reason = SEALBUF_R_NOT_MEMFD },
	{ "socket", .fds = { FZ_FD_SOCKET }, .nfds = 1, .err = -EBADFD,
	  .reason = SEALBUF_R_NOT_MEMFD },
	{ "eventfd", .fds = { FZ_FD_EVENTFD }, .nfds = 1, .err = -EBADFD,
	  .reason = SEALBUF_R_NOT_MEMFD },
	{ "directory", .fds = { FZ_FD_DIRECTORY }, .nfds = 1, .err = -EBADFD,
	  .reason = SEALBUF_R_NOT_MEMFD },
	{ "O_PATH fd of a sealed memfd", .fds = { FZ_FD_OPATH }, .nfds = 1, .err = -EBADFD,
	  .reason = SEALBUF_R_NOT_MEMFD },
	{ "reserved-kind message, plain memfd", W(.kind = SEALBUF_KIND_RESERVED, .size = 4096,
						  .file_size = 8192),
	  .param = 2, .nfds = 1, .err = -EBADMSG, .reason = SEALBUF_R_HEADER_MAGIC },
	{ "DGRAM: valid (control)", .type = SOCK_DGRAM, .nfds = 1 },
	{ "DGRAM: 33 bytes", .type = SOCK_DGRAM, .extra = 1, .nfds = 1, .err = -EBADMSG,
	  .reason = SEALBUF_R_BAD_MESSAGE },
	{ "DGRAM: empty with an fd", .type = SOCK_DGRAM, .len = -1, .nfds = 1, .err = -EPROTO,
	  .reason = SEALBUF_R_TRUNCATED },
	{ "STREAM: valid (control)", .type = SOCK_STREAM, .nfds = 1 },
	{ "STREAM: two fds", .type = SOCK_STREAM, .nfds = 2, .err = -EBADMSG,
	  .reason = SEALBUF_R_EXTRA_FDS },
};

static int msg_peer(int sock, const void *arg)
{
	const struct msg_case *c = arg;
	static uint8_t buf[65536];
	struct sb_wire w = { SB_WIRE_MAGIC, SB_WIRE_VERSION, SB_WIRE_LEN, SEALBUF_KIND_PLAIN, 0,
			     4096, 4096 };
	int fds[SCM_MAX_FD], n = c->flood ? c->flood : c->nfds > 0 ? c->nfds : 0, r;
	size_t len = c->len < 0 ? 0 : c->len ? (size_t)c->len : SB_WIRE_LEN + c->extra;

#define OVERRIDE(f) if (c->w.f) w.f = c->w.f
	OVERRIDE(magic); OVERRIDE(version); OVERRIDE(length); OVERRIDE(kind);
	OVERRIDE(flags); OVERRIDE(size); OVERRIDE(file_size);
#undef OVERRIDE
	memset(buf, 0xa5, sizeof(buf));
	sb_wire_encode(&w, buf);
	for (int i = 0; i < n; i++) {
		fds[i] = fz_make_fd(c->flood ? FZ_FD_DEVNULL : c->fds[i], c->param ? c->param : 1,
				    NULL, 0);
		if (fds[i] < 0)
			return 10;
	}
	r = tl_sendmsg_fds(sock, buf, len, fds, (size_t)n);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* Stay until the honest side is done: a hang-up would change the answer. */
	peer_wait(sock);
	return r < 0 ? 11 : 0;
}

static void malformed_messages(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(msg_cases); i++) {
		const struct msg_case *c = &msg_cases[i];
		struct peer p = spawn(c->type ? c->type : SOCK_SEQPACKET, msg_peer, c);
		struct sealbuf_region *r = (void *)0x1;
		int ret = recv_region(p.sock, c->flags, TIMEOUT_MS, &r);

		row(c->name, ret);
		if (ret != c->err || (ret < 0 && sealbuf_last_reason() != c->reason))
			fail_msg("%s: got %d %s, want %d %s", c->name, ret,
				 sealbuf_reason_name(sealbuf_last_reason()), c->err,
				 sealbuf_reason_name(c->reason));
		if (ret == 0)
			sealbuf_region_free(r);
		else
			assert_ptr_equal(r, (void *)0x1);
		honest_go(p.sock);
		reap(&p);
	}
}

/* ---- a peer that attacks a region after sending it ---- */

static int resize_peer(int sock, const void *arg)
{
	struct sealbuf_region *r;
	int fd, bad = 0;

	if (sealbuf_region_create(4 * page(), NULL, &r) < 0)
		return 10;
	tl_fill(sealbuf_region_data(r), 4 * page(), 7);
	if (sealbuf_region_send(sock, r, 0) < 0 || peer_wait(sock) != 1)
		return 11;
	fd = sealbuf_region_fd(r);
	/* Every way to change the size, or take the receiver's mapping's access: refused. */
	bad |= !(ftruncate(fd, 0) < 0 && errno == EPERM) << 0;
	bad |= !(ftruncate(fd, 8 * (off_t)page()) < 0 && errno == EPERM) << 1;
	bad |= !(fallocate(fd, 0, 0, 8 * (off_t)page()) < 0 && errno == EPERM) << 2;
	bad |= !(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EBUSY) << 3;
	/* Allowed (a read-only share does it), but the receiver's mapping keeps writing. */
	bad |= !(fcntl(fd, F_ADD_SEALS, 0x10 /* FUTURE_WRITE */) == 0) << 4;
	printf("  peer: shrink, grow, fallocate past the end (EPERM), add WRITE (EBUSY): %s\n",
	       bad ? "NOT ALL REFUSED" : "all refused; FUTURE_WRITE added");
	if (send(sock, "d", 1, MSG_NOSIGNAL) != 1)
		return 12;
	peer_wait(sock);
	sealbuf_region_free(r);
	return bad ? 20 + bad : 0;
}

/*
 * Shrink, grow, F_SEAL_WRITE: the sender can do none of it; F_SEAL_FUTURE_WRITE it
 * can, and the receiver's mapping still writes. The receiver reads every page.
 */
static void resize_refused(void **state)
{
	struct peer p = spawn(SOCK_SEQPACKET, resize_peer, NULL);
	struct sealbuf_region *r;
	char c;

	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	honest_go(p.sock);
	assert_int_equal(read(p.sock, &c, 1), 1);
	assert_int_equal(sealbuf_region_mapped_size(r), 4 * page());
	assert_true(tl_check(sealbuf_region_data(r), 4 * page(), 7));
	memset(sealbuf_region_data(r), 0, 4 * page()); /* still writable, no SIGBUS */
	sealbuf_region_free(r);
	honest_go(p.sock);
	reap(&p);
}

static int punch_peer(int sock, const void *arg)
{
	struct sealbuf_region *r;
	int ret;

	if (sealbuf_region_create(4 * page(), NULL, &r) < 0)
		return 10;
	tl_fill(sealbuf_region_data(r), 4 * page(), 3);
	if (sealbuf_region_send(sock, r, 0) < 0 || peer_wait(sock) != 1)
		return 11;
	ret = fallocate(sealbuf_region_fd(r), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)page(), (off_t)page());
	if (send(sock, "d", 1, MSG_NOSIGNAL) != 1)
		return 12;
	peer_wait(sock);
	sealbuf_region_free(r);
	return ret < 0 ? 13 : 0;
}

/*
 * Punching a hole is writing zeros, which the sender may do: the receiver
 * reads zeros there, and no SIGBUS anywhere.
 */
static void punch_hole(void **state)
{
	struct peer p = spawn(SOCK_SEQPACKET, punch_peer, NULL);
	struct sealbuf_region *r;
	uint8_t *d, zero[4096] = { 0 };
	char c;

	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	honest_go(p.sock);
	assert_int_equal(read(p.sock, &c, 1), 1);
	d = sealbuf_region_data(r);
	assert_true(tl_check(d, page(), 3));
	assert_memory_equal(d + page(), zero, page() < sizeof(zero) ? page() : sizeof(zero));
	d[page()] = 1; /* the hole fills again on write */
	sealbuf_region_free(r);
	honest_go(p.sock);
	reap(&p);
}

static int send_then_wait_peer(int sock, const void *arg)
{
	struct sealbuf_region *r;

	if (sealbuf_region_create(4 * page(), NULL, &r) < 0)
		return 10;
	tl_fill(sealbuf_region_data(r), 4 * page(), 9);
	if (sealbuf_region_send(sock, r, 0) < 0)
		return 11;
	pause(); /* until killed */
	return 0;
}

/* The sender dies (SIGKILL) after sending: the receiver's pages stay. */
static void peer_killed_after_send(void **state)
{
	struct peer p = spawn(SOCK_SEQPACKET, send_then_wait_peer, NULL);
	struct sealbuf_region *r;

	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	kill_peer(&p);
	assert_true(tl_check(sealbuf_region_data(r), 4 * page(), 9));
	sealbuf_region_free(r);
}

/* ---- streams cut short ---- */

static int partial_peer(int sock, const void *arg)
{
	const int *how = arg;
	struct sb_wire w = { SB_WIRE_MAGIC, SB_WIRE_VERSION, SB_WIRE_LEN, SEALBUF_KIND_PLAIN, 0,
			     4096, 4096 };
	uint8_t buf[SB_WIRE_LEN];
	int fd = fz_make_fd(FZ_FD_SEALED, 1, NULL, 0);

	sb_wire_encode(&w, buf);
	if (fd < 0 || tl_sendmsg_fds(sock, buf, 10, &fd, 1) < 0)
		return 10;
	close(fd);
	if (*how == 0)
		_exit(0); /* dies mid-message */
	if (*how == 1) {
		shutdown(sock, SHUT_WR); /* closes its sending side mid-message */
		peer_wait(sock);
		return 0;
	}
	pause(); /* stalls until killed */
	return 0;
}

static void stream_cut(void **state)
{
	static const int dies = 0, shut = 1, stalls = 2;
	struct sealbuf_region *r = (void *)0x1;
	struct peer p;

	p = spawn(SOCK_STREAM, partial_peer, &dies);
	expect_fail("STREAM: peer dies after 10 of 32 bytes",
		    recv_region(p.sock, 0, TIMEOUT_MS, &r), -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	reap(&p);

	p = spawn(SOCK_STREAM, partial_peer, &shut);
	expect_fail("STREAM: peer shuts down its side after 10 of 32 bytes",
		    recv_region(p.sock, 0, TIMEOUT_MS, &r), -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	honest_go(p.sock);
	reap(&p);

	p = spawn(SOCK_STREAM, partial_peer, &stalls);
	expect_fail("STREAM: peer stalls after 10 of 32 bytes (timeout 200 ms)",
		    recv_region(p.sock, 0, 200, &r), -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	kill(p.pid, SIGKILL);
	expect_fail("STREAM: then the stalled peer is killed",
		    recv_region(p.sock, 0, TIMEOUT_MS, &r), -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
	close(p.sock);
	assert_ptr_equal(r, (void *)0x1);
}

static int silent_peer(int sock, const void *arg)
{
	const int *close_now = arg;

	if (!*close_now)
		peer_wait(sock);
	return 0;
}

static void silent_peers(void **state)
{
	static const int closes = 1, waits = 0;
	struct sealbuf_region *r = (void *)0x1;
	struct peer p;

	p = spawn(SOCK_SEQPACKET, silent_peer, &closes);
	expect_fail("peer closes without sending", recv_region(p.sock, 0, TIMEOUT_MS, &r),
		    -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	reap(&p);
	p = spawn(SOCK_SEQPACKET, silent_peer, &waits);
	expect_fail("peer sends nothing (timeout 100 ms)", recv_region(p.sock, 0, 100, &r),
		    -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	expect_fail("peer sends nothing (timeout 0: don't wait)",
		    recv_region(p.sock, 0, 0, &r), -EAGAIN, SEALBUF_R_WOULD_BLOCK);
	honest_go(p.sock);
	reap(&p);
	assert_ptr_equal(r, (void *)0x1);
}

/* ---- floods ---- */

#define FLOOD_MSGS 64

static int flood_peer(int sock, const void *arg)
{
	int fds[SCM_MAX_FD];
	uint8_t buf[SB_WIRE_LEN];
	struct sb_wire w = { SB_WIRE_MAGIC, SB_WIRE_VERSION, SB_WIRE_LEN, SEALBUF_KIND_PLAIN, 0,
			     4096, 4096 };

	sb_wire_encode(&w, buf);
	for (int i = 0; i < SCM_MAX_FD; i++)
		if ((fds[i] = fz_make_fd(i ? FZ_FD_DEVNULL : FZ_FD_SEALED, 1, NULL, 0)) < 0)
			return 10;
	for (int i = 0; i < FLOOD_MSGS; i++)
		if (tl_sendmsg_fds(sock, buf, sizeof(buf), fds, SCM_MAX_FD) < 0)
			return 11;
	peer_wait(sock);
	return 0;
}

/* 64 messages of 253 fds each: every one refused, every fd closed. */
static void fd_flood(void **state)
{
	struct peer p = spawn(SOCK_SEQPACKET, flood_peer, NULL);
	struct sealbuf_region *r = (void *)0x1;
	int fds = tl_count_fds();

	for (int i = 0; i < FLOOD_MSGS; i++) {
		int ret = recv_region(p.sock, 0, TIMEOUT_MS, &r);
		if (i == 0)
			row("fd flood: 64 messages of 253 fds", ret);
		tl_assert_fail(ret, -EBADMSG, SEALBUF_R_EXTRA_FDS);
		assert_int_equal(tl_count_fds(), fds);
	}
	honest_go(p.sock);
	reap(&p);
}

/*
 * The same flood at a receiver with 3 fds left: the kernel installs 3 and
 * drops the rest; sealbuf cannot tell how many there were, says EMFILE.
 */
static void fd_flood_at_limit(void **state)
{
	struct peer p;
	struct sealbuf_region *r = (void *)0x1;
	struct rlimit old, rl;
	int fds, fill[64], n = 0, ret;

	if (tl_under_valgrind()) {
		print_message("skipped: valgrind emulates RLIMIT_NOFILE for open() but not for the fds the kernel installs\n");
		skip();
	}
	p = spawn(SOCK_SEQPACKET, flood_peer, NULL);
	fds = tl_count_fds();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = 64; /* above every fd this test holds */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (n < 64 && (fill[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		n++;
	assert_true(n >= 3 && n < 64);
	for (int i = 0; i < 3; i++)
		close(fill[--n]);
	ret = recv_region(p.sock, 0, TIMEOUT_MS, &r);
	row("fd flood at a receiver with 3 fds left below RLIMIT_NOFILE", ret);
	while (n)
		close(fill[--n]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	tl_assert_fail(ret, -EMFILE, SEALBUF_R_SYSCALL);
	assert_int_equal(tl_count_fds(), fds);
	honest_go(p.sock);
	reap(&p);
}

#define MANY 200

static int many_peer(int sock, const void *arg)
{
	struct sealbuf_region *r;

	if (sealbuf_region_create(page(), NULL, &r) < 0)
		return 10;
	for (int i = 0; i < MANY; i++) {
		*(int *)sealbuf_region_data(r) = i;
		if (sealbuf_region_send(sock, r, 0) < 0)
			return 11;
	}
	sealbuf_region_free(r);
	return 0; /* and close: the last messages are still queued */
}

/* 200 regions as fast as the peer can send, then a hang-up: all received, then PEER_CLOSED. */
static void message_flood(void **state)
{
	struct peer p = spawn(SOCK_SEQPACKET, many_peer, NULL);
	struct sealbuf_region *r;

	for (int i = 0; i < MANY; i++) {
		assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
		sealbuf_region_free(r);
	}
	expect_fail("after 200 regions the peer hangs up", recv_region(p.sock, 0, TIMEOUT_MS, &r),
		    -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	reap(&p);
}

/* ---- a stream that splits a message oddly ---- */

static int split_peer(int sock, const void *arg)
{
	const int *fd_on_both = arg;
	struct sb_wire w = { SB_WIRE_MAGIC, SB_WIRE_VERSION, SB_WIRE_LEN, SEALBUF_KIND_PLAIN, 0,
			     4096, 4096 };
	uint8_t buf[SB_WIRE_LEN];
	int fd = fz_make_fd(FZ_FD_SEALED, 1, NULL, 0);

	sb_wire_encode(&w, buf);
	/* The fd rides on the second part (and on the first too, if asked). */
	if (tl_sendmsg_fds(sock, buf, 5, &fd, *fd_on_both ? 1 : 0) < 0)
		return 10;
	usleep(20000);
	if (tl_sendmsg_fds(sock, buf + 5, SB_WIRE_LEN - 5, &fd, 1) < 0)
		return 11;
	close(fd);
	peer_wait(sock);
	return 0;
}

static void stream_split(void **state)
{
	static const int once = 0, twice = 1;
	struct sealbuf_region *r;
	struct peer p;

	p = spawn(SOCK_STREAM, split_peer, &once);
	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	row("STREAM: 5 bytes, then 27 bytes with the fd", 0);
	sealbuf_region_free(r);
	honest_go(p.sock);
	reap(&p);
	p = spawn(SOCK_STREAM, split_peer, &twice);
	expect_fail("STREAM: an fd on each of two parts", recv_region(p.sock, 0, TIMEOUT_MS, &r),
		    -EBADMSG, SEALBUF_R_EXTRA_FDS);
	honest_go(p.sock);
	reap(&p);
}

/* ---- the honest side's own socket options ---- */

static int honest_sender(int sock, const void *arg)
{
	struct sealbuf_region *r;
	int ret;

	if (sealbuf_region_create(page(), NULL, &r) < 0)
		return 10;
	ret = sealbuf_region_send(sock, r, 0);
	sealbuf_region_free(r);
	peer_wait(sock);
	return ret < 0 ? 11 : 0;
}

/* SO_PASSCRED adds credentials, SO_PASSPIDFD a pidfd: the region still arrives, nothing leaks. */
static void receiver_socket_options(void **state)
{
	static const int opts[] = { SO_PASSCRED, SO_PASSPIDFD };

	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		struct peer p = spawn(SOCK_SEQPACKET, honest_sender, NULL);
		struct sealbuf_region *r;
		int one = 1, fds;

		if (setsockopt(p.sock, SOL_SOCKET, opts[i], &one, sizeof(one)) < 0) {
			printf("  setsockopt(%d): %s: not this kernel\n", opts[i], strerror(errno));
			honest_go(p.sock);
			reap(&p);
			continue;
		}
		fds = tl_count_fds();
		assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
		row(i ? "receiver has SO_PASSPIDFD set" : "receiver has SO_PASSCRED set", 0);
		assert_int_equal(tl_count_fds(), fds);
		sealbuf_region_free(r);
		honest_go(p.sock);
		reap(&p);
	}
}

/* ---- reserved regions: a peer that tampers with the header ---- */

#define CAP (4 * 4096)
#define STALL_MS 20

/* Header fields (docs/header-format.md), by offset and width. */
enum { H_MAGIC = 0, H_VERSION = 4, H_HSIZE = 6, H_KIND = 8, H_CAPACITY = 16, H_OFFSET = 24,
       H_SEQ = 32, H_SIZE = 40, H_WAITERS = 48, H_RDONLY_WAITERS = 52 };

static uint8_t *header_of(struct sealbuf_region *r)
{
	return (uint8_t *)sealbuf_region_data(r) - page();
}

static void put_field(uint8_t *h, int off, uint64_t v)
{
	size_t len = off == H_VERSION || off == H_HSIZE ? 2 : off < 16 || off >= 48 ? 4 : 8;

	memcpy(h + off, &v, len); /* little-endian, as the format */
}

struct hdr_case {
	const char *name;
	int off;
	uint64_t value;
	int err;
	enum sealbuf_reason reason;
};

static const struct hdr_case hdr_cases[] = {
	{ "header: magic zeroed", H_MAGIC, 0, -EBADMSG, SEALBUF_R_HEADER_MAGIC },
	{ "header: version 2", H_VERSION, 2, -EPROTONOSUPPORT, SEALBUF_R_HEADER_VERSION },
	{ "header: header size 8", H_HSIZE, 8, -EBADMSG, SEALBUF_R_BAD_MESSAGE },
	{ "header: says mirror, sent as reserved", H_KIND, 3, -EMEDIUMTYPE,
	  SEALBUF_R_WRONG_KIND },
	{ "header: capacity beyond the file", H_CAPACITY, 1ull << 40, -ERANGE,
	  SEALBUF_R_HEADER_CAPACITY },
	{ "header: capacity smaller than declared", H_CAPACITY, 4096, -ERANGE,
	  SEALBUF_R_HEADER_CAPACITY },
	{ "header: payload offset 0", H_OFFSET, 0, -EBADMSG, SEALBUF_R_BAD_MESSAGE },
	{ "header: valid size above capacity", H_SIZE, CAP + 1, -ERANGE,
	  SEALBUF_R_HEADER_SIZE },
};

static int tamper_peer(int sock, const void *arg)
{
	const struct hdr_case *c = arg;
	struct sealbuf_region *r;

	if (sealbuf_region_reserve(CAP, NULL, &r) < 0)
		return 10;
	put_field(header_of(r), c->off, c->value);
	if (sealbuf_region_send(sock, r, 0) < 0)
		return 11;
	peer_wait(sock);
	sealbuf_region_free(r);
	return 0;
}

/* A peer that edits the header before sending: refused at receive, every field. */
static void header_tampered(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(hdr_cases); i++) {
		const struct hdr_case *c = &hdr_cases[i];
		struct peer p = spawn(SOCK_SEQPACKET, tamper_peer, c);
		struct sealbuf_region *r = (void *)0x1;

		expect_fail(c->name, recv_region(p.sock, 0, TIMEOUT_MS, &r), c->err, c->reason);
		assert_ptr_equal(r, (void *)0x1);
		honest_go(p.sock);
		reap(&p);
	}
}

/* Whether the peer has hung up its end. */
static bool peer_gone(int sock)
{
	struct pollfd pfd = { .fd = sock, .events = POLLRDHUP };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP));
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 17;
}

/* Scribbles on the header it shared, among honest publications, for @arg ms. */
static int scribble_peer(int sock, const void *arg)
{
	static const int offs[] = { H_SEQ, H_SIZE, H_WAITERS, H_RDONLY_WAITERS, H_MAGIC,
				    H_CAPACITY, H_KIND };
	static uint8_t data[CAP];
	struct sealbuf_region *r;
	uint64_t seed = 42, end;
	struct timespec ts;

	if (sealbuf_region_reserve(CAP, NULL, &r) < 0)
		return 10;
	tl_fill(data, CAP, 5);
	sealbuf_region_write(r, data, CAP / 2);
	if (sealbuf_region_send(sock, r, 0) < 0 || peer_wait(sock) != 1)
		return 11;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + *(const int *)arg;
	for (uint64_t now = 0; now < end;) {
		uint64_t v = lcg(&seed);
		if (v % 4 == 0)
			sealbuf_region_write(r, data, (size_t)(v >> 8) % (CAP + 1));
		else
			put_field(header_of(r), offs[(v >> 2) % ARRAY_SIZE(offs)],
				  (v >> 5) % 3 ? (v >> 8) % (2 * CAP) : v);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	sealbuf_region_free(r);
	return 0; /* and hang up: the honest side stops reading */
}

struct tally {
	const char *op;
	int err;
	enum sealbuf_reason reason;
	unsigned n;
};

/* Count @ret for @op, failing on any answer but those @ok lists (errno, reason pairs). */
static void tally(struct tally *t, size_t max, const char *op, int ret, const int *ok)
{
	size_t i;

	if (ret < 0) {
		for (; *ok && !(ok[0] == ret && ok[1] == (int)sealbuf_last_reason()); ok += 2)
			;
		if (!*ok)
			fail_msg("%s: unexpected %d %s: %s", op, ret,
				 sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
	}
	for (i = 0; i < max && t[i].op; i++)
		if (t[i].op == op && t[i].err == ret &&
		    (ret == 0 || t[i].reason == sealbuf_last_reason()))
			break;
	assert_true(i < max);
	if (!t[i].op)
		t[i] = (struct tally){ op, ret, ret < 0 ? sealbuf_last_reason() : 0, 0 };
	t[i].n++;
}

static void read_all(struct sealbuf_region *r)
{
	volatile const uint8_t *d = sealbuf_region_data(r);
	uint8_t sum = 0;

	assert_true(sealbuf_region_size(r) <= CAP);
	for (size_t i = 0; i < sealbuf_region_size(r); i++)
		sum += d[i];
	(void)sum;
}

/*
 * While the peer scribbles on every header field for 300 ms, read, snapshot,
 * check and wait without pause: only documented errors, never a size beyond
 * the capacity validated at open, never a fault, never a hang.
 */
static void header_scribbled_during_reads(void **state)
{
	static const int read_ok[] = { -ERANGE, SEALBUF_R_HEADER_SIZE, -EAGAIN,
				       SEALBUF_R_CONTENDED, -EOWNERDEAD,
				       SEALBUF_R_WRITER_STALLED, 0 };
	static const int wait_ok[] = { -EAGAIN, SEALBUF_R_WOULD_BLOCK, -ETIMEDOUT,
				       SEALBUF_R_TIMEOUT, -EOWNERDEAD,
				       SEALBUF_R_WRITER_STALLED, 0 };
	static const int check_ok[] = { -EAGAIN, SEALBUF_R_CONTENDED, 0 };
	static const int ms = 300;
	static uint8_t buf[CAP];
	struct tally t[32] = { 0 };
	struct peer p = spawn(SOCK_SEQPACKET, scribble_peer, &ms);
	struct sealbuf_region *r;
	size_t got;
	unsigned rounds = 0;

	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	assert_int_equal(sealbuf_region_set_stall_timeout(r, STALL_MS), 0);
	honest_go(p.sock);
	while (!peer_gone(p.sock)) {
		tally(t, 32, "read", sealbuf_region_read(r), read_ok);
		read_all(r);
		tally(t, 32, "read_check", sealbuf_region_read_check(r), check_ok);
		got = 0;
		tally(t, 32, "snapshot", sealbuf_region_snapshot(r, buf, sizeof(buf), &got, NULL),
		      read_ok);
		assert_true(got <= CAP);
		tally(t, 32, "wait", sealbuf_region_wait(r, sealbuf_region_seq(r), 1, NULL),
		      wait_ok);
		rounds++;
	}
	for (size_t i = 0; i < 32 && t[i].op; i++) {
		char name[96];
		snprintf(name, sizeof(name), "header scribbled during reads: %s (%u of %u)",
			 t[i].op, t[i].n, rounds);
		print_row(name, t[i].err, t[i].reason, "(counted)");
	}
	sealbuf_region_free(r);
	reap(&p);
}

static int dying_writer(int sock, const void *arg)
{
	const int *stop = arg;
	struct sealbuf_region *r;
	static uint8_t data[100];

	if (sealbuf_region_reserve(CAP, NULL, &r) < 0 || sealbuf_region_write(r, data, 100) < 0)
		return 10;
	if (sealbuf_region_send(sock, r, 0) < 0 || peer_wait(sock) != 1)
		return 11;
	if (sealbuf_region_write_begin(r) < 0)
		return 12;
	if (!*stop)
		_exit(0); /* dies mid-update: seq stays odd */
	raise(SIGSTOP);
	if (sealbuf_region_write_end(r, 50) < 0)
		return 13;
	peer_wait(sock);
	sealbuf_region_free(r);
	return 0;
}

/* The writer dies mid-update: readers give up after the stall timeout; a new writer takes over. */
static void writer_dies_mid_update(void **state)
{
	static const int dies = 0;
	struct peer p = spawn(SOCK_SEQPACKET, dying_writer, &dies);
	struct sealbuf_region *r;
	uint8_t buf[200];

	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	assert_int_equal(sealbuf_region_set_stall_timeout(r, STALL_MS), 0);
	honest_go(p.sock);
	assert_int_equal(waitpid(p.pid, NULL, 0), p.pid);
	expect_fail("writer dies mid-update: read", sealbuf_region_read(r), -EOWNERDEAD,
		    SEALBUF_R_WRITER_STALLED);
	expect_fail("writer dies mid-update: snapshot",
		    sealbuf_region_snapshot(r, buf, sizeof(buf), NULL, NULL), -EOWNERDEAD,
		    SEALBUF_R_WRITER_STALLED);
	expect_fail("writer dies mid-update: wait", sealbuf_region_wait(r, 2, -1, NULL),
		    -EOWNERDEAD, SEALBUF_R_WRITER_STALLED);
	/* A writable receiver takes over and publishes a consistent state again. */
	assert_int_equal(sealbuf_region_write(r, buf, 10), 0);
	assert_int_equal(sealbuf_region_read(r), 0);
	assert_int_equal(sealbuf_region_size(r), 10);
	sealbuf_region_free(r);
	close(p.sock);
}

/* The writer is stopped (SIGSTOP) mid-update: stalled while stopped, fine once it goes on. */
static void writer_stopped_mid_update(void **state)
{
	static const int stops = 1;
	struct peer p = spawn(SOCK_SEQPACKET, dying_writer, &stops);
	struct sealbuf_region *r;
	int status;

	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	assert_int_equal(sealbuf_region_set_stall_timeout(r, STALL_MS), 0);
	honest_go(p.sock);
	assert_int_equal(waitpid(p.pid, &status, WUNTRACED), p.pid);
	assert_true(WIFSTOPPED(status));
	expect_fail("writer stopped mid-update: read", sealbuf_region_read(r), -EOWNERDEAD,
		    SEALBUF_R_WRITER_STALLED);
	kill(p.pid, SIGCONT);
	assert_int_equal(sealbuf_region_wait(r, sealbuf_region_seq(r), TIMEOUT_MS, NULL), 0);
	assert_int_equal(sealbuf_region_read(r), 0);
	assert_int_equal(sealbuf_region_size(r), 50);
	sealbuf_region_free(r);
	honest_go(p.sock);
	reap(&p);
}

static void need_udmabuf(void)
{
	if (access("/dev/udmabuf", F_OK) < 0 && getenv("SEALBUF_IN_VM"))
		fail_msg("the VM guest has no /dev/udmabuf");
	if (access("/dev/udmabuf", F_OK) < 0) {
		print_message("skipped: no /dev/udmabuf: runs in the VM tier (vm-hostile-dmabuf)\n");
		skip();
	}
}

/* ---- a dma-buf instead of a memfd (needs /dev/udmabuf: the VM tier) ---- */

static int dmabuf_peer(int sock, const void *arg)
{
	struct sb_wire w = { SB_WIRE_MAGIC, SB_WIRE_VERSION, SB_WIRE_LEN, SEALBUF_KIND_PLAIN, 0,
			     4096, 4096 };
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = 4096 };
	uint8_t buf[SB_WIRE_LEN];
	int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC), fd, ret;

	c.memfd = (uint32_t)fz_make_fd(FZ_FD_SEALED, 1, NULL, 0);
	fd = ioctl(dev, UDMABUF_CREATE, &c);
	if (dev < 0 || fd < 0)
		return 10;
	close((int)c.memfd); /* the dma-buf keeps the pages */
	sb_wire_encode(&w, buf);
	ret = tl_sendmsg_fds(sock, buf, sizeof(buf), &fd, 1);
	peer_wait(sock);
	return ret < 0 ? 11 : 0;
}

/* A dma-buf of a sealed memfd, sent as if it were the memfd: refused, and named. */
static void dmabuf_instead_of_memfd(void **state)
{
	struct sealbuf_region *r = (void *)0x1;
	struct peer p;

	need_udmabuf();
	p = spawn(SOCK_SEQPACKET, dmabuf_peer, NULL);
	expect_fail("a dma-buf (udmabuf of a sealed memfd)", recv_region(p.sock, 0, TIMEOUT_MS, &r),
		    -EBADFD, SEALBUF_R_NOT_MEMFD);
	honest_go(p.sock);
	reap(&p);
}

/*
 * The honest side exports what a peer sent: with the handle kept it works,
 * and the dma-buf outlives the peer's attempts to resize the memfd and the
 * peer itself; read-only or without the handle it is refused, and named.
 */
static void dmabuf_of_received_region(void **state)
{
	struct sealbuf_region *r;
	struct peer p;
	uint8_t *m;
	int fd;

	need_udmabuf();
	p = spawn(SOCK_SEQPACKET, resize_peer, NULL);
	assert_int_equal(recv_region(p.sock, SEALBUF_OPEN_KEEP_HANDLE, TIMEOUT_MS, &r), 0);
	assert_int_equal(sealbuf_region_export(r, NULL, &fd), 0);
	row("dma-buf export of a received region (KEEP_HANDLE)", 0);
	honest_go(p.sock); /* the peer tries to shrink, grow and seal; all refused */
	assert_int_equal(read(p.sock, (char[1]){ 0 }, 1), 1);
	honest_go(p.sock);
	reap(&p);
	sealbuf_region_free(r);
	/* Peer and region gone: the dma-buf still holds every page. */
	m = mmap(NULL, 4 * page(), PROT_READ, MAP_SHARED, fd, 0);
	assert_true(m != MAP_FAILED);
	assert_true(tl_check(m, 4 * page(), 7));
	munmap(m, 4 * page());
	close(fd);

	p = spawn(SOCK_SEQPACKET, honest_sender, NULL);
	assert_int_equal(recv_region(p.sock, SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE,
				     TIMEOUT_MS, &r), 0);
	expect_fail("dma-buf export of a region received read-only", sealbuf_region_export(r, NULL, &fd),
		    -EROFS, SEALBUF_R_READ_ONLY);
	sealbuf_region_free(r);
	honest_go(p.sock);
	reap(&p);

	p = spawn(SOCK_SEQPACKET, honest_sender, NULL);
	assert_int_equal(recv_region(p.sock, 0, TIMEOUT_MS, &r), 0);
	expect_fail("dma-buf export of a region received without KEEP_HANDLE",
		    sealbuf_region_export(r, NULL, &fd), -EBADF, SEALBUF_R_NO_HANDLE);
	sealbuf_region_free(r);
	honest_go(p.sock);
	reap(&p);
}

/* argv[1], if given, picks the tests to run (a cmocka filter such as "dmabuf*"). */
int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		TL_TEST(malformed_messages),	  TL_TEST(resize_refused),
		TL_TEST(punch_hole),		  TL_TEST(peer_killed_after_send),
		TL_TEST(stream_cut),		  TL_TEST(silent_peers),
		TL_TEST(fd_flood),		  TL_TEST(fd_flood_at_limit),
		TL_TEST(message_flood),		  TL_TEST(stream_split),
		TL_TEST(receiver_socket_options), TL_TEST(header_tampered),
		TL_TEST(header_scribbled_during_reads),
		TL_TEST(writer_dies_mid_update),  TL_TEST(writer_stopped_mid_update),
		TL_TEST(dmabuf_instead_of_memfd), TL_TEST(dmabuf_of_received_region),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
