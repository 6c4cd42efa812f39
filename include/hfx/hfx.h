/*
 * hfx.h -- the public C API of libhfx, a pyhf-compatible HistFactory engine.
 *
 * The pipeline, one way only:
 *
 *   workspace JSON (+ patches)  --hfx_workspace_*-->  hfx_workspace_t
 *   workspace + options         --hfx_model_create->  hfx_model_t     (dense, immutable tables)
 *   model + backend             --hfx_engine_create-> hfx_engine_t    (twice_nll, gradient, fits)
 *   engine                      --hfx_hypotest, hfx_upper_limit-->    CLs, bands, limits
 *
 * Conventions (see docs/api.md):
 * - Every fallible function returns enum hfx_status (HFX_OK == 0, errors negative) and fills the
 *   optional caller-owned struct hfx_error (NULL means "don't care").
 * - Whatever *_create / *_load returns is freed by the matching *_free; *_free(NULL) is a no-op.
 * - Handles are not thread-safe; distinct handles may be used from distinct threads. A model is
 *   immutable after creation and may be shared by engines on several threads.
 * - The library never prints and never exits.
 */
#ifndef HFX_H
#define HFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

//
// Status codes and errors
//

/* X-macro list: one place gives both the enum and hfx_status_str(). */
#define HFX_STATUS_LIST(X)                                                          \
    X(HFX_OK, 0, "ok")                                                              \
    X(HFX_ERR_IO, -1, "cannot read or write a file")                                \
    X(HFX_ERR_JSON, -2, "malformed JSON")                                           \
    X(HFX_ERR_SCHEMA, -3, "workspace does not follow the pyhf schema")              \
    X(HFX_ERR_MODEL, -4, "inconsistent model")                                      \
    X(HFX_ERR_PATCH, -5, "patch cannot be applied")                                 \
    X(HFX_ERR_ALLOC, -6, "out of memory")                                           \
    X(HFX_ERR_ARG, -7, "invalid argument")                                          \
    X(HFX_ERR_FIT, -8, "fit did not converge")                                      \
    X(HFX_ERR_NUMERIC, -9, "numerical failure")                                     \
    X(HFX_ERR_UNSUPPORTED, -10, "not supported")                                    \
    X(HFX_ERR_DEVICE, -11, "device error")                                          \
    X(HFX_ERR_NOT_FOUND, -12, "not found")                                          \
    X(HFX_ERR_CANCELLED, -13, "cancelled")

enum hfx_status {
#define HFX_X_ENUM(name, value, text) name = value,
    HFX_STATUS_LIST(HFX_X_ENUM)
#undef HFX_X_ENUM
};

/* A static string describing a status code; never NULL. */
const char * hfx_status_str(enum hfx_status status);

/* Caller-owned error report. Every field is filled on failure; on success it is left untouched.
 * msg:     one line naming the culprit, e.g. "sample 'ttbar' has 3 bins but channel 'SR' has 4".
 * source:  the file the error is about ("" if none).
 * pointer: the JSON pointer of the offending node, e.g. "/channels/0/samples/2/data" ("" if none).
 * line, column: 1-based position for malformed JSON (0 if unknown). */
struct hfx_error {
    enum hfx_status code;
    int             line;
    int             column;
    char            source[512];
    char            pointer[512];
    char            msg[1024];
};

/* Formats err as one line "source:line:column: pointer: msg" (parts that are empty are left out).
 * Writes at most size bytes including the terminating NUL; returns buf. */
char * hfx_error_format(const struct hfx_error * err, char * buf, size_t size);

//
// Workspaces and patches
//

/* Limits on input, so that hostile or broken files fail with a clear error (docs/robustness.md):
 * - a JSON document (workspace, patch, patchset) is at most HFX_INPUT_BYTES_MAX bytes of text, after
 *   gunzipping (HFX_ERR_IO "input larger than ... bytes");
 * - JSON nests at most HFX_JSON_DEPTH_MAX levels, in files (the parser's limit) and in documents
 *   built by patches (HFX_ERR_JSON, resp. HFX_ERR_PATCH naming the operation);
 * - one patch inserts at most HFX_PATCH_VALUES_MAX JSON values (copy-on-write trees let "copy"
 *   double a document with each operation; HFX_ERR_PATCH). */
#define HFX_INPUT_BYTES_MAX ((size_t) 1 << 30)
#define HFX_JSON_DEPTH_MAX 2048
#define HFX_PATCH_VALUES_MAX ((size_t) 1 << 24)
/* The most elements hfx accepts for any one array whose length comes from input (file headers, HS3
 * axes, ROOT keys, result files): 2^32 (32 GiB of doubles), far above any real model and far below
 * the range where size arithmetic wraps. */
#define HFX_COUNT_MAX ((size_t) 1 << 32)

typedef struct hfx_workspace * hfx_workspace_t;
typedef struct hfx_patchset *  hfx_patchset_t;

/* Reads a pyhf workspace (schema 1.0.0) from a JSON file; gzip-compressed content (recognised by
 * its magic bytes, whatever the name) is gunzipped, and must be complete with nothing after it. A
 * NUL byte anywhere is an error (HFX_ERR_JSON with its line and column).
 * The JSON is parsed, not yet validated: validation happens in hfx_model_create (or
 * hfx_workspace_validate), after patches. *out is freed with hfx_workspace_free. */
enum hfx_status hfx_workspace_load(const char * path, hfx_workspace_t * out, struct hfx_error * err);

/* Every hfx_workspace_load* function also takes HS3 JSON of a HistFactory model (as ROOT 6.40's
 * RooJSONFactoryWSTool writes it; recognised by its content: "distributions" and no "channels"), read
 * into the pyhf workspace it describes (docs/io.md); what pyhf cannot express is an error. */

/* Same from an open file descriptor read to its end (standard input: 0); fd stays open. name is
 * used in error messages (may be NULL). */
enum hfx_status hfx_workspace_load_fd(int fd, const char * name, hfx_workspace_t * out, struct hfx_error * err);

