/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Handles: making an fd to send, and opening one that came from elsewhere.
 * A received fd is hostile until sb_check_memfd(), sb_check_seals() and the
 * size and access-mode checks below have passed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "header_format.h"
#include "region.h"

#define OPEN_FLAGS                                                             \
	(SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE | SEALBUF_OPEN_NOMAP |         \
	 SEALBUF_OPEN_POPULATE | SEALBUF_OPEN_LAZY)
#define POPULATE_MIN ((size_t)64 << 10) /* by default, populate from this size up */

/*
 * Read-only sharing rests on F_SEAL_FUTURE_WRITE (seal_policy.c): once it is
 * on, no fd of the memfd can write(2) or map it writable, whoever holds it
 * and however it was opened (a reopen through /proc/self/fd after fchmod,
 * root included). Dropping the inode's write bits as well (to r--------)
 * keeps other users from even opening it read-write; it is best effort, as
 * a region received from another user is not ours to chmod.
 */
static void inode_read_only(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_mode & 0222))
		(void)sb_fchmod(fd, st.st_mode & 0444 & ~0044);
}

int sb_reopen_rdonly(int fd)
{
	char path[64];
	int ro;

	/* A new open file description: read-only, whatever mode fd has. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = sb_open(path, O_RDONLY);
	return ro < 0 ? sb_fail_sys(ro, "reopening the memfd read-only through /proc/self/fd") : ro;
}

/* The fd first, then the seal: a share that fails leaves the region as it was. */
static int reopen_rdonly(int fd)
{
	int ro = sb_reopen_rdonly(fd), r;

	if (ro < 0)
		return ro;
	r = sb_seal_future_write(fd);
	if (r < 0) {
		sb_close(ro);
		return r;
	}
	inode_read_only(fd);
	return ro;
}

int sb_share_check(const struct sealbuf_region *region, uint32_t flags, bool ask_kernel)
{
	int r;

	if (!region)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "region is NULL");
	r = sb_check_flags(flags, SEALBUF_SHARE_RDONLY, "share flags");
	if (r < 0)
		return r;
	if (region->fd < 0)
		return sb_fail(-EBADF, SEALBUF_R_NO_HANDLE,
			       "region was opened without SEALBUF_OPEN_KEEP_HANDLE: it has no handle to share");
	/* A region mapped read-only here has a read-only fd: it shares as one. */
	if ((flags & SEALBUF_SHARE_RDONLY) || !region->writable)
		return 0;
	if (!ask_kernel && !sb_write_sealed(region) && !sb_sealed_here())
		return 0;
	r = sb_check_writable_policy(region->fd, "sharing read-write");
	if (r == -EPERM)
		sb_mark_write_sealed(region);
	return r;
}

/* Whether @fd is open read-only (1), or not (0), or -errno. */
static int fd_rdonly(int fd)
{
	int fl = sb_fcntl(fd, F_GETFL, 0);

	return fl < 0 ? sb_fail_sys(fl, "fcntl(F_GETFL)") : (fl & O_ACCMODE) == O_RDONLY;
}

/* A read-only handle: the region's own fd if that is read-only, else a sealed reopen. */
static int share_rdonly(const struct sealbuf_region *region)
{
	int r = fd_rdonly(region->fd);

	if (r < 0)
		return r;
	if (r == 0) {
		r = reopen_rdonly(region->fd);
		if (r >= 0) {
			sb_mark_write_sealed(region);
			sb_header_note_rdonly(region);
		}
		return r;
	}
	r = sb_fcntl(region->fd, F_DUPFD_CLOEXEC, 3);
	return r < 0 ? sb_fail_sys(r, "fcntl(F_DUPFD_CLOEXEC)") : r;
}

