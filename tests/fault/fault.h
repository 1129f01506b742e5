/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection by link-time wrapping (ld --wrap=SYMBOL): every libc call
 * the library makes goes through fault.c, which can record the calls and make
 * the N-th one fail with a chosen errno. Unlike an LD_PRELOAD shim this works
 * under ASan (whose runtime must come first) and valgrind alike: the test links
 * the static internal library, and the wrapping happens in that link only.
 */
#ifndef SEALBUF_FAULT_H
#define SEALBUF_FAULT_H

#include <stdbool.h>
#include <stddef.h>

#define FAULT_MAX_CALLS 256
#define FAULT_ANY_CTX (-1L)

struct fault_call {
	const char *fn; /* "memfd_create", "fcntl", ... (without the 64 suffix) */
	long ctx;       /* fcntl, ioctl, syscall: the command; open: FAULT_OPEN_*; else FAULT_ANY_CTX */
};

/* What an open() opens, as its ctx. */
enum {
	FAULT_OPEN_OTHER,
	FAULT_OPEN_UDMABUF, /* /dev/udmabuf */
	FAULT_OPEN_SYS,     /* /sys/...: udmabuf's limits, cgroup files */
	FAULT_OPEN_PROC,    /* /proc/... */
};

/* Start recording calls; none fails. */
void fault_trace(void);
/* Start counting calls; the @nth (from 0) fails with @err. */
void fault_arm(int nth, int err);
/* Stop; returns how many calls were seen since fault_trace()/fault_arm(). */
int fault_stop(void);
/* Calls recorded by the last fault_trace() window. */
const struct fault_call *fault_calls(void);
/* Whether the armed call was reached. */
bool fault_fired(void);
/* Make sendmsg() on a socket take one byte at a time (a stream's short writes). */
void fault_short_sends(bool on);
/* Heap blocks allocated through malloc/calloc and not yet freed. */
long fault_heap_live(void);

#endif