/* A HistFactory driver XML with its channel XMLs and ROOT files, as pyhf's readxml reads it
 * (`pyhf xml2json`). Paths in the XML resolve against basedir when it is not NULL (pyhf's --basedir),
 * else against the working directory and then the driver's directory. hfx_workspace_load takes a
 * driver XML too (recognised by its first byte, '<') and resolves as with basedir NULL. */
enum hfx_status hfx_workspace_load_xml(const char * driver, const char * basedir, hfx_workspace_t * out,
                                       struct hfx_error * err);

/* pyhf's xml2json --mount LOCAL:XML (readxml's mounts): a path in the XML (a channel XML, a ROOT file)
 * equal to xml_path or under it is read from the same place under local_path instead, the first mount
 * that matches winning; the path then resolves as in hfx_workspace_load_xml. Paths compare by
 * components ("data" holds "data/a.root", not "data2/a.root"; "./" and trailing slashes ignored).
 * mounts[n_mounts] and its strings are the caller's, read during the call only. */
struct hfx_xml_mount {
    const char * local_path;
    const char * xml_path;
};
enum hfx_status hfx_workspace_load_xml_mounted(const char * driver, const char * basedir,
                                               const struct hfx_xml_mount * mounts, size_t n_mounts,
                                               hfx_workspace_t * out, struct hfx_error * err);

/* Writes ws (after patches) as pyhf's json2xml lays it out under dir (created if absent):
 * dir/FitConfig.xml, dir/config/FitConfig_<channel>.xml, dir/HistFactorySchema.dtd and
 * dir/data/data.root (TH1D histograms, zlib). Paths inside are relative to dir. */
enum hfx_status hfx_workspace_write_xml(hfx_workspace_t ws, const char * dir, struct hfx_error * err);

/* ws (after patches) as HS3 JSON that ROOT's RooJSONFactoryWSTool::importJSON builds the same model
 * from: opts (may be NULL) picks the measurement and the normsys interpolation code written (histosys
 * must be code4p, ROOT's only one). Modifier combinations ROOT's HS3 cannot express are an error
 * naming them. Indented text with sorted keys; freed with free(). */
struct hfx_model_options;
enum hfx_status hfx_workspace_dump_hs3(hfx_workspace_t ws, const struct hfx_model_options * opts, char ** out_json,
                                       struct hfx_error * err);

/* Same from a NUL-terminated string; name is used in error messages (may be NULL). */
enum hfx_status hfx_workspace_load_string(const char * json, const char * name, hfx_workspace_t * out,
                                          struct hfx_error * err);

/* Checks ws as hfx_model_create would (the pyhf schema, then the model's consistency rules), without
 * building a model: what `pyhf patchset apply` checks of its result. Errors name the workspace's
 * file and the patches applied to it ("bkg.json (patched by ps.json, patch 'p1'): /channels/0/..."). */
enum hfx_status hfx_workspace_validate(hfx_workspace_t ws, struct hfx_error * err);

/* An independent copy, so that one background workspace can be patched many times: it shares the
 * JSON tree copy-on-write (src/spec/json-patch.c), so copying costs O(1) and patches copy only the
 * containers they change; copies may be patched and freed from different threads. */
enum hfx_status hfx_workspace_copy(hfx_workspace_t ws, hfx_workspace_t * out, struct hfx_error * err);

void hfx_workspace_free(hfx_workspace_t ws);

/* Applies an RFC 6902 JSON Patch (an array of operations) read from a file, or from a string, to ws
 * in place. On failure ws is left unchanged. */
enum hfx_status hfx_workspace_apply_patch_file(hfx_workspace_t ws, const char * path, struct hfx_error * err);
enum hfx_status hfx_workspace_apply_patch_string(hfx_workspace_t ws, const char * json, const char * name,
                                                 struct hfx_error * err);

/* Serialises ws (after patches) as compact JSON; the string is freed with free(). */
enum hfx_status hfx_workspace_dump(hfx_workspace_t ws, char ** out_json, struct hfx_error * err);

/* The name errors about ws give it: its file ("<stdin>", the name given to a load_string), then
 * "file (patched by a, b)" once patched. Owned by ws, valid until ws is next patched or freed. */
const char *    hfx_workspace_source(hfx_workspace_t ws);

/* A pyhf patchset file ("metadata", "labels", "patches" with "metadata": {"name", "values"}, "patch").
 * *out is freed with hfx_patchset_free. */
enum hfx_status hfx_patchset_load(const char * path, hfx_patchset_t * out, struct hfx_error * err);
/* Same from an open file descriptor read to its end (standard input: 0); fd stays open. name is used
 * in error messages (may be NULL). */
enum hfx_status hfx_patchset_load_fd(int fd, const char * name, hfx_patchset_t * out, struct hfx_error * err);
void            hfx_patchset_free(hfx_patchset_t ps);
size_t          hfx_patchset_n_patches(hfx_patchset_t ps);
size_t          hfx_patchset_n_labels(hfx_patchset_t ps);
const char *    hfx_patchset_label(hfx_patchset_t ps, size_t i);          /* owned by ps */
const char *    hfx_patchset_patch_name(hfx_patchset_t ps, size_t i);     /* owned by ps */
/* The values of patch i, one per label; owned by ps. A value written as a string reads as its number
 * when the whole string is one, NaN otherwise: hfx_patchset_patch_value_string gives the text. */
const double *  hfx_patchset_patch_values(hfx_patchset_t ps, size_t i);
/* Value k of patch i as written when it is a string ("heavy"), NULL when it is a number. Owned by ps. */
const char *    hfx_patchset_patch_value_string(hfx_patchset_t ps, size_t i, size_t k);
/* Metadata string fields ("analysis_id", "description", "digests" as JSON...) or NULL. Owned by ps. */
const char *    hfx_patchset_metadata(hfx_patchset_t ps, const char * key);
/* Index of the patch called name, or HFX_ERR_NOT_FOUND (err names the closest candidates). */
enum hfx_status hfx_patchset_find(hfx_patchset_t ps, const char * name, size_t * index, struct hfx_error * err);
/* Applies patch i of ps to ws in place. */
enum hfx_status hfx_patchset_apply(hfx_patchset_t ps, size_t i, hfx_workspace_t ws, struct hfx_error * err);
/* Patch i as compact JSON text, freed with free(): with_metadata false, its RFC 6902 operations (the
 * entry's "patch" array); true, {"metadata": ..., "patch": ...} with the patch's metadata updated by
 * the patchset's (pyhf's `patchset extract --with-metadata`). HFX_ERR_ARG for i out of range. */
