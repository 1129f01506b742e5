// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sealbuf's module-level functions on fds: dma-bufs made of several ranges
 * or of a foreign memfd, CPU access brackets, dma-buf and udmabuf queries,
 * and DRM import. Every fd returned is the caller's to os.close().
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sbpy.h"

static PyTypeObject DmabufInfo_Type, UdmabufInfo_Type;

/*
 * One item of export_list(): a Region, or (region, offset, length[, payload]).
 * Only the numbers: parsing may run code (__bool__) that closes a region, so
 * the regions are looked up once every item is parsed.
 */
static PyObject *parse_range(PyObject *item, struct sealbuf_export_range *rg)
{
	PyObject *reg = item, *off = NULL, *len = NULL;
	int payload = 0;

	memset(rg, 0, sizeof(*rg));
	if (PyTuple_Check(item) &&
	    !PyArg_ParseTuple(item, "OOO|p:export_list range", &reg, &off, &len, &payload))
		return NULL;
	if ((off && !sbpy_u64(off, "offset", &rg->offset)) ||
	    (len && !sbpy_u64(len, "length", &rg->length)))
		return NULL;
	rg->flags = payload ? SEALBUF_EXPORT_PAYLOAD : 0;
	return reg;
}

static struct sealbuf_export_range *ranges_fail(struct sealbuf_export_range *rgs,
						PyObject **regs, PyObject *seq)
{
	PyMem_Free(rgs);
	PyMem_Free(regs);
	Py_DECREF(seq);
	return NULL;
}

/* @ranges as an array the caller frees with PyMem_Free; NULL + exception. */
static struct sealbuf_export_range *parse_ranges(PyObject *ranges, Py_ssize_t *count)
{
	PyObject *seq = PySequence_Fast(ranges, "ranges must be a sequence"), **regs;
	struct sealbuf_export_range *rgs;
	Py_ssize_t n;

	if (!seq)
		return NULL;
	n = PySequence_Fast_GET_SIZE(seq);
	rgs = PyMem_Calloc((size_t)n + 1, sizeof(*rgs));
	regs = PyMem_Calloc((size_t)n + 1, sizeof(*regs));
	if (!rgs || !regs) {
		PyErr_NoMemory();
		return ranges_fail(rgs, regs, seq);
	}
	for (Py_ssize_t i = 0; i < n; i++)
		if (!(regs[i] = parse_range(PySequence_Fast_GET_ITEM(seq, i), &rgs[i])))
			return ranges_fail(rgs, regs, seq);
	for (Py_ssize_t i = 0; i < n; i++) /* seq holds the items, so regs[i] too */
		if (!(rgs[i].region = sbpy_region_get(regs[i])))
			return ranges_fail(rgs, regs, seq);
	PyMem_Free(regs);
	Py_DECREF(seq);
	*count = n;
	return rgs;
}

PyDoc_STRVAR(export_list_doc,
"export_list(ranges, *, name=None) -> int\n"
"\n"
"Export several ranges, of one region or several, as ONE dma-buf whose bytes\n"
"are the ranges one after the other. Each range is a Region (all of it) or\n"
"a tuple (region, offset, length[, payload]) with the meaning of\n"
"Region.export()'s arguments. Returns the dma-buf fd, yours to close.");

static PyObject *py_export_list(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "ranges", "name", NULL };
	struct sealbuf_export_range *rgs;
	PyObject *ranges;
	Py_ssize_t n = 0;
	int fd = -1, err;

	SEALBUF_OPTS(sealbuf_export_opts, o);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$z:export_list", kws, &ranges, &o.name) ||
	    !(rgs = parse_ranges(ranges, &n)))
		return NULL;
	err = sealbuf_export_list(rgs, (size_t)n, &o, &fd);
	PyMem_Free(rgs);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

PyDoc_STRVAR(export_list_split_doc,
"export_list_split(ranges, *, name=None) -> list[int]\n"
"\n"
"export_list(), cut into as many dma-bufs as the live udmabuf list_limit and\n"
"size_limit_mb require. Returns their fds, in order.");

