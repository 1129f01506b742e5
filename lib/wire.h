/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The socket message that travels with a region's fd: docs/wire-format.md. */
#ifndef SEALBUF_WIRE_H
#define SEALBUF_WIRE_H

#include <stddef.h>
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include <string.h>
#include <sys/socket.h>

#include "sealbuf.h"

#define SB_WIRE_MAGIC 0x46554253u /* "SBUF" in little-endian byte order */
#define SB_WIRE_VERSION 1
#define SB_WIRE_LEN 32
#define SB_WIRE_RDONLY 0x1u /* the fd is read-only: open it with SEALBUF_OPEN_RDONLY */

struct sb_wire {
	uint32_t magic;
	uint16_t version;
	uint16_t length;   /* bytes in the whole message */
	uint32_t kind;     /* enum sealbuf_kind */
	uint32_t flags;    /* SB_WIRE_* */
	uint64_t size;     /* plain: requested size; reserved/mirror: capacity */
	uint64_t file_size;/* bytes in the memfd */
};

/* Little-endian fields at any alignment. */
static inline void put16(uint8_t *p, uint16_t v) { v = htole16(v); memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static inline uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return le16toh(v); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }

void sb_wire_encode(const struct sb_wire *w, uint8_t out[SB_WIRE_LEN]);
/* Parse and check an untrusted message of @len bytes. */
int sb_wire_decode(const uint8_t *buf, size_t len, struct sb_wire *out);

/*
 * Version 2: a frame (frame_wire.c). A 40-byte head, then 16 bytes per plane
 * and 64 per buffer; one fd per buffer rides along, in order.
 */
#define SB_WIRE_VERSION_FRAME 2
#define SB_FRAME_HEAD_LEN 40
#define SB_FRAME_PLANE_LEN 16
#define SB_FRAME_BUFFER_LEN 64
#define SB_FRAME_EXPORTER_LEN 32
/* The longest message of any version: a frame with every plane and buffer. */
#define SB_MSG_MAX                                                             \
	(SB_FRAME_HEAD_LEN + SEALBUF_FRAME_MAX_PLANES * SB_FRAME_PLANE_LEN +   \
	 SEALBUF_FRAME_MAX_BUFFERS * SB_FRAME_BUFFER_LEN)

enum sb_buffer_type { SB_BUFFER_REGION = 1, SB_BUFFER_DMABUF = 2 };

/* One buffer of a frame as it travels. */
struct sb_wire_buffer {
	uint32_t type;      /* enum sb_buffer_type */
	uint32_t flags;     /* SB_WIRE_RDONLY */
	uint32_t kind;      /* region: enum sealbuf_kind; dma-buf: 0 */
	uint64_t size;      /* region: as sb_wire.size; dma-buf: its size */
	uint64_t file_size; /* region: bytes in the memfd; dma-buf: its size */
	char exporter[SB_FRAME_EXPORTER_LEN]; /* dma-buf: its exporter, NUL-terminated */
};

struct sb_wire_frame {
	struct sealbuf_frame_desc desc;
	struct sb_wire_buffer buffers[SEALBUF_FRAME_MAX_BUFFERS];
};

/* Bytes of the version 2 message for @desc. */
size_t sb_frame_wire_len(const struct sealbuf_frame_desc *desc);
/* Encode into @out (sb_frame_wire_len() bytes); returns that length. */
size_t sb_frame_wire_encode(const struct sb_wire_frame *f, uint8_t *out);
/* Parse and check an untrusted version 2 message, its planes against its buffers. */
int sb_frame_wire_decode(const uint8_t *buf, size_t len, struct sb_wire_frame *out);
/* A version 2 preamble's declared length, when it is one we could read (stream framing). */
int sb_wire_peek_length(const uint8_t *buf, size_t len, size_t *ret);

/*
 * The format rules (frame_wire.c): @desc is well formed (known format,
 * linear, plane count, buffers referenced, strides and offsets) and each
 * plane ends inside a buffer of the size in @sizes (NULL: sizes unchecked).
 * @err is the errno to fail with (-EINVAL for a caller's, -EBADMSG for a peer's).
 */
int sb_frame_check(const struct sealbuf_frame_desc *desc, const uint64_t *sizes, int err);
/* Bytes buffer @index must hold for @desc's planes (checked desc). */
uint64_t sb_frame_buffer_need(const struct sealbuf_frame_desc *desc, uint32_t index);

/* ipc.c: messages with fds, shared by regions and frames. */
#define SB_INBOX_FDS 8
struct sb_inbox {
	int fds[SB_INBOX_FDS];
	size_t nfds;
	struct ucred cred; /* SCM_CREDENTIALS, when the caller set SO_PASSCRED */
	bool have_cred;
	int pidfd;         /* SCM_PIDFD, when the caller set SO_PASSPIDFD; else -1 (initialise so) */
	size_t dropped; /* SCM_RIGHTS fds past our room, closed on arrival */
	bool ctrunc;
	uint8_t buf[SB_MSG_MAX + 1]; /* one spare byte reveals an oversized datagram */
	size_t len;
	bool oversized;
};
/* One sendmsg of @len bytes with @nfds fds (1..SB_INBOX_FDS); a stream's rest follows. */
int sb_send_fds(int sock, const int *fds, size_t nfds, const uint8_t *buf, size_t len);
/* Read one message; @timeout_ms as poll(2); @expect: its exact size if known, else 0. */
int sb_recv_message(int sock, int timeout_ms, size_t expect, struct sb_inbox *in);
/* Exactly @want fds arrived, none dropped. */
int sb_inbox_check_fds(const struct sb_inbox *in, size_t want);
void sb_inbox_close(struct sb_inbox *in);
/* Open the region @w describes from its @fd (taken), as sealbuf_region_recv() does. */
int sb_open_received(const struct sb_wire *w, int fd, uint32_t flags,
		     struct sealbuf_region **ret);

/* Whom a receive accepts and tells about: the peer options of sealbuf_recv_opts. */
struct sb_peer_rule {
	uint32_t flags;              /* SEALBUF_RECV_SAME_UID, SEALBUF_RECV_PEER_PIDFD */
	const uint32_t *allow_uids;
	uint32_t n_allow_uids;
	struct sealbuf_peer *ret_peer;
	const char *what;            /* "region", "frame": for the error text */
};
/* The options are consistent (allow_uids given, ret_peer's .sz large enough). */
int sb_peer_rule_check(const struct sb_peer_rule *rule);
/* Fill *@peer if asked; -EACCES (SEALBUF_R_PEER_REFUSED) for a sender @rule refuses. */
int sb_identify(int sock, const struct sb_peer_rule *rule, struct sb_inbox *in,
		struct sealbuf_peer *peer);
/* Store *@peer in rule->ret_peer, or close its pidfd. */
void sb_peer_hand_back(const struct sb_peer_rule *rule, struct sealbuf_peer *peer);

#endif
