/*
 * core.c -- the helpers every file of the module hfx._core uses: its exceptions (one hfx.Error
 * subclass per hfx_status), the buffer helpers, locks and interruptible calls. It calls no type's
 * file; the module itself (its init and module-level calls) is core-module.c, which calls them all.
 */
#include "core.h"

#include <pthread.h>
#include <time.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

//
// Errors
//

/* The exception class of each error status, a builtin it also derives from (so that an argument
 * error is a ValueError, a lookup a LookupError, ...) and the class of pyhf.exceptions it also derives
 * from (taken from the pure-Python module hfx.exceptions, which has pyhf's names), so that code written
 * for pyhf catches hfx's errors: `except pyhf.exceptions.InvalidSpecification` through hfx.compat. */
static const struct {
    enum hfx_status status;
    const char *    name;
    const char *    doc;
    const char *    pyhf; /* NULL: none */
} ERROR_CLASSES[] = {
    {HFX_ERR_IO, "FileError", "A file cannot be read or written.", NULL},
    {HFX_ERR_JSON, "JSONError", "Malformed JSON (the message gives the line and column).", NULL},
    {HFX_ERR_SCHEMA, "SchemaError", "The workspace does not follow the pyhf schema (the message gives the JSON pointer).",
     "InvalidSpecification"},
    {HFX_ERR_MODEL, "ModelError", "An inconsistent model (bin counts, unknown POI, ...).", "InvalidModel"},
    {HFX_ERR_PATCH, "PatchError", "A patch cannot be applied.", "InvalidPatchSet"},
    {HFX_ERR_ALLOC, "AllocError", "Out of memory.", NULL},
    {HFX_ERR_ARG, "ArgumentError", "An invalid argument: a wrong-shaped array, a value out of range.", NULL},
    {HFX_ERR_FIT, "FitError", "A fit did not converge.", "FailedMinimization"},
    {HFX_ERR_NUMERIC, "NumericError", "A numerical failure.", NULL},
    {HFX_ERR_UNSUPPORTED, "UnsupportedError", "Not supported by hfx (or by this backend).", "Unsupported"},
    {HFX_ERR_DEVICE, "DeviceError", "A device error, or a backend that cannot run here.", NULL},
    {HFX_ERR_NOT_FOUND, "NotFoundError", "Something named was not found (a patch, a measurement, a backend).", NULL},
    {HFX_ERR_CANCELLED, "CancelledError", "A long call stopped on request (Engine.cancel or an interrupt).", NULL},
};
#define N_ERROR_CLASSES (sizeof ERROR_CLASSES / sizeof ERROR_CLASSES[0])

/* Set once at import (module initialisation runs under the GIL), read-only afterwards. */
static PyObject * error_base;
static PyObject * error_classes[N_ERROR_CLASSES];

static const char * status_name(enum hfx_status st) {
    switch (st) {
#define HFX_X_NAME(name, value, text)                                                                                  \
    case name: return #name;
        HFX_STATUS_LIST(HFX_X_NAME)
#undef HFX_X_NAME
    }
    return "HFX_ERR_UNKNOWN";
}

static PyObject * error_class(enum hfx_status st) {
    for (size_t i = 0; i < N_ERROR_CLASSES; i++) {
        if (ERROR_CLASSES[i].status == st) {
            return error_classes[i];
        }
    }
    return error_base;
}

