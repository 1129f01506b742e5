/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Regions and handles against raw system calls, measured in the same run:
 *  - create + map + free against memfd_create+ftruncate+F_ADD_SEALS+mmap+munmap+close;
 *  - the fallocate reservation, per MiB, on its own;
 *  - send + receive + validate + map across two processes against a raw
 *    SCM_RIGHTS + F_GET_SEALS + fstat + mmap round trip, 4 KiB to 256 MiB;
 *  - the same round trip against copying the bytes through the same socket;
 *  - freeze against the raw reopen + remap read-only + F_SEAL_WRITE, and a
 *    window map + unmap against a raw mmap + munmap of the same range.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "sealbuf.h"

#define MiB (1024.0 * 1024.0)

static void die(const char *what)
{
	fprintf(stderr, "bench-region: %s: %s\n", what, sealbuf_last_error());
	exit(1);
}

static double raw_create(size_t size)
{
	uint64_t t = bench_now_ns();
	int fd = memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		die("raw memfd");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("raw mmap");
	munmap(p, size);
	close(fd);
	return (double)(bench_now_ns() - t) / 1e3;
}

static double sb_create(size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = flags);
	struct sealbuf_region *r;
	uint64_t t = bench_now_ns();

	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	sealbuf_region_free(r);
	return (double)(bench_now_ns() - t) / 1e3;
}

/* Alternate the two so drift in the machine hits both alike. */
static void bench_create(const struct bench *b, size_t size, const char *label)
{
	int n = b->reps ? b->reps : b->quick ? 200 : 5000;
	double *s = calloc((size_t)n, sizeof(double)), *r = calloc((size_t)n, sizeof(double));
	char fig[64];

	for (int i = 0; i < n; i++) {
		s[i] = sb_create(size, SEALBUF_CREATE_NORESERVE);
		r[i] = raw_create(size);
	}
	snprintf(fig, sizeof(fig), "create+map+free %s (no reserve)", label);
	bench_report(b, fig, "us", bench_median(s, (size_t)n), "raw memfd syscalls",
		     bench_median(r, (size_t)n), "<= 1.15");
	free(s);
	free(r);
}

static void bench_reserve(const struct bench *b)
{
	size_t size = 64u << 20;
	int n = b->quick ? 3 : 15;
	double with[32], without[32];

	for (int i = 0; i < n; i++) {
		with[i] = sb_create(size, 0);
		without[i] = sb_create(size, SEALBUF_CREATE_NORESERVE);
	}
	bench_note(b, "fallocate reservation, per MiB (64 MiB region)", "us",
		   (bench_median(with, (size_t)n) - bench_median(without, (size_t)n)) / 64);
}

/* ---- freeze and windows ----------------------------------------------- */

/* What freeze does, raw: reopen read-only, remap in place from it, seal, swap the fd. */
static double raw_freeze(int fd, void *p, size_t size)
{
	char path[64];
	uint64_t t = bench_now_ns();
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0 || mmap(p, size, PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0) == MAP_FAILED ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		die("raw freeze");
	close(fd);
	t = bench_now_ns() - t;
	close(ro);
	return (double)t / 1e3;
}

static void bench_freeze(const struct bench *b, size_t size)
{
	int n = b->reps ? b->reps : b->quick ? 100 : 2000;
	double *s = calloc((size_t)n, sizeof(double)), *r = calloc((size_t)n, sizeof(double));
	struct sealbuf_region *reg;

	for (int i = 0; i < n; i++) {
		if (sealbuf_region_create(size, NULL, &reg) < 0)
			die("sealbuf_region_create");
		uint64_t t = bench_now_ns();
		if (sealbuf_region_freeze(reg) < 0)
			die("sealbuf_region_freeze");
		s[i] = (double)(bench_now_ns() - t) / 1e3;
		sealbuf_region_free(reg);
		int fd = memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		void *p;
		/* Reserved like a region's pages: F_SEAL_WRITE scans them for pins. */
		if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || fallocate(fd, 0, 0, (off_t)size) < 0 ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
		    (p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
			die("raw memfd");
		r[i] = raw_freeze(fd, p, size);
		munmap(p, size);
	}
	bench_report(b, "freeze 1 MiB", "us", bench_median(s, (size_t)n),
		     "raw reopen+mmap(MAP_FIXED)+F_SEAL_WRITE", bench_median(r, (size_t)n), NULL);
	free(s);
	free(r);
}

/* A 64 KiB window in the middle of a 16 MiB region: map + unmap, against mmap + munmap. */
static void bench_window(const struct bench *b)
{
	size_t size = 16u << 20, len = 64u << 10, off = 8u << 20;
	int n = b->reps ? b->reps : b->quick ? 200 : 5000;
	double *s = calloc((size_t)n, sizeof(double)), *r = calloc((size_t)n, sizeof(double));
	struct sealbuf_region *reg;
	struct sealbuf_window *w;

	if (sealbuf_region_create(size, NULL, &reg) < 0)
		die("sealbuf_region_create");
	for (int i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();
		if (sealbuf_window_map(reg, off, len, 0, &w) < 0)
			die("sealbuf_window_map");
		sealbuf_window_unmap(w);
		s[i] = (double)(bench_now_ns() - t) / 1e3;
		t = bench_now_ns();
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			       sealbuf_region_fd(reg), (off_t)off);
		if (p == MAP_FAILED)
			die("raw mmap");
		munmap(p, len);
		r[i] = (double)(bench_now_ns() - t) / 1e3;
	}
	bench_report(b, "window map+unmap 64 KiB of 16 MiB", "us", bench_median(s, (size_t)n),
		     "raw mmap+munmap", bench_median(r, (size_t)n), NULL);
	sealbuf_region_free(reg);
	free(s);
	free(r);
}

