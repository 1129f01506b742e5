// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sealbuf.Frame: an image whose planes live in regions or dma-bufs
 * (docs/frames.md), and the dma-heap and sync-file helpers around it. A
 * frame's description is a dict, so a caller can write one by hand:
 *   {"fourcc": FORMAT_NV12, "width": 64, "height": 32, "modifier": 0,
 *    "nbuffers": 1, "planes": [(buffer, stride, offset), ...]}
 * Plane views (Frame.plane()) keep the frame mapped after close().
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "sbpy.h"

#define WAIT_SLICE_MS 200

typedef struct {
	PyObject_HEAD
	struct sealbuf_frame *f; /* NULL once freed */
	Py_ssize_t exports;      /* plane views alive */
	Py_ssize_t inflight;     /* calls running without the GIL */
	bool closed;
	PyObject *weakrefs;
} FrameObject;

/* The exporter behind a plane's memoryview: holds the frame. */
typedef struct {
	PyObject_HEAD
	FrameObject *frame;
	void *data;
	Py_ssize_t len;
	bool readonly;
} PlaneObject;

static PyTypeObject Frame_Type, Plane_Type, BufferInfo_Type;

static void maybe_free(FrameObject *self)
{
	if (self->closed && self->exports == 0 && self->inflight == 0 && self->f) {
		sealbuf_frame_free(self->f);
		self->f = NULL;
	}
}

static struct sealbuf_frame *get_open(FrameObject *self)
{
	if (self->closed || !self->f) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed sealbuf.Frame");
		return NULL;
	}
	return self->f;
}

static PyObject *frame_new_object(int err, struct sealbuf_frame *f)
{
	FrameObject *self;

	if (err < 0)
		return sbpy_raise(err);
	self = PyObject_New(FrameObject, &Frame_Type);
	if (!self) {
		sealbuf_frame_free(f);
		return NULL;
	}
	self->f = f;
	self->exports = self->inflight = 0;
	self->closed = false;
	self->weakrefs = NULL;
	return (PyObject *)self;
}

/* ------------------------------------------------------------------------ */
/* Descriptions as dicts                                                     */
/* ------------------------------------------------------------------------ */

static PyObject *desc_to_dict(const struct sealbuf_frame_desc *d)
{
	PyObject *planes = PyList_New(d->nplanes), *dict;

	for (uint32_t i = 0; planes && i < d->nplanes; i++) {
		PyObject *t = Py_BuildValue("(IIK)", d->planes[i].buffer, d->planes[i].stride,
					    (unsigned long long)d->planes[i].offset);
		if (!t) {
			Py_CLEAR(planes);
			break;
		}
		PyList_SET_ITEM(planes, i, t);
	}
	if (!planes)
		return NULL;
	dict = Py_BuildValue("{s:I,s:I,s:I,s:K,s:I,s:N}", "fourcc", d->fourcc, "width", d->width,
			     "height", d->height, "modifier", (unsigned long long)d->modifier,
			     "nbuffers", d->nbuffers, "planes", planes);
	return dict;
}

/* An unsigned field of @dict (@required, else @dflt when absent) that fits @max. */
static bool dict_uint(PyObject *dict, const char *key, bool required, uint64_t dflt, uint64_t max,
		      uint64_t *out)
{
	PyObject *v = PyDict_GetItemString(dict, key); /* borrowed */

	if (!v) {
		if (required) {
			PyErr_Format(PyExc_ValueError, "frame description lacks \"%s\"", key);
			return false;
		}
		*out = dflt;
		return true;
	}
	if (!sbpy_u64(v, key, out))
		return false;
	if (*out > max) {
		PyErr_Format(PyExc_ValueError, "\"%s\" is too large", key);
		return false;
	}
	return true;
}

