/*
 * hfx-impl.h -- internal helpers shared by every part of libhfx: error reporting, assertions,
 * a bump arena for trees of small allocations. Never installed, never included by users.
 */
#ifndef HFX_IMPL_H
#define HFX_IMPL_H

#include "hfx/hfx.h"
#include "core/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Programmer errors only: bad input, OOM and device errors are status codes. */
#define HFX_ASSERT(x)                                                                        \
    do {                                                                                     \
        if (!(x)) {                                                                          \
            fprintf(stderr, "%s:%d: HFX_ASSERT(%s) failed\n", __FILE__, __LINE__, #x);        \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#if defined(__GNUC__)
#define HFX_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define HFX_PRINTF(fmt, args)
#endif

/* Fills err (if not NULL) and returns code, so that callers can write
 *   return hfx__error(err, HFX_ERR_MODEL, "/channels/0", "channel '%s' has no samples", name);
 * pointer may be NULL. Clears err->source: callers that know the file set it afterwards. */
enum hfx_status hfx__error(struct hfx_error * err, enum hfx_status code, const char * pointer, const char * fmt, ...)
    HFX_PRINTF(4, 5);

/* HFX_ERR_ALLOC with "out of memory allocating <bytes> bytes for <what>". */
enum hfx_status hfx__error_oom(struct hfx_error * err, const char * what, size_t bytes);

/* Copies in to out (size bytes, always NUL-terminated, cut short if needed) with control characters
 * escaped: "\n", "\r", "\t", others as "\xHH". What keeps every error report on one line. */
void hfx__escape_controls(char * out, size_t size, const char * in);

/* Sets err->source if err is not NULL and its source is still empty. */
void hfx__error_source(struct hfx_error * err, const char * source);

/* snprintf for messages and pointers, where cutting an over-long text short is the intended outcome
 * (through a va_list, so the compiler does not warn about the truncation). */
void hfx__format(char * buf, size_t size, const char * fmt, ...) HFX_PRINTF(3, 4);

/* Clears err (if not NULL) to "ok". */
void hfx__error_clear(struct hfx_error * err);

//
// Arena: many small allocations freed at once (spec trees, name tables).
//

struct hfx__arena_block;
struct hfx__arena {
    struct hfx__arena_block * head;
    size_t                    failed_bytes; /* the block that could not be allocated, for messages */
};

void * hfx__arena_alloc(struct hfx__arena * a, size_t size);      /* 16-byte aligned, zeroed; NULL on OOM */
size_t hfx__arena_failed_bytes(const struct hfx__arena * a);      /* bytes of the last failed block, 0 if none */
char * hfx__arena_strdup(struct hfx__arena * a, const char * s);  /* NULL on OOM */
void   hfx__arena_free(struct hfx__arena * a);                    /* frees every block; a stays usable */

#endif /* HFX_IMPL_H */
