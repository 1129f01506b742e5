/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib/shared: what the library and the sealbuf tool both need, linked into
 * both as a static library (kmod's shared/): the names of seals, region
 * kinds, access modes and file types, a monotonic clock, and reading small
 * /proc and /sys files. Nothing here is exported from libsealbuf.
 */
#ifndef SEALBUF_SHARED_UTIL_H
#define SEALBUF_SHARED_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Kernel constants newer than some distributions' uAPI headers. */
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* One seal bit and its name ("SHRINK"), in the order they are printed. */
struct sb_seal_name {
	int bit;
	const char *name;
};
extern const struct sb_seal_name sb_seal_names[6];

/* "SHRINK GROW SEAL" (space-separated, in sb_seal_names order), or "none". */
const char *sb_seals_str(int seals, char *buf, size_t len);
/* "plain", "reserved", "mirror", or "unknown". */
const char *sb_kind_name(uint32_t kind);
/* O_RDONLY/O_WRONLY/O_RDWR: "read-only", "write-only", "read-write"; NULL otherwise. */
const char *sb_access_name(int accmode);
/* What a file of @mode is: "a pipe", "a socket", "a character device", ..., "a regular file". */
const char *sb_file_type_name(mode_t mode);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sb_now_ns(void);

/*
 * An option struct (libbpf's OPTS: its first field, a size_t, is its size)
 * into @out (@our_sz bytes, zeroed first; NULL @opts: all defaults). A
 * caller built against an older header passes a smaller struct (the tail
 * means defaults); a newer one a larger struct, accepted only if the fields
 * this version lacks are zero. 0; -ERANGE when its size is below @min_sz
 * (*@where: that size); -E2BIG when a byte past @our_sz is set (*@where: its
 * offset). The libraries turn these into their error texts.
 */
int sb_opts_copy(const void *opts, size_t min_sz, size_t our_sz, void *out, size_t *where);

/*
 * Read a small text file (sysfs, procfs, cgroupfs) into @buf (@len > 0
 * bytes), NUL-terminated: its length, or -errno. EINTR is retried.
 */
ssize_t sb_read_text(const char *path, char *buf, size_t len);
/* The first line of a small file, newline and trailing blanks cut: 0 or -errno. */
int sb_read_line(const char *path, char *buf, size_t len);
/*
 * The selected word of a sysfs choice file ("always [advise] never" ->
 * "advise") into @buf: 0, -ENOENT-like -errno when it cannot be read, or
 * -EINVAL when it holds no bracketed word.
 */
int sb_read_choice(const char *path, char *buf, size_t len);
/* A small file holding one decimal integer: 0 or -errno (-EINVAL when it holds none). */
int sb_read_long(const char *path, long *ret);

#endif
