/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * V4L2 capture into a dma-buf (V4L2_MEMORY_DMABUF), for the device test and
 * the device demo: the driver writes a frame straight into the dma-buf's
 * pages, which are a sealbuf region's pages. Not part of libsealbuf.
 */
#ifndef SEALBUF_VCAP_H
#define SEALBUF_VCAP_H

#include <stddef.h>
#include <stdint.h>

struct vcap {
	int fd;               /* the /dev/videoN of the device */
	char path[32];
	char card[32];        /* VIDIOC_QUERYCAP card name */
	uint32_t width, height, pixelformat;
	uint32_t sizeimage;   /* bytes of one frame: the dma-buf must hold this many */
	/* Multi-planar devices (vcap_open_mplane()): one dma-buf per plane. */
	uint32_t type;        /* V4L2_BUF_TYPE_VIDEO_CAPTURE(_MPLANE); 0 = single-planar */
	uint32_t nplanes;
	uint32_t stride[4];   /* bytesperline of each plane */
	uint32_t plane_size[4]; /* sizeimage of each plane */
};

/*
 * Open the first single-planar capture device whose driver is @driver
 * ("vivid") and set @width x @height YUYV (the driver may adjust; read back).
 * 0 or a negative errno, with the reason in @why.
 */
int vcap_open(struct vcap *v, const char *driver, uint32_t width, uint32_t height,
	      char *why, size_t len);

/*
 * Capture one frame into @dmabuf_fd (@length bytes): REQBUFS(DMABUF), QBUF,
 * STREAMON, wait up to @timeout_ms, DQBUF, STREAMOFF, REQBUFS(0).
 * *ret_bytesused is what the driver wrote. 0 or a negative errno, with @why.
 */
int vcap_capture(struct vcap *v, int dmabuf_fd, size_t length, int timeout_ms,
		 uint32_t *ret_bytesused, char *why, size_t len);

/*
 * Open the first multi-planar (V4L2_CAP_VIDEO_CAPTURE_MPLANE) capture device
 * whose driver is @driver (vivid with multiplanar=2) and set @pixelformat
 * (V4L2_PIX_FMT_NV12M: two planes) at @width x @height; read back nplanes,
 * stride[] and plane_size[].
 */
int vcap_open_mplane(struct vcap *v, const char *driver, uint32_t width, uint32_t height,
		     uint32_t pixelformat, char *why, size_t len);

/*
 * Capture one frame into v->nplanes dma-bufs, plane i into @fds[i] at byte
 * @offsets[i] (@lengths[i] bytes from the dma-buf's start); bytes written per
 * plane into @ret_bytesused[i].
 */
int vcap_capture_mplane(struct vcap *v, const int *fds, const uint32_t *offsets,
			const uint32_t *lengths, int timeout_ms, uint32_t *ret_bytesused,
			char *why, size_t len);

void vcap_close(struct vcap *v);

#endif
