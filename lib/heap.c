/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * dma-heaps (/dev/dma_heap/NAME): buffers the kernel allocates as dma-bufs,
 * an alternative to memfd + udmabuf (contiguous memory from "cma" heaps).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/dma-heap.h>

#include "internal.h"

#define HEAP_DIR "/dev/dma_heap"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in HEAP_DIR, sorted, space-separated into @buf; their count or -ENOBUFS. */
static int list_heaps(char *buf, size_t len)
{
	char names[32][64], *sorted[32];
	struct dirent *e;
	size_t n = 0, used = 0;
	DIR *d = opendir(HEAP_DIR);

	buf[0] = '\0';
	while (d && (e = readdir(d)) && n < SB_ARRAY_SIZE(names)) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof(names[n]))
			continue;
		strcpy(names[n], e->d_name);
		sorted[n] = names[n];
		n++;
	}
	if (d)
		closedir(d);
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "", sorted[i]);
		if (w < 0 || (size_t)w >= len - used)
			return -ENOBUFS;
		used += (size_t)w;
	}
	return (int)n;
}

SEALBUF_EXPORT int sealbuf_heap_list(char *buf, size_t len)
{
	int r;

	if (!buf || !len)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "buf is NULL or empty");
	r = list_heaps(buf, len);
	if (r == -ENOBUFS)
		return sb_fail(r, SEALBUF_R_BUFFER_TOO_SMALL,
			       "the heap names do not fit in %zu bytes", len);
	return r;
}

static int open_fail(int err, const char *heap, const char *path)
{
	char heaps[256];

	if (err == -ENOENT) {
		if (list_heaps(heaps, sizeof(heaps)) < 0)
			snprintf(heaps, sizeof(heaps), "(too many to list)");
		return sb_fail(-ENODEV, SEALBUF_R_NO_HEAP,
			       "no dma-heap \"%s\" (%s missing); heaps here: %s%s", heap, path,
			       heaps[0] ? heaps : "none",
			       heaps[0] ? "" : " (CONFIG_DMABUF_HEAPS_SYSTEM / _CMA)");
	}
	if (err == -EACCES || err == -EPERM)
		return sb_fail(-EACCES, SEALBUF_R_HEAP_DENIED,
			       "no permission to open %s: a udev rule such as SUBSYSTEM==\"dma_heap\", KERNEL==\"%s\", GROUP=\"video\", MODE=\"0660\" and membership of that group allow it",
			       path, heap);
	return sb_fail_sys(err, path);
}

static int heap_open(const char *heap, int *ret)
{
	char path[128];
	int fd;

	/* A name is one entry of HEAP_DIR: never a path, nor "." or ".." (the directory, /dev). */
	if (!heap || !heap[0] || heap[0] == '.' || strchr(heap, '/') || strlen(heap) > 64)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "heap name \"%s\" is empty, too long, starts with '.' or has a '/'",
			       heap ? heap : "(null)");
	snprintf(path, sizeof(path), HEAP_DIR "/%s", heap);
	fd = sb_open(path, O_RDONLY);
	if (fd < 0)
		return open_fail(fd, heap, path);
	*ret = fd;
	return 0;
}

/*
 * The system heap takes pages until it has them all: asked for more than the
 * memory available it wakes the OOM killer (which may pick the caller)
 * rather than fail. Its pages never swap, so MemAvailable is the limit.
 */
static int check_available(const char *heap, size_t len)
{
	static const char *const f[] = { "MemAvailable:" };
	size_t avail = strcmp(heap, "system") ? 0 : sb_meminfo(f, 1);

	if (avail && len > avail)
		return sb_fail(-ENOMEM, SEALBUF_R_HEAP_EXHAUSTED,
			       "dma-heap \"system\" cannot give %zu bytes: %zu are available", len, avail);
	return 0;
}

static int heap_ioctl(int heap_fd, const char *heap, size_t len, int *ret)
{
	struct dma_heap_allocation_data a = { .len = len, .fd_flags = O_RDWR | O_CLOEXEC };

	int r = sb_ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &a);

	if (r == -ENOMEM)
		return sb_fail(r, SEALBUF_R_HEAP_EXHAUSTED,
			       "dma-heap \"%s\" has no %zu bytes left", heap, len);

	if (r < 0)
		return sb_fail_sys(r, "DMA_HEAP_IOCTL_ALLOC");
	*ret = (int)a.fd;
	return 0;
}

SEALBUF_EXPORT int sealbuf_heap_alloc(const char *heap, size_t size, uint32_t flags,
				      int *ret_dmabuf_fd)
{
	size_t len;
	int heap_fd = -1, r = sb_check_flags(flags, 0, "heap flags");

	if (r == 0 && (!size || !ret_dmabuf_fd))
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "size is 0 or ret_dmabuf_fd NULL");
	if (r == 0 && !sb_round_up(size, sb_page_size(), &len))
		r = sb_fail(-EOVERFLOW, SEALBUF_R_SIZE_OVERFLOW,
			    "%zu bytes do not fit when rounded to pages", size);
	if (r == 0)
		r = heap_open(heap, &heap_fd);
	if (r == 0 && (r = check_available(heap, len)) < 0)
		sb_close(heap_fd);
	if (r < 0)
		return r;
	r = heap_ioctl(heap_fd, heap, len, ret_dmabuf_fd);
	sb_close(heap_fd);
	return r;
}
