/*
 * test-cli-array.c -- the command-line program's growable array (tools/hfx/array.h, the twin of the
 * library's core/array.h that tools/ may not include): growth by doubling from the first capacity,
 * a jump doubled until it holds n, a byte buffer, and requests whose bytes would not fit size_t
 * refused with the array left as it was. The CLI's own tests run every grow site it serves; this
 * checks the helper's rules themselves. (Its out-of-memory branch is plain realloc returning NULL:
 * the CLI has no allocation seam, and a huge request under ASan aborts instead of returning NULL.)
 */
#include "../../tools/hfx/array.c"

#include "hfx-test.h"

#include <stdint.h>

struct pair {
    double x;
    int    k;
};

int main(void) {
    struct pair * p = NULL;
    size_t        n = 0, cap = 0;
    for (int i = 0; i < 1000; i++) {
        ASSERT(CLI_ARRAY_RESERVE(p, cap, n + 1, 8));
        ASSERT(n + 1 <= cap);
        p[n++] = (struct pair){0.5 * i, i};
    }
    ASSERT_EQ(cap, 1024); /* 8 doubled seven times */
    for (int i = 0; i < 1000; i++) {
        ASSERT(p[i].x == 0.5 * i && p[i].k == i);
    }
    ASSERT(CLI_ARRAY_RESERVE(p, cap, 1024, 8)); /* room already: nothing moves */
    ASSERT_EQ(cap, 1024);
    ASSERT(CLI_ARRAY_RESERVE(p, cap, 5000, 8)); /* a jump: doubled until it holds n */
    ASSERT_EQ(cap, 8192);

    /* refusals leave the array as it was */
    struct pair * keep = p;
    ASSERT(!CLI_ARRAY_RESERVE(p, cap, SIZE_MAX / 4, 8)); /* the bytes would not fit size_t */
    ASSERT(p == keep && cap == 8192);
    ASSERT(!CLI_ARRAY_RESERVE(p, cap, SIZE_MAX, 8)); /* no power of two times the capacity holds n */
    ASSERT(p == keep && cap == 8192);
    ASSERT(p[999].k == 999);
    free(p);

    /* a text buffer (as the CLI's readers use it): room for n bytes, the first capacity 64 KiB */
    char * s  = NULL;
    size_t sc = 0;
    ASSERT(CLI_ARRAY_RESERVE(s, sc, 3, 1 << 16));
    ASSERT_EQ(sc, 1 << 16);
    ASSERT(CLI_ARRAY_RESERVE(s, sc, (1 << 16) + 2, 1 << 16));
    ASSERT_EQ(sc, 1 << 17);
    free(s);

    /* min_cap 0 starts at one element */
    int *  v  = NULL;
    size_t vc = 0;
    ASSERT(CLI_ARRAY_RESERVE(v, vc, 1, 0));
    ASSERT_EQ(vc, 1);
    free(v);
    printf("cli array: ok\n");
    return 0;
}
