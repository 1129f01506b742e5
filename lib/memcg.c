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
 *
 * Creating a region must stay cheap: which levels have a limit is learnt once
 * (and again before refusing), so a process with no limit above it reads
 * nothing, and one with limits reads one usage file per limited level.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

#define NO_LIMIT ((size_t)1 << 62) /* v1 writes "no limit" as about 2^63 */
#define MAX_LEVELS 16

struct memcg_files {
	const char *root, *max, *current, *file, *shmem;
};

static const struct memcg_files v2 = { "/sys/fs/cgroup", "memory.max", "memory.current",
				       "file ", "shmem " };
static const struct memcg_files v1 = { "/sys/fs/cgroup/memory", "memory.limit_in_bytes",
				       "memory.usage_in_bytes", "total_cache ",
				       "total_shmem " };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	bool known;
	const struct memcg_files *m; /* NULL: no memory cgroup to read */
	char path[4096];             /* this process's cgroup directory */
	size_t len[MAX_LEVELS];      /* path length of each level with a limit */
	size_t max[MAX_LEVELS];      /* and its limit */
	int n;
} cg;

/* The number at the start of @dir (its first @len bytes)/@name; "max" is NO_LIMIT. */
static bool read_size(const char *dir, size_t len, const char *name, size_t *ret)
{
	char path[sizeof(cg.path) + 64], buf[32];

	snprintf(path, sizeof(path), "%.*s/%s", (int)len, dir, name);
	if (sb_read_text(path, buf, sizeof(buf)) <= 0)
		return false;
	*ret = strncmp(buf, "max", 3) ? strtoull(buf, NULL, 10) : NO_LIMIT;
	return true;
}

/* Page cache the cgroup could drop to make room: file pages that are not shmem. */
static size_t droppable(const char *dir, size_t len)
{
	char path[sizeof(cg.path) + 64], line[128];
	const char *file = cg.m->file, *shmem = cg.m->shmem;
	size_t nfile = 0, nshmem = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%.*s/memory.stat", (int)len, dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, file, strlen(file)))
			nfile = strtoull(line + strlen(file), NULL, 10);
		else if (!strncmp(line, shmem, strlen(shmem)))
			nshmem = strtoull(line + strlen(shmem), NULL, 10);
	}
	fclose(f);
	return nfile > nshmem ? nfile - nshmem : 0;
}

/* This process's cgroup in the v2 ("0::") or the v1 memory hierarchy. */
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
			m = &v1; /* ":memory", or a list of controllers holding it */
		if (m && snprintf(path, len, "%s%s", m->root, p) >= (int)len)
			m = NULL;
	}
	fclose(f);
	return m;
}

/* Learn which levels, from ours up to the hierarchy's root, have a limit. */
static void scan(void)
{
	size_t len, max;

	cg.known = true;
	cg.n = 0;
	cg.m = own_cgroup(cg.path, sizeof(cg.path));
	if (!cg.m)
		return;
	for (len = strlen(cg.path); len > strlen(cg.m->root) && cg.n < MAX_LEVELS;) {
		if (read_size(cg.path, len, cg.m->max, &max) && max < NO_LIMIT) {
			cg.len[cg.n] = len;
			cg.max[cg.n++] = max;
		}
		while (len && cg.path[--len] != '/')
			;
	}
}

/* Room for @bytes: the smallest over the limited levels (SIZE_MAX: none). */
static size_t room_for(size_t bytes)
{
	size_t room = SIZE_MAX;

	for (int i = 0; i < cg.n; i++) {
		size_t cur, here;
		if (!read_size(cg.path, cg.len[i], cg.m->current, &cur))
			continue;
		here = cg.max[i] > cur ? cg.max[i] - cur : 0;
		if (here < bytes) /* only then is the page cache worth reading */
			here += droppable(cg.path, cg.len[i]);
		room = here < room ? here : room;
	}
	return room;
}

int sb_check_memcg_room(size_t bytes)
{
	size_t room;

	pthread_mutex_lock(&lock);
	if (!cg.known)
		scan();
	room = room_for(bytes);
	if (room < bytes) { /* limits may have changed, or we moved: look again */
		scan();
		room = room_for(bytes);
	}
	pthread_mutex_unlock(&lock);
	if (bytes <= room)
		return 0;
	return sb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY,
		       "%zu bytes do not fit in this process's memory cgroup (%zu bytes left): reserving them would invoke the OOM killer",
		       bytes, room);
}
