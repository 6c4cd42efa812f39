/*
 * test-json-patch.c -- RFC 6902 JSON Patch and RFC 6901 pointers (src/spec/json-patch.c), and the
 * public workspace functions built on them (load from a string, patch, copy, dump).
 *
 * Sections: pointers; every operation on success; Python-style equality in "test"; errors (one line
 * each, exactly as hfx_error_format prints it) with the document left unchanged; the workspace API.
 */
#include "hfx-test.h"
#include "spec/spec.h"

static json_t * parse(const char * text) {
    json_t *        v  = NULL;
    struct hfx_error e = { 0 };
    if (hfx__json_load_string(text, "t", &v, &e) != HFX_OK) {
        fprintf(stderr, "cannot parse test JSON: %s\n", e.msg);
        abort();
    }
    return v;
}

/* Applies patch to doc and checks the result equals expected (and keeps key order where it should). */
static void check_ok(const char * doc, const char * patch, const char * expected) {
    json_t *        d = parse(doc), * p = parse(patch), * want = parse(expected);
    struct hfx_error e = { 0 };
    enum hfx_status st = hfx__json_patch_apply(&d, p, &e);
    if (st != HFX_OK) {
        fprintf(stderr, "patch %s on %s failed: %s: %s\n", patch, doc, e.pointer, e.msg);
        abort();
    }
    if (!hfx__json_equal(d, want)) {
        char * got = json_dumps(d, JSON_ENCODE_ANY | JSON_COMPACT);
        fprintf(stderr, "patch %s on %s: got %s, expected %s\n", patch, doc, got, expected);
        abort();
    }
    json_decref(d);
    json_decref(p);
    json_decref(want);
}

/* Applies patch to doc, checks the formatted error and that doc is unchanged. */
static void check_fail(const char * doc, const char * patch, enum hfx_status code, const char * line) {
    json_t *        d = parse(doc), * p = parse(patch);
    json_t *        before = json_deep_copy(d);
    struct hfx_error e     = { 0 };
    enum hfx_status  st    = hfx__json_patch_apply(&d, p, &e);
    char             buf[2048];
    hfx_error_format(&e, buf, sizeof buf);
    if (st != code) {
        fprintf(stderr, "patch %s on %s: status %d (%s), expected %d\n", patch, doc, st, buf, code);
        abort();
    }
    ASSERT_STREQ(buf, line);
    ASSERT(json_equal(d, before)); /* atomic: nothing of a failed patch remains */
    json_decref(d);
    json_decref(p);
    json_decref(before);
}

static void test_pointers(void) {
    json_t * d = parse("{\"a/b\": 1, \"m~n\": 2, \"\": 3, \"arr\": [10, 20, {\"x\": [true]}], \" \": 7}");
    ASSERT(hfx__json_pointer_get(d, "") == d);
    ASSERT_EQ(json_integer_value(hfx__json_pointer_get(d, "/a~1b")), 1);
    ASSERT_EQ(json_integer_value(hfx__json_pointer_get(d, "/m~0n")), 2);
    ASSERT_EQ(json_integer_value(hfx__json_pointer_get(d, "/")), 3);
    ASSERT_EQ(json_integer_value(hfx__json_pointer_get(d, "/ ")), 7);
    ASSERT_EQ(json_integer_value(hfx__json_pointer_get(d, "/arr/1")), 20);
    ASSERT(json_is_true(hfx__json_pointer_get(d, "/arr/2/x/0")));
    ASSERT(hfx__json_pointer_get(d, "/arr/01") == NULL);  /* leading zero */
    ASSERT(hfx__json_pointer_get(d, "/arr/3") == NULL);   /* out of range */
    ASSERT(hfx__json_pointer_get(d, "/arr/-") == NULL);   /* past the end */
    ASSERT(hfx__json_pointer_get(d, "/arr/-1") == NULL);
    ASSERT(hfx__json_pointer_get(d, "/arr/1x") == NULL);
    ASSERT(hfx__json_pointer_get(d, "a") == NULL);        /* must start with '/' */
    ASSERT(hfx__json_pointer_get(d, "/m~2n") == NULL);    /* bad escape */
    ASSERT(hfx__json_pointer_get(d, "/m~") == NULL);
    ASSERT(hfx__json_pointer_get(d, "/a~1b/c") == NULL);  /* through a number */
    ASSERT(hfx__json_pointer_get(d, "/arr/99999999999999999999999") == NULL);
    json_decref(d);
}

