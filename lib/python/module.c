// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The sealbuf Python module: it is the C library, so a Python peer is held to
 * the same checks and gets the same reasons as a C one. This file holds the
 * module, its errors and constants, and the functions that make regions.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "sbpy.h"

PyObject *sbpy_Error;

/* Set @name = @value on @exc, taking the reference to @value. */
static int set_attr(PyObject *exc, const char *name, PyObject *value)
{
	int ret = value ? PyObject_SetAttrString(exc, name, value) : -1;

	Py_XDECREF(value);
	return ret;
}

PyObject *sbpy_raise(int err)
{
	enum sealbuf_reason reason = sealbuf_last_reason();
	const char *name = sealbuf_reason_name(reason);
	const char *text = sealbuf_last_error();
	PyObject *exc;

	if (!text || !*text)
		text = strerror(-err);
	exc = PyObject_CallFunction(sbpy_Error, "is", -err, text);
	if (!exc)
		return NULL;
	if (set_attr(exc, "reason", PyUnicode_FromString(name ? name : "SEALBUF_R_NONE")) < 0 ||
	    set_attr(exc, "reason_code", PyLong_FromLong(reason)) < 0) {
		Py_DECREF(exc);
		return NULL;
	}
	PyErr_SetObject(sbpy_Error, exc);
	Py_DECREF(exc);
	return NULL;
}

int sbpy_fd(PyObject *obj)
{
	int fd;

	if (PyBool_Check(obj)) {
		PyErr_SetString(PyExc_TypeError, "expected a file descriptor or an object with fileno(), not bool");
		return -1;
	}
	fd = PyObject_AsFileDescriptor(obj); /* int, or obj.fileno(); ValueError if < 0 */
	return fd;
}

int sbpy_writable_buffer(PyObject *obj, Py_buffer *view, const char *what)
{
	if (PyObject_GetBuffer(obj, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) == 0)
		return 0;
	if (PyErr_ExceptionMatches(PyExc_BufferError)) { /* as readinto() says it */
		PyErr_Clear();
		PyErr_Format(PyExc_TypeError, "%s must be a writable bytes-like object, not %.100s",
			     what, Py_TYPE(obj)->tp_name);
	}
	return -1;
}

