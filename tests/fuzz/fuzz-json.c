/*
 * fuzz-json.c -- libFuzzer harness of the fast JSON path (src/spec/json-simd.cc): on any bytes,
 * what simdjson builds (from an unpadded and from a padded buffer) is exactly what jansson's
 * json_loadb builds (tests/c/json-identical.h), or the fast path declined. Unlike the other
 * harnesses this one asserts an answer: a tree the fast path builds that jansson refuses or builds
 * differently aborts. Built only where hfx has simdjson (HFX_USE_SIMDJSON).
 */
#include "fuzz-common.h"
#include "spec/json-simd.h"
#include "../c/json-identical.h"

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    const char * text   = (const char *) data;
    json_t *     fast   = hfx__json_simd_load(text, size, false);
    char *       padded = malloc(size + HFX__JSON_SIMD_PADDING);
    if (!padded) {
        json_decref(fast);
        return 0;
    }
    memcpy(padded, data, size);
    memset(padded + size, 0, HFX__JSON_SIMD_PADDING);
    json_t * fast_padded = hfx__json_simd_load(padded, size, true);
    free(padded);
    json_error_t jerr;
    json_t *     slow = json_loadb(text, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if ((fast == NULL) != (fast_padded == NULL) || (fast && (!slow || !json_identical(fast, slow))) ||
        (fast_padded && !json_identical(fast_padded, fast))) {
        abort();
    }
    json_decref(fast);
    json_decref(fast_padded);
    json_decref(slow);
    /* and the loader's whole path, fast or not, answers well formed */
    struct hfx_error e    = { 0 };
    json_t *         root = NULL;
    fuzz_check_error(hfx__json_load_buffer(data, size, "fuzz", &root, &e), &e);
    json_decref(root);
    return 0;
}
