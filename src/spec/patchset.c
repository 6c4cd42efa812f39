/*
 * patchset.c -- pyhf patchsets: a set of named JSON patches over one background-only workspace.
 *
 * The file is checked against pyhf's patchset schema (schemas/1.0.0/defs.json#/definitions/patchset)
 * and the rules of pyhf.PatchSet.__init__: unique patch names, unique value tuples, as many values
 * as labels. Errors carry the JSON pointer inside the patchset file, also when a patch fails to apply
 * later (pointer "/patches/<i>/patch/<op>", msg prefixed with the patch name).
 * Not done here: pyhf's PatchSet.verify, which PatchSet.apply runs first: it compares
 * metadata.digests with md5/sha256 of json.dumps(workspace, sort_keys=True, ensure_ascii=False), a
 * digest that depends on Python's float formatting; `hfx patchset verify` (tools/hfx, digest.c)
 * computes it. The library applies a patch to whatever workspace it is given.
 * A patch value given as a string (the schema allows numbers or strings) is reported as its numeric
 * value when the whole string is a number, NaN otherwise; hfx_patchset_patch_value_string gives its
 * text, which is what the CLI prints.
 * Uniqueness of names and of value tuples is checked with hash tables (jansson objects keyed by the
 * name, resp. by a canonical text of the tuple), so that a patchset of 10,000 patches loads in
 * linear time.
 */
#include "core/array.h"
#include "spec/spec.h"

#include <math.h>
#include <string.h>


struct patchset_patch {
    const char * name;   /* owned by root */
    double *     values; /* [n_labels], in values_all */
    json_t *     ops;    /* borrowed from root */
};

struct md_entry {
    char * key;
    char * value;
};

struct hfx_patchset {
    json_t *                root;
    char *                  source;
    size_t                  n_labels;
    const char **           labels; /* owned by root */
    size_t                  n_patches;
    struct patchset_patch * patches;
    double *                values_all;
    struct md_entry *       md; /* metadata rendered as strings on demand */
    size_t                  n_md, cap_md;
};


static enum hfx_status ps_error(struct hfx_error * err, const char * ptr, const char * fmt, ...) HFX_PRINTF(3, 4);
static enum hfx_status ps_error(struct hfx_error * err, const char * ptr, const char * fmt, ...) {
    char    msg[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hfx__error(err, HFX_ERR_SCHEMA, ptr, "%s", msg);
}

//
// The schema's string patterns, by hand
//

static bool all_chars(const char * s, size_t min, size_t max, bool (*ok)(char)) {
    size_t n = strlen(s);
    if (n < min || n > max) {
        return false;
    }
    for (; *s; s++) {
        if (!ok(*s)) {
            return false;
        }
    }
    return true;
}
static bool is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
static bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}
static bool is_hex(char c) {
    return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}
static bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/* ^[a-zA-Z0-9_]+$ */
static bool is_identifier(const char * s) {
    return all_chars(s, 1, SIZE_MAX, is_word);
}

//
// Validation
//

static enum hfx_status check_string_object(const json_t * obj, const char * ptr, const char * const * keys,
                                           bool (*const *patterns)(const char *), const char * const * pattern_text,
                                           struct hfx_error * err) {
    if (!json_is_object(obj)) {
        return ps_error(err, ptr, "expected an object, got %s", hfx__json_type_name(obj));
    }
    if (json_object_size(obj) == 0) {
        return ps_error(err, ptr, "expected at least one entry");
    }
    const char * key;
    json_t *     val;
    json_object_foreach((json_t *) obj, key, val) {
        char p[512];
        hfx__format(p, sizeof p, "%s/%s", ptr, key);
        size_t i = 0;
        while (keys[i] && strcmp(keys[i], key) != 0) {
            i++;
        }
        if (!keys[i]) {
            return ps_error(err, p, "unknown key '%s'", key);
        }
        if (!json_is_string(val)) {
            return ps_error(err, p, "expected a string, got %s", hfx__json_type_name(val));
        }
        if (!patterns[i](json_string_value(val))) {
            return ps_error(err, p, "'%s' does not match %s", json_string_value(val), pattern_text[i]);
        }
    }
    return HFX_OK;
}

