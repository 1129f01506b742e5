/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connections through librdmacm: listen, accept and connect by address and
 * port, one reliable-connected queue pair each, and the errors a user can
 * act on (no RDMA device, nobody listening, no route).
 */
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "rdma-internal.h"
#include "shared/util.h"

#define TIMEOUT_DEFAULT_MS 10000

int rb_timeout(int timeout_ms)
{
	return timeout_ms ? timeout_ms : TIMEOUT_DEFAULT_MS;
}

/* What to tell a user whose machine has no RDMA device. */
int rb_no_device(void)
{
	int n = 0;
	struct ibv_device **list = ibv_get_device_list(&n);

	if (list)
		ibv_free_device_list(list);
	if (n > 0)
		return 0;
	return rb_fail(-ENODEV, SEALBUF_R_NO_RDMA_DEVICE,
		       "no RDMA device: load the NIC's RDMA driver, or add a soft RoCE device on a netdev: "
		       "modprobe rdma_rxe && rdma link add rxe0 type rxe netdev eth0 "
		       "(modprobe rdma_ucm too for connections)");
}

static int open_channel(struct rdma_event_channel **ret)
{
	struct rdma_event_channel *ch;
	int ret_no_dev = rb_no_device();

	if (ret_no_dev < 0)
		return ret_no_dev;
	ch = rdma_create_event_channel();
	if (!ch) {
		int err = -errno;
		if (err == -ENODEV || err == -ENOENT)
			return rb_fail(-ENODEV, SEALBUF_R_NO_RDMA_DEVICE,
				       "no /dev/infiniband/rdma_cm: modprobe rdma_ucm");
		return rb_fail_sys(err, "rdma_create_event_channel");
	}
	/* Non-blocking: every wait is a poll() with the caller's timeout. */
	fcntl(ch->fd, F_SETFL, fcntl(ch->fd, F_GETFL) | O_NONBLOCK);
	*ret = ch;
	return 0;
}

static int resolve(const char *host, const char *port, bool passive, struct addrinfo **ret)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = passive ? AI_PASSIVE : 0 };
	int ret_gai;

	if (!port || (!passive && !host))
		return rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "%s is NULL", port ? "host" : "port");
	ret_gai = getaddrinfo(host, port, &hints, ret);
	if (ret_gai)
		return rb_fail(-EHOSTUNREACH, SEALBUF_R_PEER_UNREACHABLE, "cannot resolve %s:%s: %s",
			       host ? host : "*", port, gai_strerror(ret_gai));
	return 0;
}

static const char *event_text(enum rdma_cm_event_type t, int status)
{
	switch (t) {
	case RDMA_CM_EVENT_ADDR_ERROR:
		return "no route to the address (is it on a netdev with an RDMA device?)";
	case RDMA_CM_EVENT_ROUTE_ERROR:
		return "no route to the peer";
	case RDMA_CM_EVENT_UNREACHABLE:
		return "the peer does not answer (host down, or no RDMA device there)";
	case RDMA_CM_EVENT_REJECTED:
		return status == 28 ? "nobody listens on that port" : "the peer rejected the connection";
	case RDMA_CM_EVENT_DISCONNECTED:
		return "the peer disconnected";
	default:
		return rdma_event_str(t);
	}
}

static int event_error(enum rdma_cm_event_type t, int status, const char *peer)
{
	int err = t == RDMA_CM_EVENT_REJECTED ? -ECONNREFUSED : -EHOSTUNREACH;

	if (t == RDMA_CM_EVENT_DISCONNECTED || t == RDMA_CM_EVENT_DEVICE_REMOVAL)
		return rb_fail(-ECONNRESET, SEALBUF_R_PEER_CLOSED, "%s: %s", peer, event_text(t, status));
	return rb_fail(err, SEALBUF_R_PEER_UNREACHABLE, "%s: %s (%s, status %d)", peer,
		       event_text(t, status), rdma_event_str(t), status);
}

