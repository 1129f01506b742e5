/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsealbuf-rdma against the stock tools and raw verbs, in the same run, on
 * the same RDMA device (in the VM: tools/vm/run --rdma -- bench-rdma):
 *  - RDMA WRITE of 1 MiB and 64 MiB from a region, against perftest's
 *    ib_write_bw of the same message size (target: at least 1/1.2 of its
 *    bandwidth);
 *  - remote publication round trip of 4 KiB (writer to the far side's
 *    readers and back), against raw verbs on a connection of their own: an
 *    RDMA WRITE of the same payload + a WRITE WITH IMMEDIATE, answered by
 *    an 8-byte SEND (rdma_cm's endpoint calls, no sealbuf code);
 *  - registration of a 64 MiB region, fresh and prefaulted, against a memcpy
 *    of 64 MiB.
 * The peer is this program again (exec'd: verbs do not survive fork).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <endian.h>
#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>
#include <rdma/rdma_verbs.h>

#include "bench.h"
#include "sealbuf-rdma.h"

#define MiB ((size_t)1 << 20)
#define BIG (64 * MiB)
#define PUB_BYTES 4096

static const char *addr = "10.77.0.1", *port = "18700", *raw_port = "18701";

static void die(const char *what)
{
	fprintf(stderr, "bench-rdma: %s: %s\n", what, sealbuf_last_error());
	exit(1);
}

/* One figure and its baseline, measured here (its own rounds alternate; see each caller). */
static void report(struct bench *b, const char *figure, const char *unit, double value,
		   const char *baseline, double base, const char *target)
{
	struct bench_pair p = { .value = value, .base = base, .ratio = base > 0 ? value / base : 0,
				.rounds = 1 };

	p.lo = p.hi = p.ratio;
	bench_report(b, figure, unit, &p, baseline, NULL, target);
}

static struct sealbuf_region *region(size_t size, uint32_t flags)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "bench-rdma", .flags = flags);
	struct sealbuf_region *r = NULL;

	if (sealbuf_region_create(size, &o, &r) < 0)
		die("sealbuf_region_create");
	return r;
}

static struct sealbuf_rdma_mr *reg(struct sealbuf_rdma *c, struct sealbuf_region *r, uint32_t access)
{
	SEALBUF_OPTS(sealbuf_rdma_register_opts, o, .access = access);
	struct sealbuf_rdma_mr *m = NULL;

	if (sealbuf_rdma_register(c, r, &o, &m) < 0)
		die("sealbuf_rdma_register");
	return m;
}

/* The far side: a 64 MiB target and a reserved region; serve until closed. */
static int serve(void)
{
	struct sealbuf_rdma_listener *l = NULL;
	struct sealbuf_rdma *c = NULL;
	struct sealbuf_region *res = NULL;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sealbuf_rdma_listen(addr, port, NULL, &l) < 0 || sealbuf_rdma_accept(l, 30000, &c) < 0)
		die("listen/accept");
	if (sealbuf_region_reserve(PUB_BYTES, NULL, &res) < 0)
		die("reserve");
	if (sealbuf_rdma_offer(c, reg(c, region(BIG, SEALBUF_CREATE_PREFAULT), SEALBUF_RDMA_WRITE), "big") < 0 ||
	    sealbuf_rdma_offer(c, reg(c, res, SEALBUF_RDMA_PUBLISH), "published") < 0)
		die("offer");
	while (sealbuf_rdma_serve(c, -1) >= 0)
		;
	sealbuf_rdma_free(c);
	sealbuf_rdma_listener_free(l);
	return 0;
}

static struct sealbuf_rdma *connect_far(void)
{
	struct sealbuf_rdma *c = NULL;

	for (int i = 0; i < 200; i++) {
		if (sealbuf_rdma_connect(addr, port, NULL, &c) == 0)
			return c;
		usleep(50000);
	}
	die("connect");
	return NULL;
}

static double write_mibs(struct bench *b, struct sealbuf_rdma *c, struct sealbuf_rdma_mr *m,
			 const struct sealbuf_rdma_remote *r, size_t size, int reps)
{
	uint64_t t0;

	if (sealbuf_rdma_write(c, m, 0, r, 0, size) < 0) /* warm-up */
		die("sealbuf_rdma_write");
	t0 = bench_now_ns();
	for (int i = 0; i < reps; i++)
		if (sealbuf_rdma_write(c, m, 0, r, 0, size) < 0)
			die("sealbuf_rdma_write");
	return (double)size * reps / MiB / ((double)(bench_now_ns() - t0) / 1e9);
}

