/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf ls: which processes hold which memfds and dma-bufs. A process holds
 * one through an fd (/proc/PID/fd, fdinfo) or only through a mapping: sealbuf
 * receivers close the fd once they have mapped the region, so /proc/PID/maps
 * is read too. The inode ties holders of the same region together. A process
 * the caller may not inspect is counted, never skipped in silence. Holders
 * are counted among all processes, also when --pid shows only some. Names
 * and comm are chosen by other processes: they are escaped for the terminal.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region-io.h"
#include "tool.h"

struct entry {
	int pid;
	char comm[32];
	int fd;              /* -1: held only through a mapping */
	struct fd_info fi;
	uint64_t mapped;     /* bytes of it this process maps */
	bool map_writable;
	int holders;         /* processes holding the same inode */
};

#define LS_MAX_PIDS 64

struct denied {
	int pid;
	char comm[32];
	uid_t uid;
	int err;
};

struct listing {
	struct entry *e;
	size_t n, cap;
	struct denied *d;
	size_t nd, capd;
	int missing;         /* --pid that does not exist */
	int type_filter;     /* -1 all, else enum fd_type */
	bool bytes;          /* --bytes: sizes in bytes, not human units */
	bool verbose;        /* --verbose: one line per process not inspected */
	const long *pids;    /* --pid: the processes shown (all when npids is 0) */
	int npids;
};

static void *grow(void *p, size_t *cap, size_t n, size_t elem)
{
	void *np;

	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	np = realloc(p, *cap * elem);
	if (!np) {
		fprintf(stderr, "sealbuf ls: out of memory\n");
		exit(SBX_SIZE);
	}
	return np;
}

static struct entry *add_entry(struct listing *l)
{
	l->e = grow(l->e, &l->cap, l->n, sizeof(*l->e));
	memset(&l->e[l->n], 0, sizeof(l->e[0]));
	return &l->e[l->n++];
}

static void read_comm(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	buf[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static void add_denied(struct listing *l, int pid, const char *comm, int err)
{
	char path[64];
	struct stat st;
	struct denied *d;

	l->d = grow(l->d, &l->capd, l->nd, sizeof(*l->d));
	d = &l->d[l->nd++];
	d->pid = pid;
	d->err = err;
	snprintf(d->comm, sizeof(d->comm), "%s", comm);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	d->uid = stat(path, &st) == 0 ? st.st_uid : (uid_t)-1;
}

static bool wanted(const struct listing *l, enum fd_type t)
{
	return t != FD_OTHER && (l->type_filter < 0 || l->type_filter == (int)t);
}

/* The fds: returns -errno when the fd directory cannot be read. */
static int scan_fds(struct listing *l, int pid, const char *comm)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct fd_info fi;
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end || end == de->d_name || procfd_describe(pid, (int)fd, &fi) < 0 ||
		    !wanted(l, fi.type))
			continue;
		struct entry *e = add_entry(l);
		e->pid = pid;
		e->fd = (int)fd;
		e->fi = fi;
		snprintf(e->comm, sizeof(e->comm), "%s", comm);
	}
	closedir(d);
	return 0;
}

static struct entry *find(struct listing *l, size_t from, int pid, uint64_t ino)
{
	for (size_t i = from; i < l->n; i++)
		if (l->e[i].pid == pid && l->e[i].fi.ino == ino)
			return &l->e[i];
	return NULL;
}

