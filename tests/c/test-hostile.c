/*
 * test-hostile.c -- the library's defences against hostile input (issue 9; the CLI side is
 * tests/python/test_cli_hostile.py over tests/data/hostile/): the input size limit (exactly at it,
 * one byte over, and a gzip bomb), NUL bytes, gzip members, trailers and trailing garbage; the
 * nesting and size limits of patches, with the document left unchanged; messages kept on one line;
 * workspaces that name the patches applied to them; linear-time patchset uniqueness with Python's
 * equality of value tuples. Issue 19: size arithmetic that cannot wrap (core/size-check.h), the ROOT
 * reader's refusal of NaN, infinite and negative-variance bins and of histograms without bins (through
 * the library, on tests/data/hostile/xml-hostile.root), a negative ROOT header field, an HS3 bin count
 * that wrapped.
 */
#include "core/size-check.h"
#include "hfx-test.h"
#include "io/io.h"
#include "spec/spec.h"

#include <math.h>
#include <unistd.h>
#include <zlib.h>

static char * format(const struct hfx_error * e) {
    static char buf[2048];
    return hfx_error_format(e, buf, sizeof buf);
}

static void write_file(const char * path, const void * data, size_t n) {
    FILE * f = fopen(path, "wb");
    ASSERT(f && fwrite(data, 1, n, f) == n && fclose(f) == 0);
}

