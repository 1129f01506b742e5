/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libsealbuf-rdma: sealbuf regions to remote peers over RDMA (rdma-core).
 *
 * A connection (librdmacm, by address and port) joins two processes, on one
 * host or two. Each side registers regions on it (libibverbs memory
 * registration: access follows the region), offers them to the peer with a
 * versioned description (docs/rdma.md), and moves bytes with one-sided RDMA
 * WRITE and READ. A reserved region offered for publishing receives whole
 * publications from the remote writer: its local readers see them through
 * sealbuf_region_snapshot() and wake from sealbuf_region_wait() as they do
 * for a local writer, never torn (docs/rdma.md says why).
 *
 * The conventions of sealbuf.h hold here: 0 or -errno, the reason in
 * sealbuf_last_reason() / sealbuf_last_error() (this library records its
 * failures there), ret_ out-parameters, destructors accept NULL, option
 * structs with .sz (SEALBUF_OPTS). Timeouts follow poll(2): < 0 waits
 * forever, 0 does not wait, > 0 milliseconds.
 *
 * One connection is used by one thread at a time.
 */
#ifndef SEALBUF_RDMA_H
#define SEALBUF_RDMA_H

#include <stdint.h>

#include <sealbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sealbuf_rdma;          /* a connection to one peer */
struct sealbuf_rdma_listener; /* a listening endpoint */
struct sealbuf_rdma_mr;       /* a region registered on a connection */

struct sealbuf_rdma_opts {
	size_t sz;       /* sizeof(struct sealbuf_rdma_opts) */
	int timeout_ms;  /* address, route and connection set-up; 0 = the default 10000 */
	uint32_t flags;  /* none defined: 0 */
};

/*
 * Listen on @host (a local address of an RDMA netdev; NULL = all) and @port.
 * Errors: -EINVAL, -ENODEV (SEALBUF_R_NO_RDMA_DEVICE: no device, or the
 * address is not on a netdev with one; the text says how to add a soft RoCE
 * device), -EADDRINUSE (SEALBUF_R_SYSCALL), kernel errnos.
 */
int sealbuf_rdma_listen(const char *host, const char *port, const struct sealbuf_rdma_opts *opts,
			struct sealbuf_rdma_listener **ret_listener);
void sealbuf_rdma_listener_free(struct sealbuf_rdma_listener *listener);

/*
 * Wait up to @timeout_ms for one peer and accept it. Errors: -ETIMEDOUT
 * (SEALBUF_R_TIMEOUT), -EAGAIN (@timeout_ms 0, nobody waiting), -ENOMEM,
 * -ECONNRESET (the peer gave up during set-up), kernel errnos.
 */
int sealbuf_rdma_accept(struct sealbuf_rdma_listener *listener, int timeout_ms,
			struct sealbuf_rdma **ret_conn);

/*
 * Connect to @host:@port. Errors: -EINVAL, -ENODEV (SEALBUF_R_NO_RDMA_DEVICE),
 * -EHOSTUNREACH or -ECONNREFUSED (SEALBUF_R_PEER_UNREACHABLE: no route, no
 * RDMA device on the way, nobody listening), -ETIMEDOUT, kernel errnos.
 */
int sealbuf_rdma_connect(const char *host, const char *port, const struct sealbuf_rdma_opts *opts,
			 struct sealbuf_rdma **ret_conn);

/*
 * Disconnect, deregister and free what is still registered on it (those
 * sealbuf_rdma_mr pointers are then gone), free. NULL is a no-op.
 */
void sealbuf_rdma_free(struct sealbuf_rdma *conn);

/* The largest single transfer of the port (ibv_port_attr.max_msg_sz); larger ones are split. */
uint64_t sealbuf_rdma_max_msg_size(const struct sealbuf_rdma *conn);

