/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offers: the description of a registered region sent to the peer
 * (docs/rdma.md). The receiver treats it as hostile input, like a received
 * fd: every field is checked, then the key and the extent are probed with
 * a one-byte RDMA READ of the last byte (written back when the offer
 * grants writes), so a lie fails here rather than in the caller's transfer.
 */
#include <endian.h>
#include <stdio.h>

#include "rdma-internal.h"

#define KNOWN_ACCESS (SEALBUF_RDMA_READ | SEALBUF_RDMA_WRITE | SEALBUF_RDMA_PUBLISH)

void rb_offer_encode(const struct sealbuf_rdma_mr *m, const char *name, struct rb_msg *msg)
{
	bool publish = m->access & SEALBUF_RDMA_PUBLISH;

	memset(msg, 0, sizeof(*msg));
	msg->magic = htole32(RB_MSG_MAGIC);
	msg->version = htole16(RB_MSG_VERSION);
	msg->length = htole16(RB_MSG_SIZE);
	msg->type = htole32(RB_MSG_OFFER);
	msg->id = htole32(m->id);
	msg->kind = htole32((uint32_t)sealbuf_region_kind(m->region));
	msg->access = htole32(m->access);
	msg->rkey = htole32(publish ? m->stage_mr->rkey : m->mr->rkey);
	msg->addr = htole64((uintptr_t)(publish ? m->stage : m->data));
	msg->size = htole64(m->len);
	if (name)
		memcpy(msg->name, name, strlen(name));
}

SEALBUF_EXPORT int sealbuf_rdma_offer(struct sealbuf_rdma *c, const struct sealbuf_rdma_mr *mr,
				 const char *name)
{
	struct sealbuf_rdma_mr *m = (struct sealbuf_rdma_mr *)mr;
	struct rb_msg msg;
	int ret = rb_check_usable(c);

	if (ret == 0 && (!m || m->conn != c))
		ret = rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "the registration is NULL or belongs to another connection");
	if (ret == 0 && !m->access)
		ret = rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			      "the region was registered without access for the peer: nothing to offer");
	if (ret == 0 && name && strlen(name) > SEALBUF_RDMA_NAME_MAX)
		ret = rb_fail(-ENAMETOOLONG, SEALBUF_R_NAME_TOO_LONG, "an offer's name is at most %d bytes",
			      SEALBUF_RDMA_NAME_MAX);
	if (ret < 0)
		return ret;
	if (!m->id)
		m->id = c->next_id++;
	rb_offer_encode(m, name, &msg);
	return rb_send_msg(c, &msg);
}

#define bad(...) rb_fail(-EBADMSG, SEALBUF_R_BAD_MESSAGE, __VA_ARGS__)

static int check_head(const struct rb_msg *m, uint32_t len)
{
	if (len < RB_MSG_SIZE)
		return rb_fail(-EPROTO, SEALBUF_R_TRUNCATED, "an offer of %u bytes; %d expected", len,
			       RB_MSG_SIZE);
	if (le32toh(m->magic) != RB_MSG_MAGIC)
		return bad("offer magic 0x%08x is not \"SBRM\"", le32toh(m->magic));
	if (le16toh(m->version) != RB_MSG_VERSION)
		return rb_fail(-EPROTONOSUPPORT, SEALBUF_R_VERSION,
			       "offer version %u; this library reads version %d", le16toh(m->version),
			       RB_MSG_VERSION);
	if (le16toh(m->length) != RB_MSG_SIZE)
		return bad("offer length field %u is not 128", le16toh(m->length));
	if (le32toh(m->type) != RB_MSG_OFFER)
		return bad("message type %u where an offer was expected", le32toh(m->type));
	if (!m->id || m->status || m->seq || m->reserved)
		return bad("offer has id 0 or a non-zero reserved field");
	return 0;
}

/* kind, access, extent: each field read once, then checked. */
static int check_body(const struct rb_msg *m, struct sealbuf_rdma_remote *r)
{
	uint64_t end, extra;

	r->kind = le32toh(m->kind);
	r->access = le32toh(m->access);
	r->size = le64toh(m->size);
	r->addr = le64toh(m->addr);
	if (r->kind != SEALBUF_KIND_PLAIN && r->kind != SEALBUF_KIND_RESERVED)
		return bad("offer of region kind %u: plain (1) or reserved (2) expected", r->kind);
	if ((r->access & ~KNOWN_ACCESS) || !(r->access & SEALBUF_RDMA_READ))
		return bad("offer access 0x%x: unknown bits, or no READ (every offer grants READ)",
			   r->access);
	if ((r->kind == SEALBUF_KIND_PLAIN) != !(r->access & SEALBUF_RDMA_PUBLISH) ||
	    (r->kind == SEALBUF_KIND_RESERVED && (r->access & SEALBUF_RDMA_WRITE)))
		return bad("offer access 0x%x does not fit its kind (WRITE: plain, PUBLISH: reserved)",
			   r->access);
	extra = r->kind == SEALBUF_KIND_RESERVED ? RB_STAGE_HDR : 0;
	if (!r->size || __builtin_add_overflow(r->addr, r->size + extra, &end) || r->size > (1ull << 48))
		return bad("offer of %llu bytes at an address where they do not fit",
			   (unsigned long long)r->size);
	return 0;
}

