/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device half of the main job (tools/demo runs it, natively or in the VM):
 * a region becomes a dma-buf, a DRM device (vgem) imports it, a V4L2 capture
 * device (vivid) writes a camera frame straight into the region's pages, and
 * a broken rule is answered with the rule's name and the fix. Then a frame
 * (docs/frames.md) reaches a consumer process, which hands its planes to vgem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <drm_fourcc.h>

#include "sealbuf.h"
#include "vcap.h"

static int fail(const char *what)
{
	fprintf(stderr, "demo-device: %s failed: %s (%s)\n", what, sealbuf_last_error(),
		sealbuf_reason_name(sealbuf_last_reason()));
	return 1;
}

static void show_udmabuf(void)
{
	struct sealbuf_udmabuf_info l = { .sz = sizeof(l) };

	sealbuf_udmabuf_query(&l);
	printf("udmabuf: /dev/udmabuf present, size_limit_mb=%u, list_limit=%u\n",
	       l.size_limit_mb, l.list_limit);
}

/* The dma-buf and the region are one memory: write on one side, read on the other. */
static int show_export(struct sealbuf_region *r, int fd)
{
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	size_t len = sealbuf_region_mapped_size(r);
	char *m;

	sealbuf_dmabuf_query(fd, &i);
	printf("export:  region \"%s\" (%zu bytes) -> dma-buf fd %d: exporter %s, %llu bytes, inode %llu\n",
	       i.name, sealbuf_region_size(r), fd, i.exporter, (unsigned long long)i.size,
	       (unsigned long long)i.inode);
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return fail("mmap of the dma-buf");
	strcpy(sealbuf_region_data(r), "written through the region");
	sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_RW);
	printf("         the dma-buf's mmap reads \"%s\"\n", m);
	strcpy(m, "written through the dma-buf");
	sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_RW);
	printf("         the region reads \"%s\"\n", (char *)sealbuf_region_data(r));
	munmap(m, len);
	return 0;
}

static void show_vgem(int fd)
{
	uint32_t h;
	int drm;

	if (sealbuf_drm_open("vgem", 0, &drm) < 0) {
		printf("vgem:    not here (%s)\n", sealbuf_last_error());
		return;
	}
	if (sealbuf_drm_import(drm, fd, &h) < 0) {
		fail("vgem import");
	} else {
		printf("vgem:    imported by DRM PRIME as GEM handle %u, released\n", h);
		sealbuf_drm_release(drm, h);
	}
	close(drm);
}

/* vivid writes the frame into the dma-buf; we read it through the region. */
static int show_vivid(struct vcap *v, struct sealbuf_region *r, int fd)
{
	const unsigned char *d = sealbuf_region_data(r);
	uint32_t used = 0;
	size_t changed = 0;
	char why[256];

	memset(sealbuf_region_data(r), 0, sealbuf_region_capacity(r));
	if (vcap_capture(v, fd, sealbuf_region_mapped_size(r), 20000, &used, why, sizeof(why)) < 0) {
		printf("vivid:   capture failed: %s\n", why);
		return 1;
	}
	sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_READ);
	for (size_t i = 0; i < used; i++)
		changed += d[i] != 0;
	printf("vivid:   \"%s\" captured a %ux%u YUYV frame into the dma-buf (V4L2_MEMORY_DMABUF):\n"
	       "         %zu of its %u bytes are now in the region's own mapping, no copy "
	       "(first pixels %02x %02x %02x %02x)\n",
	       v->card, v->width, v->height, changed, used, d[0], d[1], d[2], d[3]);
	sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_READ);
	return changed == used ? 0 : 1;
}

/* What a caller is told when a rule is broken. */
static void show_diagnosis(struct sealbuf_region *r)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = 100);
	struct sealbuf_region *big;
	struct sealbuf_udmabuf_info l = { .sz = sizeof(l) };
	int fd;

	if (sealbuf_region_export(r, &o, &fd) < 0)
		printf("rules:   offset 100 -> %s: %s\n", sealbuf_reason_name(sealbuf_last_reason()),
		       sealbuf_last_error());
	sealbuf_udmabuf_query(&l);
	SEALBUF_OPTS(sealbuf_create_opts, c, .flags = SEALBUF_CREATE_NORESERVE);
	if (sealbuf_region_create(l.size_limit + 4096, &c, &big) < 0)
		return;
	if (sealbuf_region_export(big, NULL, &fd) < 0)
		printf("rules:   one page over the limit -> %s: %s\n",
		       sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
	printf("         sealbuf_region_export_split() makes %d dma-bufs of it instead\n",
	       sealbuf_region_export_split(big, NULL, NULL, 0));
	sealbuf_region_free(big);
}

