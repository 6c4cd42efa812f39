/*
 * test-api-door.c -- the public calls the CLI and the Python module reach the library through
 * (issue 22, "the library has one door"), tested through include/hfx/hfx.h alone: this file includes
 * no header of src/, as tools/ and python/ may not. The workspace spec (hfx_workspace_spec,
 * hfx_spec_*) against the workspace written below, the workspace's source, the patchset's patches as
 * JSON text, hfx_model_find_parset's error, and the model-group hypotest (hfx_hypotest_group) against
 * hfx_hypotest on an engine per model, bit for bit.
 */
#include "hfx-test.h"
#include "hfx/hfx.h"

#include <fcntl.h>
#include <unistd.h>

static const char * const WS =
    "{\"channels\": ["
    "{\"name\": \"SR\", \"samples\": ["
    "{\"name\": \"sig\", \"data\": [2.0, 3.0], \"modifiers\": ["
    "{\"name\": \"mu\", \"type\": \"normfactor\", \"data\": null},"
    "{\"name\": \"lumi\", \"type\": \"lumi\", \"data\": null}]},"
    "{\"name\": \"bkg\", \"data\": [10.0, 20.0], \"modifiers\": ["
    "{\"name\": \"sys\", \"type\": \"normsys\", \"data\": {\"hi\": 1.1, \"lo\": 0.8}},"
    "{\"name\": \"shape\", \"type\": \"histosys\", \"data\": {\"hi_data\": [11.0, 22.0], \"lo_data\": [9.0, 18.0]}},"
    "{\"name\": \"stat_SR\", \"type\": \"staterror\", \"data\": [1.0, 2.0]},"
    "{\"name\": \"unc\", \"type\": \"shapesys\", \"data\": [3.0, 4.0]}]}]},"
    "{\"name\": \"CR\", \"samples\": ["
    "{\"name\": \"bkg\", \"data\": [50.0], \"modifiers\": ["
    "{\"name\": \"free\", \"type\": \"shapefactor\", \"data\": null}]}]}],"
    "\"observations\": [{\"name\": \"SR\", \"data\": [12, 25]}, {\"name\": \"CR\", \"data\": [49]}],"
    "\"measurements\": ["
    "{\"name\": \"first\", \"config\": {\"poi\": \"mu\", \"parameters\": ["
    "{\"name\": \"lumi\", \"auxdata\": [1.0], \"sigmas\": [0.02], \"bounds\": [[0.5, 1.5]], \"inits\": [1.0]},"
    "{\"name\": \"mu\", \"fixed\": true}]}},"
    "{\"name\": \"second\", \"config\": {\"poi\": \"\", \"parameters\": []}}],"
    "\"version\": \"1.0.0\"}";

static hfx_workspace_t load(const char * text) {
    hfx_workspace_t  ws  = NULL;
    struct hfx_error err = {0};
    ASSERT_EQ(hfx_workspace_load_string(text, "ws.json", &ws, &err), HFX_OK);
    return ws;
}

