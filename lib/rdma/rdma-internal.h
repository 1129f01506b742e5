/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations of libsealbuf-rdma, shared by its files and its tests
 * (never by tools/). Its private names across files are rb_*, apart from the
 * core library's sb_*: the two are separate libraries.
 */
#ifndef SEALBUF_RDMA_INTERNAL_H
#define SEALBUF_RDMA_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "sealbuf-rdma.h"

#define SEALBUF_EXPORT __attribute__((visibility("default")))

/* Failures go to the core library's per-thread reason (sealbuf_last_reason()). */
#define rb_fail(err, reason, ...)                                              \
	sealbuf_fail_at((err), (reason), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define rb_log(prio, ...) sealbuf_log_at((prio), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define rb_fail_sys(err, what)                                                 \
	rb_fail((err), SEALBUF_R_SYSCALL, "%s: %s", (what), strerror(-(err)))

/* ------------------------------------------------------------------------ */
/* The wire message (docs/rdma.md): 128 bytes, little-endian, over RDMA SEND */
/* ------------------------------------------------------------------------ */

#define RB_MSG_MAGIC 0x4d524253u /* "SBRM" */
#define RB_MSG_VERSION 1
#define RB_MSG_SIZE 128
#define RB_STAGE_HDR 64          /* a publish target: size word, then the payload at +64 */

enum rb_msg_type {
	RB_MSG_OFFER = 1,
	RB_MSG_ACK = 2, /* a remote publication was applied (or refused) */
};

struct rb_msg {
	uint32_t magic;     /* RB_MSG_MAGIC */
	uint16_t version;   /* RB_MSG_VERSION */
	uint16_t length;    /* RB_MSG_SIZE */
	uint32_t type;      /* enum rb_msg_type */
	uint32_t id;        /* the offer's number, non-zero */
	uint32_t kind;      /* offer: enum sealbuf_kind */
	uint32_t access;    /* offer: enum sealbuf_rdma_access */
	uint32_t rkey;      /* offer */
	int32_t status;     /* ack: 0 or -errno */
	uint64_t addr;      /* offer */
	uint64_t size;      /* offer */
	uint64_t seq;       /* ack: the sequence the readers see */
	uint64_t reserved;  /* 0 */
	char name[SEALBUF_RDMA_NAME_MAX + 1]; /* offer: NUL-terminated */
};
_Static_assert(sizeof(struct rb_msg) == RB_MSG_SIZE, "the message is 128 bytes");

/* ------------------------------------------------------------------------ */
/* Objects                                                                   */
/* ------------------------------------------------------------------------ */

#define RB_RECV_DEPTH 16 /* receive slots: offers, acks and publication notices */
#define RB_SEND_DEPTH 64
#define RB_BATCH 16      /* work requests posted at once */
#define RB_SLOT_SEND RB_RECV_DEPTH
#define RB_SLOT_WORD (RB_RECV_DEPTH + 1) /* the size word of a publication; the probe byte */
#define RB_SLOTS (RB_RECV_DEPTH + 2)

/* A completed receive not consumed yet: its slot stays unposted until then. */
struct rb_rx {
	uint32_t slot;
	uint32_t len;
	uint32_t imm;       /* host order */
	bool with_imm;      /* a publication notice (RDMA WRITE with immediate) */
};

struct sealbuf_rdma {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	struct ibv_pd *pd;
	struct ibv_comp_channel *cc;
	struct ibv_cq *cq;
	uint64_t max_msg;
	struct rb_msg *slots;     /* RB_SLOTS messages, registered as slots_mr */
	struct ibv_mr *slots_mr;
	struct rb_rx rx[RB_RECV_DEPTH];
	unsigned nrx;
	unsigned sends_done;      /* signalled send completions since the last post */
	int broken;               /* first fatal error (< 0): every later call fails with it */
	enum sealbuf_reason broken_reason;
	bool closed;              /* the peer disconnected */
	bool no_dmabuf;           /* the provider refused ibv_reg_dmabuf_mr once */
	uint32_t next_id;
	struct sealbuf_rdma_mr *mrs;
	char peer[64];            /* "host:port", for messages */
};

struct sealbuf_rdma_listener {
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	int timeout_ms;
};

struct sealbuf_rdma_mr {
	struct sealbuf_rdma *conn;
	struct sealbuf_rdma_mr *next;
	struct sealbuf_region *region;
	struct ibv_mr *mr;
	uint8_t *data;
	uint64_t len;
	uint32_t access;          /* enum sealbuf_rdma_access */
	bool local_write;         /* can be the target of a READ */
	int dmabuf_fd;            /* -1 unless registered through the dma-buf */
	uint32_t id;              /* offer number once offered, else 0 */
	uint8_t *stage;           /* PUBLISH: where the peer writes, RB_STAGE_HDR + capacity */
	size_t stage_len;
	struct ibv_mr *stage_mr;
};

/* conn.c */
int rb_opts_load(const void *opts, size_t our_sz, void *out);
int rb_conn_setup(struct sealbuf_rdma *c, struct rdma_cm_id *id);
int rb_cm_wait(struct rdma_event_channel *ch, enum rdma_cm_event_type want, int timeout_ms,
	       const char *peer, struct rdma_cm_id **ret_id);
int rb_no_device(void);
void rb_mr_unlink(struct sealbuf_rdma_mr *mr);
int rb_timeout(int timeout_ms);

/* cq.c: posting, completions, the received-message queue. */
uint64_t rb_deadline(int timeout_ms);
int rb_deadline_left(uint64_t deadline);
int rb_check_usable(struct sealbuf_rdma *c);
int rb_post_wait(struct sealbuf_rdma *c, struct ibv_send_wr *wr, unsigned n, const char *what);
int rb_progress(struct sealbuf_rdma *c, uint64_t deadline);
int rb_post_recv(struct sealbuf_rdma *c, uint32_t slot);
void rb_rx_drop(struct sealbuf_rdma *c, unsigned i);
int rb_send_msg(struct sealbuf_rdma *c, const struct rb_msg *m);
/* The index in c->rx of the first received message matching @pred, or -1. */
int rb_rx_find(struct sealbuf_rdma *c, bool (*pred)(struct sealbuf_rdma *, const struct rb_rx *, void *),
	       void *arg);
int rb_fail_timeout(int timeout_ms, const char *what);

/* offer.c; rb_send_raw also serves the tests' lying peer. */
void rb_offer_encode(const struct sealbuf_rdma_mr *mr, const char *name, struct rb_msg *m);
int rb_offer_decode(const struct rb_msg *m, uint32_t len, struct sealbuf_rdma_remote *r);
int rb_send_raw(struct sealbuf_rdma *c, const void *msg, size_t len);

/* xfer.c */
int rb_transfer(struct sealbuf_rdma *c, enum ibv_wr_opcode op, uint8_t *local, uint32_t lkey,
		uint64_t raddr, uint32_t rkey, uint64_t len);
int rb_transfer_tail(struct sealbuf_rdma *c, enum ibv_wr_opcode op, uint8_t *local, uint32_t lkey,
		     uint64_t raddr, uint32_t rkey, uint64_t len, struct ibv_send_wr *tail);
bool rb_is_ack(struct sealbuf_rdma *c, const struct rb_rx *rx, void *arg);
/* The ack for offer @id: its status (0 or -errno) and sequence. */
int rb_wait_ack(struct sealbuf_rdma *c, uint32_t id, int timeout_ms, int *ret_status,
		uint64_t *ret_seq);

#endif
