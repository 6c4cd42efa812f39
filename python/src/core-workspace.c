/*
 * core-workspace.c -- _core.Workspace (hfx_workspace_t: a pyhf workspace with its patches) and
 * _core.Patchset (hfx_patchset_t).
 *
 * Workspace(path) reads a file (".gz" gunzipped); Workspace.from_string(json, name) parses text.
 * copy() is O(1) (copy-on-write in the library), so one background serves many patched copies, on
 * several threads at once.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>

//
// Workspace
//

static hfxpy_workspace * workspace_wrap(hfx_workspace_t ws) {
    hfxpy_workspace * self = PyObject_New(hfxpy_workspace, &hfxpy_workspace_type);
    if (!self) {
        hfx_workspace_free(ws);
        return NULL;
    }
    self->ws   = ws;
    self->lock = hfxpy_lock_new();
    if (!self->lock) {
        Py_DECREF(self);
        return NULL;
    }
    return self;
}

static void workspace_dealloc(hfxpy_workspace * self) {
    hfx_workspace_free(self->ws);
    if (self->lock) {
        PyThread_free_lock(self->lock);
    }
    PyObject_Free(self);
}

static PyObject * workspace_new(PyTypeObject * type, PyObject * args, PyObject * kwds) {
    (void) type;
    static char * kwlist[] = {"path", NULL};
    PyObject *    path_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&", kwlist, PyUnicode_FSConverter, &path_obj)) {
        return NULL;
    }
    hfx_workspace_t  ws = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    const char *     path = PyBytes_AS_STRING(path_obj);
    HFXPY_CALL(NULL, st = hfx_workspace_load(path, &ws, &err));
    Py_DECREF(path_obj);
    return st == HFX_OK ? (PyObject *) workspace_wrap(ws) : hfxpy_raise(st, &err);
}

static PyObject * workspace_from_string(PyObject * cls, PyObject * args) {
    (void) cls;
    const char * json;
    const char * name = NULL;
    if (!PyArg_ParseTuple(args, "s|z", &json, &name)) {
        return NULL;
    }
    hfx_workspace_t  ws = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(NULL, st = hfx_workspace_load_string(json, name, &ws, &err));
    return st == HFX_OK ? (PyObject *) workspace_wrap(ws) : hfxpy_raise(st, &err);
}

/* from_xml(driver, basedir=None, mounts=()): hfx_workspace_load_xml_mounted (pyhf's readxml /
 * `pyhf xml2json`); mounts a sequence of (local, xml) path strings, pyhf's readxml mounts. */
static PyObject * workspace_from_xml(PyObject * cls, PyObject * args) {
    (void) cls;
    const char * driver;
    const char * basedir = NULL;
    PyObject *   seq_in  = NULL;
    if (!PyArg_ParseTuple(args, "s|zO", &driver, &basedir, &seq_in)) {
        return NULL;
    }
    PyObject * seq = seq_in ? PySequence_Fast(seq_in, "mounts: expected a sequence of (local, xml) pairs") : NULL;
    if (seq_in && !seq) {
        return NULL;
    }
    Py_ssize_t             n      = seq ? PySequence_Fast_GET_SIZE(seq) : 0;
    struct hfx_xml_mount * mounts = n ? PyMem_Calloc((size_t) n, sizeof *mounts) : NULL;
    if (n && !mounts) {
        Py_DECREF(seq);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; i++) { /* the strings stay owned by the tuples, which seq holds */
        PyObject * pair = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !(mounts[i].local_path = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 0))) ||
            !(mounts[i].xml_path = PyUnicode_AsUTF8(PyTuple_GET_ITEM(pair, 1)))) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "mounts: expected (local, xml) pairs of path strings");
            PyMem_Free(mounts);
            Py_DECREF(seq);
            return NULL;
        }
    }
    hfx_workspace_t  ws = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(NULL, st = hfx_workspace_load_xml_mounted(driver, basedir, mounts, (size_t) n, &ws, &err));
    PyMem_Free(mounts);
    Py_XDECREF(seq);
    return st == HFX_OK ? (PyObject *) workspace_wrap(ws) : hfxpy_raise(st, &err);
}

