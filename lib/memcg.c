/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Room left in the caller's memory cgroups. A memfd's pages are charged to
 * the memory cgroup of the process that allocates them, and when fallocate()
 * cannot charge them the kernel does not answer ENOMEM: it runs the cgroup's
 * OOM killer, which kills the caller (seen on 6.12: shmem_fallocate ->
 * try_charge_memcg -> mem_cgroup_out_of_memory). So a reservation is checked
 * against every limit above the caller first, cgroup v2 or v1.
 *
 * Room at a level is its limit less its usage, plus the page cache it could
 * drop (file pages that are not shmem). Swap is not counted: where the kernel
 * could swap instead, this refuses a little early rather than let it kill.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define V2_ROOT "/sys/fs/cgroup"
#define V1_ROOT "/sys/fs/cgroup/memory"
#define NO_LIMIT ((size_t)1 << 62) /* v1 writes "no limit" as about 2^63 */

struct memcg_files {
	const char *root, *max, *current, *file, *shmem;
};

static const struct memcg_files v2 = { V2_ROOT, "memory.max", "memory.current",
				       "file ", "shmem " };
static const struct memcg_files v1 = { V1_ROOT, "memory.limit_in_bytes",
				       "memory.usage_in_bytes", "total_cache ",
				       "total_shmem " };

/* The first number in @dir/@name ("max" reads as no limit); false if unreadable. */
static bool read_size(const char *dir, const char *name, size_t *ret)
{
	char path[4096 + 64], buf[32];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	*ret = strncmp(buf, "max", 3) ? strtoull(buf, NULL, 10) : NO_LIMIT;
	return ok;
}

/* Page cache the cgroup at @dir could drop to make room. */
static size_t droppable(const char *dir, const struct memcg_files *m)
{
	char path[4096 + 64], line[128];
	size_t file = 0, shmem = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, m->file, strlen(m->file)))
			file = strtoull(line + strlen(m->file), NULL, 10);
		else if (!strncmp(line, m->shmem, strlen(m->shmem)))
			shmem = strtoull(line + strlen(m->shmem), NULL, 10);
	}
	fclose(f);
	return file > shmem ? file - shmem : 0;
}

/* This process's cgroup path in the v2 ("0::") or v1 memory hierarchy. */
static const struct memcg_files *own_cgroup(char *path, size_t len)
{
	const struct memcg_files *m = NULL;
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (!f)
		return NULL;
	while (!m && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!p)
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (!strcmp(ctl, ":"))
			m = &v2;
		else if (strstr(ctl, "memory"))
			m = &v1; /* ":memory" or a list holding it */
		if (m && snprintf(path, len, "%s%s", m->root, p) >= (int)len)
			m = NULL;
	}
	fclose(f);
	return m;
}

/* Smallest room over @path and its ancestors up to the hierarchy's root. */
static size_t room_in(char *path, const struct memcg_files *m)
{
	size_t room = SIZE_MAX, rootlen = strlen(m->root);

	while (strlen(path) > rootlen) {
		size_t max, cur, here;
		if (read_size(path, m->max, &max) && max < NO_LIMIT &&
		    read_size(path, m->current, &cur)) {
			here = (max > cur ? max - cur : 0) + droppable(path, m);
			room = here < room ? here : room;
		}
		*strrchr(path, '/') = '\0';
	}
	return room;
}

int sb_check_memcg_room(size_t bytes)
{
	char path[4096];
	const struct memcg_files *m = own_cgroup(path, sizeof(path));
	size_t room;

	if (!m)
		return 0; /* no cgroups we can read: nothing to check */
	room = room_in(path, m);
	if (bytes <= room)
		return 0;
	return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY,
		       "%zu bytes do not fit in this process's memory cgroup (%zu bytes left): reserving them would invoke the OOM killer",
		       bytes, room);
}
