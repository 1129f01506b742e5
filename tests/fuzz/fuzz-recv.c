/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: sealbuf_region_recv() on whatever a peer can put in a socket:
 * message bytes (split into parts on a stream) and SCM_RIGHTS ancillary data
 * carrying any number of fds of any kind (fuzz-common.h).
 *
 * Input: mode byte, fd byte, 2 bytes per fd recipe, then the message bytes.
 *  mode: bits 0-1 socket (0 SEQPACKET, 1 STREAM, 2 DGRAM, 3 STREAM in parts),
 *        bit 2 receive RDONLY, bit 3 receive KEEP_HANDLE, bit 4 close the
 *        sending end before receiving, bit 5 send the message twice.
 *  fds:  bits 0-3 number of fds (0-15), bits 4-7 part size on a stream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-common.h"

#define MAX_FDS 15
#define MAX_MSG 512

static const int sock_types[4] = { SOCK_SEQPACKET, SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM };

/* Send @len bytes; the fds ride on the first part. Best effort: a full socket ends it. */
static void send_parts(int sock, const uint8_t *buf, size_t len, size_t part,
		       const int *fds, size_t nfds)
{
	char ctl[CMSG_SPACE(MAX_FDS * sizeof(int))];
	size_t off = 0;

	do {
		size_t n = part && len - off > part ? part : len - off;
		struct iovec iov = { .iov_base = (void *)(buf + off), .iov_len = n };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		if (nfds) {
			struct cmsghdr *c;
			memset(ctl, 0, sizeof(ctl));
			msg.msg_control = ctl;
			msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
			c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
			memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
			nfds = 0;
		}
		if (sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			return;
		off += n;
	} while (off < len);
}

static void check_region(struct sealbuf_region *r, uint32_t flags)
{
	if (sealbuf_region_writable(r) != !(flags & SEALBUF_OPEN_RDONLY) ||
	    (sealbuf_region_fd(r) >= 0) != !!(flags & SEALBUF_OPEN_KEEP_HANDLE) ||
	    sealbuf_region_size(r) > sealbuf_region_mapped_size(r)) {
		fprintf(stderr, "received region does not match what was asked\n");
		abort();
	}
	fz_touch_region(r);
}

static void recv_one(int sock, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags, .timeout_ms = 0);
	struct sealbuf_region *r = (void *)0x1;
	int ret = sealbuf_region_recv(sock, &o, &r);

	fz_check_failure(ret, "sealbuf_region_recv");
	if (ret < 0 && r != (void *)0x1)
		abort(); /* untouched on failure */
	if (ret == 0) {
		check_region(r, flags);
		sealbuf_region_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t mode = fz_u8(&in), fdb = fz_u8(&in);
	uint32_t flags = (mode >> 2) & 3;
	size_t nfds = fdb & 15, part = fdb >> 4, len;
	int fds[MAX_FDS], sv[2];

	fz_leak_begin();
	for (size_t i = 0; i < nfds; i++) {
		uint8_t kind = fz_u8(&in), param = fz_u8(&in);
		fds[i] = fz_make_fd(kind, param, NULL, 0);
		if (fds[i] < 0)
			fds[i] = fz_make_fd(FZ_FD_DEVNULL, 0, NULL, 0); /* any fd keeps the count */
	}
	len = in.left > MAX_MSG ? MAX_MSG : in.left;
	if (socketpair(AF_UNIX, sock_types[mode & 3] | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	send_parts(sv[0], in.p, len, (mode & 3) == 3 ? part + 1 : 0, fds, nfds);
	if (mode & 32)
		send_parts(sv[0], in.p, len, 0, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (mode & 16)
		close(sv[0]);
	recv_one(sv[1], flags);
	if (mode & 32)
		recv_one(sv[1], flags);
	if (!(mode & 16))
		close(sv[0]);
	close(sv[1]);
	fz_leak_check("fuzz-recv");
	return 0;
}