static bool is_hepdata(const char * s) {
    return strncmp(s, "ins", 3) == 0 && all_chars(s + 3, 7, 7, is_digit);
}
static bool is_md5(const char * s) {
    return all_chars(s, 32, 32, is_lower_hex);
}
static bool is_sha256(const char * s) {
    return all_chars(s, 64, 64, is_hex);
}

static enum hfx_status check_metadata(const json_t * md, struct hfx_error * err) {
    if (!json_is_object(md)) {
        return ps_error(err, "/metadata", "expected an object, got %s", hfx__json_type_name(md));
    }
    static const char * const req[] = { "references", "digests", "labels", "description", NULL };
    for (const char * const * r = req; *r; r++) {
        if (!json_object_get(md, *r)) {
            return ps_error(err, "/metadata", "missing required key '%s'", *r);
        }
    }
    static const char * const ref_keys[]                = { "hepdata", NULL };
    static bool (*const ref_pat[])(const char *)        = { is_hepdata };
    static const char * const ref_text[]                = { "^ins[0-9]{7}$" };
    static const char * const dig_keys[]                = { "md5", "sha256", NULL };
    static bool (*const dig_pat[])(const char *)        = { is_md5, is_sha256 };
    static const char * const dig_text[]                = { "^[a-f0-9]{32}$", "^[a-fA-F0-9]{64}$" };
    enum hfx_status           st = check_string_object(json_object_get(md, "references"), "/metadata/references",
                                                       ref_keys, ref_pat, ref_text, err);
    if (st != HFX_OK || (st = check_string_object(json_object_get(md, "digests"), "/metadata/digests", dig_keys,
                                                  dig_pat, dig_text, err)) != HFX_OK) {
        return st;
    }
    json_t * desc = json_object_get(md, "description");
    if (!json_is_string(desc)) {
        return ps_error(err, "/metadata/description", "expected a string, got %s", hfx__json_type_name(desc));
    }
    json_t * labels = json_object_get(md, "labels");
    if (!json_is_array(labels) || json_array_size(labels) == 0) {
        return ps_error(err, "/metadata/labels", "expected a non-empty array of labels, got %s",
                        json_is_array(labels) ? "an empty array" : hfx__json_type_name(labels));
    }
    for (size_t i = 0; i < json_array_size(labels); i++) {
        json_t * l = json_array_get(labels, i);
        char     p[64];
        hfx__format(p, sizeof p, "/metadata/labels/%zu", i);
        if (!json_is_string(l)) {
            return ps_error(err, p, "expected a string, got %s", hfx__json_type_name(l));
        }
        if (!is_identifier(json_string_value(l))) {
            return ps_error(err, p, "label '%s' does not match ^[a-zA-Z0-9_]+$", json_string_value(l));
        }
    }
    return HFX_OK;
}

