/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Regions and handles against raw system calls, measured in the same run,
 * each pair pinned alike and interleaved (bench.h):
 *  - create + map + free, default (reserved) mode and NORESERVE, against the
 *    same raw system calls (memfd_create, ftruncate, fallocate, F_ADD_SEALS,
 *    mmap, munmap, close);
 *  - send + receive + validate + map across two processes against a raw
 *    SCM_RIGHTS + F_GET_SEALS + fstat + mmap round trip, on one CPU and
 *    across two;
 *  - sharing against copying the bytes through the socket, with a receiver
 *    that reads every byte, and one that writes every page, 64 KiB to 256 MiB;
 *  - a receiver reading all of 256 MiB it was just sent, against reading
 *    memory it already had;
 *  - freeze against the raw reopen + remap read-only + F_SEAL_WRITE, and a
 *    window map + unmap against a raw mmap + munmap of the same range.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "util.h"
#include "sealbuf.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define PAGE 4096

static void die(const char *what)
{
	fprintf(stderr, "bench-region: %s: %s\n", what, sealbuf_last_error());
	exit(1);
}

/* ---- create ------------------------------------------------------------- */

struct create_ctx {
	size_t size;
	uint32_t flags; /* sealbuf's create flags; the raw side reserves unless NORESERVE */
};

static double raw_create_once(size_t size, bool reserve)
{
	uint64_t t = bench_now_ns();
	int fd = memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	void *p;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    (reserve && fallocate(fd, 0, 0, (off_t)size) < 0) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		die("raw memfd");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("raw mmap");
	munmap(p, size);
	close(fd);
	return (double)(bench_now_ns() - t) / 1e3;
}

static double sb_create_once(size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = flags);
	struct sealbuf_region *r;
	uint64_t t = bench_now_ns();

	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	sealbuf_region_free(r);
	return (double)(bench_now_ns() - t) / 1e3;
}

static double create_side(const struct bench *b, void *ctx)
{
	const struct create_ctx *c = ctx;
	int n = bench_reps(b, 2000);
	double *s = bench_samples(n);

	for (int i = 0; i < n; i++)
		s[i] = sb_create_once(c->size, c->flags);
	return bench_median_free(s, n);
}

static double create_raw(const struct bench *b, void *ctx)
{
	const struct create_ctx *c = ctx;
	int n = bench_reps(b, 2000);
	double *s = bench_samples(n);

	for (int i = 0; i < n; i++)
		s[i] = raw_create_once(c->size, !(c->flags & SEALBUF_CREATE_NORESERVE));
	return bench_median_free(s, n);
}

static void bench_create(struct bench *b, size_t size, const char *label, uint32_t flags,
			 const char *target)
{
	struct create_ctx c = { .size = size, .flags = flags };
	struct bench_pair p;
	char fig[80];
	bool noreserve = flags & SEALBUF_CREATE_NORESERVE;

	snprintf(fig, sizeof(fig), "create+map+free %s%s", label, noreserve ? " (NORESERVE)" : "");
	if (!bench_wants(b, fig))
		return;
	bench_pair(b, create_side, create_raw, &c, &p);
	bench_report(b, fig, "us", &p,
		     noreserve ? "raw memfd+ftruncate+seals+mmap" : "raw memfd+ftruncate+fallocate+seals+mmap",
		     "CPU 0", target);
}

static void bench_reserve_cost(const struct bench *b)
{
	size_t size = 64 * MiB;
	int n = b->quick ? 3 : 15;
	double with[32], without[32];

	if (!bench_wants(b, "fallocate reservation"))
		return;
	for (int i = 0; i < n; i++) {
		with[i] = sb_create_once(size, 0);
		without[i] = sb_create_once(size, SEALBUF_CREATE_NORESERVE);
	}
	bench_note(b, "fallocate reservation, per MiB (64 MiB region)", "us",
		   (bench_median(with, (size_t)n) - bench_median(without, (size_t)n)) / 64);
}

