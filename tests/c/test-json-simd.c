/*
 * test-json-simd.c -- the fast JSON path (src/spec/json-simd.cc) builds exactly jansson's tree, or
 * declines and leaves the text to jansson.
 *
 * 1. Tricky texts, each with what the fast path must do (build, or decline) and, through
 *    hfx__json_load_buffer, the answer json-load.c gives: the same tree as jansson's json_loadb (with
 *    its whole-document retry of integers as reals), or the same error message, line and column.
 * 2. Every JSON document of tests/data, the fuzz corpora, ../shared (pyhf validation inputs, the
 *    zoo, the reference lines) and the sbottom archive's 658 files: where the fast path builds a
 *    tree, jansson builds an identical one (json-identical.h: types, bits of reals, string bytes, key
 *    order); and every valid document of ../shared and sbottom takes the fast path (else the speed
 *    is lost without a test noticing).
 * Without simdjson (HFX_SIMDJSON=OFF) part 1 still checks hfx__json_load_buffer against jansson; the
 * rest says it is skipped.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "hfx-test.h"
#include "json-identical.h"
#include "spec/spec.h"
#ifdef HFX_USE_SIMDJSON
#include "spec/json-simd.h"
#endif

#include <ftw.h>
#include <unistd.h>
#include <zlib.h>

static const size_t FLAGS = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY;

/* What json-load.c did before the fast path: json_loadb, and all integers as reals when one is too
 * big for 64 bits. */
static json_t * jansson_load(const char * text, size_t len, json_error_t * jerr) {
    json_t * v = json_loadb(text, len, FLAGS, jerr);
    if (!v && json_error_code(jerr) == json_error_numeric_overflow && strstr(jerr->text, "too big integer")) {
        v = json_loadb(text, len, FLAGS | JSON_DECODE_INT_AS_REAL, jerr);
    }
    return v;
}

/* The fast path on text, from an unpadded copy and from a padded one; both answers must agree.
 * NULL: declined, or no fast path in this build. */
static json_t * fast_load(const char * text, size_t len) {
#ifdef HFX_USE_SIMDJSON
    char * padded = malloc(len + HFX__JSON_SIMD_PADDING);
    ASSERT(padded);
    memcpy(padded, text, len);
    memset(padded + len, 0, HFX__JSON_SIMD_PADDING);
    json_t * a = hfx__json_simd_load(padded, len, true);
    free(padded);
    json_t * b = hfx__json_simd_load(text, len, false);
    ASSERT((a == NULL) == (b == NULL));
    ASSERT(!a || json_identical(a, b));
    json_decref(b);
    return a;
#else
    (void) text;
    (void) len;
    return NULL;
#endif
}

/* The property: what the fast path builds, jansson builds identically. Returns 1 when it built, 0
 * when it declined; *jansson_ok says whether jansson parsed the text. */
static int check_text(const char * text, size_t len, const char * what, bool * jansson_ok) {
    json_error_t jerr;
    json_t *     slow = jansson_load(text, len, &jerr);
    json_t *     fast = fast_load(text, len);
    if (fast && (!slow || !json_identical(fast, slow))) {
        fprintf(stderr, "%s: the fast path built a tree that jansson %s\n", what,
                slow ? "builds differently" : "refuses");
        abort();
    }
    *jansson_ok = slow != NULL;
    json_decref(slow);
    json_decref(fast);
    return fast != NULL;
}

//
// 1. Tricky texts
//

enum expect { BUILD, DECLINE };
struct tricky {
    const char * text;
    enum expect  fast; /* what the fast path must do (where it is built in) */
};

