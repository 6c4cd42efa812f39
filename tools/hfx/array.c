/*
 * array.c -- the growable array of array.h (the CLI's twin of the library's src/core/array.c).
 */
#include "array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool cli_array_reserve(void * arr, size_t * cap, size_t n, size_t elem_size, size_t min_cap) {
    if (n <= *cap) {
        return true;
    }
    size_t c = *cap ? *cap : (min_cap ? min_cap : 1);
    while (c < n && c <= SIZE_MAX / 2) {
        c *= 2;
    }
    size_t size;
    if (c < n || __builtin_mul_overflow(c, elem_size, &size)) {
        return false;
    }
    void * old;
    memcpy(&old, arr, sizeof old); /* arr is a T **: read and written as bytes, whatever T is */
    void * p = realloc(old, size);
    if (!p) {
        return false;
    }
    memcpy(arr, &p, sizeof p);
    *cap = c;
    return true;
}
