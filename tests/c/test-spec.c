/*
 * test-spec.c -- workspace validation (src/spec/spec-build.c), patchsets (src/spec/patchset.c) and
 * the bad-input corpus.
 *
 * Sections:
 * - the spec built from tests/data/spec-simple.json, field by field;
 * - tests/data/bad/: every file listed in expected.tsv must fail with exactly the line given there
 *   (as hfx_error_format prints it, file names relative to tests/data/bad). "*.patch.json" files are
 *   JSON patches applied to ../spec-simple.json, "*.patchset.json" files are loaded as patchsets,
 *   everything else is loaded as a workspace and validated;
 * - the patchset tests/data/spec-patchset.json: queries, find, apply;
 * - every workspace of ../shared (the likelihood zoo and the random pyhf reference workspaces) must
 *   validate, with pyhf's bin count. Skipped (exit 77) when ../shared is absent, after the rest ran.
 */
#include "hfx-test.h"
#include "spec/spec.h"

#include <dirent.h>
#include <unistd.h>

static char fmt_buf[2048];

static const char * fmt(const struct hfx_error * e) {
    return hfx_error_format(e, fmt_buf, sizeof fmt_buf);
}

/* Loads and validates a workspace file; returns the status, the spec in *spec (caller frees). */
static enum hfx_status build_file(const char * path, struct hfx_spec * spec, struct hfx_error * e) {
    hfx_workspace_t ws = NULL;
    enum hfx_status st = hfx_workspace_load(path, &ws, e);
    if (st == HFX_OK) {
        st = hfx__spec_build(ws->root, path, spec, e);
    }
    hfx_workspace_free(ws);
    return st;
}

static void test_simple(void) {
    struct hfx_spec  spec = { 0 };
    struct hfx_error e    = { 0 };
    if (build_file(HFX_TEST_DATA "/spec-simple.json", &spec, &e) != HFX_OK) {
        fprintf(stderr, "%s\n", fmt(&e));
        abort();
    }
    ASSERT_EQ(spec.n_channels, 2);
    ASSERT_STREQ(spec.source, HFX_TEST_DATA "/spec-simple.json");
    const struct hfx_spec_channel * sr = &spec.channels[0], * cr = &spec.channels[1];
    ASSERT_STREQ(sr->name, "SR"); /* workspace order, not sorted */
    ASSERT_STREQ(cr->name, "CR");
    ASSERT_EQ(sr->n_bins, 2);
    ASSERT_EQ(cr->n_bins, 1);
    ASSERT_STREQ(sr->pointer, "/channels/0");
    ASSERT_NEAR_REL(sr->observed[1], 70.0, 0);
    ASSERT_NEAR_REL(cr->observed[0], 205.0, 0); /* an integer in the file */
    ASSERT_EQ(sr->n_samples, 2);
    const struct hfx_spec_sample * tt = &sr->samples[1];
    ASSERT_STREQ(tt->name, "ttbar");
    ASSERT_STREQ(tt->pointer, "/channels/0/samples/1");
    ASSERT_NEAR_REL(tt->data[0], 50.0, 0);
    ASSERT_EQ(tt->n_mods, 4);
    ASSERT_EQ(tt->mods[0].type, HFX_MOD_NORMSYS);
    ASSERT_NEAR_REL(tt->mods[0].hi, 1.1, 0);
    ASSERT_NEAR_REL(tt->mods[0].lo, 0.9, 0);
    ASSERT_EQ(tt->mods[1].type, HFX_MOD_HISTOSYS);
    ASSERT_STREQ(tt->mods[1].name, "jes");
    ASSERT_NEAR_REL(tt->mods[1].hi_data[1], 63.0, 0);
    ASSERT_NEAR_REL(tt->mods[1].lo_data[0], 48.0, 0);
    ASSERT_EQ(tt->mods[2].type, HFX_MOD_STATERROR);
    ASSERT_NEAR_REL(tt->mods[2].data[1], 4.0, 0);
    ASSERT_STREQ(tt->mods[2].pointer, "/channels/0/samples/1/modifiers/2");
    ASSERT_EQ(cr->samples[0].mods[1].type, HFX_MOD_SHAPESYS);
    ASSERT_EQ(cr->samples[0].mods[2].type, HFX_MOD_SHAPEFACTOR);
    ASSERT_EQ(sr->samples[0].mods[0].type, HFX_MOD_NORMFACTOR);
    ASSERT_EQ(sr->samples[0].mods[1].type, HFX_MOD_LUMI);
    ASSERT_EQ(spec.n_measurements, 1);
    const struct hfx_spec_measurement * m = &spec.measurements[0];
    ASSERT_STREQ(m->name, "meas");
    ASSERT_STREQ(m->poi, "mu");
    ASSERT_EQ(m->n_parconfigs, 2);
    const struct hfx_spec_parconfig * lumi = &m->parconfigs[0], * mu = &m->parconfigs[1];
    ASSERT_STREQ(lumi->name, "lumi");
    ASSERT_EQ(lumi->n_auxdata, 1);
    ASSERT_NEAR_REL(lumi->sigmas[0], 0.02, 0);
    ASSERT_EQ(lumi->n_bounds, 1);
    ASSERT_NEAR_REL(lumi->bounds[1], 1.5, 0);
    ASSERT_EQ(lumi->n_inits, 1);
    ASSERT_EQ(lumi->n_factors, 0);
    ASSERT(!lumi->has_fixed);
    ASSERT(mu->has_fixed && !mu->fixed);
    ASSERT_EQ(mu->n_inits, 0);
    ASSERT_STREQ(mu->pointer, "/measurements/0/config/parameters/1");
    ASSERT_STREQ(hfx__modifier_type_name(HFX_MOD_STATERROR), "staterror");
    hfx__spec_free(&spec);
    hfx__spec_free(&spec); /* freeing twice is harmless: the spec is zeroed */
}

