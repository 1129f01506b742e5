/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The code under test, built by clang with
 * -fsanitize-coverage=inline-8bit-counters: every basic block bumps its own
 * byte counter. Each matching byte of the secret opens a block no other
 * input reaches, which is what lets the engine find it one byte at a time.
 */
#include <stddef.h>
#include <stdint.h>

int fuzzee_run(const uint8_t *in, size_t n);

int fuzzee_run(const uint8_t *in, size_t n)
{
	if (n < 4)
		return 0;
	if (in[0] == 'S') {
		if (in[1] == 'E') {
			if (in[2] == 'A') {
				if (in[3] == 'L')
					return 1;
			}
		}
	}
	return 0;
}
