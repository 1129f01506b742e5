/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Regions: creating the sealed memfd, mapping it, and the accessors. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "internal.h"

#define CREATE_FLAGS                                                           \
	(SEALBUF_CREATE_PREFAULT | SEALBUF_CREATE_NORESERVE | SEALBUF_CREATE_HUGETLB)

int sb_create_opts_load(const struct sealbuf_create_opts *opts,
			struct sealbuf_create_opts *o)
{
	int r = sb_opts_load(opts, offsetof(struct sealbuf_create_opts, flags),
			     sizeof(*o), o);

	if (r < 0)
		return r;
	r = sb_check_flags(o->flags, CREATE_FLAGS, "create flags");
	if (r < 0)
		return r;
	if (!o->name)
		o->name = "sealbuf";
	if (strlen(o->name) > SEALBUF_NAME_MAX)
		return sb_fail(-ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG,
			       "region name is %zu bytes, at most %d allowed",
			       strlen(o->name), SEALBUF_NAME_MAX);
	if (o->huge_page_shift && !(o->flags & SEALBUF_CREATE_HUGETLB))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "huge_page_shift given without SEALBUF_CREATE_HUGETLB");
	if (o->huge_page_shift && (o->huge_page_shift < 12 || o->huge_page_shift > 40))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "huge_page_shift %u is not a huge page size",
			       o->huge_page_shift);
	return 0;
}

int sb_file_size(enum sealbuf_kind kind, size_t size, size_t page, size_t *ret)
{
	size_t rounded;

	if (!sb_round_up(size, page, &rounded) ||
	    (kind != SEALBUF_KIND_PLAIN && rounded > SIZE_MAX - page))
		return sb_fail(-EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW,
			       "size %zu overflows when rounded to %zu-byte pages",
			       size, page);
	/* Reserved and mirror regions put their header in a page of its own. */
	*ret = kind == SEALBUF_KIND_PLAIN ? rounded : rounded + page;
	if (*ret > (size_t)INT64_MAX)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			       "size %zu is above the largest file size", size);
	return 0;
}

/* Sum of the /proc/meminfo fields named in @keys ("MemTotal:"), in bytes. */
static size_t meminfo(const char *const *keys, size_t n)
{
	char line[128];
	size_t total = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		for (size_t i = 0; i < n; i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				total += strtoull(line + strlen(keys[i]), NULL, 10) << 10;
	fclose(f);
	return total;
}

static size_t default_huge_page(void)
{
	static const char *const f[] = { "Hugepagesize:" };
	size_t sz = meminfo(f, 1);

	return sz ? sz : 2u << 20;
}

/*
 * memfds live on an unlimited internal tmpfs: reserving more than the machine
 * has would push it into the OOM killer instead of failing. Refuse up front.
 */
static int check_fits_memory(size_t file_size)
{
	static const char *const f[] = { "MemTotal:", "SwapTotal:" };
	static size_t total; /* read once: creating regions must stay cheap */

	if (!total)
		total = meminfo(f, 2);

	if (total && file_size > total)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			       "%zu bytes is more than this machine's memory and swap (%zu bytes)",
			       file_size, total);
	return 0;
}

/*
 * Growing a file past RLIMIT_FSIZE does not just fail: the kernel also sends
 * SIGXFSZ, whose default action kills the caller. Refuse before ftruncate.
 */
static int check_fsize_limit(size_t file_size)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY ||
	    file_size <= rl.rlim_cur)
		return 0;
	return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
		       "%zu bytes is above this process's file size limit (RLIMIT_FSIZE %llu bytes)",
		       file_size, (unsigned long long)rl.rlim_cur);
}

static size_t create_page_size(const struct sealbuf_create_opts *o)
{
	if (!(o->flags & SEALBUF_CREATE_HUGETLB))
		return sb_page_size();
	return o->huge_page_shift ? (size_t)1 << o->huge_page_shift : default_huge_page();
}