enum hfx_status hfx_patchset_dump_patch(hfx_patchset_t ps, size_t i, bool with_metadata, char ** out_json,
                                        struct hfx_error * err);

//
// Workspace introspection: what the workspace says, validated (pyhf's Workspace.channels, .samples,
// .modifiers, .measurement_names, get_measurement)
//
// A spec is a snapshot of a workspace (after its patches) checked as hfx_workspace_validate checks it:
// its channels, samples and modifiers in the workspace's order (the model sorts channels; this does
// not), with their data, and its measurements with their parameter settings. It owns copies of
// everything it returns, so it stays valid when the workspace is patched or freed; it is immutable,
// so several threads may read one at once.
//

typedef struct hfx_spec * hfx_spec_t;

/* Validates ws as hfx_workspace_validate (the same errors) and takes the snapshot; *out is freed
 * with hfx_spec_free. */
enum hfx_status hfx_workspace_spec(hfx_workspace_t ws, hfx_spec_t * out, struct hfx_error * err);
void            hfx_spec_free(hfx_spec_t s);

/* Accessors: an index out of range gives NULL (strings, arrays), 0 (counts) or false; strings and
 * arrays are owned by s. A channel's bin count is its first sample's length, as pyhf's. */
size_t          hfx_spec_n_channels(hfx_spec_t s);
const char *    hfx_spec_channel_name(hfx_spec_t s, size_t c);
size_t          hfx_spec_channel_n_bins(hfx_spec_t s, size_t c);
const double *  hfx_spec_channel_observed(hfx_spec_t s, size_t c);        /* [n_bins] */
size_t          hfx_spec_channel_n_samples(hfx_spec_t s, size_t c);
const char *    hfx_spec_sample_name(hfx_spec_t s, size_t c, size_t k);
const double *  hfx_spec_sample_data(hfx_spec_t s, size_t c, size_t k);  /* [n_bins] */
size_t          hfx_spec_sample_n_modifiers(hfx_spec_t s, size_t c, size_t k);

/* One modifier of a sample, with its "data" by type (the rest zero or NULL). */
struct hfx_modifier_info {
    const char *   name;
    const char *   type;               /* "histosys", "lumi", "normfactor", "normsys", "shapefactor",
                                          "shapesys" or "staterror" */
    double         hi, lo;             /* normsys: the factors up and down */
    const double * hi_data, * lo_data; /* histosys: [n_bins] templates up and down */
    const double * data;               /* shapesys, staterror: [n_bins] absolute uncertainties */
};
/* Modifier i of sample k of channel c into *out; false (out untouched) out of range. */
bool            hfx_spec_modifier(hfx_spec_t s, size_t c, size_t k, size_t i, struct hfx_modifier_info * out);

/* One entry of a measurement's config.parameters: what was given (n_* == 0, has_fixed false: not
 * given). */
struct hfx_parameter_config {
    const char *   name;
    size_t         n_inits;   const double * inits;
    size_t         n_bounds;  const double * bounds;  /* [n_bounds][2]: lower, upper */
    size_t         n_auxdata; const double * auxdata;
    size_t         n_sigmas;  const double * sigmas;
    size_t         n_factors; const double * factors;
    bool           has_fixed, fixed;
};

/* Measurements in the workspace's order; a POI may be "" (none). */
size_t          hfx_spec_n_measurements(hfx_spec_t s);
const char *    hfx_spec_measurement_name(hfx_spec_t s, size_t i);
const char *    hfx_spec_measurement_poi(hfx_spec_t s, size_t i);
size_t          hfx_spec_measurement_n_parameters(hfx_spec_t s, size_t i);
/* Parameter setting j of measurement i into *out; false (out untouched) out of range. */
bool            hfx_spec_measurement_parameter(hfx_spec_t s, size_t i, size_t j, struct hfx_parameter_config * out);
/* Index of the measurement called name, or HFX_ERR_NOT_FOUND with err naming the workspace's. */
enum hfx_status hfx_spec_find_measurement(hfx_spec_t s, const char * name, size_t * index, struct hfx_error * err);

//
// Models
//

typedef struct hfx_model * hfx_model_t;

enum hfx_interp_code {
    HFX_INTERP_DEFAULT = 0, /* normsys: code4, histosys: code4p (pyhf.Workspace.model() defaults) */
    HFX_INTERP_CODE0,       /* histosys: piecewise linear */
    HFX_INTERP_CODE1,       /* normsys: exponential */
    HFX_INTERP_CODE2,       /* histosys: quadratic (as pyhf 0.7.6, including its alpha < -1 branch) */
    HFX_INTERP_CODE4,       /* normsys: polynomial inside |alpha| < 1, exponential outside */
    HFX_INTERP_CODE4P,      /* histosys: polynomial inside |alpha| <= 1, linear outside */
};

struct hfx_model_options {
    const char *         measurement;     /* NULL: the first measurement of the workspace */
    enum hfx_interp_code normsys_interp;  /* DEFAULT, CODE1 or CODE4 */
    enum hfx_interp_code histosys_interp; /* DEFAULT, CODE0, CODE2 or CODE4P */
    bool                 no_poi;          /* build without a POI (pyhf poi_name=None) */
};

/* Validates ws against the pyhf schema and compiles it into dense tables.
 * opts may be NULL (defaults). *out is freed with hfx_model_free. */
enum hfx_status hfx_model_create(hfx_workspace_t ws, const struct hfx_model_options * opts, hfx_model_t * out,
                                 struct hfx_error * err);
void            hfx_model_free(hfx_model_t m);

/* Layout. Parameters follow pyhf's order (docs/model.md): parameter sets grouped by modifier type
 * (histosys, lumi, normfactor, normsys, shapefactor, shapesys, staterror), within a type by first
 * appearance; per-bin sets take one slot per bin. */
