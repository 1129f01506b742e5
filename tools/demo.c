/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The main job, end to end: create a sealed region, send it to a child
 * process over a Unix socket, show that both sides see the same bytes with
 * no copy, and show the receiver rejecting a tampered handle.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sealbuf.h"

#define SIZE (64u << 20)

static int fail(const char *who, const char *what)
{
	fprintf(stderr, "%s: %s failed: %s (%s)\n", who, what, sealbuf_last_error(),
		sealbuf_reason_name(sealbuf_last_reason()));
	return 1;
}

static unsigned long inode_of(const void *addr)
{
	char line[512];
	unsigned long lo, hi, ino = 0;
	FILE *f = fopen("/proc/self/maps", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) == 3 &&
		    (unsigned long)addr >= lo && (unsigned long)addr < hi)
			break;
	if (f)
		fclose(f);
	return ino;
}

static int child(int sock)
{
	SEALBUF_OPTS(sealbuf_recv_opts, forever, .timeout_ms = -1);
	struct sealbuf_region *r;
	char *p;

	if (sealbuf_region_recv(sock, &forever, &r) < 0)
		return fail("child", "receiving the region");
	p = sealbuf_region_data(r);
	printf("child  (pid %d): received %zu bytes, mapped at %p, memfd inode %lu\n",
	       getpid(), sealbuf_region_size(r), (void *)p, inode_of(p));
	printf("child  (pid %d): reads \"%s\"\n", getpid(), p);
	snprintf(p + 4096, 128, "and the child wrote this into the same pages");
	sealbuf_region_free(r);
	if (write(sock, "k", 1) != 1)
		return 1;

	/* The parent now sends a tampered handle: an unsealed memfd. */
	if (sealbuf_region_recv(sock, &forever, &r) == 0) {
		fprintf(stderr, "child: accepted a tampered handle!\n");
		return 1;
	}
	printf("child  (pid %d): rejected the tampered handle: %s\n", getpid(),
	       sealbuf_reason_name(sealbuf_last_reason()));
	printf("                 reason: %s\n", sealbuf_last_error());
	return 0;
}

/*
 * A tampered handle: an honest message's bytes, but an unsealed memfd the
 * sender could shrink at any moment (a SIGBUS waiting for the receiver).
 */
static int send_tampered(int sock, const struct sealbuf_region *honest)
{
	char buf[64], ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int fd = memfd_create("tampered", MFD_CLOEXEC | MFD_ALLOW_SEALING), pair[2];
	ssize_t n;

	/* Capture the honest bytes; recv() without control data drops the fd. */
	if (fd < 0 || ftruncate(fd, SIZE) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0 ||
	    sealbuf_region_send(pair[0], honest, 0) < 0)
		return -1;
	n = recv(pair[1], buf, sizeof(buf), 0);
	close(pair[0]);
	close(pair[1]);
	if (n <= 0)
		return -1;
	iov.iov_len = (size_t)n;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	n = sendmsg(sock, &m, 0) == n ? 0 : -1;
	close(fd);
	printf("parent (pid %d): sent a tampered handle: same description, unsealed memfd\n",
	       getpid());
	return (int)n;
}

int main(void)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "sealbuf-demo", .flags = SEALBUF_CREATE_PREFAULT);
	struct sealbuf_region *r;
	int sv[2], status;
	char ack, *p;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sealbuf_region_create(SIZE, &o, &r) < 0)
		return fail("parent", "creating a 64 MiB region");
	p = sealbuf_region_data(r);
	strcpy(p, "hello from the parent, through shared pages");
	printf("parent (pid %d): created a sealed 64 MiB region at %p, memfd inode %lu\n",
	       getpid(), (void *)p, inode_of(p));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(child(sv[1]));
	}
	close(sv[1]);
	if (sealbuf_region_send(sv[0], r, 0) < 0)
		return fail("parent", "sending the region");
	if (read(sv[0], &ack, 1) != 1)
		return 1;
	printf("parent (pid %d): reads \"%s\" (no bytes were copied: same inode, same pages)\n",
	       getpid(), p + 4096);

	if (send_tampered(sv[0], r) < 0)
		return 1;
	waitpid(pid, &status, 0);
	sealbuf_region_free(r);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "demo: the child failed\n");
		return 1;
	}
	printf("demo: OK\n");
	return 0;
}