/* ---- the two-process round trip ---------------------------------------- */

enum mode { MODE_SEALBUF, MODE_RAW, MODE_COPY };

static void raw_send_fd(int sock, int fd)
{
	char c = 0, ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &m, 0) != 1)
		die("raw sendmsg");
}

/* The baseline receiver: the minimum any careful receiver does. */
static void raw_receive(int sock)
{
	char c, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct stat st;
	int fd;
	void *p;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		exit(1);
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(int));
	if (fcntl(fd, F_GET_SEALS) < 0 || fstat(fd, &st) < 0)
		exit(1);
	p = st.st_size ? mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
		       : NULL;
	if (p == MAP_FAILED)
		exit(1);
	close(fd);
	if (p)
		munmap(p, (size_t)st.st_size);
}

static void copy_receive(int sock, size_t size, uint8_t *buf)
{
	for (size_t got = 0; got < size;) {
		ssize_t n = read(sock, buf, size - got < (1 << 20) ? size - got : (1 << 20));
		if (n <= 0)
			exit(1);
		got += (size_t)n;
	}
}

static void child(int sock, enum mode mode, size_t size, int n)
{
	SEALBUF_OPTS(sealbuf_recv_opts, forever, .timeout_ms = -1);
	uint8_t *buf = mode == MODE_COPY ? malloc(1 << 20) : NULL;
	char ack = 1;

	for (int i = 0; i < n; i++) {
		struct sealbuf_region *r;
		if (mode == MODE_SEALBUF) {
			if (sealbuf_region_recv(sock, &forever, &r) < 0)
				die("sealbuf_region_recv");
			sealbuf_region_free(r);
		} else if (mode == MODE_RAW) {
			raw_receive(sock);
		} else {
			copy_receive(sock, size, buf);
		}
		if (write(sock, &ack, 1) != 1)
			exit(1);
	}
	exit(0);
}

static void copy_send(int sock, const uint8_t *p, size_t size)
{
	for (size_t off = 0; off < size;) {
		ssize_t n = write(sock, p + off, size - off);
		if (n <= 0)
			die("copy write");
		off += (size_t)n;
	}
}

/* Median round trip in us: send, the child takes it in, the child acks. */
static double round_trip(struct sealbuf_region *r, enum mode mode, int n)
{
	int sv[2], status;
	double *s = calloc((size_t)n, sizeof(double)), med;
	char ack;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child(sv[1], mode, sealbuf_region_size(r), n);
	}
	close(sv[1]);
	for (int i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();
		if (mode == MODE_SEALBUF && sealbuf_region_send(sv[0], r, 0) < 0)
			die("sealbuf_region_send");
		else if (mode == MODE_RAW)
			raw_send_fd(sv[0], sealbuf_region_fd(r));
		else if (mode == MODE_COPY)
			copy_send(sv[0], sealbuf_region_data(r), sealbuf_region_size(r));
		if (read(sv[0], &ack, 1) != 1)
			die("ack");
		s[i] = (double)(bench_now_ns() - t) / 1e3;
	}
	close(sv[0]);
	waitpid(pid, &status, 0);
	med = bench_median(s, (size_t)n);
	free(s);
	return med;
}

static void bench_pass(const struct bench *b, size_t size, const char *label, bool copy)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_PREFAULT);
	int n = b->reps ? b->reps : b->quick ? 200 : 3000;
	struct sealbuf_region *r;
	double sb, raw, cp;
	char fig[80];

	bench_progress(b, "round trips of a %s region", label);
	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	round_trip(r, MODE_SEALBUF, n / 10 + 1); /* warm up */
	sb = round_trip(r, MODE_SEALBUF, n);
	raw = round_trip(r, MODE_RAW, n);
	snprintf(fig, sizeof(fig), "send+recv+validate+map %s", label);
	/* An empty region maps nothing: only sealbuf's fixed checks are left to compare. */
	bench_report(b, fig, "us", sb, "raw SCM_RIGHTS+seals+fstat+mmap", raw, size ? "<= 1.2" : NULL);
	if (copy) {
		cp = round_trip(r, MODE_COPY, b->quick ? 2 : 9);
		snprintf(fig, sizeof(fig), "copy %s through the socket", label);
		/* Here the ratio says how many times faster passing the fd is. */
		bench_report(b, fig, "us", cp, "sealbuf send+recv", sb, NULL);
	}
	sealbuf_region_free(r);
}

int main(int argc, char **argv)
{
	struct bench b;

	bench_init(&b, "region", argc, argv);
	bench_progress(&b, "create + map + free");
	bench_create(&b, 4096, "4 KiB");
	bench_create(&b, 1u << 20, "1 MiB");
	bench_reserve(&b);
	bench_progress(&b, "freeze and windows");
	bench_freeze(&b, 1u << 20);
	bench_window(&b);
	bench_pass(&b, 0, "empty", false);
	bench_pass(&b, 4096, "4 KiB", false);
	bench_pass(&b, 1u << 20, "1 MiB", true);
	bench_pass(&b, 256u << 20, "256 MiB", true);
	return 0;
}
