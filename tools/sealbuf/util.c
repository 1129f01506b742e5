/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tool's messages, exit statuses, argument parsing and data helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

volatile int tool_interrupted;

/* One write per message: lines from concurrent processes do not interleave. */
__attribute__((format(printf, 1, 0))) static void vmessage(const char *fmt, va_list ap)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "sealbuf%s%s: ", tool_cmd_name ? " " : "",
			 tool_cmd_name ? tool_cmd_name : "");

	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	strcat(buf, "\n");
	fputs(buf, stderr);
}

int tool_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	return code;
}

int tool_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(fmt, ap);
	va_end(ap);
	if (tool_cmd_name)
		tool_print_usage(stderr, tool_cmd_name);
	return SBX_USAGE;
}

int tool_usage_again(void)
{
	if (tool_cmd_name)
		tool_print_usage(stderr, tool_cmd_name);
	return SBX_USAGE;
}

static int exit_for_reason(enum sealbuf_reason reason)
{
	switch (reason) {
	case SEALBUF_R_INVALID_ARGUMENT:
	case SEALBUF_R_UNKNOWN_FLAGS:
	case SEALBUF_R_BAD_OPTS_SIZE:
		return SBX_USAGE;
	case SEALBUF_R_SIZE_OVERFLOW:
	case SEALBUF_R_TOO_LARGE:
	case SEALBUF_R_NO_MEMORY:
	case SEALBUF_R_BUFFER_TOO_SMALL:
	case SEALBUF_R_HUGETLB_NO_PAGES:
	case SEALBUF_R_UDMABUF_SIZE_LIMIT:
	case SEALBUF_R_UDMABUF_LIST_LIMIT:
		return SBX_SIZE;
	case SEALBUF_R_NAME_TOO_LONG:
		return SBX_USAGE;
	case SEALBUF_R_NOT_MEMFD:
	case SEALBUF_R_SEALS_MISSING:
	case SEALBUF_R_SEALS_EXTRA:
	case SEALBUF_R_NOT_SEALABLE:
	case SEALBUF_R_SIZE_MISMATCH:
	case SEALBUF_R_ACCESS_MODE:
	case SEALBUF_R_WRONG_KIND:
	case SEALBUF_R_READ_ONLY:
	case SEALBUF_R_HEADER_MAGIC:
	case SEALBUF_R_HEADER_VERSION:
	case SEALBUF_R_HEADER_CAPACITY:
	case SEALBUF_R_HEADER_SIZE:
	case SEALBUF_R_NOT_DMABUF:
	case SEALBUF_R_MISALIGNED:
	case SEALBUF_R_RANGE:
	case SEALBUF_R_EMPTY:
		return SBX_POLICY;
	case SEALBUF_R_BAD_MESSAGE:
	case SEALBUF_R_VERSION:
	case SEALBUF_R_TRUNCATED:
	case SEALBUF_R_NO_FD:
	case SEALBUF_R_EXTRA_FDS:
	case SEALBUF_R_PEER_CLOSED:
	case SEALBUF_R_WRITER_STALLED:
	case SEALBUF_R_CONTENDED:
		return SBX_PEER;
	case SEALBUF_R_TIMEOUT:
	case SEALBUF_R_WOULD_BLOCK:
		return SBX_TIMEOUT;
	case SEALBUF_R_UDMABUF_DENIED:
	case SEALBUF_R_DEVICE_DENIED:
		return SBX_PERM;
	case SEALBUF_R_NO_UDMABUF:
	case SEALBUF_R_NO_DEVICE:
	case SEALBUF_R_NOT_SUPPORTED:
		return SBX_NO; /* as doctor says: dma-buf export will not work here */
	default:
		return -1;
	}
}

int tool_exit_for_errno(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
		return SBX_PERM;
	case ENOENT:
	case ENOTDIR:
	case EBADF:
	case ESRCH:
	case EISDIR:
	case ELOOP:
	case ENXIO:
		return SBX_INPUT;
	case ECONNREFUSED:
	case EADDRINUSE:
	case ENOTSOCK:
	case EPROTOTYPE:
		return SBX_SOCKET;
	case ETIMEDOUT:
		return SBX_TIMEOUT;
	case ENOMEM:
	case ENOSPC:
	case EFBIG:
		return SBX_SIZE;
	default:
		return SBX_NO;
	}
}

int tool_exit_for(int err, enum sealbuf_reason reason)
{
	int code = exit_for_reason(reason);

	return code >= 0 ? code : tool_exit_for_errno(-err);
}

