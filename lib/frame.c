/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frames: a description (frame_wire.c checks it) and the buffers its planes
 * live in, regions or dma-bufs. A frame owns its buffers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dmabuf.h"
#include "region.h"
#include "wire.h"

struct frame_buffer {
	uint32_t kind;                 /* enum sealbuf_buffer_kind; 0 = unset */
	struct sealbuf_region *region; /* SEALBUF_BUFFER_REGION */
	int fd;                        /* SEALBUF_BUFFER_DMABUF: the dma-buf */
	uint8_t *map;                  /* its mapping (a dma-buf's own) */
	size_t size;                   /* bytes at map the planes may use */
	bool writable;
	char exporter[SB_FRAME_EXPORTER_LEN];
};

struct sealbuf_frame {
	struct sealbuf_frame_desc desc;
	struct frame_buffer buf[SEALBUF_FRAME_MAX_BUFFERS];
};

SEALBUF_EXPORT int sealbuf_frame_new(const struct sealbuf_frame_desc *desc,
				     struct sealbuf_frame **ret_frame)
{
	struct sealbuf_frame *f;
	int r;

	if (!desc || !ret_frame)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "desc or ret_frame is NULL");
	r = sb_frame_check(desc, NULL, -EINVAL);
	if (r < 0)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	f->desc = *desc;
	for (size_t i = 0; i < SEALBUF_FRAME_MAX_BUFFERS; i++)
		f->buf[i].fd = -1;
	*ret_frame = f;
	return 0;
}

static void buffer_clear(struct frame_buffer *b)
{
	sealbuf_region_free(b->region);
	if (b->kind == SEALBUF_BUFFER_DMABUF && b->map)
		sb_munmap(b->map, b->size);
	if (b->fd >= 0)
		sb_close(b->fd);
	memset(b, 0, sizeof(*b));
	b->fd = -1;
}

SEALBUF_EXPORT void sealbuf_frame_free(struct sealbuf_frame *frame)
{
	if (!frame)
		return;
	for (size_t i = 0; i < SEALBUF_FRAME_MAX_BUFFERS; i++)
		buffer_clear(&frame->buf[i]);
	free(frame);
}

/* Buffer @index may be set, and @size bytes hold its planes. */
static int slot_check(const struct sealbuf_frame *f, uint32_t index, uint64_t size)
{
	uint64_t sizes[SEALBUF_FRAME_MAX_BUFFERS] = { 0 };

	if (!f)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "frame is NULL");
	if (index >= f->desc.nbuffers)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "buffer %u of a frame of %u",
			       index, f->desc.nbuffers);
	if (f->buf[index].kind)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "buffer %u is already set", index);
	/* Only this buffer's planes are measured: the others may still be unset. */
	for (uint32_t i = 0; i < SEALBUF_FRAME_MAX_BUFFERS; i++)
		sizes[i] = i == index ? size : UINT64_MAX;
	return sb_frame_check(&f->desc, sizes, -EINVAL);
}

SEALBUF_EXPORT int sealbuf_frame_set_region(struct sealbuf_frame *frame, uint32_t index,
					    struct sealbuf_region *region)
{
	struct frame_buffer *b;
	int r = region ? 0 : sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "region is NULL");

	if (r == 0 && region->kind != SEALBUF_KIND_PLAIN)
		r = sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			    "frames hold plain regions; this one has a header");
	if (r == 0)
		r = slot_check(frame, index, region->size);
	if (r < 0) {
		sealbuf_region_free(region);
		return r;
	}
	b = &frame->buf[index];
	b->kind = SEALBUF_BUFFER_REGION;
	b->region = region;
	b->map = region->data;
	b->size = region->size;
	b->writable = region->writable;
	return 0;
}

/* Writable when the fd allows it, unless the caller asked for a read-only view. */
static int map_dmabuf(struct frame_buffer *b, int fd, size_t size, bool rdonly)
{
	int mode = sb_fcntl(fd, F_GETFL, 0);
	void *p;
	int r;

	b->writable = !rdonly && mode >= 0 && (mode & O_ACCMODE) == O_RDWR;
	r = sb_mmap(size, PROT_READ | (b->writable ? PROT_WRITE : 0), fd, &p);
	if (r < 0)
		return sb_fail_sys(r, "mmap of the dma-buf");
	b->map = p;
	return 0;
}