size_t          hfx_model_n_pars(hfx_model_t m);
size_t          hfx_model_n_parsets(hfx_model_t m);
const char *    hfx_model_parset_name(hfx_model_t m, size_t set);      /* owned by m */
const char *    hfx_model_parset_type(hfx_model_t m, size_t set);      /* "normsys", ... */
size_t          hfx_model_parset_offset(hfx_model_t m, size_t set);
size_t          hfx_model_parset_size(hfx_model_t m, size_t set);
/* Index of the parameter set called name, or HFX_ERR_NOT_FOUND with err naming it (HFX_ERR_ARG for a
 * NULL argument); err may be NULL. */
enum hfx_status hfx_model_find_parset(hfx_model_t m, const char * name, size_t * set, struct hfx_error * err);
/* The POI's parameter index, or -1 when the model has none. */
long            hfx_model_poi(hfx_model_t m);
const double *  hfx_model_init(hfx_model_t m);   /* [n_pars], owned by m */
const double *  hfx_model_lower(hfx_model_t m);  /* [n_pars] */
const double *  hfx_model_upper(hfx_model_t m);  /* [n_pars] */
const bool *    hfx_model_fixed(hfx_model_t m);  /* [n_pars] */

size_t          hfx_model_n_channels(hfx_model_t m);
const char *    hfx_model_channel_name(hfx_model_t m, size_t c);
size_t          hfx_model_channel_n_bins(hfx_model_t m, size_t c);
size_t          hfx_model_n_samples(hfx_model_t m);
const char *    hfx_model_sample_name(hfx_model_t m, size_t s);
size_t          hfx_model_n_modifiers(hfx_model_t m);  /* modifier entries over all samples */
/* Data vector: n_bins main bins (channels in sorted order) followed by n_aux auxiliary data. */
size_t          hfx_model_n_bins(hfx_model_t m);
size_t          hfx_model_n_aux(hfx_model_t m);
const double *  hfx_model_observed(hfx_model_t m); /* [n_bins + n_aux], observations + auxdata */

/* Expected main + auxiliary data at pars (pyhf model.expected_data); out has n_bins + n_aux slots. */
enum hfx_status hfx_model_expected_data(hfx_model_t m, const double * pars, double * out, struct hfx_error * err);

//
// Backends and engines
//

/* Backends are found by name: "cpu-ref" (scalar reference), "cpu" (threads), "cuda0", ...
 * hfx_backend_count/hfx_backend_name list the backends compiled in; availability (a device present)
 * is reported by hfx_engine_create. */
size_t       hfx_backend_count(void);
const char * hfx_backend_name(size_t i);
/* Whether compiled-in backend i can run here (a device present, a kernel image for it); false for
 * i >= hfx_backend_count(). When it cannot and why is not NULL, *why gets the reason (a static
 * string, owned by the library; NULL when usable). Thread-safe. */
bool         hfx_backend_usable(size_t i, const char ** why);
/* A one-line summary of backend i (static), NULL for i >= hfx_backend_count(). */
const char * hfx_backend_description(size_t i);

typedef struct hfx_engine * hfx_engine_t;

/* How hard fits look for the global minimum (docs/model.md). A HistFactory likelihood can have a
 * local minimum on each side of a parameter's kink or turning point:
 * - DEFAULT: after converging, restart from the other side of every parameter with a kink at 0
 *   (normsys code1, histosys code0) or no slope at its init, keeping the lowest minimum;
 * - THOROUGH: also of every parameter with a non-monotone interpolation (up and down variations on
 *   the same side of nominal): slower (published models have dozens), used by `hfx fit`;
 * - NONE: a single descent from the start point (pyhf's behaviour). */
enum hfx_explore { HFX_EXPLORE_DEFAULT = 0, HFX_EXPLORE_THOROUGH, HFX_EXPLORE_NONE };

/* The quasi-Newton matrix of the fits' minimizer:
 * - AUTO: L-BFGS, which was measured no slower than the dense matrix at every size tried (6 to 2000
 *   parameters: the q~ hypotest of uncorrelated_background at 5, 10, 30 bins 18/25/66 us against
 *   18/30/105 us, sbottom's 64 parameters 0.59 against 0.80 ms, the zoo's 100-623 in fewer
 *   evaluations) and reaches the same minima (docs/model.md);
 * - BFGS: a dense n x n inverse-Hessian approximation (8 n^2 bytes per fit, O(n^2) per iteration):
 *   the fewest iterations on strongly correlated models;
 * - LBFGS: the last HFX_LBFGS_HISTORY steps instead (O(n) memory and time per iteration): where
 *   the dense matrix costs more than the gradient, and the only choice beyond ~16,000 parameters. */
enum hfx_optimizer { HFX_OPTIMIZER_AUTO = 0, HFX_OPTIMIZER_BFGS, HFX_OPTIMIZER_LBFGS };

#define HFX_LBFGS_HISTORY  30

struct hfx_engine_options {
    const char *     backend;   /* NULL: "cpu-ref" */
    int              n_threads; /* for threaded backends; 0: all cores */
    enum hfx_explore explore;
    /* Fits advanced together in one batch (toys, grid points, a hypotest's independent fits), each
     * round sending all their pending points to the backend in one call; 0: the backend's choice
     * (cpu-ref 1, threaded and device backends more). Results do not depend on it. */
    size_t           batch;
    int              max_iter;  /* iterations of one descent before a fit stops with HFX_FIT_MAX_ITER;
                                   0: HFX_FIT_MAX_ITER_DEFAULT */
    enum hfx_optimizer optimizer;
};

#define HFX_FIT_MAX_ITER_DEFAULT 2000

/* Binds a model to a backend and allocates everything fits need, so that fits allocate nothing.
 * The model must outlive the engine. *out is freed with hfx_engine_free. */
enum hfx_status hfx_engine_create(hfx_model_t m, const struct hfx_engine_options * opts, hfx_engine_t * out,
                                  struct hfx_error * err);
void            hfx_engine_free(hfx_engine_t e);
hfx_model_t     hfx_engine_model(hfx_engine_t e);