/* A reserved region's header takes a page of its own (docs/performance.md says why). */
static void bench_tiny(const struct bench *b)
{
	struct sealbuf_region *r;

	if (!bench_wants(b, "memory of a reserved"))
		return;
	if (sealbuf_region_reserve(4 * KiB, NULL, &r) < 0)
		die("sealbuf_region_reserve");
	bench_note(b, "memory of a reserved 4 KiB region, per payload byte", "x",
		   (double)sealbuf_region_mapped_size(r) / (double)sealbuf_region_capacity(r));
	sealbuf_region_free(r);
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

static double freeze_side(const struct bench *b, void *ctx)
{
	size_t size = *(size_t *)ctx;
	int n = bench_reps(b, 1000);
	double *s = bench_samples(n);
	struct sealbuf_region *reg;

	for (int i = 0; i < n; i++) {
		if (sealbuf_region_create(size, NULL, &reg) < 0)
			die("sealbuf_region_create");
		uint64_t t = bench_now_ns();
		if (sealbuf_region_freeze(reg) < 0)
			die("sealbuf_region_freeze");
		s[i] = (double)(bench_now_ns() - t) / 1e3;
		sealbuf_region_free(reg);
	}
	return bench_median_free(s, n);
}

static double freeze_raw(const struct bench *b, void *ctx)
{
	size_t size = *(size_t *)ctx;
	int n = bench_reps(b, 1000);
	double *s = bench_samples(n);

	for (int i = 0; i < n; i++) {
		int fd = memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		void *p;
		/* Reserved like a region's pages: F_SEAL_WRITE scans them for pins. */
		if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || fallocate(fd, 0, 0, (off_t)size) < 0 ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 ||
		    (p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
			die("raw memfd");
		s[i] = raw_freeze(fd, p, size);
		munmap(p, size);
	}
	return bench_median_free(s, n);
}

static void bench_freeze(struct bench *b, size_t size)
{
	struct bench_pair p;

	if (!bench_wants(b, "freeze 1 MiB"))
		return;
	bench_pair(b, freeze_side, freeze_raw, &size, &p);
	bench_report(b, "freeze 1 MiB", "us", &p, "raw reopen+mmap(MAP_FIXED)+F_SEAL_WRITE", "CPU 0",
		     NULL);
}

/* A 64 KiB window in the middle of a 16 MiB region. */
#define WINDOW_LEN (64 * KiB)
#define WINDOW_OFF (8 * MiB)

static double window_side(const struct bench *b, void *ctx)
{
	struct sealbuf_region *reg = ctx;
	int n = bench_reps(b, 2000);
	double *s = bench_samples(n);
	struct sealbuf_window *w;

	for (int i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();
		if (sealbuf_window_map(reg, WINDOW_OFF, WINDOW_LEN, 0, &w) < 0)
			die("sealbuf_window_map");
		sealbuf_window_unmap(w);
		s[i] = (double)(bench_now_ns() - t) / 1e3;
	}
	return bench_median_free(s, n);
}

static double window_raw(const struct bench *b, void *ctx)
{
	struct sealbuf_region *reg = ctx;
	int n = bench_reps(b, 2000);
	double *s = bench_samples(n);

	for (int i = 0; i < n; i++) {
		uint64_t t = bench_now_ns();
		void *p = mmap(NULL, WINDOW_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			       sealbuf_region_fd(reg), (off_t)WINDOW_OFF);
		if (p == MAP_FAILED)
			die("raw mmap");
		munmap(p, WINDOW_LEN);
		s[i] = (double)(bench_now_ns() - t) / 1e3;
	}
	return bench_median_free(s, n);
}

/* map + unmap of the window, against mmap + munmap. */
static void bench_window(struct bench *b)
{
	struct sealbuf_region *reg;
	struct bench_pair p;

	if (!bench_wants(b, "window map+unmap"))
		return;
	if (sealbuf_region_create(16 * MiB, NULL, &reg) < 0)
		die("sealbuf_region_create");
	bench_pair(b, window_side, window_raw, reg, &p);
	bench_report(b, "window map+unmap 64 KiB of 16 MiB", "us", &p, "raw mmap+munmap", "CPU 0",
		     NULL);
	sealbuf_region_free(reg);
}

/* ---- two processes ------------------------------------------------------ */

enum mode {
	MODE_SEALBUF,     /* sealbuf_region_recv, lazy: like for like with MODE_RAW */
	MODE_RAW,         /* recvmsg + F_GET_SEALS + fstat + mmap */
	MODE_SHARE_READ,  /* sealbuf_region_recv (default), then read every byte */
	MODE_SHARE_WRITE, /* sealbuf_region_recv (default), then write every page */
	MODE_COPY_READ,   /* the bytes through the socket into a buffer, then read them */
	MODE_COPY_WRITE,  /* the same, then write every page of the buffer */
	MODE_FIRST_READ,  /* receive + read every byte, then again: times both */
};

struct trip {
	struct sealbuf_region *r;
	enum mode mode;
	int cpu_child;    /* bench_pin index of the child; the parent takes 0 */
	int n;            /* trips per sample */
};

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

static uint64_t read_all(const void *p, size_t size)
{
	const uint64_t *w = p;
	uint64_t s = 0;

	for (size_t i = 0; i < size / 8; i++)
		s += w[i];
	__asm__ __volatile__("" ::"r"(s));
	return s;
}

static void write_pages(void *p, size_t size)
{
	for (size_t off = 0; off < size; off += PAGE)
		((volatile uint8_t *)p)[off] = (uint8_t)off;
}

static void copy_receive(int sock, uint8_t *buf, size_t size)
{
	for (size_t got = 0; got < size;) {
		ssize_t n = read(sock, buf + got, size - got);
		if (n <= 0)
			exit(1);
		got += (size_t)n;
	}
}

static struct sealbuf_region *sb_receive(int sock, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = flags, .timeout_ms = -1); /* wait for ever */
	struct sealbuf_region *r;

	if (sealbuf_region_recv(sock, &o, &r) < 0)
		die("sealbuf_region_recv");
	return r;
}

/* Receive, read it all, then read it again: both times go back to the parent. */
static void first_read(int sock, double *ret)
{
	struct pollfd pf = { .fd = sock, .events = POLLIN };
	struct sealbuf_region *r;
	uint64_t t0, t1, t2;

	poll(&pf, 1, -1); /* the message is there: time the receiver alone */
	t0 = bench_now_ns();
	r = sb_receive(sock, 0);
	read_all(sealbuf_region_data(r), sealbuf_region_size(r));
	t1 = bench_now_ns();
	read_all(sealbuf_region_data(r), sealbuf_region_size(r));
	t2 = bench_now_ns();
	sealbuf_region_free(r);
	ret[0] = (double)(t1 - t0);
	ret[1] = (double)(t2 - t1);
}

static void receive_one(int sock, enum mode mode, uint8_t *buf, size_t size, double *times)
{
	struct sealbuf_region *r = NULL;

	if (mode == MODE_SEALBUF)
		r = sb_receive(sock, SEALBUF_OPEN_LAZY);
	else if (mode == MODE_RAW)
		raw_receive(sock);
	else if (mode == MODE_SHARE_READ || mode == MODE_SHARE_WRITE)
		r = sb_receive(sock, 0);
	else if (mode == MODE_FIRST_READ)
		first_read(sock, times);
	else
		copy_receive(sock, buf, size);
	if (mode == MODE_SHARE_READ)
		read_all(sealbuf_region_data(r), size);
	else if (mode == MODE_SHARE_WRITE)
		write_pages(sealbuf_region_data(r), size);
	else if (mode == MODE_COPY_READ)
		read_all(buf, size);
	else if (mode == MODE_COPY_WRITE)
		write_pages(buf, size);
	sealbuf_region_free(r);
}

static void child(const struct bench *b, int sock, const struct trip *t)
{
	size_t size = sealbuf_region_size(t->r);
	bool copy = t->mode == MODE_COPY_READ || t->mode == MODE_COPY_WRITE;
	uint8_t *buf = copy ? malloc(size) : NULL;
	double times[2] = { 0, 0 };

	bench_pin(b, t->cpu_child);
	if (buf)
		memset(buf, 0, size); /* a buffer the receiver already had */
	for (int i = 0; i < t->n; i++) {
		receive_one(sock, t->mode, buf, size, times);
		if (write(sock, times, sizeof(times)) != sizeof(times))
			_exit(1);
	}
	_exit(0);
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

static void send_one(int sock, const struct trip *t)
{
	if (t->mode == MODE_RAW)
		raw_send_fd(sock, sealbuf_region_fd(t->r));
	else if (t->mode == MODE_COPY_READ || t->mode == MODE_COPY_WRITE)
		copy_send(sock, sealbuf_region_data(t->r), sealbuf_region_size(t->r));
	else if (sealbuf_region_send(sock, t->r, 0) < 0)
		die("sealbuf_region_send");
}

/*
 * Median round trip in us (send, the child takes it in and does its work,
 * the child acks), or with MODE_FIRST_READ the child's own times in
 * @first and @warm (ns). A warm-up trip comes first.
 */
static double round_trips(const struct bench *b, const struct trip *t, double *first,
			  double *warm)
{
	int sv[2], status, n = t->n;
	double *s = bench_samples(n + 1), *f = bench_samples(n + 1), *w = bench_samples(n + 1);
	double times[2], med;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	struct trip tc = *t;
	tc.n = n + 1;
	bench_pin(b, 0);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child(b, sv[1], &tc);
	}
	close(sv[1]);
	for (int i = 0; i <= n; i++) {
		uint64_t start = bench_now_ns();
		send_one(sv[0], t);
		if (read(sv[0], times, sizeof(times)) != sizeof(times))
			die("ack");
		s[i] = (double)(bench_now_ns() - start) / 1e3;
		f[i] = times[0];
		w[i] = times[1];
	}
	close(sv[0]);
	waitpid(pid, &status, 0);
	med = bench_median(s + 1, (size_t)n);
	if (first)
		*first = bench_median(f + 1, (size_t)n);
	if (warm)
		*warm = bench_median(w + 1, (size_t)n);
	free(s);
	free(f);
	free(w);
	return med;
}

struct trip_pair {
	struct trip side, base;
};

static double trip_side(const struct bench *b, void *ctx)
{
	return round_trips(b, &((struct trip_pair *)ctx)->side, NULL, NULL);
}

static double trip_base(const struct bench *b, void *ctx)
{
	return round_trips(b, &((struct trip_pair *)ctx)->base, NULL, NULL);
}

static struct sealbuf_region *filled_region(size_t size)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_PREFAULT);
	struct sealbuf_region *r;

	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	if (size)
		memset(sealbuf_region_data(r), 0x5a, size);
	return r;
}

