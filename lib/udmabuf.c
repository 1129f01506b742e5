/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The udmabuf bridge: regions (or ranges of them) become dma-bufs through
 * /dev/udmabuf. The kernel says EINVAL for nearly every broken rule, so each
 * rule is checked here first, in the order a caller can fix them, and the
 * failure names the rule and its fix. Limits are read live from
 * /sys/module/udmabuf/parameters: root may change them at any time.
 */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/udmabuf.h>

#include "internal.h"

#define UDMABUF_DEV "/dev/udmabuf"
#define UDMABUF_PARAMS "/sys/module/udmabuf/parameters/"
#define EXPORT_FLAGS SEALBUF_EXPORT_PAYLOAD
/* The kernel's defaults, used when the parameters cannot be read. */
#define DEFAULT_SIZE_LIMIT_MB 64
#define DEFAULT_LIST_LIMIT 1024

struct limits {
	uint64_t size;     /* bytes */
	uint32_t size_mb;
	uint32_t list;
	bool known;        /* read from sysfs, not assumed */
};

/* A checked range of one memfd, ready for the kernel. */
struct span {
	int fd;
	uint64_t off, len;
	uint8_t *addr;     /* the range in this process's mapping of the region, or NULL */
	struct sealbuf_region *region; /* whose pages these are, or NULL for a bare memfd */
};

