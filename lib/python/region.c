// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sealbuf.Region: a region, its buffer protocol and its methods.
 *
 * Lifetime rules, as Python's mmap objects keep them: buffer views (memoryview,
 * numpy arrays) keep the mapping alive; close() stops new use at once but the
 * region is unmapped only when the last view is released and no call that
 * runs without the GIL still uses it. Calls that update the C region's own
 * fields (size, sequence) run under the region's lock, so two Python threads
 * never race on them; wait() only reads the shared header and takes no lock,
 * so one thread may write while another waits on the same Region.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sbpy.h"

#define WAIT_SLICE_MS 200 /* waits check for signals and close() this often */

static const char empty_buf[1];

/* Free the C region once it is closed and nobody uses its mapping any more. */
static void maybe_free(RegionObject *self)
{
	if (!self->closed || self->exports > 0 || self->inflight > 0 || !self->r)
		return;
	sealbuf_region_free(self->r);
	self->r = NULL;
	if (self->mirror_src.obj)
		PyBuffer_Release(&self->mirror_src);
}

PyObject *sbpy_region_new(struct sealbuf_region *r)
{
	RegionObject *self = PyObject_New(RegionObject, &Region_Type);

	if (!self) {
		sealbuf_region_free(r);
		return NULL;
	}
	self->r = r;
	self->exports = self->inflight = 0;
	self->closed = false;
	memset(&self->mirror_src, 0, sizeof(self->mirror_src));
	self->weakrefs = NULL;
	self->peer = NULL;
	self->lock = PyThread_allocate_lock();
	if (!self->lock) {
		Py_DECREF(self);
		return PyErr_NoMemory();
	}
	return (PyObject *)self;
}

static struct sealbuf_region *get_open(RegionObject *self)
{
	if (self->closed || !self->r) {
		PyErr_SetString(PyExc_ValueError, "operation on a closed sealbuf.Region");
		return NULL;
	}
	return self->r;
}

struct sealbuf_region *sbpy_region_get(PyObject *obj)
{
	if (!PyObject_TypeCheck(obj, &Region_Type)) {
		PyErr_Format(PyExc_TypeError, "expected a sealbuf.Region, not %.100s",
			     Py_TYPE(obj)->tp_name);
		return NULL;
	}
	return get_open((RegionObject *)obj);
}

struct sealbuf_region *sbpy_region_take(PyObject *obj)
{
	struct sealbuf_region *r = sbpy_region_get(obj);
	RegionObject *self = (RegionObject *)obj;

	if (!r)
		return NULL;
	if (self->exports > 0 || self->inflight > 0 || self->mirror_src.obj) {
		PyErr_SetString(PyExc_BufferError,
				"the region has views or calls in progress: it cannot be given away");
		return NULL;
	}
	self->r = NULL;
	self->closed = true;
	return r;
}

/*
 * Run STMT without the GIL under the region's lock; the region stays mapped
 * meanwhile even if another thread closes it. R must come from get_open().
 */
#define LOCKED_CALL(self, STMT)                                                \
	do {                                                                   \
		(self)->inflight++;                                            \
		Py_BEGIN_ALLOW_THREADS                                         \
		PyThread_acquire_lock((self)->lock, WAIT_LOCK);                \
		STMT;                                                          \
		PyThread_release_lock((self)->lock);                           \
		Py_END_ALLOW_THREADS                                           \
		(self)->inflight--;                                            \
		maybe_free(self);                                              \
	} while (0)

/*
 * Read a field under the lock (another thread may be updating it, GIL-free).
 * Waiting for the lock drops the GIL, so the region counts as in use meanwhile.
 */
#define LOCKED_GET(self, EXPR, OUT)                                            \
	do {                                                                   \
		(self)->inflight++;                                            \
		Py_BEGIN_ALLOW_THREADS                                         \
		PyThread_acquire_lock((self)->lock, WAIT_LOCK);                \
		Py_END_ALLOW_THREADS                                           \
		(OUT) = (EXPR);                                                \
		PyThread_release_lock((self)->lock);                           \
		(self)->inflight--;                                            \
		maybe_free(self);                                              \
	} while (0)

/*
 * A method that drops the GIL more than once holds the region across all of
 * it: the LOCKED_* steps inside then never free it under the next step.
 */