static void test_spec_channels(void) {
    hfx_workspace_t ws   = load(WS);
    hfx_spec_t      spec = NULL;
    ASSERT_EQ(hfx_workspace_spec(ws, &spec, NULL), HFX_OK);
    hfx_workspace_free(ws); /* the spec is a snapshot: it outlives the workspace */
    ASSERT_EQ(hfx_spec_n_channels(spec), 2);
    ASSERT_STREQ(hfx_spec_channel_name(spec, 0), "SR"); /* the workspace's order, not sorted */
    ASSERT_STREQ(hfx_spec_channel_name(spec, 1), "CR");
    ASSERT_EQ(hfx_spec_channel_n_bins(spec, 0), 2);
    ASSERT_EQ(hfx_spec_channel_n_bins(spec, 1), 1);
    ASSERT(hfx_spec_channel_observed(spec, 0)[1] == 25.0);
    ASSERT_EQ(hfx_spec_channel_n_samples(spec, 0), 2);
    ASSERT_STREQ(hfx_spec_sample_name(spec, 0, 1), "bkg");
    ASSERT(hfx_spec_sample_data(spec, 0, 1)[1] == 20.0);
    ASSERT_EQ(hfx_spec_sample_n_modifiers(spec, 0, 1), 4);

    struct hfx_modifier_info m;
    ASSERT(hfx_spec_modifier(spec, 0, 1, 0, &m));
    ASSERT_STREQ(m.name, "sys");
    ASSERT_STREQ(m.type, "normsys");
    ASSERT(m.hi == 1.1 && m.lo == 0.8 && !m.hi_data && !m.lo_data && !m.data);
    ASSERT(hfx_spec_modifier(spec, 0, 1, 1, &m));
    ASSERT_STREQ(m.type, "histosys");
    ASSERT(m.hi_data[1] == 22.0 && m.lo_data[0] == 9.0 && m.hi == 0 && !m.data);
    ASSERT(hfx_spec_modifier(spec, 0, 1, 2, &m));
    ASSERT_STREQ(m.type, "staterror");
    ASSERT(m.data[0] == 1.0 && m.data[1] == 2.0 && !m.hi_data);
    ASSERT(hfx_spec_modifier(spec, 0, 1, 3, &m));
    ASSERT_STREQ(m.type, "shapesys");
    ASSERT(m.data[1] == 4.0);
    ASSERT(hfx_spec_modifier(spec, 0, 0, 0, &m));
    ASSERT_STREQ(m.type, "normfactor");
    ASSERT(!m.data && !m.hi_data);
    ASSERT(hfx_spec_modifier(spec, 1, 0, 0, &m));
    ASSERT_STREQ(m.type, "shapefactor");

    /* out of range: NULL, 0, false, and out untouched */
    struct hfx_modifier_info before = m;
    ASSERT(!hfx_spec_modifier(spec, 0, 1, 4, &m));
    ASSERT(!hfx_spec_modifier(spec, 2, 0, 0, &m));
    ASSERT(memcmp(&before, &m, sizeof m) == 0);
    ASSERT(!hfx_spec_channel_name(spec, 2));
    ASSERT(!hfx_spec_sample_name(spec, 1, 1));
    ASSERT(!hfx_spec_sample_data(spec, 0, 2));
    ASSERT_EQ(hfx_spec_sample_n_modifiers(spec, 1, 5), 0);
    ASSERT_EQ(hfx_spec_n_channels(NULL), 0);
    hfx_spec_free(spec);
    hfx_spec_free(NULL);
}

static void test_spec_measurements(void) {
    hfx_workspace_t ws   = load(WS);
    hfx_spec_t      spec = NULL;
    ASSERT_EQ(hfx_workspace_spec(ws, &spec, NULL), HFX_OK);
    ASSERT_EQ(hfx_spec_n_measurements(spec), 2);
    ASSERT_STREQ(hfx_spec_measurement_name(spec, 0), "first");
    ASSERT_STREQ(hfx_spec_measurement_poi(spec, 0), "mu");
    ASSERT_STREQ(hfx_spec_measurement_poi(spec, 1), "");
    ASSERT_EQ(hfx_spec_measurement_n_parameters(spec, 0), 2);
    ASSERT_EQ(hfx_spec_measurement_n_parameters(spec, 1), 0);
    struct hfx_parameter_config p;
    ASSERT(hfx_spec_measurement_parameter(spec, 0, 0, &p));
    ASSERT_STREQ(p.name, "lumi");
    ASSERT(p.n_auxdata == 1 && p.auxdata[0] == 1.0 && p.n_sigmas == 1 && p.sigmas[0] == 0.02);
    ASSERT(p.n_bounds == 1 && p.bounds[0] == 0.5 && p.bounds[1] == 1.5 && p.n_inits == 1 && p.inits[0] == 1.0);
    ASSERT(p.n_factors == 0 && !p.has_fixed);
    ASSERT(hfx_spec_measurement_parameter(spec, 0, 1, &p));
    ASSERT_STREQ(p.name, "mu");
    ASSERT(p.has_fixed && p.fixed && p.n_inits == 0 && p.n_bounds == 0);
    ASSERT(!hfx_spec_measurement_parameter(spec, 0, 2, &p));
    ASSERT(!hfx_spec_measurement_parameter(spec, 2, 0, &p));
    ASSERT(!hfx_spec_measurement_name(spec, 2));

    size_t           i   = 99;
    struct hfx_error err = {0};
    ASSERT_EQ(hfx_spec_find_measurement(spec, "second", &i, &err), HFX_OK);
    ASSERT_EQ(i, 1);
    ASSERT_EQ(hfx_spec_find_measurement(spec, "third", &i, &err), HFX_ERR_NOT_FOUND);
    ASSERT_STREQ(err.msg, "no measurement named 'third' (the workspace has 'first', 'second')");
    ASSERT_EQ(hfx_spec_find_measurement(spec, NULL, &i, NULL), HFX_ERR_ARG);
    hfx_spec_free(spec);
    hfx_workspace_free(ws);
}

