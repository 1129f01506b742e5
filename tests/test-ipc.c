/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sockets: send and receive regions across fork, and every broken or hostile message. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "wire.h"

static struct sealbuf_region *new_region(size_t size)
{
	return tl_region(NULL, size, 0);
}

static void wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Child: receive a region, check the parent's pattern, write ours, say done. */
static int child_main(int sock, size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags, .timeout_ms = 10000);
	struct sealbuf_region *r = NULL;
	char ok = 1;

	if (sealbuf_region_recv(sock, &o, &r) < 0) {
		fprintf(stderr, "child: %s\n", sealbuf_last_error());
		return 1;
	}
	if (sealbuf_region_size(r) != size || !tl_check(sealbuf_region_data(r), size, 42))
		return 2;
	if (!(flags & SEALBUF_OPEN_RDONLY))
		tl_fill(sealbuf_region_data(r), size, 43);
	sealbuf_region_free(r);
	return write(sock, &ok, 1) == 1 ? 0 : 3;
}

static void across_fork(int type, size_t size, uint32_t share_flags)
{
	uint32_t open_flags = share_flags & SEALBUF_SHARE_RDONLY ? SEALBUF_OPEN_RDONLY : 0;
	struct sealbuf_region *r = new_region(size);
	int sv[2];
	char ok;
	pid_t pid;

	tl_socketpair(type, sv);
	tl_fill(sealbuf_region_data(r), size, 42);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(child_main(sv[1], size, open_flags));
	}
	close(sv[1]);
	assert_int_equal(sealbuf_region_send(sv[0], r, share_flags), 0);
	assert_int_equal(read(sv[0], &ok, 1), 1);
	wait_child(pid);
	/* The child wrote straight into our pages: no copy either way. */
	if (!(share_flags & SEALBUF_SHARE_RDONLY))
		assert_true(tl_check(sealbuf_region_data(r), size, 43));
	close(sv[0]);
	sealbuf_region_free(r);
}

static void fork_seqpacket(void **state) { across_fork(SOCK_SEQPACKET, 5 * tl_page() + 3, 0); }
static void fork_stream(void **state) { across_fork(SOCK_STREAM, 1 << 20, 0); }
static void fork_dgram(void **state) { across_fork(SOCK_DGRAM, tl_page(), 0); }
static void fork_empty(void **state) { across_fork(SOCK_SEQPACKET, 0, 0); }
static void fork_rdonly(void **state) { across_fork(SOCK_STREAM, tl_page(), SEALBUF_SHARE_RDONLY); }

static void expect_recv(int sock, uint32_t flags, int timeout_ms, int err, enum sealbuf_reason why)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags, .timeout_ms = timeout_ms);
	struct sealbuf_region *r = NULL;

	tl_assert_fail(sealbuf_region_recv(sock, &o, &r), err, why);
	assert_null(r);
}

static void encode(uint8_t *buf, uint32_t kind, uint64_t size, uint64_t file_size)
{
	struct sb_wire w = { .magic = SB_WIRE_MAGIC, .version = SB_WIRE_VERSION,
			     .length = SB_WIRE_LEN, .kind = kind, .size = size,
			     .file_size = file_size };
	sb_wire_encode(&w, buf);
}

/* One message of @len bytes from @buf with @nfds copies of @fd, then a receive. */
static void hostile(int type, const void *buf, size_t len, int fd, size_t nfds, int err,
		    enum sealbuf_reason why)
{
	int sv[2], fds[64];

	for (size_t i = 0; i < nfds; i++)
		fds[i] = fd;
	tl_socketpair(type, sv);
	tl_send_raw(sv[0], buf, len, fds, nfds);
	if (err == 0) {
		struct sealbuf_region *r = NULL;
		assert_int_equal(sealbuf_region_recv(sv[1], NULL, &r), 0);
		sealbuf_region_free(r);
	} else {
		expect_recv(sv[1], 0, 1000, err, why);
	}
	close(sv[0]);
	close(sv[1]);
}

