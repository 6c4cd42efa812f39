/*
 * alloc.h -- the one door through which libhfx takes heap memory.
 *
 * Every allocation in src/ goes through hfx__malloc and friends rather than the C library directly,
 * so that a test can make the N-th allocation fail (hfx__alloc_fail_at) and check that every
 * out-of-memory branch along load -> patch -> compile -> engine -> fit -> inference ends in an
 * HFX_ERR_ALLOC (or the caller's error), never a crash or a leak. Memory from here is released
 * with the C library's free(): the seam injects failures, it is not an allocator of its own.
 */
#ifndef HFX_ALLOC_H
#define HFX_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void * hfx__malloc(size_t size);
void * hfx__calloc(size_t n, size_t size);
void * hfx__realloc(void * p, size_t size);
void * hfx__aligned_alloc(size_t alignment, size_t size); /* size rounded up to a multiple of alignment */
char * hfx__strdup(const char * s);

/* Tests only: the n-th allocation from now (1: the next one) returns NULL, once; 0 disarms.
 * hfx__alloc_count says how many allocations were asked for since the last call (the test's way to
 * know how many sites a run reached). Thread-safe (atomics); meant for single-threaded tests. */
void   hfx__alloc_fail_at(unsigned long n);
unsigned long hfx__alloc_count(void);

/* Tests only: the code address of the call that the armed failure hit (the return address of the
 * hfx__malloc/..., or hfx__arena_alloc, call: addr2line names its file and line), NULL while it
 * has not hit since hfx__alloc_fail_at; NULL too where the compiler has no __builtin_return_address. */
const void * hfx__alloc_failed_site(void);

/* An allocation served from memory the caller already holds (a bump in an arena block, arena.c):
 * counted as one, and true where it is the one armed to fail, so that the out-of-memory branches
 * behind an arena are reached one by one too. site: the caller's call site (HFX__ALLOC_CALLER()). */
int hfx__alloc_injected(const void * site);

#if defined(__GNUC__) || defined(__clang__)
#define HFX__ALLOC_CALLER() __builtin_return_address(0)
#else
#define HFX__ALLOC_CALLER() ((const void *) 0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* HFX_ALLOC_H */