/* A workspace that fails validation gives hfx_workspace_validate's error, and no spec. */
static void test_spec_invalid(void) {
    hfx_workspace_t  ws = load("{\"channels\": [], \"observations\": [], \"measurements\": [], \"version\": \"1.0.0\"}");
    struct hfx_error e1 = {0}, e2 = {0};
    hfx_spec_t       spec = (hfx_spec_t) 1;
    enum hfx_status  st   = hfx_workspace_validate(ws, &e1);
    ASSERT(st != HFX_OK);
    ASSERT_EQ(hfx_workspace_spec(ws, &spec, &e2), st);
    ASSERT(spec == NULL);
    char a[2048], b[2048];
    ASSERT_STREQ(hfx_error_format(&e2, b, sizeof b), hfx_error_format(&e1, a, sizeof a));
    ASSERT_EQ(hfx_workspace_spec(NULL, &spec, NULL), HFX_ERR_ARG);
    hfx_workspace_free(ws);
}

static void test_source_and_find_parset(void) {
    hfx_workspace_t ws = load(WS);
    ASSERT_STREQ(hfx_workspace_source(ws), "ws.json");
    ASSERT_EQ(hfx_workspace_apply_patch_string(ws, "[{\"op\": \"test\", \"path\": \"/version\", \"value\": \"1.0.0\"}]",
                                               "p.json", NULL),
              HFX_OK);
    ASSERT_STREQ(hfx_workspace_source(ws), "ws.json (patched by p.json)");
    ASSERT(hfx_workspace_source(NULL) == NULL);

    hfx_model_t m = NULL;
    ASSERT_EQ(hfx_model_create(ws, NULL, &m, NULL), HFX_OK);
    size_t           set = 99;
    struct hfx_error err = {0};
    ASSERT_EQ(hfx_model_find_parset(m, "sys", &set, &err), HFX_OK);
    ASSERT_STREQ(hfx_model_parset_name(m, set), "sys");
    ASSERT_EQ(hfx_model_find_parset(m, "nope", &set, &err), HFX_ERR_NOT_FOUND);
    ASSERT_STREQ(err.msg, "no parameter set 'nope' in the model");
    ASSERT_EQ(err.code, HFX_ERR_NOT_FOUND);
    ASSERT_EQ(hfx_model_find_parset(m, "nope", &set, NULL), HFX_ERR_NOT_FOUND); /* err may be NULL */
    ASSERT_EQ(hfx_model_find_parset(m, NULL, &set, &err), HFX_ERR_ARG);
    hfx_model_free(m);
    hfx_workspace_free(ws);
}

static void test_patchset_patches(void) {
    const char * path = HFX_TEST_DATA "/spec-patchset.json";
    int          fd   = open(path, O_RDONLY);
    ASSERT(fd >= 0);
    hfx_patchset_t   ps  = NULL;
    struct hfx_error err = {0};
    ASSERT_EQ(hfx_patchset_load_fd(fd, "<stdin>", &ps, &err), HFX_OK);
    close(fd);
    ASSERT_EQ(hfx_patchset_n_patches(ps), 3);
    char * text = NULL;
    ASSERT_EQ(hfx_patchset_dump_patch(ps, 0, false, &text, &err), HFX_OK);
    ASSERT_STREQ(text, "[{\"op\":\"replace\",\"path\":\"/channels/0/samples/0/data\",\"value\":[1.5,2.5]}]");
    free(text);
    /* pyhf patchset extract --with-metadata: the patch's metadata updated by the patchset's, in order */
    ASSERT_EQ(hfx_patchset_dump_patch(ps, 2, true, &text, &err), HFX_OK);
    ASSERT_STREQ(text, "{\"metadata\":{\"name\":\"sig_700_200\",\"values\":[\"700\",\"heavy\"],"
                       "\"description\":\"signal points for spec-simple.json\","
                       "\"digests\":{\"md5\":\"48e112858b241e93b7fa48b033e0719c\"},\"labels\":[\"m_sig\",\"m_lsp\"],"
                       "\"references\":{\"hepdata\":\"ins1234567\"},\"analysis_id\":\"TEST-2024-01\"},"
                       "\"patch\":[{\"op\":\"test\",\"path\":\"/channels/0/name\",\"value\":\"CR\"}]}");
    free(text);
    text = (char *) 1;
    ASSERT_EQ(hfx_patchset_dump_patch(ps, 3, false, &text, &err), HFX_ERR_ARG);
    ASSERT(text == NULL);
    hfx_patchset_free(ps);

    /* a document that is not a patchset: its error names the name given */
    int pipefd[2];
    ASSERT(pipe(pipefd) == 0);
    ASSERT(write(pipefd[1], "{\"patches\": []}", 15) == 15);
    close(pipefd[1]);
    ASSERT(hfx_patchset_load_fd(pipefd[0], "<stdin>", &ps, &err) != HFX_OK);
    close(pipefd[0]);
    ASSERT(ps == NULL);
    ASSERT_STREQ(err.source, "<stdin>");
}

