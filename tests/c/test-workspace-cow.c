/*
 * test-workspace-cow.c -- workspaces share their JSON trees copy-on-write (src/spec/json-patch.c):
 * hfx_workspace_copy() takes a reference to the background's root, and patches copy only what they
 * change. Checks that the background never changes, that copies patched differently never see each
 * other's changes (also when patch values, copied and moved nodes are shared inside one tree or with
 * the patch document), that a failed patch leaves a shared copy as it was, and that all of this holds
 * with many threads patching copies of one background at once.
 */
#include "hfx-test.h"
#include "spec/spec.h"

#include <pthread.h>

static const char * const BKG =
    "{\"channels\": ["
    "{\"name\": \"CR\", \"samples\": ["
    "{\"name\": \"bkg1\", \"data\": [10.0, 20.0], \"modifiers\": ["
    "{\"name\": \"lumi\", \"type\": \"lumi\", \"data\": null},"
    "{\"name\": \"sys1\", \"type\": \"normsys\", \"data\": {\"hi\": 1.1, \"lo\": 0.9}},"
    "{\"name\": \"stat_CR\", \"type\": \"staterror\", \"data\": [1.0, 2.0]}]},"
    "{\"name\": \"bkg2\", \"data\": [5.0, 6.0], \"modifiers\": ["
    "{\"name\": \"sys2\", \"type\": \"histosys\", \"data\": {\"hi_data\": [6.0, 7.0], \"lo_data\": [4.0, 5.0]}},"
    "{\"name\": \"stat_CR\", \"type\": \"staterror\", \"data\": [0.5, 0.5]}]}]},"
    "{\"name\": \"SR\", \"samples\": ["
    "{\"name\": \"bkg1\", \"data\": [3.0], \"modifiers\": ["
    "{\"name\": \"lumi\", \"type\": \"lumi\", \"data\": null},"
    "{\"name\": \"sys1\", \"type\": \"normsys\", \"data\": {\"hi\": 1.2, \"lo\": 0.8}}]}]}],"
    "\"observations\": [{\"name\": \"CR\", \"data\": [15, 26]}, {\"name\": \"SR\", \"data\": [4]}],"
    "\"measurements\": [{\"name\": \"meas\", \"config\": {\"poi\": \"mu\", \"parameters\": ["
    "{\"name\": \"lumi\", \"auxdata\": [1.0], \"sigmas\": [0.02], \"bounds\": [[0.5, 1.5]], \"inits\": [1.0]}]}}],"
    "\"version\": \"1.0.0\"}";

/* A patch that depends on k: adds a signal sample carrying the POI, changes numbers deep inside the
 * shared tree, removes, copies, moves, and then changes the copied and moved nodes again. */
static char * make_patch(int k) {
    char * p = malloc(4096);
    ASSERT(p);
    snprintf(p, 4096,
             "["
             "{\"op\": \"add\", \"path\": \"/channels/1/samples/0\", \"value\": {\"name\": \"sig\", \"data\": [%d.5],"
             " \"modifiers\": [{\"name\": \"mu\", \"type\": \"normfactor\", \"data\": null},"
             " {\"name\": \"lumi\", \"type\": \"lumi\", \"data\": null}]}},"
             "{\"op\": \"replace\", \"path\": \"/channels/0/samples/0/data/1\", \"value\": %d},"
             "{\"op\": \"replace\", \"path\": \"/channels/0/samples/1/modifiers/0/data/hi_data/0\", \"value\": %d.25},"
             "{\"op\": \"remove\", \"path\": \"/channels/0/samples/0/modifiers/%d\"},"
             "{\"op\": \"copy\", \"from\": \"/channels/0/samples/1\", \"path\": \"/channels/1/samples/-\"},"
             "{\"op\": \"replace\", \"path\": \"/channels/1/samples/2/name\", \"value\": \"copied%d\"},"
             "{\"op\": \"replace\", \"path\": \"/channels/1/samples/2/data\", \"value\": [%d.75]},"
             "{\"op\": \"replace\", \"path\": \"/channels/1/samples/2/modifiers/0/data/hi_data\", \"value\": [1.5]},"
             "{\"op\": \"replace\", \"path\": \"/channels/1/samples/2/modifiers/0/data/lo_data\", \"value\": [0.5]},"
             "{\"op\": \"remove\", \"path\": \"/channels/1/samples/2/modifiers/1\"},"
             "{\"op\": \"move\", \"from\": \"/measurements/0/config/parameters/0\", \"path\": \"/measurements/0/config/parameters/-\"},"
             "{\"op\": \"add\", \"path\": \"/measurements/0/config/parameters/0/fixed\", \"value\": %s},"
             "{\"op\": \"test\", \"path\": \"/channels/1/samples/0/data/0\", \"value\": %d.5}"
             "]",
             k, 100 + k, k, k % 2, k, k, k % 2 ? "true" : "false", k);
    return p;
}

