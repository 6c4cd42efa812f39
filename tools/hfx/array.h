/*
 * array.h -- the command-line program's one growable array. The library has its own
 * (src/core/array.h), but tools/ reaches the library only through hfx.h, so the CLI keeps this
 * twin: a pointer, a count and a capacity kept by the caller (fields of its struct), and one call
 * that makes room before an append. Growth doubles (amortised constant time per element) from a
 * first capacity the caller picks, with the byte count checked for overflow; on failure the array
 * is left as it was, so the caller prints its error and frees what it holds as usual (free()).
 *
 *     if (!CLI_ARRAY_RESERVE(l->names, l->cap, l->n + 1, 8)) {
 *         cli_error("out of memory");
 *         return CLI_FAIL;
 *     }
 *     l->names[l->n++] = name;
 *
 * A text buffer is an array of char: reserve the bytes a read needs (n + chunk + 1) and read into
 * the capacity it got.
 */
#ifndef HFX_CLI_ARRAY_H
#define HFX_CLI_ARRAY_H

#include <stdbool.h>
#include <stddef.h>

/* Room for n elements of elem_size bytes in the array whose pointer is at arr (a T **; capacity
 * *cap elements). Where n > *cap the capacity becomes min_cap (the first time) or twice the old
 * one, doubled until it holds n. False when out of memory or when the bytes would not fit size_t:
 * then *arr and *cap are untouched. Prints nothing. */
bool cli_array_reserve(void * arr, size_t * cap, size_t n, size_t elem_size, size_t min_cap);

/* The same for an array of any element type: CLI_ARRAY_RESERVE(ptr, cap, n, min_cap). */
#define CLI_ARRAY_RESERVE(ptr, cap, n, min_cap) cli_array_reserve(&(ptr), &(cap), (n), sizeof *(ptr), (min_cap))

#endif /* HFX_CLI_ARRAY_H */