static void test_operations(void) {
    /* add: object member (new and existing), array insert, append, root */
    check_ok("{\"foo\": \"bar\"}", "[{\"op\": \"add\", \"path\": \"/baz\", \"value\": \"qux\"}]",
             "{\"baz\": \"qux\", \"foo\": \"bar\"}");
    check_ok("{\"foo\": 1}", "[{\"op\": \"add\", \"path\": \"/foo\", \"value\": [2]}]", "{\"foo\": [2]}");
    check_ok("{\"foo\": [\"bar\", \"baz\"]}", "[{\"op\": \"add\", \"path\": \"/foo/1\", \"value\": \"qux\"}]",
             "{\"foo\": [\"bar\", \"qux\", \"baz\"]}");
    check_ok("{\"foo\": [1]}", "[{\"op\": \"add\", \"path\": \"/foo/1\", \"value\": 2}]", "{\"foo\": [1, 2]}");
    check_ok("{\"foo\": [1]}", "[{\"op\": \"add\", \"path\": \"/foo/-\", \"value\": [3]}]", "{\"foo\": [1, [3]]}");
    check_ok("{\"foo\": 1}", "[{\"op\": \"add\", \"path\": \"\", \"value\": [1, 2]}]", "[1, 2]");
    check_ok("{}", "[{\"op\": \"add\", \"path\": \"/a~1b~0c\", \"value\": 1}]", "{\"a/b~c\": 1}");
    check_ok("{}", "[{\"op\": \"add\", \"path\": \"/\", \"value\": 1}]", "{\"\": 1}");
    /* remove */
    check_ok("{\"baz\": \"qux\", \"foo\": \"bar\"}", "[{\"op\": \"remove\", \"path\": \"/baz\"}]", "{\"foo\": \"bar\"}");
    check_ok("{\"foo\": [\"bar\", \"qux\", \"baz\"]}", "[{\"op\": \"remove\", \"path\": \"/foo/1\"}]",
             "{\"foo\": [\"bar\", \"baz\"]}");
    /* replace: member, element, root */
    check_ok("{\"baz\": \"qux\", \"foo\": \"bar\"}", "[{\"op\": \"replace\", \"path\": \"/baz\", \"value\": \"boo\"}]",
             "{\"baz\": \"boo\", \"foo\": \"bar\"}");
    check_ok("[1, 2, 3]", "[{\"op\": \"replace\", \"path\": \"/1\", \"value\": {\"a\": null}}]", "[1, {\"a\": null}, 3]");
    check_ok("[1]", "[{\"op\": \"replace\", \"path\": \"\", \"value\": {}}]", "{}");
    /* move: member, within an array, to the root, onto itself */
    check_ok("{\"foo\": {\"bar\": \"baz\", \"waldo\": \"fred\"}, \"qux\": {\"corge\": \"grault\"}}",
             "[{\"op\": \"move\", \"from\": \"/foo/waldo\", \"path\": \"/qux/thud\"}]",
             "{\"foo\": {\"bar\": \"baz\"}, \"qux\": {\"corge\": \"grault\", \"thud\": \"fred\"}}");
    check_ok("{\"foo\": [\"all\", \"grass\", \"cows\", \"eat\"]}",
             "[{\"op\": \"move\", \"from\": \"/foo/1\", \"path\": \"/foo/3\"}]",
             "{\"foo\": [\"all\", \"cows\", \"eat\", \"grass\"]}");
    check_ok("{\"a\": {\"b\": 1}}", "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"\"}]", "{\"b\": 1}");
    check_ok("{\"a\": [1]}", "[{\"op\": \"move\", \"from\": \"/a\", \"path\": \"/a\"}]", "{\"a\": [1]}");
    /* copy: a deep copy, so changing the copy leaves the source alone */
    check_ok("{\"a\": {\"x\": [1]}}",
             "[{\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/b\"}, {\"op\": \"add\", \"path\": \"/b/x/-\", \"value\": 2}]",
             "{\"a\": {\"x\": [1]}, \"b\": {\"x\": [1, 2]}}");
    check_ok("[1, 2]", "[{\"op\": \"copy\", \"from\": \"/0\", \"path\": \"/-\"}]", "[1, 2, 1]");
    /* test: numbers as Python compares them, key order ignored, nested */
    check_ok("{\"a\": 1, \"b\": [1.0, \"x\", null, true, {\"k\": 2, \"j\": 3}]}",
             "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1.0},"
             " {\"op\": \"test\", \"path\": \"/b\", \"value\": [1, \"x\", null, true, {\"j\": 3.0, \"k\": 2}]},"
             " {\"op\": \"test\", \"path\": \"\", \"value\": {\"b\": [1, \"x\", null, true, {\"j\": 3, \"k\": 2}], \"a\": 1}}]",
             "{\"a\": 1, \"b\": [1, \"x\", null, true, {\"k\": 2, \"j\": 3}]}");
    /* several operations see each other's results, in order */
    check_ok("{\"a\": []}",
             "[{\"op\": \"add\", \"path\": \"/a/-\", \"value\": 1}, {\"op\": \"add\", \"path\": \"/a/0\", \"value\": 0},"
             " {\"op\": \"test\", \"path\": \"/a\", \"value\": [0, 1]}, {\"op\": \"remove\", \"path\": \"/a/1\"}]",
             "{\"a\": [0]}");
    check_ok("{\"x\": 1}", "[]", "{\"x\": 1}");
    /* extra members of an operation are ignored (RFC 6902 section 4) */
    check_ok("{}", "[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1, \"from\": 7, \"note\": \"x\"}]", "{\"a\": 1}");
}

