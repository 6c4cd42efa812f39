/*
 * array.c -- the growable array of array.h.
 */
#include "core/array.h"

#include "core/alloc.h"
#include "core/size-check.h"

#include <stdint.h>
#include <string.h>

bool hfx__array_reserve(void * arr, size_t * cap, size_t n, size_t elem_size, size_t min_cap, size_t * bytes) {
    if (n <= *cap) {
        return true;
    }
    size_t c    = *cap ? *cap : (min_cap ? min_cap : 1);
    size_t size = SIZE_MAX;
    while (c < n && c <= SIZE_MAX / 2) {
        c *= 2;
    }
    void * p = NULL;
    if (c >= n && hfx__size_mul(c, elem_size, &size)) {
        void * old;
        memcpy(&old, arr, sizeof old); /* arr is a T **: read and written as bytes, whatever T is */
        p = hfx__realloc(old, size);
    }
    if (!p) {
        if (bytes) {
            *bytes = size;
        }
        return false;
    }
    memcpy(arr, &p, sizeof p);
    *cap = c;
    return true;
}
