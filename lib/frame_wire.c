/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frames on the wire (version 2, docs/wire-format.md) and the format rules
 * every frame description obeys, whether a caller's or a peer's. Pure
 * functions of their input, so they are fuzzed on their own.
 */
#if __has_include(<drm_fourcc.h>)
#include <drm_fourcc.h> /* libdrm's copy of the kernel header */
#else
#include <drm/drm_fourcc.h>
#endif

#include "internal.h"
#include "wire.h"

/* One plane of a format: @bpb bytes per block of @bw pixels, one line in @vsub. */
struct plane_rule {
	uint8_t bpb, bw, vsub;
};

struct format_rule {
	uint32_t fourcc;
	const char *name;
	uint32_t nplanes;
	struct plane_rule p[3];
};

static const struct format_rule formats[] = {
	{ DRM_FORMAT_XRGB8888, "XRGB8888", 1, { { 4, 1, 1 } } },
	{ DRM_FORMAT_ARGB8888, "ARGB8888", 1, { { 4, 1, 1 } } },
	{ DRM_FORMAT_YUYV, "YUYV", 1, { { 4, 2, 1 } } },
	{ DRM_FORMAT_NV12, "NV12", 2, { { 1, 1, 1 }, { 2, 2, 2 } } },
	{ DRM_FORMAT_YUV420, "YUV420", 3, { { 1, 1, 1 }, { 1, 2, 2 }, { 1, 2, 2 } } },
};

static const struct format_rule *format_find(uint32_t fourcc)
{
	for (size_t i = 0; i < SB_ARRAY_SIZE(formats); i++)
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	return NULL;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t line_bytes(const struct plane_rule *p, uint32_t width)
{
	return div_up(width, p->bw) * p->bpb;
}

static uint64_t line_count(const struct plane_rule *p, uint32_t height)
{
	return div_up(height, p->vsub);
}

/* A caller's mistake is -EINVAL; a peer's the errno @err it came with. */
static enum sealbuf_reason field_reason(int err)
{
	return err == -EBADMSG ? SEALBUF_R_BAD_MESSAGE : SEALBUF_R_INVALID_ARGUMENT;
}

static int check_format(const struct sealbuf_frame_desc *d, const struct format_rule **ret, int err)
{
	const struct format_rule *f = format_find(d->fourcc);

	if (!f)
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_FORMAT,
			       "format 0x%08x ('%.4s') is not one sealbuf knows (XRGB8888, ARGB8888, YUYV, NV12, YUV420)",
			       d->fourcc, (const char *)&d->fourcc);
	if (d->modifier != DRM_FORMAT_MOD_LINEAR)
		return sb_fail(-EOPNOTSUPP, SEALBUF_R_FORMAT,
			       "modifier 0x%llx: only DRM_FORMAT_MOD_LINEAR frames are supported",
			       (unsigned long long)d->modifier);
	if (d->reserved)
		return sb_fail(err, field_reason(err), "frame description: reserved field is %u, not 0",
			       d->reserved);
	if (!d->width || !d->height || d->width > SEALBUF_FRAME_MAX_DIM ||
	    d->height > SEALBUF_FRAME_MAX_DIM)
		return sb_fail(err, field_reason(err), "frame is %ux%u; each side must be 1..%u",
			       d->width, d->height, SEALBUF_FRAME_MAX_DIM);
	if (d->nplanes != f->nplanes)
		return sb_fail(err, SEALBUF_R_PLANE_LAYOUT, "%s has %u planes; the frame says %u",
			       f->name, f->nplanes, d->nplanes);
	if (!d->nbuffers || d->nbuffers > SEALBUF_FRAME_MAX_BUFFERS)
		return sb_fail(err, SEALBUF_R_PLANE_LAYOUT, "frame has %u buffers; 1..%u allowed",
			       d->nbuffers, SEALBUF_FRAME_MAX_BUFFERS);
	*ret = f;
	return 0;
}