static int memfd_flags(const struct sealbuf_create_opts *o)
{
	int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;

	if (o->flags & SEALBUF_CREATE_HUGETLB)
		flags |= MFD_HUGETLB | (o->huge_page_shift << MFD_HUGE_SHIFT);
	return flags;
}

/* memfd_create, with MFD_NOEXEC_SEAL where the kernel knows it (6.3+). */
static int memfd_open(const struct sealbuf_create_opts *o)
{
	static int noexec = MFD_NOEXEC_SEAL; /* cleared once the kernel refuses it */
	int fd = sb_memfd_create(o->name, memfd_flags(o) | noexec);

	if (fd == -EINVAL && noexec) {
		fd = sb_memfd_create(o->name, memfd_flags(o));
		if (fd >= 0 && !(o->flags & SEALBUF_CREATE_HUGETLB)) {
			noexec = 0;
			sb_log(LOG_INFO, "kernel lacks MFD_NOEXEC_SEAL; regions stay non-executable by mode only");
		}
	}
	if (fd == -EINVAL && (o->flags & SEALBUF_CREATE_HUGETLB))
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
			       "memfd_create(MFD_HUGETLB): the kernel has no hugetlbfs of that page size");
	if (fd < 0)
		return sb_fail_sys(fd, "memfd_create");
	return fd;
}

/* Free huge pages of @page bytes, from sysfs; -1 when unknown. */
static long free_huge_pages(size_t page)
{
	char path[96];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%zukB/free_hugepages",
		 page >> 10);
	f = fopen(path, "re");
	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/*
 * Huge pages come only from the pool root reserved: say how many are needed,
 * how many are free, and where to reserve them.
 */
static int fail_huge_pages(size_t bytes, size_t page)
{
	return sb_fail(-ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES,
		       "%zu bytes need %zu huge pages of %zu KiB, %ld free: reserve them as root in "
		       "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages (the default size: "
		       "/proc/sys/vm/nr_hugepages; for good: vm.nr_hugepages in /etc/sysctl.d)",
		       bytes, bytes / page, page >> 10, free_huge_pages(page), page >> 10);
}

static int reserve(int fd, size_t file_size, const struct sealbuf_create_opts *o)
{
	int r = sb_fallocate(fd, (off_t)file_size);
	bool huge = o->flags & SEALBUF_CREATE_HUGETLB;

	if (r == 0)
		return 0;
	if (huge && (r == -ENOSPC || r == -ENOMEM))
		return fail_huge_pages(file_size, create_page_size(o));
	if (r == -ENOSPC || r == -ENOMEM)
		return sb_fail(r, SEALBUF_R_NO_MEMORY,
			       "cannot reserve %zu bytes: %s (tmpfs or memory cgroup full)",
			       file_size, strerror(-r));
	if (r == -EFBIG)
		return sb_fail(r, SEALBUF_R_TOO_LARGE, "%zu bytes is above the file size limit",
			       file_size);
	return sb_fail_sys(r, "fallocate");
}

/*
 * Size the memfd: fallocate() alone both sizes and reserves it (it grows
 * the file), so the default mode costs the same system calls as a bare
 * ftruncate + fallocate less one. Without a reservation, or when it comes
 * later (@late), ftruncate sizes it.
 */
static int size_memfd(int fd, size_t file_size, const struct sealbuf_create_opts *o, bool late)
{
	int r;

	if (file_size && !late && !(o->flags & SEALBUF_CREATE_NORESERVE))
		return reserve(fd, file_size, o);
	r = sb_ftruncate(fd, (off_t)file_size);
	if (r == -EFBIG || r == -EINVAL)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			       "%zu bytes is above the largest memfd", file_size);
	return r < 0 ? sb_fail_sys(r, "ftruncate") : 0;
}