/* Cancellation of long calls. The calls that run fits (hfx_fit, hfx_hypotest, hfx_toys_run,
 * hfx_upper_limit, the limit grid) look between rounds of their batched fits (a round is one
 * evaluation of every fit in flight: milliseconds) whether a stop is requested, and then return
 * HFX_ERR_CANCELLED, their outputs unspecified and the engine usable for the next call. A request
 * stays until cleared: set it, wait for the running call to return, clear it.
 * hfx_engine_cancel: for the calls on e; may be called from any thread while another runs a call on
 * e (an atomic flag; e must stay alive). hfx_cancel_all: for every call of the process, on every
 * engine; async-signal-safe (a lock-free atomic store), so a SIGINT handler may call it. A device
 * backend that runs whole lists of fits itself (cuda) is asked before and after such a list only. */
void            hfx_engine_cancel(hfx_engine_t e, bool cancel);
void            hfx_cancel_all(bool cancel);
/* The minimizer its fits use: BFGS or LBFGS (AUTO resolved by the model's size). */
enum hfx_optimizer hfx_engine_optimizer(hfx_engine_t e);
const char *       hfx_optimizer_str(enum hfx_optimizer o); /* "auto", "bfgs", "lbfgs" */
const char *    hfx_engine_backend_name(hfx_engine_t e);

/* twice_nll = -2 log L (main Poisson terms with lgamma, plus constraint terms, all constants) at pars
 * for the data vector data ([n_bins + n_aux]; NULL = observed). grad ([n_pars]) may be NULL. */
enum hfx_status hfx_twice_nll(hfx_engine_t e, const double * pars, const double * data, double * twice_nll,
                              double * grad, struct hfx_error * err);

/* twice_nll at n points at once (pars [n * n_pars], row k is point k) for one shared data vector (NULL
 * = observed): out [n], grad [n * n_pars] or NULL. This is the call that threaded and device backends
 * spread out (toys, patches, scans); results equal n calls of hfx_twice_nll. */
enum hfx_status hfx_twice_nll_batch(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                    double * out, double * grad, struct hfx_error * err);

/* Same with a data vector per point: data [n * (n_bins + n_aux)], row k is point k's (toys, Asimov
 * sets, one model over many observations). Results equal n calls of hfx_twice_nll, each with its row.
 * Allocates n doubles (the data-only constant of each row) for the duration of the call. */
enum hfx_status hfx_twice_nll_batch_data(hfx_engine_t e, size_t n, const double * pars, const double * data,
                                         double * out, double * grad, struct hfx_error * err);

/* Work counters of an engine since it was created or last reset: what a benchmark divides its times
 * by. Every backend call is one host-device round trip on an accelerator. */
struct hfx_engine_stats {
    uint64_t n_fits;       /* minimisations (a hypotest runs several; exploration restarts count once) */
    uint64_t n_eval_calls; /* calls into the backend: optimizer steps, Hessian columns, batches */
    uint64_t n_points;     /* points evaluated (a batch call counts each of its points) */
    double   fit_seconds;  /* wall time inside fits (two clock reads per fit, none per evaluation) */
};
void hfx_engine_stats(hfx_engine_t e, struct hfx_engine_stats * out);
void hfx_engine_stats_reset(hfx_engine_t e);

//
// Fits
//

enum hfx_fit_status {
    HFX_FIT_CONVERGED = 0,    /* projected gradient below tolerance */
    HFX_FIT_MAX_ITER = 1,     /* iteration limit reached; result is the best point seen */
    HFX_FIT_STALLED = 2,      /* no further decrease possible (converged to machine precision or stuck) */
    HFX_FIT_FAILED = 3,       /* non-finite likelihood at the start point */
    HFX_FIT_LINE_SEARCH = HFX_FIT_STALLED, /* the former name of STALLED, kept for existing callers */
};
const char * hfx_fit_status_str(enum hfx_fit_status s);
/* The less converged of two statuses (CONVERGED < STALLED < MAX_ITER < FAILED): how results made
 * of several fits report theirs. */
enum hfx_fit_status hfx_fit_status_worse(enum hfx_fit_status a, enum hfx_fit_status b);

/* Multimodal likelihoods. A HistFactory likelihood can have several minima (kinks at alpha = 0,
 * non-monotone interpolations). pyhf and ROOT make one descent from the model's init per fit; so does
 * hfx with HFX_EXPLORE_NONE. By default hfx goes on looking for a lower minimum, and where it finds
 * one more than HFX_MULTIMODAL_DELTA (in twice_nll) below that descent's, the engine records a
 * warning (hfx_engine_warning): the result then differs from pyhf's and ROOT's, by being lower. */
#define HFX_MULTIMODAL_DELTA 1e-3

enum hfx_fit_role {
    HFX_FIT_ROLE_NONE = 0,
    HFX_FIT_ROLE_FIT,       /* the fit of hfx_fit */
    HFX_FIT_ROLE_FREE,      /* a free fit of inference (all parameters but the fixed ones) */
    HFX_FIT_ROLE_FIXED_POI, /* a fit of inference with the POI held at poi_value */
    HFX_FIT_ROLE_TOYS,      /* fits to toys, counted in one warning (n_fits) */
    HFX_FIT_ROLE_HELD,      /* a fit of an analysis with parameters held (held, held_value): a ranking's
                               or a profile scan's (src/workflow/) */
};

struct hfx_fit_warning {
    enum hfx_fit_role role;
    bool              asimov;            /* the fit was to the Asimov data (else to the data given) */
    double            poi_value;         /* FIXED_POI: where the POI was held */
    double            twice_nll;         /* the minimum hfx uses */
    double            twice_nll_descent; /* the single descent's from the init (pyhf's, ROOT's) */
    size_t            n_fits;            /* TOYS: toy fits concerned (the rest of the fields are the
                                            toy fit with the largest difference); else 1 */
    size_t            n_moved;           /* parameters that differ most between the two minima */
    size_t            moved[3];          /* their indices, largest difference first */
    double            at_descent[3], at_best[3];
    /* HELD: the parameters held beyond the model's fixed set and the POI (at most 2; n_held) */
    size_t            n_held;
    size_t            held[2];
    double            held_value[2];
};

