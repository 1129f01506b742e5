/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The socket message that travels with a region's fd: docs/wire-format.md. */
#ifndef SEALBUF_WIRE_H
#define SEALBUF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SB_WIRE_MAGIC 0x46554253u /* "SBUF" in little-endian byte order */
#define SB_WIRE_VERSION 1
#define SB_WIRE_LEN 32
#define SB_WIRE_RDONLY 0x1u /* the fd is read-only: open it with SEALBUF_OPEN_RDONLY */

struct sb_wire {
	uint32_t magic;
	uint16_t version;
	uint16_t length;   /* bytes in the whole message */
	uint32_t kind;     /* enum sealbuf_kind */
	uint32_t flags;    /* SB_WIRE_* */
	uint64_t size;     /* plain: requested size; reserved/mirror: capacity */
	uint64_t file_size;/* bytes in the memfd */
};

void sb_wire_encode(const struct sb_wire *w, uint8_t out[SB_WIRE_LEN]);
/* Parse and check an untrusted message of @len bytes. */
int sb_wire_decode(const uint8_t *buf, size_t len, struct sb_wire *out);

#endif
