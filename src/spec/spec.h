/*
 * spec.h -- the pyhf workspace as JSON (for patching) and as a validated C tree (for compiling).
 *
 * A workspace is kept as a jansson tree until a model is built, because RFC 6902 patches act on
 * JSON. hfx__spec_build() then validates that tree against the pyhf 1.0.0 schema and the rules pyhf
 * enforces when building a model, and copies it into struct hfx_spec, whose storage lives in an arena
 * owned by the spec. Every node remembers its JSON pointer so that later stages can name the culprit.
 */
#ifndef HFX_SPEC_H
#define HFX_SPEC_H

#include "hfx-impl.h"
#include "model/modifier-types.h" /* enum hfx_modifier_type and each type's rules */

#include <jansson.h>

/* The parser's depth limit is the one patches keep (json-patch.c), so every tree hfx holds, read or
 * built, nests at most HFX_JSON_DEPTH_MAX deep and every recursive walk of one is bounded by it. */
#ifndef __cplusplus /* the CUDA backend's C++ includes this header too */
_Static_assert(HFX_JSON_DEPTH_MAX == JSON_PARSER_MAX_DEPTH, "hfx.h's depth limit must be jansson's parser limit");
#endif

struct hfx_workspace {
    json_t * root;     /* owned */
    char *   file;     /* the file it was read from, malloc'd */
    char *   source;   /* for messages: file, then "file (patched by ...)" once patched; malloc'd */
};

/* Reads a JSON document (gzip-compressed content, recognised by its magic bytes, is gunzipped; see
 * json-load.c for what is refused); malformed JSON gives HFX_ERR_JSON with line and column. Numbers
 * that overflow a double are errors. *out is a new reference. err->source is the file name, or name. */
enum hfx_status hfx__json_load_file(const char * path, json_t ** out, struct hfx_error * err);
enum hfx_status hfx__json_load_fd(int fd, const char * name, json_t ** out, struct hfx_error * err);
enum hfx_status hfx__json_load_buffer(const void * data, size_t len, const char * name, json_t ** out,
                                      struct hfx_error * err);
enum hfx_status hfx__json_load_string(const char * text, const char * name, json_t ** out, struct hfx_error * err);
/* json_dumps(v, flags) whose out-of-memory failure is NULL, never a shorter text: jansson 2.14's
 * json_dumps drops an object key it cannot append and goes on. Freed with free(). */
char * hfx__json_dumps(const json_t * v, size_t flags);
/* hfx__json_load_file with a smaller size limit than HFX_INPUT_BYTES_MAX (for tests). */
enum hfx_status hfx__json_load_file_limit(const char * path, size_t limit, json_t ** out, struct hfx_error * err);

/* Records that ws was patched by what (a file name, "ps.json, patch 'p1'"): ws->source becomes
 * "file (patched by what)", or gains ", what". */
enum hfx_status hfx__workspace_note_patch(hfx_workspace_t ws, const char * what, struct hfx_error * err);

/* A patchset from a parsed document (consumed: its reference passes to *out, also on failure);
 * source names it in messages. hfx_patchset_load reads the file and calls this. */
enum hfx_status hfx__patchset_from_json(json_t * root, const char * source, hfx_patchset_t * out,
                                        struct hfx_error * err);

/* RFC 6902: applies every operation of patch (an array) to *doc, atomically: on failure *doc is
 * unchanged. *doc may be replaced (a patch at path ""). The result nests at most HFX_JSON_DEPTH_MAX
 * deep and the patch inserts at most HFX_PATCH_VALUES_MAX values (counting shared nodes each time
 * they are reached), or the operation that would break a limit fails. Errors (HFX_ERR_PATCH) name the operation as
 * "/<op index>" in err->pointer and the path in msg, e.g. pointer "/3", msg
 * "test failed: value at /channels/0/name is \"SR\", expected \"CR\"". err->source is not set (the caller knows the patch file). */
enum hfx_status hfx__json_patch_apply(json_t ** doc, const json_t * patch, struct hfx_error * err);

/* "an object", "a number", ... for messages such as "expected a number, got a string". */
const char * hfx__json_type_name(const json_t * v);

/* RFC 6901: resolves pointer in doc; NULL if absent or malformed. */
json_t * hfx__json_pointer_get(json_t * doc, const char * pointer);

/* Checks that patch is an array of well-formed operations (known "op", string "path" and "from"
 * that parse as pointers, "value" where needed) without applying it; errors as above. */
enum hfx_status hfx__json_patch_check(const json_t * patch, struct hfx_error * err);

/* JSON equality as Python's == on decoded JSON (1 == 1.0; key order ignored); false if either is NULL. */
bool hfx__json_equal(const json_t * a, const json_t * b);

//
// The validated spec
//

/* enum hfx_modifier_type and each type's rules: model/modifier-types.h */

struct hfx_spec_modifier {
    const char *           name;
    enum hfx_modifier_type type;
    double                 hi, lo;           /* normsys */
    const double *         hi_data, * lo_data; /* histosys, [n_bins] */
    const double *         data;             /* shapesys, staterror: [n_bins] uncertainties */
    const char *           pointer;          /* "/channels/i/samples/j/modifiers/k" */
};

struct hfx_spec_sample {
    const char *               name;
    const double *             data; /* [n_bins of the channel] */
    size_t                     n_mods;
    struct hfx_spec_modifier * mods;
    const char *               pointer;
};

struct hfx_spec_channel {
    const char *             name;
    size_t                   n_bins;
    size_t                   n_samples;
    struct hfx_spec_sample * samples;
    const double *           observed; /* [n_bins], from the observations entry of this channel */
    const char *             pointer;
};

/* One entry of measurements[i].config.parameters. n_* == 0 means "not given". */
struct hfx_spec_parconfig {
    const char *   name;
    size_t         n_inits;   const double * inits;
    size_t         n_bounds;  const double * bounds;  /* [n_bounds][2] */
    size_t         n_auxdata; const double * auxdata;
    size_t         n_sigmas;  const double * sigmas;
    size_t         n_factors; const double * factors;
    bool           has_fixed; bool fixed;            /* "fixed": true/false */
    const char *   pointer;
};

struct hfx_spec_measurement {
    const char *                name;
    const char *                poi;
    size_t                      n_parconfigs;
    struct hfx_spec_parconfig * parconfigs;
    const char *                pointer;
};

/* Channels are in the workspace's order (the model sorts); samples and modifiers too. */
struct hfx_spec {
    struct hfx__arena             arena;  /* owns everything below */
    size_t                        n_channels;
    struct hfx_spec_channel *     channels;
    size_t                        n_measurements;
    struct hfx_spec_measurement * measurements;
    const char *                  source;
};

/* Validates root and builds *spec (zero-initialised by the caller; free with hfx__spec_free, also
 * after a failure). Checks, with the JSON pointer of the culprit: required keys and types of the
 * pyhf 1.0.0 schema, finite numbers, unique channel names, unique sample names in a channel, sample
 * and modifier data lengths equal to the channel's bin count, known modifier types, an observation
 * for every channel with the right length, at least one measurement, a modifier name reused with two
 * types (normsys + histosys excepted, as in pyhf). Schema violations give HFX_ERR_SCHEMA, consistency
 * errors HFX_ERR_MODEL; err->source is set to source. A channel's bin count is its first sample's
 * length (as pyhf). See spec-build.c for the full list of rules. */
enum hfx_status hfx__spec_build(json_t * root, const char * source, struct hfx_spec * spec, struct hfx_error * err);
void            hfx__spec_free(struct hfx_spec * spec);

#endif /* HFX_SPEC_H */
