/*
 * fuzz-patchset.c -- libFuzzer harness of the patchset loader (patchset.c): bytes -> JSON ->
 * patchset schema and uniqueness checks -> the queries the CLI makes -> each of its first patches
 * applied to a copy of a valid background (fuzz-common.h) and the result validated.
 */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    struct hfx_error e    = { 0 };
    json_t *         root = NULL;
    enum hfx_status  st   = hfx__json_load_buffer(data, size, "fuzz", &root, &e);
    fuzz_check_error(st, &e);
    if (st != HFX_OK) {
        return 0;
    }
    hfx_patchset_t ps = NULL;
    st                = hfx__patchset_from_json(root, "fuzz", &ps, &e);
    fuzz_check_error(st, &e);
    if (st != HFX_OK) {
        return 0;
    }
    size_t n = hfx_patchset_n_patches(ps), n_labels = hfx_patchset_n_labels(ps);
    for (size_t k = 0; k < n_labels; k++) {
        if (!hfx_patchset_label(ps, k)) {
            abort();
        }
    }
    (void) hfx_patchset_metadata(ps, "digests");
    (void) hfx_patchset_metadata(ps, "description");
    size_t index = 0;
    fuzz_check_error(hfx_patchset_find(ps, "no_such_patch", &index, &e), &e);
    hfx_workspace_t bkg = NULL;
    if (hfx_workspace_load_string(FUZZ_BACKGROUND, "bkg", &bkg, &e) != HFX_OK) {
        abort();
    }
    for (size_t i = 0; i < n && i < 4; i++) {
        const char * name = hfx_patchset_patch_name(ps, i);
        if (!name || hfx_patchset_find(ps, name, &index, &e) != HFX_OK || index != i) {
            abort();
        }
        for (size_t k = 0; k < n_labels; k++) {
            (void) hfx_patchset_patch_value_string(ps, i, k);
        }
        hfx_workspace_t ws = NULL;
        if (hfx_workspace_copy(bkg, &ws, &e) != HFX_OK) {
            abort();
        }
        st = hfx_patchset_apply(ps, i, ws, &e);
        fuzz_check_error(st, &e);
        if (st == HFX_OK) {
            fuzz_check_error(hfx_workspace_validate(ws, &e), &e);
        }
        hfx_workspace_free(ws);
    }
    hfx_workspace_free(bkg);
    hfx_patchset_free(ps);
    return 0;
}