/* Byte past the end of plane @i (its last line without the stride's padding). */
static int plane_end(const struct sealbuf_frame_desc *d, const struct format_rule *f,
		     uint32_t i, uint64_t *ret, int err)
{
	const struct sealbuf_plane *p = &d->planes[i];
	uint64_t line = line_bytes(&f->p[i], d->width), lines = line_count(&f->p[i], d->height);
	uint64_t body;

	if (p->buffer >= d->nbuffers)
		return sb_fail(err, SEALBUF_R_PLANE_LAYOUT, "plane %u is in buffer %u of %u",
			       i, p->buffer, d->nbuffers);
	if (p->stride < line)
		return sb_fail(err, SEALBUF_R_PLANE_LAYOUT,
			       "plane %u: stride %u is shorter than its line of %llu bytes (%s, %u pixels)",
			       i, p->stride, (unsigned long long)line, f->name, d->width);
	if (p->offset % SEALBUF_FRAME_OFFSET_ALIGN)
		return sb_fail(err, SEALBUF_R_PLANE_LAYOUT,
			       "plane %u: offset %llu is not a multiple of %u", i,
			       (unsigned long long)p->offset, SEALBUF_FRAME_OFFSET_ALIGN);
	/* stride < 2^32 and lines <= 2^14: only the offset can overflow. */
	body = (uint64_t)p->stride * (lines - 1) + line;
	if (__builtin_add_overflow(p->offset, body, ret))
		return sb_fail(err, SEALBUF_R_PLANE_LAYOUT, "plane %u: offset %llu overflows",
			       i, (unsigned long long)p->offset);
	return 0;
}

int sb_frame_check(const struct sealbuf_frame_desc *d, const uint64_t *sizes, int err)
{
	const struct format_rule *f = NULL;
	uint32_t used = 0;
	uint64_t end = 0;
	int r = check_format(d, &f, err);

	for (uint32_t i = 0; r == 0 && i < d->nplanes; i++) {
		r = plane_end(d, f, i, &end, err);
		if (r == 0 && sizes && end > sizes[d->planes[i].buffer])
			r = sb_fail(err, SEALBUF_R_PLANE_LAYOUT,
				    "plane %u ends at byte %llu of buffer %u, which holds %llu", i,
				    (unsigned long long)end, d->planes[i].buffer,
				    (unsigned long long)sizes[d->planes[i].buffer]);
		if (r == 0) /* plane_end() checked the index: the shift is in range */
			used |= 1u << d->planes[i].buffer;
	}
	if (r == 0 && used != (1u << d->nbuffers) - 1)
		r = sb_fail(err, SEALBUF_R_PLANE_LAYOUT,
			    "frame has %u buffers but its planes use only some of them", d->nbuffers);
	return r;
}

uint64_t sb_frame_buffer_need(const struct sealbuf_frame_desc *d, uint32_t index)
{
	const struct format_rule *f = format_find(d->fourcc);
	uint64_t need = 0;

	for (uint32_t i = 0; f && i < d->nplanes; i++) {
		const struct sealbuf_plane *p = &d->planes[i];
		uint64_t end = p->offset + (uint64_t)p->stride * line_count(&f->p[i], d->height);
		if (p->buffer == index && end > need)
			need = end;
	}
	return need;
}

static uint64_t round_up(uint64_t n, uint64_t align)
{
	return (n + align - 1) / align * align;
}

static int layout_opts(const struct sealbuf_layout_opts *opts, struct sealbuf_layout_opts *o)
{
	int r = sb_opts_load(opts, sizeof(*o), sizeof(*o), o);

	if (r == 0)
		r = sb_check_flags(o->flags, SEALBUF_LAYOUT_BUFFER_PER_PLANE, "layout flags");
	if (r < 0)
		return r;
	if (!o->stride_align)
		o->stride_align = 64;
	if (o->stride_align & (o->stride_align - 1) || o->stride_align > 4096)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "stride_align %u is not a power of two up to 4096", o->stride_align);
	return 0;
}

SEALBUF_EXPORT int sealbuf_frame_layout(uint32_t fourcc, uint32_t width, uint32_t height,
					const struct sealbuf_layout_opts *opts,
					struct sealbuf_frame_desc *ret_desc,
					uint64_t ret_sizes[SEALBUF_FRAME_MAX_BUFFERS])
{
	struct sealbuf_frame_desc d = { .fourcc = fourcc, .width = width, .height = height };
	struct sealbuf_layout_opts o;
	const struct format_rule *f = format_find(fourcc);
	bool split;
	uint64_t next = 0;
	int r = layout_opts(opts, &o);

	if (r < 0)
		return r;
	if (!ret_desc)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_desc is NULL");
	split = o.flags & SEALBUF_LAYOUT_BUFFER_PER_PLANE;
	d.nplanes = f ? f->nplanes : 1;
	d.nbuffers = split ? d.nplanes : 1;
	for (uint32_t i = 0; f && i < f->nplanes && width <= SEALBUF_FRAME_MAX_DIM; i++) {
		struct sealbuf_plane *p = &d.planes[i];
		p->stride = (uint32_t)round_up(line_bytes(&f->p[i], width), o.stride_align);
		p->buffer = split ? i : 0;
		p->offset = split ? 0 : round_up(next, SEALBUF_FRAME_OFFSET_ALIGN);
		next = p->offset + (uint64_t)p->stride * line_count(&f->p[i], height);
	}
	r = sb_frame_check(&d, NULL, -EINVAL);
	if (r < 0)
		return r;
	for (uint32_t i = 0; ret_sizes && i < SEALBUF_FRAME_MAX_BUFFERS; i++)
		ret_sizes[i] = i < d.nbuffers ? sb_frame_buffer_need(&d, i) : 0;
	*ret_desc = d;
	return 0;
}

