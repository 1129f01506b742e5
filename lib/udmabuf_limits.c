/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * udmabuf's limits, read live from /sys/module/udmabuf/parameters: root may
 * change them at any time. Also sealbuf_udmabuf_query(), which reports them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "export.h"

/* The kernel's defaults, used when the parameters cannot be read. */
#define DEFAULT_SIZE_LIMIT_MB 64
#define DEFAULT_LIST_LIMIT 1024

static bool read_u32(const char *path, uint32_t *ret)
{
	char buf[32];

	if (sb_read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	*ret = (uint32_t)strtoul(buf, NULL, 10);
	return true;
}

static void read_limits(struct sb_udmabuf_limits *l)
{
	l->known = read_u32(SB_UDMABUF_PARAMS "size_limit_mb", &l->size_mb) &&
		   read_u32(SB_UDMABUF_PARAMS "list_limit", &l->list);
	if (!l->known) {
		l->size_mb = DEFAULT_SIZE_LIMIT_MB;
		l->list = DEFAULT_LIST_LIMIT;
	}
	l->size = (uint64_t)l->size_mb << 20;
}

/* The values last read, plus one (0: not read yet). */
static uint32_t seen_size_mb, seen_list;

/*
 * Reading the limits costs six system calls (about 30 us each under
 * emulation: more than exporting a small buffer), so the last values read
 * let an export through. A refusal is always made on fresh values (@fresh),
 * and when the kernel refuses an export that passed, udmabuf_dev.c reads
 * them again to name the limit root lowered meanwhile.
 */
void sb_udmabuf_limits(struct sb_udmabuf_limits *l, bool fresh)
{
	uint32_t size = __atomic_load_n(&seen_size_mb, __ATOMIC_RELAXED);
	uint32_t list = __atomic_load_n(&seen_list, __ATOMIC_RELAXED);

	if (!fresh && size && list) {
		*l = (struct sb_udmabuf_limits){ .size = (uint64_t)(size - 1) << 20,
						 .size_mb = size - 1, .list = list - 1,
						 .known = true };
		return;
	}
	read_limits(l);
	if (!l->known)
		return;
	__atomic_store_n(&seen_size_mb, l->size_mb + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&seen_list, l->list + 1, __ATOMIC_RELAXED);
}

int sb_fail_size_limit(const struct sb_udmabuf_limits *l, uint64_t total, const char *split_hint)
{
	if (!l->size)
		return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT,
			       "udmabuf's size_limit_mb is 0: the kernel refuses every dma-buf; raise it in "
			       SB_UDMABUF_PARAMS "size_limit_mb or with udmabuf.size_limit_mb=N on the kernel command line");
	return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT,
		       "%llu bytes is above udmabuf's size_limit_mb=%u (%llu bytes): export it in parts with %s, "
		       "or raise the limit: now as root in " SB_UDMABUF_PARAMS "size_limit_mb, for good with "
		       "udmabuf.size_limit_mb=N on the kernel command line (it is built in)",
		       (unsigned long long)total, l->size_mb, (unsigned long long)l->size, split_hint);
}

int sb_fail_list_limit(const struct sb_udmabuf_limits *l, size_t n)
{
	if (!l->list)
		return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_LIST_LIMIT,
			       "udmabuf's list_limit is 0: the kernel refuses every list; raise it in "
			       SB_UDMABUF_PARAMS "list_limit or with udmabuf.list_limit=N on the kernel command line");
	return sb_fail(-E2BIG, SEALBUF_R_UDMABUF_LIST_LIMIT,
		       "%zu ranges (after merging neighbours) is above udmabuf's list_limit=%u: export them with "
		       "sealbuf_export_list_split(), or raise the limit in " SB_UDMABUF_PARAMS "list_limit "
		       "(udmabuf.list_limit=N on the kernel command line)", n, l->list);
}

int sb_udmabuf_limits_check(uint64_t total, size_t n, const char *split_hint)
{
	struct sb_udmabuf_limits l;

	sb_udmabuf_limits(&l, false);
	if (total > l.size || n > l.list)
		sb_udmabuf_limits(&l, true);
	if (total > l.size)
		return sb_fail_size_limit(&l, total, split_hint);
	if (n > l.list)
		return sb_fail_list_limit(&l, n);
	return 0;
}

SEALBUF_EXPORT int sealbuf_udmabuf_query(struct sealbuf_udmabuf_info *info)
{
	struct sealbuf_udmabuf_info i = { .sz = sizeof(i) };
	struct sb_udmabuf_limits l;

	sb_udmabuf_limits(&l, true);
	if (access(SB_UDMABUF_DEV, F_OK) == 0)
		i.state |= SEALBUF_UDMABUF_PRESENT;
	/* The effective ids, as open() will use them. */
	if (faccessat(AT_FDCWD, SB_UDMABUF_DEV, R_OK | W_OK, AT_EACCESS) == 0)
		i.state |= SEALBUF_UDMABUF_ACCESSIBLE;
	if (l.known) {
		i.state |= SEALBUF_UDMABUF_LIMITS;
		i.size_limit_mb = l.size_mb;
		i.list_limit = l.list;
		i.size_limit = l.size;
	}
	return sb_info_store(info, &i, offsetof(struct sealbuf_udmabuf_info, size_limit), sizeof(i));
}