int tool_lib_error(int err, const char *what)
{
	enum sealbuf_reason reason = sealbuf_last_reason();
	const char *name = sealbuf_reason_name(reason);

	tool_error(0, "%s: %s: %s", what, name ? name : "SEALBUF_R_?", sealbuf_last_error());
	return tool_exit_for(err, reason);
}

static int suffix_shift(const char *s, unsigned *ret)
{
	static const char units[] = "KMGTPE";
	const char *u;

	*ret = 0;
	if (!*s || !strcasecmp(s, "B"))
		return 0;
	u = strchr(units, toupper((unsigned char)*s));
	if (!u)
		return -1;
	*ret = 10 * (unsigned)(u - units + 1);
	s++;
	/* "K", "KB", "KiB" all mean 1024: these are memory sizes. */
	if (!strcmp(s, "") || !strcasecmp(s, "B") || !strcasecmp(s, "iB"))
		return 0;
	return -1;
}

bool tool_parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s)) {
		tool_error(0, "size '%s' is not a number of bytes", s ? s : "");
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (end == s || errno == ERANGE) {
		tool_error(0, "size '%s' is %s", s,
			   errno == ERANGE ? "too large to represent (above 2^64-1)" : "not a number");
		return false;
	}
	if (suffix_shift(end, &shift) < 0) {
		tool_error(0, "size '%s': unknown suffix '%s' (use K, M, G, T, P or E, optionally with iB)",
			   s, end);
		return false;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		tool_error(0, "size '%s' is too large to represent (above 2^64-1 bytes)", s);
		return false;
	}
	*ret = (uint64_t)v << shift;
	return true;
}

bool tool_parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno == ERANGE || v < min || v > max) {
		tool_error(0, "'%s' is not a number from %ld to %ld", s, min, max);
		return false;
	}
	*ret = v;
	return true;
}

int tool_read_all(int fd, uint64_t max, uint8_t **ret_buf, size_t *ret_len)
{
	size_t cap = 64 << 10, len = 0;
	uint8_t *buf = malloc(cap), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

int tool_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void hex_line(FILE *f, const uint8_t *p, size_t n, uint64_t off)
{
	fprintf(f, "%08" PRIx64 " ", off);
	for (size_t i = 0; i < 16; i++) {
		if (i == 8)
			fputc(' ', f);
		if (i < n)
			fprintf(f, " %02x", p[i]);
		else
			fputs("   ", f);
	}
	fputs("  |", f);
	for (size_t i = 0; i < n; i++)
		fputc(isprint(p[i]) ? p[i] : '.', f);
	fputs("|\n", f);
}

void tool_hexdump(FILE *f, const uint8_t *p, size_t len, uint64_t base)
{
	bool starred = false;

	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;
		bool same = off && n == 16 && !memcmp(p + off, p + off - 16, 16);
		if (same && !starred)
			fputs("*\n", f);
		starred = same;
		if (!same)
			hex_line(f, p + off, n, base + off);
	}
	fprintf(f, "%08" PRIx64 "\n", base + len);
}

/* @n in binary units: the unit's index in "KMGTPE" (-1: below 1K), the value in it. */
static int binary_unit(uint64_t n, double *ret)
{
	double v = (double)n;
	int u = -1;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	*ret = v;
	return u;
}

const char *tool_human_size(uint64_t n, char *buf, size_t len)
{
	double v;
	int u = binary_unit(n, &v);

	if (u < 0)
		snprintf(buf, len, "%" PRIu64 " bytes", n);
	else
		snprintf(buf, len, "%" PRIu64 " bytes (%.4g %ciB)", n, v, "KMGTPE"[u]);
	return buf;
}

const char *tool_short_size(uint64_t n, char *buf, size_t len)
{
	double v;
	int u = binary_unit(n, &v);

	if (u < 0)
		snprintf(buf, len, "%" PRIu64, n);
	else if (v < 10 && v != (double)(uint64_t)v)
		snprintf(buf, len, "%.1f%c", v, "KMGTPE"[u]);
	else
		snprintf(buf, len, "%.0f%c", v, "KMGTPE"[u]);
	return buf;
}

const char *tool_seals_str(int seals, char *buf, size_t len)
{
	if (seals < 0) {
		snprintf(buf, len, "(unknown: %s)", strerror(-seals));
		return buf;
	}
	return sb_seals_str(seals, buf, len);
}

static void on_signal(int sig)
{
	(void)sig;
	tool_interrupted = 1;
}

void tool_catch_signals(void)
{
	/* No SA_RESTART: a blocking accept() or poll() returns EINTR so we can clean up. */
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}
