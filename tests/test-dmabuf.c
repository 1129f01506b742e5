/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dma-buf export on a real kernel: contents both ways, the udmabuf selftest's cases, limits, lifetime. */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/udmabuf.h>

#include "region.h" /* r->map: the header page the device must not reach */
#include "testlib.h"

#define MIB (1u << 20)
#define HUGE (2u << 20)

static struct sealbuf_region *new_region(const char *name, size_t size, uint32_t flags)
{
	return tl_region(name, size, flags);
}

static int export(const struct sealbuf_region *r, const struct sealbuf_export_opts *o)
{
	int fd = -1;

	if (sealbuf_region_export(r, o, &fd) < 0)
		fail_msg("export: %s (%s)", sealbuf_last_error(),
			 sealbuf_reason_name(sealbuf_last_reason()));
	return fd;
}

static uint8_t *map(int fd, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static uint64_t dmabuf_size(int fd)
{
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };

	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	return i.size;
}

/* Write a file as root (module parameters, nr_hugepages); false when not allowed. */
static bool write_file(const char *path, unsigned long v)
{
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%lu\n", v) > 0;
	return fclose(f) == 0 && ok;
}

static unsigned long read_file(const char *path)
{
	unsigned long v = 0;
	FILE *f = fopen(path, "re");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &v), 1);
	fclose(f);
	return v;
}

#define PARAM(x) "/sys/module/udmabuf/parameters/" x
#define NR_HUGE "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"

/* The region and its dma-buf are the same memory, in both directions. */
static void roundtrip(void **state)
{
	struct sealbuf_region *r = new_region("roundtrip", 8 * tl_page(), 0);
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	char link[64], target[64] = "";
	int fd;
	uint8_t *m;

	tl_fill(sealbuf_region_data(r), 8 * tl_page(), 1);
	fd = export(r, NULL);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	assert_int_equal(i.size, 8 * tl_page());
	assert_string_equal(i.exporter, "udmabuf");
	assert_string_equal(i.name, "roundtrip");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	assert_true(readlink(link, target, sizeof(target) - 1) > 0);
	assert_string_equal(target, "/dmabuf:roundtrip");

	m = map(fd, 8 * tl_page());
	assert_int_equal(sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_READ), 0);
	assert_true(tl_check(m, 8 * tl_page(), 1));
	assert_int_equal(sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_READ), 0);

	assert_int_equal(sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_WRITE), 0);
	tl_fill(m, 8 * tl_page(), 2);
	assert_int_equal(sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_WRITE), 0);
	assert_true(tl_check(sealbuf_region_data(r), 8 * tl_page(), 2));

	tl_fill(sealbuf_region_data(r), 8 * tl_page(), 3);
	assert_int_equal(sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_RW), 0);
	assert_true(tl_check(m, 8 * tl_page(), 3));
	assert_int_equal(sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_RW), 0);
	munmap(m, 8 * tl_page());
	close(fd);
	sealbuf_region_free(r);
}

/* A page-aligned range: the dma-buf starts at the range's first byte. */
static void range(void **state)
{
	struct sealbuf_region *r = new_region("range", 8 * tl_page(), 0);
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = 2 * tl_page(), .length = 3 * tl_page(),
		     .name = "three-pages");
	uint8_t *d = sealbuf_region_data(r), *m;
	int fd;

	tl_fill(d, 8 * tl_page(), 4);
	fd = export(r, &o);
	assert_int_equal(dmabuf_size(fd), 3 * tl_page());
	m = map(fd, 3 * tl_page());
	assert_memory_equal(m, d + 2 * tl_page(), 3 * tl_page());
	m[0] ^= 0xff;
	assert_int_equal(d[2 * tl_page()], m[0]);
	munmap(m, 3 * tl_page());
	close(fd);
	/* Length 0 runs to the end. */
	o.length = 0;
	fd = export(r, &o);
	assert_int_equal(dmabuf_size(fd), 6 * tl_page());
	close(fd);
	sealbuf_region_free(r);
}

