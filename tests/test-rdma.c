/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RDMA (libsealbuf-rdma over soft RoCE): register, offer, write, read, hostile offers, memlock, remote publication. */
#include <endian.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "testlib.h"
#include "rdma-internal.h"

#define BIG (16u << 20) /* above rxe's 8 MiB message limit: the transfer is split */
#define SMALL (1u << 20)

static const char *addr;
static int port_base;
static int port_next;

/* A port of its own for each listener: a refused connect never meets an older one. */
static void next_port(char *buf, size_t len)
{
	snprintf(buf, len, "%d", port_base + port_next++);
}

/* A child that dies with the test, or a killed test leaves the guest hanging. */
static pid_t fork_child(void)
{
	pid_t parent = getpid(), pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

/*
 * A peer process: this program again, running @role. Exec, not just fork:
 * librdmacm keeps the device fds it opened, and the kernel refuses verbs
 * on a uverbs fd from a process other than the one that opened it (EACCES).
 */
static pid_t spawn(const char *role, const char *port)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		execl("/proc/self/exe", "test-rdma", role, port, (char *)NULL);
		_exit(98);
	}
	return pid;
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "child: %s:%d: %s failed (%s: %s)\n", __FILE__, __LINE__, \
				#cond, sealbuf_reason_name(sealbuf_last_reason()), \
				sealbuf_last_error());                         \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static struct sealbuf_rdma *connect_retry(const char *port)
{
	SEALBUF_OPTS(sealbuf_rdma_opts, o, .timeout_ms = 5000);
	struct sealbuf_rdma *c = NULL;

	/* The listener is a child that may not be listening yet: refused means "again". */
	for (int i = 0; i < 200; i++) {
		int ret = sealbuf_rdma_connect(addr, port, &o, &c);
		if (ret == 0)
			return c;
		if (ret != -ECONNREFUSED && ret != -EHOSTUNREACH)
			break;
		usleep(50000);
	}
	print_error("connect %s:%s: %s\n", addr, port, sealbuf_last_error());
	fail();
	return NULL;
}

static struct sealbuf_rdma *accept_one(const char *port)
{
	struct sealbuf_rdma_listener *l = NULL;
	struct sealbuf_rdma *c = NULL;

	CHECK(sealbuf_rdma_listen(addr, port, NULL, &l) == 0);
	CHECK(sealbuf_rdma_accept(l, 30000, &c) == 0);
	sealbuf_rdma_listener_free(l);
	return c;
}

static struct sealbuf_rdma_mr *reg(struct sealbuf_rdma *c, struct sealbuf_region *r, uint32_t access)
{
	SEALBUF_OPTS(sealbuf_rdma_register_opts, o, .access = access);
	struct sealbuf_rdma_mr *m = NULL;

	CHECK(sealbuf_rdma_register(c, r, &o, &m) == 0);
	return m;
}

/* Serve the peer's publications until it disconnects. */
static void serve_until_closed(struct sealbuf_rdma *c)
{
	int ret;

	while ((ret = sealbuf_rdma_serve(c, -1)) >= 0)
		;
	/* A peer that broke the connection on purpose (a refused access) ends it too. */
	CHECK(ret == -ECONNRESET || ret == -EACCES);
}

/* ------------------------------------------------------------------------ */
/* Register, offer, write, read                                              */
/* ------------------------------------------------------------------------ */

/*
 * Server: a writable target (READ|WRITE) and a read-only one (READ) with a
 * pattern; after the peer leaves, the target holds what it wrote, as seen
 * through a second mapping of the memfd.
 */
