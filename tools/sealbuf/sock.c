/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix socket paths for the sharing subcommands. SOCK_SEQPACKET by default
 * (one message per region, as sealbuf_region_send() likes best); connecting
 * falls back to SOCK_STREAM when the listener is a stream socket, so the tool
 * talks to C programs whichever type they chose.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sock.h"
#include "tool.h"

static int make_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!*path)
		return tool_usage_error("the socket path is empty");
	if (strlen(path) >= sizeof(sun->sun_path))
		return tool_usage_error("socket path '%s' is %zu bytes; Unix socket paths hold at most %zu",
					path, strlen(path), sizeof(sun->sun_path) - 1);
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

static int try_connect(const struct sockaddr_un *sun, int type, int *ret_fd)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	*ret_fd = fd;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_err(const char *path, int e, bool waited, int timeout_ms)
{
	char after[64] = "";
	struct stat st;

	if (waited)
		snprintf(after, sizeof(after), " after waiting %d ms", timeout_ms);
	if (e == ENOENT)
		return tool_error(SBX_SOCKET, "no socket at %s%s (is the sender running?)", path, after);
	if (e == ECONNREFUSED && lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return tool_error(SBX_SOCKET, "%s is not a socket", path);
	if (e == ECONNREFUSED)
		return tool_error(SBX_SOCKET, "%s: nobody is listening there%s (connection refused)",
				  path, after);
	if (e == EACCES || e == EPERM)
		return tool_error(SBX_PERM, "%s: permission denied (connect needs write permission on the socket)",
				  path);
	return tool_error(tool_exit_for_errno(e), "cannot connect to %s: %s", path, strerror(e));
}

int sock_connect(const char *path, bool wait, int timeout_ms, int *ret_fd)
{
	struct sockaddr_un sun;
	int64_t deadline = now_ms() + timeout_ms;
	int r = make_addr(path, &sun);

	if (r)
		return r;
	for (;;) {
		r = try_connect(&sun, SOCK_SEQPACKET, ret_fd);
		if (r == -EPROTOTYPE)
			r = try_connect(&sun, SOCK_STREAM, ret_fd);
		if (r == 0)
			return 0;
		if (!wait || (r != -ENOENT && r != -ECONNREFUSED) || tool_interrupted ||
		    (timeout_ms > 0 && now_ms() >= deadline))
			return connect_err(path, -r, wait, timeout_ms);
		usleep(20 * 1000);
	}
}

/* A path that exists already: a stale socket is replaced, anything else refused. */
static int clear_path(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd = -1, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : tool_error(tool_exit_for_errno(errno), "%s: %s", path,
							  strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return tool_error(SBX_SOCKET, "%s exists and is not a socket: refusing to replace it",
				  path);
	r = try_connect(sun, SOCK_SEQPACKET, &fd);
	if (r == -EPROTOTYPE)
		r = try_connect(sun, SOCK_STREAM, &fd);
	if (r == 0) {
		close(fd);
		return tool_error(SBX_SOCKET, "%s is in use: another process is listening there", path);
	}
	if (r != -ECONNREFUSED)
		return tool_error(tool_exit_for_errno(-r), "%s: %s", path, strerror(-r));
	/* Nobody listens: a socket left by a process that died. */
	if (unlink(path) < 0 && errno != ENOENT)
		return tool_error(tool_exit_for_errno(errno), "cannot remove stale socket %s: %s",
				  path, strerror(errno));
	return 0;
}

static int bind_listen(int fd, const struct sockaddr_un *sun, const char *what)
{
	if (bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0)
		return tool_error(errno == EACCES || errno == EPERM ? SBX_PERM : SBX_SOCKET,
				  "cannot bind %s: %s", what, strerror(errno));
	if (listen(fd, 16) < 0)
		return tool_error(SBX_SOCKET, "cannot listen on %s: %s", what, strerror(errno));
	return 0;
}

int sock_listen(const char *path, int *ret_fd)
{
	struct sockaddr_un sun, tmp;
	char tmpname[sizeof(sun.sun_path) + 32];
	int fd, r = make_addr(path, &sun);

	if (r == 0)
		r = clear_path(path, &sun);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tool_error(SBX_SOCKET, "socket: %s", strerror(errno));
	/*
	 * Bind a temporary name, listen, then rename it into place: whoever
	 * sees the path can connect at once, never "connection refused".
	 */
	snprintf(tmpname, sizeof(tmpname), "%s.%d~", path, (int)getpid());
	if (strlen(tmpname) < sizeof(tmp.sun_path) && make_addr(tmpname, &tmp) == 0) {
		unlink(tmpname);
		r = bind_listen(fd, &tmp, tmpname);
		if (r == 0 && rename(tmpname, path) < 0) {
			r = tool_error(SBX_SOCKET, "cannot move %s to %s: %s", tmpname, path,
				       strerror(errno));
			unlink(tmpname);
		}
	} else {
		r = bind_listen(fd, &sun, path);
	}
	if (r) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int sock_accept(int lfd, const char *path, int timeout_ms, int *ret_fd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int r, fd;

	for (;;) {
		r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (r < 0 && errno == EINTR && !tool_interrupted)
			continue;
		if (r < 0 && errno == EINTR)
			return tool_error(SBX_NO, "interrupted while waiting for a client on %s", path);
		if (r < 0)
			return tool_error(SBX_SOCKET, "poll: %s", strerror(errno));
		if (r == 0)
			return tool_error(SBX_TIMEOUT, "no client connected to %s within %d ms", path,
					  timeout_ms);
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			*ret_fd = fd;
			return 0;
		}
		if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
			return tool_error(SBX_SOCKET, "accept on %s: %s", path, strerror(errno));
	}
}

int sock_wait_hangup(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char junk[64];

	for (;;) {
		int r = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
		if (r < 0 && errno == EINTR && !tool_interrupted)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		/* Anything the peer sends before closing is ignored. */
		ssize_t n = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return 0;
	}
}

int sock_peer_pid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	return cr.pid;
}
