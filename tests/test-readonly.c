/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Read-only handles: every route to write through one, as the same uid, another uid and root. */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "testlib.h"

#define UID_A 60001 /* the sender, and the same-uid receiver */
#define UID_B 60002 /* another user */
#define PAGES 4

/* What the sender tells the receiver besides the region: where its own fd lives. */
struct where {
	pid_t pid;
	int fd;
};

/* Become @uid (and gid) with no capabilities; 0 stays root. Dumpable, as an ordinary process is. */
static void become(uid_t uid)
{
	if (uid == 0)
		return;
	if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(90);
	prctl(PR_SET_DUMPABLE, 1);
}

static size_t len(void)
{
	return PAGES * tl_page();
}

/* One route tried: a success that grants writing is a breach. */
static int route(const char *who, const char *name, long ret, int breach_if_ok)
{
	int e = errno;

	printf("ROUTE | %s | %s | %s\n", who, name, ret >= 0 ? "succeeded" : strerror(e));
	return ret >= 0 && breach_if_ok;
}

static long try_map_write(int fd)
{
	void *p = mmap(NULL, len(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -1;
	((volatile char *)p)[0] = 'X';
	munmap(p, len());
	return 0;
}

static long try_mprotect(int fd)
{
	void *p = mmap(NULL, len(), PROT_READ, MAP_SHARED, fd, 0);
	long r;

	if (p == MAP_FAILED)
		return -1;
	r = mprotect(p, len(), PROT_READ | PROT_WRITE);
	if (r == 0)
		((volatile char *)p)[0] = 'X';
	munmap(p, len());
	return r;
}

static long try_madv_remove(int fd)
{
	void *p = mmap(NULL, len(), PROT_READ, MAP_SHARED, fd, 0);
	long r;

	if (p == MAP_FAILED)
		return -1;
	r = madvise(p, len(), MADV_REMOVE);
	munmap(p, len());
	return r;
}

static long try_splice(int fd)
{
	int pfd[2];
	loff_t off = 0;
	long r;

	if (pipe(pfd) < 0 || write(pfd[1], "X", 1) != 1)
		return -1;
	r = splice(pfd[0], NULL, fd, &off, 1, 0);
	close(pfd[0]);
	close(pfd[1]);
	return r;
}

/* /proc/self/mem and process_vm_writev force writes: refused on a shared read-only mapping. */
static long try_proc_mem(void *addr)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	long r;

	if (fd < 0)
		return -1;
	r = pwrite(fd, "X", 1, (off_t)(uintptr_t)addr);
	close(fd);
	return r;
}

static long try_vm_writev(void *addr)
{
	struct iovec local = { .iov_base = "X", .iov_len = 1 };
	struct iovec remote = { .iov_base = addr, .iov_len = 1 };

	return process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
}

/* The write routes that take an fd, on @fd (the received one, or a reopen of it). */
static int fd_routes(const char *who, const char *via, int fd)
{
	char name[160];
	int bad = 0;

#define FD_ROUTE(what, expr)                                                   \
	(snprintf(name, sizeof(name), "%s: %s", via, what), bad += route(who, name, (expr), 1))
	FD_ROUTE("mmap(PROT_WRITE, MAP_SHARED)", try_map_write(fd));
	FD_ROUTE("mmap(PROT_READ), then mprotect(PROT_WRITE)", try_mprotect(fd));
	FD_ROUTE("write(2)", write(fd, "X", 1));
	FD_ROUTE("pwrite(2)", pwrite(fd, "X", 1, 0));
	FD_ROUTE("splice(2) from a pipe", try_splice(fd));
	FD_ROUTE("fallocate(PUNCH_HOLE)", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
						 (off_t)tl_page()));
	FD_ROUTE("fallocate(grow)", fallocate(fd, 0, 0, 2 * (off_t)len()));
	FD_ROUTE("ftruncate(0)", ftruncate(fd, 0));
	FD_ROUTE("F_ADD_SEALS(F_SEAL_WRITE)", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	FD_ROUTE("madvise(MADV_REMOVE) on a read-only mapping", try_madv_remove(fd));
#undef FD_ROUTE
	return bad;
}

static int reopen(const char *who, const char *path)
{
	char name[160];
	int fd = open(path, O_RDWR | O_CLOEXEC);

	snprintf(name, sizeof(name), "open(\"%s\", O_RDWR)", path);
	route(who, name, fd, 0);
	return fd;
}

/* Every route, in a child of the given uid; its exit status counts the breaches. */
static int receiver(int sock, const char *who)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE,
		     .timeout_ms = 5000);
	struct sealbuf_region *r;
	struct where w;
	char path[64];
	void *p = NULL;
	int bad = 0, fd, rw;

	if (sealbuf_region_recv(sock, &o, &r) < 0 || read(sock, &w, sizeof(w)) != sizeof(w))
		return 100;
	fd = sealbuf_region_fd(r);
	bad += route(who, "mprotect(PROT_WRITE) of the library's read-only mapping",
		     mprotect(sealbuf_region_data(r), len(), PROT_READ | PROT_WRITE), 1);
	bad += route(who, "/proc/self/mem write into the read-only mapping",
		     try_proc_mem(sealbuf_region_data(r)), 1);
	bad += route(who, "process_vm_writev into the read-only mapping",
		     try_vm_writev(sealbuf_region_data(r)), 1);
	bad += fd_routes(who, "received fd", fd);
	/* The reported bug: ownership is enough to fchmod, and a reopen gets a new mode. */
	route(who, "fchmod(0600) of the received fd", fchmod(fd, 0600), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((rw = reopen(who, path)) >= 0) {
		bad += fd_routes(who, "reopened O_RDWR", rw);
		close(rw);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)w.pid, w.fd);
	if ((rw = reopen(who, path)) >= 0) {
		bad += fd_routes(who, "sender's fd reopened O_RDWR", rw);
		close(rw);
	}
	/* A private writable mapping is allowed: copy-on-write, the sender's bytes stay. */
	p = mmap(NULL, len(), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	route(who, "mmap(MAP_PRIVATE) and write (a private copy)", p == MAP_FAILED ? -1 : 0, 0);
	if (p != MAP_FAILED) {
		memset(p, 'X', len());
		munmap(p, len());
	}
	bad += !tl_check(sealbuf_region_data(r), len(), 7);
	sealbuf_region_free(r);
	fflush(stdout);
	return bad > 99 ? 99 : bad;
}

