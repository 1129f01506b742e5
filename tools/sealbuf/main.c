/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sealbuf(1): check a machine, list shared regions, share them from a shell, benchmark. */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

const char *tool_cmd_name;

/* Each command's options, one line each: what `sealbuf CMD --help` prints. */
static const char doctor_opts[] =
	"  --json              one JSON object instead of the report\n";
static const char ls_opts[] =
	"  --pid PID           only this process (repeatable); holders still count all\n"
	"  --type memfd|dmabuf only this type\n"
	"  --json              one JSON object: regions and not_inspected\n"
	"  --bytes             sizes in bytes (default: human units: 8K, 1.5M)\n"
	"  -v, --verbose       one line per process that could not be inspected\n";
static const char inspect_opts[] =
	"  --fd N              an fd this tool inherited\n"
	"  --path PATH         a file or /proc/PID/fd/N (or PATH as the argument)\n"
	"  --json              one JSON object\n";
static const char create_opts[] =
	"  --size SIZE         region size (K, M, G suffixes); input is zero-padded to it\n"
	"  --name NAME         the memfd's name (default: from FILE)\n"
	"  --reserve           a reserved region of capacity SIZE; the input is published\n"
	"  --read-only         hand COMMAND a read-only handle\n"
	"  --fd N              COMMAND's fd for the region (default 3)\n"
	"  --dmabuf-fd N       also export the region and give COMMAND the dma-buf at fd N\n"
	"  --out FILE          after COMMAND exits, write the region to FILE ('-': stdout)\n"
	"  --json              without COMMAND: describe the region as JSON\n";
static const char offer_opts[] =
	"  --socket PATH       the Unix socket to listen on (or connect to)\n"
	"  --connect           connect to a listening receiver instead of listening\n"
	"  --wait              with --connect: retry until the socket accepts\n"
	"  --size SIZE         region size; input is zero-padded to it\n"
	"  --name NAME         the memfd's name\n"
	"  --reserve           a reserved region of capacity SIZE; the input is published\n"
	"  --read-only         send read-only handles\n"
	"  --count K           clients to serve (default 1; 0: until SIGINT/SIGTERM)\n"
	"  --timeout MS        give up after MS milliseconds without a client\n"
	"  --out FILE          after the last client closes, write the region to FILE\n"
	"  -v, --verbose       say what happens on standard error\n";
static const char recv_opts[] =
	"  --socket PATH       the Unix socket to connect to (or listen on)\n"
	"  --listen            listen for the sender instead of connecting\n"
	"  --wait              retry until the socket accepts\n"
	"  --timeout MS        give up after MS milliseconds\n"
	"  --info              describe the region (the default)\n"
	"  --json              describe the region as JSON\n"
	"  --dump              write its contents to standard output\n"
	"  --hexdump           hexdump its contents\n"
	"  --out FILE          write its contents to FILE\n"
	"  --expect-read-only  fail unless the handle is read-only\n"
	"  --follow            keep reading a reserved region's publications\n"
	"  --count K           with --follow: stop after K publications\n";
static const char write_opts[] =
	"  --socket PATH       the Unix socket to connect to (or listen on)\n"
	"  --listen            listen for the sender instead of connecting\n"
	"  --wait              retry until the socket accepts\n"
	"  --timeout MS        give up after MS milliseconds\n"
	"  --offset N          write at byte N of the region (plain regions)\n"
	"  --verbose           say what happens on standard error\n";
static const char dump_opts[] =
	"  --fd N              an fd this tool inherited\n"
	"  --path PATH         a file or /proc/PID/fd/N (or PATH as the argument)\n"
	"  --size SIZE         the declared size (default: what the fd states)\n"
	"  --offset N          start at byte N\n"
	"  --length N          at most N bytes\n"
	"  --hexdump           hexdump instead of raw bytes\n"
	"  --out FILE          write to FILE instead of standard output\n";
static const char bench_opts[] =
	"  --json              one JSON document: every figure with its target\n"
	"  --quick             fewer repetitions (passed on)\n"
	"  --reps N            repetitions (passed on)\n"
	"  --rounds N          rounds of interleaved pairs (passed on)\n"
	"  --list              name the benchmark programs\n";

