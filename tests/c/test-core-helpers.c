/*
 * test-core-helpers.c -- the library's one hash map (core/name-map.h) and one growable array
 * (core/array.h): lookups across growth, tags as separate namespaces, replacement, arena-backed
 * maps, and every failure leaving the structure as it was (an allocation failed through the seam,
 * a size that would overflow).
 */
#include "core/alloc.h"
#include "core/array.h"
#include "core/name-map.h"
#include "hfx-impl.h"
#include "hfx-test.h"

enum { N_NAMES = 5000 }; /* past the first heap growths (256 slots, then doubling) */

static char names[N_NAMES][16];

static void test_name_map_heap(void) {
    struct hfx__name_map m = {0}; /* a zeroed map: empty, heap slots */
    ASSERT(hfx__name_map_get(&m, "absent", 0) == NULL);
    for (size_t i = 0; i < N_NAMES; i++) {
        snprintf(names[i], sizeof names[i], "np_%zu", i);
        ASSERT(hfx__name_map_put(&m, names[i], 0, i));
        ASSERT(hfx__name_map_put(&m, names[i], 7, 10 * i)); /* the same name under another tag */
    }
    ASSERT_EQ(m.n, 2 * N_NAMES);
    ASSERT(2 * m.n <= m.cap);
    for (size_t i = 0; i < N_NAMES; i++) {
        char key[16];
        snprintf(key, sizeof key, "np_%zu", i); /* another pointer, the same text */
        size_t * v0 = hfx__name_map_get(&m, key, 0), * v7 = hfx__name_map_get(&m, key, 7);
        ASSERT(v0 && v7);
        ASSERT_EQ(*v0, i);
        ASSERT_EQ(*v7, 10 * i);
        ASSERT(hfx__name_map_get(&m, key, 1) == NULL);
    }
    ASSERT(hfx__name_map_put(&m, "np_3", 0, 99)); /* replaces, does not add */
    ASSERT_EQ(*hfx__name_map_get(&m, "np_3", 0), 99);
    ASSERT_EQ(m.n, 2 * N_NAMES);
    ASSERT(hfx__name_map_get(&m, "np_", 0) == NULL);

    /* a growth that fails leaves the map as it was, and says how much it asked for */
    struct hfx__name_map f = {0};
    for (size_t i = 0; i < 128; i++) {
        ASSERT(hfx__name_map_put(&f, names[i], 0, i));
    }
    size_t cap = f.cap;
    hfx__alloc_fail_at(1);
    ASSERT(!hfx__name_map_put(&f, names[128], 0, 128));
    hfx__alloc_fail_at(0);
    ASSERT_EQ(f.cap, cap);
    ASSERT(f.failed_bytes >= 2 * cap * sizeof(struct hfx__name_slot));
    ASSERT(hfx__name_map_get(&f, names[128], 0) == NULL);
    ASSERT_EQ(*hfx__name_map_get(&f, names[127], 0), 127);
    hfx__name_map_free(&f);
    hfx__name_map_free(&m);
    ASSERT(m.slots == NULL && m.n == 0 && hfx__name_map_get(&m, "np_1", 0) == NULL);
}

static void test_name_map_arena(void) {
    struct hfx__arena    a = {0};
    struct hfx__name_map m;
    hfx__name_map_init(&m, &a);
    ASSERT(hfx__name_map_reserve(&m, 100));
    size_t cap = m.cap;
    ASSERT(cap >= 201);
    for (size_t i = 0; i < 100; i++) {
        ASSERT(hfx__name_map_put(&m, names[i], 0, i));
    }
    ASSERT_EQ(m.cap, cap); /* sized up front: no growth */
    for (size_t i = 100; i < 1000; i++) { /* and past it, from the arena too */
        ASSERT(hfx__name_map_put(&m, names[i], 0, i));
    }
    for (size_t i = 0; i < 1000; i++) {
        ASSERT_EQ(*hfx__name_map_get(&m, names[i], 0), i);
    }
    hfx__name_map_free(&m); /* nothing to free: the arena holds the slots */
    hfx__arena_free(&a);
}

struct pair {
    double x;
    int    k;
};

static void test_array(void) {
    struct pair * p   = NULL;
    size_t        n   = 0, cap = 0, bytes = 0;
    for (int i = 0; i < 1000; i++) {
        ASSERT(HFX_ARRAY_RESERVE(p, cap, n + 1, 8, &bytes));
        ASSERT(n + 1 <= cap);
        p[n++] = (struct pair){0.5 * i, i};
    }
    ASSERT_EQ(cap, 1024); /* 8 doubled seven times */
    for (int i = 0; i < 1000; i++) {
        ASSERT(p[i].x == 0.5 * i && p[i].k == i);
    }
    ASSERT(HFX_ARRAY_RESERVE(p, cap, 1024, 8, NULL)); /* room already: nothing moves */
    ASSERT_EQ(cap, 1024);
    ASSERT(HFX_ARRAY_RESERVE(p, cap, 5000, 8, NULL)); /* a jump: doubled until it holds n */
    ASSERT_EQ(cap, 8192);

    /* failures leave the array as it was */
    struct pair * keep = p;
    hfx__alloc_fail_at(1);
    ASSERT(!HFX_ARRAY_RESERVE(p, cap, 8193, 8, &bytes));
    hfx__alloc_fail_at(0);
    ASSERT(p == keep && cap == 8192);
    ASSERT_EQ(bytes, 16384 * sizeof *p);
    ASSERT(!HFX_ARRAY_RESERVE(p, cap, SIZE_MAX / 4, 8, &bytes)); /* the bytes would not fit size_t */
    ASSERT(p == keep && cap == 8192 && bytes == SIZE_MAX);
    ASSERT(p[999].k == 999);
    free(p);

    char * s  = NULL;
    size_t sc = 0;
    ASSERT(hfx__array_reserve(&s, &sc, 3, 1, 64, NULL)); /* the untyped call, as for a byte buffer */
    ASSERT_EQ(sc, 64);
    free(s);
}

int main(void) {
    test_name_map_heap();
    test_name_map_arena();
    test_array();
    printf("core helpers: ok\n");
    return 0;
}
