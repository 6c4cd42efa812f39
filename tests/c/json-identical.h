/*
 * json-identical.h -- strict equality of two jansson trees, for the tests of the fast JSON path
 * (test-json-simd.c, tests/fuzz/fuzz-json.c): the same types (an integer is not a real), reals with
 * the same bits (-0.0 is not 0.0), strings with the same bytes and length, objects with the same
 * keys in the same order. Stricter than hfx__json_equal, which is Python's ==.
 */
#ifndef HFX_JSON_IDENTICAL_H
#define HFX_JSON_IDENTICAL_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static inline bool json_identical(const json_t * a, const json_t * b) {
    if (!a || !b || json_typeof(a) != json_typeof(b)) {
        return false;
    }
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b)) {
            return false;
        }
        /* iterators walk insertion order: the text's order for a parsed document */
        void * ia = json_object_iter((json_t *) a);
        void * ib = json_object_iter((json_t *) b);
        for (; ia && ib; ia = json_object_iter_next((json_t *) a, ia), ib = json_object_iter_next((json_t *) b, ib)) {
            size_t na = json_object_iter_key_len(ia), nb = json_object_iter_key_len(ib);
            if (na != nb || memcmp(json_object_iter_key(ia), json_object_iter_key(ib), na) != 0 ||
                !json_identical(json_object_iter_value(ia), json_object_iter_value(ib))) {
                return false;
            }
        }
        return !ia && !ib;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) {
            return false;
        }
        for (size_t i = 0; i < json_array_size(a); i++) {
            if (!json_identical(json_array_get(a, i), json_array_get(b, i))) {
                return false;
            }
        }
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    case JSON_INTEGER: return json_integer_value(a) == json_integer_value(b);
    case JSON_REAL: {
        double x = json_real_value(a), y = json_real_value(b);
        return memcmp(&x, &y, sizeof x) == 0;
    }
    default: return true; /* true, false, null: the type says it all */
    }
}

#endif /* HFX_JSON_IDENTICAL_H */