static bool read_u32(const char *path, uint32_t *ret)
{
	char buf[32];

	if (sb_read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	*ret = (uint32_t)strtoul(buf, NULL, 10);
	return true;
}

static void read_limits(struct limits *l)
{
	l->known = read_u32(UDMABUF_PARAMS "size_limit_mb", &l->size_mb) &&
		   read_u32(UDMABUF_PARAMS "list_limit", &l->list);
	if (!l->known) {
		l->size_mb = DEFAULT_SIZE_LIMIT_MB;
		l->list = DEFAULT_LIST_LIMIT;
	}
	l->size = (uint64_t)l->size_mb << 20;
}

/* The values last read, plus one (0: not read yet). */
static uint32_t seen_size_mb, seen_list;

/*
 * The limits to check against. Reading them costs six system calls (about
 * 30 us each under emulation: more than exporting a small buffer), so the
 * last values read let an export through. A refusal is always made on fresh
 * values (@fresh), and when the kernel refuses an export that passed,
 * fail_create() reads them again to name the limit root lowered meanwhile.
 */
static void get_limits(struct limits *l, bool fresh)
{
	uint32_t size = __atomic_load_n(&seen_size_mb, __ATOMIC_RELAXED);
	uint32_t list = __atomic_load_n(&seen_list, __ATOMIC_RELAXED);

	if (!fresh && size && list) {
		*l = (struct limits){ .size = (uint64_t)(size - 1) << 20, .size_mb = size - 1,
				      .list = list - 1, .known = true };
		return;
	}
	read_limits(l);
	if (!l->known)
		return;
	__atomic_store_n(&seen_size_mb, l->size_mb + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&seen_list, l->list + 1, __ATOMIC_RELAXED);
}

/* ---- diagnosing /dev/udmabuf ------------------------------------------ */

static int fail_missing(void)
{
	if (access("/sys/module/udmabuf", F_OK) == 0)
		return sb_fail(-ENODEV, SEALBUF_R_NO_UDMABUF,
			       "the kernel has udmabuf (/sys/module/udmabuf) but " UDMABUF_DEV
			       " is missing: mount devtmpfs on /dev (or mknod it from /sys/class/misc/udmabuf/dev)");
	return sb_fail(-ENODEV, SEALBUF_R_NO_UDMABUF,
		       UDMABUF_DEV " does not exist: this kernel was built without CONFIG_UDMABUF "
		       "(a bool option, never a module: modprobe cannot add it); use a kernel with CONFIG_UDMABUF=y");
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
	struct group gr, *res = NULL;
	char tmp[1024];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", res->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)gid);
	return buf;
}

static int fail_denied(int err)
{
	struct stat st;
	char grp[64];

	if (stat(UDMABUF_DEV, &st) < 0)
		return sb_fail(-EACCES, SEALBUF_R_UDMABUF_DENIED,
			       "permission denied opening " UDMABUF_DEV " (%s)", strerror(-err));
	group_name(st.st_gid, grp, sizeof(grp));
	if (st.st_gid == 0)
		return sb_fail(-EACCES, SEALBUF_R_UDMABUF_DENIED,
			       "permission denied opening " UDMABUF_DEV " (group root, mode %04o): no udev rule grants it; "
			       "install sealbuf's 70-sealbuf-udmabuf.rules (group video, mode 0660, uaccess), "
			       "run `udevadm trigger /dev/udmabuf`, and add the user to group video",
			       st.st_mode & 07777);
	return sb_fail(-EACCES, SEALBUF_R_UDMABUF_DENIED,
		       "permission denied opening " UDMABUF_DEV " (group %s, mode %04o): add the user to group %s "
		       "(usermod -aG %s USER, then log in again), or log in at the seat (uaccess ACL)",
		       grp, st.st_mode & 07777, grp, grp);
}

static int open_udmabuf(void)
{
	int fd = sb_open(UDMABUF_DEV, O_RDWR);

	if (fd >= 0)
		return fd;
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		return fail_missing();
	if (fd == -EACCES || fd == -EPERM)
		return fail_denied(fd);
	return sb_fail_sys(fd, "open " UDMABUF_DEV);
}

SEALBUF_EXPORT int sealbuf_udmabuf_check(void)
{
	int fd = open_udmabuf();

	if (fd < 0)
		return fd;
	sb_close(fd);
	return 0;
}

SEALBUF_EXPORT int sealbuf_udmabuf_query(struct sealbuf_udmabuf_info *info)
{
	struct sealbuf_udmabuf_info i = { .sz = sizeof(i) };
	struct limits l;

	get_limits(&l, true);
	if (access(UDMABUF_DEV, F_OK) == 0)
		i.state |= SEALBUF_UDMABUF_PRESENT;
	/* The effective ids, as open() will use them. */
	if (faccessat(AT_FDCWD, UDMABUF_DEV, R_OK | W_OK, AT_EACCESS) == 0)
		i.state |= SEALBUF_UDMABUF_ACCESSIBLE;
	if (l.known) {
		i.state |= SEALBUF_UDMABUF_LIMITS;
		i.size_limit_mb = l.size_mb;
		i.list_limit = l.list;
		i.size_limit = l.size;
	}
	return sb_info_store(info, &i, offsetof(struct sealbuf_udmabuf_info, size_limit), sizeof(i));
}

/* ---- checking the ranges ---------------------------------------------- */

/* @off/@len of the @avail bytes at s->off: aligned, inside, and 0 = to the end. */
static int check_range(const char *what, uint64_t off, uint64_t len, uint64_t avail,
		       struct span *s)
{
	size_t page = sb_page_size();

	if (off % page)
		return sb_fail(-EINVAL, SEALBUF_R_MISALIGNED,
			       "%s: offset %llu is not a multiple of the %zu-byte page",
			       what, (unsigned long long)off, page);
	if (len % page)
		return sb_fail(-EINVAL, SEALBUF_R_MISALIGNED,
			       "%s: length %llu is not a multiple of the %zu-byte page",
			       what, (unsigned long long)len, page);
	if (off >= avail)
		return sb_fail(-ERANGE, SEALBUF_R_RANGE,
			       "%s: offset %llu is at or past the end (%llu bytes)",
			       what, (unsigned long long)off, (unsigned long long)avail);
	if (len > avail - off)
		return sb_fail(-ERANGE, SEALBUF_R_RANGE,
			       "%s: %llu bytes from offset %llu run past the end (%llu bytes)",
			       what, (unsigned long long)len, (unsigned long long)off,
			       (unsigned long long)avail);
	/* "To the end" of a memfd whose size is not whole pages: udmabuf says EINVAL. */
	if (!len && (avail - off) % page)
		return sb_fail(-EINVAL, SEALBUF_R_MISALIGNED,
			       "%s: the %llu bytes from offset %llu to the end are not a multiple of the "
			       "%zu-byte page: give a length that is",
			       what, (unsigned long long)(avail - off), (unsigned long long)off, page);
	s->off += off;
	s->len = len ? len : avail - off;
	return 0;
}

/* What udmabuf wants of the memfd: SHRINK sealed, no writer seal. */
static int check_seals(const char *what, int fd, struct span *s)
{
	int seals = sb_fcntl(fd, F_GET_SEALS, 0);

	if (seals < 0)
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD, "%s: fd %d has no seals: not a memfd",
			       what, fd);
	if (seals & SB_SEALS_FORBIDDEN)
		return sb_fail(-EPERM, SEALBUF_R_SEALS_EXTRA,
			       "%s: the memfd is sealed %s: udmabuf refuses write-sealed memory (only SHRINK, GROW, SEAL, EXEC)",
			       what, seals & F_SEAL_WRITE ? "F_SEAL_WRITE" : "F_SEAL_FUTURE_WRITE");
	if (seals == F_SEAL_SEAL)
		return sb_fail(-EPERM, SEALBUF_R_NOT_SEALABLE,
			       "%s: the memfd cannot be sealed (made without MFD_ALLOW_SEALING); udmabuf needs F_SEAL_SHRINK",
			       what);
	if (!(seals & F_SEAL_SHRINK))
		return sb_fail(-EPERM, SEALBUF_R_SEALS_MISSING,
			       "%s: the memfd lacks F_SEAL_SHRINK, which udmabuf requires (add it with fcntl(F_ADD_SEALS))",
			       what);
	s->fd = fd;
	return 0;
}

