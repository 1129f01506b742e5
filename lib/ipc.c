/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sending and receiving regions over AF_UNIX sockets: one message carries
 * the fd (SCM_RIGHTS) and its 32-byte description (wire.c).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "region.h"
#include "wire.h"

/* Room for a frame's buffers and a few more: what is past it the kernel drops. */
#define MAX_FDS SB_INBOX_FDS
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#define OPEN_FLAGS                                                             \
	(SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE | SEALBUF_OPEN_NOMAP |         \
	 SEALBUF_OPEN_POPULATE | SEALBUF_OPEN_LAZY)
/*
 * Room for what the caller's socket options add ahead of the fds
 * (SO_PASSCRED's credentials, SO_PASSPIDFD's pidfd, SO_PASSSEC's label):
 * without it the kernel truncates the fds away.
 */
#define CTL_EXTRA                                                              \
	(CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(256))

static int send_err(ssize_t n)
{
	if (n == -EPIPE || n == -ECONNRESET || n == -ENOTCONN)
		return sb_fail((int)n, SEALBUF_R_PEER_CLOSED, "sendmsg: the peer has gone (%s)",
			       strerror((int)-n));
	if (n == -EAGAIN)
		return sb_fail((int)n, SEALBUF_R_WOULD_BLOCK, "sendmsg: the socket is full");
	return sb_fail_sys((int)n, "sendmsg");
}

int sb_send_fds(int sock, const int *fds, size_t nfds, const uint8_t *buf, size_t len)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	} ctl = { 0 };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	size_t sent = 0;

	if (nfds == 0 || nfds > MAX_FDS)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "%zu fds in one message", nfds);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	/* A stream socket may take the bytes in parts; the fds go with the first. */
	while (sent < len) {
		ssize_t n = sb_sendmsg(sock, &msg, 0);
		if (n < 0)
			return send_err(n);
		sent += (size_t)n;
		iov.iov_base = (void *)(buf + sent);
		iov.iov_len = len - sent;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	}
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_send(int sock, const struct sealbuf_region *region,
				       uint32_t flags)
{
	uint8_t buf[SB_WIRE_LEN];
	struct sb_wire w = { .magic = SB_WIRE_MAGIC, .version = SB_WIRE_VERSION,
			     .length = SB_WIRE_LEN };
	bool rdonly;
	int fd, r = sb_share_check(region, flags, false);

	if (r < 0)
		return r;
	/* A region mapped read-only here goes out read-only, with or without the flag. */
	rdonly = (flags & SEALBUF_SHARE_RDONLY) || !region->writable;
	/* SCM_RIGHTS duplicates the fd itself; only a read-only handle needs one of its own. */
	fd = region->fd;
	if (rdonly && (r = sb_share_fd(region, flags, &fd)) < 0)
		return r;
	w.kind = region->kind;
	w.flags = rdonly ? SB_WIRE_RDONLY : 0;
	w.size = sb_kind_has_header(region->kind) ? region->capacity : region->size;
	w.file_size = region->map_size;
	sb_wire_encode(&w, buf);
	r = sb_send_fds(sock, &fd, 1, buf, sizeof(buf));
	if (rdonly)
		sb_close(fd);
	return r;
}

void sb_inbox_close(struct sb_inbox *in)
{
	for (size_t i = 0; i < in->nfds; i++)
		sb_close(in->fds[i]);
	in->nfds = 0;
	sb_close(in->pidfd);
	in->pidfd = -1;
}

/* Keep the fds of an SCM_RIGHTS message; close those of anything else. */
static void take_cmsg_fds(struct sb_inbox *in, const struct cmsghdr *c, bool keep)
{
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

	for (size_t i = 0; i < n; i++) {
		int fd;
		memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		if (keep && in->nfds < MAX_FDS) {
			in->fds[in->nfds++] = fd;
			continue;
		}
		in->dropped += keep;
		sb_close(fd); /* an SO_PASSPIDFD pidfd, or past our room */
	}
}

/* What the kernel says of the sender, when the caller's socket options ask it to. */
static bool take_sender(struct sb_inbox *in, const struct cmsghdr *c)
{
	if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(in->cred))) {
		memcpy(&in->cred, CMSG_DATA(c), sizeof(in->cred));
		in->have_cred = true;
		return true;
	}
	if (c->cmsg_type == SCM_PIDFD && in->pidfd < 0 && c->cmsg_len == CMSG_LEN(sizeof(int))) {
		memcpy(&in->pidfd, CMSG_DATA(c), sizeof(int));
		return true;
	}
	return false;
}