/* The kernel selftest's first four cases, each answered with sealbuf's own reason. */
static void selftest_create(void **state)
{
	struct sealbuf_region *r = new_region("selftest", 4 * tl_page(), 0);
	SEALBUF_OPTS(sealbuf_export_opts, o, .offset = tl_page() / 2, .length = tl_page());
	int memfd, fd = -7;
	uint8_t *a, *b;

	tl_assert_fail(sealbuf_region_export(r, &o, &fd), -EINVAL, SEALBUF_R_MISALIGNED);
	o.offset = 0;
	o.length = tl_page() / 2;
	tl_assert_fail(sealbuf_region_export(r, &o, &fd), -EINVAL, SEALBUF_R_MISALIGNED);
	tl_assert_fail(sealbuf_memfd_export(0, NULL, &fd), -EBADFD, SEALBUF_R_NOT_MEMFD);
	assert_int_equal(fd, -7);

	/* "should work": the selftest's own memfd, sealed SHRINK alone. */
	memfd = memfd_create("udmabuf-test", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	assert_int_equal(ftruncate(memfd, 4 * tl_page()), 0);
	a = map(memfd, 4 * tl_page());
	memset(a, 'a', 4 * tl_page());
	assert_int_equal(sealbuf_memfd_export(memfd, NULL, &fd), 0);
	b = map(fd, 4 * tl_page());
	assert_memory_equal(a, b, 4 * tl_page());
	munmap(a, 4 * tl_page());
	munmap(b, 4 * tl_page());
	close(fd);
	close(memfd);
	sealbuf_region_free(r);
}

/* Selftest's list case: 4 ranges of 4 pages spread over 1024 pages, pages moved by writes. */
static void check_chunks(const uint8_t *region, const uint8_t *buf, size_t chunk, size_t stride)
{
	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < chunk; j += tl_page())
			assert_int_equal(region[i * stride + j], buf[i * chunk + j]);
}

static void list_chunks(struct sealbuf_region *r, size_t chunk, bool pin_first)
{
	size_t stride = sealbuf_region_mapped_size(r) / 4;
	struct sealbuf_export_range ranges[4];
	uint8_t *d = sealbuf_region_data(r), *m;
	int fd;

	for (size_t i = 0; i < 4; i++)
		ranges[i] = (struct sealbuf_export_range){ r, i * stride, chunk, 0, 0 };
	if (!pin_first)
		for (size_t off = 0; off < 4 * stride; off += tl_page())
			d[off] = 'a';
	assert_int_equal(sealbuf_export_list(ranges, 4, NULL, &fd), 0);
	assert_int_equal(dmabuf_size(fd), 4 * chunk);
	m = map(fd, 4 * chunk);
	for (size_t off = 0; off < 4 * stride; off += tl_page())
		d[off] = 'b';
	check_chunks(d, m, chunk, stride);
	assert_int_equal(m[0], 'b');
	munmap(m, 4 * chunk);
	close(fd);
}

static void selftest_list(void **state)
{
	struct sealbuf_region *r = new_region("list", 1024 * tl_page(), 0);

	list_chunks(r, 4 * tl_page(), false);
	sealbuf_region_free(r);
}

/* Ranges of two regions in one dma-buf, one after the other; neighbours merge. */
static void list_two_regions(void **state)
{
	struct sealbuf_region *a = new_region("a", 2 * tl_page(), 0), *b = new_region("b", 3 * tl_page(), 0);
	struct sealbuf_export_range ranges[] = {
		{ .region = b, .length = tl_page() },
		{ .region = b, .offset = tl_page(), .length = tl_page() },
		{ .region = a },
		{ .region = b, .offset = 2 * tl_page() },
	};
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = "pair");
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	uint8_t *m;
	int fd;

	tl_fill(sealbuf_region_data(a), 2 * tl_page(), 5);
	tl_fill(sealbuf_region_data(b), 3 * tl_page(), 6);
	assert_int_equal(sealbuf_export_list(ranges, 4, &o, &fd), 0);
	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	assert_int_equal(i.size, 5 * tl_page());
	assert_string_equal(i.name, "pair");
	m = map(fd, 5 * tl_page());
	assert_memory_equal(m, sealbuf_region_data(b), 2 * tl_page());
	assert_memory_equal(m + 2 * tl_page(), sealbuf_region_data(a), 2 * tl_page());
	assert_memory_equal(m + 4 * tl_page(), (uint8_t *)sealbuf_region_data(b) + 2 * tl_page(), tl_page());
	munmap(m, 5 * tl_page());
	close(fd);
	sealbuf_region_free(a);
	sealbuf_region_free(b);
}