/* hfx_hypotest_group gives each model what hfx_hypotest on its own engine gives, bit for bit (CPU). */
static void test_group(void) {
    struct hfx_engine_options   eo = {.backend = "cpu", .n_threads = 2};
    struct hfx_hypotest_options ho = {.poi_test = 1.0};
    if (!hfx_hypotest_group_supported(&eo, &ho)) {
        fprintf(stderr, "SKIPPED: the cpu backend has no model groups here\n");
        return;
    }
    ASSERT(!hfx_hypotest_group_preferred(&eo)); /* the CPU runs a patch per thread by default */
    struct hfx_hypotest_options toys = ho;
    toys.calctype                    = HFX_CALC_TOYBASED;
    ASSERT(!hfx_hypotest_group_supported(&eo, &toys));

    enum { N = 3 };
    hfx_workspace_t       ws[N];
    struct hfx_group_item items[N + 1];
    memset(items, 0, sizeof items);
    for (int k = 0; k < N; k++) {
        ws[k] = load(WS);
        char patch[256]; /* each model its own signal */
        snprintf(patch, sizeof patch,
                 "[{\"op\": \"replace\", \"path\": \"/channels/0/samples/0/data\", \"value\": [%d.5, %d.0]}]", k + 1,
                 2 * k + 3);
        ASSERT_EQ(hfx_workspace_apply_patch_string(ws[k], patch, "p", NULL), HFX_OK);
        ASSERT_EQ(hfx_model_create(ws[k], NULL, &items[k].m, NULL), HFX_OK);
    }
    items[N].m = NULL; /* a NULL model: its own error, the others go on */
    ASSERT_EQ(hfx_hypotest_group(items, N + 1, &eo, &ho, NULL), HFX_OK);
    for (int k = 0; k < N; k++) {
        ASSERT_EQ(items[k].status, HFX_OK);
        hfx_engine_t               e = NULL;
        struct hfx_hypotest_result r;
        ASSERT_EQ(hfx_engine_create(items[k].m, &eo, &e, NULL), HFX_OK);
        ASSERT_EQ(hfx_hypotest(e, &ho, &r, NULL), HFX_OK);
        ASSERT(memcmp(&r.cls_obs, &items[k].result.cls_obs, sizeof r.cls_obs) == 0);
        ASSERT(memcmp(r.cls_exp, items[k].result.cls_exp, sizeof r.cls_exp) == 0);
        ASSERT(memcmp(&r.teststat, &items[k].result.teststat, sizeof r.teststat) == 0);
        ASSERT(memcmp(&r.mu_hat, &items[k].result.mu_hat, sizeof r.mu_hat) == 0);
        ASSERT_EQ(r.status, items[k].result.status);
        ASSERT_EQ(hfx_engine_n_warnings(e), items[k].n_warnings);
        hfx_engine_free(e);
        hfx_group_item_clear(&items[k]);
        ASSERT(items[k].warnings == NULL && items[k].n_warnings == 0);
        hfx_model_free(items[k].m);
        hfx_workspace_free(ws[k]);
    }
    ASSERT_EQ(items[N].status, HFX_ERR_ARG);
    hfx_group_item_clear(&items[N]);
    hfx_group_item_clear(NULL);
    ASSERT_EQ(hfx_hypotest_group(NULL, 1, &eo, &ho, NULL), HFX_ERR_ARG);
}

int main(void) {
    test_spec_channels();
    test_spec_measurements();
    test_spec_invalid();
    test_source_and_find_parset();
    test_patchset_patches();
    test_group();
    printf("test-api-door: ok\n");
    return 0;
}
