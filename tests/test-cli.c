/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sealbuf tool: every subcommand's output and exit status, hostile input included. */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"
#include "wire.h"

/* Exit statuses from sealbuf(1). */
enum { XS_OK, XS_NO, XS_USAGE, XS_INPUT, XS_PERM, XS_SOCKET, XS_PEER, XS_POLICY, XS_SIZE, XS_TIMEOUT, XS_BENCH };

static const char *tool;
static char tmpdir[64];

struct out {
	int status;       /* exit status, or 128+signal */
	char *out, *err;  /* NUL-terminated */
	size_t out_len;
};

static void out_free(struct out *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

static char *tmp(const char *name)
{
	static char buf[8][128];
	static int i;
	char *p = buf[i++ % 8];

	snprintf(p, 128, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static size_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, len);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static void exec_tool(char **argv)
{
	char *args[64] = { (char *)tool };
	int n = 1;

	for (; *argv && n < 63; argv++)
		args[n++] = *argv;
	args[n] = NULL;
	execv(tool, args);
	_exit(126);
}

/* Start the tool with @argv (NULL-terminated), stdin from /dev/null; returns its pid. */
static pid_t spawn_argv(char **argv)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		exec_tool(argv);
	}
	return pid;
}

static int wait_pid(pid_t pid)
{
	int st;

	for (int i = 0; i < 3000; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	fail_msg("sealbuf did not finish within 30 s");
	return -1;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	assert_non_null(*buf);
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Run the tool to completion, feeding @in to stdin, collecting stdout and stderr. */
static void run_in(struct out *o, const char *in, char **argv)
{
	int pin[2], pout[2], perr[2];
	size_t err_len = 0;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	append(&o->out, &o->out_len, "", 0);
	append(&o->err, &err_len, "", 0);
	assert_int_equal(pipe2(pin, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pout, O_CLOEXEC), 0);
	assert_int_equal(pipe2(perr, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		exec_tool(argv);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (in)
		assert_int_equal(write(pin[1], in, strlen(in)), (ssize_t)strlen(in));
	close(pin[1]);
	struct pollfd p[2] = { { .fd = pout[0], .events = POLLIN }, { .fd = perr[0], .events = POLLIN } };
	for (int open_ = 2; open_ > 0;) {
		char buf[4096];
		assert_true(poll(p, 2, 30000) > 0);
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_--;
			} else if (i == 0) {
				append(&o->out, &o->out_len, buf, (size_t)n);
			} else {
				append(&o->err, &err_len, buf, (size_t)n);
			}
		}
	}
	o->status = wait_pid(pid);
}

#define ARGS(...) ((char *[]){ __VA_ARGS__, NULL })
#define run(o, ...) run_in((o), NULL, ARGS(__VA_ARGS__))

#define assert_status(o, want)                                                 \
	do {                                                                   \
		if ((o)->status != (want))                                     \
			print_error("exit %d, want %d\nstdout: %s\nstderr: %s\n", \
				    (o)->status, (want), (o)->out, (o)->err);  \
		assert_int_equal((o)->status, (want));                         \
	} while (0)
#define assert_has(s, needle)                                                  \
	do {                                                                   \
		if (!strstr((s), (needle)))                                    \
			print_error("'%s' not found in:\n%s\n", (needle), (s)); \
		assert_non_null(strstr((s), (needle)));                        \
	} while (0)

/* ---- a small JSON validator: the tool's --json output must parse ---- */

static const char *json_value(const char *p);

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *json_seq(const char *p, char close, bool obj)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = json_string(ws(p));
			if (!p || *(p = ws(p)) != ':')
				return NULL;
			p++;
		}
		p = json_value(p);
		if (!p)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p)
{
	char *end;

	p = ws(p);
	if (*p == '{')
		return json_seq(p, '}', true);
	if (*p == '[')
		return json_seq(p, ']', false);
	if (*p == '"')
		return json_string(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	strtod(p, &end);
	return end == p ? NULL : end;
}

static void assert_json(const char *s)
{
	const char *end = json_value(s);

	if (!end || *ws(end))
		print_error("not one JSON value:\n%s\n", s);
	assert_non_null(end);
	assert_true(*ws(end) == '\0');
}

/* ---- sockets ---- */

static void wait_socket(const char *path)
{
	struct stat st;

	for (int i = 0; i < 500; i++) {
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			return;
		usleep(10000);
	}
	fail_msg("no socket appeared at %s", path);
}

static int listen_at(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	unlink(path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static int accept_within(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	int fd;

	assert_int_equal(poll(&p, 1, 10000), 1);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void encode(uint8_t buf[SB_WIRE_LEN], uint16_t version, uint64_t size, uint64_t file_size)
{
	struct sb_wire w = { .magic = SB_WIRE_MAGIC, .version = version, .length = SB_WIRE_LEN,
			     .kind = SEALBUF_KIND_PLAIN, .size = size, .file_size = file_size };

	sb_wire_encode(&w, buf);
}

/* A memfd of one page: sealed like sealbuf's own, or not, as asked. */
static int memfd_page(int seals)
{
	int fd = memfd_create("test-cli", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* ---- usage ---- */

static void usage(void **state)
{
	struct out o;

	run_in(&o, NULL, ARGS(NULL));
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "--help");
	assert_status(&o, XS_OK);
	assert_has(o.out, "doctor");
	assert_has(o.out, "bench");
	out_free(&o);
	run(&o, "--version");
	assert_status(&o, XS_OK);
	assert_has(o.out, "sealbuf ");
	out_free(&o);
	run(&o, "frobnicate");
	assert_status(&o, XS_USAGE);
	assert_has(o.err, "unknown command");
	out_free(&o);
	run(&o, "recv", "--help");
	assert_status(&o, XS_OK);
	assert_has(o.out, "usage: sealbuf recv");
	out_free(&o);
	run(&o, "recv");
	assert_status(&o, XS_USAGE);
	assert_has(o.err, "--socket PATH is required");
	out_free(&o);
	run(&o, "ls", "--bogus");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "create", "--size", "12 parsecs");
	assert_status(&o, XS_USAGE);
	assert_has(o.err, "unknown suffix");
	out_free(&o);
	run(&o, "create");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "offer", "--socket", "x", "--count", "-1", "--size", "1");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "inspect");
	assert_status(&o, XS_USAGE);
	out_free(&o);
}

/* ---- create ---- */

static void create_info(void **state)
{
	struct out o;

	write_file(tmp("hello.txt"), "hello world\n", 12);
	run(&o, "create", tmp("hello.txt"));
	assert_status(&o, XS_OK);
	assert_has(o.out, "size:      12 bytes");
	assert_has(o.out, "name:      hello.txt");
	assert_has(o.out, "SHRINK GROW");
	out_free(&o);
	run(&o, "create", "--json", "--name", "zeros", "--size", "10K");
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "\"size\":10240");
	assert_has(o.out, "\"name\":\"zeros\"");
	assert_has(o.out, "\"kind\":\"plain\"");
	out_free(&o);
	run_in(&o, "abc", ARGS("create", "--json", "-"));
	assert_status(&o, XS_OK);
	assert_has(o.out, "\"size\":3");
	assert_has(o.out, "\"name\":\"stdin\"");
	out_free(&o);
	/* An empty region is valid: it owns no memory. */
	run(&o, "create", "--size", "0");
	assert_status(&o, XS_OK);
	assert_has(o.out, "size:      0 bytes");
	out_free(&o);
}

static void create_hostile(void **state)
{
	struct out o;
	char name[300];

	run(&o, "create", "--size", "1E");
	assert_status(&o, XS_SIZE);
	assert_has(o.err, "SEALBUF_R_TOO_LARGE");
	out_free(&o);
	run(&o, "create", "--size", "99999999999999999999999");
	assert_status(&o, XS_USAGE);
	assert_has(o.err, "too large to represent");
	out_free(&o);
	run(&o, "create", "--size", "16E");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "create", "--size", "-5");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "create", tmp("no-such-file"));
	assert_status(&o, XS_INPUT);
	assert_has(o.err, "No such file");
	out_free(&o);
	run(&o, "create", tmpdir);
	assert_status(&o, XS_INPUT);
	assert_has(o.err, "directory");
	out_free(&o);
	write_file(tmp("big.txt"), "0123456789", 10);
	run(&o, "create", "--size", "4", tmp("big.txt"));
	assert_status(&o, XS_SIZE);
	out_free(&o);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	run(&o, "create", "--size", "1", "--name", name);
	assert_status(&o, XS_USAGE);
	assert_has(o.err, "SEALBUF_R_NAME_TOO_LONG");
	out_free(&o);
}