/* perftest's ib_write_bw, server and client on this device: its BW average (MB/s, MB = 2^20). */
static double ib_write_bw(size_t size, int iters)
{
	char cmd[256], line[512];
	double bw = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "ib_write_bw -d rxe0 -p 18800 -s %zu -n %d >/dev/null 2>&1 & sleep 1; "
		 "ib_write_bw -d rxe0 -p 18800 -s %zu -n %d %s 2>&1; wait",
		 size, iters, size, iters, addr);
	p = popen(cmd, "r");
	if (!p)
		die("popen ib_write_bw");
	while (fgets(line, sizeof(line), p)) {
		unsigned long long bytes;
		int n;
		double peak, avg;
		if (sscanf(line, " %llu %d %lf %lf", &bytes, &n, &peak, &avg) == 4 && bytes == size)
			bw = avg;
	}
	pclose(p);
	if (bw <= 0) {
		fprintf(stderr, "bench-rdma: no figure from ib_write_bw (is perftest installed?)\n");
		exit(1);
	}
	return bw;
}

/*
 * The host is shared: its load drifts during a run. So the two alternate,
 * a few rounds each, and each figure is the median of its rounds.
 */
static void bench_write(struct bench *b, struct sealbuf_rdma *c, const struct sealbuf_rdma_remote *big)
{
	struct sealbuf_region *src = region(BIG, SEALBUF_CREATE_PREFAULT);
	struct sealbuf_rdma_mr *m = reg(c, src, 0);
	static const struct { size_t size; int reps, rounds; const char *figure; } cases[] = {
		{ MiB, 32, 3, "RDMA WRITE 1 MiB from a region" },
		{ BIG, 5, 1, "RDMA WRITE 64 MiB from a region" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* ib_write_bw takes at least 5 iterations. */
		int reps = b->quick ? 5 : (b->reps > 5 ? b->reps : cases[i].reps);
		int rounds = b->quick ? 1 : cases[i].rounds;
		double ours[3], stock[3];
		bench_progress(b, "%s", cases[i].figure);
		for (int k = 0; k < rounds; k++) {
			ours[k] = write_mibs(b, c, m, big, cases[i].size, reps);
			stock[k] = ib_write_bw(cases[i].size, reps);
		}
		report(b, cases[i].figure, "MiB/s", bench_median(ours, (size_t)rounds),
		       "ib_write_bw (perftest)", bench_median(stock, (size_t)rounds), ">= 0.83");
	}
	sealbuf_rdma_mr_free(m);
	sealbuf_region_free(src);
}

/* ---- the raw baseline: rdma_cm endpoints and verbs, nothing of sealbuf ---- */

struct raw {
	struct rdma_cm_id *id;
	struct ibv_mr *mr;
	uint8_t *buf;         /* payload, then 8 bytes for the ack / the immediate's word */
	uint64_t raddr;       /* the far side's buffer (from the accept's private data) */
	uint32_t rkey;
};

static void raw_die(const char *what)
{
	perror(what);
	exit(1);
}

static struct rdma_cm_id *raw_ep(bool passive)
{
	struct rdma_addrinfo hints = { .ai_flags = passive ? RAI_PASSIVE : 0,
				       .ai_port_space = RDMA_PS_TCP }, *res;
	struct ibv_qp_init_attr qa = { .cap = { .max_send_wr = 4, .max_recv_wr = 4, .max_send_sge = 1,
						.max_recv_sge = 1 }, .sq_sig_all = 1 };
	struct rdma_cm_id *id;

	if (rdma_getaddrinfo(addr, raw_port, &hints, &res) || rdma_create_ep(&id, res, NULL, &qa))
		raw_die("rdma_getaddrinfo/rdma_create_ep");
	rdma_freeaddrinfo(res);
	return id;
}

static void raw_buffer(struct raw *r)
{
	r->buf = calloc(1, PUB_BYTES + 8);
	r->mr = r->buf ? ibv_reg_mr(r->id->pd, r->buf, PUB_BYTES + 8,
				    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE) : NULL;
	if (!r->mr)
		raw_die("ibv_reg_mr");
}

/* The far side: each WRITE WITH IMMEDIATE is answered by an 8-byte SEND. */
static int serve_raw(void)
{
	struct rdma_cm_id *l = raw_ep(true);
	struct raw r = { 0 };
	struct ibv_wc wc;
	uint64_t info[2];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (rdma_listen(l, 1) || rdma_get_request(l, &r.id))
		raw_die("rdma_listen/rdma_get_request");
	raw_buffer(&r);
	info[0] = htole64((uintptr_t)r.buf);
	info[1] = htole64(r.mr->rkey);
	struct rdma_conn_param p = { .private_data = info, .private_data_len = sizeof(info),
				     .responder_resources = 1, .initiator_depth = 1 };
	if (rdma_post_recv(r.id, NULL, r.buf + PUB_BYTES, 8, r.mr) || rdma_accept(r.id, &p))
		raw_die("rdma_post_recv/rdma_accept");
	while (rdma_get_recv_comp(r.id, &wc) > 0 && wc.status == IBV_WC_SUCCESS) {
		if (rdma_post_recv(r.id, NULL, r.buf + PUB_BYTES, 8, r.mr) ||
		    rdma_post_send(r.id, NULL, r.buf + PUB_BYTES, 8, r.mr, 0) ||
		    rdma_get_send_comp(r.id, &wc) <= 0)
			break;
	}
	return 0;
}

static void raw_connect(struct raw *r)
{
	uint64_t info[2];

	for (int i = 0; i < 200; i++) {
		r->id = raw_ep(false);
		raw_buffer(r);
		if (rdma_post_recv(r->id, NULL, r->buf + PUB_BYTES, 8, r->mr) == 0 &&
		    rdma_connect(r->id, NULL) == 0)
			break;
		rdma_dereg_mr(r->mr);
		free(r->buf);
		rdma_destroy_ep(r->id);
		r->id = NULL;
		usleep(50000);
	}
	if (!r->id || !r->id->event || r->id->event->param.conn.private_data_len < sizeof(info))
		raw_die("rdma_connect (raw)");
	memcpy(info, r->id->event->param.conn.private_data, sizeof(info));
	r->raddr = le64toh(info[0]);
	r->rkey = (uint32_t)le64toh(info[1]);
}

/* WRITE the payload, WRITE WITH IMMEDIATE, wait for both and for the far side's SEND. */
static void raw_round_trip(struct raw *r)
{
	struct ibv_sge sge[2] = { { (uintptr_t)r->buf, PUB_BYTES, r->mr->lkey },
				  { (uintptr_t)r->buf + PUB_BYTES, 8, r->mr->lkey } };
	struct ibv_send_wr imm = { .opcode = IBV_WR_RDMA_WRITE_WITH_IMM, .sg_list = &sge[1], .num_sge = 1,
				   .imm_data = htobe32(1), .wr.rdma = { r->raddr + PUB_BYTES, r->rkey } };
	struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_WRITE, .sg_list = &sge[0], .num_sge = 1,
				  .next = &imm, .wr.rdma = { r->raddr, r->rkey } }, *bad;
	struct ibv_wc wc;

	if (ibv_post_send(r->id->qp, &wr, &bad) || rdma_get_send_comp(r->id, &wc) <= 0 ||
	    rdma_get_send_comp(r->id, &wc) <= 0 || rdma_get_recv_comp(r->id, &wc) <= 0 ||
	    wc.status != IBV_WC_SUCCESS || rdma_post_recv(r->id, NULL, r->buf + PUB_BYTES, 8, r->mr))
		raw_die("raw write + immediate");
}

