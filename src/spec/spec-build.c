/*
 * spec-build.c -- validates a workspace's JSON tree and copies it into struct hfx_spec.
 *
 * Two passes, as in pyhf (schema validation first, model building second):
 * 1. The pyhf 1.0.0 workspace schema (schemas/1.0.0/defs.json), checked by hand so that each error
 *    carries the JSON pointer of the culprit and a sentence instead of a jsonschema dump: required
 *    keys, no unknown keys, types, non-empty arrays, version "1.0.0", a lumi modifier named "lumi",
 *    finite numbers. These are HFX_ERR_SCHEMA.
 * 2. The rules pyhf applies while building a model, and a few it does not check but that would make
 *    the model meaningless. These are HFX_ERR_MODEL:
 *    - A channel's bin count is the length of its first sample's data (pyhf's _ChannelSummaryMixin);
 *      every other sample, every histosys lo_data/hi_data and shapesys/staterror data must match.
 *    - Channel names are unique, sample names unique within a channel, observation names unique
 *      (pyhf would silently keep the last; we refuse the ambiguity).
 *    - Every channel has an observation of its bin count; observations of unknown channels are
 *      ignored, as in pyhf.
 *    - A modifier's data and the sharing rules below come from its type's row in
 *      model/modifier-types.h (this file never switches on the type).
 *    - A modifier name shared by several modifiers must describe one parameter set: the same type,
 *      except that normsys and histosys may share a name (their parameter requirements coincide, so
 *      pyhf's reduce_paramsets_requirements accepts them). A shapefactor shared across channels needs
 *      equal bin counts. A shapesys name may not appear twice (pyhf: shapesys is not shared), and no
 *      modifier may appear twice in one sample (pyhf would keep the last one silently).
 *    - Parameter configs: names unique within a measurement (pyhf checks the chosen measurement; we
 *      check all), every bound a pair [lo, hi] with lo <= hi.
 *    Checks that need the parameter layout (the POI exists, lengths of inits/bounds) belong to the
 *    model compiler.
 * The spec copies every string and number into its arena, so it does not depend on the JSON tree.
 */
#include "core/array.h"
#include "core/name-map.h"
#include "spec/spec.h"

#include <math.h>
#include <string.h>


/* strcmp(a, b) == 0 for the short keys and type names compared many times per modifier, inline
 * rather than through a library call. */