/* The warnings of the engine's last hfx_fit, hfx_hypotest, hfx_upper_limit or hfx_toys_run (each
 * call starts a new list). Valid until the next of those calls. */
size_t                         hfx_engine_n_warnings(hfx_engine_t e);
const struct hfx_fit_warning * hfx_engine_warning(hfx_engine_t e, size_t i);

struct hfx_fit_options {
    const double * data;     /* NULL: observed data */
    const double * init;     /* [n_pars] start point, NULL: the model's init */
    const bool *   fixed;    /* [n_pars] parameters held at init; NULL: the model's fixed set */
    bool           fix_poi;  /* additionally hold the POI at poi_value */
    double         poi_value;
    bool           uncertainties; /* compute the Hessian and parameter uncertainties */
};

struct hfx_fit_result {
    double *            pars;          /* [n_pars] best fit; owned by the engine, valid until the next fit */
    double *            uncertainties; /* [n_pars] or NULL; 0 for fixed parameters */
    double              twice_nll;
    enum hfx_fit_status status;
    int                 n_iter;        /* optimizer iterations, over every descent of the fit (restarts too) */
    int                 n_eval;        /* likelihood evaluations of the fit (not those of uncertainties) */
    /* [n_pars * n_pars] row-major or NULL, with uncertainties: the parameters' covariance (the inverse
     * Hessian of the NLL, finite differences of the gradient), 0 in the rows and columns of fixed
     * parameters; owned by the engine, valid until the next fit */
    double *            covariance;
};

/* Minimises twice_nll within the bounds with the fixed parameters held. opts may be NULL.
 * Returns HFX_OK whenever a result was produced (check result->status), an error if the start point
 * is invalid. */
enum hfx_status hfx_fit(hfx_engine_t e, const struct hfx_fit_options * opts, struct hfx_fit_result * result,
                        struct hfx_error * err);

//
// Inference
//

enum hfx_teststat { HFX_TESTSTAT_QTILDE = 0, HFX_TESTSTAT_Q, HFX_TESTSTAT_Q0, HFX_TESTSTAT_TMU, HFX_TESTSTAT_TMUTILDE };
enum hfx_calctype { HFX_CALC_ASYMPTOTICS = 0, HFX_CALC_TOYBASED };

struct hfx_hypotest_options {
    double            poi_test;   /* mu to test */
    enum hfx_teststat teststat;
    enum hfx_calctype calctype;
    size_t            n_toys;     /* toybased: toys per hypothesis */
    uint64_t          seed;       /* toybased: counter-based RNG seed */
    const double *    data;       /* NULL: observed */
    /* (optional) progress callback for long work: done of total units; may be NULL */
    void (*progress)(void * user, size_t done, size_t total);
    void * progress_user;
};

struct hfx_hypotest_result {
    double cls_obs, clsb_obs, clb_obs;
    double cls_exp[5];   /* -2σ, -1σ, median, +1σ, +2σ (increasing CLs), as pyhf */
    double teststat;     /* observed test statistic (q, not sqrt(q)) */
    double mu_hat;       /* unconditional best-fit POI */
    /* toybased: toys of the signal + background and background-only ensembles whose fits failed
     * (a non-finite start, or the iteration limit reached) or gave no finite test statistic. They
     * are left out: each p-value is the tail fraction among its ensemble's remaining toys. */
    size_t toys_failed_sb, toys_failed_b;
    /* the least converged of the fits the result comes from (asymptotics: all five; toybased: the
     * fits to the data; failed toys are counted above): HFX_FIT_CONVERGED, else HFX_FIT_STALLED
     * (no further decrease found short of the gradient test) or HFX_FIT_MAX_ITER */
    enum hfx_fit_status status;
};

enum hfx_status hfx_hypotest(hfx_engine_t e, const struct hfx_hypotest_options * opts,
                             struct hfx_hypotest_result * result, struct hfx_error * err);

/* The toys of a toy-based hypothesis test by range, so that toys can be split over processes or jobs
 * and merged: toy i of an ensemble is the same pseudo-experiment (the same Philox stream of the seed)
 * whichever range, process, thread count or backend runs it. */
struct hfx_toys_options {
    struct hfx_hypotest_options hypotest; /* poi_test, teststat, seed, data, progress; n_toys and
                                             calctype are ignored */
    size_t first, count;                  /* toys [first, first + count) of each ensemble */
};

struct hfx_toys_result {
    double * teststat_sb; /* [count] caller-owned: the test statistic of each signal + background toy,
                             NaN where its fit failed (see hfx_hypotest_result.toys_failed_sb) */
    double * teststat_b;  /* [count] caller-owned: the background-only toys' */
    double   teststat;    /* observed test statistic */
    double   mu_hat;      /* unconditional best-fit POI on the data */
    enum hfx_fit_status status; /* the least converged of the fits to the data (hfx_hypotest_result) */
};

/* Fits the toys [first, first + count) of both ensembles (the signal + background one at poi_test and
 * the background-only one) and returns their test statistics. */
enum hfx_status hfx_toys_run(hfx_engine_t e, const struct hfx_toys_options * opts, struct hfx_toys_result * result,
                             struct hfx_error * err);

/* The toy-based result from test statistics (any union of hfx_toys_run ranges; NaN entries are failed
 * toys, counted and left out): what hfx_hypotest gives for those toys. teststat is the observed
 * statistic; result->mu_hat is set to NaN (hfx_toys_result has it). */
enum hfx_status hfx_toys_cls(enum hfx_teststat kind, double teststat, const double * teststat_sb, size_t n_sb,
                             const double * teststat_b, size_t n_b, struct hfx_hypotest_result * result,
                             struct hfx_error * err);

struct hfx_upper_limit_options {
    struct hfx_hypotest_options hypotest; /* poi_test ignored */
    double level;                          /* 0.05 */
    double lo, hi;                         /* initial bracket; lo == hi == 0: the POI's bounds, with
                                              a lower bound of 0 replaced by upper / 100 (at 0 the q~
                                              CLs is 0/0; pyhf's upper_limit() fails there) */
    double rtol;                           /* 1e-4 as pyhf toms748_scan; 0 = default */
    /* n_scan >= 2: instead of the root search, pyhf's linear_grid_scan: CLs at n_scan equally spaced
     * points from lo to hi (both required; their 2 n_scan fits run as one batch), each limit
     * interpolated linearly where its CLs curve crosses level (np.interp: the end value outside). */
    size_t   n_scan;
    double * scan_points;                  /* (optional) [n_scan * 7] filled per point: its mu, CLs_obs,
                                              then the 5 expected; caller-owned */
};

