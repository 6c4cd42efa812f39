/*
 * json-simd.cc -- parses JSON text with simdjson's DOM and copies the result into a jansson tree.
 *
 * Why: json_loadb reads its input one byte at a time through a stream and spends ~7 ms on the
 * 880 kB sbottom background, most of it lexing whitespace and numbers; simdjson parses the same
 * text in ~0.25 ms, and copying its tape into jansson nodes costs ~0.6 ms. jansson stays the tree
 * every later stage uses (RFC 6902 patches, patchsets, spec-build.c).
 *
 * The design, which json-load.c relies on: this file never reports an error. Either it builds the
 * tree json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY) would build, or it returns
 * NULL and json_loadb parses the text again, so every message (line, column, wording) is jansson's.
 * It declines:
 * - whatever simdjson refuses: malformed JSON, invalid UTF-8, numbers out of a double's range
 *   (jansson's "real number overflow"), integers beyond what 64 bits hold, nesting deeper than
 *   simdjson's 1024 levels (jansson allows HFX_JSON_DEPTH_MAX = 2048 and says where it stops);
 * - integers above INT64_MAX (simdjson's UINT64): json_loadb fails on them, and json-load.c then
 *   reads every integer of the document as a real, which only jansson's second pass reproduces;
 * - a NUL in a string or key (written \u0000): jansson refuses it without JSON_ALLOW_NUL;
 * - a duplicate key (JSON_REJECT_DUPLICATES), seen as an object that does not grow;
 * - a string jansson's own UTF-8 check refuses (json_stringn), e.g. a lone surrogate escape, in
 *   case simdjson's unescaping let one through;
 * - any allocation failure (jansson then fails the same way, and says so).
 * Types match by construction: simdjson reads a number as a double exactly when it has a fraction
 * or an exponent, as jansson does; both round decimal to double correctly (ULP 0), so the values are
 * the same bits. Objects keep the text's key order (jansson iterates in insertion order).
 * tests/c/test-json-simd.c compares both paths on every JSON file of the tests and the shared
 * material, and on tricky inputs; tests/fuzz/fuzz-json-simd.c checks the same property on
 * arbitrary bytes.
 */
#include "spec/json-simd.h"

#include <simdjson.h>

#include <cstring>

static_assert(simdjson::SIMDJSON_PADDING <= HFX__JSON_SIMD_PADDING, "json-simd.h's padding is too small");
/* Whatever simdjson's depth accepts, jansson's does too, so a declined depth is never a new error. */
static_assert(simdjson::DEFAULT_MAX_DEPTH <= JSON_PARSER_MAX_DEPTH, "simdjson nests deeper than jansson");

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

json_t * build(element e);

json_t * build_array(simdjson::dom::array in) {
    json_t * out = json_array();
    if (!out) {
        return nullptr;
    }
    for (element c : in) {
        json_t * v = build(c);
        if (!v || json_array_append_new(out, v) != 0) { /* append_new consumes v even when it fails */
            json_decref(out);
            return nullptr;
        }
    }
    return out;
}

json_t * build_object(simdjson::dom::object in) {
    json_t * out = json_object();
    if (!out) {
        return nullptr;
    }
    for (simdjson::dom::key_value_pair kv : in) {
        size_t   n = json_object_size(out);
        json_t * v = nullptr;
        if (std::memchr(kv.key.data(), '\0', kv.key.size()) || !(v = build(kv.value)) ||
            json_object_setn_new(out, kv.key.data(), kv.key.size(), v) != 0 || json_object_size(out) == n) {
            json_decref(out); /* setn_new consumed v, whatever it returned */
            return nullptr;
        }
    }
    return out;
}

json_t * build(element e) {
    switch (e.type()) {
    case element_type::ARRAY: return build_array(e.get_array().value_unsafe());
    case element_type::OBJECT: return build_object(e.get_object().value_unsafe());
    case element_type::INT64: return json_integer(e.get_int64().value_unsafe());
    case element_type::UINT64: return nullptr;
    case element_type::DOUBLE: return json_real(e.get_double().value_unsafe());
    case element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        return std::memchr(s.data(), '\0', s.size()) ? nullptr : json_stringn(s.data(), s.size());
    }
    case element_type::BOOL: return json_boolean(e.get_bool().value_unsafe());
    case element_type::NULL_VALUE: return json_null();
    }
    return nullptr;
}

} // namespace

extern "C" json_t * hfx__json_simd_load(const char * text, size_t len, bool padded) {
    try {
        simdjson::dom::parser parser;
        element               root;
        /* realloc_if_needed: copy into a padded buffer unless the caller's already is one */
        if (parser.parse(reinterpret_cast<const uint8_t *>(text), len, !padded).get(root) != simdjson::SUCCESS) {
            return nullptr;
        }
        return build(root);
    } catch (...) { /* e.g. std::bad_alloc: decline, jansson will say what is wrong */
        return nullptr;
    }
}