static int set_dmabuf(struct sealbuf_frame *frame, uint32_t index, int dmabuf_fd, bool rdonly)
{
	struct sealbuf_dmabuf_info info = { .sz = sizeof(info) };
	struct frame_buffer b = { .kind = SEALBUF_BUFFER_DMABUF, .fd = dmabuf_fd };
	int r = sealbuf_dmabuf_query(dmabuf_fd, &info);

	if (r == 0 && info.size > SIZE_MAX)
		r = sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE, "dma-buf of %llu bytes",
			    (unsigned long long)info.size);
	if (r == 0)
		r = slot_check(frame, index, info.size);
	b.size = (size_t)info.size;
	if (r == 0)
		r = map_dmabuf(&b, dmabuf_fd, b.size, rdonly);
	if (r < 0) {
		if (dmabuf_fd >= 0)
			sb_close(dmabuf_fd);
		return r;
	}
	memcpy(b.exporter, info.exporter, sizeof(b.exporter) - 1);
	frame->buf[index] = b;
	return 0;
}

SEALBUF_EXPORT int sealbuf_frame_set_dmabuf(struct sealbuf_frame *frame, uint32_t index,
					    int dmabuf_fd)
{
	return set_dmabuf(frame, index, dmabuf_fd, false);
}

SEALBUF_EXPORT const struct sealbuf_frame_desc *sealbuf_frame_desc(const struct sealbuf_frame *frame)
{
	return frame ? &frame->desc : NULL;
}

SEALBUF_EXPORT void *sealbuf_frame_plane(const struct sealbuf_frame *frame, uint32_t plane)
{
	const struct frame_buffer *b;

	if (!frame || plane >= frame->desc.nplanes)
		return NULL;
	b = &frame->buf[frame->desc.planes[plane].buffer];
	return b->map ? b->map + frame->desc.planes[plane].offset : NULL;
}

SEALBUF_EXPORT struct sealbuf_region *sealbuf_frame_region(const struct sealbuf_frame *frame,
							   uint32_t index)
{
	if (!frame || index >= SEALBUF_FRAME_MAX_BUFFERS)
		return NULL;
	return frame->buf[index].region;
}

SEALBUF_EXPORT int sealbuf_frame_buffer_info(const struct sealbuf_frame *frame, uint32_t index,
					     struct sealbuf_buffer_info *info)
{
	struct sealbuf_buffer_info i = { .sz = sizeof(i) };
	const struct frame_buffer *b;

	if (!frame || index >= frame->desc.nbuffers)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "no buffer %u", index);
	b = &frame->buf[index];
	i.kind = b->kind;
	i.writable = b->writable;
	i.size = b->size;
	memcpy(i.exporter, b->exporter, sizeof(i.exporter));
	return sb_info_store(info, &i, offsetof(struct sealbuf_buffer_info, size), sizeof(i));
}

SEALBUF_EXPORT int sealbuf_frame_export(const struct sealbuf_frame *frame, uint32_t index,
					int *ret_dmabuf_fd)
{
	const struct frame_buffer *b;
	int fd;

	if (!frame || !ret_dmabuf_fd || index >= frame->desc.nbuffers || !frame->buf[index].kind)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "no frame, no ret_dmabuf_fd, or buffer %u unset", index);
	b = &frame->buf[index];
	if (b->kind == SEALBUF_BUFFER_REGION)
		return sealbuf_region_export(b->region, NULL, ret_dmabuf_fd);
	fd = fcntl(b->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return sb_fail_sys(-errno, "fcntl(F_DUPFD_CLOEXEC)");
	*ret_dmabuf_fd = fd;
	return 0;
}

/* The frame's own dma-buf buffers, or regions made for it. */
static int create_buffer(struct sealbuf_frame *f, uint32_t i, const struct sealbuf_frame_opts *o)
{
	SEALBUF_OPTS(sealbuf_create_opts, co, .name = o->name ? o->name : "sealbuf-frame",
		     .flags = o->flags);
	uint64_t need = sb_frame_buffer_need(&f->desc, i);
	struct sealbuf_region *region;
	int fd, r;

	if (need > SIZE_MAX)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE, "buffer %u needs %llu bytes", i,
			       (unsigned long long)need);
	if (o->heap) {
		r = sealbuf_heap_alloc(o->heap, (size_t)need, 0, &fd);
		return r < 0 ? r : sealbuf_frame_set_dmabuf(f, i, fd);
	}
	r = sealbuf_region_create((size_t)need, &co, &region);
	return r < 0 ? r : sealbuf_frame_set_region(f, i, region);
}

SEALBUF_EXPORT int sealbuf_frame_create(const struct sealbuf_frame_desc *desc,
					const struct sealbuf_frame_opts *opts,
					struct sealbuf_frame **ret_frame)
{
	struct sealbuf_frame_opts o;
	struct sealbuf_frame *f = NULL;
	int r = sb_opts_load(opts, offsetof(struct sealbuf_frame_opts, name), sizeof(o), &o);

