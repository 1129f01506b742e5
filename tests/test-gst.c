/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GStreamer's v4l2sink (io-mode=dmabuf-import) imports a received YUYV frame into vivid's output. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>
#include <drm_fourcc.h>
#include <linux/videodev2.h>

#include "testlib.h"

#define FRAMES 5
#define LOG "/tmp/sealbuf-gst.log"

static uint32_t out_width = 640, out_height = 360;

/* The output's size: vivid's HDMI output takes the size of its timings, not ours. */
static void output_size(int fd)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT };

	if (ioctl(fd, VIDIOC_G_FMT, &f) == 0 && f.fmt.pix.width && f.fmt.pix.height) {
		out_width = f.fmt.pix.width;
		out_height = f.fmt.pix.height;
	}
}

/* vivid's single-planar video output node, or -1. */
static int find_output(char *path, size_t len)
{
	for (int i = 0; i < 64; i++) {
		struct v4l2_capability cap = { .capabilities = 0 };
		int fd;

		snprintf(path, len, "/dev/video%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 && !strcmp((char *)cap.driver, "vivid") &&
		    (cap.device_caps & V4L2_CAP_VIDEO_OUTPUT)) {
			output_size(fd);
			close(fd);
			return 0;
		}
		close(fd);
	}
	return -1;
}

/* The consumer: receive the frame, hand its dma-buf to a GStreamer pipeline. */
static _Noreturn void consumer(int sock, const char *device)
{
	struct sealbuf_frame *f;
	const struct sealbuf_frame_desc *d;
	char a[8][64];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sealbuf_frame_recv(sock, NULL, &f) < 0 || sealbuf_frame_export(f, 0, &fd) < 0) {
		printf("consumer: %s\n", sealbuf_last_error());
		_exit(1);
	}
	d = sealbuf_frame_desc(f);
	fcntl(fd, F_SETFD, 0); /* the pipeline inherits the dma-buf */
	snprintf(a[0], sizeof(a[0]), "%d", fd);
	snprintf(a[1], sizeof(a[1]), "%zu", sealbuf_region_mapped_size(sealbuf_frame_region(f, 0)));
	snprintf(a[2], sizeof(a[2]), "%u", d->width);
	snprintf(a[3], sizeof(a[3]), "%u", d->height);
	snprintf(a[4], sizeof(a[4]), "%d", FRAMES);
	snprintf(a[5], sizeof(a[5]), "%llu,%u", (unsigned long long)d->planes[0].offset,
		 d->planes[0].stride);
	setenv("GST_DEBUG", getenv("SB_GST_DEBUG") ? getenv("SB_GST_DEBUG") : "v4l2*:6", 1);
	setenv("GST_DEBUG_NO_COLOR", "1", 1);
	setenv("GST_DEBUG_FILE", LOG, 1);
	setenv("GST_REGISTRY", "/tmp/sealbuf-gst-registry.bin", 1); /* the guest's / is read-only */
	execl("/usr/bin/python3", "python3", SEALBUF_GST_SCRIPT, device, a[0], a[1], "YUY2", a[2],
	      a[3], a[4], a[5], (char *)NULL);
	printf("exec python3: %s\n", strerror(errno));
	_exit(1);
}

/* Whether the v4l2 debug log has a line with both @a and @b. */
static bool log_has(const char *a, const char *b)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(LOG, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, a) && (!b || strstr(line, b));
	fclose(f);
	return found;
}

static void gst_imports_frame(void **state)
{
	SEALBUF_OPTS(sealbuf_layout_opts, lo, .stride_align = 16);
	struct sealbuf_frame_desc d;
	struct sealbuf_frame *f;
	char device[32];
	int sv[2], status;
	pid_t pid;

	assert_int_equal(find_output(device, sizeof(device)), 0);
	assert_int_equal(sealbuf_frame_layout(DRM_FORMAT_YUYV, out_width, out_height, &lo, &d, NULL), 0);
	assert_int_equal(sealbuf_frame_create(&d, NULL, &f), 0);
	memset(sealbuf_frame_plane(f, 0), 0x80, (size_t)d.planes[0].stride * out_height);
	unlink(LOG);
	tl_socketpair(SOCK_SEQPACKET, sv);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		consumer(sv[1], device);
	}
	close(sv[1]);
	assert_int_equal(sealbuf_frame_send(sv[0], f, 0), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(sv[0]);
	sealbuf_frame_free(f);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	/* What V4L2 was asked for: DMABUF memory (4) on the output queue, imported fds. */
	assert_true(log_has("importing dmabuf", NULL));
	assert_true(log_has("memory:", "    4\n")); /* gst_v4l2_memory_group_new's V4L2 buffer */
	assert_true(log_has("imported DMABUF as fd", NULL));
	print_message("v4l2sink imported the %ux%u YUYV frame's dma-buf (V4L2_MEMORY_DMABUF) into %s\n",
		      out_width, out_height, device);
}

int main(void)
{
	const struct CMUnitTest tests[] = { TL_TEST(gst_imports_frame) };
	char device[32];

	if (access("/usr/bin/gst-launch-1.0", X_OK) < 0)
		tl_skip("GStreamer is not installed (tools/setup-deps installs gstreamer1.0-tools)");
	if (sealbuf_udmabuf_check() < 0)
		tl_skip("needs udmabuf: %s (meson test --suite vm runs this in a VM)", sealbuf_last_error());
	if (find_output(device, sizeof(device)) < 0)
		tl_skip("no vivid output node (modprobe vivid node_types=0x101 num_outputs=1 output_types=0x1; the vm suite does)");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
