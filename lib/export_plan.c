/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Planning an export: each range checked into a span (aligned, inside its
 * memfd, sealed as udmabuf wants, on a writable region), neighbours merged,
 * the spans cut into parts the kernel's limits allow, and the parts' names.
 * Nothing here calls the kernel but to look at the fds.
 */
#include <fcntl.h>
#include <stdio.h>

#include "dmabuf.h"
#include "export.h"

/* @off/@len of the @avail bytes at s->off: aligned, inside, and 0 = to the end. */
static int check_range(const char *what, uint64_t off, uint64_t len, uint64_t avail,
		       struct sb_span *s)
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
static int check_seals(const char *what, int fd, struct sb_span *s)
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

int sb_span_region(const char *what, const struct sealbuf_region *r, uint64_t off,
		   uint64_t len, uint32_t flags, struct sb_span *s)
{
	uint64_t base;
	int ret;

	if (!r)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "%s: region is NULL", what);
	ret = sb_check_flags(flags, SB_EXPORT_FLAGS, "export flags");
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
		return sb_fail_read_only(r->fd, what,
					 "the region is mapped read-only here; a dma-buf would let devices and its mmap "
					 "write, so only a writable region is exported");
	if (!r->map && r->file_size)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "%s: the region was opened with SEALBUF_OPEN_NOMAP: open it mapped to export it", what);
	base = flags & SEALBUF_EXPORT_PAYLOAD ? (uint64_t)(r->data - r->map) : 0;
	if (!r->map || r->map_size <= base)
		return sb_fail(-ENODATA, SEALBUF_R_EMPTY, "%s: the %s is empty (0 bytes): it has no dma-buf",
			       what, flags & SEALBUF_EXPORT_PAYLOAD ? "payload" : "region");
	/*
	 * SHRINK|GROW are on (checked at open for a peer's); a write seal may
	 * have come since. One this region has seen is refused here; the rest
	 * is export.c's seals_first(), once the device is open: the seals are
	 * read before the kernel unless udmabuf refuses write-sealed memfds
	 * itself, and then only if the export fails.
	 */
	if (sb_write_sealed(r) && (ret = sb_check_writable_policy(r->fd, what)) < 0)
		return ret;
	s->fd = r->fd;
	s->off = base;
	ret = check_range(what, off, len, r->map_size - base, s);
	s->addr = r->map + s->off;
	s->region = r;
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

int sb_span_memfd(int fd, uint64_t off, uint64_t len, uint32_t flags, struct sb_span *s)
{
	size_t file_size, page;
	int ret = sb_check_flags(flags, SB_EXPORT_FLAGS, "export flags");

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

size_t sb_spans_merge(struct sb_span *s, size_t n)
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

uint64_t sb_spans_total(const struct sb_span *s, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += s[i].len;
	return t;
}

size_t sb_cut_next(struct sb_cutter *c, const struct sb_udmabuf_limits *l, struct sb_span *out)
{
	uint64_t bytes = 0;
	size_t k = 0;

	while (c->i < c->n && k < l->list && bytes < l->size) {
		const struct sb_span *s = &c->s[c->i];
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

int sb_export_name_check(const char *name)
{
	if (name && strlen(name) > SEALBUF_DMABUF_NAME_MAX)
		return sb_fail(-ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG,
			       "dma-buf name is %zu bytes, at most %d allowed",
			       strlen(name), SEALBUF_DMABUF_NAME_MAX);
	return 0;
}

void sb_export_base_name(const char *name, const struct sb_span *s, char *buf, size_t len)
{
	if (name)
		snprintf(buf, len, "%s", name);
	else if (s->region && s->region->dmabuf_name[0])
		snprintf(buf, len, "%s", s->region->dmabuf_name);
	else
		sb_memfd_name(s->fd, buf, len);
}

/*
 * Name @fd; part @idx of a split export is "BASE#idx". The caller's own name
 * must stick; a derived one is best effort (the dma-buf works unnamed).
 */
int sb_export_name(int fd, const char *base, bool explicit, long idx)
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
