/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Freezing a region (Mozilla's Freeze, Chromium's ConvertToReadOnly): the
 * creator fills it, then makes it read-only for every holder, for good, with
 * F_SEAL_WRITE|F_SEAL_SEAL. The kernel refuses F_SEAL_WRITE while any
 * writable shared mapping of the memfd exists, its own included, so this
 * process first replaces its mapping, in place, by one from a read-only
 * open (a mapping of a read-only file never counts as writable).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>

#include "region.h"

static int check_freezable(const struct sealbuf_region *r, int *ret_seals)
{
	int fl;

	if (!r)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "region is NULL");
	if (r->fd < 0)
		return sb_fail(-EBADF, SEALBUF_R_NO_HANDLE,
			       "the region was opened without SEALBUF_OPEN_KEEP_HANDLE: it has no handle to seal");
	if (r->writing)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "an update is open: end it with sealbuf_region_write_end() before freezing");
	*ret_seals = sb_get_seals(r->fd);
	if (*ret_seals < 0 || (*ret_seals & F_SEAL_WRITE))
		return *ret_seals < 0 ? *ret_seals : 0;
	fl = sb_fcntl(r->fd, F_GETFL, 0);
	if (fl < 0)
		return sb_fail_sys(fl, "fcntl(F_GETFL)");
	if ((fl & O_ACCMODE) == O_RDONLY)
		return sb_fail(-EROFS, SEALBUF_R_READ_ONLY,
			       "the region's handle is read-only here: only a holder of a writable handle can freeze it");
	return 0;
}

/* Map the region again in place, from @fd, with @prot. */
static int remap(struct sealbuf_region *r, int fd, int prot)
{
	void *p;
	int ret;

	if (!r->map)
		return 0;
	ret = sb_mmap_at(r->map, r->map_size, prot, fd, 0, &p);
	return ret < 0 ? sb_fail_sys(ret, "mmap(MAP_FIXED)") : 0;
}

/*
 * F_SEAL_WRITE refused: someone else still maps it writable (or pins its
 * pages). Give this process its writable mapping back when the kernel lets
 * it; after a read-only share (F_SEAL_FUTURE_WRITE) it does not.
 */
static int busy(struct sealbuf_region *r)
{
	bool restored = remap(r, r->fd, PROT_READ | PROT_WRITE) == 0;

	r->writable = restored;
	return sb_fail(-EBUSY, SEALBUF_R_WRITABLE_MAPPING,
		       "cannot freeze: another writable mapping of the region remains (a peer that received it "
		       "read-write still maps it), or a dma-buf pins its pages; %s",
		       restored ? "this process's mapping is writable again"
				: "this process's mapping stays read-only (the region was shared read-only, so no "
				  "writable mapping can be made again): freeze again once the peer has unmapped");
}

static int seal_write(struct sealbuf_region *r)
{
	int ret;

	sb_note_write_seal();
	ret = sb_fcntl(r->fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL);

	if (ret == -EBUSY)
		return busy(r);
	if (ret < 0 && remap(r, r->fd, PROT_READ | PROT_WRITE) < 0)
		r->writable = false;
	if (ret == -EPERM)
		return sb_fail(-EPERM, SEALBUF_R_SEALS_EXTRA,
			       "cannot freeze: the memfd is sealed F_SEAL_SEAL without F_SEAL_WRITE (made elsewhere)");
	return ret < 0 ? sb_fail_sys(ret, "fcntl(F_ADD_SEALS, F_SEAL_WRITE)") : 0;
}

SEALBUF_EXPORT int sealbuf_region_freeze(struct sealbuf_region *r)
{
	int seals = 0, ro, ret = check_freezable(r, &seals);

	if (ret < 0 || (seals & F_SEAL_WRITE))
		return ret; /* frozen already: no writable mapping can exist */
	ro = sb_reopen_rdonly(r->fd);
	if (ro < 0)
		return ro;
	ret = remap(r, ro, PROT_READ);
	if (ret == 0)
		ret = seal_write(r);
	if (ret < 0) {
		sb_close(ro);
		return ret;
	}
	/* Nothing writable stays: the mapping and the handle are both read-only now. */
	sb_close(r->fd);
	r->fd = ro;
	r->writable = false;
	return 0;
}