static void bench_publish(struct bench *b, struct sealbuf_rdma *c, const struct sealbuf_rdma_remote *pub)
{
	struct raw raw = { 0 };

	struct sealbuf_region *src = region(PUB_BYTES, SEALBUF_CREATE_PREFAULT);
	struct sealbuf_rdma_mr *m = reg(c, src, 0);
	int reps = b->quick ? 20 : (b->reps ? b->reps : 300);
	double *ours = calloc((size_t)reps, sizeof(double)), *base = calloc((size_t)reps, sizeof(double));

	bench_progress(b, "remote publication round trip");
	raw_connect(&raw);
	for (int i = -10; i < reps; i++) { /* 10 of warm-up; the two alternate */
		uint64_t t0 = bench_now_ns();
		if (sealbuf_rdma_publish(c, m, PUB_BYTES, pub, 30000, NULL) < 0)
			die("sealbuf_rdma_publish");
		uint64_t t1 = bench_now_ns();
		raw_round_trip(&raw);
		if (i >= 0) {
			ours[i] = (double)(t1 - t0) / 1e3;
			base[i] = (double)(bench_now_ns() - t1) / 1e3;
		}
	}
	report(b, "remote publication round trip, 4 KiB", "us", bench_median(ours, (size_t)reps),
	       "raw RDMA WRITE + immediate, acknowledged", bench_median(base, (size_t)reps), NULL);
	free(ours);
	free(base);
	rdma_disconnect(raw.id);
	rdma_dereg_mr(raw.mr);
	rdma_destroy_ep(raw.id);
	free(raw.buf);
	sealbuf_rdma_mr_free(m);
	sealbuf_region_free(src);
}