struct hfx_upper_limit_result {
    double obs;
    double exp[5]; /* -2σ ... +2σ */
    int    n_hypotests;
    enum hfx_fit_status status; /* the least converged fit of all its hypotests (hfx_hypotest_result) */
};

enum hfx_status hfx_upper_limit(hfx_engine_t e, const struct hfx_upper_limit_options * opts,
                                struct hfx_upper_limit_result * result, struct hfx_error * err);

/* A grid scan (opts->n_scan >= 2) in parts, so that its points can be shared out over processes (the
 * MPI ranks of hfx upper-limit). hfx_limit_grid_create runs the fits that do not depend on mu (the
 * free fits, the Asimov data); hfx_limit_grid_run the conditional fits of grid points
 * [first, first + count) as one batch; hfx_limit_grid_result the limits from the rows of every point.
 * hfx_upper_limit's grid scan is these three calls, so any split into runs gives its rows, limits and
 * status; its warnings (hfx_engine_warning) are those create leaves followed by those of each run, in
 * grid order (each call starts a new list). The grid keeps what its points share (the fits that do
 * not depend on mu, the Asimov data) itself and borrows the engine, which must outlive it: other
 * calls on that engine may come between its calls (they start the warning list afresh, as any call
 * does). opts is copied; scan_points ignored. */
typedef struct hfx_limit_grid * hfx_limit_grid_t;
enum hfx_status hfx_limit_grid_create(hfx_engine_t e, const struct hfx_upper_limit_options * opts,
                                      hfx_limit_grid_t * out, struct hfx_error * err);
/* rows [count * 7]: each point's mu, CLs_obs and the five expected, as scan_points; *status (may be
 * NULL): the least converged of these points' fits and of create's. */
enum hfx_status hfx_limit_grid_run(hfx_limit_grid_t g, size_t first, size_t count, double * rows,
                                   enum hfx_fit_status * status, struct hfx_error * err);
/* The limits from rows [n_scan * 7] of every point (n_hypotests = n_scan); status is the least
 * converged over the runs, copied to result->status. */
enum hfx_status hfx_limit_grid_result(hfx_limit_grid_t g, const double * rows, enum hfx_fit_status status,
                                      struct hfx_upper_limit_result * result, struct hfx_error * err);
void            hfx_limit_grid_free(hfx_limit_grid_t g);

/* Model groups: the asymptotic hypotests of many models at once (docs/batching.md, "Patch grids on
 * a device"), what `hfx scan` runs for a patchset. The models of one shape (n_pars, n_bins, n_aux:
 * the patches of one background) share one backend plan side by side, so that each round of their
 * fits is one backend call (one launch on a device) for all of them; a model of another shape gets a
 * group of its own, and where the backend cannot hold a group, each of its models runs on an engine
 * of its own. Each model's result and warnings are those of hfx_hypotest on its own engine (bit for
 * bit on the CPU backends). */
struct hfx_group_item {
    hfx_model_t                m;        /* set by the caller; borrowed, alive during the call */
    enum hfx_status            status;   /* HFX_OK, or why this model has no result (error says more) */
    struct hfx_error           error;
    struct hfx_hypotest_result result;   /* where status is HFX_OK */
    /* the multimodal-fit warnings of its fits, in hfx_hypotest's order (hfx_engine_warning); owned by
     * the item, freed by hfx_group_item_clear */
    struct hfx_fit_warning *   warnings;
    size_t                     n_warnings;
};

/* Whether hfx_hypotest_group can run these options: the backend (eo->backend; eo or it NULL: cpu-ref) has
 * model groups and is usable here, and the calculator is the asymptotic one. */
bool            hfx_hypotest_group_supported(const struct hfx_engine_options * eo, const struct hfx_hypotest_options * ho);
/* Whether the backend of eo runs many models' hypotests as groups by default (where they are faster). */
bool            hfx_hypotest_group_preferred(const struct hfx_engine_options * eo);
/* The asymptotic hypotest ho (ho->data must be NULL: each model's observed data) of every model of
 * items[0..n), on backend eo->backend. A model that fails (bad options for it, a fit that cannot
 * start, a backend error in its group) gets its status and error, and the others go on. Returns
 * HFX_OK, or an error that concerns every model (unknown or unusable backend, HFX_ERR_UNSUPPORTED
 * where hfx_hypotest_group_supported is false, out of memory). */
enum hfx_status hfx_hypotest_group(struct hfx_group_item * items, size_t n, const struct hfx_engine_options * eo,
                                   const struct hfx_hypotest_options * ho, struct hfx_error * err);
/* Frees an item's warnings (the model stays the caller's); NULL is a no-op. */
void            hfx_group_item_clear(struct hfx_group_item * item);

//
// Analyses: ranking, profile scans, significance, goodness of fit (src/workflow/, docs/analyses.md)
//
// The workflows physicists run with cabinetry.fit on a likelihood, with its definitions; every fit a
// workflow needs beyond its nominal fit goes to the backend as one batch (docs/batching.md), so that
// threads and devices share it out. Each fit starts from the model's init, with the parameters it
// holds at their values (as cabinetry's), and each reports its status.
//

/* Parameter i's name as pyhf's model.config.par_names has it: "name" for scalar sets, "name[k]" for
 * the k-th parameter of a per-bin set; NULL for i >= n_pars. Owned by m. */
const char * hfx_model_par_name(hfx_model_t m, size_t i);
/* Whether parameter i has a constraint term (Gaussian or Poisson auxiliary measurement). */
bool         hfx_model_par_constrained(hfx_model_t m, size_t i);
/* Parameter i's pre-fit width, cabinetry's model_utils.prefit_uncertainties: the Gaussian
 * constraint's sigma (normsys, histosys 1; lumi its sigma; staterror the relative MC uncertainty),
 * 1/sqrt(tau) for a Poisson-constrained shapesys; 0 for unconstrained and for fixed parameters. */
