/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making new regions, all three kinds in one place: plain
 * (sealbuf_region_create), reserved (sealbuf_region_reserve) and mirror
 * (sealbuf_region_mirror). Each is a sealed memfd, mapped, given a header
 * when its kind has one; every limit that would kill the caller instead of
 * failing (memory, RLIMIT_FSIZE, the memory cgroup) is checked first.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "header_format.h"
#include "region.h"

#define CREATE_FLAGS                                                           \
	(SEALBUF_CREATE_PREFAULT | SEALBUF_CREATE_NORESERVE | SEALBUF_CREATE_HUGETLB)

static int create_opts_load(const struct sealbuf_create_opts *opts,
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

/* Sum of the /proc/meminfo fields named in @keys ("MemTotal:"), in bytes. */
size_t sb_meminfo(const char *const *keys, size_t n)
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
	size_t sz = sb_meminfo(f, 1);

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
		total = sb_meminfo(f, 2);

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

static int reserve(int fd, size_t file_size, const struct sealbuf_create_opts *o)
{
	int r = sb_fallocate(fd, (off_t)file_size);
	bool huge = o->flags & SEALBUF_CREATE_HUGETLB;

	if (r == 0)
		return 0;
	if (huge && (r == -ENOSPC || r == -ENOMEM))
		return sb_fail_huge_pages(file_size, create_page_size(o));
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
 * the file), so the default mode costs the system calls of a bare
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

/* A sealed memfd of @file_size bytes, reserved unless NORESERVE or @late (the caller reserves). */
static int memfd_new(size_t file_size, const struct sealbuf_create_opts *o, bool late,
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

/* Every limit that would kill the caller, instead of failing, once the file exists. */
static int check_limits(size_t file_size, const struct sealbuf_create_opts *o)
{
	int ret = 0;

	if (!(o->flags & SEALBUF_CREATE_HUGETLB))
		ret = check_fits_memory(file_size);
	if (ret == 0)
		ret = check_fsize_limit(file_size);
	if (ret == 0 && file_size &&
	    !(o->flags & (SEALBUF_CREATE_HUGETLB | SEALBUF_CREATE_NORESERVE)))
		ret = sb_check_memcg_room(file_size);
	return ret;
}

/*
 * Where shmem_enabled is "advise", only pages faulted in through a mapping
 * given MADV_HUGEPAGE become huge, never those fallocate() makes. So a
 * prefaulted region large enough for a huge page is faulted in first and
 * reserved after (which then finds every page there; F_SEAL_GROW allows
 * fallocate within the size).
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
	int ret = sb_region_map(r, file_size, true, false);

	r->hugetlb = o->flags & SEALBUF_CREATE_HUGETLB;
	r->never_reserved = o->flags & SEALBUF_CREATE_NORESERVE;
	/* Cut to fit, as snprintf would, without its cost on every create. */
	size_t n = strnlen(o->name, sizeof(r->dmabuf_name) - 1);
	memcpy(r->dmabuf_name, o->name, n);
	r->dmabuf_name[n] = '\0';
	if (ret == 0)
		sb_thp_advise(r);
	if (ret == 0 && (o->flags & SEALBUF_CREATE_PREFAULT))
		sb_prefault(r, late);
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
	ret = create_opts_load(opts, &o);
	if (ret == 0)
		ret = sb_file_size(kind, size, create_page_size(&o), &file_size);
	if (ret == 0)
		ret = check_limits(file_size, &o);
	if (ret == 0)
		ret = sb_region_new(&r);
	if (ret < 0)
		return ret;
	r->kind = kind;
	r->size = size;
	late = reserve_late(&o, file_size);
	ret = memfd_new(file_size, &o, late, &r->fd);
	if (ret == 0)
		ret = map_new(r, file_size, &o, late);
	if (ret == 0 && sb_kind_has_header(kind))
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

SEALBUF_EXPORT int sealbuf_region_reserve(size_t capacity,
					  const struct sealbuf_create_opts *opts,
					  struct sealbuf_region **ret_region)
{
	return create_kind(SEALBUF_KIND_RESERVED, capacity, opts, ret_region);
}

/*
 * A mirror is always prefaulted: first touch of a fresh page costs 1.3-2 us
 * per 4 KiB (measured), several times a memcpy of it, and update() must run
 * at memcpy speed (tools/bench/bench-publish.c compares the two).
 */
SEALBUF_EXPORT int sealbuf_region_mirror(void *data, size_t size,
					 const struct sealbuf_create_opts *opts,
					 struct sealbuf_region **ret_region)
{
	struct sealbuf_create_opts o;
	struct sealbuf_region *r;
	int ret;

	if (!ret_region)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_region is NULL");
	if (!data && size)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "data is NULL and size %zu", size);
	ret = create_opts_load(opts, &o);
	if (ret < 0)
		return ret;
	o.sz = sizeof(o);
	o.flags |= SEALBUF_CREATE_PREFAULT;
	ret = create_kind(SEALBUF_KIND_MIRROR, size, &o, &r);
	if (ret < 0)
		return ret;
	r->mirror_src = data;
	r->mirror_owner = true;
	sb_publish(r, data, size);
	*ret_region = r;
	return 0;
}
