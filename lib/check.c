/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf_fd_check(): the checks sealbuf_region_open() makes, on an fd that
 * stays the caller's. Nothing is mapped and nothing written: the header is
 * read with pread() into a copy, so checking a peer's region never touches
 * it (open's read-only readers flag themselves in the header; a check does
 * not). Tools use it to say why an fd would be refused before taking it.
 */
#include <fcntl.h>
#include <unistd.h>

#include "header_format.h"
#include "region.h"
#include "seqlock.h"

#define CHECK_FLAGS (SEALBUF_CHECK_RDONLY | SEALBUF_CHECK_SIZE)

/* A copy of the header at the start of @fd, if there is one. */
static bool read_header(int fd, struct sb_header *h, struct sealbuf_fd_info *i)
{
	ssize_t n = pread(fd, h, sizeof(*h), 0);

	if (n != (ssize_t)sizeof(*h) || sb_hdr_get32(&h->magic) != SB_HDR_MAGIC)
		return false;
	i->flags |= SEALBUF_FD_HEADER;
	i->capacity = sb_hdr_get64(&h->capacity);
	i->valid_size = sb_size_load(h);
	i->seq = sb_seq_load(h, memory_order_relaxed);
	return true;
}

/* The kind and size open would be given: declared, else what the fd states. */
static int declared(const struct sealbuf_check_opts *o, const struct sb_header *h,
		    bool has_hdr, struct sealbuf_fd_info *i)
{
	uint32_t hkind = has_hdr ? sb_hdr_get32(&h->kind) : 0;

	i->kind = o->kind;
	if (!i->kind)
		i->kind = sb_kind_valid(hkind) && sb_kind_has_header(hkind) ? hkind
									   : SEALBUF_KIND_PLAIN;
	if (o->flags & SEALBUF_CHECK_SIZE)
		i->size = o->size;
	else
		i->size = sb_kind_has_header(i->kind) ? i->capacity : i->file_size;
	if (i->size > SIZE_MAX)
		return sb_fail(-EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW,
			       "size %llu cannot be mapped on this machine",
			       (unsigned long long)i->size);
	return 0;
}

static int check_fd(int fd, const struct sealbuf_check_opts *o, struct sealbuf_fd_info *i)
{
	bool writable = !(o->flags & SEALBUF_CHECK_RDONLY), has_hdr;
	size_t file_size, page;
	struct sb_header h;
	int ret = sb_check_memfd(fd, &file_size, &page);

	if (ret < 0)
		return ret;
	i->flags |= SEALBUF_FD_MEMFD;
	i->file_size = file_size;
	i->seals = sb_fcntl(fd, F_GET_SEALS, 0);
	if (i->seals < 0)
		i->seals = -1;
	has_hdr = read_header(fd, &h, i);
	ret = declared(o, &h, has_hdr, i);
	if (ret == 0)
		ret = sb_check_open_seals(fd, writable);
	if (ret == 0)
		ret = sb_check_access(fd, writable);
	if (ret == 0)
		ret = sb_check_size(fd, i->kind, (size_t)i->size, file_size, page);
	if (ret < 0 || !sb_kind_has_header(i->kind))
		return ret;
	if (!has_hdr)
		return sb_fail(-EBADMSG, SEALBUF_R_HEADER_MAGIC,
			       "the fd has no sealbuf header (magic \"SBHD\") in its first page");
	return sb_header_check(&h, i->kind, (size_t)i->size, file_size - page, page);
}

SEALBUF_EXPORT int sealbuf_fd_check(int fd, const struct sealbuf_check_opts *opts,
				    struct sealbuf_fd_info *info)
{
	struct sealbuf_fd_info i = { .sz = sizeof(i), .seals = -1, .access = -1 };
	struct sealbuf_check_opts o;
	int fl, ret = sb_opts_load(opts, offsetof(struct sealbuf_check_opts, kind), sizeof(o), &o);

	if (ret == 0)
		ret = sb_check_flags(o.flags, CHECK_FLAGS, "check flags");
	if (ret == 0 && o.kind && !sb_kind_valid(o.kind))
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "unknown region kind %u", o.kind);
	if (ret == 0 && info)
		ret = sb_info_store(info, &i, offsetof(struct sealbuf_fd_info, file_size), sizeof(i));
	if (ret < 0)
		return ret;
	fl = fd >= 0 ? sb_fcntl(fd, F_GETFL, 0) : -EBADF;
	if (fl >= 0)
		i.access = fl & O_ACCMODE;
	ret = check_fd(fd, &o, &i);
	if (info) {
		int saved = ret;
		sb_info_store(info, &i, 0, sizeof(i)); /* .sz checked above: cannot fail */
		ret = saved;
	}
	return ret;
}