static bool dict_to_planes(PyObject *planes, struct sealbuf_frame_desc *d)
{
	PyObject *seq = PySequence_Fast(planes, "\"planes\" must be a sequence of (buffer, stride, offset)");
	Py_ssize_t n;
	bool ok = true;

	if (!seq)
		return false;
	n = PySequence_Fast_GET_SIZE(seq);
	if (n > SEALBUF_FRAME_MAX_PLANES) {
		PyErr_Format(PyExc_ValueError, "at most %d planes", SEALBUF_FRAME_MAX_PLANES);
		ok = false;
	}
	for (Py_ssize_t i = 0; ok && i < n; i++) {
		PyObject *b, *s, *o;
		uint64_t buf, stride;

		ok = PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "OOO:plane", &b, &s, &o) &&
		     sbpy_u64(b, "buffer", &buf) && sbpy_u64(s, "stride", &stride) &&
		     sbpy_u64(o, "offset", &d->planes[i].offset);
		if (ok && (buf > UINT32_MAX || stride > UINT32_MAX)) {
			PyErr_SetString(PyExc_ValueError, "buffer and stride must fit 32 bits");
			ok = false;
		}
		d->planes[i].buffer = (uint32_t)buf;
		d->planes[i].stride = (uint32_t)stride;
	}
	d->nplanes = (uint32_t)n;
	Py_DECREF(seq);
	return ok;
}

static bool dict_to_desc(PyObject *dict, struct sealbuf_frame_desc *d)
{
	uint64_t fourcc, w, h, nbuf, mod;
	PyObject *planes;

	memset(d, 0, sizeof(*d));
	if (!PyDict_Check(dict)) {
		PyErr_Format(PyExc_TypeError, "a frame description is a dict, not %.100s",
			     Py_TYPE(dict)->tp_name);
		return false;
	}
	if (!dict_uint(dict, "fourcc", true, 0, UINT32_MAX, &fourcc) ||
	    !dict_uint(dict, "width", true, 0, UINT32_MAX, &w) ||
	    !dict_uint(dict, "height", true, 0, UINT32_MAX, &h) ||
	    !dict_uint(dict, "nbuffers", false, 1, UINT32_MAX, &nbuf) ||
	    !dict_uint(dict, "modifier", false, 0, UINT64_MAX, &mod))
		return false;
	planes = PyDict_GetItemString(dict, "planes");
	if (!planes) {
		PyErr_SetString(PyExc_ValueError, "frame description lacks \"planes\"");
		return false;
	}
	d->fourcc = (uint32_t)fourcc;
	d->width = (uint32_t)w;
	d->height = (uint32_t)h;
	d->nbuffers = (uint32_t)nbuf;
	d->modifier = mod;
	return dict_to_planes(planes, d);
}

/* ------------------------------------------------------------------------ */
/* Module functions: making frames                                           */
/* ------------------------------------------------------------------------ */

PyDoc_STRVAR(frame_layout_doc,
"frame_layout(fourcc, width, height, *, stride_align=0, buffer_per_plane=False)\n"
"    -> (desc, sizes)\n"
"\n"
"A linear layout of a width x height frame of fourcc (FORMAT_XRGB8888,\n"
"FORMAT_ARGB8888, FORMAT_NV12, FORMAT_YUV420, FORMAT_YUYV): the description\n"
"dict, and the bytes each buffer needs. stride_align: a power of two up to\n"
"4096 (0: 64). buffer_per_plane: each plane in its own buffer (V4L2's NV12M).");

static PyObject *py_frame_layout(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "fourcc", "width", "height", "stride_align", "buffer_per_plane", NULL };
	unsigned int fourcc, width, height, align = 0;
	uint64_t sizes[SEALBUF_FRAME_MAX_BUFFERS] = { 0 };
	struct sealbuf_frame_desc d;
	PyObject *desc, *list;
	int per_plane = 0, err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "III|$Ip:frame_layout", kws, &fourcc, &width,
					 &height, &align, &per_plane))
		return NULL;
	SEALBUF_OPTS(sealbuf_layout_opts, o, .stride_align = align,
		     .flags = per_plane ? SEALBUF_LAYOUT_BUFFER_PER_PLANE : 0);
	err = sealbuf_frame_layout(fourcc, width, height, &o, &d, sizes);
	if (err < 0)
		return sbpy_raise(err);
	desc = desc_to_dict(&d);
	list = desc ? PyList_New(d.nbuffers) : NULL;
	for (uint32_t i = 0; list && i < d.nbuffers; i++) {
		PyObject *v = PyLong_FromUnsignedLongLong(sizes[i]);

		if (!v)
			Py_CLEAR(list);
		else
			PyList_SET_ITEM(list, i, v);
	}
	if (!list) {
		Py_XDECREF(desc);
		return NULL;
	}
	return Py_BuildValue("(NN)", desc, list);
}

