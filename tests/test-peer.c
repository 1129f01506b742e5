/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who sent it: the sender's uid, gid, pid and pidfd on receive, and refusing senders, with two uids. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

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

/* A child, as @uid (0: stay), connects and sends one region; it waits for a byte before exiting. */
static pid_t sender(int type, const struct sockaddr_un *sa, socklen_t len, uid_t uid)
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
		if (sealbuf_region_create(100, NULL, &r) < 0 || sealbuf_region_send(s, r, 0) < 0)
			_exit(92);
		if (read(s, &c, 1) < 0)
			_exit(93);
		_exit(0);
	}
	return pid;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(socketpair_peer),
		TL_TEST(two_uids),
		TL_TEST(passcred),
		TL_TEST(unknown_sender),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
