/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Facts about the running kernel, for doctor: kernel config, module parameters, group names. */
#ifndef SEALBUF_TOOL_SYSINFO_H
#define SEALBUF_TOOL_SYSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum kconfig_state { KCONFIG_UNKNOWN, KCONFIG_NOT_SET, KCONFIG_YES, KCONFIG_MODULE };

/*
 * The value of CONFIG_@sym in the running kernel's config (/proc/config.gz,
 * /boot/config-RELEASE, /lib/modules/RELEASE/config); @src names the file read.
 */
enum kconfig_state sysinfo_kconfig(const char *sym, char *src, size_t len);

/* A kernel module file for @name under /lib/modules/RELEASE (path in @out), or false. */
bool sysinfo_find_module(const char *name, char *out, size_t len);


/* "root", or "gid 1234" when the group has no name. */
const char *sysinfo_group_name(gid_t gid, char *buf, size_t len);
/* The caller's groups, comma-separated, and whether @gid is one of them. */
bool sysinfo_groups(gid_t want, char *buf, size_t len);

/* Files named *@contains*@suffix in the standard dirs listed in @dirs (NULL-terminated). */
int sysinfo_find_files(const char *const *dirs, const char *contains, const char *suffix,
		       char *out, size_t len);
/* First file in @dirs whose lines mention @needle (e.g. a udev rule for "udmabuf"). */
bool sysinfo_grep_dirs(const char *const *dirs, const char *suffix, const char *needle,
		       char *path, size_t plen, char *line, size_t llen);

#endif