PyDoc_STRVAR(frame_create_doc,
"frame_create(desc, *, heap=None, name=None, prefault=False, noreserve=False) -> Frame\n"
"\n"
"A frame for desc (see frame_layout()) and the buffers it needs: plain\n"
"regions, or dma-bufs from the dma-heap heap (\"system\", \"cma\"), mapped\n"
"read-write.");

static PyObject *py_frame_create(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "desc", "heap", "name", "prefault", "noreserve", NULL };
	const char *heap = NULL, *name = NULL;
	struct sealbuf_frame *f = NULL;
	struct sealbuf_frame_desc d;
	int prefault = 0, noreserve = 0, err;
	PyObject *dict;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$zzpp:frame_create", kws, &dict, &heap, &name,
					 &prefault, &noreserve) ||
	    !dict_to_desc(dict, &d))
		return NULL;
	SEALBUF_OPTS(sealbuf_frame_opts, o, .heap = heap, .name = name,
		     .flags = (prefault ? SEALBUF_CREATE_PREFAULT : 0) |
			      (noreserve ? SEALBUF_CREATE_NORESERVE : 0));
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_frame_create(&d, &o, &f);
	Py_END_ALLOW_THREADS
	return frame_new_object(err, f);
}

PyDoc_STRVAR(frame_new_doc,
"frame_new(desc) -> Frame\n"
"\n"
"A frame for desc without buffers yet: give each with Frame.set_region() or\n"
"Frame.set_dmabuf() before sending it or viewing its planes.");

static PyObject *py_frame_new(PyObject *m, PyObject *arg)
{
	struct sealbuf_frame *f = NULL;
	struct sealbuf_frame_desc d;
	int err;

	if (!dict_to_desc(arg, &d))
		return NULL;
	err = sealbuf_frame_new(&d, &f); /* before reading f: argument order is unspecified */
	return frame_new_object(err, f);
}

/* exporters: None or a sequence of str, as a NULL-terminated array (PyMem) of borrowed UTF-8. */
static const char **parse_exporters(PyObject *obj, PyObject **keep)
{
	const char **names;
	Py_ssize_t n;

	*keep = NULL;
	if (obj == Py_None)
		return NULL;
	*keep = PySequence_Fast(obj, "exporters must be a sequence of str");
	if (!*keep)
		return NULL;
	n = PySequence_Fast_GET_SIZE(*keep);
	names = PyMem_Calloc((size_t)n + 1, sizeof(*names));
	if (!names) {
		PyErr_NoMemory();
		return NULL;
	}
	for (Py_ssize_t i = 0; i < n; i++) {
		PyObject *s = PySequence_Fast_GET_ITEM(*keep, i);

		names[i] = PyUnicode_Check(s) ? PyUnicode_AsUTF8(s) : NULL;
		if (!names[i]) {
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_TypeError, "an exporter is a str");
			PyMem_Free(names);
			return NULL;
		}
	}
	return names;
}

PyDoc_STRVAR(frame_recv_doc,
"frame_recv(sock, *, timeout_ms=None, readonly=False, keep_handle=False,\n"
"           exporters=None, populate=None) -> Frame\n"
"\n"
"Receive one frame (a version 2 message) and every buffer's fd, validate\n"
"them all (exporters: the dma-buf exporters allowed, None: any) and map\n"
"them. All or nothing. timeout_ms as poll(2); waits without the GIL.\n"
"populate: True maps every page of the frame's region now, False never,\n"
"None as the library decides (see open()).");