/* Reserve @n 2 MiB pages (as root in the VM); false when that is not possible here. */
static bool reserve_huge(unsigned long n)
{
	if (access(NR_HUGE, F_OK) < 0)
		return false;
	if (read_file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") >= n)
		return true;
	if (!getenv("SEALBUF_IN_VM") || !write_file(NR_HUGE, n))
		return false;
	return read_file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") >= n;
}

/* Selftest's hugetlb cases: written then pinned, and pinned then written. */
static void selftest_hugetlb(void **state)
{
	struct sealbuf_region *r;

	if (!reserve_huge(8)) {
		print_message("no way to reserve 8 huge pages of 2 MiB here\n");
		skip();
	}
	r = new_region("huge", 1, SEALBUF_CREATE_HUGETLB);
	assert_int_equal(sealbuf_region_mapped_size(r), HUGE); /* sized in huge pages */
	sealbuf_region_free(r);
	r = new_region("huge", 8 * HUGE, SEALBUF_CREATE_HUGETLB);
	list_chunks(r, HUGE, false);
	list_chunks(r, HUGE / 2 + tl_page(), true); /* ranges need not be whole huge pages */
	sealbuf_region_free(r);
	if (getenv("SEALBUF_IN_VM"))
		write_file(NR_HUGE, 0);
}

/* No reserved huge pages: at creation, and from the kernel for a memfd made elsewhere. */
static void hugetlb_no_pages(void **state)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .flags = SEALBUF_CREATE_HUGETLB);
	struct sealbuf_region *r = NULL;
	int memfd, fd = -7;

	if (!getenv("SEALBUF_IN_VM") || !write_file(NR_HUGE, 0)) {
		print_message("cannot empty the huge page pool here (needs root in the VM)\n");
		skip();
	}
	tl_assert_fail(sealbuf_region_create(HUGE, &o, &r), -ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES);
	assert_non_null(strstr(sealbuf_last_error(), "0 free"));
	memfd = memfd_create("huge-raw", MFD_HUGETLB | MFD_ALLOW_SEALING | MFD_CLOEXEC);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, HUGE), 0);
	assert_int_equal(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	tl_assert_fail(sealbuf_memfd_export(memfd, NULL, &fd), -ENOMEM, SEALBUF_R_HUGETLB_NO_PAGES);
	assert_int_equal(fd, -7);
	close(memfd);
}

/* size_limit_mb exactly works, one page over is refused, and split covers it. */
static void size_limit(void **state)
{
	struct sealbuf_udmabuf_info l = { .sz = sizeof(l) };
	struct sealbuf_region *r;
	SEALBUF_OPTS(sealbuf_export_opts, o, .name = "limit");
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	int fds[2], fd = -7;
	uint8_t *m;

	assert_int_equal(sealbuf_udmabuf_query(&l), 0);
	assert_true(l.state & SEALBUF_UDMABUF_LIMITS);
	r = new_region("limit", l.size_limit + tl_page(), 0);
	tl_fill((uint8_t *)sealbuf_region_data(r) + l.size_limit, tl_page(), 9);
	o.length = l.size_limit;
	fd = export(r, &o);
	assert_int_equal(dmabuf_size(fd), l.size_limit);
	close(fd);
	fd = -7;
	o.length = 0;
	tl_assert_fail(sealbuf_region_export(r, &o, &fd), -E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT);
	assert_int_equal(fd, -7);

	assert_int_equal(sealbuf_region_export_split(r, &o, fds, 2), 2);
	assert_int_equal(dmabuf_size(fds[0]), l.size_limit);
	assert_int_equal(sealbuf_dmabuf_query(fds[1], &i), 0);
	assert_int_equal(i.size, tl_page());
	assert_string_equal(i.name, "limit#1");
	m = map(fds[1], tl_page());
	assert_true(tl_check(m, tl_page(), 9));
	munmap(m, tl_page());
	close(fds[0]);
	close(fds[1]);
	sealbuf_region_free(r);
}

