/*
 * test-groups.c -- model groups (src/infer/group.h, docs/batching.md): the conformance case of
 * backend-case-groups.h on every backend of the registry, and the proof that hfx scan's groups give
 * today's CLs bit for bit on every sbottom patch.
 *
 * 1. The case "groups" over every backend (test-backends.c's table runs it on each model alone), on one group of models of two shapes and a model without a POI:
 *    tests/data/infer_simple.json twice (one shape), infer_mixed.json (another shape: a group of its
 *    own), infer_simple.json built without a POI (fails with hfx_hypotest's error, the others go
 *    on), and with ../shared eight sbottom RegionA patches (one shape; a real warning among them:
 *    sbottom_300_205_60). Tolerances: backend-case-groups.h (bit for bit against the same backend's
 *    engines, 1e-9 against cpu-ref). A backend without groups reports "unsupported", one that is
 *    compiled in but not usable here (cuda without a GPU) SKIPPED with the reason.
 * 2. With ../shared: all 650 sbottom patches (regions A, B, C; the one whose model cannot be built,
 *    RegionB sbottom_1500_1495_60, is counted apart: hfx scan reports its error before any group),
 *    a region's patches as one call of hfx__hypotest_group on the cpu backend against
 *    hfx_hypotest on an engine of their own with one thread (what hfx scan runs by default): CLs_obs,
 *    CLs_exp, status and warnings equal to the bit (tolerance 0: the same fits, docs/batching.md).
 *    HFX_TEST_QUICK: region A's first 24 patches only.
 */
#include "backend-case-groups.h"

#include "hfx-test.h"

#include <unistd.h>

static int n_fail;

static hfx_model_t load_model(const char * path, bool no_poi) {
    struct hfx_error          err = {0};
    hfx_workspace_t           ws  = NULL;
    hfx_model_t               m   = NULL;
    struct hfx_model_options  mo  = {.no_poi = no_poi};
    ASSERT_EQ(hfx_workspace_load(path, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_model_create(ws, &mo, &m, &err), HFX_OK);
    hfx_workspace_free(ws);
    return m;
}

/* The model of patch file dir/region/patch.name.json on bkg; NULL where it cannot be built. */
static hfx_model_t patch_model(hfx_workspace_t bkg, const char * dir, const char * region, const char * name) {
    char             path[2048];
    struct hfx_error err = {0};
    hfx_workspace_t  ws  = NULL;
    hfx_model_t      m   = NULL;
    snprintf(path, sizeof path, "%s/%s/patch.%s.json", dir, region, name);
    ASSERT_EQ(hfx_workspace_copy(bkg, &ws, &err), HFX_OK);
    ASSERT_EQ(hfx_workspace_apply_patch_file(ws, path, &err), HFX_OK);
    if (hfx_model_create(ws, NULL, &m, &err) != HFX_OK) {
        m = NULL;
    }
    hfx_workspace_free(ws);
    return m;
}

/* The patch names of a region, sorted (hfx scan's order for a directory); *n of them. */
static char ** region_patches(const char * dir, const char * region, size_t * n) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "ls '%s/%s' | sed -n 's/^patch\\.\\(.*\\)\\.json$/\\1/p' | LC_ALL=C sort", dir, region);
    FILE * ls = popen(cmd, "r");
    ASSERT(ls != NULL);
    char ** names = malloc(1024 * sizeof *names);
    char    name[256];
    ASSERT(names != NULL);
    *n = 0;
    while (*n < 1024 && fgets(name, sizeof name, ls)) {
        name[strcspn(name, "\n")] = '\0';
        names[(*n)++]             = strdup(name);
    }
    pclose(ls);
    return names;
}

