/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Facts about the running kernel and the user, read from /proc, /sys, /boot and /lib/modules. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "sysinfo.h"
#include "util.h"

/* One line of a kernel config: "CONFIG_X=y", "CONFIG_X=m", "# CONFIG_X is not set". */
static enum kconfig_state match_line(const char *line, const char *sym)
{
	char want[128];

	snprintf(want, sizeof(want), "CONFIG_%s=", sym);
	if (!strncmp(line, want, strlen(want)))
		return line[strlen(want)] == 'm' ? KCONFIG_MODULE : KCONFIG_YES;
	snprintf(want, sizeof(want), "# CONFIG_%s is not set", sym);
	if (!strncmp(line, want, strlen(want)))
		return KCONFIG_NOT_SET;
	return KCONFIG_UNKNOWN;
}

static enum kconfig_state scan_plain(const char *path, const char *sym, bool *readable)
{
	char line[512];
	enum kconfig_state st = KCONFIG_UNKNOWN;
	FILE *f = fopen(path, "re");

	*readable = f != NULL;
	if (!f)
		return KCONFIG_UNKNOWN;
	while (st == KCONFIG_UNKNOWN && fgets(line, sizeof(line), f))
		st = match_line(line, sym);
	fclose(f);
	/* A config that does not mention the symbol at all: its Kconfig was never offered. */
	return st == KCONFIG_UNKNOWN ? KCONFIG_NOT_SET : st;
}

static enum kconfig_state scan_gz(const char *path, const char *sym, bool *readable)
{
#ifdef HAVE_ZLIB
	char line[512];
	enum kconfig_state st = KCONFIG_UNKNOWN;
	gzFile f = gzopen(path, "rb");

	*readable = f != NULL;
	if (!f)
		return KCONFIG_UNKNOWN;
	while (st == KCONFIG_UNKNOWN && gzgets(f, line, sizeof(line)))
		st = match_line(line, sym);
	*readable = gzeof(f) || st != KCONFIG_UNKNOWN;
	gzclose(f);
	if (!*readable)
		return KCONFIG_UNKNOWN;
	return st == KCONFIG_UNKNOWN ? KCONFIG_NOT_SET : st;
#else
	(void)path; (void)sym;
	*readable = false;
	return KCONFIG_UNKNOWN;
#endif
}

enum kconfig_state sysinfo_kconfig(const char *sym, char *src, size_t len)
{
	struct utsname u;
	char path[3][300];
	enum kconfig_state st;
	bool readable;

	uname(&u);
	st = scan_gz("/proc/config.gz", sym, &readable);
	if (readable) {
		snprintf(src, len, "/proc/config.gz");
		return st;
	}
	snprintf(path[0], sizeof(path[0]), "/boot/config-%s", u.release);
	snprintf(path[1], sizeof(path[1]), "/lib/modules/%s/config", u.release);
	snprintf(path[2], sizeof(path[2]), "/lib/modules/%s/build/.config", u.release);
	for (int i = 0; i < 3; i++) {
		st = scan_plain(path[i], sym, &readable);
		if (readable) {
			snprintf(src, len, "%s", path[i]);
			return st;
		}
	}
#ifndef HAVE_ZLIB
	/* Say why, rather than lose the most common source in silence. */
	if (access("/proc/config.gz", F_OK) == 0) {
		snprintf(src, len, "/proc/config.gz not read: this sealbuf was built without zlib "
			 "(tools/setup-deps installs zlib1g-dev)");
		return KCONFIG_UNKNOWN;
	}
#endif
	snprintf(src, len, "no kernel config found");
	return KCONFIG_UNKNOWN;
}

static bool find_in(const char *dir, const char *prefix, char *out, size_t len, int depth)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char sub[1024];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (!strncmp(de->d_name, prefix, strlen(prefix))) {
			snprintf(out, len, "%s", sub);
			found = true;
		} else if (de->d_type == DT_DIR && depth < 6) {
			found = find_in(sub, prefix, out, len, depth + 1);
		}
	}
	closedir(d);
	return found;
}

bool sysinfo_find_module(const char *name, char *out, size_t len)
{
	struct utsname u;
	char dir[300], prefix[64];

	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s/kernel", u.release);
	snprintf(prefix, sizeof(prefix), "%s.ko", name);
	return find_in(dir, prefix, out, len, 0);
}

const char *sysinfo_group_name(gid_t gid, char *buf, size_t len)
{
	struct group *g = getgrgid(gid);

	if (g)
		snprintf(buf, len, "%s", g->gr_name);
	else
		snprintf(buf, len, "gid %u", (unsigned)gid);
	return buf;
}

bool sysinfo_groups(gid_t want, char *buf, size_t len)
{
	gid_t gids[256];
	int n = getgroups(256, gids);
	bool member = getegid() == want;
	size_t used = 0;
	char name[64];

	buf[0] = '\0';
	used += (size_t)snprintf(buf, len, "%s", sysinfo_group_name(getegid(), name, sizeof(name)));
	for (int i = 0; i < n && used < len; i++) {
		if (gids[i] == getegid())
			continue;
		member |= gids[i] == want;
		used += (size_t)snprintf(buf + used, len - used, ",%s",
					 sysinfo_group_name(gids[i], name, sizeof(name)));
	}
	return member;
}

static bool name_matches(const char *n, const char *contains, const char *suffix)
{
	size_t ln = strlen(n), ls = strlen(suffix);

	return strstr(n, contains) && ln >= ls && !strcmp(n + ln - ls, suffix);
}

int sysinfo_find_files(const char *const *dirs, const char *contains, const char *suffix,
		       char *out, size_t len)
{
	size_t used = 0;
	int found = 0;

	out[0] = '\0';
	for (; *dirs; dirs++) {
		struct dirent *de;
		DIR *d = opendir(*dirs);
		if (!d)
			continue;
		while ((de = readdir(d)))
			if (name_matches(de->d_name, contains, suffix) && used < len) {
				used += (size_t)snprintf(out + used, len - used, "%s%s/%s",
							 found ? ", " : "", *dirs, de->d_name);
				found++;
			}
		closedir(d);
	}
	return found;
}

static bool grep_file(const char *path, const char *needle, char *line, size_t llen)
{
	char buf[1024];
	FILE *f = fopen(path, "re");
	bool hit = false;

	if (!f)
		return false;
	while (!hit && fgets(buf, sizeof(buf), f)) {
		const char *p = buf + strspn(buf, " \t");
		if (*p == '#' || !strstr(p, needle))
			continue;
		p = buf + strspn(buf, " \t");
		snprintf(line, llen, "%.*s", (int)strcspn(p, "\n"), p);
		hit = true;
	}
	fclose(f);
	return hit;
}

bool sysinfo_grep_dirs(const char *const *dirs, const char *suffix, const char *needle,
		       char *path, size_t plen, char *line, size_t llen)
{
	for (; *dirs; dirs++) {
		struct dirent *de;
		DIR *d = opendir(*dirs);
		bool hit = false;
		if (!d)
			continue;
		while (!hit && (de = readdir(d))) {
			if (!name_matches(de->d_name, "", suffix))
				continue;
			snprintf(path, plen, "%s/%s", *dirs, de->d_name);
			hit = grep_file(path, needle, line, llen);
		}
		closedir(d);
		if (hit)
			return true;
	}
	return false;
}