static void hold(RegionObject *self)
{
	self->inflight++;
}

static void unhold(RegionObject *self)
{
	self->inflight--;
	maybe_free(self);
}

static void Region_dealloc(RegionObject *self)
{
	if (self->weakrefs)
		PyObject_ClearWeakRefs((PyObject *)self);
	self->closed = true;
	self->exports = self->inflight = 0; /* views and calls hold references: none left */
	maybe_free(self);
	if (self->lock)
		PyThread_free_lock(self->lock);
	Py_XDECREF(self->peer);
	PyObject_Free(self);
}

/* ------------------------------------------------------------------------ */
/* Buffer protocol: the mapped pages themselves                              */
/* ------------------------------------------------------------------------ */

static int Region_getbuffer(RegionObject *self, Py_buffer *view, int flags)
{
	struct sealbuf_region *r = self->closed ? NULL : self->r;
	bool readonly;
	void *data;

	if (!r) {
		PyErr_SetString(PyExc_BufferError, "sealbuf.Region is closed");
		view->obj = NULL;
		return -1;
	}
	readonly = !sealbuf_region_writable(r);
	if ((flags & PyBUF_WRITABLE) && readonly) {
		PyErr_SetString(PyExc_BufferError, "sealbuf.Region is mapped read-only");
		view->obj = NULL;
		return -1;
	}
	data = sealbuf_region_data(r); /* NULL: empty, or opened with nomap */
	if (PyBuffer_FillInfo(view, (PyObject *)self, data ? data : (void *)empty_buf,
			      data ? (Py_ssize_t)sealbuf_region_capacity(r) : 0, readonly, flags) < 0)
		return -1;
	self->exports++;
	return 0;
}

static void Region_releasebuffer(RegionObject *self, Py_buffer *view)
{
	self->exports--;
	maybe_free(self);
}

static PyBufferProcs Region_as_buffer = {
	.bf_getbuffer = (getbufferproc)Region_getbuffer,
	.bf_releasebuffer = (releasebufferproc)Region_releasebuffer,
};

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                  */
/* ------------------------------------------------------------------------ */

PyDoc_STRVAR(close_doc,
"close() -> None\n"
"\n"
"Free the region: unmap it and close its memfd. The peer's mapping stays.\n"
"Views made before (memoryview, numpy) keep the pages mapped until they are\n"
"released; the Region itself refuses any further use. Closing twice is fine.");

static PyObject *Region_close(RegionObject *self, PyObject *unused)
{
	self->closed = true;
	maybe_free(self);
	Py_RETURN_NONE;
}

static PyObject *Region_enter(RegionObject *self, PyObject *unused)
{
	if (!get_open(self))
		return NULL;
	return Py_NewRef(self);
}

static PyObject *Region_exit(RegionObject *self, PyObject *args)
{
	return Region_close(self, NULL);
}

static const char *kind_name(enum sealbuf_kind k)
{
	switch (k) {
	case SEALBUF_KIND_PLAIN:
		return "plain";
	case SEALBUF_KIND_RESERVED:
		return "reserved";
	case SEALBUF_KIND_MIRROR:
		return "mirror";
	}
	return "unknown";
}

static PyObject *Region_repr(RegionObject *self)
{
	struct sealbuf_region *r = self->closed ? NULL : self->r;
	size_t size;

	PyObject *repr;

	if (!r)
		return PyUnicode_FromString("<sealbuf.Region closed>");
	hold(self);
	LOCKED_GET(self, sealbuf_region_size(r), size);
	repr = PyUnicode_FromFormat("<sealbuf.Region %s size=%zu capacity=%zu %s fd=%d>",
				    kind_name(sealbuf_region_kind(r)), size,
				    sealbuf_region_capacity(r),
				    sealbuf_region_writable(r) ? "read-write" : "read-only",
				    sealbuf_region_fd(r));
	unhold(self);
	return repr;
}

/* ------------------------------------------------------------------------ */
/* Properties                                                                */
/* ------------------------------------------------------------------------ */

static PyObject *get_kind(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);

	return r ? PyLong_FromLong(sealbuf_region_kind(r)) : NULL;
}