/* Wait for event @want on @ch; any other event (but a stray one) is the error it means. */
int rb_cm_wait(struct rdma_event_channel *ch, enum rdma_cm_event_type want, int timeout_ms,
	       const char *peer, struct rdma_cm_id **ret_id)
{
	uint64_t deadline = rb_deadline(timeout_ms);

	for (;;) {
		struct rdma_cm_event *ev;
		struct pollfd p = { .fd = ch->fd, .events = POLLIN };

		if (rdma_get_cm_event(ch, &ev) == 0) {
			enum rdma_cm_event_type t = ev->event;
			int status = ev->status;
			if (ret_id && t == want)
				*ret_id = ev->id;
			rdma_ack_cm_event(ev);
			if (t == want)
				return 0;
			if (t == RDMA_CM_EVENT_CONNECT_RESPONSE || t == RDMA_CM_EVENT_ADDR_CHANGE)
				continue;
			return event_error(t, status, peer);
		}
		if (errno != EAGAIN)
			return rb_fail_sys(-errno, "rdma_get_cm_event");
		int left = rb_deadline_left(deadline);
		if (left == 0)
			return rb_fail_timeout(timeout_ms, peer);
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return rb_fail_sys(-errno, "poll");
	}
}

/* The message slots: receives, one send, the publication word; registered once. */
static int setup_slots(struct sealbuf_rdma *c)
{
	size_t len = RB_SLOTS * sizeof(struct rb_msg);

	if (posix_memalign((void **)&c->slots, 4096, len))
		return rb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "no memory for %zu bytes of messages", len);
	memset(c->slots, 0, len);
	c->slots_mr = ibv_reg_mr(c->pd, c->slots, len, IBV_ACCESS_LOCAL_WRITE);
	if (!c->slots_mr)
		return rb_fail_sys(-errno, "ibv_reg_mr (message slots)");
	for (uint32_t i = 0; i < RB_RECV_DEPTH; i++) {
		int ret = rb_post_recv(c, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int setup_queues(struct sealbuf_rdma *c, struct rdma_cm_id *id)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = RB_SEND_DEPTH, .max_recv_wr = RB_RECV_DEPTH,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};

	c->pd = ibv_alloc_pd(id->verbs);
	if (!c->pd)
		return rb_fail_sys(-errno, "ibv_alloc_pd");
	c->cc = ibv_create_comp_channel(id->verbs);
	if (!c->cc)
		return rb_fail_sys(-errno, "ibv_create_comp_channel");
	fcntl(c->cc->fd, F_SETFL, fcntl(c->cc->fd, F_GETFL) | O_NONBLOCK);
	c->cq = ibv_create_cq(id->verbs, RB_SEND_DEPTH + RB_RECV_DEPTH, NULL, c->cc, 0);
	if (!c->cq)
		return rb_fail_sys(-errno, "ibv_create_cq");
	qa.send_cq = qa.recv_cq = c->cq;
	if (rdma_create_qp(id, c->pd, &qa))
		return rb_fail_sys(-errno, "rdma_create_qp");
	return 0;
}

int rb_conn_setup(struct sealbuf_rdma *c, struct rdma_cm_id *id)
{
	struct ibv_port_attr pa;
	int ret;

	c->id = id;
	ret = setup_queues(c, id);
	if (ret == 0)
		ret = setup_slots(c);
	if (ret < 0)
		return ret;
	if (ibv_query_port(id->verbs, id->port_num, &pa))
		return rb_fail_sys(-errno, "ibv_query_port");
	c->max_msg = pa.max_msg_sz ? pa.max_msg_sz : (1u << 31);
	c->next_id = 1;
	return 0;
}

static struct rdma_conn_param conn_param(void)
{
	/* One outstanding READ each way (the probe, reads); retries ride out a busy peer. */
	return (struct rdma_conn_param){ .responder_resources = 1, .initiator_depth = 1,
					 .retry_count = 7, .rnr_retry_count = 7 };
}

static int conn_new(struct sealbuf_rdma **ret)
{
	struct sealbuf_rdma *c = calloc(1, sizeof(*c));

	if (!c)
		return rb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "no memory for a connection");
	*ret = c;
	return 0;
}