	if (r == 0 && o.reserved)
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "frame opts: reserved is not 0");
	if (r == 0)
		r = sealbuf_frame_new(desc, &f);
	for (uint32_t i = 0; r == 0 && i < f->desc.nbuffers; i++)
		r = create_buffer(f, i, &o);
	if (r < 0) {
		sealbuf_frame_free(f);
		return r;
	}
	*ret_frame = f;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Sending and receiving                                                     */
/* ------------------------------------------------------------------------ */

static int describe_buffer(const struct frame_buffer *b, uint32_t i, bool rdonly,
			   struct sb_wire_buffer *w)
{
	if (!b->kind)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "buffer %u is not set", i);
	if (b->kind == SEALBUF_BUFFER_DMABUF && rdonly)
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_NOT_SUPPORTED,
			       "buffer %u is a dma-buf, which cannot be shared read-only", i);
	w->type = b->kind == SEALBUF_BUFFER_REGION ? SB_BUFFER_REGION : SB_BUFFER_DMABUF;
	w->flags = rdonly ? SB_WIRE_RDONLY : 0;
	w->kind = b->region ? SEALBUF_KIND_PLAIN : 0;
	w->size = b->size;
	w->file_size = b->region ? b->region->file_size : b->size;
	memcpy(w->exporter, b->exporter, sizeof(w->exporter));
	return 0;
}

/* The fd to send for buffer @b: the region's or dma-buf's own, or a read-only one (*made). */
static int buffer_fd(const struct frame_buffer *b, uint32_t flags, int *ret, bool *made)
{
	int r;

	*made = false;
	if (b->kind == SEALBUF_BUFFER_DMABUF) {
		*ret = b->fd;
		return 0;
	}
	if (!(flags & SEALBUF_SHARE_RDONLY)) {
		*ret = b->region->fd;
		return sb_share_check(b->region, flags, false);
	}
	r = sb_share_fd(b->region, flags, ret);
	*made = r == 0; /* on failure *ret was never set: nothing to close */
	return r;
}

static void close_made(const int *fds, const bool *made, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (made[i])
			sb_close(fds[i]);
}

SEALBUF_EXPORT int sealbuf_frame_send(int sock, const struct sealbuf_frame *frame, uint32_t flags)
{
	struct sb_wire_frame w = { .desc = { 0 } };
	uint8_t buf[SB_MSG_MAX];
	int fds[SEALBUF_FRAME_MAX_BUFFERS];
	bool made[SEALBUF_FRAME_MAX_BUFFERS] = { false };
	uint32_t n = 0;
	int r = frame ? sb_check_flags(flags, SEALBUF_SHARE_RDONLY, "share flags")
		      : sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "frame is NULL");

	if (r < 0)
		return r;
	w.desc = frame->desc;
	for (; r == 0 && n < frame->desc.nbuffers; n++) {
		r = describe_buffer(&frame->buf[n], n, flags & SEALBUF_SHARE_RDONLY, &w.buffers[n]);
		if (r == 0)
			r = buffer_fd(&frame->buf[n], flags, &fds[n], &made[n]);
	}
	if (r == 0)
		r = sb_send_fds(sock, fds, n, buf, sb_frame_wire_encode(&w, buf));
	close_made(fds, made, n);
	return r;
}

static bool exporter_allowed(const char *const *allowed, const char *name)
{
	if (!allowed)
		return true;
	for (size_t i = 0; allowed[i] && i < 64; i++)
		if (!strcmp(allowed[i], name))
			return true;
	return false;
}

/* A received dma-buf: what its sender declared, from an exporter we allow. */
static int check_dmabuf(int fd, const struct sb_wire_buffer *w, uint32_t i,
			const char *const *allowed)
{
	struct sealbuf_dmabuf_info info = { .sz = sizeof(info) };
	int r = sealbuf_dmabuf_query(fd, &info);

	if (r < 0) {
		char why[256]; /* the last error's own buffer cannot format into itself */

		snprintf(why, sizeof(why), "%s", sealbuf_last_error());
		return sb_fail(r, sealbuf_last_reason(), "buffer %u: %s", i, why);
	}
	if (info.size != w->size)
		return sb_fail(-ERANGE, SEALBUF_R_SIZE_MISMATCH,
			       "buffer %u: the message declares a %llu-byte dma-buf; the fd holds %llu",
			       i, (unsigned long long)w->size, (unsigned long long)info.size);
	if (strcmp(info.exporter, w->exporter))
		return sb_fail(-EPERM, SEALBUF_R_EXPORTER,
			       "buffer %u: the message says exporter \"%s\"; the dma-buf is \"%s\"'s",
			       i, w->exporter, info.exporter);
	if (!exporter_allowed(allowed, info.exporter))
		return sb_fail(-EPERM, SEALBUF_R_EXPORTER,
			       "buffer %u: dma-buf exporter \"%s\" is not among those allowed", i,
			       info.exporter);
	return 0;
}