/* One corpus entry: returns the formatted error (or "" if nothing failed). */
static enum hfx_status run_bad(const char * file, struct hfx_error * e) {
    size_t n = strlen(file);
    if (n > 11 && strcmp(file + n - 11, ".patch.json") == 0) {
        hfx_workspace_t ws = NULL;
        enum hfx_status st = hfx_workspace_load("../spec-simple.json", &ws, e);
        ASSERT_EQ(st, HFX_OK);
        char * before = NULL, * after = NULL;
        ASSERT_EQ(hfx_workspace_dump(ws, &before, e), HFX_OK);
        st = hfx_workspace_apply_patch_file(ws, file, e);
        ASSERT_EQ(hfx_workspace_dump(ws, &after, NULL), HFX_OK);
        ASSERT_STREQ(before, after); /* a failed patch changes nothing */
        free(before);
        free(after);
        hfx_workspace_free(ws);
        return st;
    }
    if (n > 14 && strcmp(file + n - 14, ".patchset.json") == 0) {
        hfx_patchset_t ps = NULL;
        enum hfx_status st = hfx_patchset_load(file, &ps, e);
        ASSERT(st != HFX_OK || ps != NULL);
        hfx_patchset_free(ps);
        return st;
    }
    struct hfx_spec spec = { 0 };
    enum hfx_status st   = build_file(file, &spec, e);
    hfx__spec_free(&spec);
    return st;
}

static void test_bad_corpus(void) {
    char cwd[4096];
    ASSERT(getcwd(cwd, sizeof cwd) != NULL);
    ASSERT(chdir(HFX_TEST_DATA "/bad") == 0);
    FILE * f = fopen("expected.tsv", "r");
    ASSERT(f != NULL);
    char   line[4096];
    int    n_cases = 0, n_failed = 0;
    char   listed[256][256];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        char * tab = strchr(line, '\t');
        ASSERT(tab != NULL);
        *tab                 = '\0';
        const char * file    = line, * want = tab + 1;
        struct hfx_error e   = { 0 };
        enum hfx_status  st  = run_bad(file, &e);
        const char *     got = st == HFX_OK ? "(no error)" : fmt(&e);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "%s:\n  got:      %s\n  expected: %s\n", file, got, want);
            n_failed++;
        }
        ASSERT(n_cases < 256);
        ASSERT(strlen(file) < sizeof listed[n_cases]);
        memcpy(listed[n_cases], file, strlen(file) + 1);
        n_cases++;
    }
    fclose(f);
    /* Every .json file of the corpus is listed, so none is silently skipped. */
    DIR * d = opendir(".");
    ASSERT(d != NULL);
    for (struct dirent * ent; (ent = readdir(d));) {
        size_t n = strlen(ent->d_name);
        if (n < 5 || strcmp(ent->d_name + n - 5, ".json") != 0) {
            continue;
        }
        bool found = false;
        for (int i = 0; i < n_cases && !found; i++) {
            found = strcmp(listed[i], ent->d_name) == 0;
        }
        if (!found) {
            fprintf(stderr, "%s is not listed in expected.tsv\n", ent->d_name);
            n_failed++;
        }
    }
    closedir(d);
    ASSERT(chdir(cwd) == 0);
    ASSERT(n_cases >= 30);
    ASSERT_EQ(n_failed, 0);
}