static void roundtrip_server(const char *port)
{
	struct sealbuf_region *target = tl_region("target", BIG, 0), *src = tl_region("src", SMALL, 0);
	struct sealbuf_region *ro = NULL, *view = NULL;
	SEALBUF_OPTS(sealbuf_open_opts, rdonly, .flags = SEALBUF_OPEN_RDONLY);
	SEALBUF_OPTS(sealbuf_rdma_register_opts, wr, .access = SEALBUF_RDMA_WRITE);
	struct sealbuf_rdma_mr *m = NULL;
	int fd;

	tl_fill(sealbuf_region_data(src), SMALL, 7);
	CHECK(sealbuf_region_share(src, SEALBUF_SHARE_RDONLY, &fd) == 0);
	CHECK(sealbuf_region_open(fd, SMALL, &rdonly, &ro) == 0);
	struct sealbuf_rdma *c = accept_one(port);
	/* Access follows the region: a read-only mapping is never writable remotely. */
	CHECK(sealbuf_rdma_register(c, ro, &wr, &m) == -EROFS);
	CHECK(sealbuf_last_reason() == SEALBUF_R_READ_ONLY);
	CHECK(sealbuf_rdma_offer(c, reg(c, target, SEALBUF_RDMA_WRITE), "target") == 0);
	CHECK(sealbuf_rdma_offer(c, reg(c, ro, SEALBUF_RDMA_READ), "read-only") == 0);
	serve_until_closed(c);
	CHECK(sealbuf_region_share(target, 0, &fd) == 0);
	CHECK(sealbuf_region_open(fd, BIG, NULL, &view) == 0);
	CHECK(tl_check(sealbuf_region_data(view), BIG, 3));
	CHECK(tl_check(sealbuf_region_data(ro), SMALL, 7));
	sealbuf_rdma_free(c);
	_exit(0);
}

static void recv_offer(struct sealbuf_rdma *c, struct sealbuf_rdma_remote *r, const char *name)
{
	r->sz = sizeof(*r);
	if (sealbuf_rdma_recv_offer(c, 30000, r) < 0)
		print_error("recv_offer: %s\n", sealbuf_last_error());
	assert_string_equal(r->name, name);
}

static char logged[1024];

static void log_capture(void *userdata, int priority, const char *file, int line, const char *fn,
			const char *msg)
{
	if (priority == LOG_INFO && strstr(msg, "ibv_reg_dmabuf_mr"))
		snprintf(logged, sizeof(logged), "%s", msg);
}

/* rxe has no dma-buf registration: the fallback is logged; demanded, it is an error. */
static void check_dmabuf_route(struct sealbuf_rdma *c, struct sealbuf_region *r, struct sealbuf_rdma_mr **ret)
{
	SEALBUF_OPTS(sealbuf_rdma_register_opts, only, .flags = SEALBUF_RDMA_REGISTER_DMABUF);
	struct sealbuf_rdma_mr *m = NULL;

	sealbuf_set_log_fn(log_capture, NULL);
	assert_int_equal(sealbuf_rdma_register(c, r, NULL, ret), 0);
	sealbuf_set_log_fn(NULL, NULL);
	assert_false(sealbuf_rdma_mr_dmabuf(*ret));
	printf("fallback logged: %s\n", logged);
	assert_non_null(strstr(logged, "Operation not supported"));
	tl_assert_fail(sealbuf_rdma_register(c, r, &only, &m), -EOPNOTSUPP, SEALBUF_R_NO_DMABUF_MR);
}

