/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared by the fuzz targets: hostile fds built from fuzz bytes, leak checks. */
#ifndef SEALBUF_FUZZ_COMMON_H
#define SEALBUF_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "sealbuf.h"

/* libFuzzer's entry points; replay.c calls them too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A cursor over the fuzz input: reads past the end give zeros. */
struct fz_in {
	const uint8_t *p;
	size_t left;
};
uint8_t fz_u8(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);

/*
 * What a peer may hand over, from the honest to the absurd. Each recipe is
 * two bytes: the kind (mod FZ_FD_KINDS) and a size parameter: (param & 7)
 * pages, plus 100 bytes when param & 8 (a size no sealbuf region has).
 */
enum fz_fd_kind {
	FZ_FD_SEALED,        /* SHRINK|GROW|SEAL: what sealbuf 0.1 sent (still valid) */
	FZ_FD_UNSEALED,      /* sealable but no seals: its sender can resize it */
	FZ_FD_NO_SEAL_SEAL,  /* SHRINK|GROW without SEAL: what sealbuf 1.0 sends */
	FZ_FD_WRITE_SEAL,    /* SHRINK|GROW|SEAL|WRITE */
	FZ_FD_FUTURE_WRITE,  /* SHRINK|GROW|SEAL|FUTURE_WRITE */
	FZ_FD_NOT_SEALABLE,  /* memfd without MFD_ALLOW_SEALING */
	FZ_FD_RDONLY,        /* sealed memfd reopened O_RDONLY */
	FZ_FD_WRONLY,        /* sealed memfd reopened O_WRONLY */
	FZ_FD_PIPE,
	FZ_FD_DEVNULL,
	FZ_FD_SHM_FILE,      /* unlinked regular file on /dev/shm (tmpfs, not a memfd) */
	FZ_FD_SOCKET,
	FZ_FD_EVENTFD,
	FZ_FD_OPATH,         /* sealed memfd reopened O_PATH */
	FZ_FD_DIRECTORY,
	FZ_FD_EXEC_SEAL,     /* SHRINK|GROW|SEAL|EXEC (MFD_NOEXEC_SEAL) */
	FZ_FD_KINDS
};

/* File size a recipe's memfd gets. */
size_t fz_fd_size(uint8_t param);
/*
 * Make the fd; @content (may be NULL) is copied to its start before sealing.
 * Returns the fd, or -1 where the machine cannot make one (e.g. no /dev/shm).
 */
int fz_make_fd(uint8_t kind, uint8_t param, const uint8_t *content, size_t len);

/* Count fds and mappings before an input, compare after it: abort() on a leak. */
void fz_leak_begin(void);
void fz_leak_check(const char *target);

/*
 * A failed call must name a reason and a text; abort() otherwise. With
 * SEALBUF_FUZZ_VERBOSE set in the environment, every result is printed.
 */
void fz_check_failure(int r, const char *what);
/* Read every byte of a region, and write the first one where writable. */
void fz_touch_region(struct sealbuf_region *r);

#endif