static PyObject * workspace_copy(hfxpy_workspace * self, PyObject * unused) {
    (void) unused;
    hfx_workspace_t  ws = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_workspace_copy(self->ws, &ws, &err));
    return st == HFX_OK ? (PyObject *) workspace_wrap(ws) : hfxpy_raise(st, &err);
}

static PyObject * workspace_apply_patch(hfxpy_workspace * self, PyObject * args) {
    const char * json;
    const char * name = NULL;
    if (!PyArg_ParseTuple(args, "s|z", &json, &name)) {
        return NULL;
    }
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_workspace_apply_patch_string(self->ws, json, name, &err));
    return st == HFX_OK ? Py_NewRef(Py_None) : hfxpy_raise(st, &err);
}

static PyObject * workspace_apply_patch_file(hfxpy_workspace * self, PyObject * args) {
    PyObject * path_obj = NULL;
    if (!PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path_obj)) {
        return NULL;
    }
    struct hfx_error err;
    enum hfx_status  st;
    const char *     path = PyBytes_AS_STRING(path_obj);
    HFXPY_CALL(self->lock, st = hfx_workspace_apply_patch_file(self->ws, path, &err));
    Py_DECREF(path_obj);
    return st == HFX_OK ? Py_NewRef(Py_None) : hfxpy_raise(st, &err);
}

static PyObject * workspace_dump(hfxpy_workspace * self, PyObject * unused) {
    (void) unused;
    char *           json = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_workspace_dump(self->ws, &json, &err));
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    PyObject * out = PyUnicode_FromString(json);
    free(json);
    return out;
}

/* validate(): hfx_workspace_validate (the pyhf schema and the model's consistency rules) without
 * building a model; raises the hfx.Error of the first problem (pyhf validates in Workspace()). */
static PyObject * workspace_validate(hfxpy_workspace * self, PyObject * unused) {
    (void) unused;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_workspace_validate(self->ws, &err));
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    Py_RETURN_NONE;
}

/* write_xml(dir): hfx_workspace_write_xml (pyhf's writexml / `hfx json2xml`). */
/* measurements() -> [(name, poi)]: the workspace's measurements in order (hfx_spec_*: validated as
 * validate() does, raising its error), POI "" for none: what the package needs of them without
 * reading the workspace's JSON into Python. */
static PyObject * workspace_measurements(hfxpy_workspace * self, PyObject * unused) {
    (void) unused;
    hfx_spec_t       spec = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_workspace_spec(self->ws, &spec, &err));
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    size_t     n   = hfx_spec_n_measurements(spec);
    PyObject * out = PyList_New((Py_ssize_t) n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject * row = Py_BuildValue("(ss)", hfx_spec_measurement_name(spec, i), hfx_spec_measurement_poi(spec, i));
        if (!row) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t) i, row);
    }
    hfx_spec_free(spec);
    return out;
}

static PyObject * workspace_write_xml(hfxpy_workspace * self, PyObject * args) {
    const char * dir;
    if (!PyArg_ParseTuple(args, "s", &dir)) {
        return NULL;
    }
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_workspace_write_xml(self->ws, dir, &err));
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    Py_RETURN_NONE;
}

