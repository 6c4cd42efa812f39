/*
 * modifier-types.h -- what each pyhf modifier type is, in one table (modifier-types.c).
 *
 * pyhf keeps one modifier type in one file (pyhf/modifiers/shapesys.py: its schema, its parameter
 * set's requirements, how it builds). hfx keeps one row per type: the "data" its JSON carries and so
 * its bin-length rules (spec-build.c validates by this), whether one name may be carried by several
 * samples or shared with another type, the parameter set it asks for (one parameter or one per bin,
 * defaults of inits, bounds, auxdata and widths, or none where the measurement must give them), its
 * constraint (none, Gaussian, Poisson) and where the constraint's width comes from, and the compiled
 * form that carries it to the likelihood kernel (model.h's scalar, histo and per-bin tables), by which
 * compile.c builds it. Spec validation and the model compiler read the row, never the type; the HS3
 * and XML readers and writers keep their own field maps (a type's HS3 and XML spelling), and take
 * defaults and set sizes from here.
 *
 * Adding a type: a row here and its enum value (in pyhf's parameter-group order, which is the
 * alphabetical order of the names), plus the field maps of io/hs3-*.c and io/xml-*.c. A type that
 * needs a compiled form or a constraint width rule not listed below also needs that form in
 * compile.c (build_tables) and in the kernel (eval-kernel.h): see docs/architecture.md.
 *
 * This header includes nothing of the spec or the model (the enum itself is model/modifier-type.h),
 * so that both layers (and the readers and writers) may include it.
 */
#ifndef HFX_MODIFIER_TYPES_H
#define HFX_MODIFIER_TYPES_H

#include <stdbool.h>

#include "model/modifier-type.h" /* enum hfx_modifier_type, hfx__modifier_type_name */

/* The "data" member of a modifier (pyhf 1.0.0 schema) and so its length rules. */
enum hfx_mod_data {
    HFX_MOD_DATA_NULL,    /* null */
    HFX_MOD_DATA_HI_LO,   /* {"hi": number, "lo": number} */
    HFX_MOD_DATA_HI_LO_BINS, /* {"hi_data": [n_bins numbers], "lo_data": [n_bins numbers]} */
    HFX_MOD_DATA_BINS,    /* [n_bins numbers]: absolute uncertainties */
};

/* How a modifier acts on its sample's rates, compiled (model.h). */
enum hfx_mod_form {
    HFX_MOD_FORM_FACTOR,  /* scalar factor theta (struct hfx_mod_scalar, HFX_SCALAR_FACTOR) */
    HFX_MOD_FORM_NORMSYS, /* scalar factor interpolated from data (hi, lo) (HFX_SCALAR_NORMSYS) */
    HFX_MOD_FORM_HISTO,   /* additive per-bin delta interpolated from (hi_data, lo_data) (struct hfx_mod_histo) */
    HFX_MOD_FORM_PERBIN,  /* per-bin factor theta[i] (struct hfx_mod_perbin) */
};

/* The constraint term of each parameter of the set. */
enum hfx_mod_constraint {
    HFX_MOD_CONSTRAINT_NONE    = 0,
    HFX_MOD_CONSTRAINT_GAUSS   = 1, /* N(aux | theta, sigma) */
    HFX_MOD_CONSTRAINT_POISSON = 2, /* Pois(aux | theta * tau), aux = tau */
};

/* How many parameters a set has. */
enum hfx_mod_set {
    HFX_MOD_SET_SCALAR,       /* one */
    HFX_MOD_SET_BINS,         /* one per bin of the carrying sample; a name shared by several
                               * samples shares parameter i by bin position, so needs equal bin counts */
    HFX_MOD_SET_CHANNEL_BINS, /* one per bin of each channel carrying it, in sorted channel order */
};

/* Where the constraint's width and auxiliary data come from. */
enum hfx_mod_width {
    HFX_MOD_WIDTH_DEFAULT, /* the row's aux and sigma (or the measurement's) */
    HFX_MOD_WIDTH_POISSON, /* tau_i = (nominal_i / data_i)^2, aux = tau; a bin with nominal or data <= 0
                            * is fixed (pyhf shapesys) */
    HFX_MOD_WIDTH_STAT,    /* sigma_i = sqrt(sum_s data_s,i^2) / sum_s nominal_s,i over the samples
                            * carrying the name; sigma 0 fixes the bin, with sigma 1 (pyhf staterror) */
};

struct hfx__modifier_rules {
    const char *            name;         /* pyhf's type string */
    enum hfx_mod_data       data;
    enum hfx_mod_form       form;
    enum hfx_mod_set        set;
    enum hfx_mod_constraint constraint;
    enum hfx_mod_width      width;
    bool                    shared;       /* may several samples carry one name (pyhf: not shapesys) */
    int                     share_group;  /* types of one non-zero group may share a name: their parameter
                                           * requirements coincide (normsys and histosys) */
    const char *            only_name;    /* the one name the schema allows ("lumi"), or NULL */
    bool                    has_defaults; /* false: inits, bounds, auxdata and sigmas come from the
                                           * measurement (pyhf's lumi: None) */
    double                  init, lo, hi; /* default init and bounds of every parameter of the set */
    double                  aux, sigma;   /* default auxiliary datum and width (HFX_MOD_WIDTH_DEFAULT) */
    bool                    sets_by_name; /* sets laid out in name order, not in order of first
                                           * appearance (pyhf's staterror builder registers them in
                                           * finalize(), in key order) */
};

/* The row of type t (t < HFX_MOD_COUNT: the caller's type came from hfx__modifier_type_from_name). */
const struct hfx__modifier_rules * hfx__modifier_rules_of(enum hfx_modifier_type t);


/* The type called s; false if none is. */
bool hfx__modifier_type_from_name(const char * s, enum hfx_modifier_type * t);

/* Whether one name may stand for modifiers of types a and b (one parameter set). */
bool hfx__modifier_types_share(enum hfx_modifier_type a, enum hfx_modifier_type b);

#endif /* HFX_MODIFIER_TYPES_H */
