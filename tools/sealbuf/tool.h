/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sealbuf tool: declarations shared by main.c and the subcommands. */
#ifndef SEALBUF_TOOL_H
#define SEALBUF_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sealbuf.h"
#include "escape.h"
#include "json.h"
#include "util.h"

/*
 * Exit statuses, documented in sealbuf(1). Each class of failure has its own
 * so that a script can tell "the peer sent garbage" from "no such socket".
 */
enum {
	SBX_OK = 0,
	SBX_NO = 1,       /* doctor: dma-buf export will not work; other failures */
	SBX_USAGE = 2,    /* bad option or argument */
	SBX_INPUT = 3,    /* a named file, fd or process is missing or unusable */
	SBX_PERM = 4,     /* permission denied */
	SBX_SOCKET = 5,   /* no socket at the path, refused, address in use */
	SBX_PEER = 6,     /* the peer broke the protocol or went away */
	SBX_POLICY = 7,   /* the fd or region breaks the sealing policy */
	SBX_SIZE = 8,     /* size too large, no memory, data does not fit */
	SBX_TIMEOUT = 9,  /* nothing arrived in time */
	SBX_BENCH = 10,   /* a benchmark program is missing or failed */
};

struct tool_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;   /* argument synopsis, after "sealbuf NAME " */
	const char *summary; /* one line for `sealbuf --help` */
	const char *options; /* one line per option, for `sealbuf NAME --help` */
};

/* Subcommands: each parses its own arguments; argv[0] is its name. */
int cmd_doctor(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_offer(int argc, char **argv);
int cmd_recv(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_rdma(int argc, char **argv);

/* rdma.c: doctor's RDMA checks (devices, uverbs access, RLIMIT_MEMLOCK); how many it filled. */
enum { TOOL_RDMA_OK, TOOL_RDMA_INFO, TOOL_RDMA_WARN };
struct tool_rdma_check {
	const char *id;
	int level;
	char text[384];
	char fix[256];
};
int tool_rdma_doctor(struct tool_rdma_check *out, int max);

/* main.c */
extern const char *tool_cmd_name; /* "recv", for messages */
const struct tool_cmd *tool_find_cmd(const char *name);
/* Print "usage: sealbuf NAME ARGS" for the current subcommand to @f. */
void tool_print_usage(FILE *f, const char *name);

/* util.c: messages and exit statuses. */
int tool_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: message, then the subcommand's synopsis; returns SBX_USAGE. */
int tool_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* After a message already printed (a bad value): the synopsis alone; returns SBX_USAGE. */
int tool_usage_again(void);
/* A library call failed with @err: print reason name and text, map to an exit status. */
int tool_lib_error(int err, const char *what);
/* The exit status for a library failure with @err and @reason. */
int tool_exit_for(int err, enum sealbuf_reason reason);
/* The exit status for a system call that failed with errno @e on a named input. */
int tool_exit_for_errno(int e);

/* util.c: parsing. */
/* "4096", "64K", "1MiB", "0x1000": bytes; false (with a message) on junk or overflow. */
bool tool_parse_size(const char *s, uint64_t *ret);
bool tool_parse_long(const char *s, long min, long max, long *ret);

/* util.c: data in and out. */
/* Read all of @fd into a malloc'd buffer, refusing more than @max bytes. */
int tool_read_all(int fd, uint64_t max, uint8_t **ret_buf, size_t *ret_len);
int tool_write_all(int fd, const void *buf, size_t len);
/* hexdump -C format; repeated lines collapse into "*". */
void tool_hexdump(FILE *f, const uint8_t *p, size_t len, uint64_t base);
/* Human size: "4096 bytes (4 KiB)". */
const char *tool_human_size(uint64_t n, char *buf, size_t len);
/* Short human size for tables: "512", "8K", "1.5M" (binary units). */
const char *tool_short_size(uint64_t n, char *buf, size_t len);
/* "SHRINK GROW SEAL", "none", or "(unknown: why)" for a negative errno. */
const char *tool_seals_str(int seals, char *buf, size_t len);

/* procfd.c: what an fd (ours or another process's) refers to. */
enum fd_type { FD_OTHER, FD_MEMFD, FD_DMABUF };
struct fd_info {
	enum fd_type type;
	char link[512];       /* readlink target */
	char name[256];       /* memfd name, or dma-buf name */
	char exp_name[64];    /* dma-buf exporter ("udmabuf") */
	uint64_t size;        /* file size (memfd) or dma-buf size */
	bool size_known;
	uint64_t ino;
	int seals;            /* F_GET_SEALS, or -errno when unknown */
	int accmode;          /* O_RDONLY/O_WRONLY/O_RDWR of the holder's fd, -1 unknown */
};
/* Describe /proc/@pid/fd/@fd (pid 0: this process). -errno if it cannot be read. */
int procfd_describe(int pid, int fd, struct fd_info *out);
/* Classify a link target: "/memfd:x (deleted)", "/dmabuf:x", "anon_inode:dmabuf". */
enum fd_type procfd_classify(const char *link, char *name, size_t len);
const char *procfd_type_name(enum fd_type t);
/* Open a file through /proc/PID/fd/N (read-only) to read its seals: -errno or seals. */
int procfd_seals_of_path(const char *path);

/* Signals that end a long wait (offer, recv): SIGINT/SIGTERM set this flag. */
extern volatile int tool_interrupted;
void tool_catch_signals(void);

#endif
