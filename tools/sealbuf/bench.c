/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf bench: finds the benchmark programs (tools/bench/bench-*), runs each
 * with --json, and renders the JSON Lines they print (tools/bench/bench.h) as
 * one table per program: figure, sealbuf's value, the same-run baseline, the
 * ratio and the target it is judged by. With --json the lines pass through.
 * The programs are found in $SEALBUF_BENCH_DIR, else beside this executable
 * in a build tree (tools/bench/), else in the installed libexecdir/sealbuf.
 */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#ifndef SEALBUF_LIBEXECDIR
#define SEALBUF_LIBEXECDIR "/usr/local/libexec/sealbuf"
#endif
#ifndef SEALBUF_BINDIR
#define SEALBUF_BINDIR "/usr/local/bin"
#endif

#define MAX_PROGRAMS 64

struct bench_opts {
	bool json, quick;
	long reps;
	char dir[PATH_MAX];
};

struct run_stats {
	int figures, missed, bad_lines, skipped;
	char skip_why[256];  /* a program's "SKIP: why" line (exit status 77) */
};

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the programs are: see the comment at the top. */
static void find_dir(char *dir, size_t len)
{
	char exe[PATH_MAX];
	const char *env = getenv("SEALBUF_BENCH_DIR");
	ssize_t n;

	if (env && *env) {
		snprintf(dir, len, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *d = dirname(exe);
		if (strcmp(d, SEALBUF_BINDIR)) {
			snprintf(dir, len, "%s/bench", d);
			if (is_dir(dir))
				return;
		}
	}
	snprintf(dir, len, "%s", SEALBUF_LIBEXECDIR);
}

/* bench-NAME: letters, digits, '-' and '_' only; meson's bench-x.p directories don't qualify. */
static bool is_program_name(const char *n)
{
	if (strncmp(n, "bench-", 6) || !n[6])
		return false;
	for (const char *p = n + 6; *p; p++)
		if (!(*p == '-' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

static bool is_program(const char *dir, const char *name)
{
	char path[PATH_MAX + 256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return is_program_name(name) && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       access(path, X_OK) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_programs(const char *dir, char **names, int max)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max)
		if (is_program(dir, de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	return n;
}

/* ---- rendering ---- */

/* "<= 1.15", ">= 0.9", "< 2", "> 1": whether @ratio meets it; -1 if it cannot say. */
static int meets(const char *target, double ratio)
{
	char op[3] = "";
	double v;

	if (!target || sscanf(target, " %2[<>=] %lf", op, &v) != 2)
		return -1;
	if (!strcmp(op, "<="))
		return ratio <= v;
	if (!strcmp(op, ">="))
		return ratio >= v;
	if (!strcmp(op, "<"))
		return ratio < v;
	if (!strcmp(op, ">"))
		return ratio > v;
	return -1;
}

/* 3.61 us, 483 us, 41800 us: three significant digits, never an exponent. */
static void fmt_num(char *buf, size_t len, double v, const char *unit)
{
	if (v >= 1000 || v <= -1000)
		snprintf(buf, len, "%.0f%s%.16s", v, *unit ? " " : "", unit);
	else
		snprintf(buf, len, "%.3g%s%.16s", v, *unit ? " " : "", unit);
}

struct cells {
	char c[6][272]; /* figure, sealbuf, baseline, baseline is, ratio, target + verdict */
};

/* One program's figures, kept until it ends so the columns can fit them. */
struct table {
	struct cells *rows;
	size_t n, cap;
};

static void cells_of(const struct json_flat *o, struct cells *r, struct run_stats *s)
{
	const struct json_field *fig = json_get(o, "figure"), *unit = json_get(o, "unit");
	const struct json_field *v = json_get(o, "value"), *bv = json_get(o, "baseline_value");
	const struct json_field *base = json_get(o, "baseline"), *tgt = json_get(o, "target");
	const struct json_field *ratio = json_get(o, "ratio");
	const char *u = unit && unit->is_str ? unit->str : "";
	const char *t = tgt && tgt->is_str ? tgt->str : "";
	int ok = -1;

	memset(r, 0, sizeof(*r));
	snprintf(r->c[0], sizeof(r->c[0]), "%s", fig->str);
	if (!v->is_str)
		fmt_num(r->c[1], sizeof(r->c[1]), v->num, u);
	if (base && base->is_str && bv && !bv->is_str) {
		fmt_num(r->c[2], sizeof(r->c[2]), bv->num, u);
		snprintf(r->c[3], sizeof(r->c[3]), "%s", base->str);
	}
	if (base && ratio && !ratio->is_str) {
		snprintf(r->c[4], sizeof(r->c[4]), ratio->num >= 100 ? "%.0fx" : "%.3fx", ratio->num);
		ok = meets(t, ratio->num);
	}
	snprintf(r->c[5], sizeof(r->c[5]), "%s%s%s", t, *t && ok >= 0 ? "  " : "",
		 ok == 1 ? "ok" : ok == 0 ? "MISSED" : "");
	s->figures++;
	s->missed += ok == 0;
}

static void table_add(struct table *t, const struct json_flat *o, struct run_stats *s)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct cells *nr = realloc(t->rows, cap * sizeof(*nr));
		if (!nr)
			return;
		t->rows = nr;
		t->cap = cap;
	}
	cells_of(o, &t->rows[t->n++], s);
}

/* One row: text columns left-aligned, numbers right-aligned; no trailing blanks. */
static void print_row(const struct cells *r, const int *w)
{
	char line[1800];
	size_t n;

	snprintf(line, sizeof(line), "%-*s  %*s  %*s  %-*s  %*s  %s", w[0], r->c[0], w[1], r->c[1],
		 w[2], r->c[2], w[3], r->c[3], w[4], r->c[4], r->c[5]);
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	puts(line);
}

static void table_print(struct table *t)
{
	static const struct cells head = { { "figure", "sealbuf", "baseline", "baseline is", "ratio",
					     "target" } };
	int w[6];

	for (int k = 0; k < 6; k++) {
		w[k] = (int)strlen(head.c[k]);
		for (size_t i = 0; i < t->n; i++)
			if ((int)strlen(t->rows[i].c[k]) > w[k])
				w[k] = (int)strlen(t->rows[i].c[k]);
	}
	if (t->n)
		print_row(&head, w);
	for (size_t i = 0; i < t->n; i++)
		print_row(&t->rows[i], w);
	fflush(stdout);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* One line of a program's output: a figure, or something that is not one. */
static void take_line(const char *prog, char *line, const struct bench_opts *bo,
		      struct table *t, struct run_stats *s)
{
	struct json_flat o;
	const struct json_field *fig, *v;

	line[strcspn(line, "\n")] = '\0';
	if (!*line)
		return;
	/* A program that cannot run here says why and exits 77 (as tests do). */
	if (!strncmp(line, "SKIP", 4)) {
		snprintf(s->skip_why, sizeof(s->skip_why), "%s", line + 4 + strspn(line + 4, ": "));
		return;
	}
	if (json_parse_flat(line, &o) < 0 || !(fig = json_get(&o, "figure")) || !fig->is_str ||
	    !(v = json_get(&o, "value"))) {
		s->bad_lines++;
		fprintf(stderr, "sealbuf bench: %s printed a line that is not a figure: %.120s\n",
			prog, line);
		return;
	}
	if (bo->json) {
		puts(line);
		fflush(stdout);
		s->figures++;
	} else {
		table_add(t, &o, s);
	}
}

static pid_t spawn(const char *path, const struct bench_opts *bo, int *ret_out)
{
	char reps[24];
	char *argv[6] = { (char *)path, "--json" };
	int n = 2, p[2];
	pid_t pid;

	if (bo->quick)
		argv[n++] = "--quick";
	if (bo->reps > 0) {
		snprintf(reps, sizeof(reps), "%ld", bo->reps);
		argv[n++] = "--reps";
		argv[n++] = reps;
	}
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execv(path, argv);
		fprintf(stderr, "sealbuf bench: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (pid < 0)
		close(p[0]);
	*ret_out = p[0];
	return pid;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run one program; 0 if it ran and printed only figures. */
static int run_program(const char *name, int i, int n, const struct bench_opts *bo,
		       struct run_stats *total)
{
	char path[PATH_MAX + 64], *line = NULL;
	struct run_stats s = { 0 };
	struct table t = { 0 };
	size_t cap = 0;
	double t0 = now_s();
	int out, st;
	FILE *f;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", bo->dir, name);
	fprintf(stderr, "[%d/%d] %s%s ...\n", i, n, name, bo->quick ? " --quick" : "");
	if (!bo->json)
		printf("%s== %s ==\n", i > 1 ? "\n" : "", name + 6);
	pid = spawn(path, bo, &out);
	if (pid < 0)
		return tool_error(SBX_BENCH, "cannot start %s: %s", path, strerror(errno));
	f = fdopen(out, "r");
	while (f && getline(&line, &cap, f) > 0)
		take_line(name, line, bo, &t, &s);
	free(line);
	table_print(&t);
	if (f)
		fclose(f);
	else
		close(out);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	fprintf(stderr, "[%d/%d] %s: %d figures in %.1f s\n", i, n, name, s.figures, now_s() - t0);
	total->figures += s.figures;
	total->missed += s.missed;
	total->bad_lines += s.bad_lines;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 77 && !s.bad_lines) {
		total->skipped++;
		if (!bo->json)
			printf("skipped: %s\n", s.skip_why[0] ? s.skip_why : "no reason given");
		fprintf(stderr, "sealbuf bench: %s skipped: %s\n", name,
			s.skip_why[0] ? s.skip_why : "no reason given");
		return 0;
	}
	if (WIFSIGNALED(st))
		return tool_error(SBX_BENCH, "%s was killed by signal %d", name, WTERMSIG(st));
	if (WEXITSTATUS(st))
		return tool_error(SBX_BENCH, "%s exited with status %d", name, WEXITSTATUS(st));
	if (s.bad_lines)
		return tool_error(SBX_BENCH, "%s printed %d lines that are not figures", name,
				  s.bad_lines);
	return 0;
}

/* NAME or bench-NAME, which must exist in the directory. */
static int select_programs(int argc, char **argv, char **have, int nhave, char **sel)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		char want[256];
		int k;
		snprintf(want, sizeof(want), "%s%s", strncmp(argv[i], "bench-", 6) ? "bench-" : "",
			 argv[i]);
		for (k = 0; k < nhave && strcmp(have[k], want); k++)
			;
		if (k == nhave)
			return -i - 1;
		sel[n++] = have[k];
	}
	return n;
}

static int list_or_missing(char **have, int n, const char *dir, const char *unknown)
{
	if (unknown)
		fprintf(stderr, "sealbuf bench: no benchmark named '%s' in %s; there are:", unknown, dir);
	for (int i = 0; i < n; i++)
		fprintf(unknown ? stderr : stdout, unknown ? " %s" : "%s\n", have[i] + 6);
	if (unknown)
		fputc('\n', stderr);
	return unknown ? SBX_BENCH : SBX_OK;
}

static int run_all(char **sel, int n, const struct bench_opts *bo)
{
	struct run_stats total = { 0 };
	int ret = 0;

	for (int i = 0; i < n; i++) {
		int r = run_program(sel[i], i + 1, n, bo, &total);
		ret = ret ? ret : r;
	}
	fprintf(stderr, "sealbuf bench: %d figures from %d programs (%d skipped); %d missed their target\n",
		total.figures, n, total.skipped, total.missed);
	return ret;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "reps", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ 0 }
	};
	struct bench_opts bo = { .reps = 0 };
	char *have[MAX_PROGRAMS], *sel[MAX_PROGRAMS];
	bool list = false;
	int opt, nhave, nsel, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'j')
			bo.json = true;
		else if (opt == 'q')
			bo.quick = true;
		else if (opt == 'l')
			list = true;
		else if (opt != 'r' || !tool_parse_long(optarg, 1, 1 << 24, &bo.reps))
			return tool_usage_error("bad option or value: '%s'", argv[optind - 1]);
	}
	find_dir(bo.dir, sizeof(bo.dir));
	nhave = list_programs(bo.dir, have, MAX_PROGRAMS);
	if (nhave == 0)
		return tool_error(SBX_BENCH, "no benchmark programs (bench-*) in %s", bo.dir);
	nsel = optind < argc ? select_programs(argc - optind, argv + optind, have, nhave, sel)
			     : nhave;
	if (nsel < 0)
		ret = list_or_missing(have, nhave, bo.dir, argv[optind - nsel - 1]);
	else if (list)
		ret = list_or_missing(have, nhave, bo.dir, NULL);
	else
		ret = run_all(optind < argc ? sel : have, nsel, &bo);
	for (int i = 0; i < nhave; i++)
		free(have[i]);
	return ret;
}