static PyMethodDef workspace_methods[] = {
    {"write_xml", (PyCFunction) workspace_write_xml, METH_VARARGS,
     "write_xml(dir): the workspace as HistFactory XML and ROOT files under dir, as `hfx json2xml`."},
    {"validate", (PyCFunction) workspace_validate, METH_NOARGS,
     "validate(): checks the workspace as building a model would; raises the hfx.Error of the first problem."},
    {"from_string", (PyCFunction) workspace_from_string, METH_VARARGS | METH_CLASS,
     "from_string(json, name=None): a workspace from JSON text; name is used in error messages."},
    {"from_xml", (PyCFunction) workspace_from_xml, METH_VARARGS | METH_CLASS,
     "from_xml(driver, basedir=None): a workspace from a HistFactory driver XML (pyhf's readxml); paths "
     "in the XML resolve against basedir when given."},
    {"copy", (PyCFunction) workspace_copy, METH_NOARGS, "copy(): an independent copy (O(1), copy-on-write)."},
    {"apply_patch", (PyCFunction) workspace_apply_patch, METH_VARARGS,
     "apply_patch(json, name=None): applies an RFC 6902 JSON Patch (text) in place; unchanged on failure."},
    {"apply_patch_file", (PyCFunction) workspace_apply_patch_file, METH_VARARGS,
     "apply_patch_file(path): applies an RFC 6902 JSON Patch file in place; unchanged on failure."},
    {"dump", (PyCFunction) workspace_dump, METH_NOARGS, "dump() -> str: the workspace (after patches) as JSON."},
    {"measurements", (PyCFunction) workspace_measurements, METH_NOARGS,
     "measurements() -> [(name, poi)]: the measurements in order (POI '' for none); validates as validate()."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject hfxpy_workspace_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hfx._core.Workspace",
    .tp_basicsize                          = sizeof(hfxpy_workspace),
    .tp_dealloc                            = (destructor) workspace_dealloc,
    .tp_flags                              = Py_TPFLAGS_DEFAULT,
    .tp_doc                                = "Workspace(path): a pyhf workspace read from a JSON file (.gz: gunzipped).",
    .tp_methods                            = workspace_methods,
    .tp_new                                = workspace_new,
};

//
// Patchset
//

static void patchset_dealloc(hfxpy_patchset * self) {
    hfx_patchset_free(self->ps);
    if (self->lock) {
        PyThread_free_lock(self->lock);
    }
    PyObject_Free(self);
}

static PyObject * patchset_new(PyTypeObject * type, PyObject * args, PyObject * kwds) {
    (void) type;
    static char * kwlist[] = {"path", NULL};
    PyObject *    path_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O&", kwlist, PyUnicode_FSConverter, &path_obj)) {
        return NULL;
    }
    hfx_patchset_t   ps = NULL;
    struct hfx_error err;
    enum hfx_status  st;
    const char *     path = PyBytes_AS_STRING(path_obj);
    HFXPY_CALL(NULL, st = hfx_patchset_load(path, &ps, &err));
    Py_DECREF(path_obj);
    if (st != HFX_OK) {
        return hfxpy_raise(st, &err);
    }
    hfxpy_patchset * self = PyObject_New(hfxpy_patchset, &hfxpy_patchset_type);
    if (!self) {
        hfx_patchset_free(ps);
        return NULL;
    }
    self->ps   = ps;
    self->lock = hfxpy_lock_new();
    if (!self->lock) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *) self;
}

/* The accessors read strings the patchset owns and never changes: no lock needed. */
static PyObject * patchset_names(hfxpy_patchset * self, PyObject * unused) {
    (void) unused;
    size_t     n   = hfx_patchset_n_patches(self->ps);
    PyObject * out = PyList_New((Py_ssize_t) n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject * s = PyUnicode_FromString(hfx_patchset_patch_name(self->ps, i));
        if (!s) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t) i, s);
    }
    return out;
}

static PyObject * patchset_labels(hfxpy_patchset * self, PyObject * unused) {
    (void) unused;
    size_t     n   = hfx_patchset_n_labels(self->ps);
    PyObject * out = PyList_New((Py_ssize_t) n);
    for (size_t i = 0; out && i < n; i++) {
        PyObject * s = PyUnicode_FromString(hfx_patchset_label(self->ps, i));
        if (!s) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, (Py_ssize_t) i, s);
    }
    return out;
}

