/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One-sided transfers (RDMA WRITE and READ, split at the port's maximum
 * message size) and remote publication into reserved regions: the writer
 * RDMA-WRITEs the payload into the target's staging area, then an RDMA
 * WRITE WITH IMMEDIATE carries the size; the receiving side's agent
 * publishes from the staging area through the region's seqlock (waking its
 * readers) and acknowledges. docs/rdma.md has the protocol and its proof.
 */
#include <endian.h>
#include <stdio.h>

#include "rdma-internal.h"

/* Chain the chunks of one batch, @tail (if any) after the last one. */
static unsigned chain(struct sealbuf_rdma *c, struct ibv_send_wr *wr, struct ibv_sge *sge,
		      enum ibv_wr_opcode op, uint8_t *local, uint32_t lkey, uint64_t raddr,
		      uint32_t rkey, uint64_t len, uint64_t *done)
{
	unsigned n = 0;

	for (; n < RB_BATCH - 1 && *done < len; n++) {
		uint64_t chunk = len - *done < c->max_msg ? len - *done : c->max_msg;
		sge[n] = (struct ibv_sge){ .addr = (uintptr_t)(local + *done), .length = (uint32_t)chunk,
					   .lkey = lkey };
		wr[n] = (struct ibv_send_wr){ .wr_id = n, .opcode = op, .sg_list = &sge[n], .num_sge = 1,
					      .wr.rdma = { .remote_addr = raddr + *done, .rkey = rkey } };
		if (n)
			wr[n - 1].next = &wr[n];
		*done += chunk;
	}
	return n;
}

int rb_transfer_tail(struct sealbuf_rdma *c, enum ibv_wr_opcode op, uint8_t *local,
			 uint32_t lkey, uint64_t raddr, uint32_t rkey, uint64_t len,
			 struct ibv_send_wr *tail)
{
	struct ibv_send_wr wr[RB_BATCH];
	struct ibv_sge sge[RB_BATCH];
	uint64_t done = 0;
	int ret = 0;

	if (c->max_msg > (1u << 30))
		c->max_msg = 1u << 30; /* an sge's length is 32 bits */
	do {
		unsigned n = chain(c, wr, sge, op, local, lkey, raddr, rkey, len, &done);
		if (tail && done == len) {
			wr[n] = *tail;
			if (n)
				wr[n - 1].next = &wr[n];
			n++;
		}
		if (n)
			ret = rb_post_wait(c, wr, n, "ibv_post_send");
	} while (ret == 0 && done < len);
	return ret;
}

int rb_transfer(struct sealbuf_rdma *c, enum ibv_wr_opcode op, uint8_t *local, uint32_t lkey,
		uint64_t raddr, uint32_t rkey, uint64_t len)
{
	return rb_transfer_tail(c, op, local, lkey, raddr, rkey, len, NULL);
}

static int range(uint64_t off, uint64_t len, uint64_t size, const char *whose)
{
	uint64_t end;

	if (__builtin_add_overflow(off, len, &end) || end > size)
		return rb_fail(-ERANGE, SEALBUF_R_RANGE,
			       "%llu bytes at %llu run past the end of the %s (%llu bytes)",
			       (unsigned long long)len, (unsigned long long)off, whose,
			       (unsigned long long)size);
	return 0;
}

static int check_pair(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m,
		      const struct sealbuf_rdma_remote *r)
{
	int ret = rb_check_usable(c);

	if (ret == 0 && (!m || !r || m->conn != c || !m->mr))
		ret = rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "registration or remote is NULL, or the registration is another connection's");
	if (ret == 0 && r->sz < sizeof(*r))
		ret = rb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE, "remote .sz %zu is below %zu", r->sz,
			      sizeof(*r));
	return ret;
}

static int check_xfer(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m, uint64_t off,
		      const struct sealbuf_rdma_remote *r, uint64_t roff, uint64_t len, bool write)
{
	int ret = check_pair(c, m, r);

	if (ret == 0 && r->kind != SEALBUF_KIND_PLAIN)
		ret = rb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			      "offer %u is a reserved region: it takes publications (sealbuf_rdma_publish)", r->id);
	if (ret == 0 && write && !(r->access & SEALBUF_RDMA_WRITE))
		ret = rb_fail(-EROFS, SEALBUF_R_READ_ONLY, "the peer offered \"%s\" (offer %u) read-only",
			      r->name, r->id);
	if (ret == 0 && !write && !m->local_write)
		ret = rb_fail(-EROFS, SEALBUF_R_READ_ONLY,
			      "a read lands in the local region, which is mapped read-only here");
	if (ret == 0)
		ret = range(off, len, m->len, "local region");
	if (ret == 0)
		ret = range(roff, len, r->size, "peer's region");
	return ret;
}

