/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extensible option structs: each carries its size (libbpf's OPTS pattern). */
#include "internal.h"

/* The rule is lib/shared's sb_opts_copy(), which libsealbuf-rdma shares. */
int sb_opts_load(const void *opts, size_t min_sz, size_t our_sz, void *out)
{
	size_t where = 0;
	int r = sb_opts_copy(opts, min_sz, our_sz, out, &where);

	if (r == -ERANGE)
		return sb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE,
			       "options .sz is %zu, at least %zu expected (use SEALBUF_OPTS)",
			       where, min_sz);
	if (r < 0)
		return sb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE,
			       "options set a field at byte %zu that this version of sealbuf does not know",
			       where);
	return 0;
}

int sb_check_flags(uint32_t flags, uint32_t known, const char *what)
{
	if (flags & ~known)
		return sb_fail(-EINVAL, SEALBUF_R_UNKNOWN_FLAGS,
			       "%s: unknown flag bits 0x%x", what, flags & ~known);
	return 0;
}

int sb_info_store(void *out, const void *filled, size_t min_sz, size_t our_sz)
{
	size_t sz;

	if (!out)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT, "info is NULL");
	memcpy(&sz, out, sizeof(sz));
	if (sz < min_sz)
		return sb_fail(-EINVAL, SEALBUF_R_BAD_OPTS_SIZE,
			       "info .sz is %zu, at least %zu expected (set it to sizeof the struct)",
			       sz, min_sz);
	/* A caller built against a newer header gets zeros in what we do not know. */
	memcpy(out, filled, sz < our_sz ? sz : our_sz);
	if (sz > our_sz)
		memset((uint8_t *)out + our_sz, 0, sz - our_sz);
	memcpy(out, &sz, sizeof(sz));
	return 0;
}

int sb_check_reserved(uint64_t value, const char *what)
{
	if (value)
		return sb_fail(-EINVAL, SEALBUF_R_INVALID_ARGUMENT,
			       "%s: a reserved field is not 0 (it may mean something in a later sealbuf)", what);
	return 0;
}
