/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sharing from a shell: create (hand a region to a command as an inherited
 * fd), offer (send it to each client of a Unix socket), recv (receive one and
 * describe or dump it), write (receive a writable one and fill it), dump
 * (print the contents of an fd or /proc path after checking it).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "region-io.h"
#include "sock.h"
#include "tool.h"

enum {
	OPT_SIZE = 0x100, OPT_NAME, OPT_READ_ONLY, OPT_FD, OPT_OUT, OPT_SOCKET,
	OPT_CONNECT, OPT_LISTEN, OPT_COUNT, OPT_TIMEOUT, OPT_VERBOSE, OPT_INFO,
	OPT_JSON, OPT_DUMP, OPT_HEXDUMP, OPT_EXPECT_RO, OPT_OFFSET, OPT_LENGTH,
	OPT_WAIT, OPT_PATH, OPT_RESERVE, OPT_FOLLOW, OPT_DMABUF_FD,
};

/* Options common to the sharing commands; each command accepts a subset. */
struct share_args {
	struct input in;
	const char *socket;
	const char *out;
	const char *path;
	long fd;
	bool have_fd;
	long dmabuf_fd;          /* create --dmabuf-fd N, or -1 */
	bool read_only, connect, listen, verbose, json, wait, expect_ro, follow, have_count;
	enum { MODE_INFO, MODE_DUMP, MODE_HEX } mode;
	long count;
	long timeout_ms;
	uint64_t offset, length;
	bool have_length;
};

static bool parse_common(int opt, struct share_args *a)
{
	long v;

	switch (opt) {
	case OPT_SIZE:
		a->in.have_size = true;
		return tool_parse_size(optarg, &a->in.size);
	case OPT_OFFSET:
		return tool_parse_size(optarg, &a->offset);
	case OPT_LENGTH:
		a->have_length = true;
		return tool_parse_size(optarg, &a->length);
	case OPT_NAME: a->in.name = optarg; return true;
	case OPT_READ_ONLY: a->read_only = true; return true;
	case OPT_OUT: a->out = optarg; return true;
	case OPT_SOCKET: a->socket = optarg; return true;
	case OPT_PATH: a->path = optarg; return true;
	case OPT_CONNECT: a->connect = true; return true;
	case OPT_LISTEN: a->listen = true; return true;
	case OPT_VERBOSE: a->verbose = true; return true;
	case OPT_WAIT: a->wait = true; return true;
	case OPT_EXPECT_RO: a->expect_ro = true; return true;
	case OPT_JSON: a->json = true; return true;
	case OPT_RESERVE: a->in.reserve = true; return true;
	case OPT_DMABUF_FD:
		return tool_parse_long(optarg, 3, 1 << 20, &a->dmabuf_fd);
	case OPT_INFO: a->mode = MODE_INFO; return true;
	case OPT_DUMP: a->mode = MODE_DUMP; return true;
	case OPT_HEXDUMP: a->mode = MODE_HEX; return true;
	case OPT_FD:
		a->have_fd = true;
		return tool_parse_long(optarg, 0, 1 << 20, &a->fd);
	case OPT_FOLLOW: a->follow = true; return true;
	case OPT_COUNT:
		a->have_count = true;
		return tool_parse_long(optarg, 0, 1 << 20, &a->count);
	case OPT_TIMEOUT:
		if (!tool_parse_long(optarg, 0, INT32_MAX, &v))
			return false;
		a->timeout_ms = v;
		return true;
	default:
		return false;
	}
}

/* getopt_long over @opts; 0, or SBX_USAGE with the message printed. */
static int parse_args(int argc, char **argv, const char *shortopts,
		      const struct option *opts, struct share_args *a)
{
	int opt;

	a->count = 1;
	a->dmabuf_fd = -1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return tool_usage_error("unknown option or missing argument: '%s'",
						argv[optind - 1]);
		if (!parse_common(opt, a)) {
			/* tool_parse_* said what is wrong with the value. */
			tool_print_usage(stderr, tool_cmd_name);
			return SBX_USAGE;
		}
	}
	return 0;
}

