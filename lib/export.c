/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Exporting regions (or ranges of them, or bare memfds) as dma-bufs through
 * /dev/udmabuf. Each public call loads its options and plans its spans
 * (export_plan.c), then runs one pipeline: the kernel's limits
 * (udmabuf_limits.c), the device (udmabuf_dev.c), the fault-in
 * (populate.c), the create ioctl, and the name. lib/export.h maps the stages.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "export.h"

struct job {
	struct sb_span *spans;
	size_t n;
	const char *name;   /* the caller's, or NULL */
	const char *split_hint; /* how to export it in parts */
};

/*
 * A failed export of regions: if one is write-sealed (shared read-only or
 * frozen by another holder, unknown to this process until now), that rule
 * is the error, as before any kernel limit or device problem: it is the one
 * no retry mends. Where the kernel enforces the rule itself (seals_first()),
 * it is looked up only on failure, so an export that works makes no
 * F_GET_SEALS (docs/performance.md).
 */
static int explain(const struct sb_span *s, size_t n, int err)
{
	for (size_t i = 0; i < n; i++) {
		int r = s[i].region ? sb_check_writable_policy(s[i].fd, "export") : 0;
		if (r == -EPERM)
			sb_mark_write_sealed(s[i].region);
		if (r < 0)
			return r;
	}
	return err;
}

/*
 * Before the kernel: the write-seal rule, unless this kernel's udmabuf
 * refuses write-sealed memfds itself; then a refused create names the rule
 * through explain(). An older kernel takes F_SEAL_FUTURE_WRITE memfds, so
 * there the seals are read first, or a region shared read-only by another
 * holder could still become a writable dma-buf.
 */
static int seals_first(int dev, const struct sb_span *s, size_t n)
{
	return sb_udmabuf_refuses_future_write(dev) && !sb_sealed_here() ? 0 : explain(s, n, 0);
}

