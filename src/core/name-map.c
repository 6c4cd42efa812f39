/*
 * name-map.c -- the hash map of name-map.h.
 */
#include "core/name-map.h"

#include "core/size-check.h"
#include "hfx-impl.h"

#include <string.h>

static uint64_t name_hash(const char * s, size_t tag) {
    uint64_t h = 1469598103934665603ull ^ (uint64_t) tag; /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (unsigned char) *s) * 1099511628211ull;
    }
    return h ^ (h >> 29); /* the low bits index the table: fold the high ones in */
}

/* The slot of (name, tag): where it is, or the empty slot where it would go. */
static struct hfx__name_slot * find(const struct hfx__name_map * m, const char * name, size_t tag, uint64_t h) {
    size_t i = (size_t) h & (m->cap - 1);
    while (m->slots[i].name &&
           (m->slots[i].hash != h || m->slots[i].tag != tag || strcmp(m->slots[i].name, name) != 0)) {
        i = (i + 1) & (m->cap - 1);
    }
    return &m->slots[i];
}

void hfx__name_map_init(struct hfx__name_map * m, struct hfx__arena * arena) {
    *m = (struct hfx__name_map){.arena = arena};
}

/* Rehashes into cap slots (a power of two above twice the names). */
static bool grow(struct hfx__name_map * m, size_t cap) {
    size_t                  bytes = 0;
    struct hfx__name_slot * slots = NULL;
    if (hfx__size_mul(cap, sizeof *slots, &bytes)) {
        slots = m->arena ? hfx__arena_alloc(m->arena, bytes) : hfx__calloc(cap, sizeof *slots);
    }
    if (!slots) {
        m->failed_bytes = bytes ? bytes : SIZE_MAX;
        return false;
    }
    struct hfx__name_map bigger = {slots, cap, m->n, 0, m->arena};
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].name) {
            *find(&bigger, m->slots[i].name, m->slots[i].tag, m->slots[i].hash) = m->slots[i];
        }
    }
    if (!m->arena) {
        free(m->slots);
    }
    *m = bigger;
    return true;
}

bool hfx__name_map_reserve(struct hfx__name_map * m, size_t n) {
    size_t cap = m->cap ? m->cap : 16;
    while (cap < 2 * n + 1) {
        if (cap > SIZE_MAX / 4) {
            m->failed_bytes = SIZE_MAX;
            return false;
        }
        cap *= 2;
    }
    return cap == m->cap || grow(m, cap);
}

size_t * hfx__name_map_get(const struct hfx__name_map * m, const char * name, size_t tag) {
    if (m->n == 0) {
        return NULL;
    }
    struct hfx__name_slot * s = find(m, name, tag, name_hash(name, tag));
    return s->name ? &s->val : NULL;
}

bool hfx__name_map_put(struct hfx__name_map * m, const char * name, size_t tag, size_t val) {
    if (2 * (m->n + 1) > m->cap && !grow(m, m->cap ? 2 * m->cap : 256)) {
        return false;
    }
    uint64_t                h = name_hash(name, tag);
    struct hfx__name_slot * s = find(m, name, tag, h);
    if (!s->name) {
        *s = (struct hfx__name_slot){name, tag, val, h};
        m->n++;
    }
    s->val = val;
    return true;
}

void hfx__name_map_free(struct hfx__name_map * m) {
    if (!m->arena) {
        free(m->slots);
    }
    hfx__name_map_init(m, m->arena);
}
