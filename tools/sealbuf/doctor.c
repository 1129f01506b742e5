/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf doctor: everything that decides whether sharing with devices works
 * on this machine, each with a verdict and the fix. Facts are probed, never
 * inferred from version numbers (distributions backport). The exit status
 * answers one question: will dma-buf export work? 0 yes, 1 no.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "sysinfo.h"
#include "tool.h"

#ifndef SEALBUF_UDEVRULESDIR
#define SEALBUF_UDEVRULESDIR "/usr/local/lib/udev/rules.d"
#endif
#ifndef SEALBUF_MODULESLOADDIR
#define SEALBUF_MODULESLOADDIR "/usr/local/lib/modules-load.d"
#endif

enum status { ST_OK, ST_INFO, ST_WARN, ST_FAIL, ST_SKIP };

struct check {
	const char *id;
	enum status st;
	char text[512];
	char fix[512];
};

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

#define MAX_CHECKS 48
#define MAX_DEVICES 16

struct device {
	char node[64];
	char driver[64];
	char card[64];
	char note[160];
};

struct doctor {
	struct check c[MAX_CHECKS];
	int n;
	bool export_works;
	char why[512];          /* why export will not work */
	struct sealbuf_udmabuf_diag diag; /* the library's diagnosis of /dev/udmabuf */
	bool udmabuf_module;    /* built as a module (never upstream, but some kernels differ) */
	struct device drm[MAX_DEVICES], v4l2[MAX_DEVICES];
	int ndrm, nv4l2;
};

static const char *const udev_dirs[] = {
	"/etc/udev/rules.d", "/run/udev/rules.d", "/usr/local/lib/udev/rules.d",
	"/usr/lib/udev/rules.d", "/lib/udev/rules.d", SEALBUF_UDEVRULESDIR, NULL
};
static const char *const modload_dirs[] = {
	"/etc/modules-load.d", "/run/modules-load.d", "/usr/local/lib/modules-load.d",
	"/usr/lib/modules-load.d", "/lib/modules-load.d", SEALBUF_MODULESLOADDIR, NULL
};

__attribute__((format(printf, 4, 5)))
static struct check *add(struct doctor *d, const char *id, enum status st, const char *fmt, ...)
{
	struct check *c = &d->c[d->n < MAX_CHECKS - 1 ? d->n++ : d->n];
	va_list ap;

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->st = st;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	return c;
}

__attribute__((format(printf, 2, 3)))
static void fix(struct check *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fix, sizeof(c->fix), fmt, ap);
	va_end(ap);
}