/* The sender: shares read-only, waits out the attack, then checks its bytes and still writes. */
static int sender(int sock)
{
	struct sealbuf_region *r;
	struct where w = { .pid = getpid() };
	int fd, bad = 0;
	char c;

	if (sealbuf_region_create(len(), NULL, &r) < 0)
		return 100;
	tl_fill(sealbuf_region_data(r), len(), 7);
	w.fd = sealbuf_region_fd(r);
	if (sealbuf_region_send(sock, r, SEALBUF_SHARE_RDONLY) < 0 ||
	    write(sock, &w, sizeof(w)) != sizeof(w) || read(sock, &c, 1) != 1)
		return 101;
	bad += !tl_check(sealbuf_region_data(r), len(), 7);
	/* The sender's own writable mapping keeps working. */
	tl_fill(sealbuf_region_data(r), len(), 8);
	bad += !tl_check(sealbuf_region_data(r), len(), 8);
	/* No new writable handle or dma-buf, each refused with the rule's own reason. */
	bad += !(sealbuf_region_share(r, 0, &fd) == -EPERM &&
		 sealbuf_last_reason() == SEALBUF_R_SHARED_READ_ONLY);
	sealbuf_region_free(r);
	return bad;
}

static int exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Run a sender as @sender_uid and a receiver as @recv_uid; both must exit 0. */
static void attack(uid_t sender_uid, uid_t recv_uid, const char *who)
{
	int sv[2], rs, ss;
	pid_t s, r;

	tl_socketpair(SOCK_STREAM, sv);
	fflush(stdout);
	s = fork();
	if (s == 0) {
		close(sv[1]);
		become(sender_uid);
		_exit(sender(sv[0]));
	}
	r = fork();
	if (r == 0) {
		close(sv[0]);
		become(recv_uid);
		rs = receiver(sv[1], who);
		if (write(sv[1], "d", 1) != 1)
			rs = 102;
		_exit(rs);
	}
	close(sv[0]);
	close(sv[1]);
	rs = exit_code(r);
	ss = exit_code(s);
	if (rs || ss)
		fail_msg("%s: receiver exit %d (routes that wrote), sender exit %d (bytes changed or checks failed)",
			 who, rs, ss);
}

static void need_root(void)
{
	if (geteuid() != 0)
		skip(); /* cmocka prints it as SKIPPED */
}

static void same_uid(void **state)
{
	if (geteuid() != 0) {
		printf("note: not root: sender and receiver both run as uid %d\n", (int)geteuid());
		attack(0, 0, "same uid");
		return;
	}
	attack(UID_A, UID_A, "same uid");
}

static void other_uid(void **state)
{
	need_root();
	attack(UID_A, UID_B, "another uid");
}

/* Root itself (CAP_DAC_OVERRIDE, CAP_FOWNER) cannot write: F_SEAL_FUTURE_WRITE binds everyone. */
static void root_receiver(void **state)
{
	need_root();
	attack(UID_A, 0, "root");
}

