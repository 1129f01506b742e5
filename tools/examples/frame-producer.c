// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Example: a frame producer, as in a hardware-in-the-loop rig. It makes a
 * reserved region for one frame, waits for a reader on a Unix socket, sends
 * it a read-only handle, then publishes COUNT frames in place (the way a
 * device fills a dma-buf of the payload): write_begin(), fill, write_end().
 * The reader (test_frame_rig.py, in Python with numpy) sees each frame whole.
 *
 *   frame-producer SOCKET_PATH COUNT WIDTH HEIGHT
 *
 * Frame i holds WIDTH*HEIGHT uint32 pixels: (i << 16) | (pixel index & 0xffff).
 * After the last frame it waits for the reader to hang up, then exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sealbuf.h>

static int die(const char *what, int err)
{
	fprintf(stderr, "frame-producer: %s: %s (%s: %s)\n", what, strerror(-err),
		sealbuf_reason_name(sealbuf_last_reason()), sealbuf_last_error());
	return 1;
}

/* Listen on @path and accept one reader; -errno on failure. */
static int accept_reader(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls, c;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	ls = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		c = -errno;
		if (ls >= 0)
			close(ls);
		return c;
	}
	c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	c = c < 0 ? -errno : c;
	close(ls);
	unlink(path);
	return c;
}

static void fill(uint32_t *px, size_t n, uint32_t frame)
{
	for (size_t k = 0; k < n; k++)
		px[k] = (frame << 16) | (uint32_t)(k & 0xffff);
}

static int publish(struct sealbuf_region *r, uint32_t count, size_t n)
{
	struct timespec pace = { .tv_nsec = 2 * 1000 * 1000 };
	int err;

	for (uint32_t i = 0; i < count; i++) {
		err = sealbuf_region_write_begin(r);
		if (err < 0)
			return die("write_begin", err);
		fill(sealbuf_region_data(r), n, i);
		err = sealbuf_region_write_end(r, n * sizeof(uint32_t));
		if (err < 0)
			return die("write_end", err);
		nanosleep(&pace, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sealbuf_region *r = NULL;
	size_t n;
	int c, err, ret;
	char byte;

	if (argc != 5) {
		fprintf(stderr, "usage: frame-producer SOCKET_PATH COUNT WIDTH HEIGHT\n");
		return 2;
	}
	n = strtoull(argv[3], NULL, 0) * strtoull(argv[4], NULL, 0);
	SEALBUF_OPTS(sealbuf_create_opts, opts, .name = "frames", .flags = SEALBUF_CREATE_PREFAULT);
	err = sealbuf_region_reserve(n * sizeof(uint32_t), &opts, &r);
	if (err < 0)
		return die("reserve", err);
	c = accept_reader(argv[1]);
	if (c < 0)
		return die("accept", c);
	err = sealbuf_region_send(c, r, SEALBUF_SHARE_RDONLY);
	ret = err < 0 ? die("send", err) : publish(r, (uint32_t)strtoul(argv[2], NULL, 0), n);
	while (ret == 0 && read(c, &byte, 1) > 0) /* until the reader hangs up */
		;
	close(c);
	sealbuf_region_free(r);
	return ret;
}
