/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hostile fds for the fuzz targets, and the checks every input must pass. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-common.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#define SEALS_REGION (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

uint8_t fz_u8(struct fz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)fz_u8(in) << (8 * i);
	return v;
}

size_t fz_fd_size(uint8_t param)
{
	return (param & 7) * (size_t)sysconf(_SC_PAGESIZE) + ((param & 8) ? 100 : 0);
}

static int memfd(unsigned int flags, uint8_t param, int seals,
		 const uint8_t *content, size_t len)
{
	size_t size = fz_fd_size(param);
	int fd = memfd_create("fuzz", MFD_CLOEXEC | flags);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	if (len > size)
		len = size;
	if (len && pwrite(fd, content, len, 0) != (ssize_t)len)
		goto fail;
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * MFD_NOEXEC_SEAL (6.3+) makes the EXEC seal; added by hand to an executable
 * memfd, F_SEAL_EXEC would also add WRITE and FUTURE_WRITE.
 */
static int exec_sealed(uint8_t param, const uint8_t *content, size_t len)
{
	int fd = memfd(MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL, param, SEALS_REGION, content, len);

	return fd >= 0 ? fd : memfd(MFD_ALLOW_SEALING, param, SEALS_REGION, content, len);
}

/* A new open file description of @fd with @flags, and @fd closed. */
static int reopen(int fd, int flags)
{
	char path[64];
	int r;

	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, flags | O_CLOEXEC);
	close(fd);
	return r;
}

static int other_fd(uint8_t kind, uint8_t param)
{
	int p[2], fd;

	switch (kind) {
	case FZ_FD_PIPE:
		if (pipe2(p, O_CLOEXEC) < 0)
			return -1;
		close(p[1]);
		return p[0];
	case FZ_FD_DEVNULL:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	case FZ_FD_SHM_FILE:
		fd = open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd >= 0 && ftruncate(fd, (off_t)fz_fd_size(param)) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	case FZ_FD_SOCKET:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
			return -1;
		close(p[1]);
		return p[0];
	case FZ_FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC);
	case FZ_FD_DIRECTORY:
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	return -1;
}

int fz_make_fd(uint8_t kind, uint8_t param, const uint8_t *content, size_t len)
{
	switch (kind % FZ_FD_KINDS) {
	case FZ_FD_SEALED:
		return memfd(MFD_ALLOW_SEALING, param, SEALS_REGION, content, len);
	case FZ_FD_UNSEALED:
		return memfd(MFD_ALLOW_SEALING, param, 0, content, len);
	case FZ_FD_NO_SEAL_SEAL:
		return memfd(MFD_ALLOW_SEALING, param, F_SEAL_SHRINK | F_SEAL_GROW, content, len);
	case FZ_FD_WRITE_SEAL:
		return memfd(MFD_ALLOW_SEALING, param, SEALS_REGION | F_SEAL_WRITE, content, len);
	case FZ_FD_FUTURE_WRITE:
		return memfd(MFD_ALLOW_SEALING, param, SEALS_REGION | F_SEAL_FUTURE_WRITE,
			     content, len);
	case FZ_FD_NOT_SEALABLE:
		return memfd(0, param, 0, content, len);
	case FZ_FD_RDONLY:
		return reopen(memfd(MFD_ALLOW_SEALING, param, SEALS_REGION, content, len),
			      O_RDONLY);
	case FZ_FD_WRONLY:
		return reopen(memfd(MFD_ALLOW_SEALING, param, SEALS_REGION, content, len),
			      O_WRONLY);
	case FZ_FD_OPATH:
		return reopen(memfd(MFD_ALLOW_SEALING, param, SEALS_REGION, content, len),
			      O_PATH);
	case FZ_FD_EXEC_SEAL:
		return exec_sealed(param, content, len);
	}
	return other_fd(kind % FZ_FD_KINDS, param);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Mappings of memfds and dma-bufs: the only things sealbuf maps. */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		abort();
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/memfd:") || strstr(line, "dmabuf"))
			n++;
	fclose(f);
	return n;
}

static int base_fds, base_maps;

void fz_leak_begin(void)
{
	base_fds = count_fds();
	base_maps = count_maps();
}

void fz_leak_check(const char *target)
{
	int fds, maps;

	fds = count_fds();
	maps = count_maps();
	if (fds != base_fds || maps != base_maps) {
		fprintf(stderr, "%s: LEAK: %d fds (before: %d), %d memfd/dma-buf mappings (before: %d)\n",
			target, fds, base_fds, maps, base_maps);
		abort();
	}
}

void fz_check_failure(int r, const char *what)
{
	static int verbose = -1;

	if (verbose < 0)
		verbose = getenv("SEALBUF_FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "  %s: %d %s: %s\n", what, r,
			r < 0 ? sealbuf_reason_name(sealbuf_last_reason()) : "ok",
			r < 0 ? sealbuf_last_error() : "");
	if (r >= 0)
		return;
	if (sealbuf_last_reason() == SEALBUF_R_NONE || !sealbuf_last_error()[0]) {
		fprintf(stderr, "%s failed with %d but gave no reason\n", what, r);
		abort();
	}
}

void fz_touch_region(struct sealbuf_region *r)
{
	volatile const uint8_t *p = sealbuf_region_data(r);
	size_t n = sealbuf_region_capacity(r);
	uint8_t sum = 0;

	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	if (sealbuf_region_writable(r))
		*(volatile uint8_t *)p = sum;
}
