/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON for the tool: a writer for --json output, and a parser for the flat
 * objects the benchmark programs print (tools/bench/bench.h), which are
 * untrusted input like any other program's output. Strings written come
 * from other processes (memfd names, comm): any byte string must give valid
 * JSON, so each byte that is not part of well-formed UTF-8 is written as the
 * code point of the same value (\u00XX), as a Latin-1 reading would.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json.h"
#include "util.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* One byte that needs an escape, or -1 when it may go as it is. */
static int put_escape(FILE *f, unsigned char c)
{
	static const char short_esc[] = { ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
					  ['\f'] = 'f', ['\r'] = 'r' };

	if (c == '"' || c == '\\')
		return fprintf(f, "\\%c", c);
	if (c < sizeof(short_esc) && short_esc[c])
		return fprintf(f, "\\%c", short_esc[c]);
	if (c < 0x20 || c == 0x7f)
		return fprintf(f, "\\u%04x", c);
	return -1;
}

void json_put_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		uint32_t cp;
		size_t n = sb_utf8_seq(p, &cp);

		if (n == 1 && put_escape(f, *p) >= 0) {
			p++;
		} else if (n) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fprintf(f, "\\u%04x", *p++); /* not UTF-8: the byte's Latin-1 reading */
		}
	}
	fputc('"', f);
}

static void key(struct json *j, const char *k)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (k) {
		json_put_string(j->f, k);
		fputc(':', j->f);
	}
}

static void open_(struct json *j, const char *k, char c)
{
	key(j, k);
	fputc(c, j->f);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = false;
}

void json_begin_obj(struct json *j, const char *k) { open_(j, k, '{'); }
void json_begin_arr(struct json *j, const char *k) { open_(j, k, '['); }

void json_end_obj(struct json *j)
{
	fputc('}', j->f);
	if (j->depth)
		j->depth--;
}

void json_end_arr(struct json *j)
{
	fputc(']', j->f);
	if (j->depth)
		j->depth--;
}

void json_str(struct json *j, const char *k, const char *v)
{
	key(j, k);
	if (v)
		json_put_string(j->f, v);
	else
		fputs("null", j->f);
}

void json_int(struct json *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, v);
}

void json_uint(struct json *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void json_num(struct json *j, const char *k, double v)
{
	key(j, k);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void json_bool(struct json *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *k)
{
	key(j, k);
	fputs("null", j->f);
}

void json_seals(struct json *j, const char *k, int seals)
{
	if (seals < 0) {
		json_null(j, k);
		return;
	}
	json_begin_arr(j, k);
	for (size_t i = 0; i < SB_ARRAY_SIZE(sb_seal_names); i++)
		if (seals & sb_seal_names[i].bit)
			json_str(j, NULL, sb_seal_names[i].name);
	json_end_arr(j);
}

void json_done(struct json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

/* ---- parsing one flat object ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parse a string at @p (after the quote) into @out; escapes beyond ASCII become '?'. */
static const char *parse_string(const char *p, char *out, size_t len)
{
	size_t n = 0;

	for (; *p && *p != '"'; p++) {
		char c = *p;
		if ((unsigned char)c < 0x20)
			return NULL;
		if (c == '\\') {
			p++;
			switch (*p) {
			case '"': case '\\': case '/': c = *p; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u': {
				int v = 0;
				for (int i = 1; i <= 4; i++) {
					int h = hexval(p[i]);
					if (h < 0)
						return NULL;
					v = v * 16 + h;
				}
				p += 4;
				c = v < 0x80 && v >= 0x20 ? (char)v : '?';
				break;
			}
			default: return NULL;
			}
		}
		if (n + 1 < len)
			out[n++] = c;
	}
	if (*p != '"')
		return NULL;
	out[n] = '\0';
	return p + 1;
}

static const char *parse_value(const char *p, struct json_field *f)
{
	char *end;

	if (*p == '"') {
		f->is_str = true;
		return parse_string(p + 1, f->str, sizeof(f->str));
	}
	f->is_str = false;
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4)) {
		memcpy(f->str, p, 4);
		f->str[4] = '\0';
		f->num = *p == 't';
		return p + 4;
	}
	if (!strncmp(p, "false", 5)) {
		strcpy(f->str, "false");
		f->num = 0;
		return p + 5;
	}
	if (*p != '-' && !isdigit((unsigned char)*p))
		return NULL;
	f->num = strtod(p, &end);
	if (end == p || (size_t)(end - p) >= sizeof(f->str))
		return NULL;
	memcpy(f->str, p, (size_t)(end - p));
	f->str[end - p] = '\0';
	return end;
}

int json_parse_flat(const char *line, struct json_flat *o)
{
	const char *p = skip_ws(line);

	o->n = 0;
	if (*p++ != '{')
		return -1;
	p = skip_ws(p);
	if (*p == '}')
		return *skip_ws(p + 1) ? -1 : 0;
	for (;;) {
		struct json_field *f = &o->f[o->n];
		if (o->n == JSON_MAX_FIELDS || *p != '"')
			return -1;
		p = parse_string(p + 1, f->key, sizeof(f->key));
		if (!p)
			return -1;
		p = skip_ws(p);
		if (*p++ != ':')
			return -1;
		p = parse_value(skip_ws(p), f);
		if (!p)
			return -1;
		o->n++;
		p = skip_ws(p);
		if (*p == '}')
			return *skip_ws(p + 1) ? -1 : 0;
		if (*p++ != ',')
			return -1;
		p = skip_ws(p);
	}
}

const struct json_field *json_get(const struct json_flat *o, const char *k)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->f[i].key, k))
			return &o->f[i];
	return NULL;
}