/* The first reason export will not work is the one the verdict gives. */
__attribute__((format(printf, 2, 3)))
static void set_why(struct doctor *d, const char *fmt, ...)
{
	va_list ap;

	if (d->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

/* ---- memfd and seals ---- */

static void check_memfd(struct doctor *d)
{
	struct sealbuf_region *r;
	struct check *c;
	int ret = sealbuf_region_create((size_t)sysconf(_SC_PAGESIZE), NULL, &r);

	if (ret < 0) {
		c = add(d, "memfd", ST_FAIL, "cannot create a sealed region: %s: %s",
			sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
		fix(c, "sealbuf needs memfd_create with MFD_ALLOW_SEALING (CONFIG_MEMFD_CREATE) and "
		       "F_ADD_SEALS; check that no seccomp filter blocks memfd_create");
		set_why(d, "sealed memfds cannot be made here");
		return;
	}
	add(d, "memfd", ST_OK, "sealed memfd regions work (memfd_create, fallocate, F_ADD_SEALS SHRINK|GROW|SEAL, mmap)");
	sealbuf_region_free(r);
}

static void check_noexec(struct doctor *d)
{
	long sysctl = -1;
	int fd = memfd_create("sealbuf-doctor", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	struct check *c;

	sb_read_long("/proc/sys/vm/memfd_noexec", &sysctl);
	if (fd >= 0) {
		close(fd);
		c = add(d, "noexec", ST_OK, "MFD_NOEXEC_SEAL is supported: regions can never be made executable");
	} else {
		c = add(d, "noexec", ST_WARN,
			"MFD_NOEXEC_SEAL is not supported (kernel before 6.3): regions are non-executable by mode only");
		fix(c, "nothing to do for sealbuf; a kernel with MFD_NOEXEC_SEAL adds F_SEAL_EXEC");
	}
	if (sysctl >= 0)
		snprintf(c->text + strlen(c->text), sizeof(c->text) - strlen(c->text),
			 "; vm.memfd_noexec = %ld", sysctl);
}

/* ---- /dev/udmabuf ---- */

/* Why the node is missing: the kernel's configuration (the library cannot read it). */
static const char *missing_why(struct doctor *d, char *src, size_t len)
{
	char mod[512];
	enum kconfig_state k = sysinfo_kconfig("UDMABUF", src, len);

	if (d->diag.flags & SEALBUF_UDMABUF_DIAG_DRIVER)
		return "the kernel has udmabuf (/sys/module/udmabuf) but /dev is not devtmpfs, "
		       "or a container hides the device";
	if (k == KCONFIG_MODULE || sysinfo_find_module("udmabuf", mod, sizeof(mod))) {
		d->udmabuf_module = true;
		return "udmabuf is built as a module that is not loaded";
	}
	if (k == KCONFIG_NOT_SET)
		return "the kernel was built without CONFIG_UDMABUF (\"# CONFIG_UDMABUF is not set\")";
	return k == KCONFIG_YES ? "CONFIG_UDMABUF=y, which contradicts the missing driver"
				: "the kernel lacks CONFIG_UDMABUF or the module is not loaded";
}

static void missing_node(struct doctor *d)
{
	char src[128];
	const char *why = missing_why(d, src, sizeof(src));
	struct check *c = add(d, "udmabuf", ST_FAIL, "/dev/udmabuf is missing: %s (kernel config: %s)",
			      why, src[0] ? src : "not found");

	if (d->udmabuf_module)
		fix(c, "modprobe udmabuf, and install sealbuf's modules-load.d file to load it at boot");
	else
		fix(c, "%s", d->diag.text);
	set_why(d, "/dev/udmabuf is missing: %s", why);
}

static const char *rule_hint(char *buf, size_t len)
{
	char path[512], line[512];

	if (sysinfo_grep_dirs(udev_dirs, ".rules", "udmabuf", path, sizeof(path), line, sizeof(line)))
		snprintf(buf, len, "; the udev rule in %s says: %s", path, line);
	else
		snprintf(buf, len, "; no udev rule mentions udmabuf");
	return buf;
}

static void node_verdict(struct doctor *d)
{
	const struct sealbuf_udmabuf_diag *g = &d->diag;
	char grp[64], groups[512], hint[1200], owner[160];
	struct passwd *pw = getpwuid((uid_t)g->node_uid);
	struct check *c;

	sysinfo_groups((gid_t)g->node_gid, groups, sizeof(groups));
	sysinfo_group_name((gid_t)g->node_gid, grp, sizeof(grp));
	if (pw)
		snprintf(owner, sizeof(owner), "%s:%s %04o", pw->pw_name, grp, g->node_mode);
	else
		snprintf(owner, sizeof(owner), "uid %u:%s %04o", g->node_uid, grp, g->node_mode);
	if (g->flags & SEALBUF_UDMABUF_DIAG_OPENS) {
		add(d, "udmabuf", ST_OK, "/dev/udmabuf is present (%s) and opens read-write for you (uid %u, groups %s)",
		    owner, (unsigned)geteuid(), groups);
		return;
	}
	c = add(d, "udmabuf", ST_FAIL, "/dev/udmabuf (%s) does not open for you (uid %u, groups %s): %s%s",
		owner, (unsigned)geteuid(), groups, strerror(-g->error), rule_hint(hint, sizeof(hint)));
	fix(c, "%s", g->text);
	set_why(d, "/dev/udmabuf does not open for this user: %s", strerror(-g->error));
}

static void check_udmabuf(struct doctor *d)
{
	d->diag.sz = sizeof(d->diag);
	sealbuf_udmabuf_diagnose(&d->diag);
	if (!(d->diag.flags & SEALBUF_UDMABUF_DIAG_NODE)) {
		missing_node(d);
		return;
	}
	if (!(d->diag.flags & SEALBUF_UDMABUF_DIAG_CHRDEV)) {
		struct check *c = add(d, "udmabuf", ST_FAIL, "/dev/udmabuf exists but is not a character device");
		fix(c, "remove it and let devtmpfs/udev create the node");
		set_why(d, "/dev/udmabuf is not a character device");
		return;
	}
	node_verdict(d);
}

/* The proof: turn a sealed one-page region into a dma-buf, as a program would. */
static void check_export(struct doctor *d)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = "sealbuf-doctor");
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct sealbuf_region *r;
	struct check *c;
	int fd, ret;

	if (!(d->diag.flags & SEALBUF_UDMABUF_DIAG_OPENS)) {
		add(d, "export", ST_SKIP, "dma-buf export not tried: /dev/udmabuf is not usable");
		return;
	}
	if (sealbuf_region_create(page, NULL, &r) < 0) {
		add(d, "export", ST_SKIP, "dma-buf export not tried: no region to export");
		return;
	}
	ret = sealbuf_region_export(r, &o, &fd);
	if (ret == 0) {
		close(fd);
		d->export_works = true;
		add(d, "export", ST_OK, "a sealed %zu-byte region became a dma-buf (sealbuf_region_export, UDMABUF_CREATE)",
		    page);
	} else {
		c = add(d, "export", ST_FAIL, "sealbuf_region_export of a sealed region failed: %s: %s",
			sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
		fix(c, "look at the kernel log (dmesg) right after running sealbuf doctor");
		set_why(d, "sealbuf_region_export failed: %s", sealbuf_last_error());
	}
	sealbuf_region_free(r);
}

static void check_limits(struct doctor *d)
{
	const struct sealbuf_udmabuf_diag *g = &d->diag;
	struct check *c;

	if (!(g->flags & SEALBUF_UDMABUF_DIAG_LIMITS)) {
		add(d, "limits", ST_SKIP, "udmabuf limits unknown: /sys/module/udmabuf/parameters is not there");
		return;
	}
	c = add(d, "limits", ST_INFO, "udmabuf size_limit_mb = %u (dma-bufs up to %u MiB; "
		"sealbuf_region_export_split cuts larger regions), list_limit = %u ranges",
		g->size_limit_mb, g->size_limit_mb, g->list_limit);
	fix(c, "to raise it (root): echo 256 > /sys/module/udmabuf/parameters/size_limit_mb, "
	       "or udmabuf.size_limit_mb=256 on the kernel command line");
	if (g->size_limit_mb >= 2048) {
		c = add(d, "limits-overflow", ST_WARN,
			"size_limit_mb = %u: kernels without the CVE-2025-37803 fix overflow at 2048 or more",
			g->size_limit_mb);
		fix(c, "keep size_limit_mb below 2048 unless the kernel has the fix");
	}
}

static void check_groups(struct doctor *d)
{
	char groups[512];

	sysinfo_groups((gid_t)-1, groups, sizeof(groups));
	add(d, "user", ST_INFO, "you are uid %u, groups %s", (unsigned)geteuid(), groups);
}

/* ---- huge pages ---- */

static void check_hugepages(struct doctor *d)
{
	glob_t g;
	char list[512] = "";
	size_t used = 0;
	long total = 0;
	struct check *c;

	if (glob("/sys/kernel/mm/hugepages/hugepages-*kB", 0, NULL, &g) != 0) {
		add(d, "hugepages", ST_INFO, "no huge page sizes offered by this kernel (CONFIG_HUGETLBFS)");
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char p[600];
		long nr = 0, fr = 0;
		snprintf(p, sizeof(p), "%s/nr_hugepages", g.gl_pathv[i]);
		sb_read_long(p, &nr);
		snprintf(p, sizeof(p), "%s/free_hugepages", g.gl_pathv[i]);
		sb_read_long(p, &fr);
		total += nr;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s: %ld reserved, %ld free",
						 i ? "; " : "", strrchr(g.gl_pathv[i], '-') + 1, nr, fr);
	}
	globfree(&g);
	c = add(d, "hugepages", ST_INFO, "huge pages: %s", list);
	if (total == 0)
		fix(c, "none reserved: SEALBUF_CREATE_HUGETLB fails with SEALBUF_R_HUGETLB_NO_PAGES; "
		       "reserve some with echo 64 > /proc/sys/vm/nr_hugepages (root)");
}

/* ---- dma-heaps (sealbuf_heap_alloc, frames) ---- */

static void check_heaps(struct doctor *d)
{
	char names[256];
	struct check *c;
	int n = sealbuf_heap_list(names, sizeof(names));

	if (n <= 0) {
		c = add(d, "heaps", ST_INFO, "no dma-heaps (/dev/dma_heap is empty or missing)");
		fix(c, "frames can still use memfd regions; a heap needs CONFIG_DMABUF_HEAPS_SYSTEM or _CMA");
		return;
	}
	c = add(d, "heaps", access("/dev/dma_heap/system", R_OK) == 0 || n > 1 ? ST_OK : ST_INFO,
		"dma-heaps: %s", names);
	if (access("/dev/dma_heap/system", F_OK) == 0 && access("/dev/dma_heap/system", R_OK) < 0)
		fix(c, "no permission on /dev/dma_heap/system: a udev rule SUBSYSTEM==\"dma_heap\", "
		       "GROUP=\"video\", MODE=\"0660\" and membership of that group allow it");
}

/* ---- DRM and V4L2 devices ---- */

/*
 * Transparent huge pages for shmem: where the kernel's setting allows them,
 * regions of 2 MiB and more and their receivers' mappings ask for them
 * (MADV_HUGEPAGE; docs/performance.md).
 */
static void check_thp(struct doctor *d)
{
	char open[32];
	struct check *c;

	if (sb_read_choice("/sys/kernel/mm/transparent_hugepage/shmem_enabled", open, sizeof(open)) < 0) {
		add(d, "shmem-thp", ST_INFO, "transparent huge pages for shmem: not offered by this kernel");
		return;
	}
	if (!strcmp(open, "advise") || !strcmp(open, "always") || !strcmp(open, "within_size") ||
	    !strcmp(open, "force")) {
		add(d, "shmem-thp", ST_INFO, "transparent huge pages for shmem: %s (regions of 2 MiB and up use them)",
		    open);
		return;
	}
	c = add(d, "shmem-thp", ST_INFO,
		"transparent huge pages for shmem: %s (regions use 4 KiB pages; a receiver maps them one by one)",
		open);
	fix(c, "for faster first touches of large regions: echo advise > "
	       "/sys/kernel/mm/transparent_hugepage/shmem_enabled (root)");
}

static void describe_drm(struct device *dv, const struct sealbuf_drm_info *i)
{
	snprintf(dv->node, sizeof(dv->node), "%s", i->node);
	snprintf(dv->driver, sizeof(dv->driver), "%s", i->driver);
	if (!(i->flags & SEALBUF_DRM_INFO_OPENS))
		snprintf(dv->note, sizeof(dv->note), "cannot open: %s%s", strerror(-i->error),
			 i->error == -EACCES ? " (join group render)" : "");
	else
		snprintf(dv->note, sizeof(dv->note), "PRIME import %s",
			 i->flags & SEALBUF_DRM_INFO_PRIME_IMPORT ? "supported: can take a sealbuf dma-buf"
								  : "NOT supported");
}

static void check_drm(struct doctor *d)
{
	struct sealbuf_drm_info info = { .sz = sizeof(info) };
	char list[1024] = "";
	size_t used = 0;
	int n = sealbuf_drm_query(0, &info);
	struct check *c;

	if (n == -EOPNOTSUPP) {
		add(d, "drm", ST_SKIP, "DRM devices not listed: this sealbuf was built without libdrm");
		return;
	}
	for (int i = 0; i < n && d->ndrm < MAX_DEVICES; i++) {
		struct device *dv = &d->drm[d->ndrm];
		if (i && sealbuf_drm_query((unsigned int)i, &info) < 0)
			break; /* a device went away meanwhile */
		describe_drm(dv, &info);
		d->ndrm++;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s (%s, %s)",
						 i ? "; " : "", dv->node, dv->driver[0] ? dv->driver : "?",
						 dv->note);
	}
	if (d->ndrm == 0) {
		c = add(d, "drm", ST_INFO, "no DRM devices found through libdrm");
		fix(c, "for a test device that imports dma-bufs: modprobe vgem (CONFIG_DRM_VGEM)");
	} else {
		add(d, "drm", ST_OK, "DRM devices: %s", list);
	}
}

static void describe_v4l2(struct device *dv, const char *name)
{
	struct v4l2_capability cap = { 0 };
	char path[300];
	int fd;

	snprintf(dv->node, sizeof(dv->node), "/dev/%s", name);
	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name", name);
	sb_read_line(path, dv->card, sizeof(dv->card));
	fd = open(dv->node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(dv->note, sizeof(dv->note), "cannot open: %s%s", strerror(errno),
			 errno == EACCES ? " (join group video)" : "");
		return;
	}
	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0) {
		uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
		snprintf(dv->driver, sizeof(dv->driver), "%s", (const char *)cap.driver);
		snprintf(dv->note, sizeof(dv->note), "%s%s%s",
			 caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE) ? "capture " : "",
			 caps & (V4L2_CAP_VIDEO_OUTPUT | V4L2_CAP_VIDEO_OUTPUT_MPLANE) ? "output " : "",
			 caps & V4L2_CAP_STREAMING ? "streaming (V4L2_MEMORY_DMABUF possible)" : "no streaming");
	}
	close(fd);
}