/* ---- create ---- */

/* Put @fd at @target in the child, inheritable. */
static void place_fd(int fd, int target)
{
	if (fd == target)
		fcntl(fd, F_SETFD, 0);
	else if (dup2(fd, target) < 0)
		_exit(126);
}

static int run_child(int share_fd, int target, int dmabuf_fd, int dmabuf_target,
		     const struct sealbuf_region *r, const char *name, bool ro, char **cmd)
{
	char v[32];

	/* Move the dma-buf out of the way first if it sits where the memfd goes. */
	if (dmabuf_fd == target)
		dmabuf_fd = fcntl(dmabuf_fd, F_DUPFD_CLOEXEC, 64);
	place_fd(share_fd, target);
	if (dmabuf_fd >= 0) {
		place_fd(dmabuf_fd, dmabuf_target);
		snprintf(v, sizeof(v), "%d", dmabuf_target);
		setenv("SEALBUF_DMABUF_FD", v, 1);
	}
	snprintf(v, sizeof(v), "%d", target);
	setenv("SEALBUF_FD", v, 1);
	snprintf(v, sizeof(v), "%zu", sealbuf_region_size(r));
	setenv("SEALBUF_SIZE", v, 1);
	setenv("SEALBUF_NAME", name, 1);
	setenv("SEALBUF_READ_ONLY", ro ? "1" : "0", 1);
	execvp(cmd[0], cmd);
	fprintf(stderr, "sealbuf create: cannot run %s: %s\n", cmd[0], strerror(errno));
	_exit(127);
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return tool_error(SBX_NO, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static int create_and_run(struct sealbuf_region *r, const struct share_args *a, char **cmd)
{
	struct fd_info fi;
	pid_t pid;
	int dmabuf = -1, fd, ret = 0;

	/* The dma-buf first: it is the step that depends on the machine. */
	if (a->dmabuf_fd >= 0 && (ret = sealbuf_region_export(r, NULL, &dmabuf)) < 0)
		return tool_lib_error(ret, "cannot export the region as a dma-buf");
	ret = sealbuf_region_share(r, a->read_only ? SEALBUF_SHARE_RDONLY : 0, &fd);
	if (ret < 0) {
		if (dmabuf >= 0)
			close(dmabuf);
		return tool_lib_error(ret, "cannot share the region");
	}
	procfd_describe(0, fd, &fi);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fd);
		if (dmabuf >= 0)
			close(dmabuf);
		return tool_error(SBX_NO, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		run_child(fd, a->have_fd ? (int)a->fd : 3, dmabuf, (int)a->dmabuf_fd, r, fi.name,
			  a->read_only, cmd);
	close(fd);
	if (dmabuf >= 0)
		close(dmabuf);
	ret = wait_child(pid);
	if (a->out) {
		const uint8_t *p;
		size_t n;
		uint8_t *copy;
		int e = rio_region_bytes(r, &p, &n, &copy);
		if (!e)
			e = rio_emit(p, n, 0, 0, false, RIO_RAW, a->out);
		free(copy);
		if (e && !ret)
			ret = e;
	}
	return ret;
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "fd", required_argument, NULL, OPT_FD },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "reserve", no_argument, NULL, OPT_RESERVE },
		{ "dmabuf-fd", required_argument, NULL, OPT_DMABUF_FD },
		{ 0 }
	};
	struct share_args a = { 0 };
	struct sealbuf_region *r;
	char **cmd = NULL;
	int ret = parse_args(argc, argv, "+", opts, &a);

	if (ret)
		return ret;
	/* getopt swallows a "--" that ends the options: a command follows, no FILE. */
	if (optind > 1 && !strcmp(argv[optind - 1], "--")) {
		cmd = argv + optind;
	} else if (optind < argc) {
		a.in.path = argv[optind++];
		if (optind < argc && strcmp(argv[optind], "--"))
			return tool_usage_error("unexpected '%s': a COMMAND goes after '--'", argv[optind]);
		if (optind < argc)
			cmd = argv + optind + 1;
	}
	if (cmd && !*cmd)
		return tool_usage_error("'--' must be followed by a COMMAND");
	if (a.have_fd && a.fd < 3)
		return tool_usage_error("--fd %ld would replace standard input, output or error", a.fd);
	if ((a.have_fd || a.out || a.dmabuf_fd >= 0) && !cmd)
		return tool_usage_error("--fd, --dmabuf-fd and --out need a COMMAND after '--'");
	if (a.dmabuf_fd >= 0 && a.read_only)
		return tool_usage_error("--dmabuf-fd with --read-only: a dma-buf lets the command write");
	if (a.dmabuf_fd >= 0 && a.dmabuf_fd == (a.have_fd ? a.fd : 3))
		return tool_usage_error("--dmabuf-fd %ld is where the region's fd goes", a.dmabuf_fd);
	ret = rio_region_from_input(&a.in, &r);
	if (ret)
		return ret;
	if (cmd)
		ret = create_and_run(r, &a, cmd);
	else
		rio_print_info(r, a.json);
	sealbuf_region_free(r);
	return ret;
}

