/*
 * arena.c -- a bump allocator for trees of small objects that die together (the parsed spec).
 */
#include "hfx-impl.h"

#include <string.h>

struct hfx__arena_block {
    struct hfx__arena_block * next;
    size_t                    used;
    size_t                    cap;
    _Alignas(16) unsigned char data[];
};

enum { HFX_ARENA_BLOCK = 64 * 1024 };

size_t hfx__arena_failed_bytes(const struct hfx__arena * a) {
    return a->failed_bytes;
}

/* Each allocation passes the seam (core/alloc.h) as one of its own, named by the arena's caller, so
 * that the allocation-failure test reaches the out-of-memory branch of every arena allocation, not
 * only of the few that take a new block. */
static void * arena_alloc_at(struct hfx__arena * a, size_t size, const void * site) {
    if (hfx__alloc_injected(site)) {
        a->failed_bytes = size;
        return NULL;
    }
    if (size > SIZE_MAX - 15u) {
        a->failed_bytes = SIZE_MAX;
        return NULL;
    }
    size = (size + 15u) & ~(size_t) 15u;
    if (size == 0) {
        size = 16;
    }
    struct hfx__arena_block * b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > HFX_ARENA_BLOCK ? size : HFX_ARENA_BLOCK;
        b = cap > SIZE_MAX - sizeof *b ? NULL : hfx__malloc(sizeof *b + cap);
        if (!b) {
            a->failed_bytes = cap > SIZE_MAX - sizeof *b ? SIZE_MAX : sizeof *b + cap;
            return NULL;
        }
        b->cap  = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void * p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

void * hfx__arena_alloc(struct hfx__arena * a, size_t size) {
    return arena_alloc_at(a, size, HFX__ALLOC_CALLER());
}

char * hfx__arena_strdup(struct hfx__arena * a, const char * s) {
    size_t n = strlen(s) + 1;
    char * p = arena_alloc_at(a, n, HFX__ALLOC_CALLER());
    if (p) {
        memcpy(p, s, n);
    }
    return p;
}

void hfx__arena_free(struct hfx__arena * a) {
    struct hfx__arena_block * b = a->head;
    while (b) {
        struct hfx__arena_block * next = b->next;
        free(b);
        b = next;
    }
    a->head         = NULL;
    a->failed_bytes = 0;
}
