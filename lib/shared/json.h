/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON for the tool: a writer whose output is valid JSON for ANY byte
 * string it is given (invalid UTF-8 bytes are written as \u00XX, controls
 * escaped), and a parser for one flat object of strings, numbers and bools
 * (the benchmark programs' lines, untrusted like any program's output).
 */
#ifndef SEALBUF_SHARED_JSON_H
#define SEALBUF_SHARED_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool need_comma[16];
};
void json_init(struct json *j, FILE *f);
void json_begin_obj(struct json *j, const char *key);   /* key NULL inside arrays/top */
void json_end_obj(struct json *j);
void json_begin_arr(struct json *j, const char *key);
void json_end_arr(struct json *j);
void json_str(struct json *j, const char *key, const char *v); /* NULL writes null */
void json_int(struct json *j, const char *key, int64_t v);
void json_uint(struct json *j, const char *key, uint64_t v);
void json_num(struct json *j, const char *key, double v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* "SHRINK","GROW",... as an array under @key; null when @seals < 0 (unknown). */
void json_seals(struct json *j, const char *key, int seals);
/* Finish the top-level value with a newline. */
void json_done(struct json *j);
/* @s as one JSON string, quotes included, to @f. */
void json_put_string(FILE *f, const char *s);

#define JSON_MAX_FIELDS 24
struct json_field {
	char key[32];
	char str[256];   /* string value, or the number's text */
	double num;
	bool is_str;
};
struct json_flat {
	struct json_field f[JSON_MAX_FIELDS];
	int n;
};
/* 0, or -1 when @line is not one flat JSON object. */
int json_parse_flat(const char *line, struct json_flat *out);
const struct json_field *json_get(const struct json_flat *o, const char *key);

#endif