static PyObject *py_frame_recv(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "sock", "timeout_ms", "readonly", "keep_handle", "exporters", "populate",
			NULL };
	PyObject *sockobj, *tmo = Py_None, *exp = Py_None, *pop = Py_None, *keep = NULL, *res;
	int readonly = 0, keephandle = 0, fd, timeout, err;
	struct sealbuf_frame *f = NULL;
	const char **names;
	uint32_t flags;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OppOO:frame_recv", kws, &sockobj, &tmo,
					 &readonly, &keephandle, &exp, &pop))
		return NULL;
	flags = (readonly ? SEALBUF_OPEN_RDONLY : 0) | (keephandle ? SEALBUF_OPEN_KEEP_HANDLE : 0);
	if (!sbpy_populate(pop, &flags) || !sbpy_timeout(tmo, &timeout) ||
	    (fd = sbpy_fd(sockobj)) < 0)
		return NULL;
	names = parse_exporters(exp, &keep);
	if (PyErr_Occurred()) {
		Py_XDECREF(keep);
		return NULL;
	}
	timeout = sbpy_recv_timeout(fd, timeout);
	if (timeout == -2) {
		PyMem_Free(names);
		Py_XDECREF(keep);
		return NULL;
	}
	SEALBUF_OPTS(sealbuf_frame_recv_opts, o, .timeout_ms = timeout, .exporters = names,
		     .flags = flags);
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_frame_recv(fd, &o, &f);
	Py_END_ALLOW_THREADS
	res = frame_new_object(err, f);
	PyMem_Free(names);
	Py_XDECREF(keep);
	return res;
}

/* ------------------------------------------------------------------------ */
/* dma-heaps and sync files                                                  */
/* ------------------------------------------------------------------------ */

PyDoc_STRVAR(heap_alloc_doc,
"heap_alloc(heap, size) -> int\n"
"\n"
"Allocate size bytes (rounded up to pages) from the dma-heap heap\n"
"(\"system\", \"cma\", ...) as a dma-buf; its fd is yours to close.");

