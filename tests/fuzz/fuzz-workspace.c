/*
 * fuzz-workspace.c -- libFuzzer harness of the workspace loader: bytes (plain or gzip) -> JSON
 * (json-load.c) -> validation (spec-build.c) -> model (compile.c) -> twice_nll at the init.
 */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    struct hfx_error e    = { 0 };
    json_t *         root = NULL;
    enum hfx_status  st   = hfx__json_load_buffer(data, size, "fuzz", &root, &e);
    fuzz_check_error(st, &e);
    json_decref(root);
    char * text = fuzz_string(data, size);
    if (!text) {
        return 0;
    }
    hfx_workspace_t ws = NULL;
    st                 = hfx_workspace_load_string(text, "fuzz", &ws, &e);
    fuzz_check_error(st, &e);
    free(text);
    if (st == HFX_OK) {
        fuzz_check_error(hfx_workspace_validate(ws, &e), &e);
        fuzz_model(ws);
        char * dump = NULL;
        if (hfx_workspace_dump(ws, &dump, &e) == HFX_OK) {
            free(dump);
        }
    }
    hfx_workspace_free(ws);
    return 0;
}
