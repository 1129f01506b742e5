/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf_udmabuf_diagnose(): whether dma-buf export can work for this
 * process, in parts. The verdict and its fix are sealbuf_udmabuf_check()'s
 * own (one diagnosis, in udmabuf.c); the facts around it (driver, node,
 * owner, group) are what a tool shows beside it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define UDMABUF_DEV "/dev/udmabuf"

static bool in_group(gid_t gid)
{
	int n = getgroups(0, NULL);
	gid_t *groups;
	bool found = getegid() == gid;

	if (found || n <= 0)
		return found;
	groups = calloc((size_t)n, sizeof(*groups));
	if (groups && (n = getgroups(n, groups)) > 0)
		for (int i = 0; i < n && !found; i++)
			found = groups[i] == gid;
	free(groups);
	return found;
}

static void describe_node(struct sealbuf_udmabuf_diag *d)
{
	struct stat st;

	if (stat(UDMABUF_DEV, &st) < 0)
		return;
	d->flags |= SEALBUF_UDMABUF_DIAG_NODE;
	if (S_ISCHR(st.st_mode))
		d->flags |= SEALBUF_UDMABUF_DIAG_CHRDEV;
	if (in_group(st.st_gid))
		d->flags |= SEALBUF_UDMABUF_DIAG_IN_GROUP;
	d->node_mode = (uint32_t)(st.st_mode & 07777);
	d->node_uid = (uint32_t)st.st_uid;
	d->node_gid = (uint32_t)st.st_gid;
}

SEALBUF_EXPORT int sealbuf_udmabuf_diagnose(struct sealbuf_udmabuf_diag *diag)
{
	struct sealbuf_udmabuf_diag d = { .sz = sizeof(d) };
	struct sealbuf_udmabuf_info info = { .sz = sizeof(info) };
	int err;

	if (access("/sys/module/udmabuf", F_OK) == 0)
		d.flags |= SEALBUF_UDMABUF_DIAG_DRIVER;
	describe_node(&d);
	if (sealbuf_udmabuf_query(&info) == 0 && (info.state & SEALBUF_UDMABUF_LIMITS)) {
		d.flags |= SEALBUF_UDMABUF_DIAG_LIMITS;
		d.size_limit_mb = info.size_limit_mb;
		d.list_limit = info.list_limit;
	}
	err = sealbuf_udmabuf_check();
	if (err == 0) {
		d.flags |= SEALBUF_UDMABUF_DIAG_OPENS;
	} else {
		d.error = err;
		d.reason = (uint32_t)sealbuf_last_reason();
		snprintf(d.text, sizeof(d.text), "%s", sealbuf_last_error());
	}
	return sb_info_store(diag, &d, offsetof(struct sealbuf_udmabuf_diag, text), sizeof(d));
}