static void check_v4l2(struct doctor *d)
{
	glob_t g;
	char list[1024] = "";
	size_t used = 0;
	struct check *c;

	if (glob("/sys/class/video4linux/*", 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && d->nv4l2 < MAX_DEVICES; i++) {
			struct device *dv = &d->v4l2[d->nv4l2++];
			describe_v4l2(dv, strrchr(g.gl_pathv[i], '/') + 1);
			if (used < sizeof(list))
				used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s \"%s\" (%s, %s)",
							 i ? "; " : "", dv->node, dv->card,
							 dv->driver[0] ? dv->driver : "?", dv->note);
		}
		globfree(&g);
	}
	if (d->nv4l2 == 0) {
		c = add(d, "v4l2", ST_INFO, "no V4L2 devices in /sys/class/video4linux");
		fix(c, "for a virtual capture device: modprobe vivid (CONFIG_VIDEO_VIVID)");
	} else {
		add(d, "v4l2", ST_OK, "V4L2 devices: %s", list);
	}
}

/* ---- sealbuf's own files ---- */

static void check_installed(struct doctor *d)
{
	char found[1024], path[512], line[512];
	struct check *c;

	if (sysinfo_find_files(udev_dirs, "sealbuf", ".rules", found, sizeof(found))) {
		add(d, "udev-rule", ST_OK, "sealbuf's udev rule is installed: %s", found);
	} else {
		c = add(d, "udev-rule", geteuid() == 0 ? ST_INFO : ST_WARN,
			"sealbuf's udev rule is not installed (no *sealbuf*.rules in the udev rules directories)");
		fix(c, "meson install puts it in %s; then udevadm control --reload && udevadm trigger",
		    SEALBUF_UDEVRULESDIR);
		if (sysinfo_grep_dirs(udev_dirs, ".rules", "udmabuf", path, sizeof(path), line, sizeof(line)))
			snprintf(c->text + strlen(c->text), sizeof(c->text) - strlen(c->text),
				 "; %s has: %s", path, line);
	}
	if (sysinfo_find_files(modload_dirs, "sealbuf", ".conf", found, sizeof(found))) {
		add(d, "modules-load", ST_OK, "sealbuf's modules-load.d file is installed: %s", found);
	} else {
		c = add(d, "modules-load", d->udmabuf_module ? ST_WARN : ST_INFO,
			"sealbuf's modules-load.d file is not installed%s",
			d->udmabuf_module ? "" : " (it matters only where udmabuf is a module)");
		fix(c, "meson install puts it in %s, so udmabuf loads at boot where it is a module",
		    SEALBUF_MODULESLOADDIR);
	}
}

