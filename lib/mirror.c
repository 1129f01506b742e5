/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mirror regions: a header and a copy of caller memory (compiler coverage
 * counters, typically), republished by sealbuf_region_update(). create.c
 * makes them (sealbuf_region_mirror); only that process may update or clear.
 */
#include "region.h"

static int check_owner(const struct sealbuf_region *r, const char *what)
{
	if (!r)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "%s: region is NULL", what);
	if (r->kind != SEALBUF_KIND_MIRROR)
		return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "%s needs a mirror region (sealbuf_region_mirror)", what);
	if (!r->mirror_owner)
		return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "%s: this mirror region was received, not created here: it mirrors no memory of this process",
			       what);
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_update(struct sealbuf_region *r)
{
	int ret = check_owner(r, "sealbuf_region_update");

	if (ret < 0)
		return ret;
	if (!r->writable) /* frozen: its mapping is read-only now */
		return sb_fail_read_only(r->fd, "sealbuf_region_update", "the mapping is read-only");
	sb_publish(r, r->mirror_src, r->capacity);
	return 0;
}

SEALBUF_EXPORT int sealbuf_region_clear(struct sealbuf_region *r)
{
	int ret = check_owner(r, "sealbuf_region_clear");

	if (ret == 0 && r->capacity)
		memset(r->mirror_src, 0, r->capacity);
	return ret;
}
