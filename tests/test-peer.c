/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who sent it: the sender's uid, gid, pid and pidfd on receive of a region or a frame, and refusing senders, with two uids. */
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define FOURCC(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)
#define NV12 FOURCC('N', 'V', '1', '2')

#define UID_B 60002

/* An abstract-namespace listening socket: no file whose permissions another uid would need. */
static int listen_abstract(int type, struct sockaddr_un *sa, socklen_t *len)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   (size_t)snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1,
					    "sealbuf-peer-%d", (int)getpid()));
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, *len), 0);
	if (type != SOCK_DGRAM)
		assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* A two-region NV12 frame (one buffer per plane): a refusal must close both fds. */
static int send_frame(int s)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .flags = SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f;
	int r = sealbuf_frame_layout(NV12, 64, 32, &lo, &d, NULL);

	if (r == 0)
		r = sealbuf_frame_create(&d, NULL, &f);
	if (r < 0)
		return r;
	r = sealbuf_frame_send(s, f, 0);
	sealbuf_frame_free(f);
	return r;
}

/* A child, as @uid (0: stay), connects and sends one region (or frame); it waits for a byte before exiting. */
static pid_t sender_of(int type, const struct sockaddr_un *sa, socklen_t len, uid_t uid, bool frame)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sealbuf_region *r;
		int s;
		char c;

		if (uid && (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
			    setresuid(uid, uid, uid) < 0))
			_exit(90);
		s = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
		if (s < 0 || connect(s, (const struct sockaddr *)sa, len) < 0)
			_exit(91);
		if (frame ? send_frame(s) < 0
			  : sealbuf_region_create(100, NULL, &r) < 0 || sealbuf_region_send(s, r, 0) < 0)
			_exit(92);
		if (read(s, &c, 1) < 0)
			_exit(93);
		_exit(0);
	}
	return pid;
}

static pid_t sender(int type, const struct sockaddr_un *sa, socklen_t len, uid_t uid)
{
	return sender_of(type, sa, len, uid, false);
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Done with a sender's connection: free what came, let the sender go, reap it. */
static void done(struct sealbuf_region *got, int c, pid_t pid)
{
	sealbuf_region_free(got);
	assert_int_equal(write(c, "x", 1), 1);
	close(c);
	reap(pid);
}

/* The pid a pidfd refers to, from its fdinfo. */
static int pidfd_pid(int pidfd)
{
	char path[64], line[128];
	int pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	f = fopen(path, "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pid: %d", &pid) == 1)
			break;
	fclose(f);
	return pid;
}

/* socketpair: the peer is this process; no option, no system call, no peer. */
static void socketpair_peer(void **state)
{
	struct sealbuf_peer peer = { .sz = sizeof(peer) };
	SEALBUF_OPTS(sealbuf_recv_opts, o, .ret_peer = &peer, .flags = SEALBUF_RECV_SAME_UID);
	struct sealbuf_region *r = tl_region(NULL, 100, 0), *got = NULL;
	int sv[2];

	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], r, 0), 0);
	assert_int_equal(sealbuf_region_recv(sv[1], &o, &got), 0);
	assert_int_equal(peer.pid, getpid());
	assert_int_equal(peer.uid, geteuid());
	assert_int_equal(peer.gid, getegid());
	assert_int_equal(peer.source, SEALBUF_PEER_SOCKET);
	assert_int_equal(peer.pidfd, -1); /* not asked for */
	sealbuf_region_free(got);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(r);
}

