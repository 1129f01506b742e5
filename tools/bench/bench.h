/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by every benchmark program: timing, medians, and one output format.
 * Each figure is printed beside a baseline measured in the same run, as a
 * ratio. With --json each figure is one JSON object per line (JSON Lines):
 *   {"bench":"region","figure":"create+map+free 4 KiB","unit":"us",
 *    "value":3.61,"baseline":"raw memfd syscalls","baseline_value":3.40,
 *    "ratio":1.06,"target":"<= 1.15"}
 * which `sealbuf bench` collects and renders. Progress goes to stderr.
 */
#ifndef SEALBUF_BENCH_H
#define SEALBUF_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench {
	const char *name;   /* program's short name ("region") */
	bool json;
	bool quick;         /* --quick: fewer repetitions (for smoke runs in tests) */
	int reps;           /* repetitions per measurement, after warm-up */
};

/* Parse --json, --quick, --reps N; exits 2 on unknown arguments. */
void bench_init(struct bench *b, const char *name, int argc, char **argv);
uint64_t bench_now_ns(void);
/* Median of @n samples (sorts them). */
double bench_median(double *samples, size_t n);
/*
 * Print one figure with its baseline: value and baseline_value in @unit,
 * the ratio value/baseline_value, and the target the ratio is judged by
 * ("<= 1.15", ">= 0.9", or NULL).
 */
void bench_report(const struct bench *b, const char *figure, const char *unit,
		  double value, const char *baseline, double baseline_value,
		  const char *target);
/* A figure with no baseline (e.g. a cost per MiB reported on its own). */
void bench_note(const struct bench *b, const char *figure, const char *unit, double value);
/* Progress line on stderr (suppressed when stderr is not a terminal and --json). */
void bench_progress(const struct bench *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