static PyObject *get_size(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);
	size_t v;

	if (!r)
		return NULL;
	LOCKED_GET(self, sealbuf_region_size(r), v);
	return PyLong_FromSize_t(v);
}

static PyObject *get_seq(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);
	uint64_t v;

	if (!r)
		return NULL;
	LOCKED_GET(self, sealbuf_region_seq(r), v);
	return PyLong_FromUnsignedLongLong(v);
}

static PyObject *get_capacity(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);

	return r ? PyLong_FromSize_t(sealbuf_region_capacity(r)) : NULL;
}

static PyObject *get_mapped_size(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);

	return r ? PyLong_FromSize_t(sealbuf_region_mapped_size(r)) : NULL;
}

static PyObject *get_writable(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);

	return r ? PyBool_FromLong(sealbuf_region_writable(r)) : NULL;
}

static PyObject *get_fd(RegionObject *self, void *c)
{
	struct sealbuf_region *r = get_open(self);

	return r ? PyLong_FromLong(sealbuf_region_fd(r)) : NULL;
}

static PyObject *get_peer(RegionObject *self, void *c)
{
	return Py_NewRef(self->peer ? self->peer : Py_None);
}

static PyObject *get_closed(RegionObject *self, void *c)
{
	return PyBool_FromLong(self->closed || !self->r);
}

static PyGetSetDef Region_getset[] = {
	{ "kind", (getter)get_kind, NULL, "KIND_PLAIN, KIND_RESERVED or KIND_MIRROR.", NULL },
	{ "size", (getter)get_size, NULL,
	  "Size of the data: the requested size of a plain region, or the valid size of a\n"
	  "reserved/mirror region as of this process's last write, read or snapshot.", NULL },
	{ "capacity", (getter)get_capacity, NULL,
	  "Capacity of the data (the length of the buffer the Region exposes).", NULL },
	{ "mapped_size", (getter)get_mapped_size, NULL,
	  "Bytes mapped in this process (whole pages, header included); 0 when empty.", NULL },
	{ "writable", (getter)get_writable, NULL, "Whether this process's mapping is writable.", NULL },
	{ "fd", (getter)get_fd, NULL,
	  "The region's memfd, still owned by the region (do not close it), or -1 when\n"
	  "it was opened or received without keep_handle.", NULL },
	{ "seq", (getter)get_seq, NULL,
	  "Sequence of the publication last written, read or snapshot here (even); 0 for\n"
	  "plain regions.", NULL },
	{ "closed", (getter)get_closed, NULL, "True once close() was called.", NULL },
	{ "peer", (getter)get_peer, NULL,
	  "Who sent a received region: a PeerInfo(pid, uid, gid, pidfd, source); None for\n"
	  "regions made or opened here.", NULL },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* ------------------------------------------------------------------------ */
/* Sharing                                                                   */
/* ------------------------------------------------------------------------ */

PyDoc_STRVAR(share_doc,
"share(*, readonly=False) -> int\n"
"\n"
"A new close-on-exec fd of the region, yours to send once and to close\n"
"(os.close). readonly: a handle that can only ever be mapped read-only.");

static PyObject *Region_share(RegionObject *self, PyObject *args, PyObject *kw)
{
	char *kws[] = { "readonly", NULL };
	struct sealbuf_region *r;
	int readonly = 0, fd = -1, err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|$p:share", kws, &readonly) ||
	    !(r = get_open(self)))
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_share(r, readonly ? SEALBUF_SHARE_RDONLY : 0, &fd));
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

PyDoc_STRVAR(send_doc,
"send(sock, *, readonly=False) -> None\n"
"\n"
"Send the region's handle and description in one message on an AF_UNIX\n"
"socket (a socket.socket or an fd; SOCK_SEQPACKET, SOCK_STREAM or\n"
"SOCK_DGRAM). readonly: the receiver can only map it read-only. Never\n"
"raises SIGPIPE: a gone peer is an Error (EPIPE or ECONNRESET).");