static int xfer(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m, uint64_t off,
		const struct sealbuf_rdma_remote *r, uint64_t roff, uint64_t len, enum ibv_wr_opcode op)
{
	int ret = check_xfer(c, m, off, r, roff, len, op == IBV_WR_RDMA_WRITE);

	return ret < 0 ? ret : rb_transfer(c, op, m->data + off, m->mr->lkey, r->addr + roff, r->rkey, len);
}

SEALBUF_EXPORT int sealbuf_rdma_write(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m,
				 uint64_t off, const struct sealbuf_rdma_remote *r, uint64_t roff,
				 uint64_t len)
{
	return xfer(c, m, off, r, roff, len, IBV_WR_RDMA_WRITE);
}

SEALBUF_EXPORT int sealbuf_rdma_read(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m,
				uint64_t off, const struct sealbuf_rdma_remote *r, uint64_t roff,
				uint64_t len)
{
	return xfer(c, m, off, r, roff, len, IBV_WR_RDMA_READ);
}

/* ------------------------------------------------------------------------ */
/* Remote publication: the writer                                            */
/* ------------------------------------------------------------------------ */

static const struct rb_msg *rx_msg(struct sealbuf_rdma *c, const struct rb_rx *rx)
{
	return &c->slots[rx->slot];
}

/* An ack (for offer *@arg, when given). */
bool rb_is_ack(struct sealbuf_rdma *c, const struct rb_rx *rx, void *arg)
{
	const struct rb_msg *m = rx_msg(c, rx);

	if (rx->with_imm || rx->len < RB_MSG_SIZE || le32toh(m->magic) != RB_MSG_MAGIC ||
	    le32toh(m->type) != RB_MSG_ACK)
		return false;
	return !arg || le32toh(m->id) == *(uint32_t *)arg;
}

static int check_publish(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m, uint64_t size,
			 const struct sealbuf_rdma_remote *r)
{
	int ret = check_pair(c, m, r);

	if (ret == 0 && (r->kind != SEALBUF_KIND_RESERVED || !(r->access & SEALBUF_RDMA_PUBLISH)))
		ret = rb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			      "offer %u (\"%s\") is not a reserved region offered for PUBLISH", r->id, r->name);
	if (ret == 0 && size > r->size)
		ret = rb_fail(-EFBIG, SEALBUF_R_TOO_LARGE,
			      "%llu bytes do not fit the peer's capacity of %llu bytes",
			      (unsigned long long)size, (unsigned long long)r->size);
	if (ret == 0)
		ret = range(0, size, m->len, "local region");
	return ret;
}

static int ack_status(const struct sealbuf_rdma_remote *r, int status)
{
	if (status == -EFBIG)
		return rb_fail(-EFBIG, SEALBUF_R_TOO_LARGE, "the peer refused the publication into \"%s\": too large",
			       r->name);
	return rb_fail(-EIO, SEALBUF_R_TRANSFER_FAILED, "the peer could not publish into \"%s\": %s",
		       r->name, strerror(-status));
}

int rb_wait_ack(struct sealbuf_rdma *c, uint32_t id, int timeout_ms, int *ret_status,
		uint64_t *ret_seq)
{
	uint64_t deadline = rb_deadline(timeout_ms);
	int i;

	while ((i = rb_rx_find(c, rb_is_ack, &id)) < 0) {
		int ret = rb_check_usable(c);
		if (ret == 0 && rb_deadline_left(deadline) == 0)
			ret = rb_fail_timeout(timeout_ms, "waiting for the peer to publish");
		if (ret == 0)
			ret = rb_progress(c, deadline);
		if (ret < 0)
			return ret;
	}
	*ret_status = (int32_t)le32toh((uint32_t)rx_msg(c, &c->rx[i])->status);
	if (ret_seq)
		*ret_seq = le64toh(rx_msg(c, &c->rx[i])->seq);
	rb_rx_drop(c, (unsigned)i);
	return 0;
}

