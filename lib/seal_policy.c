/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sealing policy. Every region is created F_SEAL_SHRINK|F_SEAL_GROW (plus
 * F_SEAL_EXEC where MFD_NOEXEC_SEAL added it): nobody can ever resize the
 * memfd under a mapping (no SIGBUS), and it is a set /dev/udmabuf accepts.
 * The creator keeps the right to add the write seals, which take away write
 * access for good, from everyone, root included:
 *  - F_SEAL_FUTURE_WRITE at the first read-only share (handle.c): no new
 *    writable mapping and no write(2) by anyone; mappings that were writable
 *    before keep writing (the creator's, and reserved-region writers').
 *  - F_SEAL_WRITE|F_SEAL_SEAL at freeze (freeze.c): nothing writes again.
 * F_SEAL_SEAL is therefore not required of a peer's fd: the only seals it
 * would stop are these two, and neither takes access from a mapping that
 * exists (the kernel refuses F_SEAL_WRITE while a writable mapping exists,
 * and F_SEAL_FUTURE_WRITE spares them), so a receiver's mapping is safe
 * without it. A peer's fd is checked against this policy before it is
 * mapped: a write-sealed fd maps read-only only.
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

int sb_get_seals(int fd)
{
	int seals = sb_fcntl(fd, F_GET_SEALS, 0);

	if (seals < 0)
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD,
			       "the region's seals cannot be read (F_GET_SEALS: %s): not a memfd",
			       strerror(-seals));
	return seals;
}

static bool sealed_here;

void sb_note_write_seal(void)
{
	__atomic_store_n(&sealed_here, true, __ATOMIC_RELAXED);
}

bool sb_sealed_here(void)
{
	return __atomic_load_n(&sealed_here, __ATOMIC_RELAXED);
}

/*
 * The first read-only share: F_SEAL_FUTURE_WRITE, unless a write seal is
 * there already (frozen, or shared read-only before).
 */
int sb_seal_future_write(int fd)
{
	int seals, r;

	/* Noted before the seal: a send racing with it then reads the seals. */
	sb_note_write_seal();
	seals = sb_get_seals(fd);
	if (seals < 0 || (seals & SB_SEALS_FORBIDDEN))
		return seals < 0 ? seals : 0;
	r = sb_fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE);
	if (r == -EINVAL)
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
			       "the kernel has no F_SEAL_FUTURE_WRITE (Linux 5.1+): a read-only handle "
			       "could be reopened writable, so none is made");
	if (r == -EPERM)
		return sb_fail(-EPERM, SEALBUF_R_SEALS_EXTRA,
			       "the memfd is sealed F_SEAL_SEAL without a write seal: F_SEAL_FUTURE_WRITE "
			       "cannot be added, so a read-only handle could be reopened writable; none is made");
	return r < 0 ? sb_fail_sys(r, "fcntl(F_ADD_SEALS, F_SEAL_FUTURE_WRITE)") : 0;
}

/*
 * A new writable handle, or a dma-buf, of a region of ours (@what says
 * which): refused once a write seal is on, with the rule that put it there.
 */
int sb_check_writable_policy(int fd, const char *what)
{
	int seals = sb_get_seals(fd);

	if (seals < 0)
		return seals;
	if (seals & F_SEAL_WRITE)
		return sb_fail(-EPERM, SEALBUF_R_FROZEN,
			       "%s: the region is frozen (F_SEAL_WRITE): it is read-only for every holder, for good",
			       what);
	if (seals & F_SEAL_FUTURE_WRITE)
		return sb_fail(-EPERM, SEALBUF_R_SHARED_READ_ONLY,
			       "%s: the region has been shared read-only, which sealed it F_SEAL_FUTURE_WRITE: no new "
			       "writable handle or dma-buf can be made (those made before stay valid); make them "
			       "before the first read-only share", what);
	return 0;
}

int sb_fail_read_only(int fd, const char *what, const char *why)
{
	int seals = fd >= 0 ? sb_fcntl(fd, F_GET_SEALS, 0) : 0;

	if (seals > 0 && (seals & F_SEAL_WRITE))
		return sb_fail(-EROFS, SEALBUF_R_FROZEN,
			       "%s: the region is frozen (F_SEAL_WRITE): read-only for every holder, for good", what);
	return sb_fail(-EROFS, SEALBUF_R_READ_ONLY, "%s: %s", what, why);
}

int sb_check_seals(int fd)
{
	return sb_check_seals_mode(fd, false);
}

int sb_check_seals_mode(int fd, bool writable)
{
	char have[64];
	int seals = sb_fcntl(fd, F_GET_SEALS, 0);

	if (seals < 0)
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD,
			       "the fd has no seals at all (F_GET_SEALS: %s): not a memfd",
			       strerror(-seals));
	/* Files made without MFD_ALLOW_SEALING report SEAL alone, forever. */
	if (seals == F_SEAL_SEAL)
		return sb_fail(-EPERM, SEALBUF_R_NOT_SEALABLE,
			       "the fd cannot be sealed (memfd made without MFD_ALLOW_SEALING, or a plain tmpfs file)");
	if ((seals & SB_SEALS_REQUIRED) != SB_SEALS_REQUIRED)
		return sb_fail(-EPERM, SEALBUF_R_SEALS_MISSING,
			       "the fd carries seals { %s }, needs SHRINK GROW: its sender could still resize it",
			       sb_seals_str(seals, have, sizeof(have)));
	if (writable && (seals & SB_SEALS_FORBIDDEN))
		return sb_fail(-EPERM, SEALBUF_R_SEALS_EXTRA,
			       "the fd carries seals { %s }: a write-sealed region (shared read-only, or frozen) "
			       "maps read-only only: open it with SEALBUF_OPEN_RDONLY",
			       sb_seals_str(seals, have, sizeof(have)));
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
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD, "the fd is %s, not a memfd",
			       sb_describe_fd(fd, what, sizeof(what)));
	*ret_file_size = (size_t)st.st_size;
	/* hugetlbfs reports its page size as the block size. */
	*ret_page = huge ? (size_t)st.st_blksize : sb_page_size();
	if (ret_held)
		*ret_held = (size_t)st.st_blocks * 512;
	return 0;
}
