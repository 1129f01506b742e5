/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Registering regions: access follows the region (a read-only mapping is
 * only ever read), the dma-buf route where the provider has it, and the
 * locked-memory limit named when it is what failed.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rdma-internal.h"

#define KNOWN_ACCESS (SEALBUF_RDMA_READ | SEALBUF_RDMA_WRITE | SEALBUF_RDMA_PUBLISH)

static int load_opts(const struct sealbuf_rdma_register_opts *opts,
		     struct sealbuf_rdma_register_opts *o)
{
	int ret = rb_opts_load(opts, sizeof(*o), o);

	if (ret < 0)
		return ret;
	if (o->access & ~KNOWN_ACCESS || o->flags & ~SEALBUF_RDMA_REGISTER_DMABUF)
		return rb_fail(-EINVAL, SEALBUF_R_UNKNOWN_FLAGS, "unknown access 0x%x or flag 0x%x bits",
			       o->access & ~KNOWN_ACCESS, o->flags & ~SEALBUF_RDMA_REGISTER_DMABUF);
	/* An offer always lets the peer read: that is how it checks the offer. */
	if (o->access)
		o->access |= SEALBUF_RDMA_READ;
	return 0;
}

/* The rules of "access follows the region". */
static int check_access(struct sealbuf_region *r, uint32_t access)
{
	enum sealbuf_kind kind = sealbuf_region_kind(r);

	if (!sealbuf_region_data(r) || !sealbuf_region_capacity(r))
		return rb_fail(-ENODATA, SEALBUF_R_EMPTY, "an empty region has nothing to register");
	if ((access & (SEALBUF_RDMA_WRITE | SEALBUF_RDMA_PUBLISH)) && !sealbuf_region_writable(r))
		return rb_fail(-EROFS, SEALBUF_R_READ_ONLY,
			       "the region is mapped read-only here: the peer may only read it");
	if ((access & SEALBUF_RDMA_WRITE) && kind != SEALBUF_KIND_PLAIN)
		return rb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "remote WRITE needs a plain region: a reserved region takes PUBLISH");
	if ((access & SEALBUF_RDMA_PUBLISH) && kind != SEALBUF_KIND_RESERVED)
		return rb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND, "PUBLISH needs a reserved region");
	if ((access & SEALBUF_RDMA_READ) && kind != SEALBUF_KIND_PLAIN && !(access & SEALBUF_RDMA_PUBLISH))
		return rb_fail(-EMEDIUMTYPE, SEALBUF_R_WRONG_KIND,
			       "a remote reader of a reserved region's payload would bypass its seqlock: "
			       "offer a plain region for READ");
	return 0;
}