/* ---- kernel behaviours worth knowing ---- */

static void check_behaviours(struct doctor *d)
{
	long maps = 0;
	struct check *c;

	add(d, "note-seals", ST_INFO,
	    "udmabuf refuses memfds sealed WRITE or FUTURE_WRITE: a read-only frozen region can never become a dma-buf; "
	    "sealbuf seals SHRINK|GROW|SEAL only");
	add(d, "note-pinning", ST_INFO,
	    "since Linux 6.11 creating a dma-buf pins every page of the range: export at set-up time, not in a hot path");
	add(d, "note-memory", ST_INFO,
	    "memfds are not limited by /dev/shm's size: sealbuf reserves their memory with fallocate at creation "
	    "so a full machine fails there, not later with SIGBUS");
	if (sb_read_long("/proc/sys/vm/max_map_count", &maps) == 0) {
		c = add(d, "note-maps", ST_INFO, "vm.max_map_count = %ld: each mapped region is one mapping", maps);
		if (maps < 65530)
			fix(c, "raise it for many regions: sysctl vm.max_map_count=262144");
	}
	if (access("/.dockerenv", F_OK) == 0 || access("/run/.containerenv", F_OK) == 0)
		add(d, "note-container", ST_INFO,
		    "probably running in a container (%s exists): devices such as /dev/udmabuf and "
		    "/dev/dri must be passed in", access("/.dockerenv", F_OK) == 0 ? "/.dockerenv"
										: "/run/.containerenv");
}

