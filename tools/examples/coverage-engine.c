/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Coverage engine: starts a coverage target (coverage-target.c) in its own
 * process, receives its counters as a read-only mirror region, and runs a
 * tiny coverage-guided search: an input byte is kept when it reaches a
 * counter that no input reached before. After each input it sleeps until the target publishes
 * (sealbuf_region_wait) and takes a consistent copy (sealbuf_region_snapshot).
 * Exit status 0 when the search found the secret input.
 * Usage: coverage-engine PATH-TO-coverage-target
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sealbuf.h"

#define SECRET_LEN 4

struct engine {
	int sock;
	struct sealbuf_region *counters;
	uint8_t *copy;
	uint8_t *seen; /* counters any input has reached */
	uint64_t seq;
	unsigned runs;
};

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "coverage-engine: %s: %s (%s)\n", what, sealbuf_last_error(),
		sealbuf_reason_name(sealbuf_last_reason()));
	exit(1);
}

static pid_t start_target(const char *path, int *ret_sock)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char fd[16];
		/* Only the target's end stays open across exec. */
		fcntl(sv[1], F_SETFD, 0);
		snprintf(fd, sizeof(fd), "%d", sv[1]);
		execl(path, path, fd, (char *)NULL);
		perror("coverage-engine: exec");
		_exit(127);
	}
	close(sv[1]);
	*ret_sock = sv[0];
	return pid;
}

/* Run one input; the number of counters it reached first. */
static size_t run(struct engine *e, const uint8_t *input, size_t len)
{
	size_t size, fresh = 0;

	if (send(e->sock, input, len, 0) != (ssize_t)len)
		die("send");
	if (sealbuf_region_wait(e->counters, e->seq, 5000, &e->seq) < 0)
		die("wait");
	if (sealbuf_region_snapshot(e->counters, e->copy, sealbuf_region_capacity(e->counters),
				    &size, &e->seq) < 0)
		die("snapshot");
	for (size_t i = 0; i < size; i++) {
		fresh += e->copy[i] && !e->seen[i];
		e->seen[i] |= e->copy[i] != 0;
	}
	e->runs++;
	return fresh;
}

/* Byte by byte: keep the value that opens new coverage. */
static int search(struct engine *e, uint8_t input[SECRET_LEN])
{
	size_t first = run(e, input, SECRET_LEN), total = first;

	for (int pos = 0; pos < SECRET_LEN; pos++) {
		for (int b = 0; b < 256; b++) {
			input[pos] = (uint8_t)b;
			size_t fresh = run(e, input, SECRET_LEN);
			total += fresh;
			if (fresh)
				break;
		}
	}
	printf("coverage-engine: %u runs; %zu -> %zu of %zu counters reached; found \"%.*s\"\n",
	       e->runs, first, total, sealbuf_region_capacity(e->counters), SECRET_LEN,
	       (const char *)input);
	return memcmp(input, "SEAL", SECRET_LEN) == 0;
}

int main(int argc, char **argv)
{
	SEALBUF_OPTS(sealbuf_recv_opts, ro, .flags = SEALBUF_OPEN_RDONLY, .timeout_ms = 10000);
	struct engine e = { .runs = 0 };
	uint8_t input[SECRET_LEN] = { 0 };
	int status, found;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-TO-coverage-target\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pid = start_target(argv[1], &e.sock);
	if (sealbuf_region_recv(e.sock, &ro, &e.counters) < 0)
		die("receiving the counters");
	if (sealbuf_region_kind(e.counters) != SEALBUF_KIND_MIRROR || !sealbuf_region_capacity(e.counters)) {
		fprintf(stderr, "coverage-engine: the target sent no counters\n");
		return 1;
	}
	e.seq = sealbuf_region_seq(e.counters);
	e.copy = malloc(sealbuf_region_capacity(e.counters));
	e.seen = calloc(1, sealbuf_region_capacity(e.counters));
	if (!e.copy || !e.seen)
		die("malloc");
	found = search(&e, input);
	close(e.sock); /* the target's recv sees end of file and exits */
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "coverage-engine: the target failed\n");
		return 1;
	}
	sealbuf_region_free(e.counters);
	free(e.copy);
	free(e.seen);
	return found ? 0 : 1;
}
