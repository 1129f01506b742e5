/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

void bench_init(struct bench *b, const char *name, int argc, char **argv)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->reps = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			b->json = true;
		else if (!strcmp(argv[i], "--quick"))
			b->quick = true;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			b->reps = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--json] [--quick] [--reps N]\n", argv[0]);
			exit(2);
		}
	}
	if (!b->json)
		printf("%-40s %12s %12s  %-32s %7s  %s\n", "figure", "sealbuf", "baseline",
		       "baseline is", "ratio", "target");
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

static void json_str(const char *key, const char *v, const char *sep)
{
	printf("\"%s\":\"", key);
	for (; v && *v; v++)
		printf(*v == '"' || *v == '\\' ? "\\%c" : "%c", *v);
	printf("\"%s", sep);
}

void bench_report(const struct bench *b, const char *figure, const char *unit,
		  double value, const char *baseline, double baseline_value,
		  const char *target)
{
	double ratio = baseline_value > 0 ? value / baseline_value : 0;
	char v[32], bv[32];

	if (b->json) {
		putchar('{');
		json_str("bench", b->name, ",");
		json_str("figure", figure, ",");
		json_str("unit", unit, ",");
		printf("\"value\":%.6g,", value);
		json_str("baseline", baseline, ",");
		printf("\"baseline_value\":%.6g,\"ratio\":%.4g,", baseline_value, ratio);
		json_str("target", target ? target : "", "}\n");
	} else {
		snprintf(v, sizeof(v), "%.3g %s", value, unit);
		snprintf(bv, sizeof(bv), "%.3g %s", baseline_value, unit);
		printf("%-40s %12s %12s  %-32s %6.3fx  %s\n", figure, v, bv, baseline, ratio,
		       target ? target : "");
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
		printf("%-40s %12s\n", figure, v);
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
