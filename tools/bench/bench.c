/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmark programs' shared runner and output (bench.h says the rules). */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "target.h"

#define ROUNDS_DEFAULT 5
#define ROUNDS_QUICK 2
#define MAX_ROUNDS 64

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [--json] [--quick] [--reps N] [--rounds N] [--only WORD]\n", argv0);
	exit(2);
}

void bench_init(struct bench *b, const char *name, int argc, char **argv)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			b->json = true;
		else if (!strcmp(argv[i], "--quick"))
			b->quick = true;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			b->reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			b->rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			b->only = argv[++i];
		else
			usage(argv[0]);
	}
	if (b->reps < 0 || b->rounds < 0 || b->rounds > MAX_ROUNDS)
		usage(argv[0]);
	if (!b->rounds)
		b->rounds = b->quick ? ROUNDS_QUICK : ROUNDS_DEFAULT;
	if (sched_getaffinity(0, sizeof(b->allowed), &b->allowed) < 0)
		CPU_ZERO(&b->allowed);
	b->ncpus = CPU_COUNT(&b->allowed);
	if (!b->json)
		printf("%-44s %11s %11s %8s %15s  %-12s %s\n", "figure", "sealbuf", "baseline",
		       "ratio", "spread", "placement", "target");
	fflush(stdout); /* before any fork: a child must not print it again */
}

bool bench_wants(const struct bench *b, const char *figure)
{
	return !b->only || strstr(figure, b->only);
}

int bench_exit(const struct bench *b)
{
	return b->missed ? 1 : 0;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *s, size_t n)
{
	if (!n)
		return 0;
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double *bench_samples(int n)
{
	double *s = calloc(n > 0 ? (size_t)n : 1, sizeof(double));

	if (!s) {
		fprintf(stderr, "bench: out of memory\n");
		exit(1);
	}
	return s;
}

double bench_median_free(double *s, int n)
{
	double m = bench_median(s, (size_t)n);

	free(s);
	return m;
}

int bench_reps(const struct bench *b, int full)
{
	if (b->reps)
		return b->reps;
	if (b->quick)
		return full / 10 > 2 ? full / 10 : 2;
	return full;
}

void bench_pin(const struct bench *b, int n)
{
	cpu_set_t one;
	int seen = -1;

	if (!b->ncpus)
		return;
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &b->allowed) && ++seen == n % b->ncpus) {
			CPU_SET(c, &one);
			sched_setaffinity(0, sizeof(one), &one);
			return;
		}
}

void bench_unpin(const struct bench *b)
{
	if (b->ncpus)
		sched_setaffinity(0, sizeof(b->allowed), &b->allowed);
}

void bench_pair(const struct bench *b, bench_fn side, bench_fn base, void *ctx,
		struct bench_pair *out)
{
	double v[MAX_ROUNDS], w[MAX_ROUNDS], r[MAX_ROUNDS];
	int n = b->rounds;

	for (int i = 0; i < n; i++) {
		/* ABBA: whichever runs second in a round runs first in the next. */
		if (i % 2 == 0) {
			v[i] = side(b, ctx);
			w[i] = base(b, ctx);
		} else {
			w[i] = base(b, ctx);
			v[i] = side(b, ctx);
		}
		r[i] = w[i] > 0 ? v[i] / w[i] : 0;
	}
	out->rounds = n;
	out->value = bench_median(v, (size_t)n);
	out->base = bench_median(w, (size_t)n);
	out->ratio = bench_median(r, (size_t)n); /* sorts r */
	out->lo = r[0];
	out->hi = r[n - 1];
}

struct once_pair {
	bench_once_fn side, base;
	void *ctx;
	int n;
};

static double median_of(bench_once_fn f, void *ctx, int n)
{
	double *s = bench_samples(n);

	for (int i = 0; i < n; i++)
		s[i] = f(ctx);
	return bench_median_free(s, n);
}

static double once_side(const struct bench *b, void *ctx)
{
	struct once_pair *p = ctx;

	(void)b;
	return median_of(p->side, p->ctx, p->n);
}

static double once_base(const struct bench *b, void *ctx)
{
	struct once_pair *p = ctx;

	(void)b;
	return median_of(p->base, p->ctx, p->n);
}

void bench_pair_once(const struct bench *b, bench_once_fn side, bench_once_fn base, void *ctx,
		     int n, struct bench_pair *out)
{
	struct once_pair p = { .side = side, .base = base, .ctx = ctx, .n = n };

	bench_pair(b, once_side, once_base, &p, out);
}

static void json_str(const char *key, const char *v, const char *sep)
{
	printf("\"%s\":\"", key);
	for (; v && *v; v++)
		printf(*v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
	printf("\"%s", sep);
}

static void print_json(const struct bench *b, const char *figure, const char *unit,
		       const struct bench_pair *p, const char *baseline, const char *placement,
		       const char *target, int met)
{
	putchar('{');
	json_str("bench", b->name, ",");
	json_str("figure", figure, ",");
	json_str("unit", unit, ",");
	printf("\"value\":%.6g,", p->value);
	json_str("baseline", baseline, ",");
	printf("\"baseline_value\":%.6g,\"ratio\":%.4g,\"ratio_min\":%.4g,\"ratio_max\":%.4g,"
	       "\"rounds\":%d,", p->base, p->ratio, p->lo, p->hi, p->rounds);
	json_str("placement", placement ? placement : "", ",");
	json_str("target", target ? target : "", ",");
	printf("\"met\":%s}\n", met < 0 ? "null" : met ? "true" : "false");
}

void bench_report(struct bench *b, const char *figure, const char *unit,
		  const struct bench_pair *p, const char *baseline, const char *placement,
		  const char *target)
{
	int met = bench_target_met(target, p->ratio);
	char v[32], bv[32], spread[40];

	b->missed += met == 0;
	if (b->json) {
		print_json(b, figure, unit, p, baseline, placement, target, met);
	} else {
		snprintf(v, sizeof(v), "%.3g %s", p->value, unit);
		snprintf(bv, sizeof(bv), "%.3g %s", p->base, unit);
		snprintf(spread, sizeof(spread), "%.3g-%.3g/%d", p->lo, p->hi, p->rounds);
		printf("%-44s %11s %11s %7.3gx %15s  %-12s %s%s%s\n", figure, v, bv, p->ratio,
		       spread, placement ? placement : "", target ? target : "",
		       met < 0 ? "" : "  ", met < 0 ? "" : met ? "ok" : "MISSED");
		printf("%-44s %11s %11s\n", "", "", baseline);
	}
	fflush(stdout);
}

void bench_note(const struct bench *b, const char *figure, const char *unit, double value)
{
	char v[32];

	if (b->json) {
		putchar('{');
		json_str("bench", b->name, ",");
		json_str("figure", figure, ",");
		json_str("unit", unit, ",");
		printf("\"value\":%.6g}\n", value);
	} else {
		snprintf(v, sizeof(v), "%.3g %s", value, unit);
		printf("%-44s %11s\n", figure, v);
	}
	fflush(stdout);
}

void bench_progress(const struct bench *b, const char *fmt, ...)
{
	va_list ap;

	if (b->json && !isatty(STDERR_FILENO))
		return;
	fputs("  ... ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