static int open_buffer(struct sealbuf_frame *f, uint32_t i, int fd, const struct sb_wire_buffer *w,
		       const struct sealbuf_frame_recv_opts *o)
{
	struct sb_wire rw = { .kind = w->kind, .flags = w->flags, .size = w->size,
			      .file_size = w->file_size };
	struct sealbuf_region *region;
	int r;

	if (w->type == SB_BUFFER_DMABUF) {
		r = check_dmabuf(fd, w, i, o->exporters);
		if (r < 0) {
			sb_close(fd);
			return r;
		}
		return set_dmabuf(f, i, fd, o->flags & SEALBUF_OPEN_RDONLY);
	}
	r = sb_open_received(&rw, fd, o->flags | SEALBUF_OPEN_KEEP_HANDLE, &region);
	return r < 0 ? r : sealbuf_frame_set_region(f, i, region);
}

/* Take the message's fds in order; close every one not yet taken on failure. */
static int build_frame(const struct sb_wire_frame *w, struct sb_inbox *in,
		       const struct sealbuf_frame_recv_opts *o, struct sealbuf_frame **ret)
{
	struct sealbuf_frame *f = NULL;
	uint32_t i = 0;
	int r = sealbuf_frame_new(&w->desc, &f);

	for (; r == 0 && i < w->desc.nbuffers; i++)
		r = open_buffer(f, i, in->fds[i], &w->buffers[i], o);
	if (r < 0) {
		/* open_buffer() took fds 0..i-1, closing any it failed on. */
		for (; i < in->nfds; i++)
			sb_close(in->fds[i]);
		sealbuf_frame_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

#define FRAME_OPEN_FLAGS                                                       \
	(SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE | SEALBUF_OPEN_POPULATE |      \
	 SEALBUF_OPEN_LAZY)
#define FRAME_RECV_FLAGS (FRAME_OPEN_FLAGS | SEALBUF_RECV_SAME_UID | SEALBUF_RECV_PEER_PIDFD)

static int recv_opts(const struct sealbuf_frame_recv_opts *opts, struct sealbuf_frame_recv_opts *o)
{
	int r;

	if (!opts) {
		*o = (struct sealbuf_frame_recv_opts){ .sz = sizeof(*o), .timeout_ms = -1 };
		return 0;
	}
	r = sb_opts_load(opts, offsetof(struct sealbuf_frame_recv_opts, exporters), sizeof(*o), o);
	if (r == 0)
		r = sb_check_flags(o->flags, FRAME_RECV_FLAGS, "receive flags");
	if (r == 0)
		r = sb_open_flags_check(o->flags);
	return r < 0 ? r : sb_check_reserved(o->reserved, "frame receive options");
}

SEALBUF_EXPORT int sealbuf_frame_recv(int sock, const struct sealbuf_frame_recv_opts *opts,
				      struct sealbuf_frame **ret_frame)
{
	struct sealbuf_frame_recv_opts o;
	struct sealbuf_peer peer;
	struct sb_inbox in = { .nfds = 0, .pidfd = -1 };
	struct sb_peer_rule rule;
	struct sb_wire_frame w;
	int r = recv_opts(opts, &o);

	rule = (struct sb_peer_rule){ .flags = o.flags, .allow_uids = o.allow_uids,
				      .n_allow_uids = o.n_allow_uids, .ret_peer = o.ret_peer,
				      .what = "frame" };
	if (r == 0)
		r = sb_peer_rule_check(&rule);
	if (r == 0 && !ret_frame)
		r = sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_frame is NULL");
	if (r == 0)
		r = sb_recv_message(sock, o.timeout_ms, 0, &in);
	if (r == 0)
		r = sb_frame_wire_decode(in.buf, in.len, &w);
	if (r == 0 && in.oversized)
		r = sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE, "the message is longer than %u bytes",
			    SB_MSG_MAX);
	if (r == 0)
		r = sb_inbox_check_fds(&in, w.desc.nbuffers);
	if (r == 0)
		r = sb_identify(sock, &rule, &in, &peer);
	if (r < 0) {
		sb_inbox_close(&in);
		return r;
	}
	o.flags &= FRAME_OPEN_FLAGS;
	r = build_frame(&w, &in, &o, ret_frame);
	if (r < 0) {
		sb_close(peer.pidfd);
		return r;
	}
	sb_peer_hand_back(&rule, &peer);
	return 0;
}