/* ---- offer ---- */

static int send_one(int sock, const struct sealbuf_region *r, const struct share_args *a,
		    int n)
{
	int ret = sealbuf_region_send(sock, r, a->read_only ? SEALBUF_SHARE_RDONLY : 0);

	if (ret < 0)
		return tool_lib_error(ret, "cannot send the region");
	if (a->verbose)
		fprintf(stderr, "sealbuf offer: sent the region to client %d (pid %d)\n", n,
			sock_peer_pid(sock));
	return 0;
}

/* With --out: wait until each client is done with the region, then save what it holds. */
static int collect(struct sealbuf_region *r, const struct share_args *a, int *conns, int n)
{
	const uint8_t *p;
	uint8_t *copy;
	size_t len;
	int ret;

	for (int i = 0; i < n; i++) {
		ret = sock_wait_hangup(conns[i], (int)a->timeout_ms);
		if (ret == -ETIMEDOUT)
			return tool_error(SBX_TIMEOUT, "client %d kept its connection open past %ld ms",
					  i + 1, a->timeout_ms);
		if (ret < 0 && tool_interrupted)
			return tool_error(SBX_NO, "interrupted while waiting for client %d to finish",
					  i + 1);
	}
	ret = rio_region_bytes(r, &p, &len, &copy);
	if (!ret)
		ret = rio_emit(p, len, 0, 0, false, RIO_RAW, a->out);
	free(copy);
	return ret;
}

static int offer_connect(struct sealbuf_region *r, const struct share_args *a)
{
	int sock, ret = sock_connect(a->socket, a->wait, (int)a->timeout_ms, &sock);

	if (ret)
		return ret;
	ret = send_one(sock, r, a, 1);
	if (!ret && a->out)
		ret = collect(r, a, &sock, 1);
	close(sock);
	return ret;
}

