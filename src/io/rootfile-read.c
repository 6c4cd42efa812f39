/*
 * rootfile-read.c -- 1-D histograms out of ROOT files, as HistFactory inputs need them.
 *
 * The format (read from uproot's and ROOT's sources, written here from scratch): a header ("root",
 * version, fBEGIN, then 32- or 64-bit seeks: "big" files have version >= 1000000); the top directory
 * record at fBEGIN + fNbytesName; each directory has a key list at fSeekKeys; each key names an object
 * stored at fSeekKey + fKeyLen, either raw (fNbytes - fKeyLen == fObjLen) or as compressed blocks with
 * a 9-byte header ("ZL" zlib, "L4" LZ4 with an 8-byte checksum, "ZS" ZSTD). Everything big-endian.
 * Every read is bounds-checked against the file or buffer, so a damaged file gives an error naming
 * what is wrong and where, never a read outside it.
 */
#include "io/io.h"
#include "core/size-check.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <lz4.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>
#include <jansson.h>

/* Objects larger than this are refused before allocating (histograms are kilobytes). */
#define MAX_OBJECT_BYTES ((size_t) 1 << 30)
#define MAX_KEYS         10000000
#define MAX_DEPTH        64
#define BYTECOUNT_FLAG   0x40000000u

/* A TKey's fields, read with ROOT's types (Int_t, Short_t, Long64_t: signed) and checked not negative,
 * so that a damaged or unusual field is refused as ROOT and uproot see it, never read as a huge count. */
struct key {
    char *   name;
    char *   class_name;
    int      cycle;
    uint64_t seek;
    uint32_t n_bytes;
    uint32_t obj_len;
    uint16_t key_len;
};

struct dir {
    struct key * keys;
    size_t       n_keys;
    json_t *     index; /* name -> index of its highest cycle; built on first lookup */
};

struct hfx__root {
    FILE *                file;     /* NULL for memory */
    const unsigned char * mem;
    uint64_t              size;
    char *                name;
    struct dir            top;
};

/* A bounds-checked big-endian reader over one buffer. */
struct cursor {
    const unsigned char * p;
    size_t                n;
    size_t                pos;
    bool                  bad;
};

static bool need(struct cursor * c, size_t k) {
    if (c->bad || c->pos > c->n || k > c->n - c->pos) { /* pos may have been set from the file */
        c->bad = true;
        return false;
    }
    return true;
}

static uint64_t be(struct cursor * c, size_t k) {
    uint64_t v = 0;
    if (!need(c, k)) {
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        v = (v << 8) | c->p[c->pos + i];
    }
    c->pos += k;
    return v;
}

/* Big-endian signed fields (ROOT's Short_t, Int_t, Long64_t): the bits of the unsigned read,
 * converted through memcpy (a conversion of an out-of-range value would be implementation-defined). */
