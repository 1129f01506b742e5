/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Work requests and completions. Every send-side request is signalled and
 * waited for before the call returns, so buffers are never reused early.
 * Receives that complete meanwhile are queued (their slot stays unposted
 * until consumed, which bounds the queue): offers, acks and publication
 * notices each find theirs there. The first failed completion breaks the
 * connection (the queue pair is in the error state): later calls fail fast
 * with the same reason.
 */
#include <poll.h>
#include <time.h>

#include "rdma-internal.h"

#define NS_PER_MS 1000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t rb_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : now_ns() + (uint64_t)timeout_ms * NS_PER_MS;
}

/* Milliseconds left before @deadline, for poll(): -1 for none, 0 when past. */
int rb_deadline_left(uint64_t deadline)
{
	uint64_t now = now_ns();

	if (deadline == UINT64_MAX)
		return -1;
	if (now >= deadline)
		return 0;
	uint64_t ms = (deadline - now + NS_PER_MS - 1) / NS_PER_MS;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int rb_fail_timeout(int timeout_ms, const char *what)
{
	if (timeout_ms == 0)
		return rb_fail(-EAGAIN, SEALBUF_R_WOULD_BLOCK, "%s: nothing yet", what);
	return rb_fail(-ETIMEDOUT, SEALBUF_R_TIMEOUT, "%s: nothing within %d ms", what, timeout_ms);
}

int rb_check_usable(struct sealbuf_rdma *c)
{
	if (!c)
		return rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "connection is NULL");
	if (c->broken)
		return rb_fail(c->broken, c->broken_reason,
			       "the connection to %s broke on an earlier error: connect again", c->peer);
	if (c->closed)
		return rb_fail(-ECONNRESET, SEALBUF_R_PEER_CLOSED, "%s disconnected", c->peer);
	return 0;
}

/* A failed completion: what it means to the user, and the connection is gone. */
static int wc_error(struct sealbuf_rdma *c, const struct ibv_wc *wc)
{
	enum sealbuf_reason reason = SEALBUF_R_TRANSFER_FAILED;
	const char *why = "";
	int err = -EIO;

	switch (wc->status) {
	case IBV_WC_REM_ACCESS_ERR:
	case IBV_WC_REM_INV_REQ_ERR:
		err = -EACCES;
		reason = SEALBUF_R_REMOTE_ACCESS;
		why = ": the peer's side refused the key, the range or the right (a wrong or stale offer?)";
		break;
	case IBV_WC_RETRY_EXC_ERR:
	case IBV_WC_RNR_RETRY_EXC_ERR:
		err = -ECONNRESET;
		reason = SEALBUF_R_PEER_CLOSED;
		why = ": the peer stopped answering (gone, or not receiving)";
		break;
	case IBV_WC_WR_FLUSH_ERR:
		/* Our queue pair went to the error state: the peer tore the connection down. */
		err = -ECONNRESET;
		reason = SEALBUF_R_PEER_CLOSED;
		why = ": the connection was torn down";
		break;
	default:
		break;
	}
	if (!c->broken) {
		c->broken = err;
		c->broken_reason = reason;
	}
	return rb_fail(err, reason, "%s: %s%s", c->peer, ibv_wc_status_str(wc->status), why);
}

static int take(struct sealbuf_rdma *c, const struct ibv_wc *wc)
{
	if (wc->status != IBV_WC_SUCCESS)
		return wc->status == IBV_WC_WR_FLUSH_ERR && c->broken ? c->broken : wc_error(c, wc);
	if (!(wc->opcode & IBV_WC_RECV)) {
		c->sends_done++;
		return 0;
	}
	c->rx[c->nrx++] = (struct rb_rx){
		.slot = (uint32_t)wc->wr_id,
		.len = wc->byte_len,
		.imm = (wc->wc_flags & IBV_WC_WITH_IMM) ? be32toh(wc->imm_data) : 0,
		.with_imm = wc->opcode == IBV_WC_RECV_RDMA_WITH_IMM,
	};
	return 0;
}

static int drain(struct sealbuf_rdma *c)
{
	struct ibv_wc wc[8];
	int n, got = 0;

	while ((n = ibv_poll_cq(c->cq, 8, wc)) > 0) {
		for (int i = 0; i < n; i++) {
			int ret = take(c, &wc[i]);
			if (ret < 0)
				return ret;
		}
		got += n;
	}
	return n < 0 ? rb_fail_sys(-EIO, "ibv_poll_cq") : got;
}