static int check_name(const struct rb_msg *m, struct sealbuf_rdma_remote *r)
{
	size_t n = strnlen(m->name, sizeof(m->name));

	if (n == sizeof(m->name))
		return bad("offer name is not NUL-terminated within %zu bytes", sizeof(m->name));
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)m->name[i] < 0x20 || m->name[i] == 0x7f)
			return bad("offer name has a control character at byte %zu", i);
	memcpy(r->name, m->name, n + 1);
	return 0;
}

int rb_offer_decode(const struct rb_msg *m, uint32_t len, struct sealbuf_rdma_remote *r)
{
	int ret = check_head(m, len);

	memset(r, 0, sizeof(*r));
	r->sz = sizeof(*r);
	if (ret == 0)
		ret = check_body(m, r);
	if (ret == 0)
		ret = check_name(m, r);
	r->rkey = le32toh(m->rkey);
	r->id = le32toh(m->id);
	return ret;
}

/* Read the offer's last byte, and write it back if it grants writes. */
static int probe(struct sealbuf_rdma *c, const struct sealbuf_rdma_remote *r)
{
	uint8_t *byte = (uint8_t *)&c->slots[RB_SLOT_WORD];
	uint64_t last = r->addr + (r->kind == SEALBUF_KIND_RESERVED ? RB_STAGE_HDR : 0) + r->size - 1;
	int ret = rb_transfer(c, IBV_WR_RDMA_READ, byte, c->slots_mr->lkey, last, r->rkey, 1);

	if (ret == 0 && (r->access & (SEALBUF_RDMA_WRITE | SEALBUF_RDMA_PUBLISH)))
		ret = rb_transfer(c, IBV_WR_RDMA_WRITE, byte, c->slots_mr->lkey, last, r->rkey, 1);
	if (ret == -EACCES)
		return rb_fail(-EACCES, SEALBUF_R_REMOTE_ACCESS,
			       "offer %u (\"%s\", %llu bytes, access 0x%x) refused: the peer's NIC denied the probe "
			       "of its last byte: a wrong key, a size beyond the registration, or a right it does not grant",
			       r->id, r->name, (unsigned long long)r->size, r->access);
	return ret;
}

static bool is_offer(struct sealbuf_rdma *c, const struct rb_rx *rx, void *arg)
{
	return !rx->with_imm && !rb_is_ack(c, rx, arg);
}

static int wait_offer(struct sealbuf_rdma *c, int timeout_ms, int *ret_i)
{
	uint64_t deadline = rb_deadline(timeout_ms);
	int i;

	while ((i = rb_rx_find(c, is_offer, NULL)) < 0) {
		int ret = rb_check_usable(c);
		if (ret < 0)
			return ret;
		if (rb_deadline_left(deadline) == 0)
			return rb_fail_timeout(timeout_ms, "waiting for an offer");
		ret = rb_progress(c, deadline);
		if (ret < 0)
			return ret;
	}
	*ret_i = i;
	return 0;
}

SEALBUF_EXPORT int sealbuf_rdma_recv_offer(struct sealbuf_rdma *c, int timeout_ms,
				      struct sealbuf_rdma_remote *ret_remote)
{
	struct sealbuf_rdma_remote r;
	struct rb_msg msg;
	int i = 0, ret = rb_check_usable(c);

	if (ret == 0 && (!ret_remote || ret_remote->sz < sizeof(r)))
		ret = rb_fail(-EINVAL, ret_remote ? SEALBUF_R_BAD_OPTS_SIZE : SEALBUF_R_INVALID_ARGUMENT,
			      "ret_remote is NULL or its .sz is below %zu", sizeof(r));
	if (ret == 0)
		ret = wait_offer(c, timeout_ms, &i);
	if (ret < 0)
		return ret;
	/* Copied out of the slot once: the checks and the use see the same bytes. */
	memcpy(&msg, &c->slots[c->rx[i].slot], sizeof(msg));
	ret = rb_offer_decode(&msg, c->rx[i].len, &r);
	rb_rx_drop(c, (unsigned)i);
	if (ret == 0)
		ret = probe(c, &r);
	if (ret < 0)
		return ret;
	memcpy(ret_remote, &r, sizeof(r));
	return 0;
}