static PyObject *Region_send(RegionObject *self, PyObject *args, PyObject *kw)
{
	char *kws[] = { "sock", "readonly", NULL };
	struct sealbuf_region *r;
	int readonly = 0, fd, err;
	PyObject *sock;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$p:send", kws, &sock, &readonly) ||
	    (fd = sbpy_fd(sock)) < 0 || !(r = get_open(self)))
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_send(fd, r, readonly ? SEALBUF_SHARE_RDONLY : 0));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(freeze_doc,
"freeze() -> None\n"
"\n"
"Make the region read-only for every holder, for good (F_SEAL_WRITE): this\n"
"process's mapping turns read-only in place and nobody, root included, can\n"
"write it again. Refused (BufferError) while views of the region exist, as\n"
"their writes would then fault; Error EBUSY (SEALBUF_R_WRITABLE_MAPPING)\n"
"while a peer still maps it writable or a dma-buf pins it.");

static PyObject *Region_freeze(RegionObject *self, PyObject *unused)
{
	struct sealbuf_region *r = get_open(self);
	int err;

	if (!r)
		return NULL;
	if (self->exports > 0)
		return PyErr_Format(PyExc_BufferError,
				    "cannot freeze a region with %zd views alive (release them first)",
				    self->exports);
	LOCKED_CALL(self, err = sealbuf_region_freeze(r));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(window_doc,
"window(offset=0, length=0, *, payload=False, readonly=False) -> Window\n"
"\n"
"Map length bytes of the region from offset (page multiples; length 0: to\n"
"the end; payload: from a reserved region's payload) as a mapping of its\n"
"own, a buffer like the region. Needs the region's handle (made here, or\n"
"opened with keep_handle or nomap). The window is independent of the\n"
"region: close it before or after the region.");

static PyObject *Region_window(RegionObject *self, PyObject *args, PyObject *kw)
{
	return sbpy_window_map((PyObject *)self, args, kw);
}

/* ------------------------------------------------------------------------ */
/* Reserved regions: writing                                                 */
/* ------------------------------------------------------------------------ */

PyDoc_STRVAR(write_doc,
"write(data) -> None\n"
"\n"
"Replace the payload of a reserved region with data (any bytes-like object)\n"
"and publish it, waking sleeping readers. Writer only.");

static PyObject *Region_write(RegionObject *self, PyObject *arg)
{
	struct sealbuf_region *r;
	Py_buffer b;
	int err;

	if (PyObject_GetBuffer(arg, &b, PyBUF_C_CONTIGUOUS) < 0)
		return NULL;
	if (!(r = get_open(self))) {
		PyBuffer_Release(&b);
		return NULL;
	}
	LOCKED_CALL(self, err = sealbuf_region_write(r, b.len ? b.buf : empty_buf, (size_t)b.len));
	PyBuffer_Release(&b);
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(write_begin_doc,
"write_begin() -> None\n"
"\n"
"Start an update in place: readers wait or retry until write_end(). Fill the\n"
"payload through memoryview(region) or a numpy view, then publish it.");

static PyObject *Region_write_begin(RegionObject *self, PyObject *unused)
{
	struct sealbuf_region *r = get_open(self);
	int err;

	if (!r)
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_write_begin(r));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(write_end_doc,
"write_end(size) -> None\n"
"\n"
"Publish the first size bytes of the payload written since write_begin().");

static PyObject *Region_write_end(RegionObject *self, PyObject *arg)
{
	/* Convert first: __index__ may run code that closes the region. */
	Py_ssize_t size = PyNumber_AsSsize_t(arg, PyExc_OverflowError);
	struct sealbuf_region *r;
	int err;

	if (size == -1 && PyErr_Occurred())
		return NULL;
	if (size < 0)
		return PyErr_Format(PyExc_ValueError, "size must be >= 0");
	if (!(r = get_open(self)))
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_write_end(r, (size_t)size));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(update_doc,
"update() -> None\n"
"\n"
"Mirror regions: copy the mirrored buffer into the region and publish it.");

static PyObject *Region_update(RegionObject *self, PyObject *unused)
{
	struct sealbuf_region *r = get_open(self);
	int err;

	if (!r)
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_update(r));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(clear_doc,
"clear() -> None\n"
"\n"
"Mirror regions: zero the mirrored buffer (the next update() publishes it).");

static PyObject *Region_clear(RegionObject *self, PyObject *unused)
{
	struct sealbuf_region *r = get_open(self);
	int err;

	if (!r)
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_clear(r));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------ */
/* Reserved regions: reading                                                 */
/* ------------------------------------------------------------------------ */

static bool overlaps(struct sealbuf_region *r, const Py_buffer *b)
{
	const char *map = sealbuf_region_data(r), *p = b->buf;

	return map && b->len && p < map + sealbuf_region_capacity(r) && map < p + b->len;
}

static PyObject *snapshot_into(RegionObject *self, struct sealbuf_region *r, PyObject *out)
{
	size_t size = 0;
	Py_buffer b;
	int err;

	if (sbpy_writable_buffer(out, &b, "out") < 0)
		return NULL;
	if (overlaps(r, &b)) {
		PyBuffer_Release(&b);
		return PyErr_Format(PyExc_ValueError, "out overlaps the region itself");
	}
	LOCKED_CALL(self, err = sealbuf_region_snapshot(r, b.len ? b.buf : (void *)empty_buf,
						      (size_t)b.len, &size, NULL));
	PyBuffer_Release(&b);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromSize_t(size);
}

/* One snapshot into a new bytes object of @want bytes; NULL + *err on failure. */
static PyObject *snapshot_bytes_once(RegionObject *self, struct sealbuf_region *r,
				     size_t want, size_t *need, int *err)
{
	PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)want);
	size_t size = 0;

	*err = 0;
	if (!bytes)
		return NULL;
	LOCKED_CALL(self, *err = sealbuf_region_snapshot(r, PyBytes_AS_STRING(bytes), want,
						       &size, NULL));
	if (*err < 0) {
		*need = size;
		Py_DECREF(bytes);
		return NULL;
	}
	if (size != want && _PyBytes_Resize(&bytes, (Py_ssize_t)size) < 0)
		return NULL;
	return bytes;
}