static enum hfx_status check_patch_entry(const json_t * e, size_t i, size_t n_labels, struct hfx_error * err) {
    char p[128];
    hfx__format(p, sizeof p, "/patches/%zu", i);
    if (!json_is_object(e)) {
        return ps_error(err, p, "expected an object, got %s", hfx__json_type_name(e));
    }
    static const char * const keys[] = { "metadata", "patch", NULL };
    for (const char * const * k = keys; *k; k++) {
        if (!json_object_get(e, *k)) {
            return ps_error(err, p, "missing required key '%s'", *k);
        }
    }
    const char * key;
    json_t *     val;
    json_object_foreach((json_t *) e, key, val) {
        if (strcmp(key, "metadata") != 0 && strcmp(key, "patch") != 0) {
            return ps_error(err, p, "unknown key '%s' (expected metadata, patch)", key);
        }
    }
    json_t * md = json_object_get(e, "metadata");
    hfx__format(p, sizeof p, "/patches/%zu/metadata", i);
    if (!json_is_object(md)) {
        return ps_error(err, p, "expected an object, got %s", hfx__json_type_name(md));
    }
    json_t * name   = json_object_get(md, "name");
    json_t * values = json_object_get(md, "values");
    if (!name || !values) {
        return ps_error(err, p, "missing required key '%s'", name ? "values" : "name");
    }
    hfx__format(p, sizeof p, "/patches/%zu/metadata/name", i);
    if (!json_is_string(name)) {
        return ps_error(err, p, "expected a string, got %s", hfx__json_type_name(name));
    }
    if (!is_identifier(json_string_value(name))) {
        return ps_error(err, p, "patch name '%s' does not match ^[a-zA-Z0-9_]+$", json_string_value(name));
    }
    hfx__format(p, sizeof p, "/patches/%zu/metadata/values", i);
    if (!json_is_array(values)) {
        return ps_error(err, p, "expected an array, got %s", hfx__json_type_name(values));
    }
    for (size_t j = 0; j < json_array_size(values); j++) {
        json_t * v = json_array_get(values, j);
        if (!json_is_number(v) && !json_is_string(v)) {
            hfx__format(p, sizeof p, "/patches/%zu/metadata/values/%zu", i, j);
            return ps_error(err, p, "expected a number or a string, got %s", hfx__json_type_name(v));
        }
    }
    if (json_array_size(values) != n_labels) {
        return ps_error(err, p, "patch '%s' has %zu value%s but the patchset has %zu label%s", json_string_value(name),
                        json_array_size(values), json_array_size(values) == 1 ? "" : "s", n_labels,
                        n_labels == 1 ? "" : "s");
    }
    struct hfx_error tmp = { 0 };
    if (hfx__json_patch_check(json_object_get(e, "patch"), &tmp) != HFX_OK) {
        /* Re-root the operation's pointer inside the patchset file. */
        hfx__format(p, sizeof p, "/patches/%zu/patch", i);
        char full[sizeof tmp.pointer];
        hfx__format(full, sizeof full, "%s%s", p, tmp.pointer);
        return hfx__error(err, tmp.code, full, "%s", tmp.msg);
    }
    return HFX_OK;
}

static enum hfx_status check_patchset(const json_t * root, struct hfx_error * err) {
    if (!json_is_object(root)) {
        return ps_error(err, NULL, "a patchset must be a JSON object, got %s", hfx__json_type_name(root));
    }
    static const char * const req[] = { "metadata", "patches", "version", NULL };
    for (const char * const * r = req; *r; r++) {
        if (!json_object_get(root, *r)) {
            return ps_error(err, NULL, "missing required key '%s'", *r);
        }
    }
    const char * key;
    json_t *     val;
    json_object_foreach((json_t *) root, key, val) {
        if (strcmp(key, "metadata") != 0 && strcmp(key, "patches") != 0 && strcmp(key, "version") != 0) {
            char p[512];
            hfx__format(p, sizeof p, "/%s", key);
            return ps_error(err, p, "unknown key '%s' (expected metadata, patches, version)", key);
        }
    }
    json_t * version = json_object_get(root, "version");
    if (!json_is_string(version) || strcmp(json_string_value(version), "1.0.0") != 0) {
        return ps_error(err, "/version", "unsupported patchset version (expected \"1.0.0\")");
    }
    enum hfx_status st = check_metadata(json_object_get(root, "metadata"), err);
    if (st != HFX_OK) {
        return st;
    }
    json_t * patches = json_object_get(root, "patches");
    if (!json_is_array(patches) || json_array_size(patches) == 0) {
        return ps_error(err, "/patches", "expected a non-empty array of patches, got %s",
                        json_is_array(patches) ? "an empty array" : hfx__json_type_name(patches));
    }
    size_t n_labels = json_array_size(json_object_get(json_object_get(root, "metadata"), "labels"));
    for (size_t i = 0; i < json_array_size(patches); i++) {
        if ((st = check_patch_entry(json_array_get(patches, i), i, n_labels, err)) != HFX_OK) {
            return st;
        }
    }
    return HFX_OK;
}