/* A mapping of a region this process holds no fd for: describe it from the maps line. */
static struct entry *add_mapped(struct listing *l, int pid, const char *comm,
				const char *link, uint64_t ino, const char *range)
{
	struct entry *e = add_entry(l);
	char path[96];

	e->pid = pid;
	e->fd = -1;
	snprintf(e->comm, sizeof(e->comm), "%s", comm);
	snprintf(e->fi.link, sizeof(e->fi.link), "%s", link);
	e->fi.type = procfd_classify(link, e->fi.name, sizeof(e->fi.name));
	e->fi.ino = ino;
	e->fi.accmode = -1;
	/* map_files needs CAP_SYS_ADMIN; without it, seals and size stay unknown. */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%s", pid, range);
	e->fi.seals = e->fi.type == FD_MEMFD ? procfd_seals_of_path(path) : -ENODATA;
	if (e->fi.type == FD_MEMFD) {
		struct stat st;
		if (stat(path, &st) == 0) {
			e->fi.size = (uint64_t)st.st_size;
			e->fi.size_known = true;
		}
	}
	return e;
}

static void scan_maps(struct listing *l, size_t first, int pid, const char *comm)
{
	char path[64], line[4096 + 128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, off, ino;
		char perms[8], range[64], *name;
		int n = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*x:%*x %lu %n", &start, &end, perms, &off, &ino,
			   &n) < 5 || !n)
			continue;
		name = line + n;
		name[strcspn(name, "\n")] = '\0';
		char dummy[8];
		if (!wanted(l, procfd_classify(name, dummy, sizeof(dummy))))
			continue;
		struct entry *e = find(l, first, pid, ino);
		snprintf(range, sizeof(range), "%lx-%lx", start, end);
		if (!e)
			e = add_mapped(l, pid, comm, name, ino, range);
		e->mapped += end - start;
		/* Only a shared writable mapping writes to the region; a private one copies. */
		e->map_writable |= perms[1] == 'w' && perms[3] == 's';
	}
	fclose(f);
}

static int scan_pid(struct listing *l, int pid)
{
	char comm[32];
	size_t first = l->n;
	int r;

	read_comm(pid, comm, sizeof(comm));
	r = scan_fds(l, pid, comm);
	if (r == -ENOENT)
		return 0; /* exited while we looked */
	if (r < 0) {
		add_denied(l, pid, comm, -r);
		return 0;
	}
	scan_maps(l, first, pid, comm);
	return 0;
}

static void count_holders(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		int n = 0;
		for (size_t k = 0; k < l->n; k++) {
			bool first_of_pid = true;
			if (l->e[k].fi.ino != l->e[i].fi.ino || l->e[k].fi.type != l->e[i].fi.type)
				continue;
			for (size_t m = 0; m < k; m++)
				if (l->e[m].pid == l->e[k].pid && l->e[m].fi.ino == l->e[k].fi.ino &&
				    l->e[m].fi.type == l->e[k].fi.type)
					first_of_pid = false;
			n += first_of_pid;
		}
		l->e[i].holders = n;
	}
}

static const char *mode_str(const struct entry *e)
{
	if (e->fi.accmode == O_RDWR)
		return "rw";
	if (e->fi.accmode == O_RDONLY)
		return "r-";
	if (e->fi.accmode == O_WRONLY)
		return "-w";
	return e->mapped ? (e->map_writable ? "rw" : "r-") : "?";
}

static const char *size_cell(const struct listing *l, uint64_t n, char *buf, size_t len)
{
	if (l->bytes)
		snprintf(buf, len, "%" PRIu64, n);
	else
		tool_short_size(n, buf, len);
	return buf;
}

static const char *seals_cell(const struct entry *e, char *buf, size_t len)
{
	char esc[4 * 64];

	if (e->fi.type == FD_DMABUF)
		snprintf(buf, len, "(dma-buf: %s)", e->fi.exp_name[0] ?
			 sb_term_escape(e->fi.exp_name, esc, sizeof(esc)) : "?");
	else if (e->fi.seals == -EACCES || e->fi.seals == -EPERM)
		snprintf(buf, len, "(not permitted)");
	else if (e->fi.seals < 0)
		snprintf(buf, len, "?");
	else
		tool_seals_str(e->fi.seals, buf, len);
	return buf;
}

