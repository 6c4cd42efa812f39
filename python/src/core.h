/*
 * core.h -- the extension module hfx._core: thin CPython types over the public C API
 * (include/hfx/hfx.h), shared by its files.
 *
 * Conventions of the module:
 * - Every call into libhfx runs with the GIL released (HFXPY_CALL) and with the lock of each mutable
 *   handle it touches held, so that Python threads may share objects: calls on one engine or one
 *   workspace take turns, calls on different ones run concurrently. Models are immutable in the
 *   library and have no lock.
 * - Arrays come in and go out through the buffer protocol (numpy arrays, array.array, memoryview):
 *   float64 or bool, C-contiguous, of exactly the length the call needs; the Python package
 *   (python/hfx) allocates the outputs and gives them their shapes. A wrong type or length raises
 *   hfx.ArgumentError, never reaches the library.
 * - Library errors raise the hfx.Error subclass of their status code, with hfx_error_format's line as
 *   the message and the error's fields as attributes. Nothing prints.
 */
#ifndef HFXPY_CORE_H
#define HFXPY_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include "hfx/hfx.h"

#include <stdbool.h>

/* Runs stmt without the GIL, holding lock (a PyThread_type_lock, or NULL for none). */
#define HFXPY_CALL(lock, stmt)                                                                                         \
    do {                                                                                                               \
        PyThread_type_lock hfxpy_lock_ = (lock);                                                                       \
        Py_BEGIN_ALLOW_THREADS if (hfxpy_lock_) PyThread_acquire_lock(hfxpy_lock_, WAIT_LOCK);                         \
        stmt;                                                                                                          \
        if (hfxpy_lock_) PyThread_release_lock(hfxpy_lock_);                                                           \
        Py_END_ALLOW_THREADS                                                                                           \
    } while (0)

//
// Errors (core.c)
//

/* Raises the hfx.Error subclass of st with err's message; returns NULL. */
PyObject * hfxpy_raise(enum hfx_status st, const struct hfx_error * err);
/* Raises hfx.ArgumentError with a printf-style message; returns NULL. */
PyObject * hfxpy_raise_arg(const char * fmt, ...);
/* Adds hfx.Error and its subclasses to the module. */
int hfxpy_errors_init(PyObject * module);

//
// Arrays (core.c)
//

/* A borrowed array: the buffer stays exported (its memory fixed) until hfxpy_array_release. */
struct hfxpy_array {
    Py_buffer view;
    bool      held;
    void *    data; /* NULL for None when optional */
};

enum { HFXPY_OPTIONAL = 1, HFXPY_WRITABLE = 2 };

/* Borrows obj as exactly n float64 values (or n bools with hfxpy_bools); None is accepted under
 * HFXPY_OPTIONAL (data NULL). what names the argument in the error. Returns 0, or -1 with
 * hfx.ArgumentError set. */
int  hfxpy_doubles(PyObject * obj, size_t n, int flags, const char * what, struct hfxpy_array * out);
int  hfxpy_bools(PyObject * obj, size_t n, int flags, const char * what, struct hfxpy_array * out);
void hfxpy_array_release(struct hfxpy_array * a);

/* A tuple of n floats / bools; NULL with an exception on failure. */
PyObject * hfxpy_tuple_doubles(const double * x, size_t n);
PyObject * hfxpy_tuple_bools(const bool * x, size_t n);

//
// Types
//

typedef struct {
    PyObject_HEAD
    hfx_workspace_t    ws;
    PyThread_type_lock lock;
} hfxpy_workspace;

typedef struct {
    PyObject_HEAD
    hfx_patchset_t     ps;
    PyThread_type_lock lock;
} hfxpy_patchset;

typedef struct {
    PyObject_HEAD
    hfx_model_t m;
    size_t      n_pars, n_data;
} hfxpy_model;

typedef struct {
    PyObject_HEAD
    hfx_engine_t       e;
    hfxpy_model *      model; /* owned reference: the model outlives the engine */
    PyThread_type_lock lock;
} hfxpy_engine;

extern PyTypeObject hfxpy_workspace_type; /* core-workspace.c */
extern PyTypeObject hfxpy_patchset_type;  /* core-workspace.c */
extern PyTypeObject hfxpy_model_type;     /* core-model.c */
extern PyTypeObject hfxpy_engine_type;    /* core-engine.c */

/* A new lock, or NULL with MemoryError set. */
PyThread_type_lock hfxpy_lock_new(void);
/* Takes lock, waiting without the GIL (the holder may be a call running without it); the caller
 * then holds both and releases lock with PyThread_release_lock. */
void hfxpy_lock_acquire(PyThread_type_lock lock);

/* A hypotest result as the dict the package reads (core-engine.c). */
PyObject * hfxpy_hypotest_dict(const struct hfx_hypotest_result * r);

/* The analyses (core-workflow.c): methods of _core.Engine and _core.Model. */
PyObject * hfxpy_engine_ranking(hfxpy_engine * self, PyObject * args, PyObject * kwds);
PyObject * hfxpy_engine_profile_scan(hfxpy_engine * self, PyObject * args, PyObject * kwds);
PyObject * hfxpy_engine_significance(hfxpy_engine * self, PyObject * args, PyObject * kwds);
PyObject * hfxpy_model_par_info(hfxpy_model * self, PyObject * unused);
PyObject * hfxpy_model_goodness_of_fit(hfxpy_model * self, PyObject * args, PyObject * kwds);

#endif /* HFXPY_CORE_H */