static int trips_for(const struct bench *b, size_t size)
{
	int n = size >= 64 * MiB ? 3 : size >= 4 * MiB ? 15 : 400;

	return b->reps ? b->reps : b->quick ? (n > 20 ? 20 : 1) : n;
}

/* sealbuf's receive against the raw one, the child on CPU @cpu (0: with the parent). */
static void bench_pass(struct bench *b, size_t size, const char *label, int cpu,
		       const char *target)
{
	struct trip_pair tp = {
		.side = { .mode = MODE_SEALBUF, .cpu_child = cpu, .n = trips_for(b, size) },
	};
	struct bench_pair p;
	char fig[96];

	snprintf(fig, sizeof(fig), "send+recv+validate+map %s", label);
	if (!bench_wants(b, fig))
		return;
	bench_progress(b, "round trips of a %s region%s", label, cpu ? " across CPUs" : " on one CPU");
	tp.side.r = filled_region(size);
	tp.base = tp.side;
	tp.base.mode = MODE_RAW;
	bench_pair(b, trip_side, trip_base, &tp, &p);
	bench_report(b, fig, "us", &p, "raw SCM_RIGHTS+seals+fstat+mmap",
		     cpu ? "CPUs 0,1" : "CPU 0 (both)", target);
	sealbuf_region_free(tp.side.r);
}

