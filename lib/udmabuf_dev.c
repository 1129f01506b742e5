/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/udmabuf: opening it (and saying why it cannot be opened: missing,
 * or permission denied and which group grants it), and its two create
 * ioctls, whose EINVAL is turned back into the rule that was broken.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/udmabuf.h>

#include "export.h"

static int fail_missing(void)
{
	if (access("/sys/module/udmabuf", F_OK) == 0)
		return sb_fail(-ENODEV, SEALBUF_R_NO_UDMABUF,
			       "the kernel has udmabuf (/sys/module/udmabuf) but " SB_UDMABUF_DEV
			       " is missing: mount devtmpfs on /dev (or mknod it from /sys/class/misc/udmabuf/dev)");
	return sb_fail(-ENODEV, SEALBUF_R_NO_UDMABUF,
		       SB_UDMABUF_DEV " does not exist: this kernel was built without CONFIG_UDMABUF "
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

	if (stat(SB_UDMABUF_DEV, &st) < 0)
		return sb_fail(-EACCES, SEALBUF_R_UDMABUF_DENIED,
			       "permission denied opening " SB_UDMABUF_DEV " (%s)", strerror(-err));
	group_name(st.st_gid, grp, sizeof(grp));
	if (st.st_gid == 0)
		return sb_fail(-EACCES, SEALBUF_R_UDMABUF_DENIED,
			       "permission denied opening " SB_UDMABUF_DEV " (group root, mode %04o): no udev rule grants it; "
			       "install sealbuf's 70-sealbuf-udmabuf.rules (group video, mode 0660, uaccess), "
			       "run `udevadm trigger /dev/udmabuf`, and add the user to group video",
			       st.st_mode & 07777);
	return sb_fail(-EACCES, SEALBUF_R_UDMABUF_DENIED,
		       "permission denied opening " SB_UDMABUF_DEV " (group %s, mode %04o): add the user to group %s "
		       "(usermod -aG %s USER, then log in again), or log in at the seat (uaccess ACL)",
		       grp, st.st_mode & 07777, grp, grp);
}

int sb_udmabuf_open(void)
{
	int fd = sb_open(SB_UDMABUF_DEV, O_RDWR);

	if (fd >= 0)
		return fd;
	if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
		return fail_missing();
	if (fd == -EACCES || fd == -EPERM)
		return fail_denied(fd);
	return sb_fail_sys(fd, "open " SB_UDMABUF_DEV);
}

SEALBUF_EXPORT int sealbuf_udmabuf_check(void)
{
	int fd = sb_udmabuf_open();

	if (fd < 0)
		return fd;
	sb_close(fd);
	return 0;
}

/* Looked up only to explain a failure: hugetlb memory fails in its own ways. */
static bool any_hugetlb(const struct sb_span *s, size_t n)
{
	struct statfs sfs;

	for (size_t i = 0; i < n; i++)
		if (fstatfs(s[i].fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC)
			return true;
	return false;
}

static int fail_create(int err, const struct sb_span *s, size_t n)
{
	uint64_t total = sb_spans_total(s, n);
	struct sb_udmabuf_limits l;

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
	sb_udmabuf_limits(&l, true); /* root may have lowered them since the check */
	if (err == -EINVAL && total > l.size)
		return sb_fail_size_limit(&l, total, "a split export");
	if (err == -EINVAL && n > l.list)
		return sb_fail_list_limit(&l, n);
	if (err == -EINVAL)
		return sb_fail(-EINVAL, SEALBUF_R_SYSCALL,
			       "udmabuf refused %zu range(s) of %llu bytes (EINVAL) though they are aligned, inside their memfds, "
			       "sealed as it asks and within its limits", n, (unsigned long long)total);
	return sb_fail_sys(err, n > 1 ? "ioctl(UDMABUF_CREATE_LIST)" : "ioctl(UDMABUF_CREATE)");
}

static int create_list(int dev, const struct sb_span *s, size_t n)
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

/* One UDMABUF_CREATE of page 0 of @memfd: 0 when the kernel took it, else -errno. */
static int probe_create(int dev, int memfd, size_t page)
{
	struct udmabuf_create c = { .memfd = (uint32_t)memfd, .flags = UDMABUF_FLAGS_CLOEXEC,
				    .size = page };
	int fd = sb_ioctl(dev, UDMABUF_CREATE, &c);

	sb_close(fd);
	return fd < 0 ? fd : 0;
}

enum { PROBE_UNKNOWN, PROBE_REFUSES, PROBE_ACCEPTS };

/*
 * udmabuf refuses memfds sealed F_SEAL_FUTURE_WRITE only since the December
 * 2024 fixes. Probed, not read from a version: a one-page memfd sealed
 * F_SEAL_SHRINK is taken, then refused with EINVAL, the seal check's own
 * errno, once sealed F_SEAL_FUTURE_WRITE too; a kernel that takes it again
 * accepts such memfds.
 * Anything else (a failure of the probe itself: no memory, no fd) settles
 * nothing and counts as "accepts" for now, which keeps the library's own
 * check in front of the kernel (export.c).
 */
static int probe_future_write(int dev)
{
	size_t page = sb_page_size();
	int memfd = sb_memfd_create("sealbuf-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int r = memfd < 0 ? memfd : sb_ftruncate(memfd, (off_t)page), sealed = 1; /* 1: not tried */

	if (r == 0)
		r = sb_fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK);
	if (r == 0)
		r = probe_create(dev, memfd, page); /* the control: taken by every kernel */
	if (r == 0)
		r = sb_fcntl(memfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE);
	if (r == 0)
		sealed = probe_create(dev, memfd, page);
	sb_close(memfd);
	if (sealed == 0)
		return PROBE_ACCEPTS;
	/* Only the sealed create's own EINVAL, after the control was taken, says "refuses". */
	return sealed == -EINVAL ? PROBE_REFUSES : PROBE_UNKNOWN;
}

bool sb_udmabuf_refuses_future_write(int dev)
{
	static int state = PROBE_UNKNOWN; /* kept once settled */
	int s = __atomic_load_n(&state, __ATOMIC_RELAXED);

	if (s == PROBE_UNKNOWN) {
		s = probe_future_write(dev);
		if (s != PROBE_UNKNOWN)
			__atomic_store_n(&state, s, __ATOMIC_RELAXED);
	}
	return s == PROBE_REFUSES;
}

int sb_udmabuf_create(int dev, const struct sb_span *s, size_t n)
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