/* 2049 nested arrays is one level past jansson's limit; 1025 past simdjson's only. */
static char * nested(size_t depth) {
    char * s = malloc(2 * depth + 1);
    ASSERT(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    return s;
}

static void check_tricky(const char * text, enum expect fast) {
    size_t len = strlen(text);
    bool   jansson_ok;
    int    built = check_text(text, len, text, &jansson_ok);
#ifdef HFX_USE_SIMDJSON
    if (built != (fast == BUILD)) {
        fprintf(stderr, "fast path on %.80s: %s, expected to %s\n", text, built ? "built" : "declined",
                fast == BUILD ? "build" : "decline");
        abort();
    }
#else
    (void) built;
    (void) fast;
#endif
    /* json-load.c's answer is jansson's, tree or message */
    json_error_t     jerr;
    json_t *         want = jansson_load(text, len, &jerr);
    json_t *         got  = NULL;
    struct hfx_error e    = { 0 };
    enum hfx_status  st   = hfx__json_load_buffer(text, len, "t", &got, &e);
    ASSERT_EQ(st == HFX_OK, want != NULL);
    if (want) {
        ASSERT(json_identical(got, want));
    } else {
        ASSERT_EQ(e.line, jerr.line > 0 ? jerr.line : 0);
        ASSERT_EQ(e.column, jerr.line > 0 ? (jerr.column > 0 ? jerr.column : 1) : 0);
        /* json-load.c words two of jansson's messages its own way; the rest are jansson's text */
        if (json_error_code(&jerr) == json_error_numeric_overflow) {
            ASSERT(strncmp(e.msg, "number out of range", 19) == 0);
        } else if (strstr(jerr.text, "maximum parsing depth")) {
            ASSERT(strncmp(e.msg, "nesting deeper than 2048 levels near '", 38) == 0);
        } else { /* as hfx__error keeps every message on one line */
            char one_line[sizeof jerr.text * 4];
            hfx__escape_controls(one_line, sizeof one_line, jerr.text);
            ASSERT_STREQ(e.msg, one_line);
        }
    }
    json_decref(want);
    json_decref(got);
}

static void test_tricky(void) {
    static const struct tricky cases[] = {
        /* strings: every escape, BMP and astral code points, raw UTF-8 */
        { "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", BUILD },
        { "\"\\u00e9\\u4e2d\\ud83d\\ude00 \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"", BUILD },
        { "\"\\u007f\\u0001\\u001f\"", BUILD },
        { "{\"\\u00e9\": \"k\", \"\": 0}", BUILD },
        { "\"\\u0000\"", DECLINE },          /* jansson: "\u0000 is not allowed without JSON_ALLOW_NUL" */
        { "{\"a\\u0000b\": 1}", DECLINE },
        { "\"\\ud800\"", DECLINE },          /* lone high surrogate */
        { "\"\\udc00\"", DECLINE },          /* lone low surrogate */
        { "\"\\ud800\\u0041\"", DECLINE },   /* high surrogate, then no low one */
        { "\"\\ud800x\"", DECLINE },
        { "\"\\uZZZZ\"", DECLINE },
        { "\"\\a\"", DECLINE },
        { "\"\x01\"", DECLINE },             /* a raw control character */
        { "\"\xff\"", DECLINE },             /* invalid UTF-8 */
        { "\"\xed\xa0\x80\"", DECLINE },     /* a surrogate encoded in UTF-8 */
        { "\"\xc0\xaf\"", DECLINE },         /* overlong */
        { "\"abc", DECLINE },
        /* integers: int64's edges; beyond them jansson reads the whole document's integers as reals */
        { "[0, -0, 1, -1, 9223372036854775807, -9223372036854775808]", BUILD },
        { "[1, 9223372036854775808]", DECLINE },
        { "[1, -9223372036854775809]", DECLINE },
        { "123456789012345678901234567890", DECLINE },
        /* reals: signed zero, subnormals, the largest double, long mantissas, underflow to zero */
        { "[-0.0, 0.0, 0e0, -0E+0, 1E+2, 1e-2, 1.5e300]", BUILD },
        { "[4.9e-324, 2.4703282292062327e-324, 2.4703282292062328e-324, 2.2250738585072011e-308]", BUILD },
        { "[1.7976931348623157e308, -1.7976931348623157e308, 1e308]", BUILD },
        { "[0.1000000000000000055511151231257827021181583404541015625, 3.141592653589793238462643383279]", BUILD },
        { "[1e-400, -1e-400, 123456789012345678901234567890.0, 1e0000000000000000000001]", BUILD },
        { "[0.30000000000000000000000000000000000000000000000000000000000000000000000001]", BUILD },
        { "1e999", DECLINE },                /* jansson: real number overflow */
        { "[-1e999]", DECLINE },
        { "[1.7976931348623159e308]", DECLINE },
        { "[01]", DECLINE },
        { "[1.]", DECLINE },
        { "[.5]", DECLINE },
        { "[+1]", DECLINE },
        { "[1e]", DECLINE },
        { "[-]", DECLINE },
        { "[NaN, Infinity]", DECLINE },
        /* objects: duplicates anywhere are jansson's error; order is the text's */
        { "{\"b\": 1, \"a\": 2, \"c\": {\"z\": null, \"y\": true, \"x\": false}}", BUILD },
        { "[{\"a\": 1}, {\"a\": 1}]", BUILD },
        { "{\"a\": 1, \"a\": 2}", DECLINE },
        { "{\"a\": {\"b\": 1, \"b\": 1}}", DECLINE },
        { "{\"a\": 1, \"\\u0061\": 2}", DECLINE }, /* the same key, written two ways */
        /* documents: any top-level value, JSON's whitespace, and nothing after */
        { "1", BUILD },
        { "-2.5", BUILD },
        { "\"s\"", BUILD },
        { "true", BUILD },
        { "null", BUILD },
        { " \t\r\n{ \"a\" : [ ] , \"b\" : { } }\n\t ", BUILD },
        { "", DECLINE },
        { "   ", DECLINE },
        { "\xef\xbb\xbf{}", DECLINE },       /* a byte order mark */
        { "[1] x", DECLINE },
        { "{} {}", DECLINE },
        { "1 2", DECLINE },
        { "[1,]", DECLINE },
        { "{\"a\"}", DECLINE },
        { "{\"a\": 1,}", DECLINE },
        { "{1: 2}", DECLINE },
        { "[tru]", DECLINE },
        { "[nul]", DECLINE },
        { "[true false]", DECLINE },
        { "\f[]", DECLINE },                 /* form feed is not JSON whitespace */
        { "[\n1,\n2,\n}", DECLINE },         /* the message's line and column are jansson's */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        check_tricky(cases[i].text, cases[i].fast);
    }
    /* nesting: simdjson stops at 1024 levels, jansson at HFX_JSON_DEPTH_MAX = 2048 */
    static const struct {
        size_t      depth;
        enum expect fast;
    } depths[] = { { 1, BUILD }, { 1000, BUILD }, { 1024, BUILD }, { 1025, DECLINE }, { 2048, DECLINE },
                   { 2049, DECLINE } };
    for (size_t i = 0; i < sizeof depths / sizeof *depths; i++) {
        char * s = nested(depths[i].depth);
        check_tricky(s, depths[i].fast);
        free(s);
    }
    /* a large flat document: arrays and objects with many members */
    size_t cap = 1 << 20, n = 0;
    char * big = malloc(cap);
    ASSERT(big);
    n += (size_t) snprintf(big + n, cap - n, "{\"a\": [");
    for (int i = 0; i < 20000; i++) {
        n += (size_t) snprintf(big + n, cap - n, "%s%d.%d", i ? ", " : "", i, i % 7);
    }
    n += (size_t) snprintf(big + n, cap - n, "], \"o\": {");
    for (int i = 0; i < 5000; i++) {
        n += (size_t) snprintf(big + n, cap - n, "%s\"k%d\": %d", i ? ", " : "", i, -i);
    }
    snprintf(big + n, cap - n, "}}");
    check_tricky(big, BUILD);
    free(big);
    printf("%zu tricky texts and 6 depths: built or declined as expected, json-load.c's answer is jansson's\n",
           sizeof cases / sizeof *cases);
}

//
// 2. Every JSON document of the tests and the shared material
//
#ifdef HFX_USE_SIMDJSON

struct tally {
    size_t files, docs, fast, jansson, valid_not_fast;
    bool   require_fast; /* valid documents here must take the fast path */
};
static struct tally * g_tally; /* nftw's callback has no user pointer */

/* The whole file, gunzipped if it is gzip; NULL if it cannot be read. */
static char * read_whole(const char * path, size_t * len) {
    gzFile f = gzopen(path, "rb"); /* reads plain files as they are */
    if (!f) {
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char * buf = malloc(cap);
    int    got;
    while (buf && (got = gzread(f, buf + n, (unsigned) (cap - n))) > 0) {
        n += (size_t) got;
        if (n == cap) {
            char * bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
            }
            buf = bigger;
        }
    }
    gzclose(f);
    *len = n;
    return buf;
}

static void check_doc(const char * text, size_t len, const char * what) {
    bool jansson_ok;
    int  built = check_text(text, len, what, &jansson_ok);
    g_tally->docs++;
    g_tally->fast += (size_t) built;
    g_tally->jansson += jansson_ok;
    if (g_tally->require_fast && jansson_ok && !built) {
        fprintf(stderr, "%s: valid JSON that the fast path declined\n", what);
        g_tally->valid_not_fast++;
    }
}

static bool ends_with(const char * s, const char * tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static int visit(const char * path, const struct stat * sb, int type, struct FTW * ftw) {
    (void) sb;
    (void) ftw;
    if (type != FTW_F) {
        return 0;
    }
    bool jsonl = ends_with(path, ".jsonl");
    bool json  = jsonl || ends_with(path, ".json") || ends_with(path, ".json.gz");
    bool fuzz  = strstr(path, "/fuzz/corpus/") != NULL; /* seed inputs: any bytes */
    if (!json && !fuzz) {
        return 0;
    }
    size_t len  = 0;
    char * text = read_whole(path, &len);
    ASSERT(text);
    g_tally->files++;
    check_doc(text, len, path);
    if (jsonl) { /* each line is a document too */
        for (char *line = text, *end; line < text + len; line = end + 1) {
            end = memchr(line, '\n', (size_t) (text + len - line));
            end = end ? end : text + len;
            check_doc(line, (size_t) (end - line), path);
        }
    }
    free(text);
    return 0;
}

static void walk(const char * dir, bool require_fast) {
    struct tally t = { 0 };
    t.require_fast = require_fast;
    g_tally        = &t;
    ASSERT(nftw(dir, visit, 16, FTW_PHYS) == 0);
    printf("%s: %zu files, %zu documents: jansson parses %zu, the fast path builds %zu (identical)\n", dir, t.files,
           t.docs, t.jansson, t.fast);
    ASSERT_EQ(t.valid_not_fast, 0);
#ifdef HFX_USE_SIMDJSON
    ASSERT(t.files > 0);
#endif
}

static bool is_dir(const char * path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void test_files(void) {
    /* tests/data holds malformed and hostile inputs on purpose: only the property is checked there */
    walk(HFX_TEST_DATA, false);
    walk(HFX_TEST_DATA "/../fuzz/corpus", false);
    if (!is_dir(HFX_SHARED_DIR)) {
        printf("skipped: ../shared not found (the zoo, the pyhf validation inputs, sbottom)\n");
        return;
    }
    walk(HFX_SHARED_DIR "/reference", true);
    walk(HFX_SHARED_DIR "/pyhf-validation", true);
    walk(HFX_SHARED_DIR "/likelihoods/zoo", true);
    const char * archive = HFX_SHARED_DIR "/likelihoods/sbottom-hepdata.89408.tar.gz";
    if (access(archive, R_OK) != 0) {
        printf("skipped: %s not found\n", archive);
        return;
    }
    char dir[] = "/tmp/hfx-test-json-simd-XXXXXX";
    ASSERT(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tar xzf '%s' -C '%s'", archive, dir);
    ASSERT(system(cmd) == 0);
    walk(dir, true);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT(system(cmd) == 0);
}

#endif /* HFX_USE_SIMDJSON */

int main(void) {
    test_tricky();
#ifdef HFX_USE_SIMDJSON
    test_files();
    printf("test-json-simd: ok\n");
    return 0;
#else
    printf("skipped: built without simdjson (HFX_SIMDJSON=OFF or not found): only json-load.c's answers were checked\n");
    return 77;
#endif
}