//
// Loading
//

static double value_number(const json_t * v) {
    if (json_is_number(v)) {
        return json_number_value(v);
    }
    const char * s   = json_string_value(v);
    char *       end = NULL;
    double       x   = strtod(s, &end);
    return end != s && *end == '\0' ? x : NAN;
}

/* A text that two value tuples share exactly when they are equal as Python tuples of JSON values:
 * numbers by value (1 == 1.0, an integer beyond 2^53 only equal to itself, as in Python), strings by
 * their bytes (length-prefixed, so no separator is ambiguous), a string never equal to a number.
 * Written into *buf (grown with realloc, *cap bytes), its length in *len; false when out of memory. */
static bool values_key(const json_t * values, char ** buf, size_t * cap, size_t * len) {
    *len = 0;
    for (size_t i = 0; i < json_array_size(values); i++) {
        const json_t * v   = json_array_get(values, i);
        const char *   str = json_is_string(v) ? json_string_value(v) : "";
        size_t         n   = json_is_string(v) ? json_string_length(v) : 0;
        char           head[48];
        if (json_is_string(v)) {
            snprintf(head, sizeof head, "s%zu:", n);
        } else if (json_is_integer(v) && (json_int_t) (double) json_integer_value(v) != json_integer_value(v)) {
            snprintf(head, sizeof head, "i%" JSON_INTEGER_FORMAT ";", json_integer_value(v));
        } else {
            double x = json_number_value(v);
            snprintf(head, sizeof head, "n%.17g;", x == 0 ? 0.0 : x); /* -0.0 == 0.0 */
        }
        size_t nh = strlen(head), need = *len + nh + n;
        if (!hfx__array_reserve(buf, cap, need, 1, 64, NULL)) {
            return false;
        }
        memcpy(*buf + *len, head, nh);
        memcpy(*buf + *len + nh, str, n);
        *len += nh + n;
    }
    return true;
}

void hfx_patchset_free(hfx_patchset_t ps) {
    if (!ps) {
        return;
    }
    for (size_t i = 0; i < ps->n_md; i++) {
        free(ps->md[i].key);
        free(ps->md[i].value);
    }
    free(ps->md);
    free(ps->patches);
    free(ps->values_all);
    free(ps->labels);
    free(ps->source);
    json_decref(ps->root);
    free(ps);
}

