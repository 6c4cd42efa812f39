/*
 * json-load.c -- reading JSON documents (workspaces, patches, patchsets) into jansson trees.
 *
 * Every input takes one path: its bytes are read whole (a file, a file descriptor such as standard
 * input, or a caller's buffer), gunzipped when they start with the gzip magic bytes (whatever the
 * file is called), checked, and parsed, so that errors carry the same line and column for plain and
 * compressed input. Parsing is simdjson's where hfx is built with it (json-simd.cc: ~1 ms instead
 * of jansson's ~7 ms for the 880 kB sbottom background), which either builds the tree json_loadb
 * would or declines; then, and in a build without simdjson, json_loadb parses, and every error
 * below is its. A file's buffer is sized from its length and keeps simdjson's padding after the
 * text, so a file is read in one block and never copied. What is refused, and why:
 * - More than HFX_INPUT_BYTES_MAX bytes of JSON text (after gunzipping): a stated cap, so that
 *   /dev/zero, an endless pipe or a gzip bomb stops with a clear error instead of growing until the
 *   machine runs out of memory.
 * - A NUL byte: JSON text cannot contain one, and a C string reader would silently stop there.
 *   Plain input is checked as it is read, so /dev/zero fails on its first block.
 * - Gzip data that ends before its end-of-stream and trailer (a truncated download), that is corrupt
 *   (zlib's message, e.g. a CRC mismatch), or that is followed by bytes that are not another gzip
 *   member. zlib's gzread accepts the first two silently and ignores the last; these are gzip errors,
 *   not JSON ones.
 * Two decisions differ from Python's json module, which pyhf uses:
 * - Duplicate object keys are rejected (JSON_REJECT_DUPLICATES). Python keeps the last value
 *   silently; a workspace with two "data" keys in one sample is almost surely a mistake, and the
 *   message names the key.
 * - Numbers that overflow a double (1e999) are rejected as "number out of range"; Python would turn
 *   them into inf. Integers too big for a 64-bit integer are accepted as doubles, as in Python.
 * Nesting deeper than HFX_JSON_DEPTH_MAX is refused by jansson's parser (the same bound the patch
 * code keeps, json-patch.c). Any JSON value is accepted at the top level: the schema check in
 * spec-build.c reports a wrong top-level type with a clearer message than the parser could.
 * Errors are built in a fresh local report and copied out on failure, so that fields left over in a
 * caller's reused struct hfx_error (line, column, source) never leak into a new message.
 */
#include "spec/spec.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#ifdef HFX_USE_SIMDJSON
#include "spec/json-simd.h"
enum { PADDING = HFX__JSON_SIMD_PADDING };
#else
enum { PADDING = 1 };
#endif
enum { CHUNK = 1 << 16 };

/* A growing byte buffer with a size limit. */
struct text {
    char * buf;
    size_t len, cap, limit;
    bool   gunzipped; /* for the wording of the limit error */
};

static void text_free(struct text * t) {
    free(t->buf);
    t->buf = NULL;
    t->len = t->cap = 0;
}

static enum hfx_status too_large(const struct text * t, struct hfx_error * err) {
    return hfx__error(err, HFX_ERR_IO, NULL, "input larger than %zu bytes%s (hfx's limit for one JSON document)",
                      t->limit, t->gunzipped ? " once gunzipped" : "");
}

/* Grows t to cap bytes (at most limit + 1), plus PADDING readable bytes after them. */
static enum hfx_status text_grow(struct text * t, size_t cap, struct hfx_error * err) {
    cap           = cap > t->limit + 1 ? t->limit + 1 : cap;
    char * bigger = hfx__realloc(t->buf, cap + PADDING);
    if (!bigger) {
        return hfx__error_oom(err, "the input text", cap + PADDING);
    }
    t->buf = bigger;
    t->cap = cap;
    return HFX_OK;
}

/* Makes room for the next block when t is full: doubles it (CHUNK bytes at first), never past
 * limit + 1 in all (one byte past the limit is how too_large() is detected). A file's buffer is
 * sized from its length up front (read_stream), so it is read in one block with no copy. */
static enum hfx_status text_reserve(struct text * t, struct hfx_error * err) {
    if (t->cap > t->len) { /* t->len <= t->limit while reading */
        return HFX_OK;
    }
    return text_grow(t, !t->cap ? CHUNK : t->cap > SIZE_MAX / 2 ? SIZE_MAX : t->cap * 2, err);
}

/* Zeroes the padding after the text (simdjson reads it; its content must not depend on old bytes). */
static void text_pad(struct text * t) {
    if (t->buf) {
        memset(t->buf + t->len, 0, PADDING);
    }
}

/* The error for the first NUL byte of buf[from, len), if any, with its line and column in buf. */
static enum hfx_status check_nul(const char * buf, size_t from, size_t len, struct hfx_error * err) {
    const char * nul = len > from ? memchr(buf + from, '\0', len - from) : NULL;
    if (!nul) {
        return HFX_OK;
    }
    int          line = 1;
    const char * bol  = buf;
    for (const char * c = buf; c < nul; c++) {
        if (*c == '\n') {
            line++;
            bol = c + 1;
        }
    }
    hfx__error(err, HFX_ERR_JSON, NULL, "NUL byte in the input (JSON text cannot contain one)");
    if (err) {
        err->line   = line;
        err->column = (int) (nul - bol) + 1;
    }
    return HFX_ERR_JSON;
}

