/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sealbuf(1): check a machine, list shared regions, share them from a shell, benchmark. */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char *tool_cmd_name;

static const struct tool_cmd cmds[] = {
	{ "doctor", cmd_doctor, "[--json]",
	  "check everything sharing with devices needs; exit 0 if dma-buf export works" },
	{ "ls", cmd_ls, "[--pid PID]... [--type memfd|dmabuf] [--json]",
	  "list the memfds and dma-bufs each process holds or maps" },
	{ "inspect", cmd_inspect, "[--json] (--fd N | --path PATH | PATH)",
	  "check one fd against the sealing policy" },
	{ "create", cmd_create,
	  "[--size SIZE] [--name NAME] [--reserve] [--read-only] [--fd N] [--dmabuf-fd N] [--out FILE] [--json] [FILE|-] [-- COMMAND [ARG...]]",
	  "make a region from a file or stdin and hand it to COMMAND as an inherited fd" },
	{ "offer", cmd_offer,
	  "--socket PATH [--connect] [--wait] [--size SIZE] [--name NAME] [--reserve] [--read-only] [--count K] [--timeout MS] [--out FILE] [--verbose] [FILE|-]",
	  "make a region from a file or stdin and send it to each client of a Unix socket" },
	{ "recv", cmd_recv,
	  "--socket PATH [--listen] [--wait] [--timeout MS] [--info|--json|--dump|--hexdump|--out FILE] [--expect-read-only] [--follow [--count K]]",
	  "receive a region from a Unix socket and describe, dump or hexdump it" },
	{ "write", cmd_write,
	  "--socket PATH [--listen] [--offset N] [--timeout MS] [--verbose] [FILE|-]",
	  "receive a writable region from a Unix socket and write a file or stdin into it" },
	{ "dump", cmd_dump,
	  "[--size SIZE] [--offset N] [--length N] [--hexdump] [--out FILE] (--fd N | --path PATH | PATH)",
	  "check an fd or /proc path against the sealing policy and print its contents" },
	{ "bench", cmd_bench, "[--json] [--quick] [--reps N] [--rounds N] [--list] [NAME...]",
	  "run the benchmarks and show each figure beside its same-run baseline" },
	{ "rdma", cmd_rdma,
	  "serve [--listen ADDR] [--port P] [--name NAME] [--size SIZE] [--count K] [--timeout MS] [FILE|-] | "
	  "fetch [--port P] [--timeout MS] [--hexdump] [--out FILE] ADDR",
	  "serve a region to a remote peer over RDMA, or fetch one" },
};

const struct tool_cmd *tool_find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

void tool_print_usage(FILE *f, const char *name)
{
	const struct tool_cmd *c = tool_find_cmd(name);

	if (c)
		fprintf(f, "usage: sealbuf %s %s\n", c->name, c->usage);
}

static void help(FILE *f)
{
	fputs("usage: sealbuf [--version] [--help] COMMAND [ARGS]\n\n"
	      "Sealed shared-memory regions for processes and devices.\n\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fputs("\n'sealbuf COMMAND --help' shows a command's options; sealbuf(1) has the exit statuses.\n",
	      f);
}

/* Each subcommand answers --help itself; this catches it before option parsing. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const struct tool_cmd *c;

	if (argc < 2) {
		help(stderr);
		return SBX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && tool_find_cmd(argv[2])) {
			tool_print_usage(stdout, argv[2]);
			return SBX_OK;
		}
		help(stdout);
		return SBX_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("sealbuf %s\n", SEALBUF_TOOL_VERSION);
		return SBX_OK;
	}
	c = tool_find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "sealbuf: unknown command '%s'\n\n", argv[1]);
		help(stderr);
		return SBX_USAGE;
	}
	tool_cmd_name = c->name;
	if (wants_help(argc - 1, argv + 1)) {
		tool_print_usage(stdout, c->name);
		return SBX_OK;
	}
	return c->run(argc - 1, argv + 1);
}
