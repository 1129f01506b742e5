/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf bench: finds the benchmark programs (tools/bench/bench-*), runs each
 * with --json, and renders the JSON Lines they print (tools/bench/bench.h) as
 * one table per program: figure, sealbuf's value, the same-run baseline, the
 * ratio with its spread over rounds, where it ran, and the target it is
 * judged by with the verdict. With --json the whole run is one JSON document
 * (every figure with its target and "met"). The exit status is 1 when any
 * figure missed its target, SBX_BENCH when a program failed.
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

#include "target.h" /* tools/bench/: how a target is judged */
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
	long reps, rounds;
	char dir[PATH_MAX];
	struct json out; /* --json: the document being written */
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

/* 3.61 us, 483 us, 41800 us: three significant digits, never an exponent. */
static void fmt_num(char *buf, size_t len, double v, const char *unit)
{
	if (v >= 1000 || v <= -1000)
		snprintf(buf, len, "%.0f%s%.16s", v, *unit ? " " : "", unit);
	else
		snprintf(buf, len, "%.3g%s%.16s", v, *unit ? " " : "", unit);
}

#define NCOLS 8

struct cells {
	/* figure, sealbuf, baseline, baseline is, ratio, spread, placement, target + verdict */
	char c[NCOLS][272];
};

/* One program's figures, kept until it ends so the columns can fit them. */
struct table {
	struct cells *rows;
	size_t n, cap;
};

static const char *str_of(const struct json_flat *o, const char *key)
{
	const struct json_field *f = json_get(o, key);

	return f && f->is_str ? f->str : "";
}

static bool num_of(const struct json_flat *o, const char *key, double *ret)
{
	const struct json_field *f = json_get(o, key);

	if (!f || f->is_str || !strcmp(f->str, "null") || !strcmp(f->str, "true") ||
	    !strcmp(f->str, "false"))
		return false;
	*ret = f->num;
	return true;
}

/* The program's own verdict, else the ratio against the target; -1 when there is none. */
static int verdict(const struct json_flat *o)
{
	const struct json_field *met = json_get(o, "met");
	double ratio;

	if (met && !met->is_str && (!strcmp(met->str, "true") || !strcmp(met->str, "false")))
		return met->str[0] == 't';
	if (!json_get(o, "baseline") || !num_of(o, "ratio", &ratio))
		return -1;
	return bench_target_met(str_of(o, "target"), ratio);
}

static void cells_of(const struct json_flat *o, struct cells *r)
{
	const char *u = str_of(o, "unit"), *t = str_of(o, "target"), *base = str_of(o, "baseline");
	double v, bv, ratio, lo, hi, rounds;
	int ok = verdict(o);

	memset(r, 0, sizeof(*r));
	snprintf(r->c[0], sizeof(r->c[0]), "%s", str_of(o, "figure"));
	if (num_of(o, "value", &v))
		fmt_num(r->c[1], sizeof(r->c[1]), v, u);
	if (*base && num_of(o, "baseline_value", &bv)) {
		fmt_num(r->c[2], sizeof(r->c[2]), bv, u);
		snprintf(r->c[3], sizeof(r->c[3]), "%s", base);
	}
	if (*base && num_of(o, "ratio", &ratio))
		snprintf(r->c[4], sizeof(r->c[4]), ratio >= 100 ? "%.0fx" : "%.3fx", ratio);
	if (num_of(o, "ratio_min", &lo) && num_of(o, "ratio_max", &hi) &&
	    num_of(o, "rounds", &rounds))
		snprintf(r->c[5], sizeof(r->c[5]), "%.3f-%.3f (%d)", lo, hi, (int)rounds);
	snprintf(r->c[6], sizeof(r->c[6]), "%s", str_of(o, "placement"));
	snprintf(r->c[7], sizeof(r->c[7]), "%s%s%s", t, *t && ok >= 0 ? "  " : "",
		 ok == 1 ? "ok" : ok == 0 ? "MISSED" : "");
}