static int offer_listen(struct sealbuf_region *r, const struct share_args *a)
{
	int lfd, sock, sent = 0, ret = sock_listen(a->socket, &lfd);
	int *conns = a->out ? calloc((size_t)a->count, sizeof(int)) : NULL;
	char buf[64];

	if (ret || (a->out && !conns)) {
		free(conns);
		return ret ? ret : tool_error(SBX_SIZE, "out of memory");
	}
	if (a->verbose)
		fprintf(stderr, "sealbuf offer: offering %s on %s\n",
			tool_human_size(sealbuf_region_size(r), buf, sizeof(buf)), a->socket);
	while (!ret && (a->count == 0 || sent < a->count)) {
		ret = sock_accept(lfd, a->socket, (int)a->timeout_ms, &sock);
		if (ret && tool_interrupted && a->count == 0)
			ret = 0; /* serving until stopped: a signal is the normal end */
		if (ret || tool_interrupted)
			break;
		/* A client that leaves before it gets the region does not count. */
		if (send_one(sock, r, a, sent + 1)) {
			close(sock);
			continue;
		}
		if (conns)
			conns[sent] = sock;
		else
			close(sock);
		sent++;
	}
	unlink(a->socket);
	close(lfd);
	if (!ret && conns)
		ret = collect(r, a, conns, sent);
	for (int i = 0; conns && i < sent; i++)
		close(conns[i]);
	free(conns);
	return ret;
}

int cmd_offer(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "connect", no_argument, NULL, OPT_CONNECT },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "reserve", no_argument, NULL, OPT_RESERVE },
		{ 0 }
	};
	struct share_args a = { 0 };
	struct sealbuf_region *r;
	int ret = parse_args(argc, argv, "v", opts, &a);

	if (ret)
		return ret;
	if (!a.socket)
		return tool_usage_error("--socket PATH is required");
	if (optind < argc)
		a.in.path = argv[optind++];
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (a.out && a.count == 0)
		return tool_usage_error("--out needs --count of at least 1: it is written once every client is done");
	ret = rio_region_from_input(&a.in, &r);
	if (ret)
		return ret;
	tool_catch_signals();
	ret = a.connect ? offer_connect(r, &a) : offer_listen(r, &a);
	sealbuf_region_free(r);
	return ret;
}

/* ---- recv and write: take one region from a socket ---- */

/*
 * Connect (or listen and accept one), and receive. The connection stays open
 * in *ret_sock until the caller is done: an offer with --out takes the hangup
 * as "finished with the region".
 */
static int take_region(const struct share_args *a, uint32_t flags, struct sealbuf_region **ret,
		       int *ret_sock)
{
	/* --timeout 0 (the default) waits forever; the library takes poll's rule. */
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags,
		     .timeout_ms = a->timeout_ms ? (int)a->timeout_ms : -1);
	int sock, lfd, r;

	tool_catch_signals();
	if (a->listen) {
		r = sock_listen(a->socket, &lfd);
		if (r)
			return r;
		r = sock_accept(lfd, a->socket, (int)a->timeout_ms, &sock);
		unlink(a->socket);
		close(lfd);
	} else {
		r = sock_connect(a->socket, a->wait, (int)a->timeout_ms, &sock);
	}
	if (r)
		return r;
	r = sealbuf_region_recv(sock, &o, ret);
	if (r < 0) {
		close(sock);
		return tool_lib_error(r, "receiving a region");
	}
	*ret_sock = sock;
	return 0;
}

static int check_expect_ro(const struct sealbuf_region *r)
{
	int fl = fcntl(sealbuf_region_fd(r), F_GETFL);

	if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY)
		return tool_error(SBX_POLICY,
				  "the sender shared a writable handle; --expect-read-only wants a read-only one");
	return 0;
}

/* One publication of a followed region, in the output mode asked for. */
static int show_publication(const struct share_args *a, uint64_t seq, const uint8_t *p,
			    size_t len)
{
	switch (a->mode) {
	case MODE_DUMP:
		return rio_emit(p, len, 0, 0, false, RIO_RAW, NULL);
	case MODE_HEX:
		printf("== sequence %" PRIu64 ", %zu bytes ==\n", seq, len);
		return rio_emit(p, len, 0, 0, false, RIO_HEX, NULL);
	default:
		if (a->json)
			printf("{\"seq\":%" PRIu64 ",\"size\":%zu}\n", seq, len);
		else
			printf("sequence %" PRIu64 ": %zu bytes\n", seq, len);
		fflush(stdout);
		return 0;
	}
}