static char * dump(hfx_workspace_t ws) {
    char *           out = NULL;
    struct hfx_error e   = { 0 };
    ASSERT_EQ(hfx_workspace_dump(ws, &out, &e), HFX_OK);
    return out;
}

/* What patch k gives on a freshly parsed background that shares nothing. */
static char * reference(int k) {
    hfx_workspace_t  ws = NULL;
    struct hfx_error e  = { 0 };
    char *           p  = make_patch(k);
    ASSERT_EQ(hfx_workspace_load_string(BKG, "bkg", &ws, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, p, "patch", &e), HFX_OK);
    char * out = dump(ws);
    hfx_workspace_free(ws);
    free(p);
    return out;
}

/* Copies bkg, patches the copy with patch k, checks it against the reference and that it builds a
 * model with the signal's POI. */
static void patch_copy(hfx_workspace_t bkg, int k, const char * want) {
    hfx_workspace_t  ws = NULL;
    struct hfx_error e  = { 0 };
    char *           p  = make_patch(k);
    ASSERT_EQ(hfx_workspace_copy(bkg, &ws, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, p, "patch", &e), HFX_OK);
    char * got = dump(ws);
    ASSERT_STREQ(got, want);
    hfx_model_t m = NULL;
    ASSERT_EQ(hfx_model_create(ws, NULL, &m, &e), HFX_OK);
    size_t set = 0;
    ASSERT_EQ(hfx_model_find_parset(m, "mu", &set, NULL), HFX_OK);
    hfx_model_free(m);
    hfx_workspace_free(ws);
    free(got);
    free(p);
}

static void test_background_unchanged(void) {
    hfx_workspace_t  bkg = NULL;
    struct hfx_error e   = { 0 };
    ASSERT_EQ(hfx_workspace_load_string(BKG, "bkg", &bkg, &e), HFX_OK);
    char * before = dump(bkg);
    for (int k = 0; k < 20; k++) {
        char * want = reference(k);
        patch_copy(bkg, k, want);
        free(want);
    }
    char * after = dump(bkg);
    ASSERT_STREQ(after, before);
    free(after);
    free(before);
    hfx_workspace_free(bkg);
}

/* Two live copies patched differently, then patched again, never see each other's changes; nor does
 * a copy of a copy, nor the background. */