/* The pipeline for one dma-buf: limits, device, fault-in, create, name. */
static int export_one(const struct job *j, int *ret_fd)
{
	char base[SEALBUF_DMABUF_NAME_MAX + 1];
	size_t n = sb_spans_merge(j->spans, j->n);
	int dev, fd, r;

	r = sb_udmabuf_limits_check(sb_spans_total(j->spans, n), n, j->split_hint);
	if (r < 0)
		return explain(j->spans, n, r);
	dev = sb_udmabuf_open();
	if (dev < 0)
		return explain(j->spans, n, dev);
	r = seals_first(dev, j->spans, n);
	if (r == 0)
		r = sb_populate_spans(j->spans, n);
	fd = r < 0 ? r : sb_udmabuf_create(dev, j->spans, n);
	sb_close(dev);
	if (fd < 0)
		return explain(j->spans, n, fd);
	sb_export_base_name(j->name, j->spans, base, sizeof(base));
	r = sb_export_name(fd, base, j->name != NULL, -1);
	if (r < 0) {
		sb_close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static size_t count_groups(const struct job *j, const struct sb_udmabuf_limits *l, struct sb_span *tmp)
{
	struct sb_cutter c = { .s = j->spans, .n = j->n };
	size_t groups = 0;

	while (sb_cut_next(&c, l, tmp))
		groups++;
	return groups;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_close(fds[i]);
}

/* Create every group into @fds (room for @groups); all or nothing. */
static int create_groups(const struct job *j, const struct sb_udmabuf_limits *l, struct sb_span *tmp,
			 int *fds, size_t groups)
{
	char base[SEALBUF_DMABUF_NAME_MAX + 1];
	struct sb_cutter c = { .s = j->spans, .n = j->n };
	size_t k, done = 0;
	int dev = sb_udmabuf_open(), r = 0;

	if (dev < 0)
		return dev;
	sb_export_base_name(j->name, j->spans, base, sizeof(base));
	r = seals_first(dev, j->spans, j->n);
	if (r == 0)
		r = sb_populate_spans(j->spans, j->n);
	while (r == 0 && done < groups && (k = sb_cut_next(&c, l, tmp))) {
		r = sb_udmabuf_create(dev, tmp, k);
		if (r >= 0) {
			fds[done++] = r;
			r = sb_export_name(r, base, j->name != NULL, groups > 1 ? (long)done - 1 : -1);
		}
	}
	sb_close(dev);
	if (r < 0)
		close_all(fds, done);
	return r;
}

static int export_split(struct job *j, int *ret_fds, size_t max_fds)
{
	struct sb_span *tmp;
	struct sb_udmabuf_limits l;
	size_t groups;
	int *fds, r;

	j->n = sb_spans_merge(j->spans, j->n);
	sb_udmabuf_limits(&l, true); /* the cut must match the kernel's limits now */
	if (!l.size || !l.list)
		return explain(j->spans, j->n,
			       l.size ? sb_fail_list_limit(&l, j->n) : sb_fail_size_limit(&l, 0, ""));
	tmp = calloc(j->n < l.list ? j->n : l.list, sizeof(*tmp));
	if (!tmp)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	groups = count_groups(j, &l, tmp);
	if (groups > INT_MAX || !ret_fds) {
		free(tmp);
		return groups > INT_MAX ? sb_fail(-EFBIG, SEALBUF_R_TOO_LARGE, "%zu dma-bufs needed", groups)
					: (int)groups;
	}
	if (groups > max_fds) {
		free(tmp);
		return sb_fail(-ENOBUFS, SEALBUF_R_BUFFER_TOO_SMALL,
			       "%zu dma-bufs are needed (size_limit_mb=%u, list_limit=%u), room for %zu given",
			       groups, l.size_mb, l.list, max_fds);
	}
	fds = calloc(groups, sizeof(*fds));
	r = fds ? create_groups(j, &l, tmp, fds, groups)
		: sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory");
	if (r < 0)
		r = explain(j->spans, j->n, r);
	if (r == 0)
		memcpy(ret_fds, fds, groups * sizeof(*fds));
	free(fds);
	free(tmp);
	return r < 0 ? r : (int)groups;
}

static int load_opts(const struct sealbuf_export_opts *opts, struct sealbuf_export_opts *o)
{
	int r = sb_opts_load(opts, offsetof(struct sealbuf_export_opts, length), sizeof(*o), o);

	if (r == 0)
		r = sb_check_reserved(o->reserved, "export options");
	return r < 0 ? r : sb_export_name_check(o->name);
}

/* List exports take offset/length/flags per range: the opts may only name. */
static int load_list_opts(const struct sealbuf_export_opts *opts, struct sealbuf_export_opts *o)
{
	int r = load_opts(opts, o);

	if (r == 0 && (o->offset || o->length || o->flags))
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "a list export takes offset, length and flags in each range; its options may only set .name");
	return r;
}

static int region_job(const struct sealbuf_region *region, const struct sealbuf_export_opts *opts,
		      struct sealbuf_export_opts *o, struct sb_span *s, struct job *j)
{
	int r = load_opts(opts, o);

	if (r == 0)
		r = sb_span_region("region", region, o->offset, o->length, o->flags, s);
	*j = (struct job){ .spans = s, .n = 1, .name = o->name,
			   .split_hint = "sealbuf_region_export_split()" };
	return r;
}

SEALBUF_EXPORT int sealbuf_region_export(const struct sealbuf_region *region,
					 const struct sealbuf_export_opts *opts,
					 int *ret_dmabuf_fd)
{
	struct sealbuf_export_opts o;
	struct sb_span s;
	struct job j;
	int r;

	if (!ret_dmabuf_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_dmabuf_fd is NULL");
	r = region_job(region, opts, &o, &s, &j);
	return r < 0 ? r : export_one(&j, ret_dmabuf_fd);
}

SEALBUF_EXPORT int sealbuf_region_export_split(const struct sealbuf_region *region,
					       const struct sealbuf_export_opts *opts,
					       int *ret_fds, size_t max_fds)
{
	struct sealbuf_export_opts o;
	struct sb_span s;
	struct job j;
	int r = region_job(region, opts, &o, &s, &j);

	return r < 0 ? r : export_split(&j, ret_fds, max_fds);
}

SEALBUF_EXPORT int sealbuf_memfd_export(int memfd, const struct sealbuf_export_opts *opts,
					int *ret_dmabuf_fd)
{
	struct sealbuf_export_opts o;
	struct sb_span s;
	struct job j = { .spans = &s, .n = 1, .split_hint = "one export per offset/length range" };
	int r;

	if (!ret_dmabuf_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_dmabuf_fd is NULL");
	r = load_opts(opts, &o);
	if (r == 0)
		r = sb_span_memfd(memfd, o.offset, o.length, o.flags, &s);
	j.name = o.name;
	return r < 0 ? r : export_one(&j, ret_dmabuf_fd);
}

/* Check every range into a new array of spans (freed by the caller). */
static int list_job(const struct sealbuf_export_range *ranges, size_t count,
		    const struct sealbuf_export_opts *opts, struct sealbuf_export_opts *o,
		    struct job *j)
{
	char what[32];
	int r = load_list_opts(opts, o);

	if (r < 0)
		return r;
	if (!ranges || !count)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "no ranges given");
	j->spans = calloc(count, sizeof(*j->spans));
	if (!j->spans)
		return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "out of memory for %zu ranges", count);
	j->n = count;
	j->name = o->name;
	for (size_t i = 0; i < count && r == 0; i++) {
		snprintf(what, sizeof(what), "range %zu", i);
		r = ranges[i].reserved ? sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
						 "%s: reserved field is not 0", what)
				       : sb_span_region(what, ranges[i].region, ranges[i].offset,
						     ranges[i].length, ranges[i].flags, &j->spans[i]);
	}
	if (r < 0)
		free(j->spans);
	return r;
}

SEALBUF_EXPORT int sealbuf_export_list(const struct sealbuf_export_range *ranges, size_t count,
				       const struct sealbuf_export_opts *opts, int *ret_dmabuf_fd)
{
	struct sealbuf_export_opts o;
	struct job j = { .split_hint = "sealbuf_export_list_split()" };
	int r;

	if (!ret_dmabuf_fd)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_dmabuf_fd is NULL");
	r = list_job(ranges, count, opts, &o, &j);
	if (r < 0)
		return r;
	r = export_one(&j, ret_dmabuf_fd);
	free(j.spans);
	return r;
}

SEALBUF_EXPORT int sealbuf_export_list_split(const struct sealbuf_export_range *ranges,
					     size_t count,
					     const struct sealbuf_export_opts *opts,
					     int *ret_fds, size_t max_fds)
{
	struct sealbuf_export_opts o;
	struct job j = { .split_hint = "sealbuf_export_list_split()" };
	int r = list_job(ranges, count, opts, &o, &j);

	if (r < 0)
		return r;
	r = export_split(&j, ret_fds, max_fds);
	free(j.spans);
	return r;
}
