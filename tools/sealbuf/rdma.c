/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sealbuf rdma serve|fetch: a region to a remote peer over RDMA
 * (libsealbuf-rdma), for scripts; and doctor's RDMA checks (devices,
 * /dev/infiniband/uverbs* access, RLIMIT_MEMLOCK), read from sysfs and
 * /dev so that they work without libibverbs too.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "region-io.h"
#include "tool.h"
#ifdef HAVE_RDMA
#include "sealbuf-rdma.h"
#endif

/* ---- doctor ---- */

__attribute__((format(printf, 4, 5)))
static struct tool_rdma_check *put(struct tool_rdma_check *c, const char *id, int level,
				   const char *fmt, ...)
{
	va_list ap;

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->level = level;
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	return c;
}

static int list_devices(char *buf, size_t len)
{
	DIR *dir = opendir("/sys/class/infiniband");
	struct dirent *e;
	size_t used = 0;
	int n = 0;

	buf[0] = '\0';
	while (dir && (e = readdir(dir))) {
		char path[300], state[64] = "";
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/infiniband/%s/ports/1/state", e->d_name);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(state, sizeof(state), f))
				state[strcspn(state, "\n")] = '\0';
			fclose(f);
		}
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s (port 1: %s)",
					 n ? ", " : "", e->d_name, state[0] ? state : "unknown");
		n++;
	}
	if (dir)
		closedir(dir);
	return n;
}

static void check_uverbs(struct tool_rdma_check *c)
{
	glob_t g;
	size_t denied = 0;

	if (glob("/dev/infiniband/uverbs*", 0, NULL, &g) != 0) {
		put(c, "rdma-uverbs", TOOL_RDMA_WARN, "no /dev/infiniband/uverbs* node");
		snprintf(c->fix, sizeof(c->fix), "modprobe ib_uverbs (and rdma_ucm for connections)");
		return;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		denied += access(g.gl_pathv[i], R_OK | W_OK) != 0;
	if (denied) {
		put(c, "rdma-uverbs", TOOL_RDMA_WARN, "%zu of %zu /dev/infiniband/uverbs* nodes are not read-write for you",
		    denied, g.gl_pathc);
		snprintf(c->fix, sizeof(c->fix),
			 "rdma-core's udev rules make them 0666; otherwise chmod or a group with access");
	} else {
		put(c, "rdma-uverbs", TOOL_RDMA_OK, "/dev/infiniband/uverbs*: %zu node(s), read-write for you",
		    g.gl_pathc);
	}
	globfree(&g);
}

static void check_memlock(struct tool_rdma_check *c)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
		put(c, "rdma-memlock", TOOL_RDMA_OK, "RLIMIT_MEMLOCK: unlimited (RDMA registrations pin memory)");
		return;
	}
	put(c, "rdma-memlock", geteuid() == 0 ? TOOL_RDMA_INFO : TOOL_RDMA_WARN,
	    "RLIMIT_MEMLOCK: %llu KiB: RDMA registrations (pinned memory) above it fail%s",
	    (unsigned long long)(rl.rlim_cur / 1024),
	    geteuid() == 0 ? " (not for root: CAP_IPC_LOCK)" : "");
	snprintf(c->fix, sizeof(c->fix),
		 "ulimit -l unlimited; 'memlock' in /etc/security/limits.conf; LimitMEMLOCK= for a service");
}

int tool_rdma_doctor(struct tool_rdma_check *out, int max)
{
	char devices[200];
	int n = 0, ndev;

	if (max < 3)
		return 0;
	ndev = list_devices(devices, sizeof(devices));
	if (ndev) {
		put(&out[n++], "rdma-devices", TOOL_RDMA_OK, "RDMA devices: %s", devices);
	} else {
		struct tool_rdma_check *c = put(&out[n++], "rdma-devices", TOOL_RDMA_INFO,
						"no RDMA devices (needed only by libsealbuf-rdma and sealbuf rdma)");
		snprintf(c->fix, sizeof(c->fix),
			 "a soft RoCE device: modprobe rdma_rxe rdma_ucm; rdma link add rxe0 type rxe netdev eth0");
		return n;
	}
	check_uverbs(&out[n++]);
	check_memlock(&out[n++]);
	return n;
}

/* ---- sealbuf rdma serve | fetch ---- */

#ifdef HAVE_RDMA
enum { OPT_PORT = 0x100, OPT_NAME, OPT_SIZE, OPT_COUNT, OPT_TIMEOUT, OPT_OUT, OPT_HEX, OPT_LISTEN };

struct rdma_args {
	struct input in;
	const char *host, *port, *out;
	long count, timeout_ms;
	bool hex;
};