static inline bool str_eq(const char * a, const char * b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Appends "/token" (RFC 6901-escaped) to base. */
static void ptr_join(char * out, size_t size, const char * base, const char * token) {
    hfx__format(out, size, "%s/", base);
    size_t n = strlen(out);
    for (const char * c = token; *c && n + 3 < size; c++) {
        if (*c == '~' || *c == '/') {
            out[n++] = '~';
            out[n++] = *c == '~' ? '0' : '1';
        } else {
            out[n++] = *c;
        }
    }
    if (n < size) {
        out[n] = '\0';
    }
}

static void ptr_index(char * out, size_t size, const char * base, const char * key, size_t i) {
    hfx__format(out, size, "%s/%s/%zu", base, key, i);
}

enum { PTR_MAX = 512 };

/* A JSON pointer built lazily: a chain of steps on the stack, turned into text only when an error
 * names it. path_format() applies the same steps (ptr_join, ptr_index, "%s/%zu") that building the
 * text eagerly at every node would, so the text, and its cut at PTR_MAX, are the same. */
enum path_kind {
    PATH_TEXT,  /* key is the whole pointer */
    PATH_JOIN,  /* up + "/" + escaped key */
    PATH_INDEX, /* up + "/" + key + "/" + i */
    PATH_ELEM,  /* up + "/" + i */
};

struct path {
    const struct path * up;
    enum path_kind      kind;
    const char *        key;
    size_t              i;
};

#define PATH_AT(s) ((struct path) { NULL, PATH_TEXT, (s), 0 })
#define PATH_JOIN(p, k) ((struct path) { (p), PATH_JOIN, (k), 0 })
#define PATH_INDEX(p, k, n) ((struct path) { (p), PATH_INDEX, (k), (n) })
#define PATH_ELEM(p, n) ((struct path) { (p), PATH_ELEM, NULL, (n) })

static void path_format(const struct path * p, char * out) {
    if (p->kind == PATH_TEXT) {
        hfx__format(out, PTR_MAX, "%s", p->key);
        return;
    }
    char base[PTR_MAX];
    path_format(p->up, base);
    switch (p->kind) {
    case PATH_JOIN: ptr_join(out, PTR_MAX, base, p->key); break;
    case PATH_INDEX: ptr_index(out, PTR_MAX, base, p->key, p->i); break;
    default: hfx__format(out, PTR_MAX, "%s/%zu", base, p->i); break;
    }
}

//
// Pass 1: the pyhf 1.0.0 schema
//

static enum hfx_status schema_error(struct hfx_error * err, const struct path * ptr, const char * fmt, ...)
    HFX_PRINTF(3, 4);
static enum hfx_status schema_error(struct hfx_error * err, const struct path * ptr, const char * fmt, ...) {
    char    msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char p[PTR_MAX];
    if (ptr) {
        path_format(ptr, p);
    }
    return hfx__error(err, HFX_ERR_SCHEMA, ptr ? p : NULL, "%s", msg);
}

static enum hfx_status expect_type(const json_t * v, json_type t, const char * what, const struct path * ptr,
                                   struct hfx_error * err) {
    bool ok = t == JSON_REAL ? json_is_number(v) : t == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == t;
    if (!ok) {
        return schema_error(err, ptr, "expected %s, got %s", what, hfx__json_type_name(v));
    }
    if (t == JSON_REAL && !isfinite(json_number_value(v))) {
        return schema_error(err, ptr, "number is not finite");
    }
    return HFX_OK;
}

enum { MEMBERS_MAX = 8, END = -1 };

/* The members of obj named in keys (NULL-terminated, at most MEMBERS_MAX), found in one pass over
 * obj's members rather than one hash lookup per key: vals[i] is the value of keys[i] or NULL.
 * Returns the first member, in the object's order, whose key is not in keys, or NULL. */
static const char * get_members(const json_t * obj, const char * const * keys, json_t ** vals) {
    size_t n = 0;
    while (keys[n]) {
        vals[n++] = NULL;
    }
    const char * unknown = NULL;
    const char * key;
    json_t *     val;
    json_object_foreach((json_t *) obj, key, val) {
        size_t i = 0;
        while (i < n && !str_eq(keys[i], key)) {
            i++;
        }
        if (i < n) {
            vals[i] = val;
        } else if (!unknown) {
            unknown = key;
        }
    }
    return unknown;
}

/* The schema errors of an object whose members get_members() found: a missing required key (required
 * holds indices into allowed, in the order the keys are checked, ending with END), then a key outside
 * allowed. */
static enum hfx_status object_errors(const struct path * ptr, const signed char * required,
                                     const char * const * allowed, json_t * const * vals, const char * unknown,
                                     struct hfx_error * err) {
    for (const signed char * r = required; *r != END; r++) {
        if (!vals[*r]) {
            return schema_error(err, ptr, "missing required key '%s'", allowed[*r]);
        }
    }
    if (unknown) {
        char   allowed_list[256] = "";
        size_t n                 = 0;
        for (const char * const * a = allowed; *a && n < sizeof allowed_list; a++) {
            int k = snprintf(allowed_list + n, sizeof allowed_list - n, "%s%s", a == allowed ? "" : ", ", *a);
            n += k > 0 ? (size_t) k : 0;
        }
        struct path p = PATH_JOIN(ptr, unknown);
        return schema_error(err, &p, "unknown key '%s' (expected %s)", unknown, allowed_list);
    }
    return HFX_OK;
}

/* An object with the required keys (indices into allowed, in the order they are checked) and no key
 * outside allowed; vals receives the members named in allowed (see get_members). */
static enum hfx_status check_object(const json_t * v, const struct path * ptr, const signed char * required,
                                    const char * const * allowed, json_t ** vals, struct hfx_error * err) {
    enum hfx_status st = expect_type(v, JSON_OBJECT, "an object", ptr, err);
    if (st != HFX_OK) {
        return st;
    }
    const char * unknown = get_members(v, allowed, vals);
    return object_errors(ptr, required, allowed, vals, unknown, err);
}

/* A non-empty array of finite numbers. */
static enum hfx_status check_numbers(const json_t * v, const struct path * ptr, struct hfx_error * err) {
    enum hfx_status st = expect_type(v, JSON_ARRAY, "an array of numbers", ptr, err);
    if (st != HFX_OK) {
        return st;
    }
    size_t n = json_array_size(v);
    if (n == 0) {
        return schema_error(err, ptr, "expected a non-empty array of numbers");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t * x = json_array_get(v, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x))) {
            struct path p = PATH_ELEM(ptr, i);
            return expect_type(x, JSON_REAL, "a number", &p, err);
        }
    }
    return HFX_OK;
}

/* A non-empty array (items checked by the caller). */
static enum hfx_status check_array(const json_t * v, const struct path * ptr, const char * what,
                                   struct hfx_error * err) {
    enum hfx_status st = expect_type(v, JSON_ARRAY, "an array", ptr, err);
    if (st == HFX_OK && json_array_size(v) == 0) {
        st = schema_error(err, ptr, "expected at least one %s", what);
    }
    return st;
}

/* Member key of an object, whose value (possibly NULL) is v, has type t. */
static enum hfx_status check_member(const json_t * v, const char * key, const struct path * ptr, json_type t,
                                    const char * what, struct hfx_error * err) {
    struct path p = PATH_JOIN(ptr, key);
    return expect_type(v, t, what, &p, err);
}

/* The "data" of a modifier, by the shape its type's row asks for (modifier-types.h). */
static enum hfx_status check_modifier_data(const struct hfx__modifier_rules * type, json_t * data, const struct path * dp,
                                           struct hfx_error * err) {
    enum hfx_status st;
    json_t *        dvals[MEMBERS_MAX];
    struct path     p;
    switch (type->data) {
    case HFX_MOD_DATA_NULL:
        if (!json_is_null(data)) {
            return schema_error(err, dp, "the data of a %s modifier must be null, got %s", type->name,
                                hfx__json_type_name(data));
        }
        return HFX_OK;
    case HFX_MOD_DATA_HI_LO: {
        static const char * const nkeys[] = { "lo", "hi", NULL };
        static const signed char  nreq[]  = { 1, 0, END };
        if ((st = check_object(data, dp, nreq, nkeys, dvals, err)) != HFX_OK ||
            (st = check_member(dvals[1], "hi", dp, JSON_REAL, "a number", err)) != HFX_OK ||
            (st = check_member(dvals[0], "lo", dp, JSON_REAL, "a number", err)) != HFX_OK) {
            return st;
        }
        return HFX_OK;
    }
    case HFX_MOD_DATA_HI_LO_BINS: {
        static const char * const hkeys[] = { "lo_data", "hi_data", NULL };
        static const signed char  hreq[]  = { 1, 0, END };
        if ((st = check_object(data, dp, hreq, hkeys, dvals, err)) != HFX_OK) {
            return st;
        }
        p = PATH_JOIN(dp, "hi_data");
        if ((st = check_numbers(dvals[1], &p, err)) != HFX_OK) {
            return st;
        }
        p = PATH_JOIN(dp, "lo_data");
        return check_numbers(dvals[0], &p, err);
    }
    case HFX_MOD_DATA_BINS:
        return check_numbers(data, dp, err);
    }
    return HFX_OK;
}

