/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* V4L2 capture into a dma-buf: see vcap.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "vcap.h"
#include "why.h"

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* The device's driver is @driver and it streams with every capability in @want. */
static bool has_caps(int fd, const char *driver, uint32_t want, char *card, size_t len)
{
	struct v4l2_capability cap;
	uint32_t caps;

	memset(&cap, 0, sizeof(cap));
	if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0 || strcmp((char *)cap.driver, driver))
		return false;
	caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
	snprintf(card, len, "%s", (char *)cap.card);
	return (caps & want) == want;
}

/* Open the first /dev/videoN of @driver with the capabilities in @want into v->fd. */
static bool find_device(struct vcap *v, const char *driver, uint32_t want)
{
	memset(v, 0, sizeof(*v));
	v->fd = -1;
	for (int i = 0; i < 64 && v->fd < 0; i++) {
		int fd;

		snprintf(v->path, sizeof(v->path), "/dev/video%d", i);
		fd = open(v->path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (has_caps(fd, driver, want | V4L2_CAP_STREAMING, v->card, sizeof(v->card)))
			v->fd = fd;
		else
			close(fd);
	}
	return v->fd >= 0;
}

static int set_format(struct vcap *v, uint32_t width, uint32_t height, char *why, size_t len)
{
	struct v4l2_format f;
	int r;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	f.fmt.pix.width = width;
	f.fmt.pix.height = height;
	f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
	f.fmt.pix.field = V4L2_FIELD_NONE;
	r = xioctl(v->fd, VIDIOC_S_FMT, &f);
	if (r < 0)
		return why_fail(r, why, len, "%s: VIDIOC_S_FMT: %s", v->path, strerror(-r));
	v->width = f.fmt.pix.width;
	v->height = f.fmt.pix.height;
	v->pixelformat = f.fmt.pix.pixelformat;
	v->sizeimage = f.fmt.pix.sizeimage;
	return 0;
}

int vcap_open(struct vcap *v, const char *driver, uint32_t width, uint32_t height,
	      char *why, size_t len)
{
	if (!find_device(v, driver, V4L2_CAP_VIDEO_CAPTURE))
		return why_fail(-ENODEV, why, len,
				"no V4L2 capture device with driver %s (modprobe %s)", driver, driver);
	return set_format(v, width, height, why, len);
}

static int reqbufs(struct vcap *v, uint32_t count)
{
	struct v4l2_requestbuffers rb;

	memset(&rb, 0, sizeof(rb));
	rb.count = count;
	rb.type = v->type ? v->type : V4L2_BUF_TYPE_VIDEO_CAPTURE;
	rb.memory = V4L2_MEMORY_DMABUF;
	return xioctl(v->fd, VIDIOC_REQBUFS, &rb);
}

/* Queue @b, stream, and take the filled buffer back into it. */
static int stream_buf(struct vcap *v, struct v4l2_buffer *bp, int timeout_ms, char *why,
		      size_t len)
{
	int type = (int)bp->type, r;
	struct pollfd p = { .fd = v->fd, .events = POLLIN };
	struct v4l2_buffer b = *bp;

	r = xioctl(v->fd, VIDIOC_QBUF, &b);
	if (r < 0)
		return why_fail(r, why, len, "VIDIOC_QBUF of the dma-buf: %s", strerror(-r));
	r = xioctl(v->fd, VIDIOC_STREAMON, &type);
	if (r < 0)
		return why_fail(r, why, len, "VIDIOC_STREAMON: %s", strerror(-r));
	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		r = why_fail(r ? -errno : -ETIMEDOUT, why, len, "no frame within %d ms", timeout_ms);
	else if ((r = xioctl(v->fd, VIDIOC_DQBUF, &b)) < 0)
		why_fail(r, why, len, "VIDIOC_DQBUF: %s", strerror(-r));
	else if (b.flags & V4L2_BUF_FLAG_ERROR)
		r = why_fail(-EIO, why, len, "the driver marked the frame as bad");
	else
		*bp = b;
	xioctl(v->fd, VIDIOC_STREAMOFF, &type);
	return r < 0 ? r : 0;
}

static int stream_one(struct vcap *v, int dmabuf_fd, size_t length, int timeout_ms,
		      uint32_t *ret_bytesused, char *why, size_t len)
{
	struct v4l2_buffer b;
	int r;

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	b.memory = V4L2_MEMORY_DMABUF;
	b.index = 0;
	b.m.fd = dmabuf_fd;
	b.length = (uint32_t)length;
	r = stream_buf(v, &b, timeout_ms, why, len);
	if (r == 0)
		*ret_bytesused = b.bytesused;
	return r;
}

int vcap_capture(struct vcap *v, int dmabuf_fd, size_t length, int timeout_ms,
		 uint32_t *ret_bytesused, char *why, size_t len)
{
	int r = reqbufs(v, 1);

	if (r < 0)
		return why_fail(r, why, len, "%s: VIDIOC_REQBUFS(V4L2_MEMORY_DMABUF): %s", v->path,
				strerror(-r));
	r = stream_one(v, dmabuf_fd, length, timeout_ms, ret_bytesused, why, len);
	reqbufs(v, 0); /* detach the dma-buf */
	return r;
}

static int set_format_mplane(struct vcap *v, uint32_t width, uint32_t height, uint32_t fmt,
			     char *why, size_t len)
{
	struct v4l2_format f;
	int r;

	memset(&f, 0, sizeof(f));
	f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	f.fmt.pix_mp.width = width;
	f.fmt.pix_mp.height = height;
	f.fmt.pix_mp.pixelformat = fmt;
	f.fmt.pix_mp.field = V4L2_FIELD_NONE;
	r = xioctl(v->fd, VIDIOC_S_FMT, &f);
	if (r < 0)
		return why_fail(r, why, len, "%s: VIDIOC_S_FMT (MPLANE): %s", v->path, strerror(-r));
	if (f.fmt.pix_mp.pixelformat != fmt || f.fmt.pix_mp.num_planes > 4)
		return why_fail(-EOPNOTSUPP, why, len, "%s: format %.4s not taken", v->path,
				(const char *)&fmt);
	v->type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	v->width = f.fmt.pix_mp.width;
	v->height = f.fmt.pix_mp.height;
	v->pixelformat = fmt;
	v->nplanes = f.fmt.pix_mp.num_planes;
	for (uint32_t i = 0; i < v->nplanes; i++) {
		v->stride[i] = f.fmt.pix_mp.plane_fmt[i].bytesperline;
		v->plane_size[i] = f.fmt.pix_mp.plane_fmt[i].sizeimage;
		v->sizeimage += v->plane_size[i];
	}
	return 0;
}

int vcap_open_mplane(struct vcap *v, const char *driver, uint32_t width, uint32_t height,
		     uint32_t pixelformat, char *why, size_t len)
{
	if (!find_device(v, driver, V4L2_CAP_VIDEO_CAPTURE_MPLANE))
		return why_fail(-ENODEV, why, len,
				"no multi-planar V4L2 capture device with driver %s (modprobe %s multiplanar=2)",
				driver, driver);
	return set_format_mplane(v, width, height, pixelformat, why, len);
}

int vcap_capture_mplane(struct vcap *v, const int *fds, const uint32_t *offsets,
			const uint32_t *lengths, int timeout_ms, uint32_t *ret_bytesused,
			char *why, size_t len)
{
	struct v4l2_plane planes[4];
	struct v4l2_buffer b;
	int r = reqbufs(v, 1);

	if (r < 0)
		return why_fail(r, why, len, "%s: VIDIOC_REQBUFS(MPLANE, DMABUF): %s", v->path,
				strerror(-r));
	memset(&b, 0, sizeof(b));
	memset(planes, 0, sizeof(planes));
	b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	b.memory = V4L2_MEMORY_DMABUF;
	b.m.planes = planes;
	b.length = v->nplanes;
	for (uint32_t i = 0; i < v->nplanes; i++) {
		planes[i].m.fd = fds[i];
		planes[i].length = lengths[i];
		planes[i].data_offset = offsets[i];
	}
	r = stream_buf(v, &b, timeout_ms, why, len);
	for (uint32_t i = 0; r == 0 && i < v->nplanes; i++)
		ret_bytesused[i] = planes[i].bytesused - planes[i].data_offset;
	reqbufs(v, 0);
	return r;
}

void vcap_close(struct vcap *v)
{
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}