static int region_span(const char *what, const struct sealbuf_region *r, uint64_t off,
		       uint64_t len, uint32_t flags, struct span *s)
{
	uint64_t base;
	int ret;

	if (!r)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "%s: region is NULL", what);
	ret = sb_check_flags(flags, EXPORT_FLAGS, "export flags");
	if (ret < 0)
		return ret;
	if (r->fd < 0)
		return sb_fail(-EBADF, SEALBUF_R_NO_HANDLE,
			       "%s: the region was opened without SEALBUF_OPEN_KEEP_HANDLE, so its memfd is closed: "
			       "open (or receive) it with SEALBUF_OPEN_KEEP_HANDLE to export it", what);
	if ((flags & SEALBUF_EXPORT_PAYLOAD) && r->kind == SEALBUF_KIND_PLAIN)
		return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "%s: SEALBUF_EXPORT_PAYLOAD needs a reserved or mirror region; this one is plain", what);
	/* udmabuf does not look at the fd's mode: a dma-buf of it would be writable. */
	if (!r->writable)
		return sb_fail(-EROFS, SEALBUF_R_READ_ONLY,
			       "%s: the region is mapped read-only here; a dma-buf would let devices and its mmap write, "
			       "so only a writable region is exported", what);
	base = flags & SEALBUF_EXPORT_PAYLOAD ? (uint64_t)(r->data - r->map) : 0;
	if (!r->map || r->map_size <= base)
		return sb_fail(-ENODATA, SEALBUF_R_EMPTY, "%s: the %s is empty (0 bytes): it has no dma-buf",
			       what, flags & SEALBUF_EXPORT_PAYLOAD ? "payload" : "region");
	/* SHRINK|GROW are on (checked at open for a peer's); a write seal may have come since. */
	ret = sb_check_writable_policy(r, what);
	if (ret < 0)
		return ret;
	s->fd = r->fd;
	s->off = base;
	ret = check_range(what, off, len, r->map_size - base, s);
	s->addr = r->map + s->off;
	s->region = (struct sealbuf_region *)r; /* for its populated flag alone */
	return ret;
}

static int check_writable_fd(int fd)
{
	int fl = sb_fcntl(fd, F_GETFL, 0);

	if (fl < 0)
		return sb_fail_sys(fl, "fcntl(F_GETFL)");
	if ((fl & O_ACCMODE) != O_RDWR)
		return sb_fail(-EACCES, SEALBUF_R_ACCESS_MODE,
			       "memfd %d is not open read-write; a dma-buf of it would let devices write, "
			       "so only a read-write fd is exported", fd);
	return 0;
}

static int memfd_span(int fd, uint64_t off, uint64_t len, uint32_t flags, struct span *s)
{
	size_t file_size, page;
	int ret = sb_check_flags(flags, EXPORT_FLAGS, "export flags");

	if (ret < 0)
		return ret;
	if (flags & SEALBUF_EXPORT_PAYLOAD)
		return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "SEALBUF_EXPORT_PAYLOAD needs a reserved region, not a bare memfd");
	ret = sb_check_memfd(fd, &file_size, &page);
	if (ret == 0)
		ret = check_writable_fd(fd);
	if (ret < 0)
		return ret;
	if (!file_size)
		return sb_fail(-ENODATA, SEALBUF_R_EMPTY, "memfd %d is empty (0 bytes): it has no dma-buf", fd);
	s->off = 0;
	s->addr = NULL;
	s->region = NULL;
	ret = check_range("memfd", off, len, file_size, s);
	return ret < 0 ? ret : check_seals("memfd", fd, s);
}

