/*
 * json-load.c -- reading JSON documents (workspaces, patches, patchsets) into jansson trees.
 *
 * Files are read whole into memory (gunzipped with zlib when the name ends in ".gz") and parsed with
 * json_loadb, so that plain and compressed files take the same path and errors carry the same line
 * and column. Two decisions differ from Python's json module, which pyhf uses:
 * - Duplicate object keys are rejected (JSON_REJECT_DUPLICATES). Python keeps the last value
 *   silently; a workspace with two "data" keys in one sample is almost surely a mistake, and the
 *   message names the key.
 * - Numbers that overflow a double (1e999) are rejected as "number out of range"; Python would turn
 *   them into inf. Integers too big for a 64-bit integer are accepted as doubles, as in Python.
 * Any JSON value is accepted at the top level: the schema check in spec-build.c reports a wrong
 * top-level type with a clearer message than the parser could.
 * Errors are built in a fresh local report and copied out on failure, so that fields left over in a
 * caller's reused struct hfx_error (line, column, source) never leak into a new message.
 */
#include "spec/spec.h"

#include <errno.h>
#include <string.h>
#include <zlib.h>

/* Reads a whole file into a malloc'd buffer. zlib's gzread reads a file that is not gzip-compressed
 * as it is, so one loop serves plain and ".gz" files; gz only chooses the wording of a read error. */
static enum hfx_status read_file(const char * path, bool gz, char ** out, size_t * out_len, struct hfx_error * err) {
    size_t cap = 1 << 16, len = 0;
    char * buf = malloc(cap);
    if (!buf) {
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory reading %s", path);
    }
    errno    = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        int e = errno;
        free(buf);
        return hfx__error(err, HFX_ERR_IO, NULL, "cannot open file: %s", e ? strerror(e) : "gzopen failed");
    }
    for (;;) {
        if (cap - len < 1 << 15) {
            char * nbuf = cap > SIZE_MAX / 4 ? NULL : realloc(buf, cap * 2);
            if (!nbuf) {
                gzclose(f);
                free(buf);
                return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory reading %s", path);
            }
            buf = nbuf;
            cap *= 2;
        }
        /* gzread takes an unsigned count; stay well below UINT_MAX. */
        size_t want = cap - len > (1u << 30) ? (1u << 30) : cap - len;
        int    n    = gzread(f, buf + len, (unsigned) want);
        if (n < 0) {
            int             errnum = 0;
            const char *    what   = gzerror(f, &errnum);
            enum hfx_status st     = hfx__error(err, HFX_ERR_IO, NULL, "cannot %s file: %s", gz ? "decompress" : "read",
                                                errnum == Z_ERRNO ? strerror(errno) : what);
            gzclose(f);
            free(buf);
            return st;
        }
        if (n == 0) {
            break;
        }
        len += (size_t) n;
    }
    gzclose(f);
    *out     = buf;
    *out_len = len;
    return HFX_OK;
}

/* Parses len bytes; fills err (code, line, column, msg) on failure. */
static enum hfx_status parse_buffer(const char * buf, size_t len, json_t ** out, struct hfx_error * err) {
    const size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;
    json_error_t jerr;
    json_t *     root = json_loadb(buf, len, flags, &jerr);
    if (!root && json_error_code(&jerr) == json_error_numeric_overflow && strstr(jerr.text, "too big integer")) {
        /* Python reads any integer; read them all as doubles rather than fail. A real that
         * overflows still fails in this second pass. */
        root = json_loadb(buf, len, flags | JSON_DECODE_INT_AS_REAL, &jerr);
    }
    if (root) {
        *out = root;
        return HFX_OK;
    }
    enum hfx_status code = json_error_code(&jerr) == json_error_out_of_memory ? HFX_ERR_ALLOC : HFX_ERR_JSON;
    if (json_error_code(&jerr) == json_error_numeric_overflow) {
        /* jansson says "real number overflow near '1e999'"; keep the "near ..." part. */
        const char * near = strstr(jerr.text, " near ");
        hfx__error(err, code, NULL, "number out of range%s", near ? near : "");
    } else {
        hfx__error(err, code, NULL, "%s", jerr.text);
    }
    if (err) {
        err->line   = jerr.line > 0 ? jerr.line : 0;
        /* jansson counts columns from 0 before the first character of a line; editors from 1. */
        err->column = jerr.line > 0 ? (jerr.column > 0 ? jerr.column : 1) : 0;
    }
    return code;
}

static bool ends_with(const char * s, const char * suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

enum hfx_status hfx__json_load_file(const char * path, json_t ** out, struct hfx_error * err) {
    if (!path || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_load_file: NULL argument");
    }
    *out = NULL;
    struct hfx_error tmp = { 0 };
    char *           buf = NULL;
    size_t           len = 0;
    enum hfx_status  st  = read_file(path, ends_with(path, ".gz"), &buf, &len, &tmp);
    if (st == HFX_OK) {
        st = parse_buffer(buf, len, out, &tmp);
        free(buf);
    }
    if (st != HFX_OK && err) {
        *err = tmp;
        snprintf(err->source, sizeof err->source, "%s", path);
    }
    return st;
}

enum hfx_status hfx__json_load_string(const char * text, const char * name, json_t ** out, struct hfx_error * err) {
    if (!text || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_load_string: NULL argument");
    }
    *out                 = NULL;
    struct hfx_error tmp = { 0 };
    enum hfx_status  st  = parse_buffer(text, strlen(text), out, &tmp);
    if (st != HFX_OK && err) {
        *err = tmp;
        snprintf(err->source, sizeof err->source, "%s", name ? name : "<string>");
    }
    return st;
}

const char * hfx__json_type_name(const json_t * v) {
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