bool sbpy_timeout(PyObject *obj, int *ret_ms)
{
	long ms;

	if (!obj || obj == Py_None) {
		*ret_ms = -1;
		return true;
	}
	if (!PyLong_Check(obj) || PyBool_Check(obj)) {
		PyErr_Format(PyExc_TypeError, "timeout_ms must be an int or None, not %.100s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	ms = PyLong_AsLong(obj);
	if (ms == -1 && PyErr_Occurred())
		return false;
	if (ms > INT_MAX || ms < INT_MIN) {
		PyErr_SetString(PyExc_OverflowError, "timeout_ms does not fit an int");
		return false;
	}
	*ret_ms = ms < 0 ? -1 : (int)ms;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Making regions                                                            */
/* ------------------------------------------------------------------------ */

struct create_args {
	Py_ssize_t size;
	const char *name;
	int prefault, noreserve, hugetlb;
	unsigned int huge_page_shift;
};

static bool parse_create(PyObject *args, PyObject *kw, const char *fn, const char *first,
			 struct create_args *a)
{
	char *kws[] = { (char *)first, "name", "prefault", "noreserve", "hugetlb",
			"huge_page_shift", NULL };
	char fmt[64];

	snprintf(fmt, sizeof(fmt), "n|$zpppI:%s", fn);
	memset(a, 0, sizeof(*a));
	if (!PyArg_ParseTupleAndKeywords(args, kw, fmt, kws, &a->size, &a->name,
					 &a->prefault, &a->noreserve, &a->hugetlb,
					 &a->huge_page_shift))
		return false;
	if (a->size < 0) {
		PyErr_Format(PyExc_ValueError, "%s must be >= 0", first);
		return false;
	}
	return true;
}

static struct sealbuf_create_opts create_opts(const struct create_args *a)
{
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = a->name,
		     .huge_page_shift = a->huge_page_shift);
	o.flags = (a->prefault ? SEALBUF_CREATE_PREFAULT : 0) |
		  (a->noreserve ? SEALBUF_CREATE_NORESERVE : 0) |
		  (a->hugetlb ? SEALBUF_CREATE_HUGETLB : 0);
	return o;
}

static PyObject *make_region(int err, struct sealbuf_region *r)
{
	if (err < 0)
		return sbpy_raise(err);
	return sbpy_region_new(r);
}

PyDoc_STRVAR(create_doc,
"create(size, *, name=None, prefault=False, noreserve=False, hugetlb=False,\n"
"       huge_page_shift=0) -> Region\n"
"\n"
"A plain region of size bytes: a sealed memfd, memory reserved up front\n"
"(a full tmpfs or cgroup is an Error now, never a SIGBUS later), mapped\n"
"read-write. size 0 is valid. name shows in /proc/PID/maps.");

static PyObject *py_create(PyObject *m, PyObject *args, PyObject *kw)
{
	struct sealbuf_region *r = NULL;
	struct create_args a;
	struct sealbuf_create_opts o;
	int err;

	if (!parse_create(args, kw, "create", "size", &a))
		return NULL;
	o = create_opts(&a);
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_region_create((size_t)a.size, &o, &r);
	Py_END_ALLOW_THREADS
	return make_region(err, r);
}

PyDoc_STRVAR(reserve_doc,
"reserve(capacity, *, name=None, prefault=False, noreserve=False, hugetlb=False,\n"
"        huge_page_shift=0) -> Region\n"
"\n"
"A reserved region: a header page, then a payload of capacity bytes whose\n"
"valid size the writer publishes with write(). Readers see whole\n"
"publications only (snapshot(), read()/read_check(), wait()).");

static PyObject *py_reserve(PyObject *m, PyObject *args, PyObject *kw)
{
	struct sealbuf_region *r = NULL;
	struct create_args a;
	struct sealbuf_create_opts o;
	int err;

	if (!parse_create(args, kw, "reserve", "capacity", &a))
		return NULL;
	o = create_opts(&a);
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_region_reserve((size_t)a.size, &o, &r);
	Py_END_ALLOW_THREADS
	return make_region(err, r);
}

PyDoc_STRVAR(mirror_doc,
"mirror(buffer, *, name=None) -> Region\n"
"\n"
"A mirror region of a writable buffer this process owns (a bytearray, a\n"
"numpy array, ...): update() copies it into the region and publishes it;\n"
"clear() zeroes the buffer. The buffer is held (it cannot be resized) until\n"
"the region is closed.");

static PyObject *py_mirror(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "buffer", "name", NULL };
	struct sealbuf_region *r = NULL;
	const char *name = NULL;
	PyObject *obj, *region;
	Py_buffer view;
	int err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$z:mirror", kws, &obj, &name))
		return NULL;
	if (sbpy_writable_buffer(obj, &view, "buffer") < 0)
		return NULL;
	SEALBUF_OPTS(sealbuf_create_opts, o, .name = name);
	err = sealbuf_region_mirror(view.len ? view.buf : NULL, (size_t)view.len, &o, &r);
	if (err < 0) {
		PyBuffer_Release(&view);
		return sbpy_raise(err);
	}
	region = sbpy_region_new(r);
	if (!region) {
		PyBuffer_Release(&view);
		return NULL;
	}
	((RegionObject *)region)->mirror_src = view;
	return region;
}

static int open_flags(int readonly, int keep_handle, int nomap)
{
	return (readonly ? SEALBUF_OPEN_RDONLY : 0) | (keep_handle ? SEALBUF_OPEN_KEEP_HANDLE : 0) |
	       (nomap ? SEALBUF_OPEN_NOMAP : 0);
}

bool sbpy_populate(PyObject *obj, uint32_t *flags)
{
	if (!obj || obj == Py_None)
		return true; /* the library's default */
	if (!PyBool_Check(obj)) { /* a truthy "no" must not populate */
		PyErr_Format(PyExc_TypeError, "populate must be a bool or None, not %.100s",
			     Py_TYPE(obj)->tp_name);
		return false;
	}
	*flags |= obj == Py_True ? SEALBUF_OPEN_POPULATE : SEALBUF_OPEN_LAZY;
	return true;
}

PyDoc_STRVAR(open_doc,
"open(fd, size, *, kind=KIND_PLAIN, readonly=False, keep_handle=False,\n"
"     nomap=False, populate=None) -> Region\n"
"\n"
"Check a memfd handle as untrusted input (a memfd, sealed against resizing,\n"
"of the declared size: the requested size of a plain region, the capacity of\n"
"a reserved one, with a valid header) and map it. fd is an int or an object\n"
"with fileno(); it stays yours (sealbuf works on a duplicate). readonly maps\n"
"it read-only (needed for a read-only handle); keep_handle keeps the memfd\n"
"to share() or export() later; nomap (plain regions) validates and keeps the\n"
"handle but maps nothing: map parts with Region.window(). populate=True\n"
"maps every page now (one system call, no page faults later), False never\n"
"does (pages fault in as touched), None leaves it to the library (writable\n"
"mappings of 64 KiB and more without holes are populated).");

static PyObject *py_open(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "fd", "size", "kind", "readonly", "keep_handle", "nomap", "populate", NULL };
	struct sealbuf_region *r = NULL;
	int readonly = 0, keep = 0, nomap = 0, fd, dup_fd, err;
	unsigned int kind = 0;
	uint32_t flags;
	Py_ssize_t size;
	PyObject *fdobj, *pop = Py_None;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "On|$IpppO:open", kws, &fdobj, &size, &kind,
					 &readonly, &keep, &nomap, &pop))
		return NULL;
	if (size < 0)
		return PyErr_Format(PyExc_ValueError, "size must be >= 0");
	flags = open_flags(readonly, keep, nomap);
	if (!sbpy_populate(pop, &flags))
		return NULL;
	fd = sbpy_fd(fdobj);
	if (fd < 0)
		return NULL;
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup_fd < 0)
		return PyErr_SetFromErrno(PyExc_OSError);
	SEALBUF_OPTS(sealbuf_open_opts, o, .flags = flags, .kind = kind);
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_region_open(dup_fd, (size_t)size, &o, &r); /* closes dup_fd */
	Py_END_ALLOW_THREADS
	return make_region(err, r);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Before a long or endless recv: wait for @fd to be readable in slices
 * without the GIL, so that Ctrl-C and other threads go on, until it is or
 * until at most HAND_OVER_MS of @timeout_ms is left; the library takes over
 * from there (its text then names what was left). Returns the timeout left
 * (-1: forever), or -2 with an exception set.
 */
