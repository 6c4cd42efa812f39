/*
 * workflow.h -- what the analyses of src/workflow/ (ranking.c, profile-scan.c, significance.c) share:
 * the engine's operations (fit/engine-ops.h: hfx__fit_jobs, data constants). Each analysis is the
 * fits cabinetry.fit makes for it, handed to the backend as one batch of jobs, each job with its own
 * start and fixed set (kernel/fit-job.h); docs/analyses.md has the definitions.
 *
 * The layer rule is inference's (fit/engine-ops.h): the analyses talk only to the engine and read
 * the model through the public accessors; no model/ or backend/ header.
 */
#ifndef HFX_WORKFLOW_H
#define HFX_WORKFLOW_H

#include "fit/engine-ops.h"

#endif /* HFX_WORKFLOW_H */
