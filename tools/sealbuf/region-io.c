/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Regions from files and standard input, and their bytes out to files or a hexdump. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region-io.h"

static int open_input(const char *path, int *ret_fd)
{
	int fd;

	if (!strcmp(path, "-")) {
		*ret_fd = STDIN_FILENO;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return tool_error(tool_exit_for_errno(errno), "cannot open %s: %s", path,
				  strerror(errno));
	*ret_fd = fd;
	return 0;
}

static void close_input(int fd)
{
	if (fd != STDIN_FILENO)
		close(fd);
}

static int read_error(const char *path, int err, uint64_t max)
{
	if (err == -EFBIG)
		return tool_error(SBX_SIZE, "%s holds more than the --size of %" PRIu64 " bytes",
				  strcmp(path, "-") ? path : "standard input", max);
	if (err == -ENOMEM)
		return tool_error(SBX_SIZE, "out of memory reading %s", path);
	return tool_error(tool_exit_for_errno(-err), "cannot read %s: %s", path, strerror(-err));
}

int rio_read_file(const char *path, uint8_t **ret_buf, size_t *ret_len)
{
	int fd = -1, r = open_input(path, &fd);

	if (r)
		return r;
	r = tool_read_all(fd, UINT64_MAX, ret_buf, ret_len);
	close_input(fd);
	return r < 0 ? read_error(path, r, 0) : 0;
}

static void default_name(const struct input *in, char *buf, size_t len)
{
	char tmp[4096];

	if (in->name)
		snprintf(buf, len, "%s", in->name);
	else if (!in->path)
		snprintf(buf, len, "sealbuf");
	else if (!strcmp(in->path, "-"))
		snprintf(buf, len, "stdin");
	else {
		snprintf(tmp, sizeof(tmp), "%s", in->path);
		/* A default name is cut to fit; a --name that is too long is an error. */
		snprintf(buf, len < SEALBUF_NAME_MAX + 1 ? len : SEALBUF_NAME_MAX + 1, "%s",
			 basename(tmp));
	}
}

static int create(const struct input *in, uint64_t size, struct sealbuf_region **ret)
{
	char name[4096];
	int r;

	default_name(in, name, sizeof(name));
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = name);
	if (size > SIZE_MAX)
		return tool_error(SBX_SIZE, "%" PRIu64 " bytes cannot be mapped on this machine", size);
	if (in->reserve)
		r = sealbuf_region_reserve((size_t)size, &o, ret);
	else
		r = sealbuf_region_create((size_t)size, &o, ret);
	if (r < 0) {
		char what[96];
		snprintf(what, sizeof(what), "cannot create a %sregion of %" PRIu64 " bytes",
			 in->reserve ? "reserved " : "", size);
		return tool_lib_error(r, what);
	}
	return 0;
}

/* A regular file: size known up front, read straight into the region. */
static int from_regular(const struct input *in, int fd, uint64_t flen,
			struct sealbuf_region **ret)
{
	struct sealbuf_region *reg;
	uint64_t size = in->have_size ? in->size : flen;
	size_t done = 0;
	int r;

