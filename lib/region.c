/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The region object: its kinds and their file layout, making and mapping
 * one, freeing it, and the accessors. create.c makes new regions of each
 * kind; handle.c opens received ones.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

#include "region.h"

bool sb_kind_valid(uint32_t kind)
{
	return kind >= SEALBUF_KIND_PLAIN && kind <= SEALBUF_KIND_MIRROR;
}

bool sb_kind_has_header(enum sealbuf_kind kind)
{
	return kind != SEALBUF_KIND_PLAIN;
}

int sb_file_size(enum sealbuf_kind kind, size_t size, size_t page, size_t *ret)
{
	size_t rounded;

	if (!sb_round_up(size, page, &rounded) ||
	    (sb_kind_has_header(kind) && rounded > SIZE_MAX - page))
		return sb_fail(-EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW,
			       "size %zu overflows when rounded to %zu-byte pages",
			       size, page);
	/* Reserved and mirror regions put their header in a page of its own. */
	*ret = sb_kind_has_header(kind) ? rounded + page : rounded;
	if (*ret > (size_t)INT64_MAX)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			       "size %zu is above the largest file size", size);
	return 0;
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
int sb_fail_huge_pages(size_t bytes, size_t page)
{
	return sb_fail(-ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES,
		       "%zu bytes need %zu huge pages of %zu KiB, %ld free: reserve them as root in "
		       "/sys/kernel/mm/hugepages/hugepages-%zukB/nr_hugepages (the default size: "
		       "/proc/sys/vm/nr_hugepages; for good: vm.nr_hugepages in /etc/sysctl.d)",
		       bytes, bytes / page, page >> 10, free_huge_pages(page), page >> 10);
}

int sb_region_new(struct sealbuf_region **ret)
{
	struct sealbuf_region *r = calloc(1, sizeof(*r));

	if (!r)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	r->fd = -1;
	r->populated = &r->populated_store;
	r->write_sealed = &r->write_sealed_store;
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

int sb_region_map(struct sealbuf_region *r, size_t file_size, bool writable, bool populate)
{
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p;
	int ret;

	r->writable = writable;
	if (!file_size)
		return 0; /* an empty region maps nothing */
	ret = sb_mmap_flags(file_size, prot, populate ? MAP_POPULATE : 0, r->fd, &p);
	/* A shared hugetlbfs mapping reserves its huge pages: ENOMEM means none left. */
	if (ret == -ENOMEM && fd_huge_page(r->fd))
		return sb_fail_huge_pages(file_size, fd_huge_page(r->fd));
	if (ret == -ENOMEM)
		return sb_fail(ret, SEALBUF_R_NO_MEMORY,
			       "cannot map %zu bytes: address space or map count exhausted",
			       file_size);
	if (ret == -EACCES && is_write_only(r->fd))
		return sb_fail(ret, SEALBUF_R_ACCESS_MODE,
			       "the fd is write-only: it cannot be mapped");
	if (ret == -EACCES)
		return sb_fail(ret, SEALBUF_R_ACCESS_MODE,
			       "the fd's access mode does not allow a %s mapping%s",
			       writable ? "writable" : "readable",
			       writable ? ": open it with SEALBUF_OPEN_RDONLY" : "");
	if (ret < 0)
		return sb_fail_sys(ret, "mmap");
	r->map = p;
	r->map_size = file_size;
	r->file_size = file_size;
	r->data = p;
	r->capacity = file_size;
	return 0;
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