static int connect_id(struct sealbuf_rdma *c, const struct addrinfo *ai, int timeout_ms)
{
	struct rdma_conn_param p = conn_param();
	struct rdma_cm_id *id;

	if (rdma_create_id(c->ch, &id, c, RDMA_PS_TCP))
		return rb_fail_sys(-errno, "rdma_create_id");
	c->id = id;
	if (rdma_resolve_addr(id, NULL, ai->ai_addr, timeout_ms))
		return rb_fail(-EHOSTUNREACH, SEALBUF_R_PEER_UNREACHABLE,
			       "%s: cannot resolve the address: %s (is it reachable from a netdev with an RDMA device?)",
			       c->peer, strerror(errno));
	int ret = rb_cm_wait(c->ch, RDMA_CM_EVENT_ADDR_RESOLVED, timeout_ms, c->peer, NULL);
	if (ret == 0 && rdma_resolve_route(id, timeout_ms))
		ret = rb_fail_sys(-errno, "rdma_resolve_route");
	if (ret == 0)
		ret = rb_cm_wait(c->ch, RDMA_CM_EVENT_ROUTE_RESOLVED, timeout_ms, c->peer, NULL);
	if (ret == 0)
		ret = rb_conn_setup(c, id);
	if (ret == 0 && rdma_connect(id, &p))
		ret = rb_fail_sys(-errno, "rdma_connect");
	if (ret == 0)
		ret = rb_cm_wait(c->ch, RDMA_CM_EVENT_ESTABLISHED, timeout_ms, c->peer, NULL);
	return ret;
}

/*
 * An option struct of @our_sz bytes, all of which 1.0 callers pass: the
 * core's rule (lib/shared's sb_opts_copy(); this library links only the
 * core's public ABI, and lib/shared statically).
 */
int rb_opts_load(const void *opts, size_t our_sz, void *out)
{
	size_t where = 0;
	int r = sb_opts_copy(opts, our_sz, our_sz, out, &where);

	if (r == -ERANGE)
		return rb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE,
			       "options .sz is %zu, at least %zu expected (use SEALBUF_OPTS)", where, our_sz);
	if (r < 0)
		return rb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE,
			       "options set a field at byte %zu that this version does not know", where);
	return 0;
}

static int opts_timeout(const struct sealbuf_rdma_opts *opts, int *ret_timeout)
{
	struct sealbuf_rdma_opts o;
	int ret = rb_opts_load(opts, sizeof(o), &o);

	if (ret < 0)
		return ret;
	if (o.flags)
		return rb_fail(-EINVAL, SEALBUF_R_UNKNOWN_FLAGS, "unknown flag bits 0x%x", o.flags);
	*ret_timeout = rb_timeout(o.timeout_ms);
	return 0;
}

SEALBUF_EXPORT int sealbuf_rdma_connect(const char *host, const char *port,
				   const struct sealbuf_rdma_opts *opts,
				   struct sealbuf_rdma **ret_conn)
{
	struct addrinfo *ai = NULL;
	struct sealbuf_rdma *c = NULL;
	int timeout_ms = 0;
	int ret = ret_conn ? opts_timeout(opts, &timeout_ms)
			   : rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_conn is NULL");

	if (ret == 0)
		ret = resolve(host, port, false, &ai);
	if (ret == 0)
		ret = conn_new(&c);
	if (ret == 0) {
		snprintf(c->peer, sizeof(c->peer), "%s:%s", host, port);
		ret = open_channel(&c->ch);
	}
	if (ret == 0)
		ret = connect_id(c, ai, timeout_ms);
	if (ai)
		freeaddrinfo(ai);
	if (ret < 0) {
		sealbuf_rdma_free(c);
		return ret;
	}
	*ret_conn = c;
	return 0;
}

SEALBUF_EXPORT int sealbuf_rdma_listen(const char *host, const char *port,
				  const struct sealbuf_rdma_opts *opts,
				  struct sealbuf_rdma_listener **ret_listener)
{
	struct sealbuf_rdma_listener *l;
	struct addrinfo *ai = NULL;
	int timeout_ms = 0, ret;

