/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sync files: a dma-buf's implicit fences as fds (Linux 6.0+), for the
 * explicit synchronisation Vulkan-era consumers speak.
 */
#include <stdio.h>
#include <unistd.h>
#include <linux/dma-buf.h>

#include "internal.h"
#include "dmabuf.h"

#ifndef DMA_BUF_IOCTL_EXPORT_SYNC_FILE
struct dma_buf_export_sync_file {
	__u32 flags;
	__s32 fd;
};
struct dma_buf_import_sync_file {
	__u32 flags;
	__s32 fd;
};
#define DMA_BUF_IOCTL_EXPORT_SYNC_FILE _IOWR(DMA_BUF_BASE, 2, struct dma_buf_export_sync_file)
#define DMA_BUF_IOCTL_IMPORT_SYNC_FILE _IOW(DMA_BUF_BASE, 3, struct dma_buf_import_sync_file)
#endif

static int sync_args(int dmabuf_fd, uint32_t flags, __u32 *ret)
{
	int r = sb_check_flags(flags, SEALBUF_SYNC_RW, "sync flags");

	if (r == 0 && !flags)
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			    "sync flags are 0: say SEALBUF_SYNC_READ, _WRITE or _RW");
	if (r == 0)
		r = sb_dmabuf_check(dmabuf_fd);
	*ret = (flags & SEALBUF_SYNC_READ ? DMA_BUF_SYNC_READ : 0) |
	       (flags & SEALBUF_SYNC_WRITE ? DMA_BUF_SYNC_WRITE : 0);
	return r;
}

static int sync_fail(int r, const char *what)
{
	if (r == -ENOTTY)
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
			       "this kernel has no %s (Linux 6.0+)", what);
	return sb_fail_sys(r, what);
}

SEALBUF_EXPORT int sealbuf_dmabuf_export_sync_file(int dmabuf_fd, uint32_t flags, int *ret_sync_fd)
{
	struct dma_buf_export_sync_file e = { 0 };
	int r = sync_args(dmabuf_fd, flags, &e.flags);

	if (r == 0 && !ret_sync_fd)
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_sync_fd is NULL");
	if (r < 0)
		return r;
	r = sb_ioctl(dmabuf_fd, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e);
	if (r < 0)
		return sync_fail(r, "DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
	*ret_sync_fd = e.fd;
	return 0;
}

SEALBUF_EXPORT int sealbuf_dmabuf_import_sync_file(int dmabuf_fd, uint32_t flags, int sync_fd)
{
	struct dma_buf_import_sync_file i = { .fd = sync_fd };
	int r = sync_args(dmabuf_fd, flags, &i.flags);

	if (r < 0)
		return r;
	r = sb_ioctl(dmabuf_fd, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &i);
	if (r == -EINVAL)
		return sb_fail(r, SEALBUF_R_INVALID_ARGUMENT,
			       "DMA_BUF_IOCTL_IMPORT_SYNC_FILE: fd %d is not a sync file", sync_fd);
	return r < 0 ? sync_fail(r, "DMA_BUF_IOCTL_IMPORT_SYNC_FILE") : 0;
}

/* A sync file is an anon inode named "[sync_file]"; poll() on anything else would lie. */
static int check_sync_file(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return sb_fail(-EBADF, SEALBUF_R_INVALID_ARGUMENT, "fd %d is not open", fd);
	target[n] = '\0';
	if (strcmp(target, "anon_inode:sync_file"))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "fd %d is %s, not a sync file",
			       fd, target);
	return 0;
}

SEALBUF_EXPORT int sealbuf_sync_file_wait(int sync_fd, int timeout_ms)
{
	int r = check_sync_file(sync_fd);

	if (r < 0)
		return r;
	/* A sync file polls readable once its fence has signalled. */
	r = sb_poll_in(sync_fd, timeout_ms);
	if (r < 0)
		return sb_fail_sys(r, "poll on the sync file");
	if (r == 0 && timeout_ms == 0)
		return sb_fail(-EAGAIN, SEALBUF_R_WOULD_BLOCK, "the sync file has not signalled");
	if (r == 0)
		return sb_fail(-ETIMEDOUT, SEALBUF_R_TIMEOUT,
			       "the sync file did not signal within %d ms", timeout_ms);
	return 0;
}