/* ---- limits, merging, cutting ----------------------------------------- */

static int fail_size_limit(const struct limits *l, uint64_t total, const char *split_hint)
{
	if (!l->size)
		return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT,
			       "udmabuf's size_limit_mb is 0: the kernel refuses every dma-buf; raise it in "
			       UDMABUF_PARAMS "size_limit_mb or with udmabuf.size_limit_mb=N on the kernel command line");
	return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT,
		       "%llu bytes is above udmabuf's size_limit_mb=%u (%llu bytes): export it in parts with %s, "
		       "or raise the limit: now as root in " UDMABUF_PARAMS "size_limit_mb, for good with "
		       "udmabuf.size_limit_mb=N on the kernel command line (it is built in)",
		       (unsigned long long)total, l->size_mb, (unsigned long long)l->size, split_hint);
}

static int fail_list_limit(const struct limits *l, size_t n)
{
	if (!l->list)
		return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_LIST_LIMIT,
			       "udmabuf's list_limit is 0: the kernel refuses every list; raise it in "
			       UDMABUF_PARAMS "list_limit or with udmabuf.list_limit=N on the kernel command line");
	return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_LIST_LIMIT,
		       "%zu ranges (after merging neighbours) is above udmabuf's list_limit=%u: export them with "
		       "sealbuf_export_list_split(), or raise the limit in " UDMABUF_PARAMS "list_limit "
		       "(udmabuf.list_limit=N on the kernel command line)", n, l->list);
}

/* Merge spans that continue each other in the same memfd; returns the new count. */
static size_t merge_spans(struct span *s, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		if (out && s[out - 1].fd == s[i].fd &&
		    s[out - 1].off + s[out - 1].len == s[i].off) {
			s[out - 1].len += s[i].len;
			continue;
		}
		s[out++] = s[i];
	}
	return out;
}

static uint64_t total_len(const struct span *s, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += s[i].len;
	return t;
}

/* Walks the spans, cutting groups of at most list_limit items and size bytes. */
struct cutter {
	const struct span *s;
	size_t n, i;
	uint64_t taken;     /* bytes of s[i] already in earlier groups */
};

/* Fill @out (room for min(list, n) items) with the next group; 0 at the end. */
static size_t cut_next(struct cutter *c, const struct limits *l, struct span *out)
{
	uint64_t bytes = 0;
	size_t k = 0;

	while (c->i < c->n && k < l->list && bytes < l->size) {
		const struct span *s = &c->s[c->i];
		uint64_t take = s->len - c->taken;

		if (take > l->size - bytes)
			take = l->size - bytes;
		out[k] = *s;
		out[k].off += c->taken;
		out[k].addr = s->addr ? s->addr + c->taken : NULL;
		out[k++].len = take;
		bytes += take;
		c->taken += take;
		if (c->taken == s->len) {
			c->i++;
			c->taken = 0;
		}
	}
	return k;
}

/* ---- making the pages real ---------------------------------------------- */

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
static int populate_fd(const struct span *s)
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
static int check_room(const struct span *s)
{
	struct stat st;
	uint64_t held, holes;

	if (fstat(s->fd, &st) < 0)
		return 0; /* the fault-in will say what is wrong */
	held = (uint64_t)st.st_blocks * 512;
	holes = (uint64_t)st.st_size > held ? (uint64_t)st.st_size - held : 0;
	return holes ? sb_check_memcg_room(holes < s->len ? holes : s->len) : 0;
}

/* Once all of a region was faulted in (PREFAULT, or an export of all of it), it stays so. */
static int populate_span(const struct span *s)
{
	struct sealbuf_region *r = s->region;
	int ret;

	if (r && __atomic_load_n(&r->populated, __ATOMIC_RELAXED))
		return 0;
	ret = check_room(s);
	if (ret == 0 && !r)
		return populate_fd(s);
	if (ret == 0)
		ret = populate(s->addr, s->len);
	if (ret == 0 && s->addr == r->map && s->len == r->map_size)
		__atomic_store_n(&r->populated, true, __ATOMIC_RELAXED);
	return ret;
}

static int populate_spans(const struct span *s, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = populate_span(&s[i]);
	return r;
}

