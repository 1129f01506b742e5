/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: readers of a reserved or mirror region whose header a peer
 * scribbles on. A writer region and a receiver opened from its fd (another
 * mapping of the same memfd, as in another process) run a sequence of
 * operations from the input, interleaved with writes of any bytes to any
 * header field. Every read must give one of its documented errors or a size
 * within the capacity validated at open; a fresh open must validate whatever
 * the header says.
 *
 * Input: a setup byte (bit 0 mirror, bits 1-2 capacity pages, bit 3 read-only
 * receiver), a capacity byte (extra bytes), then operations: one byte each
 * (mod 8), with their arguments:
 *  0 scribble: offset byte (mod 128), length byte (mod 16, +1), the bytes
 *  1 set a field: field byte (mod 12, header fields by offset), 8 value bytes
 *  2 read   3 snapshot: 2 bytes of buffer size   4 read_check
 *  5 wait, timeout 0: 8 bytes of seen sequence (0: the receiver's own)
 *  6 write (mirror: update): 2 bytes of size   7 open a second receiver
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "region.h" /* w->map: the header bytes a hostile peer writes */

#define MAX_CAP (3 * 4096 + 255)

static uint8_t mirrored[MAX_CAP], buf[MAX_CAP + 64];

/* Header fields by offset and width (lib/header_format.h), for op 1. */
static const struct {
	uint8_t off, len;
} fields[] = { { 0, 4 }, { 4, 2 }, { 6, 2 }, { 8, 4 },	{ 12, 4 }, { 16, 8 },
	       { 24, 8 }, { 32, 8 }, { 40, 8 }, { 48, 4 }, { 52, 4 }, { 56, 8 } };

static _Noreturn void die(const char *what, int r)
{
	fprintf(stderr, "%s: unexpected %d %s: %s\n", what, r,
		sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
	abort();
}

/* @r must be 0 or one of the (errno, reason) pairs in @ok, ended by 0. */
static void expect(const char *what, int r, const int *ok)
{
	fz_check_failure(r, what);
	if (r == 0)
		return;
	for (; *ok; ok += 2)
		if (r == ok[0] && (int)sealbuf_last_reason() == ok[1])
			return;
	die(what, r);
}

static const int read_errs[] = { -ERANGE, SEALBUF_R_HEADER_SIZE, -EAGAIN, SEALBUF_R_CONTENDED,
				 -EOWNERDEAD, SEALBUF_R_WRITER_STALLED, 0 };
static const int snap_errs[] = { -ERANGE, SEALBUF_R_HEADER_SIZE, -EAGAIN, SEALBUF_R_CONTENDED,
				 -EOWNERDEAD, SEALBUF_R_WRITER_STALLED, -ENOBUFS,
				 SEALBUF_R_BUFFER_TOO_SMALL, 0 };
static const int check_errs[] = { -EAGAIN, SEALBUF_R_CONTENDED, 0 };
static const int wait_errs[] = { -EAGAIN, SEALBUF_R_WOULD_BLOCK, -EOWNERDEAD,
				 SEALBUF_R_WRITER_STALLED, 0 };
static const int write_errs[] = { -EFBIG, SEALBUF_R_TOO_LARGE, 0 };

static void check_size(const struct sealbuf_region *r, size_t cap)
{
	volatile const uint8_t *d = sealbuf_region_data(r);
	uint8_t sum = 0;

	if (sealbuf_region_size(r) > cap || sealbuf_region_capacity(r) != cap)
		die("size above the capacity validated at open", 0);
	for (size_t i = 0; d && i < sealbuf_region_size(r); i++)
		sum += d[i];
	(void)sum;
}

static void open_another(struct sealbuf_region *w, uint32_t flags, size_t cap)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags, .kind = sealbuf_region_kind(w));
	struct sealbuf_region *r;
	int fd, ret;

	uint64_t seq;

	/*
	 * An open during an update waits it out for the default stall timeout
	 * (1 s: tests/test-header.c covers that wait); a scribbled odd sequence
	 * would make each such open of an input sleep, so it is left out here.
	 */
	memcpy(&seq, (const uint8_t *)w->map + 32, sizeof(seq)); /* struct sb_header's seq */
	if (seq & 1)
		return;
	/* After a read-only share (F_SEAL_FUTURE_WRITE) only read-only handles are made. */
	if (sealbuf_region_share(w, flags & SEALBUF_OPEN_RDONLY ? SEALBUF_SHARE_RDONLY : 0, &fd) < 0)
		abort();
	ret = sealbuf_region_open(fd, cap, &o, &r);
	fz_check_failure(ret, "sealbuf_region_open");
	if (ret == 0) {
		check_size(r, cap);
		sealbuf_region_free(r);
	}
}

