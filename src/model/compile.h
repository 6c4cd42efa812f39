/*
 * compile.h -- spec -> model: the one function that turns a validated spec (spec/spec.h) into the
 * compiled model's tables (model/model.h), pyhf 0.7.6's model-building rules (compile.c).
 *
 * Layer rule: the only model/ header that includes spec/ (and so JSON): the compiled model itself
 * (model.h) knows nothing of the spec it came from, so that the backends never see jansson
 * (docs/architecture.md). Included by model.c (hfx_model_create) and compile.c.
 */
#ifndef HFX_MODEL_COMPILE_H
#define HFX_MODEL_COMPILE_H

#include "model/model.h"
#include "spec/spec.h"

/* Compiles spec into *m (zero-initialised by the caller; its tables live in m->arena, freed with
 * hfx_model_free, also after a failure). opts may be NULL (the defaults). Errors: HFX_ERR_MODEL
 * (with the JSON pointer of the culprit) where pyhf would refuse the model, HFX_ERR_NOT_FOUND for an
 * unknown measurement, HFX_ERR_ARG for bad options, HFX_ERR_ALLOC. spec is only read and may be freed afterwards. */
enum hfx_status hfx__model_compile(const struct hfx_spec * spec, const struct hfx_model_options * opts,
                                   struct hfx_model * m, struct hfx_error * err);

#endif /* HFX_MODEL_COMPILE_H */
