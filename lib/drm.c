/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DRM devices through libdrm: find one by driver name, import a dma-buf into
 * it (PRIME) and give the handle back. Without libdrm the functions stay, and
 * say so.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "dmabuf.h"
#include "internal.h"

#ifdef SEALBUF_HAVE_LIBDRM
#include <xf86drm.h>

#define MAX_DEVICES 64
#define DRM_MAJOR_NUM 226

/* What the search saw, for the failure text. */
struct search {
	char found[192];      /* "i915 vgem" */
	char denied[64];      /* a node we could not open, or "" */
	gid_t denied_gid;
};

static void note_found(struct search *s, const char *name)
{
	size_t n = strlen(s->found);

	snprintf(s->found + n, sizeof(s->found) - n, "%s%s", n ? " " : "", name);
}

/* Open @path and keep it when its driver is @driver; -1 otherwise. */
static int try_node(const char *path, const char *driver, struct search *s)
{
	drmVersionPtr v;
	struct stat st;
	bool match;
	int fd = sb_open(path, O_RDWR);

	if (fd == -EACCES || fd == -EPERM) {
		snprintf(s->denied, sizeof(s->denied), "%s", path);
		s->denied_gid = stat(path, &st) == 0 ? st.st_gid : 0;
	}
	if (fd < 0)
		return -1;
	v = drmGetVersion(fd);
	match = v && v->name && !strcmp(v->name, driver);
	if (v && v->name)
		note_found(s, v->name);
	drmFreeVersion(v);
	if (!match)
		sb_close(fd);
	return match ? fd : -1;
}

/* The node to open: render unless asked for primary or there is none. */
static const char *pick_node(const drmDevice *d, uint32_t flags)
{
	if (!(flags & SEALBUF_DRM_PRIMARY) && (d->available_nodes & (1 << DRM_NODE_RENDER)))
		return d->nodes[DRM_NODE_RENDER];
	if (d->available_nodes & (1 << DRM_NODE_PRIMARY))
		return d->nodes[DRM_NODE_PRIMARY];
	return NULL;
}

static int fail_not_found(const char *driver, int ndev, const struct search *s)
{
	struct group gr, *res = NULL;
	char buf[1024];

	if (s->denied[0] && s->denied_gid == 0)
		return sb_fail(-EACCES, SEALBUF_R_DEVICE_DENIED,
			       "no %s device found; permission denied on %s (group root): no udev rule grants it "
			       "(systemd's give render nodes to group render, card nodes to video, and the seat user an ACL)",
			       driver, s->denied);
	if (s->denied[0]) {
		getgrgid_r(s->denied_gid, &gr, buf, sizeof(buf), &res);
		return sb_fail(-EACCES, SEALBUF_R_DEVICE_DENIED,
			       "no %s device found; permission denied on %s (group %s): add the user to group %s "
			       "or log in at the seat (uaccess)", driver, s->denied,
			       res ? res->gr_name : "?", res ? res->gr_name : "?");
	}
	if (ndev <= 0)
		return sb_fail(-ENODEV, SEALBUF_R_NO_DEVICE,
			       "no DRM devices at all (/dev/dri is empty); for a virtual one: modprobe vgem");
	return sb_fail(-ENODEV, SEALBUF_R_NO_DEVICE,
		       "no DRM device with driver %s; found: %s (is its module loaded? modprobe %s)",
		       driver, s->found[0] ? s->found : "none that could be opened", driver);
}

SEALBUF_EXPORT int sealbuf_drm_open(const char *driver, uint32_t flags, int *ret_fd)
{
	drmDevicePtr devs[MAX_DEVICES];
	struct search s;
	int n, fd = -1, r;

	if (!driver || !ret_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "driver or ret_fd is NULL");
	r = sb_check_flags(flags, SEALBUF_DRM_PRIMARY, "DRM open flags");
	if (r < 0)
		return r;
	memset(&s, 0, sizeof(s));
	/* It returns how many it found, which may be more than it stored. */
	n = drmGetDevices2(0, devs, MAX_DEVICES);
	if (n > MAX_DEVICES)
		n = MAX_DEVICES;
	for (int i = 0; i < n && fd < 0; i++) {
		const char *node = pick_node(devs[i], flags);

		if (node)
			fd = try_node(node, driver, &s);
	}
	if (n > 0)
		drmFreeDevices(devs, n);
	if (fd < 0)
		return fail_not_found(driver, n, &s);
	*ret_fd = fd;
	return 0;
}

static int check_drm_fd(int fd)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return sb_fail(-EBADF, SEALBUF_R_INVALID_ARGUMENT, "fd %d is not open", fd);
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != DRM_MAJOR_NUM)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "fd %d is not a DRM device (character major %d)", fd, DRM_MAJOR_NUM);
	return 0;
}

SEALBUF_EXPORT int sealbuf_drm_import(int drm_fd, int dmabuf_fd, uint32_t *ret_handle)
{
	uint32_t handle;
	int r;

	if (!ret_handle)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_handle is NULL");
	r = check_drm_fd(drm_fd);
	if (r == 0)
		r = sb_dmabuf_check(dmabuf_fd);
	if (r < 0)
		return r;
	if (drmPrimeFDToHandle(drm_fd, dmabuf_fd, &handle) < 0) {
		r = -errno;
		if (r == -EOPNOTSUPP || r == -ENOSYS || r == -ENOTTY || r == -ENODEV)
			return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
				       "this DRM driver cannot import dma-bufs (PRIME import: %s)",
				       strerror(-r));
		return sb_fail_sys(r, "drmPrimeFDToHandle");
	}
	*ret_handle = handle;
	return 0;
}

SEALBUF_EXPORT int sealbuf_drm_release(int drm_fd, uint32_t handle)
{
	int r = check_drm_fd(drm_fd);

	if (r < 0)
		return r;
	/* DRM_IOCTL_GEM_CLOSE directly: drmCloseBufferHandle() needs libdrm 2.4.109. */
	if (drmIoctl(drm_fd, DRM_IOCTL_GEM_CLOSE, &(struct drm_gem_close){ .handle = handle }) < 0) {
		r = -errno;
		if (r == -EINVAL)
			return sb_fail(r, SEALBUF_R_INVALID_ARGUMENT,
				       "GEM handle %u is not open on DRM fd %d", handle, drm_fd);
		return sb_fail_sys(r, "DRM_IOCTL_GEM_CLOSE");
	}
	return 0;
}

#else /* !SEALBUF_HAVE_LIBDRM */

static int no_libdrm(void)
{
	return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
		       "sealbuf was built without libdrm (-Dlibdrm=disabled): no DRM device support");
}

SEALBUF_EXPORT int sealbuf_drm_open(const char *driver, uint32_t flags, int *ret_fd)
{
	return no_libdrm();
}

SEALBUF_EXPORT int sealbuf_drm_import(int drm_fd, int dmabuf_fd, uint32_t *ret_handle)
{
	return no_libdrm();
}

SEALBUF_EXPORT int sealbuf_drm_release(int drm_fd, uint32_t handle)
{
	return no_libdrm();
}

#endif
