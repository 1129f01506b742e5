/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Coverage target: the seed's use of mirror regions. The compiler hands this
 * program its coverage counters (__sanitizer_cov_8bit_counters_init); it
 * mirrors them into a region, sends the region to the engine once, then for
 * each input it receives: clears the counters, runs the code under test and
 * publishes the counters with sealbuf_region_update(). The engine sleeps in
 * sealbuf_region_wait() until then. Usage: coverage-target SOCKET_FD
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sealbuf.h"

int fuzzee_run(const uint8_t *in, size_t n);
void __sanitizer_cov_8bit_counters_init(char *start, char *end);

static char *counters_start, *counters_end;

/* Called by the instrumented code's constructor, before main. */
void __sanitizer_cov_8bit_counters_init(char *start, char *end)
{
	if (!counters_start) {
		counters_start = start;
		counters_end = end;
	}
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "coverage-target: %s: %s (%s)\n", what, sealbuf_last_error(),
		sealbuf_reason_name(sealbuf_last_reason()));
	return -err;
}

static int serve(int sock, struct sealbuf_region *m)
{
	uint8_t input[256];
	ssize_t n;
	int r;

	while ((n = recv(sock, input, sizeof(input), 0)) > 0) {
		r = sealbuf_region_clear(m);
		if (r < 0)
			return fail("clear", r);
		fuzzee_run(input, (size_t)n);
		r = sealbuf_region_update(m);
		if (r < 0)
			return fail("update", r);
	}
	return n < 0 ? errno : 0; /* 0: the engine closed the socket */
}

int main(int argc, char **argv)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "coverage-counters");
	struct sealbuf_region *m;
	int sock, r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SOCKET_FD\n", argv[0]);
		return 2;
	}
	sock = atoi(argv[1]);
	if (!counters_start) {
		fprintf(stderr, "coverage-target: built without -fsanitize-coverage=inline-8bit-counters\n");
		return 1;
	}
	r = sealbuf_region_mirror(counters_start, (size_t)(counters_end - counters_start), &o, &m);
	if (r < 0)
		return fail("mirror", r);
	/* The engine only reads: hand it a handle it cannot write through. */
	r = sealbuf_region_send(sock, m, SEALBUF_SHARE_RDONLY);
	if (r == 0)
		r = serve(sock, m);
	else
		fail("send", r);
	sealbuf_region_free(m);
	return r == 0 ? 0 : 1;
}