static int wait_ack(struct sealbuf_rdma *c, const struct sealbuf_rdma_remote *r, int timeout_ms,
		    uint64_t *ret_seq)
{
	int status = 0, ret = rb_wait_ack(c, r->id, timeout_ms, &status, ret_seq);

	if (ret == 0 && status < 0)
		ret = ack_status(r, status);
	return ret;
}

SEALBUF_EXPORT int sealbuf_rdma_publish(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *m,
				   uint64_t size, const struct sealbuf_rdma_remote *r, int timeout_ms,
				   uint64_t *ret_seq)
{
	uint64_t *word;
	struct ibv_sge sge;
	struct ibv_send_wr notice;
	int ret = check_publish(c, m, size, r);

	if (ret < 0)
		return ret;
	/* The size rides in the notice; the payload goes first, on the same queue pair. */
	word = (uint64_t *)(void *)&c->slots[RB_SLOT_WORD];
	*word = htole64(size);
	sge = (struct ibv_sge){ .addr = (uintptr_t)word, .length = sizeof(*word), .lkey = c->slots_mr->lkey };
	notice = (struct ibv_send_wr){ .opcode = IBV_WR_RDMA_WRITE_WITH_IMM, .sg_list = &sge,
				       .num_sge = 1, .imm_data = htobe32(r->id),
				       .wr.rdma = { .remote_addr = r->addr, .rkey = r->rkey } };
	ret = rb_transfer_tail(c, IBV_WR_RDMA_WRITE, m->data, m->mr->lkey, r->addr + RB_STAGE_HDR,
			    r->rkey, size, &notice);
	return ret < 0 ? ret : wait_ack(c, r, timeout_ms, ret_seq);
}

/* ------------------------------------------------------------------------ */
/* Remote publication: the receiving side's agent                            */
/* ------------------------------------------------------------------------ */

static bool is_notice(struct sealbuf_rdma *c, const struct rb_rx *rx, void *arg)
{
	return rx->with_imm;
}

static struct sealbuf_rdma_mr *publish_target(struct sealbuf_rdma *c, uint32_t id)
{
	for (struct sealbuf_rdma_mr *m = c->mrs; m; m = m->next)
		if (m->id == id && m->stage)
			return m;
	return NULL;
}

static int send_ack(struct sealbuf_rdma *c, uint32_t id, int status, uint64_t seq)
{
	struct rb_msg a = { .magic = htole32(RB_MSG_MAGIC), .version = htole16(RB_MSG_VERSION),
			    .length = htole16(RB_MSG_SIZE), .type = htole32(RB_MSG_ACK),
			    .id = htole32(id), .status = (int32_t)htole32((uint32_t)status),
			    .seq = htole64(seq) };

	return rb_send_msg(c, &a);
}

/* The staging area holds what the writer sent: its size word is read once, then checked. */
static int apply(struct sealbuf_rdma *c, uint32_t id, bool *applied)
{
	struct sealbuf_rdma_mr *m = publish_target(c, id);
	uint64_t size;
	int status;

	if (!m) {
		rb_log(LOG_WARNING, "publication into unknown offer %u refused", id);
		return send_ack(c, id, -ENOENT, 0);
	}
	size = le64toh(*(volatile uint64_t *)(void *)m->stage);
	if (size > m->len) {
		rb_log(LOG_WARNING, "publication of %llu bytes into a capacity of %llu refused",
		       (unsigned long long)size, (unsigned long long)m->len);
		return send_ack(c, id, -EFBIG, 0);
	}
	status = sealbuf_region_write(m->region, m->stage + RB_STAGE_HDR, (size_t)size);
	*applied = status == 0;
	return send_ack(c, id, status, sealbuf_region_seq(m->region));
}

SEALBUF_EXPORT int sealbuf_rdma_serve(struct sealbuf_rdma *c, int timeout_ms)
{
	uint64_t deadline = rb_deadline(timeout_ms);
	int count = 0, ret = rb_check_usable(c);

	while (ret >= 0) {
		int i;
		while ((i = rb_rx_find(c, is_notice, NULL)) >= 0) {
			uint32_t id = c->rx[i].imm;
			bool applied = false;
			rb_rx_drop(c, (unsigned)i);
			ret = apply(c, id, &applied);
			if (ret < 0)
				return ret;
			count += applied;
		}
		if (count || rb_deadline_left(deadline) == 0)
			return count;
		ret = rb_check_usable(c);
		if (ret == 0)
			ret = rb_progress(c, deadline);
	}
	return ret;
}