static void test_equality(void) {
    json_t * a = parse("[1, 2.5, {\"a\": [true, false, null, \"s\"]}]");
    json_t * b = parse("[1.0, 2.5, {\"a\": [true, false, null, \"s\"]}]");
    json_t * c = parse("[1, 2.5, {\"a\": [true, false, null, \"t\"]}]");
    json_t * d = parse("[true]"), * e = parse("[1]"), * f = parse("{\"a\": 1}"), * g = parse("{\"a\": 1, \"b\": 2}");
    ASSERT(hfx__json_equal(a, b));
    ASSERT(!hfx__json_equal(a, c));
    ASSERT(!hfx__json_equal(d, e)); /* unlike Python, true != 1 */
    ASSERT(!hfx__json_equal(f, g) && !hfx__json_equal(g, f));
    ASSERT(!hfx__json_equal(a, NULL));
    json_decref(a), json_decref(b), json_decref(c), json_decref(d), json_decref(e), json_decref(f), json_decref(g);
}

static void test_errors(void) {
    const char * doc = "{\"channels\": [{\"name\": \"SR\", \"data\": [1, 2]}, {\"name\": \"CR\"}], \"n\": 3}";
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"/channels/7\"}]", HFX_ERR_PATCH,
               "/0: remove failed: path /channels/7 does not exist (array /channels has 2 elements)");
    check_fail(doc,
               "[{\"op\": \"add\", \"path\": \"/x\", \"value\": 1}, {\"op\": \"test\", \"path\": \"/channels/0/name\", "
               "\"value\": \"CR\"}]",
               HFX_ERR_PATCH, "/1: test failed: value at /channels/0/name is \"SR\", expected \"CR\"");
    check_fail(doc, "[{\"op\": \"test\", \"path\": \"/channels/0\", \"value\": {\"name\": \"SR\", \"data\": [1, 2.5]}}]",
               HFX_ERR_PATCH,
               "/0: test failed: value at /channels/0 is {\"name\":\"SR\",\"data\":[1,2]}, expected "
               "{\"name\":\"SR\",\"data\":[1,2.5]}");
    check_fail(doc, "[{\"op\": \"test\", \"path\": \"/nope\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: test failed: path /nope does not exist");
    check_fail(doc, "[{\"op\": \"replace\", \"path\": \"/channels/0/missing\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: replace failed: path /channels/0/missing does not exist");
    check_fail(doc, "[{\"op\": \"add\", \"path\": \"/a/b/c\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: add failed: path /a/b/c: /a does not exist");
    check_fail(doc, "[{\"op\": \"add\", \"path\": \"/channels/3\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: add failed: index 3 in path /channels/3 is out of range (array has 2 elements)");
    check_fail(doc, "[{\"op\": \"add\", \"path\": \"/channels/01\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: add failed: '01' in path /channels/01 is not an array index");
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"/channels/-\"}]", HFX_ERR_PATCH,
               "/0: remove failed: path /channels/- does not exist ('-' is past the end of array /channels)");
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"/channels/x\"}]", HFX_ERR_PATCH,
               "/0: remove failed: path /channels/x does not exist ('x' is not an array index)");
    check_fail(doc, "[{\"op\": \"add\", \"path\": \"/n/k\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: add failed: path /n/k: /n is a number, not an object or array");
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"/n/k/z\"}]", HFX_ERR_PATCH,
               "/0: remove failed: path /n/k/z: /n/k does not exist (/n is a number)");
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"\"}]", HFX_ERR_PATCH,
               "/0: remove failed: cannot remove the whole document");
    check_fail(doc, "[{\"op\": \"move\", \"from\": \"/channels\", \"path\": \"/channels/0/x\"}]", HFX_ERR_PATCH,
               "/0: move failed: cannot move /channels into its own child /channels/0/x");
    check_fail(doc, "[{\"op\": \"move\", \"from\": \"/zz\", \"path\": \"/a\"}]", HFX_ERR_PATCH,
               "/0: move failed: path /zz does not exist");
    check_fail(doc, "[{\"op\": \"copy\", \"from\": \"/channels/2\", \"path\": \"/a\"}]", HFX_ERR_PATCH,
               "/0: copy failed: path /channels/2 does not exist (array /channels has 2 elements)");
    /* malformed operations */
    check_fail(doc, "[{\"path\": \"/a\"}]", HFX_ERR_PATCH, "/0: patch operation has no 'op'");
    check_fail(doc, "[{\"op\": 1, \"path\": \"/a\"}]", HFX_ERR_PATCH, "/0: 'op' must be a string, got a number");
    check_fail(doc, "[{\"op\": \"delete\", \"path\": \"/a\"}]", HFX_ERR_PATCH,
               "/0: unknown patch operation 'delete' (expected add, remove, replace, move, copy or test)");
    check_fail(doc, "[{\"op\": \"add\", \"value\": 1}]", HFX_ERR_PATCH, "/0: add failed: no 'path'");
    check_fail(doc, "[{\"op\": \"add\", \"path\": 3, \"value\": 1}]", HFX_ERR_PATCH,
               "/0: add failed: 'path' must be a string, got a number");
    check_fail(doc, "[{\"op\": \"replace\", \"path\": \"/n\"}]", HFX_ERR_PATCH, "/0: replace failed: no 'value'");
    check_fail(doc, "[{\"op\": \"copy\", \"path\": \"/n\"}]", HFX_ERR_PATCH, "/0: copy failed: no 'from'");
    check_fail(doc, "[{\"op\": \"move\", \"path\": \"/n\", \"from\": null}]", HFX_ERR_PATCH,
               "/0: move failed: 'from' must be a string, got null");
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"n\"}]", HFX_ERR_PATCH,
               "/0: remove failed: bad path \"n\": a JSON pointer must be empty or start with '/'");
    check_fail(doc, "[{\"op\": \"remove\", \"path\": \"/n~2\"}]", HFX_ERR_PATCH,
               "/0: remove failed: bad path \"/n~2\": '~' must be followed by 0 or 1 in a JSON pointer");
    check_fail(doc, "[17]", HFX_ERR_PATCH, "/0: a patch operation must be an object, got a number");
    check_fail(doc, "{\"op\": \"remove\", \"path\": \"/n\"}", HFX_ERR_PATCH,
               "a JSON patch must be an array of operations, got an object");
    /* atomic: the first operations succeeded, the last fails, nothing changes (check_fail checks) */
    check_fail(doc,
               "[{\"op\": \"remove\", \"path\": \"/channels/0\"}, {\"op\": \"add\", \"path\": \"/y\", \"value\": 2},"
               " {\"op\": \"replace\", \"path\": \"\", \"value\": 5}, {\"op\": \"test\", \"path\": \"\", \"value\": 6}]",
               HFX_ERR_PATCH, "/3: test failed: value at \"\" is 5, expected 6");
    /* a long value is cut short in the message */
    check_fail("{\"a\": \"0123456789012345678901234567890123456789012345678901234567890123456789"
               "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\"}",
               "[{\"op\": \"test\", \"path\": \"/a\", \"value\": 1}]", HFX_ERR_PATCH,
               "/0: test failed: value at /a is \"0123456789012345678901234567890123456789012345678901234567890123456789"
               "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234..., expected 1");
}