static int parse(int argc, char **argv, struct rdma_args *a)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "hexdump", no_argument, NULL, OPT_HEX },
		{ 0 }
	};
	int opt;
	bool ok = true;

	*a = (struct rdma_args){ .port = "7471", .count = 1, .timeout_ms = -1 };
	opterr = 0;
	optind = 2;
	while (ok && (opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN: a->host = optarg; break;
		case OPT_PORT: a->port = optarg; break;
		case OPT_NAME: a->in.name = optarg; break;
		case OPT_SIZE: a->in.have_size = true; ok = tool_parse_size(optarg, &a->in.size); break;
		case OPT_COUNT: ok = tool_parse_long(optarg, 1, 1 << 20, &a->count); break;
		case OPT_TIMEOUT: ok = tool_parse_long(optarg, -1, 1 << 30, &a->timeout_ms); break;
		case OPT_OUT: a->out = optarg; break;
		case OPT_HEX: a->hex = true; break;
		default: return tool_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	return ok ? 0 : SBX_USAGE;
}

/* Offer the region to one peer, and keep it registered until the peer leaves. */
static int serve_one(struct sealbuf_rdma_listener *l, struct sealbuf_region *r, const struct rdma_args *a)
{
	SEALBUF_OPTS(sealbuf_rdma_register_opts, ro, .access = SEALBUF_RDMA_READ);
	struct sealbuf_rdma_mr *m = NULL;
	struct sealbuf_rdma *c = NULL;
	int ret = sealbuf_rdma_accept(l, (int)a->timeout_ms, &c);

	if (ret < 0)
		return tool_lib_error(ret, "no peer");
	ret = sealbuf_rdma_register(c, r, &ro, &m);
	if (ret == 0)
		ret = sealbuf_rdma_offer(c, m, a->in.name ? a->in.name : "");
	while (ret >= 0)
		ret = sealbuf_rdma_serve(c, -1);
	sealbuf_rdma_free(c);
	/* The peer hanging up is how a fetch ends. */
	return ret == -ECONNRESET ? 0 : tool_lib_error(ret, "serving the region");
}

static int rdma_serve(int argc, char **argv)
{
	struct sealbuf_rdma_listener *l = NULL;
	struct sealbuf_region *r = NULL;
	struct rdma_args a;
	int ret = parse(argc, argv, &a);

	if (ret)
		return ret;
	if (optind < argc)
		a.in.path = argv[optind++];
	if (optind < argc)
		return tool_usage_error("unexpected argument '%s'", argv[optind]);
	ret = rio_region_from_input(&a.in, &r);
	if (ret)
		return ret;
	ret = sealbuf_rdma_listen(a.host, a.port, NULL, &l);
	if (ret < 0) {
		sealbuf_region_free(r);
		return tool_lib_error(ret, "cannot listen");
	}
	fprintf(stderr, "sealbuf rdma: serving %zu bytes on %s:%s\n", sealbuf_region_size(r),
		a.host ? a.host : "*", a.port);
	for (long i = 0; ret == 0 && i < a.count; i++)
		ret = serve_one(l, r, &a);
	sealbuf_rdma_listener_free(l);
	sealbuf_region_free(r);
	return ret;
}

static int fetch_into(struct sealbuf_rdma *c, const struct rdma_args *a)
{
	struct sealbuf_rdma_remote rem = { .sz = sizeof(rem) };
	struct sealbuf_region *r = NULL;
	struct sealbuf_rdma_mr *m = NULL;
	int ret = sealbuf_rdma_recv_offer(c, (int)a->timeout_ms, &rem);

	if (ret < 0)
		return tool_lib_error(ret, "no valid offer from the peer");
	if (rem.kind != SEALBUF_KIND_PLAIN)
		return tool_error(SBX_PEER, "the peer offered a reserved region: it takes publications, not reads");
	ret = sealbuf_region_create((size_t)rem.size, NULL, &r);
	if (ret == 0)
		ret = sealbuf_rdma_register(c, r, NULL, &m);
	if (ret == 0)
		ret = sealbuf_rdma_read(c, m, 0, &rem, 0, rem.size);
	if (ret < 0) {
		sealbuf_region_free(r);
		return tool_lib_error(ret, "cannot read the region");
	}
	ret = rio_emit(sealbuf_region_data(r), (size_t)rem.size, 0, 0, false,
		       a->hex ? RIO_HEX : RIO_RAW, a->out);
	sealbuf_rdma_mr_free(m);
	sealbuf_region_free(r);
	return ret;
}

static int rdma_fetch(int argc, char **argv)
{
	SEALBUF_OPTS(sealbuf_rdma_opts, o);
	struct sealbuf_rdma *c = NULL;
	struct rdma_args a;
	int ret = parse(argc, argv, &a);

	if (ret)
		return ret;
	if (optind + 1 != argc)
		return tool_usage_error("fetch takes one address");
	a.host = argv[optind];
	o.timeout_ms = a.timeout_ms > 0 ? (int)a.timeout_ms : 0;
	ret = sealbuf_rdma_connect(a.host, a.port, &o, &c);
	if (ret < 0)
		return tool_lib_error(ret, "cannot connect");
	ret = fetch_into(c, &a);
	sealbuf_rdma_free(c);
	return ret;
}
#endif

int cmd_rdma(int argc, char **argv)
{
#ifdef HAVE_RDMA
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return rdma_serve(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "fetch"))
		return rdma_fetch(argc, argv);
	return tool_usage_error("rdma needs 'serve' or 'fetch'");
#else
	return tool_error(SBX_NO, "this sealbuf was built without libsealbuf-rdma (libibverbs, librdmacm)");
#endif
}