static void test_copies_independent(void) {
    hfx_workspace_t  bkg = NULL, a = NULL, b = NULL, c = NULL;
    struct hfx_error e   = { 0 };
    ASSERT_EQ(hfx_workspace_load_string(BKG, "bkg", &bkg, &e), HFX_OK);
    char * before = dump(bkg);
    ASSERT_EQ(hfx_workspace_copy(bkg, &a, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_copy(bkg, &b, &e), HFX_OK);
    char * pa = make_patch(1), * pb = make_patch(2);
    ASSERT_EQ(hfx_workspace_apply_patch_string(a, pa, "a", &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_copy(a, &c, &e), HFX_OK); /* c shares a's patched tree */
    ASSERT_EQ(hfx_workspace_apply_patch_string(b, pb, "b", &e), HFX_OK);
    char * ra = reference(1), * rb = reference(2);
    char * da = dump(a), * db = dump(b), * dc = dump(c), * d0 = dump(bkg);
    ASSERT_STREQ(da, ra);
    ASSERT_STREQ(db, rb);
    ASSERT_STREQ(dc, ra);
    ASSERT_STREQ(d0, before);
    free(da), free(db), free(dc), free(d0);
    /* change c where it shares with a, b where it shares with bkg */
    ASSERT_EQ(hfx_workspace_apply_patch_string(
                  c, "[{\"op\": \"replace\", \"path\": \"/channels/1/samples/0/data/0\", \"value\": -1.5},"
                     " {\"op\": \"replace\", \"path\": \"/channels/1/samples/2/modifiers/0/data/hi_data/0\", \"value\": -2.5}]",
                  "c", &e),
              HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(
                  b, "[{\"op\": \"replace\", \"path\": \"/channels/0/samples/1/data/0\", \"value\": -3.5},"
                     " {\"op\": \"remove\", \"path\": \"/observations/1\"}]",
                  "b", &e),
              HFX_OK);
    da = dump(a), d0 = dump(bkg), dc = dump(c), db = dump(b);
    ASSERT_STREQ(da, ra);
    ASSERT_STREQ(d0, before);
    ASSERT(strstr(dc, "[-1.5") && strstr(dc, "[-2.5"));
    ASSERT(strstr(db, "[-3.5") && !strstr(db, "{\"name\":\"SR\",\"data\""));
    /* a failed patch leaves a shared copy (and what it shares) unchanged */
    char * dc_before = dc;
    ASSERT_EQ(hfx_workspace_apply_patch_string(
                  c, "[{\"op\": \"remove\", \"path\": \"/channels/0\"}, {\"op\": \"replace\", \"path\": \"/nope/0\", \"value\": 1}]",
                  "c", &e),
              HFX_ERR_PATCH);
    dc = dump(c);
    ASSERT_STREQ(dc, dc_before);
    char * da2 = dump(a);
    ASSERT_STREQ(da2, ra);
    free(da2), free(dc_before);
    free(da), free(db), free(dc), free(d0), free(ra), free(rb), free(pa), free(pb);
    hfx_workspace_free(a);
    hfx_workspace_free(c);
    char * d1 = dump(b); /* b still works after a and c are gone */
    free(d1);
    hfx_workspace_free(b);
    char * after = dump(bkg);
    ASSERT_STREQ(after, before);
    free(after), free(before);
    hfx_workspace_free(bkg);
}

/* Values taken from the patch document, and nodes shared by copy, are copied before they change:
 * neither the patch document nor the other place in the tree sees the change. */
static void test_shared_values(void) {
    struct hfx_error e = { 0 };
    json_t *         doc = NULL, * patch = NULL, * more = NULL;
    ASSERT_EQ(hfx__json_load_string("{\"a\": {\"x\": [1, 2]}}", "d", &doc, &e), HFX_OK);
    ASSERT_EQ(hfx__json_load_string("[{\"op\": \"add\", \"path\": \"/b\", \"value\": {\"y\": [3, 4]}},"
                                    " {\"op\": \"copy\", \"from\": \"/a\", \"path\": \"/c\"},"
                                    " {\"op\": \"copy\", \"from\": \"\", \"path\": \"/a/self\"}]",
                                    "p", &patch, &e),
              HFX_OK);
    char * patch_before = json_dumps(patch, JSON_COMPACT);
    ASSERT_EQ(hfx__json_patch_apply(&doc, patch, &e), HFX_OK);
    ASSERT_EQ(hfx__json_load_string("[{\"op\": \"replace\", \"path\": \"/b/y/0\", \"value\": 30},"
                                    " {\"op\": \"add\", \"path\": \"/b/z\", \"value\": 5},"
                                    " {\"op\": \"replace\", \"path\": \"/c/x/1\", \"value\": 20},"
                                    " {\"op\": \"remove\", \"path\": \"/a/self/b\"}]",
                                    "m", &more, &e),
              HFX_OK);
    ASSERT_EQ(hfx__json_patch_apply(&doc, more, &e), HFX_OK);
    char * got          = json_dumps(doc, JSON_COMPACT);
    char * patch_after  = json_dumps(patch, JSON_COMPACT);
    ASSERT_STREQ(got, "{\"a\":{\"x\":[1,2],\"self\":{\"a\":{\"x\":[1,2]},\"c\":{\"x\":[1,2]}}},\"b\":{\"y\":[30,4],\"z\":5},\"c\":{\"x\":[1,20]}}");
    ASSERT_STREQ(patch_after, patch_before);
    json_decref(patch); /* the document now owns what it shared with the patch */
    ASSERT_EQ(hfx__json_load_string("[{\"op\": \"replace\", \"path\": \"/b/y/1\", \"value\": 40}]", "n", &patch, &e),
              HFX_OK);
    ASSERT_EQ(hfx__json_patch_apply(&doc, patch, &e), HFX_OK);
    free(got);
    got = json_dumps(doc, JSON_COMPACT);
    ASSERT_STREQ(got, "{\"a\":{\"x\":[1,2],\"self\":{\"a\":{\"x\":[1,2]},\"c\":{\"x\":[1,2]}}},\"b\":{\"y\":[30,40],\"z\":5},\"c\":{\"x\":[1,20]}}");
    free(got), free(patch_before), free(patch_after);
    json_decref(patch);
    json_decref(more);
    json_decref(doc);
}

enum { N_THREADS = 8, N_PER_THREAD = 40, N_PATCHES = 16 };

static const char * const MID_PATCH = "[{\"op\": \"replace\", \"path\": \"/channels/1/samples/0/data/0\", \"value\": 0.125},"
                                      " {\"op\": \"remove\", \"path\": \"/channels/1/samples/2/modifiers/0\"}]";

struct job {
    hfx_workspace_t bkg, mid;
    char **         want;     /* [N_PATCHES] */
    const char *    mid_want; /* MID_PATCH on mid */
    int             id;
};

static void * worker(void * arg) {
    const struct job * j = arg;
    for (int i = 0; i < N_PER_THREAD; i++) {
        int k = (j->id * 7 + i) % N_PATCHES;
        patch_copy(j->bkg, k, j->want[k]);
        /* and a copy of a patched copy, which shares nodes with the background and with the patch */
        hfx_workspace_t  ws = NULL;
        struct hfx_error e  = { 0 };
        ASSERT_EQ(hfx_workspace_copy(j->mid, &ws, &e), HFX_OK);
        ASSERT_EQ(hfx_workspace_apply_patch_string(ws, MID_PATCH, "mid", &e), HFX_OK);
        char * got = dump(ws);
        ASSERT_STREQ(got, j->mid_want);
        free(got);
        hfx_workspace_free(ws);
    }
    return NULL;
}

static void test_threads(void) {
    hfx_workspace_t  bkg = NULL;
    struct hfx_error e   = { 0 };
    ASSERT_EQ(hfx_workspace_load_string(BKG, "bkg", &bkg, &e), HFX_OK);
    char * before = dump(bkg);
    char * want[N_PATCHES];
    for (int k = 0; k < N_PATCHES; k++) {
        want[k] = reference(k);
    }
    /* a live patched copy shared by the threads too: its tree is the background for some nodes */
    hfx_workspace_t mid = NULL;
    char *          p   = make_patch(3);
    ASSERT_EQ(hfx_workspace_copy(bkg, &mid, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(mid, p, "mid", &e), HFX_OK);
    char *          mid_before = dump(mid);
    hfx_workspace_t fresh      = NULL; /* the reference for MID_PATCH, sharing nothing */
    ASSERT_EQ(hfx_workspace_load_string(mid_before, "fresh", &fresh, &e), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_string(fresh, MID_PATCH, "fresh", &e), HFX_OK);
    char * mid_want = dump(fresh);
    hfx_workspace_free(fresh);
    pthread_t  t[N_THREADS];
    struct job jobs[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        jobs[i] = (struct job) { bkg, mid, want, mid_want, i };
        ASSERT_EQ(pthread_create(&t[i], NULL, worker, &jobs[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        ASSERT_EQ(pthread_join(t[i], NULL), 0);
    }
    char * after = dump(bkg), * mid_after = dump(mid);
    ASSERT_STREQ(after, before);
    ASSERT_STREQ(mid_after, mid_before);
    for (int k = 0; k < N_PATCHES; k++) {
        free(want[k]);
    }
    free(after), free(before), free(mid_after), free(mid_before), free(mid_want), free(p);
    hfx_workspace_free(mid);
    hfx_workspace_free(bkg);
}

int main(void) {
    test_background_unchanged();
    test_copies_independent();
    test_shared_values();
    test_threads();
    puts("test-workspace-cow: ok");
    return 0;
}