static void print_row(const struct listing *l, const struct entry *e)
{
	char seals[320], size[32], fd[16], mapped[32], comm[4 * 32], name[4 * 256];

	if (e->fd >= 0)
		snprintf(fd, sizeof(fd), "%d", e->fd);
	else
		snprintf(fd, sizeof(fd), "map");
	if (e->fi.size_known)
		size_cell(l, e->fi.size, size, sizeof(size));
	else
		snprintf(size, sizeof(size), "?");
	printf("%-7d %-15s %-5s %-6s %12s %12s %-4s %-24s %-10" PRIu64 " %-7d %s\n", e->pid,
	       sb_term_escape(e->comm, comm, sizeof(comm)), fd, procfd_type_name(e->fi.type), size,
	       size_cell(l, e->mapped, mapped, sizeof(mapped)), mode_str(e),
	       seals_cell(e, seals, sizeof(seals)), e->fi.ino, e->holders,
	       sb_term_escape(e->fi.name, name, sizeof(name)));
}

/* Other users' processes (kernel threads among them): one line, unless --verbose or --pid. */
static void print_denied(const struct listing *l)
{
	char comm[4 * 32];

	if (l->nd && !l->verbose && !l->npids) {
		printf("%zu processes not inspected (other users'; run as root, or --verbose to list them)\n",
		       l->nd);
		return;
	}
	for (size_t i = 0; i < l->nd; i++)
		printf("%-7d %-15s not inspected: %s (process of uid %d; run as root or as that user)\n",
		       l->d[i].pid, sb_term_escape(l->d[i].comm, comm, sizeof(comm)),
		       strerror(l->d[i].err), (int)l->d[i].uid);
}

static void print_table(const struct listing *l)
{
	printf("%-7s %-15s %-5s %-6s %12s %12s %-4s %-24s %-10s %-7s %s\n", "PID", "COMM", "FD",
	       "TYPE", "SIZE", "MAPPED", "MODE", "SEALS", "INODE", "SHARED", "NAME");
	for (size_t i = 0; i < l->n; i++)
		print_row(l, &l->e[i]);
	print_denied(l);
}

static void print_json(const struct listing *l)
{
	struct json j;

	json_init(&j, stdout);
	json_begin_obj(&j, NULL);
	json_begin_arr(&j, "regions");
	for (size_t i = 0; i < l->n; i++) {
		const struct entry *e = &l->e[i];
		json_begin_obj(&j, NULL);
		json_int(&j, "pid", e->pid);
		json_str(&j, "comm", e->comm);
		if (e->fd >= 0)
			json_int(&j, "fd", e->fd);
		else
			json_null(&j, "fd");
		json_str(&j, "type", procfd_type_name(e->fi.type));
		json_str(&j, "name", e->fi.name);
		if (e->fi.size_known)
			json_uint(&j, "size", e->fi.size);
		else
			json_null(&j, "size");
		json_uint(&j, "mapped", e->mapped);
		json_str(&j, "mode", mode_str(e));
		json_seals(&j, "seals", e->fi.type == FD_MEMFD ? e->fi.seals : -1);
		json_str(&j, "exporter", e->fi.type == FD_DMABUF ? e->fi.exp_name : NULL);
		json_uint(&j, "inode", e->fi.ino);
		json_int(&j, "holders", e->holders);
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_begin_arr(&j, "not_inspected");
	for (size_t i = 0; i < l->nd; i++) {
		json_begin_obj(&j, NULL);
		json_int(&j, "pid", l->d[i].pid);
		json_str(&j, "comm", l->d[i].comm);
		json_int(&j, "uid", (int)l->d[i].uid);
		json_str(&j, "error", strerror(l->d[i].err));
		json_end_obj(&j);
	}
	json_end_arr(&j);
	json_end_obj(&j);
	json_done(&j);
}

/* With hidepid, other users' processes are not even listed: say so rather than hide it. */
static void note_hidepid(void)
{
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *h = strstr(line, "hidepid=");
		if (strstr(line, " /proc ") && strstr(line, " - proc ") && h &&
		    strncmp(h, "hidepid=0", 9) && strncmp(h, "hidepid=off", 11))
			fprintf(stderr, "sealbuf ls: /proc is mounted with %.*s: other users' processes "
				"are invisible here, not merely uninspectable\n", (int)strcspn(h, ", \n"), h);
	}
	fclose(f);
}