/*
 * The bytes object is sized from the header's valid size (read() first), not
 * the capacity: a 256 MiB region holding 4 KiB costs 4 KiB. If a publication
 * grows between the two, the library says how much is needed: try again.
 */
static PyObject *snapshot_bytes(RegionObject *self, struct sealbuf_region *r)
{
	size_t want = 0, need = 0;
	PyObject *bytes = NULL;
	int err;

	hold(self);
	LOCKED_CALL(self, err = sealbuf_region_read(r); want = sealbuf_region_size(r));
	if (err < 0)
		want = sealbuf_region_capacity(r);
	for (int tries = 0; tries < 8; tries++) {
		bytes = snapshot_bytes_once(self, r, want, &need, &err);
		if (bytes || err != -ENOBUFS)
			break;
		want = need;
	}
	unhold(self);
	if (!bytes && err < 0)
		return sbpy_raise(err);
	return bytes;
}

PyDoc_STRVAR(snapshot_doc,
"snapshot(out=None) -> bytes | int\n"
"\n"
"Copy one whole publication of a reserved or mirror region, never a torn\n"
"one. Without out: a new bytes object. With out (a writable buffer: a\n"
"bytearray, a numpy array...): copied into it, and its size returned.\n"
"Either way region.size and region.seq then describe that publication.");

static PyObject *Region_snapshot(RegionObject *self, PyObject *args, PyObject *kw)
{
	char *kws[] = { "out", NULL };
	struct sealbuf_region *r;
	PyObject *out = Py_None;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:snapshot", kws, &out) ||
	    !(r = get_open(self)))
		return NULL;
	if (out != Py_None)
		return snapshot_into(self, r, out);
	return snapshot_bytes(self, r);
}

PyDoc_STRVAR(read_doc,
"read() -> int\n"
"\n"
"Refresh the valid size and sequence from the header (for reading the\n"
"payload in place) and return the size. Read the payload through a view,\n"
"then call read_check().");

static PyObject *Region_read(RegionObject *self, PyObject *unused)
{
	struct sealbuf_region *r = get_open(self);
	size_t size = 0;
	int err;

	if (!r)
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_read(r); size = sealbuf_region_size(r));
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromSize_t(size);
}

PyDoc_STRVAR(read_check_doc,
"read_check() -> bool\n"
"\n"
"After reading the payload in place since read() or snapshot(): True if\n"
"what was read is that publication's, False if an update began since (the\n"
"bytes may be torn: read() and read again).");