#define HAND_OVER_MS 1000
static int wait_readable(int fd, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline == INT64_MAX ? -1 : deadline - now_ms();
		int n;

		if (left >= 0 && left <= HAND_OVER_MS)
			return (int)left;
		Py_BEGIN_ALLOW_THREADS
		n = poll(&p, 1, 200);
		Py_END_ALLOW_THREADS
		if (n != 0)
			return left < 0 ? -1 : (int)(deadline - now_ms() > 0 ? deadline - now_ms() : 0);
		if (PyErr_CheckSignals() < 0)
			return -2;
	}
}

int sbpy_recv_timeout(int fd, int timeout_ms)
{
	int left;

	if (timeout_ms == 0)
		return 0; /* the caller does not wait: nor do we */
	left = wait_readable(fd, timeout_ms);
	/* Used up just as it became readable: the message is there, still take it. */
	return left == 0 ? 1 : left;
}

static PyStructSequence_Field peer_fields[] = {
	{ "pid", "in this process's pid namespace; 0 when unknown" },
	{ "uid", "in this process's user namespace" },
	{ "gid", NULL },
	{ "pidfd", "-1, or with peer_pidfd=True a pidfd of the sender, yours to os.close()" },
	{ "source", "PEER_MESSAGE (SCM_CREDENTIALS), PEER_SOCKET (SO_PEERCRED) or PEER_UNKNOWN" },
	{ NULL, NULL },
};