static const char rdma_opts[] =
	"  --listen ADDR       serve: the address to listen on\n"
	"  --port P            the port to listen on or connect to\n"
	"  --name NAME         serve: the region's name\n"
	"  --size SIZE         serve: region size; input is zero-padded to it\n"
	"  --count K           serve: peers to serve\n"
	"  --timeout MS        give up after MS milliseconds\n"
	"  --hexdump           fetch: hexdump instead of raw bytes\n"
	"  --out FILE          fetch: write to FILE instead of standard output\n";

static const struct tool_cmd cmds[] = {
	{ "doctor", cmd_doctor, "[--json]",
	  "check everything sharing with devices needs; exit 0 if dma-buf export works",
	  doctor_opts },
	{ "ls", cmd_ls, "[--pid PID]... [--type memfd|dmabuf] [--json] [--bytes] [--verbose]",
	  "list the memfds and dma-bufs each process holds or maps", ls_opts },
	{ "inspect", cmd_inspect, "[--json] (--fd N | --path PATH | PATH)",
	  "check one fd against the sealing policy", inspect_opts },
	{ "create", cmd_create,
	  "[--size SIZE] [--name NAME] [--reserve] [--read-only] [--fd N] [--dmabuf-fd N] [--out FILE] [--json] [FILE|-] [-- COMMAND [ARG...]]",
	  "make a region from a file or stdin and hand it to COMMAND as an inherited fd",
	  create_opts },
	{ "offer", cmd_offer,
	  "--socket PATH [--connect [--wait]] [--size SIZE] [--name NAME] [--reserve] [--read-only] [--count K] [--timeout MS] [--out FILE] [--verbose] [FILE|-]",
	  "make a region from a file or stdin and send it to each client of a Unix socket",
	  offer_opts },
	{ "recv", cmd_recv,
	  "--socket PATH [--listen] [--wait] [--timeout MS] [--info|--json|--dump|--hexdump|--out FILE] [--expect-read-only] [--follow [--count K]]",
	  "receive a region from a Unix socket and describe, dump or hexdump it", recv_opts },
	{ "write", cmd_write,
	  "--socket PATH [--listen] [--wait] [--offset N] [--timeout MS] [--verbose] [FILE|-]",
	  "receive a writable region from a Unix socket and write a file or stdin into it",
	  write_opts },
	{ "dump", cmd_dump,
	  "[--size SIZE] [--offset N] [--length N] [--hexdump] [--out FILE] (--fd N | --path PATH | PATH)",
	  "check an fd or /proc path against the sealing policy and print its contents",
	  dump_opts },
	{ "bench", cmd_bench, "[--json] [--quick] [--reps N] [--rounds N] [--list] [NAME...]",
	  "run the benchmarks and show each figure beside its same-run baseline", bench_opts },
	{ "rdma", cmd_rdma,
	  "serve [--listen ADDR] [--port P] [--name NAME] [--size SIZE] [--count K] [--timeout MS] [FILE|-] | "
	  "fetch [--port P] [--timeout MS] [--hexdump] [--out FILE] ADDR",
	  "serve a region to a remote peer over RDMA, or fetch one", rdma_opts },
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

/* `sealbuf CMD --help`: the synopsis, what it does, and every option. */
static void cmd_help(const struct tool_cmd *c)
{
	printf("usage: sealbuf %s %s\n\n%s.\n\nOptions:\n%s"
	       "  -h, --help          this help\n"
	       "  --version           the version of sealbuf\n",
	       c->name, c->usage, c->summary, c->options);
}

static int version(void)
{
	printf("sealbuf %s\n", SEALBUF_TOOL_VERSION);
	return SBX_OK;
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

/*
 * --help and --version mean the same for every command, so they are
 * answered here, before any command parses its options (up to "--": what
 * follows belongs to create's COMMAND).
 */
static bool wants(int argc, char **argv, const char *opt, const char *short_opt)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], opt) || (short_opt && !strcmp(argv[i], short_opt)))
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
			cmd_help(tool_find_cmd(argv[2]));
			return SBX_OK;
		}
		help(stdout);
		return SBX_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))
		return version();
	c = tool_find_cmd(argv[1]);
	if (!c) {
		fprintf(stderr, "sealbuf: unknown command '%s'\n\n", argv[1]);
		help(stderr);
		return SBX_USAGE;
	}
	tool_cmd_name = c->name;
	if (wants(argc - 1, argv + 1, "--help", "-h")) {
		cmd_help(c);
		return SBX_OK;
	}
	if (wants(argc - 1, argv + 1, "--version", NULL))
		return version();
	return c->run(argc - 1, argv + 1);
}