static PyObject *py_heap_alloc(PyObject *m, PyObject *args)
{
	const char *heap;
	Py_ssize_t size;
	int fd = -1, err;

	if (!PyArg_ParseTuple(args, "sn:heap_alloc", &heap, &size))
		return NULL;
	if (size < 0)
		return PyErr_Format(PyExc_ValueError, "size must be >= 0");
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_heap_alloc(heap, (size_t)size, 0, &fd);
	Py_END_ALLOW_THREADS
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

PyDoc_STRVAR(heap_list_doc,
"heap_list() -> list[str]\n"
"\n"
"The dma-heaps of this machine, sorted ([] when none).");

static PyObject *py_heap_list(PyObject *m, PyObject *unused)
{
	char buf[4096];
	PyObject *s, *list;
	int n = sealbuf_heap_list(buf, sizeof(buf));

	if (n < 0)
		return sbpy_raise(n);
	s = PyUnicode_DecodeFSDefault(buf);
	if (!s)
		return NULL;
	list = PyUnicode_Split(s, NULL, -1);
	Py_DECREF(s);
	return list;
}

static bool parse_fd_flags(PyObject *fdobj, PyObject *fl, int *fd, unsigned int *flags)
{
	uint64_t v;

	if ((*fd = sbpy_fd(fdobj)) < 0 || !sbpy_u64(fl, "flags", &v))
		return false;
	if (v > UINT32_MAX) {
		PyErr_SetString(PyExc_ValueError, "flags must fit 32 bits");
		return false;
	}
	*flags = (unsigned int)v;
	return true;
}

PyDoc_STRVAR(export_sync_doc,
"dmabuf_export_sync_file(dmabuf_fd, flags) -> int\n"
"\n"
"A sync file of the dma-buf's implicit fences: SYNC_READ, the fences a\n"
"reader waits for; SYNC_WRITE or SYNC_RW, all. Its fd is yours to close.");

static PyObject *py_export_sync(PyObject *m, PyObject *args)
{
	PyObject *a, *b;
	unsigned int flags;
	int fd, sync = -1, err;

	if (!PyArg_ParseTuple(args, "OO:dmabuf_export_sync_file", &a, &b) ||
	    !parse_fd_flags(a, b, &fd, &flags))
		return NULL;
	err = sealbuf_dmabuf_export_sync_file(fd, flags, &sync);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(sync);
}

PyDoc_STRVAR(import_sync_doc,
"dmabuf_import_sync_file(dmabuf_fd, flags, sync_fd) -> None\n"
"\n"
"Add the sync file's fence to the dma-buf's implicit fences: a write fence\n"
"with SYNC_WRITE, a read fence with SYNC_READ. sync_fd stays yours.");

static PyObject *py_import_sync(PyObject *m, PyObject *args)
{
	PyObject *a, *b, *c;
	unsigned int flags;
	int fd, sync, err;

	if (!PyArg_ParseTuple(args, "OOO:dmabuf_import_sync_file", &a, &b, &c) ||
	    !parse_fd_flags(a, b, &fd, &flags) || (sync = sbpy_fd(c)) < 0)
		return NULL;
	err = sealbuf_dmabuf_import_sync_file(fd, flags, sync);
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(sync_wait_doc,
"sync_file_wait(sync_fd, timeout_ms=None) -> None\n"
"\n"
"Wait, without the GIL, until the sync file signals. timeout_ms as poll(2);\n"
"Error ETIMEDOUT (SEALBUF_R_TIMEOUT) when it does not in time. Answers Ctrl-C.");

static PyObject *py_sync_wait(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "sync_fd", "timeout_ms", NULL };
	PyObject *fdobj, *tmo = Py_None;
	int fd, timeout, err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:sync_file_wait", kws, &fdobj, &tmo) ||
	    (fd = sbpy_fd(fdobj)) < 0 || !sbpy_timeout(tmo, &timeout))
		return NULL;
	for (;;) {
		int slice = timeout < 0 || timeout > WAIT_SLICE_MS ? WAIT_SLICE_MS : timeout;

		Py_BEGIN_ALLOW_THREADS
		err = sealbuf_sync_file_wait(fd, slice);
		Py_END_ALLOW_THREADS
		if (err != -ETIMEDOUT || slice == timeout)
			break;
		if (timeout > 0)
			timeout -= slice;
		if (PyErr_CheckSignals() < 0)
			return NULL;
	}
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------ */
/* Frame                                                                     */
/* ------------------------------------------------------------------------ */

static void Frame_dealloc(FrameObject *self)
{
	if (self->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)self);
	self->closed = true;
	self->exports = self->inflight = 0;
	maybe_free(self);
	PyObject_Free(self);
}

static PyObject *Frame_close(FrameObject *self, PyObject *unused)
{
	self->closed = true;
	maybe_free(self);
	Py_RETURN_NONE;
}

