/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making pages real before anyone pins them, and the one owner of a
 * region's populated state: set by a prefaulted creation or by an export of
 * all of a region, read by every later export, which then skips the fault-in.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>

#include "export.h"

static bool is_populated(const struct sealbuf_region *r)
{
	return __atomic_load_n(r->populated, __ATOMIC_RELAXED);
}

static void set_populated(const struct sealbuf_region *r)
{
	__atomic_store_n(r->populated, true, __ATOMIC_RELAXED);
}

void sb_prefault(struct sealbuf_region *r, bool late)
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
	set_populated(r);
}

/*
 * Why every page is faulted in before the kernel pins it: pages that
 * fallocate() reserved (every region's, unless SEALBUF_CREATE_NORESERVE) and
 * that nobody has touched yet are not "up to date" in shmem, and udmabuf
 * pins them as they are. A device then writes into them, and the CPU's first
 * fault through the memfd makes shmem clear the page, wiping what the device
 * wrote (seen on 6.12: tests/test-dmabuf.c fresh_pages). A read fault here
 * makes shmem clear them now, before any device writes. Pages already mapped
 * cost a page-table walk.
 */
static int populate(uint8_t *addr, uint64_t len)
{
	size_t page = sb_page_size();
	int r = sb_madvise(addr, len, MADV_POPULATE_READ);

	if (r == -EINVAL) { /* before 5.14: touch each page */
		for (uint64_t off = 0; off < len; off += page)
			(void)((volatile uint8_t *)addr)[off];
		r = 0;
	}
	if (r == -ENOMEM || r == -EFAULT)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY,
			       "cannot fault in %llu bytes before export (memory cgroup or tmpfs full)",
			       (unsigned long long)len);
	return r < 0 ? sb_fail_sys(r, "madvise(MADV_POPULATE_READ)") : 0;
}

/* A memfd sealbuf did not map: map the range for the time of the fault-in. */
static int populate_fd(const struct sb_span *s)
{
	struct statfs sfs;
	void *p;
	int r;

	/* hugetlbfs clears its pages at allocation; its mappings want huge alignment. */
	if (fstatfs(s->fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC)
		return 0;
	p = mmap(NULL, s->len, PROT_READ, MAP_SHARED, s->fd, (off_t)s->off);
	if (p == MAP_FAILED && errno == ENOMEM)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY,
			       "cannot map %llu bytes of the memfd to fault them in: address space or map count exhausted",
			       (unsigned long long)s->len);
	if (p == MAP_FAILED)
		return sb_fail_sys(-errno, "mmap of the memfd to fault it in");
	r = populate(p, s->len);
	munmap(p, s->len);
	return r;
}

/*
 * Faulting in pages that are not there yet (a NORESERVE region, a bare memfd
 * with holes) charges them to the caller's memory cgroup, whose OOM killer,
 * not ENOMEM, answers when it is full: seen on 6.12, the exporter killed
 * (lib/memcg.c). So check the room for the holes first; a reserved region has
 * none and costs one fstat.
 */
static int check_room(const struct sb_span *s)
{
	struct stat st;
	uint64_t held, holes;

	if (fstat(s->fd, &st) < 0)
		return 0; /* the fault-in will say what is wrong */
	held = (uint64_t)st.st_blocks * 512;
	holes = (uint64_t)st.st_size > held ? (uint64_t)st.st_size - held : 0;
	return holes ? sb_check_memcg_room(holes < s->len ? holes : s->len) : 0;
}

/*
 * Once all of a region was faulted in (PREFAULT, or an export of all of it),
 * it stays so. A region created here with NORESERVE has no page that
 * fallocate() made, only pages written (up to date) and holes, which udmabuf
 * allocates and clears itself: nothing to fault in, the room check alone.
 */
static int populate_span(const struct sb_span *s)
{
	const struct sealbuf_region *r = s->region;
	int ret;

	if (r && is_populated(r))
		return 0;
	ret = check_room(s);
	if (ret == 0 && r && r->never_reserved)
		return 0;
	if (ret == 0 && !r)
		return populate_fd(s);
	if (ret == 0)
		ret = populate(s->addr, s->len);
	if (ret == 0 && s->addr == r->map && s->len == r->map_size)
		set_populated(r);
	return ret;
}

int sb_populate_spans(const struct sb_span *s, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = populate_span(&s[i]);
	return r;
}