static PyObject *Region_read_check(RegionObject *self, PyObject *unused)
{
	struct sealbuf_region *r = get_open(self);
	int err;

	if (!r)
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_read_check(r));
	if (err == -EAGAIN && sealbuf_last_reason() == SEALBUF_R_CONTENDED)
		Py_RETURN_FALSE;
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_TRUE;
}

static bool parse_seq(RegionObject *self, struct sealbuf_region *r, PyObject *obj, uint64_t *seq)
{
	if (obj == Py_None) {
		LOCKED_GET(self, sealbuf_region_seq(r), *seq);
		return true;
	}
	if (!PyLong_Check(obj) || PyBool_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "seen_seq must be an int or None, not %.100s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	*seq = PyLong_AsUnsignedLongLong(obj);
	if (*seq == (uint64_t)-1 && PyErr_Occurred()) {
		PyErr_SetString(PyExc_ValueError, "seen_seq must be an unsigned 64-bit int");
		return false;
	}
	return true;
}

/* One slice of a wait, without the GIL and without the lock (see the top). */
static int wait_slice(RegionObject *self, struct sealbuf_region *r, uint64_t seen,
		      int ms, uint64_t *ret)
{
	int err;

	self->inflight++;
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_region_wait(r, seen, ms, ret);
	Py_END_ALLOW_THREADS
	self->inflight--;
	return err;
}

PyDoc_STRVAR(wait_doc,
"wait(seen_seq=None, timeout_ms=None) -> int\n"
"\n"
"Sleep, without the GIL, until the writer has published a sequence other\n"
"than seen_seq (default: region.seq), and return it; a publication since\n"
"seen_seq returns at once. timeout_ms as poll(2): None or < 0 forever, 0\n"
"only checks (Error EAGAIN, SEALBUF_R_WOULD_BLOCK). Nothing within the\n"
"timeout is Error ETIMEDOUT (SEALBUF_R_TIMEOUT). Answers Ctrl-C, and\n"
"close() from another thread (ValueError), within 200 ms.");

static PyObject *Region_wait(RegionObject *self, PyObject *args, PyObject *kw)
{
	char *kws[] = { "seen_seq", "timeout_ms", NULL };
	PyObject *seqobj = Py_None, *tmo = Py_None;
	struct sealbuf_region *r;
	uint64_t seen, got = 0;
	int timeout, err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:wait", kws, &seqobj, &tmo) ||
	    !sbpy_timeout(tmo, &timeout) || !(r = get_open(self)))
		return NULL;
	hold(self);
	if (!parse_seq(self, r, seqobj, &seen)) {
		unhold(self);
		return NULL;
	}
	for (;;) {
		int slice = timeout < 0 || timeout > WAIT_SLICE_MS ? WAIT_SLICE_MS : timeout;

		err = wait_slice(self, r, seen, slice, &got);
		if (err != -ETIMEDOUT || slice == timeout)
			break;
		if (timeout > 0)
			timeout -= slice;
		if (PyErr_CheckSignals() < 0 || !get_open(self)) {
			unhold(self);
			return NULL;
		}
	}
	unhold(self);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromUnsignedLongLong(got);
}

PyDoc_STRVAR(wait_async_doc,
"wait_async(seen_seq=None, timeout_ms=None) -> asyncio.Future[int]\n"
"\n"
"wait() for asyncio: an awaitable that runs wait() in the running loop's\n"
"default executor (a thread: the futex the writer wakes cannot be polled).\n"
"seen_seq defaults to region.seq now, at the call. Cancelling the awaiting\n"
"task abandons the thread's wait, which ends at the next publication, at\n"
"the timeout, or within 200 ms of close().");

