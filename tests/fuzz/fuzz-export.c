/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: dma-buf export of regions and memfds with any range, flags
 * and name: sealbuf_region_export(), _export_split(), sealbuf_memfd_export()
 * and sealbuf_export_list(_split)(). Each rule sealbuf checks before the
 * kernel is reached on any machine; where /dev/udmabuf exists (the VM tier
 * replays the corpus there: vm-fuzz-export) the ioctls run too. Every fd
 * made is a dma-buf the caller owns, and none may be left behind.
 *
 * Input: a mode byte (bits 0-2 the call, bits 3-4 how the regions were got:
 * created, received read-write, received read-only, received without
 * KEEP_HANDLE; bit 5 NORESERVE; bit 6 reserved kind), a size parameter
 * (fuzz-common.h), an fd kind for memfd exports, then per range (one, or
 * 1-4 for lists): offset and length (2 bytes each, in bytes) and flags (1
 * byte); then a name length (0-40, 255: none) and its bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-common.h"

static const int calls = 5; /* export, export_split, memfd_export, list, list_split */

/* In the VM tier the ioctls must be reached: a guest without udmabuf is a failure. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (getenv("SEALBUF_IN_VM") && access("/dev/udmabuf", F_OK) < 0) {
		fprintf(stderr, "fuzz-export: the VM guest has no /dev/udmabuf\n");
		exit(1);
	}
	return 0;
}

static void close_all(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* A region of @pages pages as the mode byte says it was got; NULL if it cannot be. */
static struct sealbuf_region *get_region(uint8_t mode, uint8_t param)
{
	SEALBUF_OPTS(sealbuf_create_opts, c, .flags = (mode & 32) ? SEALBUF_CREATE_NORESERVE : 0);
	static const uint32_t open_flags[] = { 0, SEALBUF_OPEN_KEEP_HANDLE,
					       SEALBUF_OPEN_KEEP_HANDLE | SEALBUF_OPEN_RDONLY, 0 };
	unsigned how = (mode >> 3) & 3;
	bool reserved = mode & 64;
	size_t size = fz_fd_size(param);
	struct sealbuf_region *r, *got;
	int fd;

	if ((reserved ? sealbuf_region_reserve(size, &c, &r) : sealbuf_region_create(size, &c, &r)) < 0)
		abort();
	if (how == 0)
		return r;
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = open_flags[how],
		     .kind = reserved ? SEALBUF_KIND_RESERVED : 0);
	if (sealbuf_region_share(r, how == 2 ? SEALBUF_SHARE_RDONLY : 0, &fd) < 0 ||
	    sealbuf_region_open(fd, size, &o, &got) < 0)
		abort();
	sealbuf_region_free(r);
	return got;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t mode = fz_u8(&in), param = fz_u8(&in), fdkind = fz_u8(&in);
	int call = (mode & 7) % calls, fds[64], ret, memfd = -1;
	struct sealbuf_region *regions[2] = { NULL, NULL };
	struct sealbuf_export_range ranges[4];
	size_t n = call >= 3 ? fz_u8(&in) % 4 + 1 : 1;
	char name[41];
	uint8_t namelen;
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = NULL);

	fz_leak_begin();
	for (size_t i = 0; i < n; i++) {
		ranges[i] = (struct sealbuf_export_range){
			.offset = fz_u8(&in) | (uint64_t)fz_u8(&in) << 8,
			.length = fz_u8(&in) | (uint64_t)fz_u8(&in) << 8,
		};
		ranges[i].flags = fz_u8(&in) % 4;
	}
	namelen = fz_u8(&in);
	if (namelen != 255) {
		namelen %= sizeof(name);
		for (size_t i = 0; i < namelen; i++)
			name[i] = (char)(fz_u8(&in) | 1); /* no NUL inside */
		name[namelen] = '\0';
		o.name = name;
	}
	if (call == 2) {
		memfd = fz_make_fd(fdkind, param, NULL, 0);
		if (memfd < 0)
			return 0;
	} else {
		regions[0] = get_region(mode, param);
		regions[1] = get_region(mode ^ 64, (uint8_t)(param + 1));
		for (size_t i = 0; i < n; i++)
			ranges[i].region = regions[i % 2];
	}
	if (call < 3) {
		o.offset = ranges[0].offset;
		o.length = ranges[0].length;
		o.flags = ranges[0].flags;
	}
	switch (call) {
	case 0:
		ret = sealbuf_region_export(regions[0], &o, &fds[0]);
		break;
	case 1:
		ret = sealbuf_region_export_split(regions[0], &o, fds, 64);
		break;
	case 2:
		ret = sealbuf_memfd_export(memfd, &o, &fds[0]);
		break;
	case 3:
		ret = sealbuf_export_list(ranges, n, &o, &fds[0]);
		break;
	default:
		ret = sealbuf_export_list_split(ranges, n, &o, fds, 64);
		break;
	}
	fz_check_failure(ret, "export");
	if (ret > 64)
		abort();
	if (ret >= 0)
		close_all(fds, call == 1 || call == 4 ? ret : 1);
	if (memfd >= 0)
		close(memfd);
	sealbuf_region_free(regions[0]);
	sealbuf_region_free(regions[1]);
	fz_leak_check("fuzz-export");
	return 0;
}