static void create_command(void **state)
{
	struct out o;
	char cmd[512], buf[64];

	write_file(tmp("hello.txt"), "hello world\n", 12);
	snprintf(cmd, sizeof(cmd), "echo fd=$SEALBUF_FD size=$SEALBUF_SIZE name=$SEALBUF_NAME; "
		 "%s dump --fd $SEALBUF_FD --size $SEALBUF_SIZE", tool);
	run(&o, "create", tmp("hello.txt"), "--", "sh", "-c", cmd);
	assert_status(&o, XS_OK);
	assert_has(o.out, "fd=3 size=12 name=hello.txt\nhello world\n");
	out_free(&o);
	/* The command's exit status is the tool's. */
	run(&o, "create", "--size", "1", "--", "sh", "-c", "exit 42");
	assert_status(&o, 42);
	out_free(&o);
	run(&o, "create", "--size", "1", "--", "/nonexistent/command");
	assert_status(&o, 127);
	out_free(&o);
	/* --fd N and --out: the command writes into the region; the tool saves it afterwards. */
	run(&o, "create", "--size", "16", "--fd", "7", "--out", tmp("saved"), "--", "sh", "-c",
	    "printf written 1<>/dev/fd/7");
	assert_status(&o, XS_OK);
	assert_int_equal(read_file(tmp("saved"), buf, sizeof(buf)), 16);
	assert_memory_equal(buf, "written\0\0\0\0\0\0\0\0\0", 16);
	out_free(&o);
	snprintf(cmd, sizeof(cmd), "%s inspect --json --fd 3", tool);
	run(&o, "create", "--read-only", "--size", "8", "--", "sh", "-c", cmd);
	assert_status(&o, XS_OK);
	assert_has(o.out, "\"access\":\"read-only\"");
	assert_has(o.out, "\"ok\":true");
	out_free(&o);
	run(&o, "create", "--size", "1", "--fd", "1", "--", "true");
	assert_status(&o, XS_USAGE);
	out_free(&o);
}

/* ---- offer, recv, write ---- */

static void offer_recv(void **state)
{
	char *sock = tmp("s.sock");
	struct out o;
	struct stat st;
	pid_t offer;

	write_file(tmp("hello.txt"), "hello world\n", 12);
	offer = spawn_argv(ARGS("offer", "--socket", sock, "--count", "3", tmp("hello.txt")));
	wait_socket(sock);
	run(&o, "recv", "--socket", sock, "--dump");
	assert_status(&o, XS_OK);
	assert_int_equal(o.out_len, 12);
	assert_string_equal(o.out, "hello world\n");
	out_free(&o);
	run(&o, "recv", "--socket", sock, "--hexdump");
	assert_status(&o, XS_OK);
	assert_has(o.out, "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 0a");
	assert_has(o.out, "|hello world.|");
	out_free(&o);
	run(&o, "recv", "--socket", sock, "--json");
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "\"size\":12");
	assert_has(o.out, "\"handle\":\"read-write\"");
	assert_has(o.out, "\"writable\":false");
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);
	/* The offer removes its socket when it is done. */
	assert_int_equal(lstat(sock, &st), -1);
}

