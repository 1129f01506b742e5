/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the version 2 (frame) decoder and the plane rules on raw message bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_wire_frame f;
	uint8_t again[SB_MSG_MAX];
	uint64_t sizes[SEALBUF_FRAME_MAX_BUFFERS];
	int r = sb_frame_wire_decode(data, size, &f);

	fz_check_failure(r, "sb_frame_wire_decode");
	if (r > 0)
		abort(); /* 0 or a negative errno, nothing else */
	if (r < 0)
		return 0;
	/* What decodes re-encodes to the same bytes, and its planes fit their buffers. */
	if (sb_frame_wire_encode(&f, again) != size || memcmp(again, data, size) != 0) {
		fprintf(stderr, "decoded frame does not re-encode to its bytes\n");
		abort();
	}
	for (uint32_t i = 0; i < f.desc.nbuffers; i++)
		sizes[i] = f.buffers[i].size;
	if (sb_frame_check(&f.desc, sizes, -EBADMSG) != 0)
		abort();
	for (uint32_t i = 0; i < f.desc.nbuffers; i++)
		if (sb_frame_buffer_need(&f.desc, i) == 0)
			abort(); /* every buffer holds a plane */
	return 0;
}
