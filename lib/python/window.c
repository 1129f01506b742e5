// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sealbuf.Window: part of a region mapped on its own (sealbuf_window_map()),
 * a buffer whose views keep it mapped after close(), as for Region.
 */
#include <string.h>

#include "sbpy.h"

typedef struct {
	PyObject_HEAD
	struct sealbuf_window *w; /* NULL once unmapped */
	Py_ssize_t exports;       /* buffer views alive */
	bool closed;
	bool readonly;
	PyObject *weakrefs;
} WindowObject;

static void maybe_unmap(WindowObject *self)
{
	if (self->closed && self->exports == 0 && self->w) {
		sealbuf_window_unmap(self->w);
		self->w = NULL;
	}
}

PyObject *sbpy_window_map(PyObject *region, PyObject *args, PyObject *kw)
{
	char *kws[] = { "offset", "length", "payload", "readonly", NULL };
	PyObject *off = NULL, *len = NULL;
	int payload = 0, readonly = 0, err;
	struct sealbuf_window *w = NULL;
	struct sealbuf_region *r;
	uint64_t offset = 0, length = 0;
	WindowObject *self;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO$pp:window", kws, &off, &len, &payload,
					 &readonly) ||
	    (off && !sbpy_u64(off, "offset", &offset)) || (len && !sbpy_u64(len, "length", &length)) ||
	    !(r = sbpy_region_get(region)))
		return NULL;
	err = sealbuf_window_map(r, offset, length,
				 (payload ? SEALBUF_WINDOW_PAYLOAD : 0) |
				 (readonly ? SEALBUF_WINDOW_RDONLY : 0), &w);
	if (err < 0)
		return sbpy_raise(err);
	self = PyObject_New(WindowObject, &Window_Type);
	if (!self) {
		sealbuf_window_unmap(w);
		return NULL;
	}
	self->w = w;
	self->exports = 0;
	self->closed = false;
	self->readonly = readonly;
	self->weakrefs = NULL;
	return (PyObject *)self;
}

static void Window_dealloc(WindowObject *self)
{
	if (self->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)self);
	self->closed = true;
	self->exports = 0;
	maybe_unmap(self);
	PyObject_Free(self);
}

static int Window_getbuffer(WindowObject *self, Py_buffer *view, int flags)
{
	if (self->closed || !self->w) {
		PyErr_SetString(PyExc_BufferError, "sealbuf.Window is closed");
		view->obj = NULL;
		return -1;
	}
	if (PyBuffer_FillInfo(view, (PyObject *)self, sealbuf_window_data(self->w),
			      (Py_ssize_t)sealbuf_window_size(self->w), self->readonly, flags) < 0)
		return -1;
	self->exports++;
	return 0;
}

static void Window_releasebuffer(WindowObject *self, Py_buffer *view)
{
	self->exports--;
	maybe_unmap(self);
}

static PyBufferProcs Window_as_buffer = {
	.bf_getbuffer = (getbufferproc)Window_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Window_releasebuffer,
};

static PyObject *Window_close(WindowObject *self, PyObject *unused)
{
	self->closed = true;
	maybe_unmap(self);
	Py_RETURN_NONE;
}

static PyObject *Window_enter(WindowObject *self, PyObject *unused)
{
	if (self->closed) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed sealbuf.Window");
		return NULL;
	}
	return Py_NewRef(self);
}

static PyObject *Window_exit(WindowObject *self, PyObject *args)
{
	return Window_close(self, NULL);
}

static PyObject *get_size(WindowObject *self, void *c)
{
	if (self->closed || !self->w) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed sealbuf.Window");
		return NULL;
	}
	return PyLong_FromSize_t(sealbuf_window_size(self->w));
}

static PyObject *get_readonly(WindowObject *self, void *c)
{
	return PyBool_FromLong(self->readonly);
}

static PyObject *get_closed(WindowObject *self, void *c)
{
	return PyBool_FromLong(self->closed);
}

static PyObject *Window_repr(WindowObject *self)
{
	if (self->closed || !self->w)
		return PyUnicode_FromString("<sealbuf.Window closed>");
	return PyUnicode_FromFormat("<sealbuf.Window size=%zu %s>", sealbuf_window_size(self->w),
				    self->readonly ? "read-only" : "read-write");
}

static PyGetSetDef Window_getset[] = {
	{ "size", (getter)get_size, NULL, "Bytes mapped.", NULL },
	{ "readonly", (getter)get_readonly, NULL, "Whether the window is mapped read-only.", NULL },
	{ "closed", (getter)get_closed, NULL, "True once close() was called.", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

static PyMethodDef Window_methods[] = {
	{ "close", (PyCFunction)Window_close, METH_NOARGS,
	  "close() -> None\n\nUnmap the window once no view of it is left; closing twice is fine." },
	{ "__enter__", (PyCFunction)Window_enter, METH_NOARGS, "Return the window (open)." },
	{ "__exit__", (PyCFunction)Window_exit, METH_VARARGS, "close() it." },
	{ NULL, NULL, 0, NULL },
};

PyTypeObject Window_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sealbuf.Window",
	.tp_basicsize = sizeof(WindowObject),
	.tp_dealloc = (destructor)Window_dealloc,
	.tp_repr = (reprfunc)Window_repr,
	.tp_as_buffer = &Window_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = "Part of a region mapped on its own (Region.window()): a buffer, as a Region is.",
	.tp_weaklistoffset = offsetof(WindowObject, weakrefs),
	.tp_methods = Window_methods,
	.tp_getset = Window_getset,
};