static PyObject *Frame_enter(FrameObject *self, PyObject *unused)
{
	if (!get_open(self))
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Frame_exit(FrameObject *self, PyObject *args)
{
	return Frame_close(self, NULL);
}

static bool index_arg(PyObject *obj, uint32_t *out)
{
	uint64_t v;

	if (!sbpy_u64(obj, "index", &v))
		return false;
	if (v > UINT32_MAX) {
		PyErr_SetString(PyExc_ValueError, "index must fit 32 bits");
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

static PyObject *get_desc(FrameObject *self, void *c)
{
	struct sealbuf_frame *f = get_open(self);

	return f ? desc_to_dict(sealbuf_frame_desc(f)) : NULL;
}

static PyObject *get_closed(FrameObject *self, void *c)
{
	return PyBool_FromLong(self->closed || !self->f);
}

static PyObject *Frame_buffer_info(FrameObject *self, PyObject *arg)
{
	struct sealbuf_buffer_info info = { .sz = sizeof(info) };
	struct sealbuf_frame *f;
	uint32_t i;
	PyObject *t;
	int err;

	if (!index_arg(arg, &i) || !(f = get_open(self)))
		return NULL;
	err = sealbuf_frame_buffer_info(f, i, &info);
	if (err < 0)
		return sbpy_raise(err);
	t = PyStructSequence_New(&BufferInfo_Type);
	if (!t)
		return NULL;
	PyStructSequence_SET_ITEM(t, 0, PyLong_FromUnsignedLong(info.kind));
	PyStructSequence_SET_ITEM(t, 1, PyBool_FromLong(info.writable));
	PyStructSequence_SET_ITEM(t, 2, PyLong_FromUnsignedLongLong(info.size));
	PyStructSequence_SET_ITEM(t, 3, PyUnicode_DecodeFSDefault(info.exporter));
	if (PyErr_Occurred())
		Py_CLEAR(t);
	return t;
}

static PyObject *Frame_plane(FrameObject *self, PyObject *arg)
{
	struct sealbuf_buffer_info info = { .sz = sizeof(info) };
	const struct sealbuf_frame_desc *d;
	struct sealbuf_frame *f;
	PlaneObject *p;
	PyObject *view;
	uint32_t i;
	void *data;

	if (!index_arg(arg, &i) || !(f = get_open(self)))
		return NULL;
	d = sealbuf_frame_desc(f);
	data = sealbuf_frame_plane(f, i);
	if (!data || i >= d->nplanes)
		return PyErr_Format(PyExc_ValueError, "no plane %u (or its buffer is not set)", i);
	if (sealbuf_frame_buffer_info(f, d->planes[i].buffer, &info) < 0 ||
	    info.size < d->planes[i].offset)
		return sbpy_raise(-EINVAL);
	p = PyObject_New(PlaneObject, &Plane_Type);
	if (!p)
		return NULL;
	p->frame = (FrameObject *)Py_NewRef(self);
	p->data = data;
	p->len = (Py_ssize_t)(info.size - d->planes[i].offset);
	p->readonly = !info.writable;
	view = PyMemoryView_FromObject((PyObject *)p);
	Py_DECREF(p);
	return view;
}

static PyObject *Frame_export(FrameObject *self, PyObject *arg)
{
	struct sealbuf_frame *f;
	uint32_t i;
	int fd = -1, err;

	if (!index_arg(arg, &i) || !(f = get_open(self)))
		return NULL;
	err = sealbuf_frame_export(f, i, &fd);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

static PyObject *Frame_send(FrameObject *self, PyObject *args, PyObject *kw)
{
	char *kws[] = { "sock", "readonly", NULL };
	struct sealbuf_frame *f;
	int readonly = 0, fd, err;
	PyObject *sock;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$p:send", kws, &sock, &readonly) ||
	    (fd = sbpy_fd(sock)) < 0 || !(f = get_open(self)))
		return NULL;
	self->inflight++;
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_frame_send(fd, f, readonly ? SEALBUF_SHARE_RDONLY : 0);
	Py_END_ALLOW_THREADS
	self->inflight--;
	maybe_free(self);
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

static PyObject *Frame_set_region(FrameObject *self, PyObject *args)
{
	struct sealbuf_region *r;
	struct sealbuf_frame *f;
	PyObject *idx, *region;
	uint32_t i;
	int err;

	if (!PyArg_ParseTuple(args, "OO:set_region", &idx, &region) || !index_arg(idx, &i) ||
	    !(f = get_open(self)) || !(r = sbpy_region_take(region)))
		return NULL;
	err = sealbuf_frame_set_region(f, i, r); /* the frame takes it, even on failure */
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

static PyObject *Frame_set_dmabuf(FrameObject *self, PyObject *args)
{
	struct sealbuf_frame *f;
	PyObject *idx, *fdobj;
	int fd, dup_fd, err;
	uint32_t i;

	if (!PyArg_ParseTuple(args, "OO:set_dmabuf", &idx, &fdobj) || !index_arg(idx, &i) ||
	    (fd = sbpy_fd(fdobj)) < 0 || !(f = get_open(self)))
		return NULL;
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return PyErr_SetFromErrno(PyExc_OSError);
	err = sealbuf_frame_set_dmabuf(f, i, dup_fd); /* the frame takes the duplicate */
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

static PyObject *Frame_repr(FrameObject *self)
{
	const struct sealbuf_frame_desc *d;

	if (self->closed || !self->f)
		return PyUnicode_FromString("<sealbuf.Frame closed>");
	d = sealbuf_frame_desc(self->f);
	return PyUnicode_FromFormat("<sealbuf.Frame %c%c%c%c %ux%u planes=%u buffers=%u>",
				    d->fourcc & 0xff, (d->fourcc >> 8) & 0xff,
				    (d->fourcc >> 16) & 0xff, (d->fourcc >> 24) & 0xff,
				    d->width, d->height, d->nplanes, d->nbuffers);
}

static PyGetSetDef Frame_getset[] = {
	{ "desc", (getter)get_desc, NULL, "The frame's description (a dict; see frame_layout()).", NULL },
	{ "closed", (getter)get_closed, NULL, "True once close() was called.", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

#define METH_KW(fn) (PyCFunction)(void (*)(void))(fn), METH_VARARGS | METH_KEYWORDS

static PyMethodDef Frame_methods[] = {
	{ "close", (PyCFunction)Frame_close, METH_NOARGS,
	  "close() -> None\n\nFree the frame and its buffers once no plane view is left." },
	{ "__enter__", (PyCFunction)Frame_enter, METH_NOARGS, "Return the frame (open)." },
	{ "__exit__", (PyCFunction)Frame_exit, METH_VARARGS, "close() it." },
	{ "plane", (PyCFunction)Frame_plane, METH_O,
	  "plane(index) -> memoryview\n\nThe mapped bytes of a plane, from its first byte to its\n"
	  "buffer's end (read-only when the buffer is); no copy. Keeps the frame mapped." },
	{ "buffer_info", (PyCFunction)Frame_buffer_info, METH_O,
	  "buffer_info(index) -> BufferInfo\n\nBuffer index: (kind, writable, size, exporter)." },
	{ "export", (PyCFunction)Frame_export, METH_O,
	  "export(index) -> int\n\nA dma-buf fd of buffer index for a device; yours to close." },
	{ "send", METH_KW(Frame_send),
	  "send(sock, *, readonly=False) -> None\n\nSend the frame, its description and one fd per\n"
	  "buffer in one message (readonly: region buffers shared read-only)." },
	{ "set_region", (PyCFunction)Frame_set_region, METH_VARARGS,
	  "set_region(index, region) -> None\n\nMake a plain Region buffer index: the frame takes\n"
	  "it (the Region is closed after; it must have no views)." },
	{ "set_dmabuf", (PyCFunction)Frame_set_dmabuf, METH_VARARGS,
	  "set_dmabuf(index, dmabuf_fd) -> None\n\nMake a dma-buf buffer index (the frame maps a\n"
	  "duplicate; dmabuf_fd stays yours)." },
	{ NULL, NULL, 0, NULL },
};

static PyTypeObject Frame_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sealbuf.Frame",
	.tp_basicsize = sizeof(FrameObject),
	.tp_dealloc = (destructor)Frame_dealloc,
	.tp_repr = (reprfunc)Frame_repr,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "An image of one DRM format whose planes live in regions or dma-bufs\n"
		  "(frame_create(), frame_new(), frame_recv()).",
	.tp_weaklistoffset = offsetof(FrameObject, weakrefs),
	.tp_methods = Frame_methods,
	.tp_getset = Frame_getset,
};

/* The plane exporter: views of it count as the frame's. */
static int Plane_getbuffer(PlaneObject *self, Py_buffer *view, int flags)
{
	if (self->frame->closed || !self->frame->f) {
		PyErr_SetString(PyExc_BufferError, "sealbuf.Frame is closed");
		view->obj = NULL;
		return -1;
	}
	if (PyBuffer_FillInfo(view, (PyObject *)self, self->data, self->len, self->readonly,
			      flags) < 0)
		return -1;
	self->frame->exports++;
	return 0;
}

static void Plane_releasebuffer(PlaneObject *self, Py_buffer *view)
{
	self->frame->exports--;
	maybe_free(self->frame);
}

static void Plane_dealloc(PlaneObject *self)
{
	Py_DECREF(self->frame);
	PyObject_Free(self);
}

static PyBufferProcs Plane_as_buffer = {
	.bf_getbuffer = (getbufferproc)Plane_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Plane_releasebuffer,
};

static PyTypeObject Plane_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sealbuf._Plane",
	.tp_basicsize = sizeof(PlaneObject),
	.tp_dealloc = (destructor)Plane_dealloc,
	.tp_as_buffer = &Plane_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "The exporter behind Frame.plane()'s memoryview.",
};

static PyStructSequence_Field buffer_fields[] = {
	{ "kind", "BUFFER_REGION, BUFFER_DMABUF, or 0 while unset" },
	{ "writable", "mapped read-write here" },
	{ "size", "bytes mapped" },
	{ "exporter", "dma-buf: \"system\", \"udmabuf\", ...; region: \"\"" },
	{ NULL, NULL },
};

static PyStructSequence_Desc buffer_desc = {
	"sealbuf.BufferInfo", "What Frame.buffer_info() says of one buffer.", buffer_fields, 4,
};

PyMethodDef sbpy_frame_methods[] = {
	{ "frame_layout", METH_KW(py_frame_layout), frame_layout_doc },
	{ "frame_create", METH_KW(py_frame_create), frame_create_doc },
	{ "frame_new", py_frame_new, METH_O, frame_new_doc },
	{ "frame_recv", METH_KW(py_frame_recv), frame_recv_doc },
	{ "heap_alloc", py_heap_alloc, METH_VARARGS, heap_alloc_doc },
	{ "heap_list", py_heap_list, METH_NOARGS, heap_list_doc },
	{ "dmabuf_export_sync_file", py_export_sync, METH_VARARGS, export_sync_doc },
	{ "dmabuf_import_sync_file", py_import_sync, METH_VARARGS, import_sync_doc },
	{ "sync_file_wait", METH_KW(py_sync_wait), sync_wait_doc },
	{ NULL, NULL, 0, NULL },
};

#define FOURCC(a, b, c, d) ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | \
			    ((uint32_t)(d) << 24))

int sbpy_frame_init(PyObject *m)
{
	static const struct { const char *name; long v; } c[] = {
		{ "FORMAT_XRGB8888", FOURCC('X', 'R', '2', '4') },
		{ "FORMAT_ARGB8888", FOURCC('A', 'R', '2', '4') },
		{ "FORMAT_NV12", FOURCC('N', 'V', '1', '2') },
		{ "FORMAT_YUV420", FOURCC('Y', 'U', '1', '2') },
		{ "FORMAT_YUYV", FOURCC('Y', 'U', 'Y', 'V') },
		{ "FRAME_MAX_PLANES", SEALBUF_FRAME_MAX_PLANES },
		{ "FRAME_MAX_BUFFERS", SEALBUF_FRAME_MAX_BUFFERS },
		{ "BUFFER_REGION", SEALBUF_BUFFER_REGION },
		{ "BUFFER_DMABUF", SEALBUF_BUFFER_DMABUF },
	};

	if (PyType_Ready(&Frame_Type) < 0 || PyType_Ready(&Plane_Type) < 0)
		return -1;
	if (!BufferInfo_Type.tp_name && PyStructSequence_InitType2(&BufferInfo_Type, &buffer_desc) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (PyModule_AddIntConstant(m, c[i].name, c[i].v) < 0)
			return -1;
	if (PyModule_AddObjectRef(m, "Frame", (PyObject *)&Frame_Type) < 0 ||
	    PyModule_AddObjectRef(m, "BufferInfo", (PyObject *)&BufferInfo_Type) < 0)
		return -1;
	return 0;
}