static PyObject * patchset_values(hfxpy_patchset * self, PyObject * args) {
    Py_ssize_t i;
    if (!PyArg_ParseTuple(args, "n", &i)) {
        return NULL;
    }
    if (i < 0 || (size_t) i >= hfx_patchset_n_patches(self->ps)) {
        return hfxpy_raise_arg("patch index %zd out of range (the patchset has %zu patches)", i,
                               hfx_patchset_n_patches(self->ps));
    }
    return hfxpy_tuple_doubles(hfx_patchset_patch_values(self->ps, (size_t) i), hfx_patchset_n_labels(self->ps));
}

static PyObject * patchset_metadata(hfxpy_patchset * self, PyObject * args) {
    const char * key;
    if (!PyArg_ParseTuple(args, "s", &key)) {
        return NULL;
    }
    const char * v = hfx_patchset_metadata(self->ps, key);
    return v ? PyUnicode_FromString(v) : Py_NewRef(Py_None);
}

static PyObject * patchset_find(hfxpy_patchset * self, PyObject * args) {
    const char * name;
    if (!PyArg_ParseTuple(args, "s", &name)) {
        return NULL;
    }
    size_t           index = 0;
    struct hfx_error err;
    enum hfx_status  st;
    HFXPY_CALL(self->lock, st = hfx_patchset_find(self->ps, name, &index, &err));
    return st == HFX_OK ? PyLong_FromSize_t(index) : hfxpy_raise(st, &err);
}

static PyObject * patchset_apply(hfxpy_patchset * self, PyObject * args) {
    Py_ssize_t        i;
    hfxpy_workspace * ws;
    if (!PyArg_ParseTuple(args, "nO!", &i, &hfxpy_workspace_type, &ws)) {
        return NULL;
    }
    if (i < 0 || (size_t) i >= hfx_patchset_n_patches(self->ps)) {
        return hfxpy_raise_arg("patch index %zd out of range (the patchset has %zu patches)", i,
                               hfx_patchset_n_patches(self->ps));
    }
    struct hfx_error err;
    enum hfx_status  st;
    /* Two locks, always in this order (patchset, then workspace): no other call takes two. */
    HFXPY_CALL(self->lock, PyThread_acquire_lock(ws->lock, WAIT_LOCK);
               st = hfx_patchset_apply(self->ps, (size_t) i, ws->ws, &err); PyThread_release_lock(ws->lock));
    return st == HFX_OK ? Py_NewRef(Py_None) : hfxpy_raise(st, &err);
}

static PyMethodDef patchset_methods[] = {
    {"names", (PyCFunction) patchset_names, METH_NOARGS, "names() -> [str]: the patches' names, in file order."},
    {"labels", (PyCFunction) patchset_labels, METH_NOARGS, "labels() -> [str]: the patchset's labels."},
    {"values", (PyCFunction) patchset_values, METH_VARARGS, "values(i) -> tuple: patch i's values, one per label."},
    {"metadata", (PyCFunction) patchset_metadata, METH_VARARGS, "metadata(key) -> str or None."},
    {"find", (PyCFunction) patchset_find, METH_VARARGS,
     "find(name) -> int: the index of the patch called name (NotFoundError names the closest)."},
    {"apply", (PyCFunction) patchset_apply, METH_VARARGS, "apply(i, workspace): applies patch i in place."},
    {NULL, NULL, 0, NULL},
};

PyTypeObject hfxpy_patchset_type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hfx._core.Patchset",
    .tp_basicsize                          = sizeof(hfxpy_patchset),
    .tp_dealloc                            = (destructor) patchset_dealloc,
    .tp_flags                              = Py_TPFLAGS_DEFAULT,
    .tp_doc                                = "Patchset(path): a pyhf patchset file.",
    .tp_methods                            = patchset_methods,
    .tp_new                                = patchset_new,
};
