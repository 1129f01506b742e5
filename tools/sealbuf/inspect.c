/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf inspect: what an fd is, and whether it passes the sealing policy
 * that sealbuf_region_open() applies to a peer's fd (lib/seal_policy.c): a
 * memfd, sealed SHRINK|GROW|SEAL, without WRITE/FUTURE_WRITE, not write-only.
 * Nothing is mapped: this is the check alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "region-io.h"
#include "tool.h"

struct verdict {
	bool ok;
	const char *reason;
	char text[512];
	char what[128];
	bool has_header;       /* a sealbuf header, as it says (unchecked) */
	uint32_t kind;
	uint64_t capacity, size, seq;
};

static void fail(struct verdict *v, enum sealbuf_reason reason, const char *text)
{
	v->ok = false;
	v->reason = sealbuf_reason_name(reason);
	snprintf(v->text, sizeof(v->text), "%s", text);
}

/* /proc/PID/fd/N or /proc/self/fd/N: describe it from the holder's side. */
static bool proc_fd_path(const char *path, int *pid, int *fd)
{
	char pidbuf[16], tail;

	if (sscanf(path, "/proc/self/fd/%d%c", fd, &tail) == 1) {
		*pid = (int)getpid();
		return true;
	}
	return sscanf(path, "/proc/%15[0-9]/fd/%d%c", pidbuf, fd, &tail) == 2 &&
	       (*pid = atoi(pidbuf)) > 0;
}

/* The library's text names our duplicate ("fd 5"): name what the user gave instead. */
static void fail_renamed(struct verdict *v, int fd, const char *label)
{
	char ours[24], text[512];
	const char *e = sealbuf_last_error(), *at;

	snprintf(ours, sizeof(ours), "fd %d ", fd);
	at = strstr(e, ours);
	if (at)
		snprintf(text, sizeof(text), "%.*s%s %s", (int)(at - e), e, label, at + strlen(ours));
	else
		snprintf(text, sizeof(text), "%s", e);
	fail(v, sealbuf_last_reason(), text);
}

/* Run the library's policy checks on @fd, which we own; @label is what the user named. */
static void check_fd(int fd, const char *label, const struct fd_info *fi, struct verdict *v)
{
	char what[128];
	size_t fsize, page;

	snprintf(v->what, sizeof(v->what), "%s", sb_describe_fd(fd, what, sizeof(what)));
	if (sb_check_memfd(fd, &fsize, &page) < 0 || sb_check_seals(fd) < 0) {
		fail_renamed(v, fd, label);
		return;
	}
	if (fi->accmode == O_WRONLY) {
		fail(v, SEALBUF_R_ACCESS_MODE, "the fd is write-only: it cannot be mapped");
		return;
	}
	v->ok = true;
	snprintf(v->text, sizeof(v->text), "a sealed memfd that sealbuf_region_open() accepts");
	v->has_header = rio_peek_header(fd, &v->kind, &v->capacity, &v->size, &v->seq);
}

static int check_path(const char *path, const struct fd_info *fi, struct verdict *v)
{
	struct stat st;
	char text[256];
	int fd;

	if (fi->type == FD_DMABUF) {
		snprintf(v->what, sizeof(v->what), "a dma-buf");
		fail(v, SEALBUF_R_NOT_MEMFD,
		     "a dma-buf, not a memfd: only memfds are shared as sealbuf regions");
		return 0;
	}
	if (stat(path, &st) < 0)
		return tool_error(tool_exit_for_errno(errno), "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode)) {
		snprintf(v->what, sizeof(v->what), "%s",
			 S_ISCHR(st.st_mode) ? "a character device" : S_ISFIFO(st.st_mode) ? "a FIFO" :
			 S_ISSOCK(st.st_mode) ? "a socket" : S_ISDIR(st.st_mode) ? "a directory" :
			 "a special file");
		snprintf(text, sizeof(text), "%s is %s, not a memfd", path, v->what);
		fail(v, SEALBUF_R_NOT_MEMFD, text);
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return tool_error(tool_exit_for_errno(errno), "cannot open %s: %s", path,
				  strerror(errno));
	check_fd(fd, path, fi, v);
	close(fd);
	return 0;
}

static const char *accmode_str(int m)
{
	return m == O_RDONLY ? "read-only" : m == O_WRONLY ? "write-only" :
	       m == O_RDWR ? "read-write" : NULL;
}

static void print_json(const char *target, const struct fd_info *fi, const struct verdict *v)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_obj(&j, NULL);
	json_str(&j, "target", target);
	json_str(&j, "type", procfd_type_name(fi->type));
	json_str(&j, "what", v->what);
	json_str(&j, "link", fi->link);
	json_str(&j, "name", fi->type != FD_OTHER ? fi->name : NULL);
	if (fi->size_known)
		json_uint(&j, "size", fi->size);
	else
		json_null(&j, "size");
	rio_json_seals(&j, "seals", fi->seals);
	json_str(&j, "access", accmode_str(fi->accmode));
	json_uint(&j, "inode", fi->ino);
	json_str(&j, "exporter", fi->type == FD_DMABUF ? fi->exp_name : NULL);
	if (v->has_header) {
		json_begin_obj(&j, "header");
		json_str(&j, "kind", rio_kind_name(v->kind));
		json_uint(&j, "capacity", v->capacity);
		json_uint(&j, "size", v->size);
		json_uint(&j, "seq", v->seq);
		json_end_obj(&j);
	} else {
		json_null(&j, "header");
	}
	json_bool(&j, "ok", v->ok);
	json_str(&j, "reason", v->ok ? NULL : v->reason);
	json_str(&j, "error", v->ok ? NULL : v->text);
	json_end_obj(&j);
	json_done(&j);
}

