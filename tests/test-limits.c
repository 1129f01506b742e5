/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Resource limits: a clear error at create or receive time, never a signal later. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include "testlib.h"

#define MIB ((size_t)1 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Children report with their exit status; the reasons they print show in the log. */
#define CHILD_CHECK(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child: %s:%d: %s failed (%s: %s)\n",   \
				__FILE__, __LINE__, #cond,                      \
				sealbuf_reason_name(sealbuf_last_reason()),     \
				sealbuf_last_error());                          \
			_exit(1);                                               \
		}                                                              \
	} while (0)

static void print_result(const char *what, int r)
{
	printf("  %s: %d %s: %s\n", what, r,
	       r < 0 ? sealbuf_reason_name(sealbuf_last_reason()) : "ok",
	       r < 0 ? sealbuf_last_error() : "");
	fflush(stdout);
}

/* The number after "@key" in a /proc file such as /proc/meminfo (SIZE_MAX: none). */
static size_t proc_kb(const char *file, const char *key)
{
	FILE *f = fopen(file, "re");
	char line[128];
	size_t v = SIZE_MAX;

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoull(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

/* Run @fn in a child; it must exit 0, not die of a signal (SIGXFSZ, SIGBUS). */
static void in_child(void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void fsize_child(void)
{
	struct rlimit rl = { MIB, MIB };
	struct sealbuf_region *r = NULL;
	int ret;

	CHILD_CHECK(setrlimit(RLIMIT_FSIZE, &rl) == 0);
	ret = sealbuf_region_create(2 * MIB, NULL, &r);
	print_result("create 2 MiB under RLIMIT_FSIZE 1 MiB", ret);
	CHILD_CHECK(ret == -EFBIG && sealbuf_last_reason() == SEALBUF_R_TOO_LARGE);
	CHILD_CHECK(sealbuf_region_create(MIB, NULL, &r) == 0);
	sealbuf_region_free(r);
}

/* Above RLIMIT_FSIZE the kernel sends SIGXFSZ (default: die): sealbuf must refuse first. */
static void fsize_limit(void **state)
{
	in_child(fsize_child);
}

/* Take every free fd number below the limit; returns how many. */
static int fill_fds(int *fds, int max)
{
	int n = 0;

	while (n < max) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			assert_int_equal(errno, EMFILE);
			break;
		}
		fds[n++] = fd;
	}
	assert_true(n < max);
	return n;
}

static void nofile_exhausted(void **state)
{
	struct rlimit old, rl;
	struct sealbuf_region *src, *r = (void *)0x1;
	int sv[2], fds[256], fd, n;

	if (tl_under_valgrind())
		tl_skip("valgrind emulates RLIMIT_NOFILE for open() but not for the fds the kernel installs");
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	tl_socketpair(SOCK_SEQPACKET, sv);
	assert_int_equal(sealbuf_region_create(100, NULL, &src), 0);
	assert_int_equal(sealbuf_region_share(src, 0, &fd), 0);
	assert_int_equal(sealbuf_region_send(sv[0], src, 0), 0);
	rl = old;
	rl.rlim_cur = 128;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	n = fill_fds(fds, 256);

	tl_assert_fail(sealbuf_region_create(100, NULL, &r), -EMFILE, SEALBUF_R_SYSCALL);
	print_result("create at RLIMIT_NOFILE", -EMFILE);
	tl_assert_fail(sealbuf_region_share(src, 0, &fd), -EMFILE, SEALBUF_R_SYSCALL);
	tl_assert_fail(sealbuf_region_share(src, SEALBUF_SHARE_RDONLY, &fd), -EMFILE,
		       SEALBUF_R_SYSCALL);
	/* A read-write send passes the region's own fd; a read-only one needs a new one. */
	assert_int_equal(sealbuf_region_send(sv[0], src, 0), 0);
	tl_assert_fail(sealbuf_region_send(sv[0], src, SEALBUF_SHARE_RDONLY), -EMFILE,
		       SEALBUF_R_SYSCALL);
	/* The kernel cannot install the fd: it drops it and sets MSG_CTRUNC. */
	tl_assert_fail(sealbuf_region_recv(sv[1], NULL, &r), -EMFILE, SEALBUF_R_SYSCALL);
	print_result("receive at RLIMIT_NOFILE", -EMFILE);
	assert_ptr_equal(r, (void *)0x1);
	/* Opening an fd already held needs no new one. */
	assert_int_equal(sealbuf_region_open(fd, 100, NULL, &r), 0);
	sealbuf_region_free(r);

	for (int i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* With fds free again, the message sent at the limit gets through. */
	assert_int_equal(sealbuf_region_recv(sv[1], NULL, &r), 0);
	sealbuf_region_free(r);
	sealbuf_region_free(src);
	close(sv[0]);
	close(sv[1]);
}

static void first_open_child(void)
{
	struct rlimit rl = { 64, 64 };
	struct sealbuf_region *r = NULL;
	int fd = memfd_create("raw", MFD_CLOEXEC | MFD_ALLOW_SEALING), ret;

	/* Made by hand: sealbuf has done nothing in this process yet. */
	CHILD_CHECK(fd >= 0 && ftruncate(fd, 4096) == 0 &&
		    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0);
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
		;
	ret = sealbuf_region_open(fd, 4096, NULL, &r);
	print_result("first sealbuf call of a process at RLIMIT_NOFILE: open a memfd", ret);
	CHILD_CHECK(ret == 0);
	sealbuf_region_free(r);
}

/* Opening needs no new fd, even as the very first thing a process does with sealbuf. */
static void nofile_first_open(void **state)
{
	if (tl_under_valgrind())
		tl_skip("valgrind emulates RLIMIT_NOFILE for open() but not for the fds the kernel installs");
	in_child(first_open_child);
}

static void as_child(void)
{
	struct rlimit rl;
	struct sealbuf_region *r = NULL;
	int ret;

	rl.rlim_cur = rl.rlim_max = (proc_kb("/proc/self/status", "VmSize:") << 10) + 8 * MIB;
	CHILD_CHECK(setrlimit(RLIMIT_AS, &rl) == 0);
	ret = sealbuf_region_create(32 * MIB, NULL, &r);
	print_result("create 32 MiB with 8 MiB of address space left", ret);
	CHILD_CHECK(ret == -ENOMEM && sealbuf_last_reason() == SEALBUF_R_NO_MEMORY);
	CHILD_CHECK(sealbuf_region_create(MIB, NULL, &r) == 0);
	sealbuf_region_free(r);
}

static void address_space(void **state)
{
#ifdef UNDER_ASAN
	tl_skip("ASan reserves terabytes of address space: RLIMIT_AS cannot be tested under it");
#endif
	if (tl_under_valgrind())
		tl_skip("valgrind manages the address space itself: RLIMIT_AS cannot be tested under it");
	in_child(as_child);
}

/* No huge pages reserved: an error at create time, with or without NORESERVE. */
static void hugetlb_no_pages(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_HUGETLB);
	SEALBUF_OPTS(sealbuf_create_opts, nores,
		     .flags = SEALBUF_CREATE_HUGETLB | SEALBUF_CREATE_NORESERVE);
	struct sealbuf_region *r = NULL;
	int fd = memfd_create("probe", MFD_HUGETLB | MFD_CLOEXEC);

	if (fd < 0)
		tl_skip("the kernel has no hugetlbfs (memfd_create(MFD_HUGETLB): %s)",
			strerror(errno));
	close(fd);
	if (proc_kb("/proc/meminfo", "HugePages_Free:") != 0)
		tl_skip("this machine has free huge pages: the no-pages case cannot be made here");
	tl_assert_fail(sealbuf_region_create(MIB, &o, &r), -ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES);
	print_result("hugetlb create, no huge pages", -ENOMEM);
	tl_assert_fail(sealbuf_region_create(MIB, &nores, &r), -ENOMEM,
		       SEALBUF_R_HUGETLB_NO_PAGES);
	print_result("hugetlb create NORESERVE, no huge pages", -ENOMEM);
}

/* ---- memory cgroup: a private cgroup2 with a small memory.max ---- */

static char cg_dir[1024];

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[1200];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val)) == (ssize_t)strlen(val) ? 0 : -errno;
	close(fd);
	return r;
}

