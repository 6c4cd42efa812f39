/*
 * json-simd.h -- the fast path of json-load.c: simdjson parses, jansson holds the tree.
 *
 * A C interface to json-simd.cc (C++, built when CMake finds simdjson; HFX_USE_SIMDJSON says so).
 * It either builds exactly the tree json_loadb would build for the same text, or declines, and then
 * json_loadb parses the text again and reports whatever is wrong with it: errors always come from
 * jansson, so their wording, line and column do not depend on which path ran.
 */
#ifndef HFX_JSON_SIMD_H
#define HFX_JSON_SIMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes past a text's end that the parser may read (simdjson's SIMDJSON_PADDING, checked in
 * json-simd.cc). A buffer with that many readable bytes after the text spares the parser a copy. */
#define HFX__JSON_SIMD_PADDING 64

/* The tree of text[0, len) as json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
 * builds it (same types, values, string bytes and key order), as a new reference; or NULL when the
 * fast path declines: malformed JSON, and anything whose meaning in jansson it does not reproduce
 * (a duplicate key, an integer beyond int64, \u0000 in a string, nesting deeper than simdjson's
 * 1024 levels, running out of memory). padded: text[len, len + HFX__JSON_SIMD_PADDING) is readable.
 * Thread-safe: every call has its own parser. */
json_t * hfx__json_simd_load(const char * text, size_t len, bool padded);

#ifdef __cplusplus
}
#endif

#endif /* HFX_JSON_SIMD_H */