static PyStructSequence_Desc peer_desc = {
	"sealbuf.PeerInfo", "Who sent a region (Region.peer after recv()).", peer_fields, 5,
};

static PyTypeObject PeerInfo_Type;

PyObject *sbpy_peer_info(const struct sealbuf_peer *peer)
{
	PyObject *t = PyStructSequence_New(&PeerInfo_Type);

	if (!t)
		return NULL;
	PyStructSequence_SET_ITEM(t, 0, PyLong_FromLong(peer->pid));
	PyStructSequence_SET_ITEM(t, 1, PyLong_FromUnsignedLong(peer->uid));
	PyStructSequence_SET_ITEM(t, 2, PyLong_FromUnsignedLong(peer->gid));
	PyStructSequence_SET_ITEM(t, 3, PyLong_FromLong(peer->pidfd));
	PyStructSequence_SET_ITEM(t, 4, PyLong_FromUnsignedLong(peer->source));
	if (PyErr_Occurred())
		Py_CLEAR(t);
	return t;
}

/* allow_uids: None or a sequence of uids, into a PyMem array (*n of them). */
static bool parse_uids(PyObject *obj, uint32_t **uids, uint32_t *n)
{
	PyObject *seq;
	Py_ssize_t len;

	*uids = NULL;
	*n = 0;
	if (obj == Py_None)
		return true;
	seq = PySequence_Fast(obj, "allow_uids must be a sequence of uids");
	if (!seq)
		return false;
	len = PySequence_Fast_GET_SIZE(seq);
	*uids = PyMem_Calloc((size_t)len + 1, sizeof(**uids));
	for (Py_ssize_t i = 0; *uids && i < len; i++) {
		uint64_t v;

		if (!sbpy_u64(PySequence_Fast_GET_ITEM(seq, i), "uid", &v) || v > UINT32_MAX) {
			if (!PyErr_Occurred())
				PyErr_SetString(PyExc_ValueError, "a uid must fit 32 bits");
			PyMem_Free(*uids);
			*uids = NULL;
			break;
		}
		(*uids)[i] = (uint32_t)v;
	}
	if (!*uids && !PyErr_Occurred())
		PyErr_NoMemory();
	Py_DECREF(seq);
	*n = (uint32_t)len;
	return *uids != NULL;
}

PyDoc_STRVAR(recv_doc,
"recv(sock, *, timeout_ms=None, readonly=False, keep_handle=False, nomap=False,\n"
"     same_uid=False, allow_uids=None, peer_pidfd=False, populate=None) -> Region\n"
"\n"
"Receive one region from an AF_UNIX socket (a socket.socket or an fd),\n"
"validate the message, every fd attached and the region, and map it.\n"
"timeout_ms follows poll(2): None or < 0 waits forever, 0 does not wait.\n"
"Waits without the GIL and answers Ctrl-C. same_uid / allow_uids: accept\n"
"only senders running as this process's uid / one of these uids (others:\n"
"Error EACCES, SEALBUF_R_PEER_REFUSED); region.peer then says who sent it\n"
"(with peer_pidfd=True, a pidfd of the sender, yours to close). nomap:\n"
"validate and keep the handle but map nothing (see Region.window()).\n"
"populate: True maps every page now, False never, None as the library\n"
"decides (see open()).");