static void offer_stdin_read_only(void **state)
{
	char *sock = tmp("ro.sock");
	struct out o;
	pid_t offer;
	int pin[2];

	assert_int_equal(pipe2(pin, O_CLOEXEC), 0);
	offer = fork();
	if (offer == 0) {
		dup2(pin[0], 0);
		exec_tool(ARGS("offer", "--socket", sock, "--read-only", "--count", "3", "-"));
	}
	close(pin[0]);
	assert_int_equal(write(pin[1], "from stdin", 10), 10);
	close(pin[1]);
	wait_socket(sock);
	run(&o, "recv", "--socket", sock, "--expect-read-only", "--dump");
	assert_status(&o, XS_OK);
	assert_string_equal(o.out, "from stdin");
	out_free(&o);
	/* A read-only handle cannot be written. */
	run_in(&o, "x", ARGS("write", "--socket", sock, "-"));
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "SEALBUF_R_ACCESS_MODE");
	out_free(&o);
	run(&o, "recv", "--socket", sock, "--out", tmp("ro.out"));
	assert_status(&o, XS_OK);
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);

	/* --expect-read-only refuses a writable handle. */
	offer = spawn_argv(ARGS("offer", "--socket", sock, "--size", "4"));
	wait_socket(sock);
	run(&o, "recv", "--socket", sock, "--expect-read-only");
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "writable handle");
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);
}

static void offer_write_out(void **state)
{
	char *sock = tmp("w.sock"), buf[64];
	struct out o;
	pid_t offer;

	offer = spawn_argv(ARGS("offer", "--socket", sock, "--size", "32", "--out", tmp("w.out")));
	wait_socket(sock);
	run_in(&o, "written by client", ARGS("write", "--socket", sock, "--offset", "4", "--verbose", "-"));
	assert_status(&o, XS_OK);
	assert_has(o.err, "wrote 17 bytes at offset 4");
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);
	assert_int_equal(read_file(tmp("w.out"), buf, sizeof(buf)), 32);
	assert_memory_equal(buf, "\0\0\0\0written by client", 21);

	/* Too much for the region: nothing is written, the status says why. */
	offer = spawn_argv(ARGS("offer", "--socket", sock, "--size", "8"));
	wait_socket(sock);
	run_in(&o, "far too long for it", ARGS("write", "--socket", sock, "-"));
	assert_status(&o, XS_SIZE);
	assert_has(o.err, "do not fit");
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);
	run(&o, "write", "--socket", sock, tmp("no-such-input"));
	assert_status(&o, XS_INPUT);
	out_free(&o);
}

static void offer_connect_stream(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, ro, .timeout_ms = 10000);
	char *sock = tmp("c.sock");
	struct sealbuf_region *r;
	int lfd = listen_at(sock, SOCK_STREAM), c;
	pid_t offer;

	/* A C program listening on a stream socket: the tool connects and sends. */
	write_file(tmp("hello.txt"), "hello world\n", 12);
	offer = spawn_argv(ARGS("offer", "--connect", "--socket", sock, tmp("hello.txt")));
	c = accept_within(lfd);
	assert_int_equal(sealbuf_region_recv(c, &ro, &r), 0);
	assert_int_equal(sealbuf_region_size(r), 12);
	assert_memory_equal(sealbuf_region_data(r), "hello world\n", 12);
	sealbuf_region_free(r);
	close(c);
	close(lfd);
	unlink(sock);
	assert_int_equal(wait_pid(offer), XS_OK);
}

static void socket_errors(void **state)
{
	char *sock = tmp("busy.sock");
	struct out o;
	int lfd;

	run(&o, "recv", "--socket", tmp("no-such.sock"));
	assert_status(&o, XS_SOCKET);
	assert_has(o.err, "no socket at");
	out_free(&o);
	run(&o, "recv", "--socket", tmp("no-such.sock"), "--wait", "--timeout", "200");
	assert_status(&o, XS_SOCKET);
	assert_has(o.err, "after waiting 200 ms");
	out_free(&o);
	write_file(tmp("plain-file"), "x", 1);
	run(&o, "recv", "--socket", tmp("plain-file"));
	assert_status(&o, XS_SOCKET);
	assert_has(o.err, "is not a socket");
	out_free(&o);
	run(&o, "offer", "--socket", tmp("plain-file"), "--size", "1");
	assert_status(&o, XS_SOCKET);
	assert_has(o.err, "refusing to replace");
	out_free(&o);
	char longpath[200];
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	run(&o, "recv", "--socket", longpath);
	assert_status(&o, XS_USAGE);
	out_free(&o);
	/* Someone is listening already: the offer does not steal the path. */
	lfd = listen_at(sock, SOCK_SEQPACKET);
	run(&o, "offer", "--socket", sock, "--size", "1");
	assert_status(&o, XS_SOCKET);
	assert_has(o.err, "in use");
	out_free(&o);
	/* Once the listener is gone, its stale socket is replaced. */
	close(lfd);
	run(&o, "offer", "--socket", sock, "--size", "1", "--timeout", "100");
	assert_status(&o, XS_TIMEOUT);
	assert_has(o.err, "no client connected");
	out_free(&o);
	run(&o, "recv", "--listen", "--socket", sock, "--timeout", "100");
	assert_status(&o, XS_TIMEOUT);
	out_free(&o);
}

/* A peer that sends @buf (and @fd if >= 0), then closes: recv must name the rule broken. */
static void garbage_case(const void *buf, size_t len, int fd, int want_status, const char *want)
{
	char *sock = tmp("g.sock"), status[16];
	int lfd = listen_at(sock, SOCK_SEQPACKET), c, pe[2];
	pid_t pid;
	char err[2048] = "";
	ssize_t n;

	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pe[1], 2);
		exec_tool(ARGS("recv", "--socket", sock, "--timeout", "5000"));
	}
	close(pe[1]);
	c = accept_within(lfd);
	if (len)
		tl_send_raw(c, buf, len, fd >= 0 ? &fd : NULL, fd >= 0);
	close(c);
	close(lfd);
	for (size_t got = 0; (n = read(pe[0], err + got, sizeof(err) - 1 - got)) > 0;)
		got += (size_t)n;
	close(pe[0]);
	snprintf(status, sizeof(status), "%d", wait_pid(pid));
	if (atoi(status) != want_status || !strstr(err, want))
		print_error("exit %s, stderr: %s; want %d and %s\n", status, err, want_status, want);
	assert_int_equal(atoi(status), want_status);
	assert_non_null(strstr(err, want));
	unlink(sock);
}

