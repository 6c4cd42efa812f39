/*
 * toys.c -- the toy-based calculator (pyhf ToyCalculator): not implemented yet.
 */
#include "infer/infer.h"

enum hfx_status hfx__hypotest_toys(hfx_engine_t e, const struct hfx_hypotest_options * opts,
                                   struct hfx_hypotest_result * result, struct hfx_error * err) {
    (void) e;
    (void) opts;
    (void) result;
    return hfx__error(err, HFX_ERR_UNSUPPORTED, NULL, "the toy-based calculator is not implemented yet");
}
