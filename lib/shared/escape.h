/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Untrusted strings (memfd and dma-buf names, comm, paths: any process may
 * choose them) made safe to print: for a terminal, as util-linux lsfd does,
 * and as JSON strings valid for any byte string.
 */
#ifndef SEALBUF_SHARED_ESCAPE_H
#define SEALBUF_SHARED_ESCAPE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (1-4) of the well-formed UTF-8 sequence at @p (NUL-terminated),
 * its code point in *@ret_cp; 0 when @p starts no such sequence (a stray
 * continuation byte, an overlong form, a surrogate, above U+10FFFF).
 */
size_t sb_utf8_seq(const unsigned char *p, uint32_t *ret_cp);

/*
 * @s for a terminal, in @out (@len > 0 bytes, always NUL-terminated, cut
 * only between whole characters): printable ASCII and printable UTF-8 stay;
 * newline becomes "\n", tab "\t", a backslash "\x5c"; every other byte
 * (ESC, other controls, DEL, C1 controls, bidirectional overrides, invalid
 * UTF-8) becomes "\xHH". NULL @s gives "".
 */
const char *sb_term_escape(const char *s, char *out, size_t len);

#endif
