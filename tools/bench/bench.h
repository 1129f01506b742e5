/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by every benchmark program: timing, pinning, the interleaved pair
 * runner, and one output format. Each figure is printed beside a baseline
 * measured in the same run, as a ratio, with the target the ratio is judged
 * by and whether it was met. With --json each figure is one JSON object per
 * line (JSON Lines), which `sealbuf bench` collects:
 *   {"bench":"region","figure":"create+map+free 4 KiB","unit":"us",
 *    "value":3.61,"baseline":"raw memfd syscalls","baseline_value":3.40,
 *    "ratio":1.06,"ratio_min":1.02,"ratio_max":1.09,"rounds":5,
 *    "placement":"CPU 0","target":"<= 1.15","met":true}
 * Progress goes to stderr.
 *
 * Honesty rules every figure follows (docs/performance.md):
 *  - both sides of a pair run with the same placement (bench_pin);
 *  - they alternate, ABBA within each round, so drift hits both alike;
 *  - several rounds, each giving a ratio; the median ratio is the figure
 *    and the lowest and highest are printed beside it.
 */
#ifndef SEALBUF_BENCH_H
#define SEALBUF_BENCH_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench {
	const char *name;   /* program's short name ("region") */
	bool json;
	bool quick;         /* --quick: fewer repetitions (for smoke runs in tests) */
	int reps;           /* --reps: samples per side per round, 0 = the figure's own */
	int rounds;         /* --rounds: rounds per figure (default 5, 2 with --quick) */
	const char *only;   /* --only WORD: measure only the figures whose name has WORD */
	int missed;         /* figures whose target was missed so far */
	cpu_set_t allowed;  /* CPUs this program may use, as started */
	int ncpus;
};

/* Parse --json, --quick, --reps N, --rounds N, --only WORD; exits 2 on unknown arguments. */
void bench_init(struct bench *b, const char *name, int argc, char **argv);
/* Whether to measure the figure named @figure (see --only). */
bool bench_wants(const struct bench *b, const char *figure);
/* The exit status: 1 when a target was missed, else 0. */
int bench_exit(const struct bench *b);
uint64_t bench_now_ns(void);
/* Median of @n samples (sorts them). */
double bench_median(double *samples, size_t n);
/* Room for @n samples (exits when there is none); bench_median_free: their median, then free. */
double *bench_samples(int n);
double bench_median_free(double *samples, int n);
/* @full samples, or --reps, or a few with --quick. */
int bench_reps(const struct bench *b, int full);

/*
 * Pin the calling process to the @n-th CPU it was allowed at start (modulo
 * their number). Pairs of processes use (0, 0) for "one CPU" and (0, 1) for
 * "across CPUs". bench_unpin() restores the start set.
 */
void bench_pin(const struct bench *b, int n);
void bench_unpin(const struct bench *b);

/* One side of a pair: a sample (a median of several, in the figure's unit). */
typedef double (*bench_fn)(const struct bench *b, void *ctx);

struct bench_pair {
	double value, base;     /* medians over rounds of each side */
	double ratio;           /* median of the per-round ratios value/base */
	double lo, hi;          /* lowest and highest per-round ratio */
	int rounds;
};

/* Run @side and @base alternately (ABBA), bench->rounds rounds. */
void bench_pair(const struct bench *b, bench_fn side, bench_fn base, void *ctx,
		struct bench_pair *out);

/* The same from functions that time one operation: each side's sample is the median of @n. */
typedef double (*bench_once_fn)(void *ctx);
void bench_pair_once(const struct bench *b, bench_once_fn side, bench_once_fn base, void *ctx,
		     int n, struct bench_pair *out);

/*
 * Print one figure: its value and baseline in @unit, the ratio with its
 * spread, where it ran (@placement, e.g. "CPU 0" or "CPUs 0,1"), and the
 * @target the ratio is judged by ("<= 1.05", ">= 0.9", "< 1", or NULL).
 */
void bench_report(struct bench *b, const char *figure, const char *unit,
		  const struct bench_pair *p, const char *baseline, const char *placement,
		  const char *target);
/* A figure with no baseline (a cost per MiB, a size). */
void bench_note(const struct bench *b, const char *figure, const char *unit, double value);
/* Progress line on stderr (suppressed when stderr is not a terminal and --json). */
void bench_progress(const struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