static void test_patchset(void) {
    struct hfx_error e  = { 0 };
    hfx_patchset_t   ps = NULL;
    if (hfx_patchset_load(HFX_TEST_DATA "/spec-patchset.json", &ps, &e) != HFX_OK) {
        fprintf(stderr, "%s\n", fmt(&e));
        abort();
    }
    ASSERT_EQ(hfx_patchset_n_patches(ps), 3);
    ASSERT_EQ(hfx_patchset_n_labels(ps), 2);
    ASSERT_STREQ(hfx_patchset_label(ps, 0), "m_sig");
    ASSERT_STREQ(hfx_patchset_label(ps, 1), "m_lsp");
    ASSERT(hfx_patchset_label(ps, 2) == NULL);
    ASSERT_STREQ(hfx_patchset_patch_name(ps, 1), "sig_600_100");
    ASSERT(hfx_patchset_patch_name(ps, 3) == NULL);
    ASSERT_NEAR_REL(hfx_patchset_patch_values(ps, 1)[0], 600.0, 0);
    ASSERT_NEAR_REL(hfx_patchset_patch_values(ps, 1)[1], 100.0, 0);
    ASSERT_NEAR_REL(hfx_patchset_patch_values(ps, 2)[0], 700.0, 0); /* "700", a string */
    ASSERT(isnan(hfx_patchset_patch_values(ps, 2)[1]));             /* "heavy" */
    ASSERT_STREQ(hfx_patchset_metadata(ps, "description"), "signal points for spec-simple.json");
    ASSERT_STREQ(hfx_patchset_metadata(ps, "analysis_id"), "TEST-2024-01");
    ASSERT_STREQ(hfx_patchset_metadata(ps, "digests"), "{\"md5\":\"48e112858b241e93b7fa48b033e0719c\"}");
    ASSERT(hfx_patchset_metadata(ps, "digests") == hfx_patchset_metadata(ps, "digests")); /* cached */
    ASSERT_STREQ(hfx_patchset_metadata(ps, "labels"), "[\"m_sig\",\"m_lsp\"]");
    ASSERT(hfx_patchset_metadata(ps, "nothing") == NULL);

    size_t idx = 99;
    ASSERT_EQ(hfx_patchset_find(ps, "sig_600_100", &idx, &e), HFX_OK);
    ASSERT_EQ(idx, 1);
    ASSERT_EQ(hfx_patchset_find(ps, "sig_600_200", &idx, &e), HFX_ERR_NOT_FOUND);
    ASSERT_STREQ(fmt(&e), HFX_TEST_DATA "/spec-patchset.json: no patch named 'sig_600_200' among 3 patches (closest: "
                          "'sig_600_100', 'sig_700_200', 'sig_500_100')");

    hfx_workspace_t ws = NULL;
    ASSERT_EQ(hfx_workspace_load(HFX_TEST_DATA "/spec-simple.json", &ws, &e), HFX_OK);
    ASSERT_EQ(hfx_patchset_apply(ps, 1, ws, &e), HFX_OK);
    struct hfx_spec spec = { 0 };
    ASSERT_EQ(hfx__spec_build(ws->root, "patched", &spec, &e), HFX_OK);
    ASSERT_EQ(spec.channels[1].n_samples, 2);
    ASSERT_STREQ(spec.channels[1].samples[1].name, "signal");
    ASSERT_NEAR_REL(spec.channels[0].samples[0].data[0], 0.5, 0);
    hfx__spec_free(&spec);

    char * before = NULL, * after = NULL;
    ASSERT_EQ(hfx_workspace_dump(ws, &before, &e), HFX_OK);
    ASSERT_EQ(hfx_patchset_apply(ps, 2, ws, &e), HFX_ERR_PATCH);
    ASSERT_STREQ(fmt(&e), HFX_TEST_DATA "/spec-patchset.json: /patches/2/patch/0: patch 'sig_700_200': test failed: "
                          "value at /channels/0/name is \"SR\", expected \"CR\"");
    ASSERT_EQ(hfx_workspace_dump(ws, &after, &e), HFX_OK);
    ASSERT_STREQ(before, after);
    free(before);
    free(after);
    ASSERT_EQ(hfx_patchset_apply(ps, 3, ws, &e), HFX_ERR_ARG);
    hfx_workspace_free(ws);
    hfx_patchset_free(ps);
    hfx_patchset_free(NULL);

    ASSERT_EQ(hfx_patchset_load(HFX_TEST_DATA "/no-such-patchset.json", &ps, &e), HFX_ERR_IO);
    ASSERT(ps == NULL);
}