static PyObject *Region_wait_async(RegionObject *self, PyObject *args, PyObject *kw)
{
	char *kws[] = { "seen_seq", "timeout_ms", NULL };
	PyObject *seqobj = Py_None, *tmo = Py_None, *asyncio, *loop, *wait, *fut;
	struct sealbuf_region *r;
	uint64_t seen;
	int timeout;

	bool ok;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO:wait_async", kws, &seqobj, &tmo) ||
	    !sbpy_timeout(tmo, &timeout) || !(r = get_open(self)))
		return NULL;
	hold(self);
	ok = parse_seq(self, r, seqobj, &seen);
	unhold(self);
	if (!ok)
		return NULL;
	asyncio = PyImport_ImportModule("asyncio");
	if (!asyncio)
		return NULL;
	loop = PyObject_CallMethod(asyncio, "get_running_loop", NULL);
	Py_DECREF(asyncio);
	if (!loop)
		return NULL;
	wait = PyObject_GetAttrString((PyObject *)self, "wait");
	fut = wait ? PyObject_CallMethod(loop, "run_in_executor", "OOKi", Py_None, wait,
					 (unsigned long long)seen, timeout) : NULL;
	Py_XDECREF(wait);
	Py_DECREF(loop);
	return fut;
}

PyDoc_STRVAR(set_stall_timeout_doc,
"set_stall_timeout(timeout_ms) -> None\n"
"\n"
"How long one update may stay in progress before readers give up with\n"
"Error EOWNERDEAD (SEALBUF_R_WRITER_STALLED); 0 restores the default (1000).");

static PyObject *Region_set_stall_timeout(RegionObject *self, PyObject *arg)
{
	struct sealbuf_region *r;
	int ms, err;

	ms = PyLong_Check(arg) && !PyBool_Check(arg) ? _PyLong_AsInt(arg) : -2;
	if (ms == -2 && !PyErr_Occurred())
		return PyErr_Format(PyExc_TypeError, "timeout_ms must be an int");
	if ((ms == -1 && PyErr_Occurred()) || !(r = get_open(self)))
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_set_stall_timeout(r, ms));
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------ */
/* dma-buf export                                                            */
/* ------------------------------------------------------------------------ */

bool sbpy_u64(PyObject *obj, const char *what, uint64_t *out)
{
	if (!PyLong_Check(obj) || PyBool_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "%s must be an int, not %.100s", what,
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	*out = PyLong_AsUnsignedLongLong(obj);
	if (*out == (uint64_t)-1 && PyErr_Occurred()) {
		PyErr_Format(PyExc_ValueError, "%s must be an unsigned 64-bit int", what);
		return false;
	}
	return true;
}

/* Keywords offset, length, payload, name into @o (its .sz set). */
bool sbpy_export_opts(PyObject *args, PyObject *kw, const char *fmt,
		      struct sealbuf_export_opts *o)
{
	char *kws[] = { "offset", "length", "payload", "name", NULL };
	PyObject *off = NULL, *len = NULL;
	int payload = 0;

	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kws, &off, &len, &payload, &o->name))
		return false;
	if ((off && !sbpy_u64(off, "offset", &o->offset)) ||
	    (len && !sbpy_u64(len, "length", &o->length)))
		return false;
	o->flags = payload ? SEALBUF_EXPORT_PAYLOAD : 0;
	return true;
}

PyDoc_STRVAR(export_doc,
"export(*, offset=0, length=0, payload=False, name=None) -> int\n"
"\n"
"Export a page-aligned range of the region (all of it by default; payload:\n"
"count from a reserved region's payload and leave the header out) as a\n"
"dma-buf through /dev/udmabuf. Returns its fd, yours to close (os.close);\n"
"it keeps the pages alive after the region is closed. Needs the region's\n"
"memfd: a received region needs keep_handle=True.");