/* Another uid: refused by SAME_UID (fd closed, nothing mapped), accepted by its uid, with a pidfd. */
static void two_uids(void **state)
{
	uint32_t allow[] = { 12345, UID_B };
	struct sealbuf_peer peer = { .sz = sizeof(peer) };
	SEALBUF_OPTS(sealbuf_recv_opts, same, .flags = SEALBUF_RECV_SAME_UID, .timeout_ms = 5000,
		     .ret_peer = &peer);
	SEALBUF_OPTS(sealbuf_recv_opts, listed, .flags = SEALBUF_RECV_PEER_PIDFD, .timeout_ms = 5000,
		     .allow_uids = allow, .n_allow_uids = 2, .ret_peer = &peer);
	struct sealbuf_region *got = (void *)0x1;
	struct sockaddr_un sa;
	socklen_t len;
	int lfd, c, maps = tl_count_memfd_maps();
	pid_t pid;

	if (geteuid() != 0)
		skip(); /* another uid needs root to become it */
	lfd = listen_abstract(SOCK_SEQPACKET, &sa, &len);
	pid = sender(SOCK_SEQPACKET, &sa, len, UID_B);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	tl_assert_fail(sealbuf_region_recv(c, &same, &got), -EACCES, SEALBUF_R_PEER_REFUSED);
	assert_non_null(strstr(sealbuf_last_error(), "60002"));
	assert_ptr_equal(got, (void *)0x1);
	assert_int_equal(tl_count_memfd_maps(), maps);
	done(NULL, c, pid);

	pid = sender(SOCK_SEQPACKET, &sa, len, UID_B);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_int_equal(sealbuf_region_recv(c, &listed, &got), 0);
	assert_int_equal(peer.uid, UID_B);
	assert_int_equal(peer.gid, UID_B);
	assert_int_equal(peer.pid, pid);
	assert_int_equal(peer.source, SEALBUF_PEER_SOCKET);
	if (peer.pidfd < 0) {
		printf("note: no pidfd: this kernel lacks SO_PEERPIDFD (6.5+)\n");
	} else {
		assert_int_equal(pidfd_pid(peer.pidfd), pid);
		close(peer.pidfd);
	}
	done(got, c, pid);
	close(lfd);
}