/* ---- the ioctl --------------------------------------------------------- */

/* Looked up only to explain a failure: hugetlb memory fails in its own ways. */
static bool any_hugetlb(const struct span *s, size_t n)
{
	struct statfs sfs;

	for (size_t i = 0; i < n; i++)
		if (fstatfs(s[i].fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC)
			return true;
	return false;
}

static int fail_create(int err, const struct span *s, size_t n)
{
	uint64_t total = total_len(s, n);
	struct limits l;

	if (err == -ENOMEM && any_hugetlb(s, n))
		return sb_fail(-ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES,
			       "udmabuf could not get the huge pages for %llu bytes: reserve more in /proc/sys/vm/nr_hugepages",
			       (unsigned long long)total);
	if (err == -ENOMEM)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY,
			       "udmabuf could not allocate and pin %llu bytes", (unsigned long long)total);
	if (err == -EBADFD || err == -EBADF)
		return sb_fail(-EBADFD, SEALBUF_R_NOT_MEMFD,
			       "udmabuf refused the fd as not shmem or hugetlbfs memory");
	if (err == -EINVAL && any_hugetlb(s, n))
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
			       "this kernel's udmabuf refuses hugetlb memfds (supported in 5.15-6.3 and from 6.11); "
			       "use a region without SEALBUF_CREATE_HUGETLB");
	get_limits(&l, true); /* root may have lowered them since the check */
	if (err == -EINVAL && total > l.size)
		return fail_size_limit(&l, total, "a split export");
	if (err == -EINVAL && n > l.list)
		return fail_list_limit(&l, n);
	if (err == -EINVAL)
		return sb_fail(-EINVAL, SEALBUF_R_SYSCALL,
			       "udmabuf refused %zu range(s) of %llu bytes (EINVAL) though they are aligned, inside their memfds, "
			       "sealed as it asks and within its limits", n, (unsigned long long)total);
	return sb_fail_sys(err, n > 1 ? "ioctl(UDMABUF_CREATE_LIST)" : "ioctl(UDMABUF_CREATE)");
}

static int create_list(int dev, const struct span *s, size_t n)
{
	struct udmabuf_create_list *list;
	int r;

	list = calloc(1, sizeof(*list) + n * sizeof(list->list[0]));
	if (!list)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	list->flags = UDMABUF_FLAGS_CLOEXEC;
	list->count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		list->list[i].memfd = (uint32_t)s[i].fd;
		list->list[i].offset = s[i].off;
		list->list[i].size = s[i].len;
	}
	r = sb_ioctl(dev, UDMABUF_CREATE_LIST, list);
	free(list);
	return r;
}

/* One dma-buf of the @n spans: a new fd, or a failure saying why. */
static int create(int dev, const struct span *s, size_t n)
{
	struct udmabuf_create c = {
		.memfd = (uint32_t)s[0].fd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.offset = s[0].off,
		.size = s[0].len,
	};
	int r = n == 1 ? sb_ioctl(dev, UDMABUF_CREATE, &c) : create_list(dev, s, n);

	return r < 0 ? fail_create(r, s, n) : r;
}

/* ---- naming ------------------------------------------------------------- */

static int check_name(const char *name)
{
	if (name && strlen(name) > SEALBUF_DMABUF_NAME_MAX)
		return sb_fail(-ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG,
			       "dma-buf name is %zu bytes, at most %d allowed",
			       strlen(name), SEALBUF_DMABUF_NAME_MAX);
	return 0;
}

/* The base name: the caller's, or the first memfd's, cut to fit. */
static void base_name(const char *name, const struct span *s, char *buf, size_t len)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else
		sb_memfd_name(s->fd, buf, len);
}

/*
 * Name @fd; part @idx of a split export is "BASE#idx". The caller's own name
 * must stick; a derived one is best effort (the dma-buf works unnamed).
 */
static int name_dmabuf(int fd, const char *base, bool explicit, long idx)
{
	char name[SEALBUF_DMABUF_NAME_MAX + 1], suffix[24] = "";
	int r;

	if (idx >= 0)
		snprintf(suffix, sizeof(suffix), "#%ld", idx);
	snprintf(name, sizeof(name), "%.*s%s",
		 (int)(SEALBUF_DMABUF_NAME_MAX - strlen(suffix)), base, suffix);
	r = sb_dmabuf_name(fd, name);
	if (r < 0 && !explicit) {
		sb_log(LOG_INFO, "dma-buf left unnamed: %s", sealbuf_last_error());
		r = 0;
	}
	return r;
}