enum sealbuf_rdma_access {
	SEALBUF_RDMA_READ = 1u << 0,    /* the peer may RDMA READ the region */
	SEALBUF_RDMA_WRITE = 1u << 1,   /* the peer may RDMA WRITE it (plain regions) */
	SEALBUF_RDMA_PUBLISH = 1u << 2, /* the peer may publish into it (reserved regions) */
};

enum sealbuf_rdma_register_flags {
	/* Fail with -EOPNOTSUPP (SEALBUF_R_NO_DMABUF_MR) rather than fall back to ibv_reg_mr. */
	SEALBUF_RDMA_REGISTER_DMABUF = 1u << 0,
};

struct sealbuf_rdma_register_opts {
	size_t sz;       /* sizeof(struct sealbuf_rdma_register_opts) */
	uint32_t access; /* enum sealbuf_rdma_access: what the peer may do */
	uint32_t flags;  /* enum sealbuf_rdma_register_flags */
};

/*
 * Register @region on @conn's device, for local use as the source or target
 * of transfers and, with @opts->access, for the peer. Access follows the
 * region: a read-only mapping can only be read by the peer (asking for
 * WRITE or PUBLISH is -EROFS, SEALBUF_R_READ_ONLY) and cannot receive an
 * RDMA READ; WRITE needs a plain region and PUBLISH a reserved one
 * (-EMEDIUMTYPE). The region's dma-buf (udmabuf) is registered with
 * ibv_reg_dmabuf_mr when the provider supports it, so the NIC reads the
 * pages the dma-buf pins; otherwise (soft RoCE: EOPNOTSUPP) the mapping is
 * registered with ibv_reg_mr and the reason is logged at LOG_INFO. The
 * region must outlive the registration. Registration pins the memory,
 * which counts against RLIMIT_MEMLOCK for processes without CAP_IPC_LOCK.
 * Errors: -EINVAL, -EROFS, -EMEDIUMTYPE, -ENODATA (empty region),
 * -ENOMEM (SEALBUF_R_MEMLOCK_LIMIT: the limit and how to raise it are in
 * the text; or SEALBUF_R_NO_MEMORY), -EOPNOTSUPP (SEALBUF_R_NO_DMABUF_MR),
 * kernel errnos.
 */
int sealbuf_rdma_register(struct sealbuf_rdma *conn, struct sealbuf_region *region,
			  const struct sealbuf_rdma_register_opts *opts,
			  struct sealbuf_rdma_mr **ret_mr);
/* Deregister (the region stays). NULL is a no-op. */
void sealbuf_rdma_mr_free(struct sealbuf_rdma_mr *mr);
/* Whether the NIC reaches @mr through the region's dma-buf (ibv_reg_dmabuf_mr). */
bool sealbuf_rdma_mr_dmabuf(const struct sealbuf_rdma_mr *mr);

#define SEALBUF_RDMA_NAME_MAX 63

/*
 * A region the peer offered: its description, validated on receipt
 * (docs/rdma.md). Filled by sealbuf_rdma_recv_offer(); .sz set by the caller.
 */
struct sealbuf_rdma_remote {
	size_t sz;        /* sizeof(struct sealbuf_rdma_remote) */
	uint64_t size;    /* bytes the peer offers: a plain region's size, a reserved one's capacity */
	uint32_t access;  /* enum sealbuf_rdma_access granted */
	uint32_t kind;    /* enum sealbuf_kind */
	uint64_t addr;    /* the peer's address of the first byte */
	uint32_t rkey;    /* the peer's key */
	uint32_t id;      /* the offer's number on this connection */
	char name[SEALBUF_RDMA_NAME_MAX + 1]; /* the region's name ("" if none) */
};

/*
 * Offer @mr to the peer with @mr's access, under @name (NULL: none; at most
 * SEALBUF_RDMA_NAME_MAX bytes). Errors: -EINVAL, -ENAMETOOLONG,
 * -ECONNRESET (SEALBUF_R_PEER_CLOSED), -EIO (SEALBUF_R_TRANSFER_FAILED).
 */