/* The limits are read live: root lowers them, the next export knows. */
static void live_limits(void **state)
{
	unsigned long size_mb = read_file(PARAM("size_limit_mb")), list = read_file(PARAM("list_limit"));
	struct sealbuf_region *r = new_region("live", 2 * MIB, 0);
	struct sealbuf_export_range ranges[3] = {
		{ r, 0, tl_page(), 0, 0 }, { r, 2 * tl_page(), tl_page(), 0, 0 }, { r, 4 * tl_page(), tl_page(), 0, 0 },
	};
	int fds[2], fd = -7;

	if (!getenv("SEALBUF_IN_VM") || !write_file(PARAM("size_limit_mb"), 1)) {
		sealbuf_region_free(r);
		print_message("cannot change udmabuf's parameters here (needs root in the VM)\n");
		skip();
	}
	tl_assert_fail(sealbuf_region_export(r, NULL, &fd), -E2BIG, SEALBUF_R_UDMABUF_SIZE_LIMIT);
	assert_non_null(strstr(sealbuf_last_error(), "size_limit_mb=1 "));
	assert_int_equal(sealbuf_region_export_split(r, NULL, fds, 2), 2);
	assert_int_equal(dmabuf_size(fds[1]), MIB);
	close(fds[0]);
	close(fds[1]);
	assert_true(write_file(PARAM("size_limit_mb"), size_mb));

	assert_true(write_file(PARAM("list_limit"), 2));
	tl_assert_fail(sealbuf_export_list(ranges, 3, NULL, &fd), -E2BIG, SEALBUF_R_UDMABUF_LIST_LIMIT);
	assert_non_null(strstr(sealbuf_last_error(), "list_limit=2"));
	assert_int_equal(sealbuf_export_list_split(ranges, 3, NULL, fds, 2), 2);
	assert_int_equal(dmabuf_size(fds[0]), 2 * tl_page());
	assert_int_equal(dmabuf_size(fds[1]), tl_page());
	close(fds[0]);
	close(fds[1]);
	assert_true(write_file(PARAM("list_limit"), list));
	assert_int_equal(fd, -7);
	sealbuf_region_free(r);
}

/* A reserved region's payload alone: the header page stays out of the device's reach. */
static void payload_only(void **state)
{
	SEALBUF_OPTS(sealbuf_export_opts, o, .flags = SEALBUF_EXPORT_PAYLOAD);
	SEALBUF_OPTS(sealbuf_create_opts, co, .name = "reserved");
	struct sealbuf_region *r = NULL;
	size_t hdr_len;
	uint8_t *hdr, *m;
	int fd;

	assert_int_equal(sealbuf_region_reserve(3 * tl_page() - 5, &co, &r), 0);
	hdr_len = (size_t)(r->data - r->map);
	assert_int_equal(hdr_len, tl_page());
	hdr = malloc(hdr_len);
	memcpy(hdr, r->map, hdr_len);
	fd = export(r, &o);
	assert_int_equal(dmabuf_size(fd), 3 * tl_page()); /* the capacity, page-rounded */
	m = map(fd, 3 * tl_page());
	tl_fill(m, 3 * tl_page(), 10);
	assert_true(tl_check(r->data, 3 * tl_page(), 10));
	assert_memory_equal(hdr, r->map, hdr_len); /* the device cannot reach the header */
	munmap(m, 3 * tl_page());
	close(fd);
	/* A range of the payload: offsets count from its first byte. */
	o.offset = tl_page();
	o.length = tl_page();
	fd = export(r, &o);
	m = map(fd, tl_page());
	assert_memory_equal(m, r->data + tl_page(), tl_page());
	munmap(m, tl_page());
	close(fd);
	/* Without the flag the whole region goes, header page first. */
	fd = export(r, NULL);
	assert_int_equal(dmabuf_size(fd), r->map_size);
	m = map(fd, r->map_size);
	assert_memory_equal(m, r->map, r->map_size);
	munmap(m, r->map_size);
	close(fd);
	/* A payload range past the capacity is the payload's range error. */
	o.offset = 3 * tl_page();
	o.length = 0;
	fd = -7;
	tl_assert_fail(sealbuf_region_export(r, &o, &fd), -ERANGE, SEALBUF_R_RANGE);
	free(hdr);
	sealbuf_region_free(r);
}