/* A reserved region shared read-only: its writer keeps publishing, readers keep waking. */
static void reserved_keeps_publishing(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, ro, .flags = SEALBUF_OPEN_RDONLY, .kind = SEALBUF_KIND_RESERVED);
	struct sealbuf_region *w = NULL, *rd = NULL;
	uint64_t seq = 0;
	char buf[16];
	size_t n;
	int fd;
	pid_t pid;

	assert_int_equal(sealbuf_region_reserve(tl_page(), NULL, &w), 0);
	assert_int_equal(sealbuf_region_share(w, SEALBUF_SHARE_RDONLY, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &ro, &rd), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) { /* the writer publishes after the reader has gone to sleep */
		usleep(50000);
		_exit(sealbuf_region_write(w, "published", 10) < 0);
	}
	assert_int_equal(sealbuf_region_wait(rd, sealbuf_region_seq(rd), 5000, &seq), 0);
	assert_int_equal(exit_code(pid), 0);
	assert_int_equal(sealbuf_region_snapshot(rd, buf, sizeof(buf), &n, NULL), 0);
	assert_int_equal(n, 10);
	assert_string_equal(buf, "published");
	sealbuf_region_free(rd);
	sealbuf_region_free(w);
}

/* A region opened read-only from a read-write fd still shares and sends read-only fds only. */
static void rdonly_region_shares_rdonly(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = SEALBUF_OPEN_RDONLY | SEALBUF_OPEN_KEEP_HANDLE);
	SEALBUF_OPTS(sealbuf_recv_opts, ro, .flags = SEALBUF_OPEN_RDONLY);
	struct sealbuf_region *a = tl_region(NULL, tl_page(), 0), *b = NULL, *c = NULL;
	int fd, sv[2];

	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &o, &b), 0);
	assert_int_equal(sealbuf_region_share(b, 0, &fd), 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_send(sv[0], b, 0), 0); /* flagged read-only, O_RDONLY fd */
	assert_int_equal(sealbuf_region_recv(sv[1], &ro, &c), 0);
	assert_false(sealbuf_region_writable(c));
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(c);
	sealbuf_region_free(b);
	sealbuf_region_free(a);
}

/* Export and writable shares first, then the read-only share: each rule its own reason. */
static void order_of_shares(void **state)
{
	struct sealbuf_region *a = tl_region("order", tl_page(), 0);
	int fd, seals;

	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0); /* before: fine */
	close(fd);
	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd), 0);
	seals = fcntl(fd, F_GET_SEALS);
	assert_true(seals & F_SEAL_FUTURE_WRITE);
	close(fd);
	tl_assert_fail(sealbuf_region_share(a, 0, &fd), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	tl_assert_fail(sealbuf_region_export(a, NULL, &fd), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	assert_non_null(strstr(sealbuf_last_error(), "before the first read-only share"));
	/* More read-only shares are fine; the creator's mapping still writes. */
	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd), 0);
	close(fd);
	memset(sealbuf_region_data(a), 1, tl_page());
	sealbuf_region_free(a);
}

/*
 * Read-write sends once this process has shared read-only: refused at the
 * send, whichever region object of the memfd it goes through and whoever
 * added the seal (the process reads the seals from then on).
 */
