/*
 * modifier-type.h -- the modifier types of HistFactory: the vocabulary that the validated spec
 * (spec/spec.h), the compiled model (model/model.h) and the readers and writers (io/) share.
 *
 * Layer rule: this header includes nothing of hfx, and no JSON: it sits below spec/ and below the
 * compiled model, so that model.h, and through it the backends, never see jansson
 * (docs/architecture.md).
 */
#ifndef HFX_MODIFIER_TYPE_H
#define HFX_MODIFIER_TYPE_H

/* Modifier types in pyhf's parameter-group order (the order parameters are laid out in). */
enum hfx_modifier_type {
    HFX_MOD_HISTOSYS = 0,
    HFX_MOD_LUMI,
    HFX_MOD_NORMFACTOR,
    HFX_MOD_NORMSYS,
    HFX_MOD_SHAPEFACTOR,
    HFX_MOD_SHAPESYS,
    HFX_MOD_STATERROR,
    HFX_MOD_COUNT
};
/* pyhf's name of t ("normsys", ...), "unknown" out of range; a static string. Defined in
 * model/modifier-types.c, beside the table of the types. */
const char * hfx__modifier_type_name(enum hfx_modifier_type t);

#endif /* HFX_MODIFIER_TYPE_H */