static void test_write_read(void **state)
{
	struct sealbuf_region *local = tl_region("local", BIG, 0), *back = tl_region("back", BIG, 0);
	struct sealbuf_rdma_remote target, ro, forged;
	struct sealbuf_rdma_mr *ml = NULL, *mb = NULL;
	char port[16];
	pid_t pid;

	next_port(port, sizeof(port));
	pid = spawn("roundtrip", port);
	struct sealbuf_rdma *c = connect_retry(port);
	recv_offer(c, &target, "target");
	recv_offer(c, &ro, "read-only");
	assert_int_equal(target.size, BIG);
	assert_int_equal(target.access, SEALBUF_RDMA_READ | SEALBUF_RDMA_WRITE);
	assert_int_equal(ro.access, SEALBUF_RDMA_READ);
	/* rxe allows 2 GiB in one message: make it 1 MiB, so that 16 MiB take two batches of chunks. */
	assert_true(sealbuf_rdma_max_msg_size(c) >= BIG);
	c->max_msg = 1u << 20;

	check_dmabuf_route(c, local, &ml);
	assert_int_equal(sealbuf_rdma_register(c, back, NULL, &mb), 0);
	tl_fill(sealbuf_region_data(local), BIG, 3);
	assert_int_equal(sealbuf_rdma_write(c, ml, 0, &target, 0, BIG), 0);
	assert_int_equal(sealbuf_rdma_read(c, mb, 0, &target, 0, BIG), 0);
	assert_true(tl_check(sealbuf_region_data(back), BIG, 3));
	assert_int_equal(sealbuf_rdma_read(c, mb, 0, &ro, 0, SMALL), 0);
	assert_true(tl_check(sealbuf_region_data(back), SMALL, 7));

	/* Past either end, or a write the offer does not grant: refused before the NIC. */
	tl_assert_fail(sealbuf_rdma_write(c, ml, 1, &target, 0, BIG), -ERANGE, SEALBUF_R_RANGE);
	tl_assert_fail(sealbuf_rdma_read(c, mb, 0, &ro, 1, SMALL), -ERANGE, SEALBUF_R_RANGE);
	tl_assert_fail(sealbuf_rdma_write(c, ml, 0, &ro, 0, 1), -EROFS, SEALBUF_R_READ_ONLY);
	/* A forged write right: the peer's NIC refuses, the region stays as it was. */
	forged = ro;
	forged.access |= SEALBUF_RDMA_WRITE;
	tl_assert_fail(sealbuf_rdma_write(c, ml, 0, &forged, 0, 4096), -EACCES, SEALBUF_R_REMOTE_ACCESS);
	tl_assert_fail(sealbuf_rdma_read(c, mb, 0, &target, 0, 1), -EACCES, SEALBUF_R_REMOTE_ACCESS);
	sealbuf_rdma_free(c);
	assert_int_equal(child_status(pid), 0);
	sealbuf_region_free(local);
	sealbuf_region_free(back);
}

/* ------------------------------------------------------------------------ */
/* Hostile offers                                                            */
/* ------------------------------------------------------------------------ */

enum lie { WRONG_KEY, SIZE_LIE, WRITE_LIE, BAD_MAGIC, NEW_VERSION, SHORT, UNKNOWN_ACCESS,
	   PUBLISH_PLAIN, NO_NUL, ADDR_WRAP, LIES };

static size_t tamper(struct rb_msg *m, enum lie lie)
{
	switch (lie) {
	case WRONG_KEY: m->rkey ^= htole32(0x5a5a00); break;
	case SIZE_LIE: m->size = htole64(le64toh(m->size) + 4096); break;
	case WRITE_LIE: m->access |= htole32(SEALBUF_RDMA_WRITE); break;
	case BAD_MAGIC: m->magic = 0; break;
	case NEW_VERSION: m->version = htole16(2); break;
	case SHORT: return 100;
	case UNKNOWN_ACCESS: m->access |= htole32(1u << 9); break;
	case PUBLISH_PLAIN: m->access |= htole32(SEALBUF_RDMA_PUBLISH); break;
	case NO_NUL: memset(m->name, 'x', sizeof(m->name)); break;
	case ADDR_WRAP: m->addr = htole64(UINT64_MAX - 10); break;
	case LIES: break;
	}
	return sizeof(*m);
}

/* Server: a read-only region of 64 KiB, offered with the lie in $SEALBUF_RDMA_LIE. */
static void liar(const char *port)
{
	struct sealbuf_region *r = tl_region("honest", 65536, 0);
	struct sealbuf_rdma *c = accept_one(port);
	struct sealbuf_rdma_mr *mr = reg(c, r, SEALBUF_RDMA_READ);
	struct rb_msg m;

	mr->id = 1;
	rb_offer_encode(mr, "honest", &m);
	/*
	 * Not checked: the peer's probe may break our queue pair before the
	 * acknowledgement of this very send comes back (its completion is then
	 * "flushed"). The peer checks what it received.
	 */
	rb_send_raw(c, &m, tamper(&m, (enum lie)atoi(getenv("SEALBUF_RDMA_LIE"))));
	/* Until the peer hangs up (or our queue pair broke on its probe). */
	while (sealbuf_rdma_serve(c, -1) >= 0)
		;
	sealbuf_rdma_free(c);
	_exit(0);
}