static PyObject *py_export_list_split(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "ranges", "name", NULL };
	struct sealbuf_export_range *rgs;
	PyObject *ranges, *list = NULL;
	Py_ssize_t n = 0;
	int *fds, k;

	SEALBUF_OPTS(sealbuf_export_opts, o);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$z:export_list_split", kws, &ranges,
					 &o.name) ||
	    !(rgs = parse_ranges(ranges, &n)))
		return NULL;
	k = sealbuf_export_list_split(rgs, (size_t)n, &o, NULL, 0);
	fds = k < 0 ? NULL : PyMem_Calloc((size_t)k + 1, sizeof(int));
	if (k >= 0 && !fds)
		list = PyErr_NoMemory();
	else if (k >= 0 && (k = sealbuf_export_list_split(rgs, (size_t)n, &o, fds, (size_t)k)) >= 0)
		list = sbpy_fd_list(fds, k);
	if (k < 0)
		list = sbpy_raise(k);
	PyMem_Free(fds);
	PyMem_Free(rgs);
	return list;
}

PyDoc_STRVAR(memfd_export_doc,
"memfd_export(memfd, *, offset=0, length=0, name=None) -> int\n"
"\n"
"Export a memfd sealbuf did not make (it stays yours) as a dma-buf, with the\n"
"same checks: a memfd made with MFD_ALLOW_SEALING, sealed F_SEAL_SHRINK\n"
"without F_SEAL_WRITE/F_SEAL_FUTURE_WRITE, open read-write.");

static PyObject *py_memfd_export(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "memfd", "offset", "length", "name", NULL };
	PyObject *fdobj, *off = NULL, *len = NULL;
	int memfd, fd = -1, err;

	SEALBUF_OPTS(sealbuf_export_opts, o);
	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|$OOz:memfd_export", kws, &fdobj, &off, &len,
					 &o.name) ||
	    (memfd = sbpy_fd(fdobj)) < 0 || (off && !sbpy_u64(off, "offset", &o.offset)) ||
	    (len && !sbpy_u64(len, "length", &o.length)))
		return NULL;
	Py_BEGIN_ALLOW_THREADS
	err = sealbuf_memfd_export(memfd, &o, &fd);
	Py_END_ALLOW_THREADS
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

/* (fd, flags) of the sync calls; flags must fit 32 bits. */
static bool parse_fd_flags(PyObject *args, const char *fmt, int *fd, unsigned int *flags)
{
	PyObject *fdobj, *fl;
	uint64_t v;

	if (!PyArg_ParseTuple(args, fmt, &fdobj, &fl) || (*fd = sbpy_fd(fdobj)) < 0 ||
	    !sbpy_u64(fl, "flags", &v))
		return false;
	if (v > UINT32_MAX) {
		PyErr_SetString(PyExc_ValueError, "flags must fit 32 bits");
		return false;
	}
	*flags = (unsigned int)v;
	return true;
}

static PyObject *none_or_raise(int err)
{
	if (err < 0)
		return sbpy_raise(err);
	Py_RETURN_NONE;
}

PyDoc_STRVAR(sync_begin_doc,
"dmabuf_sync_begin(dmabuf_fd, flags) -> None\n"
"\n"
"Begin CPU access to a dma-buf's memory (DMA_BUF_IOCTL_SYNC START): flags\n"
"SYNC_READ (the CPU reads what a device wrote), SYNC_WRITE or SYNC_RW.\n"
"End it with dmabuf_sync_end() and the same flags.");

static PyObject *py_sync_begin(PyObject *m, PyObject *args)
{
	unsigned int flags;
	int fd;

	if (!parse_fd_flags(args, "OO:dmabuf_sync_begin", &fd, &flags))
		return NULL;
	return none_or_raise(sealbuf_dmabuf_sync_begin(fd, flags));
}

PyDoc_STRVAR(sync_end_doc,
"dmabuf_sync_end(dmabuf_fd, flags) -> None\n"
"\n"
"End the CPU access dmabuf_sync_begin() began, with the same flags.");

static PyObject *py_sync_end(PyObject *m, PyObject *args)
{
	unsigned int flags;
	int fd;

	if (!parse_fd_flags(args, "OO:dmabuf_sync_end", &fd, &flags))
		return NULL;
	return none_or_raise(sealbuf_dmabuf_sync_end(fd, flags));
}

PyDoc_STRVAR(set_name_doc,
"dmabuf_set_name(dmabuf_fd, name) -> None\n"
"\n"
"Name a dma-buf (at most DMABUF_NAME_MAX bytes), as fdinfo and debugfs show it.");

static PyObject *py_set_name(PyObject *m, PyObject *args)
{
	const char *name;
	PyObject *fdobj;
	int fd;

	if (!PyArg_ParseTuple(args, "Os:dmabuf_set_name", &fdobj, &name) ||
	    (fd = sbpy_fd(fdobj)) < 0)
		return NULL;
	return none_or_raise(sealbuf_dmabuf_set_name(fd, name));
}