static void table_add(struct table *t, const struct json_flat *o)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct cells *nr = realloc(t->rows, cap * sizeof(*nr));
		if (!nr)
			return;
		t->rows = nr;
		t->cap = cap;
	}
	cells_of(o, &t->rows[t->n++]);
}

/* One row: text columns left-aligned, numbers right-aligned; no trailing blanks. */
static void print_row(const struct cells *r, const int *w)
{
	char line[2600];
	size_t n;

	snprintf(line, sizeof(line), "%-*s  %*s  %*s  %-*s  %*s  %*s  %-*s  %s", w[0], r->c[0],
		 w[1], r->c[1], w[2], r->c[2], w[3], r->c[3], w[4], r->c[4], w[5], r->c[5],
		 w[6], r->c[6], r->c[7]);
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	puts(line);
}

static void table_print(struct table *t)
{
	static const struct cells head = { { "figure", "sealbuf", "baseline", "baseline is",
					     "ratio", "spread (rounds)", "placement", "target" } };
	int w[NCOLS];

	for (int k = 0; k < NCOLS; k++) {
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

/* A figure into the JSON document: its fields as the program gave them, and "met". */
static void json_figure(struct json *j, const struct json_flat *o, int met)
{
	json_begin_obj(j, NULL);
	for (int i = 0; i < o->n; i++) {
		const struct json_field *f = &o->f[i];
		if (!strcmp(f->key, "met"))
			continue;
		if (f->is_str)
			json_str(j, f->key, f->str);
		else if (!strcmp(f->str, "true") || !strcmp(f->str, "false"))
			json_bool(j, f->key, f->str[0] == 't');
		else if (!strcmp(f->str, "null"))
			json_null(j, f->key);
		else
			json_num(j, f->key, f->num);
	}
	if (met < 0)
		json_null(j, "met");
	else
		json_bool(j, "met", met);
	json_end_obj(j);
}

/* One line of a program's output: a figure, or something that is not one. */
static void take_line(const char *prog, char *line, struct bench_opts *bo,
		      struct table *t, struct run_stats *s)
{
	struct json_flat o;
	const struct json_field *fig, *v;
	int met;

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
	met = verdict(&o);
	s->figures++;
	s->missed += met == 0;
	if (bo->json)
		json_figure(&bo->out, &o, met);
	else
		table_add(t, &o);
}

static pid_t spawn(const char *path, const struct bench_opts *bo, int *ret_out)
{
	char reps[24], rounds[24];
	char *argv[8] = { (char *)path, "--json" };
	int n = 2, p[2];
	pid_t pid;

	if (bo->quick)
		argv[n++] = "--quick";
	if (bo->reps > 0) {
		snprintf(reps, sizeof(reps), "%ld", bo->reps);
		argv[n++] = "--reps";
		argv[n++] = reps;
	}
	if (bo->rounds > 0) {
		snprintf(rounds, sizeof(rounds), "%ld", bo->rounds);
		argv[n++] = "--rounds";
		argv[n++] = rounds;
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

/* What became of a program: SBX_OK (ran or skipped) or SBX_BENCH, with @why. */
static int program_status(const char *name, int st, const struct run_stats *s, char *why,
			  size_t len)
{
	/* A program exits 1 when it missed a target: it ran, and its figures say which. */
	bool missed_only = WIFEXITED(st) && WEXITSTATUS(st) == 1 && s->missed;

	if (WIFEXITED(st) && WEXITSTATUS(st) == 77 && !s->bad_lines)
		snprintf(why, len, "%s", s->skip_why[0] ? s->skip_why : "no reason given");
	else if (WIFSIGNALED(st))
		snprintf(why, len, "%s was killed by signal %d", name, WTERMSIG(st));
	else if (WEXITSTATUS(st) && !missed_only)
		snprintf(why, len, "%s exited with status %d", name, WEXITSTATUS(st));
	else if (s->bad_lines)
		snprintf(why, len, "%s printed %d lines that are not figures", name, s->bad_lines);
	else
		why[0] = '\0';
	return why[0] && !(WIFEXITED(st) && WEXITSTATUS(st) == 77 && !s->bad_lines) ? SBX_BENCH
										   : SBX_OK;
}

/* Read the program's figures into the table (or the JSON document) until it ends. */
static int collect(const char *name, int out, struct bench_opts *bo, struct table *t,
		   struct run_stats *s)
{
	FILE *f = fdopen(out, "r");
	char *line = NULL;
	size_t cap = 0;

	if (bo->json)
		json_begin_arr(&bo->out, "figures");
	while (f && getline(&line, &cap, f) > 0)
		take_line(name, line, bo, t, s);
	free(line);
	if (bo->json)
		json_end_arr(&bo->out);
	if (f)
		fclose(f);
	else
		close(out);
	return 0;
}

/* Run one program; 0 if it ran (or skipped) and printed only figures. */
static int run_program(const char *name, int i, int n, struct bench_opts *bo,
		       struct run_stats *total)
{
	char path[PATH_MAX + 64], why[PATH_MAX + 128];
	struct run_stats s = { 0 };
	struct table t = { 0 };
	double t0 = now_s();
	int out, st, ret;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", bo->dir, name);
	fprintf(stderr, "[%d/%d] %s%s ...\n", i, n, name, bo->quick ? " --quick" : "");
	if (!bo->json)
		printf("%s== %s ==\n", i > 1 ? "\n" : "", name + 6);
	pid = spawn(path, bo, &out);
	if (pid < 0)
		return tool_error(SBX_BENCH, "cannot start %s: %s", path, strerror(errno));
	if (bo->json) {
		json_begin_obj(&bo->out, NULL);
		json_str(&bo->out, "program", name + 6);
	}
	collect(name, out, bo, &t, &s);
	table_print(&t);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	fprintf(stderr, "[%d/%d] %s: %d figures (%d missed their target) in %.1f s\n", i, n, name,
		s.figures, s.missed, now_s() - t0);
	total->figures += s.figures;
	total->missed += s.missed;
	total->bad_lines += s.bad_lines;
	ret = program_status(name, st, &s, why, sizeof(why));
	bool skipped = ret == SBX_OK && why[0];
	total->skipped += skipped;
	if (bo->json) {
		json_str(&bo->out, "status", skipped ? "skipped" : ret ? "failed" : "ran");
		json_str(&bo->out, "reason", why[0] ? why : NULL);
		json_int(&bo->out, "missed", s.missed);
		json_end_obj(&bo->out);
	} else if (skipped) {
		printf("skipped: %s\n", why);
	}
	if (skipped)
		fprintf(stderr, "sealbuf bench: %s skipped: %s\n", name, why);
	return ret ? tool_error(ret, "%s", why) : 0;
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

static int run_all(char **sel, int n, struct bench_opts *bo)
{
	struct run_stats total = { 0 };
	int ret = 0;

	if (bo->json) {
		json_init(&bo->out, stdout);
		json_begin_obj(&bo->out, NULL);
		json_begin_arr(&bo->out, "programs");
	}
	for (int i = 0; i < n; i++) {
		int r = run_program(sel[i], i + 1, n, bo, &total);
		ret = ret ? ret : r;
	}
	if (bo->json) {
		json_end_arr(&bo->out);
		json_int(&bo->out, "figures", total.figures);
		json_int(&bo->out, "missed", total.missed);
		json_int(&bo->out, "skipped", total.skipped);
		json_bool(&bo->out, "all_targets_met", total.missed == 0);
		json_end_obj(&bo->out);
		json_done(&bo->out);
	}
	fprintf(stderr, "sealbuf bench: %d figures from %d programs (%d skipped); %d missed their target\n",
		total.figures, n, total.skipped, total.missed);
	if (ret == 0 && total.missed)
		ret = SBX_NO;
	return ret;
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quick", no_argument, NULL, 'q' },
		{ "reps", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
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
		else if (opt == 'R' && tool_parse_long(optarg, 1, 64, &bo.rounds))
			continue;
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
