// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A C peer for the Python tests (tests/python): sends hostile handles, says
 * which reason the C library gives them, and receives regions a Python
 * process sent.
 *
 *   c-peer send CASE FD     send the hostile CASE on socket FD
 *   c-peer reason CASE      send CASE to itself; print the C library's reason
 *   c-peer recv FD          receive a region on FD; print what it holds
 *   c-peer cases            list the cases
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sealbuf.h"
#include "wire.h"

#define SEALS_OK (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

struct hostile {
	const char *name;
	unsigned int mfd_flags; /* memfd_create flags beyond MFD_CLOEXEC */
	int seals;              /* seals added */
	uint64_t declared;      /* size in the message (file is 4096 bytes) */
	uint32_t magic;
	int open_flags;         /* O_RDWR, or O_RDONLY for a read-only reopen */
	bool pipe;              /* send a pipe instead of a memfd */
	int nfds;               /* fds attached */
};

static const struct hostile cases[] = {
	{ "unsealed", MFD_ALLOW_SEALING, 0, 4096, SB_WIRE_MAGIC, O_RDWR, false, 1 },
	{ "no-grow-seal", MFD_ALLOW_SEALING, F_SEAL_SHRINK | F_SEAL_SEAL, 4096, SB_WIRE_MAGIC,
	  O_RDWR, false, 1 },
	{ "not-sealable", 0, 0, 4096, SB_WIRE_MAGIC, O_RDWR, false, 1 },
	{ "write-sealed", MFD_ALLOW_SEALING, SEALS_OK | F_SEAL_WRITE, 4096, SB_WIRE_MAGIC, O_RDWR,
	  false, 1 },
	{ "size-lie", MFD_ALLOW_SEALING, SEALS_OK, 8192, SB_WIRE_MAGIC, O_RDWR, false, 1 },
	{ "bad-magic", MFD_ALLOW_SEALING, SEALS_OK, 4096, 0x12345678, O_RDWR, false, 1 },
	{ "not-memfd", 0, 0, 4096, SB_WIRE_MAGIC, O_RDWR, true, 1 },
	{ "no-fd", MFD_ALLOW_SEALING, SEALS_OK, 4096, SB_WIRE_MAGIC, O_RDWR, false, 0 },
	{ "extra-fds", MFD_ALLOW_SEALING, SEALS_OK, 4096, SB_WIRE_MAGIC, O_RDWR, false, 2 },
	{ "rdonly-as-rw", MFD_ALLOW_SEALING, SEALS_OK, 4096, SB_WIRE_MAGIC, O_RDONLY, false, 1 },
};

static const struct hostile *find_case(const char *name)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	fprintf(stderr, "c-peer: no case %s\n", name);
	exit(2);
}

/* The fd @c sends: a memfd made by hand (or a pipe end). */
static int hostile_fd(const struct hostile *c)
{
	char path[64];
	int fd, ro, p[2];

	if (c->pipe) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	}
	fd = memfd_create("hostile", MFD_CLOEXEC | c->mfd_flags);
	if (fd < 0 || ftruncate(fd, 4096) < 0 || (c->seals && fcntl(fd, F_ADD_SEALS, c->seals) < 0))
		return -1;
	if (c->open_flags == O_RDWR)
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	return ro;
}

static int send_case(const struct hostile *c, int sock)
{
	struct sb_wire w = { .magic = c->magic, .version = SB_WIRE_VERSION, .length = SB_WIRE_LEN,
			     .kind = SEALBUF_KIND_PLAIN, .size = c->declared, .file_size = c->declared };
	uint8_t buf[SB_WIRE_LEN];
	char ctl[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2] = { hostile_fd(c), hostile_fd(c) };
	struct cmsghdr *cm;
	ssize_t n;

	if (fds[0] < 0 || fds[1] < 0)
		return -1;
	sb_wire_encode(&w, buf);
	if (c->nfds) {
		msg.msg_control = ctl;
		msg.msg_controllen = CMSG_SPACE(c->nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(c->nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, c->nfds * sizeof(int));
	}
	n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	close(fds[0]);
	close(fds[1]);
	return n == (ssize_t)sizeof(buf) ? 0 : -1;
}

/* What the C library says of @c: its reason's name. */
static int reason_of(const struct hostile *c)
{
	struct sealbuf_region *r = NULL;
	int sv[2], err;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || send_case(c, sv[0]) < 0)
		return 1;
	SEALBUF_OPTS(sealbuf_recv_opts, o, .timeout_ms = 1000);
	err = sealbuf_region_recv(sv[1], &o, &r);
	sealbuf_region_free(r);
	printf("%s\n", err < 0 ? sealbuf_reason_name(sealbuf_last_reason()) : "accepted");
	close(sv[0]);
	close(sv[1]);
	return 0;
}

/* Receive a region a Python process sent; print it as "kind size capacity seq hex16". */
static int recv_print(int sock)
{
	struct sealbuf_region *r = NULL;
	uint8_t head[16] = { 0 };
	uint64_t seq = 0;
	size_t size, n;
	int err;

	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 5000);
	err = sealbuf_region_recv(sock, &o, &r);
	if (err < 0) {
		printf("error %s\n", sealbuf_reason_name(sealbuf_last_reason()));
		return 0;
	}
	size = sealbuf_region_size(r);
	if (sealbuf_region_kind(r) != SEALBUF_KIND_PLAIN) {
		uint8_t *buf = malloc(sealbuf_region_capacity(r) + 1);

		err = buf ? sealbuf_region_snapshot(r, buf, sealbuf_region_capacity(r), &size, &seq) : -1;
		memcpy(head, buf, size < 16 ? size : 16);
		free(buf);
	} else {
		memcpy(head, sealbuf_region_data(r), size < 16 ? size : 16);
	}
	printf("%d %zu %zu %llu ", (int)sealbuf_region_kind(r), size, sealbuf_region_capacity(r),
	       (unsigned long long)seq);
	for (n = 0; n < (size < 16 ? size : 16); n++)
		printf("%02x", head[n]);
	printf("\n");
	sealbuf_region_free(r);
	return err < 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "cases")) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "send"))
		return send_case(find_case(argv[2]), atoi(argv[3])) < 0;
	if (argc == 3 && !strcmp(argv[1], "reason"))
		return reason_of(find_case(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "recv"))
		return recv_print(atoi(argv[2]));
	fprintf(stderr, "usage: c-peer cases | send CASE FD | reason CASE | recv FD\n");
	return 2;
}
