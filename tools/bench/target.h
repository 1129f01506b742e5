/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A figure's target ("<= 1.05", ">= 0.9", "< 1", "> 1") judged against its
 * ratio: 1 met, 0 missed, -1 when there is no target it can read. Shared by
 * the benchmark programs (bench.c) and `sealbuf bench`, which judges the
 * figures of programs that do not say themselves.
 */
#ifndef SEALBUF_BENCH_TARGET_H
#define SEALBUF_BENCH_TARGET_H

#include <stdio.h>
#include <string.h>

static inline int bench_target_met(const char *target, double ratio)
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

#endif
