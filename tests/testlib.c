/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <syslog.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "testlib.h"

void tl_skip(const char *fmt, ...)
{
	va_list ap;

	fputs("SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	exit(EXIT_SKIP);
}

int tl_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

int tl_count_memfd_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "/memfd:"))
			n++;
	fclose(f);
	return n;
}

struct leak_state {
	int fds, maps;
};

static struct leak_state leak_state;

/* The library logs LOG_ERR only for its own bugs (a reason with an errno its table lacks). */
static int lib_bugs;

static void bug_log(void *userdata, int priority, const char *file, int line, const char *fn,
		    const char *msg)
{
	if (priority > LOG_ERR)
		return;
	lib_bugs++;
	print_error("%s:%d: %s: %s\n", file, line, fn, msg);
}

int tl_leak_setup(void **state)
{
	lib_bugs = 0;
	sealbuf_set_log_fn(bug_log, NULL);
	leak_state.fds = tl_count_fds();
	leak_state.maps = tl_count_memfd_maps();
	*state = &leak_state;
	return 0;
}

int tl_leak_teardown(void **state)
{
	struct leak_state *s = *state;
	int fds = tl_count_fds(), maps = tl_count_memfd_maps();

	if (lib_bugs) {
		print_error("the library reported %d bug(s) above\n", lib_bugs);
		return -1;
	}
	if (fds != s->fds || maps != s->maps) {
		print_error("leak: %d fds before, %d after; %d memfd mappings before, %d after\n",
			    s->fds, fds, s->maps, maps);
		return -1;
	}
	return 0;
}

void tl_socketpair(int type, int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
}

int tl_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	static char ctl[CMSG_SPACE(TL_MAX_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > TL_MAX_FDS)
		return -E2BIG;
	if (nfds) {
		struct cmsghdr *c;
		memset(ctl, 0, sizeof(ctl));
		msg.msg_control = ctl;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -errno;
}

void tl_send_raw(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	assert_int_equal(tl_sendmsg_fds(sock, buf, len, fds, nfds), 0);
}

static uint8_t pattern(size_t i, uint32_t seed)
{
	return (uint8_t)((i * 2654435761u) >> 13 ^ seed);
}

void tl_fill(void *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		((uint8_t *)p)[i] = pattern(i, seed);
}

int tl_check(const void *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		if (((const uint8_t *)p)[i] != pattern(i, seed))
			return 0;
	return 1;
}

int tl_under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "/vgpreload_");
}

size_t tl_page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

struct sealbuf_region *tl_region(const char *name, size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = name, .flags = flags);
	struct sealbuf_region *r = NULL;

	if (sealbuf_region_create(size, &o, &r) < 0)
		fail_msg("create %zu: %s", size, sealbuf_last_error());
	return r;
}

int tl_raw_memfd(unsigned mfd_flags, int seals, size_t size)
{
	int fd = memfd_create("hostile", MFD_CLOEXEC | mfd_flags);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

size_t tl_pages_mapped(const void *p, size_t len)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	assert_true(fd >= 0);
	for (size_t off = 0; off < len; off += tl_page()) {
		uint64_t e = 0;
		off_t at = (off_t)(((uintptr_t)p + off) / tl_page() * sizeof(e));
		assert_int_equal(pread(fd, &e, sizeof(e), at), sizeof(e));
		n += (e >> 63) & 1; /* bit 63: present */
	}
	close(fd);
	return n;
}

bool tl_smaps(const void *p, const char *field, char *buf, size_t len)
{
	char line[512], head[32];
	bool in = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	assert_non_null(f);
	snprintf(head, sizeof(head), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) /* a mapping's first line */
			in = !strncmp(line, head, strlen(head));
		if (in && !strncmp(line, field, strlen(field))) {
			snprintf(buf, len, "%s", line + strlen(field));
			found = true;
		}
	}
	fclose(f);
	return found;
}

struct sealbuf_region *tl_reader_wait(int sock)
{
	SEALBUF_OPTS(sealbuf_recv_opts, o, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = -1);
	struct sealbuf_region *r;
	char go;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sealbuf_region_recv(sock, &o, &r) < 0 || read(sock, &go, 1) != 1)
		return NULL;
	return r;
}