static PyStructSequence_Field dmabuf_fields[] = {
	{ "size", "bytes" },
	{ "inode", "the same for every fd of one dma-buf" },
	{ "exporter", "\"udmabuf\", \"vgem\", ..." },
	{ "name", "\"\" when unnamed" },
	{ NULL, NULL },
};

static PyStructSequence_Desc dmabuf_desc = {
	"sealbuf.DmabufInfo", "What dmabuf_query() says of a dma-buf.", dmabuf_fields, 4,
};

PyDoc_STRVAR(dmabuf_query_doc,
"dmabuf_query(dmabuf_fd) -> DmabufInfo\n"
"\n"
"Describe a dma-buf: (size, inode, exporter, name). Error EBADFD\n"
"(SEALBUF_R_NOT_DMABUF) for any other fd.");

static PyObject *py_dmabuf_query(PyObject *m, PyObject *arg)
{
	struct sealbuf_dmabuf_info info = { .sz = sizeof(info) };
	int fd = sbpy_fd(arg), err;
	PyObject *t;

	if (fd < 0)
		return NULL;
	err = sealbuf_dmabuf_query(fd, &info);
	if (err < 0)
		return sbpy_raise(err);
	t = PyStructSequence_New(&DmabufInfo_Type);
	if (!t)
		return NULL;
	PyStructSequence_SET_ITEM(t, 0, PyLong_FromUnsignedLongLong(info.size));
	PyStructSequence_SET_ITEM(t, 1, PyLong_FromUnsignedLongLong(info.inode));
	PyStructSequence_SET_ITEM(t, 2, PyUnicode_DecodeFSDefault(info.exporter));
	PyStructSequence_SET_ITEM(t, 3, PyUnicode_DecodeFSDefault(info.name));
	if (PyErr_Occurred())
		Py_CLEAR(t);
	return t;
}

static PyStructSequence_Field udmabuf_fields[] = {
	{ "state", "UDMABUF_PRESENT | UDMABUF_ACCESSIBLE | UDMABUF_LIMITS" },
	{ "size_limit_mb", "live /sys/module/udmabuf/parameters/size_limit_mb" },
	{ "list_limit", "live /sys/module/udmabuf/parameters/list_limit" },
	{ "size_limit", "size_limit_mb in bytes: the largest dma-buf" },
	{ "present", "/dev/udmabuf exists" },
	{ "accessible", "this process may open /dev/udmabuf" },
	{ NULL, NULL },
};

static PyStructSequence_Desc udmabuf_desc = {
	"sealbuf.UdmabufInfo", "What udmabuf_query() says of this machine's udmabuf.",
	udmabuf_fields, 6,
};

PyDoc_STRVAR(udmabuf_query_doc,
"udmabuf_query() -> UdmabufInfo\n"
"\n"
"What this machine's udmabuf allows, read now. Absence is not an error:\n"
"see .present and .accessible.");

static PyObject *py_udmabuf_query(PyObject *m, PyObject *unused)
{
	struct sealbuf_udmabuf_info info = { .sz = sizeof(info) };
	int err = sealbuf_udmabuf_query(&info);
	PyObject *t;

	if (err < 0)
		return sbpy_raise(err);
	t = PyStructSequence_New(&UdmabufInfo_Type);
	if (!t)
		return NULL;
	PyStructSequence_SET_ITEM(t, 0, PyLong_FromUnsignedLong(info.state));
	PyStructSequence_SET_ITEM(t, 1, PyLong_FromUnsignedLong(info.size_limit_mb));
	PyStructSequence_SET_ITEM(t, 2, PyLong_FromUnsignedLong(info.list_limit));
	PyStructSequence_SET_ITEM(t, 3, PyLong_FromUnsignedLongLong(info.size_limit));
	PyStructSequence_SET_ITEM(t, 4, PyBool_FromLong(info.state & SEALBUF_UDMABUF_PRESENT));
	PyStructSequence_SET_ITEM(t, 5, PyBool_FromLong(info.state & SEALBUF_UDMABUF_ACCESSIBLE));
	if (PyErr_Occurred())
		Py_CLEAR(t);
	return t;
}

PyDoc_STRVAR(udmabuf_check_doc,
"udmabuf_check() -> None\n"
"\n"
"Return when this process can export dma-bufs; otherwise raise the Error an\n"
"export would (ENODEV SEALBUF_R_NO_UDMABUF, EACCES SEALBUF_R_UDMABUF_DENIED),\n"
"whose text says the fix.");