int sb_memfd_new(size_t file_size, const struct sealbuf_create_opts *o, bool late,
		 int *ret_fd)
{
	int fd, r;

	fd = memfd_open(o);
	if (fd < 0)
		return fd;
	r = size_memfd(fd, file_size, o, late);
	if (r == 0)
		r = sb_seal(fd);
	if (r < 0) {
		sb_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

int sb_region_new(struct sealbuf_region **ret)
{
	struct sealbuf_region *r = calloc(1, sizeof(*r));

	if (!r)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	r->fd = -1;
	*ret = r;
	return 0;
}

/* The huge page size of a hugetlbfs fd, 0 for any other. */
static size_t fd_huge_page(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != HUGETLBFS_MAGIC)
		return 0;
	return (size_t)sfs.f_bsize;
}

static bool is_write_only(int fd)
{
	int fl = sb_fcntl(fd, F_GETFL, 0);

	return fl >= 0 && (fl & O_ACCMODE) == O_WRONLY;
}

int sb_region_map(struct sealbuf_region *r, size_t file_size, bool writable)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p;
	int ret;

	r->writable = writable;
	if (!file_size)
		return 0; /* an empty region maps nothing */
	ret = sb_mmap(file_size, prot, r->fd, &p);
	/* A shared hugetlbfs mapping reserves its huge pages: ENOMEM means none left. */
	if (ret == -ENOMEM && fd_huge_page(r->fd))
		return fail_huge_pages(file_size, fd_huge_page(r->fd));
	if (ret == -ENOMEM)
		return sb_fail(ret, SEALBUF_R_NO_MEMORY,
			       "cannot map %zu bytes: address space or map count exhausted",
			       file_size);
	if (ret == -EACCES && is_write_only(r->fd))
		return sb_fail(ret, SEALBUF_R_ACCESS_MODE,
			       "fd %d is write-only: it cannot be mapped", r->fd);
	if (ret == -EACCES)
		return sb_fail(ret, SEALBUF_R_ACCESS_MODE,
			       "fd %d's access mode does not allow a %s mapping%s", r->fd,
			       writable ? "writable" : "readable",
			       writable ? ": open it with SEALBUF_OPEN_RDONLY" : "");
	if (ret < 0)
		return sb_fail_sys(ret, "mmap");
	r->map = p;
	r->map_size = file_size;
	r->data = p;
	r->capacity = file_size;
	return 0;
}

/*
 * @late: the reservation comes after, so a failure must not touch the pages
 * one by one (a full memory cgroup would answer with its OOM killer): the
 * fallocate() that follows reports it instead.
 */
static void prefault(struct sealbuf_region *r, bool late)
{
	size_t page = sb_page_size();

	if (!r->map)
		return;
	if (sb_madvise(r->map, r->map_size, MADV_POPULATE_WRITE) < 0) {
		if (late)
			return;
		/* Before 5.14: touch each page (the memory is fresh, so zero stays zero). */
		for (size_t off = 0; off < r->map_size; off += page)
			((volatile uint8_t *)r->map)[off] = 0;
	}
	r->populated = true;
}

/*
 * Where shmem_enabled is "advise", only pages faulted in through a mapping
 * given MADV_HUGEPAGE become huge, never those fallocate() makes. So a
 * prefaulted region large enough for a huge page is faulted in first and
 * reserved after (which then finds every page there).
 */
static bool reserve_late(const struct sealbuf_create_opts *o, size_t file_size)
{
	size_t pmd = (o->flags & SEALBUF_CREATE_PREFAULT) &&
			     !(o->flags & (SEALBUF_CREATE_NORESERVE | SEALBUF_CREATE_HUGETLB))
		? sb_thp_min_size() : 1;

	return pmd > 1 && file_size >= pmd;
}

