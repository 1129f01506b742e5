/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tools' device helpers (vcap.c, vk/vkhost.c) report failures as an errno and a sentence. */
#ifndef SEALBUF_WHY_H
#define SEALBUF_WHY_H

#include <stdarg.h>
#include <stdio.h>

/* Write the reason into @why (@len bytes) and return @err. */
static inline int why_fail(int err, char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int why_fail(int err, char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return err;
}

#endif
