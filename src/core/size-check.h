/* Size arithmetic that cannot wrap. Every count read from input (file headers, HS3 axes, ROOT keys,
 * XML attributes, result files) goes through these before it sizes an allocation, a loop or a message:
 * a product that wrapped would allocate too little and then write past it, or print a nonsense number.
 * Header-only, so that the CLI's readers use the same checks as the library's. */
#ifndef HFX_SIZE_CHECK_H
#define HFX_SIZE_CHECK_H

#include "hfx/hfx.h" /* HFX_COUNT_MAX: the limit is public, the CLI's readers check it too */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *out = a * b and true; false, *out untouched, where the product does not fit in size_t. */
static inline bool hfx__size_mul(size_t a, size_t b, size_t * out) {
    if (b != 0 && a > SIZE_MAX / b) {
        return false;
    }
    *out = a * b;
    return true;
}

/* *out = a + b and true; false, *out untouched, where the sum does not fit in size_t. */
static inline bool hfx__size_add(size_t a, size_t b, size_t * out) {
    if (a > SIZE_MAX - b) {
        return false;
    }
    *out = a + b;
    return true;
}

/* true where n elements of elem_size bytes each are a plausible input: n <= HFX_COUNT_MAX and the byte
 * count fits in size_t (then *bytes holds it, when bytes is not NULL). */
static inline bool hfx__count_ok(uint64_t n, size_t elem_size, size_t * bytes) {
    size_t b;
    if (n > HFX_COUNT_MAX || !hfx__size_mul((size_t)n, elem_size, &b)) {
        return false;
    }
    if (bytes) {
        *bytes = b;
    }
    return true;
}

#endif