static double reg_ms(struct sealbuf_rdma *c, uint32_t flags, int reps)
{
	double *t = calloc((size_t)reps, sizeof(double)), med;

	for (int i = 0; i < reps; i++) {
		struct sealbuf_region *r = region(BIG, flags);
		uint64_t t0 = bench_now_ns();
		struct sealbuf_rdma_mr *m = reg(c, r, 0);
		t[i] = (double)(bench_now_ns() - t0) / 1e6;
		sealbuf_rdma_mr_free(m);
		sealbuf_region_free(r);
	}
	med = bench_median(t, (size_t)reps);
	free(t);
	return med;
}

static void bench_register(struct bench *b, struct sealbuf_rdma *c)
{
	int reps = b->quick ? 1 : (b->reps ? b->reps : 5);
	uint8_t *dst = malloc(BIG), *src = malloc(BIG);
	double *t = calloc((size_t)reps, sizeof(double));

	bench_progress(b, "registration of 64 MiB");
	memset(dst, 1, BIG);
	memset(src, 2, BIG);
	for (int i = 0; i < reps; i++) {
		uint64_t t0 = bench_now_ns();
		memcpy(dst, src, BIG);
		t[i] = (double)(bench_now_ns() - t0) / 1e6;
		src[i] = dst[reps - 1 - i]; /* keep the copy */
	}
	double copy = bench_median(t, (size_t)reps);
	reg_ms(c, 0, 1); /* the first registration learns whether the dma-buf route exists */
	report(b, "register 64 MiB, fresh region", "ms", reg_ms(c, 0, reps), "memcpy of 64 MiB", copy, NULL);
	report(b, "register 64 MiB, prefaulted region", "ms", reg_ms(c, SEALBUF_CREATE_PREFAULT, reps),
	       "memcpy of 64 MiB", copy, NULL);
	free(t);
	free(src);
	free(dst);
}

static void recv_offer(struct sealbuf_rdma *c, struct sealbuf_rdma_remote *r)
{
	r->sz = sizeof(*r);
	if (sealbuf_rdma_recv_offer(c, 30000, r) < 0)
		die("sealbuf_rdma_recv_offer");
}

int main(int argc, char **argv)
{
	struct sealbuf_rdma_remote big, pub;
	struct sealbuf_rdma_listener *l = NULL;
	struct bench b;
	pid_t pid[2];
	int ndev = 0;

	if (argc == 2 && !strcmp(argv[1], "serve"))
		return serve();
	if (argc == 2 && !strcmp(argv[1], "serve-raw"))
		return serve_raw();
	bench_init(&b, "rdma", argc, argv);
	struct ibv_device **devs = ibv_get_device_list(&ndev);
	if (devs)
		ibv_free_device_list(devs);
	if (ndev <= 0 && sealbuf_rdma_listen(addr, port, NULL, &l) == -ENODEV) {
		printf("SKIP: %s (in the VM: tools/vm/run --rdma -- bench-rdma)\n", sealbuf_last_error());
		return 77;
	}
	for (int i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			execl("/proc/self/exe", "bench-rdma", i ? "serve-raw" : "serve", (char *)NULL);
			_exit(98);
		}
	}
	struct sealbuf_rdma *c = connect_far();
	recv_offer(c, &big);
	recv_offer(c, &pub);
	bench_write(&b, c, &big);
	bench_publish(&b, c, &pub);
	bench_register(&b, c);
	sealbuf_rdma_free(c);
	waitpid(pid[0], NULL, 0);
	/* The raw side blocks in rdma_get_recv_comp(), which a disconnect does not end. */
	kill(pid[1], SIGTERM);
	waitpid(pid[1], NULL, 0);
	return 0;
}