static void peer_garbage(void **state)
{
	uint8_t msg[SB_WIRE_LEN], junk[SB_WIRE_LEN];
	int p[2], fd;

	memset(junk, 'A', sizeof(junk));
	garbage_case(junk, sizeof(junk), -1, XS_PEER, "SEALBUF_R_BAD_MESSAGE");
	garbage_case(junk, 5, -1, XS_PEER, "SEALBUF_R_TRUNCATED");
	garbage_case(NULL, 0, -1, XS_PEER, "SEALBUF_R_PEER_CLOSED");
	encode(msg, SB_WIRE_VERSION, 4096, 4096);
	garbage_case(msg, sizeof(msg), -1, XS_PEER, "SEALBUF_R_NO_FD");
	encode(junk, 99, 4096, 4096);
	garbage_case(junk, sizeof(junk), -1, XS_PEER, "SEALBUF_R_VERSION");
	/* Well-formed messages carrying fds that break the policy. */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	garbage_case(msg, sizeof(msg), p[0], XS_POLICY, "SEALBUF_R_NOT_MEMFD");
	close(p[0]);
	close(p[1]);
	fd = memfd_page(0);
	garbage_case(msg, sizeof(msg), fd, XS_POLICY, "SEALBUF_R_SEALS_MISSING");
	close(fd);
	/* A frozen (write-sealed) region is received read-only, as recv does by default. */
	fd = memfd_page(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	garbage_case(msg, sizeof(msg), fd, XS_OK, "");
	close(fd);
	fd = memfd_page(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	encode(junk, SB_WIRE_VERSION, 8192, 8192);
	garbage_case(junk, sizeof(junk), fd, XS_POLICY, "SEALBUF_R_SIZE_MISMATCH");
	close(fd);
}

/* Half a message on a stream, then silence: the receiver gives up, it does not hang. */
static void peer_stalls(void **state)
{
	char *sock = tmp("stall.sock");
	int lfd = listen_at(sock, SOCK_STREAM), c;
	uint8_t msg[SB_WIRE_LEN];
	pid_t pid;

	encode(msg, SB_WIRE_VERSION, 4096, 4096);
	pid = spawn_argv(ARGS("recv", "--socket", sock, "--timeout", "300"));
	c = accept_within(lfd);
	tl_send_raw(c, msg, 10, NULL, 0);
	assert_int_equal(wait_pid(pid), XS_TIMEOUT);
	close(c);
	close(lfd);
	unlink(sock);
}

/* ---- reserved regions: published whole, read as one publication ---- */

static void reserved(void **state)
{
	char *sock = tmp("r.sock"), buf[64];
	struct sealbuf_region *r;
	struct out o;
	char path[64];
	pid_t offer;

	write_file(tmp("hello.txt"), "hello world\n", 12);
	offer = spawn_argv(ARGS("offer", "--socket", sock, "--reserve", "--size", "64K", "--count", "3",
				tmp("hello.txt")));
	wait_socket(sock);
	run(&o, "recv", "--socket", sock, "--json");
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "\"kind\":\"reserved\",\"size\":12,\"capacity\":65536");
	out_free(&o);
	run(&o, "recv", "--socket", sock, "--dump");
	assert_status(&o, XS_OK);
	assert_string_equal(o.out, "hello world\n");
	out_free(&o);
	/* A write publishes a whole new content; an offset makes no sense there. */
	run_in(&o, "x", ARGS("write", "--socket", sock, "--offset", "4", "-"));
	assert_status(&o, XS_USAGE);
	assert_has(o.err, "published whole");
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);

	offer = spawn_argv(ARGS("offer", "--socket", sock, "--reserve", "--size", "16", "--count", "2",
				"--out", tmp("r.out")));
	wait_socket(sock);
	run_in(&o, "0123456789abcdefXYZ", ARGS("write", "--socket", sock, "-"));
	assert_status(&o, XS_SIZE);
	assert_has(o.err, "SEALBUF_R_TOO_LARGE");
	out_free(&o);
	run_in(&o, "short", ARGS("write", "--socket", sock, "-"));
	assert_status(&o, XS_OK);
	out_free(&o);
	assert_int_equal(wait_pid(offer), XS_OK);
	/* The valid size is what was published, not the capacity. */
	assert_int_equal(read_file(tmp("r.out"), buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "short", 5);

	/* --follow shows the current publication, then each new one. */
	offer = spawn_argv(ARGS("offer", "--socket", sock, "--reserve", "--size", "1K", "--count", "3",
				tmp("hello.txt")));
	wait_socket(sock);
	{
		int po[2];
		char got[256] = "";
		size_t n = 0;
		ssize_t k;
		pid_t f;

		assert_int_equal(pipe2(po, O_CLOEXEC), 0);
		f = fork();
		if (f == 0) {
			dup2(po[1], 1);
			exec_tool(ARGS("recv", "--socket", sock, "--follow", "--json", "--count", "3",
				       "--timeout", "10000"));
		}
		close(po[1]);
		/* The first line comes once the follower holds the region. */
		while (!strchr(got, '\n') && (k = read(po[0], got + n, sizeof(got) - 1 - n)) > 0)
			n += (size_t)k;
		run_in(&o, "one", ARGS("write", "--socket", sock, "-"));
		assert_status(&o, XS_OK);
		out_free(&o);
		while (!strchr(strchr(got, '\n') + 1, '\n') &&
		       (k = read(po[0], got + n, sizeof(got) - 1 - n)) > 0)
			n += (size_t)k;
		run_in(&o, "three", ARGS("write", "--socket", sock, "-"));
		assert_status(&o, XS_OK);
		out_free(&o);
		while ((k = read(po[0], got + n, sizeof(got) - 1 - n)) > 0)
			n += (size_t)k;
		close(po[0]);
		assert_int_equal(wait_pid(f), XS_OK);
		assert_has(got, "\"size\":12}\n");
		assert_has(got, "\"size\":3}\n");
		assert_has(got, "\"size\":5}\n");
	}
	assert_int_equal(wait_pid(offer), XS_OK);
	run(&o, "recv", "--socket", sock, "--count", "2");
	assert_status(&o, XS_USAGE);
	out_free(&o);

	/* dump and inspect find the kind and capacity in the header. */
	assert_int_equal(sealbuf_region_reserve(100000, NULL, &r), 0);
	assert_int_equal(sealbuf_region_write(r, "published", 9), 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), sealbuf_region_fd(r));
	run(&o, "dump", path);
	assert_status(&o, XS_OK);
	assert_string_equal(o.out, "published");
	out_free(&o);
	run(&o, "inspect", "--json", path);
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "\"header\":{\"kind\":\"reserved\",\"capacity\":100000,\"size\":9");
	out_free(&o);
	run(&o, "dump", "--size", "4096", path);
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "SEALBUF_R_");
	out_free(&o);
	sealbuf_region_free(r);
}