/*
 * --follow: show the current publication of a reserved or mirror region, then
 * each new one as the writer publishes it, until --count of them, a --timeout
 * with nothing new, or a signal (which ends the tool: the default action).
 */
static int follow(struct sealbuf_region *r, const struct share_args *a)
{
	size_t cap = sealbuf_region_capacity(r), len;
	uint8_t *buf = malloc(cap ? cap : 1);
	uint64_t seq;
	long shown = 0;
	int ret = 0;

	if (!buf)
		return tool_error(SBX_SIZE, "out of memory for %zu bytes", cap);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	while (!ret) {
		ret = sealbuf_region_snapshot(r, buf, cap, &len, &seq);
		if (ret < 0) {
			ret = tool_lib_error(ret, "reading a publication");
			break;
		}
		ret = show_publication(a, seq, buf, len);
		if (ret || (a->have_count && ++shown >= a->count))
			break;
		ret = sealbuf_region_wait(r, seq, a->timeout_ms ? (int)a->timeout_ms : -1, NULL);
		if (ret < 0)
			ret = tool_lib_error(ret, "waiting for the next publication");
	}
	free(buf);
	return ret;
}

int cmd_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "listen", no_argument, NULL, OPT_LISTEN },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "info", no_argument, NULL, OPT_INFO },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "hexdump", no_argument, NULL, OPT_HEXDUMP },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "expect-read-only", no_argument, NULL, OPT_EXPECT_RO },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ 0 }
	};
	struct share_args a = { 0 };
	struct sealbuf_region *r;
	const uint8_t *p = NULL;
	uint8_t *copy = NULL;
	size_t len = 0;
	int sock, ret = parse_args(argc, argv, "", opts, &a);

	if (ret)
		return ret;
	if (!a.socket)
		return tool_usage_error("--socket PATH is required");
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (a.follow && a.out)
		return tool_usage_error("--follow writes to standard output; --out takes one snapshot");
	if (a.have_count && !a.follow)
		return tool_usage_error("--count counts publications: it needs --follow");
	if (a.out && a.mode == MODE_INFO)
		a.mode = MODE_DUMP;
	/* The tool only reads: map read-only whatever the sender allowed. */
	ret = take_region(&a, SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE, &r, &sock);
	if (ret)
		return ret;
	if (a.expect_ro)
		ret = check_expect_ro(r);
	if (!ret && a.follow && sealbuf_region_kind(r) == SEALBUF_KIND_PLAIN)
		ret = tool_error(SBX_POLICY, "--follow needs a reserved or mirror region; this one is plain");
	if (!ret && a.follow) {
		ret = follow(r, &a);
		sealbuf_region_free(r);
		close(sock);
		return ret;
	}
	if (!ret && a.mode == MODE_INFO && sealbuf_region_kind(r) != SEALBUF_KIND_PLAIN &&
	    (ret = sealbuf_region_read(r)) < 0)
		ret = tool_lib_error(ret, "reading the region's header");
	if (!ret && a.mode == MODE_INFO)
		rio_print_info(r, a.json);
	else if (!ret)
		ret = rio_region_bytes(r, &p, &len, &copy);
	if (!ret && a.mode != MODE_INFO)
		ret = rio_emit(p, len, 0, 0, false, a.mode == MODE_HEX ? RIO_HEX : RIO_RAW, a.out);
	free(copy);
	sealbuf_region_free(r);
	close(sock);
	return ret;
}

