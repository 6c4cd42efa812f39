/*
 * toys.h -- the toys of a toy-based hypotest in ranges (cmd-toys.c): "hfx cls --toy-range A:B"
 * fits only the toys [A, B) of each ensemble, "--toys-out FILE" saves their test statistics, under
 * MPI each rank fits a part of the range and rank 0 gathers the statistics; "hfx toys merge FILE..."
 * computes CLs from any set of saved ranges. Toy i is Philox stream i of the seed wherever it runs,
 * so every split gives the one-run answer bit for bit (hfx_toys_run / hfx_toys_cls).
 */
#ifndef HFX_TOYS_H
#define HFX_TOYS_H

#include "options.h"

/* Option ids 160..169. */
enum { OPT_TOY_RANGE = 160, OPT_TOYS_OUT };
extern const struct cli_opt toys_opt_table[]; /* --toy-range A:B, --toys-out FILE */

struct toys_opts {
    bool         range_set;
    size_t       first, end; /* toys [first, end) */
    const char * out;        /* --toys-out */
    uint64_t     inputs;     /* with out: the identity of the toys' inputs (result-id.c), for hfx toys merge */
};

/* A cli_extra_fn for the table; ctx is a struct toys_opts. */
int toys_opts_handle(void * ctx, const struct cli_opt * o, const char * value);
/* Once all options are parsed, before the session opens: checks them (they need toybased), with
 * --toys-out computes the identity of the inputs (CLI_FAIL, printed, when a file cannot be read), makes
 * h->n_toys the number of toys per ensemble this run computes and, under MPI without --threads,
 * shares a node's cores among its ranks. CLI_OK or CLI_USAGE (printed). */
int  toys_opts_prepare(struct toys_opts * t, struct hfx_hypotest_options * h, struct model_opts * mo);
/* Whether the hypotest goes through toys_hypotest (a range, a toys file or several ranks). */
bool toys_split(const struct toys_opts * t, const struct hfx_hypotest_options * h);
/* The toy-based hypotest over the range (default [0, n_toys)), split over the ranks: r is filled on
 * rank 0 as hfx_hypotest fills it, and the statistics saved there when t->out is set. *warnings
 * (rank 0; malloc'd, the caller frees it) gets what one process's engine would hold: the warnings of
 * the fits to the data and one of the toy fits of every rank (report_warning_list). A rank whose own
 * part worked while another's failed returns HFX_ERR_FIT with an empty err->msg: the failing rank's
 * error is the one to print. */
enum hfx_status toys_hypotest(hfx_engine_t e, const struct hfx_hypotest_options * h, const struct toys_opts * t,
                              struct hfx_hypotest_result * r, struct hfx_fit_warning ** warnings, size_t * n_warnings,
                              struct hfx_error * err);

#endif /* HFX_TOYS_H */
