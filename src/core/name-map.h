/*
 * name-map.h -- the library's one hash map: (name, tag) -> a number, open addressing with linear
 * probing over FNV-1a hashes. The tag keeps separate namespaces apart in one table (spec-build.c's
 * channels, samples of each channel, modifiers of each type); callers with one namespace pass 0.
 * Names are borrowed: they must outlive the map (they live in the spec's arena or the JSON tree).
 *
 * The slots come from the heap (hfx__calloc; a zeroed map is an empty heap map, released with
 * hfx__name_map_free) or from an arena (hfx__name_map_init with one: they die with the arena, as the
 * compile's temporary tables do). Lookups never allocate; a put grows the table past half full.
 * Iteration order is never used: what the map holds is only ever looked up by name.
 */
#ifndef HFX_CORE_NAME_MAP_H
#define HFX_CORE_NAME_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hfx__arena;

struct hfx__name_slot {
    const char * name; /* NULL: empty */
    size_t       tag;
    size_t       val;
    uint64_t     hash;
};

struct hfx__name_map {
    struct hfx__name_slot * slots;
    size_t                  cap, n;       /* cap a power of two (or 0) */
    size_t                  failed_bytes; /* the size of a growth that failed, for the caller's message */
    struct hfx__arena *     arena;        /* where slots come from; NULL: the heap */
};

/* An empty map whose slots come from arena (NULL: the heap). */
void hfx__name_map_init(struct hfx__name_map * m, struct hfx__arena * arena);
/* Room for n names without growing; false when out of memory (failed_bytes says how much). */
bool hfx__name_map_reserve(struct hfx__name_map * m, size_t n);
/* The number stored under (name, tag), or NULL; the pointer is valid until the next put. */
size_t * hfx__name_map_get(const struct hfx__name_map * m, const char * name, size_t tag);
/* Stores val under (name, tag), replacing an earlier value; false when out of memory. */
bool hfx__name_map_put(struct hfx__name_map * m, const char * name, size_t tag, size_t val);
/* Releases heap slots (nothing for an arena's); the map is then empty. */
void hfx__name_map_free(struct hfx__name_map * m);

#endif /* HFX_CORE_NAME_MAP_H */
