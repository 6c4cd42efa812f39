/*
 * alloc.c -- the allocation seam (alloc.h): the C library's allocator, with one armed failure for
 * the tests that walk every out-of-memory branch.
 */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_ulong fail_countdown; /* 0: disarmed; k: the k-th allocation from now fails */
static atomic_ulong n_allocations;

/* Whether this allocation is the one a test asked to fail. */
static int injected_failure(void) {
    atomic_fetch_add_explicit(&n_allocations, 1, memory_order_relaxed);
    unsigned long k = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (k != 0) {
        if (atomic_compare_exchange_weak_explicit(&fail_countdown, &k, k - 1, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            return k == 1;
        }
    }
    return 0;
}

void * hfx__malloc(size_t size) {
    return injected_failure() ? NULL : malloc(size);
}

void * hfx__calloc(size_t n, size_t size) {
    return injected_failure() ? NULL : calloc(n, size);
}

void * hfx__realloc(void * p, size_t size) {
    return injected_failure() ? NULL : realloc(p, size);
}

void * hfx__aligned_alloc(size_t alignment, size_t size) {
    /* C11 asks for a size that is a multiple of the alignment */
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    if (rounded < size) {
        return NULL;
    }
    return injected_failure() ? NULL : aligned_alloc(alignment, rounded);
}

char * hfx__strdup(const char * s) {
    size_t n = strlen(s) + 1;
    char * c = hfx__malloc(n);
    if (c) {
        memcpy(c, s, n);
    }
    return c;
}

void hfx__alloc_fail_at(unsigned long n) {
    atomic_store(&fail_countdown, n);
    atomic_store(&n_allocations, 0);
}

unsigned long hfx__alloc_count(void) {
    return atomic_load(&n_allocations);
}