double       hfx_model_prefit_width(hfx_model_t m, size_t i);
/* Index of the parameter called name (hfx_model_par_name's labels; a scalar set's name also matches
 * "name[0]"), or HFX_ERR_NOT_FOUND with err naming it. */
enum hfx_status hfx_model_find_par(hfx_model_t m, const char * name, size_t * index, struct hfx_error * err);

/* The impact of nuisance parameters on the POI (cabinetry.fit.ranking). */
struct hfx_ranking_options {
    const double * data;   /* [n_bins + n_aux], NULL: observed */
    const size_t * pars;   /* parameters to rank (each free and constrained, else HFX_ERR_ARG naming
                              it); NULL: every free constrained parameter, in model order */
    size_t         n_pars;
};

struct hfx_ranking_entry {
    size_t par;                      /* parameter index (hfx_model_par_name) */
    double bestfit, uncertainty;     /* from the nominal fit (Hessian) */
    double prefit_uncertainty;       /* hfx_model_prefit_width */
    double nominal;                  /* the model's init: the constraint's centre */
    /* mu of the fit with the parameter held at bestfit +- prefit_uncertainty (resp. +- uncertainty),
     * everything else refitted from the init, minus the nominal mu_hat; 0 without a fit where the
     * shift is 0 (as cabinetry) */
    double impact_prefit_up, impact_prefit_down, impact_postfit_up, impact_postfit_down;
    enum hfx_fit_status status;      /* the least converged of its fits */
};

struct hfx_ranking_result {
    double                     poi_bestfit, poi_uncertainty, twice_nll; /* the nominal fit's */
    enum hfx_fit_status        status;     /* the least converged of all its fits */
    size_t                     n_entries;
    /* [n_entries], sorted as cabinetry's ranking plot: by decreasing max(|postfit up|, |postfit down|),
     * ties by decreasing index; freed with hfx_ranking_result_free */
    struct hfx_ranking_entry * entries;
};

/* The nominal fit (with uncertainties), then the 4 fits per ranked parameter as one batch. Needs a
 * POI (HFX_ERR_ARG otherwise). result is caller-owned; its entries are freed with
 * hfx_ranking_result_free. Warnings (hfx_engine_warning) are those of the batch. */
enum hfx_status hfx_ranking(hfx_engine_t e, const struct hfx_ranking_options * opts, struct hfx_ranking_result * result,
                            struct hfx_error * err);
void            hfx_ranking_result_free(struct hfx_ranking_result * result);

/* A profile likelihood scan over one or two parameters (cabinetry.fit.scan; two: a grid). */
struct hfx_profile_scan_options {
    const double * data;     /* NULL: observed */
    size_t         n_dims;   /* 1 or 2 */
    size_t         par[2];   /* the scanned parameters (free; any kind, the POI included) */
    /* the grid of par[k]: n[k] >= 2 points from lo[k] to hi[k] (lo < hi, within the parameter's
     * bounds); range_set[k] false: from bestfit - 2 uncertainty to bestfit + 2 uncertainty of the free
     * fit (cabinetry's default), cut at the bounds, with n[k] points (0: 11, cabinetry's n_steps) */
    bool           range_set[2];
    double         lo[2], hi[2];
    size_t         n[2];
};

struct hfx_profile_scan_point {
    double              values[2];       /* [n_dims] */
    double              twice_nll;       /* the fit's minimum with the scanned parameters held */
    double              delta_twice_nll; /* twice_nll - the free fit's */
    enum hfx_fit_status status;
};

struct hfx_profile_scan_result {
    size_t                          n_dims, shape[2];
    double                          bestfit[2], uncertainty[2]; /* the free fit's, of the scanned ones */
    double                          twice_nll_min;              /* the free fit's minimum */
    enum hfx_fit_status             status;                     /* the least converged of all fits */
    size_t                          n_points;                   /* shape[0] (* shape[1]) */
    /* row-major, the first parameter outer; freed with hfx_profile_scan_result_free */
    struct hfx_profile_scan_point * points;
};

/* The free fit (with uncertainties), then one fit per grid point as one batch. Errors (HFX_ERR_ARG):
 * n_dims not 1 or 2, a parameter out of range, fixed, or scanned twice, lo >= hi or not finite, a
 * range beyond the bounds, n < 2. */
enum hfx_status hfx_profile_scan(hfx_engine_t e, const struct hfx_profile_scan_options * opts,
                                 struct hfx_profile_scan_result * result, struct hfx_error * err);
void            hfx_profile_scan_result_free(struct hfx_profile_scan_result * result);

/* Discovery significance (cabinetry.fit.significance): pyhf's asymptotic hypotest at mu = 0 with
 * q0 (hfx_hypotest, HFX_TESTSTAT_Q0): p0 observed, p0 expected (the median under the signal
 * hypothesis, from the Asimov data at mu = 1), each with Z = Phi^-1(1 - p0). data: NULL: observed. */
struct hfx_significance_result {
    double              p0_obs, z_obs, p0_exp, z_exp;
    enum hfx_fit_status status;
};
enum hfx_status hfx_significance(hfx_engine_t e, const double * data, struct hfx_significance_result * result,
                                 struct hfx_error * err);

/* The saturated-model goodness of fit of a fit whose minimum is twice_nll (cabinetry's
 * _goodness_of_fit): twice_nll_saturated is -2 log L with every main bin's rate at its count and
 * every constraint at its maximum; ndof = main bins - free unconstrained parameters; p_value =
 * chi2.sf(twice_nll - twice_nll_saturated, ndof), NaN where ndof <= 0. data: NULL for observed. */
struct hfx_gof_result {
    double twice_nll_saturated, delta_twice_nll;
    long   ndof;
    double p_value;
};
enum hfx_status hfx_goodness_of_fit(hfx_model_t m, const double * data, double twice_nll, struct hfx_gof_result * result,
                                    struct hfx_error * err);

#ifdef __cplusplus
}
#endif

#endif /* HFX_H */
