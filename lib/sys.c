/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every system call the library makes, wrapped once: EINTR is retried here
 * and failures come back as -errno. Nothing here records a failure reason;
 * the callers know which rule a failure breaks.
 */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/futex.h>
#include <linux/magic.h>
#include <limits.h>
#include <time.h>

#include "internal.h"

#define RETRY_EINTR(expr)                                                      \
	({                                                                     \
		long _r;                                                       \
		do                                                             \
			_r = (long)(expr);                                     \
		while (_r < 0 && errno == EINTR);                              \
		_r < 0 ? -errno : _r;                                          \
	})

int sb_memfd_create(const char *name, unsigned int flags)
{
	return RETRY_EINTR(memfd_create(name, flags));
}

int sb_ftruncate(int fd, off_t len)
{
	return RETRY_EINTR(ftruncate(fd, len));
}

int sb_fallocate(int fd, off_t len)
{
	/* posix_fallocate() would fall back to writing; we want the real thing. */
	return RETRY_EINTR(fallocate(fd, 0, 0, len));
}

int sb_fchmod(int fd, mode_t mode)
{
	return RETRY_EINTR(fchmod(fd, mode));
}

int sb_fcntl(int fd, int cmd, int arg)
{
	return RETRY_EINTR(fcntl(fd, cmd, arg));
}

int sb_mmap(size_t len, int prot, int fd, void **ret)
{
	return sb_mmap_flags(len, prot, 0, fd, ret);
}

int sb_mmap_flags(size_t len, int prot, int flags, int fd, void **ret)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED | flags, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*ret = p;
	return 0;
}

int sb_mmap_at(void *addr, size_t len, int prot, int fd, off_t off, void **ret)
{
	void *p = mmap(addr, len, prot, MAP_SHARED | (addr ? MAP_FIXED : 0), fd, off);

	if (p == MAP_FAILED)
		return -errno;
	*ret = p;
	return 0;
}

void sb_munmap(void *addr, size_t len)
{
	if (addr && len)
		munmap(addr, len);
}

void sb_close(int fd)
{
	/* Never retry close on EINTR: on Linux the fd is gone either way. */
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
}

int sb_open(const char *path, int flags)
{
	return RETRY_EINTR(open(path, flags | O_CLOEXEC));
}

ssize_t sb_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return RETRY_EINTR(sendmsg(fd, msg, flags | MSG_NOSIGNAL));
}

ssize_t sb_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return RETRY_EINTR(recvmsg(fd, msg, flags | MSG_CMSG_CLOEXEC));
}

/* 1 when readable (or hung up), 0 on timeout. EINTR restarts the wait in full. */
int sb_poll_in(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return RETRY_EINTR(poll(&p, 1, timeout_ms));
}

/* Whether the peer has shut down its end (POLLRDHUP), without waiting. */
bool sb_hung_up(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return RETRY_EINTR(poll(&p, 1, 0)) > 0 && (p.revents & (POLLHUP | POLLRDHUP));
}

int sb_ioctl(int fd, unsigned long req, void *arg)
{
	return RETRY_EINTR(ioctl(fd, req, arg));
}

int sb_madvise(void *addr, size_t len, int advice)
{
	return RETRY_EINTR(madvise(addr, len, advice));
}

ssize_t sb_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return RETRY_EINTR(pwrite(fd, buf, len, off));
}

/*
 * Not FUTEX_PRIVATE_FLAG: the word lies in a shared mapping and the waker is
 * another process. An absolute CLOCK_MONOTONIC deadline (WAIT_BITSET) makes
 * the EINTR retry exact. 0 when woken, -EAGAIN when *addr != val already,
 * -ETIMEDOUT at the deadline.
 */
int sb_futex_wait(uint32_t *addr, uint32_t val, uint64_t deadline_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(deadline_ns / 1000000000u),
			       .tv_nsec = (long)(deadline_ns % 1000000000u) };

	return RETRY_EINTR(syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, val,
				   deadline_ns == UINT64_MAX ? NULL : &ts, NULL,
				   FUTEX_BITSET_MATCH_ANY));
}

int sb_futex_wake(uint32_t *addr)
{
	return RETRY_EINTR(syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
}

void sb_yield(void)
{
	sched_yield();
}

size_t sb_page_size(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

bool sb_round_up(size_t n, size_t align, size_t *ret)
{
	if (n > SIZE_MAX - (align - 1))
		return false;
	*ret = (n + align - 1) & ~(align - 1);
	return true;
}

static const char *fs_name(long type)
{
	switch (type) {
	case TMPFS_MAGIC: return "tmpfs";
	case HUGETLBFS_MAGIC: return "hugetlbfs";
	case EXT4_SUPER_MAGIC: return "ext4";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case XFS_SUPER_MAGIC: return "xfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case PROC_SUPER_MAGIC: return "procfs";
	case DMA_BUF_MAGIC: return "dma-buf";
	case ANON_INODE_FS_MAGIC: return "anon_inode";
	default: return NULL;
	}
}

const char *sb_describe_fd(int fd, char *buf, size_t len)
{
	struct stat st;
	struct statfs sfs;
	const char *fs;

	if (fstat(fd, &st) < 0)
		return "not an open fd";
	if (!S_ISREG(st.st_mode) && (st.st_mode & S_IFMT) != 0)
		return sb_file_type_name(st.st_mode);
	if (fstatfs(fd, &sfs) < 0)
		return "a file on an unknown filesystem";
	if (sfs.f_type == DMA_BUF_MAGIC)
		return "a dma-buf";
	fs = fs_name(sfs.f_type);
	if (fs)
		snprintf(buf, len, "a %s file on %s",
			 S_ISREG(st.st_mode) ? "regular" : "special", fs);
	else
		snprintf(buf, len, "a %s file on filesystem 0x%lx",
			 S_ISREG(st.st_mode) ? "regular" : "special",
			 (unsigned long)sfs.f_type);
	return buf;
}