int sb_share_fd(const struct sealbuf_region *region, uint32_t flags, int *ret_fd)
{
	int r;

	if (!ret_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_fd is NULL");
	r = sb_share_check(region, flags, true);
	if (r < 0)
		return r;
	if ((flags & SEALBUF_SHARE_RDONLY) || !region->writable)
		r = share_rdonly(region);
	else if ((r = sb_fcntl(region->fd, F_DUPFD_CLOEXEC, 3)) < 0)
		r = sb_fail_sys(r, "fcntl(F_DUPFD_CLOEXEC)");
	if (r < 0)
		return r;
	*ret_fd = r;
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_share(const struct sealbuf_region *region,
					uint32_t flags, int *ret_fd)
{
	return sb_share_fd(region, flags, ret_fd);
}

int sb_check_access(int fd, bool writable)
{
	int fl = sb_fcntl(fd, F_GETFL, 0);

	if (fl < 0)
		return sb_fail_sys(fl, "fcntl(F_GETFL)");
	if ((fl & O_ACCMODE) == O_WRONLY)
		return sb_fail(-EACCES, SEALBUF_R_ACCESS_MODE,
			       "the fd is write-only: it cannot be mapped");
	if (writable && (fl & O_ACCMODE) == O_RDONLY)
		return sb_fail(-EACCES, SEALBUF_R_ACCESS_MODE,
			       "the fd is read-only: open it with SEALBUF_OPEN_RDONLY");
	return 0;
}

int sb_check_size(int fd, enum sealbuf_kind kind, size_t size, size_t file_size,
		  size_t page)
{
	size_t expected;
	int r = sb_file_size(kind, size, page, &expected);

	if (r < 0)
		return r;
	if (file_size != expected)
		return sb_fail(-ERANGE, SEALBUF_R_SIZE_MISMATCH,
			       "the fd holds %zu bytes; a region of %zu bytes declared needs %zu (memfds are whole pages)",
			       file_size, size, expected);
	return 0;
}

/*
 * By default a writable mapping of POPULATE_MIN or more is populated: a
 * write fault maps one page, so a writer gains the most (docs/performance.md:
 * 4x at 1 MiB). Read faults map a batch of pages already (fault-around),
 * which costs what populating does, so read-only mappings are left to fault.
 * Never a region with holes: a peer's sparse NORESERVE region of any size
 * would otherwise make this process allocate (and be charged for) all of it.
 */
static bool want_populate(uint32_t flags, size_t file_size, size_t held)
{
	if (flags & (SEALBUF_OPEN_POPULATE | SEALBUF_OPEN_LAZY))
		return flags & SEALBUF_OPEN_POPULATE;
	return !(flags & SEALBUF_OPEN_RDONLY) && file_size >= POPULATE_MIN && held >= file_size;
}

/* The seals, and for a write-sealed fd opened writable, which of the two to fix. */
int sb_check_open_seals(int fd, bool writable)
{
	int ret = sb_check_seals_mode(fd, writable), fl;

	if (ret != -EPERM || !writable || sealbuf_last_reason() != SEALBUF_R_SEALS_EXTRA)
		return ret;
	fl = sb_fcntl(fd, F_GETFL, 0);
	if (fl >= 0 && (fl & O_ACCMODE) == O_RDONLY)
		return sb_fail(-EACCES, SEALBUF_R_ACCESS_MODE,
			       "the fd is read-only (the region was shared read-only): open it with SEALBUF_OPEN_RDONLY");
	return ret;
}

/* Validate and map @fd; on success the region owns it. */
static int open_fd(int fd, size_t size, const struct sealbuf_open_opts *o,
		   struct sealbuf_region **ret_region)
{
	enum sealbuf_kind kind = o->kind ? o->kind : SEALBUF_KIND_PLAIN;
	bool writable = !(o->flags & SEALBUF_OPEN_RDONLY), nomap = o->flags & SEALBUF_OPEN_NOMAP;
	bool populate, at_map;
	struct sealbuf_region *r;
	size_t file_size, page, held;
	int ret;

	if (!sb_kind_valid(kind))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "unknown region kind %u", kind);
	if (nomap && kind != SEALBUF_KIND_PLAIN)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "SEALBUF_OPEN_NOMAP is for plain regions: a reader of a reserved one needs its header");
	ret = sb_check_memfd_held(fd, &file_size, &page, &held);
	if (ret == 0)
		ret = sb_check_open_seals(fd, writable);
	/* A non-empty mapping checks the access mode itself (EACCES). */
	if (ret == 0 && (file_size == 0 || nomap))
		ret = sb_check_access(fd, writable);
	if (ret == 0)
		ret = sb_check_size(fd, kind, size, file_size, page);
	if (ret == 0)
		ret = sb_region_new(&r);
	if (ret < 0)
		return ret;
	r->fd = fd;
	r->kind = kind;
	r->size = size;
	r->file_size = file_size;
	r->writable = writable;
	r->hugetlb = page > sb_page_size();
	/*
	 * Populated with the mmap itself unless huge-page advice must come
	 * between the two (in "advise" mode only faults after MADV_HUGEPAGE
	 * make huge pages): one system call saved per receive.
	 */
	populate = !nomap && want_populate(o->flags, file_size, held);
	at_map = populate && !sb_thp_would_advise(file_size, r->hugetlb);
	ret = nomap ? 0 : sb_region_map(r, file_size, writable, at_map);
	/* Both do nothing without a mapping (NOMAP). */
	if (ret == 0)
		sb_thp_advise(r);
	if (ret == 0 && populate && !at_map)
		sb_populate_read(r);
	if (ret == 0 && sb_kind_has_header(kind))
		ret = sb_header_attach(r, size, page);
	else if (ret == 0)
		r->capacity = size;
	if (ret < 0) {
		r->fd = -1; /* the caller closes it */
		sealbuf_region_free(r);
		return ret;
	}
	if (!(o->flags & (SEALBUF_OPEN_KEEP_HANDLE | SEALBUF_OPEN_NOMAP))) {
		sb_close(r->fd);
		r->fd = -1;
	}
	*ret_region = r;
	return 0;
}

int sb_open_flags_check(uint32_t flags)
{
	if ((flags & SEALBUF_OPEN_POPULATE) && (flags & SEALBUF_OPEN_LAZY))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "SEALBUF_OPEN_POPULATE and SEALBUF_OPEN_LAZY contradict each other");
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_open(int fd, size_t size,
				       const struct sealbuf_open_opts *opts,
				       struct sealbuf_region **ret_region)
{
	struct sealbuf_open_opts o;
	int r = sb_opts_load(opts, offsetof(struct sealbuf_open_opts, flags),
			     sizeof(o), &o);

	if (r == 0)
		r = sb_check_flags(o.flags, OPEN_FLAGS, "open flags");
	if (r == 0)
		r = sb_open_flags_check(o.flags);
	if (r == 0 && !ret_region)
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_region is NULL");
	if (r == 0)
		r = open_fd(fd, size, &o, ret_region);
	if (r < 0)
		sb_close(fd);
	return r;
}
