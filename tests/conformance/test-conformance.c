/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Wire-format conformance: the library against peer.py, a stdlib Python peer written from the docs. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int data_sock, ctl_sock;
static pid_t peer_pid;

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

static int is_pattern(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 7 + seed))
			return 0;
	return 1;
}

static void say(const char *what)
{
	dprintf(ctl_sock, "go %s\n", what);
}

/* The peer's line for @step: "ok STEP" passes; anything else fails the test with it. */
static void peer_ok(const char *step)
{
	struct pollfd p = { .fd = ctl_sock, .events = POLLIN };
	char line[512], want[128];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		if (poll(&p, 1, 20000) != 1 || read(ctl_sock, line + n, 1) != 1)
			fail_msg("%s: the Python peer did not answer", step);
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	snprintf(want, sizeof(want), "ok %s\n", step);
	if (strcmp(line, want))
		fail_msg("%s: the Python peer says: %s", step, line);
	print_message("peer.py: %s", line);
}

static struct sealbuf_region *recv_as(uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags, .timeout_ms = 20000);
	struct sealbuf_region *r = NULL;

	if (sealbuf_region_recv(data_sock, &o, &r) < 0)
		fail_msg("receiving from the Python peer: %s (%s)", sealbuf_last_error(),
			 sealbuf_reason_name(sealbuf_last_reason()));
	return r;
}

static void py_sends_plain(void **state)
{
	size_t p = tl_page(), n = 3 * p + 100;
	struct sealbuf_region *r;

	say("py_sends_plain");
	r = recv_as(0);
	assert_int_equal(sealbuf_region_kind(r), SEALBUF_KIND_PLAIN);
	assert_int_equal(sealbuf_region_size(r), n);
	assert_true(is_pattern(sealbuf_region_data(r), n, 1));
	pattern(sealbuf_region_data(r), p, 2);
	say("library wrote");
	peer_ok("py_sends_plain");
	sealbuf_region_free(r);
}

static void py_sends_rdonly(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, rw, .timeout_ms = 20000);
	struct sealbuf_region *r = NULL;

	say("py_sends_rdonly");
	tl_assert_fail(sealbuf_region_recv(data_sock, &rw, &r), -EACCES, SEALBUF_R_ACCESS_MODE);
	r = recv_as(SEALBUF_OPEN_RDONLY);
	assert_false(sealbuf_region_writable(r));
	peer_ok("py_sends_rdonly");
	assert_memory_equal(sealbuf_region_data(r), "ro-py-more", 10);
	sealbuf_region_free(r);
}

static void py_sends_empty(void **state)
{
	struct sealbuf_region *r;

	say("py_sends_empty");
	r = recv_as(0);
	assert_int_equal(sealbuf_region_size(r), 0);
	assert_null(sealbuf_region_data(r));
	peer_ok("py_sends_empty");
	sealbuf_region_free(r);
}

static void py_sends_reserved(void **state)
{
	struct sealbuf_region *r;
	char buf[64];
	size_t n;

	say("py_sends_reserved");
	r = recv_as(SEALBUF_OPEN_RDONLY);
	assert_int_equal(sealbuf_region_kind(r), SEALBUF_KIND_RESERVED);
	assert_int_equal(sealbuf_region_snapshot(r, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 19);
	assert_memory_equal(buf, "published by python", 19);
	peer_ok("py_sends_reserved");
	sealbuf_region_free(r);
}

static void py_receives_plain(void **state)
{
	struct sealbuf_region *r = tl_region("to-python", 5000, 0);

	pattern(sealbuf_region_data(r), 5000, 3);
	assert_int_equal(sealbuf_region_send(data_sock, r, 0), 0);
	say("py_receives_plain");
	peer_ok("py_receives_plain");
	assert_true(is_pattern(sealbuf_region_data(r), tl_page(), 4));
	sealbuf_region_free(r);
}

static void py_receives_rdonly(void **state)
{
	size_t n = 2 * tl_page();
	struct sealbuf_region *r = tl_region("to-python-ro", n, 0);

	pattern(sealbuf_region_data(r), n, 5);
	assert_int_equal(sealbuf_region_send(data_sock, r, SEALBUF_SHARE_RDONLY), 0);
	say("py_receives_rdonly");
	peer_ok("py_receives_rdonly");
	assert_true(is_pattern(sealbuf_region_data(r), n, 5)); /* unchanged */
	sealbuf_region_free(r);
}

static void py_receives_reserved(void **state)
{
	struct sealbuf_region *r = NULL;

	assert_int_equal(sealbuf_region_reserve(100, NULL, &r), 0);
	assert_int_equal(sealbuf_region_write(r, "hello from the library", 22), 0);
	assert_int_equal(sealbuf_region_send(data_sock, r, SEALBUF_SHARE_RDONLY), 0);
	say("py_receives_reserved");
	peer_ok("py_receives_reserved");
	sealbuf_region_free(r);
}

static void py_receives_empty(void **state)
{
	struct sealbuf_region *r = tl_region(NULL, 0, 0);

	assert_int_equal(sealbuf_region_send(data_sock, r, 0), 0);
	say("py_receives_empty");
	peer_ok("py_receives_empty");
	sealbuf_region_free(r);
}

static void exec_seal_pitfall(void **state)
{
	say("exec_seal_pitfall");
	peer_ok("exec_seal_pitfall");
}

static int start_peer(const char *script)
{
	int data[2], ctl[2];

	if (access("/usr/bin/python3", X_OK) != 0)
		tl_skip("/usr/bin/python3 is not installed: the conformance peer is Python");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, data) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0)
		return -1;
	fflush(stdout);
	peer_pid = fork();
	if (peer_pid == 0) {
		char a[16], b[16];
		snprintf(a, sizeof(a), "%d", data[1]);
		snprintf(b, sizeof(b), "%d", ctl[1]);
		fcntl(ctl[1], F_SETFD, 0);
		close(data[0]);
		execl("/usr/bin/python3", "python3", script, a, b, (char *)NULL);
		_exit(127);
	}
	close(data[1]);
	close(ctl[1]);
	fcntl(data[0], F_SETFD, FD_CLOEXEC);
	data_sock = data[0];
	ctl_sock = ctl[0];
	return 0;
}

static int stop_peer(void **state)
{
	int status;

	dprintf(ctl_sock, "quit\n");
	close(ctl_sock);
	close(data_sock);
	if (waitpid(peer_pid, &status, 0) != peer_pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(py_sends_plain),     TL_TEST(py_sends_rdonly),
		TL_TEST(py_sends_empty),     TL_TEST(py_sends_reserved),
		TL_TEST(py_receives_plain),  TL_TEST(py_receives_rdonly),
		TL_TEST(py_receives_reserved), TL_TEST(py_receives_empty),
		TL_TEST(exec_seal_pitfall),
	};

	if (argc < 2 || start_peer(argv[1]) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, stop_peer);
}
