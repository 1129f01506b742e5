/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unix socket paths for offer, recv and write. Each returns 0 or an exit status, message printed. */
#ifndef SEALBUF_TOOL_SOCK_H
#define SEALBUF_TOOL_SOCK_H

#include <stdbool.h>

/* Connect to @path; with @wait, retry while it is missing or refusing, until timeout_ms (0: forever). */
int sock_connect(const char *path, bool wait, int timeout_ms, int *ret_fd);
/* Listen on @path (a stale socket there is replaced; anything else refused). */
int sock_listen(const char *path, int *ret_fd);
/* Accept one client within timeout_ms (0: forever). */
int sock_accept(int lfd, const char *path, int timeout_ms, int *ret_fd);
/* Wait until the peer closes its end: 0, or -ETIMEDOUT/-errno. */
int sock_wait_hangup(int fd, int timeout_ms);
/* The peer's pid (SO_PEERCRED), or -1. */
int sock_peer_pid(int fd);

#endif
