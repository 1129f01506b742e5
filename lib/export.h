/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The udmabuf export pipeline, one stage per file:
 *
 *   export.c        options in, then plan -> limits -> device -> populate -> create -> name
 *   export_plan.c   each range checked into a span, neighbours merged, cut into parts, names
 *   udmabuf_limits.c  the kernel's live size and list limits, and failures that name them
 *   populate.c      the fault-in before the kernel pins pages (owns region->populated)
 *   udmabuf_dev.c   /dev/udmabuf: opening it, diagnosing why not, the two create ioctls
 *
 * The kernel says EINVAL for nearly every broken rule, so each rule is
 * checked before the ioctl, in the order a caller can fix them, and the
 * failure names the rule and its fix.
 */
#ifndef SEALBUF_EXPORT_H
#define SEALBUF_EXPORT_H

#include "region.h"

#define SB_UDMABUF_DEV "/dev/udmabuf"
#define SB_UDMABUF_PARAMS "/sys/module/udmabuf/parameters/"
#define SB_EXPORT_FLAGS SEALBUF_EXPORT_PAYLOAD

/* A checked range of one memfd, ready for the kernel. */
struct sb_span {
	int fd;
	uint64_t off, len;
	uint8_t *addr;     /* the range in this process's mapping of the region, or NULL */
	const struct sealbuf_region *region; /* whose pages these are, or NULL for a bare memfd */
};

/* udmabuf_limits.c */
struct sb_udmabuf_limits {
	uint64_t size;     /* bytes */
	uint32_t size_mb;
	uint32_t list;
	bool known;        /* read from sysfs, not assumed */
};
/* The limits to check against; @fresh: read now, not the last values seen. */
void sb_udmabuf_limits(struct sb_udmabuf_limits *l, bool fresh);
/* Refuse @total bytes in @n spans above the limits (read fresh before refusing). */
int sb_udmabuf_limits_check(uint64_t total, size_t n, const char *split_hint);
int sb_fail_size_limit(const struct sb_udmabuf_limits *l, uint64_t total, const char *split_hint);
int sb_fail_list_limit(const struct sb_udmabuf_limits *l, size_t n);

/* udmabuf_dev.c: an fd of /dev/udmabuf, or the reason there is none. */
int sb_udmabuf_open(void);
/* One dma-buf of the @n spans: a new fd, or a failure saying why. */
int sb_udmabuf_create(int dev, const struct sb_span *s, size_t n);
/* Whether this kernel's udmabuf refuses F_SEAL_FUTURE_WRITE memfds (probed once). */
bool sb_udmabuf_refuses_future_write(int dev);

/* populate.c: fault in every span's pages before the kernel pins them. */
int sb_populate_spans(const struct sb_span *s, size_t n);

/* export_plan.c: checking the ranges. */
int sb_span_region(const char *what, const struct sealbuf_region *r, uint64_t off,
		   uint64_t len, uint32_t flags, struct sb_span *s);
int sb_span_memfd(int fd, uint64_t off, uint64_t len, uint32_t flags, struct sb_span *s);
/* Merge spans that continue each other in the same memfd; returns the new count. */
size_t sb_spans_merge(struct sb_span *s, size_t n);
uint64_t sb_spans_total(const struct sb_span *s, size_t n);

/* export_plan.c: cutting into groups of at most list_limit items and size bytes. */
struct sb_cutter {
	const struct sb_span *s;
	size_t n, i;
	uint64_t taken;     /* bytes of s[i] already in earlier groups */
};
/* Fill @out (room for min(list, n) items) with the next group; 0 at the end. */
size_t sb_cut_next(struct sb_cutter *c, const struct sb_udmabuf_limits *l, struct sb_span *out);

/* export_plan.c: naming. */
int sb_export_name_check(const char *name);
/* The base name: the caller's, or the first memfd's, cut to fit. */
void sb_export_base_name(const char *name, const struct sb_span *s, char *buf, size_t len);
/* Name @fd "BASE", or "BASE#idx" for part @idx >= 0; only @explicit names must stick. */
int sb_export_name(int fd, const char *base, bool explicit, long idx);

#endif
