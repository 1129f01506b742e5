/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an fd refers to, read from /proc: the link target names memfds
 * ("/memfd:NAME (deleted)") and dma-bufs ("/dmabuf:NAME", or
 * "anon_inode:dmabuf" on old kernels); fdinfo gives the holder's access mode
 * and a dma-buf's size, exporter and name. Seals are not in fdinfo on every
 * kernel, so they come from F_GET_SEALS on a fresh read-only open of the
 * /proc link, which works wherever reading the link is permitted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "tool.h"

const char *procfd_type_name(enum fd_type t)
{
	switch (t) {
	case FD_MEMFD: return "memfd";
	case FD_DMABUF: return "dmabuf";
	default: return "other";
	}
}

enum fd_type procfd_classify(const char *link, char *name, size_t len)
{
	const char *p;
	size_t n;

	if (!strncmp(link, "/memfd:", 7)) {
		p = link + 7;
		n = strlen(p);
		/* The kernel appends " (deleted)": memfds have no directory entry. */
		if (n >= 10 && !strcmp(p + n - 10, " (deleted)"))
			n -= 10;
		snprintf(name, len, "%.*s", (int)n, p);
		return FD_MEMFD;
	}
	if (!strncmp(link, "/dmabuf:", 8)) {
		snprintf(name, len, "%s", link + 8);
		return FD_DMABUF;
	}
	if (!strcmp(link, "anon_inode:dmabuf")) {
		if (len)
			name[0] = '\0';
		return FD_DMABUF;
	}
	return FD_OTHER;
}

int procfd_seals_of_path(const char *path)
{
	/* O_NONBLOCK: if the path were ever a FIFO, the open must not hang. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct statfs sfs;
	int seals;

	if (fd < 0)
		return -errno;
	if (fstatfs(fd, &sfs) < 0 ||
	    (sfs.f_type != TMPFS_MAGIC && sfs.f_type != HUGETLBFS_MAGIC)) {
		close(fd);
		return -EBADFD;
	}
	seals = fcntl(fd, F_GET_SEALS);
	seals = seals < 0 ? -errno : seals;
	close(fd);
	return seals;
}

static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Fill in what fdinfo says: flags (access mode) and dma-buf size/names. */
static void read_fdinfo(const char *pidstr, int fd, struct fd_info *o)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%d", pidstr, fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		chomp(line);
		if (!strncmp(line, "flags:", 6))
			o->accmode = (int)(strtoul(line + 6, NULL, 8) & O_ACCMODE);
		else if (o->type == FD_DMABUF && !strncmp(line, "size:", 5)) {
			o->size = strtoull(line + 5, NULL, 10);
			o->size_known = true;
		} else if (o->type == FD_DMABUF && !strncmp(line, "exp_name:", 9))
			snprintf(o->exp_name, sizeof(o->exp_name), "%s", line + 9 + strspn(line + 9, " \t"));
		else if (o->type == FD_DMABUF && !strncmp(line, "name:", 5))
			snprintf(o->name, sizeof(o->name), "%s", line + 5 + strspn(line + 5, " \t"));
		else if (o->type == FD_DMABUF && !strncmp(line, "ino:", 4) && !o->ino)
			o->ino = strtoull(line + 4, NULL, 10);
	}
	fclose(f);
}

int procfd_describe(int pid, int fd, struct fd_info *o)
{
	char pidstr[16], path[64];
	struct stat st;
	ssize_t n;

	memset(o, 0, sizeof(*o));
	o->accmode = -1;
	o->seals = -ENODATA;
	if (pid)
		snprintf(pidstr, sizeof(pidstr), "%d", pid);
	else
		strcpy(pidstr, "self");
	snprintf(path, sizeof(path), "/proc/%s/fd/%d", pidstr, fd);
	n = readlink(path, o->link, sizeof(o->link) - 1);
	if (n < 0)
		return -errno;
	o->link[n] = '\0';
	o->type = procfd_classify(o->link, o->name, sizeof(o->name));
	if (o->type != FD_OTHER && stat(path, &st) == 0) {
		o->ino = st.st_ino;
		if (o->type == FD_MEMFD) {
			o->size = (uint64_t)st.st_size;
			o->size_known = true;
		}
	}
	read_fdinfo(pidstr, fd, o);
	if (o->type == FD_MEMFD) {
		int s = pid ? procfd_seals_of_path(path) : fcntl(fd, F_GET_SEALS);
		o->seals = !pid && s < 0 ? -errno : s;
	}
	return 0;
}