static int16_t be_i16(struct cursor * c) {
    uint16_t u = (uint16_t) be(c, 2);
    int16_t  v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int32_t be_i32(struct cursor * c) {
    uint32_t u = (uint32_t) be(c, 4);
    int32_t  v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static int64_t be_i64(struct cursor * c) {
    uint64_t u = be(c, 8);
    int64_t  v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A seek (file offset): Int_t in small records, Long64_t in big ones (version > 1000). */
static int64_t be_seek(struct cursor * c, bool big) {
    return big ? be_i64(c) : (int64_t) be_i32(c);
}

static void skip(struct cursor * c, size_t k) {
    if (need(c, k)) {
        c->pos += k;
    }
}

static double be_double(struct cursor * c) {
    uint64_t b = be(c, 8);
    double   d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static float be_float(struct cursor * c) {
    uint32_t b = (uint32_t) be(c, 4);
    float    f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* A TString: one length byte, or 255 and a 4-byte length. Returns a malloc'd copy (NULL if bad). */
static char * tstring(struct cursor * c) {
    size_t len = (size_t) be(c, 1);
    if (len == 255) {
        len = (size_t) be(c, 4);
    }
    if (!need(c, len)) {
        return NULL;
    }
    char * s = hfx__malloc(len + 1);
    if (s) {
        memcpy(s, c->p + c->pos, len);
        s[len] = '\0';
    }
    c->pos += len;
    return s;
}

/* An error about file f: the message, with the file as its source. */
static enum hfx_status fail(struct hfx__root * f, struct hfx_error * err, enum hfx_status code, const char * fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum hfx_status fail(struct hfx__root * f, struct hfx_error * err, enum hfx_status code, const char * fmt, ...) {
    char    msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hfx__error(err, code, NULL, "%s", msg);
    if (err && f && f->name) {
        snprintf(err->source, sizeof err->source, "%s", f->name);
    }
    return code;
}

/* Reads len bytes at offset into a new buffer. */
static enum hfx_status read_at(struct hfx__root * f, uint64_t offset, size_t len, unsigned char ** out,
                               struct hfx_error * err) {
    *out = NULL;
    if (offset > f->size) { /* two messages: offset + len - size could wrap */
        return fail(f, err, HFX_ERR_IO, "truncated ROOT file: a record at byte %llu, past the end (%llu bytes)",
                    (unsigned long long) offset, (unsigned long long) f->size);
    }
    if (len > f->size - offset) {
        return fail(f, err, HFX_ERR_IO, "truncated ROOT file: %llu bytes past the end",
                    (unsigned long long) (len - (f->size - offset)));
    }
    unsigned char * buf = hfx__malloc(len ? len : 1);
    if (!buf) {
        return fail(f, err, HFX_ERR_ALLOC, "out of memory reading %zu bytes", len);
    }
    if (f->file) {
        if (fseeko(f->file, (off_t) offset, SEEK_SET) != 0 || fread(buf, 1, len, f->file) != len) {
            free(buf);
            return fail(f, err, HFX_ERR_IO, "cannot read %zu bytes", len);
        }
    } else {
        memcpy(buf, f->mem + offset, len);
    }
    *out = buf;
    return HFX_OK;
}

static void key_free(struct key * k) {
    free(k->name);
    free(k->class_name);
}

static void dir_free(struct dir * d) {
    for (size_t i = 0; i < d->n_keys; i++) {
        key_free(&d->keys[i]);
    }
    free(d->keys);
    json_decref(d->index);
    d->keys   = NULL;
    d->n_keys = 0;
    d->index  = NULL;
}

/* A key header (TKey) at the cursor; the title is read and dropped. */
static bool parse_key(struct cursor * c, struct key * k) {
    memset(k, 0, sizeof *k);
    int32_t n_bytes = be_i32(c);
    int16_t version = be_i16(c);
    int32_t obj_len = be_i32(c);
    skip(c, 4); /* datime */
    int16_t key_len = be_i16(c);
    k->cycle        = be_i16(c);
    bool    big     = version > 1000;
    int64_t seek    = be_seek(c, big);
    skip(c, big ? 8 : 4); /* seek of the parent directory */
    if (c->bad || n_bytes < 0 || obj_len < 0 || key_len < 0 || seek < 0) {
        c->bad = true;
        return false;
    }
    k->n_bytes    = (uint32_t) n_bytes;
    k->obj_len    = (uint32_t) obj_len;
    k->key_len    = (uint16_t) key_len;
    k->seek       = (uint64_t) seek;
    k->class_name = tstring(c);
    k->name       = tstring(c);
    char * title  = tstring(c);
    free(title);
    if (c->bad || !k->class_name || !k->name) {
        key_free(k);
        return false;
    }
    return true;
}

/* The key list of the directory whose record starts at rec (a TDirectory streamed by hand). */
static enum hfx_status read_dir(struct hfx__root * f, struct cursor * rec, struct dir * d, struct hfx_error * err) {
    memset(d, 0, sizeof *d);
    int16_t version = be_i16(rec); /* TDirectory's fields: Version_t, Int_t, Long64_t or Int_t seeks */
    skip(rec, 8);                  /* ctime, mtime */
    int32_t n_bytes_keys = be_i32(rec);
    skip(rec, 4); /* n_bytes_name */
    bool big = version > 1000;
    skip(rec, 2 * (big ? 8 : 4)); /* seek of this directory, of the parent */
    int64_t seek_keys = be_seek(rec, big);
    if (rec->bad) {
        return fail(f, err, HFX_ERR_IO, "truncated directory record (%zu bytes)", rec->n);
    }
    if (n_bytes_keys < 0 || seek_keys < 0) {
        return fail(f, err, HFX_ERR_IO, "bad directory record: negative %s (%lld)",
                    n_bytes_keys < 0 ? "key list size" : "key list offset",
                    n_bytes_keys < 0 ? (long long) n_bytes_keys : (long long) seek_keys);
    }
    if (seek_keys == 0) {
        return HFX_OK; /* an empty directory */
    }
    unsigned char * buf = NULL;
    enum hfx_status st  = read_at(f, (uint64_t) seek_keys, (size_t) n_bytes_keys, &buf, err);
    if (st != HFX_OK) {
        return st;
    }
    struct cursor c = {buf, (size_t) n_bytes_keys, 0, false};
    struct key    self;
    if (!parse_key(&c, &self)) {
        free(buf);
        return fail(f, err, HFX_ERR_IO, "bad key list header at byte %llu", (unsigned long long) seek_keys);
    }
    key_free(&self);
    c.pos           = self.key_len;
    int32_t n_keys  = (int32_t) be(&c, 4);
    /* Each key header is at least 26 bytes: a count beyond what the block holds is damage. */
    if (c.bad || n_keys < 0 || n_keys > MAX_KEYS || (size_t) n_keys > (c.n - c.pos) / 26) {
        free(buf);
        return fail(f, err, HFX_ERR_IO, "bad key count %ld in the key list at byte %llu", (long) n_keys,
                    (unsigned long long) seek_keys);
    }
    size_t bytes = 0;
    d->keys      = hfx__count_ok((uint64_t) n_keys + 1, sizeof *d->keys, &bytes) ? hfx__calloc(1, bytes) : NULL;
    if (!d->keys) {
        free(buf);
        return fail(f, err, HFX_ERR_ALLOC, "out of memory for %ld keys", (long) n_keys);
    }
    for (int32_t i = 0; i < n_keys; i++) {
        if (!parse_key(&c, &d->keys[i])) {
            free(buf);
            dir_free(d);
            return fail(f, err, HFX_ERR_IO, "bad key %ld in the key list at byte %llu", (long) i, (unsigned long long) seek_keys);
        }
        d->n_keys++;
    }
    free(buf);
    return HFX_OK;
}

static enum hfx_status open_common(struct hfx__root * f, struct hfx_error * err) {
    unsigned char * hdr = NULL;
    size_t          n   = f->size < 100 ? (size_t) f->size : 100;
    enum hfx_status st  = read_at(f, 0, n, &hdr, err);
    if (st != HFX_OK) {
        return st;
    }
    struct cursor c = {hdr, n, 0, false};
    if (n < 4 || memcmp(hdr, "root", 4) != 0) {
        free(hdr);
        return fail(f, err, HFX_ERR_IO, "not a ROOT file (no 'root' at its start)");
    }
    skip(&c, 4);
    /* TFile's header fields are Int_t: ROOT and uproot read a version of 0xfff1b180 (pyhf's
     * xmlimport_input4) as negative, so a small file, not a big one with 64-bit seeks */
    int32_t version = be_i32(&c);
    int32_t begin   = be_i32(&c);
    size_t  seek    = version >= 1000000 ? 8 : 4;
    skip(&c, seek);     /* fEND */
    skip(&c, seek);     /* fSeekFree */
    skip(&c, 4 + 4);    /* fNbytesFree, nfree */
    int32_t n_bytes_name = be_i32(&c);
    free(hdr);
    if (c.bad) {
        return fail(f, err, HFX_ERR_IO, "truncated ROOT file header (%zu bytes)", n);
    }
    if (begin < 0 || n_bytes_name < 0) {
        return fail(f, err, HFX_ERR_IO, "bad ROOT file header: negative %s (%ld)", begin < 0 ? "fBEGIN" : "fNbytesName",
                    (long) (begin < 0 ? begin : n_bytes_name));
    }
    /* The directory record: at most 2 + 8 + 12 + 3*8 + 18 + padding bytes. */
    uint64_t at = (uint64_t) begin + (uint64_t) n_bytes_name;
    size_t   len = 80;
    if (at > f->size) {
        return fail(f, err, HFX_ERR_IO, "truncated ROOT file: the top directory lies past the end (byte %llu)",
                    (unsigned long long) at);
    }
    if (len > f->size - at) {
        len = (size_t) (f->size - at);
    }
    unsigned char * rec = NULL;
    st                  = read_at(f, at, len, &rec, err);
    if (st != HFX_OK) {
        return st;
    }
    struct cursor rc = {rec, len, 0, false};
    st               = read_dir(f, &rc, &f->top, err);
    free(rec);
    return st;
}

enum hfx_status hfx__root_open(const char * path, struct hfx__root ** out, struct hfx_error * err) {
    *out                = NULL;
    struct hfx__root * f = hfx__calloc(1, sizeof *f);
    if (!f || !(f->name = hfx__strdup(path))) {
        free(f);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory opening %s", path);
    }
    /* The system's reason, as the JSON loader gives it: fopen opens a directory on Linux, which only
     * the first read refuses, so it is asked first; a symbolic-link loop fails in fopen (ELOOP). */
    struct stat  st_path;
    int          e      = 0;
    const char * action = "open";
    f->file             = fopen(path, "rb");
    if (!f->file) {
        e = errno;
    } else if (fstat(fileno(f->file), &st_path) != 0) {
        e = errno;
    } else if (S_ISDIR(st_path.st_mode)) {
        e = EISDIR, action = "read";
    } else if (fseeko(f->file, 0, SEEK_END) != 0) {
        e = errno, action = "read";
    }
    if (e != 0 || !f->file) {
        hfx__root_close(f);
        hfx__error(err, HFX_ERR_IO, NULL, "cannot %s ROOT file: %s", action, strerror(e ? e : EIO));
        if (err) {
            snprintf(err->source, sizeof err->source, "%s", path);
        }
        return HFX_ERR_IO;
    }
    f->size            = (uint64_t) ftello(f->file);
    enum hfx_status st = open_common(f, err);
    if (st != HFX_OK) {
        hfx__root_close(f);
        return st;
    }
    *out = f;
    return HFX_OK;
}

enum hfx_status hfx__root_open_memory(const unsigned char * buf, size_t len, const char * name, struct hfx__root ** out,
                                      struct hfx_error * err) {
    *out                = NULL;
    struct hfx__root * f = hfx__calloc(1, sizeof *f);
    if (!f || !(f->name = hfx__strdup(name))) {
        free(f);
        return hfx__error(err, HFX_ERR_ALLOC, NULL, "out of memory");
    }
    f->mem             = buf;
    f->size            = len;
    enum hfx_status st = open_common(f, err);
    if (st != HFX_OK) {
        hfx__root_close(f);
        return st;
    }
    *out = f;
    return HFX_OK;
}

void hfx__root_close(struct hfx__root * f) {
    if (f) {
        if (f->file) {
            fclose(f->file);
        }
        dir_free(&f->top);
        free(f->name);
        free(f);
    }
}

/* The key called name (length len) with the highest cycle, or NULL. Directories of thousands of
 * histograms are looked up thousands of times: through a hash index, not a scan. */
static const struct key * find_key(struct dir * d, const char * name, size_t len) {
    if (!d->index) {
        d->index = json_object();
        for (size_t i = 0; d->index && i < d->n_keys; i++) {
            json_t * seen = json_object_get(d->index, d->keys[i].name);
            if (!seen || d->keys[json_integer_value(seen)].cycle < d->keys[i].cycle) {
                json_object_set_new_nocheck(d->index, d->keys[i].name, json_integer((json_int_t) i));
            }
        }
        if (!d->index) {
            return NULL;
        }
    }
    json_t * at = json_object_getn(d->index, name, len);
    return at ? &d->keys[json_integer_value(at)] : NULL;
}

static bool is_directory(const struct key * k) {
    return strcmp(k->class_name, "TDirectory") == 0 || strcmp(k->class_name, "TDirectoryFile") == 0;
}

/* Walks path through subdirectories; *out is the key of its last component. Subdirectory key lists
 * are read into *scratch (freed by the caller). */
static enum hfx_status lookup(struct hfx__root * f, const char * path, struct key * out, struct dir * scratch,
                              struct hfx_error * err) {
    struct dir * d = &f->top;
    memset(scratch, 0, sizeof *scratch);
    while (*path == '/') {
        path++;
    }
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
        const char *       slash = strchr(path, '/');
        size_t             len   = slash ? (size_t) (slash - path) : strlen(path);
        const struct key * k     = find_key(d, path, len);
        if (!k) {
            return fail(f, err, HFX_ERR_NOT_FOUND, "no object '%s' in the file", path);
        }
        if (!slash || slash[1] == '\0') {
            *out = *k;
            return HFX_OK;
        }
        if (!is_directory(k)) {
            return fail(f, err, HFX_ERR_NOT_FOUND, "'%s' is not a directory", k->name);
        }
        unsigned char * rec = NULL;
        size_t          n   = k->n_bytes > k->key_len ? k->n_bytes - k->key_len : 0;
        enum hfx_status st  = read_at(f, k->seek + k->key_len, n, &rec, err);
        if (st != HFX_OK) {
            return st;
        }
        struct dir    sub;
        struct cursor c = {rec, n, 0, false};
        st              = read_dir(f, &c, &sub, err);
        free(rec);
        if (st != HFX_OK) {
            return st;
        }
        dir_free(scratch);
        *scratch = sub;
        d        = scratch;
        path     = slash + 1;
    }
    return fail(f, err, HFX_ERR_IO, "directories nested too deep (over %d)", MAX_DEPTH);
}

bool hfx__root_has(struct hfx__root * f, const char * path) {
    struct key       k;
    struct dir       scratch;
    struct hfx_error err = {0};
    bool             ok  = lookup(f, path, &k, &scratch, &err) == HFX_OK;
    dir_free(&scratch);
    return ok;
}

static char printable(unsigned char c) {
    return c >= 32 && c < 127 ? (char) c : '?';
}

/* One compressed block into dst (exactly dst_len bytes). */
static bool decompress_block(const char alg[2], const unsigned char * src, size_t src_len, unsigned char * dst,
                             size_t dst_len) {
    if (memcmp(alg, "ZL", 2) == 0) {
        uLongf out_len = (uLongf) dst_len;
        return uncompress(dst, &out_len, src, (uLong) src_len) == Z_OK && out_len == dst_len;
    }
    if (memcmp(alg, "L4", 2) == 0) {
        if (src_len < 8 || src_len - 8 > INT_MAX || dst_len > INT_MAX) {
            return false;
        }
        /* 8 bytes of xxhash checksum precede the LZ4 block; the block's own bounds checks suffice here. */
        int n = LZ4_decompress_safe((const char *) src + 8, (char *) dst, (int) (src_len - 8), (int) dst_len);
        return n >= 0 && (size_t) n == dst_len;
    }
    if (memcmp(alg, "ZS", 2) == 0) {
        size_t n = ZSTD_decompress(dst, dst_len, src, src_len);
        return !ZSTD_isError(n) && n == dst_len;
    }
    return false;
}

/* The object of key k, uncompressed, in a new buffer of k->obj_len bytes. */
static enum hfx_status read_object(struct hfx__root * f, const struct key * k, unsigned char ** out,
                                   struct hfx_error * err) {
    *out = NULL;
    if (k->obj_len > MAX_OBJECT_BYTES || k->n_bytes < k->key_len) {
        return fail(f, err, HFX_ERR_IO, "bad key for '%s' (object of %lu bytes)", k->name, (unsigned long) k->obj_len);
    }
    unsigned char * raw = NULL;
    size_t          n   = k->n_bytes - k->key_len;
    enum hfx_status st  = read_at(f, k->seek + k->key_len, n, &raw, err);
    if (st != HFX_OK) {
        return st;
    }
    if (n == k->obj_len) {
        *out = raw;
        return HFX_OK;
    }
    unsigned char * obj = hfx__malloc(k->obj_len ? k->obj_len : 1);
    if (!obj) {
        free(raw);
        return fail(f, err, HFX_ERR_ALLOC, "out of memory for '%s' (%lu bytes)", k->name, (unsigned long) k->obj_len);
    }
    size_t in = 0, done = 0;
    while (done < k->obj_len) {
        if (n - in < 9) {
            free(raw);
            free(obj);
            return fail(f, err, HFX_ERR_IO, "truncated compressed object '%s' (block at byte %zu)", k->name, in);
        }
        const unsigned char * h   = raw + in;
        size_t                c_n = (size_t) h[3] | (size_t) h[4] << 8 | (size_t) h[5] << 16;
        size_t                u_n = (size_t) h[6] | (size_t) h[7] << 8 | (size_t) h[8] << 16;
        if (c_n > n - in - 9 || u_n > k->obj_len - done) {
            free(raw);
            free(obj);
            return fail(f, err, HFX_ERR_IO, "bad compression header in '%s' (block at byte %zu)", k->name, in);
        }
        if (!decompress_block((const char *) h, h + 9, c_n, obj + done, u_n)) {
            char a0 = printable(h[0]), a1 = printable(h[1]);
            free(raw);
            free(obj);
            return fail(f, err, HFX_ERR_IO, "cannot decompress '%s' (algorithm '%c%c'), block at byte %zu", k->name, a0, a1, in);
        }
        in += 9 + c_n;
        done += u_n;
        if (u_n == 0) {
            break;
        }
    }
    free(raw);
    if (done != k->obj_len) {
        free(obj);
        return fail(f, err, HFX_ERR_IO, "compressed object '%s' is short of %zu bytes", k->name,
                    (size_t) k->obj_len - done);
    }
    *out = obj;
    return HFX_OK;
}

/* A byte count and version; *end is where the streamed object ends. Byte counts are required. */
static bool versioned(struct cursor * c, size_t * end) {
    uint32_t bc = (uint32_t) be(c, 4);
    if (c->bad || !(bc & BYTECOUNT_FLAG)) {
        c->bad = true;
        return false;
    }
    size_t count = bc & ~BYTECOUNT_FLAG;
    if (count > c->n - c->pos || count < 2) {
        c->bad = true;
        return false;
    }
    *end = c->pos + count;
    skip(c, 2);
    return !c->bad;
}

static void skip_versioned(struct cursor * c) {
    size_t end;
    if (versioned(c, &end)) {
        c->pos = end;
    }
}

static size_t element_size(const char * class_name) {
    static const struct {
        const char * name;
        size_t       size;
    } types[] = {{"TH1D", 8}, {"TH1F", 4}, {"TH1I", 4}, {"TH1S", 2}, {"TH1C", 1}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(class_name, types[i].name) == 0) {
            return types[i].size;
        }
    }
    return 0;
}

static double element(struct cursor * c, size_t size) {
    switch (size) {
    case 8: return be_double(c);
    case 4: return 0; /* handled by the caller: float or int32 */
    case 2: return (double) (int16_t) be(c, 2);
    default: return (double) (int8_t) be(c, 1);
    }
}

enum hfx_status hfx__root_read_hist(struct hfx__root * f, const char * path, double ** values, double ** errors,
                                    size_t * n_bins, struct hfx_error * err) {
    *values = *errors = NULL;
    *n_bins           = 0;
    struct key      k;
    struct dir      scratch;
    enum hfx_status st = lookup(f, path, &k, &scratch, err);
    if (st != HFX_OK) {
        dir_free(&scratch);
        return st;
    }
    size_t esize = element_size(k.class_name);
    if (esize == 0) {
        st = fail(f, err, HFX_ERR_UNSUPPORTED, "'%s' is a %s, not a 1-D histogram (TH1D/F/I/S/C)", path, k.class_name);
        dir_free(&scratch); /* k's strings live in scratch when the histogram is in a subdirectory */
        return st;
    }
    bool            is_float = strcmp(k.class_name, "TH1F") == 0;
    unsigned char * obj      = NULL;
    st                       = read_object(f, &k, &obj, err);
    dir_free(&scratch);
    if (st != HFX_OK) {
        return st;
    }
    struct cursor c = {obj, k.obj_len, 0, false};
    size_t        end_h, end_th1, end_axis;
    double *      sumw2 = NULL, *v = NULL, *e = NULL;
    int32_t       n_cells = 0, n_axis = 0, n_sumw2 = 0, n_array = 0;
    if (versioned(&c, &end_h) && versioned(&c, &end_th1)) {
        skip_versioned(&c); /* TNamed */
        skip_versioned(&c); /* TAttLine */
        skip_versioned(&c); /* TAttFill */
        skip_versioned(&c); /* TAttMarker */
        n_cells = (int32_t) be(&c, 4);
        if (versioned(&c, &end_axis)) {
            skip_versioned(&c); /* TNamed */
            skip_versioned(&c); /* TAttAxis */
            n_axis = (int32_t) be(&c, 4);
            c.pos  = c.bad ? c.pos : end_axis;
        }
        skip_versioned(&c); /* y axis */
        skip_versioned(&c); /* z axis */
        skip(&c, 2 + 2 + 8 * 8);
        int32_t n_contour = (int32_t) be(&c, 4);
        if (n_contour < 0 || (size_t) n_contour > (c.n - c.pos) / 8) {
            c.bad = true;
        }
        skip(&c, (size_t) n_contour * 8);
        n_sumw2 = (int32_t) be(&c, 4);
        if (!c.bad && n_cells >= 2 && n_axis == n_cells - 2 && (n_sumw2 == 0 || n_sumw2 == n_cells) &&
            (size_t) n_sumw2 <= (c.n - c.pos) / 8) {
            sumw2 = hfx__malloc(((size_t) n_sumw2 + 1) * sizeof *sumw2);
            for (int32_t i = 0; sumw2 && i < n_sumw2; i++) {
                sumw2[i] = be_double(&c);
            }
            c.pos   = c.bad ? c.pos : end_th1;
            n_array = (int32_t) be(&c, 4);
        } else {
            c.bad = true;
        }
    }
    if (c.bad || n_array != n_cells || (size_t) n_cells > (c.n - c.pos) / esize) {
        free(sumw2);
        free(obj);
        return fail(f, err, HFX_ERR_IO, "malformed histogram '%s' (streamed %lu bytes)", path, (unsigned long) k.obj_len);
    }
    size_t n     = (size_t) n_cells - 2;
    size_t bytes = 0; /* n < n_cells, itself bounded by the object's size above: the check cannot fail */
    if (hfx__count_ok((uint64_t) n + 1, sizeof *v, &bytes)) {
        v = hfx__malloc(bytes);
        e = hfx__malloc(bytes);
    }
    if (!v || !e || (n_sumw2 && !sumw2)) {
        free(sumw2), free(obj), free(v), free(e);
        return fail(f, err, HFX_ERR_ALLOC, "out of memory reading '%s' (%zu bins)", path, n);
    }
    for (int32_t i = 0; i < n_cells; i++) {
        double x;
        if (esize == 4) {
            x = is_float ? (double) be_float(&c) : (double) (int32_t) be(&c, 4);
        } else {
            x = element(&c, esize);
        }
        if (i >= 1 && (size_t) i <= n) {
            /* uproot's variances (pyhf reads through it): fSumw2 where given, else the content; a
             * negative content without fSumw2 has variance 0 (sqrt of it was a NaN error) */
            double w2 = n_sumw2 ? sumw2[i] : x > 0 ? x : 0.0;
            v[i - 1]  = x;
            e[i - 1]  = sqrt(w2);
            /* refused where it enters: a NaN would be dropped or spread through the fit silently, and
             * a negative fSumw2 is no variance (uproot reads it as 0 without a word) */
            const char * what = !isfinite(x) ? "content" : !isfinite(w2) ? "fSumw2" : w2 < 0 ? "fSumw2" : NULL;
            if (what) {
                double bad_value = !isfinite(x) ? x : w2;
                free(sumw2), free(obj), free(v), free(e);
                return fail(f, err, HFX_ERR_IO, "histogram '%s': bin %ld has %s %s %g (ROOT's numbering, from 1)", path,
                            (long) i, w2 < 0 && isfinite(x) && isfinite(w2) ? "a negative" : "a non-finite", what,
                            bad_value);
            }
        }
    }
    free(sumw2);
    free(obj);
    if (n == 0) {
        free(v), free(e);
        return fail(f, err, HFX_ERR_IO, "histogram '%s' has no bins", path);
    }
    *values = v;
    *errors = e;
    *n_bins = n;
    return HFX_OK;
}