size_t sb_frame_wire_len(const struct sealbuf_frame_desc *d)
{
	return SB_FRAME_HEAD_LEN + d->nplanes * SB_FRAME_PLANE_LEN +
	       d->nbuffers * SB_FRAME_BUFFER_LEN;
}

static void encode_buffer(const struct sb_wire_buffer *b, uint8_t *out)
{
	put32(out + 0, b->type);
	put32(out + 4, b->flags);
	put32(out + 8, b->kind);
	put32(out + 12, 0);
	put64(out + 16, b->size);
	put64(out + 24, b->file_size);
	memset(out + 32, 0, SB_FRAME_EXPORTER_LEN);
	memcpy(out + 32, b->exporter, strnlen(b->exporter, SB_FRAME_EXPORTER_LEN - 1));
}

size_t sb_frame_wire_encode(const struct sb_wire_frame *f, uint8_t *out)
{
	const struct sealbuf_frame_desc *d = &f->desc;
	size_t len = sb_frame_wire_len(d);
	uint8_t *p = out + SB_FRAME_HEAD_LEN;

	put32(out + 0, SB_WIRE_MAGIC);
	put16(out + 4, SB_WIRE_VERSION_FRAME);
	put16(out + 6, (uint16_t)len);
	put32(out + 8, d->fourcc);
	put32(out + 12, d->width);
	put32(out + 16, d->height);
	put16(out + 20, (uint16_t)d->nplanes);
	put16(out + 22, (uint16_t)d->nbuffers);
	put32(out + 24, 0);
	put32(out + 28, 0);
	put64(out + 32, d->modifier);
	for (uint32_t i = 0; i < d->nplanes; i++, p += SB_FRAME_PLANE_LEN) {
		put32(p + 0, d->planes[i].buffer);
		put32(p + 4, d->planes[i].stride);
		put64(p + 8, d->planes[i].offset);
	}
	for (uint32_t i = 0; i < d->nbuffers; i++, p += SB_FRAME_BUFFER_LEN)
		encode_buffer(&f->buffers[i], p);
	return len;
}

int sb_wire_peek_length(const uint8_t *buf, size_t len, size_t *ret)
{
	size_t n;

	if (len < 8 || get32(buf) != SB_WIRE_MAGIC || get16(buf + 4) != SB_WIRE_VERSION_FRAME)
		return -1;
	n = get16(buf + 6);
	if (n < SB_FRAME_HEAD_LEN || n > SB_MSG_MAX)
		return -1;
	*ret = n;
	return 0;
}

static int decode_preamble(const uint8_t *buf, size_t len)
{
	uint16_t version;

	if (len < 8)
		return sb_fail(-EPROTO, SEALBUF_R_TRUNCATED,
			       "message is %zu bytes, shorter than its preamble", len);
	if (get32(buf) != SB_WIRE_MAGIC)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message magic is 0x%08x, not a sealbuf message", get32(buf));
	version = get16(buf + 4);
	if (version == SB_WIRE_VERSION)
		return sb_fail(-EPROTONOSUPPORT, SEALBUF_R_VERSION,
			       "message version 1 is a region, not a frame: receive it with sealbuf_region_recv()");
	if (version != SB_WIRE_VERSION_FRAME)
		return sb_fail(-EPROTONOSUPPORT, SEALBUF_R_VERSION,
			       "message version %u; frames are version %u", version,
			       SB_WIRE_VERSION_FRAME);
	if (len < SB_FRAME_HEAD_LEN)
		return sb_fail(-EPROTO, SEALBUF_R_TRUNCATED,
			       "frame message is %zu bytes, shorter than its %u-byte head", len,
			       SB_FRAME_HEAD_LEN);
	return 0;
}