int cmd_write(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "listen", no_argument, NULL, OPT_LISTEN },
		{ "wait", no_argument, NULL, OPT_WAIT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ 0 }
	};
	struct share_args a = { 0 };
	struct sealbuf_region *r;
	uint8_t *buf;
	size_t len;
	int sock, ret = parse_args(argc, argv, "", opts, &a);

	if (ret)
		return ret;
	if (!a.socket)
		return tool_usage_error("--socket PATH is required");
	if (optind + 1 != argc)
		return tool_usage_error("give one FILE to write, or '-' for standard input");
	/* Read the input first: a bad file fails before a region is taken. */
	ret = rio_read_file(argv[optind], &buf, &len);
	if (ret)
		return ret;
	ret = take_region(&a, 0, &r, &sock);
	if (!ret) {
		ret = rio_region_write(r, a.offset, buf, len);
		if (!ret && a.verbose)
			fprintf(stderr, "sealbuf write: wrote %zu bytes at offset %" PRIu64
				" into a region of %zu bytes\n", len, a.offset,
				sealbuf_region_capacity(r));
		sealbuf_region_free(r);
		close(sock);
	}
	free(buf);
	return ret;
}

/* ---- dump: an fd we inherited, or a path such as /proc/PID/fd/N ---- */

static const char *file_type(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	default: return "not a regular file";
	}
}

int share_open_target(const char *path, bool have_fd, long fdnum, int *ret_fd)
{
	struct stat st;
	int fd;

	if (have_fd && path)
		return tool_usage_error("give --fd N or a PATH, not both");
	if (!have_fd && !path)
		return tool_usage_error("give --fd N or a PATH");
	if (have_fd) {
		fd = fcntl((int)fdnum, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return tool_error(SBX_INPUT, "fd %ld is not open in this process", fdnum);
		*ret_fd = fd;
		return 0;
	}
	if (stat(path, &st) < 0)
		return tool_error(tool_exit_for_errno(errno), "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return tool_error(SBX_POLICY, "%s: SEALBUF_R_NOT_MEMFD: %s is %s, not a memfd", path,
				  path, file_type(st.st_mode));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return tool_error(tool_exit_for_errno(errno), "cannot open %s: %s", path,
				  strerror(errno));
	*ret_fd = fd;
	return 0;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, OPT_FD },
		{ "path", required_argument, NULL, OPT_PATH },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "hexdump", no_argument, NULL, OPT_HEXDUMP },
		{ "out", required_argument, NULL, OPT_OUT },
		{ 0 }
	};
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = SEALBUF_OPEN_RDONLY);
	struct share_args a = { 0 };
	struct sealbuf_region *r;
	const uint8_t *p;
	uint8_t *copy;
	size_t len;
	struct stat st;
	uint64_t cap;
	uint32_t kind;
	char label[32];
	int fd, ret = parse_args(argc, argv, "", opts, &a);

	if (ret)
		return ret;
	if (!a.path && optind < argc)
		a.path = argv[optind++];
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	ret = share_open_target(a.path, a.have_fd, a.fd, &fd);
	if (ret)
		return ret;
	/*
	 * A reserved or mirror region says its kind and capacity in its header;
	 * sealbuf_region_open() checks them. Otherwise, without --size, the
	 * whole file (whole pages) is the region.
	 */
	if (rio_peek_header(fd, &kind, &cap, NULL, NULL)) {
		o.kind = kind;
		if (!a.in.have_size)
			a.in.size = cap;
	} else if (!a.in.have_size) {
		a.in.size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	}
	if (a.in.size > SIZE_MAX) {
		close(fd);
		return tool_error(SBX_SIZE, "--size %" PRIu64 " cannot be mapped here", a.in.size);
	}
	snprintf(label, sizeof(label), "fd %ld", a.fd);
	ret = sealbuf_region_open(fd, (size_t)a.in.size, &o, &r);
	if (ret < 0)
		return tool_lib_error_as(ret, a.path ? a.path : label, fd, a.path ? a.path : label);
	ret = rio_region_bytes(r, &p, &len, &copy);
	if (!ret)
		ret = rio_emit(p, len, a.offset, a.length, a.have_length,
			       a.mode == MODE_HEX ? RIO_HEX : RIO_RAW, a.out);
	free(copy);
	sealbuf_region_free(r);
	return ret;
}