/* A region received from another process exports with KEEP_HANDLE, and only with it. */
static void child_sender(int sock)
{
	struct sealbuf_region *r = NULL;
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "from-child");
	char ok = 0;
	int n;

	if (sealbuf_region_create(4 * tl_page(), &o, &r) < 0)
		_exit(2);
	tl_fill(sealbuf_region_data(r), 4 * tl_page(), 7);
	/* Twice: once opened without the handle, once with. */
	if (sealbuf_region_send(sock, r, 0) < 0 || sealbuf_region_send(sock, r, 0) < 0)
		_exit(3);
	n = (int)read(sock, &ok, 1);
	_exit(n == 1 && ok == 'w' && tl_check(sealbuf_region_data(r), 4 * tl_page(), 8) ? 0 : 4);
}

static void received_region(void **state)
{
	SEALBUF_OPTS(sealbuf_recv_opts, keep, .flags = SEALBUF_OPEN_KEEP_HANDLE, .timeout_ms = 20000);
	SEALBUF_OPTS(sealbuf_recv_opts, plain, .timeout_ms = 20000);
	struct sealbuf_region *a = NULL, *b = NULL;
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	int sv[2], fd = -7, status;
	uint8_t *m;
	pid_t pid;

	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		child_sender(sv[1]);
	}
	close(sv[1]);
	assert_int_equal(sealbuf_region_recv(sv[0], &plain, &a), 0);
	tl_assert_fail(sealbuf_region_export(a, NULL, &fd), -EBADF, SEALBUF_R_NO_HANDLE);
	assert_int_equal(sealbuf_region_recv(sv[0], &keep, &b), 0);
	fd = export(b, NULL);
	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	assert_string_equal(i.name, "from-child"); /* the sender's name travels with the memfd */
	m = map(fd, 4 * tl_page());
	assert_true(tl_check(m, 4 * tl_page(), 7));
	tl_fill(m, 4 * tl_page(), 8); /* the sender sees the device side's writes */
	assert_int_equal(write(sv[0], "w", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	munmap(m, 4 * tl_page());
	close(fd);
	close(sv[0]);
	sealbuf_region_free(a);
	sealbuf_region_free(b);
}

static unsigned long meminfo_kb(const char *key)
{
	char line[128];
	unsigned long v = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = strtoul(line + strlen(key), NULL, 10);
	fclose(f);
	return v;
}

static int count_dmabuf_fds(void)
{
	char path[64], target[128];
	int n = 0;

	for (int fd = 0; fd < 1024; fd++) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		len = readlink(path, target, sizeof(target) - 1);
		if (len > 0 && (target[len] = '\0', !strncmp(target, "/dmabuf:", 8)))
			n++;
	}
	return n;
}

static bool bufinfo_has(const char *name)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/sys/kernel/debug/dma_buf/bufinfo", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name))
			found = true;
	fclose(f);
	return found;
}

