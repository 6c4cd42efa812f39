/*
 * modifier-types.c -- the table of modifier types (modifier-types.h says what a row holds).
 *
 * The numbers are pyhf 0.7.6's (pyhf/modifiers/<type>.py, required_parset): normfactor and
 * shapefactor init 1 in [0, 10], unconstrained; normsys and histosys init 0 in [-5, 5] with
 * N(0 | alpha, 1); shapesys and staterror init 1 in [1e-10, 10], Poisson and Gaussian; lumi's come
 * from the measurement.
 */
#include "model/modifier-types.h"

#include "hfx-impl.h"

#include <string.h>

enum { SHARE_NONE = 0, SHARE_ALPHA = 1 }; /* normsys + histosys: one alpha parameter */

static const struct hfx__modifier_rules types[HFX_MOD_COUNT] = {
    [HFX_MOD_HISTOSYS] = {
        .name = "histosys", .data = HFX_MOD_DATA_HI_LO_BINS, .form = HFX_MOD_FORM_HISTO, .set = HFX_MOD_SET_SCALAR,
        .constraint = HFX_MOD_CONSTRAINT_GAUSS, .width = HFX_MOD_WIDTH_DEFAULT, .shared = true,
        .share_group = SHARE_ALPHA, .has_defaults = true, .init = 0.0, .lo = -5.0, .hi = 5.0, .aux = 0.0, .sigma = 1.0,
    },
    [HFX_MOD_LUMI] = {
        .name = "lumi", .data = HFX_MOD_DATA_NULL, .form = HFX_MOD_FORM_FACTOR, .set = HFX_MOD_SET_SCALAR,
        .constraint = HFX_MOD_CONSTRAINT_GAUSS, .width = HFX_MOD_WIDTH_DEFAULT, .shared = true,
        .only_name = "lumi", .has_defaults = false,
    },
    [HFX_MOD_NORMFACTOR] = {
        .name = "normfactor", .data = HFX_MOD_DATA_NULL, .form = HFX_MOD_FORM_FACTOR, .set = HFX_MOD_SET_SCALAR,
        .constraint = HFX_MOD_CONSTRAINT_NONE, .width = HFX_MOD_WIDTH_DEFAULT, .shared = true,
        .has_defaults = true, .init = 1.0, .lo = 0.0, .hi = 10.0,
    },
    [HFX_MOD_NORMSYS] = {
        .name = "normsys", .data = HFX_MOD_DATA_HI_LO, .form = HFX_MOD_FORM_NORMSYS, .set = HFX_MOD_SET_SCALAR,
        .constraint = HFX_MOD_CONSTRAINT_GAUSS, .width = HFX_MOD_WIDTH_DEFAULT, .shared = true,
        .share_group = SHARE_ALPHA, .has_defaults = true, .init = 0.0, .lo = -5.0, .hi = 5.0, .aux = 0.0, .sigma = 1.0,
    },
    [HFX_MOD_SHAPEFACTOR] = {
        .name = "shapefactor", .data = HFX_MOD_DATA_NULL, .form = HFX_MOD_FORM_PERBIN, .set = HFX_MOD_SET_BINS,
        .constraint = HFX_MOD_CONSTRAINT_NONE, .width = HFX_MOD_WIDTH_DEFAULT, .shared = true,
        .has_defaults = true, .init = 1.0, .lo = 0.0, .hi = 10.0,
    },
    [HFX_MOD_SHAPESYS] = {
        .name = "shapesys", .data = HFX_MOD_DATA_BINS, .form = HFX_MOD_FORM_PERBIN, .set = HFX_MOD_SET_BINS,
        .constraint = HFX_MOD_CONSTRAINT_POISSON, .width = HFX_MOD_WIDTH_POISSON, .shared = false,
        .has_defaults = true, .init = 1.0, .lo = 1e-10, .hi = 10.0,
    },
    [HFX_MOD_STATERROR] = {
        .name = "staterror", .data = HFX_MOD_DATA_BINS, .form = HFX_MOD_FORM_PERBIN, .set = HFX_MOD_SET_CHANNEL_BINS,
        .constraint = HFX_MOD_CONSTRAINT_GAUSS, .width = HFX_MOD_WIDTH_STAT, .shared = true,
        .has_defaults = true, .init = 1.0, .lo = 1e-10, .hi = 10.0, .aux = 1.0, .sets_by_name = true,
    },
};

const struct hfx__modifier_rules * hfx__modifier_rules_of(enum hfx_modifier_type t) {
    HFX_ASSERT((unsigned) t < HFX_MOD_COUNT); /* types come from hfx__modifier_type_from_name */
    return &types[t];
}

const char * hfx__modifier_type_name(enum hfx_modifier_type t) {
    return (unsigned) t < HFX_MOD_COUNT ? types[t].name : "unknown";
}

bool hfx__modifier_type_from_name(const char * s, enum hfx_modifier_type * t) {
    for (int i = 0; i < HFX_MOD_COUNT; i++) {
        if (strcmp(s, types[i].name) == 0) {
            *t = (enum hfx_modifier_type) i;
            return true;
        }
    }
    return false;
}

bool hfx__modifier_types_share(enum hfx_modifier_type a, enum hfx_modifier_type b) {
    return a == b || (types[a].share_group != SHARE_NONE && types[a].share_group == types[b].share_group);
}