static void take_fds(struct sb_inbox *in, struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_SOCKET && !take_sender(in, c) &&
		    (c->cmsg_type == SCM_RIGHTS || c->cmsg_type == SCM_PIDFD))
			take_cmsg_fds(in, c, c->cmsg_type == SCM_RIGHTS);
	if (msg->msg_flags & MSG_CTRUNC)
		in->ctrunc = true;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The one timeout rule (poll's) for the start of a message; once a message
 * has begun on a stream, its rest must come within RECV_REST_MS (or the
 * caller's deadline, if sooner), even when the caller waits forever: a peer
 * that sends half a message and stalls never holds a receiver for long.
 */
#define RECV_REST_MS 1000

struct recv_clock {
	int timeout_ms;
	int64_t deadline;      /* timeout_ms > 0: when the wait ends */
	int64_t rest_deadline; /* once a message has begun: when its rest must be in */
};

static int poll_budget(struct recv_clock *c, bool started)
{
	int64_t end = c->deadline, now = now_ms();

	if (started && !c->rest_deadline)
		c->rest_deadline = now + RECV_REST_MS;
	if (started && (c->timeout_ms <= 0 || c->rest_deadline < end))
		end = c->rest_deadline;
	else if (c->timeout_ms <= 0)
		return c->timeout_ms < 0 ? -1 : 0;
	return end > now ? (int)(end - now) : 0;
}

static int wait_readable(int sock, struct recv_clock *c, bool started)
{
	int r = sb_poll_in(sock, poll_budget(c, started));

	if (r < 0)
		return sb_fail_sys(r, "poll");
	if (r > 0)
		return 0;
	if (started)
		return sb_fail(-ETIMEDOUT, SEALBUF_R_TIMEOUT,
			       "the peer sent part of a message and stalled; the stream is out of step: close it");
	if (c->timeout_ms == 0)
		return sb_fail(-EAGAIN, SEALBUF_R_WOULD_BLOCK, "no message queued");
	return sb_fail(-ETIMEDOUT, SEALBUF_R_TIMEOUT, "no message within %d ms", c->timeout_ms);
}

/*
 * recvmsg's 0: the end of a stream, or an empty datagram (perhaps with fds)
 * on SEQPACKET and DGRAM sockets, which is a message too short to be ours.
 */
static bool at_end(int sock, int type, const struct sb_inbox *in)
{
	if (type == SOCK_STREAM)
		return true;
	if (type != SOCK_SEQPACKET || in->nfds || in->ctrunc)
		return false;
	return sb_hung_up(sock);
}

static int fail_not_socket(int sock)
{
	return sb_fail(-ENOTSOCK, SEALBUF_R_INVALID_ARGUMENT, "fd %d is not a socket", sock);
}

static int socket_type(int sock, int *ret)
{
	socklen_t len = sizeof(*ret);

	if (getsockopt(sock, SOL_SOCKET, SO_TYPE, ret, &len) < 0)
		return errno == ENOTSOCK ? fail_not_socket(sock) : sb_fail_sys(-errno, "getsockopt(SO_TYPE)");
	return 0;
}

/*
 * One recvmsg of up to @want bytes; @flags: MSG_DONTWAIT, or 0 to wait in
 * the kernel. *@type is the socket's type, or 0 while nobody has asked it
 * (it is asked here when an empty read needs it).
 */
static int recv_part(int sock, int *type, struct sb_inbox *in, size_t want, int flags)
{
	union {
		struct cmsghdr align;
		char buf[CTL_EXTRA + CMSG_SPACE(MAX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = in->buf + in->len, .iov_len = want };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = sb_recvmsg(sock, &msg, flags);
	int r;

	if (n == -EAGAIN)
		return 0; /* nothing queued, or woken for nothing: wait */
	if (n == -ENOTSOCK)
		return fail_not_socket(sock);
	if (n < 0)
		return n == -ECONNRESET
			       ? sb_fail(-ECONNRESET, SEALBUF_R_PEER_CLOSED, "the peer reset the connection")
			       : sb_fail_sys((int)n, "recvmsg");
	take_fds(in, &msg);
	if (n == 0 && !*type && (r = socket_type(sock, type)) < 0)
		return r;
	if (n == 0 && at_end(sock, *type, in))
		return sb_fail(-ECONNRESET, SEALBUF_R_PEER_CLOSED,
			       in->len ? "the peer closed the socket in the middle of a message"
				       : "the peer closed the socket");
	in->len += (size_t)n;
	if (msg.msg_flags & MSG_TRUNC)
		in->oversized = true;
	return 1;
}

/*
 * How much of a stream message is still to come: the first SB_WIRE_LEN bytes,
 * then, for a version 2 message (a frame), up to the length its preamble
 * declares (at most SB_MSG_MAX), never more, so the next message stays queued.
 */
static size_t stream_want(const struct sb_inbox *in)
{
	size_t total = SB_WIRE_LEN;

	if (in->len >= SB_WIRE_LEN && sb_wire_peek_length(in->buf, in->len, &total) < 0)
		total = SB_WIRE_LEN;
	return total > in->len ? total - in->len : 0;
}

/*
 * Whether the message read so far is whole, for a caller who expects
 * exactly @expect bytes and has not asked the socket's type: a datagram
 * longer than that was cut (MSG_TRUNC: only datagrams say so), and a
 * message of exactly that size, whose preamble says so too, is whole on
 * any socket. Anything else needs the type to decide.
 */
static bool whole_untyped(const struct sb_inbox *in, size_t expect)
{
	return in->oversized || (in->len == expect && stream_want(in) == 0);
}

/*
 * Read one message: a datagram (SEQPACKET, DGRAM) in one go, or a stream's
 * next message. A caller who waits forever for a message to begin waits in
 * a blocking recvmsg, with no poll (a non-blocking socket answers EAGAIN and
 * poll waits instead); with a timeout the first recvmsg does not wait, and
 * poll waits only when nothing is queued. The rest of a begun stream message
 * is always waited for with poll, under its own deadline.
 *
 * @expect (a region message's SB_WIRE_LEN, or 0 for any length): the first
 * recvmsg asks for exactly that many bytes, which reads a stream message and
 * an expected datagram alike, so the socket's type (a getsockopt) is asked
 * only when what came is not exactly that message.
 */
int sb_recv_message(int sock, int timeout_ms, size_t expect, struct sb_inbox *in)
{
	/* The clock is read only for a timeout: a caller who waits for ever never needs it. */
	struct recv_clock clock = { .timeout_ms = timeout_ms,
				    .deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0 };
	int type = 0, r = expect ? 0 : socket_type(sock, &type);

	while (r == 0) {
		int flags = timeout_ms < 0 && in->len == 0 ? 0 : MSG_DONTWAIT;
		size_t want = type == SOCK_STREAM ? stream_want(in)
			      : type			 ? SB_MSG_MAX + 1
							 : expect - in->len;
		int t = 0;
		r = recv_part(sock, &type, in, want, flags);
		if (r == 1 && !type && whole_untyped(in, expect))
			return 0;
		if (r == 1 && !type && (t = socket_type(sock, &type)) < 0)
			return t;
		if (r == 1 && (type != SOCK_STREAM || stream_want(in) == 0))
			return 0;
		if (r >= 0)
			r = wait_readable(sock, &clock, in->len > 0);
	}
	return r;
}

int sb_inbox_check_fds(const struct sb_inbox *in, size_t want)
{
	/* Truncated with room to spare: the kernel could not install the fds. */
	if (in->ctrunc && in->nfds < MAX_FDS)
		return sb_fail(-EMFILE, SEALBUF_R_SYSCALL,
			       "the kernel dropped the message's fds (%zu received): this process is at its fd limit (RLIMIT_NOFILE)",
			       in->nfds);
	if (in->ctrunc || in->nfds > want)
		return sb_fail(-EBADMSG, SEALBUF_R_EXTRA_FDS,
			       "the message carried %s%zu fds, %zu expected: all closed",
			       in->ctrunc ? "more than " : "", in->nfds + in->dropped, want);
	if (in->nfds < want && in->nfds > 0)
		return sb_fail(-EBADMSG, SEALBUF_R_NO_FD,
			       "the message carried %zu fds, %zu expected: all closed", in->nfds, want);
	if (in->nfds == 0)
		return sb_fail(-EBADMSG, SEALBUF_R_NO_FD, "the message carried no fd");
	return 0;
}

/*
 * The read-only flag promises an O_RDONLY fd (docs/wire-format.md): a
 * message that breaks it is refused, so no writable fd stays behind.
 */
static int check_rdonly_fd(int fd)
{
	int fl = sb_fcntl(fd, F_GETFL, 0);

	if (fl < 0)
		return sb_fail_sys(fl, "fcntl(F_GETFL)");
	if ((fl & O_ACCMODE) != O_RDONLY)
		return sb_fail(-EACCES, SEALBUF_R_ACCESS_MODE,
			       "the message says read-only but its fd is open for writing: refused and closed");
	return 0;
}

int sb_open_received(const struct sb_wire *w, int fd, uint32_t flags,
		     struct sealbuf_region **ret)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags, .kind = w->kind);
	struct sealbuf_region *region;
	int r;

	if ((w->flags & SB_WIRE_RDONLY) && !(flags & SEALBUF_OPEN_RDONLY)) {
		sb_close(fd);
		return sb_fail(-EACCES, SEALBUF_R_ACCESS_MODE,
			       "the sender shared this region read-only: receive it with SEALBUF_OPEN_RDONLY");
	}
	if ((w->flags & SB_WIRE_RDONLY) && (r = check_rdonly_fd(fd)) < 0) {
		sb_close(fd);
		return r;
	}
	r = sealbuf_region_open(fd, (size_t)w->size, &o, &region);
	if (r < 0)
		return r;
	if (region->file_size != w->file_size) {
		size_t have = region->file_size;
		sealbuf_region_free(region);
		return sb_fail(-ERANGE, SEALBUF_R_SIZE_MISMATCH,
			       "the message declares a %llu-byte file; the fd holds %zu",
			       (unsigned long long)w->file_size, have);
	}
	*ret = region;
	return 0;
}

#define RECV_FLAGS                                                             \
	(OPEN_FLAGS | SEALBUF_RECV_SAME_UID | SEALBUF_RECV_PEER_PIDFD)

/* The peer options of a region's or a frame's receive: allow_uids, then ret_peer's size. */
int sb_peer_rule_check(const struct sb_peer_rule *p)
{
	size_t peer_sz;

	if (p->n_allow_uids && !p->allow_uids)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "n_allow_uids is %u and allow_uids is NULL", p->n_allow_uids);
	if (!p->ret_peer)
		return 0;
	memcpy(&peer_sz, p->ret_peer, sizeof(peer_sz));
	if (peer_sz < sizeof(struct sealbuf_peer))
		return sb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE,
			       "ret_peer .sz is %zu, at least %zu expected (set it to sizeof the struct)",
			       peer_sz, sizeof(struct sealbuf_peer));
	return 0;
}

