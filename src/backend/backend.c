/*
 * backend.c -- the registry of compiled-in backends and the public calls that list them (names,
 * descriptions, whether each can run here). A read-only table: no mutable global state.
 */
#include "backend/backend.h"

#include <string.h>

static const struct hfx_backend_i * const registry[] = {
    &hfx_backend_cpu_ref,
    &hfx_backend_cpu,
#ifdef HFX_USE_CUDA
    &hfx_backend_cuda,
#endif
};

size_t hfx__backend_count(void) { return sizeof registry / sizeof registry[0]; }

const struct hfx_backend_i * hfx__backend_get(size_t i) { return i < hfx__backend_count() ? registry[i] : NULL; }

const struct hfx_backend_i * hfx__backend_find(const char * name) {
    for (size_t i = 0; i < hfx__backend_count(); ++i) {
        if (strcmp(registry[i]->name, name) == 0) {
            return registry[i];
        }
    }
    return NULL;
}

size_t       hfx_backend_count(void) { return hfx__backend_count(); }
const char * hfx_backend_name(size_t i) { return i < hfx__backend_count() ? registry[i]->name : NULL; }
const char * hfx_backend_description(size_t i) { return i < hfx__backend_count() ? registry[i]->description : NULL; }

bool hfx_backend_usable(size_t i, const char ** why) {
    const char * reason = NULL;
    bool         ok     = false;
    if (i >= hfx__backend_count()) {
        reason = "no such backend";
    } else if (!registry[i]->available) {
        ok = true;
    } else {
        ok = registry[i]->available(&reason);
        if (!ok && !reason) {
            reason = "not available here";
        }
    }
    if (why) {
        *why = ok ? NULL : reason;
    }
    return ok;
}