static void hostile_messages(void **state)
{
	struct sealbuf_region *r = new_region(tl_page());
	int fd = sealbuf_region_fd(r);
	uint8_t msg[SB_WIRE_LEN + 8] = { 0 };

	encode(msg, SEALBUF_KIND_PLAIN, tl_page(), tl_page());
	/* The honest message goes through. */
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, 0, SEALBUF_R_NONE);
	hostile(SOCK_SEQPACKET, msg, 4, fd, 1, -EPROTO, SEALBUF_R_TRUNCATED);
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN - 1, fd, 1, -EPROTO, SEALBUF_R_TRUNCATED);
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN + 8, fd, 1, -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 0, -EBADMSG, SEALBUF_R_NO_FD);
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 2, -EBADMSG, SEALBUF_R_EXTRA_FDS);
	/* More fds than the receiver has room for: control data truncated. */
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 60, -EBADMSG, SEALBUF_R_EXTRA_FDS);
	hostile(SOCK_DGRAM, msg, SB_WIRE_LEN, fd, 3, -EBADMSG, SEALBUF_R_EXTRA_FDS);
	msg[0] ^= 0xff;
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	encode(msg, SEALBUF_KIND_PLAIN, tl_page(), tl_page());
	msg[4] = 2;
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -EPROTONOSUPPORT, SEALBUF_R_VERSION);
	encode(msg, 7, tl_page(), tl_page());
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	encode(msg, SEALBUF_KIND_PLAIN, 2 * tl_page(), tl_page());
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -EBADMSG, SEALBUF_R_BAD_MESSAGE);
	/* Declared size disagrees with the fd. */
	encode(msg, SEALBUF_KIND_PLAIN, 2 * tl_page(), 2 * tl_page());
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -ERANGE, SEALBUF_R_SIZE_MISMATCH);
	encode(msg, SEALBUF_KIND_PLAIN, tl_page() - 1, 2 * tl_page());
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -ERANGE, SEALBUF_R_SIZE_MISMATCH);
	encode(msg, SEALBUF_KIND_PLAIN, UINT64_MAX, UINT64_MAX);
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, fd, 1, -EFBIG, SEALBUF_R_TOO_LARGE);
	sealbuf_region_free(r);
}

static void hostile_fd_in_message(void **state)
{
	uint8_t msg[SB_WIRE_LEN];
	int pfd[2];

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	encode(msg, SEALBUF_KIND_PLAIN, 0, 0);
	hostile(SOCK_SEQPACKET, msg, SB_WIRE_LEN, pfd[0], 1, -EBADFD, SEALBUF_R_NOT_MEMFD);
	close(pfd[0]);
	close(pfd[1]);
}

/* A stream peer that sends half a message and stalls: a timeout after @timeout_ms, no hang. */
static void stall_case(int timeout_ms)
{
	struct sealbuf_region *r = new_region(tl_page());
	uint8_t msg[SB_WIRE_LEN];
	int sv[2], fd = sealbuf_region_fd(r);

	encode(msg, SEALBUF_KIND_PLAIN, tl_page(), tl_page());
	tl_socketpair(SOCK_STREAM, sv);
	tl_send_raw(sv[0], msg, 10, &fd, 1);
	expect_recv(sv[1], 0, timeout_ms, -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	assert_non_null(strstr(sealbuf_last_error(), "stalled"));
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
}

static void stream_stall(void **state) { stall_case(50); }

/*
 * A stream message that comes in parts (the fd with the first) is read
 * whole, for a receiver that waits for ever and for one with a timeout;
 * the message after it, sent whole, is read on its own.
 */
static void stream_in_parts(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, forever, .timeout_ms = -1);
	SEALBUF_OPTS(sealbuf_recv_opts, timed, .timeout_ms = 1000);
	const struct sealbuf_recv_opts *opts[] = { &forever, &timed };
	struct sealbuf_region *r = new_region(tl_page()), *got;
	uint8_t msg[SB_WIRE_LEN];
	int sv[2], fd = sealbuf_region_fd(r);

	encode(msg, SEALBUF_KIND_PLAIN, tl_page(), tl_page());
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		tl_socketpair(SOCK_STREAM, sv);
		tl_send_raw(sv[0], msg, 5, &fd, 1);
		assert_int_equal(write(sv[0], msg + 5, 20), 20);
		assert_int_equal(write(sv[0], msg + 25, SB_WIRE_LEN - 25), SB_WIRE_LEN - 25);
		assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
		assert_int_equal(sealbuf_region_recv(sv[1], opts[i], &got), 0);
		assert_int_equal(sealbuf_region_size(got), tl_page());
		sealbuf_region_free(got);
		assert_int_equal(sealbuf_region_recv(sv[1], opts[i], &got), 0);
		sealbuf_region_free(got);
		close(sv[0]);
		close(sv[1]);
	}
	sealbuf_region_free(r);
}

/*
 * Waiting for ever, the receive blocks in recvmsg (no poll) for the start of
 * a message; the rest of a half-sent one still has its own deadline.
 */
static void stream_stall_forever(void **state) { stall_case(-1); }

/* A sender that sends after a while, to a receiver waiting for ever. */
static pid_t late_sender(int sock, struct sealbuf_region *r)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(sealbuf_region_send(sock, r, 0) == 0 ? 0 : 1);
	}
	return pid;
}

/* Waiting for ever works on blocking and non-blocking sockets alike. */
static void wait_forever(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .timeout_ms = -1);
	struct sealbuf_region *r = new_region(tl_page()), *x;
	int sv[2];

	for (int nonblock = 0; nonblock < 2; nonblock++) {
		tl_socketpair(nonblock ? SOCK_SEQPACKET : SOCK_STREAM, sv);
		if (nonblock)
			assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
		pid_t pid = late_sender(sv[0], r);
		assert_int_equal(sealbuf_region_recv(sv[1], &o, &x), 0);
		assert_int_equal(sealbuf_region_size(x), tl_page());
		sealbuf_region_free(x);
		wait_child(pid);
		close(sv[0]);
		close(sv[1]);
	}
	sealbuf_region_free(r);
}

