/*
 * group.h -- the asymptotic hypotests of many models at once, in model groups (docs/batching.md,
 * "Patch grids on a device").
 *
 * The patches of one background differ only in their signal samples' tables, so their compiled
 * models have one shape. A model group is a backend plan holding such models side by side
 * (backend.h: group_create), and every fit job carries its model's index: the hypotest of every
 * model of the group then runs as one job state machine in at most three calls of the backend
 * (free fit and fit at mu to the data; the Asimov generator where it is not the free fit; the fits
 * to the Asimov data), which on a device are three launches for hundreds of patches. Each model's
 * fits, warnings and result are those of hfx_hypotest on an engine of its own (the same state
 * machine, group.c, run with one model), bit for bit on the CPU backends.
 *
 * Internal API for hfx scan (tools/hfx/cmd-scan.c) and the tests.
 */
#ifndef HFX_GROUP_H
#define HFX_GROUP_H

#include "fit/engine-ops.h"

/* One model of a group hypotest: the caller sets m; the call fills the rest. */
struct hfx__group_item {
    const struct hfx_model *   m;        /* borrowed; alive during the call */
    enum hfx_status            status;   /* HFX_OK, or why this model has no result (error says more) */
    struct hfx_error           error;
    struct hfx_hypotest_result result;   /* where status is HFX_OK */
    /* the multimodal-fit warnings of its fits, in hfx_hypotest's order (hfx_engine_warning); owned
     * by the item, freed by hfx__group_item_clear */
    struct hfx_fit_warning *   warnings;
    size_t                     n_warnings, cap_warnings;
};

/* What a call did, for the docs and the tests: model groups (one per shape), calls of the
 * backend's group_fit_jobs (launches, on a device) and fits. */
struct hfx__group_stats {
    size_t n_groups, n_calls, n_fits;
};

/* Whether hfx__hypotest_group can run these options: the backend (eo->backend, NULL: cpu-ref) has
 * model groups and is available here, and the calculator is the asymptotic one. */
bool hfx__group_supported(const struct hfx_engine_options * eo, const struct hfx_hypotest_options * ho);

/* Whether the backend of eo runs scans as model groups by default (backend.h: group_default). */
bool hfx__group_preferred(const struct hfx_engine_options * eo);

/* The asymptotic hypotest ho (ho->data must be NULL: each model's observed data) of every model
 * items[0..n), on backend eo->backend. Models of one shape (n_pars, n_bins, n_aux) share a group
 * (all else, the POI's index included, is each model's own); a model of another shape (a patch that adds a modifier or a channel) gets a group of its
 * own; where the backend cannot hold a group (HFX_ERR_UNSUPPORTED from group_create: large models
 * on a device), each of its models runs on an engine of its own (hfx_hypotest). A model that fails (bad options for it, a fit that cannot start, a backend error in its
 * group) gets its status and error, and the others go on. Returns HFX_OK, or an error that
 * concerns every model (unknown or unusable backend, HFX_ERR_UNSUPPORTED where
 * hfx__group_supported is false, out of memory); stats may be NULL. */
enum hfx_status hfx__hypotest_group(struct hfx__group_item * items, size_t n, const struct hfx_engine_options * eo,
                                    const struct hfx_hypotest_options * ho, struct hfx__group_stats * stats,
                                    struct hfx_error * err);

/* Frees an item's warnings (the model stays the caller's); NULL is a no-op. */
void hfx__group_item_clear(struct hfx__group_item * it);

#endif /* HFX_GROUP_H */