/* ---- output ---- */

/* ---- RDMA (rdma.c) ---- */

static void check_rdma(struct doctor *d)
{
	static const enum status st[] = { [TOOL_RDMA_OK] = ST_OK, [TOOL_RDMA_INFO] = ST_INFO,
					  [TOOL_RDMA_WARN] = ST_WARN };
	struct tool_rdma_check rc[4];
	int n = tool_rdma_doctor(rc, 4);

	for (int i = 0; i < n; i++) {
		struct check *c = add(d, rc[i].id, st[rc[i].level], "%s", rc[i].text);
		if (rc[i].fix[0])
			fix(c, "%s", rc[i].fix);
	}
}

static const char *st_name(enum status s)
{
	static const char *const n[] = { "ok", "info", "warn", "fail", "skip" };

	return n[s];
}

static void print_text(const struct doctor *d, const struct utsname *u)
{
	printf("sealbuf doctor: Linux %s on %s\n\n", u->release, u->machine);
	for (int i = 0; i < d->n; i++) {
		const struct check *c = &d->c[i];
		printf("%-5s %-16s %s\n", c->st == ST_FAIL ? "FAIL" : st_name(c->st), c->id, c->text);
		if (c->fix[0] && c->st != ST_OK)
			printf("%-5s %-16s fix: %s\n", "", "", c->fix);
	}
	if (d->export_works)
		printf("\ndma-buf export: works\n");
	else
		printf("\ndma-buf export: will NOT work: %s\n", d->why);
}