static void run_case(const char * label, hfx_model_t * models, size_t n) {
    for (size_t b = 0; b < hfx__backend_count(); ++b) {
        const struct hfx_backend_i * be  = hfx__backend_get(b);
        const char *                 why = NULL;
        if (be->available && !be->available(&why)) {
            printf("%-8s %-22s groups    SKIPPED (%s)\n", be->name, label, why ? why : "not available");
            continue;
        }
        char                    detail[4096];
        struct hfx__group_stats stats = {0};
        int                     r     = hfx_case_groups(be->name, models, n, &stats, detail, sizeof detail);
        if (r < 0) {
            printf("%-8s %-22s groups    unsupported (%s)\n", be->name, label, detail);
        } else {
            printf("%-8s %-22s groups    %s%s%s (%zu models: %zu groups, %zu calls, %zu fits)\n", be->name, label,
                   r ? "ok" : "FAIL", detail[0] ? ": " : "", detail, n, stats.n_groups, stats.n_calls, stats.n_fits);
            n_fail += !r;
        }
    }
}

/* Part 2: one region's patches as one group call on cpu against an engine each. */
static size_t sbottom_region(const char * dir, const char * region, size_t limit, size_t * n_unbuilt) {
    char             path[2048];
    struct hfx_error err = {0};
    hfx_workspace_t  bkg = NULL;
    snprintf(path, sizeof path, "%s/%s/BkgOnly.json", dir, region);
    ASSERT_EQ(hfx_workspace_load(path, &bkg, &err), HFX_OK);
    size_t                   n_names = 0, n = 0;
    char **                  names   = region_patches(dir, region, &n_names);
    hfx_model_t *            models  = calloc(n_names + 1, sizeof *models);
    struct hfx__group_item * items   = calloc(n_names + 1, sizeof *items);
    size_t *                 which   = calloc(n_names + 1, sizeof *which); /* the name of each model */
    ASSERT(models && items && which);
    for (size_t i = 0; i < n_names && i < limit; ++i) {
        hfx_model_t m = patch_model(bkg, dir, region, names[i]);
        if (!m) {
            printf("  %s %s: the model cannot be built (hfx scan reports it before any group)\n", region, names[i]);
            ++*n_unbuilt;
            continue;
        }
        items[n].m  = m;
        which[n]    = i;
        models[n++] = m;
    }
    /* the shapes (a patch whose model has another shape gets a group of its own) */
    for (size_t k = 0; k < n; ++k) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; ++j) {
            seen = models[j]->n_pars == models[k]->n_pars && models[j]->n_bins == models[k]->n_bins &&
                   models[j]->n_aux == models[k]->n_aux;
        }
        size_t count = 0;
        for (size_t j = k; j < n && !seen; ++j) {
            count += models[j]->n_pars == models[k]->n_pars && models[j]->n_bins == models[k]->n_bins &&
                     models[j]->n_aux == models[k]->n_aux;
        }
        if (!seen) {
            printf("  %s: %zu patches of %zu parameters, %zu bins, %zu constraints (first: %s)\n", region, count,
                   models[k]->n_pars, models[k]->n_bins, models[k]->n_aux, names[which[k]]);
        }
    }
    struct hfx_engine_options   eo = {.backend = "cpu", .n_threads = 2};
    struct hfx_hypotest_options ho = {.poi_test = 1.0, .teststat = HFX_TESTSTAT_QTILDE, .calctype = HFX_CALC_ASYMPTOTICS};
    struct hfx__group_stats     stats;
    ASSERT_EQ(hfx__hypotest_group(items, n, &eo, &ho, &stats, &err), HFX_OK);
    size_t n_warned = 0;
    for (size_t k = 0; k < n; ++k) {
        struct hfx_hypotest_result r;
        struct hfx_fit_warning *   ws   = NULL;
        size_t                     n_ws = 0;
        char                       why[2048];
        ASSERT_EQ(case_groups_one(models[k], "cpu", 1, &ho, &r, &ws, &n_ws, why, sizeof why), HFX_OK);
        ASSERT_EQ(items[k].status, HFX_OK);
        bool same = r.cls_obs == items[k].result.cls_obs && r.status == items[k].result.status &&
                    n_ws == items[k].n_warnings;
        for (int i = 0; i < 5; ++i) {
            same = same && r.cls_exp[i] == items[k].result.cls_exp[i];
        }
        for (size_t i = 0; same && i < n_ws; ++i) {
            same = ws[i].twice_nll == items[k].warnings[i].twice_nll &&
                   ws[i].twice_nll_descent == items[k].warnings[i].twice_nll_descent &&
                   ws[i].role == items[k].warnings[i].role && ws[i].n_moved == items[k].warnings[i].n_moved;
        }
        if (!same) {
            printf("  FAIL %s model %zu: group CLs_obs %.17g, engine %.17g (%zu vs %zu warnings)\n", region, k,
                   items[k].result.cls_obs, r.cls_obs, items[k].n_warnings, n_ws);
            ++n_fail;
        }
        n_warned += n_ws > 0;
        free(ws);
        hfx__group_item_clear(&items[k]);
        hfx_model_free(models[k]);
    }
    printf("  %s: %zu patches in %zu group(s), %zu calls of the backend, %zu fits; %zu with warnings; "
           "CLs, status and warnings equal to the bit\n",
           region, n, stats.n_groups, stats.n_calls, stats.n_fits, n_warned);
    for (size_t i = 0; i < n_names; ++i) {
        free(names[i]);
    }
    free(names);
    free(models);
    free(items);
    free(which);
    hfx_workspace_free(bkg);
    return n;
}

