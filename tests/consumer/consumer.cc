/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A consumer built only from the installed header and sealbuf.pc (C and C++). */
#include <sealbuf.h>
#include <cstdio>

int main(void)
{
	struct sealbuf_region *r = NULL;
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = "consumer");
	int err = sealbuf_region_create(4096, &o, &r);

	if (err < 0) {
		fprintf(stderr, "consumer: %s\n", sealbuf_last_error());
		return 1;
	}
	static_cast<char *>(sealbuf_region_data(r))[0] = 1;
	sealbuf_region_free(r);
	puts("consumer: ok");
	return 0;
}