static void one_op(struct fz_in *in, struct sealbuf_region *w, struct sealbuf_region *r,
		   uint32_t flags, size_t cap)
{
	uint8_t *hdr = w->map;
	size_t n, got;
	uint64_t seq;

	switch (fz_u8(in) % 8) {
	case 0: {
		size_t off = fz_u8(in) % 128, len = fz_u8(in) % 16 + 1;
		for (size_t i = 0; i < len; i++)
			hdr[off + i] = fz_u8(in);
		break;
	}
	case 1: {
		size_t f = fz_u8(in) % SB_ARRAY_SIZE(fields);
		uint64_t v = fz_u64(in);
		memcpy(hdr + fields[f].off, &v, fields[f].len); /* little-endian host */
		break;
	}
	case 2:
		expect("sealbuf_region_read", sealbuf_region_read(r), read_errs);
		check_size(r, cap);
		break;
	case 3:
		n = (fz_u8(in) | (size_t)fz_u8(in) << 8) % sizeof(buf);
		got = SIZE_MAX;
		expect("sealbuf_region_snapshot",
		       sealbuf_region_snapshot(r, buf, n, &got, &seq), snap_errs);
		if (got != SIZE_MAX && got > cap)
			die("snapshot size above the capacity", 0);
		check_size(r, cap);
		break;
	case 4:
		expect("sealbuf_region_read_check", sealbuf_region_read_check(r), check_errs);
		break;
	case 5:
		seq = fz_u64(in);
		expect("sealbuf_region_wait",
		       sealbuf_region_wait(r, seq ? seq : sealbuf_region_seq(r), 0, NULL), wait_errs);
		break;
	case 6:
		n = (fz_u8(in) | (size_t)fz_u8(in) << 8) % (cap + 2);
		if (sealbuf_region_kind(w) == SEALBUF_KIND_MIRROR)
			expect("sealbuf_region_update", sealbuf_region_update(w), write_errs);
		else
			expect("sealbuf_region_write", sealbuf_region_write(w, mirrored, n),
			       write_errs);
		break;
	case 7:
		open_another(w, flags, cap);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	uint8_t setup = fz_u8(&in);
	size_t cap = ((setup >> 1) & 3) * 4096 + fz_u8(&in);
	uint32_t flags = (setup & 8) ? SEALBUF_OPEN_RDONLY : 0;
	bool mirror = setup & 1;
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags,
		     .kind = mirror ? SEALBUF_KIND_MIRROR : SEALBUF_KIND_RESERVED);
	struct sealbuf_region *w, *r;
	int fd;

	fz_leak_begin();
	if ((mirror ? sealbuf_region_mirror(mirrored, cap, NULL, &w)
		    : sealbuf_region_reserve(cap, NULL, &w)) < 0)
		die("creating the writer", -1);
	if (sealbuf_region_share(w, flags ? SEALBUF_SHARE_RDONLY : 0, &fd) < 0 ||
	    sealbuf_region_open(fd, cap, &o, &r) < 0)
		die("opening the receiver", -1);
	/* An update left open by a scribble gives up after 1 ms, not the default 1 s. */
	sealbuf_region_set_stall_timeout(r, 1);
	while (in.left)
		one_op(&in, w, r, flags, cap);
	sealbuf_region_free(r);
	sealbuf_region_free(w);
	fz_leak_check("fuzz-header");
	return 0;
}