int main(void) {
    bool        quick   = getenv("HFX_TEST_QUICK") != NULL;
    const char *archive = HFX_SHARED_DIR "/likelihoods/sbottom-hepdata.89408.tar.gz";
    bool        shared  = access(archive, R_OK) == 0;
    char        dir[]   = "/tmp/hfx-test-groups-XXXXXX";
    char        cmd[4096];
    if (shared) {
        ASSERT(mkdtemp(dir) != NULL);
        snprintf(cmd, sizeof cmd, "tar xzf '%s' -C '%s'", archive, dir);
        ASSERT(system(cmd) == 0);
    }

    /* 1. the conformance case */
    hfx_model_t models[16];
    size_t      n = 0;
    models[n++]   = load_model(HFX_TEST_DATA "/infer_simple.json", false);
    models[n++]   = load_model(HFX_TEST_DATA "/infer_mixed.json", false);
    models[n++]   = load_model(HFX_TEST_DATA "/infer_simple.json", true);
    models[n++]   = load_model(HFX_TEST_DATA "/infer_simple.json", false);
    run_case("infer_*", models, n);
    if (shared) {
        static const char * names[8] = {"sbottom_300_205_60",  "sbottom_1300_205_60", "sbottom_1000_131_1",
                                        "sbottom_600_500_60",  "sbottom_800_230_100", "sbottom_1400_1350_60",
                                        "sbottom_800_131_1",  "sbottom_1400_730_500"};
        struct hfx_error    err;
        hfx_workspace_t     bkg = NULL;
        char                path[2048];
        snprintf(path, sizeof path, "%s/RegionA/BkgOnly.json", dir);
        ASSERT_EQ(hfx_workspace_load(path, &bkg, &err), HFX_OK);
        for (size_t i = 0; i < 8; ++i) {
            models[n + i] = patch_model(bkg, dir, "RegionA", names[i]);
            ASSERT(models[n + i] != NULL);
        }
        hfx_workspace_free(bkg);
        run_case("sbottom RegionA x8", models + n, 8);
        n += 8;
    } else {
        printf("sbottom cases SKIPPED (../shared sbottom likelihoods not found)\n");
    }
    for (size_t i = 0; i < n; ++i) {
        hfx_model_free(models[i]);
    }

    /* 2. every sbottom patch, group vs engine, bit for bit */
    if (shared) {
        static const char * regions[3] = {"RegionA", "RegionB", "RegionC"};
        size_t              total = 0, unbuilt = 0;
        for (int r = 0; r < (quick ? 1 : 3); ++r) {
            total += sbottom_region(dir, regions[r], quick ? 24 : (size_t) -1, &unbuilt);
        }
        printf("sbottom: %zu patches as model groups on cpu, equal to the bit to hfx_hypotest on an engine each; "
               "%zu could not be built\n",
               total, unbuilt);
        ASSERT(quick || total + unbuilt == 650);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        ASSERT(system(cmd) == 0);
    }
    printf("%s\n", n_fail ? "FAILED" : "all passed");
    return n_fail ? 1 : 0;
}
