/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reserved and mirror regions: writing a fresh header, and validating the
 * header of a region that came from another process (docs/header-format.md;
 * header_format.h has the layout).
 * The header is input from a peer: each field is read once, then checked.
 */
#include "region.h"
#include "seqlock.h"

int sb_header_init(struct sealbuf_region *r, size_t capacity, size_t page)
{
	struct sb_header *h = (struct sb_header *)(void *)r->map;

	/* The memfd is fresh (all zeroes) and nobody else has it yet. */
	h->magic = htole32(SB_HDR_MAGIC);
	h->version = htole16(SB_HDR_VERSION);
	h->header_size = htole16(SB_HDR_SIZE);
	h->kind = htole32((uint32_t)r->kind);
	h->flags = 0;
	h->capacity = htole64(capacity);
	h->payload_offset = htole64(page);
	sb_size_store(h, 0);
	sb_seq_store(h, 0, memory_order_release);
	r->hdr = h;
	r->data = r->map + page;
	r->capacity = capacity;
	r->size = 0;
	r->seq = 0;
	return 0;
}

static int check_ident(const struct sb_header *h, enum sealbuf_kind kind, size_t page)
{
	uint32_t magic = sb_hdr_get32(&h->magic), hkind = sb_hdr_get32(&h->kind);
	uint16_t version = sb_hdr_get16(&h->version), hsize = sb_hdr_get16(&h->header_size);
	uint64_t offset = sb_hdr_get64(&h->payload_offset);

	if (magic != SB_HDR_MAGIC)
		return sb_fail(-EBADMSG, SEALBUF_R_HEADER_MAGIC,
			       "header magic is 0x%08x, not 0x%08x (\"SBHD\"): not a sealbuf header",
			       magic, SB_HDR_MAGIC);
	if (version != SB_HDR_VERSION)
		return sb_fail(-EPROTONOSUPPORT, SEALBUF_R_HEADER_VERSION,
			       "header format version %u; this library reads version %u",
			       version, SB_HDR_VERSION);
	if (hsize < SB_HDR_SIZE || hsize > page)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "header size %u is outside %u..%zu (the header page)",
			       hsize, SB_HDR_SIZE, page);
	if (hkind != (uint32_t)kind)
		return sb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "header says region kind %u; the region was declared kind %u",
			       hkind, (unsigned)kind);
	if (offset != page)
		return sb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE,
			       "header puts the payload at offset %llu; it must start at the page boundary %zu",
			       (unsigned long long)offset, page);
	return 0;
}

static int check_extent(struct sb_header *h, size_t capacity, size_t room)
{
	uint64_t hcap = sb_hdr_get64(&h->capacity), size = sb_size_load(h);

	if (hcap > room)
		return sb_fail(-ERANGE, SEALBUF_R_HEADER_CAPACITY,
			       "header capacity %llu does not fit the %zu bytes after the header page",
			       (unsigned long long)hcap, room);
	if (hcap != capacity)
		return sb_fail(-ERANGE, SEALBUF_R_HEADER_CAPACITY,
			       "header capacity %llu differs from the declared capacity %zu",
			       (unsigned long long)hcap, capacity);
	/* An honest writer never stores such a size, even mid-update. */
	if (size > capacity)
		return sb_fail(-ERANGE, SEALBUF_R_HEADER_SIZE,
			       "header valid size %llu is above the capacity %zu",
			       (unsigned long long)size, capacity);
	return 0;
}

/*
 * A reader on a read-only mapping cannot add itself to waiters, so the flag
 * tells the writer to wake on every publish. A writable fd can still set it.
 */
static void note_rdonly_reader(struct sealbuf_region *r)
{
	uint32_t one = htole32(1);

	if (sb_u32_load(&r->hdr->rdonly_waiters, memory_order_relaxed) || r->fd < 0)
		return;
	if (sb_pwrite(r->fd, &one, sizeof(one), offsetof(struct sb_header, rdonly_waiters)) < 0)
		sb_log(LOG_INFO, "read-only reader could not flag itself; wait() will poll every 10 ms");
}

int sb_header_attach(struct sealbuf_region *r, size_t capacity, size_t page)
{
	struct sb_header *h = (struct sb_header *)(void *)r->map;
	int ret;

	/* handle.c checked that the file is one header page plus the capacity. */
	if (!h || r->map_size < page)
		return sb_fail(-ERANGE, SEALBUF_R_HEADER_CAPACITY,
			       "a %zu-byte file has no room for a %zu-byte header page",
			       r->map_size, page);
	ret = check_ident(h, r->kind, page);
	if (ret == 0)
		ret = check_extent(h, capacity, r->map_size - page);
	if (ret < 0)
		return ret;
	r->hdr = h;
	r->data = r->map + page;
	r->capacity = capacity;
	sb_first_read(r);
	if (!r->writable)
		note_rdonly_reader(r);
	return 0;
}

void sb_header_note_rdonly(const struct sealbuf_region *r)
{
	if (r->hdr && r->writable)
		atomic_store_explicit(&r->hdr->rdonly_waiters, htole32(1), memory_order_relaxed);
}
