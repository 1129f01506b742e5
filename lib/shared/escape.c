/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Escaping untrusted names for terminals (lsfd's way). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

size_t sb_utf8_seq(const unsigned char *p, uint32_t *ret_cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	size_t n;

	if (p[0] < 0x80)
		n = 1, cp = p[0];
	else if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/* Code points a terminal acts on rather than shows: controls and bidi overrides. */
static bool term_unsafe(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape for one unsafe byte. */
static void byte_escape(unsigned char c, char esc[8])
{
	if (c == '\n')
		strcpy(esc, "\\n");
	else if (c == '\t')
		strcpy(esc, "\\t");
	else
		snprintf(esc, 8, "\\x%02x", c);
}

const char *sb_term_escape(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	while (*p) {
		char esc[8];
		uint32_t cp;
		size_t n = sb_utf8_seq(p, &cp), k;

		if (n && !term_unsafe(cp) && cp != '\\') {
			memcpy(esc, p, n);
			esc[n] = '\0';
		} else {
			byte_escape(*p, esc);
			n = 1;
		}
		k = strlen(esc);
		if (o + k >= len)
			break;
		memcpy(out + o, esc, k);
		o += k;
		p += n;
	}
	out[o] = '\0';
	return out;
}
