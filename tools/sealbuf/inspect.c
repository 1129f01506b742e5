/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf inspect: what an fd is, and whether sealbuf_region_open() would
 * accept it. The verdict is the library's own (sealbuf_fd_check(): memfd,
 * seals, access, size, header), made on an fd that is never mapped. Paths
 * are opened O_PATH first, so a device, FIFO or socket is described without
 * being opened for real.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region-io.h"
#include "tool.h"

struct verdict {
	int err;                  /* sealbuf_fd_check()'s answer */
	const char *reason;       /* its reason's name when it refused */
	char text[512];           /* the library's text */
	char what[64];            /* "a memfd", "a character device", ... */
	struct sealbuf_fd_info info;
};

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

/* Ask the library; a read-only mapping is what inspect's user would ask for. */
static void check_fd(int fd, const struct fd_info *fi, struct verdict *v)
{
	SEALBUF_OPTS(sealbuf_check_opts, o, .flags = SEALBUF_CHECK_RDONLY);
	struct stat st;

	v->info.sz = sizeof(v->info);
	v->err = sealbuf_fd_check(fd, &o, &v->info);
	if (v->err < 0) {
		v->reason = sealbuf_reason_name(sealbuf_last_reason());
		snprintf(v->text, sizeof(v->text), "%s", sealbuf_last_error());
	} else {
		snprintf(v->text, sizeof(v->text), "a sealed memfd that sealbuf_region_open() accepts");
	}
	if (fi->type != FD_OTHER)
		snprintf(v->what, sizeof(v->what), "%s",
			 fi->type == FD_MEMFD ? "a memfd" : "a dma-buf");
	else
		snprintf(v->what, sizeof(v->what), "%s",
			 fstat(fd, &st) == 0 ? sb_file_type_name(st.st_mode) : "not open");
}

static void json_header(struct json *j, const struct sealbuf_fd_info *i)
{
	if (!(i->flags & SEALBUF_FD_HEADER)) {
		json_null(j, "header");
		return;
	}
	json_begin_obj(j, "header");
	json_str(j, "kind", sb_kind_name(i->kind));
	json_uint(j, "capacity", i->capacity);
	json_uint(j, "size", i->valid_size);
	json_uint(j, "seq", i->seq);
	json_end_obj(j);
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
	json_seals(&j, "seals", fi->seals);
	json_str(&j, "access", sb_access_name(fi->accmode));
	json_uint(&j, "inode", fi->ino);
	json_str(&j, "exporter", fi->type == FD_DMABUF ? fi->exp_name : NULL);
	json_header(&j, &v->info);
	json_bool(&j, "ok", v->err == 0);
	json_str(&j, "reason", v->err ? v->reason : NULL);
	json_str(&j, "error", v->err ? v->text : NULL);
	json_end_obj(&j);
	json_done(&j);
}

static void print_text(const char *target, const struct fd_info *fi, const struct verdict *v)
{
	char buf[96], esc[4 * 512];
	const struct sealbuf_fd_info *i = &v->info;

	printf("%s: ", sb_term_escape(target, esc, sizeof(esc)));
	if (fi->type == FD_OTHER)
		printf("%s (%s)\n", v->what, sb_term_escape(fi->link, esc, sizeof(esc)));
	else
		printf("%s \"%s\"\n", fi->type == FD_MEMFD ? "memfd" : "dma-buf",
		       sb_term_escape(fi->name, esc, sizeof(esc)));
	if (fi->size_known)
		printf("  size:     %s\n", tool_human_size(fi->size, buf, sizeof(buf)));
	if (fi->type == FD_MEMFD)
		printf("  seals:    %s\n", tool_seals_str(fi->seals, buf, sizeof(buf)));
	if (fi->type == FD_DMABUF)
		printf("  exporter: %s\n",
		       fi->exp_name[0] ? sb_term_escape(fi->exp_name, esc, sizeof(esc)) : "unknown");
	if (sb_access_name(fi->accmode))
		printf("  access:   %s\n", sb_access_name(fi->accmode));
	if (fi->ino)
		printf("  inode:    %" PRIu64 "\n", fi->ino);
	if (i->flags & SEALBUF_FD_HEADER)
		printf("  header:   %s region, capacity %" PRIu64 ", valid size %" PRIu64
		       ", sequence %" PRIu64 " (as the header says)\n", sb_kind_name(i->kind),
		       i->capacity, i->valid_size, i->seq);
	if (v->err == 0)
		printf("  verdict:  ok: %s\n", v->text);
	else
		printf("  verdict:  %s: %s\n", v->reason ? v->reason : "?",
		       sb_term_escape(v->text, esc, sizeof(esc)));
}

static int describe_fd(long fdnum, struct fd_info *fi, struct verdict *v)
{
	if (procfd_describe(0, (int)fdnum, fi) < 0)
		return tool_error(SBX_INPUT, "fd %ld is not open in this process", fdnum);
	check_fd((int)fdnum, fi, v);
	return 0;
}

static int describe_path(const char *path, struct fd_info *fi, struct verdict *v)
{
	bool holder = false;
	int pid, fd, r;

	if (proc_fd_path(path, &pid, &fd)) {
		r = procfd_describe(pid == (int)getpid() ? 0 : pid, fd, fi);
		if (r == -EACCES || r == -EPERM)
			return tool_error(SBX_PERM, "%s: not permitted to inspect process %d's fds (%s)",
					  path, pid, strerror(-r));
		if (r < 0)
			return tool_error(SBX_INPUT, "%s: %s", path, strerror(-r));
		holder = true;
	}
	r = share_open_target(path, false, 0, &fd);
	if (r)
		return r;
	/* A plain path: describe the file from our own open (its mode says nothing). */
	if (!holder && procfd_describe(0, fd, fi) == 0)
		fi->accmode = -1;
	check_fd(fd, fi, v);
	close(fd);
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
	struct verdict v = { .err = 0 };
	char target[64];
	bool json = false, have_fd = false;
	long fdnum = -1;
	int opt, r;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'f' && !tool_parse_long(optarg, 0, INT32_MAX, &fdnum))
			return tool_usage_again();
		else if (opt == 'f')
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
	return v.err == 0 ? SBX_OK : SBX_POLICY;
}