/* Map the new memfd: huge pages advised, prefaulted and reserved as asked. */
static int map_new(struct sealbuf_region *r, size_t file_size,
		   const struct sealbuf_create_opts *o, bool late)
{
	int ret = sb_region_map(r, file_size, true);

	r->hugetlb = o->flags & SEALBUF_CREATE_HUGETLB;
	r->never_reserved = o->flags & SEALBUF_CREATE_NORESERVE;
	if (ret == 0)
		sb_thp_advise(r);
	if (ret == 0 && (o->flags & SEALBUF_CREATE_PREFAULT))
		prefault(r, late);
	if (ret == 0 && late)
		ret = reserve(r->fd, file_size, o);
	return ret;
}

/* Make the memfd, map it, and give it a header when its kind has one. */
static int create_kind(enum sealbuf_kind kind, size_t size,
		       const struct sealbuf_create_opts *opts,
		       struct sealbuf_region **ret_region)
{
	struct sealbuf_create_opts o;
	struct sealbuf_region *r = NULL;
	size_t file_size;
	bool late;
	int ret;

	if (!ret_region)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_region is NULL");
	ret = sb_create_opts_load(opts, &o);
	if (ret == 0)
		ret = sb_file_size(kind, size, create_page_size(&o), &file_size);
	if (ret == 0 && !(o.flags & SEALBUF_CREATE_HUGETLB))
		ret = check_fits_memory(file_size);
	if (ret == 0)
		ret = check_fsize_limit(file_size);
	if (ret == 0 && file_size &&
	    !(o.flags & (SEALBUF_CREATE_HUGETLB | SEALBUF_CREATE_NORESERVE)))
		ret = sb_check_memcg_room(file_size);
	if (ret == 0)
		ret = sb_region_new(&r);
	if (ret < 0)
		return ret;
	r->kind = kind;
	r->size = size;
	late = reserve_late(&o, file_size);
	ret = sb_memfd_new(file_size, &o, late, &r->fd);
	if (ret == 0)
		ret = map_new(r, file_size, &o, late);
	if (ret == 0 && kind != SEALBUF_KIND_PLAIN)
		ret = sb_header_init(r, size, create_page_size(&o));
	if (ret < 0) {
		sealbuf_region_free(r);
		return ret;
	}
	if (kind == SEALBUF_KIND_PLAIN)
		r->capacity = size;
	*ret_region = r;
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_create(size_t size,
					 const struct sealbuf_create_opts *opts,
					 struct sealbuf_region **ret_region)
{
	return create_kind(SEALBUF_KIND_PLAIN, size, opts, ret_region);
}

int sb_region_create_kind(enum sealbuf_kind kind, size_t size,
			  const struct sealbuf_create_opts *opts,
			  struct sealbuf_region **ret_region)
{
	return create_kind(kind, size, opts, ret_region);
}

SEALBUF_EXPORT void sealbuf_region_free(struct sealbuf_region *r)
{
	if (!r)
		return;
	sb_munmap(r->map, r->map_size);
	sb_close(r->fd);
	free(r);
}

SEALBUF_EXPORT void *sealbuf_region_data(const struct sealbuf_region *r)
{
	return r && r->capacity ? r->data : NULL;
}

SEALBUF_EXPORT size_t sealbuf_region_size(const struct sealbuf_region *r)
{
	return r ? r->size : 0;
}

SEALBUF_EXPORT size_t sealbuf_region_mapped_size(const struct sealbuf_region *r)
{
	return r ? r->map_size : 0;
}

SEALBUF_EXPORT size_t sealbuf_region_capacity(const struct sealbuf_region *r)
{
	return r ? r->capacity : 0;
}

SEALBUF_EXPORT enum sealbuf_kind sealbuf_region_kind(const struct sealbuf_region *r)
{
	return r ? r->kind : 0;
}

SEALBUF_EXPORT bool sealbuf_region_writable(const struct sealbuf_region *r)
{
	return r && r->writable;
}

SEALBUF_EXPORT int sealbuf_region_fd(const struct sealbuf_region *r)
{
	return r ? r->fd : -1;
}