static void json_devices(struct json *j, const char *key, const struct device *dv, int n)
{
	json_begin_arr(j, key);
	for (int i = 0; i < n; i++) {
		json_begin_obj(j, NULL);
		json_str(j, "node", dv[i].node);
		json_str(j, "driver", dv[i].driver);
		json_str(j, "name", dv[i].card);
		json_str(j, "note", dv[i].note);
		json_end_obj(j);
	}
	json_end_arr(j);
}

static void print_json(const struct doctor *d, const struct utsname *u)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_obj(&j, NULL);
	json_str(&j, "kernel", u->release);
	json_str(&j, "machine", u->machine);
	json_bool(&j, "dmabuf_export", d->export_works);
	json_str(&j, "reason", d->export_works ? NULL : d->why);
	json_begin_obj(&j, "udmabuf");
	json_bool(&j, "driver", d->diag.flags & SEALBUF_UDMABUF_DIAG_DRIVER);
	json_bool(&j, "node", d->diag.flags & SEALBUF_UDMABUF_DIAG_NODE);
	json_bool(&j, "usable", d->diag.flags & SEALBUF_UDMABUF_DIAG_OPENS);
	if (d->diag.flags & SEALBUF_UDMABUF_DIAG_LIMITS) {
		json_uint(&j, "size_limit_mb", d->diag.size_limit_mb);
		json_uint(&j, "list_limit", d->diag.list_limit);
	} else {
		json_null(&j, "size_limit_mb");
		json_null(&j, "list_limit");
	}
	json_end_obj(&j);
	json_devices(&j, "drm", d->drm, d->ndrm);
	json_devices(&j, "v4l2", d->v4l2, d->nv4l2);
	json_begin_arr(&j, "checks");
	for (int i = 0; i < d->n; i++) {
		json_begin_obj(&j, NULL);
		json_str(&j, "id", d->c[i].id);
		json_str(&j, "status", st_name(d->c[i].st));
		json_str(&j, "text", d->c[i].text);
		json_str(&j, "fix", d->c[i].fix[0] ? d->c[i].fix : NULL);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_done(&j);
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 }
	};
	struct doctor *d = calloc(1, sizeof(*d));
	struct utsname u;
	bool json = false;
	int opt, ret;

	if (!d)
		return tool_error(SBX_SIZE, "out of memory");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'j') {
			free(d);
			return tool_usage_error("unknown option '%s'", argv[optind - 1]);
		}
		json = true;
	}
	if (optind < argc) {
		free(d);
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	}
	uname(&u);
	check_memfd(d);
	check_noexec(d);
	check_udmabuf(d);
	check_export(d);
	check_limits(d);
	check_groups(d);
	check_hugepages(d);
	check_thp(d);
	check_heaps(d);
	check_drm(d);
	check_v4l2(d);
	check_installed(d);
	check_behaviours(d);
	check_rdma(d);
	if (json)
		print_json(d, &u);
	else
		print_text(d, &u);
	ret = d->export_works ? SBX_OK : SBX_NO;
	free(d);
	return ret;
}