	if (in->have_size && flen > in->size)
		return tool_error(SBX_SIZE, "%s is %" PRIu64 " bytes, more than the --size of %" PRIu64,
				  in->path, flen, in->size);
	r = create(in, size, &reg);
	if (r)
		return r;
	while (done < flen) {
		ssize_t n = pread(fd, (uint8_t *)sealbuf_region_data(reg) + done, flen - done,
				  (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = tool_error(tool_exit_for_errno(errno), "cannot read %s: %s", in->path,
				       strerror(errno));
			sealbuf_region_free(reg);
			return r;
		}
		if (n == 0)
			break; /* the file shrank while we read it: the rest stays zero */
		done += (size_t)n;
	}
	*ret = reg;
	return 0;
}

/* A pipe, a terminal, a /proc file: read it all first. */
static int from_stream(const struct input *in, int fd, struct sealbuf_region **ret)
{
	uint8_t *buf;
	size_t len;
	int r = tool_read_all(fd, in->have_size ? in->size : UINT64_MAX, &buf, &len);

	if (r < 0)
		return read_error(in->path, r, in->size);
	r = create(in, in->have_size ? in->size : len, ret);
	if (r == 0 && in->reserve) {
		/* A reserved region publishes the input: its valid size is the input's. */
		int e = sealbuf_region_write(*ret, buf, len);
		if (e < 0) {
			r = tool_lib_error(e, "publishing the input");
			sealbuf_region_free(*ret);
		}
	} else if (r == 0 && len) {
		memcpy(sealbuf_region_data(*ret), buf, len);
	}
	free(buf);
	return r;
}

int rio_region_from_input(const struct input *in, struct sealbuf_region **ret)
{
	struct stat st;
	int fd = -1, r;

	if (!in->path && !in->have_size)
		return tool_usage_error("give a FILE, '-' for standard input, or --size for a zero-filled region");
	if (!in->path)
		return create(in, in->size, ret);
	r = open_input(in->path, &fd);
	if (r)
		return r;
	if (fstat(fd, &st) < 0)
		r = tool_error(SBX_INPUT, "cannot stat %s: %s", in->path, strerror(errno));
	else if (S_ISDIR(st.st_mode))
		r = tool_error(SBX_INPUT, "%s is a directory", in->path);
	else if (S_ISREG(st.st_mode) && st.st_size > 0 && !in->reserve)
		r = from_regular(in, fd, (uint64_t)st.st_size, ret);
	else
		r = from_stream(in, fd, ret);
	close_input(fd);
	return r;
}

/* A consistent copy of what a reserved or mirror region publishes now. */
static int snapshot(struct sealbuf_region *r, const uint8_t **ret, size_t *ret_len,
		    uint8_t **ret_copy)
{
	size_t cap = sealbuf_region_capacity(r), len = 0;
	uint8_t *buf = malloc(cap ? cap : 1);
	int e;

	if (!buf)
		return tool_error(SBX_SIZE, "out of memory for a %zu-byte snapshot", cap);
	e = sealbuf_region_snapshot(r, buf, cap, &len, NULL);
	if (e < 0) {
		free(buf);
		return tool_lib_error(e, "reading the region's published contents");
	}
	*ret = buf;
	*ret_len = len;
	*ret_copy = buf;
	return 0;
}

int rio_region_bytes(struct sealbuf_region *r, const uint8_t **ret, size_t *ret_len,
		     uint8_t **ret_copy)
{
	*ret_copy = NULL;
	if (sealbuf_region_kind(r) != SEALBUF_KIND_PLAIN)
		return snapshot(r, ret, ret_len, ret_copy);
	*ret = sealbuf_region_data(r);
	*ret_len = sealbuf_region_size(r);
	return 0;
}

int rio_region_write(struct sealbuf_region *r, uint64_t off, const uint8_t *buf, size_t len)
{
	size_t cap = sealbuf_region_capacity(r);
	int e;

	if (!sealbuf_region_writable(r))
		return tool_error(SBX_POLICY, "the region is mapped read-only");
	if (sealbuf_region_kind(r) != SEALBUF_KIND_PLAIN) {
		/* Reserved regions are published whole: the input becomes the contents. */
		if (off)
			return tool_error(SBX_USAGE, "a %s region is published whole: --offset must be 0",
					  sb_kind_name(sealbuf_region_kind(r)));
		e = sealbuf_region_write(r, buf, len);
		return e < 0 ? tool_lib_error(e, "publishing into the region") : 0;
	}
	if (off > cap || len > cap - off)
		return tool_error(SBX_SIZE,
				  "%zu bytes at offset %" PRIu64 " do not fit a region of %zu bytes",
				  len, off, cap);
	if (len)
		memcpy((uint8_t *)sealbuf_region_data(r) + off, buf, len);
	return 0;
}

static int open_output(const char *path, int *ret_fd)
{
	int fd;

	if (!path || !strcmp(path, "-")) {
		*ret_fd = STDOUT_FILENO;
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0)
		return tool_error(tool_exit_for_errno(errno), "cannot write %s: %s", path,
				  strerror(errno));
	*ret_fd = fd;
	return 0;
}

int rio_emit(const uint8_t *p, size_t size, uint64_t off, uint64_t len, bool have_len,
	     enum rio_out mode, const char *out_path)
{
	FILE *f;
	int fd = STDOUT_FILENO, r;

