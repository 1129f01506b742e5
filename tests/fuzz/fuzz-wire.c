/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the wire-format decoder on raw message bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sb_wire w;
	uint8_t again[SB_WIRE_LEN];
	int r = sb_wire_decode(data, size, &w);

	fz_check_failure(r, "sb_wire_decode");
	if (r > 0)
		abort(); /* 0 or a negative errno, nothing else */
	if (r < 0)
		return 0;
	/* What decodes re-encodes to the same bytes, and obeys the rules. */
	sb_wire_encode(&w, again);
	if (size != SB_WIRE_LEN || memcmp(again, data, SB_WIRE_LEN) != 0) {
		fprintf(stderr, "decoded message does not re-encode to its bytes\n");
		abort();
	}
	if (w.kind < SEALBUF_KIND_PLAIN || w.kind > SEALBUF_KIND_MIRROR ||
	    (w.flags & ~SB_WIRE_RDONLY) || w.size > w.file_size)
		abort();
	return 0;
}