	if (!ret_listener)
		return rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "ret_listener is NULL");
	ret = opts_timeout(opts, &timeout_ms);
	if (ret == 0)
		ret = resolve(host, port, true, &ai);
	if (ret < 0)
		return ret;
	l = calloc(1, sizeof(*l));
	if (!l)
		ret = rb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "no memory for a listener");
	if (ret == 0)
		ret = open_channel(&l->ch);
	if (ret == 0 && rdma_create_id(l->ch, &l->id, NULL, RDMA_PS_TCP))
		ret = rb_fail_sys(-errno, "rdma_create_id");
	if (ret == 0 && rdma_bind_addr(l->id, ai->ai_addr))
		ret = errno == EADDRINUSE ? rb_fail_sys(-EADDRINUSE, "rdma_bind_addr")
			: rb_fail(-ENODEV, SEALBUF_R_NO_RDMA_DEVICE,
				  "cannot listen on %s:%s: %s (the address must be on a netdev with an RDMA device)",
				  host ? host : "*", port, strerror(errno));
	if (ret == 0 && rdma_listen(l->id, 8))
		ret = rb_fail_sys(-errno, "rdma_listen");
	freeaddrinfo(ai);
	if (ret < 0) {
		sealbuf_rdma_listener_free(l);
		return ret;
	}
	l->timeout_ms = timeout_ms;
	*ret_listener = l;
	return 0;
}

SEALBUF_EXPORT void sealbuf_rdma_listener_free(struct sealbuf_rdma_listener *l)
{
	if (!l)
		return;
	if (l->id)
		rdma_destroy_id(l->id);
	if (l->ch)
		rdma_destroy_event_channel(l->ch);
	free(l);
}

static int accept_id(struct sealbuf_rdma *c, struct rdma_cm_id *id, int timeout_ms)
{
	struct rdma_conn_param p = conn_param();
	int ret;

	/* Its own channel, so that its events do not mix with the next peers'. */
	if (rdma_migrate_id(id, c->ch)) {
		ret = rb_fail_sys(-errno, "rdma_migrate_id");
		rdma_reject(id, NULL, 0);
		rdma_destroy_id(id);
		return ret;
	}
	ret = rb_conn_setup(c, id);
	if (ret == 0 && rdma_accept(id, &p))
		ret = rb_fail_sys(-errno, "rdma_accept");
	if (ret == 0)
		ret = rb_cm_wait(c->ch, RDMA_CM_EVENT_ESTABLISHED, timeout_ms, c->peer, NULL);
	return ret;
}

SEALBUF_EXPORT int sealbuf_rdma_accept(struct sealbuf_rdma_listener *l, int timeout_ms,
				  struct sealbuf_rdma **ret_conn)
{
	struct rdma_cm_id *id = NULL;
	struct sealbuf_rdma *c = NULL;
	int ret;

	if (!l || !ret_conn)
		return rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "listener or ret_conn is NULL");
	ret = rb_cm_wait(l->ch, RDMA_CM_EVENT_CONNECT_REQUEST, timeout_ms, "a peer", &id);
	if (ret == -ETIMEDOUT && timeout_ms == 0)
		ret = rb_fail(-EAGAIN, SEALBUF_R_WOULD_BLOCK, "no peer is waiting to connect");
	if (ret == 0)
		ret = conn_new(&c);
	if (ret == 0) {
		snprintf(c->peer, sizeof(c->peer), "the peer");
		ret = open_channel(&c->ch);
	}
	if (ret == 0)
		ret = accept_id(c, id, l->timeout_ms);
	else if (id)
		rdma_reject(id, NULL, 0), rdma_destroy_id(id);
	if (ret < 0) {
		sealbuf_rdma_free(c);
		return ret;
	}
	*ret_conn = c;
	return 0;
}

SEALBUF_EXPORT uint64_t sealbuf_rdma_max_msg_size(const struct sealbuf_rdma *c)
{
	return c ? c->max_msg : 0;
}

static void free_queues(struct sealbuf_rdma *c)
{
	if (c->id && c->id->qp)
		rdma_destroy_qp(c->id);
	if (c->slots_mr)
		ibv_dereg_mr(c->slots_mr);
	if (c->cq)
		ibv_destroy_cq(c->cq);
	if (c->cc)
		ibv_destroy_comp_channel(c->cc);
	if (c->pd)
		ibv_dealloc_pd(c->pd);
}

SEALBUF_EXPORT void sealbuf_rdma_free(struct sealbuf_rdma *c)
{
	if (!c)
		return;
	if (c->id && c->id->qp && !c->closed)
		rdma_disconnect(c->id);
	while (c->mrs)
		sealbuf_rdma_mr_free(c->mrs);
	free_queues(c);
	if (c->id)
		rdma_destroy_id(c->id);
	if (c->ch)
		rdma_destroy_event_channel(c->ch);
	free(c->slots);
	free(c);
}