static PyObject *py_udmabuf_check(PyObject *m, PyObject *unused)
{
	return none_or_raise(sealbuf_udmabuf_check());
}

PyDoc_STRVAR(drm_open_doc,
"drm_open(driver, *, primary=False) -> int\n"
"\n"
"Open the first DRM device whose driver is named driver (\"vgem\", \"i915\"...):\n"
"its render node, or its primary node (primary=True, or when it has no render\n"
"node). Returns the fd, yours to close.");

static PyObject *py_drm_open(PyObject *m, PyObject *args, PyObject *kw)
{
	char *kws[] = { "driver", "primary", NULL };
	const char *driver;
	int primary = 0, fd = -1, err;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "s|$p:drm_open", kws, &driver, &primary))
		return NULL;
	err = sealbuf_drm_open(driver, primary ? SEALBUF_DRM_PRIMARY : 0, &fd);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromLong(fd);
}

PyDoc_STRVAR(drm_import_doc,
"drm_import(drm_fd, dmabuf_fd) -> int\n"
"\n"
"Import a dma-buf into a DRM device (PRIME) and return its GEM handle, to\n"
"give back with drm_release(). dmabuf_fd stays yours.");

static PyObject *py_drm_import(PyObject *m, PyObject *args)
{
	PyObject *a, *b;
	uint32_t handle = 0;
	int drm, dmabuf, err;

	if (!PyArg_ParseTuple(args, "OO:drm_import", &a, &b) || (drm = sbpy_fd(a)) < 0 ||
	    (dmabuf = sbpy_fd(b)) < 0)
		return NULL;
	err = sealbuf_drm_import(drm, dmabuf, &handle);
	if (err < 0)
		return sbpy_raise(err);
	return PyLong_FromUnsignedLong(handle);
}

PyDoc_STRVAR(drm_release_doc,
"drm_release(drm_fd, handle) -> None\n"
"\n"
"Close the GEM handle drm_import() gave.");

static PyObject *py_drm_release(PyObject *m, PyObject *args)
{
	PyObject *a, *h;
	uint64_t handle;
	int drm;

	if (!PyArg_ParseTuple(args, "OO:drm_release", &a, &h) || (drm = sbpy_fd(a)) < 0 ||
	    !sbpy_u64(h, "handle", &handle))
		return NULL;
	if (handle > UINT32_MAX)
		return PyErr_Format(PyExc_ValueError, "handle must fit 32 bits");
	return none_or_raise(sealbuf_drm_release(drm, (uint32_t)handle));
}

#define METH_KW(fn) (PyCFunction)(void (*)(void))(fn), METH_VARARGS | METH_KEYWORDS

PyMethodDef sbpy_dmabuf_methods[] = {
	{ "export_list", METH_KW(py_export_list), export_list_doc },
	{ "export_list_split", METH_KW(py_export_list_split), export_list_split_doc },
	{ "memfd_export", METH_KW(py_memfd_export), memfd_export_doc },
	{ "dmabuf_sync_begin", py_sync_begin, METH_VARARGS, sync_begin_doc },
	{ "dmabuf_sync_end", py_sync_end, METH_VARARGS, sync_end_doc },
	{ "dmabuf_set_name", py_set_name, METH_VARARGS, set_name_doc },
	{ "dmabuf_query", py_dmabuf_query, METH_O, dmabuf_query_doc },
	{ "udmabuf_query", py_udmabuf_query, METH_NOARGS, udmabuf_query_doc },
	{ "udmabuf_check", py_udmabuf_check, METH_NOARGS, udmabuf_check_doc },
	{ "drm_open", METH_KW(py_drm_open), drm_open_doc },
	{ "drm_import", py_drm_import, METH_VARARGS, drm_import_doc },
	{ "drm_release", py_drm_release, METH_VARARGS, drm_release_doc },
	{ NULL, NULL, 0, NULL },
};

int sbpy_dmabuf_init(PyObject *m)
{
	if (!DmabufInfo_Type.tp_name &&
	    (PyStructSequence_InitType2(&DmabufInfo_Type, &dmabuf_desc) < 0 ||
	     PyStructSequence_InitType2(&UdmabufInfo_Type, &udmabuf_desc) < 0))
		return -1;
	if (PyModule_AddObjectRef(m, "DmabufInfo", (PyObject *)&DmabufInfo_Type) < 0 ||
	    PyModule_AddObjectRef(m, "UdmabufInfo", (PyObject *)&UdmabufInfo_Type) < 0)
		return -1;
	return 0;
}
