/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire format: 32 bytes, little-endian, fixed layout (docs/wire-format.md).
 * Decoding is a pure function of the bytes, so it is fuzzed on its own.
 */
#include "region.h"
#include "wire.h"


void sb_wire_encode(const struct sb_wire *w, uint8_t out[SB_WIRE_LEN])
{
	put32(out + 0, w->magic);
	put16(out + 4, w->version);
	put16(out + 6, w->length);
	put32(out + 8, w->kind);
	put32(out + 12, w->flags);
	put64(out + 16, w->size);
	put64(out + 24, w->file_size);
}

static int check_fields(const struct sb_wire *w)
{
	if (!sb_kind_valid(w->kind))
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message names region kind %u, which does not exist", w->kind);
	if (w->flags & ~SB_WIRE_RDONLY)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message carries unknown flag bits 0x%x", w->flags & ~SB_WIRE_RDONLY);
	if (w->size > SIZE_MAX || w->file_size > SIZE_MAX || w->file_size > INT64_MAX)
		return sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			       "message declares %llu bytes, more than this process can map",
			       (unsigned long long)w->file_size);
	if (w->size > w->file_size)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message declares size %llu in a file of %llu bytes",
			       (unsigned long long)w->size, (unsigned long long)w->file_size);
	return 0;
}

int sb_wire_decode(const uint8_t *buf, size_t len, struct sb_wire *w)
{
	if (len < 8)
		return sb_fail(-EPROTO, SEALBUF_R_TRUNCATED,
			       "message is %zu bytes, shorter than its preamble", len);
	w->magic = get32(buf);
	w->version = get16(buf + 4);
	w->length = get16(buf + 6);
	if (w->magic != SB_WIRE_MAGIC)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message magic is 0x%08x, not a sealbuf message", w->magic);
	if (w->version == SB_WIRE_VERSION_FRAME)
		return sb_fail(-EPROTONOSUPPORT, SEALBUF_R_VERSION,
			       "message version 2 is a frame, not a region: receive it with sealbuf_frame_recv()");
	if (w->version != SB_WIRE_VERSION)
		return sb_fail(-EPROTONOSUPPORT, SEALBUF_R_VERSION,
			       "message version %u; this sealbuf speaks version %u",
			       w->version, SB_WIRE_VERSION);
	if (w->length != SB_WIRE_LEN)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message says it is %u bytes; version 1 messages are %u",
			       w->length, SB_WIRE_LEN);
	if (len < SB_WIRE_LEN)
		return sb_fail(-EPROTO, SEALBUF_R_TRUNCATED,
			       "message is %zu of its %u bytes", len, SB_WIRE_LEN);
	if (len > SB_WIRE_LEN)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "message is %zu bytes, longer than its %u", len, SB_WIRE_LEN);
	w->kind = get32(buf + 8);
	w->flags = get32(buf + 12);
	w->size = get64(buf + 16);
	w->file_size = get64(buf + 24);
	return check_fields(w);
}
