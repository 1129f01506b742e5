/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Names, the clock and small-file reading for the library and the tool. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

const struct sb_seal_name sb_seal_names[6] = {
	{ F_SEAL_SHRINK, "SHRINK" }, { F_SEAL_GROW, "GROW" }, { F_SEAL_SEAL, "SEAL" },
	{ F_SEAL_WRITE, "WRITE" }, { F_SEAL_FUTURE_WRITE, "FUTURE_WRITE" },
	{ F_SEAL_EXEC, "EXEC" },
};

const char *sb_seals_str(int seals, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < SB_ARRAY_SIZE(sb_seal_names); i++) {
		if (!(seals & sb_seal_names[i].bit) || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", sb_seal_names[i].name);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

const char *sb_kind_name(uint32_t kind)
{
	static const char *const names[] = { "unknown", "plain", "reserved", "mirror" };

	return kind < SB_ARRAY_SIZE(names) ? names[kind] : names[0];
}

const char *sb_access_name(int accmode)
{
	switch (accmode) {
	case O_RDONLY: return "read-only";
	case O_WRONLY: return "write-only";
	case O_RDWR: return "read-write";
	default: return NULL;
	}
}

const char *sb_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a pipe";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFREG: return "a regular file";
	default: return "a special file";
	}
}

uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ssize_t sb_read_text(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

int sb_read_line(const char *path, char *buf, size_t len)
{
	ssize_t n = sb_read_text(path, buf, len);

	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	for (n = (ssize_t)strlen(buf); n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t');)
		buf[--n] = '\0';
	return 0;
}

int sb_opts_copy(const void *opts, size_t min_sz, size_t our_sz, void *out, size_t *where)
{
	const uint8_t *p = opts;
	size_t sz;

	memset(out, 0, our_sz);
	if (!opts)
		return 0;
	memcpy(&sz, opts, sizeof(sz));
	*where = sz;
	if (sz < min_sz)
		return -ERANGE;
	for (size_t i = our_sz; i < sz; i++)
		if (p[i]) {
			*where = i;
			return -E2BIG;
		}
	memcpy(out, opts, sz < our_sz ? sz : our_sz);
	return 0;
}

int sb_read_choice(const char *path, char *buf, size_t len)
{
	char text[256];
	const char *open, *close;
	ssize_t n = sb_read_text(path, text, sizeof(text));

	if (len)
		buf[0] = '\0';
	if (n < 0)
		return (int)n;
	open = strchr(text, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close || (size_t)(close - open - 1) >= len)
		return -EINVAL;
	memcpy(buf, open + 1, (size_t)(close - open - 1));
	buf[close - open - 1] = '\0';
	return 0;
}

int sb_read_long(const char *path, long *ret)
{
	char buf[64], *end;
	long v;
	int r = sb_read_line(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}