static bool gzip_magic(const unsigned char * p, size_t n) {
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

/* Reads f to its end into t (at most t->limit bytes). Input that does not start like gzip is
 * checked for NUL bytes block by block, so that /dev/zero fails at once. */
static enum hfx_status read_stream(FILE * f, struct text * t, struct hfx_error * err) {
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        /* one more byte than the file holds, so that the read that meets its end needs no growth */
        size_t          want = (uint64_t) sb.st_size < t->limit ? (size_t) sb.st_size + 1 : t->limit + 1;
        enum hfx_status st   = text_grow(t, want, err);
        if (st != HFX_OK) {
            return st;
        }
    }
    for (;;) {
        enum hfx_status st = text_reserve(t, err);
        if (st != HFX_OK) {
            return st;
        }
        size_t from = t->len;
        size_t n    = fread(t->buf + t->len, 1, t->cap - t->len, f);
        t->len += n;
        if (t->len > t->limit) {
            return too_large(t, err);
        }
        bool plain = !gzip_magic((const unsigned char *) t->buf, t->len);
        if (plain && (st = check_nul(t->buf, from, t->len, err)) != HFX_OK) {
            return st;
        }
        if (n == 0 || feof(f) || ferror(f)) {
            break;
        }
    }
    if (ferror(f)) {
        int e = errno;
        return hfx__error(err, HFX_ERR_IO, NULL, "cannot read file: %s", e ? strerror(e) : "read error");
    }
    return HFX_OK;
}

/* Gunzips in[0, n) into out: one or more gzip members (as gunzip reads them), nothing after. */
static enum hfx_status gunzip(const unsigned char * in, size_t n, struct text * out, struct hfx_error * err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) { /* 15 + 16: a gzip wrapper, the largest window */
        return hfx__error_oom(err, "the gzip decoder", sizeof zs);
    }
    out->gunzipped     = true;
    size_t          used = 0; /* input consumed, over all members */
    enum hfx_status st   = HFX_OK;
    while (st == HFX_OK) {
        if ((st = text_reserve(out, err)) != HFX_OK) {
            break;
        }
        /* zlib counts in unsigned int: feed at most 1 GiB of input per call */
        size_t left   = n - used;
        zs.next_in    = (unsigned char *) in + used;
        zs.avail_in   = (unsigned) (left > (1u << 30) ? (1u << 30) : left);
        zs.next_out   = (unsigned char *) out->buf + out->len;
        zs.avail_out  = (unsigned) (out->cap - out->len > (1u << 30) ? (1u << 30) : out->cap - out->len);
        unsigned in0  = zs.avail_in, out0 = zs.avail_out;
        int      ret  = inflate(&zs, Z_NO_FLUSH);
        size_t   from = out->len;
        used += in0 - zs.avail_in;
        out->len += out0 - zs.avail_out;
        if (out->len > out->limit) {
            st = too_large(out, err);
            break;
        }
        if ((st = check_nul(out->buf, from, out->len, err)) != HFX_OK) {
            break;
        }
        if (ret == Z_STREAM_END) {
            if (used == n) {
                break;
            }
            if (!gzip_magic(in + used, n - used)) {
                st = hfx__error(err, HFX_ERR_IO, NULL,
                                "gzip data followed by %zu byte%s that are not gzip (from byte %zu of the file)",
                                n - used, n - used == 1 ? "" : "s", used);
                break;
            }
            inflateReset(&zs); /* the next member */
        } else if (ret == Z_MEM_ERROR) {
            st = hfx__error_oom(err, "the gzip decoder's window", (size_t) 1 << 15);
        } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
            st = hfx__error(err, HFX_ERR_IO, NULL, "corrupt gzip data: %s", zs.msg ? zs.msg : "inflate failed");
        } else if (used == n && zs.avail_out > 0) {
            /* all input consumed, room left for output, and no end of stream: the data stops early */
            st = hfx__error(err, HFX_ERR_IO, NULL,
                            "truncated gzip data: the file ends before the gzip stream does (cut in its "
                            "compressed data or its trailer)");
        }
    }
    inflateEnd(&zs);
    return st;
}

/* Parses len bytes; fills err (code, line, column, msg) on failure. padded: buf has PADDING readable
 * bytes after its text. simdjson (json-simd.cc) parses first where it is built in; whatever it
 * declines, jansson parses again, so every error below is jansson's. */
