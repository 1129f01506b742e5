/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dmabuf.c: dma-buf helpers shared with the export pipeline and drm.c. */
#ifndef SEALBUF_DMABUF_H
#define SEALBUF_DMABUF_H

#include <stddef.h>

/* @fd is an open dma-buf (else SEALBUF_R_NOT_DMABUF). */
int sb_dmabuf_check(int fd);
/* DMA_BUF_SET_NAME_B on a known dma-buf, @name already checked. */
int sb_dmabuf_name(int fd, const char *name);
/* The memfd's name ("memfd:NAME" without the prefix) in @buf. */
void sb_memfd_name(int fd, char *buf, size_t len);

#endif