	if (!p)
		p = (const uint8_t *)""; /* an empty region maps nothing */
	if (off > size)
		return tool_error(SBX_SIZE, "offset %" PRIu64 " is past the end of the %zu bytes",
				  off, size);
	if (!have_len || len > size - off)
		len = size - off;
	r = open_output(out_path, &fd);
	if (r)
		return r;
	if (mode == RIO_RAW) {
		r = tool_write_all(fd, p + off, (size_t)len);
		if (r < 0)
			r = tool_error(SBX_NO, "writing %s: %s", out_path ? out_path : "standard output",
				       strerror(-r));
	} else {
		f = fd == STDOUT_FILENO ? stdout : fdopen(fd, "w");
		if (!f) {
			close(fd);
			return tool_error(SBX_NO, "fdopen: %s", strerror(errno));
		}
		tool_hexdump(f, p + off, (size_t)len, off);
		r = fflush(f) ? tool_error(SBX_NO, "writing the hexdump: %s", strerror(errno)) : 0;
		if (f != stdout) {
			fclose(f);
			fd = STDOUT_FILENO;
		}
	}
	if (fd != STDOUT_FILENO && close(fd) < 0 && !r)
		r = tool_error(SBX_NO, "closing %s: %s", out_path, strerror(errno));
	return r;
}

static void info_json(const struct sealbuf_region *r, const struct fd_info *fi, bool have_fi)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_obj(&j, NULL);
	json_str(&j, "kind", sb_kind_name(sealbuf_region_kind(r)));
	json_uint(&j, "size", sealbuf_region_size(r));
	json_uint(&j, "capacity", sealbuf_region_capacity(r));
	json_uint(&j, "mapped", sealbuf_region_mapped_size(r));
	json_bool(&j, "writable", sealbuf_region_writable(r));
	json_uint(&j, "seq", sealbuf_region_seq(r));
	json_str(&j, "name", have_fi ? fi->name : NULL);
	json_str(&j, "handle", have_fi ? sb_access_name(fi->accmode) : NULL);
	json_seals(&j, "seals", have_fi ? fi->seals : -1);
	if (have_fi)
		json_uint(&j, "inode", fi->ino);
	else
		json_null(&j, "inode");
	json_end_obj(&j);
	json_done(&j);
}

void rio_print_info(const struct sealbuf_region *r, bool json)
{
	struct fd_info fi;
	char buf[96], seals[96], name[4 * 256];
	bool have_fi = sealbuf_region_fd(r) >= 0 &&
		       procfd_describe(0, sealbuf_region_fd(r), &fi) == 0;
	const char *mode = have_fi ? sb_access_name(fi.accmode) : NULL;

	if (json) {
		info_json(r, &fi, have_fi);
		return;
	}
	printf("kind:      %s\n", sb_kind_name(sealbuf_region_kind(r)));
	printf("size:      %s\n", tool_human_size(sealbuf_region_size(r), buf, sizeof(buf)));
	printf("capacity:  %s\n", tool_human_size(sealbuf_region_capacity(r), buf, sizeof(buf)));
	printf("mapped:    %s\n", tool_human_size(sealbuf_region_mapped_size(r), buf, sizeof(buf)));
	printf("mapping:   %s\n", sealbuf_region_writable(r) ? "read-write" : "read-only");
	if (sealbuf_region_kind(r) != SEALBUF_KIND_PLAIN)
		printf("sequence:  %" PRIu64 "\n", sealbuf_region_seq(r));
	if (!have_fi)
		return;
	printf("name:      %s\n", sb_term_escape(fi.name, name, sizeof(name)));
	printf("handle:    %s\n", mode ? mode : "unknown");
	printf("seals:     %s\n", tool_seals_str(fi.seals, seals, sizeof(seals)));
	printf("inode:     %" PRIu64 "\n", fi.ino);
}
