/*
 * fuzz-hs3.c -- libFuzzer harness of the HS3 reader (src/io/hs3-read.c): bytes -> JSON -> the pyhf
 * workspace of an HS3 document -> validation -> model and twice_nll at its init -> HS3 again
 * (hs3-write.c). fuzz-workspace reaches the same reader, but its pyhf seeds rarely mutate into an HS3
 * document; this one starts from HS3 files (tests/fuzz/corpus/hs3: an export of spec-simple.json
 * and issue 19's reproducers: axes whose bin count wrapped, a staterror without parameters, a gamma
 * named twice). Every error must come as one line; crashes, hangs, leaks and sanitizer reports are
 * what libFuzzer finds.
 */
#include "fuzz-common.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    struct hfx_error e    = {0};
    json_t *         root = NULL;
    enum hfx_status  st   = hfx__json_load_buffer(data, size, "fuzz", &root, &e);
    fuzz_check_error(st, &e);
    if (st != HFX_OK) {
        return 0;
    }
    json_t * ws_tree = NULL;
    if (hfx__hs3_is(root)) {
        st = hfx__hs3_read(root, &ws_tree, &e);
        fuzz_check_error(st, &e);
    }
    json_decref(root);
    if (!ws_tree) {
        return 0;
    }
    /* the tree through the public loader, as every command reads an HS3 file */
    char * text = json_dumps(ws_tree, JSON_COMPACT);
    json_decref(ws_tree);
    if (!text) {
        return 0;
    }
    hfx_workspace_t ws = NULL;
    st                 = hfx_workspace_load_string(text, "fuzz", &ws, &e);
    free(text);
    fuzz_check_error(st, &e);
    if (st == HFX_OK) {
        st = hfx_workspace_validate(ws, &e);
        fuzz_check_error(st, &e);
    }
    if (st == HFX_OK) {
        fuzz_model(ws);
        char * back = NULL;
        fuzz_check_error(hfx_workspace_dump_hs3(ws, NULL, &back, &e), &e);
        free(back);
    }
    hfx_workspace_free(ws);
    return 0;
}