/*
 * Free memory in kB: MemFree plus the pages on the per-CPU free lists
 * (/proc/zoneinfo "count:"), where freed pages land first and MemFree does
 * not see them.
 */
static unsigned long free_kb(void)
{
	char line[256];
	unsigned long pcp = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %lu", &v) == 1)
			pcp += v;
	fclose(f);
	return meminfo_kb("MemFree:") + pcp * (tl_page() >> 10);
}

/*
 * The dma-buf keeps the pages after the region is freed; closing it returns
 * them. The memfd's inode goes with the region (Shmem drops at once), but
 * the pinned pages stay allocated until the dma-buf goes.
 */
static void free_returns_memory(void **state)
{
	const unsigned long size_kb = 32 * 1024, slack_kb = 4 * 1024;
	unsigned long before = free_kb(), held, after;
	struct sealbuf_region *r = new_region("lifetime", size_kb << 10, SEALBUF_CREATE_PREFAULT);
	bool debugfs = access("/sys/kernel/debug/dma_buf/bufinfo", R_OK) == 0;
	int fd = export(r, NULL);

	sealbuf_region_free(r);
	held = free_kb();
	assert_int_equal(count_dmabuf_fds(), 1);
	if (debugfs)
		assert_true(bufinfo_has("lifetime"));
	close(fd);
	after = free_kb();
	print_message("free memory: %lu kB before, %lu kB with only the dma-buf holding 32 MiB, %lu kB after it closed\n",
		      before, held, after);
	assert_true(held + size_kb - slack_kb <= before);
	assert_true(after + slack_kb >= before);
	assert_int_equal(count_dmabuf_fds(), 0);
	if (debugfs)
		assert_false(bufinfo_has("lifetime"));
}

