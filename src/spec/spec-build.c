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
#include "spec/spec.h"

#include <math.h>
#include <string.h>

/* snprintf for messages and pointers, where cutting an over-long text short is the intended outcome
 * (through a va_list, so the compiler does not warn about the truncation). */
static void format_to(char * buf, size_t size, const char * fmt, ...) HFX_PRINTF(3, 4);
static void format_to(char * buf, size_t size, const char * fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

static const char * const mod_type_names[HFX_MOD_COUNT] = {
    "histosys", "lumi", "normfactor", "normsys", "shapefactor", "shapesys", "staterror",
};

const char * hfx__modifier_type_name(enum hfx_modifier_type t) {
    return (unsigned) t < HFX_MOD_COUNT ? mod_type_names[t] : "unknown";
}

static bool mod_type_from_name(const char * s, enum hfx_modifier_type * t) {
    for (int i = 0; i < HFX_MOD_COUNT; i++) {
        if (strcmp(s, mod_type_names[i]) == 0) {
            *t = (enum hfx_modifier_type) i;
            return true;
        }
    }
    return false;
}

static const char * type_name(const json_t * v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* Appends "/token" (RFC 6901-escaped) to base. */
static void ptr_join(char * out, size_t size, const char * base, const char * token) {
    format_to(out, size, "%s/", base);
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
    format_to(out, size, "%s/%s/%zu", base, key, i);
}

enum { PTR_MAX = 512 };

//
// Pass 1: the pyhf 1.0.0 schema
//

static enum hfx_status schema_error(struct hfx_error * err, const char * ptr, const char * fmt, ...) HFX_PRINTF(3, 4);
static enum hfx_status schema_error(struct hfx_error * err, const char * ptr, const char * fmt, ...) {
    char    msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hfx__error(err, HFX_ERR_SCHEMA, ptr, "%s", msg);
}

static enum hfx_status expect_type(const json_t * v, json_type t, const char * what, const char * ptr,
                                   struct hfx_error * err) {
    bool ok = t == JSON_REAL ? json_is_number(v) : t == JSON_TRUE ? json_is_boolean(v) : json_typeof(v) == t;
    if (!ok) {
        return schema_error(err, ptr, "expected %s, got %s", what, type_name(v));
    }
    if (t == JSON_REAL && !isfinite(json_number_value(v))) {
        return schema_error(err, ptr, "number is not finite");
    }
    return HFX_OK;
}

/* An object with the required keys (in that order) and no key outside allowed. */
static enum hfx_status check_object(const json_t * v, const char * ptr, const char * const * required,
                                    const char * const * allowed, struct hfx_error * err) {
    enum hfx_status st = expect_type(v, JSON_OBJECT, "an object", ptr, err);
    if (st != HFX_OK) {
        return st;
    }
    for (const char * const * r = required; *r; r++) {
        if (!json_object_get(v, *r)) {
            return schema_error(err, ptr, "missing required key '%s'", *r);
        }
    }
    const char * key;
    json_t *     val;
    json_object_foreach((json_t *) v, key, val) {
        bool known = false;
        for (const char * const * a = allowed; *a && !known; a++) {
            known = strcmp(*a, key) == 0;
        }
        if (!known) {
            char allowed_list[256] = "";
            size_t n               = 0;
            for (const char * const * a = allowed; *a && n < sizeof allowed_list; a++) {
                int k = snprintf(allowed_list + n, sizeof allowed_list - n, "%s%s", a == allowed ? "" : ", ", *a);
                n += k > 0 ? (size_t) k : 0;
            }
            char p[PTR_MAX];
            ptr_join(p, sizeof p, ptr, key);
            return schema_error(err, p, "unknown key '%s' (expected %s)", key, allowed_list);
        }
    }
    return HFX_OK;
}

/* A non-empty array of finite numbers. */
static enum hfx_status check_numbers(const json_t * v, const char * ptr, struct hfx_error * err) {
    enum hfx_status st = expect_type(v, JSON_ARRAY, "an array of numbers", ptr, err);
    if (st != HFX_OK) {
        return st;
    }
    if (json_array_size(v) == 0) {
        return schema_error(err, ptr, "expected a non-empty array of numbers");
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        char p[PTR_MAX];
        format_to(p, sizeof p, "%s/%zu", ptr, i);
        if ((st = expect_type(json_array_get(v, i), JSON_REAL, "a number", p, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

/* A non-empty array (items checked by the caller). */
static enum hfx_status check_array(const json_t * v, const char * ptr, const char * what, struct hfx_error * err) {
    enum hfx_status st = expect_type(v, JSON_ARRAY, "an array", ptr, err);
    if (st == HFX_OK && json_array_size(v) == 0) {
        st = schema_error(err, ptr, "expected at least one %s", what);
    }
    return st;
}

static enum hfx_status check_member(const json_t * obj, const char * key, const char * ptr, json_type t,
                                    const char * what, struct hfx_error * err) {
    char p[PTR_MAX];
    ptr_join(p, sizeof p, ptr, key);
    return expect_type(json_object_get(obj, key), t, what, p, err);
}

static enum hfx_status check_modifier(const json_t * m, const char * ptr, struct hfx_error * err) {
    enum hfx_status st = expect_type(m, JSON_OBJECT, "an object", ptr, err);
    if (st != HFX_OK) {
        return st;
    }
    /* The type decides which schema applies (the schema's anyOf), so look at it first. */
    json_t * jtype = json_object_get(m, "type");
    char     p[PTR_MAX];
    ptr_join(p, sizeof p, ptr, "type");
    if (!jtype) {
        return schema_error(err, ptr, "missing required key 'type'");
    }
    if ((st = expect_type(jtype, JSON_STRING, "a string", p, err)) != HFX_OK) {
        return st;
    }
    enum hfx_modifier_type t;
    if (!mod_type_from_name(json_string_value(jtype), &t)) {
        return schema_error(err, p,
                            "unknown modifier type '%s' (expected one of histosys, lumi, normfactor, normsys, "
                            "shapefactor, shapesys, staterror)",
                            json_string_value(jtype));
    }
    static const char * const keys[] = { "name", "type", "data", NULL };
    if ((st = check_object(m, ptr, keys, keys, err)) != HFX_OK) {
        return st;
    }
    if ((st = check_member(m, "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    ptr_join(p, sizeof p, ptr, "name");
    if (t == HFX_MOD_LUMI && strcmp(json_string_value(json_object_get(m, "name")), "lumi") != 0) {
        return schema_error(err, p, "a lumi modifier must be named 'lumi', not '%s'",
                            json_string_value(json_object_get(m, "name")));
    }
    json_t * data = json_object_get(m, "data");
    char     dp[PTR_MAX];
    ptr_join(dp, sizeof dp, ptr, "data");
    switch (t) {
    case HFX_MOD_LUMI:
    case HFX_MOD_NORMFACTOR:
    case HFX_MOD_SHAPEFACTOR:
        if (!json_is_null(data)) {
            return schema_error(err, dp, "the data of a %s modifier must be null, got %s", mod_type_names[t], type_name(data));
        }
        return HFX_OK;
    case HFX_MOD_NORMSYS: {
        static const char * const nkeys[] = { "lo", "hi", NULL };
        static const char * const nreq[]  = { "hi", "lo", NULL };
        if ((st = check_object(data, dp, nreq, nkeys, err)) != HFX_OK ||
            (st = check_member(data, "hi", dp, JSON_REAL, "a number", err)) != HFX_OK ||
            (st = check_member(data, "lo", dp, JSON_REAL, "a number", err)) != HFX_OK) {
            return st;
        }
        return HFX_OK;
    }
    case HFX_MOD_HISTOSYS: {
        static const char * const hkeys[] = { "lo_data", "hi_data", NULL };
        static const char * const hreq[]  = { "hi_data", "lo_data", NULL };
        if ((st = check_object(data, dp, hreq, hkeys, err)) != HFX_OK) {
            return st;
        }
        ptr_join(p, sizeof p, dp, "hi_data");
        if ((st = check_numbers(json_object_get(data, "hi_data"), p, err)) != HFX_OK) {
            return st;
        }
        ptr_join(p, sizeof p, dp, "lo_data");
        return check_numbers(json_object_get(data, "lo_data"), p, err);
    }
    case HFX_MOD_SHAPESYS:
    case HFX_MOD_STATERROR:
        return check_numbers(data, dp, err);
    case HFX_MOD_COUNT:
        break;
    }
    return HFX_OK;
}

static enum hfx_status check_sample(const json_t * s, const char * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "data", "modifiers", NULL };
    enum hfx_status           st     = check_object(s, ptr, keys, keys, err);
    if (st != HFX_OK || (st = check_member(s, "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    char p[PTR_MAX];
    ptr_join(p, sizeof p, ptr, "data");
    if ((st = check_numbers(json_object_get(s, "data"), p, err)) != HFX_OK) {
        return st;
    }
    json_t * mods = json_object_get(s, "modifiers");
    ptr_join(p, sizeof p, ptr, "modifiers");
    if ((st = expect_type(mods, JSON_ARRAY, "an array", p, err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < json_array_size(mods); i++) {
        char mp[PTR_MAX];
        ptr_index(mp, sizeof mp, ptr, "modifiers", i);
        if ((st = check_modifier(json_array_get(mods, i), mp, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_channel(const json_t * c, const char * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "samples", NULL };
    enum hfx_status           st     = check_object(c, ptr, keys, keys, err);
    if (st != HFX_OK || (st = check_member(c, "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    json_t * samples = json_object_get(c, "samples");
    char     p[PTR_MAX];
    ptr_join(p, sizeof p, ptr, "samples");
    if ((st = check_array(samples, p, "sample", err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < json_array_size(samples); i++) {
        ptr_index(p, sizeof p, ptr, "samples", i);
        if ((st = check_sample(json_array_get(samples, i), p, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_observation(const json_t * o, const char * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "data", NULL };
    enum hfx_status           st     = check_object(o, ptr, keys, keys, err);
    if (st != HFX_OK || (st = check_member(o, "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    char p[PTR_MAX];
    ptr_join(p, sizeof p, ptr, "data");
    return check_numbers(json_object_get(o, "data"), p, err);
}

static enum hfx_status check_parameter(const json_t * par, const char * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "inits", "bounds", "auxdata", "factors", "sigmas", "fixed", NULL };
    static const char * const req[]  = { "name", NULL };
    enum hfx_status           st     = check_object(par, ptr, req, keys, err);
    if (st != HFX_OK || (st = check_member(par, "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    static const char * const arrays[] = { "inits", "auxdata", "factors", "sigmas", NULL };
    char                      p[PTR_MAX];
    for (const char * const * a = arrays; *a; a++) {
        json_t * v = json_object_get(par, *a);
        ptr_join(p, sizeof p, ptr, *a);
        if (v && (st = check_numbers(v, p, err)) != HFX_OK) {
            return st;
        }
    }
    json_t * bounds = json_object_get(par, "bounds");
    if (bounds) {
        ptr_join(p, sizeof p, ptr, "bounds");
        if ((st = check_array(bounds, p, "bound", err)) != HFX_OK) {
            return st;
        }
        for (size_t i = 0; i < json_array_size(bounds); i++) {
            char bp[PTR_MAX];
            ptr_index(bp, sizeof bp, ptr, "bounds", i);
            json_t * b = json_array_get(bounds, i);
            if ((st = expect_type(b, JSON_ARRAY, "an array [lower, upper]", bp, err)) != HFX_OK) {
                return st;
            }
            for (size_t j = 0; j < json_array_size(b); j++) {
                char ep[PTR_MAX];
                format_to(ep, sizeof ep, "%s/%zu", bp, j);
                if ((st = expect_type(json_array_get(b, j), JSON_REAL, "a number", ep, err)) != HFX_OK) {
                    return st;
                }
            }
        }
    }
    json_t * fixed = json_object_get(par, "fixed");
    if (fixed && (st = check_member(par, "fixed", ptr, JSON_TRUE, "a boolean", err)) != HFX_OK) {
        return st;
    }
    return HFX_OK;
}

static enum hfx_status check_measurement(const json_t * m, const char * ptr, struct hfx_error * err) {
    static const char * const keys[] = { "name", "config", NULL };
    enum hfx_status           st     = check_object(m, ptr, keys, keys, err);
    if (st != HFX_OK || (st = check_member(m, "name", ptr, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    json_t *                  config = json_object_get(m, "config");
    static const char * const ckeys[] = { "poi", "parameters", NULL };
    char                      cp[PTR_MAX];
    ptr_join(cp, sizeof cp, ptr, "config");
    if ((st = check_object(config, cp, ckeys, ckeys, err)) != HFX_OK ||
        (st = check_member(config, "poi", cp, JSON_STRING, "a string", err)) != HFX_OK) {
        return st;
    }
    json_t * pars = json_object_get(config, "parameters");
    char     p[PTR_MAX];
    ptr_join(p, sizeof p, cp, "parameters");
    if ((st = expect_type(pars, JSON_ARRAY, "an array", p, err)) != HFX_OK) {
        return st;
    }
    for (size_t i = 0; i < json_array_size(pars); i++) {
        ptr_index(p, sizeof p, cp, "parameters", i);
        if ((st = check_parameter(json_array_get(pars, i), p, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

static enum hfx_status check_workspace(const json_t * root, struct hfx_error * err) {
    if (!json_is_object(root)) {
        return schema_error(err, NULL, "a workspace must be a JSON object, got %s", type_name(root));
    }
    static const char * const keys[] = { "channels", "measurements", "observations", "version", NULL };
    static const char * const req[]  = { "channels", "observations", "measurements", "version", NULL };
    enum hfx_status           st     = check_object(root, "", req, keys, err);
    if (st != HFX_OK) {
        return st;
    }
    json_t * version = json_object_get(root, "version");
    if (!json_is_string(version) || strcmp(json_string_value(version), "1.0.0") != 0) {
        char got[64];
        if (json_is_string(version)) {
            format_to(got, sizeof got, "\"%.40s\"", json_string_value(version));
        } else {
            format_to(got, sizeof got, "%s", type_name(version));
        }
        return schema_error(err, "/version", "unsupported workspace version %s (expected \"1.0.0\")", got);
    }
    struct {
        const char * key, * what;
        enum hfx_status (*check)(const json_t *, const char *, struct hfx_error *);
    } const lists[] = {
        { "channels", "channel", check_channel },
        { "observations", "observation", check_observation },
        { "measurements", "measurement", check_measurement },
    };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t * arr = json_object_get(root, lists[l].key);
        char     p[PTR_MAX];
        ptr_join(p, sizeof p, "", lists[l].key);
        if ((st = check_array(arr, p, lists[l].what, err)) != HFX_OK) {
            return st;
        }
        for (size_t i = 0; i < json_array_size(arr); i++) {
            ptr_index(p, sizeof p, "", lists[l].key, i);
            if ((st = lists[l].check(json_array_get(arr, i), p, err)) != HFX_OK) {
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

struct builder {
    struct hfx_spec *  spec;
    struct hfx_error * err;
    json_t *           by_name;  /* modifier name -> index into uses */
    json_t *           by_key;   /* "type/name" -> global id of the last sample carrying it */
    struct first_use * uses;
    size_t             n_uses, cap_uses;
    size_t             sample_id;
};

static enum hfx_status oom(struct builder * b) {
    return hfx__error(b->err, HFX_ERR_ALLOC, NULL, "out of memory building the workspace spec");
}

static const char * arena_ptr(struct builder * b, const char * fmt, ...) HFX_PRINTF(2, 3);
static const char * arena_ptr(struct builder * b, const char * fmt, ...) {
    char    buf[PTR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return hfx__arena_strdup(&b->spec->arena, buf);
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

/* Checks that a per-bin array has the sample's bin count. */
static enum hfx_status check_bins(struct builder * b, const json_t * arr, const char * ptr, const char * what,
                                  const struct hfx_spec_modifier * m, const struct hfx_spec_sample * s,
                                  size_t n_bins) {
    size_t n = json_array_size(arr);
    if (n != n_bins) {
        return model_error(b, ptr, "%s '%s' %s has %zu bin%s but sample '%s' has %zu", hfx__modifier_type_name(m->type),
                           m->name, what, n, n == 1 ? "" : "s", s->name, n_bins);
    }
    return HFX_OK;
}

/* Name-reuse rules (see the top of the file). */
static enum hfx_status register_modifier(struct builder * b, const struct hfx_spec_modifier * m,
                                         const struct hfx_spec_sample * s, size_t n_bins) {
    char key[PTR_MAX];
    format_to(key, sizeof key, "%s/%s", hfx__modifier_type_name(m->type), m->name);
    json_t * last = json_object_get(b->by_key, key);
    if (last) {
        size_t prev = (size_t) json_integer_value(last);
        if (prev == b->sample_id) {
            return model_error(b, m->pointer, "%s '%s' appears twice in sample '%s'", hfx__modifier_type_name(m->type),
                               m->name, s->name);
        }
        if (m->type == HFX_MOD_SHAPESYS) {
            json_t *     idx   = json_object_get(b->by_name, m->name);
            const char * first = idx ? b->uses[json_integer_value(idx)].mod->pointer : "another sample";
            return model_error(b, m->pointer, "shapesys '%s' is also used at %s (a shapesys cannot be shared)", m->name,
                               first);
        }
    }
    if (json_object_set_new(b->by_key, key, json_integer((json_int_t) b->sample_id)) != 0) {
        return oom(b);
    }
    json_t * idx = json_object_get(b->by_name, m->name);
    if (!idx) {
        if (b->n_uses == b->cap_uses) {
            size_t             cap  = b->cap_uses ? 2 * b->cap_uses : 64;
            struct first_use * uses = realloc(b->uses, cap * sizeof *uses);
            if (!uses) {
                return oom(b);
            }
            b->uses     = uses;
            b->cap_uses = cap;
        }
        b->uses[b->n_uses] = (struct first_use) { m, n_bins, b->sample_id };
        if (json_object_set_new(b->by_name, m->name, json_integer((json_int_t) b->n_uses)) != 0) {
            return oom(b);
        }
        b->n_uses++;
        return HFX_OK;
    }
    const struct first_use * u = &b->uses[json_integer_value(idx)];
    enum hfx_modifier_type   t = u->mod->type;
    bool compatible = t == m->type || (t == HFX_MOD_NORMSYS && m->type == HFX_MOD_HISTOSYS) ||
                      (t == HFX_MOD_HISTOSYS && m->type == HFX_MOD_NORMSYS);
    if (!compatible) {
        return model_error(b, m->pointer,
                           "modifier '%s' is a %s here but a %s at %s (one name is one parameter; only normsys and "
                           "histosys may share a name)",
                           m->name, hfx__modifier_type_name(m->type), hfx__modifier_type_name(t), u->mod->pointer);
    }
    if (m->type == HFX_MOD_SHAPEFACTOR && u->n_bins != n_bins) {
        return model_error(b, m->pointer, "shapefactor '%s' has %zu bin%s here but %zu at %s", m->name, n_bins,
                           n_bins == 1 ? "" : "s", u->n_bins, u->mod->pointer);
    }
    return HFX_OK;
}

static enum hfx_status build_modifier(struct builder * b, const json_t * jm, struct hfx_spec_modifier * m,
                                      const struct hfx_spec_sample * s, size_t n_bins, size_t c, size_t si,
                                      size_t k) {
    m->pointer = arena_ptr(b, "/channels/%zu/samples/%zu/modifiers/%zu", c, si, k);
    m->name    = arena_string(b, jm, "name");
    if (!m->pointer || !m->name) {
        return oom(b);
    }
    mod_type_from_name(json_string_value(json_object_get(jm, "type")), &m->type);
    json_t *        data = json_object_get(jm, "data");
    char            p[PTR_MAX];
    enum hfx_status st;
    switch (m->type) {
    case HFX_MOD_NORMSYS:
        m->hi = json_number_value(json_object_get(data, "hi"));
        m->lo = json_number_value(json_object_get(data, "lo"));
        break;
    case HFX_MOD_HISTOSYS:
        format_to(p, sizeof p, "%s/data/hi_data", m->pointer);
        if ((st = check_bins(b, json_object_get(data, "hi_data"), p, "hi_data", m, s, n_bins)) != HFX_OK) {
            return st;
        }
        format_to(p, sizeof p, "%s/data/lo_data", m->pointer);
        if ((st = check_bins(b, json_object_get(data, "lo_data"), p, "lo_data", m, s, n_bins)) != HFX_OK) {
            return st;
        }
        m->hi_data = arena_numbers(b, json_object_get(data, "hi_data"), NULL);
        m->lo_data = arena_numbers(b, json_object_get(data, "lo_data"), NULL);
        if (!m->hi_data || !m->lo_data) {
            return oom(b);
        }
        break;
    case HFX_MOD_SHAPESYS:
    case HFX_MOD_STATERROR:
        format_to(p, sizeof p, "%s/data", m->pointer);
        if ((st = check_bins(b, data, p, "data", m, s, n_bins)) != HFX_OK) {
            return st;
        }
        if (!(m->data = arena_numbers(b, data, NULL))) {
            return oom(b);
        }
        break;
    default:
        break;
    }
    return register_modifier(b, m, s, n_bins);
}

/* Index of the earlier element of arr (before i) whose "name" equals name, or -1. Uses seen, a
 * name -> index map, so that the check stays linear. */
static long find_dup(json_t * seen, const char * name, size_t i, enum hfx_status * st) {
    json_t * prev = json_object_get(seen, name);
    if (prev) {
        return (long) json_integer_value(prev);
    }
    if (json_object_set_new(seen, name, json_integer((json_int_t) i)) != 0) {
        *st = HFX_ERR_ALLOC;
    }
    return -1;
}

static enum hfx_status build_channels(struct builder * b, const json_t * jchannels) {
    struct hfx_spec * spec = b->spec;
    spec->n_channels       = json_array_size(jchannels);
    spec->channels         = hfx__arena_alloc(&spec->arena, spec->n_channels * sizeof *spec->channels);
    json_t * seen          = json_object();
    if (!spec->channels || !seen) {
        json_decref(seen);
        return oom(b);
    }
    enum hfx_status st = HFX_OK;
    for (size_t c = 0; c < spec->n_channels && st == HFX_OK; c++) {
        const json_t *            jc = json_array_get(jchannels, c);
        struct hfx_spec_channel * ch = &spec->channels[c];
        ch->name                     = arena_string(b, jc, "name");
        ch->pointer                  = arena_ptr(b, "/channels/%zu", c);
        const json_t * jsamples      = json_object_get(jc, "samples");
        ch->n_samples                = json_array_size(jsamples);
        ch->samples                  = hfx__arena_alloc(&spec->arena, ch->n_samples * sizeof *ch->samples);
        json_t * sample_names        = json_object();
        if (!ch->name || !ch->pointer || !ch->samples || !sample_names) {
            json_decref(sample_names);
            st = oom(b);
            break;
        }
        long dup = find_dup(seen, ch->name, c, &st);
        if (dup >= 0) {
            st = model_error(b, arena_ptr(b, "/channels/%zu/name", c), "duplicate channel name '%s' (also /channels/%ld)",
                             ch->name, dup);
        }
        /* pyhf takes a channel's bin count from its first sample. */
        ch->n_bins = json_array_size(json_object_get(json_array_get(jsamples, 0), "data"));
        for (size_t si = 0; si < ch->n_samples && st == HFX_OK; si++, b->sample_id++) {
            const json_t *           js = json_array_get(jsamples, si);
            struct hfx_spec_sample * s  = &ch->samples[si];
            s->name                     = arena_string(b, js, "name");
            s->pointer                  = arena_ptr(b, "/channels/%zu/samples/%zu", c, si);
            if (!s->name || !s->pointer) {
                st = oom(b);
                break;
            }
            if ((dup = find_dup(sample_names, s->name, si, &st)) >= 0) {
                st = model_error(b, arena_ptr(b, "%s/name", s->pointer),
                                 "duplicate sample name '%s' in channel '%s' (also /channels/%zu/samples/%ld)", s->name,
                                 ch->name, c, dup);
                break;
            }
            const json_t * jdata = json_object_get(js, "data");
            size_t         n     = json_array_size(jdata);
            if (n != ch->n_bins) {
                st = model_error(b, arena_ptr(b, "%s/data", s->pointer),
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
                st = build_modifier(b, json_array_get(jmods, k), &s->mods[k], s, ch->n_bins, c, si, k);
            }
        }
        json_decref(sample_names);
    }
    json_decref(seen);
    return st == HFX_ERR_ALLOC ? oom(b) : st;
}

static enum hfx_status build_observations(struct builder * b, const json_t * jobs) {
    json_t * by_name = json_object();
    if (!by_name) {
        return oom(b);
    }
    enum hfx_status st = HFX_OK;
    for (size_t i = 0; i < json_array_size(jobs) && st == HFX_OK; i++) {
        const char * name = json_string_value(json_object_get(json_array_get(jobs, i), "name"));
        long         dup  = find_dup(by_name, name, i, &st);
        if (dup >= 0) {
            char p[PTR_MAX];
            format_to(p, sizeof p, "/observations/%zu/name", i);
            st = model_error(b, p, "duplicate observation name '%s' (also /observations/%ld)", name, dup);
        }
    }
    for (size_t c = 0; c < b->spec->n_channels && st == HFX_OK; c++) {
        struct hfx_spec_channel * ch  = &b->spec->channels[c];
        json_t *                  idx = json_object_get(by_name, ch->name);
        if (!idx) {
            st = model_error(b, ch->pointer, "channel '%s' has no observation (no entry of /observations is named '%s')",
                             ch->name, ch->name);
            break;
        }
        size_t         i     = (size_t) json_integer_value(idx);
        const json_t * jdata = json_object_get(json_array_get(jobs, i), "data");
        size_t         n     = json_array_size(jdata);
        if (n != ch->n_bins) {
            char p[PTR_MAX];
            format_to(p, sizeof p, "/observations/%zu/data", i);
            st = model_error(b, p, "observation '%s' has %zu bin%s but channel '%s' has %zu", ch->name, n,
                             n == 1 ? "" : "s", ch->name, ch->n_bins);
            break;
        }
        if (!(ch->observed = arena_numbers(b, jdata, NULL))) {
            st = oom(b);
        }
    }
    json_decref(by_name);
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
            format_to(p, sizeof p, "%s/bounds/%zu", pc->pointer, i);
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
        m->pointer                           = arena_ptr(b, "/measurements/%zu", i);
        const json_t * jpars                 = json_object_get(config, "parameters");
        m->n_parconfigs                      = json_array_size(jpars);
        m->parconfigs = hfx__arena_alloc(&spec->arena, m->n_parconfigs * sizeof *m->parconfigs);
        json_t * seen = json_object();
        if (!m->name || !m->poi || !m->pointer || !m->parconfigs || !seen) {
            json_decref(seen);
            return oom(b);
        }
        enum hfx_status st = HFX_OK;
        for (size_t j = 0; j < m->n_parconfigs && st == HFX_OK; j++) {
            struct hfx_spec_parconfig * pc = &m->parconfigs[j];
            const json_t *              jp = json_array_get(jpars, j);
            if (!(pc->pointer = arena_ptr(b, "/measurements/%zu/config/parameters/%zu", i, j))) {
                st = oom(b);
                break;
            }
            const char * name = json_string_value(json_object_get(jp, "name"));
            long         dup  = find_dup(seen, name, j, &st);
            if (dup >= 0) {
                st = model_error(b, arena_ptr(b, "%s/name", pc->pointer),
                                 "parameter '%s' is configured twice in measurement '%s' (also "
                                 "/measurements/%zu/config/parameters/%ld)",
                                 name, m->name, i, dup);
                break;
            }
            if (st == HFX_OK) {
                st = build_parconfig(b, jp, pc);
            }
        }
        json_decref(seen);
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
        struct builder b = { .spec = spec, .err = &tmp, .by_name = json_object(), .by_key = json_object() };
        spec->source     = hfx__arena_strdup(&spec->arena, source ? source : "");
        if (!b.by_name || !b.by_key || !spec->source) {
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
        json_decref(b.by_name);
        json_decref(b.by_key);
        free(b.uses);
    }
    if (st != HFX_OK && err) {
        *err = tmp;
        format_to(err->source, sizeof err->source, "%s", source ? source : "");
    }
    return st;
}

void hfx__spec_free(struct hfx_spec * spec) {
    if (spec) {
        hfx__arena_free(&spec->arena);
        memset(spec, 0, sizeof *spec);
    }
}
