/*
 * alloc.c -- the allocation seam (alloc.h): the C library's allocator, with one armed failure for
 * the tests that walk every out-of-memory branch.
 */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong     fail_countdown; /* 0: disarmed; k: the k-th allocation from now fails */
static atomic_ulong     n_allocations;
static atomic_uintptr_t failed_site;    /* the call the armed failure hit; 0 until then */

/* Whether this allocation (asked for at site) is the one a test asked to fail. */
static int injected_failure(const void * site) {
    atomic_fetch_add_explicit(&n_allocations, 1, memory_order_relaxed);
    unsigned long k = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (k != 0) {
        if (atomic_compare_exchange_weak_explicit(&fail_countdown, &k, k - 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            if (k == 1) {
                atomic_store_explicit(&failed_site, (uintptr_t) site, memory_order_relaxed);
            }
            return k == 1;
        }
    }
    return 0;
}

int hfx__alloc_injected(const void * site) {
    return injected_failure(site);
}

/* Each entry point names its own caller, so that hfx__strdup's allocation is its caller's site. */
static void * malloc_at(size_t size, const void * site) {
    return injected_failure(site) ? NULL : malloc(size);
}

void * hfx__malloc(size_t size) {
    return malloc_at(size, HFX__ALLOC_CALLER());
}

void * hfx__calloc(size_t n, size_t size) {
    return injected_failure(HFX__ALLOC_CALLER()) ? NULL : calloc(n, size);
}

void * hfx__realloc(void * p, size_t size) {
    return injected_failure(HFX__ALLOC_CALLER()) ? NULL : realloc(p, size);
}

void * hfx__aligned_alloc(size_t alignment, size_t size) {
    /* C11 asks for a size that is a multiple of the alignment */
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    if (rounded < size) {
        return NULL;
    }
    return injected_failure(HFX__ALLOC_CALLER()) ? NULL : aligned_alloc(alignment, rounded);
}

char * hfx__strdup(const char * s) {
    size_t n = strlen(s) + 1;
    char * c = malloc_at(n, HFX__ALLOC_CALLER());
    if (c) {
        memcpy(c, s, n);
    }
    return c;
}

void hfx__alloc_fail_at(unsigned long n) {
    atomic_store(&fail_countdown, n);
    atomic_store(&n_allocations, 0);
    atomic_store(&failed_site, (uintptr_t) 0);
}

unsigned long hfx__alloc_count(void) {
    return atomic_load(&n_allocations);
}

const void * hfx__alloc_failed_site(void) {
    return (const void *) atomic_load(&failed_site);
}
