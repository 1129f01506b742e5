/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Windows: a page-aligned part of a region mapped on its own (Chromium's
 * MapAt, Mozilla's cursor), so that a region larger than the address space
 * a process can spare is worked through piece by piece. The memfd is
 * checked again as at open (a memfd, of the declared size; write seals for
 * a writable window), and the range as an export's.
 */
#include <stdlib.h>
#include <sys/mman.h>

#include "region.h"

#define WINDOW_FLAGS (SEALBUF_WINDOW_PAYLOAD | SEALBUF_WINDOW_RDONLY)

struct sealbuf_window {
	void *data;
	size_t size;
};

static int check_region(const struct sealbuf_region *r, uint32_t flags)
{
	int ret = sb_check_flags(flags, WINDOW_FLAGS, "window flags");

	if (ret < 0)
		return ret;
	if (!r)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "region is NULL");
	if (r->fd < 0)
		return sb_fail(-EBADF, SEALBUF_R_NO_HANDLE,
			       "the region was opened without SEALBUF_OPEN_KEEP_HANDLE (or SEALBUF_OPEN_NOMAP): "
			       "it has no handle to map a window of");
	if ((flags & SEALBUF_WINDOW_PAYLOAD) && r->kind == SEALBUF_KIND_PLAIN)
		return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "SEALBUF_WINDOW_PAYLOAD needs a reserved or mirror region; this one is plain");
	if (!(flags & SEALBUF_WINDOW_RDONLY) && !r->writable)
		return sb_fail_read_only(r->fd, "a writable window",
					 "the region is read-only here: map the window with SEALBUF_WINDOW_RDONLY");
	return 0;
}

/* The memfd as at open; the bytes a window may cover come back, and the page. */
static int check_memfd(const struct sealbuf_region *r, bool writable, size_t *ret_file,
		       size_t *ret_page)
{
	size_t expected;
	int ret = sb_check_memfd(r->fd, ret_file, ret_page);

	if (ret == 0)
		ret = sb_file_size(r->kind, r->capacity, *ret_page, &expected);
	if (ret == 0 && *ret_file != expected)
		ret = sb_fail(-ERANGE, SEALBUF_R_SIZE_MISMATCH,
			      "the region's memfd holds %zu bytes, not the %zu it had at open",
			      *ret_file, expected);
	if (ret == 0 && writable)
		ret = sb_check_writable_policy(r->fd, "a writable window");
	return ret;
}

/* @off/@len (0: to the end) of @avail bytes, page-aligned and inside; the length comes back. */
static int check_range(uint64_t off, uint64_t len, uint64_t avail, size_t page, uint64_t *ret_len)
{
	if (off % page || len % page)
		return sb_fail(-EINVAL, SEALBUF_R_MISALIGNED,
			       "window offset %llu and length %llu must be multiples of the %zu-byte page",
			       (unsigned long long)off, (unsigned long long)len, page);
	if (len > UINT64_MAX - off)
		return sb_fail(-EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW,
			       "window offset %llu plus length %llu overflows",
			       (unsigned long long)off, (unsigned long long)len);
	if (!avail && !off && !len)
		return sb_fail(-ENODATA, SEALBUF_R_EMPTY, "the region is empty: it has no window to map");
	if (off >= avail || len > avail - off)
		return sb_fail(-ERANGE, SEALBUF_R_RANGE,
			       "window of %llu bytes at offset %llu runs past the end (%llu bytes)",
			       (unsigned long long)len, (unsigned long long)off, (unsigned long long)avail);
	*ret_len = len ? len : avail - off;
	if (*ret_len > SIZE_MAX)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE, "a %llu-byte window cannot be mapped here",
			       (unsigned long long)*ret_len);
	return 0;
}

static int map_window(const struct sealbuf_region *r, uint64_t at, size_t len, bool writable,
		      struct sealbuf_window *w)
{
	int ret = sb_mmap_at(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), r->fd, (off_t)at,
			     &w->data);

	if (ret == -ENOMEM)
		return sb_fail(ret, SEALBUF_R_NO_MEMORY,
			       "cannot map a %zu-byte window: address space or map count exhausted", len);
	if (ret == -EACCES)
		return sb_fail(ret, SEALBUF_R_ACCESS_MODE,
			       "the region's handle does not allow a %s window", writable ? "writable" : "readable");
	if (ret < 0)
		return sb_fail_sys(ret, "mmap");
	w->size = len;
	return 0;
}

SEALBUF_EXPORT int sealbuf_window_map(const struct sealbuf_region *region, uint64_t offset,
				      uint64_t length, uint32_t flags,
				      struct sealbuf_window **ret_window)
{
	bool writable = !(flags & SEALBUF_WINDOW_RDONLY);
	size_t file_size, page, base;
	struct sealbuf_window *w;
	uint64_t len = 0;
	int ret = check_region(region, flags);

	if (ret == 0 && !ret_window)
		ret = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_window is NULL");
	if (ret == 0)
		ret = check_memfd(region, writable, &file_size, &page);
	if (ret < 0)
		return ret;
	base = (flags & SEALBUF_WINDOW_PAYLOAD) ? page : 0;
	ret = check_range(offset, length, file_size - base, page, &len);
	if (ret < 0)
		return ret;
	w = calloc(1, sizeof(*w));
	if (!w)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	ret = map_window(region, base + offset, (size_t)len, writable, w);
	if (ret < 0) {
		free(w);
		return ret;
	}
	*ret_window = w;
	return 0;
}

SEALBUF_EXPORT void sealbuf_window_unmap(struct sealbuf_window *w)
{
	if (!w)
		return;
	sb_munmap(w->data, w->size);
	free(w);
}

SEALBUF_EXPORT void *sealbuf_window_data(const struct sealbuf_window *w)
{
	return w ? w->data : NULL;
}

SEALBUF_EXPORT size_t sealbuf_window_size(const struct sealbuf_window *w)
{
	return w ? w->size : 0;
}
