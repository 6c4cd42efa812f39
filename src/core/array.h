/*
 * array.h -- the library's one growable array: a pointer, a count and a capacity kept by the caller
 * (fields of its struct), and one call that makes room before an append. Growth doubles (amortised
 * constant time per element) from a first capacity the caller picks, through hfx__realloc, with the
 * byte count checked for overflow (size-check.h); on failure the array is left as it was, so the
 * caller reports the error and frees what it holds as usual (free()).
 *
 *     if (!HFX_ARRAY_RESERVE(w->pars, w->cap_pars, w->n_pars + 1, 64, &bytes)) {
 *         return hfx__error_oom(err, "the HS3 parameter table", bytes);
 *     }
 *     w->pars[w->n_pars++] = p;
 */
#ifndef HFX_CORE_ARRAY_H
#define HFX_CORE_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* Room for n elements of elem_size bytes in the array whose pointer is at arr (a T **; capacity
 * *cap elements). Where n > *cap the capacity becomes min_cap (the first time) or twice the old
 * one, doubled until it holds n. False when out of memory or when the bytes would not fit size_t:
 * then *arr and *cap are untouched and *bytes (when not NULL) is the size that was asked for. */
bool hfx__array_reserve(void * arr, size_t * cap, size_t n, size_t elem_size, size_t min_cap, size_t * bytes);

/* The same for an array of any element type: HFX_ARRAY_RESERVE(ptr, cap, n, min_cap, &bytes). */
#define HFX_ARRAY_RESERVE(ptr, cap, n, min_cap, bytes)                                                          \
    hfx__array_reserve(&(ptr), &(cap), (n), sizeof *(ptr), (min_cap), (bytes))

#endif /* HFX_CORE_ARRAY_H */