/* Without /dev/udmabuf, --dmabuf-fd fails the way doctor says; with it, the command gets one. */
static void create_dmabuf(void **state)
{
	struct stat st;
	struct out o;
	char cmd[256];

	run(&o, "create", "--size", "4K", "--read-only", "--dmabuf-fd", "4", "--", "true");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	run(&o, "create", "--size", "4K", "--dmabuf-fd", "3", "--", "true");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	snprintf(cmd, sizeof(cmd), "%s inspect --json --fd $SEALBUF_DMABUF_FD", tool);
	run(&o, "create", "--size", "4K", "--name", "cli-dmabuf", "--dmabuf-fd", "4", "--", "sh", "-c",
	    cmd);
	if (stat("/dev/udmabuf", &st) < 0) {
		assert_status(&o, XS_NO);
		assert_has(o.err, "SEALBUF_R_NO_UDMABUF");
	} else if (o.status == XS_PERM) {
		assert_has(o.err, "SEALBUF_R_UDMABUF_DENIED");
	} else {
		/* inspect says a dma-buf is not a region: exit 7, with its exporter. */
		assert_status(&o, XS_POLICY);
		assert_has(o.out, "\"type\":\"dmabuf\"");
		assert_has(o.out, "\"exporter\":\"udmabuf\"");
	}
	out_free(&o);
}

/* ---- dump and inspect ---- */

static void dump_inspect(void **state)
{
	struct sealbuf_region *r;
	struct out o;
	char path[64];
	int fd, p[2];

	assert_int_equal(sealbuf_region_create(100, NULL, &r), 0);
	memcpy(sealbuf_region_data(r), "region bytes", 12);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), sealbuf_region_fd(r));
	run(&o, "dump", "--size", "100", "--length", "12", path);
	assert_status(&o, XS_OK);
	assert_string_equal(o.out, "region bytes");
	out_free(&o);
	run(&o, "dump", "--path", path, "--offset", "7", "--length", "5");
	assert_status(&o, XS_OK);
	assert_string_equal(o.out, "bytes");
	out_free(&o);
	run(&o, "dump", "--hexdump", path);
	assert_status(&o, XS_OK);
	assert_has(o.out, "|region bytes....|");
	assert_has(o.out, "*\n00001000\n");
	out_free(&o);
	run(&o, "dump", "--size", "9000", path);
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "SEALBUF_R_SIZE_MISMATCH");
	out_free(&o);
	run(&o, "inspect", "--json", path);
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "\"type\":\"memfd\"");
	assert_has(o.out, "\"ok\":true");
	assert_has(o.out, "\"seals\":[\"SHRINK\",\"GROW\"");
	out_free(&o);
	run(&o, "inspect", path);
	assert_status(&o, XS_OK);
	assert_has(o.out, "verdict:  ok");
	out_free(&o);
	sealbuf_region_free(r);

	/* Hostile paths: not a memfd, not sealed, not there, not a file. */
	write_file(tmp("plain"), "not a memfd", 11);
	run(&o, "dump", tmp("plain"));
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "SEALBUF_R_NOT_MEMFD");
	out_free(&o);
	run(&o, "inspect", tmp("plain"));
	assert_status(&o, XS_POLICY);
	assert_has(o.out, "SEALBUF_R_NOT_MEMFD");
	out_free(&o);
	run(&o, "dump", "/dev/null");
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "character device");
	out_free(&o);
	run(&o, "dump", tmp("missing"));
	assert_status(&o, XS_INPUT);
	out_free(&o);
	run(&o, "dump", "--fd", "999");
	assert_status(&o, XS_INPUT);
	out_free(&o);
	run(&o, "inspect", "--fd", "999");
	assert_status(&o, XS_INPUT);
	out_free(&o);
	fd = memfd_page(0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), fd);
	run(&o, "inspect", path);
	assert_status(&o, XS_POLICY);
	assert_has(o.out, "SEALBUF_R_SEALS_MISSING");
	out_free(&o);
	run(&o, "dump", path);
	assert_status(&o, XS_POLICY);
	assert_has(o.err, "SEALBUF_R_SEALS_MISSING");
	out_free(&o);
	close(fd);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), p[0]);
	run(&o, "inspect", "--json", path);
	assert_status(&o, XS_POLICY);
	assert_json(o.out);
	assert_has(o.out, "\"reason\":\"SEALBUF_R_NOT_MEMFD\"");
	out_free(&o);
	run(&o, "dump", path);
	assert_status(&o, XS_POLICY);
	out_free(&o);
	close(p[0]);
	close(p[1]);
}

/* ---- ls ---- */

static bool can_drop_to_nobody(void)
{
	struct stat st;

	/* nobody must be able to run the tool from the build tree. */
	return geteuid() == 0 && stat(tool, &st) == 0 && (st.st_mode & S_IXOTH);
}