static void print_text(const char *target, const struct fd_info *fi, const struct verdict *v)
{
	char buf[96];

	if (fi->type == FD_OTHER)
		printf("%s: %s (%s)\n", target, v->what, fi->link);
	else
		printf("%s: %s \"%s\"\n", target, fi->type == FD_MEMFD ? "memfd" : "dma-buf",
		       fi->name);
	if (fi->size_known)
		printf("  size:     %s\n", tool_human_size(fi->size, buf, sizeof(buf)));
	if (fi->type == FD_MEMFD)
		printf("  seals:   %s\n", tool_seals_str(fi->seals, buf, sizeof(buf)));
	if (fi->type == FD_DMABUF)
		printf("  exporter: %s\n", fi->exp_name[0] ? fi->exp_name : "unknown");
	if (accmode_str(fi->accmode))
		printf("  access:   %s\n", accmode_str(fi->accmode));
	if (fi->ino)
		printf("  inode:    %" PRIu64 "\n", fi->ino);
	if (v->has_header)
		printf("  header:   %s region, capacity %" PRIu64 ", valid size %" PRIu64
		       ", sequence %" PRIu64 " (as the header says)\n", rio_kind_name(v->kind),
		       v->capacity, v->size, v->seq);
	if (v->ok)
		printf("  verdict:  ok: %s\n", v->text);
	else
		printf("  verdict:  %s: %s\n", v->reason, v->text);
}

static int describe_fd(long fdnum, struct fd_info *fi, struct verdict *v)
{
	char label[32];
	int fd;

	if (procfd_describe(0, (int)fdnum, fi) < 0 || (fd = fcntl((int)fdnum, F_DUPFD_CLOEXEC, 3)) < 0)
		return tool_error(SBX_INPUT, "fd %ld is not open in this process", fdnum);
	snprintf(label, sizeof(label), "fd %ld", fdnum);
	check_fd(fd, label, fi, v);
	close(fd);
	return 0;
}

static int describe_path(const char *path, struct fd_info *fi, struct verdict *v)
{
	int pid, fd, r;

	if (proc_fd_path(path, &pid, &fd)) {
		r = procfd_describe(pid == (int)getpid() ? 0 : pid, fd, fi);
		if (r == -EACCES || r == -EPERM)
			return tool_error(SBX_PERM, "%s: not permitted to inspect process %d's fds (%s)",
					  path, pid, strerror(-r));
		if (r < 0)
			return tool_error(SBX_INPUT, "%s: %s", path, strerror(-r));
	} else {
		memset(fi, 0, sizeof(*fi));
		fi->accmode = -1;
		fi->seals = -ENODATA;
		snprintf(fi->link, sizeof(fi->link), "%s", path);
	}
	r = check_path(path, fi, v);
	if (r || proc_fd_path(path, &pid, &fd))
		return r;
	/* A plain path: describe the file itself from a read-only open of it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			procfd_describe(0, fd, fi);
			fi->accmode = -1; /* our own open says nothing about the path */
		}
		close(fd);
	}
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fd", required_argument, NULL, 'f' },
		{ "path", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	const char *path = NULL;
	struct fd_info fi;
	struct verdict v = { .ok = false };
	char target[64];
	bool json = false, have_fd = false;
	long fdnum = -1;
	int opt, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f' && tool_parse_long(optarg, 0, INT32_MAX, &fdnum))
			have_fd = true;
		else if (opt == 'p')
			path = optarg;
		else if (opt == 'j')
			json = true;
		else
			return tool_usage_error("bad option or value: '%s'", argv[optind - 1]);
	}
	if (!path && optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	if (have_fd == !!path)
		return tool_usage_error("give --fd N or a PATH (one of them)");
	r = have_fd ? describe_fd(fdnum, &fi, &v) : describe_path(path, &fi, &v);
	if (r)
		return r;
	snprintf(target, sizeof(target), "fd %ld", fdnum);
	if (json)
		print_json(have_fd ? target : path, &fi, &v);
	else
		print_text(have_fd ? target : path, &fi, &v);
	return v.ok ? SBX_OK : SBX_POLICY;
}