static PyObject *py_recv(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "sock", "timeout_ms", "readonly", "keep_handle", "nomap", "same_uid",
			"allow_uids", "peer_pidfd", "populate", NULL };
	PyObject *sockobj, *tmo = Py_None, *allow = Py_None, *pop = Py_None, *region;
	int readonly = 0, keep = 0, nomap = 0, same = 0, pidfd = 0, fd, timeout, err;
	struct sealbuf_peer peer = { .sz = sizeof(peer), .pidfd = -1 };
	struct sealbuf_region *r = NULL;
	uint32_t *uids, n_uids, flags;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OppppOpO:recv", kws, &sockobj, &tmo,
					 &readonly, &keep, &nomap, &same, &allow, &pidfd, &pop))
		return NULL;
	flags = open_flags(readonly, keep, nomap) | (same ? SEALBUF_RECV_SAME_UID : 0) |
		(pidfd ? SEALBUF_RECV_PEER_PIDFD : 0);
	if (!sbpy_populate(pop, &flags) || !sbpy_timeout(tmo, &timeout) ||
	    (fd = sbpy_fd(sockobj)) < 0 || !parse_uids(allow, &uids, &n_uids))
		return NULL;
	timeout = sbpy_recv_timeout(fd, timeout);
	if (timeout == -2) {
		PyMem_Free(uids);
		return NULL;
	}
	SEALBUF_OPTS(sealbuf_recv_opts, o, .timeout_ms = timeout, .allow_uids = uids,
		     .n_allow_uids = n_uids, .ret_peer = &peer);
	o.flags = flags;
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_region_recv(fd, &o, &r);
	Py_END_ALLOW_THREADS
	PyMem_Free(uids);
	region = make_region(err, r);
	if (region && !(((RegionObject *)region)->peer = sbpy_peer_info(&peer)))
		Py_CLEAR(region);
	if (!region && peer.pidfd >= 0)
		close(peer.pidfd);
	return region;
}

PyDoc_STRVAR(reason_name_doc,
"reason_name(code) -> str | None\n"
"\n"
"The SEALBUF_R_* name of a reason code (the R_* constants), None if unknown.");

static PyObject *py_reason_name(PyObject *m, PyObject *arg)
{
	long code = PyLong_AsLong(arg);
	const char *name;

	if (code == -1 && PyErr_Occurred())
		return NULL;
	name = code < 0 || code > INT_MAX ? NULL : sealbuf_reason_name((enum sealbuf_reason)code);
	if (!name)
		Py_RETURN_NONE;
	return PyUnicode_FromString(name);
}

/* ------------------------------------------------------------------------ */
/* The log hook                                                              */
/* ------------------------------------------------------------------------ */

static PyObject *log_callable;

static void log_to_python(void *userdata, int priority, const char *file, int line,
			  const char *fn, const char *msg)
{
	PyGILState_STATE g;
	PyObject *res;

	if (!Py_IsInitialized())
		return;
	g = PyGILState_Ensure();
	if (log_callable) {
		res = PyObject_CallFunction(log_callable, "isiss", priority, file, line, fn, msg);
		if (!res)
			PyErr_WriteUnraisable(log_callable);
		Py_XDECREF(res);
	}
	PyGILState_Release(g);
}

PyDoc_STRVAR(set_log_doc,
"set_log(fn) -> None\n"
"\n"
"Call fn(priority, file, line, function, message) for each message the\n"
"library logs (each failure at syslog.LOG_DEBUG); None silences it again.\n"
"fn may run on any thread; its exceptions are reported, not raised.");

static PyObject *py_set_log(PyObject *m, PyObject *fn)
{
	if (fn != Py_None && !PyCallable_Check(fn))
		return PyErr_Format(PyExc_TypeError, "set_log() needs a callable or None");
	sealbuf_set_log_fn(NULL, NULL);
	Py_CLEAR(log_callable);
	if (fn != Py_None) {
		log_callable = Py_NewRef(fn);
		sealbuf_set_log_fn(log_to_python, NULL);
	}
	Py_RETURN_NONE;
}

