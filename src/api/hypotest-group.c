/*
 * hypotest-group.c -- the public model-group calls (hfx_hypotest_group and friends, hfx.h) over the
 * internal ones of infer/group.h, so that `hfx scan` reaches model groups through the public API.
 *
 * The public item is the internal one without its growth bookkeeping (cap_warnings): a call copies
 * the models into internal items, runs the group hypotest, and hands each result and warning list
 * over to the caller's item (one allocation of n internal items per call; the fits dominate).
 */
#include "infer/group.h"

bool hfx_hypotest_group_supported(const struct hfx_engine_options * eo, const struct hfx_hypotest_options * ho) {
    return hfx__group_supported(eo, ho);
}

bool hfx_hypotest_group_preferred(const struct hfx_engine_options * eo) {
    return hfx__group_preferred(eo);
}

enum hfx_status hfx_hypotest_group(struct hfx_group_item * items, size_t n, const struct hfx_engine_options * eo,
                                   const struct hfx_hypotest_options * ho, struct hfx_error * err) {
    if ((!items && n > 0) || !ho) {
        return hfx__error(err, HFX_ERR_ARG, NULL, "hfx_hypotest_group: NULL argument");
    }
    struct hfx__group_item * in = hfx__calloc(n ? n : 1, sizeof *in);
    if (!in) {
        return hfx__error_oom(err, "the items of a group hypotest", n * sizeof *in);
    }
    for (size_t i = 0; i < n; ++i) {
        in[i].m = items[i].m;
    }
    enum hfx_status st = hfx__hypotest_group(in, n, eo, ho, NULL, err);
    for (size_t i = 0; i < n; ++i) {
        items[i].status     = in[i].status;
        items[i].error      = in[i].error;
        items[i].result     = in[i].result;
        items[i].warnings   = in[i].warnings; /* ownership passes to the caller's item */
        items[i].n_warnings = in[i].n_warnings;
    }
    free(in);
    return st;
}

void hfx_group_item_clear(struct hfx_group_item * item) {
    if (item) {
        free(item->warnings);
        item->warnings   = NULL;
        item->n_warnings = 0;
    }
}