/* Two messages back to back on a stream: each receive takes exactly one. */
static void stream_back_to_back(void **state)
{
	struct sealbuf_region *a = new_region(tl_page()), *b = new_region(2 * tl_page()), *x, *y;
	int sv[2];

	tl_socketpair(SOCK_STREAM, sv);
	assert_int_equal(sealbuf_region_send(sv[0], a, 0), 0);
	assert_int_equal(sealbuf_region_send(sv[0], b, 0), 0);
	assert_int_equal(sealbuf_region_recv(sv[1], NULL, &x), 0);
	assert_int_equal(sealbuf_region_recv(sv[1], NULL, &y), 0);
	assert_int_equal(sealbuf_region_size(x), tl_page());
	assert_int_equal(sealbuf_region_size(y), 2 * tl_page());
	sealbuf_region_free(x);
	sealbuf_region_free(y);
	sealbuf_region_free(a);
	sealbuf_region_free(b);
	close(sv[0]);
	close(sv[1]);
}

static void peer_closed_and_empty(void **state)
{
	struct sealbuf_region *r = new_region(tl_page());
	uint8_t msg[SB_WIRE_LEN];
	int sv[2], fd = sealbuf_region_fd(r);

	tl_socketpair(SOCK_SEQPACKET, sv);
	expect_recv(sv[1], 0, 0, -EAGAIN, SEALBUF_R_WOULD_BLOCK);
	expect_recv(sv[1], 0, 20, -ETIMEDOUT, SEALBUF_R_TIMEOUT);
	close(sv[0]);
	expect_recv(sv[1], 0, -1, -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	close(sv[1]);
	/* Closed in the middle of a stream message. */
	encode(msg, SEALBUF_KIND_PLAIN, tl_page(), tl_page());
	tl_socketpair(SOCK_STREAM, sv);
	tl_send_raw(sv[0], msg, 12, &fd, 1);
	close(sv[0]);
	expect_recv(sv[1], 0, 1000, -ECONNRESET, SEALBUF_R_PEER_CLOSED);
	close(sv[1]);
	/* Sending to a closed peer: an error, never SIGPIPE. */
	tl_socketpair(SOCK_STREAM, sv);
	close(sv[1]);
	tl_assert_fail(sealbuf_region_send(sv[0], r, 0), -EPIPE, SEALBUF_R_PEER_CLOSED);
	close(sv[0]);
	sealbuf_region_free(r);
}

static void rdonly_must_be_received_rdonly(void **state)
{
	struct sealbuf_region *r = new_region(tl_page());
	int sv[2];

	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], r, SEALBUF_SHARE_RDONLY), 0);
	expect_recv(sv[1], 0, 1000, -EACCES, SEALBUF_R_ACCESS_MODE);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
}

/* The receive flags reach the open: a populated mapping by default, none with LAZY. */
static void recv_populate(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, lazy, .flags = SEALBUF_OPEN_LAZY, .timeout_ms = 1000);
	size_t size = 1 << 20;
	struct sealbuf_region *r = new_region(size), *x;
	int sv[2];

	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
	assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
	expect_recv(sv[1], SEALBUF_OPEN_POPULATE | SEALBUF_OPEN_LAZY, 1000, -EINVAL,
		    SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_region_recv(sv[1], NULL, &x), 0);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(x), size), size / tl_page());
	sealbuf_region_free(x);
	assert_int_equal(sealbuf_region_recv(sv[1], &lazy, &x), 0);
	assert_int_equal(tl_pages_mapped(sealbuf_region_data(x), size), 0);
	sealbuf_region_free(x);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
}

static void recv_bad_arguments(void **state)
{
	struct sealbuf_region *r;
	int pfd[2];

	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	expect_recv(pfd[0], 0, 0, -ENOTSOCK, SEALBUF_R_INVALID_ARGUMENT);
	expect_recv(pfd[0], 1u << 9, 0, -EINVAL, SEALBUF_R_UNKNOWN_FLAGS);
	tl_assert_fail(sealbuf_region_recv(pfd[0], NULL, NULL), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_send(pfd[1], NULL, 0), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	(void)r;
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(fork_seqpacket), TL_TEST(fork_stream), TL_TEST(fork_dgram),
		TL_TEST(fork_empty), TL_TEST(fork_rdonly), TL_TEST(hostile_messages),
		TL_TEST(hostile_fd_in_message), TL_TEST(stream_stall), TL_TEST(stream_in_parts),
		TL_TEST(stream_stall_forever), TL_TEST(wait_forever),
		TL_TEST(stream_back_to_back), TL_TEST(peer_closed_and_empty),
		TL_TEST(rdonly_must_be_received_rdonly), TL_TEST(recv_bad_arguments),
		TL_TEST(recv_populate),
	};
	signal(SIGPIPE, SIG_DFL); /* prove send never raises it */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