static PyObject *Region_export(RegionObject *self, PyObject *args, PyObject *kw)
{
	struct sealbuf_export_opts o;
	struct sealbuf_region *r;
	int fd = -1, err;

	if (!sbpy_export_opts(args, kw, "|$OOpz:export", &o) || !(r = get_open(self)))
		return NULL;
	LOCKED_CALL(self, err = sealbuf_region_export(r, &o, &fd));
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

/* A list of @n fds; on failure they are closed. */
PyObject *sbpy_fd_list(const int *fds, int n)
{
	PyObject *list = PyList_New(n);

	for (int i = 0; i < n; i++) {
		PyObject *v = list ? PyLong_FromLong(fds[i]) : NULL;

		if (!v) {
			for (int j = 0; j < n; j++)
				close(fds[j]);
			Py_XDECREF(list);
			return NULL;
		}
		PyList_SET_ITEM(list, i, v);
	}
	return list;
}

PyDoc_STRVAR(export_split_doc,
"export_split(*, offset=0, length=0, payload=False, name=None) -> list[int]\n"
"\n"
"export(), cut into as many dma-bufs as the live udmabuf size_limit_mb\n"
"requires (named NAME#0, NAME#1...). Returns their fds, in order.");

static PyObject *Region_export_split(RegionObject *self, PyObject *args, PyObject *kw)
{
	struct sealbuf_export_opts o;
	struct sealbuf_region *r;
	int n, *fds;
	PyObject *list;

	if (!sbpy_export_opts(args, kw, "|$OOpz:export_split", &o) || !(r = get_open(self)))
		return NULL;
	hold(self);
	LOCKED_CALL(self, n = sealbuf_region_export_split(r, &o, NULL, 0));
	fds = n < 0 ? NULL : PyMem_Calloc((size_t)n + 1, sizeof(int));
	if (fds)
		LOCKED_CALL(self, n = sealbuf_region_export_split(r, &o, fds, (size_t)n));
	unhold(self);
	if (n >= 0 && !fds)
		list = PyErr_NoMemory();
	else
		list = n < 0 ? sbpy_raise(n) : sbpy_fd_list(fds, n);
	PyMem_Free(fds);
	return list;
}

#define METH_KW(fn) (PyCFunction)(void (*)(void))(fn), METH_VARARGS | METH_KEYWORDS

static PyMethodDef Region_methods[] = {
	{ "close", (PyCFunction)Region_close, METH_NOARGS, close_doc },
	{ "__enter__", (PyCFunction)Region_enter, METH_NOARGS, "Return the region (open)." },
	{ "__exit__", (PyCFunction)Region_exit, METH_VARARGS, "close() it." },
	{ "share", METH_KW(Region_share), share_doc },
	{ "send", METH_KW(Region_send), send_doc },
	{ "freeze", (PyCFunction)Region_freeze, METH_NOARGS, freeze_doc },
	{ "window", METH_KW(Region_window), window_doc },
	{ "write", (PyCFunction)Region_write, METH_O, write_doc },
	{ "write_begin", (PyCFunction)Region_write_begin, METH_NOARGS, write_begin_doc },
	{ "write_end", (PyCFunction)Region_write_end, METH_O, write_end_doc },
	{ "update", (PyCFunction)Region_update, METH_NOARGS, update_doc },
	{ "clear", (PyCFunction)Region_clear, METH_NOARGS, clear_doc },
	{ "snapshot", METH_KW(Region_snapshot), snapshot_doc },
	{ "read", (PyCFunction)Region_read, METH_NOARGS, read_doc },
	{ "read_check", (PyCFunction)Region_read_check, METH_NOARGS, read_check_doc },
	{ "wait", METH_KW(Region_wait), wait_doc },
	{ "wait_async", METH_KW(Region_wait_async), wait_async_doc },
	{ "set_stall_timeout", (PyCFunction)Region_set_stall_timeout, METH_O, set_stall_timeout_doc },
	{ "export", METH_KW(Region_export), export_doc },
	{ "export_split", METH_KW(Region_export_split), export_split_doc },
	{ NULL, NULL, 0, NULL },
};

PyDoc_STRVAR(Region_doc,
"A sealbuf region, made by create(), reserve(), mirror(), open() or recv().\n"
"\n"
"A Region is a buffer: memoryview(region) and numpy.frombuffer(region) view\n"
"its data (the payload of a reserved region, capacity bytes) with no copy,\n"
"read-only when the region is mapped read-only. Views keep the pages mapped\n"
"after close(). Free it with close(), a with block, or by dropping it.");

PyTypeObject Region_Type = {
	PyVarObject_HEAD_INIT(NULL, 0)
	.tp_name = "sealbuf.Region",
	.tp_basicsize = sizeof(RegionObject),
	.tp_dealloc = (destructor)Region_dealloc,
	.tp_repr = (reprfunc)Region_repr,
	.tp_as_buffer = &Region_as_buffer,
	.tp_flags = Py_TPFLAGS_DEFAULT,
	.tp_doc = Region_doc,
	.tp_weaklistoffset = offsetof(RegionObject, weakrefs),
	.tp_methods = Region_methods,
	.tp_getset = Region_getset,
};