static void ls_lists(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, co, .name = "test-cli-ls");
	struct sealbuf_region *r;
	struct out o;
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(sealbuf_region_create(8192, &co, &r), 0);
	run(&o, "ls", "--pid", pid);
	assert_status(&o, XS_OK);
	assert_has(o.out, "PID");
	assert_has(o.out, "test-cli-ls");
	assert_has(o.out, " 8K ");
	out_free(&o);
	run(&o, "ls", "--bytes", "--pid", pid);
	assert_status(&o, XS_OK);
	assert_has(o.out, " 8192 ");
	out_free(&o);
	run(&o, "ls", "--pid", pid, "--json", "--type", "memfd");
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "\"name\":\"test-cli-ls\"");
	assert_has(o.out, "\"size\":8192,\"mapped\":8192");
	assert_has(o.out, "\"seals\":[\"SHRINK\",\"GROW\"");
	out_free(&o);
	run(&o, "ls", "--pid", pid, "--type", "dmabuf", "--json");
	assert_status(&o, XS_OK);
	assert_has(o.out, "\"regions\":[]");
	out_free(&o);
	/* Every process: ours is among them. */
	run(&o, "ls", "--json");
	assert_status(&o, XS_OK);
	assert_json(o.out);
	assert_has(o.out, "test-cli-ls");
	out_free(&o);
	sealbuf_region_free(r);
	run(&o, "ls", "--pid", "2147483647");
	assert_status(&o, XS_INPUT);
	assert_has(o.err, "do not exist");
	out_free(&o);
	run(&o, "ls", "--type", "sockets");
	assert_status(&o, XS_USAGE);
	out_free(&o);
}

/* How many times @needle occurs in @s. */
static size_t count_lines(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Run the tool as nobody (or as ourselves when not root); its stdout and stderr in @out/@err. */
static int run_unprivileged(char **argv, char *out, size_t olen, char *err, size_t elen)
{
	int pe[2], po[2];
	ssize_t n;
	size_t len;
	pid_t pid;

	assert_int_equal(pipe2(po, O_CLOEXEC), 0);
	assert_int_equal(pipe2(pe, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
			_exit(99);
		exec_tool(argv);
	}
	close(po[1]);
	close(pe[1]);
	for (len = 0; len + 1 < olen && (n = read(po[0], out + len, olen - 1 - len)) > 0;)
		len += (size_t)n;
	out[len] = '\0';
	for (len = 0; len + 1 < elen && (n = read(pe[0], err + len, elen - 1 - len)) > 0;)
		len += (size_t)n;
	err[len] = '\0';
	close(po[0]);
	close(pe[0]);
	return wait_pid(pid);
}

/* Whether some process cannot be inspected by the unprivileged run (else: skip). */
static bool can_be_denied(void)
{
	struct stat st;

	if (geteuid() != 0)
		return stat("/proc/1", &st) == 0 && st.st_uid != geteuid();
	return can_drop_to_nobody();
}

/* A process the user may not inspect is reported, not skipped. */
static void ls_not_permitted(void **state)
{
	char out[4096], err[1024];

	if (!can_be_denied())
		skip();
	assert_int_equal(run_unprivileged(ARGS("ls", "--pid", "1"), out, sizeof(out), err,
					  sizeof(err)), XS_PERM);
	assert_has(out, "not inspected");
	assert_has(err, "not permitted");
}

/* Listing everything unprivileged: one summary line for the rest, --verbose lists them. */
static void ls_summary(void **state)
{
	static char out[1 << 20], err[4096];

	if (!can_be_denied())
		skip();
	assert_int_equal(run_unprivileged(ARGS("ls"), out, sizeof(out), err, sizeof(err)), XS_OK);
	assert_int_equal(count_lines(out, "not inspected"), 1);
	assert_has(out, "--verbose");
	assert_int_equal(run_unprivileged(ARGS("ls", "--verbose"), out, sizeof(out), err,
					  sizeof(err)), XS_OK);
	assert_true(count_lines(out, "not inspected:") >= 1);
	assert_null(strstr(out, "processes not inspected"));
}

/* ---- names chosen by other processes, and how ls counts holders ---- */

/* Well-formed UTF-8 throughout (strict JSON parsers refuse anything else). */
static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0)
			return false;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Python's json module, a strict parser, accepts @s (skipped where there is no python3). */
static void assert_python_json(const char *s)
{
	FILE *f;
	int st;

	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		printf("# no python3: JSON checked by the built-in validator only\n");
		return;
	}
	f = popen("python3 -c 'import json,sys; json.load(sys.stdin)'", "w");
	assert_non_null(f);
	fputs(s, f);
	st = pclose(f);
	if (st != 0)
		print_error("python3 refused the JSON:\n%s\n", s);
	assert_int_equal(st, 0);
}

/* A terminal sees no escape sequence, no raw newline inside a row, no invalid UTF-8. */
static void assert_terminal_safe(const char *s)
{
	assert_null(strchr(s, '\x1b'));
	assert_true(valid_utf8(s));
}

/* Any process may name a memfd: escapes, newlines and invalid UTF-8 stay inert. */
static void hostile_names(void **state)
{
	static const char name[] = "x\x1b[31mRED\x1b[0m\nrow\xff\xfe\\tail";
	struct out o;
	char pid[16], path[64];
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), fd);
	run(&o, "ls", "--pid", pid, "--type", "memfd");
	assert_status(&o, XS_OK);
	assert_terminal_safe(o.out);
	assert_has(o.out, "x\\x1b[31mRED\\x1b[0m\\nrow\\xff\\xfe\\x5ctail");
	assert_int_equal(count_lines(o.out, "mRED"), 1);
	assert_int_equal(count_lines(o.out, "\n"), 2); /* the header and one row: no split */
	out_free(&o);
	run(&o, "inspect", path);
	assert_status(&o, XS_OK);
	assert_terminal_safe(o.out);
	assert_has(o.out, "x\\x1b[31mRED");
	out_free(&o);
	run(&o, "ls", "--pid", pid, "--type", "memfd", "--json");
	assert_status(&o, XS_OK);
	assert_true(valid_utf8(o.out));
	assert_json(o.out);
	assert_python_json(o.out);
	assert_has(o.out, "\"name\":\"x\\u001b[31mRED\\u001b[0m\\nrow\\u00ff\\u00fe\\\\tail\"");
	out_free(&o);
	run(&o, "inspect", "--json", path);
	assert_status(&o, XS_OK);
	assert_python_json(o.out);
	out_free(&o);
	close(fd);
}