static enum hfx_status parse_buffer(const char * buf, size_t len, bool padded, json_t ** out,
                                    struct hfx_error * err) {
#ifdef HFX_USE_SIMDJSON
    if ((*out = hfx__json_simd_load(buf, len, padded)) != NULL) {
        return HFX_OK;
    }
#else
    (void) padded;
#endif
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
    } else if (json_error_code(&jerr) == json_error_out_of_memory) {
        hfx__error(err, code, NULL, "out of memory building the JSON tree of a %zu-byte document", len);
    } else if (strstr(jerr.text, "maximum parsing depth")) {
        const char * near = strstr(jerr.text, " near ");
        hfx__error(err, code, NULL, "nesting deeper than %d levels%s", HFX_JSON_DEPTH_MAX, near ? near : "");
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

/* Gunzips data if it starts like gzip, checks the text for NUL bytes (plain input from read_stream
 * was checked already; checking again is cheap) and parses it; name is the source of errors.
 * padded: data has PADDING bytes after len that may be read (and are zero). */
static enum hfx_status load_bytes(const char * data, size_t len, bool padded, size_t limit, const char * name,
                                  json_t ** out, struct hfx_error * err) {
    struct hfx_error tmp  = { 0 };
    struct text      text = { NULL, 0, 0, limit, false };
    enum hfx_status  st   = HFX_OK;
    if (len > limit) {
        struct text whole = { NULL, len, len, limit, false };
        st                = too_large(&whole, &tmp);
    } else if (gzip_magic((const unsigned char *) data, len)) {
        st = gunzip((const unsigned char *) data, len, &text, &tmp);
        if (st == HFX_OK) {
            text_pad(&text);
            st = parse_buffer(text.buf, text.len, text.buf != NULL, out, &tmp);
        }
    } else if ((st = check_nul(data, 0, len, &tmp)) == HFX_OK) {
        st = parse_buffer(data, len, padded, out, &tmp);
    }
    text_free(&text);
    if (st != HFX_OK && err) {
        *err = tmp;
        snprintf(err->source, sizeof err->source, "%s", name);
    }
    return st;
}

static enum hfx_status load_stream(FILE * f, size_t limit, const char * name, json_t ** out, struct hfx_error * err) {
    struct text      raw = { NULL, 0, 0, limit, false };
    struct hfx_error tmp = { 0 };
    enum hfx_status  st  = read_stream(f, &raw, &tmp);
    fclose(f);
    if (st == HFX_OK) {
        text_pad(&raw);
        st = load_bytes(raw.buf, raw.len, raw.buf != NULL, limit, name, out, err);
    } else if (err) {
        *err = tmp;
        snprintf(err->source, sizeof err->source, "%s", name);
    }
    text_free(&raw);
    return st;
}

enum hfx_status hfx__json_load_file_limit(const char * path, size_t limit, json_t ** out, struct hfx_error * err) {
    if (!path || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_load_file: NULL argument");
    }
    *out = NULL;
    if (path[0] == '\0') {
        hfx__error(err, HFX_ERR_IO, NULL, "cannot open file: the file name is empty");
        hfx__error_source(err, "''");
        return HFX_ERR_IO;
    }
    errno    = 0;
    FILE * f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        hfx__error(err, HFX_ERR_IO, NULL, "cannot open file: %s", e ? strerror(e) : "fopen failed");
        hfx__error_source(err, path);
        return HFX_ERR_IO;
    }
    return load_stream(f, limit, path, out, err);
}

enum hfx_status hfx__json_load_file(const char * path, json_t ** out, struct hfx_error * err) {
    return hfx__json_load_file_limit(path, HFX_INPUT_BYTES_MAX, out, err);
}

enum hfx_status hfx__json_load_fd(int fd, const char * name, json_t ** out, struct hfx_error * err) {
    if (!out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_load_fd: NULL argument");
    }
    *out       = NULL;
    name       = name ? name : "<fd>";
    int    copy = fd >= 0 ? dup(fd) : -1; /* fclose closes the copy; the caller keeps fd */
    FILE * f    = copy >= 0 ? fdopen(copy, "rb") : NULL;
    if (!f) {
        int e = errno;
        if (copy >= 0) {
            close(copy);
        }
        hfx__error(err, HFX_ERR_IO, NULL, "cannot read: %s", strerror(e));
        hfx__error_source(err, name);
        return HFX_ERR_IO;
    }
    return load_stream(f, HFX_INPUT_BYTES_MAX, name, out, err);
}

enum hfx_status hfx__json_load_buffer(const void * data, size_t len, const char * name, json_t ** out,
                                      struct hfx_error * err) {
    if ((!data && len) || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_load_buffer: NULL argument");
    }
    *out = NULL;
    return load_bytes(len ? data : "", len, false, HFX_INPUT_BYTES_MAX, name ? name : "<string>", out, err);
}

enum hfx_status hfx__json_load_string(const char * text, const char * name, json_t ** out, struct hfx_error * err) {
    if (!text || !out) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx__json_load_string: NULL argument");
    }
    return hfx__json_load_buffer(text, strlen(text), name, out, err);
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

/* Two passes of json_dumpb, the first to measure: its sink never fails, so the text cannot come out
 * short, and the only allocations left (jansson's loop check, sorted keys) report their failure. */
char * hfx__json_dumps(const json_t * v, size_t flags) {
    char   probe[1];
    size_t n = json_dumpb(v, probe, 0, flags);
    char * text = n ? hfx__malloc(n + 1) : NULL;
    if (!text) {
        return NULL;
    }
    if (json_dumpb(v, text, n, flags) != n) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}