/* Write through a raw udmabuf of fresh, fallocated memfd pages; count pages the memfd lost. */
static int raw_lost_pages(size_t n)
{
	int m = memfd_create("raw-fresh", MFD_ALLOW_SEALING | MFD_CLOEXEC), dev, buf, lost = 0;
	struct udmabuf_create c = { .flags = UDMABUF_FLAGS_CLOEXEC, .size = n * tl_page() };
	uint8_t *a, *b;

	assert_true(m >= 0);
	assert_int_equal(ftruncate(m, (off_t)(n * tl_page())), 0);
	assert_int_equal(fallocate(m, 0, 0, (off_t)(n * tl_page())), 0);
	assert_int_equal(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	assert_true(dev >= 0);
	c.memfd = (uint32_t)m;
	buf = ioctl(dev, UDMABUF_CREATE, &c);
	assert_true(buf >= 0);
	b = map(buf, n * tl_page());
	memset(b, 0x5a, n * tl_page());
	a = map(m, n * tl_page());
	for (size_t i = 0; i < n; i++)
		lost += a[i * tl_page()] != 0x5a;
	munmap(a, n * tl_page());
	munmap(b, n * tl_page());
	close(buf);
	close(dev);
	close(m);
	return lost;
}

/*
 * A device writing into pages nobody has touched yet: shmem keeps
 * fallocate()d pages "not up to date" and clears them on the CPU's first
 * fault, after udmabuf pinned them. sealbuf faults them in before export.
 */
static void fresh_pages(void **state)
{
	struct sealbuf_region *r = new_region("fresh", 16 * tl_page(), 0);
	int memfd, fd = export(r, NULL);
	uint8_t *m = map(fd, 16 * tl_page()), *a;

	print_message("raw udmabuf of fresh fallocated pages: %d of 16 lost what the device wrote\n",
		      raw_lost_pages(16));
	tl_fill(m, 16 * tl_page(), 11); /* the "device" writes first */
	assert_true(tl_check(sealbuf_region_data(r), 16 * tl_page(), 11));
	munmap(m, 16 * tl_page());
	close(fd);
	sealbuf_region_free(r);

	memfd = memfd_create("fresh-raw", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	assert_int_equal(ftruncate(memfd, 16 * tl_page()), 0);
	assert_int_equal(fallocate(memfd, 0, 0, 16 * tl_page()), 0);
	assert_int_equal(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	assert_int_equal(sealbuf_memfd_export(memfd, NULL, &fd), 0);
	m = map(fd, 16 * tl_page());
	tl_fill(m, 16 * tl_page(), 12);
	a = map(memfd, 16 * tl_page());
	assert_true(tl_check(a, 16 * tl_page(), 12));
	munmap(a, 16 * tl_page());
	munmap(m, 16 * tl_page());
	close(fd);
	close(memfd);
}

/*
 * A fresh NORESERVE region has no page fallocate() made, so export skips
 * the fault-in (this process's mapping stays empty): holes are allocated and
 * cleared by udmabuf itself, pages the CPU wrote first are up to date, and
 * what a device writes through the dma-buf is what the region reads.
 */
static void fresh_noreserve(void **state)
{
	size_t size = 16 * tl_page();
	struct sealbuf_region *r = new_region("fresh-nr", size, SEALBUF_CREATE_NORESERVE);
	uint8_t *data = sealbuf_region_data(r), *m;
	int fd;

	tl_fill(data, tl_page(), 40); /* one page written first, the rest holes */
	fd = export(r, NULL);
	assert_int_equal(tl_pages_mapped(data, size), 1); /* no fault-in by export */
	m = map(fd, size);
	assert_true(tl_check(m, tl_page(), 40));
	for (size_t off = tl_page(); off < size; off += tl_page())
		assert_int_equal(m[off], 0);
	tl_fill(m, size, 41); /* the "device" writes */
	assert_true(tl_check(data, size, 41));
	munmap(m, size);
	close(fd);
	sealbuf_region_free(r);
}

/* kB of @field ("ShmemPmdMapped:") in /proc/self/smaps for the mapping that starts at @p. */
static long smaps_kb(const void *p, const char *field)
{
	char v[64];

	return tl_smaps(p, field, v, sizeof(v)) ? strtol(v, NULL, 10) : -1;
}

/*
 * A region on transparent huge pages (where shmem_enabled allows them;
 * tests/vm/thp.sh sets "advise" in the guest): its pages are huge, it
 * exports, a device's writes through the dma-buf reach the region, and a
 * receiver's populated mapping maps the same huge pages.
 */
static void thp_export(void **state)
{
	size_t size = 8 << 20;
	struct sealbuf_region *r, *b = NULL;
	char mode[32];
	int fd, h;
	uint8_t *m;

	if (sb_thp_mode(mode, sizeof(mode)) == SB_THP_NONE) {
		print_message("SKIP: shmem_enabled is %s here: no huge pages for shmem "
			      "(meson test vm-dmabuf-thp sets it in the guest)\n", mode);
		skip();
	}
	r = new_region("thp", size, SEALBUF_CREATE_PREFAULT);
	print_message("shmem_enabled %s: %ld kB of the creator's 8 MiB mapped huge\n", mode,
		      smaps_kb(sealbuf_region_data(r), "ShmemPmdMapped:"));
	assert_true(smaps_kb(sealbuf_region_data(r), "ShmemPmdMapped:") >= 2048);
	fd = export(r, NULL);
	assert_int_equal(dmabuf_size(fd), size);
	m = map(fd, size);
	tl_fill(m, size, 31); /* the "device" writes */
	assert_true(tl_check(sealbuf_region_data(r), size, 31));
	assert_int_equal(sealbuf_region_share(r, 0, &h), 0);
	assert_int_equal(sealbuf_region_open(h, size, NULL, &b), 0);
	print_message("the receiver's populated mapping: %ld kB mapped huge\n",
		      smaps_kb(sealbuf_region_data(b), "ShmemPmdMapped:"));
	assert_true(smaps_kb(sealbuf_region_data(b), "ShmemPmdMapped:") >= 2048);
	assert_true(tl_check(sealbuf_region_data(b), size, 31));
	tl_fill(sealbuf_region_data(b), size, 32);
	assert_true(tl_check(m, size, 32));
	munmap(m, size);
	close(fd);
	sealbuf_region_free(b);
	sealbuf_region_free(r);
}

/* END without START: refused on some kernels, with the fix in the text. */
static void sync_bracketing(void **state)
{
	struct sealbuf_region *r = new_region("sync", tl_page(), 0);
	int fd = export(r, NULL), ret;

	ret = sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_READ);
	if (ret < 0) {
		tl_assert_fail(ret, -EINVAL, SEALBUF_R_INVALID_ARGUMENT);
		assert_non_null(strstr(sealbuf_last_error(), "sealbuf_dmabuf_sync_begin"));
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(sealbuf_dmabuf_sync_begin(fd, SEALBUF_SYNC_RW), 0);
		assert_int_equal(sealbuf_dmabuf_sync_end(fd, SEALBUF_SYNC_RW), 0);
	}
	close(fd);
	sealbuf_region_free(r);
}

/* Names: the region's, cut to 31 bytes; the caller's; renaming later. */
static void naming(void **state)
{
	struct sealbuf_region *r = new_region("a-region-name-longer-than-thirty-one-bytes", tl_page(), 0);
	struct sealbuf_dmabuf_info i = { .sz = sizeof(i) };
	int fd = export(r, NULL);

	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	assert_string_equal(i.name, "a-region-name-longer-than-thirt");
	assert_int_equal(sealbuf_dmabuf_set_name(fd, "renamed"), 0);
	assert_int_equal(sealbuf_dmabuf_query(fd, &i), 0);
	assert_string_equal(i.name, "renamed");
	close(fd);
	sealbuf_region_free(r);
}

/* In a child: what an unprivileged user, or a /dev without the node, is told. */
static int child_export(bool drop, bool hide_dev)
{
	struct sealbuf_region *r = new_region("access", tl_page(), 0);
	int fd, ret;

	if (hide_dev && (unshare(CLONE_NEWNS) < 0 ||
			 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
			 mount("none", "/dev", "tmpfs", 0, NULL) < 0))
		return 10;
	if (drop && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
		return 11;
	ret = sealbuf_region_export(r, NULL, &fd);
	printf("child (%s): %d %s: %s\n", drop ? "nobody" : "no /dev/udmabuf", ret,
	       sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
	if (drop)
		return ret == -EACCES && sealbuf_last_reason() == SEALBUF_R_UDMABUF_DENIED &&
		       strstr(sealbuf_last_error(), "udev") ? 0 : 1;
	return ret == -ENODEV && sealbuf_last_reason() == SEALBUF_R_NO_UDMABUF &&
	       strstr(sealbuf_last_error(), "devtmpfs") ? 0 : 1;
}

static void access_errors(void **state)
{
	int status;

	if (geteuid() != 0 || !getenv("SEALBUF_IN_VM")) {
		print_message("needs root in the VM (drops privileges, hides /dev)\n");
		skip();
	}
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			fflush(stdout);
			_exit(child_export(i == 0, i == 1));
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		TL_TEST(roundtrip),
		TL_TEST(range),
		TL_TEST(selftest_create),
		TL_TEST(selftest_list),
		TL_TEST(list_two_regions),
		TL_TEST(selftest_hugetlb),
		TL_TEST(hugetlb_no_pages),
		TL_TEST(size_limit),
		TL_TEST(live_limits),
		TL_TEST(payload_only),
		TL_TEST(received_region),
		TL_TEST(free_returns_memory),
		TL_TEST(fresh_pages),
		TL_TEST(fresh_noreserve),
		TL_TEST(thp_export),
		TL_TEST(sync_bracketing),
		TL_TEST(naming),
		TL_TEST(access_errors),
	};

	if (sealbuf_udmabuf_check() < 0)
		tl_skip("needs a kernel with udmabuf: %s (meson test --suite vm runs this in a VM)",
			sealbuf_last_error());
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
