/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sealing policy. Every region carries exactly F_SEAL_SHRINK|F_SEAL_GROW|
 * F_SEAL_SEAL (plus F_SEAL_EXEC where MFD_NOEXEC_SEAL added it): the sender
 * can never resize the memfd under a receiver's mapping (no SIGBUS), nobody
 * can change the seals later, and it is the set /dev/udmabuf accepts (it
 * refuses WRITE and FUTURE_WRITE). A peer's fd is checked against the same
 * policy before it is mapped.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "internal.h"

int sb_seal(int fd)
{
	int r = sb_fcntl(fd, F_ADD_SEALS, SB_SEALS_REQUIRED);

	return r < 0 ? sb_fail_sys(r, "fcntl(F_ADD_SEALS)") : 0;
}

static int seals_str(int seals, char *buf, size_t len)
{
	return snprintf(buf, len, "%s%s%s%s%s%s", seals & F_SEAL_SEAL ? " SEAL" : "",
			seals & F_SEAL_SHRINK ? " SHRINK" : "",
			seals & F_SEAL_GROW ? " GROW" : "",
			seals & F_SEAL_WRITE ? " WRITE" : "",
			seals & F_SEAL_FUTURE_WRITE ? " FUTURE_WRITE" : "",
			seals & F_SEAL_EXEC ? " EXEC" : "");
}

int sb_check_seals(int fd)
{
	char have[64];
	int seals = sb_fcntl(fd, F_GET_SEALS, 0);

	if (seals < 0)
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD,
			       "fd %d has no seals at all (F_GET_SEALS: %s): not a memfd",
			       fd, strerror(-seals));
	seals_str(seals, have, sizeof(have));
	/* Files made without MFD_ALLOW_SEALING report SEAL alone, forever. */
	if (seals == F_SEAL_SEAL)
		return sb_fail(-EPERM, SEALBUF_R_NOT_SEALABLE,
			       "fd %d cannot be sealed (memfd made without MFD_ALLOW_SEALING, or a plain tmpfs file)",
			       fd);
	if (seals & SB_SEALS_FORBIDDEN)
		return sb_fail(-EPERM, SEALBUF_R_SEALS_EXTRA,
			       "fd %d carries seals {%s }: WRITE/FUTURE_WRITE forbid writers and dma-buf export",
			       fd, have);
	if ((seals & SB_SEALS_REQUIRED) != SB_SEALS_REQUIRED)
		return sb_fail(-EPERM, SEALBUF_R_SEALS_MISSING,
			       "fd %d carries seals {%s }, needs SHRINK GROW SEAL: its sender could still resize it",
			       fd, have);
	return 0;
}

/*
 * Every ordinary memfd lives on the kernel's one internal shm mount, so it
 * shares st_dev with a memfd of our own; a tmpfs file anywhere else (say
 * /dev/shm) does not. This costs no system call per check.
 */
static dev_t shm_dev(void)
{
	static dev_t dev;
	struct stat st;
	int fd;

	if (dev)
		return dev;
	fd = sb_memfd_create("sealbuf-probe", MFD_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0)
		dev = st.st_dev;
	sb_close(fd);
	return dev;
}

/*
 * A memfd on a filesystem of type @magic, recognised by its name: how hugetlb
 * memfds, on per-size internal mounts, are told from other hugetlbfs files.
 */
static bool is_memfd_on(int fd, long magic)
{
	char path[64], target[sizeof("/memfd:")];
	struct statfs sfs;
	ssize_t n;

	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != magic)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "/memfd:") == 0;
}

/*
 * An ordinary memfd: on the shm mount. While no probe memfd could be made for
 * shm_dev() (a process at RLIMIT_NOFILE: opening a region needs no new fd),
 * recognised by its name on tmpfs instead.
 */
static bool is_shm_memfd(int fd, const struct stat *st)
{
	dev_t dev = shm_dev();

	return dev ? st->st_dev == dev : is_memfd_on(fd, TMPFS_MAGIC);
}

int sb_check_memfd(int fd, size_t *ret_file_size, size_t *ret_page)
{
	return sb_check_memfd_held(fd, ret_file_size, ret_page, NULL);
}

int sb_check_memfd_held(int fd, size_t *ret_file_size, size_t *ret_page, size_t *ret_held)
{
	struct stat st;
	char what[96];
	bool huge = false;
	int err;

	if (fd < 0 || fstat(fd, &st) < 0) {
		err = fd < 0 ? -EBADF : -errno;
		return err == -EBADF ? sb_fail(-EBADF, SEALBUF_R_INVALID_ARGUMENT,
					       "fd %d is not an open file descriptor", fd)
				     : sb_fail_sys(err, "fstat");
	}
	if (!S_ISREG(st.st_mode) ||
	    (!is_shm_memfd(fd, &st) && !(huge = is_memfd_on(fd, HUGETLBFS_MAGIC))))
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD, "fd %d is %s, not a memfd",
			       fd, sb_describe_fd(fd, what, sizeof(what)));
	*ret_file_size = (size_t)st.st_size;
	/* hugetlbfs reports its page size as the block size. */
	*ret_page = huge ? (size_t)st.st_blksize : sb_page_size();
	if (ret_held)
		*ret_held = (size_t)st.st_blocks * 512;
	return 0;
}