static enum hfx_status build(struct hfx_patchset * ps, struct hfx_error * err) {
    json_t * md      = json_object_get(ps->root, "metadata");
    json_t * labels  = json_object_get(md, "labels");
    json_t * patches = json_object_get(ps->root, "patches");
    ps->n_labels     = json_array_size(labels);
    ps->n_patches    = json_array_size(patches);
    ps->labels       = hfx__calloc(ps->n_labels, sizeof *ps->labels);
    ps->patches      = hfx__calloc(ps->n_patches, sizeof *ps->patches);
    ps->values_all   = hfx__calloc(ps->n_patches * ps->n_labels + 1, sizeof *ps->values_all);
    json_t * names   = json_object();
    json_t * tuples  = json_object(); /* canonical text of a patch's values -> its index */
    char *   key     = NULL;
    size_t   key_cap = 0;
    if (!ps->labels || !ps->patches || !ps->values_all || !names || !tuples) {
        json_decref(names);
        json_decref(tuples);
        return hfx__error_oom(err, "the patch table of a patchset",
                              ps->n_patches * (sizeof *ps->patches + (ps->n_labels + 1) * sizeof(double)));
    }
    for (size_t l = 0; l < ps->n_labels; l++) {
        ps->labels[l] = json_string_value(json_array_get(labels, l));
    }
    enum hfx_status st = HFX_OK;
    for (size_t i = 0; i < ps->n_patches && st == HFX_OK; i++) {
        json_t *                e   = json_array_get(patches, i);
        json_t *                pmd = json_object_get(e, "metadata");
        struct patchset_patch * p   = &ps->patches[i];
        p->name                     = json_string_value(json_object_get(pmd, "name"));
        p->ops                      = json_object_get(e, "patch");
        p->values                   = ps->values_all + i * ps->n_labels;
        json_t * values             = json_object_get(pmd, "values");
        for (size_t l = 0; l < ps->n_labels; l++) {
            p->values[l] = value_number(json_array_get(values, l));
        }
        json_t * prev = json_object_get(names, p->name);
        char     ptr[128];
        if (prev) {
            hfx__format(ptr, sizeof ptr, "/patches/%zu/metadata/name", i);
            st = ps_error(err, ptr, "duplicate patch name '%s' (also /patches/%lld)", p->name,
                          (long long) json_integer_value(prev));
        } else if (json_object_set_new(names, p->name, json_integer((json_int_t) i)) != 0) {
            st = hfx__error_oom(err, "the table of patch names", (i + 1) * (sizeof(json_t *) + strlen(p->name) + 32));
        }
        /* pyhf also refuses two patches with equal values */
        size_t klen = 0;
        if (st == HFX_OK && !values_key(values, &key, &key_cap, &klen)) {
            st = hfx__error_oom(err, "the key of a patch's values", key_cap * 2 + 64);
        } else if (st == HFX_OK) {
            json_t * seen = json_object_getn(tuples, key ? key : "", klen);
            if (seen) {
                hfx__format(ptr, sizeof ptr, "/patches/%zu/metadata/values", i);
                st = ps_error(err, ptr, "patches '%s' and '%s' have the same values",
                              ps->patches[json_integer_value(seen)].name, p->name);
            } else if (json_object_setn_new_nocheck(tuples, key ? key : "", klen, json_integer((json_int_t) i)) != 0) {
                st = hfx__error_oom(err, "the table of patch values", (i + 1) * (sizeof(json_t *) + klen + 32));
            }
        }
    }
    json_decref(names);
    json_decref(tuples);
    free(key);
    return st;
}

enum hfx_status hfx__patchset_from_json(json_t * root, const char * source, hfx_patchset_t * out,
                                        struct hfx_error * err) {
    if (!root || !source || !out) {
        json_decref(root);
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__patchset_from_json: NULL argument");
    }
    *out                      = NULL;
    struct hfx_error      tmp = { 0 };
    struct hfx_patchset * ps  = hfx__calloc(1, sizeof *ps);
    enum hfx_status       st  = HFX_OK;
    if (!ps || !(ps->source = hfx__malloc(strlen(source) + 1))) {
        json_decref(root);
        st = hfx__error_oom(&tmp, "a patchset", sizeof *ps + strlen(source) + 1);
    } else {
        memcpy(ps->source, source, strlen(source) + 1);
        ps->root = root;
        st       = check_patchset(ps->root, &tmp);
    }
    if (st == HFX_OK) {
        st = build(ps, &tmp);
    }
    if (st != HFX_OK) {
        hfx_patchset_free(ps);
        if (err) {
            *err = tmp;
            hfx__format(err->source, sizeof err->source, "%s", source);
        }
        return st;
    }
    *out = ps;
    return HFX_OK;
}

enum hfx_status hfx_patchset_load(const char * path, hfx_patchset_t * out, struct hfx_error * err) {
    if (!path || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_patchset_load: NULL argument");
    }
    *out            = NULL;
    json_t *        root = NULL;
    enum hfx_status st   = hfx__json_load_file(path, &root, err);
    return st == HFX_OK ? hfx__patchset_from_json(root, path, out, err) : st;
}

