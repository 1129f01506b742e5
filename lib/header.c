/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reserved-region header: placeholder until the header format lands. */
#include "internal.h"

int sb_header_init(struct sealbuf_region *r, size_t capacity, size_t page)
{
	(void)r; (void)capacity; (void)page;
	return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED, "reserved regions are not built yet");
}

int sb_header_attach(struct sealbuf_region *r, size_t capacity, size_t page)
{
	(void)r; (void)capacity; (void)page;
	return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED, "reserved regions are not built yet");
}
