/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sealbuf Python module: shared declarations of module.c (functions,
 * errors, constants), region.c (the Region type) and dmabuf.c.
 */
#ifndef SBPY_H
#define SBPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>
#include <stdbool.h>

#include "sealbuf.h"

/* A region as Python sees it: the C region, and who still uses its mapping. */
typedef struct {
	PyObject_HEAD
	struct sealbuf_region *r;   /* NULL once freed */
	PyThread_type_lock lock;    /* serialises the calls that update r's fields */
	Py_ssize_t exports;         /* buffer views alive: they keep the mapping */
	Py_ssize_t inflight;        /* calls running without the GIL */
	bool closed;                /* close() was called: no new use */
	Py_buffer mirror_src;       /* mirror regions: the caller's memory, held */
	PyObject *peer;             /* received regions: a PeerInfo of the sender, or NULL */
	PyObject *weakrefs;
} RegionObject;

extern PyTypeObject Region_Type;
extern PyTypeObject Window_Type;
extern PyObject *sbpy_Error;

/* Raise sealbuf.Error for @err (< 0) with this thread's reason and text. */
PyObject *sbpy_raise(int err);
/* An fd from an int or an object with fileno() (a socket.socket); -1 + exception. */
int sbpy_fd(PyObject *obj);
/* A writable C-contiguous buffer of @obj; TypeError (as readinto()) if read-only. */
int sbpy_writable_buffer(PyObject *obj, Py_buffer *view, const char *what);
/* poll(2)-style timeout in ms from None or an int; false + exception if bad. */
bool sbpy_timeout(PyObject *obj, int *ret_ms);
/* populate=None (no flag), True (SEALBUF_OPEN_POPULATE), False (_LAZY) into *@flags;
 * false + TypeError if not a bool or None. */
bool sbpy_populate(PyObject *obj, uint32_t *flags);
/* A Region owning @r (freed on failure). */
PyObject *sbpy_region_new(struct sealbuf_region *r);
/* The C region of an open Region, or NULL + exception. */
struct sealbuf_region *sbpy_region_get(PyObject *obj);

/* An unsigned 64-bit int argument; false + TypeError/ValueError if not. */
bool sbpy_u64(PyObject *obj, const char *what, uint64_t *out);
/* Keyword arguments offset, length, payload, name (format @fmt) into @o. */
bool sbpy_export_opts(PyObject *args, PyObject *kw, const char *fmt,
		      struct sealbuf_export_opts *o);
/* A list of @n fds; on failure (exception set) they are all closed. */
PyObject *sbpy_fd_list(const int *fds, int n);

/* window.c: Region.window(). */
PyObject *sbpy_window_map(PyObject *region, PyObject *args, PyObject *kw);
/* module.c: a PeerInfo of @peer. */
PyObject *sbpy_peer_info(const struct sealbuf_peer *peer);

/*
 * module.c: before a receive with @timeout_ms (poll's rule), wait for @fd to
 * be readable in GIL-free slices (Ctrl-C works): the timeout to hand the
 * library then, or -2 with an exception set.
 */
int sbpy_recv_timeout(int fd, int timeout_ms);
/* frame.c: frames, dma-heaps and sync files. */
extern PyMethodDef sbpy_frame_methods[];
int sbpy_frame_init(PyObject *module);
/* region.c: take the C region out of an open Region with no views (it is closed after). */
struct sealbuf_region *sbpy_region_take(PyObject *obj);

/* dmabuf.c: module-level dma-buf, udmabuf and DRM functions. */
extern PyMethodDef sbpy_dmabuf_methods[];
int sbpy_dmabuf_init(PyObject *module);

#endif
