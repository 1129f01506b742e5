/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: sealbuf_region_open() on a peer's fd: any kind of fd
 * (fuzz-common.h), any declared size, kind and flags, and any content,
 * which for reserved and mirror regions is the header a peer wrote.
 *
 * Input: fd kind, size parameter, flags byte (bits 0-1 open flags, bits 2-4
 * region kind 0-7), declared size (8 bytes, little-endian; when bit 5 of
 * the flags byte is set, the fd's own size plus this value mod 8192 instead),
 * then the fd's content.
 */
#include <stdlib.h>
#include <unistd.h>

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t kind = fz_u8(&in), param = fz_u8(&in), fl = fz_u8(&in);
	uint64_t declared = fz_u64(&in);
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = fl & 3, .kind = (fl >> 2) & 7);
	struct sealbuf_region *r = (void *)0x1;
	int fd, ret;

	if (fl & 32)
		declared = fz_fd_size(param) + declared % 8192;
	fz_leak_begin();
	fd = fz_make_fd(kind, param, in.p, in.left);
	if (fd < 0)
		return 0;
	ret = sealbuf_region_open(fd, (size_t)declared, &o, &r);
	fz_check_failure(ret, "sealbuf_region_open");
	if (ret < 0 && r != (void *)0x1)
		abort();
	if (ret == 0) {
		if (sealbuf_region_size(r) > sealbuf_region_capacity(r) ||
		    sealbuf_region_capacity(r) > sealbuf_region_mapped_size(r))
			abort();
		fz_touch_region(r);
		sealbuf_region_free(r);
	}
	fz_leak_check("fuzz-open");
	return 0;
}