/* "histosys, lumi, ..., staterror": the types the schema knows, for the message naming an unknown one. */
static void type_list(char * out, size_t size) {
    size_t n = 0;
    out[0]   = '\0';
    for (int i = 0; i < HFX_MOD_COUNT && n < size; i++) {
        int k = snprintf(out + n, size - n, "%s%s", i ? ", " : "", hfx__modifier_type_name((enum hfx_modifier_type) i));
        n += k > 0 ? (size_t) k : 0;
    }
}

static enum hfx_status check_modifier(const json_t * m, const struct path * ptr, struct hfx_error * err) {
    enum hfx_status st = expect_type(m, JSON_OBJECT, "an object", ptr, err);
    if (st != HFX_OK) {
        return st;
    }
    static const char * const  keys[] = { "name", "type", "data", NULL };
    static const signed char   req[]  = { 0, 1, 2, END };
    json_t *                   vals[MEMBERS_MAX];
    const char *               unknown = get_members(m, keys, vals);
    /* The type decides which schema applies (the schema's anyOf), so look at it first. */
    json_t *    jtype = vals[1];
    struct path p     = PATH_JOIN(ptr, "type");
    if (!jtype) {
        return schema_error(err, ptr, "missing required key 'type'");
    }
    if ((st = expect_type(jtype, JSON_STRING, "a string", &p, err)) != HFX_OK) {
        return st;
    }
    enum hfx_modifier_type t;
    if (!hfx__modifier_type_from_name(json_string_value(jtype), &t)) {
        char types[160];
        type_list(types, sizeof types);
        return schema_error(err, &p, "unknown modifier type '%s' (expected one of %s)", json_string_value(jtype), types);
    }
    const struct hfx__modifier_rules * type = hfx__modifier_rules_of(t);
    if ((st = object_errors(ptr, req, keys, vals, unknown, err)) != HFX_OK) {
        return st;
    }
    if ((st = check_member(vals[0], "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    p = PATH_JOIN(ptr, "name");
    if (type->only_name && strcmp(json_string_value(vals[0]), type->only_name) != 0) {
        return schema_error(err, &p, "a %s modifier must be named '%s', not '%s'", type->name, type->only_name,
                            json_string_value(vals[0]));
    }
    struct path dp = PATH_JOIN(ptr, "data");
    return check_modifier_data(type, vals[2], &dp, err);
}

static enum hfx_status check_sample(const json_t * s, const struct path * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "data", "modifiers", NULL };
    static const signed char  req[]  = { 0, 1, 2, END };
    json_t *                  vals[MEMBERS_MAX];
    enum hfx_status           st = check_object(s, ptr, req, keys, vals, err);
    if (st != HFX_OK || (st = check_member(vals[0], "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    struct path p = PATH_JOIN(ptr, "data");
    if ((st = check_numbers(vals[1], &p, err)) != HFX_OK) {
        return st;
    }
    json_t * mods = vals[2];
    p             = PATH_JOIN(ptr, "modifiers");
    if ((st = expect_type(mods, JSON_ARRAY, "an array", &p, err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < json_array_size(mods); i++) {
        struct path mp = PATH_INDEX(ptr, "modifiers", i);
        if ((st = check_modifier(json_array_get(mods, i), &mp, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_channel(const json_t * c, const struct path * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "samples", NULL };
    static const signed char  req[]  = { 0, 1, END };
    json_t *                  vals[MEMBERS_MAX];
    enum hfx_status           st = check_object(c, ptr, req, keys, vals, err);
    if (st != HFX_OK || (st = check_member(vals[0], "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    json_t *    samples = vals[1];
    struct path p       = PATH_JOIN(ptr, "samples");
    if ((st = check_array(samples, &p, "sample", err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < json_array_size(samples); i++) {
        p = PATH_INDEX(ptr, "samples", i);
        if ((st = check_sample(json_array_get(samples, i), &p, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_observation(const json_t * o, const struct path * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "data", NULL };
    static const signed char  req[]  = { 0, 1, END };
    json_t *                  vals[MEMBERS_MAX];
    enum hfx_status           st = check_object(o, ptr, req, keys, vals, err);
    if (st != HFX_OK || (st = check_member(vals[0], "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    struct path p = PATH_JOIN(ptr, "data");
    return check_numbers(vals[1], &p, err);
}

static enum hfx_status check_parameter(const json_t * par, const struct path * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "inits", "bounds", "auxdata", "factors", "sigmas", "fixed", NULL };
    static const signed char  req[]  = { 0, END };
    json_t *                  vals[MEMBERS_MAX];
    enum hfx_status           st = check_object(par, ptr, req, keys, vals, err);
    if (st != HFX_OK || (st = check_member(vals[0], "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    static const char * const arrays[] = { "inits", "auxdata", "factors", "sigmas", NULL };
    struct path               p;
    for (const char * const * a = arrays; *a; a++) {
        json_t * v = json_object_get(par, *a);
        p          = PATH_JOIN(ptr, *a);
        if (v && (st = check_numbers(v, &p, err)) != HFX_OK) {
            return st;
        }
    }
    json_t * bounds = json_object_get(par, "bounds");
    if (bounds) {
        p = PATH_JOIN(ptr, "bounds");
        if ((st = check_array(bounds, &p, "bound", err)) != HFX_OK) {
            return st;
        }
        for (size_t i = 0; i < json_array_size(bounds); i++) {
            struct path bp = PATH_INDEX(ptr, "bounds", i);
            json_t *    b  = json_array_get(bounds, i);
            if ((st = expect_type(b, JSON_ARRAY, "an array [lower, upper]", &bp, err)) != HFX_OK) {
                return st;
            }
            for (size_t j = 0; j < json_array_size(b); j++) {
                struct path ep = PATH_ELEM(&bp, j);
                if ((st = expect_type(json_array_get(b, j), JSON_REAL, "a number", &ep, err)) != HFX_OK) {
                    return st;
                }
            }
        }
    }
    json_t * fixed = json_object_get(par, "fixed");
    if (fixed && (st = check_member(fixed, "fixed", ptr, JSON_TRUE, "a boolean", err)) != HFX_OK) {
        return st;
    }
    return HFX_OK;
}

static enum hfx_status check_measurement(const json_t * m, const struct path * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "config", NULL };
    static const signed char  req[]  = { 0, 1, END };
    json_t *                  vals[MEMBERS_MAX];
    enum hfx_status           st = check_object(m, ptr, req, keys, vals, err);
    if (st != HFX_OK || (st = check_member(vals[0], "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    json_t *                  config  = vals[1];
    static const char * const ckeys[] = { "poi", "parameters", NULL };
    struct path               cp      = PATH_JOIN(ptr, "config");
    json_t *                  cvals[MEMBERS_MAX];
    if ((st = check_object(config, &cp, req, ckeys, cvals, err)) != HFX_OK ||
        (st = check_member(cvals[0], "poi", &cp, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    json_t *    pars = cvals[1];
    struct path p    = PATH_JOIN(&cp, "parameters");
    if ((st = expect_type(pars, JSON_ARRAY, "an array", &p, err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < json_array_size(pars); i++) {
        p = PATH_INDEX(&cp, "parameters", i);
        if ((st = check_parameter(json_array_get(pars, i), &p, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_workspace(const json_t * root, struct hfx_error * err) {
    if (!json_is_object(root)) {
        return schema_error(err, NULL, "a workspace must be a JSON object, got %s", hfx__json_type_name(root));
    }
    static const char * const keys[] = { "channels", "measurements", "observations", "version", NULL };
    static const signed char  req[]  = { 0, 2, 1, 3, END }; /* channels, observations, measurements, version */
    const struct path         top    = PATH_AT("");
    json_t *                  vals[MEMBERS_MAX];
    enum hfx_status           st     = check_object(root, &top, req, keys, vals, err);
    if (st != HFX_OK) {
        return st;
    }
    json_t * version = json_object_get(root, "version");
    if (!json_is_string(version) || strcmp(json_string_value(version), "1.0.0") != 0) {
        char got[64];
        if (json_is_string(version)) {
            hfx__format(got, sizeof got, "\"%.40s\"", json_string_value(version));
        } else {
            hfx__format(got, sizeof got, "%s", hfx__json_type_name(version));
        }
        const struct path vp = PATH_AT("/version");
        return schema_error(err, &vp, "unsupported workspace version %s (expected \"1.0.0\")", got);
    }
    struct {
        const char * key, * what;
        enum hfx_status (*check)(const json_t *, const struct path *, struct hfx_error *);
    } const lists[] = {
        { "channels", "channel", check_channel },
        { "observations", "observation", check_observation },
        { "measurements", "measurement", check_measurement },
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *    arr = json_object_get(root, lists[l].key);
        struct path p   = PATH_JOIN(&top, lists[l].key);
        if ((st = check_array(arr, &p, lists[l].what, err)) != HFX_OK) {
            return st;
        }
        for (size_t i = 0; i < json_array_size(arr); i++) {
            p = PATH_INDEX(&top, lists[l].key, i);
            if ((st = lists[l].check(json_array_get(arr, i), &p, err)) != HFX_OK) {
                return st;
            }
        }
    }
    return HFX_OK;
}

//
// Pass 2: build the spec and check consistency
//

/* The first modifier seen under a name, for the name-reuse rules. */
struct first_use {
    const struct hfx_spec_modifier * mod;
    size_t                           n_bins;
    size_t                           sample_id; /* global sample counter */
};

/* Every name lookup of pass 2 goes through one (name, tag) -> number map (core/name-map.h); the tag
 * keeps the separate namespaces apart in one table (see the TAG_ values). Names are borrowed: they
 * live in the spec's arena or the JSON tree, both of which outlive the builder. */
enum {
    TAG_MOD_KEY    = 0,                 /* + modifier type: (type, name) -> id of the last sample carrying it */
    TAG_MOD_NAME   = HFX_MOD_COUNT,     /* modifier name -> index into uses */
    TAG_CHANNEL    = HFX_MOD_COUNT + 1, /* channel name -> channel index */
    TAG_OBS        = HFX_MOD_COUNT + 2, /* observation name -> index in /observations */
    TAG_PER_PARENT = HFX_MOD_COUNT + 3  /* + 2 c: sample names of channel c; + 2 i + 1: parameter names of
                                           measurement i */
};

struct builder {
    struct hfx_spec *  spec;
    struct hfx_error * err;
    struct hfx__name_map names; /* see TAG_ */
    struct first_use * uses;
    size_t             n_uses, cap_uses;
    size_t             sample_id;
};

/* Which allocation failed: the name table's or the arena's (the only two that oom() follows). */
static enum hfx_status oom(struct builder * b) {
    if (b->err->code == HFX_ERR_ALLOC && b->err->msg[0]) {
        return HFX_ERR_ALLOC; /* worded already, where the failure was */
    }
    if (b->names.failed_bytes) {
        return hfx__error_oom(b->err, "the table of names (channels, samples, modifiers)", b->names.failed_bytes);
    }
    return hfx__error_oom(b->err, "the workspace spec (its numbers, names and pointers)",
                          hfx__arena_failed_bytes(&b->spec->arena));
}

/* base + middle + the decimal digits of i, in the arena: the JSON pointers of spec nodes, which
 * "%s%s%zu" would give, without going through printf for each of thousands of modifiers. */
static const char * arena_ptr(struct builder * b, const char * base, const char * middle, size_t i) {
    char   digits[24];
    size_t nd = 0;
    do {
        digits[sizeof digits - 1 - nd++] = (char) ('0' + i % 10);
        i /= 10;
    } while (i);
    size_t nb = strlen(base), nm = strlen(middle);
    char * out = hfx__arena_alloc(&b->spec->arena, nb + nm + nd + 1);
    if (out) {
        memcpy(out, base, nb);
        memcpy(out + nb, middle, nm);
        memcpy(out + nb + nm, digits + sizeof digits - nd, nd);
        out[nb + nm + nd] = '\0';
    }
    return out;
}

/* The pointer of an error found at base + suffix (formatted only then). */
static const char * ptr_at(char * buf, const char * base, const char * suffix) {
    hfx__format(buf, PTR_MAX, "%s%s", base, suffix);
    return buf;
}

static const double * arena_numbers(struct builder * b, const json_t * arr, size_t * n) {
    size_t   len = json_array_size(arr);
    double * out = hfx__arena_alloc(&b->spec->arena, (len ? len : 1) * sizeof *out);
    if (out) {
        for (size_t i = 0; i < len; i++) {
            out[i] = json_number_value(json_array_get(arr, i));
        }
    }
    if (n) {
        *n = len;
    }
    return out;
}

static const char * arena_string(struct builder * b, const json_t * obj, const char * key) {
    return hfx__arena_strdup(&b->spec->arena, json_string_value(json_object_get(obj, key)));
}

static enum hfx_status model_error(struct builder * b, const char * ptr, const char * fmt, ...) HFX_PRINTF(3, 4);
static enum hfx_status model_error(struct builder * b, const char * ptr, const char * fmt, ...) {
    char    msg[sizeof b->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hfx__error(b->err, HFX_ERR_MODEL, ptr, "%s", msg);
}

/* Checks that a per-bin array, at m's pointer + suffix, has the sample's bin count. */
static enum hfx_status check_bins(struct builder * b, const json_t * arr, const char * suffix, const char * what,
                                  const struct hfx_spec_modifier * m, const struct hfx_spec_sample * s,
                                  size_t n_bins) {
    size_t n = json_array_size(arr);
    if (n != n_bins) {
        char p[PTR_MAX];
        return model_error(b, ptr_at(p, m->pointer, suffix), "%s '%s' %s has %zu bin%s but sample '%s' has %zu",
                           hfx__modifier_type_name(m->type),
                           m->name, what, n, n == 1 ? "" : "s", s->name, n_bins);
    }
    return HFX_OK;
}

/* Name-reuse rules (see the top of the file). */
static enum hfx_status register_modifier(struct builder * b, const struct hfx_spec_modifier * m,
                                         const struct hfx_spec_sample * s, size_t n_bins) {
    size_t * last = hfx__name_map_get(&b->names, m->name, TAG_MOD_KEY + (size_t) m->type);
    if (last) {
        size_t prev = *last;
        if (prev == b->sample_id) {
            return model_error(b, m->pointer, "%s '%s' appears twice in sample '%s'", hfx__modifier_type_name(m->type),
                               m->name, s->name);
        }
        if (!hfx__modifier_rules_of(m->type)->shared) {
            size_t *     idx   = hfx__name_map_get(&b->names, m->name, TAG_MOD_NAME);
            const char * first = idx ? b->uses[*idx].mod->pointer : "another sample";
            return model_error(b, m->pointer, "%s '%s' is also used at %s (a %s cannot be shared)",
                               hfx__modifier_type_name(m->type), m->name, first, hfx__modifier_type_name(m->type));
        }
    }
    if (last) {
        *last = b->sample_id;
    } else if (!hfx__name_map_put(&b->names, m->name, TAG_MOD_KEY + (size_t) m->type, b->sample_id)) {
        return oom(b);
    }
    size_t * idx = hfx__name_map_get(&b->names, m->name, TAG_MOD_NAME);
    if (!idx) {
        size_t bytes;
        if (!HFX_ARRAY_RESERVE(b->uses, b->cap_uses, b->n_uses + 1, 64, &bytes)) {
            return hfx__error_oom(b->err, "the table of modifier names", bytes);
        }
        b->uses[b->n_uses] = (struct first_use) { m, n_bins, b->sample_id };
        if (!hfx__name_map_put(&b->names, m->name, TAG_MOD_NAME, b->n_uses)) {
            return oom(b);
        }
        b->n_uses++;
        return HFX_OK;
    }
    const struct first_use * u = &b->uses[*idx];
    enum hfx_modifier_type   t = u->mod->type;
    if (!hfx__modifier_types_share(t, m->type)) {
        return model_error(b, m->pointer,
                           "modifier '%s' is a %s here but a %s at %s (one name is one parameter; only normsys and "
                           "histosys may share a name)",
                           m->name, hfx__modifier_type_name(m->type), hfx__modifier_type_name(t), u->mod->pointer);
    }
    /* a set of one parameter per bin, shared by bin position: every carrier has the first's bin count
     * (a name shared with another type has a scalar set: hfx__modifier_types_share) */
    if (hfx__modifier_rules_of(m->type)->set == HFX_MOD_SET_BINS && u->n_bins != n_bins) {
        return model_error(b, m->pointer, "%s '%s' has %zu bin%s here but %zu at %s", hfx__modifier_type_name(m->type),
                           m->name, n_bins, n_bins == 1 ? "" : "s", u->n_bins, u->mod->pointer);
    }
    return HFX_OK;
}

static enum hfx_status build_modifier(struct builder * b, const json_t * jm, struct hfx_spec_modifier * m,
                                      const struct hfx_spec_sample * s, size_t n_bins, size_t k) {
    static const char * const keys[]  = { "name", "type", "data", NULL };
    static const char * const dkeys[] = { "hi", "lo", NULL }; /* hi_data, lo_data for a histosys */
    static const char * const hkeys[] = { "hi_data", "lo_data", NULL };
    json_t *                  vals[MEMBERS_MAX], * dvals[MEMBERS_MAX];
    get_members(jm, keys, vals); /* pass 1 checked the keys and types */
    m->pointer = arena_ptr(b, s->pointer, "/modifiers/", k);
    m->name    = hfx__arena_strdup(&b->spec->arena, json_string_value(vals[0]));
    if (!m->pointer || !m->name) {
        return oom(b);
    }
    hfx__modifier_type_from_name(json_string_value(vals[1]), &m->type);
    json_t *        data = vals[2];
    enum hfx_status st;
    switch (hfx__modifier_rules_of(m->type)->data) {
    case HFX_MOD_DATA_HI_LO:
        get_members(data, dkeys, dvals);
        m->hi = json_number_value(dvals[0]);
        m->lo = json_number_value(dvals[1]);
        break;
    case HFX_MOD_DATA_HI_LO_BINS:
        get_members(data, hkeys, dvals);
        if ((st = check_bins(b, dvals[0], "/data/hi_data", "hi_data", m, s, n_bins)) != HFX_OK) {
            return st;
        }
        if ((st = check_bins(b, dvals[1], "/data/lo_data", "lo_data", m, s, n_bins)) != HFX_OK) {
            return st;
        }
        m->hi_data = arena_numbers(b, dvals[0], NULL);
        m->lo_data = arena_numbers(b, dvals[1], NULL);
        if (!m->hi_data || !m->lo_data) {
            return oom(b);
        }
        break;
    case HFX_MOD_DATA_BINS:
        if ((st = check_bins(b, data, "/data", "data", m, s, n_bins)) != HFX_OK) {
            return st;
        }
        if (!(m->data = arena_numbers(b, data, NULL))) {
            return oom(b);
        }
        break;
    case HFX_MOD_DATA_NULL:
        break;
    }
    return register_modifier(b, m, s, n_bins);
}

/* Index of the earlier element (before i) of a list whose names are registered under tag, or -1 (and
 * then name is registered as element i), so that the check stays linear. */
static long find_dup(struct builder * b, size_t tag, const char * name, size_t i, enum hfx_status * st) {
    size_t * prev = hfx__name_map_get(&b->names, name, tag);
    if (prev) {
        return (long) *prev;
    }
    if (!hfx__name_map_put(&b->names, name, tag, i)) {
        *st = HFX_ERR_ALLOC;
    }
    return -1;
}

static enum hfx_status build_channels(struct builder * b, const json_t * jchannels) {
    struct hfx_spec * spec = b->spec;
    spec->n_channels       = json_array_size(jchannels);
    spec->channels         = hfx__arena_alloc(&spec->arena, spec->n_channels * sizeof *spec->channels);
    if (!spec->channels) {
        return oom(b);
    }
    enum hfx_status st = HFX_OK;
    for (size_t c = 0; c < spec->n_channels && st == HFX_OK; c++) {
        const json_t *            jc = json_array_get(jchannels, c);
        struct hfx_spec_channel * ch = &spec->channels[c];
        ch->name                     = arena_string(b, jc, "name");
        ch->pointer                  = arena_ptr(b, "", "/channels/", c);
        const json_t * jsamples      = json_object_get(jc, "samples");
        ch->n_samples                = json_array_size(jsamples);
        ch->samples                  = hfx__arena_alloc(&spec->arena, ch->n_samples * sizeof *ch->samples);
        if (!ch->name || !ch->pointer || !ch->samples) {
            st = oom(b);
            break;
        }
        char p[PTR_MAX];
        long dup = find_dup(b, TAG_CHANNEL, ch->name, c, &st);
        if (dup >= 0) {
            st = model_error(b, ptr_at(p, ch->pointer, "/name"), "duplicate channel name '%s' (also /channels/%ld)",
                             ch->name, dup);
        }
        /* pyhf takes a channel's bin count from its first sample. */
        ch->n_bins = json_array_size(json_object_get(json_array_get(jsamples, 0), "data"));
        for (size_t si = 0; si < ch->n_samples && st == HFX_OK; si++, b->sample_id++) {
            const json_t *           js = json_array_get(jsamples, si);
            struct hfx_spec_sample * s  = &ch->samples[si];
            s->name                     = arena_string(b, js, "name");
            s->pointer                  = arena_ptr(b, ch->pointer, "/samples/", si);
            if (!s->name || !s->pointer) {
                st = oom(b);
                break;
            }
            if ((dup = find_dup(b, TAG_PER_PARENT + 2 * c, s->name, si, &st)) >= 0) {
                st = model_error(b, ptr_at(p, s->pointer, "/name"),
                                 "duplicate sample name '%s' in channel '%s' (also /channels/%zu/samples/%ld)", s->name,
                                 ch->name, c, dup);
                break;
            }
            const json_t * jdata = json_object_get(js, "data");
            size_t         n     = json_array_size(jdata);
            if (n != ch->n_bins) {
                st = model_error(b, ptr_at(p, s->pointer, "/data"),
                                 "sample '%s' has %zu bin%s but channel '%s' has %zu (from its first sample)", s->name,
                                 n, n == 1 ? "" : "s", ch->name, ch->n_bins);
                break;
            }
            if (!(s->data = arena_numbers(b, jdata, NULL))) {
                st = oom(b);
                break;
            }
            const json_t * jmods = json_object_get(js, "modifiers");
            s->n_mods            = json_array_size(jmods);
            s->mods              = hfx__arena_alloc(&spec->arena, s->n_mods * sizeof *s->mods);
            if (!s->mods) {
                st = oom(b);
                break;
            }
            for (size_t k = 0; k < s->n_mods && st == HFX_OK; k++) {
                st = build_modifier(b, json_array_get(jmods, k), &s->mods[k], s, ch->n_bins, k);
            }
        }
    }
    return st == HFX_ERR_ALLOC ? oom(b) : st;
}

static enum hfx_status build_observations(struct builder * b, const json_t * jobs) {
    enum hfx_status st = HFX_OK;
    for (size_t i = 0; i < json_array_size(jobs) && st == HFX_OK; i++) {
        const char * name = json_string_value(json_object_get(json_array_get(jobs, i), "name"));
        long         dup  = find_dup(b, TAG_OBS, name, i, &st);
        if (dup >= 0) {
            char p[PTR_MAX];
            hfx__format(p, sizeof p, "/observations/%zu/name", i);
            st = model_error(b, p, "duplicate observation name '%s' (also /observations/%ld)", name, dup);
        }
    }
    for (size_t c = 0; c < b->spec->n_channels && st == HFX_OK; c++) {
        struct hfx_spec_channel * ch  = &b->spec->channels[c];
        size_t *                  idx = hfx__name_map_get(&b->names, ch->name, TAG_OBS);
        if (!idx) {
            st = model_error(b, ch->pointer, "channel '%s' has no observation (no entry of /observations is named '%s')",
                             ch->name, ch->name);
            break;
        }
        size_t         i     = *idx;
        const json_t * jdata = json_object_get(json_array_get(jobs, i), "data");
        size_t         n     = json_array_size(jdata);
        if (n != ch->n_bins) {
            char p[PTR_MAX];
            hfx__format(p, sizeof p, "/observations/%zu/data", i);
            st = model_error(b, p, "observation '%s' has %zu bin%s but channel '%s' has %zu", ch->name, n,
                             n == 1 ? "" : "s", ch->name, ch->n_bins);
            break;
        }
        if (!(ch->observed = arena_numbers(b, jdata, NULL))) {
            st = oom(b);
        }
    }
    return st == HFX_ERR_ALLOC ? oom(b) : st;
}

static enum hfx_status build_parconfig(struct builder * b, const json_t * jp, struct hfx_spec_parconfig * pc) {
    pc->name = arena_string(b, jp, "name");
    if (!pc->name) {
        return oom(b);
    }
    struct {
        const char *     key;
        size_t *         n;
        const double **  v;
    } const arrays[] = {
        { "inits", &pc->n_inits, &pc->inits },
        { "auxdata", &pc->n_auxdata, &pc->auxdata },
        { "sigmas", &pc->n_sigmas, &pc->sigmas },
        { "factors", &pc->n_factors, &pc->factors },
    };
    for (size_t a = 0; a < sizeof arrays / sizeof arrays[0]; a++) {
        json_t * v = json_object_get(jp, arrays[a].key);
        if (v && !(*arrays[a].v = arena_numbers(b, v, arrays[a].n))) {
            return oom(b);
        }
    }
    json_t * bounds = json_object_get(jp, "bounds");
    if (bounds) {
        pc->n_bounds = json_array_size(bounds);
        double * bv  = hfx__arena_alloc(&b->spec->arena, 2 * pc->n_bounds * sizeof *bv);
        if (!bv) {
            return oom(b);
        }
        for (size_t i = 0; i < pc->n_bounds; i++) {
            const json_t * pair = json_array_get(bounds, i);
            char           p[PTR_MAX];
            hfx__format(p, sizeof p, "%s/bounds/%zu", pc->pointer, i);
            if (json_array_size(pair) != 2) {
                return model_error(b, p, "a bound of parameter '%s' must be a pair [lower, upper], got %zu number%s",
                                   pc->name, json_array_size(pair), json_array_size(pair) == 1 ? "" : "s");
            }
            bv[2 * i]     = json_number_value(json_array_get(pair, 0));
            bv[2 * i + 1] = json_number_value(json_array_get(pair, 1));
            if (bv[2 * i] > bv[2 * i + 1]) {
                return model_error(b, p, "impossible bounds [%.17g, %.17g] for parameter '%s' (lower above upper)",
                                   bv[2 * i], bv[2 * i + 1], pc->name);
            }
        }
        pc->bounds = bv;
    }
    json_t * fixed = json_object_get(jp, "fixed");
    if (fixed) {
        pc->has_fixed = true;
        pc->fixed     = json_is_true(fixed);
    }
    return HFX_OK;
}

static enum hfx_status build_measurements(struct builder * b, const json_t * jms) {
    struct hfx_spec * spec = b->spec;
    spec->n_measurements   = json_array_size(jms);
    spec->measurements     = hfx__arena_alloc(&spec->arena, spec->n_measurements * sizeof *spec->measurements);
    if (!spec->measurements) {
        return oom(b);
    }
    for (size_t i = 0; i < spec->n_measurements; i++) {
        const json_t *                jm     = json_array_get(jms, i);
        const json_t *                config = json_object_get(jm, "config");
        struct hfx_spec_measurement * m      = &spec->measurements[i];
        m->name                              = arena_string(b, jm, "name");
        m->poi                               = arena_string(b, config, "poi");
        m->pointer                           = arena_ptr(b, "", "/measurements/", i);
        const json_t * jpars                 = json_object_get(config, "parameters");
        m->n_parconfigs                      = json_array_size(jpars);
        m->parconfigs = hfx__arena_alloc(&spec->arena, m->n_parconfigs * sizeof *m->parconfigs);
        if (!m->name || !m->poi || !m->pointer || !m->parconfigs) {
            return oom(b);
        }
        enum hfx_status st = HFX_OK;
        for (size_t j = 0; j < m->n_parconfigs && st == HFX_OK; j++) {
            struct hfx_spec_parconfig * pc = &m->parconfigs[j];
            const json_t *              jp = json_array_get(jpars, j);
            if (!(pc->pointer = arena_ptr(b, m->pointer, "/config/parameters/", j))) {
                st = oom(b);
                break;
            }
            const char * name = json_string_value(json_object_get(jp, "name"));
            long         dup  = find_dup(b, TAG_PER_PARENT + 2 * i + 1, name, j, &st);
            if (dup >= 0) {
                char p[PTR_MAX];
                st = model_error(b, ptr_at(p, pc->pointer, "/name"),
                                 "parameter '%s' is configured twice in measurement '%s' (also "
                                 "/measurements/%zu/config/parameters/%ld)",
                                 name, m->name, i, dup);
                break;
            }
            if (st == HFX_OK) {
                st = build_parconfig(b, jp, pc);
            }
        }
        if (st != HFX_OK) {
            return st == HFX_ERR_ALLOC ? oom(b) : st;
        }
    }
    return HFX_OK;
}

enum hfx_status hfx__spec_build(json_t * root, const char * source, struct hfx_spec * spec, struct hfx_error * err) {
    if (!spec) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__spec_build: NULL spec");
    }
    /* A fresh report: nothing from a caller's earlier error (line, column) may leak into this one. */
    struct hfx_error tmp = { 0 };
    enum hfx_status  st  = root ? check_workspace(root, &tmp)
                                : hfx__error(&tmp, HFX_ERR_ARG, NULL, "hfx__spec_build: no JSON document");
    if (st == HFX_OK) {
        struct builder b = { .spec = spec, .err = &tmp };
        spec->source     = hfx__arena_strdup(&spec->arena, source ? source : "");
        if (!spec->source) {
            st = oom(&b);
        }
        if (st == HFX_OK) {
            st = build_channels(&b, json_object_get(root, "channels"));
        }
        if (st == HFX_OK) {
            st = build_observations(&b, json_object_get(root, "observations"));
        }
        if (st == HFX_OK) {
            st = build_measurements(&b, json_object_get(root, "measurements"));
        }
        hfx__name_map_free(&b.names);
        free(b.uses);
    }
    if (st != HFX_OK && err) {
        *err = tmp;
        hfx__format(err->source, sizeof err->source, "%s", source ? source : "");
    }
    return st;
}

void hfx__spec_free(struct hfx_spec * spec) {
    if (spec) {
        hfx__arena_free(&spec->arena);
        memset(spec, 0, sizeof *spec);
    }
}