static void test_load_errors(void) {
    struct hfx_error e = { 0 };
    json_t *         v = NULL;
    char             buf[2048];
    ASSERT_EQ(hfx__json_load_string("{\"a\": [1e999]}", "x.json", &v, &e), HFX_ERR_JSON);
    ASSERT_STREQ(hfx_error_format(&e, buf, sizeof buf), "x.json:1:12: number out of range near '1e999'");
    ASSERT(v == NULL);
    ASSERT_EQ(hfx__json_load_string("{\"a\": 1,\n \"a\": 2}", NULL, &v, &e), HFX_ERR_JSON);
    ASSERT_STREQ(hfx_error_format(&e, buf, sizeof buf), "<string>:2:4: duplicate object key near '\"a\"'");
    /* integers beyond 64 bits are read as doubles, as Python reads them */
    ASSERT_EQ(hfx__json_load_string("[123456789012345678901234567890, 1]", NULL, &v, &e), HFX_OK);
    ASSERT_NEAR_REL(json_number_value(json_array_get(v, 0)), 1.2345678901234568e29, 1e-15);
    json_decref(v);
    ASSERT_EQ(hfx__json_load_file("/nonexistent/dir/ws.json", &v, &e), HFX_ERR_IO);
    ASSERT_STREQ(hfx_error_format(&e, buf, sizeof buf), "/nonexistent/dir/ws.json: cannot open file: No such file or directory");
    ASSERT_EQ(hfx__json_load_file("/nonexistent/dir/ws.json.gz", &v, &e), HFX_ERR_IO);
    ASSERT_STREQ(hfx_error_format(&e, buf, sizeof buf),
                 "/nonexistent/dir/ws.json.gz: cannot open file: No such file or directory");
}