static int load_recv_opts(const struct sealbuf_recv_opts *opts, struct sealbuf_recv_opts *o)
{
	int r = sb_opts_load(opts, offsetof(struct sealbuf_recv_opts, flags), sizeof(*o), o);

	if (r == 0)
		r = sb_check_flags(o->flags, RECV_FLAGS, "receive flags");
	if (r == 0)
		r = sb_open_flags_check(o->flags);
	if (r == 0)
		r = sb_check_reserved(o->reserved, "receive options");
	return r;
}

static bool wants_peer(const struct sb_peer_rule *p)
{
	return p->ret_peer || p->n_allow_uids || (p->flags & SEALBUF_RECV_SAME_UID);
}

/*
 * Who sent the message: the credentials it carries (SO_PASSCRED on the
 * socket), else the socket's peer as of connect()/socketpair()
 * (SO_PEERCRED). Asked only when the caller wants to know: no system call
 * otherwise.
 */
static void peer_of(int sock, struct sb_inbox *in, bool want_pidfd, struct sealbuf_peer *p)
{
	struct ucred uc = { .pid = 0 };
	socklen_t len = sizeof(uc);
	int pidfd = -1;

	p->pidfd = -1;
	if (in->have_cred) {
		uc = in->cred;
		p->source = SEALBUF_PEER_MESSAGE;
	} else if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 && uc.pid > 0) {
		p->source = SEALBUF_PEER_SOCKET;
	}
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	if (!want_pidfd || p->source == SEALBUF_PEER_UNKNOWN)
		return;
	len = sizeof(pidfd);
	if (in->pidfd >= 0) {
		p->pidfd = in->pidfd;
		in->pidfd = -1;
	} else if (getsockopt(sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0) {
		p->pidfd = pidfd; /* 6.5+; older kernels: ENOPROTOOPT, and -1 stays */
	}
}