/* ------------------------------------------------------------------------ */
/* The module                                                                */
/* ------------------------------------------------------------------------ */

static PyMethodDef module_methods[] = {
	{ "create", (PyCFunction)(void (*)(void))py_create, METH_VARARGS | METH_KEYWORDS, create_doc },
	{ "reserve", (PyCFunction)(void (*)(void))py_reserve, METH_VARARGS | METH_KEYWORDS, reserve_doc },
	{ "mirror", (PyCFunction)(void (*)(void))py_mirror, METH_VARARGS | METH_KEYWORDS, mirror_doc },
	{ "open", (PyCFunction)(void (*)(void))py_open, METH_VARARGS | METH_KEYWORDS, open_doc },
	{ "recv", (PyCFunction)(void (*)(void))py_recv, METH_VARARGS | METH_KEYWORDS, recv_doc },
	{ "reason_name", py_reason_name, METH_O, reason_name_doc },
	{ "set_log", py_set_log, METH_O, set_log_doc },
	{ NULL, NULL, 0, NULL },
};

PyDoc_STRVAR(module_doc,
"Sealed shared-memory regions for processes and devices (libsealbuf).\n"
"\n"
"A Region is a sealed memfd mapped into this process: nobody can resize it\n"
"under anyone's mapping. Its handle is sent once over a Unix socket and the\n"
"receiver validates it like any untrusted input. Regions are buffers:\n"
"memoryview(region) and numpy.frombuffer(region) see the mapped pages with\n"
"no copy, and keep them mapped after close().\n"
"\n"
"Making regions:   create(), reserve(), mirror(), open(), recv()\n"
"Sharing:          Region.send(), Region.share(), Region.freeze(), Region.peer\n"
"Parts of regions: Region.window() -> Window\n"
"Reserved regions: Region.write(), snapshot(), read()/read_check(), wait(),\n"
"                  wait_async(), write_begin()/write_end()\n"
"Mirror regions:   Region.update(), Region.clear()\n"
"dma-bufs:         Region.export(), export_split(), export_list(),\n"
"                  memfd_export(), dmabuf_sync_begin()/_end(), dmabuf_query(),\n"
"                  dmabuf_set_name(), udmabuf_query(), udmabuf_check()\n"
"DRM:              drm_open(), drm_import(), drm_release()\n"
"Frames:           frame_layout(), frame_create(), frame_new(), frame_recv() -> Frame;\n"
"                  heap_alloc(), heap_list(), dmabuf_export_sync_file(),\n"
"                  dmabuf_import_sync_file(), sync_file_wait()\n"
"\n"
"Every failure of the library raises sealbuf.Error, an OSError whose errno\n"
"is the family and whose .reason names the exact rule broken\n"
"(\"SEALBUF_R_SEALS_MISSING\"), with the library's text as strerror. Bad\n"
"arguments raise TypeError or ValueError. Timeouts are in milliseconds and\n"
"follow poll(2): None or < 0 waits forever, 0 does not wait.\n"
"\n"
"See docs/python.md and sealbuf(7).");

static struct PyModuleDef sealbuf_module = {
	PyModuleDef_HEAD_INIT,
	.m_name = "sealbuf",
	.m_doc = module_doc,
	.m_size = -1,
	.m_methods = module_methods,
};

static int add_int(PyObject *m, const char *name, long v)
{
	return PyModule_AddIntConstant(m, name, v);
}

/* R_NONE, R_NOT_MEMFD, ...: every reason this library names, by its name. */
static int add_reasons(PyObject *m)
{
	for (int i = 0; i < _SEALBUF_R_COUNT; i++) {
		const char *name = sealbuf_reason_name((enum sealbuf_reason)i);

		if (name && !strncmp(name, "SEALBUF_", 8) && add_int(m, name + 8, i) < 0)
			return -1;
	}
	return 0;
}