/* ls --pid P counts the holders among all processes, not only the listed ones. */
static void ls_holders(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, co, .name = "test-cli-holders");
	struct sealbuf_region *r;
	struct out o;
	char pid[16], c;
	int go[2];
	pid_t child;

	assert_int_equal(sealbuf_region_create(4096, &co, &r), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Holds the region's fd and mapping until the pipe closes. */
		close(go[1]);
		_exit(read(go[0], &c, 1) < 0);
	}
	close(go[0]);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	run(&o, "ls", "--pid", pid, "--type", "memfd", "--json");
	assert_status(&o, XS_OK);
	assert_has(o.out, "\"name\":\"test-cli-holders\"");
	assert_has(o.out, "\"holders\":2");
	assert_null(strstr(o.out, "\"holders\":1"));
	out_free(&o);
	close(go[1]);
	assert_int_equal(wait_pid(child), 0);
	sealbuf_region_free(r);
}

/* ---- help, version, one error per mistake ---- */

struct cmd_opts {
	const char *cmd;
	const char *opts[14];
};

/* Every option each command accepts (its getopt table). */
static const struct cmd_opts all_opts[] = {
	{ "doctor", { "json" } },
	{ "ls", { "pid", "type", "json", "bytes", "verbose" } },
	{ "inspect", { "fd", "path", "json" } },
	{ "create", { "size", "name", "read-only", "fd", "out", "json", "reserve", "dmabuf-fd" } },
	{ "offer", { "socket", "connect", "wait", "size", "name", "read-only", "count", "timeout",
		     "out", "verbose", "reserve" } },
	{ "recv", { "socket", "listen", "wait", "timeout", "info", "json", "dump", "hexdump", "out",
		    "expect-read-only", "follow", "count" } },
	{ "write", { "socket", "listen", "wait", "timeout", "offset", "verbose" } },
	{ "dump", { "fd", "path", "size", "offset", "length", "hexdump", "out" } },
	{ "bench", { "json", "quick", "reps", "rounds", "list" } },
	{ "rdma", { "listen", "port", "name", "size", "count", "timeout", "out", "hexdump" } },
};

/* The help line of --@opt: "  --opt ARG   what it does" (or "  -v, --opt ..."). */
static void assert_option_line(const char *help, const char *cmd, const char *opt)
{
	char want[64], alt[64];
	const char *at;

	snprintf(want, sizeof(want), "\n  --%s ", opt);
	snprintf(alt, sizeof(alt), ", --%s ", opt);
	at = strstr(help, want);
	if (!at)
		at = strstr(help, alt);
	if (!at)
		print_error("%s --help does not describe --%s:\n%s\n", cmd, opt, help);
	assert_non_null(at);
	at += strlen(want);
	/* A description follows on the same line. */
	assert_true(strcspn(at, "\n") > strspn(at, " "));
}

/* Each command's --help describes every option it accepts. */
static void help_lists_options(void **state)
{
	struct out o;

	for (size_t i = 0; i < sizeof(all_opts) / sizeof(all_opts[0]); i++) {
		const struct cmd_opts *c = &all_opts[i];
		run(&o, (char *)c->cmd, "--help");
		assert_status(&o, XS_OK);
		for (size_t k = 0; k < 14 && c->opts[k]; k++)
			assert_option_line(o.out, c->cmd, c->opts[k]);
		out_free(&o);
	}
	run(&o, "write", "--help");
	assert_has(o.out, "--wait");
	out_free(&o);
}

/* CMD --version is answered alike by every command: as sealbuf --version. */
static void version_everywhere(void **state)
{
	struct out o, v;

	run(&v, "--version");
	assert_status(&v, XS_OK);
	for (size_t i = 0; i < sizeof(all_opts) / sizeof(all_opts[0]); i++) {
		run(&o, (char *)all_opts[i].cmd, "--version");
		assert_status(&o, XS_OK);
		assert_string_equal(o.out, v.out);
		assert_string_equal(o.err, "");
		out_free(&o);
	}
	out_free(&v);
}

/* A bad value: one message, then the synopsis. */
static void one_error_per_value(void **state)
{
	struct out o;

	run(&o, "ls", "--pid", "abc");
	assert_status(&o, XS_USAGE);
	assert_int_equal(count_lines(o.err, "sealbuf ls:"), 1);
	assert_int_equal(count_lines(o.err, "\n"), 2);
	out_free(&o);
	run(&o, "inspect", "--fd", "abc");
	assert_status(&o, XS_USAGE);
	assert_int_equal(count_lines(o.err, "sealbuf inspect:"), 1);
	assert_int_equal(count_lines(o.err, "\n"), 2);
	out_free(&o);
}

/* ---- doctor ---- */

static void doctor(void **state)
{
	struct out o, j;
	struct stat st;
	bool node = stat("/dev/udmabuf", &st) == 0;

	run(&o, "doctor");
	assert_true(o.status == XS_OK || o.status == XS_NO);
	assert_has(o.out, "memfd");
	assert_has(o.out, "udmabuf");
	assert_has(o.out, "hugepages");
	assert_has(o.out, "drm");
	assert_has(o.out, "v4l2");
	assert_has(o.out, "udev-rule");
	assert_has(o.out, "dma-buf export:");
	if (!node) {
		/* No /dev/udmabuf: doctor says why precisely, and says no. */
		assert_status(&o, XS_NO);
		assert_has(o.out, "/dev/udmabuf is missing");
		assert_true(strstr(o.out, "CONFIG_UDMABUF") || strstr(o.out, "not loaded") ||
			    strstr(o.out, "container"));
		assert_has(o.out, "fix:");
		assert_has(o.out, "will NOT work");
	}
	if (o.status == XS_OK)
		assert_has(o.out, "dma-buf export: works");
	run(&j, "doctor", "--json");
	assert_int_equal(j.status, o.status);
	assert_json(j.out);
	assert_has(j.out, o.status == XS_OK ? "\"dmabuf_export\":true" : "\"dmabuf_export\":false");
	assert_has(j.out, "\"checks\":[");
	out_free(&o);
	out_free(&j);
	run(&o, "doctor", "extra");
	assert_status(&o, XS_USAGE);
	out_free(&o);
}