/* A disconnect arrives on the connection's event channel, not as a completion. */
static void cm_events(struct sealbuf_rdma *c)
{
	struct rdma_cm_event *ev;

	while (rdma_get_cm_event(c->ch, &ev) == 0) {
		if (ev->event == RDMA_CM_EVENT_DISCONNECTED ||
		    ev->event == RDMA_CM_EVENT_DEVICE_REMOVAL ||
		    ev->event == RDMA_CM_EVENT_TIMEWAIT_EXIT)
			c->closed = true;
		rdma_ack_cm_event(ev);
	}
}

/* Sleep on the completion channel until something completes or @deadline. */
static int sleep_cq(struct sealbuf_rdma *c, uint64_t deadline)
{
	struct pollfd p[2] = { { .fd = c->cc->fd, .events = POLLIN },
			       { .fd = c->ch->fd, .events = POLLIN } };
	void *ctx;
	struct ibv_cq *cq;

	if (poll(p, 2, rb_deadline_left(deadline)) < 0 && errno != EINTR)
		return rb_fail_sys(-errno, "poll");
	if (p[1].revents)
		cm_events(c);
	if (p[0].revents && ibv_get_cq_event(c->cc, &cq, &ctx) == 0)
		ibv_ack_cq_events(cq, 1);
	return 0;
}

/*
 * Take what has completed; if nothing has, arm the CQ, look again (a
 * completion may have slipped in before the arming) and sleep once.
 * Returns how many completions were taken.
 */
int rb_progress(struct sealbuf_rdma *c, uint64_t deadline)
{
	int ret = drain(c);

	if (ret != 0)
		return ret;
	if (ibv_req_notify_cq(c->cq, 0))
		return rb_fail_sys(-EIO, "ibv_req_notify_cq");
	ret = drain(c);
	if (ret != 0)
		return ret;
	ret = sleep_cq(c, deadline);
	return ret < 0 ? ret : drain(c);
}

int rb_post_wait(struct sealbuf_rdma *c, struct ibv_send_wr *wr, unsigned n, const char *what)
{
	struct ibv_send_wr *bad;
	int ret;

	c->sends_done = 0;
	ret = ibv_post_send(c->id->qp, wr, &bad);
	if (ret)
		return rb_fail_sys(-ret, what);
	while (c->sends_done < n) {
		ret = rb_progress(c, UINT64_MAX);
		if (ret < 0)
			return ret;
		if (c->closed && c->sends_done < n && ret == 0)
			return rb_check_usable(c);
	}
	return 0;
}

int rb_post_recv(struct sealbuf_rdma *c, uint32_t slot)
{
	struct ibv_sge sge = { .addr = (uintptr_t)&c->slots[slot], .length = RB_MSG_SIZE,
			       .lkey = c->slots_mr->lkey };
	struct ibv_recv_wr wr = { .wr_id = slot, .sg_list = &sge, .num_sge = 1 }, *bad;
	int ret = ibv_post_recv(c->id->qp, &wr, &bad);

	return ret ? rb_fail_sys(-ret, "ibv_post_recv") : 0;
}

/* Done with received message @i: its slot takes the next one. */
void rb_rx_drop(struct sealbuf_rdma *c, unsigned i)
{
	uint32_t slot = c->rx[i].slot;

	c->rx[i] = c->rx[--c->nrx];
	if (!c->broken && !c->closed)
		rb_post_recv(c, slot);
}

int rb_rx_find(struct sealbuf_rdma *c, bool (*pred)(struct sealbuf_rdma *, const struct rb_rx *, void *),
	       void *arg)
{
	for (unsigned i = 0; i < c->nrx; i++)
		if (pred(c, &c->rx[i], arg))
			return (int)i;
	return -1;
}

int rb_send_raw(struct sealbuf_rdma *c, const void *msg, size_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)&c->slots[RB_SLOT_SEND],
			       .length = (uint32_t)len, .lkey = c->slots_mr->lkey };
	struct ibv_send_wr wr = { .opcode = IBV_WR_SEND, .sg_list = &sge, .num_sge = 1 };
	int ret = rb_check_usable(c);

	if (ret < 0)
		return ret;
	if (len > RB_MSG_SIZE)
		return rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "a message is at most %d bytes",
			       RB_MSG_SIZE);
	memcpy(&c->slots[RB_SLOT_SEND], msg, len);
	return rb_post_wait(c, &wr, 1, "ibv_post_send (message)");
}

int rb_send_msg(struct sealbuf_rdma *c, const struct rb_msg *m)
{
	return rb_send_raw(c, m, sizeof(*m));
}