/* Registration failed with ENOMEM: the locked-memory limit, if that is what stopped it. */
static int reg_error(int err, uint64_t len, const char *what)
{
	struct rlimit rl;

	if (err == -ENOMEM && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		return rb_fail(-ENOMEM, SEALBUF_R_MEMLOCK_LIMIT,
			       "registering %llu bytes pins them, and RLIMIT_MEMLOCK is %llu bytes "
			       "(ulimit -l %llu) for all this process pins: raise it (ulimit -l unlimited, "
			       "'memlock' in /etc/security/limits.conf, LimitMEMLOCK= for a service) "
			       "or grant CAP_IPC_LOCK",
			       (unsigned long long)len, (unsigned long long)rl.rlim_cur,
			       (unsigned long long)(rl.rlim_cur / 1024));
	if (err == -EFAULT)
		return rb_fail(-EFAULT, SEALBUF_R_SYSCALL,
			       "%s: the mapping does not allow the access asked (read-only?)", what);
	return rb_fail_sys(err, what);
}

static int ib_access(const struct sealbuf_rdma_mr *m)
{
	int a = m->local_write ? IBV_ACCESS_LOCAL_WRITE : 0;

	/* A publish target is reached through its staging area, never directly. */
	if (m->access & SEALBUF_RDMA_PUBLISH)
		return a;
	if (m->access & SEALBUF_RDMA_READ)
		a |= IBV_ACCESS_REMOTE_READ;
	if (m->access & SEALBUF_RDMA_WRITE)
		a |= IBV_ACCESS_REMOTE_WRITE;
	return a;
}

/*
 * The dma-buf route: the NIC maps the pages the region's udmabuf pins.
 * 0 and a registration, or 0 without one (fall back; the reason logged),
 * or an error when the caller asked for this route only.
 */
static int reg_dmabuf(struct sealbuf_rdma_mr *m, bool required)
{
	struct sealbuf_rdma *c = m->conn;
	SEALBUF_OPTS(sealbuf_export_opts, eo,
		     .flags = sealbuf_region_kind(m->region) == SEALBUF_KIND_PLAIN ? 0 : SEALBUF_EXPORT_PAYLOAD);
	int fd, ret;

	if (c->no_dmabuf)
		goto unsupported;
	ret = sealbuf_region_export(m->region, &eo, &fd);
	if (ret < 0) {
		if (required)
			return ret;
		rb_log(LOG_INFO, "registering with ibv_reg_mr: the region has no dma-buf (%s)",
		       sealbuf_last_error());
		return 0;
	}
	m->mr = ibv_reg_dmabuf_mr(c->pd, 0, m->len, (uintptr_t)m->data, fd, ib_access(m));
	if (m->mr) {
		m->dmabuf_fd = fd;
		return 0;
	}
	ret = -errno;
	close(fd);
	if (ret != -EOPNOTSUPP && ret != -ENOSYS && ret != -EPROTONOSUPPORT)
		return reg_error(ret, m->len, "ibv_reg_dmabuf_mr");
	c->no_dmabuf = true;
unsupported:
	if (required)
		return rb_fail(-EOPNOTSUPP, SEALBUF_R_NO_DMABUF_MR,
			       "the RDMA provider of %s cannot register a dma-buf (ibv_reg_dmabuf_mr: %s): "
			       "soft RoCE (rxe) cannot; mlx5, irdma and bnxt_re can",
			       ibv_get_device_name(c->id->verbs->device), strerror(EOPNOTSUPP));
	rb_log(LOG_INFO, "%s cannot register dma-bufs (ibv_reg_dmabuf_mr: %s): registering the mapping with ibv_reg_mr",
	       ibv_get_device_name(c->id->verbs->device), strerror(EOPNOTSUPP));
	return 0;
}

/* PUBLISH: the peer writes into a staging area; the agent publishes from there. */
static int reg_stage(struct sealbuf_rdma_mr *m)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (RB_STAGE_HDR + m->len + (size_t)page - 1) & ~((size_t)page - 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return rb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "no memory for a %zu-byte staging area", len);
	m->stage = p;
	m->stage_len = len;
	m->stage_mr = ibv_reg_mr(m->conn->pd, p, len,
				 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
	return m->stage_mr ? 0 : reg_error(-errno, len, "ibv_reg_mr (staging)");
}

static int reg(struct sealbuf_rdma_mr *m, uint32_t flags)
{
	int ret = 0;

	if (m->local_write && !(m->access & SEALBUF_RDMA_PUBLISH))
		ret = reg_dmabuf(m, flags & SEALBUF_RDMA_REGISTER_DMABUF);
	else if (flags & SEALBUF_RDMA_REGISTER_DMABUF)
		ret = rb_fail(-EOPNOTSUPP, SEALBUF_R_NO_DMABUF_MR,
			      "a read-only mapping has no dma-buf (udmabuf needs a writable memfd)");
	if (ret == 0 && !m->mr) {
		int access = ib_access(m);
		m->mr = ibv_reg_mr(m->conn->pd, m->data, m->len, access);
		if (!m->mr)
			ret = reg_error(-errno, m->len, "ibv_reg_mr");
	}
	if (ret == 0 && (m->access & SEALBUF_RDMA_PUBLISH))
		ret = reg_stage(m);
	return ret;
}

SEALBUF_EXPORT int sealbuf_rdma_register(struct sealbuf_rdma *c, struct sealbuf_region *region,
				    const struct sealbuf_rdma_register_opts *opts,
				    struct sealbuf_rdma_mr **ret_mr)
{
	struct sealbuf_rdma_register_opts o;
	struct sealbuf_rdma_mr *m;
	int ret = rb_check_usable(c);

	if (ret == 0 && (!region || !ret_mr))
		ret = rb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "region or ret_mr is NULL");
	if (ret == 0)
		ret = load_opts(opts, &o);
	if (ret == 0)
		ret = check_access(region, o.access);
	if (ret < 0)
		return ret;
	m = calloc(1, sizeof(*m));
	if (!m)
		return rb_fail(-ENOMEM, SEALBUF_R_NO_MEMORY, "no memory for a registration");
	*m = (struct sealbuf_rdma_mr){ .conn = c, .region = region, .data = sealbuf_region_data(region),
				       .len = sealbuf_region_capacity(region), .access = o.access,
				       .local_write = sealbuf_region_writable(region), .dmabuf_fd = -1 };
	m->next = c->mrs;
	c->mrs = m;
	ret = reg(m, o.flags);
	if (ret < 0) {
		sealbuf_rdma_mr_free(m);
		return ret;
	}
	*ret_mr = m;
	return 0;
}

void rb_mr_unlink(struct sealbuf_rdma_mr *m)
{
	for (struct sealbuf_rdma_mr **p = &m->conn->mrs; *p; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			return;
		}
}

SEALBUF_EXPORT void sealbuf_rdma_mr_free(struct sealbuf_rdma_mr *m)
{
	if (!m)
		return;
	rb_mr_unlink(m);
	if (m->mr)
		ibv_dereg_mr(m->mr);
	if (m->dmabuf_fd >= 0)
		close(m->dmabuf_fd);
	if (m->stage_mr)
		ibv_dereg_mr(m->stage_mr);
	if (m->stage)
		munmap(m->stage, m->stage_len);
	free(m);
}

SEALBUF_EXPORT bool sealbuf_rdma_mr_dmabuf(const struct sealbuf_rdma_mr *m)
{
	return m && m->dmabuf_fd >= 0;
}