/* Sharing against copying, with a receiver that reads (or writes) all of it. */
static void bench_share_copy(struct bench *b, size_t size, const char *label, bool write)
{
	struct trip_pair tp = {
		.side = { .mode = write ? MODE_SHARE_WRITE : MODE_SHARE_READ, .cpu_child = 1,
			  .n = trips_for(b, size) },
	};
	struct bench_pair p;
	char fig[96];

	snprintf(fig, sizeof(fig), "share %s, receiver %s", label,
		 write ? "writes every page" : "reads every byte");
	if (!bench_wants(b, fig))
		return;
	bench_progress(b, "share vs copy of %s, receiver %s", label, write ? "writes" : "reads");
	tp.side.r = filled_region(size);
	tp.base = tp.side;
	tp.base.mode = write ? MODE_COPY_WRITE : MODE_COPY_READ;
	bench_pair(b, trip_side, trip_base, &tp, &p);
	bench_report(b, fig, "us", &p,
		     write ? "copy through the socket, then write" : "copy through the socket, then read",
		     "CPUs 0,1", "< 1");
	sealbuf_region_free(tp.side.r);
}

/* The receiver of 256 MiB: its first read (receive included) against a second one. */
static void bench_first_read(struct bench *b)
{
	size_t size = 256 * MiB;
	struct trip t = { .mode = MODE_FIRST_READ, .cpu_child = 1, .n = trips_for(b, size) };
	double v[64], w[64], r[64], first, warm;
	struct bench_pair p = { .rounds = b->rounds };
	char thp[32], base[96];

	if (!bench_wants(b, "receive + read all"))
		return;
	bench_progress(b, "a receiver reading all of 256 MiB");
	t.r = filled_region(size);
	for (int i = 0; i < b->rounds; i++) {
		round_trips(b, &t, &first, &warm);
		v[i] = (double)size / first; /* GB/s */
		w[i] = (double)size / warm;
		r[i] = v[i] / w[i];
	}
	p.value = bench_median(v, (size_t)b->rounds);
	p.base = bench_median(w, (size_t)b->rounds);
	p.ratio = bench_median(r, (size_t)b->rounds);
	p.lo = r[0];
	p.hi = r[b->rounds - 1];
	/* Huge pages decide this figure (docs/performance.md): say which the run had. */
	if (sb_read_choice("/sys/kernel/mm/transparent_hugepage/shmem_enabled", thp, sizeof(thp)) < 0)
		snprintf(thp, sizeof(thp), "%s", "not offered");
	snprintf(base, sizeof(base), "reading memory it already had (shmem huge pages: %s)", thp);
	bench_report(b, "receive + read all of 256 MiB", "GB/s", &p, base, "CPUs 0,1", ">= 0.8");
	sealbuf_region_free(t.r);
}