/* ---- export -------------------------------------------------------------- */

struct job {
	struct span *spans;
	size_t n;
	const char *name;   /* the caller's, or NULL */
	const char *split_hint; /* how to export it in parts */
};

static int export_one(const struct job *j, int *ret_fd)
{
	char base[SEALBUF_DMABUF_NAME_MAX + 1];
	struct limits l;
	int dev, fd, r;
	size_t n = merge_spans(j->spans, j->n);
	uint64_t total = total_len(j->spans, n);

	get_limits(&l, false);
	if (total > l.size || n > l.list)
		get_limits(&l, true);
	if (total > l.size)
		return fail_size_limit(&l, total, j->split_hint);
	if (n > l.list)
		return fail_list_limit(&l, n);
	dev = open_udmabuf();
	if (dev < 0)
		return dev;
	r = populate_spans(j->spans, n);
	fd = r < 0 ? r : create(dev, j->spans, n);
	sb_close(dev);
	if (fd < 0)
		return fd;
	base_name(j->name, j->spans, base, sizeof(base));
	r = name_dmabuf(fd, base, j->name != NULL, -1);
	if (r < 0) {
		sb_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static size_t count_groups(const struct job *j, const struct limits *l, struct span *tmp)
{
	struct cutter c = { .s = j->spans, .n = j->n };
	size_t groups = 0;

	while (cut_next(&c, l, tmp))
		groups++;
	return groups;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_close(fds[i]);
}

/* Create every group into @fds (room for @groups); all or nothing. */
static int create_groups(const struct job *j, const struct limits *l, struct span *tmp,
			 int *fds, size_t groups)
{
	char base[SEALBUF_DMABUF_NAME_MAX + 1];
	struct cutter c = { .s = j->spans, .n = j->n };
	size_t k, done = 0;
	int dev = open_udmabuf(), r = 0;

	if (dev < 0)
		return dev;
	base_name(j->name, j->spans, base, sizeof(base));
	r = populate_spans(j->spans, j->n);
	while (r == 0 && done < groups && (k = cut_next(&c, l, tmp))) {
		r = create(dev, tmp, k);
		if (r >= 0) {
			fds[done++] = r;
			r = name_dmabuf(r, base, j->name != NULL, groups > 1 ? (long)done - 1 : -1);
		}
	}
	sb_close(dev);
	if (r < 0)
		close_all(fds, done);
	return r;
}

static int export_split(struct job *j, int *ret_fds, size_t max_fds)
{
	struct span *tmp;
	struct limits l;
	size_t groups;
	int *fds, r;

	j->n = merge_spans(j->spans, j->n);
	get_limits(&l, true); /* the cut must match the kernel's limits now */
	if (!l.size || !l.list)
		return l.size ? fail_list_limit(&l, j->n) : fail_size_limit(&l, 0, "");
	tmp = calloc(j->n < l.list ? j->n : l.list, sizeof(*tmp));
	if (!tmp)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	groups = count_groups(j, &l, tmp);
	if (groups > INT_MAX || !ret_fds) {
		free(tmp);
		return groups > INT_MAX ? sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE, "%zu dma-bufs needed", groups)
					: (int)groups;
	}
	if (groups > max_fds) {
		free(tmp);
		return sb_fail(-ENOBUFS, SEALBUF_R_BUFFER_TOO_SMALL,
			       "%zu dma-bufs are needed (size_limit_mb=%u, list_limit=%u), room for %zu given",
			       groups, l.size_mb, l.list, max_fds);
	}
	fds = calloc(groups, sizeof(*fds));
	r = fds ? create_groups(j, &l, tmp, fds, groups)
		: sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	if (r == 0)
		memcpy(ret_fds, fds, groups * sizeof(*fds));
	free(fds);
	free(tmp);
	return r < 0 ? r : (int)groups;
}

static int load_opts(const struct sealbuf_export_opts *opts, struct sealbuf_export_opts *o)
{
	int r = sb_opts_load(opts, offsetof(struct sealbuf_export_opts, length), sizeof(*o), o);

	if (r == 0)
		r = sb_check_reserved(o->reserved, "export options");
	return r < 0 ? r : check_name(o->name);
}

/* List exports take offset/length/flags per range: the opts may only name. */
static int load_list_opts(const struct sealbuf_export_opts *opts, struct sealbuf_export_opts *o)
{
	int r = load_opts(opts, o);

	if (r == 0 && (o->offset || o->length || o->flags))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "a list export takes offset, length and flags in each range; its options may only set .name");
	return r;
}