/* SO_PASSCRED: each message names its own sender; a same-uid sender passes SAME_UID. */
static void passcred(void **state)
{
	struct sealbuf_peer peer = { .sz = sizeof(peer) };
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_RECV_SAME_UID | SEALBUF_RECV_PEER_PIDFD,
		     .timeout_ms = 5000, .ret_peer = &peer);
	struct sealbuf_region *got = NULL;
	struct sockaddr_un sa;
	socklen_t len;
	int lfd, c, one = 1;
	pid_t pid;

	lfd = listen_abstract(SOCK_STREAM, &sa, &len);
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	pid = sender(SOCK_STREAM, &sa, len, 0);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_int_equal(setsockopt(c, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_int_equal(sealbuf_region_recv(c, &o, &got), 0);
	assert_int_equal(peer.pid, pid);
	assert_int_equal(peer.uid, geteuid());
	assert_true(peer.source == SEALBUF_PEER_MESSAGE || peer.source == SEALBUF_PEER_SOCKET);
	if (peer.pidfd >= 0)
		close(peer.pidfd);
	done(got, c, pid);
	close(lfd);
}

/* An unconnected datagram socket without SO_PASSCRED: nobody known, so SAME_UID refuses. */
static void unknown_sender(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_RECV_SAME_UID, .timeout_ms = 5000);
	SEALBUF_OPTS(sealbuf_recv_opts, bad, .n_allow_uids = 1);
	struct sealbuf_region *r = tl_region(NULL, 100, 0), *got = (void *)0x1;
	struct sealbuf_peer small = { .sz = 8 };
	SEALBUF_OPTS(sealbuf_recv_opts, bad_peer, .ret_peer = &small);
	struct sockaddr_un sa;
	socklen_t len;
	int rx = listen_abstract(SOCK_DGRAM, &sa, &len);
	int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_int_equal(connect(tx, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(sealbuf_region_send(tx, r, 0), 0);
	tl_assert_fail(sealbuf_region_recv(rx, &o, &got), -EACCES, SEALBUF_R_PEER_REFUSED);
	assert_non_null(strstr(sealbuf_last_error(), "unknown"));
	tl_assert_fail(sealbuf_region_recv(rx, &bad, &got), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_region_recv(rx, &bad_peer, &got), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	assert_ptr_equal(got, (void *)0x1);
	close(tx);
	close(rx);
	sealbuf_region_free(r);
}

/* Let a frame sender go and reap it. */
static void frame_done(struct sealbuf_frame *got, int c, pid_t pid)
{
	sealbuf_frame_free(got);
	done(NULL, c, pid);
}

/*
 * Frames, as regions: another uid refused by SAME_UID and by a list without
 * it, both of the message's fds closed and nothing mapped; accepted by its
 * uid, with its identity and a pidfd.
 */
static void frame_two_uids(void **state)
{
	uint32_t allow[] = { UID_B }, other[] = { 12345 };
	struct sealbuf_peer peer = { .sz = sizeof(peer) };
	SEALBUF_OPTS(sealbuf_frame_recv_opts, same, .flags = SEALBUF_RECV_SAME_UID, .timeout_ms = 5000,
		     .ret_peer = &peer);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, wrong, .timeout_ms = 5000, .allow_uids = other,
		     .n_allow_uids = 1);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, listed, .flags = SEALBUF_RECV_PEER_PIDFD,
		     .timeout_ms = 5000, .allow_uids = allow, .n_allow_uids = 1, .ret_peer = &peer);
	const struct sealbuf_frame_recv_opts *refusing[] = { &same, &wrong };
	struct sealbuf_frame *got = (void *)0x1;
	struct sockaddr_un sa;
	socklen_t len;
	int lfd, c, fds, maps = tl_count_memfd_maps();
	pid_t pid;

	if (geteuid() != 0)
		skip(); /* another uid needs root to become it */
	lfd = listen_abstract(SOCK_SEQPACKET, &sa, &len);
	for (size_t i = 0; i < 2; i++) {
		pid = sender_of(SOCK_SEQPACKET, &sa, len, UID_B, true);
		c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		assert_true(c >= 0);
		fds = tl_count_fds();
		tl_assert_fail(sealbuf_frame_recv(c, refusing[i], &got), -EACCES, SEALBUF_R_PEER_REFUSED);
		assert_non_null(strstr(sealbuf_last_error(), "60002"));
		assert_non_null(strstr(sealbuf_last_error(), "frame"));
		assert_ptr_equal(got, (void *)0x1);
		assert_int_equal(tl_count_fds(), fds);
		assert_int_equal(tl_count_memfd_maps(), maps);
		done(NULL, c, pid);
	}

	pid = sender_of(SOCK_SEQPACKET, &sa, len, UID_B, true);
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_int_equal(sealbuf_frame_recv(c, &listed, &got), 0);
	assert_int_equal(sealbuf_frame_desc(got)->nbuffers, 2);
	assert_int_equal(peer.uid, UID_B);
	assert_int_equal(peer.gid, UID_B);
	assert_int_equal(peer.pid, pid);
	assert_int_equal(peer.source, SEALBUF_PEER_SOCKET);
	if (peer.pidfd >= 0) {
		assert_int_equal(pidfd_pid(peer.pidfd), pid);
		close(peer.pidfd);
	}
	frame_done(got, c, pid);
	close(lfd);
}

/* A frame from our own uid passes SAME_UID; bad peer options are refused before any receive. */
static void frame_same_uid(void **state)
{
	struct sealbuf_peer peer = { .sz = sizeof(peer) }, small = { .sz = 8 };
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .flags = SEALBUF_RECV_SAME_UID, .timeout_ms = 5000,
		     .ret_peer = &peer);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, no_list, .n_allow_uids = 1);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, bad_peer, .ret_peer = &small);
	SEALBUF_OPTS(sealbuf_frame_recv_opts, resv, .reserved = 1);
	struct sealbuf_frame *got = NULL;
	int sv[2];

	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(send_frame(sv[0]), 0);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &no_list, &got), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &bad_peer, &got), -EINVAL, SEALBUF_R_BAD_OPTS_SIZE);
	tl_assert_fail(sealbuf_frame_recv(sv[1], &resv, &got), -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
	assert_int_equal(sealbuf_frame_recv(sv[1], &o, &got), 0);
	assert_int_equal(peer.pid, getpid());
	assert_int_equal(peer.uid, geteuid());
	assert_int_equal(peer.pidfd, -1);
	sealbuf_frame_free(got);
	close(sv[0]);
	close(sv[1]);
}

/* A frame on an unconnected datagram socket without SO_PASSCRED: nobody known, refused, fds closed. */
static void frame_unknown_sender(void **state)
{
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .flags = SEALBUF_RECV_SAME_UID, .timeout_ms = 5000);
	struct sealbuf_frame *got = (void *)0x1;
	struct sockaddr_un sa;
	socklen_t len;
	int rx = listen_abstract(SOCK_DGRAM, &sa, &len), fds;
	int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_int_equal(connect(tx, (struct sockaddr *)&sa, len), 0);
	assert_int_equal(send_frame(tx), 0);
	fds = tl_count_fds();
	tl_assert_fail(sealbuf_frame_recv(rx, &o, &got), -EACCES, SEALBUF_R_PEER_REFUSED);
	assert_non_null(strstr(sealbuf_last_error(), "unknown"));
	assert_int_equal(tl_count_fds(), fds);
	assert_ptr_equal(got, (void *)0x1);
	close(tx);
	close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(socketpair_peer),
		TL_TEST(two_uids),
		TL_TEST(passcred),
		TL_TEST(unknown_sender),
		TL_TEST(frame_two_uids),
		TL_TEST(frame_same_uid),
		TL_TEST(frame_unknown_sender),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