static void test_workspace_api(void) {
    struct hfx_error e  = { 0 };
    hfx_workspace_t  ws = NULL, ws2 = NULL;
    char *           out = NULL;
    char             buf[2048];
    ASSERT_EQ(hfx_workspace_load_string("{\"channels\": [{\"name\": \"SR\"}], \"k\": 1.5, \"i\": 2}", "w.json", &ws, &e),
              HFX_OK);
    ASSERT_EQ(hfx_workspace_copy(ws, &ws2, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, "[{\"op\": \"replace\", \"path\": \"/channels/0/name\", \"value\": \"CR\"}]",
                                               "p.json", &e),
              HFX_OK);
    ASSERT_EQ(hfx_workspace_dump(ws, &out, &e), HFX_OK);
    ASSERT_STREQ(out, "{\"channels\":[{\"name\":\"CR\"}],\"k\":1.5,\"i\":2}"); /* order kept, ints stay ints */
    free(out);
    ASSERT_EQ(hfx_workspace_dump(ws2, &out, &e), HFX_OK); /* the copy is independent */
    ASSERT_STREQ(out, "{\"channels\":[{\"name\":\"SR\"}],\"k\":1.5,\"i\":2}");
    free(out);
    /* A failed patch names the patch source and leaves ws unchanged; a stale line is not reused. */
    e.line = 99;
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, "[{\"op\": \"remove\", \"path\": \"/k\"}, {\"op\": \"remove\", \"path\": \"/k\"}]",
                                               "p.json", &e),
              HFX_ERR_PATCH);
    ASSERT_STREQ(hfx_error_format(&e, buf, sizeof buf), "p.json: /1: remove failed: path /k does not exist");
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, "[{\"op\": ", "q.json", &e), HFX_ERR_JSON);
    ASSERT_STREQ(hfx_error_format(&e, buf, sizeof buf), "q.json:1:8: unexpected token near end of file");
    ASSERT_EQ(hfx_workspace_apply_patch_file(ws, "/nonexistent.json", &e), HFX_ERR_IO);
    ASSERT_EQ(hfx_workspace_dump(ws, &out, &e), HFX_OK);
    ASSERT_STREQ(out, "{\"channels\":[{\"name\":\"CR\"}],\"k\":1.5,\"i\":2}");
    free(out);
    /* success leaves err untouched */
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, "[]", NULL, &e), HFX_OK);
    ASSERT_EQ(e.code, HFX_ERR_IO);
    hfx_workspace_free(ws);
    hfx_workspace_free(ws2);
    ws = NULL;
    ASSERT_EQ(hfx_workspace_load_string("[1,", NULL, &ws, NULL), HFX_ERR_JSON); /* err may be NULL */
    ASSERT(ws == NULL);
    hfx_workspace_free(NULL);
    ASSERT_EQ(hfx_workspace_load(NULL, &ws, &e), HFX_ERR_ARG);
    ASSERT_EQ(hfx_workspace_load_string(NULL, NULL, &ws, NULL), HFX_ERR_ARG);
}

int main(void) {
    test_pointers();
    test_operations();
    test_equality();
    test_errors();
    test_load_errors();
    test_workspace_api();
    printf("test-json-patch: ok\n");
    return 0;
}