static int set_attr_string(PyObject * exc, const char * key, const char * value) {
    PyObject * v = PyUnicode_DecodeUTF8(value, (Py_ssize_t) strlen(value), "replace");
    int        rc = v ? PyObject_SetAttrString(exc, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

static int set_attr_long(PyObject * exc, const char * key, long value) {
    PyObject * v  = PyLong_FromLong(value);
    int        rc = v ? PyObject_SetAttrString(exc, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}

PyObject * hfxpy_raise(enum hfx_status st, const struct hfx_error * err) {
    char buf[2200];
    if (err && (err->msg[0] || err->source[0] || err->pointer[0])) {
        hfx_error_format(err, buf, sizeof buf);
    } else {
        snprintf(buf, sizeof buf, "%s", hfx_status_str(st));
    }
    PyObject * cls = error_class(st);
    PyObject * msg = PyUnicode_DecodeUTF8(buf, (Py_ssize_t) strlen(buf), "replace");
    PyObject * exc = msg ? PyObject_CallOneArg(cls, msg) : NULL;
    Py_XDECREF(msg);
    if (!exc) {
        return NULL;
    }
    bool have = err && err->code == st;
    if (set_attr_long(exc, "status", (long) st) == 0 && set_attr_string(exc, "status_name", status_name(st)) == 0 &&
        set_attr_string(exc, "detail", have ? err->msg : hfx_status_str(st)) == 0 &&
        set_attr_string(exc, "source", have ? err->source : "") == 0 &&
        set_attr_string(exc, "pointer", have ? err->pointer : "") == 0 &&
        set_attr_long(exc, "line", have ? err->line : 0) == 0 && set_attr_long(exc, "column", have ? err->column : 0) == 0) {
        PyErr_SetObject(cls, exc);
    }
    Py_DECREF(exc);
    return NULL;
}

PyObject * hfxpy_raise_arg(const char * fmt, ...) {
    struct hfx_error err;
    memset(&err, 0, sizeof err);
    err.code = HFX_ERR_ARG;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    return hfxpy_raise(HFX_ERR_ARG, &err);
}

int hfxpy_errors_init(PyObject * module) {
    error_base = PyErr_NewExceptionWithDoc(
        "hfx.Error",
        "An error of hfx. str(e) is the line the CLI prints after 'hfx: error: '; the attributes status "
        "(the hfx_status code), status_name, detail (the message alone), source (the file), pointer (the "
        "JSON pointer), line and column give its parts.",
        NULL, NULL);
    if (!error_base || PyModule_AddObjectRef(module, "Error", error_base) < 0) {
        return -1;
    }
    /* hfx/exceptions.py imports nothing from hfx, so it loads while the package hfx is being imported */
    PyObject * pyhf_exceptions = PyImport_ImportModule("hfx.exceptions");
    if (!pyhf_exceptions) {
        return -1;
    }
    for (size_t i = 0; i < N_ERROR_CLASSES; i++) {
        char       qualname[64];
        PyObject * extra = ERROR_CLASSES[i].status == HFX_ERR_ARG         ? PyExc_ValueError
                           : ERROR_CLASSES[i].status == HFX_ERR_ALLOC     ? PyExc_MemoryError
                           : ERROR_CLASSES[i].status == HFX_ERR_NOT_FOUND ? PyExc_LookupError
                           : ERROR_CLASSES[i].status == HFX_ERR_IO        ? PyExc_OSError
                                                                          : NULL;
        PyObject * pyhf  = ERROR_CLASSES[i].pyhf ? PyObject_GetAttrString(pyhf_exceptions, ERROR_CLASSES[i].pyhf) : NULL;
        if (ERROR_CLASSES[i].pyhf && !pyhf) {
            Py_DECREF(pyhf_exceptions);
            return -1;
        }
        PyObject * bases = extra && pyhf ? PyTuple_Pack(3, error_base, extra, pyhf)
                           : extra       ? PyTuple_Pack(2, error_base, extra)
                           : pyhf        ? PyTuple_Pack(2, error_base, pyhf)
                                         : PyTuple_Pack(1, error_base);
        Py_XDECREF(pyhf);
        snprintf(qualname, sizeof qualname, "hfx.%s", ERROR_CLASSES[i].name);
        error_classes[i] = bases ? PyErr_NewExceptionWithDoc(qualname, ERROR_CLASSES[i].doc, bases, NULL) : NULL;
        Py_XDECREF(bases);
        if (!error_classes[i] || PyModule_AddObjectRef(module, ERROR_CLASSES[i].name, error_classes[i]) < 0) {
            Py_DECREF(pyhf_exceptions);
            return -1;
        }
    }
    Py_DECREF(pyhf_exceptions);
    return 0;
}

//
// Arrays
//

static int borrow(PyObject * obj, size_t n, int flags, const char * what, bool boolean, struct hfxpy_array * out) {
    memset(out, 0, sizeof *out);
    if (obj == Py_None && (flags & HFXPY_OPTIONAL)) {
        return 0;
    }
    int want = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | ((flags & HFXPY_WRITABLE) ? PyBUF_WRITABLE : 0);
    if (!PyObject_CheckBuffer(obj) || PyObject_GetBuffer(obj, &out->view, want) < 0) {
        PyErr_Clear();
        hfxpy_raise_arg("%s: expected a C-contiguous%s %s array, got %s", what,
                        (flags & HFXPY_WRITABLE) ? " writable" : "", boolean ? "bool" : "float64", Py_TYPE(obj)->tp_name);
        return -1;
    }
    out->held        = true;
    const char * fmt = out->view.format ? out->view.format : "B";
    if (fmt[0] == '<' || fmt[0] == '=' || fmt[0] == '@') { /* this is a little-endian-or-native build */
        fmt++;
    }
    bool   type_ok = boolean ? (strcmp(fmt, "?") == 0 && out->view.itemsize == 1)
                             : (strcmp(fmt, "d") == 0 && out->view.itemsize == 8);
    size_t got     = out->view.itemsize > 0 ? (size_t) (out->view.len / out->view.itemsize) : 0;
    if (!type_ok) {
        hfxpy_raise_arg("%s: expected %s values, got buffer format '%s'", what, boolean ? "bool" : "float64",
                        out->view.format ? out->view.format : "B");
    } else if (got != n) {
        hfxpy_raise_arg("%s: expected %zu values, got %zu", what, n, got);
    } else {
        out->data = out->view.buf;
        return 0;
    }
    hfxpy_array_release(out);
    return -1;
}

int hfxpy_doubles(PyObject * obj, size_t n, int flags, const char * what, struct hfxpy_array * out) {
    return borrow(obj, n, flags, what, false, out);
}

int hfxpy_bools(PyObject * obj, size_t n, int flags, const char * what, struct hfxpy_array * out) {
    return borrow(obj, n, flags, what, true, out);
}

void hfxpy_array_release(struct hfxpy_array * a) {
    if (a->held) {
        PyBuffer_Release(&a->view);
    }
    a->held = false;
    a->data = NULL;
}

PyObject * hfxpy_tuple_doubles(const double * x, size_t n) {
    PyObject * t = PyTuple_New((Py_ssize_t) n);
    for (size_t i = 0; t && i < n; i++) {
        PyObject * v = PyFloat_FromDouble(x[i]);
        if (!v) {
            Py_CLEAR(t);
            break;
        }
        PyTuple_SET_ITEM(t, (Py_ssize_t) i, v);
    }
    return t;
}

PyObject * hfxpy_tuple_bools(const bool * x, size_t n) {
    PyObject * t = PyTuple_New((Py_ssize_t) n);
    for (size_t i = 0; t && i < n; i++) {
        PyTuple_SET_ITEM(t, (Py_ssize_t) i, PyBool_FromLong(x[i]));
    }
    return t;
}

PyThread_type_lock hfxpy_lock_new(void) {
    PyThread_type_lock lock = PyThread_allocate_lock();
    if (!lock) {
        PyErr_NoMemory();
    }
    return lock;
}

void hfxpy_lock_acquire(PyThread_type_lock lock) {
    if (!PyThread_acquire_lock(lock, NOWAIT_LOCK)) {
        Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock(lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

//
// Interruptible calls
//

struct icall {
    enum hfx_status (*fn)(void *);
    void *          ctx;
    enum hfx_status st;
    bool            done;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
};

static void * icall_main(void * arg) {
    struct icall *  c  = arg;
    enum hfx_status st = c->fn(c->ctx);
    pthread_mutex_lock(&c->mu);
    c->st   = st;
    c->done = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* The main thread's id, read under the GIL at the first call (threading.main_thread()). */
static unsigned long main_ident;
static bool          main_known;

static bool on_main_thread(void) {
    if (!main_known) {
        PyObject * mt = PyImport_ImportModule("threading");
        PyObject * t  = mt ? PyObject_CallMethod(mt, "main_thread", NULL) : NULL;
        PyObject * id = t ? PyObject_GetAttrString(t, "ident") : NULL;
        if (id && PyLong_Check(id)) {
            main_ident = PyLong_AsUnsignedLong(id);
            main_known = !PyErr_Occurred();
        }
        PyErr_Clear();
        Py_XDECREF(id);
        Py_XDECREF(t);
        Py_XDECREF(mt);
    }
    return main_known && PyThread_get_thread_ident() == main_ident;
}

int hfxpy_call_interruptible(PyThread_type_lock lock, hfx_engine_t e, enum hfx_status (*fn)(void *), void * ctx,
                             enum hfx_status * st) {
    if (!on_main_thread()) {
        HFXPY_CALL(lock, *st = fn(ctx));
        return 0;
    }
    struct icall c = {.fn = fn, .ctx = ctx};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    bool      interrupted = false;
    pthread_t tid;
    Py_BEGIN_ALLOW_THREADS if (lock) PyThread_acquire_lock(lock, WAIT_LOCK);
    if (pthread_create(&tid, NULL, icall_main, &c) != 0) {
        icall_main(&c); /* no thread to spare: the call runs here, not interruptible */
    } else {
        pthread_mutex_lock(&c.mu);
        while (!c.done) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000 * 1000;
            ts.tv_sec += ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            pthread_cond_timedwait(&c.cv, &c.mu, &ts);
            if (!c.done && !interrupted) {
                pthread_mutex_unlock(&c.mu);
                Py_BLOCK_THREADS interrupted = PyErr_CheckSignals() < 0;
                Py_UNBLOCK_THREADS if (interrupted) hfx_engine_cancel(e, true);
                pthread_mutex_lock(&c.mu);
            }
        }
        pthread_mutex_unlock(&c.mu);
        pthread_join(tid, NULL);
    }
    if (interrupted) {
        hfx_engine_cancel(e, false);
    }
    if (lock) {
        PyThread_release_lock(lock);
    }
    Py_END_ALLOW_THREADS pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    *st = c.st;
    return interrupted ? -1 : 0;
}
