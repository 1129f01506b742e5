/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dma-buf fds: CPU-access bracketing (DMA_BUF_IOCTL_SYNC), names, description. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/magic.h>

#include "dmabuf.h"
#include "internal.h"

#define SYNC_FLAGS SEALBUF_SYNC_RW

int sb_dmabuf_check(int fd)
{
	struct statfs sfs;
	char what[96];

	if (fd < 0 || fstatfs(fd, &sfs) < 0)
		return sb_fail(-EBADF, SEALBUF_R_INVALID_ARGUMENT,
			       "fd %d is not an open file descriptor", fd);
	if (sfs.f_type != DMA_BUF_MAGIC)
		return sb_fail(-EBADFD, SEALBUF_R_NOT_DMABUF, "fd %d is %s, not a dma-buf",
			       fd, sb_describe_fd(fd, what, sizeof(what)));
	return 0;
}

void sb_memfd_name(int fd, char *buf, size_t len)
{
	static const char prefix[] = "/memfd:", deleted[] = " (deleted)";
	char path[64], target[sizeof(prefix) + SEALBUF_NAME_MAX + sizeof(deleted)];
	size_t n, skip = sizeof(prefix) - 1, tail = sizeof(deleted) - 1;
	ssize_t r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = readlink(path, target, sizeof(target) - 1);
	n = r < 0 ? 0 : (size_t)r;
	target[n] = '\0';
	if (n < skip || strncmp(target, prefix, skip)) {
		snprintf(buf, len, "sealbuf");
		return;
	}
	if (n >= skip + tail && !strcmp(target + n - tail, deleted))
		target[n - tail] = '\0';
	snprintf(buf, len, "%s", target + skip);
}

static int sync_flags(uint32_t flags, __u64 *ret)
{
	int r = sb_check_flags(flags, SYNC_FLAGS, "sync flags");

	if (r < 0)
		return r;
	if (!flags)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "sync flags are 0: say SEALBUF_SYNC_READ, _WRITE or _RW");
	*ret = (flags & SEALBUF_SYNC_READ ? DMA_BUF_SYNC_READ : 0) |
	       (flags & SEALBUF_SYNC_WRITE ? DMA_BUF_SYNC_WRITE : 0);
	return 0;
}

static int dmabuf_sync(int fd, uint32_t flags, __u64 phase)
{
	struct dma_buf_sync s;
	int r = sync_flags(flags, &s.flags);

	if (r == 0)
		r = sb_dmabuf_check(fd);
	if (r < 0)
		return r;
	s.flags |= phase;
	r = sb_ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
	if (r == -EINVAL && phase == DMA_BUF_SYNC_END)
		return sb_fail(r, SEALBUF_R_INVALID_ARGUMENT,
			       "DMA_BUF_IOCTL_SYNC END refused: call sealbuf_dmabuf_sync_begin() with the same flags first");
	if (r < 0)
		return sb_fail_sys(r, phase == DMA_BUF_SYNC_END ? "DMA_BUF_IOCTL_SYNC END"
								: "DMA_BUF_IOCTL_SYNC START");
	return 0;
}

SEALBUF_EXPORT int sealbuf_dmabuf_sync_begin(int dmabuf_fd, uint32_t flags)
{
	return dmabuf_sync(dmabuf_fd, flags, DMA_BUF_SYNC_START);
}

SEALBUF_EXPORT int sealbuf_dmabuf_sync_end(int dmabuf_fd, uint32_t flags)
{
	return dmabuf_sync(dmabuf_fd, flags, DMA_BUF_SYNC_END);
}

int sb_dmabuf_name(int fd, const char *name)
{
	/* The argument is the string itself: _B only says the ioctl's size is 64-bit. */
	int r = sb_ioctl(fd, DMA_BUF_SET_NAME_B, (void *)name);

	if (r == -ENOTTY)
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
			       "this kernel cannot name dma-bufs (DMA_BUF_SET_NAME_B, 5.8+)");
	if (r == -EBUSY)
		return sb_fail(r, SEALBUF_R_SYSCALL,
			       "DMA_BUF_SET_NAME_B: a device has the dma-buf attached; name it before importing");
	return r < 0 ? sb_fail_sys(r, "DMA_BUF_SET_NAME_B") : 0;
}

SEALBUF_EXPORT int sealbuf_dmabuf_set_name(int dmabuf_fd, const char *name)
{
	int r;

	if (!name)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "name is NULL");
	if (strlen(name) > SEALBUF_DMABUF_NAME_MAX)
		return sb_fail(-ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG,
			       "dma-buf name is %zu bytes, at most %d allowed",
			       strlen(name), SEALBUF_DMABUF_NAME_MAX);
	r = sb_dmabuf_check(dmabuf_fd);
	return r < 0 ? r : sb_dmabuf_name(dmabuf_fd, name);
}

/* Copy the value of "KEY:\tvalue" from an fdinfo line into @buf. */
static void fdinfo_field(const char *line, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);

	if (strncmp(line, key, k))
		return;
	line += k;
	line += strspn(line, " \t");
	snprintf(buf, len, "%.*s", (int)strcspn(line, "\n"), line);
}

static void read_fdinfo(int fd, struct sealbuf_dmabuf_info *info)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		fdinfo_field(line, "exp_name:", info->exporter, sizeof(info->exporter));
		fdinfo_field(line, "name:", info->name, sizeof(info->name));
	}
	fclose(f);
}

SEALBUF_EXPORT int sealbuf_dmabuf_query(int dmabuf_fd, struct sealbuf_dmabuf_info *info)
{
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	struct stat st;
	int r;

	if (!info)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "info is NULL");
	r = sb_dmabuf_check(dmabuf_fd);
	if (r < 0)
		return r;
	if (fstat(dmabuf_fd, &st) < 0)
		return sb_fail_sys(-errno, "fstat");
	i.size = (uint64_t)st.st_size;
	i.inode = (uint64_t)st.st_ino;
	read_fdinfo(dmabuf_fd, &i);
	return sb_info_store(info, &i, offsetof(struct sealbuf_dmabuf_info, inode), sizeof(i));
}