/* ---- bench ---- */

static void script(const char *name, const char *body)
{
	char *path = tmp(name);

	write_file(path, body, strlen(body));
	chmod(path, 0755);
}

static void bench(void **state)
{
	char dir[96];
	struct out o;

	snprintf(dir, sizeof(dir), "%s/bench", tmpdir);
	mkdir(dir, 0755);
	setenv("SEALBUF_BENCH_DIR", dir, 1);
	run(&o, "bench");
	assert_status(&o, XS_BENCH);
	assert_has(o.err, "no benchmark programs");
	out_free(&o);
	script("bench/bench-fake",
	       "#!/bin/sh\n"
	       "echo progress >&2\n"
	       "echo '{\"bench\":\"fake\",\"figure\":\"map 4 KiB\",\"unit\":\"us\",\"value\":3.5,"
	       "\"baseline\":\"raw syscalls\",\"baseline_value\":3.0,\"ratio\":1.1667,\"target\":\"<= 1.25\"}'\n"
	       "echo '{\"bench\":\"fake\",\"figure\":\"args '\"$*\"'\",\"unit\":\"us\",\"value\":30,"
	       "\"baseline\":\"copy\",\"baseline_value\":10,\"ratio\":3,\"target\":\"<= 1.5\"}'\n"
	       "echo '{\"bench\":\"fake\",\"figure\":\"cost per MiB\",\"unit\":\"us\",\"value\":12.5}'\n");
	mkdir(tmp("bench/bench-fake.p"), 0755); /* meson's object dirs are not programs */
	run(&o, "bench", "--list");
	assert_status(&o, XS_OK);
	assert_string_equal(o.out, "fake\n");
	out_free(&o);
	/* A missed target ("args" is 3x, <= 1.5 wanted) makes the exit status 1. */
	run(&o, "bench", "--quick", "--reps", "3");
	assert_status(&o, XS_NO);
	assert_has(o.out, "== fake ==");
	assert_has(o.out, "baseline is");
	assert_has(o.out, "3.5 us");
	assert_has(o.out, "1.167x");
	assert_has(o.out, "ok");
	assert_has(o.out, "args --json --quick --reps 3");
	assert_has(o.out, "MISSED");
	assert_has(o.err, "[1/1] bench-fake");
	assert_has(o.err, "progress");
	out_free(&o);
	/* --json: one document, each figure with its target and whether it was met. */
	run(&o, "bench", "--json", "--rounds", "2", "fake");
	assert_status(&o, XS_NO);
	assert_json(o.out);
	assert_has(o.out, "\"target\":\"<= 1.25\",\"met\":true");
	assert_has(o.out, "\"target\":\"<= 1.5\",\"met\":false");
	assert_has(o.out, "\"value\":12.5,\"met\":null");
	assert_has(o.out, "\"missed\":1");
	assert_has(o.out, "\"all_targets_met\":false");
	assert_has(o.out, "--rounds 2");
	out_free(&o);
	run(&o, "bench", "nope");
	assert_status(&o, XS_BENCH);
	assert_has(o.err, "no benchmark named 'nope'");
	out_free(&o);
	/* A program that fails or prints garbage fails the run. */
	script("bench/bench-broken", "#!/bin/sh\necho '{\"figure\": oops'\nexit 3\n");
	run(&o, "bench", "broken");
	assert_status(&o, XS_BENCH);
	assert_has(o.err, "not a figure");
	assert_has(o.err, "exited with status 3");
	out_free(&o);
	/* A program that cannot run here says why and exits 77: skipped, not failed. */
	script("bench/bench-needs-device", "#!/bin/sh\necho 'SKIP: no such device here'\nexit 77\n");
	run(&o, "bench", "needs-device", "fake");
	assert_status(&o, XS_NO);
	assert_has(o.out, "skipped: no such device here");
	assert_has(o.err, "(1 skipped)");
	out_free(&o);
	run(&o, "bench", "--reps", "zero");
	assert_status(&o, XS_USAGE);
	out_free(&o);
	unsetenv("SEALBUF_BENCH_DIR");
}

static int remove_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(usage),
		TL_TEST(create_info),
		TL_TEST(create_hostile),
		TL_TEST(create_command),
		TL_TEST(offer_recv),
		TL_TEST(offer_stdin_read_only),
		TL_TEST(offer_write_out),
		TL_TEST(offer_connect_stream),
		TL_TEST(socket_errors),
		TL_TEST(peer_garbage),
		TL_TEST(peer_stalls),
		TL_TEST(reserved),
		TL_TEST(create_dmabuf),
		TL_TEST(dump_inspect),
		TL_TEST(ls_lists),
		TL_TEST(ls_not_permitted),
		TL_TEST(ls_summary),
		TL_TEST(hostile_names),
		TL_TEST(ls_holders),
		TL_TEST(help_lists_options),
		TL_TEST(version_everywhere),
		TL_TEST(one_error_per_value),
		TL_TEST(doctor),
		TL_TEST(bench),
	};
	int r;

	tool = getenv("SEALBUF_TOOL");
	if (!tool || access(tool, X_OK))
		tl_skip("SEALBUF_TOOL does not name the built sealbuf tool");
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sealbuf-test-cli-XXXXXX");
	if (!mkdtemp(tmpdir))
		tl_skip("cannot make a temporary directory");
	chmod(tmpdir, 0755);
	signal(SIGPIPE, SIG_IGN);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	remove_tmp();
	return r;
}