static int decode_head(const uint8_t *buf, size_t len, struct sealbuf_frame_desc *d)
{
	size_t want;

	d->fourcc = get32(buf + 8);
	d->width = get32(buf + 12);
	d->height = get32(buf + 16);
	d->nplanes = get16(buf + 20);
	d->nbuffers = get16(buf + 22);
	d->modifier = get64(buf + 32);
	if (d->nplanes < 1 || d->nplanes > SEALBUF_FRAME_MAX_PLANES || d->nbuffers < 1 ||
	    d->nbuffers > SEALBUF_FRAME_MAX_BUFFERS)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "frame message has %u planes and %u buffers; at most %u and %u",
			       d->nplanes, d->nbuffers, SEALBUF_FRAME_MAX_PLANES,
			       SEALBUF_FRAME_MAX_BUFFERS);
	if (get32(buf + 24) || get32(buf + 28))
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "frame message has non-zero flags or reserved bytes");
	want = sb_frame_wire_len(d);
	if (get16(buf + 6) != want)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "frame message says it is %u bytes; its planes and buffers make %zu",
			       get16(buf + 6), want);
	if (len != want)
		return sb_fail(len < want ? -EPROTO : -EBADMSG,
			       len < want ? SEALBUF_R_TRUNCATED : SEALBUF_R_BAD_MESSAGE,
			       "frame message is %zu bytes of its %zu", len, want);
	return 0;
}

static int check_exporter(const char *e, uint32_t i, bool dmabuf)
{
	size_t n = strnlen(e, SB_FRAME_EXPORTER_LEN);

	if (n == SB_FRAME_EXPORTER_LEN || (dmabuf && n == 0) || (!dmabuf && n))
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "buffer %u: exporter name is %s", i,
			       n == SB_FRAME_EXPORTER_LEN ? "not terminated"
			       : dmabuf		       ? "empty"
						       : "set on a region");
	for (size_t k = n; k < SB_FRAME_EXPORTER_LEN; k++)
		if (e[k])
			return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
				       "buffer %u: bytes after the exporter name", i);
	for (size_t k = 0; k < n; k++)
		if (e[k] < 0x21 || e[k] > 0x7e)
			return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
				       "buffer %u: exporter name has byte 0x%02x", i, (uint8_t)e[k]);
	return 0;
}

static int check_buffer(const struct sb_wire_buffer *b, uint32_t i, uint32_t reserved)
{
	bool dmabuf = b->type == SB_BUFFER_DMABUF;

	if (b->type != SB_BUFFER_REGION && !dmabuf)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE, "buffer %u has type %u", i, b->type);
	if (b->flags & ~SB_WIRE_RDONLY || reserved || (dmabuf && b->flags))
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "buffer %u has unknown flags 0x%x or reserved bits", i, b->flags);
	if (b->kind != (dmabuf ? 0u : (uint32_t)SEALBUF_KIND_PLAIN))
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "buffer %u has kind %u; frames hold plain regions and dma-bufs", i, b->kind);
	if (b->file_size > SIZE_MAX || b->file_size > INT64_MAX)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			       "buffer %u declares %llu bytes, more than this process can map", i,
			       (unsigned long long)b->file_size);
	if (b->size > b->file_size || (dmabuf && b->size != b->file_size))
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "buffer %u declares size %llu in %llu bytes", i,
			       (unsigned long long)b->size, (unsigned long long)b->file_size);
	return check_exporter(b->exporter, i, dmabuf);
}

static int decode_buffer(const uint8_t *p, uint32_t i, struct sb_wire_buffer *b)
{
	b->type = get32(p + 0);
	b->flags = get32(p + 4);
	b->kind = get32(p + 8);
	b->size = get64(p + 16);
	b->file_size = get64(p + 24);
	memcpy(b->exporter, p + 32, SB_FRAME_EXPORTER_LEN);
	return check_buffer(b, i, get32(p + 12));
}

int sb_frame_wire_decode(const uint8_t *buf, size_t len, struct sb_wire_frame *f)
{
	struct sealbuf_frame_desc *d = &f->desc;
	uint64_t sizes[SEALBUF_FRAME_MAX_BUFFERS];
	const uint8_t *p = buf + SB_FRAME_HEAD_LEN;
	int r = decode_preamble(buf, len);

	memset(f, 0, sizeof(*f));
	if (r == 0)
		r = decode_head(buf, len, d);
	for (uint32_t i = 0; r == 0 && i < d->nplanes; i++, p += SB_FRAME_PLANE_LEN) {
		d->planes[i].buffer = get32(p + 0);
		d->planes[i].stride = get32(p + 4);
		d->planes[i].offset = get64(p + 8);
	}
	for (uint32_t i = 0; r == 0 && i < d->nbuffers; i++, p += SB_FRAME_BUFFER_LEN) {
		r = decode_buffer(p, i, &f->buffers[i]);
		sizes[i] = f->buffers[i].size;
	}
	return r < 0 ? r : sb_frame_check(d, sizes, -EBADMSG);
}