/* Where a new child cgroup with the memory controller can go, or a reason why not. */
static const char *memcg_parent(char *buf, size_t len)
{
	struct statfs sfs;
	char line[512], ctl[512] = "";
	FILE *f;

	if (geteuid() != 0)
		return "needs root to create a memory cgroup";
	/* The VM guest (tools/vm/run) is ours: mount cgroup2 there if nobody has. */
	if (getenv("SEALBUF_IN_VM") &&
	    (statfs("/sys/fs/cgroup", &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC))
		mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	if (statfs("/sys/fs/cgroup", &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup is not cgroup2 (this host uses cgroup v1): the memcg case runs in the VM tier (tools/vm/run)";
	f = fopen("/proc/self/cgroup", "re");
	if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "0::", 3)) {
		if (f)
			fclose(f);
		return "cannot read this process's cgroup2 path";
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (snprintf(buf, len, "/sys/fs/cgroup%s", strcmp(line + 3, "/") ? line + 3 : "") >= (int)len ||
	    snprintf(line, sizeof(line), "%s/cgroup.controllers", buf) >= (int)sizeof(line))
		return "the cgroup path is too long";
	f = fopen(line, "re");
	if (!f || !fgets(ctl, sizeof(ctl), f) || !strstr(ctl, "memory")) {
		if (f)
			fclose(f);
		return "the memory controller is not available in this cgroup";
	}
	fclose(f);
	/* Children get memory.max only once the parent delegates the controller. */
	if (write_file(buf, "cgroup.subtree_control", "+memory") < 0)
		return "cannot enable the memory controller for child cgroups";
	return NULL;
}

/* Fill the cgroup region by region: each refusal is an error, never a kill. */
static void fill_cgroup(void)
{
	struct sealbuf_region *r[64];
	int n = 0, ret = 0;

	while (n < 64 && (ret = sealbuf_region_create(2 * MIB, NULL, &r[n])) == 0) {
		memset(sealbuf_region_data(r[n]), 0xa5, 2 * MIB);
		n++;
	}
	printf("  %d more regions of 2 MiB fit, then ", n);
	print_result("create", ret);
	CHILD_CHECK(n < 64 && ret == -ENOMEM && sealbuf_last_reason() == SEALBUF_R_NO_MEMORY);
	while (n--)
		sealbuf_region_free(r[n]);
}

/*
 * NORESERVE opts out of the reservation, but exporting such a region faults
 * its pages in before udmabuf pins them: that must be an error, not a kill.
 */
static void export_noreserve(void)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_NORESERVE);
	struct sealbuf_region *r = NULL;
	int fd = -1, ret;

	if (access("/dev/udmabuf", F_OK) < 0)
		return;
	CHILD_CHECK(sealbuf_region_create(64 * MIB, &o, &r) == 0);
	ret = sealbuf_region_export(r, NULL, &fd);
	print_result("export a 64 MiB NORESERVE region in the 32 MiB cgroup", ret);
	CHILD_CHECK(ret == -ENOMEM && sealbuf_last_reason() == SEALBUF_R_NO_MEMORY);
	sealbuf_region_free(r);
}

