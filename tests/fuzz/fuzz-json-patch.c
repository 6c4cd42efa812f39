/*
 * fuzz-json-patch.c -- libFuzzer harness of RFC 6902 patching (json-patch.c): the input is a patch
 * applied to a valid background (fuzz-common.h), twice (so that the second application meets the
 * trees the first one shared), then the result is validated, dumped and built into a model. A
 * failed patch must leave the workspace exactly as it was.
 */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    char * patch = fuzz_string(data, size);
    if (!patch) {
        return 0;
    }
    struct hfx_error e   = { 0 };
    hfx_workspace_t  bkg = NULL, ws = NULL;
    if (hfx_workspace_load_string(FUZZ_BACKGROUND, "bkg", &bkg, &e) != HFX_OK ||
        hfx_workspace_copy(bkg, &ws, &e) != HFX_OK) {
        abort();
    }
    for (int round = 0; round < 2; round++) {
        char * before = NULL, * after = NULL;
        if (hfx_workspace_dump(ws, &before, &e) != HFX_OK) {
            abort();
        }
        enum hfx_status st = hfx_workspace_apply_patch_string(ws, patch, "patch", &e);
        fuzz_check_error(st, &e);
        if (st != HFX_OK) {
            if (hfx_workspace_dump(ws, &after, &e) != HFX_OK || strcmp(before, after) != 0) {
                abort(); /* a failed patch changed the workspace */
            }
        } else {
            fuzz_check_error(hfx_workspace_validate(ws, &e), &e);
            if (hfx_workspace_dump(ws, &after, &e) != HFX_OK) {
                abort();
            }
        }
        free(before);
        free(after);
    }
    fuzz_model(ws);
    /* the background, which shares nodes with ws, is untouched */
    char * text = NULL;
    json_t * expected = json_loads(FUZZ_BACKGROUND, 0, NULL);
    json_t * now      = NULL;
    if (hfx_workspace_dump(bkg, &text, &e) != HFX_OK || !(now = json_loads(text, 0, NULL)) ||
        !json_equal(now, expected)) {
        abort();
    }
    free(text);
    json_decref(now);
    json_decref(expected);
    hfx_workspace_free(ws);
    hfx_workspace_free(bkg);
    free(patch);
    return 0;
}