int main(int argc, char **argv)
{
	static const struct { size_t size; const char *label; } sc[] = {
		{ 64 * KiB, "64 KiB" }, { MiB, "1 MiB" }, { 16 * MiB, "16 MiB" }, { 256 * MiB, "256 MiB" },
	};
	struct bench b;

	bench_init(&b, "region", argc, argv);
	bench_progress(&b, "create + map + free");
	bench_pin(&b, 0);
	bench_create(&b, 4 * KiB, "4 KiB", 0, "<= 1.05");
	bench_create(&b, MiB, "1 MiB", 0, "<= 1.05");
	bench_create(&b, 4 * KiB, "4 KiB", SEALBUF_CREATE_NORESERVE, "<= 1.15");
	bench_reserve_cost(&b);
	bench_tiny(&b);
	bench_unpin(&b);
	/*
	 * Before any freeze: a process that has frozen (or shared read-only)
	 * reads the seals on every read-write send (sealbuf_region_send(3)), one
	 * system call that a process which never has does not make.
	 */
	bench_pass(&b, 0, "empty", 1, NULL);
	bench_pass(&b, 4 * KiB, "4 KiB", 0, "<= 1.05");
	bench_pass(&b, 4 * KiB, "4 KiB", 1, "<= 1.08");
	bench_pass(&b, MiB, "1 MiB", 1, "<= 1.2");
	if (!b.quick)
		bench_pass(&b, 256 * MiB, "256 MiB", 1, "<= 1.2");
	for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
		if (b.quick && sc[i].size > MiB)
			break;
		bench_share_copy(&b, sc[i].size, sc[i].label, false);
		bench_share_copy(&b, sc[i].size, sc[i].label, true);
	}
	if (!b.quick)
		bench_first_read(&b);
	bench_progress(&b, "freeze and windows");
	bench_pin(&b, 0);
	bench_freeze(&b, MiB);
	bench_window(&b);
	return bench_exit(&b);
}
