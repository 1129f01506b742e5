#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""GStreamer as a consumer nobody here wrote: a gst-launch pipeline
(appsrc ! v4l2sink io-mode=dmabuf-import) imports the dma-buf of a sealbuf
frame that test-gst received. Usage:
  gst-import.py DEVICE FD SIZE FORMAT WIDTH HEIGHT FRAMES OFFSET,STRIDE...
Exit 0 at EOS with every frame rendered; 77 (SKIP) without GStreamer's
Python bindings; 1 on a pipeline error."""
import os
import sys

try:
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstAllocators", "1.0")
    gi.require_version("GstVideo", "1.0")
    from gi.repository import Gst, GstAllocators, GstVideo
except (ImportError, ValueError) as e:
    print(f"SKIP: GStreamer's Python bindings are missing ({e}): tools/setup-deps installs them")
    sys.exit(77)


def main():
    device, fd, size, fmt, width, height, frames = sys.argv[1:8]
    fd, size, width, height, frames = int(fd), int(size), int(width), int(height), int(frames)
    planes = [tuple(int(x) for x in p.split(",")) for p in sys.argv[8:]]
    Gst.init(None)
    # v4l2sink accepts only caps that are a subset of its own: name every field it
    # names but the frame rate (vivid's HDMI output refuses VIDIOC_S_PARM).
    caps = (f"video/x-raw,format={fmt},width={width},height={height},pixel-aspect-ratio=1/1,"
            "interlace-mode=progressive,colorimetry=bt601")
    pipe = Gst.parse_launch(f"appsrc name=src format=time caps={caps} ! "
                            f"v4l2sink name=sink device={device} io-mode=dmabuf-import sync=false")
    src = pipe.get_by_name("src")
    alloc = GstAllocators.DmaBufAllocator.new()
    vfmt = GstVideo.VideoFormat.from_string(fmt)
    # GstVideoMeta takes GST_VIDEO_MAX_PLANES (4) entries.
    offsets = [p[0] for p in planes] + [0] * (4 - len(planes))
    strides = [p[1] for p in planes] + [0] * (4 - len(planes))
    pipe.set_state(Gst.State.PLAYING)
    for i in range(frames):
        buf = Gst.Buffer.new()
        buf.append_memory(GstAllocators.DmaBufAllocator.alloc(alloc, os.dup(fd), size))
        GstVideo.buffer_add_video_meta_full(buf, GstVideo.VideoFrameFlags.NONE, vfmt, width,
                                            height, len(planes), offsets, strides)
        buf.pts = i * Gst.SECOND // 30
        buf.duration = Gst.SECOND // 30
        if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
            print(f"push-buffer {i} refused")
            return 1
    src.emit("end-of-stream")
    msg = pipe.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        print("pipeline error:", msg.parse_error() if msg else "no EOS within 60 s")
        return 1
    print(f"gst: {frames} frames of {fmt} {width}x{height} reached {device} (EOS)")
    return 0


sys.exit(main())