enum hfx_status hfx_patchset_load_fd(int fd, const char * name, hfx_patchset_t * out, struct hfx_error * err) {
    if (!out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_patchset_load_fd: NULL argument");
    }
    *out            = NULL;
    name            = name ? name : "<fd>";
    json_t *        root = NULL;
    enum hfx_status st   = hfx__json_load_fd(fd, name, &root, err);
    return st == HFX_OK ? hfx__patchset_from_json(root, name, out, err) : st;
}

//
// Queries
//

size_t hfx_patchset_n_patches(hfx_patchset_t ps) {
    return ps ? ps->n_patches : 0;
}

size_t hfx_patchset_n_labels(hfx_patchset_t ps) {
    return ps ? ps->n_labels : 0;
}

const char * hfx_patchset_label(hfx_patchset_t ps, size_t i) {
    return ps && i < ps->n_labels ? ps->labels[i] : NULL;
}

const char * hfx_patchset_patch_name(hfx_patchset_t ps, size_t i) {
    return ps && i < ps->n_patches ? ps->patches[i].name : NULL;
}

const double * hfx_patchset_patch_values(hfx_patchset_t ps, size_t i) {
    return ps && i < ps->n_patches ? ps->patches[i].values : NULL;
}

const char * hfx_patchset_patch_value_string(hfx_patchset_t ps, size_t i, size_t k) {
    if (!ps || i >= ps->n_patches || k >= ps->n_labels) {
        return NULL;
    }
    json_t * entry  = json_array_get(json_object_get(ps->root, "patches"), i);
    json_t * values = json_object_get(json_object_get(entry, "metadata"), "values");
    return json_string_value(json_array_get(values, k)); /* NULL for a number */
}

const char * hfx_patchset_metadata(hfx_patchset_t ps, const char * key) {
    if (!ps || !key) {
        return NULL;
    }
    json_t * v = json_object_get(json_object_get(ps->root, "metadata"), key);
    if (!v) {
        return NULL;
    }
    if (json_is_string(v)) {
        return json_string_value(v);
    }
    /* Other values (digests, references, labels) are rendered as compact JSON once and kept. */
    for (size_t i = 0; i < ps->n_md; i++) {
        if (strcmp(ps->md[i].key, key) == 0) {
            return ps->md[i].value;
        }
    }
    bool   room  = HFX_ARRAY_RESERVE(ps->md, ps->cap_md, ps->n_md + 1, 8, NULL);
    char * text  = hfx__json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char * kcopy = hfx__malloc(strlen(key) + 1);
    if (!room || !text || !kcopy) {
        free(text);
        free(kcopy);
        return NULL;
    }
    memcpy(kcopy, key, strlen(key) + 1);
    ps->md[ps->n_md++] = (struct md_entry) { kcopy, text };
    return text;
}

enum hfx_status hfx_patchset_dump_patch(hfx_patchset_t ps, size_t i, bool with_metadata, char ** out_json,
                                        struct hfx_error * err) {
    if (!ps || !out_json) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_patchset_dump_patch: NULL argument");
    }
    *out_json = NULL;
    if (i >= ps->n_patches) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_patchset_dump_patch: patch %zu of a patchset of %zu", i,
                          ps->n_patches);
    }
    json_t * entry = json_array_get(json_object_get(ps->root, "patches"), i);
    json_t * doc   = json_incref(json_object_get(entry, "patch"));
    if (with_metadata) { /* pyhf: patch.metadata updated with the patchset's metadata */
        json_t * md = json_deep_copy(json_object_get(entry, "metadata"));
        if (md && json_object_update(md, json_object_get(ps->root, "metadata")) != 0) {
            json_decref(md);
            md = NULL;
        }
        json_decref(doc);
        doc = md ? json_pack("{s:o, s:O}", "metadata", md, "patch", json_object_get(entry, "patch")) : NULL;
    }
    /* 17 significant digits: every double survives the round trip (as hfx_workspace_dump). */
    *out_json = doc ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(doc);
    return *out_json ? HFX_OK : hfx__error_oom(err, "a patch as JSON text", 0);
}