static int add_constants(PyObject *m)
{
	static const struct { const char *name; long v; } c[] = {
		{ "KIND_PLAIN", SEALBUF_KIND_PLAIN },
		{ "KIND_RESERVED", SEALBUF_KIND_RESERVED },
		{ "KIND_MIRROR", SEALBUF_KIND_MIRROR },
		{ "NAME_MAX", SEALBUF_NAME_MAX },
		{ "DMABUF_NAME_MAX", SEALBUF_DMABUF_NAME_MAX },
		{ "SYNC_READ", SEALBUF_SYNC_READ },
		{ "SYNC_WRITE", SEALBUF_SYNC_WRITE },
		{ "SYNC_RW", SEALBUF_SYNC_RW },
		{ "UDMABUF_PRESENT", SEALBUF_UDMABUF_PRESENT },
		{ "UDMABUF_ACCESSIBLE", SEALBUF_UDMABUF_ACCESSIBLE },
		{ "UDMABUF_LIMITS", SEALBUF_UDMABUF_LIMITS },
		{ "PEER_UNKNOWN", SEALBUF_PEER_UNKNOWN },
		{ "PEER_MESSAGE", SEALBUF_PEER_MESSAGE },
		{ "PEER_SOCKET", SEALBUF_PEER_SOCKET },
		{ "VERSION_MAJOR", SEALBUF_VERSION_MAJOR },
		{ "VERSION_MINOR", SEALBUF_VERSION_MINOR },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (add_int(m, c[i].name, c[i].v) < 0)
			return -1;
	return add_reasons(m);
}

PyDoc_STRVAR(error_doc,
"A sealbuf call failed. An OSError: errno is the family (EPERM, EBADMSG...),\n"
"strerror the library's text with details, .reason the exact rule broken\n"
"as its SEALBUF_R_* name, .reason_code the same as an int (the R_* constants).");

static int add_error(PyObject *m)
{
	PyObject *dict = Py_BuildValue("{s:s,s:i}", "reason", "SEALBUF_R_NONE", "reason_code", 0);

	if (!dict)
		return -1;
	sbpy_Error = PyErr_NewExceptionWithDoc("sealbuf.Error", error_doc, PyExc_OSError, dict);
	Py_DECREF(dict);
	if (!sbpy_Error)
		return -1;
	return PyModule_AddObjectRef(m, "Error", sbpy_Error);
}

PyMODINIT_FUNC PyInit_sealbuf(void); /* -Wmissing-prototypes: Python declares none */

PyMODINIT_FUNC PyInit_sealbuf(void)
{
	PyObject *m;

	if (PyType_Ready(&Region_Type) < 0 || PyType_Ready(&Window_Type) < 0)
		return NULL;
	if (!PeerInfo_Type.tp_name && PyStructSequence_InitType2(&PeerInfo_Type, &peer_desc) < 0)
		return NULL;
	m = PyModule_Create(&sealbuf_module);
	if (!m)
		return NULL;
	if (add_error(m) < 0 || add_constants(m) < 0 ||
	    PyModule_AddObjectRef(m, "Region", (PyObject *)&Region_Type) < 0 ||
	    PyModule_AddObjectRef(m, "Window", (PyObject *)&Window_Type) < 0 ||
	    PyModule_AddObjectRef(m, "PeerInfo", (PyObject *)&PeerInfo_Type) < 0 ||
	    PyModule_AddFunctions(m, sbpy_dmabuf_methods) < 0 || sbpy_dmabuf_init(m) < 0 ||
	    PyModule_AddFunctions(m, sbpy_frame_methods) < 0 || sbpy_frame_init(m) < 0 ||
	    PyModule_AddStringConstant(m, "__version__", SBPY_VERSION) < 0) {
		Py_DECREF(m);
		return NULL;
	}
	return m;
}