/* Every zoo workspace validates, with the bin count pyhf reported. */
static void test_zoo(const char * shared) {
    char ref_path[4096];
    snprintf(ref_path, sizeof ref_path, "%s/reference/zoo_pyhf076.jsonl", shared);
    FILE * f = fopen(ref_path, "r");
    ASSERT(f != NULL);
    char * line = NULL;
    size_t cap = 0;
    int    n   = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t je;
        json_t *     ref = json_loads(line, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!ref) {
            continue; /* not expected: the reference is jansson-readable */
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/likelihoods/zoo/%s", shared, json_string_value(json_object_get(ref, "file")));
        struct hfx_spec  spec = { 0 };
        struct hfx_error e    = { 0 };
        if (build_file(path, &spec, &e) != HFX_OK) {
            fprintf(stderr, "%s\n", fmt(&e));
            abort();
        }
        size_t n_bins = 0;
        for (size_t c = 0; c < spec.n_channels; c++) {
            n_bins += spec.channels[c].n_bins;
        }
        ASSERT_EQ(n_bins, json_integer_value(json_object_get(ref, "nbins")));
        hfx__spec_free(&spec);
        json_decref(ref);
        n++;
    }
    free(line);
    fclose(f);
    ASSERT(n >= 60);
}

/* The random reference workspaces validate, and their measurements keep every parameter config. */
static void test_random(const char * shared) {
    char ref_path[4096];
    snprintf(ref_path, sizeof ref_path, "%s/reference/random_public.jsonl", shared);
    FILE * f = fopen(ref_path, "r");
    ASSERT(f != NULL);
    char * line = NULL;
    size_t cap = 0;
    int    n   = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t * ref = NULL;
        struct hfx_error e = { 0 };
        if (hfx__json_load_string(line, "random_public.jsonl", &ref, &e) != HFX_OK) {
            /* Python wrote NaN for a failed reference number; JSON has no NaN, so skip that line. */
            ASSERT(strstr(line, "NaN") != NULL);
            n++;
            continue;
        }
        json_t *        ws   = json_object_get(ref, "workspace");
        struct hfx_spec spec = { 0 };
        if (hfx__spec_build(ws, "random", &spec, &e) != HFX_OK) {
            fprintf(stderr, "line %d: %s\n", n + 1, fmt(&e));
            abort();
        }
        ASSERT_EQ(spec.measurements[0].n_parconfigs,
                  json_array_size(json_object_get(
                      json_object_get(json_array_get(json_object_get(ws, "measurements"), 0), "config"), "parameters")));
        hfx__spec_free(&spec);
        json_decref(ref);
        n++;
    }
    free(line);
    fclose(f);
    ASSERT(n >= 60);
}

int main(void) {
    test_simple();
    test_bad_corpus();
    test_patchset();
    const char * shared = HFX_SHARED_DIR;
    char         probe[4096];
    snprintf(probe, sizeof probe, "%s/reference/zoo_pyhf076.jsonl", shared);
    if (access(probe, R_OK) != 0) {
        SKIP("../shared is absent: the zoo and random workspaces were not checked (the rest passed)");
    }
    test_zoo(shared);
    test_random(shared);
    printf("test-spec: ok\n");
    return 0;
}