int sealbuf_rdma_offer(struct sealbuf_rdma *conn, const struct sealbuf_rdma_mr *mr,
		       const char *name);

/*
 * Wait up to @timeout_ms for the peer's next offer, validate it as hostile
 * input (magic, version, length, kind, access bits, size, address range,
 * name) and probe it: an RDMA READ of its last byte (a wrong key or a size
 * beyond the registration fails there), written back for a WRITE offer (a
 * write right the peer does not grant fails there). A probe that fails
 * breaks the connection: a peer that lies loses it. Errors: -EBADMSG
 * (SEALBUF_R_BAD_MESSAGE), -EPROTONOSUPPORT (SEALBUF_R_VERSION), -EPROTO
 * (SEALBUF_R_TRUNCATED), -EACCES (SEALBUF_R_REMOTE_ACCESS: the probe was
 * refused), -ETIMEDOUT, -EAGAIN, -ECONNRESET.
 */
int sealbuf_rdma_recv_offer(struct sealbuf_rdma *conn, int timeout_ms,
			    struct sealbuf_rdma_remote *ret_remote);

/*
 * Copy @len bytes from @mr at @off (in the region's data) to @remote at
 * @remote_off (write), or the other way (read), and wait for completion.
 * Transfers above the port's maximum message size are split. A read needs
 * a writable local region and READ access; a write needs WRITE access on a
 * plain remote region (a reserved one takes publications: -EMEDIUMTYPE).
 * Errors: -EINVAL, -ERANGE (SEALBUF_R_RANGE: past either end), -EROFS
 * (SEALBUF_R_READ_ONLY: the access is not granted, or the local region is
 * read-only), -EMEDIUMTYPE, -EACCES (SEALBUF_R_REMOTE_ACCESS: the peer's
 * NIC refused; the connection is then broken), -EIO
 * (SEALBUF_R_TRANSFER_FAILED), -ECONNRESET (SEALBUF_R_PEER_CLOSED).
 */
int sealbuf_rdma_write(struct sealbuf_rdma *conn, const struct sealbuf_rdma_mr *mr, uint64_t off,
		       const struct sealbuf_rdma_remote *remote, uint64_t remote_off, uint64_t len);
int sealbuf_rdma_read(struct sealbuf_rdma *conn, const struct sealbuf_rdma_mr *mr, uint64_t off,
		      const struct sealbuf_rdma_remote *remote, uint64_t remote_off, uint64_t len);

/*
 * Publish @size bytes of @mr (from the start of its data) into the peer's
 * reserved region @remote (offered with PUBLISH), and wait up to
 * @timeout_ms until the peer has published them: *@ret_seq (may be NULL)
 * receives the sequence number its readers see. The peer's side must be
 * running sealbuf_rdma_serve(). Errors: those of sealbuf_rdma_write(),
 * -EFBIG (SEALBUF_R_TOO_LARGE: above the capacity), -ETIMEDOUT.
 */
int sealbuf_rdma_publish(struct sealbuf_rdma *conn, const struct sealbuf_rdma_mr *mr, uint64_t size,
			 const struct sealbuf_rdma_remote *remote, int timeout_ms,
			 uint64_t *ret_seq);

/*
 * The receiving side's agent: wait up to @timeout_ms for publications the
 * peer made into regions offered with PUBLISH, publish each locally (the
 * header seqlock and the futex wake of sealbuf_region_write()) and confirm
 * it to the writer. Returns how many were applied (0: none within the
 * timeout). A publication that breaks the protocol (a size above the
 * capacity, an unknown offer) is refused to the writer and not published.
 * Errors: -ECONNRESET (SEALBUF_R_PEER_CLOSED), -EIO, kernel errnos.
 */
int sealbuf_rdma_serve(struct sealbuf_rdma *conn, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* SEALBUF_RDMA_H */