static int region_job(const struct sealbuf_region *region, const struct sealbuf_export_opts *opts,
		      struct sealbuf_export_opts *o, struct span *s, struct job *j)
{
	int r = load_opts(opts, o);

	if (r == 0)
		r = region_span("region", region, o->offset, o->length, o->flags, s);
	*j = (struct job){ .spans = s, .n = 1, .name = o->name,
			   .split_hint = "sealbuf_region_export_split()" };
	return r;
}

SEALBUF_EXPORT int sealbuf_region_export(const struct sealbuf_region *region,
					 const struct sealbuf_export_opts *opts,
					 int *ret_dmabuf_fd)
{
	struct sealbuf_export_opts o;
	struct span s;
	struct job j;
	int r;

	if (!ret_dmabuf_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_dmabuf_fd is NULL");
	r = region_job(region, opts, &o, &s, &j);
	return r < 0 ? r : export_one(&j, ret_dmabuf_fd);
}

SEALBUF_EXPORT int sealbuf_region_export_split(const struct sealbuf_region *region,
					       const struct sealbuf_export_opts *opts,
					       int *ret_fds, size_t max_fds)
{
	struct sealbuf_export_opts o;
	struct span s;
	struct job j;
	int r = region_job(region, opts, &o, &s, &j);

	return r < 0 ? r : export_split(&j, ret_fds, max_fds);
}

SEALBUF_EXPORT int sealbuf_memfd_export(int memfd, const struct sealbuf_export_opts *opts,
					int *ret_dmabuf_fd)
{
	struct sealbuf_export_opts o;
	struct span s;
	struct job j = { .spans = &s, .n = 1, .split_hint = "one export per offset/length range" };
	int r;

	if (!ret_dmabuf_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_dmabuf_fd is NULL");
	r = load_opts(opts, &o);
	if (r == 0)
		r = memfd_span(memfd, o.offset, o.length, o.flags, &s);
	j.name = o.name;
	return r < 0 ? r : export_one(&j, ret_dmabuf_fd);
}

/* Check every range into a new array of spans (freed by the caller). */
static int list_job(const struct sealbuf_export_range *ranges, size_t count,
		    const struct sealbuf_export_opts *opts, struct sealbuf_export_opts *o,
		    struct job *j)
{
	char what[32];
	int r = load_list_opts(opts, o);

	if (r < 0)
		return r;
	if (!ranges || !count)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "no ranges given");
	j->spans = calloc(count, sizeof(*j->spans));
	if (!j->spans)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory for %zu ranges", count);
	j->n = count;
	j->name = o->name;
	for (size_t i = 0; i < count && r == 0; i++) {
		snprintf(what, sizeof(what), "range %zu", i);
		r = ranges[i].reserved ? sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
						 "%s: reserved field is not 0", what)
				       : region_span(what, ranges[i].region, ranges[i].offset,
						     ranges[i].length, ranges[i].flags, &j->spans[i]);
	}
	if (r < 0)
		free(j->spans);
	return r;
}

SEALBUF_EXPORT int sealbuf_export_list(const struct sealbuf_export_range *ranges, size_t count,
				       const struct sealbuf_export_opts *opts, int *ret_dmabuf_fd)
{
	struct sealbuf_export_opts o;
	struct job j = { .split_hint = "sealbuf_export_list_split()" };
	int r;

	if (!ret_dmabuf_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_dmabuf_fd is NULL");
	r = list_job(ranges, count, opts, &o, &j);
	if (r < 0)
		return r;
	r = export_one(&j, ret_dmabuf_fd);
	free(j.spans);
	return r;
}

SEALBUF_EXPORT int sealbuf_export_list_split(const struct sealbuf_export_range *ranges,
					     size_t count,
					     const struct sealbuf_export_opts *opts,
					     int *ret_fds, size_t max_fds)
{
	struct sealbuf_export_opts o;
	struct job j = { .split_hint = "sealbuf_export_list_split()" };
	int r = list_job(ranges, count, opts, &o, &j);

	if (r < 0)
		return r;
	r = export_split(&j, ret_fds, max_fds);
	free(j.spans);
	return r;
}