static int check_peer(const struct sb_peer_rule *rule, const struct sealbuf_peer *p)
{
	if (!rule->n_allow_uids && !(rule->flags & SEALBUF_RECV_SAME_UID))
		return 0;
	if (p->source == SEALBUF_PEER_UNKNOWN)
		return sb_fail(-EACCES, SEALBUF_R_PEER_REFUSED,
			       "the sender's identity is unknown (a datagram socket with no peer: set SO_PASSCRED "
			       "on it before the sender sends): the %s was refused and closed", rule->what);
	if ((rule->flags & SEALBUF_RECV_SAME_UID) && p->uid == geteuid())
		return 0;
	for (uint32_t i = 0; i < rule->n_allow_uids; i++)
		if (rule->allow_uids[i] == p->uid)
			return 0;
	return sb_fail(-EACCES, SEALBUF_R_PEER_REFUSED,
		       "the sender runs as uid %u (pid %d), which this receiver does not accept: "
		       "the %s was refused and closed", p->uid, (int)p->pid, rule->what);
}

/*
 * Identify the sender if asked, and refuse one the caller does not accept,
 * before any fd of the message is opened. On success an SO_PASSPIDFD pidfd
 * nobody asked for is closed; on failure the caller closes the inbox.
 */
int sb_identify(int sock, const struct sb_peer_rule *rule, struct sb_inbox *in,
		struct sealbuf_peer *peer)
{
	int r = 0;

