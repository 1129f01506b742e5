/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Regions from files and into files, shared by create, offer, recv, write, dump, inspect. */
#ifndef SEALBUF_TOOL_REGION_IO_H
#define SEALBUF_TOOL_REGION_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "tool.h"

struct input {
	const char *path;  /* NULL: none (zero-filled --size); "-": standard input */
	bool have_size;
	uint64_t size;     /* --size: the region's size, the input must fit */
	const char *name;  /* --name, or NULL for a name from the path */
	bool reserve;      /* --reserve: a reserved region of capacity --size, input published */
};

/* Make a region holding the input, zero-padded to --size. 0 or an exit status. */
int rio_region_from_input(const struct input *in, struct sealbuf_region **ret);
/* Read @path ("-": stdin) whole into a malloc'd buffer. 0 or an exit status. */
int rio_read_file(const char *path, uint8_t **ret_buf, size_t *ret_len);

/*
 * The bytes a region holds now: the data of a plain region; for a reserved or
 * mirror region, a consistent copy of its valid bytes (*ret_copy is then
 * malloc'd and the caller frees it). 0 or an exit status.
 */
int rio_region_bytes(struct sealbuf_region *r, const uint8_t **ret, size_t *ret_len,
		     uint8_t **ret_copy);
/* Write @len bytes at @off into the region (reserved regions: sealbuf's write path). */
int rio_region_write(struct sealbuf_region *r, uint64_t off, const uint8_t *buf, size_t len);

enum rio_out { RIO_RAW, RIO_HEX };
/* Write bytes [off, off+len) to @out_path ("-" or NULL: stdout), raw or as a hexdump. */
int rio_emit(const uint8_t *p, size_t size, uint64_t off, uint64_t len, bool have_len,
	     enum rio_out mode, const char *out_path);

/*
 * An fd of our own for --fd N (duplicated) or PATH (opened read-only), or an
 * exit status. Devices, FIFOs and sockets are opened O_PATH only (nothing
 * happens to them): sealbuf_fd_check() then says what they are.
 */
int share_open_target(const char *path, bool have_fd, long fdnum, int *ret_fd);

/* Describe a region on stdout, as text or JSON. */
void rio_print_info(const struct sealbuf_region *r, bool json);

#endif
