/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mirror regions: a header and a copy of caller memory (compiler coverage
 * counters, typically), republished by sealbuf_region_update(). Always
 * prefaulted: first touch of fresh pages runs several times slower than
 * memcpy (kernel.md), and update() must run at memcpy speed.
 */
#include "region.h"

SEALBUF_EXPORT int sealbuf_region_mirror(void *data, size_t size,
					 const struct sealbuf_create_opts *opts,
					 struct sealbuf_region **ret_region)
{
	struct sealbuf_create_opts o;
	struct sealbuf_region *r;
	int ret;

	if (!ret_region)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_region is NULL");
	if (!data && size)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "data is NULL and size %zu", size);
	ret = sb_create_opts_load(opts, &o);
	if (ret < 0)
		return ret;
	o.sz = sizeof(o);
	o.flags |= SEALBUF_CREATE_PREFAULT;
	ret = sb_region_create_kind(SEALBUF_KIND_MIRROR, size, &o, &r);
	if (ret < 0)
		return ret;
	r->mirror_src = data;
	r->mirror_owner = true;
	sb_publish(r, data, size);
	*ret_region = r;
	return 0;
}

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