/* gzip of data (one member) into out; returns its size. */
static size_t gzip_bytes(const void * data, size_t n, unsigned char * out, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ASSERT(deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in   = (unsigned char *) data;
    zs.avail_in  = (unsigned) n;
    zs.next_out  = out;
    zs.avail_out = (unsigned) cap;
    ASSERT(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    size_t size = zs.total_out;
    deflateEnd(&zs);
    return size;
}

static void test_size_limit(void) {
    enum { LIMIT = 1 << 16 };
    char path[] = "/tmp/hfx-test-hostile-XXXXXX";
    int  fd     = mkstemp(path);
    ASSERT(fd >= 0);
    close(fd);
    char * text = malloc(4 * LIMIT);
    ASSERT(text);
    memset(text, ' ', 4 * LIMIT);
    text[0] = '[';
    text[1] = ']';
    json_t *         v = NULL;
    struct hfx_error e = { 0 };
    /* exactly at the limit: read; one byte more: refused, with the limit in the message */
    write_file(path, text, LIMIT);
    ASSERT_EQ(hfx__json_load_file_limit(path, LIMIT, &v, &e), HFX_OK);
    ASSERT(json_is_array(v));
    json_decref(v);
    write_file(path, text, LIMIT + 1);
    ASSERT_EQ(hfx__json_load_file_limit(path, LIMIT, &v, &e), HFX_ERR_IO);
    ASSERT(v == NULL);
    char want[256];
    snprintf(want, sizeof want, "%s: input larger than 65536 bytes (hfx's limit for one JSON document)", path);
    ASSERT_STREQ(format(&e), want);
    /* a gzip bomb: 256 KiB of spaces in a few hundred bytes, refused once the text passes the limit */
    unsigned char packed[8192];
    size_t        n = gzip_bytes(text, 4 * LIMIT, packed, sizeof packed);
    ASSERT(n < 2048);
    write_file(path, packed, n);
    ASSERT_EQ(hfx__json_load_file_limit(path, LIMIT, &v, &e), HFX_ERR_IO);
    snprintf(want, sizeof want, "%s: input larger than 65536 bytes once gunzipped (hfx's limit for one JSON document)",
             path);
    ASSERT_STREQ(format(&e), want);
    unlink(path);
    free(text);
}

static void test_gzip_and_nul(void) {
    const char *     doc = "{\"a\": [1, 2, 3],\n \"b\": \"x\"}";
    unsigned char    two[1024];
    size_t           n1 = gzip_bytes(doc, 10, two, sizeof two);
    size_t           n2 = gzip_bytes(doc + 10, strlen(doc) - 10, two + n1, sizeof two - n1);
    json_t *         v  = NULL;
    struct hfx_error e  = { 0 };
    /* two members read as one text, as gunzip does */
    ASSERT_EQ(hfx__json_load_buffer(two, n1 + n2, "two", &v, &e), HFX_OK);
    ASSERT_EQ(json_array_size(json_object_get(v, "a")), 3);
    json_decref(v);
    /* cut anywhere inside the last member (its trailer included): truncated, said as gzip */
    for (size_t cut = n1 + 1; cut < n1 + n2; cut += 3) {
        ASSERT(hfx__json_load_buffer(two, cut, "cut", &v, &e) != HFX_OK);
        ASSERT(strstr(format(&e), "gzip") != NULL);
    }
    ASSERT_EQ(hfx__json_load_buffer(two, n1 + n2 - 1, "cut", &v, &e), HFX_ERR_IO);
    ASSERT_STREQ(format(&e),
                 "cut: truncated gzip data: the file ends before the gzip stream does (cut in its compressed data or its trailer)");
    /* a corrupt CRC */
    unsigned char bad[1024];
    memcpy(bad, two, n1);
    bad[n1 - 8] ^= 1;
    ASSERT_EQ(hfx__json_load_buffer(bad, n1, "crc", &v, &e), HFX_ERR_IO);
    ASSERT_STREQ(format(&e), "crc: corrupt gzip data: incorrect data check");
    /* one stray byte after the last member */
    two[n1 + n2] = '\n';
    ASSERT_EQ(hfx__json_load_buffer(two, n1 + n2 + 1, "tail", &v, &e), HFX_ERR_IO);
    char want[160];
    snprintf(want, sizeof want, "tail: gzip data followed by 1 byte that are not gzip (from byte %zu of the file)",
             n1 + n2);
    ASSERT_STREQ(format(&e), want);
    /* a NUL byte, with its line and column, in plain and in gzip input */
    const char nul[] = "{\"a\": 1,\n  \"b\": 2}\n\0{}";
    ASSERT_EQ(hfx__json_load_buffer(nul, sizeof nul - 1, "nul", &v, &e), HFX_ERR_JSON);
    ASSERT_STREQ(format(&e), "nul:3:1: NUL byte in the input (JSON text cannot contain one)");
    size_t n = gzip_bytes(nul, sizeof nul - 1, bad, sizeof bad);
    ASSERT_EQ(hfx__json_load_buffer(bad, n, "nul.gz", &v, &e), HFX_ERR_JSON);
    ASSERT_STREQ(format(&e), "nul.gz:3:1: NUL byte in the input (JSON text cannot contain one)");
    /* standard input (any descriptor) takes the same path: a pipe with a NUL in it */
    int p[2];
    ASSERT(pipe(p) == 0);
    ASSERT(write(p[1], nul, sizeof nul - 1) == (ssize_t) (sizeof nul - 1));
    close(p[1]);
    ASSERT_EQ(hfx__json_load_fd(p[0], "<stdin>", &v, &e), HFX_ERR_JSON);
    ASSERT_STREQ(format(&e), "<stdin>:3:1: NUL byte in the input (JSON text cannot contain one)");
    close(p[0]);
}

/* A patch of n copies of /d into its own child, after adding /d = {}. */
static json_t * deep_patch(size_t n) {
    json_t * patch = json_array();
    json_array_append_new(patch, json_pack("{s:s, s:s, s:{}}", "op", "add", "path", "/d", "value"));
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(patch, json_pack("{s:s, s:s, s:s}", "op", "copy", "from", "/d", "path", "/d/x"));
    }
    return patch;
}

static void test_patch_limits(void) {
    struct hfx_error e   = { 0 };
    json_t *         doc = json_object();
    /* /d reaches depth 2047 (the document 2048, the parser's limit too) after op 2046 */
    json_t * patch = deep_patch(2046);
    ASSERT_EQ(hfx__json_patch_apply(&doc, patch, &e), HFX_OK);
    json_decref(patch);
    char * text = json_dumps(doc, JSON_COMPACT);
    json_t * back = NULL;
    ASSERT_EQ(hfx__json_load_string(text, "deep", &back, &e), HFX_OK); /* what hfx builds, hfx reads */
    ASSERT(json_equal(back, doc));
    free(text);
    json_decref(back);
    json_decref(doc);
    /* one level more: refused, and the document is unchanged */
    doc   = json_pack("{s:i}", "keep", 1);
    patch = deep_patch(2047);
    ASSERT_EQ(hfx__json_patch_apply(&doc, patch, &e), HFX_ERR_PATCH);
    ASSERT_STREQ(format(&e), "/2047: copy failed: the result would nest deeper than 2048 levels");
    ASSERT_EQ(json_object_size(doc), 1);
    json_decref(patch);
    /* an add of a value that is deep already, at a path that is deep enough to pass the limit */
    json_t * value = json_array();
    for (int i = 0; i < 2040; i++) {
        value = json_pack("[o]", value);
    }
    json_object_set_new(doc, "a", json_pack("{s:{s:{s:{s:{s:{s:{s:{}}}}}}}}", "b", "c", "d", "e", "f", "g", "h"));
    patch = json_pack("[{s:s, s:s, s:o}]", "op", "add", "path", "/a/b/c/d/e/f/g/h/i", "value", value);
    ASSERT_EQ(hfx__json_patch_apply(&doc, patch, &e), HFX_ERR_PATCH);
    ASSERT_STREQ(format(&e), "/0: add failed: the result would nest deeper than 2048 levels");
    json_decref(patch);
    json_decref(doc);
    /* a document doubled by each copy: stopped by the values allowance, quickly */
    doc   = json_object();
    patch = json_pack("[{s:s, s:s, s:[i]}]", "op", "add", "path", "/d", "value", 0);
    for (int i = 0; i < 40; i++) {
        json_array_append_new(patch, json_pack("{s:s, s:s, s:s}", "op", "copy", "from", "/d", "path", "/e"));
        json_array_append_new(patch, json_pack("{s:s, s:s, s:i}", "op", "add", "path", "/d/-", "value", 0));
        json_array_append_new(patch, json_pack("{s:s, s:s, s:s}", "op", "copy", "from", "/e", "path", "/d/0"));
    }
    ASSERT_EQ(hfx__json_patch_apply(&doc, patch, &e), HFX_ERR_PATCH);
    ASSERT(strstr(format(&e), "copy failed: the patch places more than 16777216 JSON values") != NULL);
    ASSERT_EQ(json_object_size(doc), 0);
    json_decref(patch);
    json_decref(doc);
}

static void test_one_line_messages(void) {
    struct hfx_error e = { 0 };
    hfx__error(&e, HFX_ERR_MODEL, "/channels/0/na\nme", "sample 'a\nb\tc\x01' is odd");
    ASSERT_STREQ(e.msg, "sample 'a\\nb\\tc\\x01' is odd");
    ASSERT_STREQ(e.pointer, "/channels/0/na\\nme");
    snprintf(e.source, sizeof e.source, "file\nname.json"); /* stored by hand: escaped when formatted */
    ASSERT_STREQ(format(&e), "file\\nname.json: /channels/0/na\\nme: sample 'a\\nb\\tc\\x01' is odd");
    /* an empty file name is named */
    json_t * v = NULL;
    ASSERT_EQ(hfx__json_load_file("", &v, &e), HFX_ERR_IO);
    ASSERT_STREQ(format(&e), "'': cannot open file: the file name is empty");
}

static const char * BKG = "{\"channels\": [{\"name\": \"SR\", \"samples\": [{\"name\": \"b\", \"data\": [5.0], \"modifiers\": "
                          "[{\"name\": \"mu\", \"type\": \"normfactor\", \"data\": null}]}]}], \"observations\": "
                          "[{\"name\": \"SR\", \"data\": [5.0]}], \"measurements\": [{\"name\": \"m\", \"config\": "
                          "{\"poi\": \"mu\", \"parameters\": []}}], \"version\": \"1.0.0\"}";

static void test_workspace_names_its_patches(void) {
    hfx_workspace_t  ws = NULL, copy = NULL;
    struct hfx_error e  = { 0 };
    ASSERT_EQ(hfx_workspace_load_string(BKG, "bkg.json", &ws, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_validate(ws, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, "[{\"op\": \"add\", \"path\": \"/x\", \"value\": 1}]", "a.json", &e),
              HFX_OK);
    ASSERT_EQ(hfx_workspace_validate(ws, &e), HFX_ERR_SCHEMA);
    ASSERT_STREQ(format(&e),
                 "bkg.json (patched by a.json): /x: unknown key 'x' (expected channels, measurements, observations, version)");
    ASSERT_EQ(hfx_workspace_copy(ws, &copy, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(copy, "[{\"op\": \"remove\", \"path\": \"/x\"}]", "b.json", &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_validate(copy, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(copy, "[{\"op\": \"remove\", \"path\": \"/observations/0\"}]", "c.json",
                                               &e),
              HFX_OK);
    hfx_model_t m = NULL;
    ASSERT_EQ(hfx_model_create(copy, NULL, &m, &e), HFX_ERR_SCHEMA);
    ASSERT_STREQ(format(&e), "bkg.json (patched by a.json, b.json, c.json): /observations: expected at least one observation");
    hfx_workspace_free(copy);
    hfx_workspace_free(ws);
}

/* A patchset with one label whose patches have the given values (JSON texts). */
static enum hfx_status load_values(const char * const * values, size_t n, hfx_patchset_t * ps, struct hfx_error * e) {
    char text[4096];
    int  len = snprintf(text, sizeof text,
                        "{\"metadata\": {\"description\": \"d\", \"digests\": {\"md5\": \"%032d\"}, \"labels\": [\"m\"], "
                        "\"references\": {\"hepdata\": \"ins1234567\"}}, \"version\": \"1.0.0\", \"patches\": [",
                        0);
    for (size_t i = 0; i < n; i++) {
        len += snprintf(text + len, sizeof text - (size_t) len, "%s{\"metadata\": {\"name\": \"p%zu\", \"values\": [%s]}, "
                        "\"patch\": []}", i ? ", " : "", i, values[i]);
    }
    snprintf(text + len, sizeof text - (size_t) len, "]}");
    json_t * root = NULL;
    ASSERT_EQ(hfx__json_load_string(text, "ps.json", &root, e), HFX_OK);
    return hfx__patchset_from_json(root, "ps.json", ps, e);
}

static void test_patchset_values(void) {
    hfx_patchset_t   ps = NULL;
    struct hfx_error e  = { 0 };
    /* distinct as Python tuples: a string is not a number, 2^53 + 1 is not 2^53 as a float */
    static const char * const distinct[] = { "1", "\"1\"", "\"heavy\"", "9007199254740993", "9007199254740992.0", "-2.5" };
    ASSERT_EQ(load_values(distinct, 6, &ps, &e), HFX_OK);
    ASSERT(hfx_patchset_patch_value_string(ps, 0, 0) == NULL);
    ASSERT_STREQ(hfx_patchset_patch_value_string(ps, 1, 0), "1");
    ASSERT_STREQ(hfx_patchset_patch_value_string(ps, 2, 0), "heavy");
    ASSERT(isnan(hfx_patchset_patch_values(ps, 2)[0]));
    ASSERT(hfx_patchset_patch_values(ps, 1)[0] == 1);
    ASSERT(hfx_patchset_patch_value_string(ps, 2, 1) == NULL); /* out of range */
    hfx_patchset_free(ps);
    /* equal as Python tuples: 1 == 1.0, 0.0 == -0.0 */
    static const char * const same[]  = { "1", "2", "1.0" };
    static const char * const zeros[] = { "0.0", "-0.0" };
    ASSERT_EQ(load_values(same, 3, &ps, &e), HFX_ERR_SCHEMA);
    ASSERT_STREQ(format(&e), "ps.json: /patches/2/metadata/values: patches 'p0' and 'p2' have the same values");
    ASSERT_EQ(load_values(zeros, 2, &ps, &e), HFX_ERR_SCHEMA);
    ASSERT_STREQ(format(&e), "ps.json: /patches/1/metadata/values: patches 'p0' and 'p1' have the same values");
}

static void test_size_check(void) {
    size_t out = 7;
    ASSERT(hfx__size_mul((size_t) 1 << 32, ((size_t) 1 << 32) - 1, &out) && out == (((size_t) 1 << 32) - 1) << 32);
    /* issue 19's axes: (2^32 + 1)(2^32 - 1) is exactly SIZE_MAX, the number reader's "any length":
     * representable, so the bound on counts is what refuses it; one more bin and the product wraps */
    ASSERT(hfx__size_mul(((size_t) 1 << 32) + 1, ((size_t) 1 << 32) - 1, &out) && out == SIZE_MAX);
    ASSERT(!hfx__count_ok(out, sizeof(double), NULL));
    out = 7;
    ASSERT(!hfx__size_mul(((size_t) 1 << 32) + 1, ((size_t) 1 << 32) + 1, &out) && out == 7); /* untouched */
    ASSERT(!hfx__size_mul(SIZE_MAX, 2, &out) && hfx__size_mul(SIZE_MAX, 1, &out) && out == SIZE_MAX);
    ASSERT(hfx__size_mul(0, SIZE_MAX, &out) && out == 0);
    ASSERT(!hfx__size_add(SIZE_MAX, 1, &out) && hfx__size_add(SIZE_MAX - 1, 1, &out) && out == SIZE_MAX);
    size_t bytes = 0;
    ASSERT(hfx__count_ok(HFX_COUNT_MAX, sizeof(double), &bytes) && bytes == HFX_COUNT_MAX * sizeof(double));
    ASSERT(!hfx__count_ok(HFX_COUNT_MAX + 1, 1, NULL));
    ASSERT(!hfx__count_ok((uint64_t) 1 << 61, 8, NULL)); /* issue 19's "patches": 2^61, x 8 bytes wraps */
    ASSERT(!hfx__count_ok(UINT64_MAX, 1, NULL));
}

/* Each histogram of xml-hostile.root (tests/tools/gen_hostile_inputs.py) and what the reader says. */
static void test_root_non_finite(void) {
    static const struct {
        const char * name;
        const char * message; /* NULL: read, 3 bins */
    } cases[] = {
        {"data", NULL},
        {"nan_bkg", "histogram 'nan_bkg': bin 2 has a non-finite content nan (ROOT's numbering, from 1)"},
        {"inf_data", "histogram 'inf_data': bin 3 has a non-finite content inf (ROOT's numbering, from 1)"},
        {"nan_sumw2", "histogram 'nan_sumw2': bin 2 has a non-finite fSumw2 nan (ROOT's numbering, from 1)"},
        {"negative_sumw2", "histogram 'negative_sumw2': bin 2 has a negative fSumw2 -4 (ROOT's numbering, from 1)"},
        {"no_bins", "histogram 'no_bins' has no bins"},
    };
    struct hfx__root * f   = NULL;
    struct hfx_error   err = {0};
    ASSERT(hfx__root_open(HFX_TEST_DATA "/hostile/xml-hostile.root", &f, &err) == HFX_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double *        v = NULL, *e = NULL;
        size_t          n  = 99;
        enum hfx_status st = hfx__root_read_hist(f, cases[i].name, &v, &e, &n, &err);
        if (!cases[i].message) {
            ASSERT(st == HFX_OK && n == 3 && v[0] == 55.0 && e[0] == sqrt(55.0));
        } else {
            ASSERT(st == HFX_ERR_IO && !v && !e && n == 0);
            ASSERT_STREQ(err.msg, cases[i].message);
            ASSERT_STREQ(err.source, HFX_TEST_DATA "/hostile/xml-hostile.root");
        }
        free(v), free(e);
    }
    hfx__root_close(f);
}

/* ROOT's header fields are signed (Int_t): a negative one is refused as negative, never read as a huge
 * unsigned count. xml-hostile.root with its top directory's fNbytesKeys set to -5. */
static void test_root_negative_field(void) {
    FILE * fp = fopen(HFX_TEST_DATA "/hostile/xml-hostile.root", "rb");
    ASSERT(fp);
    static unsigned char buf[1 << 16];
    size_t               n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    ASSERT(n > 100 && n < sizeof buf && memcmp(buf, "root", 4) == 0);
    uint32_t begin = (uint32_t) buf[8] << 24 | (uint32_t) buf[9] << 16 | (uint32_t) buf[10] << 8 | buf[11];
    bool     big   = ((uint32_t) buf[4] << 24 | (uint32_t) buf[5] << 16 | (uint32_t) buf[6] << 8 | buf[7]) >= 1000000;
    size_t   name_at = 4 + 4 + 4 + (big ? 8 + 8 : 4 + 4) + 4 + 4; /* fNbytesName */
    uint32_t n_name  = (uint32_t) buf[name_at] << 24 | (uint32_t) buf[name_at + 1] << 16 |
                      (uint32_t) buf[name_at + 2] << 8 | buf[name_at + 3];
    size_t at = (size_t) begin + n_name + 2 + 8; /* the directory's version, ctime, mtime, then fNbytesKeys */
    ASSERT(at + 4 < n);
    memcpy(buf + at, "\xff\xff\xff\xfb", 4); /* -5 */
    struct hfx__root * f   = NULL;
    struct hfx_error   err = {0};
    ASSERT(hfx__root_open_memory(buf, n, "negative.root", &f, &err) == HFX_ERR_IO && !f);
    ASSERT_STREQ(err.msg, "bad directory record: negative key list size (-5)");
}

/* Axes of 4294967297 x 4294967295 bins: the product wrapped to SIZE_MAX (the number reader's "any
 * length") and a staterror without parameters looped that many times. */
static void test_hs3_bin_count(void) {
    hfx_workspace_t  ws  = NULL;
    struct hfx_error err = {0};
    ASSERT(hfx_workspace_load(HFX_TEST_DATA "/hostile/hs3-axes-wrap.json", &ws, &err) == HFX_ERR_SCHEMA && !ws);
    ASSERT_STREQ(err.pointer, "/distributions/0");
    ASSERT_STREQ(err.msg, "distribution 'SR' has more than 4294967296 bins (hfx's limit for one histogram)");
}

int main(void) {
    test_size_limit();
    test_gzip_and_nul();
    test_patch_limits();
    test_one_line_messages();
    test_workspace_names_its_patches();
    test_patchset_values();
    test_size_check();
    test_root_non_finite();
    test_root_negative_field();
    test_hs3_bin_count();
    printf("test-hostile: ok\n");
    return 0;
}
