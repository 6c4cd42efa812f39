/*
 * hfx-test-ref.h -- reading the pyhf reference files (JSON lines written by Python) in the C tests.
 */
#ifndef HFX_TEST_REF_H
#define HFX_TEST_REF_H

#include "hfx/hfx.h"

#include <jansson.h>
#include <string.h>

/* Python's json writes NaN, which JSON (and jansson) lacks: NaN becomes an empty array, which has the
 * same length, so a getline buffer needs no growing. Tests treat an array where a number was
 * expected as pyhf's NaN. */
static inline json_t * hfx_test_parse_line(char * line) {
    for (char * q = strstr(line, "NaN"); q; q = strstr(q, "NaN")) {
        memcpy(q, "[] ", 3);
    }
    json_error_t err;
    return json_loads(line, 0, &err);
}

/* pyhf's modifier_settings {"normsys": {"interpcode": "code1"}, ...} as model options. */
static inline enum hfx_interp_code hfx_test_interp_code(json_t * settings, const char * type) {
    const char * s = json_string_value(json_object_get(json_object_get(settings, type), "interpcode"));
    static const struct { const char * name; enum hfx_interp_code code; } codes[] = {
        {"code0", HFX_INTERP_CODE0}, {"code1", HFX_INTERP_CODE1}, {"code2", HFX_INTERP_CODE2},
        {"code4", HFX_INTERP_CODE4}, {"code4p", HFX_INTERP_CODE4P},
    };
    for (size_t i = 0; s && i < sizeof codes / sizeof codes[0]; ++i) {
        if (strcmp(s, codes[i].name) == 0) {
            return codes[i].code;
        }
    }
    return HFX_INTERP_DEFAULT;
}

#endif /* HFX_TEST_REF_H */