static void sends_after_write_seal(void **state)
{
	SEALBUF_OPTS(sealbuf_open_opts, keep, .flags = SEALBUF_OPEN_KEEP_HANDLE);
	struct sealbuf_region *a = tl_region("sends", tl_page(), 0), *b = tl_region("sends-b", tl_page(), 0);
	struct sealbuf_region *a2;
	int sv[2], fd;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* A second object of a's memfd, made before the read-only share. */
	assert_int_equal(sealbuf_region_share(a, 0, &fd), 0);
	assert_int_equal(sealbuf_region_open(fd, tl_page(), &keep, &a2), 0);
	assert_int_equal(sealbuf_region_share(a, SEALBUF_SHARE_RDONLY, &fd), 0);
	close(fd);
	tl_assert_fail(sealbuf_region_send(sv[0], a, 0), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	tl_assert_fail(sealbuf_region_send(sv[0], a2, 0), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	/* Another holder of a writable fd seals b behind its region object's back. */
	assert_int_equal(sealbuf_region_share(b, 0, &fd), 0);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE), 0);
	close(fd);
	tl_assert_fail(sealbuf_region_send(sv[0], b, 0), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	tl_assert_fail(sealbuf_region_share(b, 0, &fd), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	close(sv[0]);
	close(sv[1]);
	sealbuf_region_free(a2);
	sealbuf_region_free(a);
	sealbuf_region_free(b);
}

static const char *self_path; /* this program, run again for unaware_sender() */

/*
 * The sender of unaware_sender(): a fresh process (this program run again)
 * that never shared read-only or froze, so its sends do not read the seals.
 * It makes a region, lets "another holder" seal it F_SEAL_FUTURE_WRITE, then
 * sends it read-write twice and tries to export it.
 */
static int unaware_sender_main(int sock)
{
	struct sealbuf_region *b;
	int fd;

	if (sealbuf_region_create(tl_page(), NULL, &b) < 0 || sealbuf_region_share(b, 0, &fd) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0)
		return 2;
	close(fd);
	fd = sealbuf_region_send(sock, b, 0) < 0 || sealbuf_region_send(sock, b, 0) < 0 ? 3 : 0;
	/*
	 * Its export names the rule: read before the kernel where udmabuf would
	 * take the memfd, else once the kernel refused it (in the guest), or
	 * once /dev/udmabuf turned out to be missing (here). No fd is left.
	 */
	if (fd == 0 && !(sealbuf_region_export(b, NULL, &fd) == -EPERM &&
			 sealbuf_last_reason() == SEALBUF_R_SHARED_READ_ONLY))
		fd = 4;
	sealbuf_region_free(b);
	return fd;
}

/*
 * Such a read-write handle goes out (docs/performance.md: the send does not
 * read the seals), and its receiver refuses to map it writable; read-only it
 * maps, and writing through it cannot happen.
 */
static void unaware_sender(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, rw, .timeout_ms = 5000);
	SEALBUF_OPTS(sealbuf_recv_opts, ro, .timeout_ms = 5000, .flags = SEALBUF_OPEN_RDONLY);
	struct sealbuf_region *got;
	char arg[16];
	int sv[2], status;
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	snprintf(arg, sizeof(arg), "%d", sv[1]);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* argv[0], not /proc/self/exe: under valgrind that is valgrind's own launcher. */
		execl(self_path, self_path, "--unaware-sender", arg, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	tl_assert_fail(sealbuf_region_recv(sv[0], &rw, &got), -EPERM, SEALBUF_R_SEALS_EXTRA);
	assert_int_equal(sealbuf_region_recv(sv[0], &ro, &got), 0);
	assert_int_equal(mprotect(sealbuf_region_data(got), tl_page(), PROT_READ | PROT_WRITE), -1);
	sealbuf_region_free(got);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
}

static void need_udmabuf(void)
{
	if (sealbuf_udmabuf_check() < 0) {
		print_message("SKIP: needs /dev/udmabuf (%s); meson test --suite vm runs this in a VM\n",
			      sealbuf_last_error());
		skip();
	}
}

/*
 * On the real kernel: a dma-buf exported before the first read-only share
 * stays valid both ways; udmabuf itself refuses the memfd afterwards (the
 * raw ioctl, past the library's own check, says EINVAL).
 */
static void dmabuf_before_rdonly_share(void **state)
{
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = PAGES * tl_page() };
	struct sealbuf_region *r;
	struct utsname u;
	int dmabuf, fd, dev, ret;
	uint8_t *m;

	need_udmabuf();
	r = tl_region("exported-first", len(), SEALBUF_CREATE_PREFAULT);
	assert_int_equal(sealbuf_region_export(r, NULL, &dmabuf), 0);
	assert_int_equal(sealbuf_region_share(r, SEALBUF_SHARE_RDONLY, &fd), 0);
	close(fd);
	m = mmap(NULL, len(), PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	assert_true(m != MAP_FAILED);
	memcpy(sealbuf_region_data(r), "from the region", 15);
	assert_memory_equal(m, "from the region", 15);
	memcpy(m + tl_page(), "from the dma-buf", 16);
	assert_memory_equal((uint8_t *)sealbuf_region_data(r) + tl_page(), "from the dma-buf", 16);
	munmap(m, len());
	tl_assert_fail(sealbuf_region_export(r, NULL, &fd), -EPERM, SEALBUF_R_SHARED_READ_ONLY);
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	assert_true(dev >= 0);
	c.memfd = (uint32_t)sealbuf_region_fd(r);
	ret = ioctl(dev, UDMABUF_CREATE, &c);
	uname(&u);
	print_message("raw UDMABUF_CREATE of a F_SEAL_FUTURE_WRITE memfd on %s: %s\n", u.release,
		      ret < 0 ? strerror(errno) : "accepted");
	if (ret >= 0)
		close(ret);
	assert_true(ret < 0 && errno == EINVAL);
	close(dev);
	close(dmabuf);
	sealbuf_region_free(r);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(same_uid),
		TL_TEST(other_uid),
		TL_TEST(root_receiver),
		TL_TEST(reserved_keeps_publishing),
		TL_TEST(rdonly_region_shares_rdonly),
		TL_TEST(order_of_shares),
		TL_TEST(sends_after_write_seal),
		TL_TEST(unaware_sender),
		TL_TEST(dmabuf_before_rdonly_share),
	};

	self_path = argv[0];
	if (argc > 2 && !strcmp(argv[1], "--unaware-sender"))
		return unaware_sender_main(atoi(argv[2]));
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