static void test_hostile_offer(void **state)
{
	static const struct { int err; enum sealbuf_reason reason; } want[LIES] = {
		[WRONG_KEY] = { -EACCES, SEALBUF_R_REMOTE_ACCESS },
		[SIZE_LIE] = { -EACCES, SEALBUF_R_REMOTE_ACCESS },
		[WRITE_LIE] = { -EACCES, SEALBUF_R_REMOTE_ACCESS },
		[BAD_MAGIC] = { -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		[NEW_VERSION] = { -EPROTONOSUPPORT, SEALBUF_R_VERSION },
		[SHORT] = { -EPROTO, SEALBUF_R_TRUNCATED },
		[UNKNOWN_ACCESS] = { -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		[PUBLISH_PLAIN] = { -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		[NO_NUL] = { -EBADMSG, SEALBUF_R_BAD_MESSAGE },
		[ADDR_WRAP] = { -EBADMSG, SEALBUF_R_BAD_MESSAGE },
	};
	char port[16], lie_env[16];

	/* One liar and one connection per lie: a refused probe breaks the connection. */
	for (int lie = 0; lie < LIES; lie++) {
		struct sealbuf_rdma_remote r = { .sz = sizeof(r) };
		snprintf(lie_env, sizeof(lie_env), "%d", lie);
		setenv("SEALBUF_RDMA_LIE", lie_env, 1);
		next_port(port, sizeof(port));
		pid_t pid = spawn("liar", port);
		struct sealbuf_rdma *c = connect_retry(port);
		tl_assert_fail(sealbuf_rdma_recv_offer(c, 30000, &r), want[lie].err, want[lie].reason);
		printf("lie %d refused: %s\n", lie, sealbuf_last_error());
		sealbuf_rdma_free(c);
		assert_int_equal(child_status(pid), 0);
	}
}

/* ------------------------------------------------------------------------ */
/* The locked-memory limit, as an ordinary user                              */
/* ------------------------------------------------------------------------ */

static void drop_to_user(void)
{
	struct rlimit rl = { 8u << 20, 8u << 20 };

	if (getuid() == 0) {
		CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0);
	}
	CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0);
}

static void memlock_server(const char *port)
{
	drop_to_user();
	struct sealbuf_rdma *c = accept_one(port);
	while (sealbuf_rdma_serve(c, -1) >= 0)
		;
	sealbuf_rdma_free(c);
	_exit(0);
}

static void memlock_client(const char *port)
{
	struct sealbuf_region *r = tl_region("big", BIG, 0), *small = tl_region("small", SMALL, 0);
	struct sealbuf_rdma_mr *m = NULL;
	struct sealbuf_rdma *c = NULL;
	int ret = -1;

	drop_to_user();
	for (int i = 0; i < 200 && ret < 0; i++) {
		ret = sealbuf_rdma_connect(addr, port, NULL, &c);
		if (ret < 0)
			usleep(50000);
	}
	CHECK(ret == 0);
	CHECK(sealbuf_rdma_register(c, r, NULL, &m) == -ENOMEM);
	CHECK(sealbuf_last_reason() == SEALBUF_R_MEMLOCK_LIMIT);
	CHECK(strstr(sealbuf_last_error(), "RLIMIT_MEMLOCK is 8388608 bytes") != NULL);
	printf("memlock: %s\n", sealbuf_last_error());
	fflush(stdout);
	/* Within the limit it works. */
	CHECK(sealbuf_rdma_register(c, small, NULL, &m) == 0);
	sealbuf_rdma_free(c);
	_exit(0);
}

static void test_memlock_user(void **state)
{
	char port[16];
	pid_t server, client;

	next_port(port, sizeof(port));
	server = spawn("memlock-server", port);
	client = spawn("memlock-client", port);
	assert_int_equal(child_status(client), 0);
	assert_int_equal(child_status(server), 0);
}

/* ------------------------------------------------------------------------ */
/* Remote publication: no torn read at the far side                          */
/* ------------------------------------------------------------------------ */

#define PUB_CAPACITY 8192
#define READERS 2

static unsigned publications(void)
{
	const char *e = getenv("SEALBUF_RDMA_PUBLICATIONS");

	return e ? (unsigned)strtoul(e, NULL, 10) : 100000;
}

/* Publication @i: words all equal to @i, a size that changes every time. */
static size_t pub_size(uint64_t i)
{
	return 8 * (1 + (size_t)(i * 7919 % (PUB_CAPACITY / 8)));
}

/* A reader: wake on each publication, copy it out, check it is one whole publication. */
static void reader(struct sealbuf_region *r, unsigned n)
{
	uint64_t *buf = malloc(PUB_CAPACITY), seq = 0;
	unsigned seen = 0, torn = 0;

	for (;;) {
		size_t size;
		int ret = sealbuf_region_wait(r, seq, 60000, &seq);
		CHECK(ret == 0);
		CHECK(sealbuf_region_snapshot(r, buf, PUB_CAPACITY, &size, &seq) == 0);
		bool whole = size >= 8 && size == pub_size(buf[0]);
		for (size_t w = 1; whole && w < size / 8; w++)
			whole = buf[w] == buf[0];
		torn += !whole;
		seen++;
		if (whole && buf[0] == n - 1)
			break;
	}
	printf("reader %d: %u publications seen, %u torn\n", getpid(), seen, torn);
	fflush(stdout);
	_exit(torn ? 1 : 0);
}

static void publish_server(const char *port)
{
	unsigned n = publications();
	struct sealbuf_region *r = NULL;
	pid_t readers[READERS];
	int bad = 0;

	CHECK(sealbuf_region_reserve(PUB_CAPACITY, NULL, &r) == 0);
	for (int i = 0; i < READERS; i++) {
		readers[i] = fork_child();
		if (readers[i] == 0)
			reader(r, n);
	}
	struct sealbuf_rdma *c = accept_one(port);
	CHECK(sealbuf_rdma_offer(c, reg(c, r, SEALBUF_RDMA_PUBLISH), "published") == 0);
	serve_until_closed(c);
	for (int i = 0; i < READERS; i++)
		bad |= child_status(readers[i]) != 0;
	sealbuf_rdma_free(c);
	_exit(bad);
}

/* A notice whose size word is above the capacity, or for an offer that does not exist. */
static void lying_notice(struct sealbuf_rdma *c, struct sealbuf_rdma_mr *m, const struct sealbuf_rdma_remote *r,
			 uint64_t size, uint32_t id, int want)
{
	uint64_t *word = (uint64_t *)m->data;
	struct ibv_sge sge = { .addr = (uintptr_t)word, .length = 8, .lkey = m->mr->lkey };
	struct ibv_send_wr wr = { .opcode = IBV_WR_RDMA_WRITE_WITH_IMM, .sg_list = &sge, .num_sge = 1,
				  .imm_data = htobe32(id),
				  .wr.rdma = { .remote_addr = r->addr, .rkey = r->rkey } };
	int status = 0;

	*word = htole64(size);
	assert_int_equal(rb_transfer_tail(c, IBV_WR_RDMA_WRITE, m->data, m->mr->lkey, r->addr, r->rkey, 0, &wr), 0);
	assert_int_equal(rb_wait_ack(c, id, 30000, &status, NULL), 0);
	assert_int_equal(status, want);
}

/* The agent refuses both, and publishes nothing (the readers would count a torn read). */
static void lying_writer(struct sealbuf_rdma *c, struct sealbuf_rdma_mr *m, const struct sealbuf_rdma_remote *r)
{
	lying_notice(c, m, r, PUB_CAPACITY + 8, r->id, -EFBIG);
	lying_notice(c, m, r, UINT64_MAX, r->id, -EFBIG);
	lying_notice(c, m, r, 8, r->id + 100, -ENOENT);
}

static void test_publish_torn(void **state)
{
	struct sealbuf_region *src = tl_region("src", PUB_CAPACITY, 0);
	uint64_t *words = sealbuf_region_data(src), seq = 0, last = 0;
	struct sealbuf_rdma_remote r;
	struct sealbuf_rdma_mr *m = NULL;
	unsigned n = publications();
	char port[16];
	pid_t pid;

	next_port(port, sizeof(port));
	pid = spawn("publish", port);
	struct sealbuf_rdma *c = connect_retry(port);
	recv_offer(c, &r, "published");
	assert_int_equal(r.kind, SEALBUF_KIND_RESERVED);
	assert_int_equal(r.size, PUB_CAPACITY);
	assert_int_equal(sealbuf_rdma_register(c, src, NULL, &m), 0);
	/* Plain writes into a reserved region would bypass the seqlock: refused. */
	tl_assert_fail(sealbuf_rdma_write(c, m, 0, &r, 0, 8), -EMEDIUMTYPE, SEALBUF_R_WRONG_KIND);
	tl_assert_fail(sealbuf_rdma_publish(c, m, PUB_CAPACITY + 8, &r, 1000, NULL), -EFBIG,
		       SEALBUF_R_TOO_LARGE);
	lying_writer(c, m, &r);
	for (uint64_t i = 0; i < n; i++) {
		size_t size = pub_size(i);
		for (size_t w = 0; w < size / 8; w++)
			words[w] = i;
		int ret = sealbuf_rdma_publish(c, m, size, &r, 30000, &seq);
		if (ret < 0)
			print_error("publication %llu: %s\n", (unsigned long long)i, sealbuf_last_error());
		assert_int_equal(ret, 0);
		assert_true(seq > last && !(seq & 1));
		last = seq;
	}
	printf("%u remote publications, last sequence %llu\n", n, (unsigned long long)seq);
	sealbuf_rdma_free(c);
	assert_int_equal(child_status(pid), 0);
	sealbuf_region_free(src);
}

/* ------------------------------------------------------------------------ */
/* Errors a user can act on                                                  */
/* ------------------------------------------------------------------------ */

static void test_unreachable(void **state)
{
	SEALBUF_OPTS(sealbuf_rdma_opts, o, .timeout_ms = 2000);
	struct sealbuf_rdma *c = NULL;
	char port[16];

	/* Nobody listens on this port of our own address. */
	next_port(port, sizeof(port));
	tl_assert_fail(sealbuf_rdma_connect(addr, port, &o, &c), -ECONNREFUSED,
		       SEALBUF_R_PEER_UNREACHABLE);
	assert_null(c);
}

/* ------------------------------------------------------------------------ */
/* Two machines: one side of the two-guest test (tests/vm/rdma-two.sh)       */
/* ------------------------------------------------------------------------ */

#define TWO_SIZE (4u << 20)

static int two_serve(const char *port)
{
	struct sealbuf_region *plain = tl_region("from-guest-a", TWO_SIZE, 0), *res = NULL;
	uint8_t *buf = malloc(TWO_SIZE);
	size_t size = 0;

	tl_fill(sealbuf_region_data(plain), TWO_SIZE, 11);
	CHECK(sealbuf_region_reserve(TWO_SIZE, NULL, &res) == 0);
	struct sealbuf_rdma *c = accept_one(port);
	CHECK(sealbuf_rdma_offer(c, reg(c, plain, SEALBUF_RDMA_READ), "from-guest-a") == 0);
	CHECK(sealbuf_rdma_offer(c, reg(c, res, SEALBUF_RDMA_PUBLISH), "to-guest-a") == 0);
	serve_until_closed(c);
	CHECK(sealbuf_region_snapshot(res, buf, TWO_SIZE, &size, NULL) == 0);
	CHECK(size == TWO_SIZE && tl_check(buf, TWO_SIZE, 22));
	printf("guest A: read by the other guest; received its %zu-byte publication intact\n", size);
	sealbuf_rdma_free(c);
	sealbuf_region_free(plain);
	sealbuf_region_free(res);
	free(buf);
	return 0;
}

static int two_fetch(const char *port)
{
	struct sealbuf_region *copy = tl_region("copy", TWO_SIZE, 0);
	struct sealbuf_rdma_remote from = { .sz = sizeof(from) }, to = { .sz = sizeof(to) };
	struct sealbuf_rdma_mr *m = NULL;
	struct sealbuf_rdma *c = NULL;
	uint64_t seq = 0;
	int ret = -1;

	/* The other guest boots at the same time: retry while nobody listens there yet. */
	for (int i = 0; i < 600 && ret < 0; i++) {
		ret = sealbuf_rdma_connect(addr, port, NULL, &c);
		if (ret < 0)
			usleep(100000);
	}
	CHECK(ret == 0);
	CHECK(sealbuf_rdma_recv_offer(c, 60000, &from) == 0);
	CHECK(sealbuf_rdma_recv_offer(c, 60000, &to) == 0);
	CHECK(from.size == TWO_SIZE && to.size == TWO_SIZE);
	CHECK(sealbuf_rdma_register(c, copy, NULL, &m) == 0);
	CHECK(sealbuf_rdma_read(c, m, 0, &from, 0, TWO_SIZE) == 0);
	CHECK(tl_check(sealbuf_region_data(copy), TWO_SIZE, 11));
	tl_fill(sealbuf_region_data(copy), TWO_SIZE, 22);
	CHECK(sealbuf_rdma_publish(c, m, TWO_SIZE, &to, 60000, &seq) == 0);
	printf("guest B: read %u bytes from guest A intact; published %u bytes there (sequence %llu)\n",
	       TWO_SIZE, TWO_SIZE, (unsigned long long)seq);
	sealbuf_rdma_free(c);
	sealbuf_region_free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_read),
		cmocka_unit_test(test_hostile_offer),
		cmocka_unit_test(test_memlock_user),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_publish_torn),
	};
	const char *e = getenv("SEALBUF_RDMA_PORT");

	addr = getenv("SEALBUF_RDMA_ADDR") ? getenv("SEALBUF_RDMA_ADDR") : "10.77.0.1";
	port_base = e ? atoi(e) : 18515;
	if (rb_no_device() < 0) {
		/* What a user without a device gets: the reason, with how to add one. */
		struct sealbuf_rdma *c = NULL;
		if (sealbuf_rdma_connect(addr, "1", NULL, &c) != -ENODEV ||
		    sealbuf_last_reason() != SEALBUF_R_NO_RDMA_DEVICE || !strstr(sealbuf_last_error(), "rdma link add")) {
			printf("no RDMA device, yet connect said: %s\n", sealbuf_last_error());
			return 1;
		}
		/* tools/vm/run --rdma always adds rxe0: its absence there is a failure, not a skip. */
		if (getenv("SEALBUF_IN_VM")) {
			printf("in the VM, yet %s\n", sealbuf_last_error());
			return 1;
		}
		tl_skip("%s (the VM tier adds one: tools/vm/run --rdma)", sealbuf_last_error());
	}
	/* The two-guest test runs one side per guest: serve PORT / fetch PORT. */
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return two_serve(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "fetch"))
		return two_fetch(argv[2]);
	/* The peers the tests spawn. */
	static const struct { const char *role; void (*fn)(const char *port); } roles[] = {
		{ "roundtrip", roundtrip_server }, { "liar", liar },
		{ "memlock-server", memlock_server }, { "memlock-client", memlock_client },
		{ "publish", publish_server },
	};
	for (size_t i = 0; argc == 3 && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(argv[1], roles[i].role))
			roles[i].fn(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
