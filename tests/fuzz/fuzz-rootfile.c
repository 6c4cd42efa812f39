/*
 * fuzz-rootfile.c -- libFuzzer harness for the ROOT-file reader (src/io/rootfile-read.c): opens the
 * input as a ROOT file and reads every histogram name a HistFactory input would use, plus a
 * subdirectory path. Any outcome but a crash or a sanitizer report is fine: errors are expected.
 * Build: see docs/io.md (clang -fsanitize=fuzzer,address,undefined with the library's sources).
 */
#include "io/io.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char * data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char * data, size_t size) {
    static const char * const names[] = {"histc_data", "histc_s", "dir/sub/nominal", "sig", "data", "/a/b/c"};
    struct hfx__root *        f       = NULL;
    struct hfx_error          err     = {0};
    if (hfx__root_open_memory(data, size, "fuzz.root", &f, &err) != HFX_OK) {
        return 0;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        double *v = NULL, *e = NULL;
        size_t  n = 0;
        if (hfx__root_has(f, names[i]) && hfx__root_read_hist(f, names[i], &v, &e, &n, &err) == HFX_OK) {
            free(v);
            free(e);
        }
    }
    hfx__root_close(f);
    return 0;
}