/* Levenshtein distance, capped so that long names stay cheap. */
static size_t edit_distance(const char * a, const char * b) {
    enum { CAP = 128 };
    size_t na = strlen(a), nb = strlen(b);
    if (na > CAP || nb > CAP) {
        return (na > nb ? na - nb : nb - na) + CAP;
    }
    size_t row[CAP + 1];
    for (size_t j = 0; j <= nb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0]      = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t c  = diag + (a[i - 1] != b[j - 1]);
            c         = c < up + 1 ? c : up + 1;
            c         = c < row[j - 1] + 1 ? c : row[j - 1] + 1;
            row[j]    = c;
            diag      = up;
        }
    }
    return row[nb];
}

enum hfx_status hfx_patchset_find(hfx_patchset_t ps, const char * name, size_t * index, struct hfx_error * err) {
    if (!ps || !name || !index) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_patchset_find: NULL argument");
    }
    for (size_t i = 0; i < ps->n_patches; i++) {
        if (strcmp(ps->patches[i].name, name) == 0) {
            *index = i;
            return HFX_OK;
        }
    }
    /* Name the three closest patches (ties keep file order). */
    enum { K = 3 };
    size_t best[K], dist[K], n = 0;
    for (size_t i = 0; i < ps->n_patches; i++) {
        size_t d = edit_distance(name, ps->patches[i].name);
        if (n == K && d >= dist[K - 1]) {
            continue;
        }
        size_t pos = n < K ? n : K - 1;
        for (; pos > 0 && dist[pos - 1] > d; pos--) {
            best[pos] = best[pos - 1];
            dist[pos] = dist[pos - 1];
        }
        best[pos] = i;
        dist[pos] = d;
        n += n < K;
    }
    char   list[512] = "";
    size_t len       = 0;
    for (size_t j = 0; j < n && len < sizeof list; j++) {
        int k = snprintf(list + len, sizeof list - len, "%s'%s'", j ? ", " : "", ps->patches[best[j]].name);
        len += k > 0 ? (size_t) k : 0;
    }
    hfx__error(err, HFX_ERR_NOT_FOUND, NULL, "no patch named '%s' among %zu patch%s (closest: %s)", name,
               ps->n_patches, ps->n_patches == 1 ? "" : "es", list);
    hfx__error_source(err, ps->source);
    return HFX_ERR_NOT_FOUND;
}

enum hfx_status hfx_patchset_apply(hfx_patchset_t ps, size_t i, hfx_workspace_t ws, struct hfx_error * err) {
    if (!ps || !ws || i >= ps->n_patches) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_patchset_apply: %s",
                          !ps || !ws ? "NULL argument" : "patch index out of range");
    }
    struct hfx_error tmp = { 0 };
    enum hfx_status  st  = hfx__json_patch_apply(&ws->root, ps->patches[i].ops, &tmp);
    if (st == HFX_OK) {
        char what[sizeof tmp.source];
        hfx__format(what, sizeof what, "%s, patch '%s'", ps->source, ps->patches[i].name);
        return hfx__workspace_note_patch(ws, what, err);
    }
    if (err) {
        hfx__error_clear(err);
        err->code = tmp.code;
        hfx__format(err->source, sizeof err->source, "%s", ps->source);
        if (tmp.pointer[0]) {
            hfx__format(err->pointer, sizeof err->pointer, "/patches/%zu/patch%s", i, tmp.pointer);
        }
        hfx__format(err->msg, sizeof err->msg, "patch '%s': %s", ps->patches[i].name, tmp.msg);
    }
    return st;
}