/* The consumer: receive the frame (validated, all or nothing) and give each buffer to vgem. */
static int frame_consumer(int sock)
{
	struct sealbuf_buffer_info info = { .sz = sizeof(info) };
	const struct sealbuf_frame_desc *d;
	struct sealbuf_frame *f;
	int drm = -1, imported = 0;

	if (sealbuf_frame_recv(sock, NULL, &f) < 0)
		return fail("sealbuf_frame_recv");
	d = sealbuf_frame_desc(f);
	sealbuf_frame_buffer_info(f, 0, &info);
	printf("frame:   the consumer received %.4s %ux%u, %u planes in %u buffers (%s), "
	       "strides %u/%u; first luma byte %02x\n", (const char *)&d->fourcc, d->width, d->height,
	       d->nplanes, d->nbuffers, info.exporter[0] ? info.exporter : "regions",
	       d->planes[0].stride, d->planes[1].stride, *(uint8_t *)sealbuf_frame_plane(f, 0));
	if (sealbuf_drm_open("vgem", 0, &drm) == 0) {
		for (uint32_t i = 0; i < d->nbuffers; i++) {
			uint32_t h;
			int fd = -1;
			if (sealbuf_frame_export(f, i, &fd) == 0 && sealbuf_drm_import(drm, fd, &h) == 0) {
				imported++;
				sealbuf_drm_release(drm, h);
			}
			if (fd >= 0)
				close(fd);
		}
		printf("         and vgem imported %d of its %u dma-bufs (PRIME)\n", imported, d->nbuffers);
		close(drm);
	}
	sealbuf_frame_free(f);
	return 0;
}

/* A two-plane NV12 frame, from the system dma-heap where there is one, to another process. */
static int show_frame(void)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .flags = SEALBUF_LAYOUT_BUFFER_PER_PLANE);
	SEALBUF_OPTS(sealbuf_frame_opts, fo, .heap = access("/dev/dma_heap/system", F_OK) ? NULL : "system");
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f;
	int sv[2], status;
	pid_t pid;

	if (sealbuf_frame_layout(DRM_FORMAT_NV12, 640, 360, &lo, &d, NULL) < 0 ||
	    sealbuf_frame_create(&d, &fo, &f) < 0)
		return fail("sealbuf_frame_create");
	memset(sealbuf_frame_plane(f, 0), 0x51, (size_t)d.planes[0].stride * d.height);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return fail("socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		_exit(frame_consumer(sv[1]));
	}
	close(sv[1]);
	if (sealbuf_frame_send(sv[0], f, 0) < 0)
		return fail("sealbuf_frame_send");
	waitpid(pid, &status, 0);
	close(sv[0]);
	sealbuf_frame_free(f);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(void)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "demo-frame", .flags = SEALBUF_CREATE_PREFAULT);
	struct sealbuf_region *r;
	struct vcap v;
	char why[256];
	bool vivid;
	int fd, ret = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sealbuf_udmabuf_check() < 0)
		return fail("opening /dev/udmabuf");
	show_udmabuf();
	vivid = vcap_open(&v, "vivid", 640, 360, why, sizeof(why)) == 0;
	if (sealbuf_region_create(vivid ? v.sizeimage : 1u << 20, &o, &r) < 0)
		return fail("sealbuf_region_create");
	if (sealbuf_region_export(r, NULL, &fd) < 0)
		return fail("sealbuf_region_export");
	ret |= show_export(r, fd);
	show_vgem(fd);
	if (vivid)
		ret |= show_vivid(&v, r, fd);
	else
		printf("vivid:   not here (%s)\n", why);
	show_diagnosis(r);
	ret |= show_frame();
	close(fd);
	sealbuf_region_free(r);
	vcap_close(&v);
	return ret;
}