	*peer = (struct sealbuf_peer){ .sz = sizeof(*peer), .pidfd = -1 };
	if (wants_peer(rule)) {
		peer_of(sock, in, rule->flags & SEALBUF_RECV_PEER_PIDFD, peer);
		r = check_peer(rule, peer);
	}
	if (r < 0) {
		sb_close(peer->pidfd);
		peer->pidfd = -1;
		return r;
	}
	sb_close(in->pidfd);
	in->pidfd = -1;
	return 0;
}

/* After a successful receive: the sender to the caller who asked, else its pidfd closed. */
void sb_peer_hand_back(const struct sb_peer_rule *rule, struct sealbuf_peer *peer)
{
	if (rule->ret_peer)
		sb_info_store(rule->ret_peer, peer, sizeof(*peer), sizeof(*peer));
	else
		sb_close(peer->pidfd);
	peer->pidfd = -1;
}

SEALBUF_EXPORT int sealbuf_region_recv(int sock, const struct sealbuf_recv_opts *opts,
				       struct sealbuf_region **ret_region)
{
	struct sealbuf_recv_opts o;
	struct sealbuf_peer peer;
	struct sb_inbox in = { .nfds = 0, .pidfd = -1 };
	struct sb_peer_rule rule;
	struct sb_wire w;
	int r = load_recv_opts(opts, &o);

	rule = (struct sb_peer_rule){ .flags = o.flags, .allow_uids = o.allow_uids,
				      .n_allow_uids = o.n_allow_uids, .ret_peer = o.ret_peer,
				      .what = "region" };
	if (r == 0)
		r = sb_peer_rule_check(&rule);
	if (r == 0 && !ret_region)
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_region is NULL");
	if (r == 0)
		r = sb_recv_message(sock, o.timeout_ms, SB_WIRE_LEN, &in);
	/* The version first: a frame (version 2) gets its own clear error. */
	if (r == 0)
		r = sb_wire_decode(in.buf, in.len, &w);
	if (r == 0 && in.oversized)
		r = sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			    "the message is longer than the %u bytes of a sealbuf message", SB_WIRE_LEN);
	if (r == 0)
		r = sb_inbox_check_fds(&in, 1);
	if (r == 0)
		r = sb_identify(sock, &rule, &in, &peer);
	if (r < 0) {
		sb_inbox_close(&in);
		return r;
	}
	r = sb_open_received(&w, in.fds[0], o.flags & OPEN_FLAGS, ret_region);
	if (r < 0) {
		sb_close(peer.pidfd);
		return r;
	}
	sb_peer_hand_back(&rule, &peer);
	return 0;
}
