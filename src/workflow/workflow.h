/*
 * workflow.h -- what the analyses of src/workflow/ (ranking.c, profile-scan.c, significance.c) share:
 * the engine's internals (its batch driver, hfx__fit_jobs, and the model's tables). Each analysis is
 * the fits cabinetry.fit makes for it, handed to the backend as one batch of jobs, each job with its
 * own start and fixed set (kernel/fit-slot.h); docs/analyses.md has the definitions.
 */
#ifndef HFX_WORKFLOW_H
#define HFX_WORKFLOW_H

#include "fit/engine.h"

#endif /* HFX_WORKFLOW_H */