static void memcg_child(void)
{
	struct sealbuf_region *r = NULL;
	char pid[32];
	int ret;

	snprintf(pid, sizeof(pid), "%d", getpid());
	CHILD_CHECK(write_file(cg_dir, "cgroup.procs", pid) == 0);
	/* Above the limit: refused at create time by the fallocate reservation. */
	ret = sealbuf_region_create(64 * MIB, NULL, &r);
	print_result("create 64 MiB in a 32 MiB memory cgroup", ret);
	CHILD_CHECK(ret == -ENOMEM && sealbuf_last_reason() == SEALBUF_R_NO_MEMORY);
	/* Within it: every page is there already; writing them all raises no SIGBUS. */
	CHILD_CHECK(sealbuf_region_create(16 * MIB, NULL, &r) == 0);
	memset(sealbuf_region_data(r), 0x5a, 16 * MIB);
	print_result("create and fill 16 MiB in the same cgroup", 0);
	fill_cgroup();
	sealbuf_region_free(r);
	export_noreserve();
}

static void memcg_full(void **state)
{
	char parent[768];
	const char *why = memcg_parent(parent, sizeof(parent));
	int r;

	if (why)
		tl_skip("%s", why);
	/* cgroup2: no processes in an inner cgroup that delegates controllers. */
	if (snprintf(cg_dir, sizeof(cg_dir), "%s/sealbuf-limits-%d", parent, getpid()) >=
		    (int)sizeof(cg_dir) ||
	    mkdir(cg_dir, 0755) < 0)
		tl_skip("cannot create a cgroup under %s: %s", parent, strerror(errno));
	r = write_file(cg_dir, "memory.max", "33554432");
	(void)write_file(cg_dir, "memory.swap.max", "0"); /* absent without swap accounting */
	if (r < 0) {
		rmdir(cg_dir);
		tl_skip("cannot set memory.max in %s: %s", cg_dir, strerror(-r));
	}
	in_child(memcg_child);
	assert_int_equal(rmdir(cg_dir), 0);
}

/* ---- RLIMIT_MEMLOCK and udmabuf's long-term pinning ---- */

/* Drop CAP_IPC_LOCK, which lets root ignore RLIMIT_MEMLOCK. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static void memlock_child(void)
{
	struct rlimit rl = { 0, 0 };
	struct sealbuf_region *r = NULL;
	int buf = -1, ret;

	CHILD_CHECK(drop_ipc_lock() == 0);
	CHILD_CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
	CHILD_CHECK(sealbuf_region_create(4 * MIB, NULL, &r) == 0);
	ret = sealbuf_region_export(r, NULL, &buf);
	print_result("export 4 MiB with RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK", ret);
	printf("  VmPin %zu kB, VmLck %zu kB\n", proc_kb("/proc/self/status", "VmPin:"),
	       proc_kb("/proc/self/status", "VmLck:"));
	/* Not charged to RLIMIT_MEMLOCK (memfd_pin_folios() does no accounting): it works. */
	CHILD_CHECK(ret == 0);
	close(buf);
	sealbuf_region_free(r);
}

static void memlock_udmabuf(void **state)
{
	if (access("/dev/udmabuf", F_OK) < 0)
		tl_skip("no /dev/udmabuf (CONFIG_UDMABUF): runs in the VM tier (tools/vm/run)");
	if (geteuid() != 0)
		tl_skip("needs root to open /dev/udmabuf and drop CAP_IPC_LOCK");
	in_child(memlock_child);
}

/* One case per meson test (argv[1]), so that each can SKIP with its reason. */
int main(int argc, char **argv)
{
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	const struct CMUnitTest tests[] = {
		TL_TEST(fsize_limit),	   TL_TEST(nofile_exhausted),
		TL_TEST(nofile_first_open),
		TL_TEST(address_space),	   TL_TEST(hugetlb_no_pages),
		TL_TEST(memcg_full),	   TL_TEST(memlock_udmabuf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
