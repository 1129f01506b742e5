/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Making a region's mapping cheap to touch: transparent huge pages for its
 * shmem where the machine allows them, and populating a receiver's mapping
 * in one system call instead of one page fault per few pages.
 *
 * Why: a receiver that reads every page of a fresh mapping pays a page fault
 * for each (or each fault-around batch of) pages it touches, although the
 * pages are already in memory. MADV_POPULATE_READ maps them all in one call,
 * several times cheaper per page (docs/performance.md); a huge page maps
 * 512 of them with one page-table entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "region.h"

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14
#endif

#define SHMEM_ENABLED "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define PMD_SIZE_FILE "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"

enum sb_thp sb_thp_mode(char *buf, size_t len)
{
	char word[32];

	if (sb_read_choice(SHMEM_ENABLED, word, sizeof(word)) < 0) {
		snprintf(buf, len, "%s", "unsupported");
		return SB_THP_NONE;
	}
	snprintf(buf, len, "%s", word);
	if (!strcmp(word, "advise"))
		return SB_THP_ADVISE;
	if (!strcmp(word, "always") || !strcmp(word, "within_size") || !strcmp(word, "force"))
		return SB_THP_ALWAYS;
	return SB_THP_NONE; /* never, deny, or unknown */
}

/*
 * Read once per process: the setting is root's and rarely changes, and a
 * region created after a change merely misses (or gains) the advice.
 */
size_t sb_thp_min_size(void)
{
	static size_t pmd; /* 0: not read yet; 1: huge pages not available */
	char text[32], mode[32];
	size_t v = __atomic_load_n(&pmd, __ATOMIC_RELAXED);

	if (v)
		return v;
	if (sb_thp_mode(mode, sizeof(mode)) != SB_THP_NONE &&
	    sb_read_text(PMD_SIZE_FILE, text, sizeof(text)) > 0)
		v = (size_t)strtoull(text, NULL, 10);
	v = v ? v : 1;
	__atomic_store_n(&pmd, v, __ATOMIC_RELAXED);
	return v;
}

bool sb_thp_would_advise(size_t map_size, bool hugetlb)
{
	size_t pmd = sb_thp_min_size();

	/* Smaller than one huge page: nothing to gain. hugetlbfs: huge already. */
	return pmd > 1 && map_size >= pmd && !hugetlb;
}

bool sb_thp_advise(struct sealbuf_region *r)
{
	if (!r->map || !sb_thp_would_advise(r->map_size, r->hugetlb))
		return false;
	if (sb_madvise(r->map, r->map_size, MADV_HUGEPAGE) < 0)
		return false;
	r->thp = true;
	return true;
}

bool sb_populate_read(struct sealbuf_region *r)
{
	int ret;

	if (!r->map)
		return false;
	ret = sb_madvise(r->map, r->map_size, MADV_POPULATE_READ);
	/* Only speed is at stake: a kernel before 5.14 (EINVAL) or no memory just skips it. */
	if (ret < 0) {
		sb_log(LOG_DEBUG, "madvise(MADV_POPULATE_READ): %s; pages fault in on first touch",
		       strerror(-ret));
		return false;
	}
	return true;
}