static int scan_all(struct listing *l)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return tool_error(SBX_INPUT, "cannot read /proc: %s", strerror(errno));
	if (!l->npids)
		note_hidepid();
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (!*end && end != de->d_name && pid > 0)
			scan_pid(l, (int)pid);
	}
	closedir(d);
	return 0;
}

static bool shown(const struct listing *l, int pid)
{
	for (int i = 0; i < l->npids; i++)
		if (l->pids[i] == pid)
			return true;
	return !l->npids;
}

/* After counting holders among all: keep the --pid processes, count those that are gone. */
static void keep_shown(struct listing *l)
{
	size_t k = 0;
	char path[32];

	for (size_t i = 0; i < l->n; i++)
		if (shown(l, l->e[i].pid))
			l->e[k++] = l->e[i];
	l->n = k;
	k = 0;
	for (size_t i = 0; i < l->nd; i++)
		if (shown(l, l->d[i].pid))
			l->d[k++] = l->d[i];
	l->nd = k;
	for (int i = 0; i < l->npids; i++) {
		snprintf(path, sizeof(path), "/proc/%ld", l->pids[i]);
		l->missing += access(path, F_OK) != 0;
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->fd < 0 ? 1 << 30 : x->fd) - (y->fd < 0 ? 1 << 30 : y->fd);
}

static int cmp_denied(const void *a, const void *b)
{
	return ((const struct denied *)a)->pid - ((const struct denied *)b)->pid;
}

static int parse(int argc, char **argv, struct listing *l, long *pids, bool *json)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ 0 }
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:v", opts, NULL)) != -1) {
		if (opt == 'p' && l->npids == LS_MAX_PIDS)
			return tool_usage_error("at most %d --pid options", LS_MAX_PIDS);
		else if (opt == 'p' && !tool_parse_long(optarg, 1, INT32_MAX, &pids[l->npids]))
			return tool_usage_again();
		else if (opt == 'p')
			l->npids++;
		else if (opt == 't' && !strcmp(optarg, "memfd"))
			l->type_filter = FD_MEMFD;
		else if (opt == 't' && !strcmp(optarg, "dmabuf"))
			l->type_filter = FD_DMABUF;
		else if (opt == 'j')
			*json = true;
		else if (opt == 'b')
			l->bytes = true;
		else if (opt == 'v')
			l->verbose = true;
		else
			return tool_usage_error("bad option or value: '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	return 0;
}

int cmd_ls(int argc, char **argv)
{
	long pids[LS_MAX_PIDS];
	struct listing l = { .type_filter = -1, .pids = pids };
	bool json = false;
	int ret = parse(argc, argv, &l, pids, &json);

	if (ret)
		return ret;
	ret = scan_all(&l);
	if (ret)
		return ret;
	count_holders(&l);
	keep_shown(&l);
	/* qsort's base must not be NULL, even for no elements (UBSan). */
	if (l.n)
		qsort(l.e, l.n, sizeof(*l.e), cmp_entry);
	if (l.nd)
		qsort(l.d, l.nd, sizeof(*l.d), cmp_denied);
	if (json)
		print_json(&l);
	else
		print_table(&l);
	if (l.missing)
		ret = tool_error(SBX_INPUT, "%d of the processes named by --pid do not exist", l.missing);
	else if (l.npids && l.nd)
		ret = tool_error(SBX_PERM, "not permitted to inspect %zu of the processes named by --pid",
				 l.nd);
	free(l.e);
	free(l.d);
	return ret;
}
