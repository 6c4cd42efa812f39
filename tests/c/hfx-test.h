/*
 * hfx-test.h -- assertions for the C tests. Each prints both values, file and line, then aborts.
 * ASSERT_NEAR_REL follows SUNDIALS' SUNRCompareTol: relative, absolute near 0, exact equality covers inf.
 * A test that cannot run (no GPU, no ../shared) calls SKIP("why"), which exits 77 (CTest: skipped).
 * hfx_test_rand: the tests' fixed-seed generator.
 */
#ifndef HFX_TEST_H
#define HFX_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERT(x)                                                                  \
    do {                                                                           \
        if (!(x)) {                                                                \
            fprintf(stderr, "%s:%d: ASSERT(%s) failed\n", __FILE__, __LINE__, #x); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* Whether x has an integer type (an enum, a bool, a size): ASSERT_EQ compares integers exactly, and a
 * double cast to long long would compare only its integer part (0.5 would equal 0). */
#define HFX_TEST_IS_INTEGER(x) _Generic((x), float: 0, double: 0, long double: 0, default: 1)

#define ASSERT_EQ(a, b)                                                                             \
    do {                                                                                            \
        _Static_assert(HFX_TEST_IS_INTEGER(a) && HFX_TEST_IS_INTEGER(b),                            \
                       "ASSERT_EQ compares integers; doubles go through ASSERT or a tolerance");    \
        long long a_ = (long long) (a), b_ = (long long) (b);                                       \
        if (a_ != b_) {                                                                             \
            fprintf(stderr, "%s:%d: ASSERT_EQ(%s, %s): %lld != %lld\n", __FILE__, __LINE__, #a, #b, a_, b_); \
            abort();                                                                                \
        }                                                                                           \
    } while (0)

#define ASSERT_STREQ(a, b)                                                                            \
    do {                                                                                              \
        const char *a_ = (a), *b_ = (b);                                                              \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                                      \
            fprintf(stderr, "%s:%d: ASSERT_STREQ(%s, %s): \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b, \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                          \
            abort();                                                                                  \
        }                                                                                             \
    } while (0)

static inline int hfx_test_near_rel(double a, double b, double rtol, double atol) {
    if (a == b) {
        return 1;
    }
    if (isnan(a) || isnan(b)) {
        return 0;
    }
    double diff = fabs(a - b);
    return diff <= atol || diff <= rtol * fmax(fabs(a), fabs(b));
}

#define ASSERT_NEAR_REL(a, b, rtol)                                                                       \
    do {                                                                                                  \
        double a_ = (a), b_ = (b);                                                                        \
        if (!hfx_test_near_rel(a_, b_, (rtol), 0.0)) {                                                    \
            fprintf(stderr, "%s:%d: ASSERT_NEAR_REL(%s, %s, %g): %.17g vs %.17g (rel diff %.3g)\n", __FILE__, \
                    __LINE__, #a, #b, (double) (rtol), a_, b_, fabs(a_ - b_) / fmax(fabs(a_), fabs(b_)));   \
            abort();                                                                                      \
        }                                                                                                 \
    } while (0)

#define ASSERT_NEAR_ABS(a, b, atol)                                                                    \
    do {                                                                                               \
        double a_ = (a), b_ = (b);                                                                     \
        if (!(fabs(a_ - b_) <= (atol))) {                                                              \
            fprintf(stderr, "%s:%d: ASSERT_NEAR_ABS(%s, %s, %g): %.17g vs %.17g\n", __FILE__, __LINE__, #a, \
                    #b, (double) (atol), a_, b_);                                                      \
            abort();                                                                                   \
        }                                                                                              \
    } while (0)

/* splitmix64: a fixed-seed generator (state: the caller's), uniform in [0, 1), so that random test
 * problems are the same everywhere. */
static inline double hfx_test_rand(uint64_t * state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z          = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double) (z >> 11) * 0x1.0p-53;
}

#define SKIP(why)                                     \
    do {                                              \
        fprintf(stderr, "SKIPPED: %s\n", (why));      \
        exit(77);                                     \
    } while (0)

#endif /* HFX_TEST_H */
