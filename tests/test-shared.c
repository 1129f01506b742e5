/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/shared: names, small files, the terminal escaper and the JSON writer, for any bytes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"
#include "escape.h"
#include "json.h"
#include "util.h"

static void term_escape(void **state)
{
	char out[256];

	assert_string_equal(sb_term_escape("plain-name_1.0", out, sizeof(out)), "plain-name_1.0");
	assert_string_equal(sb_term_escape("x\x1b[31mRED", out, sizeof(out)), "x\\x1b[31mRED");
	assert_string_equal(sb_term_escape("a\nb\tc\\d", out, sizeof(out)), "a\\nb\\tc\\x5cd");
	assert_string_equal(sb_term_escape("\x7f\x01", out, sizeof(out)), "\\x7f\\x01");
	/* Valid UTF-8 stays; invalid bytes, C1 controls and bidi overrides do not. */
	assert_string_equal(sb_term_escape("caf\xc3\xa9", out, sizeof(out)), "caf\xc3\xa9");
	assert_string_equal(sb_term_escape("\xff\xc3", out, sizeof(out)), "\\xff\\xc3");
	assert_string_equal(sb_term_escape("\xc2\x9b", out, sizeof(out)), "\\xc2\\x9b");
	assert_string_equal(sb_term_escape("\xe2\x80\xae", out, sizeof(out)), "\\xe2\\x80\\xae");
	assert_string_equal(sb_term_escape("\xc0\xaf", out, sizeof(out)), "\\xc0\\xaf"); /* overlong */
	assert_string_equal(sb_term_escape("\xed\xa0\x80", out, sizeof(out)), "\\xed\\xa0\\x80");
	assert_string_equal(sb_term_escape(NULL, out, sizeof(out)), "");
	/* Cut between whole escapes, never inside one. */
	assert_string_equal(sb_term_escape("ab\x1b", out, 5), "ab");
}

static char *json_of(const char *s)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	json_put_string(f, s);
	fclose(f);
	return buf;
}

static void json_strings(void **state)
{
	assert_string_equal(json_of("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(json_of("\n\t\r\b\f\x01\x7f"), "\"\\n\\t\\r\\b\\f\\u0001\\u007f\"");
	assert_string_equal(json_of("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	/* Not UTF-8: each byte as the code point of the same value. */
	assert_string_equal(json_of("\xff\xfe"), "\"\\u00ff\\u00fe\"");
	assert_string_equal(json_of("\xe2\x82"), "\"\\u00e2\\u0082\"");
	assert_string_equal(json_of("\xed\xa0\x80"), "\"\\u00ed\\u00a0\\u0080\"");
}

static void names(void **state)
{
	char buf[64];

	assert_string_equal(sb_seals_str(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, buf, sizeof(buf)),
			    "SHRINK GROW SEAL");
	assert_string_equal(sb_seals_str(0, buf, sizeof(buf)), "none");
	assert_string_equal(sb_kind_name(SEALBUF_KIND_RESERVED), "reserved");
	assert_string_equal(sb_kind_name(77), "unknown");
	assert_string_equal(sb_access_name(O_RDONLY), "read-only");
	assert_null(sb_access_name(-1));
}

static void small_files(void **state)
{
	char buf[8];
	long v;

	assert_true(sb_read_text("/proc/self/stat", buf, sizeof(buf)) == 7);
	assert_int_equal(sb_read_text("/nonexistent", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(sb_read_long("/proc/sys/kernel/pid_max", &v), 0);
	assert_true(v > 0);
	assert_int_equal(sb_read_long("/proc/self/comm", &v), -EINVAL);
	assert_true(sb_now_ns() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(term_escape),
		cmocka_unit_test(json_strings),
		cmocka_unit_test(names),
		cmocka_unit_test(small_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
